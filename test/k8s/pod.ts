// A StatefulSet pod on one machine, built from Linux namespaces, for the rehearsal tests (root only).
//
//   image      docker/install.sh run into a tmpfs (ZK_INSTALL_PREFIX) over a copy of this machine's
//              /etc/passwd and /etc/group: the layer our Dockerfile adds to its base image.
//   pod        a network namespace with a veth pair (the pod IP), the kubelet's /etc/hosts for the pod
//              (<name>.<service>.<namespace>.svc.cluster.local) and a volume directory that stands for
//              the PersistentVolume, group 1000 with the setgid bit as fsGroup makes it.
//   container  new UTS (hostname = pod name), mount and PID namespaces in the pod's network namespace;
//              root is an overlay of the image over this machine's root with a fresh writable layer,
//              the volume bind-mounted at /var/lib/zookeeper and the hosts file at /etc/hosts. The
//              manifest's command runs as uid/gid 1000 (runAsUser, fsGroup) with the image's ENV plus
//              the manifest's env, and is PID 1 of its PID namespace, as in a container.
//   probes     exec'd inside the container's namespaces as uid 1000 with its environment, as the
//              kubelet does, with a timeout.
//
// Everything is torn down by destroy(): containers killed (their namespaces and mounts go with them),
// network namespaces (and veths) deleted, the image tmpfs unmounted, the work directory removed.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './harness.js';
import { containerProcesses, execInContainer, serverPidOf, signal, waitForContainerInit } from './container-process.js';

export const NAME_PREFIX = 'zkts-reh';

/**
 * The tree the image is built from: this repository, or ZK_REHEARSAL_SOURCE (a copy with, say, a
 * proposed bin/zkServer.sh; it needs package.json, dist/src and bin/).
 */
export const imageSource = process.env['ZK_REHEARSAL_SOURCE'] ?? repoRoot;

