// The pods of the three-pod StatefulSet rehearsal (root only): a pod network on a bridge, pods made of
// Linux namespaces on it, their containers, and a cleanup registry that removes all of it even when the
// test fails or the process is interrupted.
//
//   network    a bridge `zkss<pid>` in this machine's network namespace with the address .1 of a /24
//              of 198.18.0.0/15 (the benchmarking range, not routed anywhere): this process is the
//              node, and reaches every pod directly, as a node reaches its pods. Pods get .10, .11, ...
//              in order and an address is never given twice, so a recreated pod has a new IP, as in a
//              cluster. Pods have no default route: nothing they send leaves the bridge.
//   pod        a network namespace `zkss-<pid>-<n>` with a veth pair whose outer end is on the bridge,
//              a hosts file (the kubelet's entry for the pod plus the cluster DNS records the
//              StatefulSet controller publishes, statefulset-controller.ts) and a volume directory
//              that outlives it (the PersistentVolumeClaim).
//   container  as in pod.ts (the single-pod rehearsal), whose container code this copies: new UTS
//              (hostname = pod name), mount and PID namespaces in the pod's network namespace; root
//              is an overlay of the image built by docker/install.sh over this machine's root with a
//              fresh writable layer, the volume at /var/lib/zookeeper and the hosts file at
//              /etc/hosts; the manifest's command runs as PID 1 as uid/gid 1000 with exactly the
//              environment given. Probes and `kubectl exec` are nsenter into those namespaces as uid
//              1000 with the container's environment.
//
// Everything created is registered in a CleanupRegistry whose actions are synchronous, so they also
// run from signal handlers and process exit; leftovers of a run that was SIGKILLed are removed by
// cleanStaleStatefulSet() at the next start (its pid is in every name).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerProcesses, execInContainer, killTree, serverPidOf, signal, waitForContainerInit } from './container-process.js';
import { NAME_PREFIX, type ExecResult, type ProbeSpec, type StopResult } from './pod.js';

export const SS_PREFIX = 'zkss';
/** Written into the work directory of the Rehearsal (pod.ts) this rehearsal uses, for stale cleanup. */
export const WORK_MARKER = '.statefulset-rehearsal';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function run(command: string, args: readonly string[], options: { allowFail?: boolean } = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0 && options.allowFail !== true) {
    throw new Error(`${command} ${args.join(' ')} failed (${String(result.status)}): ${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}


const alive = (pid: number): boolean => existsSync(`/proc/${String(pid)}`);


// ---------------------------------------------------------------------------------------------------
// Cleanup registry

interface CleanupEntry {
  readonly label: string;
  readonly action: () => void;
}

/**
 * Synchronous cleanup actions, run newest first by runAll(): from afterAll, or from the handlers of
 * SIGINT, SIGTERM and SIGHUP (then the process exits) and of process exit. An action that fails does
 * not stop the others; its error is returned.
 */
export class CleanupRegistry {
  readonly #entries = new Map<number, CleanupEntry>();
  #next = 0;
  #uninstall: (() => void) | null = null;

  /** Registers an action; the function returned unregisters it (when the thing is already gone). */
  add(label: string, action: () => void): () => void {
    const id = this.#next++;
    this.#entries.set(id, { label, action });
    return () => {
      this.#entries.delete(id);
    };
  }

  get size(): number {
    return this.#entries.size;
  }

  runAll(): string[] {
    const errors: string[] = [];
    const ids = [...this.#entries.keys()].sort((a, b) => b - a);
    for (const id of ids) {
      const entry = this.#entries.get(id);
      this.#entries.delete(id);
      if (entry === undefined) continue;
      try {
        entry.action();
      } catch (error) {
        errors.push(`${entry.label}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return errors;
  }

  installSignalHandlers(): void {
    if (this.#uninstall !== null) return;
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    const handlers = signals.map((name) => {
      const handler = (): void => {
        const errors = this.runAll();
        if (errors.length > 0) process.stderr.write(`statefulset rehearsal cleanup: ${errors.join('; ')}\n`);
        process.exit(128 + constants.signals[name]);
      };
      process.on(name, handler);
      return [name, handler] as const;
    });
    const onExit = (): void => {
      this.runAll();
    };
    process.on('exit', onExit);
    this.#uninstall = () => {
      for (const [name, handler] of handlers) process.off(name, handler);
      process.off('exit', onExit);
    };
  }

  uninstallSignalHandlers(): void {
    this.#uninstall?.();
    this.#uninstall = null;
  }
}

