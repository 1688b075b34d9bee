// Storage benchmark: write throughput and latency WITH fsync (forceSync=yes), our server against
// Apache ZooKeeper 3.8 (Debian package) on the same machine, in one run, both data dirs under the
// same parent on the same disk. Every cell is (op, clients, requests in flight per client): setData
// of one of 1000 pre-created znodes, or create of a new znode, 100 bytes each; 1, 8 and 64 clients
// (sessions), each with 1 request in flight (closed loop: latency = one fsync round) or 16 (pipelined:
// group commit). R repeats, the two servers alternating first; medians, spread and ratios ours/java.
//
//   npm run build && node dist/bench/storage.js [--clients 1,8,64] [--outstanding 1,16] [--ops set,create]
//        [--duration 4] [--warmup 2] [--repeats 3] [--data-size 100] [--java-heap 1000m] [--out file]
//
// See docs/benchmarks.md ("Storage").

import { spawn, spawnSync } from 'node:child_process';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { constants as fsConstants, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import {
  JuteReader,
  encodeFrame,
  readReplyHeader,
  writeCreateRequest,
  writeRequestHeader,
  writeSetDataRequest,
  type FrameDecoder,
} from '../src/jute/index.js';
import { OpCode } from '../src/protocol/op-code.js';
import { sendFourLetterWord } from '../test/support/four-letter.js';
import { startJavaZooKeeper, type RunningZooKeeper } from '../test/support/java-zookeeper.js';
import { startOurServer } from '../test/support/our-server.js';
import { stopAll } from '../test/support/processes.js';
import { LatencyHistogram, type LatencySummary } from './histogram.js';
import { payload } from './load-generator.js';
import { commandLine, pidListeningOn, readCpuSeconds, readMemory, readSystemBusySeconds } from './proc-stats.js';
import {
  SERVER_NAMES,
  environment,
  fail,
  fmt,
  loadAverage1m,
  log,
  median,
  parseIntList,
  parseNumber,
  parseServers,
  ratio,
  readWriteBytes,
  resultsPath,
  spread,
  table,
  type Environment,
  type ServerName,
} from './storage-common.js';
import { OPEN_ACL_UNSAFE, SimpleClient, connectSession, errorName, pipelined } from './zk-connection.js';

export const WRITE_OPS = ['set', 'create'] as const;
export type WriteOp = (typeof WRITE_OPS)[number];

const ROOT = '/storage-bench';
const KEYS_PARENT = `${ROOT}/keys`;
export const CREATE_PARENT = `${ROOT}/new`;

function keyPath(i: number): string {
  return `${KEYS_PARENT}/k-${String(i).padStart(6, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// The write load: N sessions, K requests in flight each, for a fixed time.

export interface WriteLoadOptions {
  port: number;
  op: WriteOp;
  sessions: number;
  outstanding: number;
  durationSeconds: number;
  dataSize: number;
  /** Number of pre-created keys setData picks from. */
  keys: number;
  /** Makes the paths created in this run unique (a parent created before the run). */
  createParent: string;
  drainTimeoutMs?: number;
}

export interface WriteLoadResult {
  ops: number;
  errors: number;
  errorsByCode: Record<string, number>;
  unanswered: number;
  elapsedSeconds: number;
  opsPerSecond: number;
  latency: LatencySummary;
  maxReplyGapMs: number;
  clientCpuCores: number;
}

interface Shared {
  readonly deadline: number;
  stopped: boolean;
}

class WriteSession {
  readonly #xids: Int32Array;
  readonly #times: Float64Array;
  #head = 0;
  #count = 0;
  #nextXid = 1;
  #dead = false;
  #created = 0;
  #random: number;
  completed = 0;
  errors = 0;
  readonly errorsByCode = new Map<number, number>();
  readonly histogram = new LatencyHistogram();
  lostReason: string | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly decoder: FrameDecoder,
    private readonly options: WriteLoadOptions,
    private readonly index: number,
    private readonly data: Buffer,
    private readonly setFrames: readonly Buffer[],
    private readonly shared: Shared,
    private readonly onReply: (now: number) => void,
    private readonly onIdle: () => void,
  ) {
    this.#xids = new Int32Array(options.outstanding);
    this.#times = new Float64Array(options.outstanding);
    this.#random = ((index + 1) * 2654435761) >>> 0 || 1;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => this.#lose('socket error'));
    socket.on('close', () => this.#lose('connection closed'));
  }

  get inFlight(): number {
    return this.#count;
  }

  #nextRandom(): number {
    let x = this.#random;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.#random = x;
    return x;
  }

  #nextFrame(): Buffer {
    if (this.options.op === 'set') return this.setFrames[this.#nextRandom() % this.setFrames.length] as Buffer;
    const path = `${this.options.createParent}/s${String(this.index)}-${String(this.#created++)}`;
    return encodeFrame((w) => {
      writeRequestHeader(w, { xid: 0, type: OpCode.create });
      writeCreateRequest(w, { path, data: this.data, acl: OPEN_ACL_UNSAFE, flags: 0 });
    });
  }

  fill(now: number): void {
    if (this.#dead) return;
    if (!this.shared.stopped && now >= this.shared.deadline) this.shared.stopped = true;
    if (this.shared.stopped) return;
    const n = this.options.outstanding - this.#count;
    if (n <= 0) return;
    const frames: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      // Each frame is a fresh copy (set frames are shared templates), so the xid can be patched in.
      const frame = Buffer.from(this.#nextFrame());
      const xid = this.#nextXid;
      this.#nextXid = xid >= 0x7ffffff0 ? 1 : xid + 1;
      frame.writeInt32BE(xid, 4);
      frames.push(frame);
      const slot = (this.#head + this.#count) % this.options.outstanding;
      this.#xids[slot] = xid;
      this.#times[slot] = now;
      this.#count++;
    }
    this.socket.write(frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames));
  }

  #onData(chunk: Buffer): void {
    const now = performance.now();
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch {
      this.#lose('undecodable reply');
      this.socket.destroy();
      return;
    }
    for (const f of frames) {
      const header = readReplyHeader(new JuteReader(f));
      if (header.xid < 0) continue; // ping or notification
      if (this.#count === 0) {
        this.#countError(-1000);
        continue;
      }
      const slot = this.#head;
      this.#head = (this.#head + 1) % this.options.outstanding;
      this.#count--;
      this.completed++;
      this.onReply(now);
      if (this.#xids[slot] !== header.xid) {
        this.#countError(-1001);
        continue;
      }
      if (header.err !== 0) {
        this.#countError(header.err);
        continue;
      }
      this.histogram.recordMicros((now - (this.#times[slot] ?? now)) * 1000);
    }
    this.fill(now);
    if (this.#count === 0 && this.shared.stopped) this.onIdle();
  }

  #countError(code: number): void {
    this.errors++;
    this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1);
  }

  #lose(reason: string): void {
    if (this.#dead) return;
    this.#dead = true;
    this.lostReason = reason;
    if (this.#count > 0) {
      this.errors += this.#count;
      this.errorsByCode.set(-4, (this.errorsByCode.get(-4) ?? 0) + this.#count);
      this.#count = 0;
    }
    this.onIdle();
  }

  /** closeSession, then close the socket (at most 3 s). */
  async close(): Promise<void> {
    if (this.#dead) return;
    this.#dead = true;
    const socket = this.socket;
    socket.removeAllListeners('data');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 3000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.on('data', () => undefined);
      socket.write(encodeFrame((w) => writeRequestHeader(w, { xid: this.#nextXid, type: OpCode.closeSession })));
      socket.end();
    });
  }
}

export async function runWriteLoad(options: WriteLoadOptions): Promise<WriteLoadResult> {
  const data = payload(options.dataSize);
  const setFrames: Buffer[] = [];
  if (options.op === 'set') {
    for (let i = 0; i < options.keys; i++) {
      setFrames.push(
        encodeFrame((w) => {
          writeRequestHeader(w, { xid: 0, type: OpCode.setData });
          writeSetDataRequest(w, { path: keyPath(i), data, version: -1 });
        }),
      );
    }
  }
  const opened = await Promise.all(Array.from({ length: options.sessions }, () => connectSession(options.port)));
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const shared: Shared = { deadline: start + options.durationSeconds * 1000, stopped: false };
  let lastReplyAt = start;
  let maxGap = 0;
  const onReply = (now: number): void => {
    if (now - lastReplyAt > maxGap) maxGap = now - lastReplyAt;
    lastReplyAt = now;
  };
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const sessions: WriteSession[] = [];
  const onIdle = (): void => {
    if (shared.stopped && sessions.every((s) => s.inFlight === 0)) finish();
  };
  opened.forEach((o, i) => {
    sessions.push(new WriteSession(o.socket, o.decoder, options, i, data, setFrames, shared, onReply, onIdle));
  });
  const stopTimer = setTimeout(() => {
    shared.stopped = true;
    onIdle();
  }, options.durationSeconds * 1000);
  for (const s of sessions) s.fill(start);
  let drainTimer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    finished.then(() => true),
    new Promise<boolean>((resolve) => {
      const arm = (): void => {
        if (shared.stopped) drainTimer = setTimeout(() => resolve(false), options.drainTimeoutMs ?? 10_000);
        else drainTimer = setTimeout(arm, 50);
      };
      arm();
    }),
  ]);
  clearTimeout(stopTimer);
  if (drainTimer !== undefined) clearTimeout(drainTimer);
  const end = drained ? lastReplyAt : performance.now();
  const cpu = process.cpuUsage(cpuStart);
  const unanswered = sessions.reduce((sum, s) => sum + s.inFlight, 0);
  const all = new LatencyHistogram();
  const errorsByCode: Record<string, number> = {};
  let ops = 0;
  let errors = unanswered;
  for (const s of sessions) {
    all.merge(s.histogram);
    ops += s.completed;
    errors += s.errors;
    for (const [code, n] of s.errorsByCode) {
      const name = code === -1000 ? 'unexpectedReply' : code === -1001 ? 'outOfOrder' : errorName(code);
      errorsByCode[name] = (errorsByCode[name] ?? 0) + n;
    }
    if (s.lostReason !== undefined) {
      errors++;
      errorsByCode[`connection lost: ${s.lostReason}`] = (errorsByCode[`connection lost: ${s.lostReason}`] ?? 0) + 1;
    }
  }
  if (unanswered > 0) errorsByCode['unanswered'] = unanswered;
  await Promise.all(sessions.map((s) => s.close()));
  const elapsedSeconds = (end - start) / 1000;
  return {
    ops,
    errors,
    errorsByCode,
    unanswered,
    elapsedSeconds: Math.round(elapsedSeconds * 1000) / 1000,
    opsPerSecond: elapsedSeconds > 0 ? Math.round(ops / elapsedSeconds) : 0,
    latency: all.summary(),
    maxReplyGapMs: Math.round(maxGap * 10) / 10,
    clientCpuCores: Math.round(((cpu.user + cpu.system) / 1000 / (end - start)) * 100) / 100,
  };
}

// ---------------------------------------------------------------------------------------------
// Settings

interface Settings {
  clients: number[];
  outstanding: number[];
  ops: WriteOp[];
  durationSeconds: number;
  warmupSeconds: number;
  repeats: number;
  dataSize: number;
  keys: number;
  javaHeap: string;
  servers: ServerName[];
  perf: boolean;
  out: string | undefined;
}

const USAGE = [
  'usage: node dist/bench/storage.js [options]      (npm run build first)',
  'Write throughput and latency with forceSync=yes: our server against Apache ZooKeeper 3.8, same disk.',
  '  --clients list      sessions per cell (1,8,64)',
  '  --outstanding list  requests in flight per session (1,16)',
  '  --ops list          set (setData of one of --keys znodes), create (a new znode) (set,create)',
  '  --duration s        measured seconds per cell, server and repeat (4)',
  '  --warmup s          warm-up seconds per op and server, before measuring (2)',
  '  --repeats n         repetitions, servers alternating first; the table shows medians (3)',
  '  --data-size bytes   data per znode (100)',
  '  --keys n            pre-created znodes for set (1000)',
  '  --java-heap size    -Xmx of the Java server (1000m, the zkServer.sh default)',
  '  --servers list      java,ours (both)',
  '  --no-perf           do not count the servers\' fsync calls with perf stat (counted when perf works)',
  '  --out file          results JSON (bench/results/<date>-storage.json)',
  '',
].join('\n');

function parseSettings(): Settings {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '1,8,64' },
      outstanding: { type: 'string', default: '1,16' },
      ops: { type: 'string', default: WRITE_OPS.join(',') },
      duration: { type: 'string', default: '4' },
      warmup: { type: 'string', default: '2' },
      repeats: { type: 'string', default: '3' },
      'data-size': { type: 'string', default: '100' },
      keys: { type: 'string', default: '1000' },
      'java-heap': { type: 'string', default: '1000m' },
      servers: { type: 'string', default: 'java,ours' },
      'no-perf': { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const ops = values.ops.split(',').map((s) => s.trim());
  for (const op of ops) if (op !== 'set' && op !== 'create') fail(`unknown op ${op}; set or create`);
  if (!/^\d+[kmg]$/i.test(values['java-heap'])) fail('--java-heap must look like 1000m or 2g');
  return {
    clients: parseIntList('clients', values.clients, 1, 1000),
    outstanding: parseIntList('outstanding', values.outstanding, 1, 1000),
    ops: WRITE_OPS.filter((op) => ops.includes(op)),
    durationSeconds: parseNumber('duration', values.duration, 0.5, 600),
    warmupSeconds: parseNumber('warmup', values.warmup, 0, 600),
    repeats: parseNumber('repeats', values.repeats, 1, 100, true),
    dataSize: parseNumber('data-size', values['data-size'], 0, 1_000_000, true),
    keys: parseNumber('keys', values.keys, 1, 100_000, true),
    javaHeap: values['java-heap'],
    servers: parseServers(values.servers),
    perf: !values['no-perf'],
    out: values.out,
  };
}

// ---------------------------------------------------------------------------------------------
// Servers and measurements

interface StartedServer {
  name: ServerName;
  handle: RunningZooKeeper;
  pid: number;
  commandLine: string;
  version: string;
}

function sharedCfg(): Record<string, string> {
  return { maxClientCnxns: '0', forceSync: 'yes' };
}

async function startServer(name: ServerName, settings: Settings): Promise<StartedServer> {
  // The Java helper starts with -Xmx256m -XX:+UseSerialGC; later flags win, -XX:-UseSerialGC leaves G1.
  const handle =
    name === 'java'
      ? await startJavaZooKeeper({ extraCfg: sharedCfg(), jvmFlags: [`-Xmx${settings.javaHeap}`, '-XX:-UseSerialGC'] })
      : await startOurServer({ extraCfg: sharedCfg() });
  try {
    const pid = pidListeningOn(handle.pid, handle.port);
    const srvr = await sendFourLetterWord(handle.port, 'srvr', '127.0.0.1', 5000).catch(() => '');
    const version = srvr.split('\n')[0]?.replace(/^Zookeeper version:\s*/, '') ?? '';
    return { name, handle, pid, commandLine: commandLine(pid), version };
  } catch (err) {
    await handle.stop();
    throw err;
  }
}

/** Creates the benchmark's parents and the keys setData writes to. */
export async function prepare(port: number, settings: Pick<Settings, 'dataSize' | 'keys'>): Promise<void> {
  const client = await SimpleClient.open(port);
  try {
    const data = payload(settings.dataSize);
    for (const path of [ROOT, KEYS_PARENT, CREATE_PARENT]) {
      const err = await client.create(path, Buffer.alloc(0));
      if (err !== 0 && err !== -110) throw new Error(`create ${path}: ${errorName(err)}`);
    }
    const errors = await pipelined(settings.keys, 256, (i) => client.create(keyPath(i), data));
    const bad = [...errors].filter(([err]) => err !== 0 && err !== -110);
    if (bad.length > 0) throw new Error(`creating the keys: ${bad.map(([e, n]) => `${String(n)} x ${errorName(e)}`).join(', ')}`);
  } finally {
    await client.close();
  }
}

export async function createParent(port: number, path: string): Promise<void> {
  const client = await SimpleClient.open(port);
  try {
    const err = await client.create(path, Buffer.alloc(0));
    if (err !== 0) throw new Error(`create ${path}: ${errorName(err)}`);
  } finally {
    await client.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Sync counting: `perf stat` on the syscall tracepoints of the server process, when perf is there
// and allowed to (root, or perf_event_paranoid permitting); otherwise the column is empty. A sync
// point is an fsync or fdatasync call, or, when the server's txn log is open with O_DSYNC (ours
// since issue 3; checked in /proc, not assumed), a positioned write (pwrite64, pwritev): each log
// write is then a write and its sync in one call. Snapshot writes are positioned too and get
// counted then, a few per snapshot (one every 50,000 to 100,000 txns): noise next to hundreds of
// log writes per second. Java writes its log with write() and syncs it with fdatasync.

const SYNC_EVENTS = ['syscalls:sys_enter_fdatasync', 'syscalls:sys_enter_fsync'];
const POSITIONED_WRITE_EVENTS = ['syscalls:sys_enter_pwrite64', 'syscalls:sys_enter_pwritev'];
const ALL_EVENTS = [...SYNC_EVENTS, ...POSITIONED_WRITE_EVENTS];

function perfUsable(): boolean {
  const probe = spawnSync('perf', ['stat', '-x,', '-e', ALL_EVENTS.join(','), '--', 'true'], { encoding: 'utf8', timeout: 10_000 });
  return probe.status === 0 && !/not supported|<not counted>|Permission|invalid/i.test(`${probe.stderr}`);
}

/** Whether the process has a txn log file (version-2/log.<hex>) open with O_DSYNC. */
function txnLogOpenedDsync(pid: number): boolean {
  const dsync = (fsConstants as { O_DSYNC?: number }).O_DSYNC;
  if (dsync === undefined) return false;
  try {
    for (const fd of readdirSync(`/proc/${String(pid)}/fd`)) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${String(pid)}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!/\/version-2\/log\.[0-9a-f]+$/u.test(target)) continue;
      const flags = /^flags:\s+([0-7]+)$/mu.exec(readFileSync(`/proc/${String(pid)}/fdinfo/${fd}`, 'utf8'));
      if (flags?.[1] !== undefined && (Number.parseInt(flags[1], 8) & dsync) === dsync) return true;
    }
  } catch {
    // The process is gone or not ours to inspect: count fsync and fdatasync only.
  }
  return false;
}

interface SyncCounter {
  /** Stops counting; resolves with the number of sync points (see above), NaN if perf failed. */
  stop(): Promise<number>;
}

function countSyncs(pid: number): SyncCounter {
  const perf = spawn('perf', ['stat', '-x,', '-e', ALL_EVENTS.join(','), '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  perf.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const closed = new Promise<void>((resolve) => {
    perf.once('close', () => resolve());
    perf.once('error', () => resolve());
  });
  return {
    async stop(): Promise<number> {
      // Checked while the load's log file is still open (the run has just ended).
      const counted = txnLogOpenedDsync(pid) ? ALL_EVENTS : SYNC_EVENTS;
      perf.kill('SIGINT');
      await closed;
      let total = 0;
      let seen = 0;
      for (const line of stderr.trim().split('\n')) {
        const fields = line.split(',');
        if (fields[2] !== undefined && counted.includes(fields[2]) && /^\d+$/.test(fields[0] ?? '')) {
          total += Number(fields[0]);
          seen++;
        }
      }
      return seen > 0 ? total : Number.NaN;
    },
  };
}

interface Cell {
  op: WriteOp;
  clients: number;
  outstanding: number;
}

function cellName(c: Cell): string {
  return `${c.op} ${String(c.clients)}x${String(c.outstanding)}`;
}

interface MeasuredRun {
  server: ServerName;
  cell: Cell;
  repeat: number;
  order: number;
  load: WriteLoadResult;
  serverCpuCores: number;
  otherCpuCores: number;
  /** Bytes the server wrote to storage per op (/proc/<pid>/io write_bytes). */
  diskBytesPerOp: number;
  serverRssBytes: number;
  /** Client ops per sync point of the server (group commit; see countSyncs), NaN without perf. */
  opsPerSync: number;
  loadAverage1m: number;
}

let runCounter = 0;
let perfAvailable = false;

async function measure(server: StartedServer, settings: Settings, cell: Cell, repeat: number, order: number, durationSeconds: number): Promise<MeasuredRun> {
  runCounter++;
  const parent = `${CREATE_PARENT}/${server.name}-${String(runCounter)}`;
  if (cell.op === 'create') await createParent(server.handle.port, parent);
  const cpuBefore = readCpuSeconds(server.pid);
  const busyBefore = readSystemBusySeconds();
  const clientBefore = process.cpuUsage();
  const writtenBefore = readWriteBytes(server.pid);
  // Counts from before the sessions connect to after they closed: a few createSession and
  // closeSession txns are among the ops' fsyncs.
  const syncs = perfAvailable ? countSyncs(server.pid) : undefined;
  const t0 = performance.now();
  const load = await runWriteLoad({
    port: server.handle.port,
    op: cell.op,
    sessions: cell.clients,
    outstanding: cell.outstanding,
    durationSeconds,
    dataSize: settings.dataSize,
    keys: settings.keys,
    createParent: parent,
  });
  const wall = (performance.now() - t0) / 1000;
  const serverCpu = readCpuSeconds(server.pid) - cpuBefore;
  const client = process.cpuUsage(clientBefore);
  const busy = readSystemBusySeconds() - busyBefore;
  const written = readWriteBytes(server.pid) - writtenBefore;
  const syncCalls = syncs === undefined ? Number.NaN : await syncs.stop();
  const round2 = (n: number): number => Math.round(n * 100) / 100;
  return {
    server: server.name,
    cell,
    repeat,
    order,
    load,
    serverCpuCores: round2(serverCpu / wall),
    otherCpuCores: round2(Math.max(0, busy - serverCpu - (client.user + client.system) / 1e6) / wall),
    diskBytesPerOp: load.ops > 0 ? Math.round(written / load.ops) : Number.NaN,
    serverRssBytes: readMemory(server.pid).rssBytes,
    opsPerSync: syncCalls > 0 ? Math.round((load.ops / syncCalls) * 10) / 10 : Number.NaN,
    loadAverage1m: loadAverage1m(),
  };
}

interface CellSummary {
  cell: string;
  perServer: Partial<
    Record<
      ServerName,
      {
        opsPerSecond: number;
        opsPerSecondMin: number;
        opsPerSecondMax: number;
        p50Ms: number;
        p99Ms: number;
        p99MsMin: number;
        p99MsMax: number;
        serverCpuCores: number;
        /** ops/s per core of server CPU (median over the runs): throughput with the machine's noise mostly factored out. */
        opsPerCpuSecond: number;
        otherCpuCores: number;
        diskBytesPerOp: number;
        opsPerSync: number;
        errors: number;
      }
    >
  >;
  ratios: { opsPerSecond: number; p50: number; p99: number; opsPerCpuSecond: number; pairedOpsMedian: number; pairedOpsMin: number; pairedOpsMax: number } | undefined;
}

function summarize(runs: readonly MeasuredRun[], cells: readonly Cell[], settings: Settings): CellSummary[] {
  return cells.map((cell) => {
    const name = cellName(cell);
    const perServer: CellSummary['perServer'] = {};
    for (const server of settings.servers) {
      const mine = runs.filter((r) => r.server === server && cellName(r.cell) === name);
      if (mine.length === 0) continue;
      const ops = mine.map((r) => r.load.opsPerSecond);
      const p99 = mine.map((r) => r.load.latency.p99Ms);
      perServer[server] = {
        opsPerSecond: Math.round(median(ops)),
        opsPerSecondMin: spread(ops).min,
        opsPerSecondMax: spread(ops).max,
        p50Ms: median(mine.map((r) => r.load.latency.p50Ms)),
        p99Ms: median(p99),
        p99MsMin: spread(p99).min,
        p99MsMax: spread(p99).max,
        serverCpuCores: median(mine.map((r) => r.serverCpuCores)),
        opsPerCpuSecond: Math.round(median(mine.map((r) => (r.serverCpuCores > 0 ? r.load.opsPerSecond / r.serverCpuCores : Number.NaN)))),
        otherCpuCores: median(mine.map((r) => r.otherCpuCores)),
        diskBytesPerOp: Math.round(median(mine.map((r) => r.diskBytesPerOp))),
        opsPerSync: median(mine.map((r) => r.opsPerSync)),
        errors: mine.reduce((sum, r) => sum + r.load.errors, 0),
      };
    }
    const j = perServer.java;
    const o = perServer.ours;
    let ratios: CellSummary['ratios'];
    if (j !== undefined && o !== undefined) {
      const paired: number[] = [];
      for (let repeat = 0; repeat < settings.repeats; repeat++) {
        const jr = runs.find((r) => r.server === 'java' && r.repeat === repeat && cellName(r.cell) === name);
        const or = runs.find((r) => r.server === 'ours' && r.repeat === repeat && cellName(r.cell) === name);
        if (jr !== undefined && or !== undefined) paired.push(ratio(or.load.opsPerSecond, jr.load.opsPerSecond));
      }
      ratios = {
        opsPerSecond: ratio(o.opsPerSecond, j.opsPerSecond),
        p50: ratio(o.p50Ms, j.p50Ms),
        p99: ratio(o.p99Ms, j.p99Ms),
        opsPerCpuSecond: ratio(o.opsPerCpuSecond, j.opsPerCpuSecond),
        pairedOpsMedian: median(paired),
        pairedOpsMin: spread(paired).min,
        pairedOpsMax: spread(paired).max,
      };
    }
    return { cell: name, perServer, ratios };
  });
}

function renderTable(summaries: readonly CellSummary[]): string {
  const header = ['cell', 'server', 'ops/s', 'ops/s min-max', 'p50 ms', 'p99 ms', 'p99 min-max', 'ops/sync', 'srv CPU', 'ops/CPU-s', 'other CPU', 'disk B/op', 'errors'];
  const rows: string[][] = [];
  for (const s of summaries) {
    let first = true;
    for (const name of SERVER_NAMES) {
      const v = s.perServer[name];
      if (v === undefined) continue;
      rows.push([
        first ? s.cell : '',
        name,
        fmt(v.opsPerSecond),
        `${fmt(v.opsPerSecondMin)}-${fmt(v.opsPerSecondMax)}`,
        fmt(v.p50Ms, 2),
        fmt(v.p99Ms, 2),
        `${fmt(v.p99MsMin, 2)}-${fmt(v.p99MsMax, 2)}`,
        fmt(v.opsPerSync, 1),
        fmt(v.serverCpuCores, 2),
        fmt(v.opsPerCpuSecond),
        fmt(v.otherCpuCores, 2),
        fmt(v.diskBytesPerOp),
        v.errors === 0 ? '0' : `${fmt(v.errors)} !`,
      ]);
      first = false;
    }
    if (s.ratios !== undefined) {
      rows.push([
        '',
        'ours/java',
        `${fmt(s.ratios.opsPerSecond, 2)}x`,
        `paired ${fmt(s.ratios.pairedOpsMedian, 2)}x (${fmt(s.ratios.pairedOpsMin, 2)}-${fmt(s.ratios.pairedOpsMax, 2)})`,
        `${fmt(s.ratios.p50, 2)}x`,
        `${fmt(s.ratios.p99, 2)}x`,
        '',
        '',
        '',
        `${fmt(s.ratios.opsPerCpuSecond, 2)}x`,
        '',
        '',
        '',
      ]);
    }
  }
  return table(header, rows);
}

async function main(): Promise<void> {
  const settings = parseSettings();
  const env: Environment = environment();
  perfAvailable = settings.perf && perfUsable();
  if (settings.perf && !perfAvailable) log('perf cannot count syscalls here: the ops/sync column stays empty');
  const cells: Cell[] = [];
  for (const op of settings.ops) for (const clients of settings.clients) for (const outstanding of settings.outstanding) cells.push({ op, clients, outstanding });
  const servers: StartedServer[] = [];
  const runs: MeasuredRun[] = [];
  const started = performance.now();
  try {
    for (const name of settings.servers) {
      log(`starting ${name} ...`);
      const server = await startServer(name, settings);
      servers.push(server);
      log(`  ${name}: port ${String(server.handle.port)}, pid ${String(server.pid)}, dataDir ${server.handle.dataDir}: ${server.commandLine}`);
    }
    for (const server of servers) {
      await prepare(server.handle.port, settings);
      if (settings.warmupSeconds > 0) {
        log(`warming up ${server.name} (${String(settings.warmupSeconds)} s per op at 8x16) ...`);
        for (const op of settings.ops) {
          const w = await measure(server, settings, { op, clients: 8, outstanding: 16 }, -1, 0, settings.warmupSeconds);
          if (w.load.errors > 0) log(`  warm-up ${op} on ${server.name}: ${String(w.load.errors)} errors ${JSON.stringify(w.load.errorsByCode)}`);
        }
      }
    }
    for (let repeat = 0; repeat < settings.repeats; repeat++) {
      for (const [ci, cell] of cells.entries()) {
        const ordered = (repeat + ci) % 2 === 0 ? servers : [...servers].reverse();
        for (const [order, server] of ordered.entries()) {
          const run = await measure(server, settings, cell, repeat, order, settings.durationSeconds);
          runs.push(run);
          const l = run.load;
          log(
            `repeat ${String(repeat + 1)}/${String(settings.repeats)} ${cellName(cell).padEnd(13)} ${server.name.padEnd(4)} ` +
              `${fmt(l.opsPerSecond).padStart(7)} ops/s  p50 ${fmt(l.latency.p50Ms, 2)} ms  p99 ${fmt(l.latency.p99Ms, 2)} ms  ` +
              `srv CPU ${fmt(run.serverCpuCores, 2)}  other CPU ${fmt(run.otherCpuCores, 2)}  disk ${fmt(run.diskBytesPerOp)} B/op  load ${fmt(run.loadAverage1m, 1)}` +
              (l.errors > 0 ? `  ERRORS ${String(l.errors)} ${JSON.stringify(l.errorsByCode)}` : ''),
          );
        }
      }
    }
  } finally {
    for (const server of servers) await server.handle.stop();
    await stopAll();
  }
  const summaries = summarize(runs, cells, settings);
  const errors = runs.reduce((sum, r) => sum + r.load.errors, 0);
  const loads = runs.map((r) => r.loadAverage1m);
  const lines = [
    '',
    `zk-ts storage benchmark (writes with fsync), ${env.date}: ${String(env.cpus)} x ${env.cpuModel}, ${String(env.memoryMB)} MB`,
    `node ${env.node}; ${env.java}; our tree: ${env.git}`,
    ...servers.map((s) => `${s.name}: ${s.version}\n  ${s.commandLine}`),
    `both zoo.cfg: tickTime=2000, maxClientCnxns=0, forceSync=yes, snapCount 100000 (default), preAllocSize 64 MiB (default); ` +
      `Java -Xmx${settings.javaHeap}, G1; both dataDirs under ${tmpdir()} (${env.tmpFilesystem})`,
    `cells: op x clients x in-flight per client; ${String(settings.durationSeconds)} s per run, ${String(settings.repeats)} repeats (medians, min-max), ` +
      `servers alternating first; ${String(settings.warmupSeconds)} s warm-up per op and server; znodes of ${String(settings.dataSize)} bytes; ` +
      `set = setData (version -1) of one of ${String(settings.keys)} znodes, create = a new persistent znode`,
    `load average (1 min): ${fmt(env.loadAverage1mAtStart, 1)} at start, ${fmt(Math.min(...loads), 1)}-${fmt(Math.max(...loads), 1)} during the runs; ` +
      `total ${fmt((performance.now() - started) / 1000)} s`,
    'ops/sync: ops per sync point of the server: fsync/fdatasync calls, or log writes when its log is open O_DSYNC (perf stat on its syscalls; group commit);',
    'srv CPU / other CPU: cores used by the server /',
    'by everything else on the machine; ops/CPU-s: ops/s per core of server CPU (least affected by the machine\'s load);',
    'disk B/op: server write_bytes (/proc/<pid>/io) per op (snapshots included)',
    'paired: median (min-max) of the per-repeat ratios ours/java of ops/s (both servers measured back to back)',
    '',
    renderTable(summaries),
    '',
    errors === 0 ? 'no errors' : `ERRORS: ${String(errors)} failed requests, see the log above`,
  ];
  const path = resultsPath(settings.out, 'storage');
  writeFileSync(
    path,
    `${JSON.stringify({ mode: 'storage', environment: env, settings, servers: servers.map((s) => ({ name: s.name, pid: s.pid, version: s.version, commandLine: s.commandLine })), summary: summaries, runs }, null, 2)}\n`,
  );
  process.stdout.write(`${lines.join('\n')}\nresults: ${path}\n`);
  process.exitCode = errors === 0 ? 0 : 1;
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  main().catch(async (err: unknown) => {
    process.stderr.write(`storage benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await stopAll();
    process.exit(1);
  });
}
