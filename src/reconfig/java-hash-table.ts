// 3.8 keeps ensemble members in java.util.HashMap<Long, QuorumServer> and reads configuration text
// through java.util.Properties (a ConcurrentHashMap since JDK 9). QuorumVerifier.toString writes the
// members in the HashMap's iteration order, and editStaticConfig writes zoo.cfg keys in the
// Properties' iteration order, so reproducing 3.8's text byte for byte means reproducing those
// iteration orders. Both are deterministic functions of the keys, of the order they were inserted
// in and of the table's capacity history, which this file emulates for OpenJDK 17 (what Debian runs
// 3.8 on). Only keys are modelled: values never influence the order.
//
// Rules reproduced (OpenJDK 17 java.util.HashMap and java.util.concurrent.ConcurrentHashMap):
// - a key's bucket is spread(hashCode) & (capacity - 1), spread(h) = h ^ (h >>> 16);
// - iteration visits buckets in index order, and a bucket's keys in list order;
// - HashMap appends new keys at the tail of their bucket and splits a bucket on resize into a low
//   and a high bucket, both keeping their relative order; it doubles once size > 3/4 capacity, and
//   also (instead of building a tree) when a bucket of a table under 64 reaches 9 keys;
// - ConcurrentHashMap also appends at the tail, doubles once size >= 3/4 capacity, and on resize
//   keeps the longest tail of a bucket whose keys all go the same way, prepending the others
//   (so their order within the new bucket is reversed).
// Not reproduced: tree bins (8+ keys colliding in one bucket of a table of 64 or more), whose
// iteration order differs slightly; server ids and config keys never come close to that.

import { assert } from '../lib/assert.js';
import { javaStringHashCode, tableSizeFor } from '../lib/java-hash-order.js';

export type JavaKey = bigint | string;

/** Long.hashCode: the two 32-bit halves XORed. */
export function javaLongHashCode(value: bigint): number {
  const bits = BigInt.asUintN(64, value);
  return Number(BigInt.asIntN(32, bits ^ (bits >> 32n)));
}

/** The Java hashCode of a key: Long.hashCode for a bigint (a boxed long), String.hashCode otherwise. */
export function javaHashCode(key: JavaKey): number {
  return typeof key === 'bigint' ? javaLongHashCode(key) : javaStringHashCode(key);
}

/** HashMap.hash / ConcurrentHashMap.spread (before the sign mask, which no index depends on). */
function spread(key: JavaKey): number {
  const h = javaHashCode(key);
  return (h ^ (h >>> 16)) | 0;
}

/** (int) of a float expression, as javac evaluates `(int) ((float) s / 0.75f + 1.0f)`. */
function floatToInt(value: number): number {
  return Math.trunc(Math.fround(value));
}

const LOAD_FACTOR = Math.fround(0.75);
const DEFAULT_CAPACITY = 16;
const TREEIFY_THRESHOLD = 8;
const MIN_TREEIFY_CAPACITY = 64;

/** The key layout of a java.util.HashMap (or the HashSet backed by one). */
export class JavaHashMapKeys<K extends JavaKey> {
  #table: K[][] | null = null;
  /** HashMap.threshold: before the table exists, the capacity the first put will allocate (0: default). */
  #threshold: number;
  #size = 0;

  private constructor(initialThreshold: number) {
    this.#threshold = initialThreshold;
  }

  /** `new HashMap<>()`: a table of 16 on first put. */
  static empty<K extends JavaKey>(): JavaHashMapKeys<K> {
    return new JavaHashMapKeys<K>(0);
  }

  /** `new HashMap<>(initialCapacity)` / `new HashSet<>(initialCapacity)`. */
  static withInitialCapacity<K extends JavaKey>(initialCapacity: number): JavaHashMapKeys<K> {
    return new JavaHashMapKeys<K>(tableSizeFor(initialCapacity));
  }

  /** `new HashMap<>(map)`: pre-sized for the source (JDK 17: (int)(size / 0.75f + 1.0f)), then filled in its order. */
  static copyOf<K extends JavaKey>(keysInIterationOrder: readonly K[]): JavaHashMapKeys<K> {
    const size = keysInIterationOrder.length;
    const map = new JavaHashMapKeys<K>(0);
    if (size > 0) {
      const wanted = floatToInt(Math.fround(size / LOAD_FACTOR) + 1);
      if (wanted > 0) map.#threshold = tableSizeFor(wanted);
    }
    for (const key of keysInIterationOrder) map.put(key);
    return map;
  }

  /** `new HashSet<>(collection)`: a HashMap of max((int)(size / .75f) + 1, 16), then filled in its order. */
  static hashSetCopyOf<K extends JavaKey>(keysInIterationOrder: readonly K[]): JavaHashMapKeys<K> {
    const wanted = Math.max(floatToInt(keysInIterationOrder.length / LOAD_FACTOR) + 1, DEFAULT_CAPACITY);
    const map = JavaHashMapKeys.withInitialCapacity<K>(wanted);
    for (const key of keysInIterationOrder) map.put(key);
    return map;
  }

  get size(): number {
    return this.#size;
  }

  /** The table length, or 0 before the first put. */
  get capacity(): number {
    return this.#table?.length ?? 0;
  }

  has(key: K): boolean {
    const table = this.#table;
    if (table === null) return false;
    return (table[spread(key) & (table.length - 1)] ?? []).includes(key);
  }

