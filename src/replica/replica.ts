// The replica: owns the tree, sessions, watches and the request pipeline of one server, and drives
// requests through ZooKeeper's stages without threads: prepare (request -> txn) -> log (append,
// group fsync) -> apply -> reply. All requests pass one FIFO, so a read waits for the writes that
// arrived before it (as in 3.8 standalone, where reads queue behind unflushed txns); this keeps
// every client's order and makes the single server linearizable.
//
// Invariants:
// - zxids are allocated in prepare order and applied in the same order;
// - a reply is sent only after the txn it reflects is durable and applied;
// - watch notifications caused by a txn are written before any reply that reflects that txn.

import { JuteReader, readConnectRequest, readRequestHeader, type Id } from '../jute/index.js';
import { assert } from '../lib/assert.js';
import { javaHashOrderBy, javaStringHashCode } from '../lib/java-hash-order.js';
import { ErrorCode } from '../protocol/error-code.js';
import { OpCode, Xid, opCodeName } from '../protocol/op-code.js';
import { decodeRequest, isWriteType, type ConnectionRequest, type ReadRequest } from '../protocol/requests.js';
import { EventType, type EventTypeValue } from '../protocol/constants.js';
import type { AclPolicy, AuthProviders } from '../pipeline/acl.js';
import { OutstandingChanges } from '../pipeline/outstanding-changes.js';
import { prepareCreateSession, prepareMalformed, prepareWrite, type PrepareContext, type PrepareEnvironment, type ReconfigPreparer } from '../pipeline/prepare.js';
import { executeRead, type ReadEnvironment } from '../pipeline/read.js';
import {
  encodeConnectResponse,
  encodeNotification,
  encodeReply,
  NO_BODY,
  type MultiResult,
  type Reply,
  type ReplyBody,
} from '../pipeline/reply.js';
import {
  initialSessionId,
  sessionPassword,
  checkSessionPassword,
  LOCAL_OWNER,
  SessionTable,
  SESSION_PASSWORD_BYTES,
  type SessionOwner,
} from '../sessions/session-table.js';
import { CONFIG_PATH, DataTree, DIGEST_VERSION, type ApplyResult, type TreeChangeListener } from '../tree/data-tree.js';
import type { Txn } from '../txn/txn.js';
import { WatchTable, type WatcherId } from '../watches/watch-table.js';
import type { RecordedSummary, ServerMetrics } from '../metrics/server-metrics.js';
import { recordReadStats, writeStatsListener } from './namespace-stats.js';
import type { ClientConnection, Clock, TxnStorage } from './ports.js';
import type { Logger } from '../logging/logger.js';

export interface SaslExchange {
  /** Next server token, or a failure; `authorizationId` once the exchange completes. */
  evaluate(token: Buffer): { kind: 'challenge'; token: Buffer } | { kind: 'complete'; token: Buffer; ids: Id[] } | { kind: 'failed' };
}

export interface Authentication {
  readonly providers: AuthProviders;
  /** Ids a new connection starts with (3.8: ip:<remote address>). */
  initialIds(remoteAddress: string): Id[];
  /** addauth: the ids granted, or null when the scheme is unknown or the credentials are refused. */
  authenticate(scheme: string, authData: Buffer, remoteAddress: string): Id[] | null;
  /** A SASL exchange for a connection, or null when SASL is not configured. */
  startSasl(): SaslExchange | null;
  userNameOf(id: Id): string;
}

export interface ReplicaOptions {
  readonly serverId: bigint;
  readonly tickTimeMs: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  readonly maxBufferBytes: number;
  readonly extendedTypesEnabled: boolean;
  readonly reconfigEnabled: boolean;
  /** zookeeper.digest.enabled (3.8 default true): log and propose txns with the tree digest they produce. */
  readonly digestEnabled: boolean;
  readonly skipAcl: boolean;
  /** znode.container.checkIntervalMs: how often empty containers and expired TTL nodes are removed. */
  readonly containerCheckIntervalMs: number;
  /** znode.container.maxPerMinute */
  readonly containerMaxPerMinute: number;
  /**
   * TEST ONLY (-Dzkts.test.fault=...): a deliberately broken server for the Jepsen-style harness to
   * catch. Never set in production.
   * - ack-before-fsync (standalone): writes are applied and acknowledged half a second before they
   *   reach the log, so a crash loses the acknowledged writes of the last half second.
   * - ack-before-quorum (leader): writes are applied and acknowledged when proposed, before a quorum
   *   logged them, so a leader cut off from its quorum acknowledges writes the next leader never has.
   */
  readonly testFault?: 'ack-before-fsync' | 'ack-before-quorum';
}

type HandshakeState = 'awaitingConnect' | 'awaitingSession' | 'open' | 'closed';

/** A client write as a follower forwards it to the leader (a REQUEST packet). */
export interface ForwardedRequest {
  readonly sessionId: bigint;
  readonly cxid: number;
  readonly type: number;
  readonly body: Buffer;
  readonly authIds: readonly Id[];
}

/**
 * How this server orders writes: alone (standalone: prepare, log, apply), as the leader of an
 * ensemble (prepare, then the quorum commits), as a follower (forward to the leader, apply what it
 * commits), not at all while no leader is established (clients are turned away), or not at all but
 * serving reads of the local tree to clients that accept a read-only server (3.8's
 * ReadOnlyZooKeeperServer, with readonlymode.enabled, while the member has no quorum).
 */
export type ReplicaMode =
  | { readonly kind: 'standalone' }
  | { readonly kind: 'notServing' }
  | { readonly kind: 'readOnly' }
  | {
      readonly kind: 'leading';
      readonly propose: (txn: Txn) => void;
      /** With reconfigEnabled: the leader's checks of a reconfig request (see ReconfigPreparer). */
      readonly reconfig?: ReconfigPreparer;
    }
  | {
      readonly kind: 'following';
      readonly forward: (request: ForwardedRequest) => void;
      /** Asks the leader whether a session a client brings here still lives (answered by `revalidated`). */
      readonly revalidate: (sessionId: bigint, timeoutMs: number) => void;
    };

/** Per-connection bookkeeping, also what `cons` and `stat` report. */
export interface ConnectionState {
  readonly connection: ClientConnection;
  readonly watcherId: WatcherId;
  handshake: HandshakeState;
  sessionId: bigint;
  sessionTimeoutMs: number;
  authIds: Id[];
  /** A client that sent no readOnly flag in its ConnectRequest (3.4 generation). */
  oldClient: boolean;
  sasl: SaslExchange | null;
  readonly establishedAtMs: number;
  packetsReceived: number;
  packetsSent: number;
  outstanding: number;
  lastCxid: number;
  lastZxid: bigint;
  lastOp: string;
  lastResponseAtMs: number;
  lastLatencyMs: number;
  minLatencyMs: number;
  maxLatencyMs: number;
  totalLatencyMs: number;
  latencyCount: number;
}

type PendingItem =
  | {
      readonly kind: 'forwarded';
      readonly origin: ConnectionState;
      readonly sessionId: bigint;
      readonly cxid: number;
      readonly requestType: number;
      readonly receivedAtMs: number;
      /** For a forwarded sync: the path its reply echoes. */
      readonly syncPath?: string;
    }
  | { readonly kind: 'write'; readonly txn: Txn; readonly origin: ConnectionState | null; readonly requestType: number; readonly receivedAtMs: number }
  | { readonly kind: 'read'; readonly origin: ConnectionState; readonly xid: number; readonly request: ReadRequest; readonly receivedAtMs: number }
  | { readonly kind: 'malformed'; readonly origin: ConnectionState; readonly xid: number; readonly err: number; readonly body: ReplyBody; readonly receivedAtMs: number };

export interface ServerCounters {
  packetsReceived: number;
  packetsSent: number;
  minLatencyMs: number;
  maxLatencyMs: number;
  totalLatencyMs: number;
  latencyCount: number;
}

/** The 4-byte length before every frame on the client port. */
const FRAME_LENGTH_BYTES = 4;

