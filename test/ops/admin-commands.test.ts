// The AdminServer commands, rendered from a hand-made view, compared byte for byte with what
// Apache ZooKeeper 3.8.0 answered for the same state (fixtures/busy.*.json, captured by
// fixtures/capture.sh: two sessions, ephemerals, data watches, 130+ txns) or for an idle server
// (the strings below, captured the same way from a fresh server).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ADMIN_COMMANDS,
  commandResponseJson,
  jacksonString,
  jsonDouble,
  jsonObject,
  parseJavaLong,
  PRIMARY_COMMAND_NAMES,
  renderJacksonJson,
  runAdminCommand,
  type AdminHttpView,
} from '../../src/admin-http/index.js';
import { MNTR_BASIC_SUMMARIES, MNTR_COUNTERS, MNTR_GAUGES, MNTR_PERCENTILE_SUMMARIES } from '../../src/admin/index.js';
import { connection, fakeView, IDLE_STATS } from './fake-view.js';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', `busy.${name}.json`), 'utf8');

function render(name: string, view: AdminHttpView, args: Record<string, string> = {}): string {
  return renderJacksonJson(commandResponseJson(runAdminCommand(name, view, new Map(Object.entries(args)))));
}

// Session ids of the capture: a (0x...0) made the nodes, b (0x...1) joined second.
const A = 72057762032910336n;
const B = 72057762032910337n;

const connectionA = connection({
  remotePort: 50078,
  packetsReceived: 140,
  packetsSent: 140,
  sessionId: A,
  lastOperation: 'GETC',
  establishedAtMs: 1795680705986,
  lastCxid: 138,
  lastZxid: 139n,
  lastResponseTimeMs: 2564082,
  latency: { count: 140, sum: 60, min: 0, max: 14 },
});
const connectionB = connection({
  remotePort: 50082,
  packetsReceived: 5,
  packetsSent: 5,
  sessionId: B,
  lastOperation: 'GETD',
  establishedAtMs: 1795680706000,
  lastCxid: 3,
  lastZxid: 139n,
  lastResponseTimeMs: 2564084,
  latency: { count: 5, sum: 2, min: 0, max: 1 },
});

describe('admin commands against 3.8.0 captures (busy server)', () => {
  it('connections: full connection info, in the view order', () => {
    const { view } = fakeView({ connections: () => [connectionB, connectionA] });
    expect(render('connections', view)).toBe(fixture('connections'));
  });

  it('stats: server stats, client response stats and brief connections', () => {
    const { view } = fakeView({
      connections: () => [connectionA, connectionB],
      stats: () => ({
        ...IDLE_STATS,
        packetsReceived: 145,
        packetsSent: 145,
        requestLatency: { count: 145, sum: 106, min: 0, max: 14 },
        lastProcessedZxid: 139n,
        aliveConnections: 2,
        nodeCount: 142,
        uptimeMs: 895,
      }),
      dirSizes: () => ({ snapDirBytes: 67109337, txnLogDirBytes: 67109337 }),
      mntrMetrics: () => ({ gauges: { last_client_response_size: 88, min_client_response_size: 16, max_client_response_size: 113 } }),
    });
    expect(render('stat', view)).toBe(fixture('stats'));
  });

  it('dump: expiry buckets sorted by time, session and path sets in Java hash order', () => {
    const { view } = fakeView({
      sessionExpiry: () => [
        { expiresAtMs: 2576000, sessionIds: [A, B] },
        { expiresAtMs: 2574000, sessionIds: [] },
      ],
      ephemerals: () => [
        { sessionId: A, paths: ['/app/eph2', '/app/eph1'] },
        { sessionId: B, paths: ['/other/eph3'] },
      ],
    });
    expect(render('dump', view)).toBe(fixture('dump'));
  });

  const watchView = (): AdminHttpView =>
    fakeView({
      dataWatches: () => [
        { sessionId: A, paths: ['/app', '/app/child'] },
        { sessionId: B, paths: ['/nope', '/app'] },
        { sessionId: 5n, paths: [] },
      ],
    }).view;

  it('watches, watches_by_path, watch_summary: data watches only', () => {
    expect(render('wchc', watchView())).toBe(fixture('watches'));
    expect(render('wchp', watchView())).toBe(fixture('watches_by_path'));
    expect(render('wchs', watchView())).toBe(fixture('watch_summary'));
  });

  it('hash: the digest log with digest_version 2', () => {
    const { view } = fakeView({ digestLog: () => [{ zxid: 128n, digest: 264673221306n }] });
    expect(render('hash', view)).toBe(fixture('hash'));
  });
});

