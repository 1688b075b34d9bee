// A pipelined ZooKeeper load generator over raw sockets and the jute codec: N sessions, each with up
// to K requests in flight, for a fixed duration or a fixed number of operations. Replies must come
// back in order with err 0; everything else is counted as an error. Traffic goes to 127.0.0.1 only.
//
// As a module: prepareDataset() then runLoad(). As a command, against any server on 127.0.0.1:
//   node dist/bench/load-generator.js --port 2181 --workload get --duration 10 --sessions 32 --outstanding 16

import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import {
  JuteReader,
  encodeFrame,
  readReplyHeader,
  writeCreateRequest,
  writeDeleteRequest,
  writeExistsRequest,
  writeGetChildrenRequest,
  writeGetDataRequest,
  writeRequestHeader,
  writeSetDataRequest,
  type FrameDecoder,
  type JuteWriter,
} from '../src/jute/index.js';
import { OpCode } from '../src/protocol/op-code.js';
import { LatencyHistogram, type LatencySummary } from './histogram.js';
import { OPEN_ACL_UNSAFE, SimpleClient, connectSession, errorName, pipelined } from './zk-connection.js';

export const WORKLOADS = ['get', 'set', 'create-delete', 'exists', 'get-children', 'mix'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

export function isWorkloadName(name: string): name is WorkloadName {
  return (WORKLOADS as readonly string[]).includes(name);
}

export const WORKLOAD_DESCRIPTIONS: Record<WorkloadName, string> = {
  get: 'getData of a random pre-created znode',
  set: 'setData (version -1) of a random pre-created znode',
  'create-delete': 'create of a new persistent znode, then delete of it (each counts as one op)',
  exists: 'exists of a random pre-created znode',
  'get-children': 'getChildren of a znode with `children` children',
  mix: '90 % getData / 10 % setData of random pre-created znodes',
};

/** The znodes every workload works on. */
export interface Dataset {
  /** Root of the benchmark's znodes, e.g. /bench. */
  root: string;
  /** Number of data znodes (root/data/k-NNNNNN). */
  keys: number;
  /** Bytes of data in each data znode and in every setData / create. */
  dataSize: number;
  /** Number of children of root/children (for get-children). */
  children: number;
}

export const DEFAULT_DATASET: Dataset = { root: '/bench', keys: 1000, dataSize: 100, children: 100 };

export function keyPath(dataset: Dataset, i: number): string {
  return `${dataset.root}/data/k-${String(i).padStart(6, '0')}`;
}

function childrenParent(dataset: Dataset): string {
  return `${dataset.root}/children`;
}

function createDeleteParent(dataset: Dataset): string {
  return `${dataset.root}/cd`;
}

/** Deterministic payload of `size` bytes. */
export function payload(size: number): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = 97 + (i % 26);
  return data;
}

