// The replica seen through the admin module's AdminView: what the four-letter words (srvr, stat,
// cons, mntr, ...) print. Facts about the process (file descriptors, memory, host) are read here,
// at the edge; the admin module only formats.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname, tmpdir, userInfo, arch, release, type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import {
  formatServerVersion,
  isFourLetterWord,
  parseTraceMask,
  runFourLetterWord,
  DEFAULT_TRACE_MASK,
  type AdminView,
  type ConnectionSnapshot,
  type FourLetterWordWhitelist,
  type MntrMetrics,
  type NamespaceMetrics,
  type QuorumConf,
  type QuorumStats,
  type SessionExpiryBucket,
  type SessionPaths,
  type ServerMode,
} from '../admin/index.js';
import type { AdminHttpView, EnsembleView, LastSnapshotInfo } from '../admin-http/index.js';
import type { ServerConfig } from '../config/index.js';
import type { FourLetterWords } from '../net/client-server.js';
import type { Clock } from './ports.js';
import { quotaByNamespace } from './quota-metrics.js';
import type { ConnectionState, Replica } from './replica.js';

/** The ZooKeeper release whose protocol and behaviour we match; clients parse this part. */
export const ZOOKEEPER_PROTOCOL_VERSION = '3.8.0';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      statSync(join(dir, 'package.json'));
      return dir;
    } catch {
      dir = dirname(dir);
    }
  }
  return dirname(fileURLToPath(import.meta.url));
}

function ourVersion(root: string): { version: string; builtAtMs: number } {
  try {
    const pkg: unknown = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const version = typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string' ? pkg.version : '0.0.0';
    return { version, builtAtMs: statSync(fileURLToPath(import.meta.url)).mtimeMs };
  } catch {
    return { version: '0.0.0', builtAtMs: 0 };
  }
}

function openFileDescriptors(): { open: number; max: number } {
  try {
    const open = readdirSync('/proc/self/fd').length;
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const match = /^Max open files\s+(\d+)/mu.exec(limits);
    return { open, max: match?.[1] === undefined ? -1 : Number(match[1]) };
  } catch {
    return { open: -1, max: -1 };
  }
}

function directoryBytes(dir: string): number {
  let total = 0;
  try {
    for (const name of readdirSync(dir)) {
      const stats = statSync(join(dir, name));
      if (stats.isFile()) total += stats.size;
    }
  } catch {
    return 0;
  }
  return total;
}

function connectionSnapshot(state: ConnectionState): ConnectionSnapshot {
  return {
    remoteAddress: state.connection.remoteAddress,
    remotePort: state.connection.remotePort,
    interestOps: 1,
    outstandingRequests: state.outstanding,
    packetsReceived: state.packetsReceived,
    packetsSent: state.packetsSent,
    sessionId: state.handshake === 'open' ? state.sessionId : 0n,
    lastOperation: state.lastOp,
    establishedAtMs: state.establishedAtMs,
    sessionTimeoutMs: state.sessionTimeoutMs,
    lastCxid: state.lastCxid,
    lastZxid: state.lastZxid,
    lastResponseTimeMs: state.lastResponseAtMs,
    lastLatencyMs: state.lastLatencyMs,
    latency: { count: state.latencyCount, sum: state.totalLatencyMs, min: state.minLatencyMs, max: state.maxLatencyMs },
  };
}

/** The recorded metrics, the quota gauges read from the tree, and local_sessions in read-only mode. */
function mntrMetrics(replica: Replica): MntrMetrics {
  const recorded = replica.metrics.snapshot();
  const quotas = quotaByNamespace(replica.tree);
  const namespaces: NamespaceMetrics[] = (recorded.namespaces ?? []).map((ns) => {
    const quota = quotas.get(ns.namespace);
    quotas.delete(ns.namespace);
    return quota === undefined ? ns : { ...ns, quota };
  });
  for (const [namespace, quota] of quotas) namespaces.push({ namespace, quota });
  return {
    ...recorded,
    gauges: { ...recorded.gauges, ...(replica.mode === 'readOnly' ? { local_sessions: replica.readOnlySessionCount } : {}) },
    namespaces,
  };
}

