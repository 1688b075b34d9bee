// Znodes share ACL lists by reference: each distinct list gets a long index, reference counted, as
// ZooKeeper's ReferenceCountedACLCache does. The snapshot format stores this map and every znode
// stores only the index, so keeping the same structure lets us read and write 3.8 snapshots as is.

import type { ACL } from '../jute/index.js';
import { assert } from '../lib/assert.js';

/** The index 3.8 uses for "no ACL" (an open node created before ACLs existed). */
export const OPEN_UNSAFE_ACL_INDEX = -1;

function aclKey(acl: readonly ACL[]): string {
  let key = '';
  for (const entry of acl) key += `${entry.perms}\u0000${entry.id.scheme}\u0000${entry.id.id}\u0001`;
  return key;
}

interface CacheEntry {
  readonly acl: readonly ACL[];
  referenceCount: number;
}

function sameAcl(a: readonly ACL[], b: readonly ACL[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as ACL;
    const y = b[i] as ACL;
    if (x.perms !== y.perms || x.id.scheme !== y.id.scheme || x.id.id !== y.id.id) return false;
  }
  return true;
}

export class AclCache {
  readonly #byIndex = new Map<number, CacheEntry>();
  readonly #indexByKey = new Map<string, number>();
  #nextIndex = 1;
  /**
   * The entry acquire found last: creates in a row mostly carry the same list, and comparing it
   * costs less than building its key (a million creates replayed from a log built a million keys).
   */
  #lastIndex = OPEN_UNSAFE_ACL_INDEX;
  #lastEntry: CacheEntry | null = null;

  /** Returns the index for this list, adding it (with one more reference) if needed. */
  acquire(acl: readonly ACL[]): number {
    if (acl.length === 0) return OPEN_UNSAFE_ACL_INDEX;
    const last = this.#lastEntry;
    // The entry must still be the one under its index (it may have been released and dropped).
    if (last !== null && sameAcl(acl, last.acl) && this.#byIndex.get(this.#lastIndex) === last) {
      last.referenceCount++;
      return this.#lastIndex;
    }
    const key = aclKey(acl);
    const existing = this.#indexByKey.get(key);
    if (existing !== undefined) {
      const entry = this.#byIndex.get(existing);
      assert(entry !== undefined, 'acl index map and key map agree');
      entry.referenceCount++;
      this.#lastIndex = existing;
      this.#lastEntry = entry;
      return existing;
    }
    const index = this.#nextIndex++;
    const entry = { acl: acl.map((a) => ({ perms: a.perms, id: { scheme: a.id.scheme, id: a.id.id } })), referenceCount: 1 };
    this.#byIndex.set(index, entry);
    this.#indexByKey.set(key, index);
    this.#lastIndex = index;
    this.#lastEntry = entry;
    return index;
  }

  release(index: number): void {
    if (index === OPEN_UNSAFE_ACL_INDEX) return;
    const entry = this.#byIndex.get(index);
    if (entry === undefined) return;
    entry.referenceCount--;
    if (entry.referenceCount <= 0) {
      this.#byIndex.delete(index);
      this.#indexByKey.delete(aclKey(entry.acl));
    }
  }

  get(index: number): readonly ACL[] {
    if (index === OPEN_UNSAFE_ACL_INDEX) return OPEN_ACL_UNSAFE;
    const entry = this.#byIndex.get(index);
    assert(entry !== undefined, `acl index ${index} is known`);
    return entry.acl;
  }

  clear(): void {
    this.#byIndex.clear();
    this.#indexByKey.clear();
    this.#nextIndex = 1;
    this.#lastEntry = null;
  }

  /** Restores an entry read from a snapshot, keeping its index. */
  restore(index: number, acl: readonly ACL[], referenceCount: number): void {
    // The list may now be known under another index than the one acquire found last.
    this.#lastEntry = null;
    this.#byIndex.set(index, { acl, referenceCount });
    this.#indexByKey.set(aclKey(acl), index);
    if (index >= this.#nextIndex) this.#nextIndex = index + 1;
  }

  /** Counts one more node using an index read from a snapshot (unknown indexes are ignored, as in 3.8). */
  addUsage(index: number): void {
    const entry = this.#byIndex.get(index);
    if (entry !== undefined) entry.referenceCount++;
  }

  /** Drops entries no node uses (after loading a snapshot). */
  purgeUnused(): void {
    for (const [index, entry] of this.#byIndex) {
      if (entry.referenceCount <= 0) {
        this.#byIndex.delete(index);
        this.#indexByKey.delete(aclKey(entry.acl));
      }
    }
  }

  has(index: number): boolean {
    return index === OPEN_UNSAFE_ACL_INDEX || this.#byIndex.has(index);
  }

  entries(): IterableIterator<[number, CacheEntry]> {
    return this.#byIndex.entries();
  }

  get size(): number {
    return this.#byIndex.size;
  }
}

export const OPEN_ACL_UNSAFE: readonly ACL[] = Object.freeze([{ perms: 31, id: { scheme: 'world', id: 'anyone' } }]);
