/**
 * The client interface workloads are written against, so that two independent ZooKeeper clients
 * plug in (a client bug must not hide a server bug): node-zookeeper-client (./nzk.ts) and our own
 * src/client (./ours.ts, when it exists). Promise-based; errors are {@link ZkError}s carrying the
 * ZooKeeper error code.
 */

export const ZK_ERRORS = {
  SYSTEM_ERROR: -1,
  RUNTIME_INCONSISTENCY: -2,
  DATA_INCONSISTENCY: -3,
  CONNECTION_LOSS: -4,
  MARSHALLING_ERROR: -5,
  UNIMPLEMENTED: -6,
  OPERATION_TIMEOUT: -7,
  BAD_ARGUMENTS: -8,
  NEW_CONFIG_NO_QUORUM: -13,
  RECONFIG_IN_PROGRESS: -14,
  API_ERROR: -100,
  NO_NODE: -101,
  NO_AUTH: -102,
  BAD_VERSION: -103,
  NO_CHILDREN_FOR_EPHEMERALS: -108,
  NODE_EXISTS: -110,
  NOT_EMPTY: -111,
  SESSION_EXPIRED: -112,
  INVALID_CALLBACK: -113,
  INVALID_ACL: -114,
  AUTH_FAILED: -115,
  SESSION_MOVED: -118,
  NOT_READ_ONLY: -119,
} as const;

const NAMES = new Map<number, string>(Object.entries(ZK_ERRORS).map(([k, v]) => [v, k.toLowerCase().replace(/_/g, '-')]));

export function errorName(code: number): string {
  return NAMES.get(code) ?? `error${code}`;
}

export class ZkError extends Error {
  constructor(
    readonly code: number,
    message?: string,
  ) {
    super(message ?? errorName(code));
    this.name = 'ZkError';
  }

  /** The error name as a Jepsen :error keyword (e.g. connection-loss). */
  get keyword(): string {
    return errorName(this.code);
  }
}

/** A client-side timeout: the outcome of the request is unknown. */
export class ZkTimeout extends ZkError {
  constructor(what: string, ms: number) {
    super(ZK_ERRORS.OPERATION_TIMEOUT, `${what} timed out after ${ms} ms`);
    this.name = 'ZkTimeout';
  }

  override get keyword(): string {
    return 'timeout';
  }
}

export function isZkError(e: unknown, code?: number): e is ZkError {
  return e instanceof ZkError && (code === undefined || e.code === code);
}

/**
 * True when a failed request may still have taken effect (so a write gets :info, not :fail):
 * connection loss, timeouts, session moved/expired while in flight, and unknown errors.
 */
export function outcomeUnknown(e: unknown): boolean {
  if (!(e instanceof ZkError)) return true;
  return (
    e.code === ZK_ERRORS.CONNECTION_LOSS ||
    e.code === ZK_ERRORS.OPERATION_TIMEOUT ||
    e.code === ZK_ERRORS.SESSION_MOVED ||
    e.code === ZK_ERRORS.SYSTEM_ERROR ||
    e.code === ZK_ERRORS.MARSHALLING_ERROR ||
    e.code === ZK_ERRORS.RUNTIME_INCONSISTENCY
  );
}

export interface ZkStat {
  readonly czxid: bigint;
  readonly mzxid: bigint;
  readonly pzxid: bigint;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  readonly ephemeralOwner: bigint;
  readonly dataLength: number;
  readonly numChildren: number;
}

export type CreateMode = 'persistent' | 'ephemeral' | 'persistent-sequential' | 'ephemeral-sequential';

export type MultiOp =
  | { readonly op: 'create'; readonly path: string; readonly data: Buffer; readonly mode: CreateMode }
  | { readonly op: 'setData'; readonly path: string; readonly data: Buffer; readonly version: number }
  | { readonly op: 'check'; readonly path: string; readonly version: number }
  | { readonly op: 'delete'; readonly path: string; readonly version: number };

export type MultiResult =
  | { readonly op: 'create'; readonly path: string }
  | { readonly op: 'setData'; readonly stat: ZkStat }
  | { readonly op: 'check' }
  | { readonly op: 'delete' };

export type WatchEventType = 'created' | 'deleted' | 'dataChanged' | 'childrenChanged' | 'other';

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly path: string;
  /** Position of this notification among everything the client received (see ZkClient.arrivals). */
  readonly arrival?: number;
}

export type Watcher = (event: WatchEvent) => void;

export type SessionState = 'connected' | 'disconnected' | 'expired' | 'closed' | 'auth-failed' | 'read-only';

export interface OpenOptions {
  /** Requested session timeout. */
  readonly sessionTimeoutMs: number;
  /** How long open() waits for the first connection. */
  readonly connectTimeoutMs: number;
}

export interface ZkClient {
  /** The session id as 0x-prefixed hex, once connected. */
  sessionId(): string | undefined;
  /** The zxid of the last reply header (the client's last seen zxid), when the client exposes it. */
  lastZxid(): bigint | undefined;
  /** `host:port` of the server it is connected to, when known. */
  server?(): string | undefined;
  create(path: string, data: Buffer, mode?: CreateMode): Promise<string>;
  /** `arrival`: position of the reply among everything the client received, when it counts them. */
  getData(path: string, watcher?: Watcher): Promise<{ readonly data: Buffer; readonly stat: ZkStat; readonly arrival?: number }>;
  setData(path: string, data: Buffer, version?: number): Promise<ZkStat>;
  exists(path: string, watcher?: Watcher): Promise<ZkStat | null>;
  getChildren(path: string, watcher?: Watcher): Promise<{ readonly children: string[]; readonly stat: ZkStat }>;
  delete(path: string, version?: number): Promise<void>;
  /** A multi transaction: all ops or none; rejects with the first failing op's error. */
  multi(ops: readonly MultiOp[]): Promise<MultiResult[]>;
  /** `sync`, when the client has it (see ClientFactory.capabilities.sync). */
  sync?(path: string): Promise<void>;
  onSessionState(listener: (state: SessionState) => void): void;
  /**
   * Sends closeSession and resolves once the server acknowledged it (the session and its
   * ephemerals are gone); rejects when that cannot be confirmed (then the session expires later).
   */
  closeSession(timeoutMs: number): Promise<void>;
  /** Closes the session (closeSession request, unconfirmed) and the connection; never rejects. */
  close(): Promise<void>;
}

export interface ClientCapabilities {
  /** The client can send `sync`. */
  readonly sync: boolean;
  /** lastZxid() reports the zxid of reply headers. */
  readonly headerZxid: boolean;
}

export interface ClientFactory {
  /** Short name for the CLI and the report: nzk, ours. */
  readonly name: string;
  readonly description: string;
  readonly capabilities: ClientCapabilities;
  /** Connects to one of the servers of `connectString` and resolves once a session is established. */
  open(connectString: string, options: OpenOptions): Promise<ZkClient>;
}

/** Rejects with a ZkTimeout when `p` takes longer than `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ZkTimeout(what, ms)), ms);
  });
  return Promise.race([p, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

export function hexSession(id: bigint): string {
  return `0x${id.toString(16)}`;
}

/** Sorts sequential node names by their 10-digit suffix. */
export function bySequence(a: string, b: string): number {
  const sa = Number(a.slice(-10));
  const sb = Number(b.slice(-10));
  return sa - sb;
}

/** The sequence number of a sequential node's name or path. */
export function sequenceOf(name: string): number {
  const n = Number(name.slice(-10));
  if (!Number.isInteger(n)) throw new Error(`not a sequential node name: ${name}`);
  return n;
}
