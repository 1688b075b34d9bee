// The tree digest kept incrementally (a cached share per node, a pending number sum) against 3.8's
// definition computed from scratch, and children ordered by counting sort against javaHashSetOrder,
// after random sequences of creates, deletes, setData and setACL (non-ASCII names, big and null data).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ACL } from '../jute/index.js';
import { crc32 } from '../lib/crc32.js';
import { javaHashSetOrder } from '../lib/java-hash-order.js';
import { OpCode } from '../protocol/op-code.js';
import type { Txn, TxnBody } from '../txn/txn.js';
import { DataTree, type Znode } from './data-tree.js';

const ACLS: ACL[][] = [
  [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }],
  [{ perms: 1, id: { scheme: 'digest', id: 'u:x' } }],
];

/** DigestCalculator of 3.8: CRC-32 of path, data and the stat fields, summed as a Java long. */
function digestFromScratch(tree: DataTree): bigint {
  let sum = 0n;
  for (const path of tree.paths()) {
    if (path.startsWith('/zookeeper/')) continue;
    const node = tree.getNode(path) as Znode;
    const s = node.stat;
    const stat = Buffer.alloc(60);
    stat.writeBigInt64BE(s.czxid, 0);
    stat.writeBigInt64BE(s.mzxid, 8);
    stat.writeBigInt64BE(s.pzxid, 16);
    stat.writeBigInt64BE(s.ctime, 24);
    stat.writeBigInt64BE(s.mtime, 32);
    stat.writeInt32BE(s.version, 40);
    stat.writeInt32BE(s.cversion, 44);
    stat.writeInt32BE(s.aversion, 48);
    stat.writeBigInt64BE(s.ephemeralOwner, 52);
    const bytes = Buffer.concat([Buffer.from(path === '/' ? '' : path, 'utf8'), node.data ?? Buffer.alloc(0), stat]);
    sum = BigInt.asIntN(64, sum + BigInt(crc32(bytes)));
  }
  return sum;
}

type Op =
  | { kind: 'create'; parent: number; name: string; data: Buffer | null; acl: number }
  | { kind: 'delete'; target: number }
  | { kind: 'setData'; target: number; data: Buffer | null }
  | { kind: 'setACL'; target: number; acl: number };

const NAMES = ['a', 'b', 'node', 'é', '😀', 'x'.repeat(40), 'n-0001', 'n-0002', 'zookeeper_limits'];
const dataArb = fc.oneof(fc.constant(null), fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)), fc.constant(Buffer.alloc(2000, 3)));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('create' as const), parent: fc.nat(), name: fc.oneof(fc.constantFrom(...NAMES), fc.integer({ min: 0, max: 999 }).map(String)), data: dataArb, acl: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), target: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('setData' as const), target: fc.nat(), data: dataArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('setACL' as const), target: fc.nat(), acl: fc.nat(1) }) },
);

function run(ops: readonly Op[]): DataTree {
  const tree = new DataTree({ extendedTypesEnabled: false });
  let zxid = 0n;
  const apply = (type: number, body: TxnBody): void => {
    zxid++;
    const txn: Txn = { header: { clientId: 1n, cxid: 0, zxid, time: 1000n + zxid, type }, body, digest: null };
    tree.applyTxn(txn);
  };
  const pick = (index: number): string => {
    const paths = [...tree.paths()].filter((p) => p !== '/' && !p.startsWith('/zookeeper'));
    return paths.length === 0 ? '/none' : (paths[index % paths.length] as string);
  };
  for (const op of ops) {
    switch (op.kind) {
      case 'create': {
        const parents = [...tree.paths()].filter((p) => !p.startsWith('/zookeeper'));
        const parent = parents[op.parent % parents.length] as string;
        const path = parent === '/' ? `/${op.name}` : `${parent}/${op.name}`;
        apply(OpCode.create, { kind: 'create', record: { path, data: op.data, acl: ACLS[op.acl] as ACL[], ephemeral: false, parentCVersion: -1 } });
        break;
      }
      case 'delete': {
        const path = pick(op.target);
        const node = tree.getNode(path);
        if (node !== undefined && (node.children?.size ?? 0) === 0) apply(OpCode.delete, { kind: 'delete', record: { path } });
        break;
      }
      case 'setData':
        apply(OpCode.setData, { kind: 'setData', record: { path: pick(op.target), data: op.data, version: 1 } });
        break;
      case 'setACL':
        apply(OpCode.setACL, { kind: 'setACL', record: { path: pick(op.target), acl: ACLS[op.acl] as ACL[], version: 1 } });
        break;
    }
  }
  return tree;
}

describe('tree digest and children order', () => {
  it('the digest kept through changes is the digest computed from scratch', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
        const tree = run(ops);
        expect(tree.digest).toBe(digestFromScratch(tree));
      }),
      { numRuns: 150 },
    );
  });

  it('children come in javaHashSetOrder, and a tree loaded from the nodes has the same digest', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
        const tree = run(ops);
        const nodes: { path: string; data: Buffer | null; aclIndex: number; stat: Znode['stat'] }[] = [];
        const stack = ['/'];
        while (stack.length > 0) {
          const path = stack.pop() as string;
          const node = tree.getNode(path) as Znode;
          const children = tree.childrenOf(node);
          expect(children).toEqual(javaHashSetOrder([...(node.children?.keys() ?? [])], node.childrenCapacity));
          expect(tree.orderedChildrenOf(node)).toEqual(children);
          nodes.push({ path: path === '/' ? '' : path, data: node.data, aclIndex: node.aclIndex, stat: node.stat });
          for (const child of children) stack.push(path === '/' ? `/${child}` : `${path}/${child}`);
        }
        const loaded = new DataTree({ extendedTypesEnabled: false });
        expect(loaded.loadSnapshot([...tree.acls.entries()].map(([index, entry]) => [index, entry.acl] as const), nodes)).toBeNull();
        expect(loaded.digest).toBe(tree.digest);
        expect(loaded.digest).toBe(digestFromScratch(loaded));
      }),
      { numRuns: 100 },
    );
  });

  it('stays exact while the pending sum is folded into the bigint, both ways', () => {
    const tree = new DataTree({ extendedTypesEnabled: false });
    const acl = ACLS[0] as ACL[];
    let zxid = 0n;
    const apply = (type: number, body: TxnBody): void => {
      zxid++;
      tree.applyTxn({ header: { clientId: 1n, cxid: 0, zxid, time: 7n + zxid, type }, body, digest: null });
    };
    // Every share is up to 2^32 and the fold comes at 2^40: thousands of nodes fold many times.
    for (let p = 0; p < 4; p++) {
      apply(OpCode.create, { kind: 'create', record: { path: `/p${p}`, data: null, acl, ephemeral: false, parentCVersion: -1 } });
      for (let c = 0; c < 3000; c++) apply(OpCode.create, { kind: 'create', record: { path: `/p${p}/c${c}`, data: Buffer.from([c & 0xff]), acl, ephemeral: false, parentCVersion: -1 } });
    }
    expect(tree.digest).toBe(digestFromScratch(tree));
    for (let c = 0; c < 3000; c += 2) apply(OpCode.delete, { kind: 'delete', record: { path: `/p1/c${c}` } });
    for (let c = 0; c < 3000; c += 3) apply(OpCode.setData, { kind: 'setData', record: { path: `/p2/c${c}`, data: Buffer.from('changed'), version: 1 } });
    expect(tree.digest).toBe(digestFromScratch(tree));
  });
});