/** Where 3.8 counts how many watches one event triggered. */
const WATCH_COUNT_SUMMARY: Partial<Record<number, RecordedSummary>> = {
  [EventType.nodeCreated]: 'node_created_watch_count',
  [EventType.nodeDeleted]: 'node_deleted_watch_count',
  [EventType.nodeDataChanged]: 'node_changed_watch_count',
  [EventType.nodeChildrenChanged]: 'node_children_watch_count',
};

const SHORT_OP_NAME: Partial<Record<number, string>> = {
  [OpCode.ping]: 'PING',
  [OpCode.create]: 'CREA',
  [OpCode.create2]: 'CREA',
  [OpCode.createContainer]: 'CREA',
  [OpCode.createTTL]: 'CREA',
  [OpCode.delete]: 'DELE',
  [OpCode.deleteContainer]: 'DELE',
  [OpCode.setData]: 'SETD',
  [OpCode.getData]: 'GETD',
  [OpCode.exists]: 'EXIS',
  [OpCode.getChildren]: 'GETC',
  [OpCode.getChildren2]: 'GETC',
  [OpCode.getACL]: 'GETA',
  [OpCode.setACL]: 'SETA',
  [OpCode.multi]: 'MULT',
  [OpCode.multiRead]: 'MLTR',
  [OpCode.sync]: 'SYNC',
  [OpCode.check]: 'CHEC',
  [OpCode.closeSession]: 'CLOS',
  [OpCode.setWatches]: 'SETW',
  [OpCode.setWatches2]: 'STW2',
  [OpCode.checkWatches]: 'CHKW',
  [OpCode.removeWatches]: 'REMW',
  [OpCode.addWatch]: 'ADDW',
  [OpCode.whoAmI]: 'HOMI',
  [OpCode.getEphemerals]: 'GETE',
  [OpCode.getAllChildrenNumber]: 'GETACN',
  [OpCode.createSession]: 'SESS',
};

export class Replica {
  #tree: DataTree;
  readonly sessions: SessionTable;
  readonly watches: WatchTable;
  readonly #changes: OutstandingChanges;
  readonly #options: ReplicaOptions;
  readonly #storage: TxnStorage;
  readonly #clock: Clock;
  readonly #auth: Authentication;
  readonly #logger: Logger;
  readonly #metrics: ServerMetrics;
  /** The watch table, with the per-namespace write statistics counted on the way. */
  readonly #treeListener: TreeChangeListener;
  readonly #aclPolicy: AclPolicy;
  readonly #prepareEnv: PrepareEnvironment;
  readonly #readEnv: ReadEnvironment;
  readonly #connections = new Map<number, ConnectionState>();
  readonly #connectionByWatcher = new Map<WatcherId, ConnectionState>();
  readonly #connectionBySession = new Map<bigint, ConnectionState>();
  /** Requests in arrival order; slots before #pendingHead are cleared (undefined) once completed. */
  readonly #pending: (PendingItem | undefined)[] = [];
  #pendingHead = 0;
  #lastPreparedZxid = 0n;
  #lastDurableZxid = 0n;
  #flushInProgress = false;
  #nextWatcherId = 1;
  #lastContainerCheckMs = 0;
  #writesRefusedReason: string | null = null;
  #digestMismatches = 0;
  #mode: ReplicaMode = { kind: 'standalone' };
  /**
   * Read-only mode: the sessions it created. They are local, as 3.8's read-only server keeps them
   * (a LearnerSessionTracker with local sessions): never logged, never told to a leader, gone when
   * the mode ends.
   */
  #readOnlySessions: SessionTable | null = null;
  /** Follower: sessions with client activity since the last PING (sent to the leader). */
  readonly #touches = new Map<bigint, number>();
  /** Follower: reconnecting clients waiting for the leader's REVALIDATE answer, by session id. */
  readonly #pendingRevalidations = new Map<bigint, ConnectionState>();
  readonly #onFatal: (reason: string) => void;
  readonly counters: ServerCounters = { packetsReceived: 0, packetsSent: 0, minLatencyMs: Number.MAX_SAFE_INTEGER, maxLatencyMs: 0, totalLatencyMs: 0, latencyCount: 0 };

  constructor(
    options: ReplicaOptions,
    ports: { storage: TxnStorage; clock: Clock; auth: Authentication; logger: Logger; metrics: ServerMetrics; onFatal?: (reason: string) => void },
    initial?: { tree: DataTree; sessions: ReadonlyMap<bigint, number> },
  ) {
    this.#options = options;
    this.#storage = ports.storage;
    this.#clock = ports.clock;
    this.#auth = ports.auth;
    this.#logger = ports.logger;
    this.#metrics = ports.metrics;
    this.#onFatal = ports.onFatal ?? ((reason) => this.#logger.fatal({ reason }, 'fatal storage error'));
    this.#tree = initial?.tree ?? new DataTree({ extendedTypesEnabled: options.extendedTypesEnabled });
    this.sessions = new SessionTable({ tickTimeMs: options.tickTimeMs, firstSessionId: initialSessionId(options.serverId, this.#clock.monotonicMs()) });
    this.watches = new WatchTable({
      deliver: (watcher, type, path) => this.#deliverEvent(watcher, type, path),
      triggered: (type, watchers) => this.#watchesTriggered(type, watchers),
    });
    this.#treeListener = writeStatsListener(this.#metrics, this.watches);
    this.#tree.setListener(this.#treeListener);
    this.#changes = new OutstandingChanges({
      getNode: (path) => this.#tree.getNode(path),
      aclOf: (node) => this.#tree.aclOf(node),
      digest: () => this.#tree.digest,
    });
    this.#aclPolicy = { providers: this.#auth.providers, skipAcl: options.skipAcl };
    const self = this;
    this.#prepareEnv = {
      get tree() {
        return self.#tree;
      },
      changes: this.#changes,
      acl: this.#aclPolicy,
      extendedTypesEnabled: options.extendedTypesEnabled,
      reconfigEnabled: options.reconfigEnabled,
      digestEnabled: options.digestEnabled,
      get reconfig() {
        const mode = self.#mode;
        return mode.kind === 'leading' ? (mode.reconfig ?? null) : null;
      },
      checkSession: (id, owner) => this.sessions.checkOwner(id, owner),
      markSessionClosing: (id) => this.sessions.setClosing(id),
    };
    this.#readEnv = {
      get tree() {
        return self.#tree;
      },
      watches: this.watches,
      acl: this.#aclPolicy,
      events: { deliver: (watcher, type, path) => this.#deliverEvent(watcher, type, path) },
      userNameOf: (id) => this.#auth.userNameOf(id),
    };
    this.#lastContainerCheckMs = this.#clock.monotonicMs();
    if (initial !== undefined) {
      const nowMs = this.#clock.monotonicMs();
      for (const [id, timeoutMs] of initial.sessions) this.sessions.add(id, timeoutMs, nowMs);
      this.#lastPreparedZxid = this.#tree.lastProcessedZxid;
      this.#lastDurableZxid = this.#tree.lastProcessedZxid;
    }
  }

  get tree(): DataTree {
    return this.#tree;
  }

  /** The server's counters and summaries (mntr, /metrics). */
  get metrics(): ServerMetrics {
    return this.#metrics;
  }

