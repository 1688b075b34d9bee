/**
 * The read-only window the four-letter words (src/admin) look through.
 *
 * The server implements {@link AdminView}; the admin module only formats what
 * it is given, exactly as ZooKeeper 3.8.0 lays it out. Everything here is plain
 * data: counts and durations are `number` (milliseconds, bytes, integers),
 * zxids and session ids are `bigint` (printed as Java `Long.toHexString`, so a
 * negative value prints in 64-bit two's complement).
 *
 * Ordering: where 3.8 iterates a Java hash map keyed by strings or longs, the
 * admin module re-orders the view's entries the way that map would iterate
 * (see java-format.ts `javaHashOrder`), so the view may return those entries in
 * any order. Where 3.8 iterates objects by identity (connections, watchers,
 * sessions inside an expiry bucket) the view's order is printed as given.
 */

import type {
  MntrBasicSummaryName,
  MntrCounterName,
  MntrExtraGaugeName,
  MntrPercentileSummaryName,
} from './mntr-keys.js';

/** `Mode:` in srvr/stat and `zk_server_state` in mntr (ServerStats.getServerState in 3.8). */
export type ServerMode = 'standalone' | 'leader' | 'follower' | 'observer' | 'read-only';

/**
 * Raw state of a min/avg/max series of integer samples (3.8's AvgMinMaxCounter).
 * The admin module derives what 3.8 prints: min/max are 0 while `count` is 0,
 * and the average is computed and rounded the way 3.8 does it.
 */
export interface SummaryStats {
  readonly count: number;
  readonly sum: number;
  /** Smallest sample; ignored while count is 0. */
  readonly min: number;
  /** Largest sample; ignored while count is 0. */
  readonly max: number;
}

/** A summary that also reports percentiles (3.8's AvgMinMaxPercentileCounter). */
export interface PercentileSummaryStats extends SummaryStats {
  /** Quantiles of the recent samples; printed rounded to integers (Math.round). */
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
}

/** Server-wide statistics (3.8 ServerStats + data tree gauges). */
export interface ServerStatsSnapshot {
  /** Packets (requests, and each four-letter word) received from clients since start/srst. */
  readonly packetsReceived: number;
  /** Packets sent to clients since start/srst. */
  readonly packetsSent: number;
  /** Request latency in ms since start/srst: `Latency min/avg/max`, zk_min/avg/max_latency. */
  readonly requestLatency: SummaryStats;
  /** Requests queued and not yet answered. */
  readonly outstandingRequests: number;
  /** Last processed zxid: `Zxid: 0x...`. */
  readonly lastProcessedZxid: bigint;
  /** Open client connections, including the one asking: `Connections:` / zk_num_alive_connections. */
  readonly aliveConnections: number;
  /** Number of znodes including `/`, `/zookeeper`, `/zookeeper/quota`, `/zookeeper/config`. */
  readonly nodeCount: number;
  /** Sum of path lengths + data lengths of all znodes (DataTree.approximateDataSize). */
  readonly approximateDataSize: number;
  /** Data watches + child watches (zk_watch_count; wchs counts data watches only). */
  readonly watchCount: number;
  /** Number of ephemeral znodes. */
  readonly ephemeralsCount: number;
  /** Number of sessions (zk_global_sessions). */
  readonly globalSessions: number;
  /** Milliseconds since the stats were created (server start; srst does not reset it). */
  readonly uptimeMs: number;
  /** Open file descriptors of the process, -1 if unknown. */
  readonly openFileDescriptors: number;
  /** File descriptor limit of the process, -1 if unknown. */
  readonly maxFileDescriptors: number;
}