/** Which role the server has now (standalone, or its place in the ensemble). */
export type ModeSource = () => ServerMode;

/** An ensemble member's role and quorum statistics (the QuorumPeer), for mntr, srvr, stat, srst and the AdminServer. */
export interface EnsembleSource {
  quorumStats(): QuorumStats;
  quorumConf(): QuorumConf;
  ensembleView(): EnsembleView;
  resetStats(): void;
}

/** Admin state shared by the four-letter words and the HTTP admin server. */
export interface AdminState {
  traceMask: bigint;
  lastSnapshot: LastSnapshotInfo | null;
}

export function createAdminState(): AdminState {
  return { traceMask: DEFAULT_TRACE_MASK, lastSnapshot: null };
}

function createAdminView(
  config: ServerConfig,
  replica: Replica,
  clock: Clock,
  startedAtMs: number,
  asking: { remoteAddress: string; remotePort: number } | null,
  modeOf: ModeSource,
  state: AdminState,
  ensemble: EnsembleSource | null,
): AdminView {
  const root = packageRoot();
  const { version, builtAtMs } = ourVersion(root);
  // A four-letter word arrives on a connection of its own, which 3.8 counts and lists; HTTP does not.
  const extra = asking === null ? 0 : 1;
  const askingConnection: ConnectionSnapshot | null = asking === null ? null : {
    remoteAddress: asking.remoteAddress,
    remotePort: asking.remotePort,
    interestOps: 0,
    outstandingRequests: 0,
    packetsReceived: 1,
    packetsSent: 0,
    sessionId: 0n,
    lastOperation: 'NA',
    establishedAtMs: clock.wallMs(),
    sessionTimeoutMs: 0,
    lastCxid: -1,
    lastZxid: -1n,
    lastResponseTimeMs: 0,
    lastLatencyMs: 0,
    latency: { count: 0, sum: 0, min: 0, max: 0 },
  };
  return {
    serverVersion: formatServerVersion(ZOOKEEPER_PROTOCOL_VERSION, `zk-ts-${version}`, builtAtMs),
    isRunning: () => replica.mode !== 'notServing',
    mode: modeOf,
    stats: () => {
      const fds = openFileDescriptors();
      const c = replica.counters;
      return {
        packetsReceived: c.packetsReceived + extra,
        packetsSent: c.packetsSent,
        requestLatency: { count: c.latencyCount, sum: c.totalLatencyMs, min: c.minLatencyMs, max: c.maxLatencyMs },
        outstandingRequests: replica.outstandingRequests,
        lastProcessedZxid: replica.lastZxid,
        aliveConnections: [...replica.connections()].length + extra,
        nodeCount: replica.tree.nodeCount,
        approximateDataSize: replica.tree.approximateDataBytes,
        watchCount: replica.watches.totalWatches,
        ephemeralsCount: replica.tree.ephemeralCount,
        globalSessions: replica.sessions.size,
        uptimeMs: clock.monotonicMs() - startedAtMs,
        openFileDescriptors: fds.open,
        maxFileDescriptors: fds.max,
      };
    },
    connections: () => {
      const list = [...replica.connections()].map(connectionSnapshot);
      return askingConnection === null ? list : [...list, askingConnection];
    },
    sessionExpiry: () => {
      const buckets = new Map<number, bigint[]>();
      for (const session of replica.sessions.all()) {
        const ids = buckets.get(session.expiresAtMs) ?? [];
        ids.push(session.id);
        buckets.set(session.expiresAtMs, ids);
      }
      const offsetMs = clock.wallMs() - clock.monotonicMs();
      return [...buckets.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([expiresAtMs, sessionIds]): SessionExpiryBucket => ({ expiresAtMs: expiresAtMs + offsetMs, sessionIds }));
    },
    connectionExpiry: () => null,
    ephemerals: () => {
      const result: SessionPaths[] = [];
      for (const [sessionId, paths] of replica.tree.sessionsWithEphemerals()) result.push({ sessionId, paths: [...paths] });
      return result;
    },
    dataWatches: () => {
      const byConnection = new Map<number, bigint>();
      for (const state of replica.connections()) byConnection.set(state.watcherId, state.sessionId);
      const result: SessionPaths[] = [];
      for (const watcher of replica.watches.data.watchers()) {
        result.push({ sessionId: byConnection.get(watcher) ?? 0n, paths: [...replica.watches.data.pathsOf(watcher)] });
      }
      return result;
    },
    config: () => ({
      clientPort: config.clientPort,
      secureClientPort: -1,
      snapDir: join(config.dataDir, 'version-2'),
      txnLogDir: join(config.dataLogDir, 'version-2'),
      tickTime: config.tickTimeMs,
      maxClientCnxns: config.maxClientCnxns,
      minSessionTimeout: config.minSessionTimeoutMs,
      maxSessionTimeout: config.maxSessionTimeoutMs,
      clientPortListenBacklog: config.clientPortListenBacklog,
      serverId: config.serverId ?? 0,
    }),
    environment: () => {
      const heap = getHeapStatistics();
      const user = userInfo();
      return {
        hostName: hostname(),
        javaVersion: process.version,
        javaVendor: 'Node.js',
        javaHome: dirname(dirname(process.execPath)),
        javaClassPath: root,
        javaLibraryPath: '',
        javaIoTmpdir: tmpdir(),
        javaCompiler: '<NA>',
        osName: type(),
        osArch: arch(),
        osVersion: release(),
        userName: user.username,
        userHome: user.homedir,
        userDir: process.cwd(),
        memoryFreeBytes: heap.total_available_size,
        memoryMaxBytes: heap.heap_size_limit,
        memoryTotalBytes: heap.total_heap_size,
      };
    },
    dirSizes: () => ({
      snapDirBytes: directoryBytes(join(config.dataDir, 'version-2')),
      txnLogDirBytes: directoryBytes(join(config.dataLogDir, 'version-2')),
    }),
    mntrMetrics: () => mntrMetrics(replica),
    // 3.8's read-only server is a plain ZooKeeperServer: mntr prints no peer_state or quorum keys.
    quorum: () => (replica.mode === 'readOnly' ? null : (ensemble?.quorumStats() ?? null)),
    quorumConf: () => (replica.mode === 'readOnly' ? null : (ensemble?.quorumConf() ?? null)),
    digestLog: () => [],
    traceMask: () => state.traceMask,
    setTraceMask: (mask) => {
      state.traceMask = mask;
    },
    resetStats: () => {
      replica.resetCounters();
      replica.metrics.reset();
      ensemble?.resetStats();
    },
    resetConnectionStats: () => replica.resetConnectionCounters(),
  };
}

