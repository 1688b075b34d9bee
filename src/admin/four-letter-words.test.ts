/**
 * Each four-letter word against text captured from the real ZooKeeper 3.8.0
 * server (fixtures/, see fixtures/README.md). The view snapshots below hold
 * the values the Java server had when it answered, so our output must equal
 * the capture byte for byte: same lines, keys, order and number formatting.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type {
  AdminView,
  ConnectionExpiryBucket,
  ConnectionSnapshot,
  DirSizes,
  EnvironmentSnapshot,
  MntrMetrics,
  NamespaceMetrics,
  PercentileSummaryStats,
  PerServerSummary,
  QuorumStats,
  ServerConfigSnapshot,
  ServerMode,
  ServerStatsSnapshot,
  SessionExpiryBucket,
  SessionPaths,
  SummaryStats,
  ZxidDigest,
} from './admin-view.js';
import {
  DEFAULT_TRACE_MASK,
  FOUR_LETTER_WORDS,
  formatServerVersion,
  isFourLetterWord,
  isFourLetterWordEnabled,
  parseFourLetterWordWhitelist,
  parseTraceMask,
  runFourLetterWord,
  TELNET_CLOSE,
  ZK_NOT_SERVING,
} from './four-letter-words.js';
import { EMPTY_SUMMARY } from './java-format.js';
import {
  MNTR_BASIC_SUMMARIES,
  MNTR_COUNTERS,
  MNTR_EXTRA_GAUGES,
  MNTR_PERCENTILE_SUMMARIES,
  type MntrBasicSummaryName,
  type MntrCounterName,
  type MntrExtraGaugeName,
  type MntrPercentileSummaryName,
} from './mntr-keys.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/${name}.txt`, import.meta.url), 'utf8');

/** The version string of the Debian build the fixtures come from. */
const JAVA_VERSION = '3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC';

const utc = (y: number, mo: number, d: number, h: number, mi: number, s: number): number =>
  Date.UTC(y, mo - 1, d, h, mi, s);

interface Parts {
  serverVersion: string;
  running: boolean;
  mode: ServerMode;
  stats: ServerStatsSnapshot;
  connections: readonly ConnectionSnapshot[];
  sessionExpiry: readonly SessionExpiryBucket[];
  connectionExpiry: readonly ConnectionExpiryBucket[] | null;
  ephemerals: readonly SessionPaths[];
  dataWatches: readonly SessionPaths[];
  config: ServerConfigSnapshot;
  environment: EnvironmentSnapshot;
  dirSizes: DirSizes;
  mntrMetrics: MntrMetrics;
  digestLog: readonly ZxidDigest[];
  traceMask: bigint;
  quorum: QuorumStats | null;
}

const IDLE_STATS: ServerStatsSnapshot = {
  packetsReceived: 0,
  packetsSent: 0,
  requestLatency: EMPTY_SUMMARY,
  outstandingRequests: 0,
  lastProcessedZxid: 0n,
  aliveConnections: 1,
  nodeCount: 5,
  approximateDataSize: 44,
  watchCount: 0,
  ephemeralsCount: 0,
  globalSessions: 0,
  uptimeMs: 0,
  openFileDescriptors: 38,
  maxFileDescriptors: 20000,
};

const MB = 1024 * 1024;

const DEFAULT_PARTS: Parts = {
  serverVersion: JAVA_VERSION,
  running: true,
  mode: 'standalone',
  stats: IDLE_STATS,
  connections: [],
  sessionExpiry: [],
  connectionExpiry: [],
  ephemerals: [],
  dataWatches: [],
  config: {
    clientPort: 2181,
    secureClientPort: -1,
    snapDir: '/var/lib/zookeeper/version-2',
    txnLogDir: '/var/lib/zookeeper/version-2',
    tickTime: 2000,
    maxClientCnxns: 60,
    minSessionTimeout: 4000,
    maxSessionTimeout: 40000,
    clientPortListenBacklog: -1,
    serverId: 0,
  },
  environment: {
    hostName: 'localhost',
    javaVersion: '17.0.15',
    javaVendor: 'Debian',
    javaHome: '/usr/lib/jvm/java-17-openjdk-amd64',
    javaClassPath: '/etc/zookeeper/conf:/usr/share/java/zookeeper.jar',
    javaLibraryPath:
      '/usr/java/packages/lib:/usr/lib/x86_64-linux-gnu/jni:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/usr/lib/jni:/lib:/usr/lib',
    javaIoTmpdir: '/tmp',
    javaCompiler: '<NA>',
    osName: 'Linux',
    osArch: 'amd64',
    osVersion: '6.18.44-fc-v657',
    userName: 'root',
    userHome: '/root',
    userDir: '/work/main',
    memoryFreeBytes: 368 * MB + 123_456,
    memoryMaxBytes: 6028 * MB,
    memoryTotalBytes: 388 * MB + MB - 1,
  },
  dirSizes: { snapDirBytes: 457, txnLogDirBytes: 457 },
  mntrMetrics: {},
  digestLog: [],
  traceMask: DEFAULT_TRACE_MASK,
  quorum: null,
};

