// The tree's index of every znode by full path: an open-addressing hash table (linear probing,
// backward-shift deletion) of nodes that each know their own path. It replaces a
// Map<string, node>: loading a snapshot of a million znodes inserted a million new strings, and a
// Map hashes a new string in the runtime and rehashes its whole table at every doubling; that was
// the largest single cost of the load. Here the hash is a short loop over the path's characters,
// the table grows by moving slots with their stored hashes (no string is hashed again), and a
// lookup with a path that just arrived from a client costs the same loop instead of V8's hashing.
// The nodes themselves sit in an array in the order they came, the table holds their indexes.

import { assert } from '../lib/assert.js';

/** What the table holds: anything that carries its own key. */
export interface Keyed {
  readonly path: string;
  /** Whether the key is `path`; an entry that keeps its key in another form compares without making a string. */
  keyEquals(path: string): boolean;
}

const INITIAL_CAPACITY = 64;
/** Kept at most this full, so a probe sequence stays a few slots long. */
const MAX_LOAD = 0.6;

/**
 * The seed of a table made without one. A server's tree is given a random seed by the shell
 * (recovery), so that a client cannot work out in advance many paths that share a probe sequence;
 * the core itself stays deterministic. Each step of the hash mixes (multiply, then xor-shift), so
 * no fixed pair of strings collides whatever the seed, as they would under a plain polynomial hash.
 */
export const DEFAULT_PATH_HASH_SEED = 0x2f6b_7a41;

/** One character (UTF-16 code unit) more of a path's hash, started at the seed. */
export function pathHashStep(h: number, code: number): number {
  const mixed = Math.imul(h ^ code, 0x5bd1e995);
  return mixed ^ (mixed >>> 15);
}

/** The hash once every character is in. */
export function pathHashFinish(h: number): number {
  const mixed = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return mixed ^ (mixed >>> 16);
}

export function hashPath(path: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < path.length; i++) h = pathHashStep(h, path.charCodeAt(i));
  return pathHashFinish(h);
}

export class PathTable<T extends Keyed> {
  /**
   * The entries, in the order they were added (a removed one leaves a hole that a later one
   * fills). The hash table holds indexes into this array rather than the entries: storing a
   * million new objects at random places of one large array made every young-generation
   * collection visit slots scattered over all of it, which tripled the collector's share of a
   * snapshot load; appending them keeps those stores together.
   */
  #entries: (T | undefined)[] = [];
  /** Indexes of holes in #entries. */
  #free: number[] = [];
  /**
   * Two numbers per slot: at 2i the index into #entries of the slot's entry (-1: empty), at
   * 2i + 1 hashPath of its key, compared before the strings and used when growing. Side by side,
   * so a probe of a table far larger than the cache misses once, not twice.
   */
  #table: Int32Array;
  #mask: number;
  /** Entries in the table (appended ones not yet counted). */
  #size = 0;
  #growAt: number;
  /**
   * Entries added by append() and not yet in the table: the last #appended of #entries, and the
   * hashes of their keys in the same order. See append().
   */
  #appended = 0;
  #appendedHashes: Int32Array = new Int32Array(0);

  /** The seed of hashPath for this table's keys (see DEFAULT_PATH_HASH_SEED). */
  readonly seed: number;

  constructor(seed = DEFAULT_PATH_HASH_SEED) {
    this.seed = seed;
    this.#table = PathTable.#emptyTable(INITIAL_CAPACITY);
    this.#mask = INITIAL_CAPACITY - 1;
    this.#growAt = Math.floor(INITIAL_CAPACITY * MAX_LOAD);
  }

