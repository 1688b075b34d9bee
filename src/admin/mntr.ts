/**
 * `mntr`: every key a standalone ZooKeeper 3.8.0 prints, in its order, with
 * its value type (integer, or Java double for averages and
 * connection_drop_probability).
 *
 * Not tracked by zk-ts yet (the server may supply them via MntrMetrics; until
 * then they print 3.8's idle value): the MNTR_EXTRA_GAUGES (client response
 * sizes -1, TLS/mTLS/auth counts 0, local_sessions 0,
 * connection_drop_probability 0.0), every entry of MNTR_COUNTERS,
 * MNTR_BASIC_SUMMARIES and MNTR_PERCENTILE_SUMMARIES (JVM-, quorum- and
 * request-pipeline-specific; e.g. jvm_pause_time_ms, election_time,
 * fsynctime, snapshottime, updatelatency, readlatency), and the
 * per-namespace quota / read / write metrics. The view decides which of
 * these it fills; the admin module only formats.
 *
 * An ensemble member (AdminView.quorum) also prints what 3.8's quorum servers
 * add: peer_state (and observer_master_id on an observer) after server_state,
 * quorum_size and, on the leader, the learner and proposal-size gauges among
 * the gauges, and the per-learner summary sets (learner_handler_qp_size,
 * learner_handler_qp_time_ms, ack_latency) at the end.
 */

import type { AdminView, NamespaceMetrics, PercentileSummaryStats, PerServerSummary, QuorumStats, SummaryStats } from './admin-view.js';
import {
  EMPTY_SUMMARY,
  javaDouble,
  javaHashOrder,
  javaLong,
  javaStringHash,
  summaryAverage,
  summaryMax,
  summaryMin,
} from './java-format.js';
import {
  MNTR_BASIC_SUMMARIES,
  MNTR_COUNTERS,
  MNTR_GAUGES,
  MNTR_LEARNER_BASIC_SUMMARY_SET,
  MNTR_LEARNER_PERCENTILE_SUMMARY_SETS,
  MNTR_MEMBER_GAUGES,
  MNTR_PERCENTILE_SUMMARIES,
  MNTR_QUORUM_GAUGES,
  type MntrExtraGaugeName,
  type MntrGaugeName,
  type MntrQuorumGaugeName,
} from './mntr-keys.js';

/** A value as 3.8's MonitorCommand prints it: Long/Integer as integers, other numbers as doubles. */
type MntrValue = { readonly kind: 'long'; readonly value: number } | { readonly kind: 'double'; readonly value: number };

const long = (value: number): MntrValue => ({ kind: 'long', value });
const double = (value: number): MntrValue => ({ kind: 'double', value });

const EXTRA_GAUGE_IDLE: Readonly<Record<MntrExtraGaugeName, MntrValue>> = {
  non_mtls_remote_conn_count: long(0),
  last_client_response_size: long(-1),
  max_client_response_size: long(-1),
  connection_drop_probability: double(0),
  auth_failed_count: long(0),
  local_sessions: long(0),
  outstanding_tls_handshake: long(0),
  min_client_response_size: long(-1),
  non_mtls_local_conn_count: long(0),
};

function isExtraGauge(name: MntrGaugeName): name is MntrExtraGaugeName {
  return Object.hasOwn(EXTRA_GAUGE_IDLE, name);
}

const QUORUM_GAUGE_NAMES: ReadonlySet<string> = new Set<string>(MNTR_QUORUM_GAUGES);

function isQuorumGauge(name: MntrGaugeName | MntrQuorumGaugeName): name is MntrQuorumGaugeName {
  return QUORUM_GAUGE_NAMES.has(name);
}

/** Quota gauge sets in the order 3.8 iterates them. */
const QUOTA_SETS = [
  ['quota_bytes_limit_per_namespace', 'bytesLimit'],
  ['quota_count_usage_per_namespace', 'countUsage'],
  ['quota_count_limit_per_namespace', 'countLimit'],
  ['quota_bytes_usage_per_namespace', 'bytesUsage'],
] as const;

function line(out: string[], key: string, v: MntrValue | string): void {
  const text = typeof v === 'string' ? v : v.kind === 'long' ? javaLong(v.value) : javaDouble(v.value);
  out.push(`zk_${key}\t${text}\n`);
}

function summaryLines(out: string[], name: string, s: SummaryStats): void {
  line(out, `avg_${name}`, double(summaryAverage(s)));
  line(out, `min_${name}`, long(summaryMin(s)));
  line(out, `max_${name}`, long(summaryMax(s)));
  line(out, `cnt_${name}`, long(s.count));
  line(out, `sum_${name}`, long(s.sum));
}

function percentileLines(out: string[], name: string, s: PercentileSummaryStats | undefined): void {
  summaryLines(out, name, s ?? EMPTY_SUMMARY);
  line(out, `p50_${name}`, long(Math.round(s?.p50 ?? 0)));
  line(out, `p95_${name}`, long(Math.round(s?.p95 ?? 0)));
  line(out, `p99_${name}`, long(Math.round(s?.p99 ?? 0)));
  line(out, `p999_${name}`, long(Math.round(s?.p999 ?? 0)));
}

/** A summary set's entries: 3.8 keys them by `Long.toString(sid)` in a ConcurrentHashMap. */
function perServerOrder<S extends SummaryStats>(items: readonly PerServerSummary<S>[]): PerServerSummary<S>[] {
  return javaHashOrder(items, (item) => javaStringHash(BigInt.asIntN(64, item.sid).toString()), 'ConcurrentHashMap');
}

