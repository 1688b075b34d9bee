// Shared helpers for the durability and file-compatibility tests: start our server or Apache
// ZooKeeper 3.8 as a real process on a data directory the test owns (kept across restarts), stop it
// cleanly or SIGKILL it, run a server that is expected to refuse to start, talk to it through the
// raw session, walk a whole tree (data, all 11 Stat fields, ACLs), and fingerprint directories.

import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeRecord, JuteReader, readCreateResponse, readGetACLResponse, readGetChildrenResponse, readGetDataResponse, readSetDataResponse, type ACL, type Stat } from '../../src/jute/index.js';
import type { DataTree } from '../../src/tree/data-tree.js';
import { decodeTxn } from '../../src/txn/txn.js';
import { RawSession } from '../conformance/raw-session.js';
import { Flags, req, type RawRequest } from '../conformance/requests.js';
import { sendFourLetterWord } from '../support/four-letter.js';
import { freePort } from '../support/free-port.js';
import { ZOOKEEPER_CONF_DIR, ZOOKEEPER_JAR } from '../support/java-zookeeper.js';
import { zkServerScript } from '../support/our-server.js';
import { spawnManaged, type ExitInfo, type ManagedProcess } from '../support/processes.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { sleep } from '../support/zk-wait.js';

// ---------------------------------------------------------------------------------------------
// Cleanup: every process, mount and temp dir a test makes is registered here and undone in
// afterEach/afterAll, whether the test passed or not.

export class Cleanup {
  readonly #steps: (() => Promise<void>)[] = [];

  add(step: () => Promise<void>): void {
    this.#steps.push(step);
  }

  async tempDir(prefix: string): Promise<string> {
    const dir = await makeTempDir(prefix);
    this.add(() => removeTempDir(dir));
    return dir;
  }

  /** Runs every step, newest first; reports the first error after running them all. */
  async run(): Promise<void> {
    let first: unknown = null;
    while (this.#steps.length > 0) {
      const step = this.#steps.pop() as () => Promise<void>;
      try {
        await step();
      } catch (error) {
        first ??= error;
      }
    }
    if (first !== null) throw first instanceof Error ? first : new Error(String(first));
  }
}

/** Runs `body` with its own Cleanup, undone when it ends (for tests that run concurrently). */
export async function withCleanup<T>(body: (cleanup: Cleanup) => Promise<T>): Promise<T> {
  const cleanup = new Cleanup();
  try {
    return await body(cleanup);
  } finally {
    await cleanup.run();
  }
}

// ---------------------------------------------------------------------------------------------
// Servers on given directories.

export type ServerKind = 'ours' | 'java';

export interface ServerSpec {
  readonly kind: ServerKind;
  readonly dataDir: string;
  /** Defaults to dataDir (no dataLogDir line). */
  readonly dataLogDir?: string;
  /** Directory for zoo.cfg and the server's output. */
  readonly workDir: string;
  readonly extraCfg?: Record<string, string>;
  /** -D flags: SERVER_JVMFLAGS for ours, JVM arguments for Java. */
  readonly jvmFlags?: readonly string[];
  /** Run the server as this uid/gid (we are root; 65534 is nobody). */
  readonly runAsUid?: number;
  readonly startTimeoutMs?: number;
  /** Extra environment variables for the server process (e.g. ZK_TEST_HOOKS_SOCKET). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ServerProcess {
  readonly kind: ServerKind;
  readonly port: number;
  readonly pid: number;
  readonly logPath: string;
  readonly proc: ManagedProcess;
  /** SIGTERM and wait (SIGKILL after 10 s). */
  stop(): Promise<ExitInfo>;
  /** SIGKILL the whole process group at once: no shutdown code runs. */
  kill(): Promise<ExitInfo>;
  readLog(): string;
}

let runCounter = 0;

