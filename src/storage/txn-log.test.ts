// FileTxnLog against real files: group commit under concurrent flush() calls, and restartAfter /
// abandonUnflushed arriving while a batch is on its way to the disk (what the ensemble shell does).
// Every write the log makes goes through FileHandle.writev; a spy records them, can hold one back
// (to keep a batch "in flight" for as long as a test needs) or make one fail.

import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { constants as fsConstants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../logging/logger.js';
import { FileTxnLog, StorageError } from './txn-log.js';
import { FILE_HEADER_BYTES, scanLog, zxidOfFileName } from './txn-log-format.js';

type Writev = FileHandle['writev'];
type Datasync = FileHandle['datasync'];

interface WriteRecord {
  readonly path: string;
  readonly position: number;
  readonly bytes: number;
}

/** What the spies saw: every write, how many ran at once, and how far each file is durable. */
class DiskWatch {
  readonly writes: WriteRecord[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Per file: bytes from 0 known to be on stable storage (an O_DSYNC write or a datasync returned). */
  readonly durableEnd = new Map<string, number>();
  readonly #writtenEnd = new Map<string, number>();
  /** Set to hold the next entry write (after it reached the kernel) until release() is called. */
  #hold: { wait: () => Promise<void> } | null = null;
  #failNext: Error | null = null;
  #writevSpy: ReturnType<typeof vi.spyOn> | null = null;
  #datasyncSpy: ReturnType<typeof vi.spyOn> | null = null;

  async install(): Promise<void> {
    const probe = await open(join(tmpdir(), `txn-log-probe-${process.pid}`), 'w');
    const proto = Object.getPrototypeOf(probe) as { writev: Writev; datasync: Datasync };
    await probe.close();
    rmSync(join(tmpdir(), `txn-log-probe-${process.pid}`), { force: true });
    const originalWritev = proto.writev;
    const originalDatasync = proto.datasync;
    const watch = this;
    this.#writevSpy = vi.spyOn(proto, 'writev').mockImplementation(async function (this: FileHandle, buffers, position) {
      const path = readlinkSync(`/proc/self/fd/${this.fd}`);
      const bytes = buffers.reduce((sum, b) => sum + b.byteLength, 0);
      const at = position ?? -1;
      watch.writes.push({ path, position: at, bytes });
      watch.inFlight++;
      watch.maxInFlight = Math.max(watch.maxInFlight, watch.inFlight);
      // Only writes of entries are held or failed, never a new file's header.
      const entryWrite = at >= FILE_HEADER_BYTES;
      const hold = entryWrite ? watch.#hold : null;
      if (hold !== null) watch.#hold = null;
      const failure = entryWrite ? watch.#failNext : null;
      if (failure !== null) watch.#failNext = null;
      try {
        if (failure !== null) {
          await hold?.wait();
          throw failure;
        }
        const result = await originalWritev.call(this, buffers, position);
        const end = at + result.bytesWritten;
        watch.#writtenEnd.set(path, Math.max(watch.#writtenEnd.get(path) ?? 0, end));
        if (hasDsync(this.fd)) watch.#markDurable(path, end);
        await hold?.wait();
        return result;
      } finally {
        watch.inFlight--;
      }
    });
    this.#datasyncSpy = vi.spyOn(proto, 'datasync').mockImplementation(async function (this: FileHandle) {
      const path = readlinkSync(`/proc/self/fd/${this.fd}`);
      const end = watch.#writtenEnd.get(path) ?? 0;
      await originalDatasync.call(this);
      watch.#markDurable(path, end);
    });
  }

  restore(): void {
    this.#writevSpy?.mockRestore();
    this.#datasyncSpy?.mockRestore();
  }

  #markDurable(path: string, end: number): void {
    this.durableEnd.set(path, Math.max(this.durableEnd.get(path) ?? 0, end));
  }

  /** Holds the next entry write once it has reached the kernel; `held` resolves when it is held. */
  holdNextWrite(): { held: Promise<void>; release: () => void } {
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reached = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      reached = resolve;
    });
    this.#hold = {
      wait: () => {
        reached();
        return released;
      },
    };
    return { held, release };
  }

  /** The next entry write fails with `error` (after being held, if a hold is set too). */
  failNextWrite(error: Error): void {
    this.#failNext = error;
  }
}

