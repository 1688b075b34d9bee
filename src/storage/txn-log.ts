// The write-ahead log: txns are appended in zxid order and made durable in batches (group commit:
// everything appended while a batch is on its way to the disk goes into the next one). A txn is
// acknowledged only after the flush that covers it resolves. Files are preallocated in blocks, as
// 3.8 does, so the sync rarely has to update file metadata; a new file starts after a roll (every
// ~snapCount txns).
//
// One writer at a time: batches are written strictly one after the other, each at the end of the
// previous one, and a batch counts as durable only once its own sync returned. flush() calls never
// write themselves; they wait for the writer to reach the entries appended before them, so any
// number of them can be in flight. restartAfter, abandonUnflushed and close wait for the batch on
// its way to the disk instead of closing the file under it.
//
// Why the writer is shaped as it is (docs/benchmarks.md, "Storage"): under load the disk was idle
// most of the time. A cycle used to be two hand-offs between the event loop and libuv's thread pool
// (write, then fdatasync), and each completion waited for the event loop to finish whatever it was
// doing (parsing requests, sending replies) before the next step could start. Now:
// - with forceSync a file is opened with O_DSYNC, so one pwritev both writes a batch and makes it
//   durable (POSIX "synchronized I/O data integrity completion": exactly fdatasync's guarantee, for
//   the bytes of that call), one thread-pool round trip per batch instead of two;
// - the next batch is submitted as soon as the previous one is durable, before the flushes it
//   completes are resolved, so replies to the clients of batch N go out while batch N+1 is on disk;
// - entries are framed at append time into a staging chunk, so a batch is one contiguous buffer
//   (rarely two) handed to the kernel as is: no copy per entry, no concat per batch.

import { constants as fsConstants } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logging/logger.js';
import type { TxnStorage } from '../replica/ports.js';
import { encodeTxn, type Txn } from '../txn/txn.js';
import { assert } from '../lib/assert.js';
import { ENTRY_OVERHEAD_BYTES, encodeFileHeader, logFileName, scanLog, TXNLOG_MAGIC, writeLogEntry } from './txn-log-format.js';

export interface TxnLogOptions {
  /** dataLogDir/version-2 */
  readonly directory: string;
  /** zookeeper.preAllocSize in bytes (default 64 MiB). */
  readonly preAllocBytes: number;
  /** zookeeper.forceSync: false skips the sync (unsafe; logged at start). */
  readonly forceSync: boolean;
  /** Told of every batch made durable: how many txns it held and how long write + sync took. */
  readonly onBatchDurable?: (txns: number, milliseconds: number) => void;
}

interface OpenLog {
  readonly handle: FileHandle;
  readonly path: string;
  /** Next write offset. */
  position: number;
  /** End of the last batch known to be durable: where an abandoned batch is cut back to. */
  durablePosition: number;
  /** Current preallocated size. */
  allocated: number;
}

/** Entries taken off the staging chunks to be written together. */
interface Batch {
  readonly segments: Buffer[];
  readonly bytes: number;
  readonly count: number;
  readonly firstZxid: bigint;
  readonly lastZxid: bigint;
  /** The append count once this batch is durable. */
  readonly endSeq: number;
}

/** A flush() waiting until the first `target` appended entries are durable. */
interface FlushWaiter {
  readonly target: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class StorageError extends Error {
  readonly code = 'ZKS_STORAGE';
}

/**
 * Size of a staging chunk. Large enough that a batch rarely spans two chunks (a few thousand
 * typical txns), small enough that the one or two chunks alive at a time cost little memory.
 */
const CHUNK_BYTES = 256 * 1024;

/** O_DSYNC where the platform has it; elsewhere the writer falls back to write + fdatasync. */
const O_DSYNC: number | undefined = (fsConstants as { O_DSYNC?: number }).O_DSYNC;

export class FileTxnLog implements TxnStorage {
  readonly #options: TxnLogOptions;
  readonly #logger: Logger;
  /** True when each write is durable on return (O_DSYNC); otherwise a datasync follows it. */
  readonly #syncOnWrite: boolean;
  #current: OpenLog | null = null;

