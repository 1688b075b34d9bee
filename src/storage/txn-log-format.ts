// The txn log file format of ZooKeeper 3.8 (FileTxnLog), so logs move between Java servers and ours:
//
//   header:  int magic "ZKLG" (0x5a4b4c47), int version 2, long dbid (0)
//   entry*:  long adler32(txn), int length, txn bytes (TxnHeader + record [+ TxnDigest]), byte 0x42
//   padding: zeros up to the preallocated size
//
// Reading stops at the first entry whose checksum and length are both zero (the preallocated tail).
// Anything else that does not parse is reported with its offset, and the caller decides whether it
// is a torn tail (the last file) or corruption (anywhere else).

import { adler32, adler32Range } from './adler32.js';

export const TXNLOG_MAGIC = 0x5a4b4c47;
export const SNAP_MAGIC = 0x5a4b534e;
export const FILE_FORMAT_VERSION = 2;
export const FILE_HEADER_BYTES = 16;
export const END_OF_RECORD = 0x42;
/** Per entry: checksum (8), length (4) and the end-of-record byte (1). */
export const ENTRY_OVERHEAD_BYTES = 13;
/** Where a logged txn's TxnHeader holds its fields: clientId (8), cxid (4), zxid (8), time (8), type (4). */
export const TXN_HEADER_CLIENT_ID_AT = 0;
export const TXN_HEADER_ZXID_AT = 12;
export const TXN_HEADER_TIME_AT = 20;
export const TXN_HEADER_TYPE_AT = 28;
export const TXN_HEADER_BYTES = 32;

export function encodeFileHeader(magic: number, dbId = 0n): Buffer {
  const header = Buffer.alloc(FILE_HEADER_BYTES);
  header.writeInt32BE(magic, 0);
  header.writeInt32BE(FILE_FORMAT_VERSION, 4);
  header.writeBigInt64BE(dbId, 8);
  return header;
}

export type HeaderCheck = { ok: true; dbId: bigint } | { ok: false; reason: string };

export function checkFileHeader(bytes: Uint8Array, magic: number): HeaderCheck {
  if (bytes.length < FILE_HEADER_BYTES) return { ok: false, reason: `file is ${bytes.length} bytes, shorter than a header` };
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const found = view.readInt32BE(0);
  if (found !== magic) return { ok: false, reason: `bad magic 0x${(found >>> 0).toString(16)} (expected 0x${magic.toString(16)})` };
  const version = view.readInt32BE(4);
  if (version !== FILE_FORMAT_VERSION) return { ok: false, reason: `unsupported format version ${version}` };
  return { ok: true, dbId: view.readBigInt64BE(8) };
}

/** One framed entry, ready to append. */
export function encodeLogEntry(txnBytes: Uint8Array): Buffer {
  const entry = Buffer.allocUnsafe(txnBytes.length + ENTRY_OVERHEAD_BYTES);
  writeLogEntry(entry, 0, txnBytes);
  return entry;
}

/**
 * Frames an entry straight into `target` at `offset` (which must have room for
 * txnBytes.length + ENTRY_OVERHEAD_BYTES) and returns the offset after it: the log stages a batch
 * in one buffer this way, so it is written without a copy per entry or a concat per batch.
 */
export function writeLogEntry(target: Buffer, offset: number, txnBytes: Uint8Array): number {
  // The long holds an unsigned 32-bit checksum: two int writes avoid a bigint write per entry.
  target.writeUInt32BE(0, offset);
  target.writeUInt32BE(adler32Range(txnBytes, 0, txnBytes.length), offset + 4);
  target.writeInt32BE(txnBytes.length, offset + 8);
  target.set(txnBytes, offset + 12);
  target[offset + 12 + txnBytes.length] = END_OF_RECORD;
  return offset + txnBytes.length + ENTRY_OVERHEAD_BYTES;
}

export interface LogEntry {
  /** Offset of the entry's checksum in the file. */
  readonly offset: number;
  readonly txnBytes: Buffer;
}

/** How a scan ended: at the preallocated zeros or end of file, or at something that does not parse. */
export type LogEnd =
  | { readonly kind: 'end'; readonly offset: number }
  | {
      readonly kind: 'incomplete' | 'corrupt';
      readonly offset: number;
      readonly reason: string;
      /**
       * Whether non-zero bytes follow the damaged entry. If not, the damage is a torn final write;
       * if so, later entries exist and the damage is corruption in the middle of the log.
       */
      readonly dataFollows: boolean;
    };

export interface LogScan {
  readonly dbId: bigint;
  readonly entries: LogEntry[];
  readonly end: LogEnd;
}

