/**
 * Root mode: a network namespace per node, all attached by veth pairs to a bridge in a hub
 * namespace, node i at 127.0.1.i (route_localnet lets loopback-range addresses cross the veths; the
 * hub is 127.0.1.254). Every node uses the standard ports 2181/2888/3888 on its own address and
 * one zoo.cfg lists them all. Faults are nftables rules in each node's namespace (table
 * `inet jepsen`, input hook): a directed link `i -> j` is filtered on packets from 127.0.1.i
 * entering node j, so partitions drop packets as the kernel would (TCP retransmits, connect
 * attempts time out). Loss is `numgen random` drops, slow links a `limit rate` policer, flaky links
 * TCP resets; the kernel here has no netem, so delay, jitter and duplication are proxy-mode only.
 *
 * The harness stays in the initial namespace: a small forwarder in the hub listens on a unix
 * socket per node and a local proxy on 127.0.0.1 relays to it, so clients and four-letter words
 * reach every node through 127.0.0.1. Nothing is changed in the initial namespace. Namespaces are
 * named `zkj<pid>r<k>-...` after the harness's pid, so that a later run can delete those left by a
 * harness that died without cleaning up (see {@link sweepStaleNamespaces}).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { pidAlive } from '../../support/pid.js';
import { cleanups } from '../db/cleanup.js';
import { TcpProxy, type LinkPolicy } from './proxy.js';
import { type HostPort, type LinkPolicies, type NetCapability, type Network, type NodePlacement, parseLinkKey } from './network.js';

const run = promisify(execFile);

const SUBNET = '127.0.1';
const HUB_ADDRESS = `${SUBNET}.254`;
const ROOT_CAPABILITIES: ReadonlySet<NetCapability> = new Set(['partition', 'one-way', 'loss', 'bandwidth', 'reset']);

let counter = 0;

async function ip(args: readonly string[]): Promise<void> {
  await run('ip', [...args], { timeout: 10_000 });
}

async function inNs(ns: string, command: string, args: readonly string[], input?: string): Promise<string> {
  if (input === undefined) {
    const r = await run('ip', ['netns', 'exec', ns, command, ...args], { timeout: 10_000 });
    return r.stdout;
  }
  return new Promise<string>((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} in ${ns} failed (${String(code)}): ${err.trim()}`));
    });
    child.stdin.end(input);
  });
}

/** What root mode needs: root, `ip` with netns support, `nft`. Returns why not, or undefined. */
export async function rootModeUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'root mode needs root (run as root, or use --net proxy)';
  for (const tool of ['ip', 'nft']) {
    try {
      await run('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `root mode needs '${tool}' (Debian packages iproute2 and nftables)`;
    }
  }
  return undefined;
}

/** Deletes namespaces left by harness processes that no longer exist; returns their names. */
export async function sweepStaleNamespaces(): Promise<string[]> {
  let listing = '';
  try {
    listing = (await run('ip', ['netns', 'list'], { timeout: 10_000 })).stdout;
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const line of listing.split('\n')) {
    const name = line.trim().split(/\s+/)[0] ?? '';
    const m = /^zkj(\d+)r\d+-/.exec(name);
    if (m === null || pidAlive(Number(m[1]))) continue;
    try {
      await ip(['netns', 'del', name]);
      removed.push(name);
    } catch {
      // someone else removed it
    }
  }
  return removed;
}

/** The nftables rule (without the table) for packets of one directed link entering its target. */
function nftRule(fromAddress: string, p: LinkPolicy): string[] {
  const src = `ip saddr ${fromAddress}`;
  if (p.cut === true) return [`${src} drop`];
  const rules: string[] = [];
  if ((p.resetPct ?? 0) > 0) {
    const pct = Math.max(1, Math.min(100, Math.round(p.resetPct ?? 0)));
    rules.push(`${src} meta l4proto tcp numgen random mod 100 < ${pct} reject with tcp reset`);
  }
  if ((p.lossPct ?? 0) > 0) {
    const pct = Math.max(1, Math.min(100, Math.round(p.lossPct ?? 0)));
    rules.push(`${src} numgen random mod 100 < ${pct} drop`);
  }
  if (p.bandwidthBps !== undefined && p.bandwidthBps > 0) {
    const kbytes = Math.max(1, Math.round(p.bandwidthBps / 1024));
    rules.push(`${src} limit rate over ${kbytes} kbytes/second drop`);
  }
  return rules;
}