describe('admin commands against 3.8.0 captures (idle server)', () => {
  const { view } = fakeView();

  it.each([
    ['ruok', '{\n  "command" : "ruok",\n  "error" : null\n}'],
    ['crst', '{\n  "command" : "connection_stat_reset",\n  "error" : null\n}'],
    ['orst', '{\n  "command" : "observer_connection_stat_reset",\n  "error" : null\n}'],
    ['nosuch', '{\n  "command" : "nosuch",\n  "error" : "Unknown command: nosuch"\n}'],
    ['RUOK', '{\n  "command" : "RUOK",\n  "error" : "Unknown command: RUOK"\n}'],
    ['leader', '{\n  "error" : "server is not initialized",\n  "command" : "leader"\n}'],
    ['isro', '{\n  "read_only" : false,\n  "command" : "is_read_only",\n  "error" : null\n}'],
    ['obsr', '{\n  "synced_observers" : 0,\n  "observers" : [ ],\n  "command" : "observers",\n  "error" : null\n}'],
    ['voting_view', '{\n  "current_config" : { },\n  "command" : "voting_view",\n  "error" : null\n}'],
    ['zabstate', '{\n  "voting" : false,\n  "zabstate" : "",\n  "command" : "zabstate",\n  "error" : null\n}'],
    ['cons', '{\n  "connections" : [ ],\n  "secure_connections" : [ ],\n  "command" : "connections",\n  "error" : null\n}'],
    ['dump', '{\n  "expiry_time_to_session_ids" : { },\n  "session_id_to_ephemeral_paths" : { },\n  "command" : "dump",\n  "error" : null\n}'],
    ['hash', '{\n  "digests" : [ ],\n  "command" : "hash",\n  "error" : null\n}'],
    ['dirs', '{\n  "datadir_size" : 457,\n  "logdir_size" : 457,\n  "command" : "dirs",\n  "error" : null\n}'],
    ['lsnp', '{\n  "zxid" : "0",\n  "timestamp" : 1795680243,\n  "command" : "last_snapshot",\n  "error" : null\n}'],
    ['gtmk', '{\n  "tracemask" : 306,\n  "command" : "get_trace_mask",\n  "error" : null\n}'],
  ])('%s', (name, expected) => {
    expect(render(name, view)).toBe(expected);
  });

  it('configuration', () => {
    expect(render('conf', view)).toBe(
      [
        '{',
        '  "client_port" : 2181,',
        '  "data_dir" : "/var/lib/zookeeper/version-2",',
        '  "data_log_dir" : "/var/lib/zookeeper/version-2",',
        '  "tick_time" : 2000,',
        '  "max_client_cnxns" : 60,',
        '  "min_session_timeout" : 4000,',
        '  "max_session_timeout" : 40000,',
        '  "server_id" : 0,',
        '  "client_port_listen_backlog" : -1,',
        '  "command" : "configuration",',
        '  "error" : null',
        '}',
      ].join('\n'),
    );
  });

  it('server_stats', () => {
    expect(render('srvr', view)).toBe(
      [
        '{',
        '  "version" : "3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC",',
        '  "read_only" : false,',
        '  "server_stats" : {',
        '    "packets_sent" : 0,',
        '    "packets_received" : 0,',
        '    "fsync_threshold_exceed_count" : 0,',
        '    "client_response_stats" : {',
        '      "last_buffer_size" : -1,',
        '      "min_buffer_size" : -1,',
        '      "max_buffer_size" : -1',
        '    },',
        '    "data_dir_size" : 457,',
        '    "log_dir_size" : 457,',
        '    "provider_null" : false,',
        '    "server_state" : "standalone",',
        '    "last_processed_zxid" : 0,',
        '    "outstanding_requests" : 0,',
        '    "avg_latency" : 0.0,',
        '    "max_latency" : 0,',
        '    "min_latency" : 0,',
        '    "num_alive_client_connections" : 0,',
        '    "uptime" : 10486,',
        '    "auth_failed_count" : 0,',
        '    "non_mtlsremote_conn_count" : 0,',
        '    "non_mtlslocal_conn_count" : 0',
        '  },',
        '  "client_response" : {',
        '    "last_buffer_size" : -1,',
        '    "min_buffer_size" : -1,',
        '    "max_buffer_size" : -1',
        '  },',
        '  "node_count" : 5,',
        '  "command" : "server_stats",',
        '  "error" : null',
        '}',
      ].join('\n'),
    );
  });

  it('environment: the envi keys, memory in whole MB', () => {
    const text = render('envi', view);
    expect(text).toContain('  "zookeeper.version" : "3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC",\n  "host.name" : "localhost",');
    expect(text).toContain('  "os.memory.free" : "189MB",\n  "os.memory.max" : "247MB",\n  "os.memory.total" : "247MB",\n  "command" : "environment",');
  });

  it('initial_configuration: zoo.cfg as read, escaped', () => {
    expect(render('icfg', view)).toBe(
      '{\n  "initial_configuration" : "tickTime=2000\\ndataDir=/var/lib/zookeeper\\nclientPort=2181\\n",\n  "command" : "initial_configuration",\n  "error" : null\n}',
    );
  });

  it('system_properties: sorted by name', () => {
    expect(render('sysp', view)).toBe(
      '{\n  "file.separator" : "/",\n  "java.version" : "v20.19.0",\n  "zookeeper.admin.enableServer" : "true",\n  "command" : "system_properties",\n  "error" : null\n}',
    );
  });

  it('last_snapshot without a snapshot', () => {
    const none = fakeView({ lastSnapshot: () => null }).view;
    expect(render('last_snapshot', none)).toBe('{\n  "zxid" : "ffffffffffffffff",\n  "timestamp" : -1,\n  "command" : "last_snapshot",\n  "error" : null\n}');
  });

  it('monitor: the mntr keys of 3.8 in its order, integers and doubles as 3.8 types them', () => {
    const text = render('mntr', view);
    const keys = [...text.matchAll(/^ {2}"([^"]+)" : /gmu)].map((m) => m[1]);
    const expected = [
      'version',
      'server_state',
      ...MNTR_GAUGES,
      ...MNTR_COUNTERS,
      ...MNTR_BASIC_SUMMARIES.flatMap((n) => ['avg', 'min', 'max', 'cnt', 'sum'].map((p) => `${p}_${n}`)),
      ...MNTR_PERCENTILE_SUMMARIES.flatMap((n) => ['avg', 'min', 'max', 'cnt', 'sum', 'p50', 'p95', 'p99', 'p999'].map((p) => `${p}_${n}`)),
      'command',
      'error',
    ];
    expect(keys).toEqual(expected);
    expect(text).toContain('  "avg_latency" : 0.0,\n  "outstanding_requests" : 0,\n  "znode_count" : 5,');
    expect(text).toContain('  "last_client_response_size" : -1,');
    expect(text).toContain('  "connection_drop_probability" : 0.0,');
    expect(text).toContain('  "avg_fsynctime" : 0.0,\n  "min_fsynctime" : 0,');
    expect(text.startsWith('{\n  "version" : "3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC",\n  "server_state" : "standalone",')).toBe(true);
  });

  it('monitor: per-namespace quota keys and rounded averages', () => {
    const busy = fakeView({
      stats: () => ({ ...IDLE_STATS, requestLatency: { count: 145, sum: 106, min: 0, max: 14 } }),
      mntrMetrics: () => ({ namespaces: [{ namespace: 'app', quota: { countLimit: 10, bytesLimit: -1, countUsage: 4, bytesUsage: 7 } }] }),
    }).view;
    const text = render('monitor', busy);
    expect(text).toContain('  "avg_latency" : 0.731,');
    expect(text).toContain('  "app_quota_count_limit_per_namespace" : 10,');
    expect(text).toContain('  "app_quota_bytes_limit_per_namespace" : -1,');
  });
});

