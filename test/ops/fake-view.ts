// A hand-made AdminHttpView for the ops tests: by default an idle standalone server (the values a
// fresh Apache ZooKeeper 3.8.0 shows), with every part replaceable, and a record of the mutations
// the commands perform.

import type { ConnectionSnapshot, ServerStatsSnapshot } from '../../src/admin/index.js';
import type { AdminHttpView } from '../../src/admin-http/index.js';

export const JAVA_VERSION_STRING = '3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC';

export interface FakeViewCalls {
  resetStats: number;
  resetConnectionStats: number;
  traceMasks: bigint[];
}

export const IDLE_STATS: ServerStatsSnapshot = {
  packetsReceived: 0,
  packetsSent: 0,
  requestLatency: { count: 0, sum: 0, min: 0, max: 0 },
  outstandingRequests: 0,
  lastProcessedZxid: 0n,
  aliveConnections: 0,
  nodeCount: 5,
  approximateDataSize: 44,
  watchCount: 0,
  ephemeralsCount: 0,
  globalSessions: 0,
  uptimeMs: 10_486,
  openFileDescriptors: 44,
  maxFileDescriptors: 20_000,
};

export function connection(overrides: Partial<ConnectionSnapshot> = {}): ConnectionSnapshot {
  return {
    remoteAddress: '127.0.0.1',
    remotePort: 40000,
    interestOps: 1,
    outstandingRequests: 0,
    packetsReceived: 0,
    packetsSent: 0,
    sessionId: 0n,
    lastOperation: 'NA',
    establishedAtMs: 1_795_680_000_000,
    sessionTimeoutMs: 10_000,
    lastCxid: -1,
    lastZxid: -1n,
    lastResponseTimeMs: 0,
    lastLatencyMs: 0,
    latency: { count: 0, sum: 0, min: 0, max: 0 },
    ...overrides,
  };
}

export function fakeView(overrides: Partial<AdminHttpView> = {}): { view: AdminHttpView; calls: FakeViewCalls } {
  const calls: FakeViewCalls = { resetStats: 0, resetConnectionStats: 0, traceMasks: [] };
  let traceMask = 306n;
  const view: AdminHttpView = {
    serverVersion: JAVA_VERSION_STRING,
    isRunning: () => true,
    mode: () => 'standalone',
    stats: () => IDLE_STATS,
    connections: () => [],
    sessionExpiry: () => [],
    connectionExpiry: () => null,
    ephemerals: () => [],
    dataWatches: () => [],
    config: () => ({
      clientPort: 2181,
      secureClientPort: -1,
      snapDir: '/var/lib/zookeeper/version-2',
      txnLogDir: '/var/lib/zookeeper/version-2',
      tickTime: 2000,
      maxClientCnxns: 60,
      minSessionTimeout: 4000,
      maxSessionTimeout: 40_000,
      clientPortListenBacklog: -1,
      serverId: 0,
    }),
    environment: () => ({
      hostName: 'localhost',
      javaVersion: 'v20.19.0',
      javaVendor: 'Node.js',
      javaHome: '/usr/local',
      javaClassPath: '/opt/zk-ts',
      javaLibraryPath: '',
      javaIoTmpdir: '/tmp',
      javaCompiler: '<NA>',
      osName: 'Linux',
      osArch: 'amd64',
      osVersion: '6.1.0',
      userName: 'zookeeper',
      userHome: '/home/zookeeper',
      userDir: '/opt/zk-ts',
      memoryFreeBytes: 189 * 1024 * 1024 + 5,
      memoryMaxBytes: 247 * 1024 * 1024,
      memoryTotalBytes: 247 * 1024 * 1024,
    }),
    dirSizes: () => ({ snapDirBytes: 457, txnLogDirBytes: 457 }),
    mntrMetrics: () => ({}),
    digestLog: () => [],
    traceMask: () => traceMask,
    setTraceMask: (mask) => {
      calls.traceMasks.push(mask);
      traceMask = mask;
    },
    resetStats: () => {
      calls.resetStats++;
    },
    resetConnectionStats: () => {
      calls.resetConnectionStats++;
    },
    initialConfig: () => 'tickTime=2000\ndataDir=/var/lib/zookeeper\nclientPort=2181\n',
    systemProperties: () => ({ 'zookeeper.admin.enableServer': 'true', 'file.separator': '/', 'java.version': 'v20.19.0' }),
    lastSnapshot: () => ({ zxid: 0n, modifiedAtMs: 1_795_680_243_999 }),
    ...overrides,
  };
  return { view, calls };
}
