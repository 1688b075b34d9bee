// Composition root: the only module that knows the concrete adapters. It turns a validated
// ServerConfig into a running server (client port, replica, timers) and hands each part only the
// slice of configuration it needs.

import { performance } from 'node:perf_hooks';
import type { ServerConfig } from './config/index.js';
import { javaParseBoolean } from './config/java-values.js';
import type { Logger } from './logging/logger.js';
import { ClientServer, type ClientConnectionHandler, type FourLetterWords } from './net/client-server.js';
import { isFourLetterWord, isFourLetterWordEnabled, ZK_NOT_SERVING } from './admin/index.js';
import { type Clock, type TxnStorage } from './replica/ports.js';
import { Replica, type Authentication } from './replica/replica.js';
import { openDataDirectories } from './storage/data-directory.js';
import { DurableStorage } from './storage/durable-storage.js';
import { recover } from './storage/recovery.js';
import { snapshotsNotYetDurable, writeSnapshot } from './storage/snapshotter.js';
import { FileTxnLog } from './storage/txn-log.js';
import { QuorumPeer } from './quorum/quorum-peer.js';
import { committedConfigOf, peerReconfigOf } from './quorum/peer-config.js';
import { snapshotSizeFactorOf } from './quorum/txn-log-sync.js';
import { purge } from './storage/purge.js';
import { createAuthentication } from './replica/authentication.js';
import { createAdminHttpView, createAdminState, createFourLetterWords, type ModeSource } from './replica/admin-view.js';
import { Registry } from 'prom-client';
import { bindGauges, createMetrics, ServerMetrics, startMetricsServer, type RunningMetricsServer } from './metrics/index.js';
import { startAdminServer, type RunningAdminServer } from './admin-http/index.js';
import { AdjustableClock } from './testing/adjustable-clock.js';
import { startTestHooks, type RunningTestHooks } from './testing/test-hooks.js';

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  readonly replica: Replica;
  /** The ensemble member, when the configuration has more than one server. */
  readonly quorumPeer: QuorumPeer | null;
  stop(): Promise<void>;
}

/** While the data is loading, clients are turned away (3.8: "ZooKeeperServer not running"). */
const loadingHandler: ClientConnectionHandler = {
  connectionOpened: () => undefined,
  frameReceived: (connection) => connection.close(),
  connectionClosed: () => undefined,
};

/** While loading, 3.8 answers ruok with imok and the other words with "not currently serving". */
function loadingWords(whitelist: ReadonlySet<string>): FourLetterWords {
  return {
    recognise: (bytes) => isFourLetterWord(bytes),
    run: (word) => {
      if (!isFourLetterWordEnabled(word, whitelist)) return `${word} is not executed because it is not in the whitelist.\n`;
      return word === 'ruok' ? 'imok' : `${ZK_NOT_SERVING}\n`;
    },
  };
}

/** Read once: the getter allocates, and the clock is read several times per request. */
const TIME_ORIGIN_MS = performance.timeOrigin;

export const systemClock: Clock = {
  wallMs: () => Date.now(),
  monotonicMs: () => Math.floor(TIME_ORIGIN_MS + performance.now()),
};

function numberProperty(config: ServerConfig, name: string, fallback: number): number {
  const raw = config.systemProperties[name];
  if (raw === undefined) return fallback;
  const value = Number.parseInt(raw.trim(), 10);
  return Number.isFinite(value) ? value : fallback;
}

/** -Dzkts.test.fault: a deliberately broken server for the Jepsen-style harness (see ReplicaOptions.testFault). */
function testFaultOf(value: string | undefined): { testFault?: 'ack-before-fsync' | 'ack-before-quorum' } {
  if (value === 'ack-before-fsync' || value === 'ack-before-quorum') return { testFault: value };
  // A misspelt fault would run a healthy server where a test expects a broken one.
  if (value !== undefined) throw new Error(`unknown zkts.test.fault '${value}' (ack-before-fsync, ack-before-quorum)`);
  return {};
}

export interface StartOptions {
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Replaces the durable txn log (tests of the pipeline alone). */
  readonly storage?: TxnStorage;
  /** Called when the server cannot go on safely (the log can neither be written nor cut back). */
  readonly onFatal?: (reason: string) => void;
  readonly authentication?: Authentication;
  /** Overrides the configured client port (tests pass 0 for a free one). */
  readonly clientPortOverride?: number;
  /**
   * TEST ONLY: a unix socket path on which to serve the Jepsen-style harness's test hooks (clock
   * shifts, simulated power loss). Absent in production: then no socket exists.
   */
  readonly testHooksSocket?: string;
}

