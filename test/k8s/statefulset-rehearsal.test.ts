// The three-pod StatefulSet rehearsal (issue 5, "How it is shown to work"), root only: skipped with the
// reason otherwise. Needs the server built (npm run build).
//
// The image is docker/install.sh's output (pod.ts Rehearsal.buildImage). Each pod zk-0..zk-2 is a set
// of namespaces on a bridge (statefulset-pods.ts): its own IP, hostname, /etc/hosts (the kubelet's
// entry plus the records cluster DNS serves for the other pods) and volume at /var/lib/zookeeper,
// running as uid 1000 the manifest's exact command with the manifest's environment (ConfigMap
// references resolved). The StatefulSet controller, the kubelet and DNS are played by
// statefulset-controller.ts: pods created in order, each once the previous one is Ready through
// zkOk.sh (the manifest's initial delay, period and timeout, scaled by SCALE); DNS records published
// once a pod is Ready, or at once with publishNotReadyAddresses; a recreated pod gets a new IP.
// Clients run in this process, on the node, against the pod IPs (node-zookeeper-client), and zkCli.sh
// inside the pods.
//
// Two manifests, the same scenarios:
//   - k8s/zookeeper-seed.yaml, the tutorial's (ZK_ENSEMBLE "zk-0;zk-1;zk-2", `sh -c "zkGenConfig.sh &&
//     zkServer.sh start-foreground"`, syncLimit 2000 from the key "tick", not-ready pods unpublished);
//   - k8s/zookeeper.yaml, the corrected one (ZK_REPLICAS=3, `exec` so the server is PID 1,
//     publishNotReadyAddresses).
// Scenarios: OrderedReady bootstrap, identity, zoo.cfg, sanity (zkCli.sh create on zk-0, get on
// zk-1), durability (all pods deleted and recreated), process failure (the tutorial's pkill, and a
// SIGKILL from the node), liveness (zkOk.sh removed), a rolling restart in reverse ordinal order under
// continuous writes (no acknowledged write lost; every member's txn log still recoverable), a pod that
// comes back with a new IP found again by its peers. Then everything is removed and checked gone.
//
// ZK_REHEARSAL_EVIDENCE=<dir> keeps the volumes, container logs, hosts files and pod events there.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageEnv } from './dockerfile.js';
import { repoRoot } from './harness.js';
import { arr, loadDocuments, obj, parts, resolvedEnv, type Obj } from './manifest.js';
import { cannotRun, cleanStale, imageSource, Rehearsal, type ProbeSpec } from './pod.js';
import {
  childrenCaughtUp,
  ContinuousWriter,
  create,
  eventually,
  getZnode,
  memberState,
  waitForQuorum,
  withClient,
  type Znode,
} from './statefulset-clients.js';
import { StatefulSet } from './statefulset-controller.js';
import { CleanupRegistry, cleanStaleStatefulSet, PodNetwork, run, sleep, SS_PREFIX, WORK_MARKER } from './statefulset-pods.js';
import { txnLogGaps } from './statefulset-storage.js';

/** Seconds of the manifest become SCALE seconds here. */
const SCALE = 0.1;
/** The node images' PATH (docker/Dockerfile does not change it). */
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** How long an ensemble may take to form once its members are Ready. */
const QUORUM_MS = 30_000;
const DUMP_TOOL = join(imageSource, 'dist', 'src', 'cli', 'zk-log-dump.js');

const reason = cannotRun();
if (reason !== null) console.log(`statefulset rehearsal skipped: ${reason}`);

function probeSpec(container: Obj, which: 'readinessProbe' | 'livenessProbe'): ProbeSpec {
  const probe = obj(container[which], which);
  const num = (key: string, fallback: number): number => {
    const value = probe[key];
    return typeof value === 'number' ? value : fallback;
  };
  return {
    command: arr(obj(probe['exec'], 'exec')['command'], 'command').map(String),
    initialDelaySeconds: num('initialDelaySeconds', 0),
    periodSeconds: num('periodSeconds', 10),
    timeoutSeconds: num('timeoutSeconds', 1),
    failureThreshold: num('failureThreshold', 3),
  };
}

interface Variant {
  readonly key: string;
  readonly title: string;
  readonly manifest: string;
  readonly command: readonly string[];
  /** The membership variable and its value. */
  readonly membership: readonly [string, string];
  /** zoo.cfg's first line (k8szk v2 and v3), or ''. */
  readonly header: string;
  readonly syncLimit: string;
  readonly purge: string;
  /** PID 1 in `ps -eo pid=,user=,args=`. */
  readonly pid1: RegExp;
  /** Whether the kubelet's SIGTERM stops the container (the server is PID 1). */
  readonly stopsOnSigterm: boolean;
}