  /**
   * Replaces the whole state (a learner loading the leader's snapshot, or reloading from disk after
   * a TRUNC). Only while not serving: no client sees the switch.
   */
  replaceState(tree: DataTree, sessions: ReadonlyMap<bigint, number>): void {
    assert(this.#mode.kind === 'notServing', 'state is replaced only while not serving');
    this.#tree.setListener(null);
    this.#tree = tree;
    this.#tree.setListener(this.#treeListener);
    const nowMs = this.#clock.monotonicMs();
    for (const session of [...this.sessions.all()]) this.sessions.remove(session.id);
    for (const [id, timeoutMs] of sessions) this.sessions.add(id, timeoutMs, nowMs);
    this.#changes.clear();
    this.#lastPreparedZxid = tree.lastProcessedZxid;
    this.#lastDurableZxid = tree.lastProcessedZxid;
  }

  get mode(): ReplicaMode['kind'] {
    return this.#mode.kind;
  }

  /**
   * Switches how writes are ordered. Leaving a serving mode turns every client away (3.8 closes
   * client connections when a server stops following or leading) and forgets pending requests.
   */
  setMode(mode: ReplicaMode, leaderFirstZxid?: bigint): void {
    const serving = mode.kind !== 'notServing';
    if (!serving || this.#mode.kind !== mode.kind) {
      for (const state of [...this.#connections.values()]) this.#closeConnection(state);
      this.#pending.length = 0;
      this.#pendingHead = 0;
      this.#changes.clear();
      this.#touches.clear();
      this.#pendingRevalidations.clear();
    }
    // Each read-only period has a tracker of its own whose ids start from the clock, as 3.8 builds
    // a new ReadOnlyZooKeeperServer every time: the ids have the usual form (myid in the top byte).
    if (mode.kind !== 'readOnly') this.#readOnlySessions = null;
    else if (this.#mode.kind !== 'readOnly') {
      this.#readOnlySessions = new SessionTable({ tickTimeMs: this.#options.tickTimeMs, firstSessionId: initialSessionId(this.#options.serverId, this.#clock.monotonicMs()) });
    }
    this.#mode = mode;
    if (mode.kind === 'leading') this.sessions.restartExpiry(this.#clock.monotonicMs());
    this.#lastDurableZxid = this.#tree.lastProcessedZxid;
    this.#lastPreparedZxid = mode.kind === 'leading' && leaderFirstZxid !== undefined ? leaderFirstZxid : this.#tree.lastProcessedZxid;
  }

  /** Follower: the sessions touched since the last call, for the answer to the leader's PING. */
  takeTouches(): [bigint, number][] {
    const touches = [...this.#touches.entries()];
    this.#touches.clear();
    return touches;
  }

  /** Why writes are refused (the log could not be written), or null while they are accepted. */
  get writesRefusedReason(): string | null {
    return this.#writesRefusedReason;
  }

  /** The zxid of the last applied txn (what replies and `srvr` report). */
  get lastZxid(): bigint {
    return this.#tree.lastProcessedZxid;
  }

  get outstandingRequests(): number {
    return this.#pending.length - this.#pendingHead;
  }

  connections(): IterableIterator<ConnectionState> {
    return this.#connections.values();
  }

  // ---- connections -----------------------------------------------------------------------------

  connectionOpened(connection: ClientConnection): ConnectionState {
    const nowMs = this.#clock.monotonicMs();
    const state: ConnectionState = {
      connection,
      watcherId: this.#nextWatcherId++,
      handshake: 'awaitingConnect',
      sessionId: 0n,
      sessionTimeoutMs: 0,
      authIds: this.#auth.initialIds(connection.remoteAddress),
      oldClient: false,
      sasl: null,
      establishedAtMs: this.#clock.wallMs(),
      packetsReceived: 0,
      packetsSent: 0,
      outstanding: 0,
      lastCxid: -1,
      lastZxid: -1n,
      lastOp: 'NA',
      lastResponseAtMs: nowMs,
      lastLatencyMs: 0,
      minLatencyMs: Number.MAX_SAFE_INTEGER,
      maxLatencyMs: 0,
      totalLatencyMs: 0,
      latencyCount: 0,
    };
    this.#connections.set(connection.id, state);
    this.#connectionByWatcher.set(state.watcherId, state);
    return state;
  }

  connectionRejected(): void {
    this.#metrics.count('connection_rejected');
  }

  connectionClosed(connection: ClientConnection): void {
    const state = this.#connections.get(connection.id);
    if (state === undefined) return;
    state.handshake = 'closed';
    this.#connections.delete(connection.id);
    this.#connectionByWatcher.delete(state.watcherId);
    this.watches.removeWatcher(state.watcherId);
    if (this.#connectionBySession.get(state.sessionId) === state) this.#connectionBySession.delete(state.sessionId);
    if (this.#pendingRevalidations.get(state.sessionId) === state) this.#pendingRevalidations.delete(state.sessionId);
  }

  #closeConnection(state: ConnectionState): void {
    if (state.handshake === 'closed') return;
    state.connection.close();
    this.connectionClosed(state.connection);
  }

  #send(state: ConnectionState, frame: Buffer): void {
    if (state.handshake === 'closed') return;
    state.packetsSent++;
    this.counters.packetsSent++;
    state.connection.send(frame);
  }

  /** A reply or a watch event: 3.8 counts its size (without the length prefix) in its stats. */
  #sendPacket(state: ConnectionState, frame: Buffer, counter: 'response_bytes' | 'watch_bytes'): void {
    if (state.handshake === 'closed') return;
    const size = frame.length - FRAME_LENGTH_BYTES;
    this.#metrics.clientResponseSize(size);
    this.#metrics.count(counter, size);
    this.#send(state, frame);
  }

  #deliverEvent(watcher: WatcherId, type: EventTypeValue, path: string): void {
    const state = this.#connectionByWatcher.get(watcher);
    if (state !== undefined) this.#sendPacket(state, encodeNotification(type, path), 'watch_bytes');
  }

  #watchesTriggered(type: EventTypeValue, watchers: number): void {
    const summary = WATCH_COUNT_SUMMARY[type];
    if (summary !== undefined) this.#metrics.observe(summary, watchers);
  }

  /** Handles one complete frame (length prefix removed) from a client connection. */
  frameReceived(connection: ClientConnection, frame: Buffer): void {
    const state = this.#connections.get(connection.id);
    if (state === undefined || state.handshake === 'closed') return;
    state.packetsReceived++;
    this.counters.packetsReceived++;
    this.#metrics.count('bytes_received_count', frame.length + FRAME_LENGTH_BYTES);
    switch (state.handshake) {
      case 'awaitingConnect':
        this.#handleConnect(state, frame);
        return;
      case 'awaitingSession':
        // 3.8 stops reading until the session is set up; a client that pipelines anyway is broken.
        this.#logger.warn({ connection: connection.id }, 'request before the session was established; closing');
        this.#closeConnection(state);
        return;
      case 'open':
        this.#handleRequest(state, frame);
        return;
    }
  }

  #handleConnect(state: ConnectionState, frame: Buffer): void {
    if (this.#mode.kind === 'notServing') {
      this.#logger.debug({ connection: state.connection.id }, 'not serving clients (no quorum); closing');
      this.#closeConnection(state);
      return;
    }
    const reader = new JuteReader(frame, { maxBufferBytes: this.#options.maxBufferBytes });
    let request;
    try {
      request = readConnectRequest(reader);
    } catch {
      this.#logger.info({ connection: state.connection.id }, 'malformed ConnectRequest; closing');
      this.#closeConnection(state);
      return;
    }
    this.#metrics.count('connection_request_count');
    let canBeReadOnly = false;
    if (reader.remaining > 0) {
      state.oldClient = false;
      canBeReadOnly = reader.readBoolean();
    } else {
      state.oldClient = true;
    }
    if (this.#mode.kind === 'readOnly' && !canBeReadOnly) {
      // 3.8 closes without an answer (NOT_READ_ONLY_CLIENT): the client tries its next server.
      this.#logger.info({ connection: state.connection.id, remote: state.connection.remoteAddress }, 'refusing a session for a client that does not accept a read-only server');
      this.#closeConnection(state);
      return;
    }
    if (request.lastZxidSeen > this.#tree.lastProcessedZxid) {
      this.#logger.info(
        { clientZxid: `0x${request.lastZxidSeen.toString(16)}`, serverZxid: `0x${this.#tree.lastProcessedZxid.toString(16)}` },
        'refusing session: client has seen a newer zxid; it must try another server',
      );
      this.#closeConnection(state);
      return;
    }
    const timeoutMs = Math.min(Math.max(request.timeOut, this.#options.minSessionTimeoutMs), this.#options.maxSessionTimeoutMs);
    state.sessionTimeoutMs = timeoutMs;
    if (request.sessionId === 0n) {
      this.#createSession(state, timeoutMs);
    } else {
      this.#metrics.count('connection_revalidate_count');
      this.#reopenSession(state, request.sessionId, request.passwd, timeoutMs);
    }
  }

  #createSession(state: ConnectionState, timeoutMs: number): void {
    const readOnlySessions = this.#readOnlySessions;
    if (readOnlySessions !== null) {
      // No txn: a local session costs no zxid (3.8's read-only replies keep the last zxid).
      const sessionId = readOnlySessions.allocateId();
      readOnlySessions.add(sessionId, timeoutMs, this.#clock.monotonicMs());
      state.sessionId = sessionId;
      this.#logger.info({ sessionId: `0x${sessionId.toString(16)}`, timeoutMs }, 'read-only session created');
      this.#finishSession(state);
      return;
    }
    if (this.#writesRefusedReason !== null) {
      this.#logger.warn({ reason: this.#writesRefusedReason }, 'refusing a new session: the txn log cannot be written');
      this.#closeConnection(state);
      return;
    }
    const sessionId = this.sessions.allocateId();
    state.sessionId = sessionId;
    state.handshake = 'awaitingSession';
    if (this.#mode.kind === 'following') {
      const body = Buffer.alloc(4);
      body.writeInt32BE(timeoutMs);
      this.#forward(state, { sessionId, cxid: 0, type: OpCode.createSession, body, authIds: state.authIds }, this.#clock.monotonicMs());
      return;
    }
    // Like 3.8, the session is tracked from prepare on; the createSession txn makes it durable.
    this.sessions.add(sessionId, timeoutMs, this.#clock.monotonicMs());
    this.sessions.setOwner(sessionId, LOCAL_OWNER);
    const txn = prepareCreateSession(this.#prepareEnv, this.#nextContext(sessionId, 0, state.authIds), timeoutMs);
    this.#submit({ kind: 'write', txn, origin: state, requestType: OpCode.createSession, receivedAtMs: this.#clock.monotonicMs() });
  }

  #reopenSession(state: ConnectionState, sessionId: bigint, password: Buffer | null, timeoutMs: number): void {
    if (this.#readOnlySessions !== null && this.sessions.get(sessionId) !== undefined) {
      // 3.8's read-only server refuses a global session before anything else (validateSession,
      // RENEW_GLOBAL_SESSION_IN_RO_MODE): no answer, and the session's other connection stays.
      this.#logger.info({ sessionId: `0x${sessionId.toString(16)}` }, 'refusing to renew a global session in read-only mode');
      this.#closeConnection(state);
      return;
    }
    // 3.8 closes the session's current connection (or one still being revalidated) before it
    // checks the password.
    const previous = this.#connectionBySession.get(sessionId) ?? this.#pendingRevalidations.get(sessionId);
    if (previous !== undefined && previous !== state) this.#closeConnection(previous);
    if (!checkSessionPassword(sessionId, password)) {
      this.#refuseSession(state, sessionId);
      return;
    }
    if (this.#mode.kind === 'following') {
      // A learner's session table does not decide: the session may have expired on the leader, its
      // closeSession not applied here yet. The leader touches it with the new timeout and answers
      // (LearnerZooKeeperServer.revalidateSession); the client waits for the ConnectResponse.
      state.sessionId = sessionId;
      state.handshake = 'awaitingSession';
      this.#pendingRevalidations.set(sessionId, state);
      this.#logger.info({ sessionId: `0x${sessionId.toString(16)}` }, 'revalidating a session with the leader');
      this.#mode.revalidate(sessionId, timeoutMs);
      return;
    }
    const table = this.#readOnlySessions ?? this.sessions;
    if (!table.touch(sessionId, this.#clock.monotonicMs(), timeoutMs)) {
      this.#refuseSession(state, sessionId);
      return;
    }
    // The session's writes now come from here (ZooKeeperServer.revalidateSession).
    table.setOwner(sessionId, LOCAL_OWNER);
    state.sessionId = sessionId;
    this.#finishSession(state);
  }

  /** The expired-session answer (3.8's finishSessionInit(cnxn, false)): timeOut 0, session 0, then close. */
  #refuseSession(state: ConnectionState, sessionId: bigint): void {
    this.#logger.info({ sessionId: `0x${sessionId.toString(16)}` }, 'invalid session (expired or wrong password)');
    this.#send(state, encodeConnectResponse({ timeOut: 0, sessionId: 0n, passwd: Buffer.alloc(SESSION_PASSWORD_BYTES) }, !state.oldClient, this.#mode.kind === 'readOnly'));
    this.#closeConnection(state);
  }

  /** Follower: the leader's answer to a REVALIDATE (Learner.revalidate). */
  revalidated(sessionId: bigint, valid: boolean): void {
    const state = this.#pendingRevalidations.get(sessionId);
    if (state === undefined) {
      // The client went away (or moved on) while the leader answered.
      this.#logger.warn({ sessionId: `0x${sessionId.toString(16)}` }, 'REVALIDATE answer for a session no connection waits for');
      return;
    }
    this.#pendingRevalidations.delete(sessionId);
    if (state.handshake !== 'awaitingSession') return;
    if (!valid) {
      this.#refuseSession(state, sessionId);
      return;
    }
    // The leader's table is the one that counts; ours only lists what its txns told us, so it learns
    // of the session here should it have missed it.
    this.sessions.add(sessionId, state.sessionTimeoutMs, this.#clock.monotonicMs());
    this.#finishSession(state);
  }

  #finishSession(state: ConnectionState): void {
    state.handshake = 'open';
    this.#connectionBySession.set(state.sessionId, state);
    this.#send(
      state,
      encodeConnectResponse(
        { timeOut: state.sessionTimeoutMs, sessionId: state.sessionId, passwd: sessionPassword(state.sessionId) },
        !state.oldClient,
        this.#mode.kind === 'readOnly',
      ),
    );
  }

  #nextContext(sessionId: bigint, cxid: number, authIds: readonly Id[], owner: SessionOwner = LOCAL_OWNER): PrepareContext {
    this.#lastPreparedZxid++;
    return { sessionId, cxid, owner, zxid: this.#lastPreparedZxid, timeMs: BigInt(this.#clock.wallMs()), authIds };
  }

  #handleRequest(state: ConnectionState, frame: Buffer): void {
    const reader = new JuteReader(frame, { maxBufferBytes: this.#options.maxBufferBytes });
    let header;
    try {
      header = readRequestHeader(reader);
    } catch {
      this.#logger.info({ connection: state.connection.id }, 'frame too short for a RequestHeader; closing');
      this.#closeConnection(state);
      return;
    }
    const nowMs = this.#clock.monotonicMs();
    if (this.#readOnlySessions !== null) {
      this.#readOnlySessions.touch(state.sessionId, nowMs);
      if (this.#handleReadOnlyRequest(state, header.xid, header.type, nowMs)) return;
    } else {
      this.sessions.touch(state.sessionId, nowMs);
    }
    const body = frame.subarray(reader.offset);
    const decoded = decodeRequest(header.type, body, this.#options.maxBufferBytes);
    switch (decoded.class) {
      case 'write':
      case 'malformedWrite':
        if (this.#writesRefusedReason !== null) {
          state.outstanding++;
          this.#submit({ kind: 'malformed', origin: state, xid: header.xid, err: ErrorCode.notReadOnly, body: NO_BODY, receivedAtMs: nowMs });
          return;
        }
        break;
      default:
        break;
    }
    if (this.#mode.kind === 'following') {
      this.#touches.set(state.sessionId, state.sessionTimeoutMs);
      const isSync = decoded.class === 'read' && decoded.request.kind === 'sync';
      if (decoded.class === 'write' || decoded.class === 'malformedWrite' || isSync) {
        state.outstanding++;
        const syncPath = decoded.class === 'read' && decoded.request.kind === 'sync' ? decoded.request.record.path : undefined;
        this.#forward(state, { sessionId: state.sessionId, cxid: header.xid, type: header.type, body: Buffer.from(body), authIds: state.authIds }, nowMs, syncPath);
        return;
      }
    }
    switch (decoded.class) {
      case 'connection':
        this.#handleConnectionRequest(state, header.xid, decoded.request);
        return;
      case 'write': {
        state.outstanding++;
        const txn = prepareWrite(this.#prepareEnv, this.#nextContext(state.sessionId, header.xid, state.authIds), header.type, decoded.request);
        this.#submit({ kind: 'write', txn, origin: state, requestType: header.type, receivedAtMs: nowMs });
        return;
      }
      case 'malformedWrite': {
        state.outstanding++;
        const txn = prepareMalformed(this.#nextContext(state.sessionId, header.xid, state.authIds));
        this.#submit({ kind: 'write', txn, origin: state, requestType: header.type, receivedAtMs: nowMs });
        return;
      }
      case 'read':
        state.outstanding++;
        this.#submit({ kind: 'read', origin: state, xid: header.xid, request: decoded.request, receivedAtMs: nowMs });
        return;
      case 'malformedRead':
        state.outstanding++;
        this.#submit({ kind: 'malformed', origin: state, xid: header.xid, err: ErrorCode.marshallingError, body: NO_BODY, receivedAtMs: nowMs });
        return;
      case 'multiReadOfWrites':
        state.outstanding++;
        this.#submit({ kind: 'malformed', origin: state, xid: header.xid, err: ErrorCode.marshallingError, body: { kind: 'multi', results: [] }, receivedAtMs: nowMs });
        return;
      case 'malformedConnection':
        this.#logger.info({ connection: state.connection.id }, 'malformed auth packet; closing');
        this.#closeConnection(state);
        return;
      case 'unknown':
        this.#logger.warn({ type: header.type }, 'request of unknown type; closing');
        this.#send(state, encodeReply({ xid: header.xid, zxid: -1n, err: ErrorCode.unimplemented, body: NO_BODY }));
        this.#closeConnection(state);
        return;
    }
  }

  /**
   * Read-only mode: what 3.8's ReadOnlyRequestProcessor stops before any parsing (so a malformed
   * write is refused the same way): every state-changing type and sync get NotReadOnly with the
   * last zxid; closeSession ends the local session. True when the request was dealt with.
   */
  #handleReadOnlyRequest(state: ConnectionState, xid: number, type: number, nowMs: number): boolean {
    if (type === OpCode.closeSession) {
      this.#readOnlySessions?.remove(state.sessionId);
      this.#logger.info({ sessionId: `0x${state.sessionId.toString(16)}` }, 'read-only session closed');
      state.outstanding++;
      this.#reply(state, { xid, zxid: this.#tree.lastProcessedZxid, err: ErrorCode.ok, body: NO_BODY }, nowMs, OpCode.closeSession, 'read');
      this.#closeConnection(state);
      return true;
    }
    if (!isWriteType(type) && type !== OpCode.sync && type !== OpCode.createSession) return false;
    state.outstanding++;
    // Through the FIFO: reads queued before it are answered first (nothing else waits there now).
    this.#submit({ kind: 'malformed', origin: state, xid, err: ErrorCode.notReadOnly, body: NO_BODY, receivedAtMs: nowMs });
    return true;
  }

  #handleConnectionRequest(state: ConnectionState, xid: number, request: ConnectionRequest): void {
    switch (request.kind) {
      case 'auth': {
        // 3.8 fails an auth packet without data (its providers dereference it) with AuthFailed.
        const ids = request.record.auth === null ? null : this.#auth.authenticate(request.record.scheme, request.record.auth, state.connection.remoteAddress);
        if (ids === null) {
          this.#send(state, encodeReply({ xid, zxid: 0n, err: ErrorCode.authFailed, body: NO_BODY }));
          this.#closeConnection(state);
          return;
        }
        addAuthIds(state, ids);
        this.#send(state, encodeReply({ xid, zxid: 0n, err: ErrorCode.ok, body: NO_BODY }));
        return;
      }
      case 'sasl': {
        if (state.sasl === null) state.sasl = this.#auth.startSasl();
        if (state.sasl === null) {
          // Without a SASL server 3.8 logs an error and answers OK with no token.
          this.#send(state, encodeReply({ xid, zxid: 0n, err: ErrorCode.ok, body: { kind: 'sasl', token: null } }));
          return;
        }
        const outcome = state.sasl.evaluate(request.record.token ?? Buffer.alloc(0));
        if (outcome.kind === 'failed') {
          this.#send(state, encodeReply({ xid, zxid: 0n, err: ErrorCode.authFailed, body: { kind: 'sasl', token: null } }));
          this.#closeConnection(state);
          return;
        }
        if (outcome.kind === 'complete') addAuthIds(state, outcome.ids);
        this.#send(state, encodeReply({ xid, zxid: 0n, err: ErrorCode.ok, body: { kind: 'sasl', token: outcome.token } }));
        return;
      }
    }
  }

  // ---- the pipeline ----------------------------------------------------------------------------

  #forward(origin: ConnectionState, request: ForwardedRequest, receivedAtMs: number, syncPath?: string): void {
    assert(this.#mode.kind === 'following', 'only followers forward writes');
    this.#pending.push({
      kind: 'forwarded',
      origin,
      sessionId: request.sessionId,
      cxid: request.cxid,
      requestType: request.type,
      receivedAtMs,
      ...(syncPath === undefined ? {} : { syncPath }),
    });
    this.#mode.forward(request);
  }

  #submit(item: PendingItem): void {
    if (item.kind === 'write' && this.#options.testFault === 'ack-before-fsync' && this.#mode.kind === 'standalone' && this.#pendingHead === this.#pending.length) {
      this.#lastDurableZxid = item.txn.header.zxid;
      this.#applyAndReply(item.txn, item.origin, item.requestType, item.receivedAtMs);
      // The txn reaches the log half a second after it was acknowledged (timers of one delay fire
      // in the order they were set, so the log still gets zxids in order): a crash then loses the
      // last half second of acknowledged writes. Only delaying the flush lost almost nothing under
      // load, since the log's writer goes on writing whatever is appended once it has started.
      const txn = item.txn;
      setTimeout(() => {
        this.#storage.append(txn);
        this.#scheduleFlush();
      }, 500).unref();
      return;
    }
    if (item.kind === 'write' && this.#options.testFault === 'ack-before-quorum' && this.#mode.kind === 'leading' && this.#pendingHead === this.#pending.length) {
      // Nothing waits in the queue, so applying now keeps zxid order; committedUpTo then finds no
      // pending item and applies nothing twice.
      this.#mode.propose(item.txn);
      this.#applyAndReply(item.txn, item.origin, item.requestType, item.receivedAtMs);
      return;
    }
    if (item.kind === 'write') {
      this.#pending.push(item);
      if (this.#mode.kind === 'leading') {
        this.#mode.propose(item.txn);
        return;
      }
      this.#storage.append(item.txn);
      this.#scheduleFlush();
      return;
    }
    if (this.#pendingHead === this.#pending.length) {
      this.#complete(item);
      return;
    }
    this.#pending.push(item);
  }

  #scheduleFlush(): void {
    if (this.#flushInProgress) return;
    this.#flushInProgress = true;
    const target = this.#lastPreparedZxid;
    this.#storage.flush().then(
      () => {
        this.#flushInProgress = false;
        this.#durable(target);
        if (this.#lastPreparedZxid > this.#lastDurableZxid) this.#scheduleFlush();
      },
      (error: unknown) => {
        this.#flushInProgress = false;
        this.#storageFailed(error);
      },
    );
  }

  /**
   * The log could not be written (a full disk, an I/O error): nothing unflushed may be acknowledged.
   * The unflushed txns are cut from the log and answered NotReadOnly, like every later write, while
   * reads go on from the durable tree. Txns that did reach the disk (the writer runs ahead of the
   * flush it was asked for) are applied and acknowledged first: recovery would bring them back, so
   * refusing them would be a lie. If the log cannot be cut back, the server must stop.
   */
  #storageFailed(error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.#writesRefusedReason = reason;
    this.#metrics.count('unrecoverable_error_count');
    this.#logger.error({ reason }, 'cannot write the txn log: no longer accepting writes (reads go on)');
    this.#storage.abandonUnflushed().then(
      (durableZxid) => {
        if (durableZxid === null) {
          this.#onFatal(`cannot write the txn log (${reason}) nor cut it back to its last durable entry`);
          return;
        }
        if (durableZxid > this.#lastDurableZxid) this.#durable(durableZxid);
        const failed = this.#pending.slice(this.#pendingHead).filter((item): item is PendingItem => item !== undefined);
        this.#pending.length = 0;
        this.#pendingHead = 0;
        this.#changes.clear();
        this.#lastPreparedZxid = this.#lastDurableZxid;
        for (const item of failed) this.#refuseAfterFailure(item);
      },
      (abandonError: unknown) => this.#onFatal(`txn log failure: ${String(abandonError)}`),
    );
  }

  #refuseAfterFailure(item: PendingItem): void {
    if (item.kind === 'forwarded') return;
    if (item.kind !== 'write') {
      this.#complete(item);
      return;
    }
    const body = item.txn.body;
    if (body.kind === 'createSession') {
      this.sessions.remove(item.txn.header.clientId);
      if (item.origin !== null) this.#closeConnection(item.origin);
      return;
    }
    if (body.kind === 'closeSession') {
      const session = this.sessions.get(item.txn.header.clientId);
      if (session !== undefined) session.closing = false;
    }
    if (item.origin !== null) {
      this.#reply(item.origin, { xid: item.txn.header.cxid, zxid: this.#tree.lastProcessedZxid, err: ErrorCode.notReadOnly, body: NO_BODY }, item.receivedAtMs, item.requestType, 'read');
    }
  }

  /** Leader: the quorum committed every proposal up to `zxid`. */
  committedUpTo(zxid: bigint): void {
    assert(this.#mode.kind === 'leading', 'only the leader commits its own proposals');
    this.#durable(zxid);
  }

  /**
   * Leader: a write a learner forwarded, prepared here like a local one (its reply goes back through
   * the learner that owns the session, when the commit reaches it).
   */
  prepareForLearner(request: ForwardedRequest, owner: SessionOwner): void {
    assert(this.#mode.kind === 'leading', 'only the leader prepares learner requests');
    const nowMs = this.#clock.monotonicMs();
    if (request.type === OpCode.createSession) {
      const timeoutMs = request.body.length >= 4 ? request.body.readInt32BE(0) : this.#options.minSessionTimeoutMs;
      this.sessions.add(request.sessionId, timeoutMs, nowMs);
      this.sessions.setOwner(request.sessionId, owner);
      const txn = prepareCreateSession(this.#prepareEnv, this.#nextContext(request.sessionId, request.cxid, request.authIds, owner), timeoutMs);
      this.#submit({ kind: 'write', txn, origin: null, requestType: OpCode.createSession, receivedAtMs: nowMs });
      return;
    }
    this.sessions.touch(request.sessionId, nowMs);
    assert(request.type !== OpCode.sync, 'syncs from learners are answered by the leader core');
    const decoded = decodeRequest(request.type, request.body, this.#options.maxBufferBytes);
    const ctx = this.#nextContext(request.sessionId, request.cxid, request.authIds, owner);
    const txn = decoded.class === 'write' ? prepareWrite(this.#prepareEnv, ctx, request.type, decoded.request) : prepareMalformed(ctx);
    this.#submit({ kind: 'write', txn, origin: null, requestType: request.type, receivedAtMs: nowMs });
  }

  /** Leader: a learner reported client activity on these sessions. */
  touchSessions(touches: readonly (readonly [bigint, number])[]): void {
    const nowMs = this.#clock.monotonicMs();
    for (const [id] of touches) this.sessions.touch(id, nowMs);
  }

  /** Follower: the leader committed this txn; apply it and answer the local client that sent it. */
  applyCommitted(txn: Txn): void {
    const result = this.#tree.applyTxn(txn);
    this.#compareDigest(txn);
    this.#metrics.observeSinceTxnTime('propagation_latency', txn.header.time, this.#clock.wallMs());
    this.#lastDurableZxid = txn.header.zxid;
    this.#lastPreparedZxid = txn.header.zxid;
    const nowMs = this.#clock.monotonicMs();
    if (txn.body.kind === 'createSession') this.sessions.add(txn.header.clientId, txn.body.timeOutMs, nowMs);
    const head = this.#firstWriteItem();
    const matches =
      head !== undefined && head.kind === 'forwarded' && head.sessionId === txn.header.clientId && head.cxid === txn.header.cxid;
    if (txn.body.kind === 'closeSession') {
      if (matches) this.#skipPendingThrough(head);
      this.#sessionClosed(txn.header.clientId, matches ? head.origin : null, txn.header.cxid, matches ? head.receivedAtMs : nowMs);
      this.#drainReads();
      return;
    }
    if (!matches) return;
    this.#drainReadsBefore(head);
    this.#takePending();
    if (head.requestType === OpCode.createSession) {
      if (head.origin.handshake === 'awaitingSession') this.#finishSession(head.origin);
    } else if (refusedAsMoved(result)) {
      this.#sessionMovedAway(head.origin);
    } else {
      const { err, body } = this.#replyFor(head.requestType, result);
      this.#reply(head.origin, { xid: txn.header.cxid, zxid: txn.header.zxid, err, body }, head.receivedAtMs, head.requestType, 'update');
    }
    this.#drainReads();
  }

  /**
   * Follower: the leader answered the oldest forwarded sync (its SYNC packet comes after the commits
   * of everything proposed before the sync), so the sync's reply reflects every earlier write.
   */
  syncAnswered(): void {
    const head = this.#firstWriteItem();
    if (head === undefined || head.kind !== 'forwarded' || head.requestType !== OpCode.sync) {
      this.#logger.warn({}, 'SYNC from the leader with no sync waiting');
      return;
    }
    this.#drainReadsBefore(head);
    this.#takePending();
    const path = head.syncPath ?? '';
    this.#reply(head.origin, { xid: head.cxid, zxid: this.#tree.lastProcessedZxid, err: ErrorCode.ok, body: { kind: 'sync', path } }, head.receivedAtMs, OpCode.sync, 'read');
    this.#drainReads();
  }

  #firstWriteItem(): PendingItem | undefined {
    for (let i = this.#pendingHead; i < this.#pending.length; i++) {
      const item = this.#pending[i];
      if (item !== undefined && (item.kind === 'write' || item.kind === 'forwarded')) return item;
    }
    return undefined;
  }

  /**
   * Removes the head of the queue. Its slot is cleared at once: under a steady load the queue never
   * empties, and completed requests (with views into socket chunks) must not stay reachable.
   */
  #takePending(): PendingItem | undefined {
    const item = this.#pending[this.#pendingHead];
    this.#pending[this.#pendingHead] = undefined;
    this.#pendingHead++;
    return item;
  }

  /** Drops the queue's head up to and including `item`, without completing what it skips. */
  #skipPendingThrough(item: PendingItem): void {
    const at = this.#pending.indexOf(item, this.#pendingHead);
    while (this.#pendingHead <= at) this.#takePending();
  }

  /** Releases the cleared slots: all at once when the queue is empty, else once they are most of it. */
  #compactPending(): void {
    if (this.#pendingHead === this.#pending.length) {
      this.#pending.length = 0;
      this.#pendingHead = 0;
    } else if (this.#pendingHead > 1024 && this.#pendingHead * 2 > this.#pending.length) {
      this.#pending.splice(0, this.#pendingHead);
      this.#pendingHead = 0;
    }
  }

  /** Completes the reads queued before `item` (they arrived before it and must be answered first). */
  #drainReadsBefore(item: PendingItem): void {
    while (this.#pendingHead < this.#pending.length && this.#pending[this.#pendingHead] !== item) {
      const read = this.#takePending();
      if (read !== undefined) this.#complete(read);
    }
  }

  /** Completes reads at the head of the queue, up to the next write still waiting for its commit. */
  #drainReads(): void {
    while (this.#pendingHead < this.#pending.length) {
      const item = this.#pending[this.#pendingHead];
      if (item === undefined || item.kind === 'write' || item.kind === 'forwarded') break;
      this.#takePending();
      this.#complete(item);
    }
    this.#compactPending();
  }

  /** Everything up to `zxid` is durable: apply and reply in order, then release waiting reads. */
  #durable(zxid: bigint): void {
    this.#lastDurableZxid = zxid;
    while (this.#pendingHead < this.#pending.length) {
      const item = this.#pending[this.#pendingHead];
      assert(item !== undefined, 'pending queue slot is filled');
      if (item.kind === 'write' && item.txn.header.zxid > zxid) break;
      this.#takePending();
      this.#complete(item);
    }
    this.#compactPending();
  }

  #complete(item: PendingItem): void {
    switch (item.kind) {
      case 'forwarded':
        // Only reached when the connection is gone or the mode changed: nothing to answer.
        return;
      case 'write':
        this.#applyAndReply(item.txn, item.origin, item.requestType, item.receivedAtMs);
        return;
      case 'read':
        this.#executeRead(item.origin, item.xid, item.request, item.receivedAtMs);
        return;
      case 'malformed':
        this.#reply(item.origin, { xid: item.xid, zxid: this.#tree.lastProcessedZxid, err: item.err, body: item.body }, item.receivedAtMs, -1, 'read');
        return;
    }
  }

