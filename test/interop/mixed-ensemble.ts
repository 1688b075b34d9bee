// A launcher for mixed ensembles on 127.0.0.1: each member is either Apache ZooKeeper 3.8 (the
// Debian package, started as QuorumPeerMain) or our server (bin/zkServer.sh start-foreground), with
// its own data dir, myid and client port, and the same `server.N` lines in every zoo.cfg (but for
// joiners, which only their own zoo.cfg lists until a reconfig adds them). Members
// are started, SIGKILLed and restarted one by one (their data dirs survive restarts), so a test can
// decide who leads: a fresh ensemble elects the highest myid among the first quorum to start; later
// the highest zxid, then the highest myid wins.
//
// Optionally every member's quorum and election ports are reached through taps (quorum-tap.ts,
// election-tap.ts) that record the packets and notifications crossing them, for finding protocol
// differences. The taps change timing a little; the regression tests run without them.
//
// Logs: each member appends to <dir>/member-<id>.log across restarts (Java: slf4j-simple on stderr
// with timestamps; ours: pino JSON lines). Set ZK_INTEROP_KEEP=1 to keep the directory after close.

import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ZooKeeperClient } from '../../src/client/index.js';
import { sendFourLetterWord } from '../support/four-letter.js';
import { freePorts } from '../support/free-port.js';
import { ZOOKEEPER_CONF_DIR, ZOOKEEPER_JAR } from '../support/java-zookeeper.js';
import { projectRoot, zkServerScript } from '../support/our-server.js';
import { spawnManaged, type ManagedProcess } from '../support/processes.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { sleep, waitForPort } from '../support/zk-wait.js';
import { ElectionTap } from './election-tap.js';
import { QuorumTap } from './quorum-tap.js';

export type MemberKind = 'java' | 'ours';

export interface MemberSpec {
  readonly id: number;
  readonly kind: MemberKind;
  /** An observer (`server.N=...:observer`, and `peerType=observer` in its own zoo.cfg). */
  readonly observer?: boolean;
  /**
   * A server that joins a running ensemble by reconfig (3.8's documented way): the other members'
   * zoo.cfg do not list it, its own lists the others plus itself (see also `writeCfgListing`).
   */
  readonly joiner?: boolean;
}

export interface MixedEnsembleOptions {
  readonly tickTimeMs?: number;
  readonly initLimit?: number;
  readonly syncLimit?: number;
  /** Extra zoo.cfg lines for every member. */
  readonly extraCfg?: Readonly<Record<string, string>>;
  /** Log the Java quorum package at DEBUG (and ours at DEBUG). */
  readonly debug?: boolean;
  /** Put recording taps in front of every member's quorum and election ports. */
  readonly tap?: boolean;
  /**
   * Run every member's AdminServer on 127.0.0.1 and a port of its own (adminPort). Java's needs the
   * servlet API on its boot class path: Debian's classpath has Jetty but not that jar.
   */
  readonly adminServer?: boolean;
}

export type Mode = 'leader' | 'follower' | 'observer' | 'standalone' | 'not serving' | 'down';

export interface MemberStatus {
  readonly id: number;
  readonly kind: MemberKind;
  readonly mode: Mode;
  readonly zxid: bigint | null;
}

interface Member {
  readonly spec: MemberSpec;
  readonly clientPort: number;
  readonly quorumPort: number;
  readonly electionPort: number;
  /** The ports written in the other members' server lines (the taps' when tapping). */
  readonly advertisedQuorumPort: number;
  readonly advertisedElectionPort: number;
  /** The AdminServer's port, 0 without the adminServer option. */
  readonly adminPort: number;
  readonly dataDir: string;
  readonly cfgPath: string;
  readonly logPath: string;
  process: ManagedProcess | null;
  starts: number;
}

const SLF4J_SIMPLE_JAR = '/usr/share/java/slf4j-simple.jar';
const SERVLET_API_JAR = '/usr/share/java/servlet-api.jar';

