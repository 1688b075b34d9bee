/**
 * The server's own counters and summaries: 3.8's ServerMetrics, for the things zk-ts does.
 *
 * One recorder per server process. The shell (replica, storage, quorum peer) reports events here as
 * they happen; `mntr` reads {@link ServerMetrics.snapshot} (3.8's DefaultMetricsProvider: counts,
 * avg/min/max/cnt/sum, and p50..p999 from a reservoir), and the Prometheus endpoint gets every event
 * through a {@link MetricsSink} (3.8's PrometheusMetricsProvider: counters and sliding-window
 * summaries). `srst` resets the mntr side only, as in 3.8, where Prometheus counters never go back.
 *
 * The lists below are the metrics zk-ts records, a subset of the names mntr prints. Those it leaves
 * out describe machinery we do not have (request throttler, commit processor queues, response
 * cache, JVM pauses, TLS, quota enforcement, ...): mntr prints 3.8's idle value for them and
 * /metrics does not export them.
 */

import type { MntrBasicSummaryName, MntrCounterName, MntrMetrics, MntrPercentileSummaryName, NamespaceMetrics, SummaryStats } from '../admin/index.js';
import { BufferSizeStats, PercentileSummary, Summary } from './summaries.js';

/** Counters, with what one increment means. */
export const RECORDED_COUNTERS = {
  /** A ConnectRequest received (a new session or a reconnect). */
  connection_request_count: 'connect requests received',
  /** A TCP connection refused by maxClientCnxns. */
  connection_rejected: 'connections refused by maxClientCnxns',
  /** Bytes of client requests received (length prefix included). */
  bytes_received_count: 'bytes of requests received from clients',
  /** Bytes of replies to client requests (3.8: the frame length, prefix excluded). */
  response_bytes: 'bytes of replies sent to clients',
  /** Bytes of watch notifications. */
  watch_bytes: 'bytes of watch events sent to clients',
  /** A session closed by the leader (or standalone server) because it expired. */
  stale_sessions_expired: 'sessions expired',
  /** A failure the server cannot recover from (the txn log cannot be written). */
  unrecoverable_error_count: 'unrecoverable errors',
  /** A client reconnecting to an existing session (ConnectRequest with a session id). */
  connection_revalidate_count: 'reconnects to an existing session',
  /** Leader: a REVALIDATE received from a learner. */
  revalidate_count: 'REVALIDATE packets received from learners',
  /** Leader: a proposal sent to the followers. */
  proposal_count: 'proposals made by the leader',
  /** Leader: a proposal committed. */
  commit_count: 'proposals committed by the leader',
  /** Follower: a PROPOSAL received. */
  learner_proposal_received_count: 'PROPOSAL packets received by a follower',
  /** Follower or observer: a COMMIT or INFORM received. */
  learner_commit_received_count: 'COMMIT or INFORM packets received by a learner',
  /** Leader: a learner synced by DIFF (or TRUNC). */
  diff_count: 'learners synced by DIFF or TRUNC',
  /** Leader: a learner synced by SNAP. */
  snap_count: 'learners synced by SNAP',
  /** A voter going into leader election (LOOKING). */
  looking_count: 'times this server started looking for a leader',
  /** A txn carrying a tree digest (3.8's leaders send one) left our tree with another digest. */
  digest_mismatches_count: 'txns after which the tree digest differed from the one the txn carries',
} as const satisfies Partial<Record<MntrCounterName, string>>;
export type RecordedCounter = keyof typeof RECORDED_COUNTERS;

