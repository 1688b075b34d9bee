/**
 * The launcher: N servers (3 or 5) on this machine, each with its own directory (zoo.cfg, data dir
 * with myid, log file) and its own client, quorum and election ports, started through a command
 * template (Apache ZooKeeper's QuorumPeerMain, or our `bin/zkServer.sh start-foreground <zoo.cfg>`),
 * over a {@link Network} (proxy or root mode). It waits for a quorum (every running node answers
 * `srvr` with Mode leader or follower) and gives the nemeses what they act on: kill, stop, pause,
 * resume and restart a node, find the leader.
 *
 * Everything it starts is registered in the cleanup registry, so teardown also happens on a
 * failure or a signal.
 */
import { existsSync, mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';

import { sendFourLetterWord } from '../../support/four-letter.js';
import { spawnManaged, type ManagedProcess } from '../../support/processes.js';
import { projectRoot } from '../../support/our-server.js';
import { NetnsNetwork } from '../net/netns.js';
import { ProxyNetwork, type NetMode, type Network, type NodePlacement } from '../net/network.js';
import { Rng } from '../runner/rng.js';
import { HOOKS_ENV } from '../nemesis/hooks.js';
import { cleanups } from './cleanup.js';

export type ServerKind = 'java' | 'ours';

export const JAVA_CLASSPATH = ['/etc/zookeeper/conf', '/usr/share/java/zookeeper.jar', '/usr/share/java/slf4j-simple.jar'].join(':');

/**
 * Default command templates. Placeholders: {cfg} (zoo.cfg path), {dir} (the node's directory),
 * {data} (its data dir), {id} (its id), {root} (the repository root), {log} (its log file).
 */
export const DEFAULT_COMMANDS: Readonly<Record<ServerKind, string>> = {
  java: `java -Xmx256m -XX:+UseSerialGC -Dzookeeper.log.dir={dir} -cp ${JAVA_CLASSPATH} org.apache.zookeeper.server.quorum.QuorumPeerMain {cfg}`,
  ours: '{root}/bin/zkServer.sh start-foreground {cfg}',
};

export interface EnsembleOptions {
  readonly nodes: number;
  readonly server: ServerKind;
  /** Command template overriding DEFAULT_COMMANDS[server]. */
  readonly command?: string;
  readonly net: NetMode;
  /** The run's directory: node n<i> lives in <dir>/n<i>. */
  readonly dir: string;
  readonly seed: number;
  readonly tickTime?: number;
  readonly initLimit?: number;
  readonly syncLimit?: number;
  readonly snapCount?: number;
  readonly extraCfg?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
  /** How long start() waits for a quorum (default 60 s). */
  readonly quorumTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface Srvr {
  readonly mode: string;
  readonly zxid?: bigint;
  readonly raw: string;
}

export interface EnsembleNode {
  readonly id: number;
  readonly name: string;
  readonly dir: string;
  readonly dataDir: string;
  readonly cfgPath: string;
  readonly logPath: string;
  readonly placement: NodePlacement;
  proc: ManagedProcess | undefined;
  paused: boolean;
  starts: number;
}

/** Splits a command template into words (single and double quotes group words). */
export function splitCommand(template: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let has = false;
  for (const ch of template) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur !== '') words.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
    }
  }
  if (quote !== undefined) throw new Error(`unterminated quote in command template: ${template}`);
  if (has || cur !== '') words.push(cur);
  return words;
}

export function fillTemplate(words: readonly string[], values: Readonly<Record<string, string>>): string[] {
  return words.map((w) => w.replace(/\{(\w+)\}/g, (all, key: string) => values[key] ?? all));
}