export class NetnsNetwork implements Network {
  readonly mode = 'root' as const;
  readonly capabilities = ROOT_CAPABILITIES;
  placements: readonly NodePlacement[] = [];
  private policies: LinkPolicies = new Map();
  private readonly namespaces: string[] = [];
  private readonly gateways: TcpProxy[] = [];
  private forwarder: ChildProcess | undefined;
  private unregister: (() => void) | undefined;
  private torn = false;

  private constructor(
    readonly prefix: string,
    readonly n: number,
    private readonly dir: string,
  ) {}

  nodeNamespace(id: number): string {
    return `${this.prefix}-n${id}`;
  }

  get hubNamespace(): string {
    return `${this.prefix}-hub`;
  }

  static address(id: number): string {
    return `${SUBNET}.${id}`;
  }

  /** Creates the namespaces, the bridge, the firewall tables and the client gateways. */
  static async create(n: number, dir: string): Promise<NetnsNetwork> {
    const why = await rootModeUnavailable();
    if (why !== undefined) throw new Error(why);
    await sweepStaleNamespaces();
    const net = new NetnsNetwork(`zkj${process.pid}r${counter++}`, n, dir);
    net.unregister = cleanups.add(`network namespaces ${net.prefix}-*`, () => net.teardown(), () => net.teardownSync());
    try {
      await net.setup();
    } catch (e) {
      await net.teardown();
      throw e;
    }
    return net;
  }

  private async addNamespace(name: string): Promise<void> {
    await ip(['netns', 'add', name]);
    this.namespaces.push(name);
    await ip(['-n', name, 'link', 'set', 'lo', 'up']);
  }

  private async localnet(ns: string, dev: string): Promise<void> {
    await inNs(ns, 'sysctl', ['-q', '-w', 'net.ipv4.conf.all.route_localnet=1', `net.ipv4.conf.${dev}.route_localnet=1`]);
  }