/** Summaries with avg/min/max/cnt/sum in mntr and the median on /metrics (3.8 DetailLevel.BASIC). */
export const RECORDED_SUMMARIES = {
  fsynctime: 'milliseconds one write + fsync of the txn log took',
  sync_processor_batch_size: 'txns made durable by one fsync (the group commit batch)',
  snapshottime: 'milliseconds writing one snapshot took',
  dbinittime: 'milliseconds loading the database at start took',
  startup_snap_load_time: 'milliseconds loading the snapshot at start took',
  startup_txns_load_time: 'milliseconds replaying the txn logs at start took',
  startup_txns_loaded: 'txns replayed from the txn logs at start',
  election_time: 'milliseconds from starting to look for a leader to leading or following',
  follower_sync_time: 'milliseconds a follower took to sync with its leader',
  observer_sync_time: 'milliseconds an observer took to sync with its leader',
  unavailable_time: 'milliseconds from leaving broadcast to broadcasting again',
  leader_unavailable_time: 'unavailable_time, counted when this server comes back as the leader',
  node_created_watch_count: 'watches triggered by one NodeCreated event',
  node_deleted_watch_count: 'watches triggered by one NodeDeleted event',
  node_changed_watch_count: 'watches triggered by one NodeDataChanged event',
  node_children_watch_count: 'watches triggered by one NodeChildrenChanged event',
} as const satisfies Partial<Record<MntrBasicSummaryName, string>>;
export type RecordedSummary = keyof typeof RECORDED_SUMMARIES;

/** Summaries with percentiles in mntr and 0.5/0.9/0.99 on /metrics (3.8 DetailLevel.ADVANCED). */
export const RECORDED_PERCENTILE_SUMMARIES = {
  readlatency: 'milliseconds from receiving a request without a txn to replying',
  updatelatency: 'milliseconds from receiving a write to replying',
  quorum_ack_latency: 'leader: milliseconds from a txn being created to a quorum having acked it',
  proposal_latency: 'follower: milliseconds from a txn being created to its PROPOSAL arriving',
  commit_propagation_latency: 'learner: milliseconds from a txn being created to its COMMIT arriving',
  propagation_latency: 'milliseconds from a txn being created to it being applied on this server',
} as const satisfies Partial<Record<MntrPercentileSummaryName, string>>;
export type RecordedPercentileSummary = keyof typeof RECORDED_PERCENTILE_SUMMARIES;

/** Summary sets labelled by top-level namespace (3.8's DataTree read/write statistics). */
export const RECORDED_NAMESPACE_SUMMARIES = {
  read_per_namespace: 'bytes read by one getData, exists or getChildren (path + data + 68 for the stat)',
  write_per_namespace: 'bytes written by one create, delete or setData (path + data)',
} as const;
export type RecordedNamespaceSummary = keyof typeof RECORDED_NAMESPACE_SUMMARIES;

/** Where every event goes besides the mntr view (the Prometheus registry). */
export interface MetricsSink {
  count(name: RecordedCounter, by: number): void;
  observe(name: RecordedSummary | RecordedPercentileSummary, value: number): void;
  observeNamespace(name: RecordedNamespaceSummary, namespace: string, value: number): void;
}

/** 3.8's DataTree.STAT_OVERHEAD_BYTES: a read counts the stat it returns as 6 longs and 5 ints. */
export const STAT_OVERHEAD_BYTES = 6 * 8 + 5 * 4;

/** The first component of a path (`app` for `/app/x`), or null for `/` (3.8's getTopNamespace). */
export function topNamespace(path: string): string | null {
  if (path.length < 2 || path.charCodeAt(0) !== 0x2f) return null;
  const end = path.indexOf('/', 1);
  return end === -1 ? path.slice(1) : path.slice(1, end);
}

function byName<K extends string, V>(names: Readonly<Record<K, string>>, make: () => V): Record<K, V> {
  return Object.fromEntries(Object.keys(names).map((name) => [name, make()])) as Record<K, V>;
}

export class ServerMetrics {
  readonly #counters: Record<RecordedCounter, number> = byName(RECORDED_COUNTERS, () => 0);
  readonly #summaries: Record<RecordedSummary, Summary> = byName(RECORDED_SUMMARIES, () => new Summary());
  readonly #percentiles: Record<RecordedPercentileSummary, PercentileSummary> = byName(RECORDED_PERCENTILE_SUMMARIES, () => new PercentileSummary());
  readonly #namespaces: Record<RecordedNamespaceSummary, Map<string, Summary>> = byName(RECORDED_NAMESPACE_SUMMARIES, () => new Map<string, Summary>());
  readonly #clientResponseSizes = new BufferSizeStats();
  readonly #sinks: MetricsSink[] = [];

