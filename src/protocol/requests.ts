// Client requests as typed values: the body after the RequestHeader, decoded by op code. A body that
// does not decode is not an exception for the caller but a `malformed` value, because 3.8 answers
// it (MarshallingError, and for writes an error txn) instead of dropping the connection.

import {
  JuteReader,
  readAddWatchRequest,
  readAuthPacket,
  readCheckVersionRequest,
  readCheckWatchesRequest,
  readCreateRequest,
  readCreateTTLRequest,
  readDeleteRequest,
  readExistsRequest,
  readGetACLRequest,
  readGetAllChildrenNumberRequest,
  readGetChildren2Request,
  readGetChildrenRequest,
  readGetDataRequest,
  readGetEphemeralsRequest,
  readGetSASLRequest,
  readMultiHeader,
  readRemoveWatchesRequest,
  readSetACLRequest,
  readSetDataRequest,
  readSetWatches,
  readSetWatches2,
  readSyncRequest,
  type ACL,
  type AddWatchRequest,
  type AuthPacket,
  type CheckVersionRequest,
  type CheckWatchesRequest,
  type DeleteRequest,
  type ExistsRequest,
  type GetACLRequest,
  type GetAllChildrenNumberRequest,
  type GetChildrenRequest,
  type GetDataRequest,
  type GetEphemeralsRequest,
  type GetSASLRequest,
  type RemoveWatchesRequest,
  type SetACLRequest,
  type SetDataRequest,
  type SetWatches2,
  type SyncRequest,
} from '../jute/index.js';
import { createModeFromFlags, isTtl } from './constants.js';
import { OpCode } from './op-code.js';

/** A create of any flavour; `ttl` is -1 unless the request was createTTL. */
export interface CreateOp {
  readonly path: string;
  readonly data: Buffer | null;
  readonly acl: ACL[];
  readonly flags: number;
  readonly ttl: bigint;
}

/** One write op of a multi, typed as 3.8's Op classes type it. */
export type MultiWriteOp =
  | { readonly type: number; readonly kind: 'create'; readonly record: CreateOp }
  | { readonly type: number; readonly kind: 'delete'; readonly record: DeleteRequest }
  | { readonly type: number; readonly kind: 'setData'; readonly record: SetDataRequest }
  | { readonly type: number; readonly kind: 'check'; readonly record: CheckVersionRequest };

export type MultiReadOp =
  | { readonly kind: 'getChildren'; readonly path: string }
  | { readonly kind: 'getData'; readonly path: string };

export type WriteRequest =
  | { readonly kind: 'create'; readonly type: number; readonly record: CreateOp }
  | { readonly kind: 'delete'; readonly record: DeleteRequest }
  | { readonly kind: 'deleteContainer'; readonly path: string }
  | { readonly kind: 'setData'; readonly record: SetDataRequest }
  | { readonly kind: 'setACL'; readonly record: SetACLRequest }
  | { readonly kind: 'check'; readonly record: CheckVersionRequest }
  | { readonly kind: 'multi'; readonly ops: readonly MultiWriteOp[] }
  | { readonly kind: 'reconfig'; readonly record: ReconfigFields }
  | { readonly kind: 'closeSession' };

/**
 * A ReconfigRequest with its null strings kept: 3.8 tells a null `newMembers` (the incremental form)
 * from an empty one (the non-incremental form, refused), and Java clients send null for the fields
 * a form does not use.
 */
export interface ReconfigFields {
  readonly joiningServers: string | null;
  readonly leavingServers: string | null;
  readonly newMembers: string | null;
  readonly curConfigId: bigint;
}

function readReconfigFields(reader: JuteReader): ReconfigFields {
  return { joiningServers: reader.readUstring(), leavingServers: reader.readUstring(), newMembers: reader.readUstring(), curConfigId: reader.readLong() };
}

export type ReadRequest =
  | { readonly kind: 'exists'; readonly record: ExistsRequest }
  | { readonly kind: 'getData'; readonly record: GetDataRequest }
  | { readonly kind: 'getACL'; readonly record: GetACLRequest }
  | { readonly kind: 'getChildren'; readonly record: GetChildrenRequest }
  | { readonly kind: 'getChildren2'; readonly record: GetChildrenRequest }
  | { readonly kind: 'getAllChildrenNumber'; readonly record: GetAllChildrenNumberRequest }
  | { readonly kind: 'getEphemerals'; readonly record: GetEphemeralsRequest }
  | { readonly kind: 'sync'; readonly record: SyncRequest }
  | { readonly kind: 'ping' }
  | { readonly kind: 'multiRead'; readonly ops: readonly MultiReadOp[] }
  | { readonly kind: 'setWatches'; readonly record: SetWatches2 }
  | { readonly kind: 'checkWatches'; readonly record: CheckWatchesRequest }
  | { readonly kind: 'removeWatches'; readonly record: RemoveWatchesRequest }
  | { readonly kind: 'addWatch'; readonly record: AddWatchRequest }
  | { readonly kind: 'whoAmI' };

