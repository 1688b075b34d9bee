// ZooKeeper returns a znode's children in the iteration order of a java.util.HashSet. Clients print
// that order as they get it (zkCli's ls, kazoo's get_children), so we reproduce it: a HashSet
// iterates bucket by bucket, where the bucket is a spread of String.hashCode masked by the table
// capacity, and within a bucket in insertion order. The capacity only grows (doubling once the size
// passes three quarters of it), so it is the one piece of history a node must remember.

export function javaStringHashCode(value: string): number {
  let hash = 0;
  for (let i = 0; i < value.length; i++) hash = (Math.imul(hash, 31) + value.charCodeAt(i)) | 0;
  return hash;
}

function bucketIndex(value: string, capacity: number): number {
  return bucketOfHash(javaStringHashCode(value), capacity);
}

function bucketOfHash(h: number, capacity: number): number {
  return (h ^ (h >>> 16)) & (capacity - 1);
}

/**
 * Orders items as a java.util.HashMap/ConcurrentHashMap keyed by them iterates, given each item's
 * Java hashCode, for sets small enough never to have been resized past `capacity`.
 */
export function javaHashOrderBy<T>(items: readonly T[], hashCode: (item: T) => number, capacity = 16): T[] {
  const grown = grownCapacity(capacity, items.length);
  return items
    .map((item, sequence) => ({ item, bucket: bucketOfHash(hashCode(item), grown), sequence }))
    .sort((a, b) => a.bucket - b.bucket || a.sequence - b.sequence)
    .map((k) => k.item);
}

/** The capacity after an insertion that brought the set to `size` elements. */
export function grownCapacity(capacity: number, size: number): number {
  let grown = capacity;
  while (size > (grown * 3) / 4) grown *= 2;
  return grown;
}

/** Orders `members` (given in insertion order) as a HashSet with this capacity iterates them. */
export function javaHashSetOrder(members: Iterable<string>, capacity: number): string[] {
  const keyed: { value: string; bucket: number; sequence: number }[] = [];
  let sequence = 0;
  for (const value of members) keyed.push({ value, bucket: bucketIndex(value, capacity), sequence: sequence++ });
  keyed.sort((a, b) => a.bucket - b.bucket || a.sequence - b.sequence);
  return keyed.map((k) => k.value);
}

/** HashMap.tableSizeFor: the smallest power of two at least `wanted` (at least 1). */
export function tableSizeFor(wanted: number): number {
  let size = 1;
  while (size < wanted) size *= 2;
  return size;
}

/** The capacity of `new HashSet<>(other)` or `other.clone()` holding `size` elements. */
export function copiedCapacity(size: number): number {
  return tableSizeFor(Math.trunc(size / 0.75 + 1));
}