  addSink(sink: MetricsSink): void {
    this.#sinks.push(sink);
  }

  count(name: RecordedCounter, by = 1): void {
    this.#counters[name] += by;
    for (const sink of this.#sinks) sink.count(name, by);
  }

  observe(name: RecordedSummary | RecordedPercentileSummary, value: number): void {
    if (Object.hasOwn(this.#percentiles, name)) this.#percentiles[name as RecordedPercentileSummary].add(value);
    else this.#summaries[name as RecordedSummary].add(value);
    for (const sink of this.#sinks) sink.observe(name, value);
  }

  /**
   * A latency measured from a txn header's time (the leader's wall clock) to now on this server.
   * As in 3.8, a negative one (clocks apart) is dropped rather than recorded.
   */
  observeSinceTxnTime(name: RecordedPercentileSummary, txnTimeMs: bigint, nowWallMs: number): void {
    if (txnTimeMs <= 0n) return;
    const latency = nowWallMs - Number(txnTimeMs);
    if (latency >= 0) this.observe(name, latency);
  }

  /** One read or write of `path` moving `bytes`; paths outside a namespace (`/`) are not counted. */
  observeNamespace(name: RecordedNamespaceSummary, path: string, bytes: number): void {
    const namespace = topNamespace(path);
    if (namespace === null) return;
    const table = this.#namespaces[name];
    let summary = table.get(namespace);
    if (summary === undefined) {
      summary = new Summary();
      table.set(namespace, summary);
    }
    summary.add(bytes);
    for (const sink of this.#sinks) sink.observeNamespace(name, namespace, bytes);
  }

  /** The size of one reply or watch event frame (3.8's ServerStats.updateClientResponseSize). */
  clientResponseSize(bytes: number): void {
    this.#clientResponseSizes.add(bytes);
  }

  /** srst: zero what mntr shows (3.8's ServerMetrics.resetAll and clientResponseStats.reset). */
  reset(): void {
    for (const name of Object.keys(this.#counters) as RecordedCounter[]) this.#counters[name] = 0;
    for (const summary of Object.values<Summary>(this.#summaries)) summary.reset();
    for (const summary of Object.values<PercentileSummary>(this.#percentiles)) summary.reset();
    for (const table of Object.values<Map<string, Summary>>(this.#namespaces)) {
      for (const summary of table.values()) summary.reset();
    }
    this.#clientResponseSizes.reset();
  }

  /** What mntr prints beyond the server's stats. */
  snapshot(): MntrMetrics {
    const sizes = this.#clientResponseSizes.snapshot();
    return {
      gauges: { last_client_response_size: sizes.last, min_client_response_size: sizes.min, max_client_response_size: sizes.max },
      counters: { ...this.#counters },
      summaries: Object.fromEntries(Object.entries<Summary>(this.#summaries).map(([name, s]) => [name, s.snapshot()])),
      percentileSummaries: Object.fromEntries(Object.entries<PercentileSummary>(this.#percentiles).map(([name, s]) => [name, s.snapshot()])),
      namespaces: this.#namespaceSnapshot(),
    };
  }

  #namespaceSnapshot(): NamespaceMetrics[] {
    const reads = this.#namespaces.read_per_namespace;
    const writes = this.#namespaces.write_per_namespace;
    const names = new Set([...reads.keys(), ...writes.keys()]);
    return [...names].map((namespace): NamespaceMetrics => {
      const read: SummaryStats | undefined = reads.get(namespace)?.snapshot();
      const write: SummaryStats | undefined = writes.get(namespace)?.snapshot();
      return { namespace, ...(read === undefined ? {} : { reads: read }), ...(write === undefined ? {} : { writes: write }) };
    });
  }
}
