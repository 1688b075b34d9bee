/**
 * Every metric name zk-ts exports on /metrics, in one place.
 *
 * Names, types and help text are those of ZooKeeper 3.8.0's PrometheusMetricsProvider, which
 * registers each metric under its bare name (no `zk_` prefix, unlike mntr) with the name itself as
 * the help text, and exposes it with the Prometheus text format 0.0.4:
 *
 *   - gauges registered by ZooKeeperServer.registerMetrics: sampled when /metrics is scraped;
 *   - gauge sets (one gauge with the label `key` = namespace): the quota gauges;
 *   - counters and summaries of ServerMetrics: updated by the server as things happen (the list
 *     and the meaning of each is in server-metrics.ts).
 *     A BASIC summary reports the 0.5 quantile, an ADVANCED one 0.5, 0.9 and 0.99, each with
 *     `_count` and `_sum`, over a sliding window of 10 minutes in 5 buckets (the defaults of the
 *     Prometheus Java client 0.9.0 that 3.8 uses).
 *
 * Units are 3.8's: times in milliseconds, sizes in bytes, everything else a plain count.
 * 3.8 registers many more counters and summaries (request throttler, commit processor, JVM pauses,
 * ...); those describe machinery zk-ts does not have, so they are not exported. The gauges are all
 * exported, like mntr prints all of them.
 */

import {
  RECORDED_COUNTERS,
  RECORDED_NAMESPACE_SUMMARIES,
  RECORDED_PERCENTILE_SUMMARIES,
  RECORDED_SUMMARIES,
  type RecordedCounter,
  type RecordedNamespaceSummary,
  type RecordedPercentileSummary,
  type RecordedSummary,
} from './server-metrics.js';

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

/**
 * Gauges only ensemble members have (3.8's QuorumZooKeeperServer and LeaderZooKeeperServer):
 * quorum_size on every member, the rest only on the leader, exported while it leads.
 */
export const MEMBER_GAUGE_NAMES = {
  quorumSize: 'quorum_size',
} as const;
export const LEADER_GAUGE_NAMES = {
  learners: 'learners',
  syncedFollowers: 'synced_followers',
  syncedNonVotingFollowers: 'synced_non_voting_followers',
  syncedObservers: 'synced_observers',
  pendingSyncs: 'pending_syncs',
  leaderUptime: 'leader_uptime',
  lastProposalSize: 'last_proposal_size',
  minProposalSize: 'min_proposal_size',
  maxProposalSize: 'max_proposal_size',
} as const;
export type MemberGaugeHandle = keyof typeof MEMBER_GAUGE_NAMES;
export type LeaderGaugeHandle = keyof typeof LEADER_GAUGE_NAMES;

/** Counters and summaries: those the server records (server-metrics.ts), under their 3.8 names. */
export const COUNTER_NAMES: readonly RecordedCounter[] = Object.keys(RECORDED_COUNTERS) as RecordedCounter[];
/** Summaries with the median only (DetailLevel.BASIC). */
export const BASIC_SUMMARY_NAMES: readonly RecordedSummary[] = Object.keys(RECORDED_SUMMARIES) as RecordedSummary[];
/** Summaries with the 0.5, 0.9 and 0.99 quantiles (DetailLevel.ADVANCED). */
export const ADVANCED_SUMMARY_NAMES: readonly RecordedPercentileSummary[] = Object.keys(RECORDED_PERCENTILE_SUMMARIES) as RecordedPercentileSummary[];
/** Summary sets labelled by namespace (BASIC): sizes in bytes of reads / writes per namespace. */
export const SUMMARY_SET_NAMES: readonly RecordedNamespaceSummary[] = Object.keys(RECORDED_NAMESPACE_SUMMARIES) as RecordedNamespaceSummary[];

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
  ...Object.values(MEMBER_GAUGE_NAMES),
  ...Object.values(LEADER_GAUGE_NAMES),
  ...COUNTER_NAMES,
  ...BASIC_SUMMARY_NAMES,
  ...ADVANCED_SUMMARY_NAMES,
  ...SUMMARY_SET_NAMES,
];
