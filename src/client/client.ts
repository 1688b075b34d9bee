// A small promise-based ZooKeeper client over node:net, speaking the 3.8 client protocol with the
// project's jute codec. It follows the Java client where a caller can tell the difference: the
// handshake (with the readOnly flag), pings at a third of the session timeout, replies matched to
// requests by xid in order, watches kept on the client and re-registered after a reconnect,
// reconnection to the next server of the connect string with the session id and password, the
// state events (SyncConnected, Disconnected, Expired, AuthFailed, Closed) and which error a request
// gets when the connection is lost (ConnectionLoss), the session is closed or expired
// (SessionExpired) or authentication failed (AuthFailed).

import { connect as netConnect, type Socket } from 'node:net';
import {
  FrameDecoder,
  JuteReader,
  encodeFrame,
  readConnectResponse,
  readCreate2Response,
  readCreateResponse,
  readErrorResponse,
  readExistsResponse,
  readGetACLResponse,
  readGetAllChildrenNumberResponse,
  readGetChildren2Response,
  readGetDataResponse,
  readGetEphemeralsResponse,
  readMultiHeader,
  readReplyHeader,
  readSetACLResponse,
  readSetDataResponse,
  readWatcherEvent,
  readWhoAmIResponse,
  writeAddWatchRequest,
  writeAuthPacket,
  writeCheckVersionRequest,
  writeConnectRequest,
  writeCreateRequest,
  writeCreateTTLRequest,
  writeDeleteRequest,
  writeExistsRequest,
  writeGetACLRequest,
  writeGetAllChildrenNumberRequest,
  writeGetChildren2Request,
  writeGetDataRequest,
  writeGetEphemeralsRequest,
  writeMultiHeader,
  writeRequestHeader,
  writeSetACLRequest,
  writeSetDataRequest,
  writeSetWatches,
  writeSetWatches2,
  writeSyncRequest,
  type ACL,
  type ClientInfo,
  type JuteWriter,
  type Stat,
  type WatcherEvent,
} from '../jute/index.js';
import { isSequential, isTtl, type CreateMode } from '../protocol/constants.js';
import { ErrorCode } from '../protocol/error-code.js';
import { OpCode, Xid } from '../protocol/op-code.js';
import { formatServerAddress, parseConnectString, type ServerAddress } from './connect-string.js';
import { IllegalArgumentError, ZooKeeperError } from './errors.js';
import {
  OPEN_ACL_UNSAFE,
  type AddWatchMode,
  type ClientState,
  type Data,
  type EventType,
  type KeeperState,
  type Op,
  type OpResult,
  type WatchedEvent,
  type Watcher,
  type WatchOption,
} from './types.js';
import { checkAcl, checkPath, checkTtl } from './validate.js';
import { WatchRegistry, type WatchKind } from './watch-registry.js';

export interface ClientOptions {
  /** Requested session timeout (default 30000 ms); the server may negotiate it into its bounds. */
  readonly sessionTimeoutMs?: number;
  /** Set the handshake's readOnly flag: accept a read-only server (default false). */
  readonly readOnly?: boolean;
  /** Resume this session instead of creating one. */
  readonly session?: { readonly id: bigint; readonly passwd: Uint8Array };
  /** The default watcher: state changes, and notifications of watches set with `watch: true`. */
  readonly watcher?: Watcher;
  /** A reconnect waits a random 0..reconnectDelayMs, plus reconnectDelayMs after a whole round of failed servers (default 1000, as Java). */
  readonly reconnectDelayMs?: number;
  /** Try the servers in a random order, as Java does (default true). */
  readonly shuffleServers?: boolean;
  /** Largest reply frame accepted (default 4 MiB). */
  readonly maxFrameBytes?: number;
  /** How long close() waits for the server to confirm closeSession (default 5000 ms). */
  readonly closeTimeoutMs?: number;
}

export interface CreateOptions {
  /** Default OPEN_ACL_UNSAFE. */
  readonly acl?: readonly ACL[];
  /** Default 'persistent'. */
  readonly mode?: CreateMode;
  /** Required for (and only for) the TTL modes. */
  readonly ttlMs?: number;
}

export interface WatchArg {
  readonly watch?: WatchOption;
}

/** How a request ends: its reply's error code, and the reply body when that code is 0. */
type Complete = (err: number, reader: JuteReader | null) => void;

/** The header of the server's reply to one request (see ZooKeeperClient.onReply). */
export interface ReplyInfo {
  readonly xid: number;
  /** The request's op code (OpCode: 4 getData, 5 setData, 14 multi, -11 closeSession...). */
  readonly op: number;
  /** The zxid the server had reached when it answered (ReplyHeader.zxid). */
  readonly zxid: bigint;
  /** 0, or the error code the request failed with. */
  readonly err: number;
}

export type ReplyListener = (reply: ReplyInfo) => void;

interface Entry {
  readonly xid: number;
  readonly op: number;
  readonly frame: Buffer;
  readonly complete: Complete;
}

interface AuthEntry {
  readonly frame: Buffer;
  waiters: { resolve: () => void; reject: (err: Error) => void }[];
}