/** One client connection, as printed by `cons` (and briefly by `stat`). */
export interface ConnectionSnapshot {
  /** Peer IP as Node reports it (`127.0.0.1`, `::1`, `::ffff:10.0.0.1`, `fe80::1%eth0`). */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /**
   * Java NIO interest ops: 1 = waiting to read, 4 = waiting to write (5 = both),
   * 0 = neither. 3.8 shows 1 for idle client connections and 0 for the
   * connection that is running the four-letter word.
   */
  readonly interestOps: number;
  /** Requests from this connection not yet answered. */
  readonly outstandingRequests: number;
  /** Packets received on this connection (a four-letter word counts as 1). */
  readonly packetsReceived: number;
  readonly packetsSent: number;
  /** 0n until a session is established; then `cons` prints the full details. */
  readonly sessionId: bigint;
  /** `lop=`: 'NA' until the first answer, then an entry of LAST_OPERATION_BY_OPCODE. */
  readonly lastOperation: string;
  /** `est=`: wall-clock epoch ms when the connection was accepted. */
  readonly establishedAtMs: number;
  /** `to=`: negotiated session timeout in ms. */
  readonly sessionTimeoutMs: number;
  /** `lcxid=`: last client xid answered (>= 0); -1 if none, then `lcxid` is omitted. */
  readonly lastCxid: number;
  /** `lzxid=`: zxid of the last answer; -1n after crst / before any answer. */
  readonly lastZxid: bigint;
  /** `lresp=`: time of the last answer in ms on a MONOTONIC clock (3.8 prints nanoTime/1e6); 0 if none. */
  readonly lastResponseTimeMs: number;
  /** `llat=`: latency of the last answer in ms. */
  readonly lastLatencyMs: number;
  /** Per-connection latency (ms); `avglat` is printed as an integer (sum / count, truncated). */
  readonly latency: SummaryStats;
}

/** A session id and paths (ephemerals owned by the session, or data watches it set). */
export interface SessionPaths {
  readonly sessionId: bigint;
  readonly paths: readonly string[];
}

/** Sessions that expire at the same (tick-rounded) moment. */
export interface SessionExpiryBucket {
  /** Wall-clock epoch ms of the expiry. */
  readonly expiresAtMs: number;
  /** In the order to print them (3.8 uses identity-hash order). */
  readonly sessionIds: readonly bigint[];
}

/** Connections that expire (are closed for inactivity) at the same moment (NIO factory in 3.8). */
export interface ConnectionExpiryBucket {
  readonly expiresAtMs: number;
  readonly connections: ReadonlyArray<{
    readonly remoteAddress: string;
    readonly remotePort: number;
    /** 0n before a session is established. */
    readonly sessionId: bigint;
  }>;
}

/** What `conf` prints in standalone mode. */
export interface ServerConfigSnapshot {
  readonly clientPort: number;
  /** -1 when no secure port is configured. */
  readonly secureClientPort: number;
  /** Absolute snapshot directory, i.e. `<dataDir>/version-2`. */
  readonly snapDir: string;
  /** Absolute transaction log directory, i.e. `<dataLogDir or dataDir>/version-2`. */
  readonly txnLogDir: string;
  readonly tickTime: number;
  /** maxClientCnxns (per host), 60 by default. */
  readonly maxClientCnxns: number;
  readonly minSessionTimeout: number;
  readonly maxSessionTimeout: number;
  /** -1 when not configured. */
  readonly clientPortListenBacklog: number;
  /** 0 in standalone mode. */
  readonly serverId: number;
}

/** Recursive sums of file sizes, in bytes. */
export interface DirSizes {
  /** Everything under {@link ServerConfigSnapshot.snapDir}. */
  readonly snapDirBytes: number;
  /** Everything under {@link ServerConfigSnapshot.txnLogDir}. */
  readonly txnLogDirBytes: number;
}

/**
 * What `envi` prints. 3.8 prints JVM system properties; we are not a JVM, so
 * the server fills the same keys with the closest runtime facts, e.g.
 * java.version = process.version, java.vendor = 'Node.js',
 * java.home = dirname(process.execPath), os.name = 'Linux' (os.type()),
 * os.arch = 'amd64' for x64 (Java's naming), os.version = os.release(),
 * memory = V8 heap (free = total - used, max = heap_size_limit).
 * 3.8 prints `<NA>` for a property it cannot read; use {@link NOT_AVAILABLE}.
 */
export interface EnvironmentSnapshot {
  /** host.name: canonical host name of the local address. */
  readonly hostName: string;
  readonly javaVersion: string;
  readonly javaVendor: string;
  readonly javaHome: string;
  readonly javaClassPath: string;
  readonly javaLibraryPath: string;
  readonly javaIoTmpdir: string;
  readonly javaCompiler: string;
  readonly osName: string;
  readonly osArch: string;
  readonly osVersion: string;
  readonly userName: string;
  readonly userHome: string;
  readonly userDir: string;
  /** Printed as whole MiB (bytes / 2^20 truncated) followed by `MB`. */
  readonly memoryFreeBytes: number;
  readonly memoryMaxBytes: number;
  readonly memoryTotalBytes: number;
}