/** Removes what a rehearsal whose process no longer exists left behind: processes, netns, bridges, work dirs. */
export function cleanStaleStatefulSet(): string[] {
  const removed: string[] = [];
  const dead = (pid: string | undefined): boolean => pid !== undefined && pid !== String(process.pid) && !alive(Number(pid));
  for (const line of run('ip', ['netns', 'list'], { allowFail: true }).split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const match = new RegExp(`^${SS_PREFIX}-(\\d+)-\\d+$`).exec(name);
    if (match === null || !dead(match[1])) continue;
    for (const pid of run('ip', ['netns', 'pids', name], { allowFail: true }).split('\n').filter((x) => x !== '')) killTree(Number(pid));
    run('ip', ['netns', 'del', name], { allowFail: true });
    removed.push(`netns ${name}`);
  }
  for (const line of run('ip', ['-o', 'link', 'show', 'type', 'bridge'], { allowFail: true }).split('\n')) {
    const name = /^\d+:\s+([^:@]+)/.exec(line)?.[1] ?? '';
    const match = new RegExp(`^${SS_PREFIX}(\\d+)$`).exec(name);
    if (match === null || !dead(match[1])) continue;
    run('ip', ['link', 'del', name], { allowFail: true });
    removed.push(`bridge ${name}`);
  }
  for (const entry of readdirSync(tmpdir())) {
    const match = new RegExp(`^${NAME_PREFIX}-(\\d+)-`).exec(entry);
    const dir = join(tmpdir(), entry);
    if (match === null || !dead(match[1]) || !existsSync(join(dir, WORK_MARKER))) continue;
    for (const mount of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const target = mount.split(' ')[1] ?? '';
      if (target.startsWith(`${dir}/`)) run('umount', ['-l', target], { allowFail: true });
    }
    rmSync(dir, { recursive: true, force: true });
    removed.push(`work dir ${dir}`);
  }
  return removed;
}

// ---------------------------------------------------------------------------------------------------
// Pod network

export class PodNetwork {
  readonly bridge: string;
  /** The node's address on the bridge (this process). */
  readonly gateway: string;
  readonly prefix: string;
  readonly registry: CleanupRegistry;
  #nextHost = 10;
  #nextIndex = 0;

