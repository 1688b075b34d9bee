// Recovery at start: the newest snapshot that reads back intact, then every logged txn after it,
// replayed in order. The rules:
// - a torn or zero-filled end of a log file (nothing after the damage) is where that file ends;
// - a log file that was never written (empty, or only zeros: a crash right after a roll) holds no
//   txns, wherever it lies: whether anything is missing is for the zxid sequence to say;
// - entries the snapshot already holds are checksummed and get a cheap header check, not a full
//   decode: one that fails it is warned about with file and offset, since the tree does not need it;
// - damage followed by more data, a gap in the zxid sequence, or a corrupt snapshot whose fallback
//   is not covered by the logs is reported with file and offset, and the server refuses to start;
// - a corrupt or incomplete snapshot is skipped in favour of an older one when the logs cover it;
// - no file is ever modified or deleted here.

import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ACL } from '../jute/index.js';
import type { Logger } from '../logging/logger.js';
import { OpCode } from '../protocol/op-code.js';
import { DataTree, DIGEST_VERSION } from '../tree/data-tree.js';
import { decodeTxn, type Txn } from '../txn/txn.js';
import { LoggedCreateReader } from './logged-create.js';
import { endsLikeSnapshot, looksComplete, parseSnapshot, readSnapshotStream, type SnapshotDigest, type SnapshotSink } from './snapshot-format.js';
import { adler32Range } from './adler32.js';
import {
  checkFileHeader,
  END_OF_RECORD,
  ENTRY_OVERHEAD_BYTES,
  FILE_HEADER_BYTES,
  neverWritten,
  scanLog,
  TXN_HEADER_BYTES,
  TXN_HEADER_TYPE_AT,
  TXN_HEADER_ZXID_AT,
  TXNLOG_MAGIC,
  zxidOfFileName,
  type LogEnd,
} from './txn-log-format.js';

export interface RecoveryOptions {
  /** dataDir/version-2 */
  readonly snapDirectory: string;
  /** dataLogDir/version-2 */
  readonly logDirectory: string;
  readonly extendedTypesEnabled: boolean;
  /** Bytes of a txn log read at a time (default 4 MiB); tests make reads end inside entries with small ones. */
  readonly logReadBytes?: number;
}

export interface RecoveredState {
  readonly tree: DataTree;
  /** Sessions alive at the last txn: id -> timeout in ms. */
  readonly sessions: Map<bigint, number>;
  readonly lastZxid: bigint;
  readonly snapshotZxid: bigint | null;
  readonly snapshotFile: string | null;
  readonly txnsReplayed: number;
  /** Milliseconds finding and loading the snapshot took (the empty tree's when none was usable). */
  readonly snapshotLoadMs: number;
  /** Milliseconds replaying the txn logs took. */
  readonly txnsLoadMs: number;
  /** The last replayed txns (up to 500), oldest first: a new leader DIFFs learners from them. */
  readonly recentTxns: { zxid: bigint; txn: Buffer }[];
}

const RECENT_TXNS_KEPT = 500;
/**
 * A guess at a snapshot's bytes per node, to size the tree's index of paths before loading (a
 * node's record is 77 bytes and its path and data): sized for more nodes than come, the index
 * costs a little memory; for fewer, it grows as it fills.
 */
const SNAPSHOT_BYTES_PER_NODE_GUESS = 256;
/** The largest txn a log entry may hold, as 3.8 reads them (scanLog's limit). */
const MAX_ENTRY_BYTES = 0x7ffffff0;
/** A log entry's checksum (8) and length (4) before its txn. */
const ENTRY_HEADER_BYTES = 12;
const TXN_HEADER_ZXID_END = TXN_HEADER_ZXID_AT + 8;

/**
 * The TxnHeader types decodeTxn reads (the txn decoder's readBody and readSimpleBody): the cheap
 * check of skipped entries uses it, and a test keeps the two in step.
 */
export const LOGGED_TXN_TYPES: ReadonlySet<number> = new Set([
  OpCode.createSession,
  OpCode.closeSession,
  OpCode.setACL,
  OpCode.reconfig,
  OpCode.multi,
  OpCode.create,
  OpCode.create2,
  OpCode.createTTL,
  OpCode.createContainer,
  OpCode.delete,
  OpCode.deleteContainer,
  OpCode.setData,
  OpCode.check,
  OpCode.error,
]);

