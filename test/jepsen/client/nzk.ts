/**
 * {@link ClientFactory} over node-zookeeper-client (npm). It has no `sync`; its last seen zxid
 * (from reply headers) is read from the connection manager, which keeps it for reconnects.
 */
import { createRequire } from 'node:module';

import zookeeper from 'node-zookeeper-client';

import {
  ZK_ERRORS,
  ZkError,
  ZkTimeout,
  hexSession,
  type ClientFactory,
  type CreateMode,
  type MultiOp,
  type MultiResult,
  type OpenOptions,
  type SessionState,
  type WatchEvent,
  type Watcher,
  type ZkClient,
  type ZkStat,
} from './client.js';

type RawStat = zookeeper.Stat;

function long(b: Buffer | undefined): bigint {
  return b === undefined || b.length < 8 ? 0n : b.readBigInt64BE(0);
}

function toStat(s: RawStat): ZkStat {
  return {
    czxid: long(s.czxid),
    mzxid: long(s.mzxid),
    pzxid: long(s.pzxid),
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: long(s.ephemeralOwner),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  };
}

function toError(e: Error | zookeeper.Exception): ZkError {
  if (e instanceof Error && !('getCode' in e)) return new ZkError(ZK_ERRORS.SYSTEM_ERROR, e.message);
  const code = (e as zookeeper.Exception).getCode();
  return new ZkError(code, (e as zookeeper.Exception).toString());
}

/** ConnectionManager's STATES.CLOSING. */
const CLOSING_STATE = -1;

const MODES: Readonly<Record<CreateMode, number>> = {
  persistent: zookeeper.CreateMode.PERSISTENT,
  ephemeral: zookeeper.CreateMode.EPHEMERAL,
  'persistent-sequential': zookeeper.CreateMode.PERSISTENT_SEQUENTIAL,
  'ephemeral-sequential': zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL,
};

function eventOf(e: zookeeper.Event): WatchEvent {
  const t = e.getType();
  const type =
    t === zookeeper.Event.NODE_CREATED
      ? 'created'
      : t === zookeeper.Event.NODE_DELETED
        ? 'deleted'
        : t === zookeeper.Event.NODE_DATA_CHANGED
          ? 'dataChanged'
          : t === zookeeper.Event.NODE_CHILDREN_CHANGED
            ? 'childrenChanged'
            : 'other';
  return { type, path: e.getPath() };
}

interface RawMultiResult {
  readonly type: number;
  readonly path?: string;
  readonly stat?: RawStat;
}

/** The connection manager's last zxid buffer (an implementation detail, read defensively). */
function managerZxid(client: zookeeper.Client): bigint | undefined {
  const cm: unknown = (client as unknown as { connectionManager?: unknown }).connectionManager;
  if (typeof cm !== 'object' || cm === null) return undefined;
  const z: unknown = (cm as { zxid?: unknown }).zxid;
  return Buffer.isBuffer(z) && z.length === 8 ? z.readBigInt64BE(0) : undefined;
}

/** The parts of node-zookeeper-client's internal jute module that closeSession() needs. */
interface JuteInternals {
  readonly OP_CODES: { readonly CLOSE_SESSION: number };
  readonly protocol: { readonly RequestHeader: new () => { type: number } };
  readonly Request: new (header: unknown, payload: null) => unknown;
}

let jute: JuteInternals | undefined;
function juteInternals(): JuteInternals {
  if (jute === undefined) {
    const loaded: unknown = createRequire(import.meta.url)('node-zookeeper-client/lib/jute/index.js');
    jute = loaded as JuteInternals;
  }
  return jute;
}

interface ManagerInternals {
  setState(state: number): void;
  queue(request: unknown, callback: (error: unknown) => void): void;
}

class NzkClient implements ZkClient {
  private readonly listeners: ((s: SessionState) => void)[] = [];
  private closed = false;
  /**
   * Replies and notifications counted in the order their callbacks run, which is the order they
   * came off the socket (a promise's continuation runs later, after callbacks of the same chunk).
   */
  private arrivals = 0;