function run(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; allowFail?: boolean } = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', env: options.env ?? process.env, cwd: options.cwd, timeout: 120_000 });
  if (result.status !== 0 && options.allowFail !== true) {
    throw new Error(`${command} ${args.join(' ')} failed (${String(result.status)}): ${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Why the rehearsal cannot run here, or null when it can. */
export function cannotRun(): string | null {
  if (process.platform !== 'linux') return 'needs Linux namespaces';
  if (process.getuid?.() !== 0) return 'needs root (network, mount, UTS and PID namespaces, bind mounts, uid 1000)';
  for (const tool of ['unshare', 'nsenter', 'ip', 'chroot', 'mount', 'umount', 'npm']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `needs ${tool}`;
  }
  if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) return 'needs overlayfs';
  if (!existsSync(join(repoRoot, 'dist', 'src', 'cli', 'zk-server.js'))) return 'needs the server built (npm run build)';
  return null;
}

/** Network namespaces and mounts left by a rehearsal whose process died. */
export function cleanStale(): void {
  const namespaces = run('ip', ['netns', 'list'], { allowFail: true });
  for (const line of namespaces.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const match = new RegExp(`^${NAME_PREFIX}-(\\d+)-\\d+$`).exec(name);
    if (match === null) continue;
    if (existsSync(`/proc/${match[1] ?? ''}`)) continue;
    run('ip', ['netns', 'del', name], { allowFail: true });
  }
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const target = line.split(' ')[1] ?? '';
    const match = new RegExp(`^${tmpdir()}/${NAME_PREFIX}-(\\d+)-`).exec(target);
    if (match !== null && !existsSync(`/proc/${match[1] ?? ''}`)) run('umount', ['-l', target], { allowFail: true });
  }
}

export interface ProbeSpec {
  readonly command: readonly string[];
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
}

export interface ExecResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class Rehearsal {
  readonly work: string;
  readonly image: string;
  readonly #pods: Pod[] = [];
  #podCount = 0;

  constructor() {
    this.work = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}-${String(process.pid)}-`));
    chmodSync(this.work, 0o755);
    this.image = join(this.work, 'image');
  }

  /** Builds the image layer with docker/install.sh, over production dependencies only. */
  buildImage(): string {
    mkdirSync(this.image);
    run('mount', ['-t', 'tmpfs', '-o', 'mode=755', 'tmpfs', this.image]);
    mkdirSync(join(this.image, 'etc'));
    // The base image's accounts: this machine's, less a distribution's own zookeeper account (Debian's
    // zookeeper package has one), which node:20-slim does not have.
    for (const file of ['passwd', 'group', 'shadow', 'gshadow']) {
      if (!existsSync(`/etc/${file}`)) continue;
      const lines = readFileSync(`/etc/${file}`, 'utf8').split('\n').filter((l) => !l.startsWith('zookeeper:'));
      writeFileSync(join(this.image, 'etc', file), lines.join('\n'));
    }
    // The Dockerfile's deps stage runs npm ci --omit=dev; offline, pruning a copy gives the same tree.
    const stage = join(this.work, 'deps');
    mkdirSync(stage);
    copyFileSync(join(repoRoot, 'package.json'), join(stage, 'package.json'));
    copyFileSync(join(repoRoot, 'package-lock.json'), join(stage, 'package-lock.json'));
    run('cp', ['-a', join(repoRoot, 'node_modules'), stage]);
    run('npm', ['prune', '--omit=dev', '--offline', '--no-audit', '--no-fund'], { cwd: stage });
    const output = run('bash', [join(repoRoot, 'docker', 'install.sh')], {
      env: { ...process.env, ZK_INSTALL_PREFIX: this.image, ZK_INSTALL_SOURCE: imageSource, ZK_INSTALL_NODE_MODULES: join(stage, 'node_modules') },
    });
    rmSync(stage, { recursive: true, force: true });
    return output;
  }

  /** A pod: its network namespace, address, hosts file. The volume directory outlives the pod. */
  createPod(name: string, service: string, volume: string): Pod {
    const index = this.#podCount++;
    const pod = new Pod(this, name, service, index, volume);
    this.#pods.push(pod);
    return pod;
  }

  /** A volume as the PersistentVolume of a StatefulSet's claim: empty, group 1000 (fsGroup), setgid. */
  createVolume(name: string): string {
    const dir = join(this.work, `volume-${name}`);
    mkdirSync(dir);
    chownSync(dir, 0, 1000);
    chmodSync(dir, 0o2775);
    return dir;
  }

  /** A path of the image, as seen from this machine. */
  imagePath(path: string): string {
    let resolved = path;
    // /opt/zookeeper is a link to /opt/zk-ts-<version>: resolve it inside the image.
    const link = join(this.image, 'opt', 'zookeeper');
    if (resolved.startsWith('/opt/zookeeper/')) resolved = resolved.replace('/opt/zookeeper', readlinkSync(link));
    return join(this.image, resolved);
  }

  async destroy(): Promise<void> {
    for (const pod of this.#pods) await pod.delete(0);
    run('umount', ['-l', this.image], { allowFail: true });
    rmSync(this.work, { recursive: true, force: true });
  }
}

export class Pod {
  readonly name: string;
  readonly fqdn: string;
  readonly netns: string;
  readonly ip: string;
  readonly hostsFile: string;
  readonly volume: string;
  readonly #rehearsal: Rehearsal;
  readonly #hostVeth: string;
  #containers = 0;
  #deleted = false;
  current: Container | null = null;

