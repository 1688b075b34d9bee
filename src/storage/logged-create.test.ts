// The replay's create reader against decodeTxn: for every create it takes, the same fields; for
// anything it does not take, null (the replay then decodes the general way). And a tree fed the
// same creates both ways (applyTxn with the decoded txn, applyLoggedCreate with what the reader
// read) ends up the same, digest included, also when creates fail (node exists, no parent).

import { describe, expect, it } from 'vitest';
import type { ACL } from '../jute/index.js';
import { OpCode } from '../protocol/op-code.js';
import { DataTree } from '../tree/data-tree.js';
import { decodeTxn, encodeTxn, type Txn } from '../txn/txn.js';
import { LoggedCreateReader } from './logged-create.js';

const OPEN: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const MIXED: ACL[] = [
  { perms: 1, id: { scheme: 'world', id: 'anyone' } },
  { perms: 31, id: { scheme: 'digest', id: 'u:hash=' } },
  { perms: 3, id: { scheme: 'ip', id: '10.0.0.0/8' } },
];

interface CreateSpec {
  readonly path: string;
  readonly data?: Buffer | null;
  readonly acl?: ACL[];
  readonly ephemeral?: boolean;
  readonly type?: number;
  readonly digest?: boolean;
  readonly parentCVersion?: number;
}

function createTxn(zxid: bigint, spec: CreateSpec): Txn {
  return {
    header: { clientId: 0x1234n, cxid: 7, zxid, time: 1_700_000_000_000n + zxid, type: spec.type ?? OpCode.create },
    body: {
      kind: 'create',
      record: { path: spec.path, data: spec.data === undefined ? Buffer.from(`data ${zxid}`) : spec.data, acl: spec.acl ?? OPEN, ephemeral: spec.ephemeral ?? false, parentCVersion: spec.parentCVersion ?? -1 },
    },
    digest: spec.digest === false ? null : { version: 2, treeDigest: 99n },
  };
}

/** The entry bytes placed at an offset of a larger buffer, as a window of a log file holds them. */
function inWindow(bytes: Buffer): { window: Buffer; view: DataView; start: number } {
  const window = Buffer.alloc(bytes.length + 40, 0xee);
  bytes.copy(window, 17);
  return { window, view: new DataView(window.buffer, window.byteOffset, window.length), start: 17 };
}

describe('LoggedCreateReader', () => {
  it('reads what decodeTxn reads from every create it takes', () => {
    const reader = new LoggedCreateReader();
    const specs: CreateSpec[] = [
      { path: '/a' },
      { path: '/a/b', data: null },
      { path: '/a/c', data: Buffer.alloc(0) },
      { path: '/a/d', ephemeral: true, acl: MIXED },
      { path: '/a/e', acl: MIXED, digest: false },
      { path: '/a/f', type: OpCode.create2, parentCVersion: 12 },
      { path: '/a/g', acl: [] },
      { path: '/a/h', data: Buffer.alloc(5000, 7) },
    ];
    specs.forEach((spec, i) => {
      const bytes = encodeTxn(createTxn(BigInt(i + 1), spec));
      const decoded = decodeTxn(bytes);
      const { window, view, start } = inWindow(bytes);
      const read = reader.read(window, view, start, bytes.length);
      expect(read, spec.path).not.toBeNull();
      if (read === null || decoded.body.kind !== 'create') return;
      const record = decoded.body.record;
      expect(read.path).toBe(record.path);
      const data = read.dataLength < 0 ? null : window.subarray(read.dataAt, read.dataAt + read.dataLength);
      expect(data).toEqual(record.data);
      expect(read.acl).toEqual(record.acl);
      expect(read.ephemeral).toBe(record.ephemeral);
      expect(read.parentCVersion).toBe(record.parentCVersion);
      expect([read.zxid, read.time]).toEqual([decoded.header.zxid, decoded.header.time]);
      expect(read.clientId).toBe(record.ephemeral ? decoded.header.clientId : 0n);
    });
  });

  it('leaves to decodeTxn what it does not take', () => {
    const reader = new LoggedCreateReader();
    const create = encodeTxn(createTxn(1n, { path: '/a' }));
    const cases: [string, Buffer][] = [
      ['a non-ASCII path', encodeTxn(createTxn(1n, { path: '/ä' }))],
      ['a non-ASCII ACL id', encodeTxn(createTxn(1n, { path: '/a', acl: [{ perms: 31, id: { scheme: 'digest', id: 'ü:x' } }] }))],
      ['a setData', encodeTxn({ header: { clientId: 1n, cxid: 1, zxid: 1n, time: 1n, type: OpCode.setData }, body: { kind: 'setData', record: { path: '/a', data: null, version: 1 } }, digest: null })],
      ['a create cut inside its record', create.subarray(0, 40)],
      ['a create with part of a digest', create.subarray(0, create.length - 4)],
      ['a path length past the end', Buffer.concat([create.subarray(0, 32), Buffer.from([0x7f, 0, 0, 0]), create.subarray(36)])],
      ['a null path', Buffer.concat([create.subarray(0, 32), Buffer.from([0xff, 0xff, 0xff, 0xff]), create.subarray(38)])],
    ];
    for (const [what, bytes] of cases) {
      const { window, view, start } = inWindow(bytes);
      expect(reader.read(window, view, start, bytes.length), what).toBeNull();
    }
  });
});

describe('applyLoggedCreate', () => {
  it('leaves the tree as applyTxn does, failed creates included', () => {
    const decodedWay = new DataTree({ extendedTypesEnabled: true });
    const readWay = new DataTree({ extendedTypesEnabled: true });
    const reader = new LoggedCreateReader();
    const specs: CreateSpec[] = [
      { path: '/a', acl: MIXED },
      { path: '/a/b', data: null },
      { path: '/a/b/c', ephemeral: true },
      { path: '/a/b', data: Buffer.from('again') }, // exists: the parent's cversion is repaired
      { path: '/missing/child' }, // no parent
      { path: '/a/d', data: Buffer.alloc(0), type: OpCode.create2, parentCVersion: 5 },
      { path: '/a/e', data: Buffer.alloc(3000, 1) },
    ];
    specs.forEach((spec, i) => {
      const txn = createTxn(BigInt(i + 1), spec);
      const bytes = encodeTxn(txn);
      decodedWay.applyTxn(decodeTxn(bytes));
      const { window, view, start } = inWindow(bytes);
      const read = reader.read(window, view, start, bytes.length);
      if (read === null) throw new Error(`not read: ${spec.path}`);
      readWay.applyLoggedCreate(read, window);
      // The window is reused for the next entry: the tree must have copied the data.
      window.fill(0x55);
    });
    expect(readWay.digest).toBe(decodedWay.digest);
    expect(readWay.lastProcessedZxid).toBe(decodedWay.lastProcessedZxid);
    for (const path of ['/', '/a', '/a/b', '/a/b/c', '/a/d', '/a/e']) {
      const expected = decodedWay.getNode(path);
      const actual = readWay.getNode(path);
      expect(actual?.stat, path).toEqual(expected?.stat);
      expect(actual?.data, path).toEqual(expected?.data);
      expect(actual && readWay.aclOf(actual), path).toEqual(expected && decodedWay.aclOf(expected));
    }
    expect(readWay.getNode('/missing/child')).toBeUndefined();
  });
});