export type ConnectionRequest =
  | { readonly kind: 'auth'; readonly record: AuthPacket }
  | { readonly kind: 'sasl'; readonly record: GetSASLRequest };

export type DecodedRequest =
  | { readonly class: 'write'; readonly request: WriteRequest }
  | { readonly class: 'read'; readonly request: ReadRequest }
  | { readonly class: 'connection'; readonly request: ConnectionRequest }
  | { readonly class: 'malformedWrite' }
  /** An auth or sasl packet that does not decode: 3.8 drops the connection without a reply. */
  | { readonly class: 'malformedConnection' }
  | { readonly class: 'malformedRead' }
  /** A multiRead whose ops are all writes: 3.8 answers MarshallingError with an empty multi body. */
  | { readonly class: 'multiReadOfWrites' }
  | { readonly class: 'unknown' };

const WRITE_TYPES: ReadonlySet<number> = new Set([
  OpCode.create,
  OpCode.create2,
  OpCode.createContainer,
  OpCode.createTTL,
  OpCode.delete,
  OpCode.deleteContainer,
  OpCode.setData,
  OpCode.setACL,
  OpCode.check,
  OpCode.multi,
  OpCode.reconfig,
  OpCode.closeSession,
]);

export function isWriteType(type: number): boolean {
  return WRITE_TYPES.has(type);
}

function readCreate(reader: JuteReader, type: number): CreateOp {
  if (type === OpCode.createTTL) {
    const r = readCreateTTLRequest(reader);
    return { path: r.path, data: r.data, acl: r.acl, flags: r.flags, ttl: r.ttl };
  }
  const r = readCreateRequest(reader);
  return { path: r.path, data: r.data, acl: r.acl, flags: r.flags, ttl: -1n };
}

/** The op code 3.8's Op.create assigns from the flags (create2 inside a multi becomes create). */
function multiCreateType(flags: number): number {
  const mode = createModeFromFlags(flags) ?? 'persistent';
  if (isTtl(mode)) return OpCode.createTTL;
  return mode === 'container' ? OpCode.createContainer : OpCode.create;
}

class MultiDecodeError extends Error {}
class MultiReadOfWritesError extends Error {}

/** MultiOperationRecord: (MultiHeader, op record)* terminated by a header with done = true. */
function readMultiOps(reader: JuteReader): { writes: MultiWriteOp[]; reads: MultiReadOp[] } {
  const writes: MultiWriteOp[] = [];
  const reads: MultiReadOp[] = [];
  for (let header = readMultiHeader(reader); !header.done; header = readMultiHeader(reader)) {
    switch (header.type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL: {
        const record = readCreate(reader, header.type === OpCode.createTTL ? OpCode.createTTL : OpCode.create);
        writes.push({ type: multiCreateType(record.flags), kind: 'create', record });
        break;
      }
      case OpCode.delete:
        writes.push({ type: OpCode.delete, kind: 'delete', record: readDeleteRequest(reader) });
        break;
      case OpCode.setData:
        writes.push({ type: OpCode.setData, kind: 'setData', record: readSetDataRequest(reader) });
        break;
      case OpCode.check:
        writes.push({ type: OpCode.check, kind: 'check', record: readCheckVersionRequest(reader) });
        break;
      case OpCode.getChildren:
        reads.push({ kind: 'getChildren', path: readGetChildrenRequest(reader).path });
        break;
      case OpCode.getData:
        reads.push({ kind: 'getData', path: readGetDataRequest(reader).path });
        break;
      default:
        throw new MultiDecodeError(`invalid op type ${header.type} in a multi`);
    }
    if (writes.length > 0 && reads.length > 0) throw new MultiDecodeError('mixing read and write ops in a multi');
  }
  return { writes, reads };
}

function decodeWrite(type: number, reader: JuteReader, body: Uint8Array): WriteRequest {
  switch (type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      return { kind: 'create', type, record: readCreate(reader, type) };
    case OpCode.delete:
      return { kind: 'delete', record: readDeleteRequest(reader) };
    case OpCode.deleteContainer:
      // 3.8 reads this body as a bare UTF-8 path (it is meant for the server's own container reaper).
      return { kind: 'deleteContainer', path: Buffer.from(body).toString('utf8') };
    case OpCode.setData:
      return { kind: 'setData', record: readSetDataRequest(reader) };
    case OpCode.setACL:
      return { kind: 'setACL', record: readSetACLRequest(reader) };
    case OpCode.check:
      return { kind: 'check', record: readCheckVersionRequest(reader) };
    case OpCode.multi: {
      const { writes, reads } = readMultiOps(reader);
      if (reads.length > 0) throw new MultiDecodeError('read ops in a write multi');
      return { kind: 'multi', ops: writes };
    }
    case OpCode.reconfig:
      return { kind: 'reconfig', record: readReconfigFields(reader) };
    case OpCode.closeSession:
      return { kind: 'closeSession' };
    default:
      throw new MultiDecodeError(`not a write type ${type}`);
  }
}

