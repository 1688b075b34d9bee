// Clients for the ensemble tests: node-zookeeper-client (what applications use) behind promises,
// and the raw wire session of the conformance suite for what that library cannot do (sync, a
// connection dropped without closeSession, reattaching with a chosen session id and password).

import zookeeper from 'node-zookeeper-client';
import { JuteReader, readCreateResponse, readGetChildrenResponse, readGetDataResponse, type Stat } from '../../src/jute/index.js';
import { ConnectionClosedError, RawSession } from '../conformance/raw-session.js';
import { req } from '../conformance/requests.js';
import type { Member } from './ensemble.js';

type NodeClient = ReturnType<typeof zookeeper.createClient>;

export const CreateMode = zookeeper.CreateMode;

/** A ZooKeeper error code from a failed call (node-zookeeper-client's Exception), or null. */
export function errorCodeOf(error: unknown): number | null {
  if (typeof error === 'object' && error !== null && 'getCode' in error && typeof error.getCode === 'function') {
    const code: unknown = error.getCode();
    return typeof code === 'number' ? code : null;
  }
  return null;
}

export interface ClientOptions {
  sessionTimeout?: number;
  /** How long to wait for the first connection. */
  connectTimeoutMs?: number;
  /** Reattach to this session (node-zookeeper-client reads these options, its typings omit them). */
  sessionId?: Buffer;
  sessionPassword?: Buffer;
}

export class Client {
  readonly raw: NodeClient;
  #disconnects = 0;
  #expired = false;

  private constructor(raw: NodeClient) {
    this.raw = raw;
    raw.on('disconnected', () => {
      this.#disconnects++;
    });
    raw.on('expired', () => {
      this.#expired = true;
    });
  }

  /** Connects to the given members (a connect string of all of them); resolves once connected. */
  static connect(members: readonly Member[] | string, options: ClientOptions = {}): Promise<Client> {
    const connectString = typeof members === 'string' ? members : members.map((m) => m.hostPort).join(',');
    const libOptions: Partial<zookeeper.Option> & { sessionId?: Buffer; sessionPassword?: Buffer } = {
      sessionTimeout: options.sessionTimeout ?? 10_000,
      spinDelay: 100,
      retries: 0,
      ...(options.sessionId === undefined ? {} : { sessionId: options.sessionId }),
      ...(options.sessionPassword === undefined ? {} : { sessionPassword: options.sessionPassword }),
    };
    const raw = zookeeper.createClient(connectString, libOptions);
    const client = new Client(raw);
    return new Promise<Client>((resolve, reject) => {
      const timer = setTimeout(() => {
        raw.removeAllListeners('connected');
        raw.close();
        reject(new Error(`could not connect to ${connectString} within ${String(options.connectTimeoutMs ?? 10_000)} ms`));
      }, options.connectTimeoutMs ?? 10_000);
      raw.once('connected', () => {
        clearTimeout(timer);
        resolve(client);
      });
      raw.connect();
    });
  }

  get disconnects(): number {
    return this.#disconnects;
  }

  get expired(): boolean {
    return this.#expired;
  }

  get sessionId(): bigint {
    return this.raw.getSessionId().readBigInt64BE(0);
  }

  create(path: string, data: Buffer | string = '', mode: number = zookeeper.CreateMode.PERSISTENT): Promise<string> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    return new Promise((resolve, reject) => {
      this.raw.create(path, bytes, mode, (error, created) => (error ? reject(error) : resolve(created)));
    });
  }

  getData(path: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.raw.getData(path, (error, data) => (error ? reject(error) : resolve(data ?? Buffer.alloc(0))));
    });
  }

  setData(path: string, data: Buffer | string, version = -1): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    return new Promise((resolve, reject) => {
      this.raw.setData(path, bytes, version, (error) => (error ? reject(error) : resolve()));
    });
  }

  exists(path: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.raw.exists(path, (error, stat) => (error ? reject(error) : resolve(stat !== null && stat !== undefined)));
    });
  }

  children(path: string): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.raw.getChildren(path, (error, children) => (error ? reject(error) : resolve([...children].sort())));
    });
  }

  /** closeSession, then waits (bounded) for the connection to go. */
  close(timeoutMs = 3000): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.raw.once('disconnected', done);
      this.raw.close();
    });
  }
}

// ---- raw sessions ----------------------------------------------------------------------------------

export interface NodeView {
  readonly data: string;
  readonly stat: Stat;
}