  #applyAndReply(txn: Txn, origin: ConnectionState | null, requestType: number, receivedAtMs: number): void {
    const result = this.#tree.applyTxn(txn);
    this.#compareDigest(txn);
    this.#metrics.observeSinceTxnTime('propagation_latency', txn.header.time, this.#clock.wallMs());
    this.#changes.applied(txn.header.zxid);
    if (txn.body.kind === 'createSession') {
      this.sessions.add(txn.header.clientId, txn.body.timeOutMs, this.#clock.monotonicMs());
      if (origin !== null && origin.handshake === 'awaitingSession') this.#finishSession(origin);
      return;
    }
    if (txn.body.kind === 'closeSession') {
      this.#sessionClosed(txn.header.clientId, origin, txn.header.cxid, receivedAtMs);
      return;
    }
    if (origin === null) return;
    if (refusedAsMoved(result)) {
      this.#sessionMovedAway(origin);
      return;
    }
    if (requestType === OpCode.check && result.type === OpCode.check) {
      // 3.8 answers a successful top-level check with a SetDataResponse holding a null stat, which
      // its serializer cannot write: the client never gets a reply. We match that (clients only
      // send check inside a multi).
      origin.outstanding = Math.max(0, origin.outstanding - 1);
      return;
    }
    const { err, body } = this.#replyFor(requestType, result);
    this.#reply(origin, { xid: txn.header.cxid, zxid: txn.header.zxid, err, body }, receivedAtMs, requestType, 'update');
  }

