// The server's counters and summaries move as Apache ZooKeeper 3.8's do: the same workload runs
// against a standalone Java 3.8 server and ours (real processes, the same client), then the mntr
// values that depend only on the workload must be equal (watches triggered per event, bytes per
// namespace read and written, connect requests, quota gauges, refused connections), and those that
// depend on timing (latencies, fsyncs) must have moved on both. Our /metrics must show the same
// events, and srst must zero mntr's side.

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZooKeeperClient } from '../../src/client/index.js';
import { sendFourLetterWord } from '../support/four-letter.js';
import { freePort } from '../support/free-port.js';
import { javaZooKeeperAvailable, startJavaZooKeeper, type RunningZooKeeper, type ZooKeeperOptions } from '../support/java-zookeeper.js';
import { startOurServer } from '../support/our-server.js';
import { sleep } from '../support/zk-wait.js';
import { httpGet } from './http-request.js';

const MAX_CLIENT_CNXNS = 4;

interface Side {
  readonly server: RunningZooKeeper;
  readonly metricsPort: number;
  /** mntr right after the workload. */
  mntr: Map<string, string>;
}

let java: Side | null = null;
let ours: Side | null = null;

function parseMntr(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [key, value] = line.split('\t');
    if (key !== undefined && value !== undefined) values.set(key, value);
  }
  return values;
}

/** Connections from one IP beyond maxClientCnxns are refused; opened one by one and closed again. */
async function overflowConnections(port: number): Promise<void> {
  const sockets: net.Socket[] = [];
  try {
    for (let i = 0; i < MAX_CLIENT_CNXNS + 2; i++) {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('error', () => undefined);
      sockets.push(socket);
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()).once('error', () => resolve()));
      // 3.8 counts a connection against its IP only once a selector thread has taken it.
      await sleep(150);
    }
    await sleep(300);
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}

/** The same requests on both servers; every client is closed again. */
async function workload(port: number): Promise<void> {
  const events: string[] = [];
  const watcher = (event: { type: string }): void => {
    events.push(event.type);
  };
  const client = await ZooKeeperClient.connect(`127.0.0.1:${port}`, { sessionTimeoutMs: 30_000, watcher });
  const other = await ZooKeeperClient.connect(`127.0.0.1:${port}`, { sessionTimeoutMs: 30_000, watcher });
  try {
    await client.create('/app', Buffer.from('application'));
    await client.create('/app/a', Buffer.from('0123456789'));
    await client.create('/other', null);
    // Watches from both clients on /app/a (data), and on /app's children.
    await client.getData('/app/a', { watch: true });
    await other.exists('/app/a', { watch: true });
    await other.getChildren('/app', { watch: true });
    await client.exists('/app/missing', { watch: true });
    await client.setData('/app/a', Buffer.from('twenty bytes of data'));
    await client.create('/app/missing', Buffer.from('x'));
    await client.getChildren('/app', {});
    await other.getData('/other', {});
    await client.delete('/app/missing');
    await client.sync('/app');
    // A quota on /app, as zkCli's setquota writes it.
    await client.create('/zookeeper/quota/app', null);
    await client.create('/zookeeper/quota/app/zookeeper_limits', Buffer.from('count=10,bytes=-1'));
    await client.create('/zookeeper/quota/app/zookeeper_stats', Buffer.from('count=0,bytes=0'));
    await sleep(300);
    expect(events.filter((type) => type !== 'None').sort()).toEqual(['NodeChildrenChanged', 'NodeCreated', 'NodeDataChanged', 'NodeDataChanged']);
  } finally {
    await client.close();
    await other.close();
  }
  await overflowConnections(port);
}