interface TestView extends AdminView {
  readonly calls: string[];
}

function makeView(overrides: Partial<Parts> = {}): TestView {
  const p: Parts = { ...DEFAULT_PARTS, ...overrides };
  const calls: string[] = [];
  let mask = p.traceMask;
  return {
    calls,
    serverVersion: p.serverVersion,
    isRunning: () => p.running,
    mode: () => p.mode,
    stats: () => p.stats,
    connections: () => p.connections,
    sessionExpiry: () => p.sessionExpiry,
    connectionExpiry: () => p.connectionExpiry,
    ephemerals: () => p.ephemerals,
    dataWatches: () => p.dataWatches,
    config: () => p.config,
    environment: () => p.environment,
    dirSizes: () => p.dirSizes,
    mntrMetrics: () => p.mntrMetrics,
    digestLog: () => p.digestLog,
    quorum: () => p.quorum,
    traceMask: () => mask,
    setTraceMask: (m) => {
      calls.push(`setTraceMask ${m}`);
      mask = m;
    },
    resetStats: () => calls.push('resetStats'),
    resetConnectionStats: () => calls.push('resetConnectionStats'),
  };
}

/** A connection as 3.8 shows the one that is running the word (no session, interest ops 0). */
function cnxn(port: number, more: Partial<ConnectionSnapshot> = {}): ConnectionSnapshot {
  return {
    remoteAddress: '127.0.0.1',
    remotePort: port,
    interestOps: 0,
    outstandingRequests: 0,
    packetsReceived: 1,
    packetsSent: 0,
    sessionId: 0n,
    lastOperation: 'NA',
    establishedAtMs: 0,
    sessionTimeoutMs: 0,
    lastCxid: -1,
    lastZxid: -1n,
    lastResponseTimeMs: 0,
    lastLatencyMs: 0,
    latency: EMPTY_SUMMARY,
    ...more,
  };
}

const ALL = 'all' as const;

/** Compares line by line first (readable failures), then byte for byte. */
function expectSameText(actual: string, expected: string): void {
  expect(actual.split('\n')).toEqual(expected.split('\n'));
  expect(actual).toBe(expected);
}

describe('word recognition', () => {
  it('knows the 18 words of 3.8.0', () => {
    expect([...FOUR_LETTER_WORDS].sort()).toEqual(
      [
        'conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'hash', 'isro',
        'mntr', 'ruok', 'srst', 'srvr', 'stat', 'stmk', 'wchc', 'wchp', 'wchs',
      ].sort(),
    );
  });

  it('recognises a word from the first 4 bytes, case-sensitively', () => {
    expect(isFourLetterWord(Buffer.from('ruok'))).toBe('ruok');
    expect(isFourLetterWord(Buffer.from('mntr\n'))).toBe('mntr');
    expect(isFourLetterWord(Buffer.from('RUOK'))).toBeNull();
    expect(isFourLetterWord(Buffer.from('abcd'))).toBeNull();
    expect(isFourLetterWord(Buffer.from('ruo'))).toBeNull();
    // a normal ConnectRequest frame length
    expect(isFourLetterWord(Buffer.from([0, 0, 0, 45]))).toBeNull();
    expect(isFourLetterWord(Buffer.from([0xff, 0xf4, 0xff, 0xfd]))).toBe(TELNET_CLOSE);
  });

  it('3.8 answers nothing to a non-word (it is read as a frame length)', () => {
    expect(fixture('idle.unknown-abcd')).toBe('');
    expect(runFourLetterWord('abcd', makeView(), ALL)).toBe('');
  });
});

