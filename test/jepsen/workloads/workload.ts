/**
 * What a workload is: a generator of client operations, how each is executed against a ZooKeeper
 * client, what happens after the faults end (final reads), and the checkers that judge the
 * recorded history.
 */
import type { ClientFactory, ZkClient } from '../client/client.js';
import type { EdnValue } from '../history/edn.js';
import type { Operation } from '../history/history.js';
import type { Rng } from '../runner/rng.js';

export interface OpSpec {
  readonly f: string;
  readonly value: EdnValue;
}

/** The outcome of an executed op; value defaults to the invocation's value. */
export interface OpOutcome {
  readonly type: 'ok' | 'fail' | 'info';
  readonly value?: EdnValue;
  readonly error?: string;
  /** The client that carried the op out, when not the worker's own (its session and zxid are recorded). */
  readonly client?: ZkClient;
}

/** How reads that must be linearizable are made. */
export type ReadMode = 'check' | 'sync' | 'plain';

export interface WorkloadOptions {
  /** Base znode of the run, e.g. /jepsen/r1234; workloads create their nodes under it. */
  readonly root: string;
  readonly nodes: number;
  readonly readMode: ReadMode;
  readonly sessionTimeoutMs: number;
  readonly opTimeoutMs: number;
  readonly clientFactory: ClientFactory;
  /** Connect string of all nodes, as the harness reaches them. */
  readonly connectString: string;
  /** Ops per key before moving to the next key (register, counter, list-append). */
  readonly opsPerKey: number;
}

/** What apply() can use besides the worker's client. */
export interface OpContext {
  readonly process: number;
  readonly client: ZkClient;
  readonly rng: Rng;
  /** Records an event outside the request/response flow (process :events), e.g. a watch notification. */
  event(f: string, value: EdnValue): void;
  /** Opens another client (its own session); `abandonable` ones go through local proxies that can be cut. */
  openClient(options: { readonly abandonable: boolean }): Promise<{ client: ZkClient; abandon: () => Promise<void>; close: () => Promise<void> }>;
}

/** A checker's verdict. */
export interface Verdict {
  readonly checker: string;
  readonly valid: boolean | 'unknown';
  /** One-line summary. */
  readonly summary: string;
  /** Checker-specific detail, plain JSON. */
  readonly details?: unknown;
  /** For a linearizability failure: the :index range of the shortest failing window found. */
  readonly window?: { readonly from: number; readonly to: number; readonly ops: readonly number[]; readonly note: string };
  /** :index values of the ops involved in the violation (highlighted in the report). */
  readonly culprits?: readonly number[];
}

export interface FinalContext {
  /** Runs an op as a fresh final process (recorded like any other op); retries are up to the workload. */
  run(f: string, value: EdnValue, body: (client: ZkClient) => Promise<OpOutcome>): Promise<OpOutcome>;
}

export interface Workload {
  readonly name: string;
  readonly description: string;
  /** Which servers a worker's client connects to: the node of its own (Jepsen style) or any. */
  readonly clientTargets: 'own' | 'all';
  /**
   * Keep a worker's client (and so its session) across connection losses and :info ops (the
   * client reconnects by itself); by default a worker opens a new client after either.
   */
  readonly keepClient?: boolean;
  /** Ops without effects: a failure of one is :fail (never :info), and no new process is needed. */
  isRead(f: string): boolean;
  /** Creates the workload's znodes (with a client connected to all nodes). */
  setup(admin: ZkClient): Promise<void>;
  /** The next op for a process, or undefined to idle for a moment. */
  next(process: number, rng: Rng): OpSpec | undefined;
  /** Executes an op; errors thrown are mapped by the runner (unknown outcome -> :info for writes). */
  apply(op: OpSpec, ctx: OpContext): Promise<OpOutcome>;
  /** After the faults are healed and a quorum is back: final reads, drains. */
  final?(ctx: FinalContext): Promise<void>;
  /** Releases what apply() kept (owner sessions etc.). */
  stop?(): Promise<void>;
  /** Judges the history (parsed back from history.edn). */
  check(history: readonly Operation[], options: { readonly timeLimitMs: number }): Promise<Verdict[]> | Verdict[];
}

export type WorkloadFactory = (options: WorkloadOptions) => Workload;

/** Data of a znode as a number (empty data = nil). */
export function decodeNumber(data: Buffer): number | null {
  const text = data.toString('utf8');
  if (text === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

export function encode(v: number | string): Buffer {
  return Buffer.from(String(v), 'utf8');
}

/** Creates a persistent node and its missing parents; existing nodes are fine. */
export async function ensurePath(client: ZkClient, path: string): Promise<void> {
  const parts = path.split('/').filter((p) => p !== '');
  let cur = '';
  for (const part of parts) {
    cur += `/${part}`;
    try {
      await client.create(cur, Buffer.alloc(0), 'persistent');
    } catch (e) {
      if (!(e instanceof Error && 'code' in e && (e as { code: number }).code === -110)) throw e;
    }
  }
}