export class RecoveryError extends Error {
  readonly code = 'ZKS_RECOVERY';
}

export interface NamedFile {
  readonly name: string;
  readonly zxid: bigint;
}

/** The log or snapshot files of a directory (none when it does not exist), oldest first. */
export async function listFiles(directory: string, prefix: 'log' | 'snapshot'): Promise<NamedFile[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: NamedFile[] = [];
  for (const name of names) {
    const zxid = zxidOfFileName(name, prefix);
    if (zxid !== null) files.push({ name, zxid });
  }
  return files.sort((a, b) => (a.zxid < b.zxid ? -1 : a.zxid > b.zxid ? 1 : 0));
}

/**
 * A tree that becomes the server's (built by recovery, or from a leader's snapshot): its index of
 * paths gets a random hash seed, so that clients cannot choose paths that all land in one probe
 * sequence of it. The tree itself stays deterministic for a given seed.
 */
export function newServerTree(options: { readonly extendedTypesEnabled: boolean }): DataTree {
  return new DataTree({ extendedTypesEnabled: options.extendedTypesEnabled, pathHashSeed: randomBytes(4).readInt32LE(0) });
}

function epochOf(zxid: bigint): bigint {
  return zxid >> 32n;
}

/** Whether `next` can directly follow `previous`: the next counter, or the first txn of a later epoch. */
export function isNextZxid(previous: bigint, next: bigint): boolean {
  if (next === previous + 1n) return true;
  return epochOf(next) > epochOf(previous) && (next & 0xffffffffn) <= 1n;
}

interface LoadedSnapshot {
  readonly file: NamedFile;
  readonly tree: DataTree;
  readonly sessions: Map<bigint, number>;
  /** The tree digest the snapshot recorded, checked when the replay reaches its zxid. */
  readonly digest: { zxid: bigint; digest: bigint } | null;
}

function checkedDigest(digest: SnapshotDigest | null): { zxid: bigint; digest: bigint } | null {
  return digest !== null && digest.digestVersion === DIGEST_VERSION ? { zxid: digest.zxid, digest: digest.digest } : null;
}

/**
 * Streams the snapshot into a new tree. Any problem (an incomplete or corrupt file, a malformed
 * tree) is left to loadSnapshotWhole, which reads the file again and reports it as before.
 */
async function loadSnapshot(directory: string, file: NamedFile, options: RecoveryOptions, logger: Logger): Promise<LoadedSnapshot | null> {
  const path = join(directory, file.name);
  const tree = newServerTree(options);
  let sessions: [bigint, number][] = [];
  let problem: string | null = null;
  let expectedNodes = 0;
  const sink: SnapshotSink = {
    begin(sessionList, acls) {
      sessions = sessionList;
      tree.beginSnapshotLoad(acls.map(([index, acl]) => [Number(index), acl] as const), expectedNodes);
    },
    node(source, pathStart, pathEnd, dataStart, dataEnd, statStart, aclIndex) {
      // After a problem the rest is still read, so that a checksum error is found and reported first.
      if (problem === null) problem = tree.loadSnapshotNode(source, pathStart, pathEnd, dataStart, dataEnd, statStart, aclIndex);
    },
  };
  let failure: unknown = null;
  let digest: SnapshotDigest | null = null;
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const lastFive = Buffer.alloc(5);
    const tailBytes = size >= 5 ? (await handle.read(lastFive, 0, 5, size - 5)).bytesRead : 0;
    if (tailBytes !== 5 || !endsLikeSnapshot(size, lastFive)) {
      failure = 'incomplete';
    } else {
      expectedNodes = Math.floor(size / SNAPSHOT_BYTES_PER_NODE_GUESS);
      const streamed = await readSnapshotStream(async (buffer, offset, length, position) => (await handle.read(buffer, offset, length, position)).bytesRead, size, sink);
      digest = streamed.digest;
      problem ??= tree.finishSnapshotLoad();
    }
  } catch (error) {
    failure = error;
  } finally {
    await handle.close();
  }
  if (failure !== null || problem !== null) {
    const whole = await loadSnapshotWhole(path, file, options, logger);
    if (whole !== null) {
      // Both readers accept the same files: this would be a bug in the streaming one, not in the file.
      logger.warn({ file: path, reason: failure instanceof Error ? failure.message : String(failure ?? problem) }, 'snapshot streaming failed where the full read succeeded; used the full read');
    }
    return whole;
  }
  tree.lastProcessedZxid = file.zxid;
  return { file, tree, sessions: new Map(sessions), digest: checkedDigest(digest) };
}