describe('whitelist', () => {
  it('parses 4lw.commands.whitelist like 3.8 (trimmed, srvr always on)', () => {
    const wl = parseFourLetterWordWhitelist('ruok, conf ,dirs');
    expect(wl).not.toBe('all');
    expect(wl === 'all' ? [] : [...wl].sort()).toEqual(['conf', 'dirs', 'ruok', 'srvr']);
    expect(parseFourLetterWordWhitelist('*')).toBe('all');
    expect(parseFourLetterWordWhitelist('stat, *')).toBe('all');
    const unset = parseFourLetterWordWhitelist(undefined);
    expect(unset === 'all' ? [] : [...unset]).toEqual(['srvr']);
    const ro = parseFourLetterWordWhitelist(undefined, true);
    expect(ro === 'all' ? [] : [...ro].sort()).toEqual(['isro', 'srvr']);
  });

  it('refuses a word that is not whitelisted with 3.8 text', () => {
    const wl = parseFourLetterWordWhitelist('ruok, conf ,dirs');
    const view = makeView();
    expect(runFourLetterWord('stat', view, wl)).toBe(fixture('restricted.stat'));
    expect(runFourLetterWord('isro', view, wl)).toBe(fixture('restricted.isro'));
    expect(runFourLetterWord('stmk', view, wl, 15n)).toBe(fixture('restricted.stmk'));
    expect(runFourLetterWord(TELNET_CLOSE, view, wl)).toBe(fixture('restricted.telnet-close'));
    expect(view.calls).toEqual([]);
    expect(runFourLetterWord('ruok', view, wl)).toBe(fixture('restricted.ruok'));
  });

  it('always runs srvr, even when a caller-built whitelist lacks it', () => {
    const view = makeView({ stats: { ...IDLE_STATS, packetsReceived: 8, packetsSent: 7 } });
    expectSameText(runFourLetterWord('srvr', view, new Set(['ruok'])), fixture('restricted.srvr'));
    expect(isFourLetterWordEnabled('srvr', new Set())).toBe(true);
  });

  it('with *, telnet close runs nothing (the connection is just closed)', () => {
    expect(fixture('idle.telnet-close')).toBe('');
    expect(runFourLetterWord(TELNET_CLOSE, makeView(), ALL)).toBe('');
  });
});

describe('simple words', () => {
  it('ruok', () => {
    expect(runFourLetterWord('ruok', makeView(), ALL)).toBe(fixture('idle.ruok'));
  });

  it('isro', () => {
    expect(runFourLetterWord('isro', makeView(), ALL)).toBe(fixture('idle.isro'));
    expect(runFourLetterWord('isro', makeView({ mode: 'read-only' }), ALL)).toBe('ro');
    expect(runFourLetterWord('isro', makeView({ running: false }), ALL)).toBe('null');
  });

  it('gtmk / stmk', () => {
    const view = makeView();
    expect(runFourLetterWord('gtmk', view, ALL)).toBe(fixture('idle.gtmk'));
    expect(runFourLetterWord('stmk', view, ALL, parseTraceMask(Buffer.from([0, 0, 0, 0, 0, 0, 0, 15])))).toBe(
      fixture('idle.stmk-15'),
    );
    expect(runFourLetterWord('gtmk', view, ALL)).toBe(fixture('idle.gtmk-after-stmk'));
    const minus2 = parseTraceMask(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]));
    expect(minus2).toBe(-2n);
    expect(runFourLetterWord('stmk', view, ALL, minus2)).toBe(fixture('idle.stmk-minus2'));
    expect(view.calls).toEqual(['setTraceMask 15', 'setTraceMask -2']);
    // fewer than 8 bytes after stmk: 3.8 answers nothing
    expect(parseTraceMask(Buffer.from([0, 1]))).toBeNull();
    expect(runFourLetterWord('stmk', view, ALL, null)).toBe('');
  });

  it('crst / srst call the view and answer like 3.8', () => {
    const view = makeView();
    expect(runFourLetterWord('crst', view, ALL)).toBe(fixture('idle.crst'));
    expect(runFourLetterWord('srst', view, ALL)).toBe(fixture('idle.srst'));
    expect(view.calls).toEqual(['resetConnectionStats', 'resetStats']);
  });

  it('hash prints the digest log', () => {
    expect(runFourLetterWord('hash', makeView(), ALL)).toBe(fixture('idle.hash'));
    const view = makeView({ digestLog: [{ zxid: 0x80n, digest: 285735293209n }] });
    expect(runFourLetterWord('hash', view, ALL)).toBe(fixture('busy.hash'));
  });

  it('answers "not serving" when the server is not running', () => {
    const view = makeView({ running: false });
    for (const w of ['srvr', 'stat', 'conf', 'cons', 'crst', 'srst', 'dirs', 'dump', 'wchs', 'wchc', 'wchp', 'mntr']) {
      expect(runFourLetterWord(w, view, ALL)).toBe(`${ZK_NOT_SERVING}\n`);
    }
    expect(runFourLetterWord('hash', view, ALL)).toBe(ZK_NOT_SERVING);
    expect(runFourLetterWord('ruok', view, ALL)).toBe('imok');
    expect(runFourLetterWord('envi', view, ALL)).toMatch(/^Environment:\n/);
    expect(view.calls).toEqual([]);
  });
});

