// The Prometheus metrics: every name registered on the caller's registry with 3.8's type and help,
// gauges read from the view once per scrape, and the /metrics endpoint on a free port.

import { Registry, register as globalRegistry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MntrMetrics, QuorumStats, ServerStatsSnapshot } from '../../src/admin/index.js';
import { silentLogger } from '../../src/logging/logger.js';
import {
  ADVANCED_SUMMARY_NAMES,
  ALL_METRIC_NAMES,
  BASIC_SUMMARY_NAMES,
  bindGauges,
  COUNTER_NAMES,
  createMetrics,
  GAUGE_NAMES,
  GAUGE_SET_NAMES,
  LEADER_GAUGE_NAMES,
  MEMBER_GAUGE_NAMES,
  ServerMetrics,
  startMetricsServer,
  SUMMARY_SET_NAMES,
  type MetricsSource,
  type RunningMetricsServer,
  type ZkMetrics,
} from '../../src/metrics/index.js';
import { IDLE_STATS } from './fake-view.js';
import { httpGet, httpRequest } from './http-request.js';

function countingSource(stats: ServerStatsSnapshot, mntr: MntrMetrics = {}): MetricsSource & { statsCalls: number } {
  const source = {
    statsCalls: 0,
    stats: () => {
      source.statsCalls++;
      return stats;
    },
    mntrMetrics: () => mntr,
  };
  return source;
}

/** The sample lines of one metric (no comments). */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`) || line.startsWith(`${name}_`));
}

describe('createMetrics', () => {
  it('registers every metric of names.ts on the given registry, with 3.8 types and help = name, never on the global one', async () => {
    const registry = new Registry();
    createMetrics(registry);
    const text = await registry.metrics();
    const ensembleOnly: string[] = [...Object.values(MEMBER_GAUGE_NAMES), ...Object.values(LEADER_GAUGE_NAMES)];
    const expectedTypes: Array<readonly [string, string]> = [
      ...Object.values(GAUGE_NAMES).map((n): [string, string] => [n, 'gauge']),
      ...Object.values(GAUGE_SET_NAMES).map((n): [string, string] => [n, 'gauge']),
      ...COUNTER_NAMES.map((n): [string, string] => [n, 'counter']),
      ...BASIC_SUMMARY_NAMES.map((n): [string, string] => [n, 'summary']),
      ...ADVANCED_SUMMARY_NAMES.map((n): [string, string] => [n, 'summary']),
      ...SUMMARY_SET_NAMES.map((n): [string, string] => [n, 'summary']),
    ];
    expect([...expectedTypes.map(([n]) => n), ...ensembleOnly].sort()).toEqual([...ALL_METRIC_NAMES].sort());
    expect(new Set(ALL_METRIC_NAMES).size).toBe(ALL_METRIC_NAMES.length);
    for (const [name, type] of expectedTypes) {
      expect(text).toContain(`# HELP ${name} ${name}\n# TYPE ${name} ${type}\n`);
    }
    // The ensemble gauges appear only once a member is bound (see refreshRegistrations below).
    expect(registry.getMetricsAsArray()).toHaveLength(ALL_METRIC_NAMES.length - ensembleOnly.length);
    expect(await globalRegistry.metrics()).toBe('\n');
  });

  it('two metric sets on two registries do not collide', () => {
    createMetrics(new Registry());
    expect(() => createMetrics(new Registry())).not.toThrow();
  });

  it('reads 0 from unbound gauges', async () => {
    const registry = new Registry();
    createMetrics(registry);
    const text = await registry.metrics();
    expect(samples(text, 'znode_count')).toEqual(['znode_count 0']);
    expect(samples(text, 'quota_count_limit_per_namespace')).toEqual([]);
  });
});