  /**
   * DataTree.compareDigest: a txn that carries the tree digest its leader expected must leave our
   * tree with the same one. A difference means the trees diverged (or our digest is computed
   * differently); 3.8 counts and logs it and goes on, and so do we.
   */
  #compareDigest(txn: Txn): void {
    const expected = txn.digest;
    if (expected === null || expected.version !== DIGEST_VERSION) return;
    const actual = this.#tree.digest;
    if (actual === expected.treeDigest) return;
    this.#metrics.count('digest_mismatches_count');
    this.#digestMismatches++;
    // The first one in full, then one line per thousand (3.8 rate-limits its log the same way).
    if (this.#digestMismatches === 1 || this.#digestMismatches % 1000 === 0) {
      this.#logger.error(
        { zxid: `0x${txn.header.zxid.toString(16)}`, type: txn.header.type, expected: expected.treeDigest.toString(), actual: actual.toString(), mismatches: this.#digestMismatches },
        'tree digest mismatch after applying a txn',
      );
    }
  }

  #sessionMovedAway(state: ConnectionState): void {
    this.#logger.info({ sessionId: `0x${state.sessionId.toString(16)}`, connection: state.connection.id }, 'session moved to another server; closing its connection here');
    this.#closeConnection(state);
  }

  #sessionClosed(sessionId: bigint, origin: ConnectionState | null, cxid: number, receivedAtMs: number): void {
    this.sessions.remove(sessionId);
    const state = origin ?? this.#connectionBySession.get(sessionId) ?? null;
    if (state === null || state.sessionId !== sessionId) return;
    if (origin !== null) {
      this.#reply(origin, { xid: cxid, zxid: this.#tree.lastProcessedZxid, err: ErrorCode.ok, body: NO_BODY }, receivedAtMs, OpCode.closeSession, 'update');
    }
    this.#closeConnection(state);
  }

  #replyFor(requestType: number, result: ApplyResult): { err: number; body: ReplyBody } {
    if (result.type === OpCode.error) return { err: result.err, body: NO_BODY };
    switch (requestType) {
      case OpCode.create:
        return { err: result.err, body: { kind: 'create', path: result.path ?? '' } };
      case OpCode.create2:
      case OpCode.createTTL:
      case OpCode.createContainer:
        return result.stat === null
          ? { err: result.err, body: NO_BODY }
          : { err: result.err, body: { kind: 'create2', path: result.path ?? '', stat: result.stat } };
      case OpCode.setData:
      case OpCode.setACL:
        return result.stat === null ? { err: result.err, body: NO_BODY } : { err: result.err, body: { kind: 'stat', stat: result.stat } };
      case OpCode.reconfig:
        // 3.8 answers with the configuration now committed, which the reconfig txn just wrote.
        return result.stat === null
          ? { err: result.err, body: NO_BODY }
          : { err: result.err, body: { kind: 'getData', data: this.#tree.getNode(CONFIG_PATH)?.data ?? null, stat: result.stat } };
      case OpCode.multi:
        return { err: 0, body: { kind: 'multi', results: (result.multi ?? []).map(multiResultOf) } };
      default:
        return { err: result.err, body: NO_BODY };
    }
  }

  #executeRead(state: ConnectionState, xid: number, request: ReadRequest, receivedAtMs: number): void {
    if (state.handshake === 'closed') return;
    if (request.kind === 'ping') {
      this.#reply(state, { xid: Xid.ping, zxid: this.#tree.lastProcessedZxid, err: 0, body: NO_BODY }, receivedAtMs, OpCode.ping, 'read');
      return;
    }
    const outcome = executeRead(this.#readEnv, { sessionId: state.sessionId, watcher: state.watcherId, authIds: state.authIds }, request);
    recordReadStats(this.#metrics, request, outcome.err, outcome.body);
    this.#reply(state, { xid, zxid: this.#tree.lastProcessedZxid, err: outcome.err, body: outcome.body }, receivedAtMs, readOpCode(request), 'read');
  }

  /**
   * `latency` files the request's latency as 3.8 does: under updatelatency when a txn answered it,
   * under readlatency otherwise (reads, pings, sync, refusals).
   */
  #reply(state: ConnectionState, reply: Reply, receivedAtMs: number, opCode: number, latency: 'read' | 'update'): void {
    if (state.handshake === 'closed') return;
    const nowMs = this.#clock.monotonicMs();
    const latencyMs = Math.max(0, nowMs - receivedAtMs);
    state.outstanding = Math.max(0, state.outstanding - 1);
    state.lastCxid = reply.xid;
    state.lastZxid = reply.zxid;
    state.lastOp = SHORT_OP_NAME[opCode] ?? (opCodeName(opCode) ?? 'NA').toUpperCase().slice(0, 4);
    state.lastResponseAtMs = this.#clock.wallMs();
    state.lastLatencyMs = latencyMs;
    state.minLatencyMs = Math.min(state.minLatencyMs, latencyMs);
    state.maxLatencyMs = Math.max(state.maxLatencyMs, latencyMs);
    state.totalLatencyMs += latencyMs;
    state.latencyCount++;
    this.counters.minLatencyMs = Math.min(this.counters.minLatencyMs, latencyMs);
    this.counters.maxLatencyMs = Math.max(this.counters.maxLatencyMs, latencyMs);
    this.counters.totalLatencyMs += latencyMs;
    this.counters.latencyCount++;
    this.#metrics.observe(latency === 'update' ? 'updatelatency' : 'readlatency', latencyMs);
    this.#sendPacket(state, encodeReply(reply), 'response_bytes');
  }

  resetCounters(): void {
    this.counters.packetsReceived = 0;
    this.counters.packetsSent = 0;
    this.counters.minLatencyMs = Number.MAX_SAFE_INTEGER;
    this.counters.maxLatencyMs = 0;
    this.counters.totalLatencyMs = 0;
    this.counters.latencyCount = 0;
  }

  resetConnectionCounters(): void {
    for (const state of this.#connections.values()) {
      state.packetsReceived = 0;
      state.packetsSent = 0;
      state.minLatencyMs = Number.MAX_SAFE_INTEGER;
      state.maxLatencyMs = 0;
      state.totalLatencyMs = 0;
      state.latencyCount = 0;
      state.lastCxid = -1;
      state.lastZxid = -1n;
      state.lastOp = 'NA';
      state.lastLatencyMs = 0;
    }
  }

  // ---- time ------------------------------------------------------------------------------------

  /** Called every tick: expires sessions and reaps empty containers and expired TTL nodes. */
  tick(): void {
    const nowMs = this.#clock.monotonicMs();
    if (this.#readOnlySessions !== null) {
      this.#expireReadOnlySessions(nowMs);
      return;
    }
    if (this.#mode.kind !== 'standalone' && this.#mode.kind !== 'leading') return;
    // Closing a session or reaping a container is a write: with the log refusing writes each try
    // would only fail again, every tick. Sessions outlive their timeout until the restart.
    if (this.#writesRefusedReason !== null) return;
    for (const session of this.sessions.expired(nowMs)) {
      this.#logger.info({ sessionId: `0x${session.id.toString(16)}`, timeoutMs: session.timeoutMs }, 'session expired');
      this.#metrics.count('stale_sessions_expired');
      this.sessions.setClosing(session.id);
      const txn = prepareWrite(this.#prepareEnv, this.#nextContext(session.id, 0, []), OpCode.closeSession, { kind: 'closeSession' });
      this.#submit({ kind: 'write', txn, origin: null, requestType: OpCode.closeSession, receivedAtMs: nowMs });
    }
    if (nowMs - this.#lastContainerCheckMs >= this.#options.containerCheckIntervalMs) {
      this.#lastContainerCheckMs = nowMs;
      this.#reapContainers();
    }
  }

  /**
   * A local session that timed out ends without a txn; its connection is closed, so the client
   * learns on its next connection that the session expired.
   */
  #expireReadOnlySessions(nowMs: number): void {
    const table = this.#readOnlySessions;
    if (table === null) return;
    for (const session of table.expired(nowMs)) {
      this.#logger.info({ sessionId: `0x${session.id.toString(16)}`, timeoutMs: session.timeoutMs }, 'read-only session expired');
      table.remove(session.id);
      const state = this.#connectionBySession.get(session.id);
      if (state !== undefined) this.#closeConnection(state);
    }
  }

  /** Sessions of the current read-only period (mntr's local_sessions); 0 in every other mode. */
  get readOnlySessionCount(): number {
    return this.#readOnlySessions?.size ?? 0;
  }

  /** ContainerManager: deletes empty used containers and TTL nodes idle past their TTL. */
  #reapContainers(): void {
    const wallMs = BigInt(this.#clock.wallMs());
    const candidates: string[] = [];
    for (const path of this.#tree.containers()) {
      const node = this.#tree.getNode(path);
      if (node !== undefined && (node.children === null || node.children.size === 0) && node.stat.cversion > 0) candidates.push(path);
    }
    for (const path of this.#tree.ttlNodes()) {
      const node = this.#tree.getNode(path);
      if (node === undefined || (node.children !== null && node.children.size > 0)) continue;
      const ttlMs = node.stat.ephemeralOwner & 0xffffffffffn;
      if (ttlMs !== 0n && wallMs - node.stat.mtime > ttlMs) candidates.push(path);
    }
    for (const path of candidates.slice(0, this.#options.containerMaxPerMinute)) {
      const txn = prepareWrite(this.#prepareEnv, this.#nextContext(0n, 0, []), OpCode.deleteContainer, { kind: 'deleteContainer', path });
      this.#submit({ kind: 'write', txn, origin: null, requestType: OpCode.deleteContainer, receivedAtMs: this.#clock.monotonicMs() });
    }
  }

  /** Closes every connection (server shutdown). */
  closeAllConnections(): void {
    for (const state of [...this.#connections.values()]) this.#closeConnection(state);
  }
}

/** The hashCode of a jute Id record (17, then 37 * h + field hash for scheme and id). */
function idHashCode(id: Id): number {
  let hash = 17;
  hash = (Math.imul(37, hash) + javaStringHashCode(id.scheme)) | 0;
  hash = (Math.imul(37, hash) + javaStringHashCode(id.id)) | 0;
  return hash;
}

/**
 * Adds ids to a connection's auth info, kept in the order 3.8 iterates it (a set backed by a
 * ConcurrentHashMap): whoAmI lists ids in that order and the "auth" ACL expands in that order.
 */
function addAuthIds(state: ConnectionState, ids: readonly Id[]): void {
  for (const id of ids) {
    if (!state.authIds.some((existing) => existing.scheme === id.scheme && existing.id === id.id)) state.authIds.push(id);
  }
  state.authIds = javaHashOrderBy(state.authIds, idHashCode);
}

/**
 * A write refused with SessionMoved, alone or in a multi: 3.8 treats it as a connection-level
 * error and closes the connection without an answer (ZOOKEEPER-710), so that a client that moved
 * does not act on a stale reply from the server it left.
 */
function refusedAsMoved(result: ApplyResult): boolean {
  if (result.type === OpCode.error) return result.err === ErrorCode.sessionMoved;
  return result.multi?.some((sub) => sub.type === OpCode.error && sub.err === ErrorCode.sessionMoved) ?? false;
}

function multiResultOf(result: ApplyResult): MultiResult {
  switch (result.type) {
    case OpCode.check:
      return { kind: 'check' };
    case OpCode.create:
      return { kind: 'create', path: result.path ?? '' };
    case OpCode.create2:
    case OpCode.createTTL:
    case OpCode.createContainer:
      return result.stat === null ? { kind: 'create', path: result.path ?? '' } : { kind: 'create2', path: result.path ?? '', stat: result.stat };
    case OpCode.delete:
    case OpCode.deleteContainer:
      return { kind: 'delete' };
    case OpCode.setData:
      return result.stat === null ? { kind: 'error', err: result.err } : { kind: 'setData', stat: result.stat };
    default:
      return { kind: 'error', err: result.err };
  }
}

function readOpCode(request: ReadRequest): number {
  switch (request.kind) {
    case 'exists':
      return OpCode.exists;
    case 'getData':
      return OpCode.getData;
    case 'getACL':
      return OpCode.getACL;
    case 'getChildren':
      return OpCode.getChildren;
    case 'getChildren2':
      return OpCode.getChildren2;
    case 'getAllChildrenNumber':
      return OpCode.getAllChildrenNumber;
    case 'getEphemerals':
      return OpCode.getEphemerals;
    case 'sync':
      return OpCode.sync;
    case 'ping':
      return OpCode.ping;
    case 'multiRead':
      return OpCode.multiRead;
    case 'setWatches':
      return OpCode.setWatches;
    case 'checkWatches':
      return OpCode.checkWatches;
    case 'removeWatches':
      return OpCode.removeWatches;
    case 'addWatch':
      return OpCode.addWatch;
    case 'whoAmI':
      return OpCode.whoAmI;
  }
}
