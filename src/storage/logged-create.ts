// A logged create txn read straight from the bytes of its log entry, for the replay at start. A log
// replayed from the beginning is mostly creates, and decoding each into decodeTxn's records (a
// header, a body, a record, an ACL list of Id objects, a view of the data) was a fifth of a
// million-txn start and much of its garbage. Only the plain case is read here: a create or create2
// whose path, ACL scheme and id are ASCII and whose lengths all fit. Anything else (null fields,
// non-ASCII text, bad lengths) returns null and the caller decodes the txn the general way, which
// decides exactly as it always did, errors included.

import type { ACL } from '../jute/index.js';
import { OpCode } from '../protocol/op-code.js';
import type { LoggedCreate } from '../tree/data-tree.js';
import { TXN_HEADER_BYTES, TXN_HEADER_CLIENT_ID_AT, TXN_HEADER_TIME_AT, TXN_HEADER_TYPE_AT, TXN_HEADER_ZXID_AT } from './txn-log-format.js';

/** TxnDigest after the record: version (4) and treeDigest (8). */
const DIGEST_BYTES = 12;

export class LoggedCreateReader {
  readonly #create: LoggedCreate = { path: '', dataAt: 0, dataLength: -1, acl: [], ephemeral: false, parentCVersion: 0, clientId: 0n, zxid: 0n, time: 0n };
  /** The encoded ACL list last decoded, and what it decoded to: creates mostly repeat one. */
  #aclBytes: Buffer = Buffer.alloc(0);
  #acl: readonly ACL[] = [];

  /**
   * The create txn in bytes[start, start + length), or null when it is not one this reader takes.
   * The result is valid until the next read: the reader reuses it.
   */
  read(bytes: Buffer, view: DataView, start: number, length: number): LoggedCreate | null {
    const end = start + length;
    if (length < TXN_HEADER_BYTES) return null;
    const type = view.getInt32(start + TXN_HEADER_TYPE_AT);
    if (type !== OpCode.create && type !== OpCode.create2) return null;
    let at = start + TXN_HEADER_BYTES;

    if (at + 4 > end) return null;
    const pathLength = view.getInt32(at);
    at += 4;
    if (pathLength < 0 || at + pathLength > end || !isAscii(bytes, at, at + pathLength)) return null;
    const pathAt = at;
    at += pathLength;

    if (at + 4 > end) return null;
    const dataLength = view.getInt32(at);
    at += 4;
    if (dataLength < -1 || (dataLength > 0 && at + dataLength > end)) return null;
    const dataAt = at;
    if (dataLength > 0) at += dataLength;

    const aclAt = at;
    const aclEnd = aclListEnd(bytes, view, at, end);
    if (aclEnd < 0 || aclEnd + 5 > end) return null;
    at = aclEnd;
    const ephemeral = bytes[at] !== 0;
    const parentCVersion = view.getInt32(at + 1);
    at += 5;
    // decodeTxn reads a digest when anything follows the record, and fails on a partial one.
    if (at !== end && end - at < DIGEST_BYTES) return null;

    const create = this.#create;
    create.path = bytes.toString('latin1', pathAt, pathAt + pathLength);
    create.dataAt = dataAt;
    create.dataLength = dataLength;
    create.acl = this.#aclOf(bytes, view, aclAt, aclEnd);
    create.ephemeral = ephemeral;
    create.parentCVersion = parentCVersion;
    // Only an ephemeral node keeps its creator's session id.
    create.clientId = ephemeral ? view.getBigInt64(start + TXN_HEADER_CLIENT_ID_AT) : 0n;
    create.zxid = view.getBigInt64(start + TXN_HEADER_ZXID_AT);
    create.time = view.getBigInt64(start + TXN_HEADER_TIME_AT);
    return create;
  }

  #aclOf(bytes: Buffer, view: DataView, from: number, to: number): readonly ACL[] {
    const cached = this.#aclBytes;
    if (sameBytes(cached, bytes, from, to)) return this.#acl;
    const acl: ACL[] = [];
    const count = view.getInt32(from);
    let at = from + 4;
    for (let i = 0; i < count; i++) {
      const perms = view.getInt32(at);
      const schemeLength = view.getInt32(at + 4);
      const scheme = bytes.toString('latin1', at + 8, at + 8 + schemeLength);
      at += 8 + schemeLength;
      const idLength = view.getInt32(at);
      const id = bytes.toString('latin1', at + 4, at + 4 + idLength);
      at += 4 + idLength;
      acl.push({ perms, id: { scheme, id } });
    }
    // A copy: the bytes read are a window that the next read of the file overwrites.
    this.#aclBytes = Buffer.from(bytes.subarray(from, to));
    this.#acl = acl;
    return acl;
  }
}

/** Where an ACL list starting at `at` ends, or -1 unless every count and length fits and the text is ASCII. */
function aclListEnd(bytes: Buffer, view: DataView, from: number, end: number): number {
  if (from + 4 > end) return -1;
  const count = view.getInt32(from);
  if (count < 0) return -1;
  let at = from + 4;
  for (let i = 0; i < count; i++) {
    if (at + 8 > end) return -1;
    const schemeLength = view.getInt32(at + 4);
    at += 8;
    if (schemeLength < 0 || at + schemeLength > end || !isAscii(bytes, at, at + schemeLength)) return -1;
    at += schemeLength;
    if (at + 4 > end) return -1;
    const idLength = view.getInt32(at);
    at += 4;
    if (idLength < 0 || at + idLength > end || !isAscii(bytes, at, at + idLength)) return -1;
    at += idLength;
  }
  return at;
}

/** Whether bytes[from, to) equal `expected`; a loop, as Buffer.compare's call costs more than these few bytes. */
function sameBytes(expected: Buffer, bytes: Buffer, from: number, to: number): boolean {
  if (expected.length !== to - from) return false;
  for (let i = 0; i < expected.length; i++) if (expected[i] !== bytes[from + i]) return false;
  return true;
}

function isAscii(bytes: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if ((bytes[i] as number) >= 0x80) return false;
  return true;
}