interface Connection {
  readonly socket: Socket;
  readonly decoder: FrameDecoder;
  readonly server: ServerAddress;
  handshaken: boolean;
  timer: NodeJS.Timeout | undefined;
}

const DEFAULT_WATCHER: unique symbol = Symbol('default watcher');
type WatcherRef = Watcher | typeof DEFAULT_WATCHER;

const KEEPER_STATES: ReadonlyMap<number, KeeperState> = new Map<number, KeeperState>([
  [0, 'Disconnected'],
  [3, 'SyncConnected'],
  [4, 'AuthFailed'],
  [5, 'ConnectedReadOnly'],
  [6, 'SaslAuthenticated'],
  [-112, 'Expired'],
  [7, 'Closed'],
]);

const EVENT_TYPES: ReadonlyMap<number, EventType> = new Map<number, EventType>([
  [-1, 'None'],
  [1, 'NodeCreated'],
  [2, 'NodeDeleted'],
  [3, 'NodeDataChanged'],
  [4, 'NodeChildrenChanged'],
  [5, 'DataWatchRemoved'],
  [6, 'ChildWatchRemoved'],
  [7, 'PersistentWatchRemoved'],
]);

const CREATE_FLAGS: Readonly<Record<CreateMode, number>> = {
  persistent: 0,
  ephemeral: 1,
  persistentSequential: 2,
  ephemeralSequential: 3,
  container: 4,
  persistentWithTtl: 5,
  persistentSequentialWithTtl: 6,
};

/** Java splits re-registered watches into SetWatches packets of about this many path characters. */
const SET_WATCHES_MAX_LENGTH = 128 * 1024;
/** Java pings at least this often, whatever the session timeout. */
const MAX_PING_INTERVAL_MS = 10_000;
const CONFIG_NODE = '/zookeeper/config';

const PING_FRAME = encodeFrame((w) => writeRequestHeader(w, { xid: Xid.ping, type: OpCode.ping }));

function toBuffer(data: Data | undefined): Buffer | null {
  if (data === null || data === undefined) return null;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function copyOrNull(view: Buffer | null): Buffer | null {
  return view === null ? null : Buffer.from(view);
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const a = out[i];
    const b = out[j];
    if (a !== undefined && b !== undefined) {
      out[i] = b;
      out[j] = a;
    }
  }
  return out;
}

/** The body of a successful reply; a non-zero code becomes a ZooKeeperError for `path`. */
function body(err: number, reader: JuteReader | null, path: string | undefined): JuteReader {
  if (err !== 0) throw new ZooKeeperError(err, path);
  if (reader === null) throw new ZooKeeperError(ErrorCode.marshallingError, path);
  return reader;
}

export class ZooKeeperClient {
  readonly connectString: string;
  readonly #servers: readonly ServerAddress[];
  readonly #chroot: string | null;
  readonly #requestedTimeoutMs: number;
  readonly #readOnly: boolean;
  readonly #reconnectDelayMs: number;
  readonly #maxFrameBytes: number;
  readonly #closeTimeoutMs: number;
  readonly #defaultWatcher: Watcher | undefined;
  readonly #listeners = new Set<Watcher>();
  readonly #replyListeners = new Set<ReplyListener>();
  readonly #watches = new WatchRegistry<WatcherRef>();

  #state: ClientState = 'CONNECTING';
  #sessionId = 0n;
  #passwd: Buffer = Buffer.alloc(16);
  #negotiatedTimeoutMs = 0;
  #lastZxid = 0n;
  #seenRwServer = false;
  /** The state of the last event queued (Java's EventThread.sessionState). */
  #sessionState: KeeperState = 'Disconnected';

  #conn: Connection | null = null;
  #nextServer = 0;
  #failedSinceConnected = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #tickTimer: NodeJS.Timeout | undefined;
  #lastSend = 0;
  #lastRecv = 0;

  #xid = 0;
  #outgoing: Entry[] = [];
  #inflight: Entry[] = [];
  readonly #auths: AuthEntry[] = [];
  #authInflight: AuthEntry[] = [];
  #closing: Promise<boolean> | undefined;

  /** Starts connecting at once; use `ZooKeeperClient.connect` to wait for the session. */
  constructor(connectString: string, options: ClientOptions = {}) {
    const parsed = parseConnectString(connectString);
    this.connectString = connectString;
    this.#servers = options.shuffleServers === false ? parsed.servers : shuffled(parsed.servers);
    this.#chroot = parsed.chroot;
    this.#requestedTimeoutMs = options.sessionTimeoutMs ?? 30_000;
    this.#readOnly = options.readOnly ?? false;
    this.#reconnectDelayMs = options.reconnectDelayMs ?? 1000;
    this.#maxFrameBytes = options.maxFrameBytes ?? 4 * 1024 * 1024;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 5000;
    this.#defaultWatcher = options.watcher;
    if (options.session !== undefined) {
      this.#sessionId = options.session.id;
      this.#passwd = Buffer.from(options.session.passwd);
      this.#seenRwServer = true;
    }
    this.#startAttempt();
  }