/**
 * Parses a whole log file. `incomplete` means the bytes stop inside an entry (a torn write at the
 * end of the file); `corrupt` means a complete entry fails its checksum, end marker or length.
 */
export function scanLog(bytes: Buffer, maxEntryBytes: number): LogScan | { readonly headerError: string } {
  const header = checkFileHeader(bytes, TXNLOG_MAGIC);
  if (!header.ok) return { headerError: header.reason };
  const scan = scanEntries(bytes, maxEntryBytes);
  return { dbId: header.dbId, entries: scan.entries, end: scan.end };
}

/**
 * Whether a log file never got anything written to it: shorter than a header (there is no room for
 * an entry), or nothing but zeros. A crash right after a roll leaves such a file (created, not yet
 * written, or preallocated before the header reached the disk). A header of zeros with non-zero
 * bytes after it is not this: entries may be behind it.
 */
export function neverWritten(bytes: Buffer): boolean {
  return bytes.length < FILE_HEADER_BYTES || !hasNonZeroFrom(bytes, 0);
}

function hasNonZeroFrom(bytes: Buffer, from: number): boolean {
  for (let i = Math.max(0, from); i < bytes.length; i++) if (bytes[i] !== 0) return true;
  return false;
}

function damaged(bytes: Buffer, kind: 'incomplete' | 'corrupt', offset: number, reason: string): LogEnd {
  // The damaged entry's own bytes: its declared length when that is plausible (an entry cut short
  // by the end of the file owns everything up to the end), else just the checksum and length.
  let footprint = 12;
  if (offset + 12 <= bytes.length) {
    const length = bytes.readInt32BE(offset + 8);
    if (length > 0) footprint = Math.min(13 + length, bytes.length - offset);
  }
  return { kind, offset, reason, dataFollows: hasNonZeroFrom(bytes, offset + footprint) };
}

function scanEntries(bytes: Buffer, maxEntryBytes: number): { entries: LogEntry[]; end: LogEnd } {
  const entries: LogEntry[] = [];
  let offset = FILE_HEADER_BYTES;
  for (;;) {
    if (offset + 12 > bytes.length) {
      const end: LogEnd = hasNonZeroFrom(bytes, offset)
        ? damaged(bytes, 'incomplete', offset, 'file ends inside an entry header')
        : { kind: 'end', offset };
      return { entries, end };
    }
    const checksum = bytes.readBigInt64BE(offset);
    const length = bytes.readInt32BE(offset + 8);
    if (length === 0) {
      // A zero length marks the preallocated tail; a non-zero checksum with it is damage.
      const end: LogEnd = checksum === 0n ? { kind: 'end', offset } : damaged(bytes, 'corrupt', offset, 'checksum without an entry');
      return { entries, end };
    }
    if (length < 0 || length > maxEntryBytes) {
      return { entries, end: damaged(bytes, 'corrupt', offset, `entry length ${length} is out of range`) };
    }
    const endOfEntry = offset + 12 + length + 1;
    if (endOfEntry > bytes.length) {
      return { entries, end: damaged(bytes, 'incomplete', offset, 'file ends inside an entry') };
    }
    const txnBytes = bytes.subarray(offset + 12, offset + 12 + length);
    if (bytes[endOfEntry - 1] !== END_OF_RECORD) {
      const zeros = bytes.subarray(offset + 12, endOfEntry).every((b) => b === 0);
      // A length written but its bytes still zero: the write was torn before the payload landed.
      const kind = zeros ? 'incomplete' : 'corrupt';
      return { entries, end: damaged(bytes, kind, offset, 'missing end-of-record marker') };
    }
    if (adler32(txnBytes) !== checksum) {
      return { entries, end: damaged(bytes, 'corrupt', offset, 'checksum mismatch') };
    }
    entries.push({ offset, txnBytes });
    offset = endOfEntry;
  }
}

export function logFileName(firstZxid: bigint): string {
  return `log.${firstZxid.toString(16)}`;
}

export function snapshotFileName(lastZxid: bigint): string {
  return `snapshot.${lastZxid.toString(16)}`;
}

/** The zxid in a `log.<hex>` or `snapshot.<hex>` name, or null for any other name. */
export function zxidOfFileName(name: string, prefix: 'log' | 'snapshot'): bigint | null {
  const match = new RegExp(`^${prefix}\\.([0-9a-fA-F]+)$`, 'u').exec(name);
  if (match?.[1] === undefined) return null;
  return BigInt(`0x${match[1]}`);
}