/** Quota gauges of one namespace (from `/zookeeper/quota/<ns>/zookeeper_limits|zookeeper_stats`). */
export interface NamespaceQuota {
  /** Hard count limit if set, else the soft one; -1 if none. */
  readonly countLimit: number;
  /** Hard bytes limit if set, else the soft one; -1 if none. */
  readonly bytesLimit: number;
  readonly countUsage: number;
  readonly bytesUsage: number;
}

/** Per top-level namespace (first path component, e.g. `app` for `/app/x`) metrics. */
export interface NamespaceMetrics {
  readonly namespace: string;
  /** Present when the namespace has a quota node: zk_<ns>_quota_*_per_namespace. */
  readonly quota?: NamespaceQuota;
  /** zk_<ns>_quota_exceeded_error_per_namespace, printed once it exists. */
  readonly quotaExceededErrors?: number;
  /** Read sizes (path + data + stat overhead): zk_*_<ns>_read_per_namespace. */
  readonly reads?: SummaryStats;
  /** Write sizes (path + data): zk_*_<ns>_write_per_namespace. */
  readonly writes?: SummaryStats;
}

/**
 * mntr values beyond {@link ServerStatsSnapshot}. Every key is optional: an
 * omitted one prints what an idle 3.8.0 server prints (0, 0.0, or -1 for the
 * client response sizes). The key names are listed in mntr-keys.ts in 3.8's order.
 */
export interface MntrMetrics {
  readonly gauges?: Partial<Record<MntrExtraGaugeName, number>>;
  readonly counters?: Partial<Record<MntrCounterName, number>>;
  readonly summaries?: Partial<Record<MntrBasicSummaryName, SummaryStats>>;
  readonly percentileSummaries?: Partial<Record<MntrPercentileSummaryName, PercentileSummaryStats>>;
  /** Any order; printed in 3.8's hash-map order. */
  readonly namespaces?: readonly NamespaceMetrics[];
}

/** 3.8's BufferStats (Leader.getProposalStats): -1 until the first sample. */
export interface BufferSizes {
  readonly last: number;
  readonly min: number;
  readonly max: number;
}

/** A summary kept per learner server id (3.8's summary sets keyed by `Long.toString(sid)`). */
export interface PerServerSummary<S extends SummaryStats> {
  readonly sid: bigint;
  readonly stats: S;
}

/** What only the leader reports (LeaderZooKeeperServer's gauges, the Proposal sizes line). */
export interface LeaderQuorumStats {
  /** zk_learners: learners connected (followers and observers, synced or not). */
  readonly learners: number;
  /** zk_synced_followers: voting learners the leader forwards proposals to (sync started). */
  readonly syncedFollowers: number;
  /** zk_synced_non_voting_followers: forwarding followers that are not voting members. */
  readonly syncedNonVotingFollowers: number;
  /** zk_synced_observers: observers the leader informs of commits (sync started). */
  readonly syncedObservers: number;
  /** zk_pending_syncs: distinct zxids that learners' syncs wait for. */
  readonly pendingSyncs: number;
  /** zk_leader_uptime: ms since this leader started serving. */
  readonly uptimeMs: number;
  /** zk_last/min/max_proposal_size and `Proposal sizes last/min/max`: serialized txn bytes. */
  readonly proposalSizes: BufferSizes;
}

/** What an ensemble member adds to mntr, srvr/stat and the AdminServer (QuorumZooKeeperServer). */
export interface QuorumStats {
  /** zk_peer_state: QuorumPeer.getDetailedPeerState, e.g. `leading - broadcast`. */
  readonly peerState: string;
  /** zk_quorum_size: voting members in the configuration. */
  readonly quorumSize: number;
  /** Observers only: zk_observer_master_id, the server it learns from. */
  readonly observerMasterId: bigint | null;
  /** Leaders only. */
  readonly leader: LeaderQuorumStats | null;
  /**
   * 3.8 keeps these in process-wide metric sets, so they stay (with their learner ids) after the
   * role that filled them ends: learner_handler_qp_size, learner_handler_qp_time_ms, ack_latency.
   */
  readonly learnerQueueSizes: readonly PerServerSummary<SummaryStats>[];
  readonly learnerQueueTimes: readonly PerServerSummary<PercentileSummaryStats>[];
  readonly ackLatencies: readonly PerServerSummary<PercentileSummaryStats>[];
}

