// The write-ahead log: txns are appended in zxid order and made durable in batches (group commit:
// everything appended while an fsync runs goes into the next one). A txn is acknowledged only after
// the flush that contains it resolves. Files are preallocated in blocks, as 3.8 does, so fdatasync
// rarely has to update file metadata; a new file starts after a roll (every ~snapCount txns).

import { open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logging/logger.js';
import type { TxnStorage } from '../replica/ports.js';
import { encodeTxn, type Txn } from '../txn/txn.js';
import { assert } from '../lib/assert.js';
import { encodeFileHeader, encodeLogEntry, logFileName, scanLog, TXNLOG_MAGIC } from './txn-log-format.js';

export interface TxnLogOptions {
  /** dataLogDir/version-2 */
  readonly directory: string;
  /** zookeeper.preAllocSize in bytes (default 64 MiB). */
  readonly preAllocBytes: number;
  /** zookeeper.forceSync: false skips fdatasync (unsafe; logged at start). */
  readonly forceSync: boolean;
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

export class StorageError extends Error {
  readonly code = 'ZKS_STORAGE';
}

export class FileTxnLog implements TxnStorage {
  readonly #options: TxnLogOptions;
  readonly #logger: Logger;
  #current: OpenLog | null = null;
  #pending: { zxid: bigint; entry: Buffer }[] = [];
  #appendedBytes = 0;
  #rollRequested = false;
  #lastAppendedZxid = -1n;
  #failed: Error | null = null;
  /** Bytes appended to the current file (for size-based rolling and metrics). */
  currentFileBytes = 0;
  txnsInCurrentFile = 0;
  /** Measured durations of the last flushes, for metrics. */
  lastFsyncMs = 0;

  constructor(options: TxnLogOptions, logger: Logger) {
    this.#options = options;
    this.#logger = logger;
  }

  append(txn: Txn): void {
    this.appendEncoded(txn.header.zxid, encodeTxn(txn));
  }

  /** Appends a txn already serialized (a proposal received from the leader). */
  appendEncoded(zxid: bigint, txnBytes: Buffer): void {
    assert(zxid > this.#lastAppendedZxid, 'txns are appended in increasing zxid order');
    this.#lastAppendedZxid = zxid;
    const entry = encodeLogEntry(txnBytes);
    this.#pending.push({ zxid, entry });
    this.#appendedBytes += entry.length;
  }

  /** After the files were cut back to `zxid` (a TRUNC from the leader): start a new file next time. */
  async restartAfter(zxid: bigint): Promise<void> {
    await this.#closeCurrent();
    this.#pending = [];
    this.#lastAppendedZxid = zxid;
  }

  /** Bytes appended since this log was opened (a running total, for size-based snapshot triggers). */
  get appendedBytes(): number {
    return this.#appendedBytes;
  }

  /** Writes every appended entry and makes it durable; resolves when it is safe to acknowledge them. */
  async flush(): Promise<void> {
    if (this.#failed !== null) throw this.#failed;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    try {
      await this.#writeBatch(batch);
    } catch (error) {
      this.#failed = error instanceof Error ? error : new Error(String(error));
      throw this.#failed;
    }
  }

  async #writeBatch(batch: readonly { zxid: bigint; entry: Buffer }[]): Promise<void> {
    let index = 0;
    while (index < batch.length) {
      if (this.#rollRequested || this.#current === null) {
        await this.#closeCurrent();
        const first = batch[index];
        assert(first !== undefined, 'batch has an entry to start the file with');
        this.#current = await this.#create(first.zxid);
        this.#rollRequested = false;
      }
      const log = this.#current;
      // Everything left goes to this file: rolling happens between batches, not inside one.
      const rest = batch.slice(index);
      const bytes = rest.length === 1 ? (rest[0] as { entry: Buffer }).entry : Buffer.concat(rest.map((r) => r.entry));
      await this.#ensureAllocated(log, log.position + bytes.length);
      await writeFully(log.handle, bytes, log.position);
      log.position += bytes.length;
      this.currentFileBytes += bytes.length;
      this.txnsInCurrentFile += rest.length;
      index = batch.length;
    }
    if (this.#current === null) return;
    if (this.#options.forceSync) {
      const started = performance.now();
      await this.#current.handle.datasync();
      this.lastFsyncMs = performance.now() - started;
    }
    this.#current.durablePosition = this.#current.position;
  }

  /**
   * After a failed flush: drops what was not flushed and cuts the file back to its last durable
   * end, so no txn that was refused can reappear at recovery. False when even that fails.
   */
  async abandonUnflushed(): Promise<boolean> {
    this.#pending = [];
    const log = this.#current;
    if (log === null) return true;
    try {
      await log.handle.truncate(log.durablePosition);
      await log.handle.datasync();
      log.position = log.durablePosition;
      log.allocated = log.durablePosition;
      return true;
    } catch (error) {
      this.#logger.error({ err: error, file: log.path }, 'cannot cut the txn log back to its last durable entry');
      return false;
    }
  }

  async #create(firstZxid: bigint): Promise<OpenLog> {
    const path = join(this.#options.directory, logFileName(firstZxid));
    const handle = await this.#openNew(path);
    const header = encodeFileHeader(TXNLOG_MAGIC);
    await writeFully(handle, header, 0);
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
    try {
      return await open(path, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const scan = scanLog(await readFile(path), 0x7ffffff0);
    if (!('headerError' in scan) && scan.entries.length > 0) {
      throw new StorageError(`${path} exists and holds txns: refusing to overwrite it`);
    }
    this.#logger.warn({ file: path }, 'overwriting a txn log file that holds no complete txn');
    return open(path, 'w');
  }

  /** Extends the file with zeros in preAllocSize blocks before writing past its end (FilePadding). */
  async #ensureAllocated(log: OpenLog, neededBytes: number): Promise<void> {
    if (this.#options.preAllocBytes <= 0 || neededBytes + 4096 <= log.allocated) return;
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

  async close(): Promise<void> {
    await this.#closeCurrent();
  }

  get failure(): Error | null {
    return this.#failed;
  }
}

async function writeFully(handle: FileHandle, bytes: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, position + written);
    if (bytesWritten <= 0) throw new StorageError(`short write at offset ${position + written}`);
    written += bytesWritten;
  }
}

export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