describe('bindGauges', () => {
  const stats: ServerStatsSnapshot = {
    ...IDLE_STATS,
    packetsReceived: 145,
    packetsSent: 146,
    requestLatency: { count: 145, sum: 106, min: 1, max: 14 },
    outstandingRequests: 2,
    aliveConnections: 3,
    nodeCount: 142,
    approximateDataSize: 2048,
    watchCount: 4,
    ephemeralsCount: 3,
    globalSessions: 2,
    uptimeMs: 895,
  };
  const mntr: MntrMetrics = {
    gauges: { local_sessions: 1, last_client_response_size: 88 },
    namespaces: [
      { namespace: 'app', quota: { countLimit: 10, bytesLimit: -1, countUsage: 4, bytesUsage: 7 } },
      { namespace: 'other', reads: { count: 1, sum: 5, min: 5, max: 5 } },
    ],
  };

  it('samples the source at scrape time, once per scrape', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    const source = countingSource(stats, mntr);
    bindGauges(metrics, source);
    const text = await registry.metrics();
    expect(source.statsCalls).toBe(1);
    const value = (name: string): string[] => samples(text, name);
    expect(value('znode_count')).toEqual(['znode_count 142']);
    expect(value('packets_received')).toEqual(['packets_received 145']);
    expect(value('packets_sent')).toEqual(['packets_sent 146']);
    expect(value('num_alive_connections')).toEqual(['num_alive_connections 3']);
    expect(value('outstanding_requests')).toEqual(['outstanding_requests 2']);
    expect(value('watch_count')).toEqual(['watch_count 4']);
    expect(value('ephemerals_count')).toEqual(['ephemerals_count 3']);
    expect(value('approximate_data_size')).toEqual(['approximate_data_size 2048']);
    expect(value('global_sessions')).toEqual(['global_sessions 2']);
    expect(value('local_sessions')).toEqual(['local_sessions 1']);
    expect(value('uptime')).toEqual(['uptime 895']);
    expect(value('avg_latency')).toEqual(['avg_latency 0.731']);
    expect(value('min_latency')).toEqual(['min_latency 1']);
    expect(value('max_latency')).toEqual(['max_latency 14']);
    expect(value('open_file_descriptor_count')).toEqual(['open_file_descriptor_count 44']);
    expect(value('last_client_response_size')).toEqual(['last_client_response_size 88']);
    expect(value('min_client_response_size')).toEqual(['min_client_response_size -1']);
    expect(value('quota_count_limit_per_namespace')).toEqual(['quota_count_limit_per_namespace{key="app"} 10']);
    expect(value('quota_bytes_usage_per_namespace')).toEqual(['quota_bytes_usage_per_namespace{key="app"} 7']);

    await registry.metrics();
    expect(source.statsCalls).toBe(2);
  });

  it('stops reading the source once unbound', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    const source = countingSource(stats, mntr);
    const unbind = bindGauges(metrics, source);
    unbind();
    const text = await registry.metrics();
    expect(source.statsCalls).toBe(0);
    expect(samples(text, 'znode_count')).toEqual(['znode_count 0']);
  });
});