/** The view the HTTP admin server (8080) reads: the same as the four-letter words, plus a few facts. */
export function createAdminHttpView(
  config: ServerConfig,
  replica: Replica,
  clock: Clock,
  startedAtMs: number,
  modeOf: ModeSource,
  state: AdminState,
  ensemble: EnsembleSource | null = null,
): AdminHttpView {
  return {
    ...createAdminView(config, replica, clock, startedAtMs, null, modeOf, state, ensemble),
    ensemble: () => ensemble?.ensembleView() ?? null,
    initialConfig: () => config.initialConfig,
    systemProperties: () => config.systemProperties,
    lastSnapshot: () => state.lastSnapshot,
  };
}

export function createFourLetterWords(
  config: ServerConfig,
  replica: Replica,
  clock: Clock,
  startedAtMs: number,
  modeOf: ModeSource = () => 'standalone',
  state: AdminState = createAdminState(),
  ensemble: EnsembleSource | null = null,
): FourLetterWords {
  const whitelist: FourLetterWordWhitelist = new Set(config.fourLetterWords);
  return {
    recognise: (bytes) => isFourLetterWord(bytes),
    run: (word, asking, extraBytes) => {
      const view = createAdminView(config, replica, clock, startedAtMs, asking, modeOf, state, ensemble);
      const traceMask = word === 'stmk' ? parseTraceMask(extraBytes) : null;
      return runFourLetterWord(word, view, whitelist, traceMask);
    },
  };
}
