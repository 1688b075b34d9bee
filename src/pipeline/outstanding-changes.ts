// The speculative view a write is prepared against: the tree as it will be once every txn already
// prepared (but not yet applied) is applied. 3.8 keeps the same structure (ChangeRecord,
// outstandingChanges); without it, two writes prepared before either is fsynced would both see
// the old version and sequence number.
//
// It also carries 3.8's precalculated digests: each record knows its node's share of the tree
// digest and the digest of the whole tree once it is applied, so a txn can be logged with the tree
// digest it will produce (PrepRequestProcessor.precalculateDigest) before it is applied anywhere.

import type { ACL } from '../jute/index.js';
import { nodeDigestOf, type Znode, type ZnodeStat } from '../tree/data-tree.js';

/** The part of the tree the speculative view reads. */
export interface TreeView {
  getNode(path: string): Znode | undefined;
  aclOf(node: Znode): readonly ACL[];
  /** The applied tree's digest (DataTree.getTreeDigest). */
  digest(): bigint;
}

export interface ChangeRecord {
  readonly zxid: bigint;
  readonly path: string;
  /** null once the node is deleted by a prepared txn. */
  readonly stat: ZnodeStat | null;
  childCount: number;
  /** Never changed in place: a record with other ACLs gets another array. */
  readonly acl: readonly ACL[];
  /** CRC-32 register after the path and the data the node will have (see Znode.digestRegister). */
  digestRegister: number;
  /** The node's share of the tree digest once applied (0 when deleted); set by add(). */
  nodeDigest: number;
  /** What applying this record changes the tree digest by; set by add(). */
  digestDelta: number;
}

/** The zxid of a record that shows a node as the tree holds it (no pending change). */
const TREE_ZXID = -1n;

export function duplicateRecord(record: ChangeRecord, zxid: bigint): { -readonly [K in keyof ChangeRecord]: ChangeRecord[K] } & { stat: ZnodeStat } {
  const stat: ZnodeStat =
    record.stat === null
      ? { czxid: 0n, mzxid: 0n, ctime: 0n, mtime: 0n, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, pzxid: 0n }
      : { ...record.stat };
  return { zxid, path: record.path, stat, childCount: record.childCount, acl: record.acl, digestRegister: record.digestRegister, nodeDigest: 0, digestDelta: 0 };
}

export class OutstandingChanges {
  /** Records in prepare order; slots before #head are cleared (undefined) once applied. */
  readonly #queue: (ChangeRecord | undefined)[] = [];
  #head = 0;
  /** Sum of the digestDelta of the records not applied yet. */
  #pendingDigestDelta = 0;
  readonly #byPath = new Map<string, ChangeRecord>();
  readonly #tree: TreeView;

  constructor(tree: TreeView) {
    this.#tree = tree;
  }

  /** The latest view of a path, or undefined when it does not exist (in the tree or pending). */
  recordFor(path: string): ChangeRecord | undefined {
    const pending = this.#byPath.get(path);
    if (pending !== undefined) return pending.stat === null ? undefined : pending;
    const node = this.#tree.getNode(path);
    if (node === undefined) return undefined;
    return {
      zxid: TREE_ZXID,
      path,
      stat: node.stat,
      childCount: node.children === null ? 0 : node.children.size,
      acl: this.#tree.aclOf(node),
      digestRegister: node.digestRegister,
      nodeDigest: node.digest >>> 0,
      digestDelta: 0,
    };
  }

  /**
   * The tree's digest once every prepared record is applied (3.8's getCurrentTreeDigest). 3.8 keeps
   * it per record; here the pending records' changes are summed in a number (each is below 2^33 in
   * size, so the sum stays exact) and added to the applied tree's digest once per txn.
   */
  treeDigest(): bigint {
    return BigInt.asIntN(64, this.#tree.digest() + BigInt(this.#pendingDigestDelta));
  }

  /** The node's current share of the digest: pending, in the tree, or 0 when absent. */
  #currentNodeDigest(path: string): number {
    const pending = this.#byPath.get(path);
    if (pending !== undefined) return pending.nodeDigest;
    const node = this.#tree.getNode(path);
    return node === undefined ? 0 : node.digest >>> 0;
  }

  pendingFor(path: string): ChangeRecord | undefined {
    return this.#byPath.get(path);
  }

  /** Queues a record and fills in its digests (3.8's precalculateDigest, then addChangeRecord). */
  add(record: ChangeRecord): void {
    const previous = this.#currentNodeDigest(record.path);
    record.nodeDigest = record.stat === null ? 0 : nodeDigestOf(record.path, record.digestRegister, record.stat);
    record.digestDelta = record.nodeDigest - previous;
    this.#pendingDigestDelta += record.digestDelta;
    this.#queue.push(record);
    this.#byPath.set(record.path, record);
  }

  /** Drops the records of a failed multi and restores what they shadowed (3.8's rollback). */
  rollback(zxid: bigint, saved: ReadonlyMap<string, ChangeRecord>): void {
    while (this.#queue.length > this.#head) {
      const last = this.#queue[this.#queue.length - 1];
      if (last === undefined || last.zxid !== zxid) break;
      this.#queue.pop();
      this.#pendingDigestDelta -= last.digestDelta;
      this.#byPath.delete(last.path);
    }
    if (this.#queue.length === this.#head) return;
    const first = this.#queue[this.#head];
    if (first === undefined) return;
    for (const record of saved.values()) {
      if (record.zxid >= first.zxid) this.#byPath.set(record.path, record);
    }
  }

  /** Forgets records made obsolete by applying every txn up to `zxid`. */
  applied(zxid: bigint): void {
    while (this.#head < this.#queue.length) {
      const record = this.#queue[this.#head];
      if (record === undefined || record.zxid > zxid) break;
      // Released now rather than at the next compaction: under a steady load that is a thousand
      // requests later, and records kept alive that long are only more for the GC to copy.
      this.#queue[this.#head] = undefined;
      this.#head++;
      this.#pendingDigestDelta -= record.digestDelta;
      if (this.#byPath.get(record.path) === record) this.#byPath.delete(record.path);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Pending records in prepare order (closeSession needs them to find in-flight ephemerals). */
  *pending(): Generator<ChangeRecord> {
    for (let i = this.#head; i < this.#queue.length; i++) {
      const record = this.#queue[i];
      if (record !== undefined) yield record;
    }
  }

  /** Forgets every pending record (their txns were abandoned). */
  clear(): void {
    this.#queue.length = 0;
    this.#head = 0;
    this.#pendingDigestDelta = 0;
    this.#byPath.clear();
  }

  get size(): number {
    return this.#queue.length - this.#head;
  }
}
