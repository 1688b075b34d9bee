// The client library (src/client) against our server and against Apache ZooKeeper 3.8: typed
// results and errors, watches, multi, and the connection behaviour: reconnecting to the next
// server of the connect string with the same session (watches re-registered, changes made while
// away notified), ConnectionLoss for requests in flight, pings keeping an idle session alive, a
// silent server detected, expiry, authentication failure and chroot.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZooKeeperClient, ZooKeeperError, IllegalArgumentError, type WatchedEvent } from '../../src/client/index.js';
import { freePort } from '../support/free-port.js';
import { startJavaZooKeeper, type RunningZooKeeper } from '../support/java-zookeeper.js';
import { startOurServer } from '../support/our-server.js';
import { TcpProxy, startServers } from './support.js';

const kinds = ['ours', 'java'] as const;
const servers = new Map<(typeof kinds)[number], RunningZooKeeper>();

beforeAll(async () => {
  const [ours, java] = await startServers([startOurServer, startJavaZooKeeper]);
  if (ours === undefined || java === undefined) throw new Error('servers not started');
  servers.set('ours', ours);
  servers.set('java', java);
});

afterAll(async () => {
  await Promise.allSettled([...servers.values()].map((s) => s.stop()));
});

function address(kind: (typeof kinds)[number]): string {
  const s = servers.get(kind);
  if (s === undefined) throw new Error('server not started');
  return `127.0.0.1:${String(s.port)}`;
}

/** Collects events and lets a test wait for one. */
class EventLog {
  readonly events: WatchedEvent[] = [];
  readonly #waiters: { match: (e: WatchedEvent) => boolean; resolve: (e: WatchedEvent) => void }[] = [];