/** Debian's 3.8 has no Prometheus provider jar: only ours gets the /metrics endpoint. */
async function startSide(start: (options: ZooKeeperOptions) => Promise<RunningZooKeeper>, prometheus: boolean): Promise<Side> {
  const metricsPort = await freePort();
  const metricsCfg: Record<string, string> = prometheus
    ? {
        'metricsProvider.className': 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider',
        'metricsProvider.httpPort': String(metricsPort),
        'metricsProvider.httpHost': '127.0.0.1',
      }
    : {};
  const server = await start({ extraCfg: { maxClientCnxns: String(MAX_CLIENT_CNXNS), ...metricsCfg } });
  try {
    await workload(server.port);
    await sleep(500);
    const mntr = parseMntr(await sendFourLetterWord(server.port, 'mntr'));
    return { server, metricsPort, mntr };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

beforeAll(async () => {
  if (!javaZooKeeperAvailable()) return;
  [java, ours] = await Promise.all([startSide(startJavaZooKeeper, false), startSide(startOurServer, true)]);
}, 120_000);

afterAll(async () => {
  await Promise.all([java?.server.stop(), ours?.server.stop()]);
});

function side(which: 'java' | 'ours'): Side {
  const s = which === 'java' ? java : ours;
  if (s === null) throw new Error(`the ${which} server did not start`);
  return s;
}

/** Values that depend only on the workload. */
const EXACT_KEYS = [
  'zk_connection_request_count',
  'zk_connection_revalidate_count',
  'zk_connection_rejected',
  'zk_digest_mismatches_count',
  'zk_max_client_response_size',
  'zk_min_client_response_size',
  ...['cnt', 'sum', 'min', 'max'].flatMap((stat) => [
    `zk_${stat}_node_created_watch_count`,
    `zk_${stat}_node_changed_watch_count`,
    `zk_${stat}_node_children_watch_count`,
    `zk_${stat}_node_deleted_watch_count`,
    `zk_${stat}_app_write_per_namespace`,
    `zk_${stat}_app_read_per_namespace`,
    `zk_${stat}_other_write_per_namespace`,
    `zk_${stat}_other_read_per_namespace`,
  ]),
  'zk_app_quota_count_limit_per_namespace',
  'zk_app_quota_bytes_limit_per_namespace',
  'zk_app_quota_count_usage_per_namespace',
  'zk_app_quota_bytes_usage_per_namespace',
];

/** Values that depend on timing: they must have moved on both servers. */
const MOVED_KEYS = [
  'zk_bytes_received_count',
  'zk_response_bytes',
  'zk_watch_bytes',
  'zk_cnt_updatelatency',
  'zk_cnt_readlatency',
  'zk_cnt_fsynctime',
  'zk_cnt_sync_processor_batch_size',
  'zk_cnt_propagation_latency',
  'zk_cnt_dbinittime',
  'zk_cnt_startup_snap_load_time',
];

describe.skipIf(!javaZooKeeperAvailable())('server metrics: ours against Apache ZooKeeper 3.8 under the same workload', () => {
  it.each(EXACT_KEYS)('mntr %s: the same value', (key) => {
    const expected = side('java').mntr.get(key);
    expect(expected, `Java prints ${key}`).toBeDefined();
    expect(side('ours').mntr.get(key)).toBe(expected);
  });

  it.each(MOVED_KEYS)('mntr %s: moved on both', (key) => {
    expect(Number(side('java').mntr.get(key)), `java ${key}`).toBeGreaterThan(0);
    expect(Number(side('ours').mntr.get(key)), `ours ${key}`).toBeGreaterThan(0);
  });

  it('the same events on /metrics, under 3.8 names', async () => {
    const answer = await httpGet(side('ours').metricsPort, '/metrics');
    expect(answer.status).toBe(200);
    const value = (sample: string): number => {
      const line = answer.body.split('\n').find((l) => l.startsWith(`${sample} `));
      return line === undefined ? Number.NaN : Number(line.slice(sample.length + 1));
    };
    const mntr = side('ours').mntr;
    expect(value('connection_request_count')).toBe(Number(mntr.get('zk_connection_request_count')));
    expect(value('connection_rejected')).toBe(Number(mntr.get('zk_connection_rejected')));
    expect(value('updatelatency_count')).toBe(Number(mntr.get('zk_cnt_updatelatency')));
    expect(value('node_changed_watch_count_count')).toBe(Number(mntr.get('zk_cnt_node_changed_watch_count')));
    expect(value('write_per_namespace_count{key="app"}')).toBe(Number(mntr.get('zk_cnt_app_write_per_namespace')));
    expect(value('quota_count_limit_per_namespace{key="app"}')).toBe(10);
    expect(value('fsynctime_count')).toBeGreaterThan(0);
  });

  it('srst zeroes the counters and summaries mntr shows', async () => {
    const port = side('ours').server.port;
    expect((await sendFourLetterWord(port, 'srst')).trim()).toBe('Server stats reset.');
    const after = parseMntr(await sendFourLetterWord(port, 'mntr'));
    expect(after.get('zk_connection_request_count')).toBe('0');
    expect(after.get('zk_cnt_updatelatency')).toBe('0');
    expect(after.get('zk_cnt_app_write_per_namespace')).toBe('0');
    expect(after.get('zk_max_client_response_size')).toBe('-1');
  });
});