  private async setup(): Promise<void> {
    const hub = this.hubNamespace;
    await this.addNamespace(hub);
    await ip(['-n', hub, 'link', 'add', 'br0', 'type', 'bridge']);
    await ip(['-n', hub, 'link', 'set', 'br0', 'up']);
    await this.localnet(hub, 'br0');
    await ip(['-n', hub, 'addr', 'add', `${HUB_ADDRESS}/24`, 'dev', 'br0']);
    for (let i = 1; i <= this.n; i++) {
      const ns = this.nodeNamespace(i);
      await this.addNamespace(ns);
      await ip(['-n', hub, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await ip(['-n', hub, 'link', 'set', `v${i}`, 'master', 'br0']);
      await ip(['-n', hub, 'link', 'set', `v${i}`, 'up']);
      await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      await this.localnet(ns, 'eth0');
      await ip(['-n', ns, 'addr', 'add', `${NetnsNetwork.address(i)}/24`, 'dev', 'eth0']);
      await this.writeRules(i);
    }
    // the forwarder in the hub: one unix socket per node -> 127.0.1.i:2181
    const specs: [string, string, number][] = [];
    for (let i = 1; i <= this.n; i++) specs.push([join(this.dir, `gw-n${i}.sock`), NetnsNetwork.address(i), 2181]);
    const script = [
      "const net = require('node:net'); const fs = require('node:fs');",
      'const specs = JSON.parse(process.argv[1]);',
      'for (const [path, host, port] of specs) {',
      '  try { fs.unlinkSync(path); } catch {}',
      '  net.createServer((a) => { const b = net.connect({ host, port });',
      "    for (const [x, y] of [[a, b], [b, a]]) { x.on('error', () => { a.destroy(); b.destroy(); }); x.on('close', () => { a.destroy(); b.destroy(); }); x.pipe(y); }",
      '  }).listen(path);',
      '}',
      "process.stdin.on('end', () => process.exit(0)); process.stdin.on('close', () => process.exit(0)); process.stdin.resume();",
      "console.log('ready');",
    ].join('\n');
    const fwd = spawn('ip', ['netns', 'exec', hub, process.execPath, '-e', script, JSON.stringify(specs)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.forwarder = fwd;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the hub forwarder did not start within 10 s')), 10_000);
      fwd.stdout?.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
      fwd.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the hub forwarder exited (${String(code)})`));
      });
    });
    const placements: NodePlacement[] = [];
    for (let i = 1; i <= this.n; i++) {
      const path = specs[i - 1]?.[0] ?? '';
      const gw = new TcpProxy({ name: `client gateway n${i}`, listen: { host: '127.0.0.1', port: 0 }, target: { path } });
      await gw.start();
      this.gateways.push(gw);
      const addr = NetnsNetwork.address(i);
      const peers = new Map<number, { quorum: HostPort; election: HostPort }>();
      for (let j = 1; j <= this.n; j++) {
        if (j !== i) peers.set(j, { quorum: { host: NetnsNetwork.address(j), port: 2888 }, election: { host: NetnsNetwork.address(j), port: 3888 } });
      }
      placements.push({
        id: i,
        client: { host: addr, port: 2181 },
        quorum: { host: addr, port: 2888 },
        election: { host: addr, port: 3888 },
        peers,
        clientAccess: { host: '127.0.0.1', port: gw.port },
        netns: this.nodeNamespace(i),
      });
    }
    this.placements = placements;
  }

  private async writeRules(target: number): Promise<void> {
    const rules: string[] = [];
    for (const [key, p] of this.policies) {
      const { from, to } = parseLinkKey(key);
      if (to === target) rules.push(...nftRule(NetnsNetwork.address(from), p));
    }
    const script = [
      'table inet jepsen {}',
      'delete table inet jepsen',
      'table inet jepsen {',
      '  chain input {',
      '    type filter hook input priority 0; policy accept;',
      ...rules.map((r) => `    ${r}`),
      '  }',
      '}',
      '',
    ].join('\n');
    await inNs(this.nodeNamespace(target), 'nft', ['-f', '-'], script);
  }

  async apply(policies: LinkPolicies): Promise<void> {
    this.policies = new Map(policies);
    for (let i = 1; i <= this.n; i++) await this.writeRules(i);
  }

  heal(): Promise<void> {
    return this.apply(new Map());
  }

  current(): LinkPolicies {
    return this.policies;
  }

  /** The nftables ruleset of a node's namespace (for the report and tests). */
  async ruleset(id: number): Promise<string> {
    return inNs(this.nodeNamespace(id), 'nft', ['list', 'ruleset']);
  }

  describe(): string {
    return `root: ${this.n} network namespaces ${this.prefix}-n1..n${this.n} on a bridge in ${this.hubNamespace}, nodes at ${SUBNET}.1-${this.n}, nftables faults`;
  }

  async teardown(): Promise<void> {
    if (this.torn) return;
    this.torn = true;
    this.unregister?.();
    for (const gw of this.gateways) await gw.close();
    if (this.forwarder !== undefined && this.forwarder.exitCode === null) {
      this.forwarder.stdin?.end();
      this.forwarder.kill('SIGKILL');
    }
    for (const ns of [...this.namespaces].reverse()) {
      try {
        await ip(['netns', 'del', ns]);
      } catch {
        // already gone
      }
    }
    this.namespaces.length = 0;
    for (let i = 1; i <= this.n; i++) {
      const path = join(this.dir, `gw-n${i}.sock`);
      if (existsSync(path)) {
        try {
          execFileSync('rm', ['-f', path]);
        } catch {
          // ignore
        }
      }
    }
  }

  /** For the 'exit' hook. */
  teardownSync(): void {
    if (this.torn) return;
    this.torn = true;
    try {
      this.forwarder?.kill('SIGKILL');
    } catch {
      // ignore
    }
    for (const ns of [...this.namespaces].reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000 });
      } catch {
        // ignore
      }
    }
    this.namespaces.length = 0;
  }
}
