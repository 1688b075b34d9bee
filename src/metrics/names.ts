/**
 * Every metric name zk-ts exports on /metrics, in one place.
 *
 * Names, types and help text are those of ZooKeeper 3.8.0's PrometheusMetricsProvider, which
 * registers each metric under its bare name (no `zk_` prefix, unlike mntr) with the name itself as
 * the help text, and exposes it with the Prometheus text format 0.0.4:
 *
 *   - gauges registered by ZooKeeperServer.registerMetrics: sampled when /metrics is scraped;
 *   - gauge sets (one gauge with the label `key` = namespace): the quota gauges;
 *   - counters and summaries of ServerMetrics: updated by the server as things happen.
 *     A BASIC summary reports the 0.5 quantile, an ADVANCED one 0.5, 0.9 and 0.99, each with
 *     `_count` and `_sum`, over a sliding window of 10 minutes in 5 buckets (the defaults of the
 *     Prometheus Java client 0.9.0 that 3.8 uses).
 *
 * Units are 3.8's: times in milliseconds, sizes in bytes, everything else a plain count.
 * 3.8 registers many more counters and summaries (quorum, commit processor, JVM pauses, ...); those
 * describe machinery zk-ts does not have, so they are not exported. The gauges are all exported,
 * like mntr prints all of them.
 */

/** Gauges 3.8 samples at scrape time (ZooKeeperServer.registerMetrics), by our handle name. */
export const GAUGE_NAMES = {
  avgLatency: 'avg_latency',
  maxLatency: 'max_latency',
  minLatency: 'min_latency',
  packetsReceived: 'packets_received',
  packetsSent: 'packets_sent',
  numAliveConnections: 'num_alive_connections',
  outstandingRequests: 'outstanding_requests',
  uptime: 'uptime',
  znodeCount: 'znode_count',
  watchCount: 'watch_count',
  ephemeralsCount: 'ephemerals_count',
  approximateDataSize: 'approximate_data_size',
  globalSessions: 'global_sessions',
  localSessions: 'local_sessions',
  openFileDescriptorCount: 'open_file_descriptor_count',
  maxFileDescriptorCount: 'max_file_descriptor_count',
  connectionDropProbability: 'connection_drop_probability',
  lastClientResponseSize: 'last_client_response_size',
  maxClientResponseSize: 'max_client_response_size',
  minClientResponseSize: 'min_client_response_size',
  outstandingTlsHandshake: 'outstanding_tls_handshake',
  authFailedCount: 'auth_failed_count',
  nonMtlsRemoteConnCount: 'non_mtls_remote_conn_count',
  nonMtlsLocalConnCount: 'non_mtls_local_conn_count',
} as const;
export type GaugeHandle = keyof typeof GAUGE_NAMES;

/** The label 3.8 gives gauge sets, counter sets and summary sets. */
export const SET_LABEL = 'key';

/** Gauge sets labelled by namespace (QuotaMetricsUtils), sampled at scrape time. */
export const GAUGE_SET_NAMES = {
  quotaCountLimit: 'quota_count_limit_per_namespace',
  quotaBytesLimit: 'quota_bytes_limit_per_namespace',
  quotaCountUsage: 'quota_count_usage_per_namespace',
  quotaBytesUsage: 'quota_bytes_usage_per_namespace',
} as const;
export type GaugeSetHandle = keyof typeof GAUGE_SET_NAMES;