  constructor(registry: CleanupRegistry) {
    this.registry = registry;
    this.bridge = `${SS_PREFIX}${String(process.pid)}`;
    // A /24 of 198.18.0.0/15 that nothing on this machine uses yet.
    let third = process.pid % 250;
    const used = run('ip', ['-o', '-4', 'addr', 'show'], { allowFail: true }) + run('ip', ['-4', 'route', 'show', 'table', 'all'], { allowFail: true });
    for (let i = 0; i < 250 && used.includes(`198.18.${String(third)}.`); i++) third = (third + 1) % 250;
    this.prefix = `198.18.${String(third)}`;
    this.gateway = `${this.prefix}.1`;
    run('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
    registry.add(`bridge ${this.bridge}`, () => {
      run('ip', ['link', 'del', this.bridge], { allowFail: true });
    });
    run('ip', ['addr', 'add', `${this.gateway}/24`, 'dev', this.bridge]);
    run('ip', ['link', 'set', this.bridge, 'up']);
  }

  /** A new pod address (never one given before) and a new interface index. */
  allocate(): { ip: string; index: number } {
    if (this.#nextHost > 254) throw new Error('pod network exhausted');
    return { ip: `${this.prefix}.${String(this.#nextHost++)}`, index: this.#nextIndex++ };
  }
}

// ---------------------------------------------------------------------------------------------------
// Pods and containers

export interface ContainerSource {
  /** The image layer (docker/install.sh's output, pod.ts Rehearsal.image). */
  readonly image: string;
  /** Where scratch directories and logs go (pod.ts Rehearsal.work). */
  readonly work: string;
}

export class Pod {
  readonly name: string;
  readonly fqdn: string;
  readonly netns: string;
  readonly ip: string;
  readonly hostsFile: string;
  readonly volume: string;
  readonly #source: ContainerSource;
  readonly #network: PodNetwork;
  readonly #hostVeth: string;
  readonly #unregister: () => void;
  #containers = 0;
  #deleted = false;
  current: Container | null = null;

  constructor(network: PodNetwork, source: ContainerSource, name: string, service: string, volume: string) {
    this.#network = network;
    this.#source = source;
    this.name = name;
    this.fqdn = `${name}.${service}.default.svc.cluster.local`;
    this.volume = volume;
    const { ip, index } = network.allocate();
    this.ip = ip;
    this.netns = `${SS_PREFIX}-${String(process.pid)}-${String(index)}`;
    this.#hostVeth = `zss${String(process.pid)}p${String(index)}`.slice(0, 15);
    this.hostsFile = join(source.work, `hosts-${this.netns}`);
    run('ip', ['netns', 'add', this.netns]);
    this.#unregister = network.registry.add(`pod ${name} (${this.netns})`, () => this.#destroySync());
    run('ip', ['link', 'add', this.#hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.netns]);
    run('ip', ['link', 'set', this.#hostVeth, 'master', network.bridge]);
    run('ip', ['link', 'set', this.#hostVeth, 'up']);
    run('ip', ['-n', this.netns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    run('ip', ['-n', this.netns, 'link', 'set', 'eth0', 'up']);
    run('ip', ['-n', this.netns, 'link', 'set', 'lo', 'up']);
    this.writeHosts([]);
  }

  get deleted(): boolean {
    return this.#deleted;
  }

  /**
   * The kubelet's hosts file for a StatefulSet pod, plus `records` (what cluster DNS answers for the
   * other pods). Written in place: the file is bind-mounted into the containers by inode.
   */
  writeHosts(records: readonly { readonly ip: string; readonly fqdn: string; readonly name: string }[]): void {
    const lines = [
      '# Kubernetes-managed hosts file.',
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      'fe00::0\tip6-localnet',
      'fe00::0\tip6-mcastprefix',
      'fe00::1\tip6-allnodes',
      'fe00::2\tip6-allrouters',
      `${this.ip}\t${this.fqdn}\t${this.name}`,
      '# The rehearsal\'s cluster DNS: the records of the headless service for the other pods.',
      ...records.filter((r) => r.name !== this.name).map((r) => `${r.ip}\t${r.fqdn}\t${r.name}`),
    ];
    writeFileSync(this.hostsFile, `${lines.join('\n')}\n`, { mode: 0o644 });
  }

  hosts(): string {
    return readFileSync(this.hostsFile, 'utf8');
  }

  /** Starts `command` in a new container of this pod, with exactly `env`. */
  async startContainer(command: readonly string[], env: Readonly<Record<string, string>>): Promise<Container> {
    if (this.#deleted) throw new Error(`pod ${this.name} is deleted`);
    const id = this.#containers++;
    const scratch = join(this.#source.work, `container-${this.netns}-${String(id)}`);
    mkdirSync(scratch);
    const logPath = `${scratch}.log`;
    const setup = [
      'set -e',
      'hostname "$ZKR_HOSTNAME"',
      'mount -t tmpfs -o mode=755 tmpfs "$ZKR_SCRATCH"',
      'mkdir "$ZKR_SCRATCH/upper" "$ZKR_SCRATCH/work" "$ZKR_SCRATCH/root"',
      'root="$ZKR_SCRATCH/root"',
      'mount -t overlay overlay -o "lowerdir=$ZKR_IMAGE:/,upperdir=$ZKR_SCRATCH/upper,workdir=$ZKR_SCRATCH/work" "$root"',
      'mount -t proc proc "$root/proc"',
      'mount --rbind /dev "$root/dev"',
      'mount --bind "$ZKR_VOLUME" "$root/var/lib/zookeeper"',
      'mount --bind "$ZKR_HOSTS" "$root/etc/hosts"',
      'unset ZKR_HOSTNAME ZKR_SCRATCH ZKR_IMAGE ZKR_VOLUME ZKR_HOSTS',
      'exec chroot --userspec=1000:1000 --groups=1000 "$root" /usr/bin/env -i "$@"',
    ].join('\n');
    const envPairs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const log = openSync(logPath, 'a');
    const child = spawn(
      'ip',
      ['netns', 'exec', this.netns, 'unshare', '--uts', '--mount', '--pid', '--fork', '--propagation', 'private', '--', 'bash', '-c', setup, 'container', ...envPairs, ...command],
      {
        env: {
          PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
          ZKR_HOSTNAME: this.name,
          ZKR_SCRATCH: scratch,
          ZKR_IMAGE: this.#source.image,
          ZKR_VOLUME: this.volume,
          ZKR_HOSTS: this.hostsFile,
        },
        stdio: ['ignore', log, log],
      },
    );
    closeSync(log);
    const container = new Container(this, id, child, env, logPath);
    const unregister = this.#network.registry.add(`container ${this.name}#${String(id)}`, () => container.killSync());
    void container.exited.then(() => unregister());
    this.current = container;
    await container.waitForInit();
    return container;
  }

  /** Runs a command in the pod's network namespace only (as this machine's root). */
  netExec(argv: readonly string[]): string {
    return run('ip', ['netns', 'exec', this.netns, ...argv], { allowFail: true });
  }

  /** Deletes the pod: its container stopped (SIGTERM, SIGKILL after the grace period), then the network. */
  async delete(graceMs: number): Promise<StopResult | null> {
    if (this.#deleted) return null;
    const result = this.current === null ? null : await this.current.stop(graceMs);
    this.#destroySync();
    this.#unregister();
    return result;
  }

  #destroySync(): void {
    this.#deleted = true;
    this.current?.killSync();
    run('ip', ['link', 'del', this.#hostVeth], { allowFail: true });
    run('ip', ['netns', 'del', this.netns], { allowFail: true });
  }
}

export class Container {
  readonly pod: Pod;
  readonly id: number;
  readonly env: Readonly<Record<string, string>>;
  readonly logPath: string;
  readonly #child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  /** PID 1 of the container, as this machine sees it. */
  init = 0;

  constructor(pod: Pod, id: number, child: ChildProcess, env: Readonly<Record<string, string>>, logPath: string) {
    this.pod = pod;
    this.id = id;
    this.#child = child;
    this.env = env;
    this.logPath = logPath;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, sig) => {
        this.#exit = { code, signal: sig };
        resolve({ code, signal: sig });
      });
    });
  }

  get running(): boolean {
    return this.#exit === null;
  }

  log(): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8') : '';
  }

  /** unshare --fork: the container's PID 1 is its only child; waits until it runs as uid 1000. */
  async waitForInit(): Promise<void> {
    const pid = this.#child.pid;
    if (pid === undefined) throw new Error('container did not start');
    this.init = await waitForContainerInit(pid, () => this.running, () => this.log(), 400);
  }

  /** Processes of this container (its PID namespace), as this machine's pids. */
  processes(): { pid: number; cmdline: string }[] {
    return this.init === 0 || !this.running ? [] : containerProcesses(this.init);
  }

  /** The server process (node running zk-server.js). */
  serverPid(): number | null {
    return serverPidOf(this.processes());
  }

  /** Runs a command inside the container, as the kubelet's exec does (uid 1000, its env and root). */
  exec(argv: readonly string[], timeoutMs = 10_000, extraEnv: Readonly<Record<string, string>> = {}): Promise<ExecResult> {
    return execInContainer(this.init, { ...this.env, ...extraEnv }, argv, timeoutMs);
  }

  /** One exec probe: success is exit 0 within the timeout. */
  async probe(spec: ProbeSpec, scale: number): Promise<boolean> {
    if (!this.running) return false;
    const result = await this.exec(spec.command, Math.max(1000, spec.timeoutSeconds * 1000 * scale));
    return result.status === 0;
  }

  /** The kubelet's readiness: the initial delay, then a probe every period until one passes. */
  async waitReady(spec: ProbeSpec, scale: number, maxProbes = 60): Promise<number> {
    const started = Date.now();
    await sleep(spec.initialDelaySeconds * 1000 * scale);
    for (let i = 0; i < maxProbes; i++) {
      if (!this.running) throw new Error(`${this.pod.name}: container exited before it was Ready:\n${this.log().slice(-4000)}`);
      if (await this.probe(spec, scale)) return Date.now() - started;
      await sleep(spec.periodSeconds * 1000 * scale);
    }
    throw new Error(`${this.pod.name}: not Ready after ${String(maxProbes)} probes:\n${this.log().slice(-4000)}`);
  }

  /**
   * The kubelet's liveness loop: a probe every period; after failureThreshold failures in a row the
   * container is stopped. Returns the number of probes run, or -1 if it stayed alive for maxProbes.
   */
  async livenessUntilRestart(spec: ProbeSpec, scale: number, graceMs: number, maxProbes = 20): Promise<number> {
    let failures = 0;
    for (let i = 1; i <= maxProbes; i++) {
      failures = (await this.probe(spec, scale)) ? 0 : failures + 1;
      if (failures >= spec.failureThreshold) {
        await this.stop(graceMs);
        return i;
      }
      await sleep(spec.periodSeconds * 1000 * scale);
    }
    return -1;
  }

  /** The kubelet's stop: SIGTERM to PID 1, SIGKILL after the grace period. */
  async stop(graceMs: number): Promise<StopResult> {
    if (!this.running) {
      const exit = await this.exited;
      return { exitedOnSigterm: false, ...exit };
    }
    signal(this.init, 'SIGTERM');
    const inTime = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    // SIGKILL to PID 1 only: the kernel kills the rest of the PID namespace and PID 1 exits last, and
    // only then does unshare (its parent) exit. So when `exited` resolves every process of the
    // container is gone and its sockets were closed while the pod's network still existed, as when a
    // container runtime reports a container stopped (pod.ts kills unshare too, which can leave the
    // server running a moment after the pod's network is gone: peers then never see its FIN).
    if (!inTime) signal(this.init, 'SIGKILL');
    const ended = await Promise.race([this.exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!ended) killTree(this.#child.pid ?? 0);
    const exit = await this.exited;
    return { exitedOnSigterm: inTime, ...exit };
  }

  /** For cleanup: SIGKILL to PID 1 (the kernel then kills the whole PID namespace) and to unshare. */
  killSync(): void {
    if (!this.running) return;
    if (this.init > 0) signal(this.init, 'SIGKILL');
    killTree(this.#child.pid ?? 0);
  }
}