export async function startServer(config: ServerConfig, options: StartOptions): Promise<RunningServer> {
  const logger = options.logger;
  // With test hooks, every consumer gets the adjustable clock, so a shift reaches all of them.
  const adjustableClock = options.testHooksSocket === undefined ? null : new AdjustableClock(options.clock ?? systemClock);
  const clock = adjustableClock ?? options.clock ?? systemClock;
  // Assigned once the txn log exists; a power loss before that leaves only snapshots to cut.
  let txnLogForHooks: FileTxnLog | null = null;
  const testHooks: RunningTestHooks | null =
    options.testHooksSocket === undefined || adjustableClock === null
      ? null
      : await startTestHooks(options.testHooksSocket, {
          clock: adjustableClock,
          logger: logger.child({ component: 'test-hooks' }),
          unsyncedFiles: () => {
            const log = txnLogForHooks?.durableEnd ?? null;
            return { truncate: log === null ? [] : [log], remove: snapshotsNotYetDurable() };
          },
        });
  const authentication = options.authentication ?? createAuthentication(config, logger.child({ component: 'auth' }));
  const startedAtMs = clock.monotonicMs();
  const address = config.clientAddress;
  const clientServer = new ClientServer(
    {
      host: address?.host ?? null,
      port: options.clientPortOverride ?? address?.port ?? config.clientPort,
      maxClientCnxns: config.maxClientCnxns,
      maxFrameBytes: config.juteMaxBuffer,
      maxPendingWriteBytes: 16 * 1024 * 1024,
    },
    loadingHandler,
    loadingWords(new Set(config.fourLetterWords)),
    logger.child({ component: 'client-port' }),
  );
  const listening = await clientServer.listen();
  const adminState = createAdminState();
  const registry = new Registry();
  const metrics = createMetrics(registry, { runtimeMetrics: config.metrics.exportJvmInfo });
  const serverMetrics = new ServerMetrics();
  // Prometheus summaries cost CPU on every request: fed only when the endpoint is on.
  if (config.metrics.prometheus) serverMetrics.addSink(metrics.sink);
  let metricsServer: RunningMetricsServer | null = null;
  let adminServer: RunningAdminServer | null = null;
  const directories = await openDataDirectories(config.dataDir, config.dataLogDir, config.datadirAutocreate);
  const storageLogger = logger.child({ component: 'storage' });
  const recovered = await recover(
    { snapDirectory: directories.snapDirectory, logDirectory: directories.logDirectory, extendedTypesEnabled: config.extendedTypesEnabled },
    storageLogger,
  );
  serverMetrics.observe('startup_snap_load_time', Math.floor(recovered.snapshotLoadMs));
  // 3.8 replays the logs (and records it) only after it found a snapshot.
  if (recovered.snapshotFile !== null || recovered.txnsReplayed > 0) {
    serverMetrics.observe('startup_txns_load_time', Math.floor(recovered.txnsLoadMs));
    serverMetrics.observe('startup_txns_loaded', recovered.txnsReplayed);
  }
  // Ephemerals of sessions that did not survive belong to no one: 3.8 deletes them at load.
  for (const [owner] of [...recovered.tree.sessionsWithEphemerals()]) {
    if (!recovered.sessions.has(owner)) recovered.tree.killSession(owner);
  }
  if (!config.forceSync) storageLogger.warn({}, 'forceSync=no: txns are acknowledged before they reach the disk; a crash can lose acknowledged writes');
  // Small slices: a slice runs between two turns of the event loop, and with few clients each waiting
  // for its fsync, 2000 nodes per slice tripled the p99 of creates while a snapshot ran.
  const snapshotOptions = { directory: directories.snapDirectory, fsync: config.forceSync, nodesPerSlice: 500 };
  let snapshotInProgress: Promise<unknown> | null = null;
  let replicaRef: Replica | null = null;
  const sessionsForSnapshot = (): [bigint, number][] =>
    replicaRef === null ? [...recovered.sessions.entries()] : [...replicaRef.sessions.all()].map((s) => [s.id, s.timeoutMs]);
  const startSnapshot = (): void => {
    if (snapshotInProgress !== null || replicaRef === null) return;
    snapshotInProgress = writeSnapshot(replicaRef.tree, sessionsForSnapshot(), snapshotOptions, storageLogger)
      .then((result) => {
        adminState.lastSnapshot = { zxid: result.zxid, modifiedAtMs: clock.wallMs() };
        serverMetrics.observe('snapshottime', Math.floor(result.durationMs));
      })
      .catch((error: unknown) => storageLogger.error({ err: error }, 'snapshot failed; the txn log still holds every txn'))
      .finally(() => {
        snapshotInProgress = null;
      });
  };
  const txnLog = new FileTxnLog(
    {
      directory: directories.logDirectory,
      preAllocBytes: config.preAllocSizeBytes,
      forceSync: config.forceSync,
      onBatchDurable: (txns, milliseconds) => {
        serverMetrics.observe('fsynctime', Math.floor(milliseconds));
        serverMetrics.observe('sync_processor_batch_size', txns);
      },
    },
    storageLogger,
  );
  txnLogForHooks = txnLog;
  const storage =
    options.storage ??
    new DurableStorage(
      txnLog,
      { snapCount: config.snapCount, snapSizeLimitBytes: config.snapSizeLimitKb * 1024, randomBelow: (bound) => Math.floor(Math.random() * bound) },
      startSnapshot,
      storageLogger,
    );
  // A clean snapshot after loading, as 3.8 takes one, so the next recovery is short. 3.8 writes it
  // before serving. A standalone server that recovered from a snapshot writes it in the background
  // instead, as the snapshots snapCount triggers are written, so clients are served while a large
  // tree is written: until it is complete, the snapshot and logs just recovered from still hold
  // everything (purge counts only complete snapshots). A data dir without a snapshot gets one before
  // serving: a log with no snapshot at all is what 3.8 refuses to start on. An ensemble member
  // writes it first too: there the sync with the leader rewrites the tree and the log.
  const firstSnapshotInBackground = !config.distributed && recovered.snapshotFile !== null;
  if (!firstSnapshotInBackground) {
    const firstSnapshot = await writeSnapshot(recovered.tree, [...recovered.sessions.entries()], snapshotOptions, storageLogger);
    adminState.lastSnapshot = { zxid: firstSnapshot.zxid, modifiedAtMs: clock.wallMs() };
  }
  serverMetrics.observe('dbinittime', clock.monotonicMs() - startedAtMs);
  const testFault = testFaultOf(config.systemProperties['zkts.test.fault']);
  if (testFault.testFault !== undefined) logger.warn({ testFault: testFault.testFault }, 'TEST FAULT ON: this server is deliberately broken (zkts.test.fault); it can lose acknowledged writes');
  const replica = new Replica(
    {
      // Session ids carry the server id in their top byte: ensemble members must not share it.
      serverId: config.distributed && config.serverId !== null ? BigInt(config.serverId) : 1n,
      tickTimeMs: config.tickTimeMs,
      minSessionTimeoutMs: config.minSessionTimeoutMs,
      maxSessionTimeoutMs: config.maxSessionTimeoutMs,
      maxBufferBytes: config.juteMaxBuffer + config.juteMaxBufferExtraSize,
      extendedTypesEnabled: config.extendedTypesEnabled,
      reconfigEnabled: config.reconfigEnabled,
      // Boolean.parseBoolean of the property, "true" when unset.
      digestEnabled: javaParseBoolean(config.systemProperties['zookeeper.digest.enabled'] ?? 'true'),
      skipAcl: config.auth.skipACL,
      containerCheckIntervalMs: numberProperty(config, 'znode.container.checkIntervalMs', 60_000),
      containerMaxPerMinute: numberProperty(config, 'znode.container.maxPerMinute', 10_000),
      ...testFault,
    },
    {
      storage,
      clock,
      auth: authentication,
      logger: logger.child({ component: 'replica' }),
      metrics: serverMetrics,
      onFatal: options.onFatal ?? ((reason) => logger.fatal({ reason }, 'cannot go on safely')),
    },
    { tree: recovered.tree, sessions: recovered.sessions },
  );
  replicaRef = replica;
  if (firstSnapshotInBackground) startSnapshot();
  let quorumPeer: QuorumPeer | null = null;
  if (config.distributed) {
    if (config.serverId === null) throw new Error(`${config.dataDir}/myid is missing: every member of an ensemble needs one`);
    if (!(storage instanceof DurableStorage)) throw new Error('an ensemble member needs the durable txn log');
    const quorumLogger = logger.child({ component: 'quorum' });
    const committedConfig = committedConfigOf(config);
    quorumPeer = new QuorumPeer(
      {
        myId: BigInt(config.serverId),
        members: config.servers.map((server) => ({
          id: BigInt(server.id),
          host: server.host,
          quorumPort: server.quorumPort,
          electionPort: server.electionPort,
          participant: server.role === 'participant',
          clientAddress: server.clientAddress === null ? '' : `${server.clientAddress.host ?? '0.0.0.0'}:${String(server.clientAddress.port)}`,
        })),
        tickTimeMs: config.tickTimeMs,
        initLimitTicks: config.initLimitTicks,
        syncLimitTicks: config.syncLimitTicks,
        listenHost: '0.0.0.0',
        snapDirectory: directories.snapDirectory,
        logDirectory: directories.logDirectory,
        extendedTypesEnabled: config.extendedTypesEnabled,
        forceSync: config.forceSync,
        configText: committedConfig.toString(),
        configVersion: config.quorumConfigVersion,
        maxPacketBytes: config.juteMaxBuffer + config.juteMaxBufferExtraSize,
        recentTxns: recovered.recentTxns,
        snapshotSizeFactor: snapshotSizeFactorOf(config.systemProperties['zookeeper.snapshotSizeFactor']),
        readOnlyModeEnabled: config.readOnlyModeEnabled,
        reconfig: peerReconfigOf(config, committedConfig, quorumLogger, (host, port) => clientServer.rebind(host, port)),
      },
      { replica, storage, log: txnLog, clock, metrics: serverMetrics, logger: quorumLogger },
    );
  }
  const peer = quorumPeer;
  const modeOf: ModeSource = () => {
    if (peer === null) return 'standalone';
    return peer.mode ?? 'follower';
  };
  const words: FourLetterWords = createFourLetterWords(config, replica, clock, startedAtMs, modeOf, adminState, peer);
  const adminView = createAdminHttpView(config, replica, clock, startedAtMs, modeOf, adminState, peer);
  const unbindGauges = bindGauges(metrics, adminView);
  if (config.metrics.prometheus) {
    metricsServer = await startMetricsServer(
      { host: config.metrics.httpHost, port: config.metrics.httpPort, beforeScrape: () => metrics.refreshRegistrations() },
      registry, logger.child({ component: 'metrics' }));
  }
  if (config.admin.enabled) {
    try {
      adminServer = await startAdminServer(
        { address: config.admin.address, port: config.admin.port, commandUrl: config.admin.commandUrl, idleTimeoutMs: config.admin.idleTimeoutMs },
        adminView,
        logger.child({ component: 'admin-server' }),
      );
    } catch (error) {
      await metricsServer?.close();
      throw error;
    }
  }
  clientServer.serve(replica, words);
  if (quorumPeer !== null) await quorumPeer.start();
  // autopurge, as 3.8's DatadirCleanupManager: once at start, then every purgeInterval hours, keeping
  // at least 3 snapshots (3.8 silently raises a smaller snapRetainCount to 3).
  let purgeTimer: NodeJS.Timeout | null = null;
  if (config.autopurge.purgeIntervalHours > 0) {
    const retain = Math.max(3, config.autopurge.snapRetainCount);
    const runPurge = (): void => {
      purge(config.dataDir, config.dataLogDir, retain, storageLogger).catch((error: unknown) =>
        storageLogger.error({ err: error }, 'autopurge failed'),
      );
    };
    runPurge();
    purgeTimer = setInterval(runPurge, config.autopurge.purgeIntervalHours * 3_600_000);
    purgeTimer.unref();
  }
  const tickIntervalMs = Math.max(10, Math.min(config.tickTimeMs, 500));
  const ticker = setInterval(() => replica.tick(), tickIntervalMs);
  logger.info({ host: listening.host, port: listening.port, tickTimeMs: config.tickTimeMs }, 'serving clients');
  return {
    host: listening.host,
    port: listening.port,
    replica,
    quorumPeer,
    stop: async () => {
      clearInterval(ticker);
      if (purgeTimer !== null) clearInterval(purgeTimer);
      await quorumPeer?.stop();
      unbindGauges();
      await adminServer?.close();
      await metricsServer?.close();
      replica.closeAllConnections();
      await clientServer.close();
      await snapshotInProgress;
      await txnLog.close();
      await testHooks?.close();
    },
  };
}
