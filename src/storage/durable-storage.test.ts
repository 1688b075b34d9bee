// DurableStorage over a real FileTxnLog: the snapshot policy rolls the log between batches, also
// when it fires while a batch is on its way to the disk, and every txn ends up in exactly one file.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logging/logger.js';
import { DurableStorage } from './durable-storage.js';
import { FileTxnLog } from './txn-log.js';
import { scanLog, zxidOfFileName } from './txn-log-format.js';

function txnBytes(zxid: bigint): Buffer {
  return Buffer.from(`txn ${zxid.toString()}`);
}

/** File name -> zxids of its entries, in zxid order of the files. */
function filesOnDisk(directory: string): [string, bigint[]][] {
  return readdirSync(directory)
    .map((name) => ({ name, zxid: zxidOfFileName(name, 'log') }))
    .filter((file): file is { name: string; zxid: bigint } => file.zxid !== null)
    .sort((a, b) => (a.zxid < b.zxid ? -1 : 1))
    .map((file) => {
      const scan = scanLog(readFileSync(join(directory, file.name)), 1 << 20);
      if ('headerError' in scan) throw new Error(`${file.name}: ${scan.headerError}`);
      return [file.name, scan.entries.map((entry) => BigInt(entry.txnBytes.toString('latin1').split(' ')[1] ?? '-1'))];
    });
}

describe('DurableStorage', () => {
  let directory: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'durable-storage-test-'));
  });

  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('rolls the log and starts a snapshot every snapCount/2 + random txns, with flushes overlapping', async () => {
    const log = new FileTxnLog({ directory, preAllocBytes: 64 * 1024, forceSync: true }, silentLogger);
    const snapshotsAt: bigint[] = [];
    let zxid = 0n;
    // snapCount 10 and a random share of 0: a snapshot after every 6th txn (more than 10/2).
    const storage = new DurableStorage(log, { snapCount: 10, snapSizeLimitBytes: 0, randomBelow: () => 0 }, () => snapshotsAt.push(zxid), silentLogger);
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      zxid++;
      storage.appendEncoded(zxid, txnBytes(zxid));
      // A flush every third txn, not awaited: rolls are asked for while batches are in flight.
      if (i % 3 === 2) flushes.push(storage.flush());
      if (i % 4 === 3) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    flushes.push(storage.flush());
    await Promise.all(flushes);
    await log.close();

    expect(snapshotsAt).toEqual([6n, 12n, 18n]);
    const files = filesOnDisk(directory);
    // Each file starts where a batch started, at or after a roll; together they hold every txn once.
    // A roll asked for while a file is being created applies to the next batch (it is not lost).
    expect(files.flatMap(([, zxids]) => zxids)).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i + 1)));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const [name, zxids] of files) expect(name).toBe(`log.${(zxids[0] ?? 0n).toString(16)}`);
  });

  it('abandonUnflushed reaches the log: the flush waiting for dropped txns is refused, the log goes on', async () => {
    const log = new FileTxnLog({ directory, preAllocBytes: 64 * 1024, forceSync: true }, silentLogger);
    const storage = new DurableStorage(log, { snapCount: 100_000, snapSizeLimitBytes: 0, randomBelow: () => 0 }, () => undefined, silentLogger);
    storage.appendEncoded(1n, txnBytes(1n));
    await storage.flush();
    storage.appendEncoded(2n, txnBytes(2n));
    const dropped = expect(storage.flush()).rejects.toThrow('dropped');
    await expect(storage.abandonUnflushed()).resolves.toBe(1n);
    await dropped;
    storage.appendEncoded(3n, txnBytes(3n));
    await storage.flush();
    await log.close();
    expect(filesOnDisk(directory)).toEqual([['log.1', [1n, 3n]]]);
  });
});