/** Reads and parses the whole file, then builds the tree: slower, and the reference for what is reported. */
async function loadSnapshotWhole(path: string, file: NamedFile, options: RecoveryOptions, logger: Logger): Promise<LoadedSnapshot | null> {
  const bytes = await readFile(path);
  if (!looksComplete(bytes)) {
    logger.warn({ file: path, bytes: bytes.length }, 'snapshot is incomplete (interrupted while being written); trying an older one');
    return null;
  }
  let parsed;
  try {
    parsed = parseSnapshot(bytes);
  } catch (error) {
    logger.error({ file: path, reason: error instanceof Error ? error.message : String(error) }, 'snapshot is corrupt; trying an older one');
    return null;
  }
  const tree = newServerTree(options);
  const acls: [number, readonly ACL[]][] = parsed.acls.map(([index, acl]) => [Number(index), acl]);
  const problem = tree.loadSnapshot(
    acls,
    parsed.nodes.map((n) => ({ path: n.path, data: n.data, aclIndex: Number(n.aclIndex), stat: n.stat })),
  );
  if (problem !== null) {
    logger.error({ file: path, reason: problem }, 'snapshot holds a malformed tree; trying an older one');
    return null;
  }
  tree.lastProcessedZxid = file.zxid;
  return { file, tree, sessions: new Map(parsed.sessions), digest: checkedDigest(parsed.digest) };
}

/** The log files that can hold txns after `zxid`: the last one starting at or before it, and all later ones. */
function logsAfter(logs: readonly NamedFile[], zxid: bigint): NamedFile[] {
  let first = 0;
  for (let i = 0; i < logs.length; i++) if ((logs[i] as NamedFile).zxid <= zxid) first = i;
  return logs.slice(first);
}

function applySessionEffects(txn: Txn, sessions: Map<bigint, number>): void {
  if (txn.body.kind === 'createSession') sessions.set(txn.header.clientId, txn.body.timeOutMs);
  else if (txn.body.kind === 'closeSession') sessions.delete(txn.header.clientId);
}

async function replayLogs(
  directory: string,
  logs: readonly NamedFile[],
  tree: DataTree,
  sessions: Map<bigint, number>,
  logger: Logger,
  expectedDigest: { zxid: bigint; digest: bigint } | null,
  recent: { zxid: bigint; txn: Buffer }[],
  readBytes: number,
): Promise<number> {
  const replay = new LogReplay(tree, sessions, logger, expectedDigest, readBytes);
  for (let i = 0; i < logs.length; i++) {
    const file = logs[i] as NamedFile;
    await replay.file(join(directory, file.name), file.zxid);
  }
  recent.push(...replay.latest.copies());
  return replay.replayed;
}

/** The txns of the log files applied in order, as recovery's rules at the top of this file say. */
class LogReplay {
  readonly latest = new LatestTxns(RECENT_TXNS_KEPT);
  replayed = 0;
  /** Most logged txns are creates: read without decodeTxn's records (see logged-create.ts). */
  readonly #creates = new LoggedCreateReader();
  readonly #tree: DataTree;
  readonly #sessions: Map<bigint, number>;
  readonly #logger: Logger;
  #pendingDigest: { zxid: bigint; digest: bigint } | null;
  readonly #readBytes: number;

  constructor(tree: DataTree, sessions: Map<bigint, number>, logger: Logger, expectedDigest: { zxid: bigint; digest: bigint } | null, readBytes: number) {
    this.#readBytes = readBytes;
    this.#tree = tree;
    this.#sessions = sessions;
    this.#logger = logger;
    this.#pendingDigest = expectedDigest;
    this.#checkDigest();
  }

  #checkDigest(): void {
    const pending = this.#pendingDigest;
    if (pending === null || this.#tree.lastProcessedZxid !== pending.zxid) return;
    if (this.#tree.digest !== pending.digest) {
      // 3.8 reports a mismatch and goes on; the tree is still what the logs say.
      this.#logger.error({ zxid: `0x${pending.zxid.toString(16)}`, expected: pending.digest.toString(), actual: this.#tree.digest.toString() }, 'tree digest mismatch after replay');
    }
    this.#pendingDigest = null;
  }

