/**
 * The typed list of every metric handle, registered on a registry the caller owns (never
 * prom-client's global default registry), and the scrape-time gauges.
 *
 * Two ways values reach /metrics:
 *   - pushed: counters and summaries need every event, so {@link ZkMetrics.sink} is given to the
 *     server's {@link ServerMetrics} recorder, which passes each event on as it happens;
 *   - pulled: the gauges read a {@link MetricsSource} (the same snapshots the admin commands print)
 *     when /metrics is scraped, once per scrape, so they never go stale and cost nothing between
 *     scrapes. {@link bindGauges} connects the source; until then the gauges read 0.
 *
 * Names, types and help texts are 3.8's (see names.ts).
 */

import { Counter, Gauge, Summary, collectDefaultMetrics, type Registry } from 'prom-client';
import {
  type QuorumStats,
  summaryAverage,
  summaryMax,
  summaryMin,
  type MntrExtraGaugeName,
  type MntrMetrics,
  type NamespaceQuota,
  type ServerStatsSnapshot,
} from '../admin/index.js';
import {
  ADVANCED_QUANTILES,
  ADVANCED_SUMMARY_NAMES,
  BASIC_QUANTILES,
  BASIC_SUMMARY_NAMES,
  COUNTER_NAMES,
  GAUGE_NAMES,
  GAUGE_SET_NAMES,
  LEADER_GAUGE_NAMES,
  MEMBER_GAUGE_NAMES,
  SET_LABEL,
  SUMMARY_AGE_BUCKETS,
  SUMMARY_MAX_AGE_SECONDS,
  SUMMARY_SET_NAMES,
  type GaugeHandle,
  type GaugeSetHandle,
  type LeaderGaugeHandle,
  type MemberGaugeHandle,
} from './names.js';
import type { MetricsSink, RecordedCounter, RecordedNamespaceSummary, RecordedPercentileSummary, RecordedSummary } from './server-metrics.js';

/** What the scrape-time gauges read. An AdminView (src/admin) is one. */
export interface MetricsSource {
  stats(): ServerStatsSnapshot;
  mntrMetrics(): MntrMetrics;
  /** The member's place in its ensemble; absent or null on a standalone server. */
  quorum?(): QuorumStats | null;
}

export type SetLabel = typeof SET_LABEL;

export interface ZkMetrics {
  readonly registry: Registry;
  /** Read-only for callers: their values come from the bound {@link MetricsSource}. */
  readonly gauges: { readonly [K in GaugeHandle]: Gauge };
  readonly gaugeSets: { readonly [K in GaugeSetHandle]: Gauge<SetLabel> };
  /** Set by {@link bindGauges}; null reads 0 (and no labelled quota gauges). */
  readonly gaugeSource: { current: MetricsSource | null };
  /** Give this to the server's ServerMetrics: counters and summaries arrive through it. */
  readonly sink: MetricsSink;
  /**
   * Call before each scrape: registers the ensemble gauges while the bound source is a member
   * (the leader's only while it leads) and removes them otherwise, as 3.8 registers and
   * unregisters them with the role.
   */
  refreshRegistrations(): void;
}

export interface CreateMetricsOptions {
  /**
   * metricsProvider.exportJvmInfo (3.8 default true): also export the runtime's own metrics.
   * We are not a JVM, so these are prom-client's default metrics: `process_*` (the same names the
   * Java client's process collector uses) and `nodejs_*` in place of `jvm_*`.
   */
  readonly runtimeMetrics?: boolean;
}

/** Builds one handle per entry of a name table. */
function handles<K extends string, V>(names: Readonly<Record<K, string>>, make: (name: string, key: K) => V): Record<K, V> {
  const entries = (Object.keys(names) as K[]).map((key): [K, V] => [key, make(names[key], key)]);
  return Object.fromEntries(entries) as Record<K, V>;
}

