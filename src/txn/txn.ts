// A transaction is what a write request becomes once prepared: ZooKeeper's TxnHeader plus one txn
// record, exactly the bytes 3.8 writes to its log and sends in PROPOSAL packets. Apply is a pure
// function of these values (time comes from the header, never from a clock), so every replica and
// every replay of the log reaches the same tree.

import {
  JuteReader,
  JuteWriter,
  readCheckVersionTxn,
  readCloseSessionTxn,
  readCreateContainerTxn,
  readCreateSessionTxn,
  readCreateTTLTxn,
  readCreateTxn,
  readDeleteTxn,
  readErrorTxn,
  readMultiTxn,
  readSetACLTxn,
  readSetDataTxn,
  readTxnDigest,
  readTxnHeader,
  writeCheckVersionTxn,
  writeCloseSessionTxn,
  writeCreateContainerTxn,
  writeCreateSessionTxn,
  writeCreateTTLTxn,
  writeCreateTxn,
  writeDeleteTxn,
  writeErrorTxn,
  writeMultiTxn,
  writeSetACLTxn,
  writeSetDataTxn,
  writeTxnDigest,
  writeTxnHeader,
  type CheckVersionTxn,
  type CreateContainerTxn,
  type CreateTTLTxn,
  type CreateTxn,
  type DeleteTxn,
  type SetACLTxn,
  type SetDataTxn,
  type TxnDigest,
  type TxnHeader,
} from '../jute/index.js';
import { OpCode } from '../protocol/op-code.js';

export type TxnBody =
  | { readonly kind: 'create'; readonly record: CreateTxn }
  | { readonly kind: 'createTTL'; readonly record: CreateTTLTxn }
  | { readonly kind: 'createContainer'; readonly record: CreateContainerTxn }
  | { readonly kind: 'delete'; readonly record: DeleteTxn }
  | { readonly kind: 'setData'; readonly record: SetDataTxn }
  | { readonly kind: 'setACL'; readonly record: SetACLTxn }
  | { readonly kind: 'check'; readonly record: CheckVersionTxn }
  | { readonly kind: 'createSession'; readonly timeOutMs: number }
  | { readonly kind: 'closeSession'; readonly paths2Delete: readonly string[] | null }
  | { readonly kind: 'error'; readonly err: number }
  | { readonly kind: 'multi'; readonly ops: readonly MultiSubTxn[] };

/** One op inside a MultiTxn: its op code and body. Nested multis do not exist. */
export interface MultiSubTxn {
  readonly type: number;
  readonly body: Exclude<TxnBody, { kind: 'multi' | 'createSession' | 'closeSession' }>;
}

export interface Txn {
  readonly header: TxnHeader;
  readonly body: TxnBody;
  readonly digest: TxnDigest | null;
}

export class TxnDecodeError extends Error {
  readonly code = 'ZKS_TXN_DECODE';
}

function writeBody(writer: JuteWriter, body: TxnBody): void {
  switch (body.kind) {
    case 'create':
      return writeCreateTxn(writer, body.record);
    case 'createTTL':
      return writeCreateTTLTxn(writer, body.record);
    case 'createContainer':
      return writeCreateContainerTxn(writer, body.record);
    case 'delete':
      return writeDeleteTxn(writer, body.record);
    case 'setData':
      return writeSetDataTxn(writer, body.record);
    case 'setACL':
      return writeSetACLTxn(writer, body.record);
    case 'check':
      return writeCheckVersionTxn(writer, body.record);
    case 'createSession':
      return writeCreateSessionTxn(writer, { timeOut: body.timeOutMs });
    case 'closeSession':
      if (body.paths2Delete !== null) writeCloseSessionTxn(writer, { paths2Delete: [...body.paths2Delete] });
      return;
    case 'error':
      return writeErrorTxn(writer, { err: body.err });
    case 'multi':
      return writeMultiTxn(writer, {
        txns: body.ops.map((op) => {
          const inner = new JuteWriter(64);
          writeBody(inner, op.body);
          return { type: op.type, data: inner.toBuffer() };
        }),
      });
  }
}

/** The writer encodeTxn reuses when given none; larger than SCRATCH_KEEP_MAX it is dropped after use. */
let scratch = new JuteWriter(256);
const SCRATCH_KEEP_MAX = 64 * 1024;

/**
 * Serializes header, record and (when present) digest, as one log entry or proposal payload. With
 * a writer, returns a view of it (see JuteWriter.toBuffer); without, a buffer of its own, encoded in
 * a reused writer and copied out (one txn per write request: a writer each was needless garbage).
 */
export function encodeTxn(txn: Txn, writer?: JuteWriter): Buffer {
  if (writer !== undefined) {
    writeTxn(writer, txn);
    return writer.toBuffer();
  }
  const w = scratch;
  w.reset();
  writeTxn(w, txn);
  const bytes = w.copyBytes();
  if (w.capacity > SCRATCH_KEEP_MAX) scratch = new JuteWriter(256);
  return bytes;
}

function writeTxn(writer: JuteWriter, txn: Txn): void {
  writeTxnHeader(writer, txn.header);
  writeBody(writer, txn.body);
  if (txn.digest !== null) writeTxnDigest(writer, txn.digest);
}

function readBody(type: number, reader: JuteReader): TxnBody {
  switch (type) {
    case OpCode.createSession:
      return { kind: 'createSession', timeOutMs: readCreateSessionTxn(reader).timeOut };
    case OpCode.closeSession:
      // Before 3.6 a closeSession txn had no record; 3.8 writes the ephemerals it deletes.
      return { kind: 'closeSession', paths2Delete: reader.remaining > 0 ? readCloseSessionTxn(reader).paths2Delete : null };
    case OpCode.setACL:
      return { kind: 'setACL', record: readSetACLTxn(reader) };
    case OpCode.reconfig:
      return { kind: 'setData', record: readSetDataTxn(reader) };
    case OpCode.multi:
      return {
        kind: 'multi',
        ops: readMultiTxn(reader).txns.map((t) => ({ type: t.type, body: readSimpleBody(t.type, new JuteReader(t.data ?? Buffer.alloc(0))) })),
      };
    default:
      return readSimpleBody(type, reader);
  }
}

function readSimpleBody(type: number, reader: JuteReader): MultiSubTxn['body'] {
  switch (type) {
    case OpCode.create:
    case OpCode.create2:
      return { kind: 'create', record: readCreateTxn(reader) };
    case OpCode.createTTL:
      return { kind: 'createTTL', record: readCreateTTLTxn(reader) };
    case OpCode.createContainer:
      return { kind: 'createContainer', record: readCreateContainerTxn(reader) };
    case OpCode.delete:
    case OpCode.deleteContainer:
      return { kind: 'delete', record: readDeleteTxn(reader) };
    case OpCode.setData:
      return { kind: 'setData', record: readSetDataTxn(reader) };
    case OpCode.check:
      return { kind: 'check', record: readCheckVersionTxn(reader) };
    case OpCode.error:
      return { kind: 'error', err: readErrorTxn(reader).err };
    default:
      throw new TxnDecodeError(`unknown txn type ${type}`);
  }
}

/** Parses one log entry or proposal payload; the digest is optional, as in 3.8's logs. */
export function decodeTxn(bytes: Uint8Array): Txn {
  const reader = new JuteReader(bytes, { maxBufferBytes: 0x7ffffff0 });
  const header = readTxnHeader(reader);
  const body = readBody(header.type, reader);
  const digest = reader.remaining > 0 ? readTxnDigest(reader) : null;
  return { header, body, digest };
}