  // Staging: appended entries framed back to back. Sealed segments are full chunks' unwritten
  // parts; the open chunk keeps filling after the writer took [chunkStart, chunkFill), which is
  // safe because the write in flight only reads bytes below chunkStart.
  #sealed: Buffer[] = [];
  #sealedBytes = 0;
  #chunk: Buffer | null = null;
  #chunkStart = 0;
  #chunkFill = 0;
  #pendingCount = 0;
  #pendingFirstZxid = 0n;

  // Entries are counted in append order: appended >= taken (handed to the writer) >= durable.
  #appendedSeq = 0;
  #takenSeq = 0;
  #durableSeq = 0;
  #waiters: FlushWaiter[] = [];
  /** The running writer loop; null when idle. */
  #writer: Promise<void> | null = null;
  /** restartAfter/abandonUnflushed/close queued or running: the writer starts no new batch. */
  #exclusiveDepth = 0;
  #exclusiveTail: Promise<void> = Promise.resolve();

  #appendedBytes = 0;
  #rollRequested = false;
  #lastAppendedZxid = -1n;
  /** The last txn this log made durable since it was opened (or restarted after a TRUNC). */
  #durableZxid = -1n;
  #failed: Error | null = null;
  /** Bytes appended to the current file (for size-based rolling and metrics). */
  currentFileBytes = 0;
  txnsInCurrentFile = 0;

  constructor(options: TxnLogOptions, logger: Logger) {
    this.#options = options;
    this.#logger = logger;
    this.#syncOnWrite = options.forceSync && O_DSYNC !== undefined;
  }

  append(txn: Txn): void {
    this.appendEncoded(txn.header.zxid, encodeTxn(txn));
  }

  /** Appends a txn already serialized (a proposal received from the leader). */
  appendEncoded(zxid: bigint, txnBytes: Buffer): void {
    assert(zxid > this.#lastAppendedZxid, 'txns are appended in increasing zxid order');
    this.#lastAppendedZxid = zxid;
    const size = txnBytes.length + ENTRY_OVERHEAD_BYTES;
    let chunk = this.#chunk;
    if (chunk === null || this.#chunkFill + size > chunk.length) {
      this.#sealChunk();
      // Off Node's shared pool: a chunk lives as long as its last write, and must not pin the pool.
      chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, size));
      this.#chunk = chunk;
      this.#chunkStart = 0;
      this.#chunkFill = 0;
    }
    this.#chunkFill = writeLogEntry(chunk, this.#chunkFill, txnBytes);
    if (this.#pendingCount === 0) this.#pendingFirstZxid = zxid;
    this.#pendingCount++;
    this.#appendedSeq++;
    this.#appendedBytes += size;
  }

  #sealChunk(): void {
    const chunk = this.#chunk;
    if (chunk !== null && this.#chunkFill > this.#chunkStart) {
      this.#sealed.push(chunk.subarray(this.#chunkStart, this.#chunkFill));
      this.#sealedBytes += this.#chunkFill - this.#chunkStart;
    }
    this.#chunk = null;
    this.#chunkStart = 0;
    this.#chunkFill = 0;
  }