/** Counters of ServerMetrics that zk-ts can count, by handle name. */
export const COUNTER_NAMES = {
  /** Client connections accepted (before any limit is checked). */
  connectionRequestCount: 'connection_request_count',
  /** Client connections refused (maxClientCnxns, or the server not accepting sessions). */
  connectionRejected: 'connection_rejected',
  /** Bytes read from client connections (frames and their length prefixes). */
  bytesReceivedCount: 'bytes_received_count',
  /** Bytes of replies written to clients. */
  responseBytes: 'response_bytes',
  /** Bytes of watch notifications written to clients. */
  watchBytes: 'watch_bytes',
  /** Requests refused because they exceed jute.maxbuffer. */
  largeRequestsRejected: 'large_requests_rejected',
  /** Sessions closed because they expired. */
  staleSessionsExpired: 'stale_sessions_expired',
  /** Connections closed because they never established a session in time. */
  sessionlessConnectionsExpired: 'sessionless_connections_expired',
  /** Failures the server cannot recover from without a restart (e.g. the txn log cannot be written). */
  unrecoverableErrorCount: 'unrecoverable_error_count',
} as const;
export type CounterHandle = keyof typeof COUNTER_NAMES;

/** Counter sets labelled by namespace. */
export const COUNTER_SET_NAMES = {
  /** Writes refused because a hard quota of the namespace was exceeded. */
  quotaExceededErrorPerNamespace: 'quota_exceeded_error_per_namespace',
} as const;
export type CounterSetHandle = keyof typeof COUNTER_SET_NAMES;

/** Summaries with the median only (DetailLevel.BASIC), by handle name. */
export const BASIC_SUMMARY_NAMES = {
  /** Milliseconds one fdatasync of the txn log took. */
  fsyncTime: 'fsynctime',
  /** Milliseconds one snapshot took to write. */
  snapshotTime: 'snapshottime',
  /** Milliseconds loading the database (snapshot + txn logs) took at start. */
  dbInitTime: 'dbinittime',
  /** Milliseconds loading the snapshot took at start. */
  startupSnapLoadTime: 'startup_snap_load_time',
  /** Milliseconds replaying the txn logs took at start. */
  startupTxnsLoadTime: 'startup_txns_load_time',
  /** Txns replayed from the txn logs at start. */
  startupTxnsLoaded: 'startup_txns_loaded',
  /** Txns made durable by one fsync (group commit batch size). */
  syncProcessorBatchSize: 'sync_processor_batch_size',
} as const;
export type BasicSummaryHandle = keyof typeof BASIC_SUMMARY_NAMES;

/** Summaries with the 0.5, 0.9 and 0.99 quantiles (DetailLevel.ADVANCED), by handle name. */
export const ADVANCED_SUMMARY_NAMES = {
  /** Milliseconds from receiving a read request to sending its reply. */
  readLatency: 'readlatency',
  /** Milliseconds from receiving a write request to sending its reply. */
  updateLatency: 'updatelatency',
} as const;
export type AdvancedSummaryHandle = keyof typeof ADVANCED_SUMMARY_NAMES;

/** Summary sets labelled by namespace (BASIC): sizes in bytes of reads / writes per namespace. */
export const SUMMARY_SET_NAMES = {
  readPerNamespace: 'read_per_namespace',
  writePerNamespace: 'write_per_namespace',
} as const;
export type SummarySetHandle = keyof typeof SUMMARY_SET_NAMES;

/** Quantiles (and their tolerated errors, which prom-client does not use) of 3.8's summaries. */
export const BASIC_QUANTILES: readonly number[] = [0.5];
export const ADVANCED_QUANTILES: readonly number[] = [0.5, 0.9, 0.99];
/** Sliding window of the quantiles: io.prometheus.client.Summary defaults. */
export const SUMMARY_MAX_AGE_SECONDS = 600;
export const SUMMARY_AGE_BUCKETS = 5;

/** The only path the metrics HTTP server answers (3.8: a servlet mapped at /metrics). */
export const METRICS_PATH = '/metrics';

/** Every name above, for tests and docs. */
export const ALL_METRIC_NAMES: readonly string[] = [
  ...Object.values(GAUGE_NAMES),
  ...Object.values(GAUGE_SET_NAMES),
  ...Object.values(COUNTER_NAMES),
  ...Object.values(COUNTER_SET_NAMES),
  ...Object.values(BASIC_SUMMARY_NAMES),
  ...Object.values(ADVANCED_SUMMARY_NAMES),
  ...Object.values(SUMMARY_SET_NAMES),
];
