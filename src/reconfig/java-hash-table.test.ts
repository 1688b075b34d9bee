// Iteration orders observed on OpenJDK 17 (the cases were printed by a Java program; the
// differential test in test/reconfig/java-differential.test.ts checks many more against a JVM).

import { describe, expect, it } from 'vitest';
import { JavaHashMapKeys, javaLongHashCode, javaPropertiesKeyOrder } from './java-hash-table.js';

describe('javaLongHashCode', () => {
  it('xors the halves of the long, as Long.hashCode does', () => {
    expect(javaLongHashCode(1n)).toBe(1);
    expect(javaLongHashCode(2n ** 32n)).toBe(1);
    expect(javaLongHashCode(-1n)).toBe(0);
    expect(javaLongHashCode(0x1_0000_0005n)).toBe(4);
  });
});

describe('JavaHashMapKeys', () => {
  it('iterates a default map by bucket (id mod 16), insertion order within a bucket', () => {
    const map = JavaHashMapKeys.empty<bigint>();
    for (const id of [10n, 30n, 20n, 1n, 17n]) map.put(id);
    expect(map.keys()).toEqual([1n, 17n, 20n, 10n, 30n]);
    expect(map.capacity).toBe(16);
  });

  it('sizes a copy for its source: 3 members copy into 8 buckets, so server 9 lands after server 1', () => {
    const copy = JavaHashMapKeys.copyOf<bigint>([1n, 2n, 3n]);
    copy.put(9n);
    expect(copy.capacity).toBe(8);
    expect(copy.keys()).toEqual([1n, 9n, 2n, 3n]);
  });

  it('doubles past three quarters and splits buckets keeping order', () => {
    const map = JavaHashMapKeys.empty<bigint>();
    for (const id of [33n, 1n, 17n, 49n]) map.put(id);
    expect(map.keys()).toEqual([33n, 1n, 17n, 49n]);
    for (let id = 100n; id < 109n; id++) map.put(id);
    expect(map.capacity).toBe(32);
    // Bucket 1 splits into 1 (33, 1) and 17 (17, 49); 100..108 take buckets 4..12.
    expect(map.keys()).toEqual([33n, 1n, 100n, 101n, 102n, 103n, 104n, 105n, 106n, 107n, 108n, 17n, 49n]);
  });

  it('keeps an existing key in place on put, and moves it to the tail after remove + put', () => {
    const map = JavaHashMapKeys.empty<bigint>();
    for (const id of [1n, 17n, 33n]) map.put(id);
    map.put(1n);
    expect(map.keys()).toEqual([1n, 17n, 33n]);
    map.remove(1n);
    map.put(1n);
    expect(map.keys()).toEqual([17n, 33n, 1n]);
  });

  it('resizes a small table instead of making a tree bin once a bucket holds 9 keys', () => {
    const map = JavaHashMapKeys.empty<bigint>();
    for (let i = 0n; i < 9n; i++) map.put(1n + 64n * i);
    expect(map.capacity).toBe(32);
  });

  it('copies a HashSet into at least 16 buckets', () => {
    const acks = JavaHashMapKeys.withInitialCapacity<bigint>(3);
    for (const id of [5n, 1n, 3n]) acks.put(id);
    expect(acks.capacity).toBe(4);
    expect(acks.keys()).toEqual([5n, 1n, 3n]);
    expect(JavaHashMapKeys.hashSetCopyOf(acks.keys()).keys()).toEqual([1n, 3n, 5n]);
  });
});

describe('javaPropertiesKeyOrder', () => {
  it('iterates Properties (a ConcurrentHashMap) by String.hashCode bucket', () => {
    expect(javaPropertiesKeyOrder(['server.20', 'server.10', 'server.30', 'server.17', 'server.1'])).toEqual([
      'server.10',
      'server.30',
      'server.20',
      'server.1',
      'server.17',
    ]);
  });

  it('keeps a repeated key in its first place', () => {
    expect(javaPropertiesKeyOrder(['a', 'b', 'a'])).toEqual(javaPropertiesKeyOrder(['a', 'b']));
  });
});