describe('srvr / stat', () => {
  it('srvr (idle)', () => {
    const view = makeView({ stats: { ...IDLE_STATS, packetsReceived: 3, packetsSent: 2 } });
    expectSameText(runFourLetterWord('srvr', view, ALL), fixture('idle.srvr'));
  });

  it('stat (idle) lists the asking connection', () => {
    const view = makeView({
      stats: { ...IDLE_STATS, packetsReceived: 4, packetsSent: 3 },
      connections: [cnxn(41680)],
    });
    expectSameText(runFourLetterWord('stat', view, ALL), fixture('idle.stat'));
  });

  const busyStats: ServerStatsSnapshot = {
    ...IDLE_STATS,
    requestLatency: { count: 240, sum: 217, min: 0, max: 7 }, // avg 0.904166.. -> 0.9042
    lastProcessedZxid: 0x93n,
    aliveConnections: 3,
    nodeCount: 148,
  };

  it('stat (busy): brief client lines, latency average rounded like 3.8', () => {
    const view = makeView({
      stats: { ...busyStats, packetsReceived: 170, packetsSent: 169 },
      connections: [
        cnxn(55934),
        cnxn(55906, { interestOps: 1, packetsReceived: 140, packetsSent: 140, sessionId: 0x1000008d9930000n }),
        cnxn(55918, { interestOps: 1, packetsReceived: 5, packetsSent: 5, sessionId: 0x1000008d9930001n }),
      ],
    });
    expectSameText(runFourLetterWord('stat', view, ALL), fixture('busy.stat'));
  });

  it('srvr (busy)', () => {
    const view = makeView({ stats: { ...busyStats, packetsReceived: 177, packetsSent: 178 } });
    expectSameText(runFourLetterWord('srvr', view, ALL), fixture('busy.srvr'));
  });

  it('read-only mode adds the READ-ONLY line (from the 3.8 source; not captured)', () => {
    const out = runFourLetterWord('srvr', makeView({ mode: 'read-only' }), ALL).split('\n');
    expect(out[1]).toBe('READ-ONLY mode; serving only read-only clients');
    expect(out).toContain('Mode: read-only');
  });

  it('the project version string is used verbatim', () => {
    const version = formatServerVersion('3.8.0', 'zk-ts-0.1.0', Date.UTC(2025, 0, 2, 3, 4));
    expect(version).toBe('3.8.0-zk-ts-0.1.0, built on 2025-01-02 03:04 UTC');
    const view = makeView({ serverVersion: version });
    expect(runFourLetterWord('srvr', view, ALL).split('\n')[0]).toBe(`Zookeeper version: ${version}`);
    expect(runFourLetterWord('envi', view, ALL).split('\n')[1]).toBe(`zookeeper.version=${version}`);
    expect(runFourLetterWord('mntr', view, ALL).split('\n')[0]).toBe(`zk_version\t${version}`);
  });
});