export function interopAvailable(): { ok: true } | { ok: false; reason: string } {
  if (!existsSync(ZOOKEEPER_JAR)) return { ok: false, reason: `${ZOOKEEPER_JAR} is missing (Debian package zookeeper)` };
  if (!existsSync(SLF4J_SIMPLE_JAR)) return { ok: false, reason: `${SLF4J_SIMPLE_JAR} is missing (Debian package libslf4j-java)` };
  if (!existsSync(join(projectRoot(), 'dist', 'src', 'cli', 'zk-server.js'))) return { ok: false, reason: 'dist/ is missing: run npm run build' };
  return { ok: true };
}

export class MixedEnsemble {
  readonly dir: string;
  readonly #members = new Map<number, Member>();
  readonly #options: MixedEnsembleOptions;
  readonly #quorumTaps: QuorumTap[] = [];
  readonly #electionTaps: ElectionTap[] = [];

  private constructor(dir: string, options: MixedEnsembleOptions) {
    this.dir = dir;
    this.#options = options;
  }

  /** Writes every member's data dir, myid and zoo.cfg; starts nothing. */
  static async create(specs: readonly MemberSpec[], options: MixedEnsembleOptions = {}): Promise<MixedEnsemble> {
    const dir = await makeTempDir('zk-interop');
    const ensemble = new MixedEnsemble(dir, options);
    try {
      await ensemble.#prepare(specs);
    } catch (error) {
      await ensemble.close();
      throw error;
    }
    return ensemble;
  }

