// The speculative view a write is prepared against: the tree as it will be once every txn already
// prepared (but not yet applied) is applied. 3.8 keeps the same structure (ChangeRecord,
// outstandingChanges); without it, two writes prepared before either is fsynced would both see
// the old version and sequence number.

import type { ACL } from '../jute/index.js';
import type { Znode, ZnodeStat } from '../tree/data-tree.js';

/** The part of the tree the speculative view reads. */
export interface TreeView {
  getNode(path: string): Znode | undefined;
  aclOf(node: Znode): readonly ACL[];
}

export interface ChangeRecord {
  readonly zxid: bigint;
  readonly path: string;
  /** null once the node is deleted by a prepared txn. */
  readonly stat: ZnodeStat | null;
  childCount: number;
  readonly acl: readonly ACL[];
  readonly data: Buffer | null;
}

export function duplicateRecord(record: ChangeRecord, zxid: bigint): { -readonly [K in keyof ChangeRecord]: ChangeRecord[K] } & { stat: ZnodeStat } {
  const stat: ZnodeStat =
    record.stat === null
      ? { czxid: 0n, mzxid: 0n, ctime: 0n, mtime: 0n, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, pzxid: 0n }
      : { ...record.stat };
  return { zxid, path: record.path, stat, childCount: record.childCount, acl: [...record.acl], data: record.data };
}

export class OutstandingChanges {
  readonly #queue: ChangeRecord[] = [];
  #head = 0;
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
      zxid: -1n,
      path,
      stat: node.stat,
      childCount: node.children === null ? 0 : node.children.size,
      acl: this.#tree.aclOf(node),
      data: node.data,
    };
  }

  pendingFor(path: string): ChangeRecord | undefined {
    return this.#byPath.get(path);
  }

  add(record: ChangeRecord): void {
    this.#queue.push(record);
    this.#byPath.set(record.path, record);
  }

  /** Drops the records of a failed multi and restores what they shadowed (3.8's rollback). */
  rollback(zxid: bigint, saved: ReadonlyMap<string, ChangeRecord>): void {
    while (this.#queue.length > this.#head) {
      const last = this.#queue[this.#queue.length - 1];
      if (last === undefined || last.zxid !== zxid) break;
      this.#queue.pop();
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
      this.#head++;
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
    this.#byPath.clear();
  }

  get size(): number {
    return this.#queue.length - this.#head;
  }
}