  constructor(private readonly c: zookeeper.Client) {
    c.on('state', (s: zookeeper.State) => {
      const st: SessionState | undefined =
        s === zookeeper.State.SYNC_CONNECTED
          ? 'connected'
          : s === zookeeper.State.DISCONNECTED
            ? 'disconnected'
            : s === zookeeper.State.EXPIRED
              ? 'expired'
              : s === zookeeper.State.AUTH_FAILED
                ? 'auth-failed'
                : s === zookeeper.State.CONNECTED_READ_ONLY
                  ? 'read-only'
                  : undefined;
      if (st !== undefined) for (const l of this.listeners) l(st);
    });
  }

  sessionId(): string | undefined {
    const id = long(this.c.getSessionId());
    return id === 0n ? undefined : hexSession(id);
  }

  lastZxid(): bigint | undefined {
    return managerZxid(this.c);
  }

  server(): string | undefined {
    const cm: unknown = (this.c as unknown as { connectionManager?: unknown }).connectionManager;
    if (typeof cm !== 'object' || cm === null) return undefined;
    const socket: unknown = (cm as { socket?: unknown }).socket;
    if (typeof socket !== 'object' || socket === null) return undefined;
    const { remoteAddress, remotePort } = socket as { remoteAddress?: unknown; remotePort?: unknown };
    return typeof remoteAddress === 'string' && typeof remotePort === 'number' ? `${remoteAddress}:${remotePort}` : undefined;
  }

  create(path: string, data: Buffer, mode: CreateMode = 'persistent'): Promise<string> {
    return new Promise((resolve, reject) => {
      this.c.create(path, data, MODES[mode], (err, p) => (err ? reject(toError(err)) : resolve(p)));
    });
  }

  getData(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: ZkStat; arrival: number }> {
    return new Promise((resolve, reject) => {
      const cb = (err: Error | zookeeper.Exception | null, data: Buffer, stat: RawStat): void => {
        const arrival = ++this.arrivals;
        if (err) reject(toError(err));
        else resolve({ data: data ?? Buffer.alloc(0), stat: toStat(stat), arrival });
      };
      if (watcher === undefined) this.c.getData(path, cb);
      else this.c.getData(path, (e) => watcher({ ...eventOf(e), arrival: ++this.arrivals }), cb);
    });
  }

  setData(path: string, data: Buffer, version = -1): Promise<ZkStat> {
    return new Promise((resolve, reject) => {
      this.c.setData(path, data, version, (err, stat) => (err ? reject(toError(err)) : resolve(toStat(stat))));
    });
  }

  exists(path: string, watcher?: Watcher): Promise<ZkStat | null> {
    return new Promise((resolve, reject) => {
      const cb = (err: Error | zookeeper.Exception | null, stat: RawStat | null | undefined): void => {
        if (err) reject(toError(err));
        else resolve(stat === null || stat === undefined ? null : toStat(stat));
      };
      if (watcher === undefined) this.c.exists(path, cb);
      else this.c.exists(path, (e) => watcher(eventOf(e)), cb);
    });
  }

  getChildren(path: string, watcher?: Watcher): Promise<{ children: string[]; stat: ZkStat }> {
    return new Promise((resolve, reject) => {
      const cb = (err: Error | zookeeper.Exception | null, children: string[], stat: RawStat): void => {
        if (err) reject(toError(err));
        else resolve({ children, stat: toStat(stat) });
      };
      if (watcher === undefined) this.c.getChildren(path, cb);
      else this.c.getChildren(path, (e) => watcher(eventOf(e)), cb);
    });
  }

  delete(path: string, version = -1): Promise<void> {
    return new Promise((resolve, reject) => {
      this.c.remove(path, version, (err) => (err ? reject(toError(err)) : resolve()));
    });
  }

