// Launches an ensemble of our servers as real processes on 127.0.0.1, the way operators run one:
// one zoo.cfg per member with the same server.N lines, a dataDir holding myid, and
// `bin/zkServer.sh start-foreground <zoo.cfg>`. Members can be stopped (SIGTERM), killed (SIGKILL),
// paused (SIGSTOP/SIGCONT) and started again on the same data dir; the launcher finds the leader by
// asking every member `srvr`, and reads the members' JSON-line logs for evidence.

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePorts } from '../support/free-port.js';
import { sendFourLetterWord } from '../support/four-letter.js';
import { projectRoot, zkServerScript } from '../support/our-server.js';
import { spawnManaged, type ExitInfo, type ManagedProcess } from '../support/processes.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { sleep } from '../support/zk-wait.js';

export type Mode = 'leader' | 'follower' | 'observer' | 'standalone' | 'read-only' | 'notServing' | 'down';

export interface SrvrInfo {
  readonly mode: Mode;
  /** The Zxid line of `srvr` (the last applied txn), or null when the member does not serve. */
  readonly zxid: bigint | null;
  readonly nodeCount: number | null;
}

/** One JSON line of a member's log (pino). */
export type LogLine = Readonly<Record<string, unknown>> & { readonly msg: string; readonly time: string; readonly level: number };

export interface EnsembleOptions {
  readonly size: number;
  /** Prefix of the temp dir. */
  readonly name?: string;
  readonly tickTime?: number;
  readonly initLimit?: number;
  readonly syncLimit?: number;
  /** More zoo.cfg lines for every member. */
  readonly extraCfg?: Readonly<Record<string, string>>;
  /**
   * How many of the members are observers (`server.N=...:observer` and `peerType=observer`): the
   * last ones, so `size: 4, observers: 1` is three voters (1-3) and observer 4.
   */
  readonly observers?: number;
  /** Start each member's AdminServer on a port of its own (Member.adminPort). */
  readonly adminServer?: boolean;
  /** SERVER_JVMFLAGS of every member (-D system properties such as -Dreadonlymode.enabled=true). */
  readonly jvmFlags?: string;
}

export interface QuorumView {
  readonly leader: Member;
  readonly followers: readonly Member[];
  readonly observers: readonly Member[];
  /** ms from the call until the view was seen. */
  readonly elapsedMs: number;
}

export class Member {
  readonly id: number;
  readonly clientPort: number;
  readonly quorumPort: number;
  readonly electionPort: number;
  /** The AdminServer's port (0 when the ensemble runs without AdminServers). */
  readonly adminPort: number;
  readonly observer: boolean;
  readonly dir: string;
  readonly dataDir: string;
  readonly cfgPath: string;
  readonly logPath: string;
  #proc: ManagedProcess | null = null;
  #paused = false;
  /** Length of the log file when the current incarnation started. */
  #logStart = 0;
  /** Number of times the member was started. */
  incarnations = 0;
  /** SERVER_JVMFLAGS for the next start. */
  jvmFlags = '';

  constructor(id: number, ports: { client: number; quorum: number; election: number; admin: number }, dir: string, observer = false) {
    this.id = id;
    this.clientPort = ports.client;
    this.quorumPort = ports.quorum;
    this.electionPort = ports.election;
    this.adminPort = ports.admin;
    this.observer = observer;
    this.dir = dir;
    this.dataDir = join(dir, 'data');
    this.cfgPath = join(dir, 'zoo.cfg');
    this.logPath = join(dir, 'server.log');
  }

  get hostPort(): string {
    return `127.0.0.1:${String(this.clientPort)}`;
  }

  get pid(): number | null {
    return this.#proc?.pid ?? null;
  }

  /** True while the process runs (paused counts as running). */
  isRunning(): boolean {
    return this.#proc !== null && this.#proc.exitInfo() === undefined;
  }

  /** How the current incarnation ended, if it did. */
  exitInfo(): ExitInfo | undefined {
    return this.#proc?.exitInfo();
  }