  /**
   * One log file. Its entries are checked and applied as the file is read (LogWindow), by the
   * same rules as scanLog's; anything else (a bad header, a damaged or torn entry, the file ending
   * inside one) has the whole file read and handed to scanLog, which decides and reports exactly as
   * before, and the entries it finds after the last one applied here are applied.
   */
  async file(path: string, fileZxid: bigint): Promise<void> {
    const skipped = new SkippedEntryCheck(fileZxid);
    /** File offset of the next entry. */
    let offset = FILE_HEADER_BYTES;
    let end: LogEnd | null = null;
    const window = await LogWindow.open(path, this.#readBytes);
    try {
      while (window.filled < FILE_HEADER_BYTES && (await window.more(0)));
      let regular = window.filled >= FILE_HEADER_BYTES && checkFileHeader(window.buffer.subarray(0, FILE_HEADER_BYTES), TXNLOG_MAGIC).ok;
      let at = FILE_HEADER_BYTES;
      while (regular) {
        const bytes = window.buffer;
        const view = window.view;
        const filled = window.filled;
        if (at + ENTRY_HEADER_BYTES > filled) {
          const more = await this.#more(window, at);
          at = 0;
          if (more) continue;
          // The file ends within an entry's header: the end of the log if nothing but zeros is left.
          if (zerosFrom(window.buffer, 0, window.filled)) end = { kind: 'end', offset };
          else regular = false;
          break;
        }
        const checksumHigh = view.getUint32(at);
        const checksum = view.getUint32(at + 4);
        const length = view.getInt32(at + 8);
        if (length === 0 && checksumHigh === 0 && checksum === 0) {
          end = { kind: 'end', offset };
          break;
        }
        const txnStart = at + ENTRY_HEADER_BYTES;
        const txnEnd = txnStart + length;
        if (length < 0 || length > MAX_ENTRY_BYTES) {
          regular = false;
        } else if (txnEnd + 1 > filled) {
          const more = await this.#more(window, at);
          at = 0;
          if (more) continue;
          regular = false;
        } else if (bytes[txnEnd] !== END_OF_RECORD || checksumHigh !== 0 || adler32Range(bytes, txnStart, txnEnd) !== checksum) {
          regular = false;
        } else {
          this.#entry(path, bytes, view, at, offset, length, skipped);
          at = txnEnd + 1;
          offset += length + ENTRY_OVERHEAD_BYTES;
        }
      }
    } finally {
      await window.close();
    }
    if (end === null) {
      const whole = await readWhole(path);
      const scan = scanLog(whole, MAX_ENTRY_BYTES);
      if ('headerError' in scan) {
        // Created at a crash and never written. It may be followed by newer files (the server was
        // restarted and went on), so this holds for any file, not only the last; the zxid check of
        // the next txn replayed finds txns that are missing. The file is left as it is.
        if (neverWritten(whole)) {
          this.#logger.warn({ file: path, bytes: whole.length, reason: scan.headerError }, 'txn log file was never written (empty or all zeros); it holds no txns');
          return;
        }
        throw new RecoveryError(`txn log ${path} is unreadable: ${scan.headerError} (offset 0)`);
      }
      const view = new DataView(whole.buffer, whole.byteOffset, whole.length);
      for (const entry of scan.entries) {
        if (entry.offset >= offset) this.#entry(path, whole, view, entry.offset, entry.offset, entry.txnBytes.length, skipped);
      }
      end = scan.end;
    }
    skipped.report(path, this.#logger);
    if (end.kind !== 'end') {
      if (end.dataFollows) {
        throw new RecoveryError(`txn log ${path} is corrupt at offset ${end.offset}: ${end.reason}, and more data follows it`);
      }
      this.#logger.warn({ file: path, offset: end.offset, reason: end.reason }, 'txn log ends in a torn write; the log ends there');
    }
  }

  #checkFollows(path: string, offset: number, zxid: bigint): void {
    const last = this.#tree.lastProcessedZxid;
    if (last !== 0n && !isNextZxid(last, zxid)) {
      throw new RecoveryError(`txn log ${path}: zxid 0x${zxid.toString(16)} at offset ${offset} does not follow 0x${last.toString(16)}; txns are missing`);
    }
  }

  /** More of the file in the window, keeping it from `keepFrom`; the latest txns held as views of the window are copied first. */
  #more(window: LogWindow, keepFrom: number): Promise<boolean> {
    this.latest.detach(window.buffer);
    return window.more(keepFrom);
  }