const VARIANTS: readonly Variant[] = [
  {
    key: 'seed',
    title: 'seed manifest (the tutorial\'s, ZK_ENSEMBLE)',
    manifest: 'zookeeper-seed.yaml',
    command: ['sh', '-c', 'zkGenConfig.sh && zkServer.sh start-foreground'],
    membership: ['ZK_ENSEMBLE', 'zk-0;zk-1;zk-2'],
    header: '',
    syncLimit: '2000',
    purge: '0',
    pid1: /^\s*1 zookeep\+ sh -c zkGenConfig\.sh && zkServer\.sh start-foreground$/m,
    stopsOnSigterm: false,
  },
  {
    key: 'corrected',
    title: 'corrected manifest (ZK_REPLICAS, exec, publishNotReadyAddresses)',
    manifest: 'zookeeper.yaml',
    command: ['sh', '-c', 'zkGenConfig.sh && exec zkServer.sh start-foreground'],
    membership: ['ZK_REPLICAS', '3'],
    header: '#This file was autogenerated by k8szk DO NOT EDIT\n',
    syncLimit: '5',
    purge: '1',
    pid1: /^\s*1 zookeep\+ java \S*zk-server\.js \S*zoo\.cfg$/m,
    stopsOnSigterm: true,
  },
];

function zooCfg(variant: Variant, domain: string): string {
  return `${variant.header}clientPort=2181
dataDir=/var/lib/zookeeper/data
dataLogDir=/var/lib/zookeeper/log
tickTime=2000
initLimit=10
syncLimit=${variant.syncLimit}
maxClientCnxns=60
minSessionTimeout= 4000
maxSessionTimeout= 40000
autopurge.snapRetainCount=3
autopurge.purgeInteval=${variant.purge}
server.1=zk-0.${domain}:2888:3888
server.2=zk-1.${domain}:2888:3888
server.3=zk-2.${domain}:2888:3888
# zk-ts: added to k8szk's settings (see docs/kubernetes.md)
autopurge.purgeInterval=${variant.purge}
4lw.commands.whitelist=conf,cons,crst,dump,envi,gtmk,stmk,ruok,srst,srvr,stat,wchs,mntr,isro
`;
}

/** Established TCP connections in a pod's network namespace, as "local remote" pairs. */
function connections(netExec: (argv: readonly string[]) => string): string[] {
  return netExec(['ss', '-Htn', 'state', 'established'])
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 4)
    .map((f) => `${f[2] ?? ''} ${f[3] ?? ''}`);
}