/**
 * The quorum gauges a member prints, or undefined for those it does not register. 3.8 registers
 * the leader's gauges only on a leader, and prints nothing for a gauge whose value is null (the
 * synced_observers gauge of a follower without an observer master).
 */
function quorumGauges(quorum: QuorumStats): Partial<Record<MntrQuorumGaugeName, MntrValue>> {
  const leader = quorum.leader;
  if (leader === null) return { quorum_size: long(quorum.quorumSize) };
  return {
    quorum_size: long(quorum.quorumSize),
    min_proposal_size: long(leader.proposalSizes.min),
    max_proposal_size: long(leader.proposalSizes.max),
    last_proposal_size: long(leader.proposalSizes.last),
    synced_followers: long(leader.syncedFollowers),
    synced_non_voting_followers: long(leader.syncedNonVotingFollowers),
    synced_observers: long(leader.syncedObservers),
    pending_syncs: long(leader.pendingSyncs),
    leader_uptime: long(leader.uptimeMs),
    learners: long(leader.learners),
  };
}

/** 3.8's metric maps per namespace are ConcurrentHashMaps keyed by the namespace. */
function namespaceOrder(items: readonly NamespaceMetrics[]): NamespaceMetrics[] {
  return javaHashOrder(items, (n) => javaStringHash(n.namespace), 'ConcurrentHashMap');
}

/** The body of `mntr` (assumes the server is running). */
export function renderMntr(view: AdminView): string {
  const stats = view.stats();
  const metrics = view.mntrMetrics();
  const out: string[] = [];

  const quorum = view.quorum?.() ?? null;
  line(out, 'version', view.serverVersion);
  line(out, 'server_state', view.mode());
  if (quorum !== null) {
    line(out, 'peer_state', quorum.peerState);
    if (quorum.observerMasterId !== null) line(out, 'observer_master_id', quorum.observerMasterId.toString());
  }

  const fromStats: Readonly<Record<Exclude<MntrGaugeName, MntrExtraGaugeName>, MntrValue>> = {
    ephemerals_count: long(stats.ephemeralsCount),
    num_alive_connections: long(stats.aliveConnections),
    avg_latency: double(summaryAverage(stats.requestLatency)),
    outstanding_requests: long(stats.outstandingRequests),
    znode_count: long(stats.nodeCount),
    global_sessions: long(stats.globalSessions),
    packets_sent: long(stats.packetsSent),
    packets_received: long(stats.packetsReceived),
    watch_count: long(stats.watchCount),
    min_latency: long(summaryMin(stats.requestLatency)),
    max_file_descriptor_count: long(stats.maxFileDescriptors),
    approximate_data_size: long(stats.approximateDataSize),
    open_file_descriptor_count: long(stats.openFileDescriptors),
    uptime: long(stats.uptimeMs),
    max_latency: long(summaryMax(stats.requestLatency)),
  };
  const memberGauges = quorum === null ? {} : quorumGauges(quorum);
  for (const name of quorum === null ? MNTR_GAUGES : MNTR_MEMBER_GAUGES) {
    if (isQuorumGauge(name)) {
      const value = memberGauges[name];
      if (value !== undefined) line(out, name, value);
    } else if (isExtraGauge(name)) {
      const idle = EXTRA_GAUGE_IDLE[name];
      const supplied = metrics.gauges?.[name];
      line(out, name, supplied === undefined ? idle : { kind: idle.kind, value: supplied });
    } else {
      line(out, name, fromStats[name]);
    }
  }

  const namespaces = namespaceOrder(metrics.namespaces ?? []);
  for (const [setName, field] of QUOTA_SETS) {
    for (const ns of namespaces) {
      if (ns.quota !== undefined) line(out, `${ns.namespace}_${setName}`, long(ns.quota[field]));
    }
  }

  for (const name of MNTR_COUNTERS) line(out, name, long(metrics.counters?.[name] ?? 0));
  for (const ns of namespaces) {
    if (ns.quotaExceededErrors !== undefined) {
      line(out, `${ns.namespace}_quota_exceeded_error_per_namespace`, long(ns.quotaExceededErrors));
    }
  }

  for (const name of MNTR_BASIC_SUMMARIES) summaryLines(out, name, metrics.summaries?.[name] ?? EMPTY_SUMMARY);
  for (const name of MNTR_PERCENTILE_SUMMARIES) percentileLines(out, name, metrics.percentileSummaries?.[name]);

  for (const item of perServerOrder(quorum?.learnerQueueSizes ?? [])) {
    summaryLines(out, `${BigInt.asIntN(64, item.sid).toString()}_${MNTR_LEARNER_BASIC_SUMMARY_SET}`, item.stats);
  }
  for (const ns of namespaces) {
    if (ns.reads !== undefined) summaryLines(out, `${ns.namespace}_read_per_namespace`, ns.reads);
  }
  for (const ns of namespaces) {
    if (ns.writes !== undefined) summaryLines(out, `${ns.namespace}_write_per_namespace`, ns.writes);
  }
  for (const set of MNTR_LEARNER_PERCENTILE_SUMMARY_SETS) {
    const items = set === 'ack_latency' ? quorum?.ackLatencies : quorum?.learnerQueueTimes;
    for (const item of perServerOrder(items ?? [])) percentileLines(out, `${BigInt.asIntN(64, item.sid).toString()}_${set}`, item.stats);
  }
  return out.join('');
}
