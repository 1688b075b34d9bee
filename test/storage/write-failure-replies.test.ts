// What clients are told when the txn log fails under them, with the log replaced by a scripted one
// so the moment of failure is exact: a write whose txn reached the disk is acknowledged (recovery
// would bring it back) even when the flush that covers it fails later; every txn after the durable
// end is refused with NotReadOnly, as is every later write, while reads go on.

import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, ZooKeeperClient } from '../../src/client/index.js';
import type { TxnStorage } from '../../src/replica/ports.js';
import type { Txn } from '../../src/txn/txn.js';
import { startInProcessServer, type InProcessServer } from '../support/in-process-server.js';

interface PendingFlush {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** Records appends; each flush waits until the test settles it; abandonUnflushed reports `durableZxid`. */
class ScriptedStorage implements TxnStorage {
  readonly appended: bigint[] = [];
  readonly #flushes: PendingFlush[] = [];
  #flushWaiters: (() => void)[] = [];
  durableZxid = -1n;

  append(txn: Txn): void {
    this.appended.push(txn.header.zxid);
  }

  flush(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#flushes.push({ resolve, reject });
      for (const wake of this.#flushWaiters.splice(0)) wake();
    });
  }

  abandonUnflushed(): Promise<bigint | null> {
    return Promise.resolve(this.durableZxid);
  }

  /** The oldest flush not yet settled, once the server has asked for one. */
  async nextFlush(): Promise<PendingFlush> {
    while (this.#flushes.length === 0) await new Promise<void>((resolve) => this.#flushWaiters.push(resolve));
    return this.#flushes.shift() as PendingFlush;
  }

  async appendedCount(count: number): Promise<void> {
    while (this.appended.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let server: InProcessServer | null = null;
let client: ZooKeeperClient | null = null;
afterEach(async () => {
  await client?.close();
  client = null;
  await server?.stop();
  server = null;
});

function errorCodeOf(promise: Promise<unknown>): Promise<number> {
  return promise.then(
    () => ErrorCode.ok,
    (error: unknown) => (error as { code: number }).code,
  );
}

describe('a txn log failure', () => {
  it('acknowledges the txns that reached the disk past the last answered flush, refuses the rest', async () => {
    const storage = new ScriptedStorage();
    server = await startInProcessServer({ storage });
    const connecting = ZooKeeperClient.connect(server.connectString, { sessionTimeoutMs: 30_000 });
    (await storage.nextFlush()).resolve(); // createSession
    client = await connecting;
    const sessionTxns = storage.appended.length;

    const a = errorCodeOf(client.create('/a', 'first'));
    const first = await storage.nextFlush();
    const b = errorCodeOf(client.create('/b', 'written while /a was flushed'));
    const c = errorCodeOf(client.create('/c', 'never written'));
    await storage.appendedCount(sessionTxns + 3);
    const [zxidA, zxidB] = storage.appended.slice(sessionTxns) as [bigint, bigint];
    first.resolve();
    expect(await a).toBe(ErrorCode.ok);

    // The flush covering /b and /c fails; the log says /b had reached the disk, /c had not.
    const second = await storage.nextFlush();
    expect(zxidB).toBeGreaterThan(zxidA);
    storage.durableZxid = zxidB;
    second.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    expect(await b).toBe(ErrorCode.ok);
    expect(await c).toBe(ErrorCode.notReadOnly);

    expect((await client.getData('/b')).data?.toString()).toBe('written while /a was flushed');
    expect(await client.exists('/c')).toBeNull();
    expect(await errorCodeOf(client.create('/d', 'after the failure'))).toBe(ErrorCode.notReadOnly);
    expect(await errorCodeOf(client.setData('/a', 'changed'))).toBe(ErrorCode.notReadOnly);
  });
});
