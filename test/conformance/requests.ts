/**
 * Builders of raw requests (opcode + encoded request record) for conformance scenarios, written
 * with the project's jute codec. Field names follow zookeeper.jute.
 */
import {
  JuteWriter,
  writeAddWatchRequest,
  writeCheckVersionRequest,
  writeCheckWatchesRequest,
  writeCreateRequest,
  writeCreateTTLRequest,
  writeDeleteRequest,
  writeExistsRequest,
  writeGetACLRequest,
  writeGetAllChildrenNumberRequest,
  writeGetChildren2Request,
  writeGetChildrenRequest,
  writeGetDataRequest,
  writeGetEphemeralsRequest,
  writeMultiHeader,
  writeRemoveWatchesRequest,
  writeSetACLRequest,
  writeSetDataRequest,
  writeSetWatches,
  writeSetWatches2,
  writeSyncRequest,
  type ACL,
} from '../../src/jute/index.js';
import { OpCode } from '../../src/protocol/op-code.js';

/** The op codes, from the server's own table (one list of 3.8's codes in the project). */
export const Op = OpCode;

const OP_NAMES = new Map<number, string>(Object.entries(Op).map(([k, v]) => [v, k]));
export function opName(op: number): string {
  return OP_NAMES.get(op) ?? `op${String(op)}`;
}

/** CreateMode flags. */
export const Flags = {
  persistent: 0,
  ephemeral: 1,
  persistentSequential: 2,
  ephemeralSequential: 3,
  container: 4,
  persistentWithTtl: 5,
  persistentSequentialWithTtl: 6,
} as const;

export const Perms = { read: 1, write: 2, create: 4, delete: 8, admin: 16, all: 31 } as const;
/** WatcherType for checkWatches/removeWatches. */
export const WatcherType = { children: 1, data: 2, any: 3, persistent: 4, persistentRecursive: 5 } as const;
/** AddWatchMode. */
export const AddWatchMode = { persistent: 0, persistentRecursive: 1 } as const;

export const OPEN_ACL_UNSAFE: ACL[] = [{ perms: Perms.all, id: { scheme: 'world', id: 'anyone' } }];
export const READ_ACL_UNSAFE: ACL[] = [{ perms: Perms.read, id: { scheme: 'world', id: 'anyone' } }];
export const CREATOR_ALL_ACL: ACL[] = [{ perms: Perms.all, id: { scheme: 'auth', id: '' } }];

export function acl(scheme: string, id: string, perms: number): ACL {
  return { perms, id: { scheme, id } };
}

/** A raw request: opcode and the encoded request record that follows the RequestHeader. */
export interface RawRequest {
  op: number;
  body: Buffer;
}

export type Data = string | Uint8Array | null;

function bytes(data: Data): Buffer | null {
  if (data === null) return null;
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
}

function encode(fill: (w: JuteWriter) => void): Buffer {
  const w = new JuteWriter();
  fill(w);
  return w.toBuffer();
}

export interface CreateOptions {
  acl?: ACL[];
  flags?: number;
}

/** One operation of a multi / multiRead: opcode and encoded record. */
export type MultiOp = RawRequest;