  /** Creates a client and waits until its session is established (rejects and closes it otherwise). */
  static async connect(connectString: string, options: ClientOptions & { readonly connectTimeoutMs?: number } = {}): Promise<ZooKeeperClient> {
    const client = new ZooKeeperClient(connectString, options);
    try {
      await client.waitConnected(options.connectTimeoutMs ?? options.sessionTimeoutMs ?? 30_000);
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  get state(): ClientState {
    return this.#state;
  }

  /** 0n until the first session is established. */
  get sessionId(): bigint {
    return this.#sessionId;
  }

  get sessionPasswd(): Buffer {
    return Buffer.from(this.#passwd);
  }

  /** The session timeout the server granted (0 before the first handshake). */
  get negotiatedTimeoutMs(): number {
    return this.#negotiatedTimeoutMs;
  }

  /** The highest zxid seen in a reply, sent in the handshake when reconnecting. */
  get lastZxid(): bigint {
    return this.#lastZxid;
  }

  /** `host:port` of the server the client is connected to, or null. */
  get server(): string | null {
    const conn = this.#conn;
    return conn?.handshaken === true ? formatServerAddress(conn.server) : null;
  }

  /** Not closed and not failed authentication (ZooKeeper.States.isAlive). */
  isAlive(): boolean {
    return this.#state !== 'CLOSED' && this.#state !== 'AUTH_FAILED';
  }

  isConnected(): boolean {
    return this.#state === 'CONNECTED' || this.#state === 'CONNECTEDREADONLY';
  }

  /** Adds a listener of the default watcher's events; returns a function that removes it. */
  onEvent(listener: Watcher): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Adds a listener of every reply header to a request of this client (not pings, auth packets,
   * SetWatches or notifications), in the order they arrive, called before the request's promise
   * settles. Its zxid is what the caller saw of the server's history at that reply, which a caller
   * that runs one request at a time can attribute to that request (the Jepsen harness records it
   * per operation). Returns a function that removes the listener.
   */
  onReply(listener: ReplyListener): () => void {
    this.#replyListeners.add(listener);
    return () => {
      this.#replyListeners.delete(listener);
    };
  }

  /** Resolves once connected; rejects when the client dies first or `timeoutMs` passes. */
  waitConnected(timeoutMs = this.#requestedTimeoutMs): Promise<void> {
    if (this.isConnected()) return Promise.resolve();
    if (!this.isAlive()) return Promise.reject(new ZooKeeperError(this.#lossCode()));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new ZooKeeperError(ErrorCode.connectionLoss));
      }, timeoutMs);
      const off = this.onEvent((event) => {
        if (event.type !== 'None') return;
        if (this.isConnected()) {
          clearTimeout(timer);
          off();
          resolve();
        } else if (!this.isAlive()) {
          clearTimeout(timer);
          off();
          reject(new ZooKeeperError(this.#lossCode()));
        }
      });
    });
  }

  // ---- operations -------------------------------------------------------------------------------

  /** Creates a node; returns its path (with the sequence number) and stat. */
  async create(path: string, data: Data = null, options: CreateOptions = {}): Promise<{ path: string; stat: Stat }> {
    const mode = options.mode ?? 'persistent';
    const acl = options.acl ?? OPEN_ACL_UNSAFE;
    checkPath(path, isSequential(mode));
    const ttl = options.ttlMs;
    if (isTtl(mode)) checkTtl(ttl ?? 0);
    else if (ttl !== undefined && ttl >= 0) throw new IllegalArgumentError(`ttl not valid for mode: ${mode}`);
    checkAcl(acl);
    const record = { path: this.#toServer(path), data: toBuffer(data), acl: [...acl], flags: CREATE_FLAGS[mode] };
    const op = isTtl(mode) ? OpCode.createTTL : mode === 'container' ? OpCode.createContainer : OpCode.create2;
    const write =
      op === OpCode.createTTL
        ? (w: JuteWriter): void => writeCreateTTLRequest(w, { ...record, ttl: BigInt(ttl ?? 0) })
        : (w: JuteWriter): void => writeCreateRequest(w, record);
    return this.#call(op, write, (err, r) => {
      const response = readCreate2Response(body(err, r, path));
      return { path: this.#toClient(response.path), stat: response.stat };
    });
  }

  /** Deletes a node if its version matches (-1: any version). */
  async delete(path: string, version = -1): Promise<void> {
    checkPath(path);
    // As in Java, "/" is sent as it is (the server refuses it) rather than as the chroot.
    const serverPath = path === '/' ? path : this.#toServer(path);
    return this.#call(OpCode.delete, (w) => writeDeleteRequest(w, { path: serverPath, version }), (err, r) => {
      body(err, r, path);
    });
  }

  /** The node's stat, or null when it does not exist; a watch fires when it is created, changed or deleted. */
  async exists(path: string, options: WatchArg = {}): Promise<Stat | null> {
    checkPath(path);
    const watcher = this.#watcherRef(options.watch);
    const request = { path: this.#toServer(path), watch: watcher !== undefined };
    return this.#call(OpCode.exists, (w) => writeExistsRequest(w, request), (err, r) => {
      if (watcher !== undefined) {
        if (err === 0) this.#watches.add('data', path, watcher);
        else if (err === ErrorCode.noNode) this.#watches.add('exist', path, watcher);
      }
      if (err === ErrorCode.noNode) return null;
      return readExistsResponse(body(err, r, path)).stat;
    });
  }

