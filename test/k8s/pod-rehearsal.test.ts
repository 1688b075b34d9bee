// The single-pod part of the StatefulSet rehearsal (issue 5): the image built by docker/install.sh,
// one pod "zk-0" made of Linux namespaces (see pod.ts), running as uid 1000 the manifest's exact
// command with the manifest's environment, probed with zkOk.sh as the kubelet would (the manifest's
// initial delay, period and timeout, scaled down), then the tutorial's checks that need one server:
// identity, the generated zoo.cfg, a write and a read, process failure, durability across pod
// deletion (a new pod with a new IP, the same volume), liveness. The three-pod parts need the
// ensemble (docs/kubernetes.md).
//
// Both manifests run with one member: the seed (k8szk:v1 style) with its ConfigMap's ensemble
// "zk-0;zk-1;zk-2" cut to "zk-0", the corrected one with replicas "1". Root only: skipped otherwise.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import zookeeper from 'node-zookeeper-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageEnv } from './dockerfile.js';
import { repoRoot } from './harness.js';
import { arr, loadDocuments, obj, one, parts, resolvedEnv, type Obj } from './manifest.js';
import { cannotRun, cleanStale, imageSource, Rehearsal, type Container, type Pod, type ProbeSpec, type StopResult } from './pod.js';

/** Seconds of the manifest become SCALE seconds here. */
const SCALE = 0.1;
const GRACE_MS = 30_000 * SCALE; // terminationGracePeriodSeconds defaults to 30
/** The node images' PATH (docker/Dockerfile does not change it). */
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const reason = cannotRun();
if (reason !== null) console.log(`pod rehearsal skipped: ${reason}`);
// zkGenConfig.sh writes the heap limit and log level into java.env, as k8szk did; they reach the
// server only through a zkServer.sh that sources java.env (docker/zkServer.sh.proposed does).
const sourcesJavaEnv = readFileSync(join(imageSource, 'bin', 'zkServer.sh'), 'utf8').includes('java.env');
if (reason === null && !sourcesJavaEnv) console.log('pod rehearsal: java.env check skipped: bin/zkServer.sh does not source java.env');

type Client = ReturnType<typeof zookeeper.createClient>;

function connect(host: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = zookeeper.createClient(`${host}:2181`, { sessionTimeout: 10_000, retries: 0 });
    const timer = setTimeout(() => {
      client.close();
      reject(new Error(`no session with ${host}:2181`));
    }, 10_000);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.connect();
  });
}

interface Znode {
  readonly data: string;
  readonly czxid: string;
  readonly mzxid: string;
  readonly ctime: string;
  readonly version: number;
}

function getZnode(client: Client, path: string): Promise<Znode> {
  return new Promise((resolve, reject) => {
    client.getData(path, (error, data, stat) => {
      if (error) {
        reject(error);
        return;
      }
      resolve({
        data: data?.toString('utf8') ?? '',
        czxid: stat.czxid.toString('hex'),
        mzxid: stat.mzxid.toString('hex'),
        ctime: stat.ctime.toString('hex'),
        version: stat.version,
      });
    });
  });
}

function create(client: Client, path: string, data: string): Promise<void> {
  return new Promise((resolve, reject) => client.create(path, Buffer.from(data), (error) => (error ? reject(error) : resolve())));
}