  static #emptyTable(capacity: number): Int32Array {
    const table = new Int32Array(capacity * 2);
    for (let i = 0; i < table.length; i += 2) table[i] = -1;
    return table;
  }

  get size(): number {
    return this.#size + this.#appended;
  }

  get(path: string): T | undefined {
    assert(this.#appended === 0, 'appended entries are indexed before a lookup');
    const h = hashPath(path, this.seed);
    const table = this.#table;
    const mask = this.#mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const at = table[2 * i] as number;
      if (at < 0) return undefined;
      if (table[2 * i + 1] === h) {
        const entry = this.#entries[at] as T;
        if (entry.keyEquals(path)) return entry;
      }
    }
  }

  has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  /** Whether `entry` itself is in the table, found by `h`, hashPath of its key. */
  holds(entry: T, h: number): boolean {
    assert(this.#appended === 0, 'appended entries are indexed before a lookup');
    const table = this.#table;
    const mask = this.#mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const at = table[2 * i] as number;
      if (at < 0) return false;
      if (this.#entries[at] === entry) return true;
    }
  }

  /** Adds `entry` under its path; returns the entry it replaced, if one had that path. */
  set(entry: T): T | undefined {
    return this.setHashed(entry, hashPath(entry.path, this.seed));
  }

  /** set() for a caller that has the path's hashPath already (computed while it read the path). */
  setHashed(entry: T, h: number): T | undefined {
    assert(this.#appended === 0, 'appended entries are indexed before a set');
    const table = this.#table;
    const entries = this.#entries;
    const mask = this.#mask;
    let i = h & mask;
    for (;;) {
      const at = table[2 * i] as number;
      if (at < 0) break;
      if (table[2 * i + 1] === h) {
        const current = entries[at] as T;
        // Equal hashes: a path listed twice, or (rarely) two paths that collide.
        if (current.keyEquals(entry.path)) {
          entries[at] = entry;
          return current;
        }
      }
      i = (i + 1) & mask;
    }
    const hole = this.#free.pop();
    if (hole === undefined) {
      table[2 * i] = entries.length;
      entries.push(entry);
    } else {
      table[2 * i] = hole;
      entries[hole] = entry;
    }
    table[2 * i + 1] = h;
    if (++this.#size > this.#growAt) this.#grow();
    return undefined;
  }

  /** Removes the entry under `path`; returns it, or undefined when there was none. */
  delete(path: string): T | undefined {
    assert(this.#appended === 0, 'appended entries are indexed before a delete');
    const h = hashPath(path, this.seed);
    const table = this.#table;
    const entries = this.#entries;
    const mask = this.#mask;
    let i = h & mask;
    let at: number;
    for (;; i = (i + 1) & mask) {
      at = table[2 * i] as number;
      if (at < 0) return undefined;
      if (table[2 * i + 1] === h && (entries[at] as T).keyEquals(path)) break;
    }
    const found = entries[at] as T;
    entries[at] = undefined;
    this.#free.push(at);
    // Backward shift: later slots of the probe run move into the hole when their home slot is not
    // between the hole and where they are, so no lookup ever stops early at an empty slot.
    let hole = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const next = table[2 * j] as number;
      if (next < 0) break;
      const hash = table[2 * j + 1] as number;
      const home = hash & mask;
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!stays) {
        table[2 * hole] = next;
        table[2 * hole + 1] = hash;
        hole = j;
      }
    }
    table[2 * hole] = -1;
    table[2 * hole + 1] = 0;
    this.#size--;
    return found;
  }

  /** Empties the table, sized for `expectedEntries` (it grows past them as needed). */
  clear(expectedEntries = 0): void {
    let capacity = INITIAL_CAPACITY;
    while (capacity * MAX_LOAD < expectedEntries) capacity *= 2;
    this.#entries = [];
    this.#free = [];
    this.#table = PathTable.#emptyTable(capacity);
    this.#mask = capacity - 1;
    this.#growAt = Math.floor(capacity * MAX_LOAD);
    this.#size = 0;
    this.#appended = 0;
    this.#appendedHashes = new Int32Array(Math.max(16, expectedEntries));
  }

  /**
   * Adds `entry`, whose key hashes to `h`, without putting it in the table yet: index() puts every
   * appended entry in at once, in the order of their slots. Inserting a million keys one by one,
   * each at a random slot of a table far larger than the cache, was a miss per key; filled front to
   * back the table is written almost in sequence. Nothing may be looked up, set or deleted between
   * the first append and index().
   */
  append(entry: T, h: number): void {
    let hashes = this.#appendedHashes;
    if (this.#appended === hashes.length) {
      hashes = new Int32Array(hashes.length * 2);
      hashes.set(this.#appendedHashes);
      this.#appendedHashes = hashes;
    }
    hashes[this.#appended++] = h;
    this.#entries.push(entry);
  }

  /**
   * Puts the appended entries in the table. An entry whose key was in the table already, or was
   * appended before it, replaces that one, as set() would have; each such replacement is returned,
   * with where the replaced entry was among the entries in the order they were added.
   */
  index(): { replaced: T; position: number; by: T }[] {
    const count = this.#appended;
    const replacements: { replaced: T; position: number; by: T }[] = [];
    if (count === 0) return replacements;
    this.#appended = 0;
    while (this.#size + count > this.#growAt) this.#grow();
    const hashes = this.#appendedHashes;
    const entries = this.#entries;
    const first = entries.length - count;
    const table = this.#table;
    const mask = this.#mask;
    // A counting sort of the appended entries on the top bits of their home slot (stable, so a key
    // appended twice is inserted in the order it came, and the later one replaces the earlier).
    const slotBits = Math.log2(mask + 1);
    const shift = Math.max(0, slotBits - 12);
    const starts = new Int32Array((mask >>> shift) + 2);
    for (let k = 0; k < count; k++) {
      const bucket = ((hashes[k] as number) & mask) >>> shift;
      starts[bucket + 1] = (starts[bucket + 1] as number) + 1;
    }
    for (let b = 1; b < starts.length; b++) starts[b] = (starts[b] as number) + (starts[b - 1] as number);
    const order = new Int32Array(count);
    for (let k = 0; k < count; k++) {
      const bucket = ((hashes[k] as number) & mask) >>> shift;
      const at = starts[bucket] as number;
      starts[bucket] = at + 1;
      order[at] = k;
    }
    for (let j = 0; j < count; j++) {
      const k = order[j] as number;
      const h = hashes[k] as number;
      const position = first + k;
      let i = h & mask;
      for (;;) {
        const at = table[2 * i] as number;
        if (at < 0) {
          table[2 * i] = position;
          table[2 * i + 1] = h;
          this.#size++;
          break;
        }
        // The entries themselves are read only for equal hashes: they lie in the order they came.
        if (table[2 * i + 1] === h) {
          const current = entries[at] as T;
          const entry = entries[position] as T;
          if (current.keyEquals(entry.path)) {
            table[2 * i] = position;
            entries[at] = undefined;
            this.#free.push(at);
            replacements.push({ replaced: current, position: at, by: entry });
            break;
          }
        }
        i = (i + 1) & mask;
      }
    }
    this.#appendedHashes = new Int32Array(16);
    return replacements;
  }

  /** A copy of the entries in the order they were added, with a hole for each one removed or replaced since the table was emptied. */
  entriesInOrder(): (T | undefined)[] {
    return this.#entries.slice();
  }

  /** Every entry, mostly in the order they were added; the table must not change during the iteration. */
  *values(): IterableIterator<T> {
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (entry !== undefined) yield entry;
    }
  }

  *keys(): IterableIterator<string> {
    for (const entry of this.values()) yield entry.path;
  }

  #grow(): void {
    const old = this.#table;
    // Twice the slots: the old table held two numbers for each of its old.length / 2.
    const capacity = old.length;
    const table = PathTable.#emptyTable(capacity);
    const mask = capacity - 1;
    for (let k = 0; k < old.length; k += 2) {
      const at = old[k] as number;
      if (at < 0) continue;
      const h = old[k + 1] as number;
      let i = h & mask;
      while ((table[2 * i] as number) >= 0) i = (i + 1) & mask;
      table[2 * i] = at;
      table[2 * i + 1] = h;
    }
    this.#table = table;
    this.#mask = mask;
    this.#growAt = Math.floor(capacity * MAX_LOAD);
  }
}