describe('cons', () => {
  it('cons (idle)', () => {
    expectSameText(runFourLetterWord('cons', makeView({ connections: [cnxn(41696)] }), ALL), fixture('idle.cons'));
  });

  it('cons (busy): full details for connections with a session', () => {
    const view = makeView({
      connections: [
        cnxn(55906, {
          interestOps: 1,
          packetsReceived: 140,
          packetsSent: 140,
          sessionId: 0x1000008d9930000n,
          lastOperation: 'GETC',
          establishedAtMs: 1795678724452,
          sessionTimeoutMs: 10000,
          lastCxid: 0x8a,
          lastZxid: 0x93n,
          lastResponseTimeMs: 583478,
          lastLatencyMs: 1,
          latency: { count: 139, sum: 100, min: 0, max: 7 },
        }),
        cnxn(55918, {
          interestOps: 1,
          packetsReceived: 5,
          packetsSent: 5,
          sessionId: 0x1000008d9930001n,
          lastOperation: 'GETD',
          establishedAtMs: 1795678724464,
          sessionTimeoutMs: 10000,
          lastCxid: 3,
          lastZxid: 0x93n,
          lastResponseTimeMs: 583480,
          lastLatencyMs: 0,
          latency: { count: 4, sum: 2, min: 0, max: 1 },
        }),
        cnxn(55946),
      ],
    });
    expectSameText(runFourLetterWord('cons', view, ALL), fixture('busy.cons'));
  });

  it('cons after crst: lcxid omitted, lzxid -1 in two’s complement (from the 3.8 source)', () => {
    const view = makeView({
      connections: [
        cnxn(1234, {
          interestOps: 1,
          packetsReceived: 0,
          sessionId: 0x1000008d9930000n,
          establishedAtMs: 1795678724452,
          sessionTimeoutMs: 10000,
        }),
      ],
    });
    expect(runFourLetterWord('cons', view, ALL)).toBe(
      ' /127.0.0.1:1234[1](queued=0,recved=0,sent=0,sid=0x1000008d9930000,lop=NA,est=1795678724452,to=10000,' +
        'lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0)\n\n',
    );
  });
});

describe('conf / dirs / envi', () => {
  it('conf (idle)', () => {
    const dir = '/tmp/zk4lw-capture/idle/data/version-2';
    const view = makeView({
      config: { ...DEFAULT_PARTS.config, clientPort: 47695, snapDir: dir, txnLogDir: dir },
    });
    expectSameText(runFourLetterWord('conf', view, ALL), fixture('idle.conf'));
  });

  it('conf (busy)', () => {
    const dir = '/tmp/zk4lw-capture/busy/data/version-2';
    const view = makeView({
      config: { ...DEFAULT_PARTS.config, clientPort: 58471, snapDir: dir, txnLogDir: dir },
      dirSizes: { snapDirBytes: 67109337, txnLogDirBytes: 67109337 },
    });
    expectSameText(runFourLetterWord('conf', view, ALL), fixture('busy.conf'));
  });

  const restricted: Partial<Parts> = {
    config: {
      ...DEFAULT_PARTS.config,
      clientPort: 41801,
      snapDir: '/tmp/zk4lw-capture/restricted/data/version-2',
      txnLogDir: '/tmp/zk4lw-capture/restricted/log/version-2',
    },
    // snapshot.0 (457 bytes) is in the snapshot dir; the txn log dir is empty
    dirSizes: { snapDirBytes: 457, txnLogDirBytes: 0 },
  };
  const wl = parseFourLetterWordWhitelist('ruok, conf ,dirs');

  it('conf with a separate dataLogDir shows 3.8’s swapped sizes', () => {
    expectSameText(runFourLetterWord('conf', makeView(restricted), wl), fixture('restricted.conf'));
  });

  it('dirs', () => {
    expectSameText(runFourLetterWord('dirs', makeView(), ALL), fixture('idle.dirs'));
    expectSameText(
      runFourLetterWord('dirs', makeView({ dirSizes: { snapDirBytes: 67109337, txnLogDirBytes: 67109337 } }), ALL),
      fixture('busy.dirs'),
    );
    expectSameText(runFourLetterWord('dirs', makeView(restricted), wl), fixture('restricted.dirs'));
  });

  it('envi', () => {
    expectSameText(runFourLetterWord('envi', makeView(), ALL), fixture('idle.envi'));
  });
});