/** Whether the descriptor was opened with O_DSYNC (Linux: the flags line of /proc/self/fdinfo, octal). */
function hasDsync(fd: number): boolean {
  const dsync = (fsConstants as { O_DSYNC?: number }).O_DSYNC;
  if (dsync === undefined) return false;
  const match = /^flags:\s+([0-7]+)$/mu.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  return match?.[1] !== undefined && (Number.parseInt(match[1], 8) & dsync) === dsync;
}

function txnBytes(zxid: bigint): Buffer {
  // Varying sizes, so an entry written at a wrong offset cannot line up by accident.
  return Buffer.from(`txn ${zxid.toString()} ${'x'.repeat(Number(zxid % 37n))}`);
}

/** The zxids in every log file of the directory, file by file in zxid order, read back from disk. */
function zxidsOnDisk(directory: string): bigint[][] {
  return readdirSync(directory)
    .map((name) => ({ name, zxid: zxidOfFileName(name, 'log') }))
    .filter((file): file is { name: string; zxid: bigint } => file.zxid !== null)
    .sort((a, b) => (a.zxid < b.zxid ? -1 : 1))
    .map((file) => {
      const scan = scanLog(readFileSync(join(directory, file.name)), 1 << 20);
      if ('headerError' in scan) throw new Error(`${file.name}: ${scan.headerError}`);
      expect(scan.end.kind, `${file.name} ends cleanly`).toBe('end');
      return scan.entries.map((entry) => BigInt(entry.txnBytes.toString('latin1').split(' ')[1] ?? '-1'));
    });
}

function range(from: number, to: number): bigint[] {
  const zxids: bigint[] = [];
  for (let z = from; z <= to; z++) zxids.push(BigInt(z));
  return zxids;
}

function entryBytes(zxid: bigint): number {
  return txnBytes(zxid).length + 13;
}

/** Bytes of the file that holds zxids `first`..`last` (header included). */
function fileBytesThrough(first: number, last: number): number {
  return FILE_HEADER_BYTES + range(first, last).reduce((sum, z) => sum + entryBytes(z), 0);
}

