// Our server driven by a real, unmodified client library (node-zookeeper-client from npm) over real
// sockets: the operations applications use, with the results ZooKeeper 3.8 gives.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import zookeeper from 'node-zookeeper-client';
import { startInProcessServer, type InProcessServer } from '../support/in-process-server.js';

type Client = ReturnType<typeof zookeeper.createClient>;

function connect(connectString: string, sessionTimeout = 6000): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = zookeeper.createClient(connectString, { sessionTimeout, retries: 0 });
    const timer = setTimeout(() => reject(new Error('connect timeout')), 5000);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.connect();
  });
}

function call<T = unknown>(fn: (cb: (error: unknown, result?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((error, result) => (error ? reject(error as Error) : resolve(result as T))));
}

function errorCode(promise: Promise<unknown>): Promise<number> {
  return promise.then(
    () => 0,
    (error: unknown) => (error as { getCode(): number }).getCode(),
  );
}

describe('node-zookeeper-client against our server', () => {
  let server: InProcessServer;
  let client: Client;

  beforeAll(async () => {
    server = await startInProcessServer();
    client = await connect(server.connectString);
  });

  afterAll(async () => {
    client.close();
    await server.stop();
  });

  it('creates, reads, updates and deletes a znode with 3.8 stats', async () => {
    const path = await call<string>((cb) => client.create('/crud', Buffer.from('v1'), cb));
    expect(path).toBe('/crud');
    const [data, stat] = await new Promise<[Buffer, { version: number; dataLength: number; czxid: Buffer; mzxid: Buffer }]>((resolve, reject) =>
      client.getData('/crud', (error, d, s) => (error ? reject(error) : resolve([d, s as never]))),
    );
    expect(data.toString()).toBe('v1');
    expect(stat.version).toBe(0);
    expect(stat.dataLength).toBe(2);
    const stat2 = await call<{ version: number }>((cb) => client.setData('/crud', Buffer.from('v2'), -1, cb));
    expect(stat2.version).toBe(1);
    expect(await errorCode(call((cb) => client.setData('/crud', Buffer.from('v3'), 0, cb)))).toBe(-103);
    await call((cb) => client.remove('/crud', 1, cb));
    expect(await call((cb) => client.exists('/crud', cb))).toBeNull();
  });

  it('reports the errors ZooKeeper reports', async () => {
    expect(await errorCode(call((cb) => client.create('/missing/child', cb)))).toBe(-101);
    await call((cb) => client.create('/dup', cb));
    expect(await errorCode(call((cb) => client.create('/dup', cb)))).toBe(-110);
    await call((cb) => client.create('/dup/kid', cb));
    expect(await errorCode(call((cb) => client.remove('/dup', -1, cb)))).toBe(-111);
  });

  it('names sequential nodes from the parent cversion', async () => {
    await call((cb) => client.create('/seq', cb));
    const first = await call<string>((cb) => client.create('/seq/n-', zookeeper.CreateMode.PERSISTENT_SEQUENTIAL, cb));
    const second = await call<string>((cb) => client.create('/seq/n-', zookeeper.CreateMode.PERSISTENT_SEQUENTIAL, cb));
    expect(first).toBe('/seq/n-0000000000');
    expect(second).toBe('/seq/n-0000000001');
    const children = await call<string[]>((cb) => client.getChildren('/seq', cb));
    expect([...children].sort()).toEqual(['n-0000000000', 'n-0000000001']);
  });

  it('refuses children under an ephemeral node and removes ephemerals when the session closes', async () => {
    const other = await connect(server.connectString);
    await call((cb) => other.create('/eph', zookeeper.CreateMode.EPHEMERAL, cb));
    expect(await errorCode(call((cb) => other.create('/eph/child', cb)))).toBe(-108);
    expect(await call((cb) => client.exists('/eph', cb))).not.toBeNull();
    await new Promise<void>((resolve) => {
      other.once('disconnected', () => resolve());
      other.close();
    });
    expect(await call((cb) => client.exists('/eph', cb))).toBeNull();
  });

  it('delivers a data watch before the reply that reflects the change', async () => {
    await call((cb) => client.create('/watched', Buffer.from('a'), cb));
    const order: string[] = [];
    const fired = new Promise<string>((resolve) =>
      client.getData(
        '/watched',
        (event) => {
          order.push('event');
          resolve(event.getName());
        },
        () => undefined,
      ),
    );
    await call((cb) => client.setData('/watched', Buffer.from('b'), -1, cb));
    order.push('reply');
    expect(await fired).toBe('NODE_DATA_CHANGED');
    expect(order).toEqual(['event', 'reply']);
  });

  it('fires a child watch when a child is created', async () => {
    await call((cb) => client.create('/parent', cb));
    const fired = new Promise<string>((resolve) =>
      client.getChildren('/parent', (event) => resolve(event.getName()), () => undefined),
    );
    await call((cb) => client.create('/parent/kid', cb));
    expect(await fired).toBe('NODE_CHILDREN_CHANGED');
  });

  it('commits a multi all-or-nothing', async () => {
    await call((cb) => client.create('/tx', cb));
    const failure = await new Promise<{ error: unknown; results: { err: number }[] }>((resolve) =>
      client
        .transaction()
        .create('/tx/a')
        .check('/tx', 5)
        .commit((error, results) => resolve({ error, results: results as { err: number }[] })),
    );
    expect(failure.error).not.toBeNull();
    expect(await call((cb) => client.exists('/tx/a', cb))).toBeNull();
    const results = await call<unknown[]>((cb) => client.transaction().create('/tx/a').setData('/tx', Buffer.from('x'), 0).commit(cb));
    expect(results).toHaveLength(2);
    expect(await call((cb) => client.exists('/tx/a', cb))).not.toBeNull();
  });
});