  constructor(rehearsal: Rehearsal, name: string, service: string, index: number, volume: string) {
    this.#rehearsal = rehearsal;
    this.name = name;
    this.fqdn = `${name}.${service}.default.svc.cluster.local`;
    this.volume = volume;
    this.netns = `${NAME_PREFIX}-${String(process.pid)}-${String(index)}`;
    // A /30 per pod in 10.244.0.0/16 (a usual pod network); a new pod gets a new address.
    const base = ((process.pid % 64) * 1024 + index * 4) % 65536;
    const octets = (n: number): string => `10.244.${String(Math.floor(n / 256))}.${String(n % 256)}`;
    this.ip = octets(base + 2);
    this.#hostVeth = `vzk${String(process.pid % 100000)}x${String(index)}`.slice(0, 15);
    run('ip', ['netns', 'add', this.netns]);
    run('ip', ['link', 'add', this.#hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.netns]);
    run('ip', ['addr', 'add', `${octets(base + 1)}/30`, 'dev', this.#hostVeth]);
    run('ip', ['link', 'set', this.#hostVeth, 'up']);
    run('ip', ['-n', this.netns, 'addr', 'add', `${this.ip}/30`, 'dev', 'eth0']);
    run('ip', ['-n', this.netns, 'link', 'set', 'eth0', 'up']);
    run('ip', ['-n', this.netns, 'link', 'set', 'lo', 'up']);
    // The kubelet's hosts file for a pod with hostname and subdomain set (a StatefulSet pod).
    this.hostsFile = join(rehearsal.work, `hosts-${this.netns}`);
    writeFileSync(
      this.hostsFile,
      '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' +
        'fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n' +
        `${this.ip}\t${this.fqdn}\t${name}\n`,
    );
    chmodSync(this.hostsFile, 0o644);
  }

  /** Starts the manifest's command in a new container of this pod. */
  async startContainer(command: readonly string[], env: Readonly<Record<string, string>>): Promise<Container> {
    if (this.#deleted) throw new Error(`pod ${this.name} is deleted`);
    const id = this.#containers++;
    const scratch = join(this.#rehearsal.work, `container-${this.netns}-${String(id)}`);
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
          ZKR_IMAGE: this.#rehearsal.image,
          ZKR_VOLUME: this.volume,
          ZKR_HOSTS: this.hostsFile,
        },
        stdio: ['ignore', log, log],
      },
    );
    closeSync(log);
    const container = new Container(this, child, env, logPath);
    this.current = container;
    await container.waitForInit();
    return container;
  }

  /** Runs a command in the pod's network namespace only (as the pause container would see it). */
  execInNetwork(argv: readonly string[], env: Readonly<Record<string, string>>): Promise<number | null> {
    const envPairs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    return new Promise((resolve) => {
      const child = spawn('ip', ['netns', 'exec', this.netns, '/usr/bin/env', '-i', ...envPairs, ...argv], { stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve(status);
      });
    });
  }

  /** Deletes the pod: its container is stopped (SIGTERM, SIGKILL after the grace period), then the network. */
  async delete(graceMs: number): Promise<StopResult | null> {
    if (this.#deleted) return null;
    const result = this.current === null ? null : await this.current.stop(graceMs);
    this.#deleted = true;
    run('ip', ['netns', 'del', this.netns], { allowFail: true });
    return result;
  }
}

export interface StopResult {
  /** True if the container ended within the grace period, after SIGTERM alone. */
  readonly exitedOnSigterm: boolean;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class Container {
  readonly pod: Pod;
  readonly env: Readonly<Record<string, string>>;
  readonly logPath: string;
  readonly #child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  /** PID 1 of the container, as this machine sees it. */
  init = 0;

  constructor(pod: Pod, child: ChildProcess, env: Readonly<Record<string, string>>, logPath: string) {
    this.pod = pod;
    this.#child = child;
    this.env = env;
    this.logPath = logPath;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve({ code, signal });
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
    this.init = await waitForContainerInit(pid, () => this.running, () => this.log(), 200);
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

  /** The kubelet's readiness: initial delay, then a probe every period until one passes. */
  async waitReady(spec: ProbeSpec, scale: number, maxProbes = 30): Promise<number> {
    const started = Date.now();
    await sleep(spec.initialDelaySeconds * 1000 * scale);
    for (let i = 0; i < maxProbes; i++) {
      if (!this.running) throw new Error(`container exited before it was Ready:\n${this.log()}`);
      if (await this.probe(spec, scale)) return Date.now() - started;
      await sleep(spec.periodSeconds * 1000 * scale);
    }
    throw new Error(`not Ready after ${String(maxProbes)} probes:\n${this.log()}`);
  }

  /**
   * The kubelet's liveness loop: probes every period; after failureThreshold failures in a row the
   * container is killed. Returns the number of probes run, or -1 if it stayed alive for maxProbes.
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
    if (!inTime) {
      signal(this.init, 'SIGKILL');
      signal(this.#child.pid ?? 0, 'SIGKILL');
    }
    const exit = await this.exited;
    return { exitedOnSigterm: inTime, ...exit };
  }
}