  /** The node's data (null when it has none) and stat. */
  async getData(path: string, options: WatchArg = {}): Promise<{ data: Buffer | null; stat: Stat }> {
    checkPath(path);
    return this.#getData(path, this.#toServer(path), this.#watcherRef(options.watch));
  }

  /** Replaces the node's data if its version matches (-1: any version); returns the new stat. */
  async setData(path: string, data: Data, version = -1): Promise<Stat> {
    checkPath(path);
    const request = { path: this.#toServer(path), data: toBuffer(data), version };
    return this.#call(OpCode.setData, (w) => writeSetDataRequest(w, request), (err, r) => readSetDataResponse(body(err, r, path)).stat);
  }

  /** The node's children (in the server's order) and stat. */
  async getChildren(path: string, options: WatchArg = {}): Promise<{ children: string[]; stat: Stat }> {
    checkPath(path);
    const watcher = this.#watcherRef(options.watch);
    const request = { path: this.#toServer(path), watch: watcher !== undefined };
    return this.#call(OpCode.getChildren2, (w) => writeGetChildren2Request(w, request), (err, r) => {
      if (watcher !== undefined && err === 0) this.#watches.add('child', path, watcher);
      return readGetChildren2Response(body(err, r, path));
    });
  }

  async getACL(path: string): Promise<{ acl: ACL[]; stat: Stat }> {
    checkPath(path);
    const request = { path: this.#toServer(path) };
    return this.#call(OpCode.getACL, (w) => writeGetACLRequest(w, request), (err, r) => readGetACLResponse(body(err, r, path)));
  }

  /** Replaces the node's ACL if its ACL version matches (-1: any); returns the new stat. */
  async setACL(path: string, acl: readonly ACL[], version = -1): Promise<Stat> {
    checkPath(path);
    checkAcl(acl);
    const request = { path: this.#toServer(path), acl: [...acl], version };
    return this.#call(OpCode.setACL, (w) => writeSetACLRequest(w, request), (err, r) => readSetACLResponse(body(err, r, path)).stat);
  }

  /** Waits until the server this client is connected to has applied every write the leader committed before. */
  async sync(path: string): Promise<void> {
    checkPath(path);
    const request = { path: this.#toServer(path) };
    return this.#call(OpCode.sync, (w) => writeSyncRequest(w, request), (err, r) => {
      body(err, r, path);
    });
  }

  /** The session's ephemeral nodes under a path prefix (server paths, as Java returns them). */
  async getEphemerals(prefixPath = '/'): Promise<string[]> {
    checkPath(prefixPath);
    const request = { prefixPath: this.#toServer(prefixPath) };
    return this.#call(OpCode.getEphemerals, (w) => writeGetEphemeralsRequest(w, request), (err, r) => readGetEphemeralsResponse(body(err, r, prefixPath)).ephemerals);
  }

  /** How many nodes lie below the path (all descendants, not only children). */
  async getAllChildrenNumber(path: string): Promise<number> {
    checkPath(path);
    const request = { path: this.#toServer(path) };
    return this.#call(OpCode.getAllChildrenNumber, (w) => writeGetAllChildrenNumberRequest(w, request), (err, r) => readGetAllChildrenNumberResponse(body(err, r, path)).totalNumber);
  }

  /** The identities the server has for this session (ip, digest, sasl, super...). */
  async whoAmI(): Promise<ClientInfo[]> {
    return this.#call(OpCode.whoAmI, null, (err, r) => readWhoAmIResponse(body(err, r, undefined)).clientInfo);
  }

  /** The ensemble's dynamic configuration node (/zookeeper/config, never under the chroot). */
  async getConfig(options: WatchArg = {}): Promise<{ data: Buffer | null; stat: Stat }> {
    return this.#getData(CONFIG_NODE, CONFIG_NODE, this.#watcherRef(options.watch));
  }

  /**
   * ZooKeeperAdmin.reconfigure: changes the ensemble's membership, incrementally (`joiningServers`,
   * `leavingServers`: comma-separated `server.N=...` specs and ids) or as a whole (`newMembers`;
   * then the other two must be null). `fromConfig` is the configuration version the change applies
   * to, or -1. Answers the committed configuration and the stat of /zookeeper/config.
   */
  async reconfig(request: { joiningServers: string | null; leavingServers: string | null; newMembers: string | null; fromConfig: bigint }): Promise<{ data: Buffer | null; stat: Stat }> {
    return this.#call(
      OpCode.reconfig,
      (w) => {
        w.writeUstring(request.joiningServers);
        w.writeUstring(request.leavingServers);
        w.writeUstring(request.newMembers);
        w.writeLong(request.fromConfig);
      },
      (err, r) => {
        // 3.8's ZooKeeperAdmin raises its KeeperException with an empty path.
        const response = readGetDataResponse(body(err, r, ''));
        return { data: copyOrNull(response.data), stat: response.stat };
      },
    );
  }

  /** A watch that stays after it fires: on the node alone ('persistent') or on its whole subtree ('persistentRecursive'). */
  async addWatch(path: string, mode: AddWatchMode, watcher: Watcher | true = true): Promise<void> {
    checkPath(path);
    const ref = watcher === true ? DEFAULT_WATCHER : watcher;
    const request = { path: this.#toServer(path), mode: mode === 'persistent' ? 0 : 1 };
    return this.#call(OpCode.addWatch, (w) => writeAddWatchRequest(w, request), (err, r) => {
      body(err, r, path);
      this.#watches.add(mode, path, ref);
    });
  }

  /**
   * Adds an identity to the session (e.g. `digest`, `user:password`). It is sent again after every
   * reconnect. Resolves when the server accepts it; a refusal (AuthFailed) ends the session.
   */
  addAuth(scheme: string, auth: Data): Promise<void> {
    if (!this.isAlive()) return Promise.reject(new ZooKeeperError(this.#lossCode()));
    const frame = encodeFrame((w) => {
      writeRequestHeader(w, { xid: Xid.auth, type: OpCode.auth });
      writeAuthPacket(w, { type: 0, scheme, auth: toBuffer(auth) });
    });
    return new Promise<void>((resolve, reject) => {
      const entry: AuthEntry = { frame, waiters: [{ resolve, reject }] };
      this.#auths.push(entry);
      const conn = this.#conn;
      if (conn?.handshaken === true) {
        this.#authInflight.push(entry);
        this.#write(conn, frame);
      }
    });
  }

  /** Runs the operations atomically; rejects with a ZooKeeperError carrying every result when one fails. */
  async multi(ops: readonly Op[]): Promise<OpResult[]> {
    const writers: ((w: JuteWriter) => void)[] = ops.map((op) => this.#multiOp(op));
    const write = (w: JuteWriter): void => {
      for (const writeOp of writers) writeOp(w);
      writeMultiHeader(w, { type: -1, done: true, err: -1 });
    };
    return this.#call(OpCode.multi, write, (err, r) => {
      const reader = body(err, r, undefined);
      const results: OpResult[] = [];
      for (;;) {
        const header = readMultiHeader(reader);
        if (header.done) break;
        results.push(this.#multiResult(header.type, reader));
      }
      const failed = results.find((x) => x.type === 'error' && x.err !== 0);
      if (failed !== undefined && failed.type === 'error') throw new ZooKeeperError(failed.err, undefined, results);
      return results;
    });
  }

  /**
   * Closes the session (closeSession, then the socket) and emits Closed. Resolves true once the
   * server answered the closeSession (the session and its ephemerals are gone), false when that
   * could not be confirmed within `timeoutMs` (default closeTimeoutMs): the connection dropped, no
   * server was connected, or the session had already expired; the session then ends when it
   * expires. Never rejects; a second call returns the first one's answer. Requests made afterwards
   * fail with SessionExpired, as in Java.
   */
  close(timeoutMs = this.#closeTimeoutMs): Promise<boolean> {
    if (this.#closing !== undefined) return this.#closing;
    if (!this.isAlive()) return Promise.resolve(false);
    this.#closing = this.#close(timeoutMs);
    return this.#closing;
  }

  // ---- internals --------------------------------------------------------------------------------

  async #close(timeoutMs: number): Promise<boolean> {
    // As in Java, a connection being set up is finished to close the session properly, but none is
    // started: between attempts the session is left to expire.
    let confirmed = false;
    if (this.#conn !== null) {
      confirmed = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        this.#submit(OpCode.closeSession, null, (err) => {
          clearTimeout(timer);
          resolve(err === 0);
        });
      });
    }
    clearTimeout(this.#reconnectTimer);
    this.#state = 'CLOSED';
    this.#teardown(ErrorCode.sessionExpired);
    this.#stateEvent('Closed');
    return confirmed;
  }