/** What `conf` adds for an ensemble member (QuorumZooKeeperServer.dumpConf). */
export interface QuorumConf {
  readonly initLimit: number;
  readonly syncLimit: number;
  /** electionAlg: 3 (FastLeaderElection), the only one 3.8 has. */
  readonly electionAlg: number;
  /** This member's election and quorum ports (more than one with multiAddress). */
  readonly electionPorts: readonly number[];
  readonly quorumPorts: readonly number[];
  /** LearnerType's ordinal: 0 participant, 1 observer. */
  readonly peerType: number;
  /** The committed configuration's text (QuorumVerifier.toString). */
  readonly membership: string;
}

/** The value 3.8 prints for an unknown system property. */
export const NOT_AVAILABLE = '<NA>';

/** One entry of the data tree's digest log (`hash`): kept every 128 zxids. */
export interface ZxidDigest {
  readonly zxid: bigint;
  /** Printed as a signed decimal long. */
  readonly digest: bigint;
}

/**
 * Everything the four-letter words read (plus the three mutations that
 * srst / crst / stmk perform). Implemented by the server.
 */
export interface AdminView {
  /**
   * Full version string, the same in srvr/stat (`Zookeeper version: `), envi
   * (`zookeeper.version=`) and mntr (`zk_version`). Build it with
   * `formatServerVersion` (four-letter-words.ts), e.g.
   * `3.8.0-zk-ts-0.1.0, built on 2025-01-01 00:00 UTC`.
   */
  readonly serverVersion: string;
  /**
   * false while the ZooKeeper server is not serving (starting, shutting down):
   * 3.8 then answers most words with "This ZooKeeper instance is not currently
   * serving requests" (isro: `null`). ruok, envi, gtmk, stmk answer anyway.
   */
  isRunning(): boolean;
  /** `read-only` also makes isro answer `ro` and srvr/stat print the READ-ONLY line. */
  mode(): ServerMode;
  stats(): ServerStatsSnapshot;
  /** All client connections, including the one running the word, in print order. */
  connections(): readonly ConnectionSnapshot[];
  /** Session expiry buckets (`dump`); printed sorted by time. */
  sessionExpiry(): readonly SessionExpiryBucket[];
  /**
   * Connection expiry buckets (`dump`), printed sorted by time; `null` prints
   * nothing after `Connections dump:` (what 3.8's Netty factory does).
   */
  connectionExpiry(): readonly ConnectionExpiryBucket[] | null;
  /** Ephemeral znodes per owning session (sessions without ephemerals may be omitted). */
  ephemerals(): readonly SessionPaths[];
  /**
   * DATA watches per connection's session (getData/exists watches and
   * persistent watches); child watches are not shown by wchs/wchc/wchp in 3.8.
   * Sessions are printed in this order.
   */
  dataWatches(): readonly SessionPaths[];
  config(): ServerConfigSnapshot;
  environment(): EnvironmentSnapshot;
  dirSizes(): DirSizes;
  /** Metrics for mntr beyond {@link stats}; anything omitted prints as on an idle 3.8 server. */
  mntrMetrics(): MntrMetrics;
  /** The member's place in its ensemble; absent or null on a standalone server. */
  quorum?(): QuorumStats | null;
  /** An ensemble member's part of `conf`; null or absent for a standalone or read-only server. */
  quorumConf?(): QuorumConf | null;
  /** Digest log for `hash` (oldest first); empty if digests are not computed. */
  digestLog(): readonly ZxidDigest[];
  /** Current trace mask (gtmk). 3.8's default is 306 (DEFAULT_TRACE_MASK). */
  traceMask(): bigint;
  /** stmk: set the trace mask. */
  setTraceMask(mask: bigint): void;
  /** srst: reset packet counters, request latency, response-size stats and all mntr metrics. */
  resetStats(): void;
  /** crst: reset every connection's counters, latencies, lop/lcxid/lzxid/lresp (ServerCnxn.resetStats). */
  resetConnectionStats(): void;
}