export const req = {
  create(path: string, data: Data = '', o: CreateOptions = {}): RawRequest {
    return { op: Op.create, body: encode((w) => writeCreateRequest(w, { path, data: bytes(data), acl: o.acl ?? OPEN_ACL_UNSAFE, flags: o.flags ?? 0 })) };
  },
  create2(path: string, data: Data = '', o: CreateOptions = {}): RawRequest {
    return { ...req.create(path, data, o), op: Op.create2 };
  },
  createContainer(path: string, data: Data = '', o: CreateOptions = {}): RawRequest {
    return { ...req.create(path, data, { flags: Flags.container, ...o }), op: Op.createContainer };
  },
  createTTL(path: string, data: Data, ttl: bigint, o: CreateOptions = {}): RawRequest {
    return {
      op: Op.createTTL,
      body: encode((w) =>
        writeCreateTTLRequest(w, { path, data: bytes(data), acl: o.acl ?? OPEN_ACL_UNSAFE, flags: o.flags ?? Flags.persistentWithTtl, ttl }),
      ),
    };
  },
  delete(path: string, version = -1): RawRequest {
    return { op: Op.delete, body: encode((w) => writeDeleteRequest(w, { path, version })) };
  },
  exists(path: string, watch = false): RawRequest {
    return { op: Op.exists, body: encode((w) => writeExistsRequest(w, { path, watch })) };
  },
  getData(path: string, watch = false): RawRequest {
    return { op: Op.getData, body: encode((w) => writeGetDataRequest(w, { path, watch })) };
  },
  setData(path: string, data: Data, version = -1): RawRequest {
    return { op: Op.setData, body: encode((w) => writeSetDataRequest(w, { path, data: bytes(data), version })) };
  },
  getACL(path: string): RawRequest {
    return { op: Op.getACL, body: encode((w) => writeGetACLRequest(w, { path })) };
  },
  setACL(path: string, aclList: ACL[], version = -1): RawRequest {
    return { op: Op.setACL, body: encode((w) => writeSetACLRequest(w, { path, acl: aclList, version })) };
  },
  getChildren(path: string, watch = false): RawRequest {
    return { op: Op.getChildren, body: encode((w) => writeGetChildrenRequest(w, { path, watch })) };
  },
  getChildren2(path: string, watch = false): RawRequest {
    return { op: Op.getChildren2, body: encode((w) => writeGetChildren2Request(w, { path, watch })) };
  },
  getAllChildrenNumber(path: string): RawRequest {
    return { op: Op.getAllChildrenNumber, body: encode((w) => writeGetAllChildrenNumberRequest(w, { path })) };
  },
  getEphemerals(prefixPath: string): RawRequest {
    return { op: Op.getEphemerals, body: encode((w) => writeGetEphemeralsRequest(w, { prefixPath })) };
  },
  check(path: string, version: number): RawRequest {
    return { op: Op.check, body: encode((w) => writeCheckVersionRequest(w, { path, version })) };
  },
  sync(path: string): RawRequest {
    return { op: Op.sync, body: encode((w) => writeSyncRequest(w, { path })) };
  },
  addWatch(path: string, mode: number): RawRequest {
    return { op: Op.addWatch, body: encode((w) => writeAddWatchRequest(w, { path, mode })) };
  },
  checkWatches(path: string, type: number): RawRequest {
    return { op: Op.checkWatches, body: encode((w) => writeCheckWatchesRequest(w, { path, type })) };
  },
  removeWatches(path: string, type: number): RawRequest {
    return { op: Op.removeWatches, body: encode((w) => writeRemoveWatchesRequest(w, { path, type })) };
  },
  setWatches(relativeZxid: bigint, w0: { data?: string[]; exist?: string[]; child?: string[] }): RawRequest {
    return {
      op: Op.setWatches,
      body: encode((w) =>
        writeSetWatches(w, { relativeZxid, dataWatches: w0.data ?? [], existWatches: w0.exist ?? [], childWatches: w0.child ?? [] }),
      ),
    };
  },
  setWatches2(
    relativeZxid: bigint,
    w0: { data?: string[]; exist?: string[]; child?: string[]; persistent?: string[]; persistentRecursive?: string[] },
  ): RawRequest {
    return {
      op: Op.setWatches2,
      body: encode((w) =>
        writeSetWatches2(w, {
          relativeZxid,
          dataWatches: w0.data ?? [],
          existWatches: w0.exist ?? [],
          childWatches: w0.child ?? [],
          persistentWatches: w0.persistent ?? [],
          persistentRecursiveWatches: w0.persistentRecursive ?? [],
        }),
      ),
    };
  },
  whoAmI(): RawRequest {
    return { op: Op.whoAmI, body: Buffer.alloc(0) };
  },
  /** getConfig is a getData of /zookeeper/config. */
  getConfig(watch = false): RawRequest {
    return req.getData('/zookeeper/config', watch);
  },
  /** multi (14) or multiRead (22): MultiHeader{type,false,-1} + record per op, then MultiHeader{-1,true,-1}. */
  multi(ops: readonly MultiOp[], op: number = Op.multi): RawRequest {
    return {
      op,
      body: encode((w) => {
        for (const o of ops) {
          writeMultiHeader(w, { type: o.op, done: false, err: -1 });
          w.writeRaw(o.body);
        }
        writeMultiHeader(w, { type: -1, done: true, err: -1 });
      }),
    };
  },
  multiRead(ops: readonly MultiOp[]): RawRequest {
    return req.multi(ops, Op.multiRead);
  },
  /** Any opcode with any body bytes. */
  raw(op: number, body: Uint8Array = new Uint8Array(0)): RawRequest {
    return { op, body: Buffer.from(body) };
  },
};

/** Encodes a ustring-only record by hand, e.g. to send a path that the codec would refuse. */
export function ustringBody(value: string | null): Buffer {
  return encode((w) => w.writeUstring(value));
}