describe('dump', () => {
  it('dump (idle)', () => {
    const view = makeView({
      connectionExpiry: [
        {
          expiresAtMs: utc(2026, 11, 26, 7, 38, 42),
          connections: [{ remoteAddress: '127.0.0.1', remotePort: 45562, sessionId: 0n }],
        },
        { expiresAtMs: utc(2026, 11, 26, 7, 38, 32), connections: [] },
      ],
    });
    expectSameText(runFourLetterWord('dump', view, ALL), fixture('idle.dump'));
  });

  it('dump (busy): sessions, ephemerals in 3.8 hash order, connections', () => {
    const view = makeView({
      sessionExpiry: [
        { expiresAtMs: utc(2026, 11, 26, 7, 39, 16), sessionIds: [0x1000008d9930003n, 0x1000008d9930002n] },
        { expiresAtMs: utc(2026, 11, 26, 7, 38, 56), sessionIds: [0x1000008d9930000n, 0x1000008d9930001n] },
      ],
      // deliberately not in 3.8's order
      ephemerals: [
        { sessionId: 0x1000008d9930000n, paths: ['/app/eph2', '/app/eph1'] },
        { sessionId: 0x1000008d9930001n, paths: ['/other/eph3'] },
      ],
      connectionExpiry: [
        { expiresAtMs: utc(2026, 11, 26, 7, 39, 22), connections: [] },
        {
          expiresAtMs: utc(2026, 11, 26, 7, 39, 2),
          connections: [
            { remoteAddress: '127.0.0.1', remotePort: 55906, sessionId: 0x1000008d9930000n },
            { remoteAddress: '::ffff:127.0.0.1', remotePort: 55918, sessionId: 0x1000008d9930001n },
            { remoteAddress: '127.0.0.1', remotePort: 55948, sessionId: 0n },
          ],
        },
      ],
    });
    expectSameText(runFourLetterWord('dump', view, ALL), fixture('busy.dump'));
  });

  it('dump without connection expiry prints nothing after "Connections dump:"', () => {
    const out = runFourLetterWord('dump', makeView({ connectionExpiry: null }), ALL);
    expect(out.endsWith('Connections dump:\n')).toBe(true);
  });
});

describe('wchs / wchc / wchp', () => {
  it('idle', () => {
    const view = makeView();
    expectSameText(runFourLetterWord('wchs', view, ALL), fixture('idle.wchs'));
    expectSameText(runFourLetterWord('wchc', view, ALL), fixture('idle.wchc'));
    expectSameText(runFourLetterWord('wchp', view, ALL), fixture('idle.wchp'));
  });

  it('busy: data watches only, paths in 3.8 hash order', () => {
    const view = makeView({
      dataWatches: [
        { sessionId: 0x1000008d9930000n, paths: ['/app', '/app/child'] },
        { sessionId: 0x1000008d9930001n, paths: ['/nope', '/app'] },
        { sessionId: 0x1000008d9930002n, paths: [] },
      ],
    });
    expectSameText(runFourLetterWord('wchs', view, ALL), fixture('busy.wchs'));
    expectSameText(runFourLetterWord('wchc', view, ALL), fixture('busy.wchc'));
    expectSameText(runFourLetterWord('wchp', view, ALL), fixture('busy.wchp'));
  });
});

/** `zk_<key>\t<value>` lines of a captured mntr. */
function parseMntr(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of text.split('\n')) {
    if (l === '') continue;
    const tab = l.indexOf('\t');
    m.set(l.slice(3, tab), l.slice(tab + 1));
  }
  return m;
}

/**
 * Builds the view values behind a captured mntr from its raw numbers only:
 * counts/sums/min/max/percentiles, never the printed averages, so the
 * averages and all formatting are recomputed by our code.
 */
function metricsFromCapture(captured: Map<string, string>): MntrMetrics {
  const num = (key: string): number => {
    const v = captured.get(key);
    if (v === undefined) throw new Error(`missing ${key}`);
    return Number(v);
  };
  const summary = (name: string): SummaryStats => ({
    count: num(`cnt_${name}`),
    sum: num(`sum_${name}`),
    min: num(`min_${name}`),
    max: num(`max_${name}`),
  });
  const gauges: Partial<Record<MntrExtraGaugeName, number>> = {};
  for (const g of MNTR_EXTRA_GAUGES) gauges[g] = num(g);
  const counters: Partial<Record<MntrCounterName, number>> = {};
  for (const c of MNTR_COUNTERS) counters[c] = num(c);
  const summaries: Partial<Record<MntrBasicSummaryName, SummaryStats>> = {};
  for (const s of MNTR_BASIC_SUMMARIES) summaries[s] = summary(s);
  const percentileSummaries: Partial<Record<MntrPercentileSummaryName, PercentileSummaryStats>> = {};
  for (const s of MNTR_PERCENTILE_SUMMARIES) {
    percentileSummaries[s] = {
      ...summary(s),
      p50: num(`p50_${s}`),
      p95: num(`p95_${s}`),
      p99: num(`p99_${s}`),
      p999: num(`p999_${s}`),
    };
  }
  const names = new Set<string>();
  for (const k of captured.keys()) {
    const m = /^(?:(\w+?)_quota_\w+_per_namespace|(?:avg|min|max|cnt|sum)_(\w+?)_(?:read|write)_per_namespace)$/.exec(k);
    const ns = m?.[1] ?? m?.[2];
    if (ns !== undefined) names.add(ns);
  }
  // any order: rendering must put them in 3.8's order
  const namespaces: NamespaceMetrics[] = [...names].sort().reverse().map((ns) => {
    const has = (k: string): boolean => captured.has(k);
    return {
      namespace: ns,
      ...(has(`${ns}_quota_count_limit_per_namespace`)
        ? {
            quota: {
              countLimit: num(`${ns}_quota_count_limit_per_namespace`),
              bytesLimit: num(`${ns}_quota_bytes_limit_per_namespace`),
              countUsage: num(`${ns}_quota_count_usage_per_namespace`),
              bytesUsage: num(`${ns}_quota_bytes_usage_per_namespace`),
            },
          }
        : {}),
      ...(has(`cnt_${ns}_read_per_namespace`) ? { reads: summary(`${ns}_read_per_namespace`) } : {}),
      ...(has(`cnt_${ns}_write_per_namespace`) ? { writes: summary(`${ns}_write_per_namespace`) } : {}),
    };
  });
  return { gauges, counters, summaries, percentileSummaries, namespaces };
}