  /**
   * The entry at bytes[at] (checksummed), at `offset` in its file, whose txn is the `length` bytes
   * after its header.
   */
  #entry(path: string, bytes: Buffer, view: DataView, at: number, offset: number, length: number, skipped: SkippedEntryCheck): void {
    const tree = this.#tree;
    const txnStart = at + ENTRY_HEADER_BYTES;
    // Entries the tree already has (before the snapshot's zxid) are checksummed but not decoded,
    // which would cost as much as replaying them: their TxnHeader's zxid (after clientId and cxid)
    // is enough to skip them, and its type and zxid get a cheap check.
    if (length >= TXN_HEADER_ZXID_END) {
      const zxid = view.getBigInt64(txnStart + TXN_HEADER_ZXID_AT);
      if (zxid <= tree.lastProcessedZxid) {
        skipped.check(view, at, offset, length, zxid);
        return;
      }
    }
    const txnBytes = bytes.subarray(txnStart, txnStart + length);
    const create = this.#creates.read(bytes, view, txnStart, length);
    let zxid: bigint;
    if (create !== null) {
      zxid = create.zxid;
      if (zxid <= tree.lastProcessedZxid) return;
      this.#checkFollows(path, offset, zxid);
      tree.applyLoggedCreate(create, bytes);
    } else {
      let txn: Txn;
      try {
        txn = decodeTxn(txnBytes);
      } catch (error) {
        throw new RecoveryError(`txn log ${path}: entry at offset ${offset} does not decode: ${error instanceof Error ? error.message : String(error)}`);
      }
      zxid = txn.header.zxid;
      if (zxid <= tree.lastProcessedZxid) return;
      this.#checkFollows(path, offset, zxid);
      tree.applyTxn(txn);
      applySessionEffects(txn, this.#sessions);
    }
    this.replayed++;
    this.latest.push(zxid, txnBytes);
    this.#checkDigest();
  }
}