  #getData(clientPath: string, serverPath: string, watcher: WatcherRef | undefined): Promise<{ data: Buffer | null; stat: Stat }> {
    const request = { path: serverPath, watch: watcher !== undefined };
    return this.#call(OpCode.getData, (w) => writeGetDataRequest(w, request), (err, r) => {
      if (watcher !== undefined && err === 0) this.#watches.add('data', clientPath, watcher);
      const response = readGetDataResponse(body(err, r, clientPath));
      return { data: copyOrNull(response.data), stat: response.stat };
    });
  }

  #multiOp(op: Op): (w: JuteWriter) => void {
    switch (op.type) {
      case 'create': {
        const mode = op.mode ?? 'persistent';
        const acl = op.acl ?? OPEN_ACL_UNSAFE;
        checkPath(op.path, isSequential(mode));
        if (isTtl(mode)) checkTtl(op.ttlMs ?? 0);
        checkAcl(acl);
        const record = { path: this.#toServer(op.path), data: toBuffer(op.data), acl: [...acl], flags: CREATE_FLAGS[mode] };
        if (isTtl(mode)) {
          return (w) => {
            writeMultiHeader(w, { type: OpCode.createTTL, done: false, err: -1 });
            writeCreateTTLRequest(w, { ...record, ttl: BigInt(op.ttlMs ?? 0) });
          };
        }
        const type = mode === 'container' ? OpCode.createContainer : OpCode.create;
        return (w) => {
          writeMultiHeader(w, { type, done: false, err: -1 });
          writeCreateRequest(w, record);
        };
      }
      case 'delete': {
        checkPath(op.path);
        const record = { path: this.#toServer(op.path), version: op.version ?? -1 };
        return (w) => {
          writeMultiHeader(w, { type: OpCode.delete, done: false, err: -1 });
          writeDeleteRequest(w, record);
        };
      }
      case 'setData': {
        checkPath(op.path);
        const record = { path: this.#toServer(op.path), data: toBuffer(op.data), version: op.version ?? -1 };
        return (w) => {
          writeMultiHeader(w, { type: OpCode.setData, done: false, err: -1 });
          writeSetDataRequest(w, record);
        };
      }
      case 'check': {
        checkPath(op.path);
        const record = { path: this.#toServer(op.path), version: op.version };
        return (w) => {
          writeMultiHeader(w, { type: OpCode.check, done: false, err: -1 });
          writeCheckVersionRequest(w, record);
        };
      }
    }
  }

  #multiResult(type: number, reader: JuteReader): OpResult {
    switch (type) {
      case OpCode.create:
        return { type: 'create', path: this.#toClient(readCreateResponse(reader).path), stat: null };
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL: {
        const response = readCreate2Response(reader);
        return { type: 'create', path: this.#toClient(response.path), stat: response.stat };
      }
      case OpCode.delete:
        return { type: 'delete' };
      case OpCode.setData:
        return { type: 'setData', stat: readSetDataResponse(reader).stat };
      case OpCode.check:
        return { type: 'check' };
      case OpCode.error:
        return { type: 'error', err: readErrorResponse(reader).err };
      default:
        throw new ZooKeeperError(ErrorCode.marshallingError);
    }
  }

  #watcherRef(watch: WatchOption | undefined): WatcherRef | undefined {
    if (watch === undefined || watch === false) return undefined;
    return watch === true ? DEFAULT_WATCHER : watch;
  }

  #toServer(path: string): string {
    const chroot = this.#chroot;
    if (chroot === null) return path;
    return path === '/' ? chroot : chroot + path;
  }

  #toClient(path: string): string {
    const chroot = this.#chroot;
    if (chroot === null) return path;
    if (path === chroot) return '/';
    return path.length > chroot.length ? path.slice(chroot.length) : path;
  }

  /** The error a request gets when it cannot be answered, by state (ClientCnxn.conLossPacket). */
  #lossCode(): number {
    if (this.#state === 'AUTH_FAILED') return ErrorCode.authFailed;
    if (this.#state === 'CLOSED') return ErrorCode.sessionExpired;
    return ErrorCode.connectionLoss;
  }

  #call<T>(op: number, write: ((w: JuteWriter) => void) | null, handle: (err: number, reader: JuteReader | null) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#submit(op, write, (err, reader) => {
        try {
          resolve(handle(err, reader));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
  }

  #submit(op: number, write: ((w: JuteWriter) => void) | null, complete: Complete): void {
    if (!this.isAlive() || (this.#closing !== undefined && op !== OpCode.closeSession)) {
      complete(this.#lossCode(), null);
      return;
    }
    this.#xid = this.#xid >= 0x7fffffff ? 1 : this.#xid + 1;
    const xid = this.#xid;
    const frame = encodeFrame((w) => {
      writeRequestHeader(w, { xid, type: op });
      write?.(w);
    });
    const entry: Entry = { xid, op, frame, complete };
    const conn = this.#conn;
    if (conn?.handshaken === true) {
      this.#inflight.push(entry);
      this.#write(conn, frame);
    } else {
      this.#outgoing.push(entry);
    }
  }

  #write(conn: Connection, frame: Buffer): void {
    this.#lastSend = Date.now();
    conn.socket.write(frame);
  }

  #startAttempt(): void {
    this.#reconnectTimer = undefined;
    if (!this.isAlive() || this.#closing !== undefined) return;
    const server = this.#servers[this.#nextServer % this.#servers.length];
    if (server === undefined) return;
    this.#nextServer++;
    this.#state = 'CONNECTING';
    const socket = netConnect({ host: server.host, port: server.port });
    socket.setNoDelay(true);
    const conn: Connection = { socket, decoder: new FrameDecoder({ maxFrameBytes: this.#maxFrameBytes }), server, handshaken: false, timer: undefined };
    this.#conn = conn;
    const timeout = this.#negotiatedTimeoutMs > 0 ? this.#negotiatedTimeoutMs : this.#requestedTimeoutMs;
    conn.timer = setTimeout(() => this.#drop(conn), Math.max(1, Math.floor(timeout / this.#servers.length)));
    socket.once('connect', () => {
      if (this.#conn !== conn) return;
      const request = {
        protocolVersion: 0,
        lastZxidSeen: this.#lastZxid,
        timeOut: this.#requestedTimeoutMs,
        sessionId: this.#seenRwServer ? this.#sessionId : 0n,
        passwd: this.#passwd,
      };
      this.#write(
        conn,
        encodeFrame((w) => {
          writeConnectRequest(w, request);
          w.writeBoolean(this.#readOnly);
        }),
      );
    });
    socket.on('data', (chunk: Buffer) => this.#onData(conn, chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => this.#onClose(conn));
  }

  /** Ends a connection now (the later 'close' event finds it already handled). */
  #drop(conn: Connection): void {
    conn.socket.destroy();
    this.#onClose(conn);
  }

  #onData(conn: Connection, chunk: Buffer): void {
    if (this.#conn !== conn) return;
    this.#lastRecv = Date.now();
    try {
      for (const frame of conn.decoder.push(chunk)) {
        if (this.#conn !== conn) return;
        const reader = new JuteReader(frame, { maxBufferBytes: this.#maxFrameBytes });
        if (conn.handshaken) this.#onFrame(reader);
        else this.#onHandshake(conn, reader);
      }
    } catch {
      if (this.#conn === conn) this.#drop(conn);
    }
  }

  #onHandshake(conn: Connection, reader: JuteReader): void {
    const response = readConnectResponse(reader);
    const readOnly = reader.remaining > 0 ? reader.readBoolean() : false;
    clearTimeout(conn.timer);
    if (response.timeOut <= 0) {
      this.#state = 'CLOSED';
      this.#stateEvent('Expired');
      this.#teardown(ErrorCode.sessionExpired);
      return;
    }
    conn.handshaken = true;
    this.#negotiatedTimeoutMs = response.timeOut;
    this.#sessionId = response.sessionId;
    this.#passwd = Buffer.from(response.passwd ?? Buffer.alloc(16));
    this.#state = readOnly ? 'CONNECTEDREADONLY' : 'CONNECTED';
    this.#seenRwServer ||= !readOnly;
    this.#failedSinceConnected = 0;
    // Identities first, then the watches to re-register, then what was queued while disconnected.
    this.#authInflight = [...this.#auths];
    for (const auth of this.#auths) this.#write(conn, auth.frame);
    const queued = [...this.#setWatchesEntries(), ...this.#outgoing];
    this.#outgoing = [];
    for (const entry of queued) {
      this.#inflight.push(entry);
      this.#write(conn, entry.frame);
    }
    this.#armTick(conn);
    this.#stateEvent(readOnly ? 'ConnectedReadOnly' : 'SyncConnected');
  }

  #setWatchesEntries(): Entry[] {
    const lists = {
      data: this.#watches.paths('data').map((p) => this.#toServer(p)),
      exist: this.#watches.paths('exist').map((p) => this.#toServer(p)),
      child: this.#watches.paths('child').map((p) => this.#toServer(p)),
      persistent: this.#watches.paths('persistent').map((p) => this.#toServer(p)),
      persistentRecursive: this.#watches.paths('persistentRecursive').map((p) => this.#toServer(p)),
    };
    const order: WatchKind[] = ['data', 'exist', 'child', 'persistent', 'persistentRecursive'];
    const entries: Entry[] = [];
    let kindIndex = 0;
    let offset = 0;
    const ignore: Complete = () => undefined;
    while (kindIndex < order.length) {
      const batch: Record<WatchKind, string[]> = { data: [], exist: [], child: [], persistent: [], persistentRecursive: [] };
      let length = 0;
      while (length < SET_WATCHES_MAX_LENGTH && kindIndex < order.length) {
        const kind = order[kindIndex] ?? 'data';
        const path = lists[kind][offset];
        if (path === undefined) {
          kindIndex++;
          offset = 0;
          continue;
        }
        batch[kind].push(path);
        offset++;
        length += path.length;
      }
      const total = order.reduce((n, kind) => n + batch[kind].length, 0);
      if (total === 0) break;
      // Like Java, the old SetWatches unless persistent watches need SetWatches2.
      const persistent = batch.persistent.length > 0 || batch.persistentRecursive.length > 0;
      const frame = encodeFrame((w) => {
        writeRequestHeader(w, { xid: Xid.setWatches, type: persistent ? OpCode.setWatches2 : OpCode.setWatches });
        const common = { relativeZxid: this.#lastZxid, dataWatches: batch.data, existWatches: batch.exist, childWatches: batch.child };
        if (persistent) writeSetWatches2(w, { ...common, persistentWatches: batch.persistent, persistentRecursiveWatches: batch.persistentRecursive });
        else writeSetWatches(w, common);
      });
      entries.push({ xid: Xid.setWatches, op: persistent ? OpCode.setWatches2 : OpCode.setWatches, frame, complete: ignore });
    }
    return entries;
  }

  #onFrame(reader: JuteReader): void {
    const header = readReplyHeader(reader);
    switch (header.xid) {
      case Xid.notification:
        this.#onNotification(readWatcherEvent(reader));
        return;
      case Xid.ping:
        return;
      case Xid.auth: {
        const auth = this.#authInflight.shift();
        const waiters = auth?.waiters ?? [];
        if (auth !== undefined) auth.waiters = [];
        if (header.err === ErrorCode.authFailed) {
          for (const w of waiters) w.reject(new ZooKeeperError(ErrorCode.authFailed));
          this.#state = 'AUTH_FAILED';
          this.#stateEvent('AuthFailed');
          this.#teardown(ErrorCode.authFailed);
          return;
        }
        for (const w of waiters) {
          if (header.err === 0) w.resolve();
          else w.reject(new ZooKeeperError(header.err));
        }
        return;
      }
      default:
        break;
    }
    const entry = this.#inflight[0];
    if (entry?.xid !== header.xid) throw new Error(`reply xid ${String(header.xid)} out of order`);
    this.#inflight.shift();
    if (header.zxid > 0n) this.#lastZxid = header.zxid;
    if (entry.xid !== Xid.setWatches) {
      const reply: ReplyInfo = { xid: entry.xid, op: entry.op, zxid: header.zxid, err: header.err };
      for (const listener of [...this.#replyListeners]) {
        try {
          listener(reply);
        } catch (err) {
          process.emitWarning(`a ZooKeeper reply listener threw: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
    entry.complete(header.err, header.err === 0 ? reader : null);
  }

  #onNotification(event: WatcherEvent): void {
    const type = EVENT_TYPES.get(event.type);
    const state = KEEPER_STATES.get(event.state);
    if (type === undefined || state === undefined) return;
    const path = this.#toClient(event.path);
    const targets = type === 'None' ? this.#allWatchers() : this.#watches.trigger(type, path);
    this.#queueEvent({ type, state, path }, targets);
  }

  #onClose(conn: Connection): void {
    if (this.#conn !== conn) return;
    this.#conn = null;
    clearTimeout(conn.timer);
    clearTimeout(this.#tickTimer);
    this.#failQueued(this.#lossCode());
    this.#authInflight = [];
    if (!this.isAlive() || this.#closing !== undefined) return;
    this.#state = 'CONNECTING';
    // Delivered after the failed requests' callers have run, as Java's event thread usually does.
    this.#stateEvent('Disconnected', true);
    this.#failedSinceConnected++;
    const roundDone = this.#failedSinceConnected % this.#servers.length === 0;
    const delay = Math.floor(Math.random() * this.#reconnectDelayMs) + (roundDone ? this.#reconnectDelayMs : 0);
    this.#reconnectTimer = setTimeout(() => this.#startAttempt(), delay);
  }

  /** The client is dead (closed, expired, auth failed): fail everything and let go of the socket. */
  #teardown(code: number): void {
    const conn = this.#conn;
    this.#conn = null;
    clearTimeout(this.#tickTimer);
    clearTimeout(this.#reconnectTimer);
    if (conn !== null) {
      clearTimeout(conn.timer);
      conn.socket.destroy();
    }
    this.#failQueued(code);
    this.#authInflight = [];
    for (const auth of this.#auths) {
      for (const w of auth.waiters) w.reject(new ZooKeeperError(code));
      auth.waiters = [];
    }
  }

  #failQueued(code: number): void {
    const entries = [...this.#inflight, ...this.#outgoing];
    this.#inflight = [];
    this.#outgoing = [];
    for (const entry of entries) entry.complete(code, null);
  }

  /** Pings when nothing was sent for a third of the session timeout; drops a connection silent for two thirds. */
  #armTick(conn: Connection): void {
    clearTimeout(this.#tickTimer);
    const readTimeout = Math.floor((this.#negotiatedTimeoutMs * 2) / 3);
    const pingEvery = Math.min(Math.floor(readTimeout / 2), MAX_PING_INTERVAL_MS);
    const wait = Math.max(1, Math.min(this.#lastSend + pingEvery, this.#lastRecv + readTimeout) - Date.now());
    this.#tickTimer = setTimeout(() => {
      if (this.#conn !== conn) return;
      const now = Date.now();
      if (now - this.#lastRecv >= readTimeout) {
        this.#drop(conn);
        return;
      }
      if (now - this.#lastSend >= pingEvery) this.#write(conn, PING_FRAME);
      this.#armTick(conn);
    }, wait);
  }

  #allWatchers(): Set<WatcherRef> {
    const all = new Set<WatcherRef>([DEFAULT_WATCHER]);
    for (const w of this.#watches.all()) all.add(w);
    return all;
  }

  #stateEvent(state: KeeperState, later = false): void {
    this.#queueEvent({ type: 'None', state, path: null }, this.#allWatchers(), later);
  }

  /** Java's EventThread.queueEvent: a state event repeating the last event's state is dropped. */
  #queueEvent(event: WatchedEvent, targets: ReadonlySet<WatcherRef>, later = false): void {
    if (event.type === 'None' && event.state === this.#sessionState) return;
    this.#sessionState = event.state;
    if (later) setImmediate(() => this.#deliver(event, targets));
    else this.#deliver(event, targets);
  }

  #deliver(event: WatchedEvent, targets: ReadonlySet<WatcherRef>): void {
    for (const target of targets) {
      if (target === DEFAULT_WATCHER) {
        if (this.#defaultWatcher !== undefined) this.#safely(this.#defaultWatcher, event);
        for (const listener of [...this.#listeners]) this.#safely(listener, event);
      } else {
        this.#safely(target, event);
      }
    }
  }

  #safely(watcher: Watcher, event: WatchedEvent): void {
    try {
      watcher(event);
    } catch (err) {
      process.emitWarning(`a ZooKeeper watcher threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