function decodeRead(type: number, reader: JuteReader): ReadRequest | null {
  switch (type) {
    case OpCode.exists:
      return { kind: 'exists', record: readExistsRequest(reader) };
    case OpCode.getData:
      return { kind: 'getData', record: readGetDataRequest(reader) };
    case OpCode.getACL:
      return { kind: 'getACL', record: readGetACLRequest(reader) };
    case OpCode.getChildren:
      return { kind: 'getChildren', record: readGetChildrenRequest(reader) };
    case OpCode.getChildren2:
      return { kind: 'getChildren2', record: readGetChildren2Request(reader) };
    case OpCode.getAllChildrenNumber:
      return { kind: 'getAllChildrenNumber', record: readGetAllChildrenNumberRequest(reader) };
    case OpCode.getEphemerals:
      return { kind: 'getEphemerals', record: readGetEphemeralsRequest(reader) };
    case OpCode.sync:
      return { kind: 'sync', record: readSyncRequest(reader) };
    case OpCode.ping:
      return { kind: 'ping' };
    case OpCode.multiRead: {
      const { writes, reads } = readMultiOps(reader);
      if (writes.length > 0) throw new MultiReadOfWritesError('write ops in a multiRead');
      return { kind: 'multiRead', ops: reads };
    }
    case OpCode.setWatches: {
      const r = readSetWatches(reader);
      return {
        kind: 'setWatches',
        record: { ...r, persistentWatches: [], persistentRecursiveWatches: [] },
      };
    }
    case OpCode.setWatches2:
      return { kind: 'setWatches', record: readSetWatches2(reader) };
    case OpCode.checkWatches:
      return { kind: 'checkWatches', record: readCheckWatchesRequest(reader) };
    case OpCode.removeWatches:
      return { kind: 'removeWatches', record: readRemoveWatchesRequest(reader) };
    case OpCode.addWatch:
      return { kind: 'addWatch', record: readAddWatchRequest(reader) };
    case OpCode.whoAmI:
      return { kind: 'whoAmI' };
    default:
      return null;
  }
}

/**
 * Requests whose path 3.8 dereferences before validating it: a null path (length -1) makes it throw
 * a NullPointerException, which it answers as MarshallingError. Other requests validate the path
 * first and answer BadArguments, which is what the empty string we decode a null to gives.
 */
const NULL_PATH_IS_MALFORMED: ReadonlySet<number> = new Set([
  OpCode.create,
  OpCode.create2,
  OpCode.createContainer,
  OpCode.createTTL,
  OpCode.delete,
  OpCode.exists,
  OpCode.getData,
  OpCode.getChildren,
  OpCode.getChildren2,
  OpCode.getACL,
  OpCode.getAllChildrenNumber,
]);

function startsWithNullString(body: Uint8Array): boolean {
  return body.length >= 4 && body[0] === 0xff && body[1] === 0xff && body[2] === 0xff && body[3] === 0xff;
}

/** Decodes a request body of the given type; `maxBufferBytes` is jute.maxbuffer. */
export function decodeRequest(type: number, body: Uint8Array, maxBufferBytes: number): DecodedRequest {
  const reader = new JuteReader(body, { maxBufferBytes });
  // createSession is the server's own txn type; from a client its body never parses as 3.8 expects.
  if (type === OpCode.createSession) return { class: 'malformedWrite' };
  if (NULL_PATH_IS_MALFORMED.has(type) && startsWithNullString(body)) {
    return isWriteType(type) ? { class: 'malformedWrite' } : { class: 'malformedRead' };
  }
  if (type === OpCode.auth || type === OpCode.sasl) {
    try {
      return type === OpCode.auth
        ? { class: 'connection', request: { kind: 'auth', record: readAuthPacket(reader) } }
        : { class: 'connection', request: { kind: 'sasl', record: readGetSASLRequest(reader) } };
    } catch {
      return { class: 'malformedConnection' };
    }
  }
  if (isWriteType(type)) {
    try {
      return { class: 'write', request: decodeWrite(type, reader, body) };
    } catch {
      return { class: 'malformedWrite' };
    }
  }
  try {
    const request = decodeRead(type, reader);
    return request === null ? { class: 'unknown' } : { class: 'read', request };
  } catch (error) {
    return error instanceof MultiReadOfWritesError ? { class: 'multiReadOfWrites' } : { class: 'malformedRead' };
  }
}