  start(): void {
    if (this.isRunning()) throw new Error(`member ${String(this.id)} is already running`);
    this.#logStart = this.#proc === null ? 0 : this.#proc.readLog().length;
    this.incarnations++;
    this.#paused = false;
    this.#proc = spawnManaged(zkServerScript(), ['start-foreground', this.cfgPath], {
      cwd: this.dir,
      logPath: this.logPath,
      env: { ...process.env, SERVER_JVMFLAGS: this.jvmFlags, JVMFLAGS: '' },
    });
  }

  /** SIGTERM (SIGKILL after the grace period); resolves once the process is gone. */
  async stop(graceMs = 5000): Promise<void> {
    const proc = this.#proc;
    if (proc === null) return;
    if (this.#paused) this.resume();
    await proc.stop(graceMs);
  }

  /** SIGKILL, no chance to flush or say goodbye; resolves once the process is gone. */
  async kill(): Promise<void> {
    const proc = this.#proc;
    if (proc === null || proc.exitInfo() !== undefined) return;
    signal(proc.pid, 'SIGKILL');
    await proc.exited;
    this.#paused = false;
  }

  /** SIGSTOP: the process keeps its sockets but does nothing (a frozen VM, a long GC pause). */
  pause(): void {
    const proc = this.#proc;
    if (proc === null || proc.exitInfo() !== undefined) throw new Error(`member ${String(this.id)} is not running`);
    signal(proc.pid, 'SIGSTOP');
    this.#paused = true;
  }

  resume(): void {
    const proc = this.#proc;
    if (proc === null) return;
    signal(proc.pid, 'SIGCONT');
    this.#paused = false;
  }

  async srvr(timeoutMs = 2000): Promise<SrvrInfo> {
    let text: string;
    try {
      text = await sendFourLetterWord(this.clientPort, 'srvr', '127.0.0.1', timeoutMs);
    } catch {
      return { mode: 'down', zxid: null, nodeCount: null };
    }
    return parseSrvr(text);
  }

  /** Any four-letter word's answer (the ensembles allow them all). */
  fourLetterWord(word: string, timeoutMs = 2000): Promise<string> {
    return sendFourLetterWord(this.clientPort, word, '127.0.0.1', timeoutMs);
  }

  /** The whole log file (every incarnation). */
  readLog(): string {
    return this.#proc?.readLog() ?? '';
  }

  /** Parsed log lines, of the current incarnation only unless `all`. */
  logLines(all = false): LogLine[] {
    const text = this.readLog();
    return parseLogLines(all ? text : text.slice(this.#logStart));
  }

  /** Log lines (current incarnation) whose msg matches. */
  logged(msg: string | RegExp): LogLine[] {
    return this.logLines().filter((line) => (typeof msg === 'string' ? line.msg === msg : msg.test(line.msg)));
  }

  /** A position in the log file, to look at what was logged after it with `loggedSince`. */
  logMark(): number {
    return this.readLog().length;
  }

  /** Log lines written after `mark` (any incarnation) whose msg matches. */
  loggedSince(mark: number, msg: string | RegExp): LogLine[] {
    return parseLogLines(this.readLog().slice(mark)).filter((line) => (typeof msg === 'string' ? line.msg === msg : msg.test(line.msg)));
  }

  /** The last `count` lines of the log, for failure messages. */
  logTail(count = 40): string {
    const lines = this.readLog().trimEnd().split('\n');
    return lines.slice(-count).join('\n');
  }
}

export function parseSrvr(text: string): SrvrInfo {
  const mode = /^Mode: ([\w-]+)/m.exec(text)?.[1];
  if (mode === undefined) return { mode: 'notServing', zxid: null, nodeCount: null };
  const zxidText = /^Zxid: (0x[0-9a-fA-F]+)/m.exec(text)?.[1];
  const nodes = /^Node count: (\d+)/m.exec(text)?.[1];
  const known: readonly Mode[] = ['leader', 'follower', 'observer', 'standalone', 'read-only'];
  const parsed = known.find((m) => m === mode);
  if (parsed === undefined) throw new Error(`unexpected srvr mode ${mode}:\n${text}`);
  return { mode: parsed, zxid: zxidText === undefined ? null : BigInt(zxidText), nodeCount: nodes === undefined ? null : Number(nodes) };
}

export function parseLogLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.startsWith('{')) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const record = value as Record<string, unknown>;
    if (typeof record['msg'] !== 'string') continue;
    out.push(record as LogLine);
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  // Members are started detached (their own process group); zkServer.sh execs node, so the group
  // is the server. Signal the group, falling back to the pid.
  try {
    process.kill(-pid, sig);
    return;
  } catch {
    // not a group leader
  }
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}

