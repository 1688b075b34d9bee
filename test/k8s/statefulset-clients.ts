// Clients of the three-pod rehearsal, run from the test process (the node) to the pod IPs:
// node-zookeeper-client behind promises, `srvr` to see each member's mode, a wait for a whole ensemble
// in quorum, and a writer that creates znodes continuously and remembers which creates were
// acknowledged (a create that fails or loses its connection is not acknowledged: it may or may not
// have happened).

import { connect as netConnect } from 'node:net';
import zookeeper from 'node-zookeeper-client';
import { sleep } from './statefulset-pods.js';

export type ZkClient = ReturnType<typeof zookeeper.createClient>;

export function fourLetterWord(host: string, word: string, port = 2181, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = netConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${word} to ${host}:${String(port)} timed out`));
    }, timeoutMs);
    socket.on('connect', () => socket.end(word, 'latin1'));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

export interface MemberState {
  readonly host: string;
  /** leader, follower, standalone, or not serving / unreachable (with the reason). */
  readonly mode: string;
  readonly zxid: bigint | null;
}

export async function memberState(host: string): Promise<MemberState> {
  try {
    const srvr = await fourLetterWord(host, 'srvr');
    const mode = /^Mode: (\S+)$/m.exec(srvr)?.[1];
    const zxid = /^Zxid: (0x[0-9a-f]+)$/m.exec(srvr)?.[1];
    return { host, mode: mode ?? `not serving: ${srvr.trim()}`, zxid: zxid === undefined ? null : BigInt(zxid) };
  } catch (error) {
    return { host, mode: `unreachable: ${error instanceof Error ? error.message : String(error)}`, zxid: null };
  }
}

/** Waits until every host is a leader or follower, with exactly one leader; returns the states. */
export async function waitForQuorum(hosts: readonly string[], timeoutMs: number): Promise<MemberState[]> {
  const deadline = Date.now() + timeoutMs;
  let states: MemberState[] = [];
  while (Date.now() < deadline) {
    states = await Promise.all(hosts.map((h) => memberState(h)));
    const leaders = states.filter((s) => s.mode === 'leader').length;
    if (leaders === 1 && states.every((s) => s.mode === 'leader' || s.mode === 'follower')) return states;
    await sleep(100);
  }
  throw new Error(`no ensemble of ${hosts.join(', ')} within ${String(timeoutMs)} ms: ${JSON.stringify(states, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}`);
}

export function errorCode(error: unknown): number | null {
  if (typeof error === 'object' && error !== null && 'getCode' in error && typeof error.getCode === 'function') {
    const code: unknown = error.getCode();
    return typeof code === 'number' ? code : null;
  }
  return null;
}

/** A session with one of `hosts` (a connect string of them); resolves once connected. */
export function connect(hosts: readonly string[], timeoutMs = 15_000, sessionTimeout = 10_000): Promise<ZkClient> {
  return new Promise((resolve, reject) => {
    const client = zookeeper.createClient(hosts.map((h) => `${h}:2181`).join(','), { sessionTimeout, spinDelay: 100, retries: 0 });
    const timer = setTimeout(() => {
      client.close();
      reject(new Error(`no session with ${hosts.join(',')} within ${String(timeoutMs)} ms`));
    }, timeoutMs);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.connect();
  });
}

export async function withClient<T>(hosts: readonly string[], body: (client: ZkClient) => Promise<T>): Promise<T> {
  const client = await connect(hosts);
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

export interface Znode {
  readonly data: string;
  readonly czxid: string;
  readonly mzxid: string;
  readonly ctime: string;
  readonly version: number;
}

export function getZnode(client: ZkClient, path: string): Promise<Znode> {
  return new Promise((resolve, reject) => {
    client.getData(path, (error, data, stat) => {
      if (error) {
        reject(error);
        return;
      }
      resolve({
        data: data?.toString('utf8') ?? '',
        czxid: stat.czxid.toString('hex'),
        mzxid: stat.mzxid.toString('hex'),
        ctime: stat.ctime.toString('hex'),
        version: stat.version,
      });
    });
  });
}

export function create(client: ZkClient, path: string, data: string): Promise<string> {
  return new Promise((resolve, reject) => client.create(path, Buffer.from(data), (error, created) => (error ? reject(error) : resolve(created))));
}

export function children(client: ZkClient, path: string): Promise<string[]> {
  return new Promise((resolve, reject) => client.getChildren(path, (error, names) => (error ? reject(error) : resolve(names))));
}

/**
 * Reads the children of `path` as `host` serves them once caught up: a create through that member
 * first (a follower forwards it and applies commits in order, so when its reply arrives the member has
 * applied every write committed before it).
 */
export async function childrenCaughtUp(host: string, path: string, marker: string): Promise<string[]> {
  return withClient([host], async (client) => {
    await create(client, `${path === '/' ? '' : path}/${marker}`, host);
    return children(client, path);
  });
}

/** Retries `body` until it succeeds or the time is up (each attempt with a new session). */
export async function eventually<T>(timeoutMs: number, body: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      return await body();
    } catch (error) {
      last = error;
      await sleep(200);
    }
  }
  throw new Error(`gave up after ${String(timeoutMs)} ms: ${last instanceof Error ? last.message : String(last)}`);
}

export interface WriterReport {
  readonly acknowledged: readonly string[];
  readonly attempts: number;
  readonly failures: ReadonlyMap<string, number>;
  /** The longest time without an acknowledged write, ms. */
  readonly longestStallMs: number;
  readonly sessions: number;
}

/**
 * Creates <path>/w-<n> one after another, through a session with any of the members (the client moves
 * between them as they go away). A new session is opened when the current one expires or closes.
 */
export class ContinuousWriter {
  readonly #hosts: () => readonly string[];
  readonly #path: string;
  readonly #acknowledged: string[] = [];
  readonly #failures = new Map<string, number>();
  #attempts = 0;
  #sessions = 0;
  #stopped = false;
  #lastAckMs = Date.now();
  #longestStallMs = 0;
  #loop: Promise<void> | null = null;
  #client: ZkClient | null = null;

  /** `hosts` is asked again for each new session (pods come back with new IPs). */
  constructor(hosts: () => readonly string[], path: string) {
    this.#hosts = hosts;
    this.#path = path;
  }

  get acknowledgedCount(): number {
    return this.#acknowledged.length;
  }

  start(): void {
    this.#lastAckMs = Date.now();
    this.#loop = this.#run();
  }

  #fail(reason: string): void {
    this.#failures.set(reason, (this.#failures.get(reason) ?? 0) + 1);
  }

  async #run(): Promise<void> {
    let n = 0;
    while (!this.#stopped) {
      let client: ZkClient;
      const hosts = this.#hosts().join(',');
      try {
        client = await connect(this.#hosts(), 5000, 6000);
        this.#client = client;
        this.#sessions++;
      } catch {
        this.#fail('no session');
        await sleep(100);
        continue;
      }
      let dead = false;
      client.once('expired', () => {
        dead = true;
      });
      while (!this.#stopped && !dead) {
        const name = `w-${String(n++).padStart(8, '0')}`;
        this.#attempts++;
        try {
          // A create queued on a client that cannot reach any member would wait forever: after 8 s it
          // counts as not acknowledged and the writer starts a new session with the current members.
          await Promise.race([create(client, `${this.#path}/${name}`, name), sleep(8000).then(() => Promise.reject(new Error('no answer in 8 s')))]);
          const now = Date.now();
          this.#longestStallMs = Math.max(this.#longestStallMs, now - this.#lastAckMs);
          this.#lastAckMs = now;
          this.#acknowledged.push(name);
        } catch (error) {
          const code = errorCode(error);
          this.#fail(code === null ? String(error) : `code ${String(code)}`);
          // A session whose members all left (pods recreated with new IPs) cannot come back: a client
          // that resolves names would find them; this one is given addresses, so it starts over.
          if (code === null || code === zookeeper.Exception.SESSION_EXPIRED || this.#hosts().join(',') !== hosts) dead = true;
          await sleep(50);
        }
      }
      client.close();
    }
  }

  async stop(): Promise<WriterReport> {
    this.#stopped = true;
    // A create still waiting for its answer is not acknowledged; closing the session ends it.
    await Promise.race([this.#loop, sleep(15_000)]);
    this.#client?.close();
    await this.#loop;
    this.#longestStallMs = Math.max(this.#longestStallMs, Date.now() - this.#lastAckMs);
    return {
      acknowledged: [...this.#acknowledged],
      attempts: this.#attempts,
      failures: new Map(this.#failures),
      longestStallMs: this.#longestStallMs,
      sessions: this.#sessions,
    };
  }
}