/** Registers every metric of names.ts on `registry` and returns the typed handles. */
export function createMetrics(registry: Registry, options: CreateMetricsOptions = {}): ZkMetrics {
  const registers = [registry];
  const gaugeSource: { current: MetricsSource | null } = { current: null };
  const read = scrapeReader(gaugeSource);

  // prom-client calls collect() right before it renders a gauge.
  const gauges = handles(GAUGE_NAMES, (name, key) => {
    const value = GAUGE_VALUES[key];
    return new Gauge({
      name,
      help: name,
      registers,
      collect() {
        const snapshot = read();
        this.set(snapshot === null ? 0 : value(snapshot));
      },
    });
  });
  const gaugeSets = handles(GAUGE_SET_NAMES, (name, key) => {
    const field = QUOTA_FIELDS[key];
    return new Gauge({
      name,
      help: name,
      labelNames: [SET_LABEL],
      registers,
      collect() {
        this.reset();
        for (const ns of read()?.mntr.namespaces ?? []) {
          if (ns.quota !== undefined) this.set({ [SET_LABEL]: ns.namespace }, ns.quota[field]);
        }
      },
    });
  });

  const summary = (percentiles: readonly number[]) => (name: string) =>
    new Summary({ name, help: name, percentiles: [...percentiles], maxAgeSeconds: SUMMARY_MAX_AGE_SECONDS, ageBuckets: SUMMARY_AGE_BUCKETS, registers });
  const counters = byName(COUNTER_NAMES, (name) => new Counter({ name, help: name, registers }));
  const summaries = byName<RecordedSummary | RecordedPercentileSummary, Summary>(
    [...BASIC_SUMMARY_NAMES, ...ADVANCED_SUMMARY_NAMES],
    (name) => summary((BASIC_SUMMARY_NAMES as readonly string[]).includes(name) ? BASIC_QUANTILES : ADVANCED_QUANTILES)(name),
  );
  const summarySets = byName<RecordedNamespaceSummary, Summary<SetLabel>>(
    SUMMARY_SET_NAMES,
    (name) =>
      new Summary({
        name,
        help: name,
        labelNames: [SET_LABEL],
        percentiles: [...BASIC_QUANTILES],
        maxAgeSeconds: SUMMARY_MAX_AGE_SECONDS,
        ageBuckets: SUMMARY_AGE_BUCKETS,
        registers,
      }),
  );
  const sink: MetricsSink = {
    count: (name: RecordedCounter, by: number) => counters[name].inc(by),
    observe: (name, value) => summaries[name].observe(value),
    observeNamespace: (name, namespace, value) => summarySets[name].observe({ [SET_LABEL]: namespace }, value),
  };

  // Not registered until the bound source is an ensemble member (see refreshRegistrations).
  const readQuorum = (): QuorumStats | null => read()?.quorum ?? null;
  const memberGauges = handles(MEMBER_GAUGE_NAMES, (name, key) => {
    const value = MEMBER_GAUGE_VALUES[key];
    return new Gauge({
      name,
      help: name,
      registers: [],
      collect() {
        const quorum = readQuorum();
        this.set(quorum === null ? 0 : value(quorum));
      },
    });
  });
  const leaderGauges = handles(LEADER_GAUGE_NAMES, (name, key) => {
    const value = LEADER_GAUGE_VALUES[key];
    return new Gauge({
      name,
      help: name,
      registers: [],
      collect() {
        const leader = readQuorum()?.leader ?? null;
        this.set(leader === null ? 0 : value(leader));
      },
    });
  });
  const showGauges = <K extends string>(names: Readonly<Record<K, string>>, group: Readonly<Record<K, Gauge>>, shown: boolean): void => {
    for (const key of Object.keys(names) as K[]) {
      const registered = registry.getSingleMetric(names[key]) !== undefined;
      if (shown && !registered) registry.registerMetric(group[key]);
      if (!shown && registered) registry.removeSingleMetric(names[key]);
    }
  };
  const refreshRegistrations = (): void => {
    const quorum = gaugeSource.current?.quorum?.() ?? null;
    showGauges(MEMBER_GAUGE_NAMES, memberGauges, quorum !== null);
    showGauges(LEADER_GAUGE_NAMES, leaderGauges, quorum !== null && quorum.leader !== null);
  };

  if (options.runtimeMetrics === true) collectDefaultMetrics({ register: registry });

  return { registry, gauges, gaugeSets, gaugeSource, sink, refreshRegistrations };
}

/** One handle per name of a list, keyed by the name itself. */
function byName<K extends string, V>(names: readonly K[], make: (name: K) => V): Record<K, V> {
  return Object.fromEntries(names.map((name) => [name, make(name)])) as Record<K, V>;
}

/**
 * Makes the gauges of `metrics` read `source` at scrape time. Returns a function that unbinds it
 * (call it when the server stops, so a late scrape does not read a closed replica).
 */
export function bindGauges(metrics: ZkMetrics, source: MetricsSource): () => void {
  metrics.gaugeSource.current = source;
  return () => {
    if (metrics.gaugeSource.current === source) metrics.gaugeSource.current = null;
  };
}