async function withClient<T>(host: string, body: (client: Client) => Promise<T>): Promise<T> {
  const client = await connect(host);
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

function probeSpec(container: Obj, which: 'readinessProbe' | 'livenessProbe'): ProbeSpec {
  const probe = obj(container[which], which);
  const num = (key: string, fallback: number): number => (typeof probe[key] === 'number' ? (probe[key] as number) : fallback);
  return {
    command: arr(obj(probe['exec'], 'exec')['command'], 'command').map(String),
    initialDelaySeconds: num('initialDelaySeconds', 0),
    periodSeconds: num('periodSeconds', 10),
    timeoutSeconds: num('timeoutSeconds', 1),
    failureThreshold: num('failureThreshold', 3),
  };
}

interface Variant {
  readonly title: string;
  readonly manifest: string;
  /** The ConfigMap edit that makes the StatefulSet one member. */
  readonly oneMember: (data: Obj) => void;
  /** zoo.cfg as k8szk wrote it for this pod, before our additions. */
  readonly k8szkZooCfg: string;
  /** Whether SIGTERM to PID 1 stops the container (only when the server is PID 1). */
  readonly stopsOnSigterm: boolean;
}

const STANDALONE_BODY = `clientPort=2181
dataDir=/var/lib/zookeeper/data
dataLogDir=/var/lib/zookeeper/log
tickTime=2000
initLimit=10
syncLimit={{SYNC}}
maxClientCnxns=60
minSessionTimeout= 4000
maxSessionTimeout= 40000
autopurge.snapRetainCount=3
autopurge.purgeInteval={{PURGE}}
`;

const VARIANTS: readonly Variant[] = [
  {
    title: 'seed manifest (k8szk:v1, ZK_ENSEMBLE)',
    manifest: 'zookeeper-seed.yaml',
    oneMember: (data) => {
      data['ensemble'] = 'zk-0';
    },
    k8szkZooCfg: STANDALONE_BODY.replace('{{SYNC}}', '2000').replace('{{PURGE}}', '0'),
    stopsOnSigterm: false,
  },
  {
    title: 'corrected manifest (ZK_REPLICAS)',
    manifest: 'zookeeper.yaml',
    oneMember: (data) => {
      data['replicas'] = '1';
    },
    k8szkZooCfg: `#This file was autogenerated by k8szk DO NOT EDIT\n${STANDALONE_BODY.replace('{{SYNC}}', '5').replace('{{PURGE}}', '1')}`,
    stopsOnSigterm: true,
  },
];

const ADDITIONS = (purge: string): string =>
  `# zk-ts: added to k8szk's settings (see docs/kubernetes.md)\nautopurge.purgeInterval=${purge}\n` +
  '4lw.commands.whitelist=conf,cons,crst,dump,envi,gtmk,stmk,ruok,srst,srvr,stat,wchs,mntr,isro\n';

describe.skipIf(reason !== null)('single-pod StatefulSet rehearsal', () => {
  let rehearsal: Rehearsal;

  beforeAll(() => {
    cleanStale();
    rehearsal = new Rehearsal();
    rehearsal.buildImage();
  }, 180_000);

  afterAll(async () => {
    await rehearsal.destroy();
  }, 60_000);

  for (const variant of VARIANTS) {
    describe(variant.title, () => {
      const docs = loadDocuments(join(repoRoot, 'k8s', variant.manifest));
      variant.oneMember(obj(one(docs, 'ConfigMap')['data'], 'data'));
      const p = parts(docs);
      const command = arr(p.container['command'], 'command').map(String);
      const readiness = probeSpec(p.container, 'readinessProbe');
      const liveness = probeSpec(p.container, 'livenessProbe');
      const service = String(obj(p.statefulSet['spec'], 'spec')['serviceName']);
      // What the container gets: the image's ENV and PATH, the manifest's env, HOSTNAME.
      const env = { PATH: IMAGE_PATH, HOME: '/home/zookeeper', HOSTNAME: 'zk-0', ...imageEnv(), ...resolvedEnv(docs) };
      const purge = resolvedEnv(docs)['ZK_PURGE_INTERVAL'] ?? '0';

      let volume: string;
      let pod: Pod;
      let container: Container;
      let hello: Znode;

      const diagnose = (): string => `container log:\n${container.log().slice(-4000)}`;

      async function startAndWaitReady(): Promise<number> {
        container = await pod.startContainer(command, env);
        return container.waitReady(readiness, SCALE);
      }

      it('runs the manifest\'s command as uid 1000 and becomes Ready through zkOk.sh, alone', async () => {
        volume = rehearsal.createVolume(`${variant.manifest}-zk-0`);
        pod = rehearsal.createPod('zk-0', service, volume);
        const readyMs = await startAndWaitReady();
        expect(readyMs).toBeGreaterThanOrEqual(readiness.initialDelaySeconds * 1000 * SCALE);
        const server = container.serverPid();
        expect(server, diagnose()).not.toBeNull();
        const status = readFileSync(`/proc/${String(server)}/status`, 'utf8');
        expect(status).toMatch(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
        expect(status).toMatch(/^Gid:\s+1000\s+1000\s+1000\s+1000$/m);
        // The tutorial's `ps`: everything runs as zookeep+ (uid 1000). The manifest's sh -c is PID 1
        // and the server its child; with `exec` the server is PID 1 itself.
        const ps = await container.exec(['ps', '-eo', 'pid=,user=,args=']);
        const pid1 = command[2]?.includes('exec') === true ? /^\s*1 zookeep\+ java \S*zk-server\.js /m : /^\s*1 zookeep\+ sh -c zkGenConfig\.sh && zkServer\.sh start-foreground$/m;
        expect(ps.stdout).toMatch(pid1);
        // The config is the image's conf dir: /opt/zk-ts-<version>/conf, or /usr/bin/../etc/zookeeper as
        // the tutorial's `ps` showed it when zkServer.sh finds its conf dir as ZooKeeper's does.
        expect(ps.stdout).toMatch(/^\s*\d+ zookeep\+ java \S*zk-server\.js (\/opt\/zk-ts-[^/]+\/conf|\/usr\/bin\/\.\.\/etc\/zookeeper)\/zoo\.cfg$/m);
      }, 60_000);

      it('identity: hostname, FQDN from the pod\'s /etc/hosts, myid', async () => {
        expect((await container.exec(['hostname'])).stdout).toBe('zk-0\n');
        expect((await container.exec(['hostname', '-f'])).stdout).toBe(`zk-0.${service}.default.svc.cluster.local\n`);
        expect((await container.exec(['cat', '/var/lib/zookeeper/data/myid'])).stdout).toBe('1\n');
        // fsGroup: the volume is group 1000 with the setgid bit, so the server's directories are too.
        const ls = await container.exec(['ls', '-ld', '/var/lib/zookeeper/data']);
        expect(ls.stdout).toMatch(/^drwxr-sr-x \d+ zookeeper zookeeper /);
      });

      it('config: zoo.cfg is k8szk\'s (standalone: no server lines) plus our additions, also via /usr/etc/zookeeper', async () => {
        const expected = variant.k8szkZooCfg + ADDITIONS(purge);
        expect((await container.exec(['cat', '/opt/zookeeper/conf/zoo.cfg'])).stdout).toBe(expected);
        expect((await container.exec(['cat', '/usr/etc/zookeeper/zoo.cfg'])).stdout).toBe(expected);
        const log4j = await container.exec(['cat', '/usr/etc/zookeeper/log4j.properties']);
        expect(log4j.stdout).toMatch(/^log4j\.appender\.CONSOLE=org\.apache\.log4j\.ConsoleAppender$/m);
        const javaEnv = (await container.exec(['cat', '/opt/zookeeper/conf/java.env'])).stdout;
        expect(javaEnv).toMatch(/^JVMFLAGS="-Xmx2G -Xms2G"$/m);
        expect(javaEnv).toMatch(/^export NODE_OPTIONS="--max-old-space-size=2048/m);
        const metrics = await container.exec(['zkMetrics.sh']);
        expect(metrics.stdout).toMatch(/^zk_server_state\tstandalone$/m);
      });

      it.skipIf(!sourcesJavaEnv)('java.env reaches the server: the Node heap limit from ZK_HEAP_SIZE, the log level', () => {
        const server = container.serverPid();
        const environ = readFileSync(`/proc/${String(server)}/environ`, 'utf8').split('\0');
        expect(environ).toContain('NODE_OPTIONS=--max-old-space-size=2048');
        expect(environ).toContain('ZOO_LOG4J_PROP=INFO,CONSOLE');
        expect(environ).toContain('JVMFLAGS=-Xmx2G -Xms2G');
      });

      it('sanity: create /hello world from another host, then read it back', async () => {
        await withClient(pod.ip, async (client) => {
          await create(client, '/hello', 'world');
          hello = await getZnode(client, '/hello');
        });
        expect(hello.data).toBe('world');
        expect(hello.version).toBe(0);
        // Standalone: epoch 0. Txn 1 is the session, txn 2 the create (sessions are logged as txns).
        expect(hello.czxid).toBe('0000000000000002');
        expect(hello.mzxid).toBe(hello.czxid);
      });

      it('process failure: the server killed, the container exits and is restarted, /hello intact', async () => {
        const server = container.serverPid();
        expect(server).not.toBeNull();
        process.kill(server ?? 0, 'SIGKILL');
        const exit = await container.exited;
        expect(exit.code ?? exit.signal, 'the container ends with its server').not.toBe(0);
        await startAndWaitReady();
        expect(await withClient(pod.ip, (client) => getZnode(client, '/hello'))).toEqual(hello);
      }, 60_000);

      it('durability: the pod deleted and recreated with its volume (and a new IP): /hello and its zxids intact', async () => {
        const stopped: StopResult | null = await pod.delete(GRACE_MS);
        // The seed's sh PID 1 has no SIGTERM handler, so only SIGKILL ends it (report, section 3);
        // with `exec`, the server is PID 1 and stops on SIGTERM.
        expect(stopped?.exitedOnSigterm).toBe(variant.stopsOnSigterm);
        const oldIp = pod.ip;
        pod = rehearsal.createPod('zk-0', service, volume);
        expect(pod.ip).not.toBe(oldIp);
        await startAndWaitReady();
        expect((await container.exec(['cat', '/var/lib/zookeeper/data/myid'])).stdout).toBe('1\n');
        expect(await withClient(pod.ip, (client) => getZnode(client, '/hello'))).toEqual(hello);
      }, 60_000);

      it('liveness: zkOk.sh removed from the image, the probe fails, the container is restarted with it back', async () => {
        const rm = await container.exec(['rm', '/opt/zookeeper/bin/zkOk.sh']);
        expect(rm.status, rm.stderr).toBe(0);
        expect((await container.exec(liveness.command)).status).not.toBe(0);
        const probes = await container.livenessUntilRestart(liveness, SCALE, GRACE_MS);
        expect(probes).toBe(liveness.failureThreshold);
        await startAndWaitReady();
        expect((await container.exec(['ls', '/opt/zookeeper/bin/zkOk.sh'])).status).toBe(0);
      }, 60_000);

      it('liveness: a server that stops answering fails zkOk.sh and its container is restarted', async () => {
        const server = container.serverPid();
        expect(server).not.toBeNull();
        process.kill(server ?? 0, 'SIGSTOP');
        expect(await container.probe(liveness, SCALE)).toBe(false);
        const probes = await container.livenessUntilRestart(liveness, SCALE, GRACE_MS);
        expect(probes).toBe(liveness.failureThreshold);
        await startAndWaitReady();
        expect(await withClient(pod.ip, (client) => getZnode(client, '/hello'))).toEqual(hello);
      }, 60_000);

      it('zkOk.sh fails once the server has stopped', async () => {
        // The image's zkOk.sh, run in the pod's network namespace (which outlives its containers).
        const probe = (): Promise<number | null> => pod.execInNetwork(['bash', rehearsal.imagePath('/opt/zookeeper/bin/zkOk.sh')], env);
        expect(await probe()).toBe(0);
        const server = container.serverPid();
        expect(server).not.toBeNull();
        process.kill(server ?? 0, 'SIGTERM');
        await container.exited;
        expect(await probe()).toBe(1);
      }, 60_000);
    });
  }
});