export function parseSrvr(text: string): Srvr | undefined {
  const mode = /^Mode: (\S+)/m.exec(text)?.[1];
  if (mode === undefined) return undefined;
  const zxid = /^Zxid: (0x[0-9a-fA-F]+)/m.exec(text)?.[1];
  return zxid === undefined ? { mode, raw: text } : { mode, zxid: BigInt(zxid), raw: text };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class Ensemble {
  readonly nodes: EnsembleNode[] = [];
  private torn = false;
  private readonly unregister: () => void;
  private readonly words: string[];

  private constructor(
    readonly options: EnsembleOptions,
    readonly network: Network,
    private readonly unregisterNetwork: () => void,
  ) {
    this.words = splitCommand(options.command ?? DEFAULT_COMMANDS[options.server]);
    this.unregister = cleanups.add('ensemble processes', () => this.stopProcesses(), () => this.killProcessesSync());
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  /** Creates the network, writes every node's files, starts them all and waits for a quorum. */
  static async start(options: EnsembleOptions): Promise<Ensemble> {
    if (options.nodes < 1 || options.nodes > 9) throw new Error(`--nodes must be between 1 and 9, got ${options.nodes}`);
    mkdirSync(options.dir, { recursive: true });
    const rng = new Rng(options.seed).fork('network');
    const network = options.net === 'root' ? await NetnsNetwork.create(options.nodes, options.dir) : await ProxyNetwork.create(options.nodes, rng);
    const unregisterNet = options.net === 'proxy' ? cleanups.add('link proxies', () => network.teardown()) : () => undefined;
    const ensemble = new Ensemble(options, network, unregisterNet);
    try {
      for (const placement of network.placements) ensemble.prepareNode(placement);
      for (const node of ensemble.nodes) ensemble.spawn(node);
      await ensemble.waitForQuorum(options.quorumTimeoutMs ?? 60_000);
    } catch (e) {
      await ensemble.teardown();
      throw e;
    }
    return ensemble;
  }

  private prepareNode(p: NodePlacement): void {
    const o = this.options;
    const name = `n${p.id}`;
    const dir = join(o.dir, name);
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'myid'), `${p.id}\n`);
    const cfg: [string, string][] = [
      ['tickTime', String(o.tickTime ?? 1000)],
      ['initLimit', String(o.initLimit ?? 10)],
      ['syncLimit', String(o.syncLimit ?? 5)],
      ['dataDir', dataDir],
      ['clientPort', String(p.client.port)],
      ['clientPortAddress', p.client.host],
      ['snapCount', String(o.snapCount ?? 2000)],
      ['admin.enableServer', 'false'],
      ['4lw.commands.whitelist', '*'],
      ['maxClientCnxns', '0'],
      ['autopurge.purgeInterval', '0'],
    ];
    for (const [k, v] of Object.entries(o.extraCfg ?? {})) {
      const i = cfg.findIndex(([key]) => key === k);
      if (i >= 0) cfg[i] = [k, v];
      else cfg.push([k, v]);
    }
    for (let j = 1; j <= o.nodes; j++) {
      if (j === p.id) {
        cfg.push([`server.${j}`, `${p.quorum.host}:${p.quorum.port}:${p.election.port}`]);
      } else {
        const peer = p.peers.get(j);
        if (peer === undefined) throw new Error(`no placement of node ${j} as seen by node ${p.id}`);
        cfg.push([`server.${j}`, `${peer.quorum.host}:${peer.quorum.port}:${peer.election.port}`]);
      }
    }
    const cfgPath = join(dir, 'zoo.cfg');
    writeFileSync(cfgPath, `# written by the jepsen launcher for node ${p.id}\n${cfg.map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
    this.nodes.push({ id: p.id, name, dir, dataDir, cfgPath, logPath: join(dir, 'server.log'), placement: p, proc: undefined, paused: false, starts: 0 });
  }

  node(id: number): EnsembleNode {
    const n = this.nodes[id - 1];
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  get ids(): number[] {
    return this.nodes.map((n) => n.id);
  }

  /** The command line a node is started with. */
  commandLine(node: EnsembleNode): string[] {
    const words = fillTemplate(this.words, {
      cfg: node.cfgPath,
      dir: node.dir,
      data: node.dataDir,
      id: String(node.id),
      root: projectRoot(),
      log: node.logPath,
    });
    const ns = node.placement.netns;
    return ns === undefined ? words : ['ip', 'netns', 'exec', ns, ...words];
  }

  private spawn(node: EnsembleNode): void {
    const [command, ...args] = this.commandLine(node);
    if (command === undefined) throw new Error('empty server command');
    node.starts++;
    appendFileSync(node.logPath, `=== jepsen: start #${node.starts} of ${node.name} at ${new Date().toISOString()}: ${[command, ...args].join(' ')}\n`);
    node.proc = spawnManaged(command, args, {
      cwd: node.dir,
      logPath: node.logPath,
      env: { ...process.env, ...this.options.env, ZOO_LOG_DIR: node.dir, [HOOKS_ENV]: this.hooksSocket(node.id) },
    });
    node.paused = false;
  }

  /** The unix socket where a node's server may offer test hooks (see nemesis/hooks.ts). */
  hooksSocket(id: number): string {
    return join(this.node(id).dir, 'hooks.sock');
  }

  isRunning(id: number): boolean {
    const n = this.node(id);
    return n.proc !== undefined && n.proc.exitInfo() === undefined;
  }

  /** Starts a node that is not running (no-op when it is). */
  async startNode(id: number): Promise<void> {
    if (this.torn) return;
    const n = this.node(id);
    if (this.isRunning(id)) return;
    this.spawn(n);
    await Promise.resolve();
  }

  /** Sends a signal to the node's process group; SIGKILL waits until it is gone. */
  async signalNode(id: number, signal: NodeJS.Signals): Promise<boolean> {
    const n = this.node(id);
    const proc = n.proc;
    if (proc === undefined || proc.exitInfo() !== undefined) return false;
    try {
      process.kill(-proc.pid, signal);
    } catch {
      try {
        process.kill(proc.pid, signal);
      } catch {
        return false;
      }
    }
    if (signal === 'SIGSTOP') n.paused = true;
    if (signal === 'SIGCONT') n.paused = false;
    if (signal === 'SIGKILL') {
      n.paused = false;
      await Promise.race([proc.exited, sleep(10_000)]);
    }
    return true;
  }

  killNode(id: number): Promise<boolean> {
    return this.signalNode(id, 'SIGKILL');
  }

  /** SIGTERM (after SIGCONT if paused), SIGKILL after the grace period. */
  async stopNode(id: number, graceMs = 10_000): Promise<void> {
    const n = this.node(id);
    const proc = n.proc;
    if (proc === undefined || proc.exitInfo() !== undefined) return;
    if (n.paused) await this.signalNode(id, 'SIGCONT');
    await proc.stop(graceMs);
    n.paused = false;
  }

  pauseNode(id: number): Promise<boolean> {
    return this.signalNode(id, 'SIGSTOP');
  }

  resumeNode(id: number): Promise<boolean> {
    return this.signalNode(id, 'SIGCONT');
  }

  async srvr(id: number, timeoutMs = 2000): Promise<Srvr | undefined> {
    const a = this.node(id).placement.clientAccess;
    try {
      return parseSrvr(await sendFourLetterWord(a.port, 'srvr', a.host, timeoutMs));
    } catch {
      return undefined;
    }
  }

  /** The id of the node whose srvr says leader (the first found), if any. */
  async leader(): Promise<number | undefined> {
    const answers = await Promise.all(this.ids.map(async (id) => ({ id, s: this.isRunning(id) && !this.node(id).paused ? await this.srvr(id) : undefined })));
    return answers.find((a) => a.s?.mode === 'leader')?.id;
  }

  /** Every node's srvr mode (or 'down', 'paused', 'no answer'). */
  async modes(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const n of this.nodes) {
      if (!this.isRunning(n.id)) out[n.name] = 'down';
      else if (n.paused) out[n.name] = 'paused';
      else out[n.name] = (await this.srvr(n.id))?.mode ?? 'no answer';
    }
    return out;
  }

  /**
   * Waits until every node in `ids` (default: all) answers srvr with Mode leader or follower (one
   * of them leader). Throws after the timeout, or at once when a node's process has exited.
   */
  async waitForQuorum(timeoutMs: number, ids: readonly number[] = this.ids): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: Record<string, string> = {};
    for (let round = 0; Date.now() < deadline && round < 100_000; round++) {
      for (const id of ids) {
        const proc = this.node(id).proc;
        const exit = proc?.exitInfo();
        if (proc === undefined || exit !== undefined) {
          const tail = proc?.readLog().slice(-2000) ?? '';
          throw new Error(`node n${id} is not running (exit ${JSON.stringify(exit)}); log tail:\n${tail}`);
        }
      }
      const answers = await Promise.all(ids.map((id) => this.srvr(id, 1000)));
      last = Object.fromEntries(ids.map((id, i) => [`n${id}`, answers[i]?.mode ?? 'no answer']));
      if (answers.every((a) => a !== undefined && (a.mode === 'leader' || a.mode === 'follower')) && answers.some((a) => a?.mode === 'leader')) {
        this.log(`quorum: ${JSON.stringify(last)}`);
        return;
      }
      await sleep(200);
    }
    throw new Error(`no quorum within ${timeoutMs} ms: ${JSON.stringify(last)}`);
  }

  /** host:port of the nodes' client ports as the harness reaches them. */
  connectString(ids: readonly number[] = this.ids): string {
    return ids.map((id) => {
      const a = this.node(id).placement.clientAccess;
      return `${a.host}:${a.port}`;
    }).join(',');
  }

  private async stopProcesses(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (n) => {
        const proc = n.proc;
        if (proc === undefined || proc.exitInfo() !== undefined) return;
        if (n.paused) {
          try {
            process.kill(-proc.pid, 'SIGCONT');
          } catch {
            // gone
          }
        }
        await proc.stop(5000);
      }),
    );
  }

  private killProcessesSync(): void {
    for (const n of this.nodes) {
      const pid = n.proc?.pid;
      if (pid === undefined || n.proc?.exitInfo() !== undefined) continue;
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  }

  private async teardownNetwork(): Promise<void> {
    this.unregisterNetwork();
    await this.network.teardown();
  }

  /** Stops every node, then removes the network. Idempotent. */
  async teardown(): Promise<void> {
    if (this.torn) return;
    this.torn = true;
    try {
      await this.stopProcesses();
    } finally {
      this.unregister();
      await this.teardownNetwork();
    }
  }

  get tornDown(): boolean {
    return this.torn;
  }

  /** True when the data dir exists (for the report). */
  hasData(id: number): boolean {
    return existsSync(join(this.node(id).dataDir, 'version-2'));
  }
}