describe.skipIf(reason !== null)('three-pod StatefulSet rehearsal', () => {
  const registry = new CleanupRegistry();
  let rehearsal: Rehearsal;
  let network: PodNetwork;
  const statefulSets = new Map<string, StatefulSet>();

  /** ZK_REHEARSAL_EVIDENCE=<dir>: the volumes, container logs, hosts files and events are copied there. */
  let evidenceKept = false;
  function keepEvidence(): void {
    const evidence = process.env['ZK_REHEARSAL_EVIDENCE'];
    if (evidenceKept || evidence === undefined || evidence === '') return;
    evidenceKept = true;
    run('mkdir', ['-p', evidence]);
    run('sh', ['-c', 'cp -a "$1"/volume-* "$1"/container-*.log "$1"/hosts-* "$2"/', 'sh', rehearsal.work, evidence], { allowFail: true });
    for (const [key, sts] of statefulSets) writeFileSync(join(evidence, `events-${key}.json`), JSON.stringify(sts.events, null, 1));
    console.log(`statefulset rehearsal: volumes, logs and events kept in ${evidence}`);
  }

  beforeAll(() => {
    registry.installSignalHandlers();
    const removed = cleanStaleStatefulSet();
    cleanStale();
    if (removed.length > 0) console.log(`statefulset rehearsal: removed leftovers of a killed run: ${removed.join(', ')}`);
    rehearsal = new Rehearsal();
    writeFileSync(join(rehearsal.work, WORK_MARKER), `${String(process.pid)}\n`);
    const work = rehearsal.work;
    const image = rehearsal.image;
    registry.add(`work dir ${work}`, () => {
      run('umount', ['-l', image], { allowFail: true });
      run('rm', ['-rf', work], { allowFail: true });
    });
    rehearsal.buildImage();
    network = new PodNetwork(registry);
  }, 180_000);

  afterAll(() => {
    if (rehearsal !== undefined) keepEvidence();
    const errors = registry.runAll();
    registry.uninstallSignalHandlers();
    if (errors.length > 0) console.log(`statefulset rehearsal cleanup errors: ${errors.join('; ')}`);
  }, 60_000);

  for (const variant of VARIANTS) {
    describe(variant.title, () => {
      const docs = loadDocuments(join(repoRoot, 'k8s', variant.manifest));
      const manifest = parts(docs);
      const stsSpec = obj(manifest.statefulSet['spec'], 'spec');
      const service = String(stsSpec['serviceName']);
      const domain = `${service}.default.svc.cluster.local`;
      const command = arr(manifest.container['command'], 'command').map(String);
      const readiness = probeSpec(manifest.container, 'readinessProbe');
      const liveness = probeSpec(manifest.container, 'livenessProbe');
      const graceSeconds = manifest.podSpec['terminationGracePeriodSeconds'];
      const graceMs = (typeof graceSeconds === 'number' ? graceSeconds : 30) * 1000 * SCALE;
      const manifestEnv = resolvedEnv(docs);
      let sts: StatefulSet;
      let hello: Znode;

      const ips = (): string[] => sts.ordinals().map((o) => sts.pod(o).ip);
      const diagnose = (): string => `\n${sts.logs(40)}\nevents: ${JSON.stringify(sts.events.slice(-30))}`;
      const quorum = (hosts: readonly string[] = ips()): Promise<unknown> =>
        waitForQuorum(hosts, QUORUM_MS).catch((e: unknown) => {
          throw new Error(`${String(e)}${diagnose()}`);
        });

      beforeAll(() => {
        sts = new StatefulSet(
          {
            name: String(obj(manifest.statefulSet['metadata'], 'metadata')['name']),
            service,
            replicas: Number(stsSpec['replicas']),
            command,
            // The container's environment: the image's ENV and PATH, HOSTNAME, the manifest's env.
            env: (podName) => ({ PATH: IMAGE_PATH, HOME: '/home/zookeeper', HOSTNAME: podName, ...imageEnv(), ...manifestEnv }),
            readiness,
            liveness,
            scale: SCALE,
            graceMs,
            publishNotReadyAddresses: obj(manifest.headless['spec'], 'spec')['publishNotReadyAddresses'] === true,
          },
          network,
          rehearsal,
          (name) => rehearsal.createVolume(`${variant.key}-${name}`),
        );
        statefulSets.set(variant.key, sts);
      });

      afterAll(async () => {
        await sts.deleteAll(0);
      }, 60_000);

      it('the manifest as played: three replicas, the exact command, zkOk.sh probes', () => {
        expect(Number(stsSpec['replicas'])).toBe(3);
        expect(command).toEqual(variant.command);
        expect(manifestEnv[variant.membership[0]]).toBe(variant.membership[1]);
        expect(readiness.command).toEqual(['zkOk.sh']);
        expect(liveness.command).toEqual(['zkOk.sh']);
      });

      it('OrderedReady: zk-0 is Ready alone (imok without quorum), then zk-1, then zk-2; the ensemble forms', async () => {
        await sts.createPod(0);
        // Alone, zk-0 is Ready but not serving: zkOk.sh needs no quorum, or zk-1 would never come.
        expect((await memberState(sts.pod(0).ip)).mode).toMatch(/^not serving/);
        await sts.createPod(1);
        await sts.createPod(2);
        const order = sts.events.filter((e) => e.what === 'created' || e.what === 'ready').map((e) => `${e.what} ${e.pod}`);
        expect(order).toEqual(['created zk-0', 'ready zk-0', 'created zk-1', 'ready zk-1', 'created zk-2', 'ready zk-2']);
        const states = (await waitForQuorum(ips(), QUORUM_MS).catch((e: unknown) => {
          throw new Error(`${String(e)}${diagnose()}`);
        }));
        expect(states.map((s) => s.mode).sort()).toEqual(['follower', 'follower', 'leader']);
        // The tutorial's `ps`: everything as zookeep+ (uid 1000).
        for (const ordinal of [0, 1, 2]) {
          const ps = await sts.container(ordinal).exec(['ps', '-eo', 'pid=,user=,args=']);
          expect(ps.stdout).toMatch(variant.pid1);
          expect(ps.stdout).toMatch(/^\s*\d+ zookeep\+ java \S*zk-server\.js \S*zoo\.cfg$/m);
        }
      }, 120_000);

      it('identity: hostname, FQDN and myid on each pod; each resolves its peers', async () => {
        for (const ordinal of [0, 1, 2]) {
          const c = sts.container(ordinal);
          expect((await c.exec(['hostname'])).stdout).toBe(`zk-${String(ordinal)}\n`);
          expect((await c.exec(['hostname', '-f'])).stdout).toBe(`zk-${String(ordinal)}.${domain}\n`);
          expect((await c.exec(['cat', '/var/lib/zookeeper/data/myid'])).stdout).toBe(`${String(ordinal + 1)}\n`);
          expect((await c.exec(['ls', '-ld', '/var/lib/zookeeper/data'])).stdout).toMatch(/^drwxr-sr-x \d+ zookeeper zookeeper /);
          for (const peer of [0, 1, 2]) {
            const resolved = await c.exec(['getent', 'hosts', `zk-${String(peer)}.${domain}`]);
            expect(resolved.stdout.split(/\s+/)[0], `zk-${String(ordinal)} resolving zk-${String(peer)}`).toBe(sts.pod(peer).ip);
          }
        }
      }, 60_000);

      it('config: zoo.cfg on each pod is k8szk\'s with the three server.N lines of the pod\'s domain, plus our additions', async () => {
        for (const ordinal of [0, 1, 2]) {
          expect((await sts.container(ordinal).exec(['cat', '/opt/zookeeper/conf/zoo.cfg'])).stdout).toBe(zooCfg(variant, domain));
        }
        const metrics = await sts.container(0).exec(['zkMetrics.sh']);
        expect(metrics.stdout).toMatch(/^zk_server_state\t(leader|follower)$/m);
      }, 60_000);

      it('sanity: zkCli.sh create /hello world on zk-0, zkCli.sh get /hello on zk-1; cZxid 0x100000002', async () => {
        const created = await sts.container(0).exec(['zkCli.sh', 'create', '/hello', 'world'], 20_000);
        expect(created.status, `${created.stdout}${created.stderr}`).toBe(0);
        // 3.8's zkCli.sh (and ours) prints "Created /hello" on stderr; 3.4's printed it on stdout.
        expect(`${created.stdout}${created.stderr}`).toMatch(/^Created \/hello$/m);
        const got = await sts.container(1).exec(['zkCli.sh', 'get', '/hello'], 20_000);
        expect(got.status, `${got.stdout}${got.stderr}`).toBe(0);
        expect(got.stdout).toMatch(/^world$/m);
        hello = await withClient([sts.pod(1).ip], (client) => getZnode(client, '/hello'));
        expect(hello.data).toBe('world');
        // Epoch 1 (the first election); txn 1 is zkCli.sh's session, txn 2 the create.
        expect(hello.czxid).toBe('0000000100000002');
        expect(hello.mzxid).toBe(hello.czxid);
      }, 60_000);

      it('durability: all pods deleted and recreated in order with their volumes (new IPs): /hello and its zxids intact', async () => {
        const oldIps = ips();
        const stops = await Promise.all([0, 1, 2].map((o) => sts.deletePod(o)));
        // The seed's sh PID 1 has no SIGTERM handler: its pods end by SIGKILL after the grace period.
        // With `exec` the server is PID 1 and stops on SIGTERM.
        expect(stops.map((s) => s?.exitedOnSigterm)).toEqual([0, 1, 2].map(() => variant.stopsOnSigterm));
        await sts.reconcile();
        const newIps = ips();
        for (const ip of newIps) expect(oldIps).not.toContain(ip);
        await quorum(newIps);
        for (const ordinal of [0, 1, 2]) {
          expect((await sts.container(ordinal).exec(['cat', '/var/lib/zookeeper/data/myid'])).stdout).toBe(`${String(ordinal + 1)}\n`);
          expect(await withClient([sts.pod(ordinal).ip], (client) => getZnode(client, '/hello'))).toEqual(hello);
        }
      }, 120_000);

      it('process failure: the server of zk-0 killed (the tutorial\'s pkill, then SIGKILL from the node), the container exits, is restarted, rejoins', async () => {
        // kubectl exec zk-0 -- pkill java, as the tutorial has it (the server names itself java).
        const before = sts.container(0);
        const pkill = await before.exec(['pkill', 'java']);
        expect(pkill.status, pkill.stderr).toBe(0);
        await before.exited;
        const second = await sts.restartContainer(0);
        expect(second.id).toBe(before.id + 1);
        await quorum();
        expect(await withClient([sts.pod(0).ip], (client) => getZnode(client, '/hello'))).toEqual(hello);
        // A crash: SIGKILL (the OOM killer, say) to the server process.
        const server = second.serverPid();
        expect(server).not.toBeNull();
        process.kill(server ?? 0, 'SIGKILL');
        const exit = await second.exited;
        expect(exit.code ?? exit.signal).not.toBe(0);
        await sts.restartContainer(0);
        await quorum();
        expect(await withClient([sts.pod(0).ip], (client) => getZnode(client, '/hello'))).toEqual(hello);
      }, 90_000);

      it('liveness: zkOk.sh removed from zk-0, the probe fails, the container is restarted with it back and rejoins', async () => {
        const container = sts.container(0);
        const rm = await container.exec(['rm', '/opt/zookeeper/bin/zkOk.sh']);
        expect(rm.status, rm.stderr).toBe(0);
        expect((await container.exec(liveness.command)).status).not.toBe(0);
        // The server itself is fine: only the probe fails.
        expect((await memberState(sts.pod(0).ip)).mode).toMatch(/^(leader|follower)$/);
        const probes = await container.livenessUntilRestart(liveness, SCALE, graceMs);
        expect(probes).toBe(liveness.failureThreshold);
        const restarted = await sts.restartContainer(0);
        expect((await restarted.exec(['ls', '/opt/zookeeper/bin/zkOk.sh'])).status).toBe(0);
        await quorum();
      }, 60_000);

      it('rolling restart in reverse ordinal order under continuous writes: no acknowledged write lost', async () => {
        await withClient(ips(), (client) => create(client, '/rolling', ''));
        const writer = new ContinuousWriter(ips, '/rolling');
        writer.start();
        await eventually(10_000, async () => {
          if (writer.acknowledgedCount < 20) throw new Error(`${String(writer.acknowledgedCount)} writes acknowledged`);
          return Promise.resolve();
        });
        const from = sts.events.length;
        const acksBefore: number[] = [];
        for (const ordinal of [2, 1, 0]) {
          acksBefore.push(writer.acknowledgedCount);
          await sts.deletePod(ordinal);
          await sts.createPod(ordinal);
        }
        // Writes go on once the last pod is back.
        const acksAtEnd = writer.acknowledgedCount;
        await eventually(QUORUM_MS, async () => {
          if (writer.acknowledgedCount < acksAtEnd + 20) throw new Error(`${String(writer.acknowledgedCount - acksAtEnd)} writes since the restart`);
          return Promise.resolve();
        }).catch((e: unknown) => {
          throw new Error(`${String(e)}${diagnose()}`);
        });
        const report = await writer.stop();
        console.log(
          `statefulset rehearsal (${variant.key}): rolling restart: ${String(report.acknowledged.length)} of ${String(report.attempts)} writes acknowledged, ` +
            `longest stall ${String(report.longestStallMs)} ms, ${String(report.sessions)} sessions, failures ${JSON.stringify([...report.failures])}, ` +
            `acknowledged before each restart ${JSON.stringify(acksBefore)}`,
        );
        // The controller's order: zk-2, zk-1, zk-0, each deleted only once the previous one was Ready.
        const steps = sts.events.slice(from).filter((e) => e.what === 'deleted' || e.what === 'ready').map((e) => `${e.what} ${e.pod}`);
        expect(steps).toEqual(['deleted zk-2', 'ready zk-2', 'deleted zk-1', 'ready zk-1', 'deleted zk-0', 'ready zk-0']);
        // Every acknowledged write is on every member.
        await quorum();
        for (const ordinal of [0, 1, 2]) {
          const names = new Set(await eventually(QUORUM_MS, () => childrenCaughtUp(sts.pod(ordinal).ip, '/rolling', `check-zk-${String(ordinal)}`)));
          const lost = report.acknowledged.filter((n) => !names.has(n));
          expect(lost, `acknowledged writes missing on zk-${String(ordinal)}`).toEqual([]);
        }
        expect(report.acknowledged.length).toBeGreaterThan(40);
      }, 180_000);

      it('after the rolling restart every member\'s txn log is gapless (each can start again from its volume)', () => {
        for (const ordinal of [0, 1, 2]) {
          expect(txnLogGaps(sts.volume(ordinal), DUMP_TOOL), `txn log gaps on zk-${String(ordinal)}'s volume`).toEqual([]);
        }
      }, 60_000);

      it('a pod that comes back with a new IP is found again by its peers', async () => {
        // zk-0 has the lowest server id. Of each pair's election connections the member with the higher
        // id keeps the one it dialled, so zk-1 and zk-2 must dial zk-0 at its new address.
        const oldIp = sts.pod(0).ip;
        await sts.deletePod(0);
        for (const ordinal of [1, 2]) expect(sts.pod(ordinal).hosts()).not.toMatch(/\bzk-0\b/);
        // zk-1 and zk-2 are a quorum: a write while zk-0 is away.
        const away = await eventually(QUORUM_MS, () => withClient([sts.pod(1).ip, sts.pod(2).ip], (client) => create(client, '/while-zk-0-away', 'x')));
        expect(away).toBe('/while-zk-0-away');
        await sts.createPod(0);
        const newIp = sts.pod(0).ip;
        expect(newIp).not.toBe(oldIp);
        // DNS: once zk-0 is Ready, its peers resolve its new address.
        for (const ordinal of [1, 2]) {
          const resolved = await sts.container(ordinal).exec(['getent', 'hosts', `zk-0.${domain}`]);
          expect(resolved.stdout.split(/\s+/)[0]).toBe(newIp);
        }
        await quorum();
        // zk-0 has what was written while it was away.
        const seen = await eventually(QUORUM_MS, () => childrenCaughtUp(newIp, '/', 'check-new-ip'));
        expect(seen).toContain('while-zk-0-away');
        // zk-1 and zk-2 reached zk-0 at the new address (their election connections), none at the old.
        for (const ordinal of [1, 2]) {
          const conns = connections((argv) => sts.pod(ordinal).netExec(argv));
          expect(conns.filter((c) => c.endsWith(` ${newIp}:3888`)), `zk-${String(ordinal)} connections: ${conns.join(', ')}`).not.toEqual([]);
          expect(conns.filter((c) => c.includes(` ${oldIp}:`))).toEqual([]);
        }
      }, 120_000);

      it('zk-0 at its new address makes a quorum with zk-1 alone; zk-2 recreated rejoins', async () => {
        const zk0 = sts.pod(0).ip;
        await sts.deletePod(2);
        const path = await eventually(QUORUM_MS, () => withClient([zk0], (client) => create(client, '/with-zk-0-and-zk-1', 'y')));
        expect(path).toBe('/with-zk-0-and-zk-1');
        await sts.reconcile();
        await quorum();
        const onZk2 = await eventually(QUORUM_MS, () => childrenCaughtUp(sts.pod(2).ip, '/', 'check-zk-2'));
        expect(onZk2).toEqual(expect.arrayContaining(['hello', 'rolling', 'while-zk-0-away', 'with-zk-0-and-zk-1']));
      }, 120_000);
    });
  }

  it('teardown removes every namespace, veth, the bridge, mounts, processes and the work directory', async () => {
    const bridge = network.bridge;
    const work = rehearsal.work;
    const netnsPrefix = `${SS_PREFIX}-${String(process.pid)}-`;
    const inits = [...statefulSets.values()].flatMap((sts) => sts.inits);
    keepEvidence();
    for (const sts of statefulSets.values()) await sts.deleteAll(0);
    const errors = registry.runAll();
    expect(errors).toEqual([]);
    expect(registry.size).toBe(0);
    // The kernel finishes tearing a network namespace down (and its veth) asynchronously.
    for (let i = 0; i < 50 && run('ip', ['-o', 'link', 'show']).includes(`zss${String(process.pid)}p`); i++) await sleep(100);
    expect(run('ip', ['netns', 'list']).split('\n').filter((l) => l.startsWith(netnsPrefix))).toEqual([]);
    expect(run('ip', ['-o', 'link', 'show']).split('\n').filter((l) => l.includes(bridge) || l.includes(`zss${String(process.pid)}p`))).toEqual([]);
    expect(readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(work))).toEqual([]);
    const running = (pid: number): boolean => {
      if (pid <= 0) return false;
      try {
        return !/^State:\s+Z/m.test(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 50 && inits.some(running); i++) await sleep(100);
    expect(inits.filter(running), 'container processes still running').toEqual([]);
    expect(run('ls', ['-d', work], { allowFail: true })).toBe('');
  }, 60_000);
});
