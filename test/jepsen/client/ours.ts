/**
 * {@link ClientFactory} over zk-ts's own client (src/client, over our jute codec): the second,
 * independent client, so that a bug of node-zookeeper-client cannot hide a server bug (or make
 * one up). It has sync, tells the server it is on, and gives the zxid of every reply header
 * (src/client's onReply), so lastZxid() is the zxid of the reply to the op just completed.
 * closeSession() resolves only when the server answered the closeSession (src/client's close()
 * says whether it did).
 */
import { ZooKeeperClient, ZooKeeperError, type Op, type OpResult, type WatchedEvent } from '../../../src/client/index.js';
import type { Stat } from '../../../src/jute/records.js';
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

function toStat(s: Stat): ZkStat {
  return {
    czxid: s.czxid,
    mzxid: s.mzxid,
    pzxid: s.pzxid,
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: s.ephemeralOwner,
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  };
}

function toError(e: unknown): ZkError {
  if (e instanceof ZooKeeperError) return new ZkError(e.code, e.message);
  if (e instanceof ZkError) return e;
  return new ZkError(ZK_ERRORS.SYSTEM_ERROR, e instanceof Error ? e.message : String(e));
}

async function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw toError(e);
  }
}

const MODES: Readonly<Record<CreateMode, 'persistent' | 'ephemeral' | 'persistentSequential' | 'ephemeralSequential'>> = {
  persistent: 'persistent',
  ephemeral: 'ephemeral',
  'persistent-sequential': 'persistentSequential',
  'ephemeral-sequential': 'ephemeralSequential',
};

function eventOf(e: WatchedEvent, arrival: number): WatchEvent {
  const type =
    e.type === 'NodeCreated'
      ? 'created'
      : e.type === 'NodeDeleted'
        ? 'deleted'
        : e.type === 'NodeDataChanged'
          ? 'dataChanged'
          : e.type === 'NodeChildrenChanged'
            ? 'childrenChanged'
            : 'other';
  return { type, path: e.path ?? '', arrival };
}

class OursClient implements ZkClient {
  private readonly listeners: ((s: SessionState) => void)[] = [];
  /** Replies and notifications in the order their callbacks ran (see nzk.ts). */
  private arrivals = 0;

  /** The zxid of the last reply header; a worker runs one op at a time, so it is that op's. */
  private replyZxid: bigint | undefined;

  constructor(private readonly c: ZooKeeperClient) {
    c.onReply((r) => {
      if (r.zxid > 0n) this.replyZxid = r.zxid;
    });
    c.onEvent((e) => {
      if (e.type !== 'None') return;
      const st: SessionState | undefined =
        e.state === 'SyncConnected'
          ? 'connected'
          : e.state === 'Disconnected'
            ? 'disconnected'
            : e.state === 'Expired'
              ? 'expired'
              : e.state === 'Closed'
                ? 'closed'
                : e.state === 'AuthFailed'
                  ? 'auth-failed'
                  : e.state === 'ConnectedReadOnly'
                    ? 'read-only'
                    : undefined;
      if (st !== undefined) for (const l of this.listeners) l(st);
    });
  }

  sessionId(): string | undefined {
    return this.c.sessionId === 0n ? undefined : hexSession(this.c.sessionId);
  }

  lastZxid(): bigint | undefined {
    return this.replyZxid;
  }

  server(): string | undefined {
    return this.c.server ?? undefined;
  }

  create(path: string, data: Buffer, mode: CreateMode = 'persistent'): Promise<string> {
    return call(async () => (await this.c.create(path, data, { mode: MODES[mode] })).path);
  }

  getData(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: ZkStat; arrival: number }> {
    return call(async () => {
      const w = watcher;
      const r = await this.c.getData(path, w === undefined ? {} : { watch: (e: WatchedEvent) => w(eventOf(e, ++this.arrivals)) });
      return { data: r.data ?? Buffer.alloc(0), stat: toStat(r.stat), arrival: ++this.arrivals };
    });
  }

  setData(path: string, data: Buffer, version = -1): Promise<ZkStat> {
    return call(async () => toStat(await this.c.setData(path, data, version)));
  }

  exists(path: string, watcher?: Watcher): Promise<ZkStat | null> {
    return call(async () => {
      const w = watcher;
      const s = await this.c.exists(path, w === undefined ? {} : { watch: (e: WatchedEvent) => w(eventOf(e, ++this.arrivals)) });
      return s === null ? null : toStat(s);
    });
  }

  getChildren(path: string, watcher?: Watcher): Promise<{ children: string[]; stat: ZkStat }> {
    return call(async () => {
      const w = watcher;
      const r = await this.c.getChildren(path, w === undefined ? {} : { watch: (e: WatchedEvent) => w(eventOf(e, ++this.arrivals)) });
      return { children: r.children, stat: toStat(r.stat) };
    });
  }

  delete(path: string, version = -1): Promise<void> {
    return call(() => this.c.delete(path, version));
  }

  multi(ops: readonly MultiOp[]): Promise<MultiResult[]> {
    const mapped: Op[] = ops.map((op): Op => {
      if (op.op === 'create') return { type: 'create', path: op.path, data: op.data, mode: MODES[op.mode] };
      if (op.op === 'setData') return { type: 'setData', path: op.path, data: op.data, version: op.version };
      if (op.op === 'check') return { type: 'check', path: op.path, version: op.version };
      return { type: 'delete', path: op.path, version: op.version };
    });
    return call(async () => {
      const results: OpResult[] = await this.c.multi(mapped);
      return results.map((r): MultiResult => {
        if (r.type === 'create') return { op: 'create', path: r.path };
        if (r.type === 'setData') return { op: 'setData', stat: toStat(r.stat) };
        if (r.type === 'delete') return { op: 'delete' };
        if (r.type === 'check') return { op: 'check' };
        throw new ZkError(r.err, 'multi result carries an error');
      });
    });
  }

  sync(path: string): Promise<void> {
    return call(() => this.c.sync(path));
  }

  onSessionState(listener: (state: SessionState) => void): void {
    this.listeners.push(listener);
  }

  async closeSession(timeoutMs: number): Promise<void> {
    if (!(await this.c.close(timeoutMs))) throw new ZkError(ZK_ERRORS.CONNECTION_LOSS, 'closeSession was not acknowledged');
  }

  async close(): Promise<void> {
    await this.c.close();
  }
}

export const oursFactory: ClientFactory = {
  name: 'ours',
  description: "zk-ts's own client (src/client)",
  capabilities: { sync: true, headerZxid: true },
  async open(connectString: string, options: OpenOptions): Promise<ZkClient> {
    let c: ZooKeeperClient;
    try {
      c = await ZooKeeperClient.connect(connectString, {
        sessionTimeoutMs: options.sessionTimeoutMs,
        connectTimeoutMs: options.connectTimeoutMs,
        reconnectDelayMs: 100,
        closeTimeoutMs: 2000,
      });
    } catch (e) {
      throw e instanceof ZooKeeperError ? new ZkTimeout(`connect to ${connectString}`, options.connectTimeoutMs) : toError(e);
    }
    return new OursClient(c);
  },
};