function renderCfg(entries: Record<string, string>): string {
  return `${Object.entries(entries)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

function commandFor(spec: ServerSpec, cfgPath: string): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  let command: string;
  let args: string[];
  const env: NodeJS.ProcessEnv = { ...process.env, ...spec.env };
  if (spec.kind === 'ours') {
    command = zkServerScript();
    args = ['start-foreground', cfgPath];
    env['SERVER_JVMFLAGS'] = (spec.jvmFlags ?? []).join(' ');
  } else {
    command = 'java';
    args = [
      '-Xmx384m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      `-Dzookeeper.log.dir=${spec.workDir}`,
      ...(spec.jvmFlags ?? []),
      '-cp',
      [ZOOKEEPER_CONF_DIR, ZOOKEEPER_JAR, '/usr/share/java/slf4j-simple.jar'].join(':'),
      'org.apache.zookeeper.server.quorum.QuorumPeerMain',
      cfgPath,
    ];
  }
  if (spec.runAsUid !== undefined) {
    const uid = String(spec.runAsUid);
    return { command: 'setpriv', args: [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', command, ...args], env };
  }
  return { command, args, env };
}

async function writeConfig(spec: ServerSpec, port: number): Promise<{ cfgPath: string; logPath: string }> {
  runCounter++;
  const cfg: Record<string, string> = {
    tickTime: '2000',
    initLimit: '10',
    syncLimit: '5',
    dataDir: spec.dataDir,
    ...(spec.dataLogDir === undefined ? {} : { dataLogDir: spec.dataLogDir }),
    clientPort: String(port),
    clientPortAddress: '127.0.0.1',
    'admin.enableServer': 'false',
    '4lw.commands.whitelist': '*',
    ...spec.extraCfg,
  };
  const cfgPath = join(spec.workDir, `zoo-${String(runCounter)}-${spec.kind}.cfg`);
  const logPath = join(spec.workDir, `server-${String(runCounter)}-${spec.kind}.log`);
  await writeFile(cfgPath, renderCfg(cfg));
  if (spec.runAsUid !== undefined) await chmod(cfgPath, 0o644);
  return { cfgPath, logPath };
}

function spawnServer(spec: ServerSpec, cfgPath: string, logPath: string): ManagedProcess {
  const { command, args, env } = commandFor(spec, cfgPath);
  return spawnManaged(command, args, { cwd: spec.workDir, logPath, env });
}

/** Serving: `ruok` answers `imok` and `srvr` shows a loaded database (Java answers ruok before loading). */
async function waitForServing(proc: ManagedProcess, port: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (proc.exitInfo() !== undefined) return false;
    try {
      if ((await sendFourLetterWord(port, 'ruok', '127.0.0.1', 1000)) === 'imok') {
        const srvr = await sendFourLetterWord(port, 'srvr', '127.0.0.1', 1000);
        if (srvr.startsWith('Zookeeper version:')) return true;
      }
    } catch {
      // not listening yet
    }
    await sleep(25);
  }
  return false;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Starts a server on the spec's directories and waits until it serves; registers its stop with `cleanup`. */
export async function startServerOn(spec: ServerSpec, cleanup: Cleanup): Promise<ServerProcess> {
  const timeoutMs = spec.startTimeoutMs ?? (spec.kind === 'java' ? 60_000 : 30_000);
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const { cfgPath, logPath } = await writeConfig(spec, port);
    const started = Date.now();
    const proc = spawnServer(spec, cfgPath, logPath);
    cleanup.add(async () => {
      await proc.stop(5000);
    });
    if (await waitForServing(proc, port, started + timeoutMs)) {
      return {
        kind: spec.kind,
        port,
        pid: proc.pid,
        logPath,
        proc,
        stop: () => proc.stop(10_000),
        kill: async () => {
          killGroup(proc.pid);
          return proc.exited;
        },
        readLog: () => proc.readLog(),
      };
    }
    const log = proc.readLog();
    const exit = proc.exitInfo();
    await proc.stop(2000);
    lastError = `${spec.kind} server did not start serving on port ${String(port)} (exit ${JSON.stringify(exit ?? null)}); output tail:\n${log.slice(-4000)}`;
    if (!/EADDRINUSE|BindException|Address already in use/.test(log)) break;
  }
  throw new Error(lastError);
}

export interface RefusalResult extends ExitInfo {
  readonly log: string;
  /**
   * The server served clients before it exited (it should not have): `srvr` answered with its
   * mode. `ruok` alone is not serving: like 3.8, the port answers imok while the data loads.
   */
  readonly served: boolean;
  readonly timedOut: boolean;
}

/** Starts a server that is expected to refuse to start, and waits for it to exit. */
export async function runExpectingExit(spec: ServerSpec, cleanup: Cleanup, timeoutMs = 30_000): Promise<RefusalResult> {
  const port = await freePort();
  const { cfgPath, logPath } = await writeConfig(spec, port);
  const proc = spawnServer(spec, cfgPath, logPath);
  cleanup.add(async () => {
    await proc.stop(2000);
  });
  const deadline = Date.now() + timeoutMs;
  let served = false;
  while (proc.exitInfo() === undefined && Date.now() < deadline) {
    if (!served) {
      try {
        served = (await sendFourLetterWord(port, 'srvr', '127.0.0.1', 300)).includes('Mode:');
      } catch {
        // not listening: expected
      }
    }
    await sleep(50);
  }
  const timedOut = proc.exitInfo() === undefined;
  const info = await proc.stop(2000);
  return { ...info, log: proc.readLog(), served, timedOut };
}

// ---------------------------------------------------------------------------------------------
// Client side, over the raw session (no retries, no reconnects: what was acknowledged is exact).

export class ZkError extends Error {
  constructor(
    readonly code: number,
    what: string,
  ) {
    super(`${what} failed with ${String(code)}`);
  }
}

export const SUPER_PASSWORD = 'durability-super';

/** zoo.cfg line value for DigestAuthenticationProvider.superDigest ("super:" + base64(sha1("super:pw"))). */
export function superDigest(password = SUPER_PASSWORD): string {
  return `super:${createHash('sha1').update(`super:${password}`).digest('base64')}`;
}

export function digestId(user: string, password: string): string {
  return `${user}:${createHash('sha1').update(`${user}:${password}`).digest('base64')}`;
}

export interface CreateOptions {
  readonly acl?: ACL[];
  readonly flags?: number;
  readonly ttl?: bigint;
}

export class Zk {
  private constructor(readonly session: RawSession) {}

  static async connect(port: number, options: { timeOut?: number; sessionId?: bigint; passwd?: Uint8Array } = {}): Promise<Zk> {
    const session = await RawSession.connect(
      { host: '127.0.0.1', port },
      {
        timeOut: options.timeOut ?? 30_000,
        ...(options.sessionId === undefined ? {} : { sessionId: options.sessionId }),
        ...(options.passwd === undefined ? {} : { passwd: options.passwd }),
      },
    );
    if (session.handshake.timeOut <= 0) {
      await session.disconnect();
      throw new Error('the server refused the session (timeOut 0)');
    }
    return new Zk(session);
  }

  get sessionId(): bigint {
    return this.session.sessionId;
  }

  get passwd(): Buffer {
    return this.session.passwd;
  }

  async call(request: RawRequest, what: string, timeoutMs = 20_000): Promise<Buffer> {
    const reply = await this.session.request(request.op, request.body, { timeoutMs });
    if (reply.header.err !== 0) throw new ZkError(reply.header.err, what);
    return reply.body;
  }

  async addAuth(scheme: string, auth: string): Promise<void> {
    const reply = await this.session.auth(scheme, Buffer.from(auth, 'utf8'));
    if (reply.header.err !== 0) throw new ZkError(reply.header.err, `addAuth ${scheme}`);
  }

  async create(path: string, data: string | Buffer | null, options: CreateOptions = {}): Promise<string> {
    const createOptions = { ...(options.acl === undefined ? {} : { acl: options.acl }), ...(options.flags === undefined ? {} : { flags: options.flags }) };
    let request: RawRequest;
    if (options.ttl !== undefined) request = req.createTTL(path, data, options.ttl, createOptions);
    else if (options.flags === Flags.container) request = req.createContainer(path, data, createOptions);
    else request = req.create(path, data, createOptions);
    const body = await this.call(request, `create ${path}`);
    // create answers CreateResponse; createContainer and createTTL answer Create2Response (path, stat).
    return readCreateResponse(new JuteReader(body)).path;
  }

  async setData(path: string, data: string | Buffer | null, version = -1): Promise<Stat> {
    const body = await this.call(req.setData(path, data, version), `setData ${path}`);
    return decodeRecord(readSetDataResponse, body).stat;
  }

  async delete(path: string, version = -1): Promise<void> {
    await this.call(req.delete(path, version), `delete ${path}`);
  }

  async setACL(path: string, acl: ACL[], version = -1): Promise<void> {
    await this.call(req.setACL(path, acl, version), `setACL ${path}`);
  }

  async getData(path: string): Promise<{ data: Buffer | null; stat: Stat }> {
    const body = await this.call(req.getData(path), `getData ${path}`);
    return decodeRecord(readGetDataResponse, body);
  }

  /** getData, or null when the node does not exist. */
  async getDataOrNull(path: string): Promise<{ data: Buffer | null; stat: Stat } | null> {
    try {
      return await this.getData(path);
    } catch (error) {
      if (error instanceof ZkError && error.code === -101) return null;
      throw error;
    }
  }

  async getChildren(path: string): Promise<string[]> {
    const body = await this.call(req.getChildren(path), `getChildren ${path}`);
    return decodeRecord(readGetChildrenResponse, body).children;
  }

  async getACL(path: string): Promise<ACL[]> {
    const body = await this.call(req.getACL(path), `getACL ${path}`);
    return decodeRecord(readGetACLResponse, body).acl;
  }

  /** closeSession and wait for the server to close the connection. */
  async close(): Promise<void> {
    await this.session.close(5000).catch(() => undefined);
  }

  /** Drops the connection without closeSession: the session lives on until it expires. */
  async drop(): Promise<void> {
    await this.session.disconnect();
  }
}

/** Connects and authenticates as super, so ACLs hide nothing from a walk. */
export async function connectSuper(port: number): Promise<Zk> {
  const zk = await Zk.connect(port);
  await zk.addAuth('digest', `super:${SUPER_PASSWORD}`);
  return zk;
}

// ---------------------------------------------------------------------------------------------
// Whole-tree walks.

export interface NodeView {
  /** null for null data, `hex:<bytes>` when short, `len:<n> sha256:<hash>` when long. */
  readonly data: string | null;
  /** All 11 Stat fields, bigints as decimal strings. */
  readonly stat: Record<string, string | number>;
  readonly acl: string[];
}

export function dataView(data: Buffer | null): string | null {
  if (data === null) return null;
  if (data.length <= 64) return `hex:${data.toString('hex')}`;
  return `len:${String(data.length)} sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function statView(stat: Stat): Record<string, string | number> {
  return {
    czxid: `0x${stat.czxid.toString(16)}`,
    mzxid: `0x${stat.mzxid.toString(16)}`,
    ctime: stat.ctime.toString(),
    mtime: stat.mtime.toString(),
    version: stat.version,
    cversion: stat.cversion,
    aversion: stat.aversion,
    ephemeralOwner: `0x${BigInt.asUintN(64, stat.ephemeralOwner).toString(16)}`,
    dataLength: stat.dataLength,
    numChildren: stat.numChildren,
    pzxid: `0x${stat.pzxid.toString(16)}`,
  };
}

export function aclView(acl: readonly ACL[]): string[] {
  return acl.map((a) => `${a.id.scheme}:${a.id.id}:${String(a.perms)}`);
}

/**
 * Reads every node under `root` (breadth first, each level's requests pipelined): data, stat and
 * ACL. A node that disappears during the walk (an expiring ephemeral) is left out.
 */
export async function walkTree(zk: Zk, root = '/'): Promise<Map<string, NodeView>> {
  const out = new Map<string, NodeView>();
  let level = [root];
  while (level.length > 0) {
    const results = await Promise.all(
      level.map(async (path) => {
        try {
          const [got, acl, children] = await Promise.all([zk.getData(path), zk.getACL(path), zk.getChildren(path)]);
          return { path, view: { data: dataView(got.data), stat: statView(got.stat), acl: aclView(acl) }, children };
        } catch (error) {
          if (error instanceof ZkError && error.code === -101) return null;
          throw error;
        }
      }),
    );
    const next: string[] = [];
    for (const result of results) {
      if (result === null) continue;
      out.set(result.path, result.view);
      for (const child of [...result.children].sort()) next.push(result.path === '/' ? `/${child}` : `${result.path}/${child}`);
    }
    level = next;
  }
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The same view of a DataTree in memory (what recover() returns), comparable with walkTree's. */
export function treeView(tree: DataTree): Map<string, NodeView> {
  const out = new Map<string, NodeView>();
  for (const path of tree.paths()) {
    const node = tree.getNode(path);
    if (node === undefined) continue;
    out.set(path, { data: dataView(node.data), stat: statView(tree.statOf(node)), acl: aclView(tree.aclOf(node)) });
  }
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The walk as a plain object, for toEqual diffs. */
export function treeObject(tree: Map<string, NodeView>): Record<string, NodeView> {
  return Object.fromEntries(tree.entries());
}

// ---------------------------------------------------------------------------------------------
// Files.

export interface FileFingerprint {
  readonly size: number;
  readonly sha256: string;
  readonly mode: number;
}

/** Every regular file under `dir` (recursively), by relative path, with size and content hash. */
export async function fingerprintDir(dir: string): Promise<Record<string, FileFingerprint>> {
  const out: Record<string, FileFingerprint> = {};
  const visit = async (relative: string): Promise<void> => {
    const entries = await readdir(join(dir, relative), { withFileTypes: true });
    for (const entry of entries) {
      const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await visit(rel);
      else if (entry.isFile()) {
        const path = join(dir, rel);
        const [bytes, info] = await Promise.all([readFile(path), stat(path)]);
        out[rel] = { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), mode: info.mode };
      }
    }
  };
  await visit('');
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Copies a directory tree (regular files and directories only). */
export async function copyDir(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (entry.isDirectory()) await copyDir(join(from, entry.name), join(to, entry.name));
    else if (entry.isFile()) await copyFile(join(from, entry.name), join(to, entry.name));
  }
}

export interface ParsedEntry {
  /** Offset of the entry's checksum field. */
  readonly offset: number;
  /** Offset just past its end-of-record byte. */
  readonly end: number;
  readonly zxid: bigint;
  readonly type: number;
  readonly clientId: bigint;
  /** Whether bytes follow the txn record: 3.8's TxnDigest (version, tree digest). */
  readonly hasDigest: boolean;
}

/** Whether a txn entry ends with a TxnDigest after its record (decoded with src/txn: the record's length depends on its type). */
function endsWithDigest(txnBytes: Buffer, type: number): boolean {
  try {
    return decodeTxn(txnBytes).digest !== null;
  } catch {
    throw new Error(`txn of type ${String(type)} does not decode`);
  }
}

/**
 * Parses the entries of a txn log independently of src/storage: 16-byte header, then
 * (long adler32, int length, TxnHeader..., byte 0x42)* until a zero length. TxnHeader is
 * long clientId, int cxid, long zxid, long time, int type.
 */
export function parseLogEntries(bytes: Buffer): ParsedEntry[] {
  if (bytes.readInt32BE(0) !== 0x5a4b4c47) throw new Error('not a txn log (bad magic)');
  const entries: ParsedEntry[] = [];
  let offset = 16;
  while (offset + 12 <= bytes.length) {
    const length = bytes.readInt32BE(offset + 8);
    if (length === 0) break;
    const end = offset + 12 + length + 1;
    if (end > bytes.length || bytes[end - 1] !== 0x42) throw new Error(`bad entry at offset ${String(offset)}`);
    const txn = offset + 12;
    const type = bytes.readInt32BE(txn + 28);
    entries.push({ offset, end, clientId: bytes.readBigInt64BE(txn), zxid: bytes.readBigInt64BE(txn + 12), type, hasDigest: endsWithDigest(bytes.subarray(txn, end - 1), type) });
    offset = end;
  }
  return entries;
}

/** log.<hex> / snapshot.<hex> files of a version-2 directory, oldest first. */
export async function listZxidFiles(dir: string, prefix: 'log' | 'snapshot'): Promise<{ name: string; zxid: bigint }[]> {
  const names = await readdir(dir);
  const out: { name: string; zxid: bigint }[] = [];
  for (const name of names) {
    const match = new RegExp(`^${prefix}\\.([0-9a-f]+)$`).exec(name);
    if (match?.[1] !== undefined) out.push({ name, zxid: BigInt(`0x${match[1]}`) });
  }
  return out.sort((a, b) => (a.zxid < b.zxid ? -1 : a.zxid > b.zxid ? 1 : 0));
}

/** A small seeded PRNG (mulberry32) so random runs can be replayed from the printed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