export class Ensemble {
  readonly root: string;
  readonly members: readonly Member[];
  readonly options: Required<Omit<EnsembleOptions, 'extraCfg' | 'name' | 'observers' | 'adminServer' | 'jvmFlags'>> & { extraCfg: Readonly<Record<string, string>> };

  private constructor(root: string, members: Member[], options: Ensemble['options']) {
    this.root = root;
    this.members = members;
    this.options = options;
  }

  /** Writes the configs and data dirs (nothing is started). */
  static async create(options: EnsembleOptions): Promise<Ensemble> {
    const entry = join(projectRoot(), 'dist', 'src', 'cli', 'zk-server.js');
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`);
    const resolved = {
      size: options.size,
      tickTime: options.tickTime ?? 500,
      initLimit: options.initLimit ?? 10,
      syncLimit: options.syncLimit ?? 4,
      extraCfg: options.extraCfg ?? {},
    };
    const root = await makeTempDir(options.name ?? `zk-ensemble-${String(options.size)}`);
    try {
      const perMember = options.adminServer === true ? 4 : 3;
      // Below the ephemeral range: a member binds its election and quorum ports later than they
      // are chosen, and meanwhile an outgoing connection may take a port from that range.
      const ports = await freePorts(perMember * options.size);
      const firstObserver = options.size - (options.observers ?? 0);
      const members: Member[] = [];
      for (let i = 0; i < options.size; i++) {
        const id = i + 1;
        const at = (k: number): number => {
          const port = ports[perMember * i + k];
          if (port === undefined) throw new Error('not enough ports');
          return port;
        };
        const admin = options.adminServer === true ? at(3) : 0;
        const member = new Member(id, { client: at(0), quorum: at(1), election: at(2), admin }, join(root, `member-${String(id)}`), i >= firstObserver);
        member.jvmFlags = options.jvmFlags ?? '';
        members.push(member);
      }
      const serverLines = members.map(
        (m) => `server.${String(m.id)}=127.0.0.1:${String(m.quorumPort)}:${String(m.electionPort)}${m.observer ? ':observer' : ''}`,
      );
      for (const member of members) {
        await mkdir(member.dataDir, { recursive: true });
        await writeFile(join(member.dataDir, 'myid'), `${String(member.id)}\n`);
        const cfg: Record<string, string> = {
          tickTime: String(resolved.tickTime),
          initLimit: String(resolved.initLimit),
          syncLimit: String(resolved.syncLimit),
          dataDir: member.dataDir,
          clientPort: String(member.clientPort),
          clientPortAddress: '127.0.0.1',
          ...(member.adminPort === 0
            ? { 'admin.enableServer': 'false' }
            : { 'admin.enableServer': 'true', 'admin.serverAddress': '127.0.0.1', 'admin.serverPort': String(member.adminPort) }),
          '4lw.commands.whitelist': '*',
          ...(member.observer ? { peerType: 'observer' } : {}),
          ...resolved.extraCfg,
        };
        const lines = [...Object.entries(cfg).map(([k, v]) => `${k}=${v}`), ...serverLines];
        await writeFile(member.cfgPath, `${lines.join('\n')}\n`);
      }
      return new Ensemble(root, members, resolved);
    } catch (error) {
      await removeTempDir(root);
      throw error;
    }
  }

  /** Creates, starts every member and waits for one leader, the other voters following and the observers observing. */
  static async start(options: EnsembleOptions & { timeoutMs?: number }): Promise<{ ensemble: Ensemble; quorum: QuorumView }> {
    const ensemble = await Ensemble.create(options);
    try {
      ensemble.startAll();
      const quorum = await ensemble.waitForQuorum({ timeoutMs: options.timeoutMs ?? 30_000 });
      return { ensemble, quorum };
    } catch (error) {
      await ensemble.destroy();
      throw error;
    }
  }

  member(id: number): Member {
    const member = this.members.find((m) => m.id === id);
    if (member === undefined) throw new Error(`no member ${String(id)}`);
    return member;
  }

  running(): Member[] {
    return this.members.filter((m) => m.isRunning());
  }

  startAll(): void {
    for (const member of this.members) if (!member.isRunning()) member.start();
  }

  async stopAll(graceMs = 5000): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop(graceMs)));
  }

  /** Stops every member and removes the temp dir (set ZK_ENSEMBLE_KEEP=1 to keep it for a post-mortem). */
  async destroy(): Promise<void> {
    try {
      await this.stopAll(3000);
    } finally {
      if (process.env['ZK_ENSEMBLE_KEEP'] === '1') process.stderr.write(`ensemble kept in ${this.root}\n`);
      else await removeTempDir(this.root);
    }
  }

  /** `srvr` of every member, in id order. */
  async views(members: readonly Member[] = this.members): Promise<Map<number, SrvrInfo>> {
    const infos = await Promise.all(members.map(async (m) => [m.id, await m.srvr()] as const));
    return new Map(infos);
  }

  /**
   * Polls until exactly one of `members` (default: every running member) says leader, every other
   * voter says follower and every observer says observer. Fails at once if a member that should
   * run has exited.
   */
  async waitForQuorum(options: { timeoutMs?: number; members?: readonly Member[] } = {}): Promise<QuorumView> {
    const started = Date.now();
    const deadline = started + (options.timeoutMs ?? 20_000);
    let last = '';
    for (;;) {
      const members = options.members ?? this.running();
      const dead = members.filter((m) => !m.isRunning());
      if (dead.length > 0) {
        throw new Error(
          `member(s) ${dead.map((m) => `${String(m.id)} (${JSON.stringify(m.exitInfo())})`).join(', ')} exited while waiting for a quorum\n${this.logTails(dead)}`,
        );
      }
      const views = await this.views(members);
      const leaders = members.filter((m) => !m.observer && views.get(m.id)?.mode === 'leader');
      const followers = members.filter((m) => !m.observer && views.get(m.id)?.mode === 'follower');
      const observers = members.filter((m) => m.observer && views.get(m.id)?.mode === 'observer');
      const leader = leaders[0];
      if (leaders.length === 1 && leader !== undefined && followers.length + observers.length === members.length - 1) {
        return { leader, followers, observers, elapsedMs: Date.now() - started };
      }
      last = [...views.entries()].map(([id, v]) => `${String(id)}=${v.mode}`).join(' ');
      if (Date.now() >= deadline) {
        throw new Error(`no stable quorum within ${String(deadline - started)} ms (last: ${last})\n${this.logTails(members)}`);
      }
      await sleep(50);
    }
  }

  /** The member that says leader right now, or null. */
  async leader(): Promise<Member | null> {
    const views = await this.views(this.running());
    const leaders = this.running().filter((m) => views.get(m.id)?.mode === 'leader');
    return leaders.length === 1 ? (leaders[0] ?? null) : null;
  }

  /** Polls until every given member serves and reports the same Zxid; returns it. */
  async waitForSameZxid(members: readonly Member[] = this.running(), timeoutMs = 10_000): Promise<bigint> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const views = await this.views(members);
      const zxids = [...views.values()].map((v) => v.zxid);
      const first = zxids[0];
      if (first !== undefined && first !== null && zxids.every((z) => z === first)) return first;
      last = [...views.entries()].map(([id, v]) => `${String(id)}=${v.mode}/${v.zxid === null ? '-' : `0x${v.zxid.toString(16)}`}`).join(' ');
      if (Date.now() >= deadline) throw new Error(`zxids did not agree within ${String(timeoutMs)} ms: ${last}`);
      await sleep(50);
    }
  }

  connectString(members: readonly Member[] = this.members): string {
    return members.map((m) => m.hostPort).join(',');
  }

  /** The log tails of the given members, for failure messages. */
  logTails(members: readonly Member[] = this.members, lines = 25): string {
    return members.map((m) => `--- member ${String(m.id)} (${m.logPath}) ---\n${m.logTail(lines)}`).join('\n');
  }
}