  /** HashMap.put: a new key goes to the tail of its bucket; an existing key keeps its place. */
  put(key: K): void {
    if (this.#table === null) this.#resize();
    let table = this.#tableOrFail();
    const bucket = this.#bucketOf(table, key);
    if (bucket.includes(key)) return;
    const lengthBefore = bucket.length;
    bucket.push(key);
    // treeifyBin on a small table resizes instead of building a tree.
    if (lengthBefore >= TREEIFY_THRESHOLD && table.length < MIN_TREEIFY_CAPACITY) {
      this.#resize();
      table = this.#tableOrFail();
    }
    this.#size += 1;
    if (this.#size > this.#threshold) this.#resize();
  }

  /** HashMap.remove: the other keys keep their order. */
  remove(key: K): void {
    const table = this.#table;
    if (table === null) return;
    const bucket = this.#bucketOf(table, key);
    const at = bucket.indexOf(key);
    if (at < 0) return;
    bucket.splice(at, 1);
    this.#size -= 1;
  }

  /** The keys in iteration order. */
  keys(): K[] {
    return (this.#table ?? []).flat();
  }

  #tableOrFail(): K[][] {
    const table = this.#table;
    assert(table !== null, 'the table is allocated by the first put');
    return table;
  }

  #bucketOf(table: K[][], key: K): K[] {
    const bucket = table[spread(key) & (table.length - 1)];
    assert(bucket !== undefined, 'a masked hash indexes the table');
    return bucket;
  }

  /** HashMap.resize: allocate the first table, or double and split every bucket keeping order. */
  #resize(): void {
    const old = this.#table;
    const oldCapacity = old?.length ?? 0;
    let capacity: number;
    let threshold = 0;
    if (oldCapacity > 0) {
      capacity = oldCapacity * 2;
      if (oldCapacity >= DEFAULT_CAPACITY) threshold = this.#threshold * 2;
    } else if (this.#threshold > 0) {
      capacity = this.#threshold;
    } else {
      capacity = DEFAULT_CAPACITY;
      threshold = floatToInt(DEFAULT_CAPACITY * LOAD_FACTOR);
    }
    if (threshold === 0) threshold = floatToInt(capacity * LOAD_FACTOR);
    const table: K[][] = Array.from({ length: capacity }, () => []);
    for (const key of old?.flat() ?? []) table[spread(key) & (capacity - 1)]?.push(key);
    this.#table = table;
    this.#threshold = threshold;
  }
}

/** The key layout of a java.util.concurrent.ConcurrentHashMap filled by a single thread. */
export class JavaConcurrentHashMapKeys {
  #table: string[][] | null = null;
  /** sizeCtl: the capacity to allocate before the table exists, the resize threshold after. */
  #sizeCtl: number;
  #size = 0;

  /** `new ConcurrentHashMap<>(initialCapacity)` (JDK 17: capacity tableSizeFor(1 + initialCapacity / 0.75)). */
  constructor(initialCapacity: number) {
    this.#sizeCtl = tableSizeFor(Math.trunc(1 + initialCapacity / LOAD_FACTOR));
  }

  get capacity(): number {
    return this.#table?.length ?? 0;
  }

  /** ConcurrentHashMap.put: append at the tail; an existing key keeps its place and no count is added. */
  put(key: string): void {
    if (this.#table === null) {
      const capacity = this.#sizeCtl > 0 ? this.#sizeCtl : DEFAULT_CAPACITY;
      this.#table = Array.from({ length: capacity }, () => []);
      this.#sizeCtl = capacity - (capacity >>> 2);
    }
    const table = this.#table;
    const bucket = table[spread(key) & (table.length - 1)];
    assert(bucket !== undefined, 'a masked hash indexes the table');
    if (bucket.includes(key)) return;
    bucket.push(key);
    this.#size += 1;
    while (this.#table !== null && this.#size >= this.#sizeCtl) this.#transfer();
  }

  keys(): string[] {
    return (this.#table ?? []).flat();
  }

  /** ConcurrentHashMap.transfer: double; per bucket keep the "last run" tail, prepend the others. */
  #transfer(): void {
    const old = this.#table;
    if (old === null) return;
    const n = old.length;
    const next: string[][] = Array.from({ length: n * 2 }, () => []);
    old.forEach((bucket, index) => {
      if (bucket.length === 0) return;
      const highBit = (key: string): number => spread(key) & n;
      let lastRun = 0;
      let runBit = highBit(bucket[0] as string);
      for (let i = 1; i < bucket.length; i++) {
        const bit = highBit(bucket[i] as string);
        if (bit !== runBit) {
          runBit = bit;
          lastRun = i;
        }
      }
      const low: string[] = runBit === 0 ? bucket.slice(lastRun) : [];
      const high: string[] = runBit === 0 ? [] : bucket.slice(lastRun);
      for (let i = 0; i < lastRun; i++) {
        const key = bucket[i] as string;
        if (highBit(key) === 0) low.unshift(key);
        else high.unshift(key);
      }
      next[index] = low;
      next[index + n] = high;
    });
    this.#table = next;
    this.#sizeCtl = n * 2 - (n >>> 1);
  }
}

/**
 * The order java.util.Properties (JDK 9+: a ConcurrentHashMap of initial capacity 8) iterates the
 * keys put into it, given in put order (Properties.load puts them in file order; a repeated key
 * keeps its first place).
 */
export function javaPropertiesKeyOrder(keysInPutOrder: Iterable<string>): string[] {
  const map = new JavaConcurrentHashMapKeys(8);
  for (const key of keysInPutOrder) map.put(key);
  return map.keys();
}