describe('admin command semantics', () => {
  it('set_trace_mask: needs a Java long traceMask argument', () => {
    const { view, calls } = fakeView();
    expect(render('stmk', view)).toBe('{\n  "error" : "setTraceMask requires long traceMask argument",\n  "command" : "set_trace_mask"\n}');
    expect(render('set_trace_mask', view, { traceMask: 'abc' })).toBe(
      '{\n  "error" : "setTraceMask requires long traceMask argument, got abc",\n  "command" : "set_trace_mask"\n}',
    );
    expect(render('set_trace_mask', view, { traceMask: '9223372036854775808' })).toContain('got 9223372036854775808');
    expect(render('stmk', view, { traceMask: '15' })).toBe('{\n  "tracemask" : 15,\n  "command" : "set_trace_mask",\n  "error" : null\n}');
    expect(render('gtmk', view)).toBe('{\n  "tracemask" : 15,\n  "command" : "get_trace_mask",\n  "error" : null\n}');
    expect(render('stmk', view, { traceMask: '-9223372036854775808' })).toContain('"tracemask" : -9223372036854775808,');
    expect(calls.traceMasks).toEqual([15n, -9223372036854775808n]);
  });

  it('srst and crst reset through the view', () => {
    const { view, calls } = fakeView();
    render('srst', view);
    render('stat_reset', view);
    render('crst', view);
    expect(calls).toMatchObject({ resetStats: 2, resetConnectionStats: 1 });
  });

  it('a server that is not serving answers the server-bound commands with an error naming the asked name', () => {
    const { view } = fakeView({ isRunning: () => false });
    const notServing = (name: string): string => `{\n  "command" : "${name}",\n  "error" : "This ZooKeeper instance is not currently serving requests"\n}`;
    for (const command of ADMIN_COMMANDS) {
      for (const name of command.names) {
        const text = render(name, view);
        if (command.serverRequired) expect(text).toBe(notServing(name));
        else expect(text).toContain(`"command" : "${command.names[0] ?? ''}"`);
        if (!command.serverRequired) expect(text).not.toContain('not currently serving');
      }
    }
  });

  it('knows the 26 commands of 3.8.0 and their aliases', () => {
    expect(PRIMARY_COMMAND_NAMES).toEqual([
      'configuration',
      'connection_stat_reset',
      'connections',
      'dirs',
      'dump',
      'environment',
      'get_trace_mask',
      'hash',
      'initial_configuration',
      'is_read_only',
      'last_snapshot',
      'leader',
      'monitor',
      'observer_connection_stat_reset',
      'observers',
      'ruok',
      'server_stats',
      'set_trace_mask',
      'stat_reset',
      'stats',
      'system_properties',
      'voting_view',
      'watch_summary',
      'watches',
      'watches_by_path',
      'zabstate',
    ]);
    const aliases = ADMIN_COMMANDS.flatMap((c) => c.names.slice(1)).sort();
    expect(aliases).toEqual(['conf', 'config', 'cons', 'crst', 'env', 'envi', 'gtmk', 'icfg', 'isro', 'lead', 'lsnp', 'mntr', 'obsr', 'orst', 'srst', 'srvr', 'stat', 'stmk', 'sysp', 'wchc', 'wchp', 'wchs']);
  });

  it('parses longs as Long.parseLong does', () => {
    expect(parseJavaLong('+15')).toBe(15n);
    expect(parseJavaLong('-0')).toBe(0n);
    expect(parseJavaLong(' 1')).toBeNull();
    expect(parseJavaLong('1e3')).toBeNull();
    expect(parseJavaLong('')).toBeNull();
    expect(parseJavaLong('9223372036854775807')).toBe(9223372036854775807n);
  });
});