  readonly watcher = (event: WatchedEvent): void => {
    this.events.push(event);
    for (const w of [...this.#waiters]) {
      if (w.match(event)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(event);
      }
    }
  };

  next(match: (e: WatchedEvent) => boolean, timeoutMs = 10_000): Promise<WatchedEvent> {
    const seen = this.events.find(match);
    if (seen !== undefined) {
      this.events.splice(this.events.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise<WatchedEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching event within ${String(timeoutMs)} ms; got ${JSON.stringify(this.events)}`)), timeoutMs);
      this.#waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          this.events.splice(this.events.indexOf(e), 1);
          resolve(e);
        },
      });
    });
  }

  states(): string[] {
    return this.events.filter((e) => e.type === 'None').map((e) => e.state);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe.each(kinds)('client library against %s', (kind) => {
  it('creates, reads, updates and deletes with typed results and Java-like errors', async () => {
    const zk = await ZooKeeperClient.connect(address(kind));
    try {
      expect(zk.state).toBe('CONNECTED');
      expect(zk.sessionId).not.toBe(0n);
      const created = await zk.create('/lib', 'root');
      expect(created.path).toBe('/lib');
      expect(created.stat.version).toBe(0);
      const seq = await zk.create('/lib/s-', new Uint8Array([1, 2]), { mode: 'persistentSequential' });
      expect(seq.path).toMatch(/^\/lib\/s-\d{10}$/u);
      const { data, stat } = await zk.getData('/lib');
      expect(data?.toString()).toBe('root');
      expect(stat.numChildren).toBe(1);
      expect((await zk.setData('/lib', 'v2', 0)).version).toBe(1);
      const badVersion = await rejection(zk.setData('/lib', 'v3', 0));
      expect(ZooKeeperError.is(badVersion, 'badVersion')).toBe(true);
      expect((badVersion as ZooKeeperError).message).toBe('KeeperErrorCode = BadVersion for /lib');
      expect(await zk.exists('/lib/none')).toBeNull();
      const noNode = await rejection(zk.getData('/lib/none'));
      expect(noNode).toBeInstanceOf(ZooKeeperError);
      expect((noNode as ZooKeeperError).code).toBe(-101);
      expect((noNode as ZooKeeperError).path).toBe('/lib/none');
      expect(await rejection(zk.create('/lib/', 'x'))).toBeInstanceOf(IllegalArgumentError);
      expect(ZooKeeperError.is(await rejection(zk.create('/lib/x', 'x', { acl: [] })), 'invalidACL')).toBe(true);
      expect((await zk.create('/lib/nodata')).path).toBe('/lib/nodata');
      expect((await zk.getData('/lib/nodata')).data).toBeNull();
      expect((await zk.getChildren('/lib')).children.sort()).toEqual(['nodata', seq.path.slice(5)].sort());
      expect((await zk.getACL('/lib')).acl).toEqual([{ perms: 31, id: { scheme: 'world', id: 'anyone' } }]);
      expect((await zk.setACL('/lib/nodata', [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }])).aversion).toBe(1);
      expect(ZooKeeperError.is(await rejection(zk.delete('/lib/none/x')), 'noNode')).toBe(true);
      expect(ZooKeeperError.is(await rejection(zk.delete('/lib/nodata/x')), 'noAuth')).toBe(true);
      await zk.create('/lib/e', 'x', { mode: 'ephemeral' });
      expect(await zk.getEphemerals('/lib')).toEqual(['/lib/e']);
      expect(await zk.getAllChildrenNumber('/lib')).toBe(3);
      await zk.sync('/lib');
      expect(await zk.whoAmI()).toEqual([{ authScheme: 'ip', user: '127.0.0.1' }]);
      await zk.addAuth('digest', 'alice:secret');
      expect((await zk.whoAmI()).map((i) => i.authScheme).sort()).toEqual(['digest', 'ip']);
      const multi = await zk.multi([
        { type: 'create', path: '/lib/m', data: 'a' },
        { type: 'setData', path: '/lib/m', data: 'b' },
        { type: 'check', path: '/lib/m', version: 1 },
        { type: 'delete', path: '/lib/m' },
      ]);
      expect(multi.map((r) => r.type)).toEqual(['create', 'setData', 'check', 'delete']);
      const failed = await rejection(zk.multi([{ type: 'create', path: '/lib/m2' }, { type: 'delete', path: '/lib/none' }]));
      expect(ZooKeeperError.is(failed, 'noNode')).toBe(true);
      expect((failed as ZooKeeperError).results).toEqual([
        { type: 'error', err: 0 },
        { type: 'error', err: -101 },
      ]);
      expect(await zk.exists('/lib/m2')).toBeNull();
      for (const child of (await zk.getChildren('/lib')).children) await zk.delete(`/lib/${child}`);
      await zk.delete('/lib');
    } finally {
      await zk.close();
    }
    expect(zk.state).toBe('CLOSED');
    expect(ZooKeeperError.is(await rejection(zk.getData('/')), 'sessionExpired')).toBe(true);
  });

  it('delivers watches: one-shot data, child and exists watches, persistent ones, per-call watchers', async () => {
    const log = new EventLog();
    const zk = await ZooKeeperClient.connect(address(kind), { watcher: log.watcher });
    const other = await ZooKeeperClient.connect(address(kind));
    try {
      await log.next((e) => e.state === 'SyncConnected');
      await zk.create('/w', 'x');
      await zk.getData('/w', { watch: true });
      await zk.getChildren('/w', { watch: true });
      expect(await zk.exists('/w/later', { watch: true })).toBeNull();
      const custom: WatchedEvent[] = [];
      await zk.getData('/w', { watch: (e) => custom.push(e) });
      await other.setData('/w', 'y');
      expect(await log.next((e) => e.type === 'NodeDataChanged')).toEqual({ type: 'NodeDataChanged', state: 'SyncConnected', path: '/w' });
      await other.create('/w/later', 'z');
      await log.next((e) => e.type === 'NodeCreated' && e.path === '/w/later');
      await log.next((e) => e.type === 'NodeChildrenChanged' && e.path === '/w');
      expect(custom).toEqual([{ type: 'NodeDataChanged', state: 'SyncConnected', path: '/w' }]);
      // One-shot: a second change is not notified; a persistent recursive watch is, every time.
      await other.setData('/w', 'again');
      await zk.addWatch('/w', 'persistentRecursive');
      await other.setData('/w/later', '1');
      await other.setData('/w/later', '2');
      await log.next((e) => e.type === 'NodeDataChanged' && e.path === '/w/later');
      await log.next((e) => e.type === 'NodeDataChanged' && e.path === '/w/later');
      expect(log.events.filter((e) => e.type === 'NodeDataChanged' && e.path === '/w')).toEqual([]);
      await other.delete('/w/later');
      await other.delete('/w');
    } finally {
      await Promise.all([zk.close(), other.close()]);
    }
    expect(log.states()).toContain('Closed');
  });

  it('reconnects to the next server of the connect string with the same session and re-registers its watches', async () => {
    const target = servers.get(kind)?.port ?? 0;
    const first = new TcpProxy(target);
    await first.start();
    const secondPort = await freePort();
    const log = new EventLog();
    const zk = new ZooKeeperClient(`127.0.0.1:${String(first.port)},127.0.0.1:${String(secondPort)}`, {
      shuffleServers: false,
      reconnectDelayMs: 50,
      watcher: log.watcher,
    });
    const other = await ZooKeeperClient.connect(address(kind));
    let second: TcpProxy | undefined;
    try {
      await zk.waitConnected(10_000);
      await log.next((e) => e.state === 'SyncConnected');
      expect(zk.server).toBe(`127.0.0.1:${String(first.port)}`);
      const sessionId = zk.sessionId;
      await zk.create('/rc', 'x');
      await zk.create('/rc/eph', 'mine', { mode: 'ephemeral' });
      await zk.getData('/rc', { watch: true });
      await zk.getChildren('/rc', { watch: true });
      // (On its own path: 3.8 servers keep one watch mode per path and connection.)
      await zk.create('/rc-tree', 't');
      const recursive: WatchedEvent[] = [];
      await zk.addWatch('/rc-tree', 'persistentRecursive', (e) => recursive.push(e));
      // The first server goes away for good; the second is not up yet.
      await first.close();
      await log.next((e) => e.state === 'Disconnected');
      expect(zk.state).toBe('CONNECTING');
      // Asked while away: answered after the reconnect, or failed by an attempt that found no server.
      const whileAway = zk.getData('/rc/eph').then(
        (r) => r.data?.toString(),
        (e: unknown) => (ZooKeeperError.is(e, 'connectionLoss') ? 'connectionLoss' : e),
      );
      // A change while the client is away: notified once the watch is re-registered (SetWatches with lastZxid).
      await other.setData('/rc', 'changed while away');
      await other.setData('/rc-tree', 'changed while away');
      second = new TcpProxy(target);
      await second.start(secondPort);
      await log.next((e) => e.state === 'SyncConnected');
      expect(zk.sessionId).toBe(sessionId);
      expect(zk.server).toBe(`127.0.0.1:${String(secondPort)}`);
      expect(await log.next((e) => e.type === 'NodeDataChanged')).toEqual({ type: 'NodeDataChanged', state: 'SyncConnected', path: '/rc' });
      expect(['mine', 'connectionLoss']).toContain(await whileAway);
      // The session survived: its ephemeral is still there, and the child watch still works.
      expect((await other.getData('/rc/eph')).stat.ephemeralOwner).toBe(sessionId);
      await other.create('/rc/new', 'n');
      await log.next((e) => e.type === 'NodeChildrenChanged' && e.path === '/rc');
      expect((await zk.getData('/rc/eph')).data?.toString()).toBe('mine');
      // The persistent recursive watch came back too (SetWatches2). A 3.8 server does not catch
      // persistent watches up on changes made while away: only what happens after the reconnect fires.
      await other.create('/rc-tree/c', 'c');
      await zk.sync('/rc-tree');
      expect(recursive.filter((e) => e.type !== 'None')).toEqual([{ type: 'NodeCreated', state: 'SyncConnected', path: '/rc-tree/c' }]);
    } finally {
      await zk.close();
      await other.delete('/rc/new').catch(() => undefined);
      await other.delete('/rc').catch(() => undefined);
      await other.delete('/rc-tree/c').catch(() => undefined);
      await other.delete('/rc-tree').catch(() => undefined);
      await other.close();
      await first.close();
      await second?.close();
    }
  });

  it('fails requests in flight with ConnectionLoss when the connection drops, then carries on', async () => {
    const proxy = new TcpProxy(servers.get(kind)?.port ?? 0);
    await proxy.start();
    const zk = await ZooKeeperClient.connect(`127.0.0.1:${String(proxy.port)}`, { reconnectDelayMs: 50 });
    try {
      proxy.stall();
      const pending = rejection(zk.getData('/'));
      await sleep(100);
      proxy.cut();
      expect(ZooKeeperError.is(await pending, 'connectionLoss')).toBe(true);
      await zk.waitConnected(10_000);
      expect((await zk.exists('/'))?.numChildren).toBeGreaterThan(0);
    } finally {
      await zk.close();
      await proxy.close();
    }
  });

  it('reports an expired session when resuming a closed one', async () => {
    const first = await ZooKeeperClient.connect(address(kind));
    const session = { id: first.sessionId, passwd: first.sessionPasswd };
    await first.close();
    const log = new EventLog();
    const resumed = new ZooKeeperClient(address(kind), { session, watcher: log.watcher });
    await log.next((e) => e.state === 'Expired');
    expect(resumed.state).toBe('CLOSED');
    expect(ZooKeeperError.is(await rejection(resumed.getData('/')), 'sessionExpired')).toBe(true);
    expect(ZooKeeperError.is(await rejection(resumed.waitConnected(100)), 'sessionExpired')).toBe(true);
  });

  it('resumes a live session from another client object with its id and password', async () => {
    const first = await ZooKeeperClient.connect(address(kind));
    await first.create('/resume', 'x', { mode: 'ephemeral' });
    const resumed = await ZooKeeperClient.connect(address(kind), { session: { id: first.sessionId, passwd: first.sessionPasswd } });
    try {
      expect(resumed.sessionId).toBe(first.sessionId);
      expect((await resumed.getEphemerals()).includes('/resume')).toBe(true);
    } finally {
      await resumed.close();
      await first.close();
    }
  });

  it('ends the session on a refused authentication (AuthFailed)', async () => {
    const log = new EventLog();
    const zk = await ZooKeeperClient.connect(address(kind), { watcher: log.watcher });
    const refused = rejection(zk.addAuth('nosuchscheme', 'x'));
    const inFlight = rejection(zk.whoAmI());
    expect(ZooKeeperError.is(await refused, 'authFailed')).toBe(true);
    await log.next((e) => e.state === 'AuthFailed');
    expect(zk.state).toBe('AUTH_FAILED');
    expect(ZooKeeperError.is(await inFlight, 'authFailed')).toBe(true);
    expect(ZooKeeperError.is(await rejection(zk.getData('/')), 'authFailed')).toBe(true);
    await zk.close();
  });

  it('keeps paths under a chroot', async () => {
    const root = await ZooKeeperClient.connect(address(kind));
    await root.create('/chroot', 'x');
    const log = new EventLog();
    const zk = await ZooKeeperClient.connect(`${address(kind)}/chroot`, { watcher: log.watcher });
    try {
      expect((await zk.create('/a', 'in chroot')).path).toBe('/a');
      expect((await zk.create('/s-', 's', { mode: 'persistentSequential' })).path).toMatch(/^\/s-\d{10}$/u);
      expect((await root.getData('/chroot/a')).data?.toString()).toBe('in chroot');
      expect((await zk.getChildren('/')).children.sort()).toEqual((await root.getChildren('/chroot')).children.sort());
      await zk.getData('/a', { watch: true });
      await root.setData('/chroot/a', 'changed');
      expect(await log.next((e) => e.type === 'NodeDataChanged')).toEqual({ type: 'NodeDataChanged', state: 'SyncConnected', path: '/a' });
      const multi = await zk.multi([{ type: 'create', path: '/b' }, { type: 'delete', path: '/b' }]);
      expect(multi[0]).toEqual({ type: 'create', path: '/b', stat: null });
    } finally {
      await zk.close();
      for (const child of (await root.getChildren('/chroot')).children) await root.delete(`/chroot/${child}`);
      await root.delete('/chroot');
      await root.close();
    }
  });
});

describe('client library: pings and read timeout (our server)', () => {
  it('pings keep an idle session alive, and a silent server is left for the next attempt', async () => {
    const proxy = new TcpProxy(servers.get('ours')?.port ?? 0);
    await proxy.start();
    const log = new EventLog();
    // tickTime 2000: 4000 ms is the smallest timeout the server grants; pings go every 4000/3 ms.
    const zk = await ZooKeeperClient.connect(`127.0.0.1:${String(proxy.port)}`, { sessionTimeoutMs: 4000, reconnectDelayMs: 50, watcher: log.watcher });
    try {
      expect(zk.negotiatedTimeoutMs).toBe(4000);
      await log.next((e) => e.state === 'SyncConnected');
      const sessionId = zk.sessionId;
      await zk.create('/idle', 'x', { mode: 'ephemeral' });
      await sleep(5500);
      expect(log.states()).toEqual([]);
      expect((await zk.exists('/idle'))?.ephemeralOwner).toBe(sessionId);
      // Nothing comes back any more: after two thirds of the timeout the client gives up on this connection.
      proxy.stall();
      const started = Date.now();
      await log.next((e) => e.state === 'Disconnected');
      const silentFor = Date.now() - started;
      expect(silentFor).toBeGreaterThanOrEqual(2000);
      expect(silentFor).toBeLessThan(4000);
      await log.next((e) => e.state === 'SyncConnected');
      expect(zk.sessionId).toBe(sessionId);
      expect((await zk.exists('/idle'))?.ephemeralOwner).toBe(sessionId);
      expect(log.states()).toEqual([]);
    } finally {
      await zk.close();
      await proxy.close();
    }
  });
});