/** Whether bytes[from, to) are all zeros. */
function zerosFrom(bytes: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Bytes of a log file read at a time; the next piece is read while the one before is replayed. */
const LOG_READ_BYTES = 4 << 20;

/**
 * A log file read through a window of a few MiB, the next piece always on its way: the replay
 * starts on the first piece instead of after a read of the whole file (one read of a 256 MB log
 * left the thread idle for most of a second), it stops reading at the end marker, so the
 * preallocated zeros after it are not read at all, and no buffer of the file's size is allocated
 * (each one, as external memory, made V8 start a full collection of a heap of a million znodes).
 */
class LogWindow {
  /** The file's bytes from `base` on, valid up to `filled`. */
  buffer: Buffer;
  view: DataView;
  base = 0;
  filled = 0;
  readonly #handle: FileHandle;
  #size: number;
  /** The next piece, read into #spare while the window is replayed. */
  readonly #spare: Buffer;
  #ahead: { readonly position: number; readonly count: Promise<number> } | null = null;

  private constructor(handle: FileHandle, size: number, readBytes: number) {
    this.#handle = handle;
    this.#size = size;
    const bytes = Math.max(16, Math.min(readBytes, size));
    this.buffer = Buffer.allocUnsafeSlow(bytes);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.length);
    this.#spare = Buffer.allocUnsafeSlow(bytes);
  }

  static async open(path: string, readBytes: number): Promise<LogWindow> {
    const handle = await open(path, 'r');
    try {
      return new LogWindow(handle, (await handle.stat()).size, readBytes);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /**
   * Moves buffer[keepFrom, filled) to the start of the window (the bytes before it are overwritten)
   * and reads more after it, growing the window when it is full; false at the end of the file.
   */
  async more(keepFrom: number): Promise<boolean> {
    if (keepFrom > 0) {
      this.buffer.copyWithin(0, keepFrom, this.filled);
      this.base += keepFrom;
      this.filled -= keepFrom;
    }
    if (this.filled === this.buffer.length) {
      // An entry larger than the window.
      const larger = Buffer.allocUnsafeSlow(Math.min(this.buffer.length * 2, Math.max(this.#size - this.base, this.buffer.length + 1)));
      this.buffer.copy(larger, 0, 0, this.filled);
      this.buffer = larger;
      this.view = new DataView(larger.buffer, larger.byteOffset, larger.length);
    }
    const position = this.base + this.filled;
    const wanted = Math.min(this.buffer.length - this.filled, this.#size - position);
    if (wanted <= 0) return false;
    let count: number;
    const ahead = this.#ahead;
    this.#ahead = null;
    if (ahead !== null && ahead.position === position) {
      // What did not fit (the window held a large rest) is read again later.
      count = Math.min(await ahead.count, wanted);
      this.#spare.copy(this.buffer, this.filled, 0, count);
    } else {
      if (ahead !== null) await ahead.count.catch(() => undefined);
      count = (await this.#handle.read(this.buffer, this.filled, wanted, position)).bytesRead;
    }
    if (count === 0) {
      // Shorter than its size said: it ends here.
      this.#size = position;
      return false;
    }
    this.filled += count;
    const next = position + count;
    const length = Math.min(this.#spare.length, this.#size - next);
    if (length > 0) {
      const pending = this.#handle.read(this.#spare, 0, length, next).then((result) => result.bytesRead);
      // Awaited by the next more() or by close(); a failure must not count as unhandled before that.
      pending.catch(() => undefined);
      this.#ahead = { position: next, count: pending };
    }
    return true;
  }

  async close(): Promise<void> {
    // A read still on its way (the replay stopped at the end marker) must end before the handle does.
    if (this.#ahead !== null) await this.#ahead.count.catch(() => undefined);
    this.#ahead = null;
    await this.#handle.close();
  }
}

/**
 * The cheap check of the entries of one log file that the snapshot already holds: the TxnHeader is
 * whole, its type is one decodeTxn reads, and zxids increase from the file's name. 3.8 decodes
 * these entries while seeking to the snapshot's zxid and refuses to start when one fails; we only
 * warn, because the tree does not need them. A bad one is still worth a warning: txn-log sync may
 * send it to a learner, and it shows a writer that does not write what 3.8 reads.
 */
class SkippedEntryCheck {
  #previousZxid: bigint;
  #first: { offset: number; zxid: bigint; reason: string } | null = null;
  #count = 0;

  constructor(fileZxid: bigint) {
    this.#previousZxid = fileZxid - 1n;
  }

  /** The entry at `at` in `view`, at `offset` in its file, whose txn is `length` bytes. */
  check(view: DataView, at: number, offset: number, length: number, zxid: bigint): void {
    let reason: string | null = null;
    if (length < TXN_HEADER_BYTES) {
      reason = `txn of ${length} bytes is shorter than a TxnHeader`;
    } else {
      const type = view.getInt32(at + ENTRY_HEADER_BYTES + TXN_HEADER_TYPE_AT);
      if (!LOGGED_TXN_TYPES.has(type)) reason = `unknown txn type ${type}`;
      else if (zxid <= this.#previousZxid) reason = `zxid 0x${BigInt.asUintN(64, zxid).toString(16)} does not increase (after 0x${BigInt.asUintN(64, this.#previousZxid).toString(16)})`;
    }
    this.#previousZxid = zxid;
    if (reason === null) return;
    this.#count++;
    this.#first ??= { offset, zxid, reason };
  }

  report(path: string, logger: Logger): void {
    if (this.#first === null) return;
    logger.warn(
      { file: path, offset: this.#first.offset, zxid: `0x${BigInt.asUintN(64, this.#first.zxid).toString(16)}`, reason: this.#first.reason, badEntries: this.#count },
      `txn log ${path}: entry at offset ${this.#first.offset} fails the header check (${this.#first.reason}) although its checksum is valid; it is at or before the snapshot's zxid, so the tree does not need it and recovery goes on`,
    );
  }
}

/** The whole file in one read call (readFile reads 512 KiB at a time, each a round trip through the thread pool). */
async function readWhole(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const bytes = Buffer.allocUnsafeSlow(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(bytes, done, size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === size ? bytes : bytes.subarray(0, done);
  } finally {
    await handle.close();
  }
}

/**
 * The last `capacity` replayed txns as views of the log being read, copied only when the window
 * they are in moves on (detach) or the replay ends.
 */
class LatestTxns {
  readonly #zxids: bigint[] = [];
  readonly #txns: Buffer[] = [];
  #next = 0;

  constructor(readonly capacity: number) {}

  push(zxid: bigint, txn: Buffer): void {
    if (this.#zxids.length < this.capacity) {
      this.#zxids.push(zxid);
      this.#txns.push(txn);
      return;
    }
    this.#zxids[this.#next] = zxid;
    this.#txns[this.#next] = txn;
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** Copies the txns that are views of `window`, whose bytes are about to be overwritten. */
  detach(window: Buffer): void {
    const txns = this.#txns;
    for (let i = 0; i < txns.length; i++) {
      const txn = txns[i] as Buffer;
      if (txn.buffer === window.buffer) txns[i] = Buffer.from(txn);
    }
  }

  /** Oldest first; copies, because a view would keep a log's window (or a whole log file) in memory. */
  copies(): { zxid: bigint; txn: Buffer }[] {
    const out: { zxid: bigint; txn: Buffer }[] = [];
    for (let k = 0; k < this.#zxids.length; k++) {
      const i = (this.#next + k) % this.#zxids.length;
      out.push({ zxid: this.#zxids[i] as bigint, txn: Buffer.from(this.#txns[i] as Buffer) });
    }
    return out;
  }
}

export async function recover(options: RecoveryOptions, logger: Logger): Promise<RecoveredState> {
  const snapshots = await listFiles(options.snapDirectory, 'snapshot');
  const logs = await listFiles(options.logDirectory, 'log');
  const failures: string[] = [];
  const startedAt = performance.now();
  for (let i = snapshots.length - 1; i >= -1; i--) {
    let loaded: LoadedSnapshot | null;
    if (i >= 0) {
      loaded = await loadSnapshot(options.snapDirectory, snapshots[i] as NamedFile, options, logger);
      if (loaded === null) {
        failures.push((snapshots[i] as NamedFile).name);
        continue;
      }
    } else {
      // No usable snapshot: start from the empty tree if the logs begin at the first txn.
      if (snapshots.length > 0 && (logs.length === 0 || (logs[0] as NamedFile).zxid > 1n)) {
        throw new RecoveryError(
          `no usable snapshot in ${options.snapDirectory} (${failures.join(', ')}) and the txn logs do not reach back to the first txn; refusing to start`,
        );
      }
      const tree = newServerTree(options);
      loaded = { file: { name: '(empty tree)', zxid: 0n }, tree, sessions: new Map(), digest: null };
    }
    const needed = logsAfter(logs, loaded.file.zxid);
    if (needed.length > 0 && (needed[0] as NamedFile).zxid > loaded.file.zxid + 1n && loaded.file.zxid !== 0n) {
      if (i > 0) {
        failures.push(`${loaded.file.name} (logs start after it)`);
        continue;
      }
    }
    const recentTxns: { zxid: bigint; txn: Buffer }[] = [];
    const snapshotLoadedAt = performance.now();
    const replayed = await replayLogs(options.logDirectory, needed, loaded.tree, loaded.sessions, logger, loaded.digest, recentTxns, options.logReadBytes ?? LOG_READ_BYTES);
    logger.info(
      { snapshot: loaded.file.name, snapshotZxid: `0x${loaded.file.zxid.toString(16)}`, txnsReplayed: replayed, lastZxid: `0x${loaded.tree.lastProcessedZxid.toString(16)}` },
      'recovered the data tree',
    );
    return {
      tree: loaded.tree,
      sessions: loaded.sessions,
      lastZxid: loaded.tree.lastProcessedZxid,
      snapshotZxid: i >= 0 ? loaded.file.zxid : null,
      snapshotFile: i >= 0 ? loaded.file.name : null,
      txnsReplayed: replayed,
      snapshotLoadMs: snapshotLoadedAt - startedAt,
      txnsLoadMs: performance.now() - snapshotLoadedAt,
      recentTxns,
    };
  }
  throw new RecoveryError('unreachable: the empty-tree fallback always returns or throws');
}