/** Creates the data set's znodes (existing ones are kept). Throws if any create fails otherwise. */
export async function prepareDataset(port: number, dataset: Dataset): Promise<void> {
  const client = await SimpleClient.open(port);
  try {
    const data = payload(dataset.dataSize);
    const ok = (err: number): boolean => err === 0 || err === -110; // NodeExists: from an earlier run
    for (const path of [dataset.root, `${dataset.root}/data`, childrenParent(dataset), createDeleteParent(dataset)]) {
      const err = await client.create(path, Buffer.alloc(0));
      if (!ok(err)) throw new Error(`create ${path} failed: ${errorName(err)}`);
    }
    const check = (what: string, errors: Map<number, number>): void => {
      const bad = [...errors].filter(([err]) => !ok(err));
      if (bad.length > 0) {
        throw new Error(`creating ${what}: ${bad.map(([err, n]) => `${String(n)} x ${errorName(err)}`).join(', ')}`);
      }
    };
    check('data znodes', await pipelined(dataset.keys, 256, (i) => client.create(keyPath(dataset, i), data)));
    const parent = childrenParent(dataset);
    check(
      'children',
      await pipelined(dataset.children, 256, (i) => client.create(`${parent}/c-${String(i).padStart(6, '0')}`, Buffer.alloc(0))),
    );
  } finally {
    await client.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Request generation

/** Kinds of requests, as indices into the per-kind histograms. */
const KIND_NAMES = ['getData', 'setData', 'create', 'delete', 'exists', 'getChildren'] as const;
type KindName = (typeof KIND_NAMES)[number];
const K_GET = 0;
const K_SET = 1;
const K_CREATE = 2;
const K_DELETE = 3;
const K_EXISTS = 4;
const K_CHILDREN = 5;

/** A frame (length prefix included) whose xid, at byte offset 4, is patched when it is sent. */
interface Template {
  frame: Buffer;
  kind: number;
}

function frame(type: number, kind: number, writeBody: (w: JuteWriter) => void): Template {
  return {
    kind,
    frame: encodeFrame((w) => {
      writeRequestHeader(w, { xid: 0, type });
      writeBody(w);
    }),
  };
}

/** xorshift32: a cheap deterministic PRNG per session. */
function rng(seed: number): () => number {
  let x = (seed * 2654435761) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Returns, per session, a function producing the next request template. */
function requestSource(workload: WorkloadName, dataset: Dataset, sessionIndex: number, runTag: string): () => Template {
  const data = payload(dataset.dataSize);
  const random = rng(sessionIndex + 1);
  const keys = dataset.keys;
  const gets: Template[] = [];
  const sets: Template[] = [];
  const existss: Template[] = [];
  if (workload === 'get' || workload === 'mix') {
    for (let i = 0; i < keys; i++) gets.push(frame(OpCode.getData, K_GET, (w) => writeGetDataRequest(w, { path: keyPath(dataset, i), watch: false })));
  }
  if (workload === 'set' || workload === 'mix') {
    for (let i = 0; i < keys; i++) {
      sets.push(frame(OpCode.setData, K_SET, (w) => writeSetDataRequest(w, { path: keyPath(dataset, i), data, version: -1 })));
    }
  }
  if (workload === 'exists') {
    for (let i = 0; i < keys; i++) existss.push(frame(OpCode.exists, K_EXISTS, (w) => writeExistsRequest(w, { path: keyPath(dataset, i), watch: false })));
  }
  const pick = (list: Template[]): Template => list[random() % list.length] as Template;
  switch (workload) {
    case 'get':
      return () => pick(gets);
    case 'set':
      return () => pick(sets);
    case 'exists':
      return () => pick(existss);
    case 'mix':
      return () => (random() % 100 < 90 ? pick(gets) : pick(sets));
    case 'get-children': {
      const t = frame(OpCode.getChildren, K_CHILDREN, (w) => writeGetChildrenRequest(w, { path: childrenParent(dataset), watch: false }));
      return () => t;
    }
    case 'create-delete': {
      // Requests of one session are executed in order, so the delete can follow its create in the pipeline.
      const prefix = `${createDeleteParent(dataset)}/${runTag}-s${String(sessionIndex)}-`;
      let n = 0;
      let pendingDelete: string | undefined;
      return () => {
        if (pendingDelete !== undefined) {
          const path = pendingDelete;
          pendingDelete = undefined;
          return frame(OpCode.delete, K_DELETE, (w) => writeDeleteRequest(w, { path, version: -1 }));
        }
        const path = `${prefix}${String(n++)}`;
        pendingDelete = path;
        return frame(OpCode.create, K_CREATE, (w) => writeCreateRequest(w, { path, data, acl: OPEN_ACL_UNSAFE, flags: 0 }));
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The load

export interface LoadOptions {
  port: number;
  /** Spread the sessions over these ports, round robin (an ensemble's members); default [port]. */
  ports?: readonly number[];
  workload: WorkloadName;
  dataset: Dataset;
  /** Number of sessions (TCP connections). */
  sessions: number;
  /** Requests in flight per session. */
  outstanding: number;
  /** Measured duration in seconds (sending stops then; in-flight replies are still awaited). */
  durationSeconds: number;
  /** Stop after this many operations in total instead (still bounded by durationSeconds). */
  maxOps?: number;
  /** How long to wait for in-flight replies after sending stops before declaring a stall. */
  drainTimeoutMs?: number;
  /** Distinguishes the znodes created by create-delete in different runs. */
  runTag?: string;
}

export interface LoadResult {
  workload: WorkloadName;
  sessions: number;
  outstanding: number;
  /** Successful + failed replies received. */
  ops: number;
  /** Replies with err != 0, out-of-order or unexpected replies, unanswered requests, requests lost with
   *  a connection, plus one per connection lost before the run closed it. */
  errors: number;
  errorsByCode: Record<string, number>;
  /** Requests still unanswered when the drain timeout expired (a stall). */
  unanswered: number;
  connectionsLost: number;
  elapsedSeconds: number;
  opsPerSecond: number;
  latency: LatencySummary;
  latencyByKind: Partial<Record<KindName, LatencySummary>>;
  /** Longest time without any reply while requests were in flight. */
  maxReplyGapMs: number;
  /** Replies completed in each whole second of the run. */
  opsPerSecondTimeline: number[];
  /** CPU used by this (client) process during the run, as a fraction of one core. */
  clientCpuCores: number;
}

interface Shared {
  readonly deadline: number;
  readonly maxOps: number;
  sent: number;
  stopped: boolean;
}

class LoadSession {
  private readonly xids: Int32Array;
  private readonly times: Float64Array;
  private readonly kinds: Uint8Array;
  private head = 0;
  private count = 0;
  private nextXid = 1;
  private dead = false;
  /** Why the connection was lost, if it was lost before the run closed it. */
  lostReason: string | undefined;
  completed = 0;
  errors = 0;
  readonly errorsByCode = new Map<number, number>();
  readonly histograms: LatencyHistogram[] = KIND_NAMES.map(() => new LatencyHistogram());

  constructor(
    private readonly socket: Socket,
    private readonly decoder: FrameDecoder,
    private readonly capacity: number,
    private readonly next: () => Template,
    private readonly shared: Shared,
    private readonly onReplies: (now: number, n: number) => void,
    private readonly onIdle: () => void,
  ) {
    this.xids = new Int32Array(capacity);
    this.times = new Float64Array(capacity);
    this.kinds = new Uint8Array(capacity);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.lose('socket error'));
    socket.on('close', () => this.lose('connection closed'));
  }

  get inFlight(): number {
    return this.count;
  }

  fill(now: number): void {
    if (this.dead) return;
    const shared = this.shared;
    if (!shared.stopped && (now >= shared.deadline || shared.sent >= shared.maxOps)) shared.stopped = true;
    if (shared.stopped) return;
    const n = Math.min(this.capacity - this.count, shared.maxOps - shared.sent);
    if (n <= 0) return;
    shared.sent += n;
    const templates: Template[] = [];
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const t = this.next();
      templates.push(t);
      bytes += t.frame.length;
    }
    const out = Buffer.allocUnsafe(bytes);
    let offset = 0;
    for (const t of templates) {
      t.frame.copy(out, offset);
      const xid = this.nextXid;
      this.nextXid = xid >= 0x7ffffff0 ? 1 : xid + 1;
      out.writeInt32BE(xid, offset + 4);
      offset += t.frame.length;
      const slot = (this.head + this.count) % this.capacity;
      this.xids[slot] = xid;
      this.times[slot] = now;
      this.kinds[slot] = t.kind;
      this.count++;
    }
    this.socket.write(out);
  }

  private onData(chunk: Buffer): void {
    const now = performance.now();
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch {
      this.lose('undecodable reply');
      this.socket.destroy();
      return;
    }
    let replies = 0;
    for (const f of frames) {
      const header = readReplyHeader(new JuteReader(f));
      if (header.xid < 0) continue; // notification or ping: none expected, none counted
      if (this.count === 0) {
        this.countError(-1000); // a reply nobody asked for
        continue;
      }
      const slot = this.head;
      this.head = (this.head + 1) % this.capacity;
      this.count--;
      replies++;
      this.completed++;
      if (this.xids[slot] !== header.xid) {
        this.countError(-1001); // out of order
        continue;
      }
      if (header.err !== 0) {
        this.countError(header.err);
        continue;
      }
      const kind = this.kinds[slot] ?? 0;
      this.histograms[kind]?.recordMicros((now - (this.times[slot] ?? now)) * 1000);
    }
    if (replies > 0) this.onReplies(now, replies);
    this.fill(now);
    if (this.count === 0 && this.shared.stopped) this.onIdle();
  }

  private countError(code: number): void {
    this.errors++;
    this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1);
  }

  /** The connection is gone: its in-flight requests are errors. */
  private lose(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    this.lostReason = reason;
    if (this.count > 0) {
      this.errors += this.count;
      this.errorsByCode.set(-4, (this.errorsByCode.get(-4) ?? 0) + this.count);
      this.count = 0;
    }
    this.onIdle();
  }

  /** Sends closeSession and closes the socket (without waiting long for the reply). */
  async close(): Promise<void> {
    if (this.dead) return;
    this.dead = true;
    const socket = this.socket;
    socket.removeAllListeners('data');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 2000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.on('data', () => {
        // the closeSession reply: the server closes the connection after it
      });
      socket.write(
        encodeFrame((w) => {
          writeRequestHeader(w, { xid: this.nextXid, type: OpCode.closeSession });
        }),
      );
      socket.end();
    });
  }
}

const MIN_SESSIONS = 1;
const MAX_SESSIONS = 2000;
const MAX_OUTSTANDING = 10_000;

/** Runs one workload and returns its measurements. The data set must exist (prepareDataset). */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { sessions, outstanding, durationSeconds } = options;
  if (!Number.isInteger(sessions) || sessions < MIN_SESSIONS || sessions > MAX_SESSIONS) {
    throw new Error(`sessions must be an integer in [${String(MIN_SESSIONS)}, ${String(MAX_SESSIONS)}]`);
  }
  if (!Number.isInteger(outstanding) || outstanding < 1 || outstanding > MAX_OUTSTANDING) {
    throw new Error(`outstanding must be an integer in [1, ${String(MAX_OUTSTANDING)}]`);
  }
  if (!(durationSeconds > 0 && durationSeconds <= 3600)) throw new Error('duration must be in (0, 3600] seconds');
  const runTag = options.runTag ?? `r${Date.now().toString(36)}`;
  const ports = options.ports ?? [options.port];
  const opened = await Promise.all(Array.from({ length: sessions }, (_, i) => connectSession(ports[i % ports.length] ?? options.port)));

  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const shared: Shared = {
    deadline: start + durationSeconds * 1000,
    maxOps: options.maxOps ?? Number.POSITIVE_INFINITY,
    sent: 0,
    stopped: false,
  };
  const timeline: number[] = [];
  let lastReplyAt = start;
  let maxGap = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const onReplies = (now: number, n: number): void => {
    const gap = now - lastReplyAt;
    if (gap > maxGap) maxGap = gap;
    lastReplyAt = now;
    const second = Math.floor((now - start) / 1000);
    while (timeline.length <= second) timeline.push(0);
    timeline[second] = (timeline[second] ?? 0) + n;
  };
  const loadSessions: LoadSession[] = [];
  const onIdle = (): void => {
    if (shared.stopped && loadSessions.every((s) => s.inFlight === 0)) finish();
  };
  opened.forEach((o, i) => {
    loadSessions.push(
      new LoadSession(o.socket, o.decoder, outstanding, requestSource(options.workload, options.dataset, i, runTag), shared, onReplies, onIdle),
    );
  });
  // The deadline is also checked on every reply; this timer covers a server that stops answering.
  const stopTimer = setTimeout(() => {
    shared.stopped = true;
    onIdle();
  }, durationSeconds * 1000);
  for (const s of loadSessions) s.fill(start);

  let drainTimer: NodeJS.Timeout | undefined;
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  const drained = await Promise.race([
    finished.then(() => true),
    new Promise<boolean>((resolve) => {
      // started when sending stops; until then only the run's own deadline counts
      const arm = (): void => {
        if (shared.stopped) drainTimer = setTimeout(() => resolve(false), drainTimeoutMs);
        else drainTimer = setTimeout(arm, 50);
      };
      arm();
    }),
  ]);
  clearTimeout(stopTimer);
  if (drainTimer !== undefined) clearTimeout(drainTimer);
  const end = drained ? lastReplyAt : performance.now();
  if (!drained && end - lastReplyAt > maxGap) maxGap = end - lastReplyAt;
  const cpu = process.cpuUsage(cpuStart);
  const unanswered = loadSessions.reduce((sum, s) => sum + s.inFlight, 0);
  const lostReasons = loadSessions.flatMap((s) => (s.lostReason === undefined ? [] : [s.lostReason]));
  const connectionsLost = lostReasons.length;

  const all = new LatencyHistogram();
  const byKind: Partial<Record<KindName, LatencySummary>> = {};
  const errorsByCode: Record<string, number> = {};
  let ops = 0;
  let errors = unanswered + connectionsLost;
  KIND_NAMES.forEach((name, kind) => {
    const h = new LatencyHistogram();
    for (const s of loadSessions) {
      const sh = s.histograms[kind];
      if (sh !== undefined) h.merge(sh);
    }
    if (h.count > 0) byKind[name] = h.summary();
    all.merge(h);
  });
  for (const s of loadSessions) {
    ops += s.completed;
    errors += s.errors;
    for (const [code, n] of s.errorsByCode) {
      const name = code === -1000 ? 'unexpectedReply' : code === -1001 ? 'outOfOrder' : errorName(code);
      errorsByCode[name] = (errorsByCode[name] ?? 0) + n;
    }
  }
  if (unanswered > 0) errorsByCode['unanswered'] = unanswered;
  for (const reason of lostReasons) errorsByCode[`connection lost: ${reason}`] = (errorsByCode[`connection lost: ${reason}`] ?? 0) + 1;
  await Promise.all(loadSessions.map((s) => s.close()));

  const elapsedSeconds = (end - start) / 1000;
  // The last second is usually partial: keep whole seconds only.
  const wholeSeconds = Math.floor(elapsedSeconds);
  return {
    workload: options.workload,
    sessions,
    outstanding,
    ops,
    errors,
    errorsByCode,
    unanswered,
    connectionsLost,
    elapsedSeconds: Math.round(elapsedSeconds * 1000) / 1000,
    opsPerSecond: elapsedSeconds > 0 ? Math.round(ops / elapsedSeconds) : 0,
    latency: all.summary(),
    latencyByKind: byKind,
    maxReplyGapMs: Math.round(maxGap * 10) / 10,
    opsPerSecondTimeline: timeline.slice(0, wholeSeconds),
    clientCpuCores: Math.round(((cpu.user + cpu.system) / 1000 / (end - start)) * 100) / 100,
  };
}

// ---------------------------------------------------------------------------------------------
// Command line

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '2181' },
      workload: { type: 'string', default: 'get' },
      duration: { type: 'string', default: '10' },
      ops: { type: 'string' },
      sessions: { type: 'string', default: '32' },
      outstanding: { type: 'string', default: '16' },
      'data-size': { type: 'string', default: String(DEFAULT_DATASET.dataSize) },
      keys: { type: 'string', default: String(DEFAULT_DATASET.keys) },
      children: { type: 'string', default: String(DEFAULT_DATASET.children) },
      'no-setup': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      `usage: node dist/bench/load-generator.js [--port 2181] [--workload ${WORKLOADS.join('|')}]\n` +
        '  [--duration s] [--ops n] [--sessions n] [--outstanding n] [--data-size bytes] [--keys n] [--children n] [--no-setup]\n' +
        'Drives a ZooKeeper server on 127.0.0.1 and prints the result as JSON.\n',
    );
    return;
  }
  const workload = values.workload;
  if (!isWorkloadName(workload)) throw new Error(`unknown workload ${workload}; one of ${WORKLOADS.join(', ')}`);
  const int = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
    return n;
  };
  const dataset: Dataset = {
    ...DEFAULT_DATASET,
    dataSize: int('data-size', values['data-size']),
    keys: Math.max(1, int('keys', values.keys)),
    children: int('children', values.children),
  };
  const port = int('port', values.port);
  if (!values['no-setup']) await prepareDataset(port, dataset);
  const result = await runLoad({
    port,
    workload,
    dataset,
    sessions: int('sessions', values.sessions),
    outstanding: int('outstanding', values.outstanding),
    durationSeconds: Number(values.duration),
    ...(values.ops !== undefined ? { maxOps: int('ops', values.ops) } : {}),
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (result.errors > 0) process.exitCode = 1;
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