describe('pushed metrics', () => {
  it('summaries report 3.8 quantiles with _count and _sum; counters and sets count', async () => {
    const registry = new Registry();
    const metrics: ZkMetrics = createMetrics(registry);
    const recorder = new ServerMetrics();
    recorder.addSink(metrics.sink);
    for (const ms of [1, 2, 3, 4, 100]) recorder.observe('fsynctime', ms);
    recorder.observe('readlatency', 7);
    recorder.count('connection_request_count');
    recorder.count('connection_request_count', 2);
    recorder.observeNamespace('write_per_namespace', '/app/x', 12);
    recorder.observeNamespace('write_per_namespace', '/', 1);
    const text = await registry.metrics();
    expect(samples(text, 'fsynctime')).toEqual(['fsynctime{quantile="0.5"} 3', 'fsynctime_sum 110', 'fsynctime_count 5']);
    expect(samples(text, 'readlatency')).toEqual([
      'readlatency{quantile="0.5"} 7',
      'readlatency{quantile="0.9"} 7',
      'readlatency{quantile="0.99"} 7',
      'readlatency_sum 7',
      'readlatency_count 1',
    ]);
    expect(samples(text, 'connection_request_count')).toEqual(['connection_request_count 3']);
    expect(samples(text, 'write_per_namespace')).toContain('write_per_namespace_count{key="app"} 1');
    expect(samples(text, 'write_per_namespace')).toContain('write_per_namespace_sum{key="app"} 12');
    expect(samples(text, 'write_per_namespace').filter((line) => line.includes('_count'))).toHaveLength(1);

    // The same events as mntr sees them; srst zeroes that side only (Prometheus counters never go back).
    const mntr = recorder.snapshot();
    expect(mntr.counters?.connection_request_count).toBe(3);
    expect(mntr.summaries?.fsynctime).toEqual({ count: 5, sum: 110, min: 1, max: 100 });
    expect(mntr.percentileSummaries?.readlatency?.p50).toBe(7);
    expect(mntr.namespaces).toEqual([{ namespace: 'app', writes: { count: 1, sum: 12, min: 12, max: 12 } }]);
    recorder.reset();
    expect(recorder.snapshot().counters?.connection_request_count).toBe(0);
    expect(samples(await registry.metrics(), 'connection_request_count')).toEqual(['connection_request_count 3']);
  });

  it('registers the ensemble gauges while the source is a member, the leader ones while it leads', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    let quorum: QuorumStats | null = null;
    bindGauges(metrics, { stats: () => IDLE_STATS, mntrMetrics: () => ({}), quorum: () => quorum });
    const scrape = async (): Promise<string> => {
      metrics.refreshRegistrations();
      return registry.metrics();
    };
    expect(samples(await scrape(), 'quorum_size')).toEqual([]);
    const follower: QuorumStats = {
      peerState: 'following - broadcast',
      quorumSize: 3,
      observerMasterId: null,
      leader: null,
      learnerQueueSizes: [],
      learnerQueueTimes: [],
      ackLatencies: [],
    };
    quorum = follower;
    let text = await scrape();
    expect(samples(text, 'quorum_size')).toEqual(['quorum_size 3']);
    expect(samples(text, 'learners')).toEqual([]);
    quorum = {
      ...follower,
      peerState: 'leading - broadcast',
      leader: {
        learners: 2,
        syncedFollowers: 2,
        syncedNonVotingFollowers: 0,
        syncedObservers: 0,
        pendingSyncs: 0,
        uptimeMs: 1234,
        proposalSizes: { last: 40, min: 36, max: 90 },
      },
    };
    text = await scrape();
    expect(samples(text, 'learners')).toEqual(['learners 2']);
    expect(samples(text, 'leader_uptime')).toEqual(['leader_uptime 1234']);
    expect(samples(text, 'max_proposal_size')).toEqual(['max_proposal_size 90']);
    quorum = follower;
    text = await scrape();
    expect(samples(text, 'learners')).toEqual([]);
    expect(samples(text, 'quorum_size')).toEqual(['quorum_size 3']);
  });

  it('exports the runtime metrics in place of the JVM ones when asked (exportJvmInfo)', async () => {
    const registry = new Registry();
    createMetrics(registry, { runtimeMetrics: true });
    const names = registry.getMetricsAsArray().map((m) => m.name);
    expect(names).toContain('process_cpu_seconds_total');
    expect(names).toContain('process_resident_memory_bytes');
    expect(names.some((n) => n.startsWith('nodejs_'))).toBe(true);
    expect(await globalRegistry.metrics()).toBe('\n');
  });
});

describe('/metrics endpoint', () => {
  let server: RunningMetricsServer;
  let registry: Registry;

  beforeAll(async () => {
    registry = new Registry();
    bindGauges(createMetrics(registry), countingSource({ ...IDLE_STATS, nodeCount: 7 }));
    server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, registry, silentLogger);
  });
  afterAll(async () => {
    await server.close();
  });

  it('serves the text exposition format 0.0.4', async () => {
    const answer = await httpGet(server.port, '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(answer.body).toContain('# HELP znode_count znode_count\n# TYPE znode_count gauge\nznode_count 7\n');
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
  });

  it('filters by name[] as the Java MetricsServlet does', async () => {
    const answer = await httpGet(server.port, '/metrics?name[]=znode_count&name%5B%5D=uptime&name[]=nosuch');
    expect(answer.body).toBe('# HELP uptime uptime\n# TYPE uptime gauge\nuptime 10486\n\n# HELP znode_count znode_count\n# TYPE znode_count gauge\nznode_count 7\n');
  });

  it('answers HEAD and POST like GET, other methods 405 and other paths 404', async () => {
    const head = await httpRequest(server.port, 'HEAD', '/metrics');
    expect([head.status, head.body]).toEqual([200, '']);
    expect((await httpRequest(server.port, 'POST', '/metrics')).body).toContain('znode_count 7');
    expect((await httpRequest(server.port, 'DELETE', '/metrics')).status).toBe(405);
    for (const path of ['/', '/metrics/', '/metricsx', '/commands/ruok']) expect((await httpGet(server.port, path)).status).toBe(404);
  });

  it('rejects with MetricsServerStartError when the port is taken', async () => {
    await expect(startMetricsServer({ host: '127.0.0.1', port: server.port }, registry, silentLogger)).rejects.toMatchObject({
      name: 'MetricsServerStartError',
      code: 'ZKS_METRICS_SERVER_START',
    });
  });
});