describe('FileTxnLog', () => {
  let directory: string;
  let watch: DiskWatch;

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'txn-log-test-'));
    watch = new DiskWatch();
    await watch.install();
  });

  afterEach(() => {
    watch.restore();
    rmSync(directory, { recursive: true, force: true });
  });

  function newLog(forceSync = true): FileTxnLog {
    return new FileTxnLog({ directory, preAllocBytes: 64 * 1024, forceSync }, silentLogger);
  }

  function append(log: FileTxnLog, from: number, to: number): void {
    for (const zxid of range(from, to)) log.appendEncoded(zxid, txnBytes(zxid));
  }

  it('writes a burst appended in one turn as one batch, in one write, with the sync in it', async () => {
    const log = newLog();
    append(log, 1, 16);
    await log.flush();
    const logFile = join(directory, 'log.1');
    const entryWrites = watch.writes.filter((w) => w.position >= FILE_HEADER_BYTES);
    expect(entryWrites).toEqual([{ path: logFile, position: FILE_HEADER_BYTES, bytes: fileBytesThrough(1, 16) - FILE_HEADER_BYTES }]);
    expect(watch.durableEnd.get(logFile)).toBe(fileBytesThrough(1, 16));
    expect(zxidsOnDisk(directory)).toEqual([range(1, 16)]);
    await log.close();
  });

  it('serves flush() calls made while earlier ones are in flight: one writer, in order, each durable when it resolves', async () => {
    const log = newLog();
    const logFile = join(directory, 'log.1');
    const resolved: number[] = [];
    const flushes: Promise<void>[] = [];
    let zxid = 0;
    // A seeded mix of appends, flushes and pauses of varying length, so that flushes are called
    // with nothing, one batch or several batches in flight.
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let step = 0; step < 300; step++) {
      const burst = 1 + Math.floor(random() * 5);
      append(log, zxid + 1, zxid + burst);
      zxid += burst;
      if (random() < 0.6) {
        const target = zxid;
        flushes.push(
          log.flush().then(() => {
            // Everything appended before this call is on disk and was synced before it resolved.
            expect(watch.durableEnd.get(logFile) ?? 0).toBeGreaterThanOrEqual(fileBytesThrough(1, target));
            expect(resolved.at(-1) ?? 0).toBeLessThanOrEqual(target);
            resolved.push(target);
          }),
        );
      }
      const pause = random();
      if (pause < 0.2) await new Promise<void>((resolve) => setImmediate(resolve));
      else if (pause < 0.25) await new Promise<void>((resolve) => setTimeout(resolve, 1));
    }
    const last = zxid;
    flushes.push(log.flush().then(() => void resolved.push(last)));
    await Promise.all(flushes);

    expect(resolved).toHaveLength(flushes.length);
    expect([...resolved].sort((a, b) => a - b)).toEqual(resolved);
    expect(watch.maxInFlight).toBe(1);
    // Batches follow each other with neither gap nor overlap: no two writes at the same position.
    const entryWrites = watch.writes.filter((w) => w.position >= FILE_HEADER_BYTES);
    let expected = FILE_HEADER_BYTES;
    for (const write of entryWrites) {
      expect(write.position).toBe(expected);
      expected += write.bytes;
    }
    expect(expected).toBe(fileBytesThrough(1, last));
    expect(entryWrites.length).toBeGreaterThan(1);
    expect(zxidsOnDisk(directory)).toEqual([range(1, last)]);
    expect(log.failure).toBeNull();
    await log.close();
  });

  it('submits the next batch before the flushes of the previous one resolve', async () => {
    const log = newLog();
    append(log, 1, 3);
    const { held, release } = watch.holdNextWrite();
    const first = log.flush();
    await held;
    append(log, 4, 6);
    const second = log.flush();
    let writesWhenFirstResolved = -1;
    const firstDone = first.then(() => {
      writesWhenFirstResolved = watch.writes.filter((w) => w.position >= FILE_HEADER_BYTES).length;
    });
    release();
    await Promise.all([firstDone, second]);
    expect(writesWhenFirstResolved).toBe(2);
    expect(zxidsOnDisk(directory)).toEqual([range(1, 6)]);
    await log.close();
  });

  it('restartAfter waits for the batch in flight instead of closing the file under it', async () => {
    const log = newLog();
    append(log, 1, 5);
    const { held, release } = watch.holdNextWrite();
    const events: string[] = [];
    const flushed = log.flush().then(() => void events.push('flush'));
    await held;
    const restarted = log.restartAfter(5n).then(() => void events.push('restart'));
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual([]);
    release();
    await Promise.all([flushed, restarted]);
    expect(events).toEqual(['flush', 'restart']);
    expect(log.failure).toBeNull();

    // The log goes on, in a new file.
    append(log, 6, 8);
    await log.flush();
    expect(zxidsOnDisk(directory)).toEqual([range(1, 5), range(6, 8)]);
    expect(log.failure).toBeNull();
    await log.close();
  });

  it('restartAfter drops txns not yet written and rejects the flush waiting for them, without failing the log', async () => {
    const log = newLog();
    append(log, 1, 2);
    const { held, release } = watch.holdNextWrite();
    // Outcomes are expected as soon as the promises exist, so no rejection goes unhandled meanwhile.
    const first = expect(log.flush()).resolves.toBeUndefined();
    await held;
    append(log, 3, 4);
    const second = expect(log.flush()).rejects.toBeInstanceOf(StorageError);
    const restarted = log.restartAfter(2n);
    release();
    await first;
    await second;
    await restarted;
    expect(log.failure).toBeNull();
    append(log, 3, 3);
    await log.flush();
    expect(zxidsOnDisk(directory)).toEqual([range(1, 2), range(3, 3)]);
    await log.close();
  });

  it('abandonUnflushed waits for the batch in flight, keeps it, and cuts what was never written', async () => {
    const log = newLog();
    append(log, 1, 3);
    const { held, release } = watch.holdNextWrite();
    const first = expect(log.flush()).resolves.toBeUndefined();
    await held;
    append(log, 4, 5);
    const second = expect(log.flush()).rejects.toBeInstanceOf(StorageError);
    const abandoned = expect(log.abandonUnflushed()).resolves.toBe(3n);
    release();
    await first;
    await second;
    await abandoned;
    expect(log.failure).toBeNull();
    expect(zxidsOnDisk(directory)).toEqual([range(1, 3)]);

    // The same file goes on from its durable end.
    append(log, 6, 7);
    await log.flush();
    expect(zxidsOnDisk(directory)).toEqual([[...range(1, 3), ...range(6, 7)]]);
    await log.close();
  });

  it('after a failed write: every waiting and later flush is refused, and abandonUnflushed cuts the file back', async () => {
    const log = newLog();
    append(log, 1, 2);
    await log.flush();
    append(log, 3, 4);
    watch.failNextWrite(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }));
    const failing = expect(log.flush()).rejects.toThrow('EIO');
    append(log, 5, 5);
    const waiting = expect(log.flush()).rejects.toThrow('EIO');
    await failing;
    await waiting;
    expect(log.failure?.message).toContain('EIO');
    append(log, 6, 6);
    await expect(log.flush()).rejects.toThrow('EIO');
    await expect(log.abandonUnflushed()).resolves.toBe(2n);
    expect(zxidsOnDisk(directory)).toEqual([range(1, 2)]);
    expect(readFileSync(join(directory, 'log.1')).length).toBe(fileBytesThrough(1, 2));
    await log.close();
  });

  it('abandonUnflushed reports txns the writer made durable beyond the flush that was asked for', async () => {
    const log = newLog();
    append(log, 1, 2);
    const first = watch.holdNextWrite();
    const flushed = log.flush();
    await first.held;
    // Appended while the first batch is on its way, with no flush asked for: the writer takes them next.
    append(log, 3, 4);
    const second = watch.holdNextWrite();
    first.release();
    await flushed;
    await second.held;
    append(log, 5, 5);
    watch.failNextWrite(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    const failing = expect(log.flush()).rejects.toThrow('ENOSPC');
    second.release();
    await failing;
    await expect(log.abandonUnflushed()).resolves.toBe(4n);
    expect(zxidsOnDisk(directory)).toEqual([range(1, 4)]);
    await log.close();
  });

  it('abandonUnflushed called while a failing batch is in flight waits for its failure, then cuts it', async () => {
    const log = newLog();
    append(log, 1, 2);
    await log.flush();
    append(log, 3, 4);
    watch.failNextWrite(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    const { held, release } = watch.holdNextWrite();
    const inFlight = expect(log.flush()).rejects.toThrow('ENOSPC');
    await held;
    const abandoned = expect(log.abandonUnflushed()).resolves.toBe(2n);
    release();
    await inFlight;
    await abandoned;
    expect(zxidsOnDisk(directory)).toEqual([range(1, 2)]);
    expect(readFileSync(join(directory, 'log.1')).length).toBe(fileBytesThrough(1, 2));
    await log.close();
  });

  it('close waits for the batch in flight and serves the flushes already asked for, then closes the file', async () => {
    const log = newLog();
    append(log, 1, 3);
    const { held, release } = watch.holdNextWrite();
    const first = expect(log.flush()).resolves.toBeUndefined();
    await held;
    append(log, 4, 5);
    const second = expect(log.flush()).resolves.toBeUndefined();
    const closed = log.close();
    release();
    await Promise.all([first, second, closed]);
    expect(zxidsOnDisk(directory)).toEqual([range(1, 5)]);
    const openLogs = readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(directory);
      } catch {
        return false;
      }
    });
    expect(openLogs).toEqual([]);
  });

  it('starts a new file at the first batch after roll()', async () => {
    const log = newLog();
    append(log, 1, 3);
    await log.flush();
    log.roll();
    append(log, 4, 4);
    const { held, release } = watch.holdNextWrite();
    const flushed = log.flush();
    await held;
    // Appended while the first batch of the new file is in flight: same file, next batch.
    append(log, 5, 6);
    const next = log.flush();
    release();
    await Promise.all([flushed, next]);
    expect(zxidsOnDisk(directory)).toEqual([range(1, 3), range(4, 6)]);
    await log.close();
  });

  it('batches larger than a staging chunk, and txns larger than one, are written whole', async () => {
    const log = newLog();
    const big = Buffer.alloc(300 * 1024, 7);
    let zxid = 0n;
    for (let i = 0; i < 3000; i++) log.appendEncoded(++zxid, txnBytes(zxid));
    log.appendEncoded(++zxid, Buffer.concat([Buffer.from(`txn ${zxid.toString()} `), big]));
    for (let i = 0; i < 10; i++) log.appendEncoded(++zxid, txnBytes(zxid));
    await log.flush();
    expect(zxidsOnDisk(directory)).toEqual([range(1, Number(zxid))]);
    await log.close();
  });

  it('with forceSync=no writes in order without syncing', async () => {
    const log = newLog(false);
    append(log, 1, 10);
    const first = log.flush();
    append(log, 11, 20);
    await Promise.all([first, log.flush()]);
    expect(zxidsOnDisk(directory)).toEqual([range(1, 20)]);
    expect(watch.durableEnd.get(join(directory, 'log.1')) ?? 0).toBe(0);
    await log.close();
  });

  it('a flush with nothing appended since the last durable batch resolves at once', async () => {
    const log = newLog();
    await log.flush();
    append(log, 1, 1);
    await log.flush();
    const writes = watch.writes.length;
    await log.flush();
    expect(watch.writes.length).toBe(writes);
    await log.close();
  });
});