function statsFromCapture(captured: Map<string, string>, latency: SummaryStats): ServerStatsSnapshot {
  const num = (key: string): number => Number(captured.get(key));
  return {
    packetsReceived: num('packets_received'),
    packetsSent: num('packets_sent'),
    requestLatency: latency,
    outstandingRequests: num('outstanding_requests'),
    lastProcessedZxid: 0n,
    aliveConnections: num('num_alive_connections'),
    nodeCount: num('znode_count'),
    approximateDataSize: num('approximate_data_size'),
    watchCount: num('watch_count'),
    ephemeralsCount: num('ephemerals_count'),
    globalSessions: num('global_sessions'),
    uptimeMs: num('uptime'),
    openFileDescriptors: num('open_file_descriptor_count'),
    maxFileDescriptors: num('max_file_descriptor_count'),
  };
}

describe('mntr', () => {
  it('idle: all 485 lines of 3.8.0 in order, recomputed from raw values', () => {
    const text = fixture('idle.mntr');
    const captured = parseMntr(text);
    const view = makeView({
      stats: statsFromCapture(captured, EMPTY_SUMMARY),
      mntrMetrics: metricsFromCapture(captured),
    });
    expectSameText(runFourLetterWord('mntr', view, ALL), text);
  });

  it('busy: quota, per-namespace and summary values, recomputed from raw values', () => {
    const text = fixture('busy.mntr');
    const captured = parseMntr(text);
    const view = makeView({
      stats: statsFromCapture(captured, { count: 240, sum: 217, min: 0, max: 7 }),
      mntrMetrics: metricsFromCapture(captured),
    });
    expectSameText(runFourLetterWord('mntr', view, ALL), text);
  });

  it('an empty view prints the same keys, order and value types as idle 3.8.0', () => {
    const expected = fixture('idle.mntr').split('\n');
    const actual = runFourLetterWord('mntr', makeView({ serverVersion: '3.8.0-zk-ts-0.1.0, built on x' }), ALL).split(
      '\n',
    );
    expect(actual.length).toBe(expected.length);
    const shape = (l: string): string => {
      const [k = '', v = ''] = l.split('\t');
      if (k === 'zk_version' || k === 'zk_server_state') return k;
      return `${k}\t${/^-?\d+$/.test(v) ? 'long' : /^-?\d+\.\d+(E-?\d+)?$/.test(v) ? 'double' : `?${v}`}`;
    };
    expect(actual.map(shape)).toEqual(expected.map(shape));
    // untracked values print as on an idle 3.8 server
    expect(actual).toContain('zk_last_client_response_size\t-1');
    expect(actual).toContain('zk_connection_drop_probability\t0.0');
    expect(actual).toContain('zk_avg_fsynctime\t0.0');
    expect(actual).toContain('zk_p999_readlatency\t0');
  });
});

/**
 * What a 3.8 ensemble member adds (fixtures/ensemble-*, see capture-ensemble.sh): the quorum part
 * of the view rebuilt from a capture's raw numbers, the rest as for a standalone server.
 */