interface ScrapeSnapshot {
  readonly stats: ServerStatsSnapshot;
  readonly mntr: MntrMetrics;
  readonly quorum: QuorumStats | null;
}

/**
 * One snapshot of the source per scrape: Registry.metrics() runs every collect() synchronously,
 * one after the other, before its first await, so a snapshot dropped at the next microtask is
 * shared by all gauges of one scrape and never by two scrapes.
 */
function scrapeReader(slot: { readonly current: MetricsSource | null }): () => ScrapeSnapshot | null {
  let cached: ScrapeSnapshot | null = null;
  return () => {
    const source = slot.current;
    if (source === null) return null;
    if (cached === null) {
      cached = { stats: source.stats(), mntr: source.mntrMetrics(), quorum: source.quorum?.() ?? null };
      queueMicrotask(() => {
        cached = null;
      });
    }
    return cached;
  };
}

/** The value mntr prints for a gauge the view may leave out (3.8's idle values). */
function extraGauge(s: ScrapeSnapshot, name: MntrExtraGaugeName, idle: number): number {
  return s.mntr.gauges?.[name] ?? idle;
}

const GAUGE_VALUES: { readonly [K in GaugeHandle]: (s: ScrapeSnapshot) => number } = {
  avgLatency: (s) => summaryAverage(s.stats.requestLatency),
  maxLatency: (s) => summaryMax(s.stats.requestLatency),
  minLatency: (s) => summaryMin(s.stats.requestLatency),
  packetsReceived: (s) => s.stats.packetsReceived,
  packetsSent: (s) => s.stats.packetsSent,
  numAliveConnections: (s) => s.stats.aliveConnections,
  outstandingRequests: (s) => s.stats.outstandingRequests,
  uptime: (s) => s.stats.uptimeMs,
  znodeCount: (s) => s.stats.nodeCount,
  watchCount: (s) => s.stats.watchCount,
  ephemeralsCount: (s) => s.stats.ephemeralsCount,
  approximateDataSize: (s) => s.stats.approximateDataSize,
  globalSessions: (s) => s.stats.globalSessions,
  localSessions: (s) => extraGauge(s, 'local_sessions', 0),
  openFileDescriptorCount: (s) => s.stats.openFileDescriptors,
  maxFileDescriptorCount: (s) => s.stats.maxFileDescriptors,
  connectionDropProbability: (s) => extraGauge(s, 'connection_drop_probability', 0),
  lastClientResponseSize: (s) => extraGauge(s, 'last_client_response_size', -1),
  maxClientResponseSize: (s) => extraGauge(s, 'max_client_response_size', -1),
  minClientResponseSize: (s) => extraGauge(s, 'min_client_response_size', -1),
  outstandingTlsHandshake: (s) => extraGauge(s, 'outstanding_tls_handshake', 0),
  authFailedCount: (s) => extraGauge(s, 'auth_failed_count', 0),
  nonMtlsRemoteConnCount: (s) => extraGauge(s, 'non_mtls_remote_conn_count', 0),
  nonMtlsLocalConnCount: (s) => extraGauge(s, 'non_mtls_local_conn_count', 0),
};

const MEMBER_GAUGE_VALUES: { readonly [K in MemberGaugeHandle]: (q: QuorumStats) => number } = {
  quorumSize: (q) => q.quorumSize,
};

const LEADER_GAUGE_VALUES: { readonly [K in LeaderGaugeHandle]: (l: NonNullable<QuorumStats['leader']>) => number } = {
  learners: (l) => l.learners,
  syncedFollowers: (l) => l.syncedFollowers,
  syncedNonVotingFollowers: (l) => l.syncedNonVotingFollowers,
  syncedObservers: (l) => l.syncedObservers,
  pendingSyncs: (l) => l.pendingSyncs,
  leaderUptime: (l) => l.uptimeMs,
  lastProposalSize: (l) => l.proposalSizes.last,
  minProposalSize: (l) => l.proposalSizes.min,
  maxProposalSize: (l) => l.proposalSizes.max,
};

const QUOTA_FIELDS: { readonly [K in GaugeSetHandle]: keyof NamespaceQuota } = {
  quotaCountLimit: 'countLimit',
  quotaBytesLimit: 'bytesLimit',
  quotaCountUsage: 'countUsage',
  quotaBytesUsage: 'bytesUsage',
};