describe('Jackson-style JSON', () => {
  it('escapes like Jackson: short escapes, upper-case \\u00XX, nothing else', () => {
    expect(jacksonString('a"b\\c\n\t\r\b\f\u0001\u001f/é\u007f')).toBe('"a\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001F/é\u007f"');
  });

  it('prints doubles with Double.toString and non-finite doubles as strings', () => {
    expect(renderJacksonJson([jsonDouble(0), jsonDouble(3.1409), jsonDouble(1e7), jsonDouble(Number.NaN), jsonDouble(-Infinity)])).toBe(
      '[ 0.0, 3.1409, 1.0E7, "NaN", "-Infinity" ]',
    );
  });

  it('prints longs beyond 2^53 exactly and wraps bigints to signed 64 bits', () => {
    expect(renderJacksonJson([72057762032910337n, 2n ** 64n - 1n, -5])).toBe('[ 72057762032910337, -1, -5 ]');
  });

  it('nests objects in arrays at the enclosing object level', () => {
    const value = jsonObject([
      ['list', [jsonObject([['a', 1]]), jsonObject([])]],
      ['nested', jsonObject([['inner', jsonObject([['x', [1, 2]]])]])],
    ]);
    expect(renderJacksonJson(value)).toBe('{\n  "list" : [ {\n    "a" : 1\n  }, { } ],\n  "nested" : {\n    "inner" : {\n      "x" : [ 1, 2 ]\n    }\n  }\n}');
  });
});