  multi(ops: readonly MultiOp[]): Promise<MultiResult[]> {
    const t = this.c.transaction();
    // node-zookeeper-client 1.1.3 turns version 0 into -1 ("version || -1") in Transaction.check,
    // setData and remove, so a multi checking version 0 matches any version: set it back on the
    // op it queued.
    const queued = (t as unknown as { ops?: unknown }).ops;
    const fixVersion = (version: number) => {
      if (!Array.isArray(queued)) throw new ZkError(ZK_ERRORS.API_ERROR, 'node-zookeeper-client Transaction has no ops array');
      const last: unknown = queued[queued.length - 1];
      if (typeof last === 'object' && last !== null && 'version' in last) (last as { version: number }).version = version;
    };
    for (const op of ops) {
      if (op.op === 'create') t.create(op.path, op.data, MODES[op.mode]);
      else if (op.op === 'setData') {
        t.setData(op.path, op.data, op.version);
        fixVersion(op.version);
      } else if (op.op === 'check') {
        t.check(op.path, op.version);
        fixVersion(op.version);
      } else {
        t.remove(op.path, op.version);
        fixVersion(op.version);
      }
    }
    return new Promise((resolve, reject) => {
      t.commit((err: Error | zookeeper.Exception | null, results: unknown) => {
        if (err) {
          reject(toError(err));
          return;
        }
        const raw = Array.isArray(results) ? (results as RawMultiResult[]) : [];
        resolve(
          ops.map((op, i): MultiResult => {
            const r = raw[i];
            if (op.op === 'create') return { op: 'create', path: r?.path ?? '' };
            if (op.op === 'setData') {
              if (r?.stat === undefined) throw new ZkError(ZK_ERRORS.MARSHALLING_ERROR, 'multi setData result without stat');
              return { op: 'setData', stat: toStat(r.stat) };
            }
            return op.op === 'check' ? { op: 'check' } : { op: 'delete' };
          }),
        );
      });
    });
  }

  onSessionState(listener: (state: SessionState) => void): void {
    this.listeners.push(listener);
  }

  closeSession(timeoutMs: number): Promise<void> {
    // Client.close() queues closeSession without a callback; queue it ourselves with one, as
    // ConnectionManager.close() does (state CLOSING first), to learn that the server answered.
    const cm = (this.c as unknown as { connectionManager?: ManagerInternals }).connectionManager;
    if (cm === undefined || typeof cm.queue !== 'function') return Promise.reject(new ZkError(ZK_ERRORS.API_ERROR, 'no connection manager'));
    const j = juteInternals();
    this.closed = true;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ZkTimeout('closeSession', timeoutMs)), timeoutMs);
      const header = new j.protocol.RequestHeader();
      header.type = j.OP_CODES.CLOSE_SESSION;
      cm.setState(CLOSING_STATE);
      cm.queue(new j.Request(header, null), (error: unknown) => {
        clearTimeout(timer);
        if (error === null || error === undefined) resolve();
        else if (typeof error === 'object' && 'getCode' in error) reject(toError(error as zookeeper.Exception));
        else reject(new ZkError(ZK_ERRORS.CONNECTION_LOSS, String(error)));
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.c.close();
    } catch {
      // already closed
    }
    await Promise.resolve();
  }
}

export const nzkFactory: ClientFactory = {
  name: 'nzk',
  description: 'node-zookeeper-client (npm)',
  capabilities: { sync: false, headerZxid: true },
  open(connectString: string, options: OpenOptions): Promise<ZkClient> {
    const c = zookeeper.createClient(connectString, { sessionTimeout: options.sessionTimeoutMs, spinDelay: 100, retries: 0 });
    return new Promise<ZkClient>((resolve, reject) => {
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        try {
          c.close();
        } catch {
          // ignore
        }
        reject(new ZkTimeout(`connect to ${connectString}`, options.connectTimeoutMs));
      }, options.connectTimeoutMs);
      // node-zookeeper-client 1.1.3 keeps a partial reply frame (ConnectionManager.pendingBuffer)
      // across a reconnect and parses the new connection's bytes after it: garbage, and an
      // exception thrown from the socket handler. Drop it whenever the connection is lost.
      // The client's own 'disconnected' event fires only on a change of its state, not after each
      // failed attempt, so listen to the connection manager's raw states: DISCONNECTED (0) after
      // every socket close, CONNECTING (1) before every new socket.
      const cm: unknown = (c as unknown as { connectionManager?: unknown }).connectionManager;
      if (typeof cm === 'object' && cm !== null && 'on' in cm && typeof (cm as { on: unknown }).on === 'function') {
        const manager = cm as { on(event: 'state', listener: (state: number) => void): void; pendingBuffer: unknown };
        manager.on('state', (state) => {
          if (state === 0 || state === 1) manager.pendingBuffer = null;
        });
      }
      c.once('connected', () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(new NzkClient(c));
      });
      c.connect();
    });
  },
};