/** A raw session on one member, with the few reads the tests need and `sync`. */
export class RawClient {
  readonly session: RawSession;
  readonly member: Member;

  private constructor(session: RawSession, member: Member) {
    this.session = session;
    this.member = member;
  }

  static async open(member: Member, options: { timeOut?: number; sessionId?: bigint; passwd?: Uint8Array } = {}): Promise<RawClient> {
    const session = await RawSession.connect(
      { host: '127.0.0.1', port: member.clientPort },
      {
        timeOut: options.timeOut ?? 10_000,
        connectTimeoutMs: 3000,
        ...(options.sessionId === undefined ? {} : { sessionId: options.sessionId }),
        ...(options.passwd === undefined ? {} : { passwd: options.passwd }),
      },
    );
    return new RawClient(session, member);
  }

  async #call(request: { op: number; body: Buffer }, timeoutMs = 5000): Promise<{ err: number; zxid: bigint; body: Buffer }> {
    const reply = await this.session.request(request.op, request.body, { timeoutMs });
    return { err: reply.header.err, zxid: reply.header.zxid, body: reply.body };
  }

  /** sync(path): the member has caught up with the leader as of now. */
  async sync(path = '/'): Promise<void> {
    const reply = await this.#call(req.sync(path));
    if (reply.err !== 0) throw new Error(`sync ${path} on member ${String(this.member.id)} failed with ${String(reply.err)}`);
  }

  /** getData, or null when the node does not exist. */
  async get(path: string): Promise<NodeView | null> {
    const reply = await this.#call(req.getData(path));
    if (reply.err === -101) return null;
    if (reply.err !== 0) throw new Error(`getData ${path} on member ${String(this.member.id)} failed with ${String(reply.err)}`);
    const response = readGetDataResponse(new JuteReader(reply.body));
    return { data: Buffer.from(response.data ?? Buffer.alloc(0)).toString('utf8'), stat: response.stat };
  }

  async children(path: string): Promise<string[] | null> {
    const reply = await this.#call(req.getChildren(path));
    if (reply.err === -101) return null;
    if (reply.err !== 0) throw new Error(`getChildren ${path} on member ${String(this.member.id)} failed with ${String(reply.err)}`);
    return [...readGetChildrenResponse(new JuteReader(reply.body)).children].sort();
  }

  /** create; resolves with the error code (0 = created) and the created path. */
  async create(path: string, data = '', flags = 0): Promise<{ err: number; path: string | null }> {
    const reply = await this.#call(req.create(path, data, { flags }));
    if (reply.err !== 0) return { err: reply.err, path: null };
    return { err: 0, path: readCreateResponse(new JuteReader(reply.body)).path };
  }

  ping(): Promise<unknown> {
    return this.session.ping(3000);
  }

  /** closeSession. */
  async close(): Promise<void> {
    await this.session.close(3000);
  }

  /** Drops the TCP connection without closeSession: the session lives on until it expires. */
  async drop(): Promise<void> {
    await this.session.disconnect();
  }
}

/**
 * Opens a raw session on the member, syncs, runs `read`, and closes the session. A member that is
 * between roles (a leader change on a loaded machine) closes client connections, as 3.8 does: the
 * read is tried again on a fresh session until `timeoutMs`.
 */
export async function syncedRead<T>(member: Member, read: (client: RawClient) => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let client: RawClient | null = null;
    try {
      client = await RawClient.open(member);
      await client.sync('/');
      return await read(client);
    } catch (error) {
      if (!isConnectionLoss(error) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await client?.close().catch(() => undefined);
    }
  }
}

function isConnectionLoss(error: unknown): boolean {
  if (error instanceof ConnectionClosedError) return true;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE';
}

/** Every node under `root` (recursive) with its data, as seen on one member after sync. */
export async function dumpTree(member: Member, root: string): Promise<Map<string, string>> {
  return syncedRead(member, async (client) => {
    const out = new Map<string, string>();
    const walk = async (path: string): Promise<void> => {
      const node = await client.get(path);
      if (node === null) return;
      out.set(path, node.data);
      const kids = (await client.children(path)) ?? [];
      for (const kid of kids) await walk(path === '/' ? `/${kid}` : `${path}/${kid}`);
    };
    await walk(root);
    return out;
  });
}

/** Runs `count` async jobs with at most `concurrency` in flight. */
export async function inParallel(count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await job(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, () => worker()));
}