  async #prepare(specs: readonly MemberSpec[]): Promise<void> {
    const tap = this.#options.tap === true;
    const admin = this.#options.adminServer === true;
    const perMember = (tap ? 5 : 3) + (admin ? 1 : 0);
    const ports = await freePorts(specs.length * perMember);
    specs.forEach((spec, i) => {
      const base = i * perMember;
      const quorumPort = ports[base + 1] as number;
      const electionPort = ports[base + 2] as number;
      const memberDir = join(this.dir, `member-${spec.id}`);
      this.#members.set(spec.id, {
        spec,
        clientPort: ports[base] as number,
        quorumPort,
        electionPort,
        advertisedQuorumPort: tap ? (ports[base + 3] as number) : quorumPort,
        advertisedElectionPort: tap ? (ports[base + 4] as number) : electionPort,
        adminPort: admin ? (ports[base + perMember - 1] as number) : 0,
        dataDir: join(memberDir, 'data'),
        cfgPath: join(memberDir, 'zoo.cfg'),
        logPath: join(this.dir, `member-${spec.id}.log`),
        process: null,
        starts: 0,
      });
    });
    if (tap) {
      const rewrite = new Map([...this.#members.values()].map((m) => [`127.0.0.1:${m.electionPort}`, `127.0.0.1:${m.advertisedElectionPort}`]));
      for (const member of this.#members.values()) {
        const quorumTap = new QuorumTap(`${member.spec.kind}${member.spec.id}`, member.advertisedQuorumPort, member.quorumPort);
        await quorumTap.listen();
        this.#quorumTaps.push(quorumTap);
        const electionTap = new ElectionTap(member.spec.id, member.advertisedElectionPort, member.electionPort, rewrite);
        await electionTap.listen();
        this.#electionTaps.push(electionTap);
      }
    }
    for (const member of this.#members.values()) {
      await mkdir(member.dataDir, { recursive: true });
      await writeFile(join(member.dataDir, 'myid'), `${member.spec.id}\n`);
      await writeFile(member.cfgPath, this.#cfgText(member));
    }
  }

  /** Joiners are listed only in their own zoo.cfg; `listed` narrows the others to those ids. */
  #cfgText(member: Member, listed?: readonly number[]): string {
    const entries: Record<string, string> = {
      tickTime: String(this.#options.tickTimeMs ?? 1000),
      initLimit: String(this.#options.initLimit ?? 10),
      syncLimit: String(this.#options.syncLimit ?? 5),
      dataDir: member.dataDir,
      clientPort: String(member.clientPort),
      clientPortAddress: '127.0.0.1',
      ...(member.adminPort === 0
        ? { 'admin.enableServer': 'false' }
        : { 'admin.enableServer': 'true', 'admin.serverAddress': '127.0.0.1', 'admin.serverPort': String(member.adminPort) }),
      '4lw.commands.whitelist': '*',
      ...(member.spec.observer === true ? { peerType: 'observer' } : {}),
      ...this.#options.extraCfg,
    };
    const lines = Object.entries(entries).map(([k, v]) => `${k}=${v}`);
    for (const other of this.#members.values()) {
      if (other !== member && (listed === undefined ? other.spec.joiner === true : !listed.includes(other.spec.id))) continue;
      // A member reaches the others through their taps, and names its own real ports (it binds them).
      const quorumPort = other === member ? other.quorumPort : other.advertisedQuorumPort;
      const electionPort = other === member ? other.electionPort : other.advertisedElectionPort;
      lines.push(`server.${other.spec.id}=127.0.0.1:${quorumPort}:${electionPort}${other.spec.observer === true ? ':observer' : ''}`);
    }
    return `${lines.join('\n')}\n`;
  }

  ids(): number[] {
    return [...this.#members.keys()];
  }

  kindOf(id: number): MemberKind {
    return this.#member(id).spec.kind;
  }

  clientPort(id: number): number {
    return this.#member(id).clientPort;
  }

  /** The member's AdminServer port (the adminServer option), else 0. */
  adminPort(id: number): number {
    return this.#member(id).adminPort;
  }

  /** The port member `id` itself listens on for leader election. */
  electionPort(id: number): number {
    return this.#member(id).electionPort;
  }

  get tapped(): boolean {
    return this.#options.tap === true;
  }

  /** The configuration as 3.8's QuorumVerifier.toString writes it (as notifications carry it); joiners are not in it. */
  quorumConfigText(): string {
    const lines = [...this.#members.values()].filter((m) => m.spec.joiner !== true).map(
      (m) => `server.${m.spec.id}=127.0.0.1:${m.advertisedQuorumPort}:${m.advertisedElectionPort}:${m.spec.observer === true ? 'observer' : 'participant'}\n`,
    );
    return `${lines.join('')}version=0`;
  }

  /**
   * A member's spec for a reconfig request (`joiningServers`, `newMembers`): the advertised quorum
   * and election ports, the role, and its client address (3.8 requires one from a joiner).
   */
  reconfigSpec(id: number, role: 'participant' | 'observer'): string {
    const m = this.#member(id);
    return `server.${id}=127.0.0.1:${m.advertisedQuorumPort}:${m.advertisedElectionPort}:${role};127.0.0.1:${m.clientPort}`;
  }

  /** The path of the member's zoo.cfg (3.8 rewrites it, and writes zoo.cfg.bak and zoo.cfg.dynamic.* next to it). */
  cfgPath(id: number): string {
    return this.#member(id).cfgPath;
  }

  /**
   * Rewrites a member's zoo.cfg (before its first start) to list only these members besides itself:
   * a joiner names the ensemble as it is when it joins, not as it was when the ensemble was created.
   */
  async writeCfgListing(id: number, listed: readonly number[]): Promise<void> {
    if (this.#member(id).starts > 0) throw new Error(`member ${id} has run: its zoo.cfg is 3.8's now`);
    // An id that is no member is a mistake in the test: fail before writing anything.
    for (const other of listed) this.#member(other);
    await writeFile(this.#member(id).cfgPath, this.#cfgText(this.#member(id), listed));
  }

  /** The member's dataDir/version-2/currentEpoch (both kinds keep it as decimal text), or null. */
  async currentEpoch(id: number): Promise<bigint | null> {
    try {
      return BigInt((await readFile(join(this.#member(id).dataDir, 'version-2', 'currentEpoch'), 'utf8')).trim());
    } catch {
      return null;
    }
  }

  /** Deletes a stopped member's snapshots, txn logs and epoch files (its myid stays): it rejoins empty. */
  async wipe(id: number): Promise<void> {
    if (this.isRunning(id)) throw new Error(`member ${id} is running`);
    await rm(join(this.#member(id).dataDir, 'version-2'), { recursive: true, force: true });
  }

  /** What the taps recorded (empty without the `tap` option). */
  tapTimelines(): string {
    return [...this.#quorumTaps.map((t) => t.timeline()), ...this.#electionTaps.map((t) => t.timeline())].join('\n');
  }

  quorumTaps(): readonly QuorumTap[] {
    return this.#quorumTaps;
  }

  electionTaps(): readonly ElectionTap[] {
    return this.#electionTaps;
  }

  /** The pid of the member's process (zkServer.sh execs node; Java is the JVM), or null when down. */
  pid(id: number): number | null {
    const p = this.#member(id).process;
    return p === null || p.exitInfo() !== undefined ? null : p.pid;
  }

  isRunning(id: number): boolean {
    const p = this.#member(id).process;
    return p !== null && p.exitInfo() === undefined;
  }

  running(): number[] {
    return this.ids().filter((id) => this.isRunning(id));
  }

  #member(id: number): Member {
    const member = this.#members.get(id);
    if (member === undefined) throw new Error(`no member ${id}`);
    return member;
  }

  /** Spawns a member (it keeps its data dir from earlier runs). Does not wait for it to serve. */
  async start(id: number): Promise<void> {
    const member = this.#member(id);
    if (this.isRunning(id)) throw new Error(`member ${id} is already running`);
    member.starts++;
    await appendFile(member.logPath, `\n===== start #${member.starts} of ${member.spec.kind} member ${id} at ${new Date().toISOString()} =====\n`);
    if (member.spec.kind === 'java') {
      const debug = this.#options.debug === true;
      const args = [
        ...(this.#member(id).adminPort === 0 ? [] : [`-Xbootclasspath/a:${SERVLET_API_JAR}`]),
        '-Xmx256m',
        '-XX:+UseSerialGC',
        `-Dzookeeper.log.dir=${join(this.dir, `member-${id}`)}`,
        '-Dorg.slf4j.simpleLogger.defaultLogLevel=info',
        '-Dorg.slf4j.simpleLogger.showDateTime=true',
        '-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS',
        ...(debug ? ['-Dorg.slf4j.simpleLogger.log.org.apache.zookeeper.server.quorum=debug'] : []),
        '-cp',
        [ZOOKEEPER_CONF_DIR, ZOOKEEPER_JAR, SLF4J_SIMPLE_JAR].join(':'),
        'org.apache.zookeeper.server.quorum.QuorumPeerMain',
        member.cfgPath,
      ];
      member.process = spawnManaged('java', args, { cwd: join(this.dir, `member-${id}`), logPath: member.logPath });
    } else {
      const flags = this.#options.debug === true ? '-Dzookeeper.root.logger=DEBUG,CONSOLE' : '';
      member.process = spawnManaged(zkServerScript(), ['start-foreground', member.cfgPath], {
        cwd: join(this.dir, `member-${id}`),
        logPath: member.logPath,
        env: { ...process.env, SERVER_JVMFLAGS: flags },
      });
    }
  }

  /** Waits until the member listens on its election port (a JVM takes a second or two to get there). */
  async waitForElectionPort(id: number, timeoutMs = 30_000): Promise<void> {
    await waitForPort(this.#member(id).electionPort, { timeoutMs, abortCheck: () => (this.isRunning(id) ? undefined : `member ${id} exited`) });
  }

  async startAll(ids: readonly number[] = this.ids()): Promise<void> {
    for (const id of ids) await this.start(id);
  }

  /** SIGKILL (the process group of the member). */
  async kill(id: number): Promise<void> {
    const p = this.#member(id).process;
    if (p === null || p.exitInfo() !== undefined) return;
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {
      process.kill(p.pid, 'SIGKILL');
    }
    await p.exited;
  }

  /** SIGSTOP: the member freezes with its connections open (peers notice only by timeouts). */
  pause(id: number): void {
    const p = this.#member(id).process;
    if (p === null || p.exitInfo() !== undefined) throw new Error(`member ${id} is not running`);
    process.kill(p.pid, 'SIGSTOP');
  }

  /** SIGTERM, then SIGKILL after 5 s. */
  async stop(id: number): Promise<void> {
    const p = this.#member(id).process;
    if (p !== null) await p.stop(5000);
  }

  async status(id: number): Promise<MemberStatus> {
    const member = this.#member(id);
    const base = { id, kind: member.spec.kind };
    if (!this.isRunning(id)) return { ...base, mode: 'down', zxid: null };
    let text: string;
    try {
      text = await sendFourLetterWord(member.clientPort, 'srvr', '127.0.0.1', 2000);
    } catch {
      return { ...base, mode: 'down', zxid: null };
    }
    const mode = /^Mode: (\w+)/mu.exec(text)?.[1];
    const zxid = /^Zxid: (0x[0-9a-f]+)/mu.exec(text)?.[1];
    if (mode === undefined) return { ...base, mode: 'not serving', zxid: null };
    return { ...base, mode: mode as Mode, zxid: zxid === undefined ? null : BigInt(zxid) };
  }

  async statuses(ids: readonly number[] = this.running()): Promise<MemberStatus[]> {
    return Promise.all(ids.map((id) => this.status(id)));
  }

  /**
   * Waits until every member in `ids` (default: the running ones) serves as leader or follower, with
   * exactly one leader among them; returns the leader's id. A server in leader election answers
   * `srvr` with "not currently serving".
   */
  async waitForQuorum(options: { ids?: readonly number[]; timeoutMs?: number; leader?: number } = {}): Promise<number> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let last: MemberStatus[] = [];
    let stableSince = 0;
    let stableLeader = -1;
    while (Date.now() < deadline) {
      const ids = options.ids ?? this.running();
      for (const id of ids) {
        if (!this.isRunning(id)) throw new Error(`member ${id} exited: ${JSON.stringify(this.#member(id).process?.exitInfo())}\n${this.logTail(id, 40)}`);
      }
      last = await this.statuses(ids);
      const leaders = last.filter((s) => s.mode === 'leader');
      const serving = last.every((s) => s.mode === 'leader' || s.mode === 'follower' || s.mode === 'observer');
      if (serving && leaders.length === 1) {
        const leader = (leaders[0] as MemberStatus).id;
        if (leader !== stableLeader) {
          stableLeader = leader;
          stableSince = Date.now();
        }
        // The same picture twice, 500 ms apart: a follower that just lost its leader is not counted.
        if (Date.now() - stableSince >= 500) {
          if (options.leader !== undefined && leader !== options.leader) {
            throw new Error(`member ${leader} leads, expected ${options.leader}: ${describe(last)}`);
          }
          return leader;
        }
      } else {
        stableLeader = -1;
      }
      await sleep(200);
    }
    throw new Error(`no quorum with one leader within the time limit: ${describe(last)}\n${this.allLogTails(30)}`);
  }

  /** A connected client of one member (only that member in its connect string). */
  async client(id: number, sessionTimeoutMs = 10_000): Promise<ZooKeeperClient> {
    return ZooKeeperClient.connect(`127.0.0.1:${this.#member(id).clientPort}`, { sessionTimeoutMs, connectTimeoutMs: 15_000 });
  }

  /** Runs `body` with a client of one member, closed afterwards whatever happens. */
  async withClient<T>(id: number, body: (client: ZooKeeperClient) => Promise<T>): Promise<T> {
    const client = await this.client(id);
    try {
      return await body(client);
    } finally {
      await client.close();
    }
  }

  logTail(id: number, lines: number): string {
    const text = this.#member(id).process?.readLog() ?? '';
    return `--- member ${id} (${this.#member(id).spec.kind}) ---\n${text.split('\n').slice(-lines).join('\n')}`;
  }

  allLogTails(lines: number): string {
    return this.ids()
      .map((id) => this.logTail(id, lines))
      .join('\n');
  }

  async readLog(id: number): Promise<string> {
    try {
      return await readFile(this.#member(id).logPath, 'utf8');
    } catch {
      return '';
    }
  }

  /** Stops every member (SIGKILL: nothing to flush that a test needs) and removes the directory. */
  async close(): Promise<void> {
    await Promise.all(this.ids().map((id) => this.kill(id)));
    await Promise.all([...this.#quorumTaps, ...this.#electionTaps].map((tap) => tap.close()));
    if (process.env['ZK_INTEROP_KEEP'] === '1') {
      process.stderr.write(`mixed ensemble kept in ${this.dir}\n`);
      return;
    }
    await removeTempDir(this.dir);
  }
}

export function describe(statuses: readonly MemberStatus[]): string {
  return statuses.map((s) => `${s.id}(${s.kind})=${s.mode}${s.zxid === null ? '' : `@0x${s.zxid.toString(16)}`}`).join(' ');
}