function quorumFromCapture(captured: Map<string, string>): QuorumStats {
  const num = (key: string): number => Number(captured.get(key));
  const perServer = (set: string): Map<bigint, SummaryStats> => {
    const out = new Map<bigint, SummaryStats>();
    for (const key of captured.keys()) {
      const sid = new RegExp(`^cnt_(\\d+)_${set}$`).exec(key)?.[1];
      if (sid === undefined) continue;
      const name = `${sid}_${set}`;
      out.set(BigInt(sid), { count: num(`cnt_${name}`), sum: num(`sum_${name}`), min: num(`min_${name}`), max: num(`max_${name}`) });
    }
    return out;
  };
  const withPercentiles = (set: string): PerServerSummary<PercentileSummaryStats>[] =>
    [...perServer(set).entries()].reverse().map(([sid, stats]) => {
      const name = `${String(sid)}_${set}`;
      return { sid, stats: { ...stats, p50: num(`p50_${name}`), p95: num(`p95_${name}`), p99: num(`p99_${name}`), p999: num(`p999_${name}`) } };
    });
  const leader = captured.get('server_state') === 'leader';
  return {
    peerState: captured.get('peer_state') ?? '',
    quorumSize: num('quorum_size'),
    observerMasterId: captured.has('observer_master_id') ? BigInt(num('observer_master_id')) : null,
    leader: leader
      ? {
          learners: num('learners'),
          syncedFollowers: num('synced_followers'),
          syncedNonVotingFollowers: num('synced_non_voting_followers'),
          syncedObservers: num('synced_observers'),
          pendingSyncs: num('pending_syncs'),
          uptimeMs: num('leader_uptime'),
          proposalSizes: { last: num('last_proposal_size'), min: num('min_proposal_size'), max: num('max_proposal_size') },
        }
      : null,
    // any order: rendering must put the learners in 3.8's order
    learnerQueueSizes: [...perServer('learner_handler_qp_size').entries()].reverse().map(([sid, stats]) => ({ sid, stats })),
    learnerQueueTimes: withPercentiles('learner_handler_qp_time_ms'),
    ackLatencies: withPercentiles('ack_latency'),
  };
}

describe('ensemble members (3.8.0: three voters and an observer)', () => {
  it.each(['leader', 'follower', 'observer'] as const)('mntr on the %s: every line of 3.8.0, recomputed from raw values', (role) => {
    const text = fixture(`ensemble-${role}.mntr`);
    const captured = parseMntr(text);
    // The capture prints the latency average, not its count and sum: any pair with that quotient.
    const average = Number(captured.get('avg_latency'));
    const latency = average === 0 ? EMPTY_SUMMARY : { count: 10_000, sum: Math.round(average * 10_000), min: Number(captured.get('min_latency')), max: Number(captured.get('max_latency')) };
    const view = makeView({
      mode: role,
      stats: statsFromCapture(captured, latency),
      mntrMetrics: metricsFromCapture(captured),
      quorum: quorumFromCapture(captured),
    });
    expectSameText(runFourLetterWord('mntr', view, ALL), text);
  });

  it('srvr and stat on the leader end with the proposal sizes', () => {
    const captured = parseMntr(fixture('ensemble-leader.mntr'));
    const stat = fixture('ensemble-leader.stat');
    const number = (label: string): number => Number(new RegExp(`^${label}: (\\d+)$`, 'mu').exec(stat)?.[1]);
    const port = Number(/^ \/127\.0\.0\.1:(\d+)\[/mu.exec(stat)?.[1]);
    const view = makeView({
      mode: 'leader',
      stats: { ...IDLE_STATS, packetsReceived: number('Received'), packetsSent: number('Sent'), lastProcessedZxid: 0x100000008n, nodeCount: number('Node count') },
      connections: [cnxn(port)],
      quorum: quorumFromCapture(captured),
    });
    expectSameText(runFourLetterWord('stat', view, ALL), stat);
    const srvr = fixture('ensemble-leader.srvr');
    const srvrView = makeView({
      mode: 'leader',
      stats: { ...IDLE_STATS, packetsReceived: Number(/^Received: (\d+)$/mu.exec(srvr)?.[1]), packetsSent: Number(/^Sent: (\d+)$/mu.exec(srvr)?.[1]), lastProcessedZxid: 0x100000008n, nodeCount: 10 },
      quorum: quorumFromCapture(captured),
    });
    expectSameText(runFourLetterWord('srvr', srvrView, ALL), srvr);
  });

  it.each(['follower', 'observer'] as const)('srvr on the %s has no proposal sizes', (role) => {
    const srvr = runFourLetterWord('srvr', makeView({ mode: role, quorum: quorumFromCapture(parseMntr(fixture(`ensemble-${role}.mntr`))) }), ALL);
    expect(srvr).toMatch(new RegExp(`^Mode: ${role}$`, 'mu'));
    expect(srvr).not.toMatch(/Proposal sizes/u);
  });
});