  #takePending(): Batch | null {
    if (this.#pendingCount === 0) return null;
    const segments = this.#sealed;
    let bytes = this.#sealedBytes;
    const chunk = this.#chunk;
    if (chunk !== null && this.#chunkFill > this.#chunkStart) {
      segments.push(chunk.subarray(this.#chunkStart, this.#chunkFill));
      bytes += this.#chunkFill - this.#chunkStart;
      this.#chunkStart = this.#chunkFill;
    }
    const batch: Batch = { segments, bytes, count: this.#pendingCount, firstZxid: this.#pendingFirstZxid, lastZxid: this.#lastAppendedZxid, endSeq: this.#appendedSeq };
    this.#sealed = [];
    this.#sealedBytes = 0;
    this.#pendingCount = 0;
    this.#takenSeq = this.#appendedSeq;
    return batch;
  }

  /**
   * Forgets every entry not yet handed to the writer. Called only while the writer is idle, so
   * whatever was taken has either become durable or failed the log: nothing is left in between.
   * A flush waiting for a dropped entry is rejected, never resolved: its txn will not be on disk.
   */
  #dropPending(why: string): void {
    assert(this.#writer === null, 'pending entries are dropped only while the writer is idle');
    this.#sealed = [];
    this.#sealedBytes = 0;
    this.#chunk = null;
    this.#chunkStart = 0;
    this.#chunkFill = 0;
    this.#pendingCount = 0;
    this.#appendedSeq = this.#durableSeq;
    this.#takenSeq = this.#durableSeq;
    const dropped = this.#waiters.filter((waiter) => waiter.target > this.#durableSeq);
    this.#waiters = this.#waiters.filter((waiter) => waiter.target <= this.#durableSeq);
    const error = new StorageError(`unflushed txns were dropped (${why}) before they were written`);
    for (const waiter of dropped) waiter.reject(error);
  }

  /** After the files were cut back to `zxid` (a TRUNC from the leader): start a new file next time. */
  restartAfter(zxid: bigint): Promise<void> {
    return this.#exclusive(async () => {
      this.#dropPending(`the log restarts after zxid 0x${zxid.toString(16)}`);
      await this.#closeCurrent();
      this.#lastAppendedZxid = zxid;
      this.#durableZxid = zxid;
    });
  }

  /** Bytes appended since this log was opened (a running total, for size-based snapshot triggers). */
  get appendedBytes(): number {
    return this.#appendedBytes;
  }

  /**
   * Resolves once every entry appended before this call is written and durable (the moment it is
   * safe to acknowledge them); flushes resolve in the order they were called. Rejects if the log
   * failed, or if restartAfter/abandonUnflushed dropped one of those entries before it was written.
   */
  flush(): Promise<void> {
    if (this.#failed !== null) return Promise.reject(this.#failed);
    const target = this.#appendedSeq;
    if (this.#durableSeq >= target) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => {
      this.#waiters.push({ target, resolve, reject });
    });
    this.#startWriter();
    return done;
  }

  #startWriter(): void {
    if (this.#writer !== null || this.#exclusiveDepth > 0 || this.#failed !== null) return;
    const last = this.#waiters[this.#waiters.length - 1];
    if (last === undefined || last.target <= this.#takenSeq) return;
    this.#writer = this.#drainSoon();
  }

  /**
   * Starts the writer from idle at the end of this event-loop turn (setImmediate runs after the
   * poll phase), so a burst of requests read in one turn goes into one batch instead of its first
   * txn making a batch of its own.
   */
  async #drainSoon(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.#drain();
  }

  /**
   * The single writer: one batch at a time, each one everything appended so far. It keeps going
   * while entries arrive, whether or not a flush asked for them yet, because the caller usually
   * asks only after handling the previous flush's completion, and the disk would idle meanwhile.
   * Never rejects: a failure fails the log and every waiting flush.
   */
  async #drain(): Promise<void> {
    try {
      let batch = this.#exclusiveDepth === 0 ? this.#takePending() : null;
      let inFlight = batch === null ? null : this.#writeBatch(batch);
      while (batch !== null && inFlight !== null) {
        await inFlight;
        this.#durableSeq = batch.endSeq;
        this.#durableZxid = batch.lastZxid;
        batch = this.#exclusiveDepth === 0 ? this.#takePending() : null;
        // The next batch is submitted before the flushes just completed are resolved: their
        // callbacks (replies to clients) are microtasks, so they run while the disk works.
        inFlight = batch === null ? null : this.#writeBatch(batch);
        this.#resolveDurable();
      }
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.#failed = failure;
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const waiter of waiters) waiter.reject(failure);
    } finally {
      this.#writer = null;
    }
  }

  #resolveDurable(): void {
    let count = 0;
    for (const waiter of this.#waiters) {
      if (waiter.target > this.#durableSeq) break;
      waiter.resolve();
      count++;
    }
    if (count > 0) this.#waiters.splice(0, count);
  }

  /**
   * Writes one batch at the end of the current file (starting a new file first if a roll was
   * asked for) and makes it durable. The common case submits the write synchronously.
   */
  #writeBatch(batch: Batch): Promise<void> {
    const log = this.#current;
    if (log === null || this.#rollRequested || this.#needsAllocation(log, log.position + batch.bytes)) {
      return this.#prepareThenWrite(batch);
    }
    return this.#writeAndSync(log, batch);
  }

  async #prepareThenWrite(batch: Batch): Promise<void> {
    // Rolling happens between batches, not inside one: the whole batch goes to the new file. The
    // flag is cleared before the file is created, so a roll asked for meanwhile applies to the
    // next batch instead of being lost.
    if (this.#rollRequested || this.#current === null) {
      this.#rollRequested = false;
      await this.#closeCurrent();
      this.#current = await this.#create(batch.firstZxid);
    }
    const log = this.#current;
    await this.#ensureAllocated(log, log.position + batch.bytes);
    await this.#writeAndSync(log, batch);
  }

  async #writeAndSync(log: OpenLog, batch: Batch): Promise<void> {
    const started = performance.now();
    await writeAllAt(log.handle, batch.segments, batch.bytes, log.position);
    log.position += batch.bytes;
    this.currentFileBytes += batch.bytes;
    this.txnsInCurrentFile += batch.count;
    if (this.#options.forceSync && !this.#syncOnWrite) await log.handle.datasync();
    log.durablePosition = log.position;
    this.#options.onBatchDurable?.(batch.count, performance.now() - started);
  }

  /**
   * Runs `operation` with no batch in flight and none starting until it ends; such operations run
   * one at a time, in call order. Flushes asked for meanwhile are served after it.
   */
  async #exclusive<T>(operation: () => Promise<T>): Promise<T> {
    this.#exclusiveDepth++;
    const previous = this.#exclusiveTail;
    const run = (async (): Promise<T> => {
      await previous;
      // The writer sees #exclusiveDepth and stops after the batch it is writing.
      if (this.#writer !== null) await this.#writer;
      return operation();
    })();
    this.#exclusiveTail = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      return await run;
    } finally {
      this.#exclusiveDepth--;
      this.#startWriter();
    }
  }

  /**
   * After a failed flush: drops what was not flushed and cuts the file back to its last durable
   * end, so no txn that was refused can reappear at recovery. Resolves with the zxid of the last
   * durable txn (-1 if none since the log was opened), or null when the file cannot be cut. Waits
   * for a batch in flight first (it may still become durable; it is not cut). The writer runs
   * ahead of the flushes asked for, so txns nobody has been told about yet can be among the durable
   * ones: the caller acknowledges those and refuses only what comes after the returned zxid.
   */
  abandonUnflushed(): Promise<bigint | null> {
    return this.#exclusive(async () => {
      this.#dropPending('abandoned after a failed flush');
      // The dropped zxids may be handed out again: they exist nowhere.
      this.#lastAppendedZxid = this.#durableZxid;
      const log = this.#current;
      if (log === null) return this.#durableZxid;
      try {
        await log.handle.truncate(log.durablePosition);
        await log.handle.datasync();
        log.position = log.durablePosition;
        log.allocated = log.durablePosition;
        return this.#durableZxid;
      } catch (error) {
        this.#logger.error({ err: error, file: log.path }, 'cannot cut the txn log back to its last durable entry');
        return null;
      }
    });
  }

  async #create(firstZxid: bigint): Promise<OpenLog> {
    const path = join(this.#options.directory, logFileName(firstZxid));
    const handle = await this.#openNew(path);
    const header = encodeFileHeader(TXNLOG_MAGIC);
    await writeAllAt(handle, [header], header.length, 0);
    this.#logger.info({ file: path }, 'created txn log file');
    this.currentFileBytes = header.length;
    this.txnsInCurrentFile = 0;
    const log: OpenLog = { handle, path, position: header.length, durablePosition: header.length, allocated: header.length };
    await this.#ensureAllocated(log, header.length);
    // The directory entry must be durable too, or a crash could lose the whole new file.
    if (this.#options.forceSync) await fsyncDirectory(this.#options.directory);
    return log;
  }

  /**
   * A file of that name can only exist if recovery found no txn in it (created at a crash, or its
   * first entry torn): 3.8 overwrites it. One that does hold txns is never overwritten.
   */
  async #openNew(path: string): Promise<FileHandle> {
    const sync = this.#syncOnWrite ? (O_DSYNC as number) : 0;
    const { O_WRONLY, O_CREAT, O_EXCL, O_TRUNC } = fsConstants;
    try {
      return await open(path, O_WRONLY | O_CREAT | O_EXCL | sync, 0o666);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const scan = scanLog(await readFile(path), 0x7ffffff0);
    if (!('headerError' in scan) && scan.entries.length > 0) {
      throw new StorageError(`${path} exists and holds txns: refusing to overwrite it`);
    }
    this.#logger.warn({ file: path }, 'overwriting a txn log file that holds no complete txn');
    return open(path, O_WRONLY | O_CREAT | O_TRUNC | sync, 0o666);
  }

  #needsAllocation(log: OpenLog, neededBytes: number): boolean {
    return this.#options.preAllocBytes > 0 && neededBytes + 4096 > log.allocated;
  }

  /** Extends the file with zeros in preAllocSize blocks before writing past its end (FilePadding). */
  async #ensureAllocated(log: OpenLog, neededBytes: number): Promise<void> {
    if (!this.#needsAllocation(log, neededBytes)) return;
    let size = log.allocated;
    while (neededBytes + 4096 > size) size += this.#options.preAllocBytes;
    await log.handle.truncate(size);
    log.allocated = size;
  }

  /** The next append starts a new file (after a snapshot is triggered). */
  roll(): void {
    this.#rollRequested = true;
  }

  async #closeCurrent(): Promise<void> {
    const log = this.#current;
    this.#current = null;
    if (log === null) return;
    await log.handle.close();
  }

  /**
   * Writes what was appended (unless the log failed), then closes the current file: flushes still
   * waiting would otherwise be served after the close by reopening a file.
   */
  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    await this.#exclusive(() => this.#closeCurrent());
  }

  get failure(): Error | null {
    return this.#failed;
  }

  /**
   * The file being written and the length it had at its last successful sync (for the test hook
   * that simulates a power loss). Earlier files were durable in full before the roll away from
   * them; a file still being created is not current yet, and recovery overwrites such a file.
   */
  get durableEnd(): { readonly path: string; readonly durableBytes: number } | null {
    const log = this.#current;
    return log === null ? null : { path: log.path, durableBytes: log.durablePosition };
  }
}

/**
 * Writes `segments` (`total` bytes) at `position`, in one pwritev when the kernel takes it all
 * (libuv already retries internally past IOV_MAX), resubmitting the rest after a short write.
 */
async function writeAllAt(handle: FileHandle, segments: readonly Buffer[], total: number, position: number): Promise<void> {
  let rest = segments;
  let written = 0;
  while (written < total) {
    const { bytesWritten } = await handle.writev(rest as Buffer[], position + written);
    if (bytesWritten <= 0) throw new StorageError(`short write at offset ${position + written}`);
    written += bytesWritten;
    if (written < total) rest = skipBytes(rest, bytesWritten);
  }
}

function skipBytes(segments: readonly Buffer[], count: number): Buffer[] {
  const rest: Buffer[] = [];
  let skip = count;
  for (const segment of segments) {
    if (skip >= segment.length) {
      skip -= segment.length;
      continue;
    }
    rest.push(skip > 0 ? segment.subarray(skip) : segment);
    skip = 0;
  }
  return rest;
}

export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
