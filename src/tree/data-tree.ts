// The replicated state: every znode with its data, ACL reference and persisted stat, plus the
// indexes ZooKeeper keeps beside them (ephemerals per session, containers, TTL nodes). It changes
// only through applyTxn, a deterministic function of the committed txn, so the same log yields the
// same tree on every server and on every replay. Reads never change it (watch registration lives in
// the watch table, not here).

import type { ACL, Stat } from '../jute/index.js';
import { assert } from '../lib/assert.js';
import { crc32Finish, CRC32_START } from '../lib/crc32.js';
import { copiedCapacity, grownCapacity, javaHashSetOrder, javaStringHashCode } from '../lib/java-hash-order.js';
import {
  CONTAINER_EPHEMERAL_OWNER,
  ttlToEphemeralOwner,
  type EphemeralKind,
} from '../protocol/constants.js';
import { ErrorCode } from '../protocol/error-code.js';
import { OpCode } from '../protocol/op-code.js';
import { baseName, parentOf } from '../protocol/paths.js';
import type { MultiSubTxn, Txn, TxnBody } from '../txn/txn.js';
import { AclCache, OPEN_UNSAFE_ACL_INDEX } from './acl-cache.js';
import { crc32CopyRange, crc32UpdateByte, crc32UpdateRange, crc32UpdateUtf8 } from './crc32-ranges.js';
import { DEFAULT_PATH_HASH_SEED, hashPath, pathHashFinish, pathHashStep, PathTable } from './path-table.js';

/** The persisted part of a znode's stat (StatPersisted); dataLength and numChildren are derived. */
export interface ZnodeStat {
  czxid: bigint;
  mzxid: bigint;
  ctime: bigint;
  mtime: bigint;
  version: number;
  /** Counts child creations, as persisted; clients see cversion * 2 - numChildren. */
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  pzxid: bigint;
}

export interface Znode {
  /** The node's full path ("/" for the root): the key it is found under. */
  readonly path: string;
  /** The node's data; a view made when read (see TreeNode), valid until the node's next change. */
  readonly data: Buffer | null;
  /** Bytes of data (0 when null), without making a view. */
  readonly dataLength: number;
  readonly aclIndex: number;
  /** The persisted stat, made when read (see TreeNode): a copy, which changes nothing when written to. */
  readonly stat: ZnodeStat;
  /** Children by name, null before the first child. */
  readonly children: ReadonlyMap<string, Znode> | null;
  /** How many children the node has, without making the map of them. */
  readonly childCount: number;
  /** Capacity of the Java HashSet that 3.8 would hold the children in; see java-hash-order. */
  readonly childrenCapacity: number;
  /** CRC-32 register after the node's path and data: the part of its digest that changes rarely. */
  readonly digestRegister: number;
  /**
   * The node's share of the tree digest as last added, so taking it out again needs no CRC. Kept
   * as a signed 32-bit value: a small integer is stored in place, a larger number would be boxed.
   */
  readonly digest: number;
}

/**
 * A parent's children. They are a map by name once anything needs to find one by name. A
 * snapshot load only appends them to a list, in file order (the order a map would have kept them
 * in): a name string and a map entry for every node of a million was a fifth of the load, and
 * most parents are never asked for a child by name before the tree is written out again, which
 * walks the list. The map is made from the list on first need (mapOfChildren), and the list dropped.
 */
interface ChildSet {
  map: Map<string, TreeNode> | null;
  list: TreeNode[] | null;
  /**
   * The Java hash codes of the names in `list`, in the same order (the first list.length of them):
   * ordering the children as 3.8 does needs no child's node or name read again.
   */
  listHashes: Int32Array | null;
  /** Capacity of the Java HashSet that 3.8 would hold the children in; see java-hash-order. */
  capacity: number;
  /** The children's names in 3.8's order, computed on demand and dropped when the children change. */
  ordered: string[] | null;
}

/** A buffer of node records, and a DataView of the same bytes for their stat fields. */
interface Slab {
  readonly bytes: Buffer;
  readonly view: DataView;
}

function newSlab(size: number): Slab {
  const bytes = Buffer.allocUnsafeSlow(size);
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.length) };
}

// Where each field of a StatPersisted is in its encoding (a snapshot's, and a node record's).
const CZXID_AT = 0;
const MZXID_AT = 8;
const CTIME_AT = 16;
const MTIME_AT = 24;
const VERSION_AT = 32;
const CVERSION_AT = 36;
const AVERSION_AT = 40;
const OWNER_AT = 44;
const PZXID_AT = 52;
/** Bytes of an encoded StatPersisted, which starts a node record. */
const STAT_BYTES = 60;

/**
 * A znode as the tree keeps it: an object of nine small integers and references. Its stat and its
 * data live in a record in a buffer the tree owns (a slab of small records, or a buffer of its own
 * for large data): the StatPersisted exactly as a snapshot encodes it, then, for a node loaded from
 * a snapshot, its path (ASCII, as the file had it), then the data. `stat`, `data` and `path` make
 * bigints, a view and a string of them when read. A stat object, its bigints, a path string and a
 * view of the data held per node were most of the objects of a loaded tree, and making and
 * collecting them most of the time to load a snapshot; as bytes, a snapshot's node is loaded,
 * written out again and digested by copying and checksumming, never decoded.
 */
interface TreeNode extends Znode {
  /** The path as a string; null when the record holds it as bytes (a loaded node's ASCII path). */
  pathText: string | null;
  /** Bytes of the path in the record, right after the stat; 0 when pathText holds it. */
  pathBytes: number;
  /** Holds the node's record: its stat at `at`, its path's bytes and data after it. */
  slab: Slab;
  at: number;
  /** Bytes of data, after the stat and the path's bytes; -1 for null data. */
  dataBytes: number;
  aclIndex: number;
  /** Null until the node has had a child. */
  kids: ChildSet | null;
  digestRegister: number;
  digest: number;
  /** Whether the node's path is `path` (PathTable's key comparison), without making a string of it. */
  keyEquals(path: string): boolean;
}

/** The record of a node not yet placed anywhere (newTreeNode); nothing is ever written to it. */
const NO_SLAB = newSlab(STAT_BYTES);
NO_SLAB.bytes.fill(0);

// Scratch for moving 64-bit values between bigints and their 32-bit halves without allocating
// anything but the bigint made.
const halves = new DataView(new ArrayBuffer(8));

/** Sets halves to `value`; read them with highOf and lowOf. */
function split(value: bigint): void {
  halves.setBigInt64(0, value);
}

function highOf(): number {
  return halves.getInt32(0);
}

function lowOf(): number {
  return halves.getInt32(4);
}

/** Whether (high, low) as a signed 64-bit value is greater than (otherHigh, otherLow). */
function greater(high: number, low: number, otherHigh: number, otherLow: number): boolean {
  return high > otherHigh || (high === otherHigh && low >>> 0 > otherLow >>> 0);
}

/** Whether the 64-bit field at `at` of the node's stat is less than the value last split. */
function fieldBelowSplit(node: TreeNode, at: number): boolean {
  const view = node.slab.view;
  return greater(highOf(), lowOf(), view.getInt32(node.at + at), view.getInt32(node.at + at + 4));
}

/** The 64-bit field at `from` of the node's stat, or `same` when it equals the one at `sameAt`. */
function longField(node: TreeNode, from: number, sameAt: number, same: bigint): bigint {
  const view = node.slab.view;
  const at = node.at;
  if (view.getInt32(at + from) === view.getInt32(at + sameAt) && view.getInt32(at + from + 4) === view.getInt32(at + sameAt + 4)) return same;
  return view.getBigInt64(at + from);
}

/** The high half of CONTAINER_EPHEMERAL_OWNER (its low half is 0). */
const CONTAINER_OWNER_HIGH = (() => {
  split(CONTAINER_EPHEMERAL_OWNER);
  assert(lowOf() === 0, 'a container owner is Long.MIN_VALUE');
  return highOf();
})();

const ZERO = 0n;

/** Where the node's data starts in its record. */
function dataStartOf(node: TreeNode): number {
  return node.at + STAT_BYTES + node.pathBytes;
}

/** The node's path as a string: for a loaded node made from its record (and not kept). */
function pathOf(node: TreeNode): string {
  const text = node.pathText;
  if (text !== null) return text;
  const start = node.at + STAT_BYTES;
  return node.slab.bytes.toString('latin1', start, start + node.pathBytes);
}

/** pathOf(node).length, without making the string. */
function pathLengthOf(node: TreeNode): number {
  const text = node.pathText;
  return text === null ? node.pathBytes : text.length;
}

function pathEquals(node: TreeNode, path: string): boolean {
  const text = node.pathText;
  if (text !== null) return text === path;
  const length = node.pathBytes;
  if (path.length !== length) return false;
  const bytes = node.slab.bytes;
  const start = node.at + STAT_BYTES;
  for (let i = 0; i < length; i++) if (bytes[start + i] !== path.charCodeAt(i)) return false;
  return true;
}

/** pathOf(node).startsWith(prefix), without making the string. */
function pathStartsWith(node: TreeNode, prefix: string): boolean {
  const text = node.pathText;
  if (text !== null) return text.startsWith(prefix);
  if (node.pathBytes < prefix.length) return false;
  const bytes = node.slab.bytes;
  const start = node.at + STAT_BYTES;
  for (let i = 0; i < prefix.length; i++) if (bytes[start + i] !== prefix.charCodeAt(i)) return false;
  return true;
}

/** Whether source[from, from + count) are the bytes of the ASCII string `text`. */
function bytesAre(source: Uint8Array, from: number, count: number, text: string): boolean {
  if (count !== text.length) return false;
  for (let i = 0; i < count; i++) if (source[from + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Whether source[from, from + prefix.length) are the bytes of the ASCII string `prefix` (and there are that many). */
function bytesStartWith(source: Uint8Array, from: number, end: number, prefix: string): boolean {
  return end - from >= prefix.length && bytesAre(source, from, prefix.length, prefix);
}

/** Whether the node's path, held as bytes, is source[from, from + node.pathBytes). */
function recordPathIs(node: TreeNode, source: Uint8Array, from: number): boolean {
  const bytes = node.slab.bytes;
  const start = node.at + STAT_BYTES;
  for (let i = 0; i < node.pathBytes; i++) if (bytes[start + i] !== source[from + i]) return false;
  return true;
}

/** hashPath(pathOf(node), seed), without making the string. */
function hashOfNode(node: TreeNode, seed: number): number {
  const text = node.pathText;
  if (text !== null) return hashPath(text, seed);
  const bytes = node.slab.bytes;
  const start = node.at + STAT_BYTES;
  let h = seed;
  for (let i = start; i < start + node.pathBytes; i++) h = pathHashStep(h, bytes[i] as number);
  return pathHashFinish(h);
}

/** The node's name, the last segment of its path. */
function nameOf(node: TreeNode): string {
  const text = node.pathText;
  if (text !== null) return baseName(text);
  const bytes = node.slab.bytes;
  const start = node.at + STAT_BYTES;
  const end = start + node.pathBytes;
  let from = end;
  while (from > start && bytes[from - 1] !== 0x2f) from--;
  return bytes.toString('latin1', from, end);
}

/** What every TreeNode inherits: the parts of Znode that are computed when read. */
const TREE_NODE_PROTOTYPE: object = Object.create(Object.prototype, {
  path: {
    get(this: TreeNode): string {
      return pathOf(this);
    },
  },
  keyEquals: {
    value(this: TreeNode, path: string): boolean {
      return pathEquals(this, path);
    },
  },
  data: {
    get(this: TreeNode): Buffer | null {
      const start = dataStartOf(this);
      return this.dataBytes < 0 ? null : this.slab.bytes.subarray(start, start + this.dataBytes);
    },
  },
  dataLength: {
    get(this: TreeNode): number {
      return this.dataBytes < 0 ? 0 : this.dataBytes;
    },
  },
  stat: {
    get(this: TreeNode): ZnodeStat {
      return statPersistedOf(this);
    },
  },
  children: {
    get(this: TreeNode): ReadonlyMap<string, Znode> | null {
      return mapOfChildren(this);
    },
  },
  childCount: {
    get(this: TreeNode): number {
      return childCountOf(this);
    },
  },
  childrenCapacity: {
    get(this: TreeNode): number {
      return this.kids === null ? JAVA_HASHSET_INITIAL_CAPACITY : this.kids.capacity;
    },
  },
});

/**
 * A new node, not yet given a record (the tree places one before anything reads it). It is an
 * object literal rather than an instance of a class: V8 records where a literal is allocated and,
 * once nearly all of the objects from that place outlive a young-generation collection, allocates
 * them in the old generation directly, which it never does for `new`. Loading a million nodes,
 * copying each one out of the young generation (twice) was most of the collector's share of the load.
 */
function newTreeNode(pathText: string | null, pathBytes: number, aclIndex: number): TreeNode {
  const node = {
    __proto__: TREE_NODE_PROTOTYPE,
    pathText,
    pathBytes,
    slab: NO_SLAB,
    at: 0,
    dataBytes: -1,
    aclIndex,
    kids: null,
    digestRegister: CRC32_START,
    digest: 0,
  };
  return node as unknown as TreeNode;
}

function statPersistedOf(node: TreeNode): ZnodeStat {
  const view = node.slab.view;
  const at = node.at;
  const czxid = view.getBigInt64(at + CZXID_AT);
  const ctime = view.getBigInt64(at + CTIME_AT);
  const owner = view.getInt32(at + OWNER_AT) === 0 && view.getInt32(at + OWNER_AT + 4) === 0 ? ZERO : view.getBigInt64(at + OWNER_AT);
  return {
    czxid,
    mzxid: longField(node, MZXID_AT, CZXID_AT, czxid),
    ctime,
    mtime: longField(node, MTIME_AT, CTIME_AT, ctime),
    version: view.getInt32(at + VERSION_AT),
    cversion: view.getInt32(at + CVERSION_AT),
    aversion: view.getInt32(at + AVERSION_AT),
    ephemeralOwner: owner,
    pzxid: longField(node, PZXID_AT, CZXID_AT, czxid),
  };
}

/** Writes `stat` at view[at, at + 60) as StatPersisted encodes it. */
function encodeStat(view: DataView, at: number, stat: ZnodeStat): void {
  view.setBigInt64(at + CZXID_AT, stat.czxid);
  view.setBigInt64(at + MZXID_AT, stat.mzxid);
  view.setBigInt64(at + CTIME_AT, stat.ctime);
  view.setBigInt64(at + MTIME_AT, stat.mtime);
  view.setInt32(at + VERSION_AT, stat.version);
  view.setInt32(at + CVERSION_AT, stat.cversion);
  view.setInt32(at + AVERSION_AT, stat.aversion);
  view.setBigInt64(at + OWNER_AT, stat.ephemeralOwner);
  view.setBigInt64(at + PZXID_AT, stat.pzxid);
}

function int32Field(node: TreeNode, at: number): number {
  return node.slab.view.getInt32(node.at + at);
}

function setInt32Field(node: TreeNode, at: number, value: number): void {
  node.slab.view.setInt32(node.at + at, value);
}

function setLongField(node: TreeNode, at: number, value: bigint): void {
  node.slab.view.setBigInt64(node.at + at, value);
}

/** Copies `count` bytes from source[from..] to target[to..] (short runs: no view is made for them). */
function copyBytes(source: Uint8Array, from: number, target: Uint8Array, to: number, count: number): void {
  for (let i = 0; i < count; i++) target[to + i] = source[from + i] as number;
}

/** Copies the node's stat to target[at, at + 60) as StatPersisted encodes it (a snapshot's node record). */
export function copyStatPersisted(znode: Znode, target: DataView, at: number): void {
  const node = znode as TreeNode;
  const source = node.slab.view;
  const from = node.at;
  // Fifteen words: no view of the record is made for each node of a tree being written out.
  for (let i = 0; i < STAT_BYTES; i += 4) target.setInt32(at + i, source.getInt32(from + i));
}

/**
 * Copies the node's path to target[at..] as UTF-8 ("" for the root, as a snapshot has it) and
 * returns its length in bytes; target has room for three bytes a character.
 */
export function copyZnodePath(znode: Znode, target: Buffer, at: number): number {
  const node = znode as TreeNode;
  const text = node.pathText;
  if (text === null) {
    copyBytes(node.slab.bytes, node.at + STAT_BYTES, target, at, node.pathBytes);
    return node.pathBytes;
  }
  if (text === '/') return 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return target.write(text, at, 'utf8');
    target[at + i] = code;
  }
  return text.length;
}

/** The most bytes copyZnodePath writes for the node. */
export function znodePathBytesMax(znode: Znode): number {
  const node = znode as TreeNode;
  return node.pathText === null ? node.pathBytes : node.pathText.length * 3;
}

/**
 * Copies the node's data to target[at..] (`view` is a DataView of target at the same offsets) and
 * returns its length, or returns -1 for null data.
 */
export function copyZnodeData(znode: Znode, target: Uint8Array, view: DataView, at: number): number {
  const node = znode as TreeNode;
  const length = node.dataBytes;
  const start = dataStartOf(node);
  if (length > SLAB_ITEM_MAX_BYTES) {
    target.set(node.slab.bytes.subarray(start, start + length), at);
  } else if (length > 0) {
    // Small data a word at a time: a view of each node's data was most of what writing a tree out allocated.
    const source = node.slab.view;
    let i = 0;
    for (; i + 4 <= length; i += 4) view.setInt32(at + i, source.getInt32(start + i));
    for (; i < length; i++) target[at + i] = source.getUint8(start + i);
  }
  return length;
}

/**
 * A test of whether a node was created by a txn after `zxid` (its czxid is greater), for a walk
 * that asks it of every node: the zxid is taken apart once.
 */
export function createdAfter(zxid: bigint): (node: Znode) => boolean {
  split(zxid);
  const high = highOf();
  const low = lowOf();
  return (node) => {
    const { slab, at } = node as TreeNode;
    return greater(slab.view.getInt32(at + CZXID_AT), slab.view.getInt32(at + CZXID_AT + 4), high, low);
  };
}

function childCountOf(node: TreeNode): number {
  const kids = node.kids;
  if (kids === null) return 0;
  if (kids.list !== null) return kids.list.length;
  return (kids.map as Map<string, TreeNode>).size;
}

/** The children by name, made from the loaded list if they are still in it; null when there were never any. */
function mapOfChildren(node: TreeNode): Map<string, TreeNode> | null {
  const kids = node.kids;
  if (kids === null) return null;
  const list = kids.list;
  if (list === null) return kids.map;
  const map = new Map<string, TreeNode>();
  for (let i = 0; i < list.length; i++) {
    const child = list[i] as TreeNode;
    map.set(nameOf(child), child);
  }
  kids.map = map;
  kids.list = null;
  kids.listHashes = null;
  return map;
}

/** The digest scheme 3.8 writes (DigestCalculator.DIGEST_VERSION). */
export const DIGEST_VERSION = 2;

const STAT_DIGEST_BYTES = 60;
const statScratch = Buffer.alloc(STAT_DIGEST_BYTES);
// A DataView writes a bigint without the intermediate bigints Buffer's writeBigInt64BE makes.
const statView = new DataView(statScratch.buffer, statScratch.byteOffset, STAT_DIGEST_BYTES);

/** The CRC-32 register after a node's path and data: the part of its digest that changes rarely. */
export function digestRegisterOf(path: string, data: Uint8Array | null, start = 0, end = data?.length ?? 0): number {
  const register = path === '/' ? CRC32_START : crc32UpdateUtf8(CRC32_START, path);
  return data === null ? register : crc32UpdateRange(register, data, start, end);
}

/**
 * A node's share of the tree digest (3.8's DigestCalculator: CRC-32 of path, data and persisted
 * stat), an unsigned 32-bit value; nodes under /zookeeper/ count 0.
 */
export function nodeDigestOf(path: string, register: number, s: ZnodeStat): number {
  if (path.startsWith('/zookeeper/')) return 0;
  statView.setBigInt64(0, s.czxid);
  statView.setBigInt64(8, s.mzxid);
  statView.setBigInt64(16, s.pzxid);
  statView.setBigInt64(24, s.ctime);
  statView.setBigInt64(32, s.mtime);
  statView.setInt32(40, s.version);
  statView.setInt32(44, s.cversion);
  statView.setInt32(48, s.aversion);
  statView.setBigInt64(52, s.ephemeralOwner);
  return crc32Finish(crc32UpdateRange(register, statScratch, 0, STAT_DIGEST_BYTES));
}

/**
 * Receives the changes that can fire watches, in the order ZooKeeper fires them, with the bytes of
 * data the node now holds (3.8 counts writes per namespace by them).
 */
export interface TreeChangeListener {
  nodeCreated(path: string, parentPath: string, dataLength: number): void;
  nodeDeleted(path: string, parentPath: string): void;
  nodeDataChanged(path: string, dataLength: number): void;
}

/** The fields of a logged create txn, read from the bytes of its log entry (see applyLoggedCreate). */
export interface LoggedCreate {
  path: string;
  /** Where the data starts in the bytes it was read from; length -1 for null data. */
  dataAt: number;
  dataLength: number;
  acl: readonly ACL[];
  ephemeral: boolean;
  parentCVersion: number;
  /** The session that created it; 0 unless the node is ephemeral. */
  clientId: bigint;
  zxid: bigint;
  time: bigint;
}

/** Outcome of applying one txn, the input to building the client's reply (ProcessTxnResult). */
export interface ApplyResult {
  type: number;
  err: number;
  path: string | null;
  stat: Stat | null;
  multi: ApplyResult[] | null;
}

export const ZOOKEEPER_PATH = '/zookeeper';
const QUOTA_LIMITS_NODE = 'zookeeper_limits';
const QUOTA_STATS_NODE = 'zookeeper_stats';
export const QUOTA_PATH = '/zookeeper/quota';
export const CONFIG_PATH = '/zookeeper/config';
const QUOTA_PATH_PREFIX = `${QUOTA_PATH}/`;

const READ_ACL_UNSAFE: readonly ACL[] = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }];
/**
 * Past this the pending digest sum is folded into the bigint. Anything up to 2^52 keeps the sum
 * exact; a lower limit folds every few hundred nodes, which costs nothing and is exercised by any
 * tree of a realistic size.
 */
const DIGEST_PENDING_LIMIT = 2 ** 40;
const NO_CHILDREN: readonly string[] = Object.freeze([]);
const NO_CHILD_NODES: readonly Znode[] = Object.freeze([]);
const JAVA_HASHSET_INITIAL_CAPACITY = 8;
/** Node data up to this size is packed into shared slabs of SLAB_BYTES; larger data gets a buffer of its own. */
const SLAB_ITEM_MAX_BYTES = 1024;
const SLAB_BYTES = 256 * 1024;

export interface SnapshotNodeInput {
  readonly path: string;
  readonly data: Buffer | null;
  readonly aclIndex: number;
  readonly stat: ZnodeStat;
}

export interface DataTreeOptions {
  /** zookeeper.extendedTypesEnabled: TTL nodes exist and ephemeral owners with 0xff.. are TTLs. */
  readonly extendedTypesEnabled: boolean;
  /**
   * Seeds the hash of the tree's index of paths (see path-table.ts). A server's tree gets a random
   * one, so that clients cannot choose paths that all land in one probe sequence; the default
   * keeps a tree built in a test or the simulator the same from run to run.
   */
  readonly pathHashSeed?: number;
}

class NoNodeError {
  readonly code = ErrorCode.noNode;
}
class NodeExistsError {
  readonly code = ErrorCode.nodeExists;
}

export function parseQuotaStats(data: Buffer | null): Map<string, number> {
  const stats = new Map<string, number>();
  if (data === null || data.length === 0) return stats;
  for (const pair of data.toString('utf8').split(',')) {
    const [key, value] = pair.split('=');
    if (key === undefined) continue;
    const parsed = value === undefined || value === '' ? -1 : Number.parseInt(value, 10);
    stats.set(key, Number.isFinite(parsed) ? parsed : -1);
  }
  return stats;
}

function formatQuotaStats(stats: ReadonlyMap<string, number>): Buffer {
  let text = `count=${stats.get('count') ?? -1},bytes=${stats.get('bytes') ?? -1}`;
  for (const [key, value] of stats) if (key !== 'count' && key !== 'bytes') text += `,${key}=${value}`;
  return Buffer.from(text, 'utf8');
}

/**
 * javaHashSetOrder of the children's names, by a counting sort on the bucket instead of a
 * comparison sort: a snapshot orders the children of every node at once, and children created in
 * an arbitrary order made that sort a large share of writing it.
 */
function hashSetOrder(children: ReadonlyMap<string, unknown>, capacity: number): string[] {
  const names = new Array<string>(children.size);
  const hashes = new Int32Array(children.size);
  let i = 0;
  for (const name of children.keys()) {
    names[i] = name;
    hashes[i++] = javaStringHashCode(name);
  }
  return orderByBucket(names, hashes, capacity);
}

/** hashSetOrder of the child nodes in a map by name. */
function hashSetOrderOfNodes(children: ReadonlyMap<string, TreeNode>, capacity: number): TreeNode[] {
  const nodes = new Array<TreeNode>(children.size);
  const hashes = new Int32Array(children.size);
  let i = 0;
  for (const [name, node] of children) {
    nodes[i] = node;
    hashes[i++] = javaStringHashCode(name);
  }
  return orderByBucket(nodes, hashes, capacity);
}

/** javaStringHashCode of a path's last segment, read where it is. */
function javaHashOfName(path: string): number {
  let h = 0;
  for (let k = path.lastIndexOf('/') + 1; k < path.length; k++) h = (Math.imul(h, 31) + path.charCodeAt(k)) | 0;
  return h;
}

/**
 * hashSetOrderOfNodes of a loaded list, from its names' hash codes. A snapshot lists children in
 * the order 3.8 iterates them (ours and 3.8's both do), so the list is mostly in that order already
 * and is then returned as it is.
 */
function hashSetOrderOfList(list: readonly TreeNode[], hashes: Int32Array, capacity: number): readonly TreeNode[] {
  const mask = capacity - 1;
  let previous = -1;
  for (let i = 0; i < list.length; i++) {
    const h = hashes[i] as number;
    const bucket = (h ^ (h >>> 16)) & mask;
    if (bucket < previous) return orderByBucket(list, hashes, capacity);
    previous = bucket;
  }
  return list;
}

/** `items` (in insertion order, with their Java hash codes) in the order a HashSet of this capacity iterates them. */
function orderByBucket<T>(items: readonly T[], hashes: Int32Array, capacity: number): T[] {
  const count = items.length;
  const buckets = new Int32Array(count);
  const starts = new Int32Array(capacity + 1);
  for (let i = 0; i < count; i++) {
    const h = hashes[i] as number;
    // HashMap.hash spreads the high bits down; the table index is the low bits.
    const bucket = (h ^ (h >>> 16)) & (capacity - 1);
    buckets[i] = bucket;
    starts[bucket + 1] = (starts[bucket + 1] as number) + 1;
  }
  for (let b = 0; b < capacity; b++) starts[b + 1] = (starts[b + 1] as number) + (starts[b] as number);
  const ordered = new Array<T>(count);
  // In insertion order within a bucket, as a HashSet chains them.
  for (let i = 0; i < count; i++) {
    const bucket = buckets[i] as number;
    const at = starts[bucket] as number;
    starts[bucket] = at + 1;
    ordered[at] = items[i] as T;
  }
  return ordered;
}

export class DataTree {
  readonly #nodes: PathTable<TreeNode>;
  readonly acls = new AclCache();
  readonly #ephemerals = new Map<bigint, Set<string>>();
  readonly #containers = new Set<string>();
  readonly #ttls = new Set<string>();
  readonly #options: DataTreeOptions;
  #listener: TreeChangeListener | null = null;
  lastProcessedZxid = 0n;
  #approximateDataBytes = 0;
  /** Paths with a quota (a zookeeper_limits node under /zookeeper/quota): 3.8's PathTrie. */
  readonly #quotaPaths = new Set<string>();
  /**
   * 3.8's tree digest: the sum (as a Java long) of every node's CRC-32 over its path, data and
   * stat, nodes under /zookeeper/ excluded. Servers compare it to catch diverging replicas.
   * Kept as a bigint plus a pending number: every node changes it by a 32-bit value, and bigint
   * arithmetic allocates, so sums are exact in the number until it nears 2^53 and folded into the
   * bigint then or when the digest is read (wrapping to 64 bits commutes with the additions).
   */
  #digestBase = 0n;
  #digestPending = 0;
  /** Where new node records go (see TreeNode), and how much of it is used. */
  #slab: Slab = newSlab(0);
  #slabOffset = 0;
  /**
   * While a snapshot is loaded node by node: the last node loaded and its ancestors, root first.
   * Nodes come depth first, so a node's parent is on this stack and is found without a lookup.
   */
  #loadAncestors: TreeNode[] = [];
  /**
   * While a snapshot is loaded: whether its nodes are appended to #nodes and put in its table at
   * the end (PathTable.append), which holds until something must be looked up during the load.
   */
  #deferIndex = false;
  /** Counts nodes taken out of the tree (deleted, or dropped by a load): see `removals`. */
  #removals = 0;
  /**
   * The parent of the last node created, and its path: creates in a row mostly share a parent (a
   * txn log replayed at start, sequential nodes), and its lookup in the map of every path was half
   * the cost of replaying a create in a tree of a million nodes. Forgotten when that node goes.
   */
  #createParentPath: string | null = null;
  #createParent: TreeNode | null = null;
  /** While a snapshot is loaded: its paths under /zookeeper/quota/, in file order, for finishSnapshotLoad. */
  #loadQuotaPaths: string[] = [];

  constructor(options: DataTreeOptions) {
    this.#options = options;
    this.#nodes = new PathTable<TreeNode>(options.pathHashSeed ?? DEFAULT_PATH_HASH_SEED);
    const root = this.#newNode('/', Buffer.alloc(0), OPEN_UNSAFE_ACL_INDEX);
    this.#nodes.set(root);
    this.#addSpecialNode(ZOOKEEPER_PATH, OPEN_UNSAFE_ACL_INDEX);
    this.#addSpecialNode(QUOTA_PATH, OPEN_UNSAFE_ACL_INDEX);
    const config = this.#addSpecialNode(CONFIG_PATH, this.acls.acquire(READ_ACL_UNSAFE));
    // 3.8 creates the config node with setACL(..., version -1), which leaves aversion at -1.
    setInt32Field(config, AVERSION_AT, -1);
    for (const node of this.#nodes.values()) {
      const path = pathOf(node);
      this.#approximateDataBytes += path.length;
      this.#digestPrefix(path, node);
      this.#digestIn(path, node);
    }
  }

  setListener(listener: TreeChangeListener | null): void {
    this.#listener = listener;
  }

  get extendedTypesEnabled(): boolean {
    return this.#options.extendedTypesEnabled;
  }

  /**
   * Gives `node` a record with room for `dataLength` bytes of data (-1: null data): in the current
   * slab, or for large data in a buffer of its own. Small records are packed into slabs that hold
   * only node records: copied into Node's shared pool instead, each would pin an 8 KiB slab shared
   * with short-lived reply buffers. The tree keeps its own copy of node data in them (a request
   * buffer may be a view of a whole socket chunk).
   */
  #place(node: TreeNode, dataLength: number): void {
    const size = STAT_BYTES + node.pathBytes + (dataLength > 0 ? dataLength : 0);
    if (dataLength > SLAB_ITEM_MAX_BYTES) {
      node.slab = newSlab(size);
      node.at = 0;
    } else {
      if (this.#slabOffset + size > this.#slab.bytes.length) {
        this.#slab = newSlab(SLAB_BYTES);
        this.#slabOffset = 0;
      }
      node.slab = this.#slab;
      node.at = this.#slabOffset;
      this.#slabOffset += size;
    }
    node.dataBytes = dataLength;
  }

  /** A new node with a zero stat and a copy of `data`. */
  #newNode(path: string, data: Buffer | null, aclIndex: number): TreeNode {
    const node = newTreeNode(path, 0, aclIndex);
    this.#place(node, data === null ? -1 : data.length);
    node.slab.bytes.fill(0, node.at, node.at + STAT_BYTES);
    if (data !== null) node.slab.bytes.set(data, dataStartOf(node));
    return node;
  }

  /**
   * Puts a copy of `data` in place of the node's data, its stat kept. Nothing outside the tree
   * keeps a node's data beyond the current turn (replies and snapshots copy it), so a value that
   * fits in the old one's bytes is written over them; else the node gets a new record.
   */
  #replaceData(node: TreeNode, data: Buffer | null): void {
    if (data !== null && data.length <= node.dataBytes && node.dataBytes <= SLAB_ITEM_MAX_BYTES) {
      node.slab.bytes.set(data, dataStartOf(node));
      node.dataBytes = data.length;
      return;
    }
    const oldSlab = node.slab;
    const oldAt = node.at;
    this.#place(node, data === null ? -1 : data.length);
    // The stat and the path's bytes go along.
    copyBytes(oldSlab.bytes, oldAt, node.slab.bytes, node.at, STAT_BYTES + node.pathBytes);
    if (data !== null) node.slab.bytes.set(data, dataStartOf(node));
  }

  get digest(): bigint {
    if (this.#digestPending !== 0) this.#foldDigest();
    return this.#digestBase;
  }

  #foldDigest(): void {
    this.#digestBase = BigInt.asIntN(64, this.#digestBase + BigInt(this.#digestPending));
    this.#digestPending = 0;
  }

  /** Recomputes the path-and-data part of a node's digest (after create or setData). */
  #digestPrefix(path: string, node: TreeNode): void {
    const start = dataStartOf(node);
    node.digestRegister = node.dataBytes < 0 ? digestRegisterOf(path, null) : digestRegisterOf(path, node.slab.bytes, start, start + node.dataBytes);
  }

  /**
   * The node's share of the tree digest, an unsigned 32-bit value: nodeDigestOf of its stat, read
   * where it is. The digest takes the same fields as the record in another order, so the CRC runs
   * over three ranges of it: czxid and mzxid (at 0), pzxid (at 52), then ctime, mtime, version,
   * cversion, aversion and ephemeralOwner (at 16).
   */
  #nodeDigest(path: string, node: TreeNode): number {
    if (path.startsWith('/zookeeper/')) return 0;
    const bytes = node.slab.bytes;
    const at = node.at;
    let register = crc32UpdateRange(node.digestRegister, bytes, at, at + 16);
    register = crc32UpdateRange(register, bytes, at + 52, at + 60);
    return crc32Finish(crc32UpdateRange(register, bytes, at + 16, at + 52));
  }

  #digestIn(path: string, node: TreeNode): void {
    this.#addShare(node, this.#nodeDigest(path, node));
  }

  /** Adds `share`, the node's share of the digest computed by the caller, to the tree's. */
  #addShare(node: TreeNode, share: number): void {
    node.digest = share | 0;
    this.#digestPending += share;
    if (this.#digestPending > DIGEST_PENDING_LIMIT) this.#foldDigest();
  }

  /** Takes the node's share out before its stat or data change (every change is bracketed by #digestOut and #digestIn). */
  #digestOut(node: TreeNode): void {
    this.#digestPending -= node.digest >>> 0;
    if (this.#digestPending < -DIGEST_PENDING_LIMIT) this.#foldDigest();
  }

  #addSpecialNode(path: string, aclIndex: number): TreeNode {
    const node = this.#newNode(path, Buffer.alloc(0), aclIndex);
    this.#nodes.set(node);
    const parent = this.#nodes.get(parentOf(path));
    assert(parent !== undefined, 'special nodes are added parent first');
    this.#addChild(parent, baseName(path), node);
    return node;
  }

  #addChild(parent: TreeNode, name: string, child: TreeNode): void {
    let kids = parent.kids;
    if (kids === null) {
      kids = { map: new Map(), list: null, listHashes: null, capacity: JAVA_HASHSET_INITIAL_CAPACITY, ordered: null };
      parent.kids = kids;
    }
    kids.ordered = null;
    const children = mapOfChildren(parent) as Map<string, TreeNode>;
    children.set(name, child);
    kids.capacity = grownCapacity(kids.capacity, children.size);
  }

  /** Looks a node up; "" is the root, as in 3.8 where both keys map to it. */
  getNode(path: string): Znode | undefined {
    return this.#nodes.get(path === '' ? '/' : path);
  }

  /** As 3.8 counts them: its node map holds the root twice (under "" and "/"). */
  get nodeCount(): number {
    return this.#nodes.size + 1;
  }

  get approximateDataBytes(): number {
    return this.#approximateDataBytes;
  }

  aclOf(node: Znode): readonly ACL[] {
    return this.acls.get(node.aclIndex);
  }

  kindOf(node: Znode): EphemeralKind {
    const ownerHigh = int32Field(node as TreeNode, OWNER_AT);
    const ownerLow = int32Field(node as TreeNode, OWNER_AT + 4);
    // ephemeralKind on the halves: TTL owners have 0xff in the top byte and the reserved bits 40-55 clear.
    if (this.#options.extendedTypesEnabled && ownerHigh >>> 24 === 0xff) return (ownerHigh & 0x00ffff00) === 0 ? 'ttl' : 'normal';
    if (ownerLow === 0 && ownerHigh === CONTAINER_OWNER_HIGH) return 'container';
    return ownerHigh === 0 && ownerLow === 0 ? 'void' : 'normal';
  }

  /** The client-visible Stat of a node (DataNode.copyStat). */
  statOf(node: Znode): Stat {
    const s = statPersistedOf(node as TreeNode);
    const numChildren = node.childCount;
    return {
      czxid: s.czxid,
      mzxid: s.mzxid,
      ctime: s.ctime,
      mtime: s.mtime,
      version: s.version,
      cversion: (s.cversion * 2 - numChildren) | 0,
      aversion: s.aversion,
      ephemeralOwner: this.kindOf(node) === 'normal' ? s.ephemeralOwner : 0n,
      dataLength: node.dataLength,
      numChildren,
      pzxid: s.pzxid,
    };
  }

  /** Children in the order 3.8 returns them. */
  childrenOf(node: Znode): string[] {
    // Callers may keep the list: hand out a copy so the cache stays ours.
    return node.childCount === 0 ? [] : this.orderedChildrenOf(node).slice();
  }

  /** childrenOf without the copy, for a caller that only reads the list before the tree changes again. */
  orderedChildrenOf(node: Znode): readonly string[] {
    const kids = (node as TreeNode).kids;
    if (kids === null || childCountOf(node as TreeNode) === 0) return NO_CHILDREN;
    let ordered = kids.ordered;
    if (ordered === null) {
      const list = kids.list;
      if (list === null) {
        ordered = hashSetOrder(kids.map as Map<string, TreeNode>, kids.capacity);
      } else {
        const nodes = hashSetOrderOfList(list, kids.listHashes as Int32Array, kids.capacity);
        ordered = new Array<string>(nodes.length);
        for (let i = 0; i < nodes.length; i++) ordered[i] = nameOf(nodes[i] as TreeNode);
      }
      kids.ordered = ordered;
    }
    return ordered;
  }

  /**
   * The children of `node` as nodes, in the order childrenOf lists them: a walk over the whole tree
   * (a snapshot) goes from node to node without building a name or a path, or looking either up.
   * The caller only reads the array, before the tree changes.
   */
  orderedChildNodesOf(node: Znode): readonly Znode[] {
    const kids = (node as TreeNode).kids;
    if (kids === null) return NO_CHILD_NODES;
    if (kids.list !== null) return hashSetOrderOfList(kids.list, kids.listHashes as Int32Array, kids.capacity);
    const map = kids.map as Map<string, TreeNode>;
    return map.size === 0 ? NO_CHILD_NODES : hashSetOrderOfNodes(map, kids.capacity);
  }

  /**
   * Grows by one whenever a node leaves the tree. A walk that holds nodes across turns (a
   * background snapshot) checks a node is still in the tree (holds) only when this moved since it began.
   */
  get removals(): number {
    return this.#removals;
  }

  /** Whether `node` is the node the tree holds at its path (it was not deleted or replaced since it was found). */
  holds(node: Znode): boolean {
    return this.#nodes.holds(node as TreeNode, hashOfNode(node as TreeNode, this.#nodes.seed));
  }

  /** Number of all descendants, as getAllChildrenNumber counts them. */
  descendantCount(path: string): number {
    if (path === '/') return this.#nodes.size - 1;
    const prefix = `${path}/`;
    let count = 0;
    for (const node of this.#nodes.values()) if (pathStartsWith(node, prefix)) count++;
    return count;
  }

  /** A session's ephemerals in the order 3.8 lists them (a clone of its HashSet, iterated). */
  ephemeralsOf(sessionId: bigint): string[] {
    const paths = this.#ephemerals.get(sessionId);
    if (paths === undefined) return [];
    const original = javaHashSetOrder(paths, grownCapacity(16, paths.size));
    return javaHashSetOrder(original, copiedCapacity(paths.size));
  }

  sessionsWithEphemerals(): IterableIterator<[bigint, Set<string>]> {
    return this.#ephemerals.entries();
  }

  get ephemeralCount(): number {
    let count = 0;
    for (const paths of this.#ephemerals.values()) count += paths.size;
    return count;
  }

  containers(): ReadonlySet<string> {
    return this.#containers;
  }

  ttlNodes(): ReadonlySet<string> {
    return this.#ttls;
  }

  paths(): IterableIterator<string> {
    return this.#nodes.keys();
  }

  // ---- apply -----------------------------------------------------------------------------------

  applyTxn(txn: Txn): ApplyResult {
    const result = this.#applyBody(txn.header.type, txn.body, txn.header.clientId, txn.header.zxid, txn.header.time);
    if (txn.header.zxid > this.lastProcessedZxid) this.lastProcessedZxid = txn.header.zxid;
    return result;
  }

  #applyBody(type: number, body: TxnBody, clientId: bigint, zxid: bigint, time: bigint): ApplyResult {
    const result: ApplyResult = { type, err: 0, path: null, stat: null, multi: null };
    try {
      switch (body.kind) {
        case 'create': {
          const r = body.record;
          result.path = r.path;
          const owner = r.ephemeral ? clientId : 0n;
          const node = this.#createNode(r.path, r.data, 0, r.data?.length ?? -1, r.acl, owner, r.parentCVersion, zxid, time);
          result.stat = this.#createdStat(node, owner, zxid, time);
          break;
        }
        case 'createTTL': {
          const r = body.record;
          result.path = r.path;
          const owner = ttlToEphemeralOwner(r.ttl);
          const node = this.#createNode(r.path, r.data, 0, r.data?.length ?? -1, r.acl, owner, r.parentCVersion, zxid, time);
          result.stat = this.#createdStat(node, owner, zxid, time);
          break;
        }
        case 'createContainer': {
          const r = body.record;
          result.path = r.path;
          const node = this.#createNode(r.path, r.data, 0, r.data?.length ?? -1, r.acl, CONTAINER_EPHEMERAL_OWNER, r.parentCVersion, zxid, time);
          result.stat = this.#createdStat(node, CONTAINER_EPHEMERAL_OWNER, zxid, time);
          break;
        }
        case 'delete':
          result.path = body.record.path;
          this.#deleteNode(body.record.path, zxid);
          break;
        case 'setData':
          result.path = body.record.path;
          result.stat = this.#setData(body.record.path, body.record.data, body.record.version, zxid, time);
          break;
        case 'setACL':
          result.path = body.record.path;
          result.stat = this.#setAcl(body.record.path, body.record.acl, body.record.version);
          break;
        case 'check':
          result.path = body.record.path;
          break;
        case 'createSession':
          break;
        case 'closeSession':
          this.#killSession(clientId, zxid, body.paths2Delete);
          break;
        case 'error':
          result.err = body.err;
          break;
        case 'multi':
          result.multi = this.#applyMulti(body.ops, clientId, zxid, time);
          for (const sub of result.multi) {
            if (sub.err !== 0) {
              result.err = sub.err;
              break;
            }
          }
          break;
      }
    } catch (error) {
      if (error instanceof NoNodeError || error instanceof NodeExistsError) {
        result.err = error.code;
      } else {
        throw error;
      }
    }
    return result;
  }

  /** A multi either applies every op or none: if any op is an error, all become error results. */
  #applyMulti(ops: readonly MultiSubTxn[], clientId: bigint, zxid: bigint, time: bigint): ApplyResult[] {
    const failed = ops.some((op) => op.body.kind === 'error');
    let seenError = false;
    const results: ApplyResult[] = [];
    for (const op of ops) {
      if (op.body.kind === 'error') {
        seenError = true;
        results.push(this.#applyBody(OpCode.error, op.body, clientId, zxid, time));
      } else if (failed) {
        const err = seenError ? ErrorCode.runtimeInconsistency : ErrorCode.ok;
        results.push(this.#applyBody(OpCode.error, { kind: 'error', err }, clientId, zxid, time));
      } else {
        results.push(this.#applyBody(op.type, op.body, clientId, zxid, time));
      }
    }
    return results;
  }

  /**
   * Replays a create read straight from a log entry at start (recovery's LoggedCreateReader): what
   * applyTxn does with that create txn, its data copied from `source`. A node already there or a
   * missing parent is the txn's failure, as in applyTxn: replay goes on.
   */
  applyLoggedCreate(create: LoggedCreate, source: Buffer): void {
    const owner = create.ephemeral ? create.clientId : 0n;
    try {
      this.#createNode(create.path, source, create.dataAt, create.dataLength, create.acl, owner, create.parentCVersion, create.zxid, create.time);
    } catch (error) {
      if (!(error instanceof NoNodeError || error instanceof NodeExistsError)) throw error;
    }
    if (create.zxid > this.lastProcessedZxid) this.lastProcessedZxid = create.zxid;
  }

  /** A new node's data is source[dataAt, dataAt + dataLength); length -1 is null data. */
  #createNode(
    path: string,
    source: Buffer | null,
    dataAt: number,
    dataLength: number,
    acl: readonly ACL[],
    ephemeralOwner: bigint,
    parentCVersion: number,
    zxid: bigint,
    time: bigint,
  ): TreeNode {
    const parentPath = parentOf(path);
    const childName = baseName(path);
    let parent = this.#createParent;
    if (parentPath !== this.#createParentPath || parent === null) {
      parent = this.#nodes.get(parentPath) ?? null;
      if (parent === null) throw new NoNodeError();
      this.#createParentPath = parentPath;
      this.#createParent = parent;
    }
    if (childCountOf(parent) !== 0 && (mapOfChildren(parent) as Map<string, TreeNode>).has(childName)) {
      this.#adjustParentAfterReplayedCreate(parentPath, parent, parentCVersion, zxid);
      throw new NodeExistsError();
    }
    const parentCversion = int32Field(parent, CVERSION_AT);
    const cversion = parentCVersion === -1 ? parentCversion + 1 : parentCVersion;
    // A replayed create may be older than the snapshot's view of the parent: never move it back.
    if (cversion > parentCversion) {
      this.#digestOut(parent);
      setInt32Field(parent, CVERSION_AT, cversion);
      setLongField(parent, PZXID_AT, zxid);
      this.#digestIn(parentPath, parent);
    }
    const node = newTreeNode(path, 0, this.acls.acquire(acl));
    this.#place(node, dataLength);
    const view = node.slab.view;
    const at = node.at;
    view.setBigInt64(at + CZXID_AT, zxid);
    view.setBigInt64(at + MZXID_AT, zxid);
    view.setBigInt64(at + CTIME_AT, time);
    view.setBigInt64(at + MTIME_AT, time);
    view.setInt32(at + VERSION_AT, 0);
    view.setInt32(at + CVERSION_AT, 0);
    view.setInt32(at + AVERSION_AT, 0);
    view.setBigInt64(at + OWNER_AT, ephemeralOwner);
    view.setBigInt64(at + PZXID_AT, zxid);
    // The tree keeps its own copy: the request buffer may be a view of a whole socket chunk.
    if (source !== null && dataLength > 0) source.copy(node.slab.bytes, dataStartOf(node), dataAt, dataAt + dataLength);
    this.#addChild(parent, childName, node);
    this.#nodes.set(node);
    this.#digestPrefix(path, node);
    this.#digestIn(path, node);
    this.#approximateDataBytes += path.length + node.dataLength;
    this.#index(path, node);
    if (parentPath.startsWith(QUOTA_PATH)) {
      if (childName === QUOTA_LIMITS_NODE) this.#quotaPaths.add(parentPath.slice(QUOTA_PATH.length));
      if (childName === QUOTA_STATS_NODE) this.#recountQuota(parentPath.slice(QUOTA_PATH.length));
    }
    this.#updateQuotaStat(path, node.dataLength, 1);
    this.#listener?.nodeCreated(path, parentPath, node.dataLength);
    return node;
  }

  /** The Stat of a node just created (statOf, from the txn's own bigints). */
  #createdStat(node: TreeNode, ephemeralOwner: bigint, zxid: bigint, time: bigint): Stat {
    return {
      czxid: zxid,
      mzxid: zxid,
      ctime: time,
      mtime: time,
      version: 0,
      cversion: 0,
      aversion: 0,
      ephemeralOwner: this.kindOf(node) === 'normal' ? ephemeralOwner : 0n,
      dataLength: node.dataLength,
      numChildren: 0,
      pzxid: zxid,
    };
  }

  /** 3.8 repairs the parent's cversion/pzxid when a replayed create finds its node already there. */
  #adjustParentAfterReplayedCreate(parentPath: string, parent: TreeNode, parentCVersion: number, zxid: bigint): void {
    if (parentCVersion > int32Field(parent, CVERSION_AT)) {
      this.#digestOut(parent);
      setInt32Field(parent, CVERSION_AT, parentCVersion);
      setLongField(parent, PZXID_AT, zxid);
      this.#digestIn(parentPath, parent);
    }
  }

  #deleteNode(path: string, zxid: bigint): void {
    if (path === this.#createParentPath) this.#forgetCreateParent();
    const parentPath = parentOf(path);
    const parent = this.#nodes.get(parentPath);
    if (parent === undefined) throw new NoNodeError();
    if (childCountOf(parent) !== 0 && (mapOfChildren(parent) as Map<string, TreeNode>).delete(baseName(path))) (parent.kids as ChildSet).ordered = null;
    split(zxid);
    if (fieldBelowSplit(parent, PZXID_AT)) {
      this.#digestOut(parent);
      setLongField(parent, PZXID_AT, zxid);
      this.#digestIn(parentPath, parent);
    }
    const node = this.#nodes.get(path);
    if (node === undefined) throw new NoNodeError();
    this.#digestOut(node);
    this.#nodes.delete(path);
    this.#removals++;
    this.acls.release(node.aclIndex);
    this.#approximateDataBytes -= path.length + node.dataLength;
    switch (this.kindOf(node)) {
      case 'container':
        this.#containers.delete(path);
        break;
      case 'ttl':
        this.#ttls.delete(path);
        break;
      case 'normal': {
        const owner = node.slab.view.getBigInt64(node.at + OWNER_AT);
        const paths = this.#ephemerals.get(owner);
        if (paths !== undefined) {
          paths.delete(path);
          if (paths.size === 0) this.#ephemerals.delete(owner);
        }
        break;
      }
      case 'void':
        break;
    }
    if (parentPath.startsWith(ZOOKEEPER_PATH) && baseName(path) === QUOTA_LIMITS_NODE) {
      this.#quotaPaths.delete(parentPath.slice(QUOTA_PATH.length));
    }
    this.#updateQuotaStat(path, -node.dataLength, -1);
    this.#listener?.nodeDeleted(path, parentPath);
  }

  #setData(path: string, data: Buffer | null, version: number, zxid: bigint, time: bigint): Stat {
    const node = this.#nodes.get(path);
    if (node === undefined) throw new NoNodeError();
    const bytesDiff = (data === null ? 0 : data.length) - node.dataLength;
    this.#approximateDataBytes += bytesDiff;
    this.#updateQuotaStat(path, bytesDiff, 0);
    this.#digestOut(node);
    this.#replaceData(node, data);
    setLongField(node, MTIME_AT, time);
    setLongField(node, MZXID_AT, zxid);
    setInt32Field(node, VERSION_AT, version);
    this.#digestPrefix(path, node);
    this.#digestIn(path, node);
    const stat = this.statOf(node);
    this.#listener?.nodeDataChanged(path, node.dataLength);
    return stat;
  }

  /**
   * An ensemble member's quorum configuration in /zookeeper/config, as 3.8's
   * ZKDatabase.initConfigInZKDatabase writes it outside any txn: the data is the configuration's
   * text, mzxid its version, and the data version -1.
   */
  setConfigNode(data: Buffer, configVersion: bigint, timeMs: bigint): void {
    this.#setData(CONFIG_PATH, data, -1, configVersion, timeMs);
  }

  #setAcl(path: string, acl: readonly ACL[], version: number): Stat {
    const node = this.#nodes.get(path);
    if (node === undefined) throw new NoNodeError();
    this.acls.release(node.aclIndex);
    node.aclIndex = this.acls.acquire(acl);
    this.#digestOut(node);
    setInt32Field(node, AVERSION_AT, version);
    this.#digestIn(path, node);
    return this.statOf(node);
  }

  /** The deepest quota path that is a prefix of `path` (by whole segments), as PathTrie finds it. */
  #quotaPrefixOf(path: string): string | null {
    if (this.#quotaPaths.size === 0) return null;
    let best: string | null = null;
    let prefix = '';
    for (const segment of path.split('/').filter((p) => p !== '')) {
      prefix += `/${segment}`;
      if (this.#quotaPaths.has(prefix)) best = prefix;
    }
    return best === ZOOKEEPER_PATH ? null : best;
  }

  /** 3.8 keeps "count=N,bytes=M" in the quota's zookeeper_stats node, rewriting only its data. */
  #updateQuotaStat(path: string, bytesDiff: number, countDiff: number): void {
    const prefix = this.#quotaPrefixOf(path);
    if (prefix === null) return;
    const statNode = this.#nodes.get(`${QUOTA_PATH}${prefix}/${QUOTA_STATS_NODE}`);
    if (statNode === undefined) return;
    const stats = parseQuotaStats(statNode.data);
    stats.set('count', (stats.get('count') ?? 0) + countDiff);
    stats.set('bytes', (stats.get('bytes') ?? 0) + bytesDiff);
    this.#replaceData(statNode, formatQuotaStats(stats));
  }

  /** When a quota's stats node appears, 3.8 counts the subtree it covers. */
  #recountQuota(quotaPath: string): void {
    const statNode = this.#nodes.get(`${QUOTA_PATH}${quotaPath}/${QUOTA_STATS_NODE}`);
    if (statNode === undefined) return;
    let count = 0;
    let bytes = 0;
    const top = this.#nodes.get(quotaPath);
    const stack: TreeNode[] = top === undefined ? [] : [top];
    while (stack.length > 0) {
      const node = stack.pop() as TreeNode;
      count++;
      bytes += node.dataLength;
      const kids = node.kids;
      if (kids === null) continue;
      if (kids.list !== null) for (let i = 0; i < kids.list.length; i++) stack.push(kids.list[i] as TreeNode);
      else for (const child of (kids.map as Map<string, TreeNode>).values()) stack.push(child);
    }
    const stats = new Map<string, number>([['count', count], ['bytes', bytes]]);
    this.#replaceData(statNode, formatQuotaStats(stats));
  }

  /** Deletes the ephemerals of a session that no longer exists (recovery's dead-session cleanup). */
  killSession(sessionId: bigint): void {
    this.#killSession(sessionId, this.lastProcessedZxid, null);
  }

  #killSession(sessionId: bigint, zxid: bigint, paths2Delete: readonly string[] | null): void {
    const local = this.#ephemerals.get(sessionId);
    const remaining = local === undefined ? [] : [...local];
    this.#ephemerals.delete(sessionId);
    const deleteQuietly = (path: string): void => {
      try {
        this.#deleteNode(path, zxid);
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
      }
    };
    if (paths2Delete !== null) {
      const listed = new Set(paths2Delete);
      for (const path of paths2Delete) deleteQuietly(path);
      for (const path of remaining) if (!listed.has(path)) deleteQuietly(path);
    } else {
      for (const path of remaining) deleteQuietly(path);
    }
  }

  // ---- snapshot support ------------------------------------------------------------------------

  /**
   * Replaces the whole tree with a snapshot's content: its ACL map, then its nodes in file order
   * (parents before children; the root's path is ""). Reference counts are rebuilt from the nodes
   * and unused ACL entries dropped, as 3.8 does. Returns an error message for a malformed tree.
   * The nodes' data buffers are kept as given; their stats are copied.
   */
  loadSnapshot(acls: Iterable<readonly [number, readonly ACL[]]>, nodes: Iterable<SnapshotNodeInput>): string | null {
    this.beginSnapshotLoad(acls);
    for (const input of nodes) {
      // Encoded as a snapshot has it and loaded as a streamed one is: [path][data][stat].
      const pathLength = Buffer.byteLength(input.path, 'utf8');
      const dataLength = input.data === null ? 0 : input.data.length;
      const encoded = Buffer.alloc(pathLength + dataLength + STAT_BYTES);
      encoded.write(input.path, 0, 'utf8');
      if (input.data !== null) encoded.set(input.data, pathLength);
      const statStart = pathLength + dataLength;
      encodeStat(new DataView(encoded.buffer, encoded.byteOffset, encoded.length), statStart, input.stat);
      const problem = this.loadSnapshotNode(encoded, 0, pathLength, input.data === null ? -1 : pathLength, statStart, statStart, input.aclIndex);
      if (problem !== null) return problem;
    }
    return this.finishSnapshotLoad();
  }

  /**
   * loadSnapshot in steps, for a snapshot read as a stream: this call, then loadSnapshotNode for
   * every node in file order, then finishSnapshotLoad. The tree is not usable in between.
   * `expectedNodes`, a guess, sizes the tree's index of paths.
   */
  beginSnapshotLoad(acls: Iterable<readonly [number, readonly ACL[]]>, expectedNodes = 0): void {
    this.#forgetCreateParent();
    // Sized up front: growing a table of a million nodes step by step moved every entry again at each doubling.
    this.#nodes.clear(expectedNodes);
    this.#removals++;
    this.#ephemerals.clear();
    this.#containers.clear();
    this.#ttls.clear();
    this.acls.clear();
    this.#approximateDataBytes = 0;
    this.#digestBase = 0n;
    this.#digestPending = 0;
    this.#loadAncestors = [];
    this.#deferIndex = true;
    this.#loadQuotaPaths = [];
    for (const [index, acl] of acls) this.acls.restore(index, acl, 0);
  }

  /**
   * The next node of a snapshot being loaded, as the file encodes it: its path (UTF-8, "" for the
   * root) at source[pathStart, pathEnd), its data at source[dataStart, dataEnd) (dataStart -1: null
   * data) and its StatPersisted at source[statStart, statStart + 60). Everything is copied out, so
   * the source can be a read buffer that is reused. Returns an error message for a malformed tree.
   */
  loadSnapshotNode(source: Buffer, pathStart: number, pathEnd: number, dataStart: number, dataEnd: number, statStart: number, aclIndex: number): string | null {
    // The path is read once: while its bytes are checked to be ASCII (every path seen in practice)
    // they go into the digest's CRC (as #digestPrefix would), the node table's hash and the Java
    // hash code of the node's name (started again at each slash).
    let register = CRC32_START;
    let hash = this.#nodes.seed;
    let nameHash = 0;
    let i = pathStart;
    for (; i < pathEnd; i++) {
      const code = source[i] as number;
      if (code >= 0x80) break;
      register = crc32UpdateByte(register, code);
      hash = pathHashStep(hash, code);
      nameHash = code === 0x2f ? 0 : (Math.imul(nameHash, 31) + code) | 0;
    }
    let node: TreeNode;
    if (pathStart === pathEnd) {
      // The root, whose path the file has as "" and whose digest leaves its path out.
      node = newTreeNode('/', 0, aclIndex);
      hash = hashPath('/', this.#nodes.seed);
    } else if (i === pathEnd) {
      node = newTreeNode(null, pathEnd - pathStart, aclIndex);
      hash = pathHashFinish(hash);
    } else {
      const path = source.toString('utf8', pathStart, pathEnd);
      node = newTreeNode(path, 0, aclIndex);
      register = crc32UpdateUtf8(CRC32_START, path);
      hash = hashPath(path, this.#nodes.seed);
      nameHash = javaHashOfName(path);
    }
    this.#place(node, dataStart < 0 ? -1 : dataEnd - dataStart);
    const bytes = node.slab.bytes;
    const at = node.at;
    copyBytes(source, pathStart, bytes, at + STAT_BYTES, node.pathBytes);
    // The data and the stat are checksummed as they are copied: the data into the digest register,
    // then the stat in the digest's order of its fields (see #nodeDigest).
    if (dataStart >= 0) register = crc32CopyRange(register, source, dataStart, dataEnd, bytes, dataStartOf(node));
    node.digestRegister = register;
    register = crc32CopyRange(register, source, statStart, statStart + 16, bytes, at);
    register = crc32CopyRange(register, source, statStart + 52, statStart + 60, bytes, at + 52);
    register = crc32CopyRange(register, source, statStart + 16, statStart + 52, bytes, at + 16);
    const share = pathStartsWith(node, '/zookeeper/') ? 0 : crc32Finish(register);
    return this.#loadNode(node, hash, share, nameHash, source, pathStart, pathEnd);
  }

  /**
   * A loaded node, its record filled and its digestRegister set, into the tree: `hash` is hashPath
   * of its path, `share` its share of the digest, `nameHash` the Java hash code of its name, and
   * its path is the UTF-8 at source[pathStart, pathEnd) ("" for the root).
   */
  #loadNode(node: TreeNode, hash: number, share: number, nameHash: number, source: Buffer, pathStart: number, pathEnd: number): string | null {
    const ancestors = this.#loadAncestors;
    if (pathStart === pathEnd) {
      ancestors.length = 0;
      // A node listed again replaces the first one; the stack holds neither below the node's parent.
      this.#putLoaded(node, hash);
    } else {
      const parent = this.#loadParent(node, source, pathStart, pathEnd);
      if (parent === undefined) return `snapshot lists ${pathOf(node)} before its parent`;
      ancestors.push(parent);
      const replaced = this.#putLoaded(node, hash);
      this.#attachLoaded(parent, node, replaced, nameHash);
      // Checked while the path is at hand: finishSnapshotLoad looked at every path of the tree again.
      if (replaced === undefined && bytesStartWith(source, pathStart, pathEnd, QUOTA_PATH_PREFIX)) this.#loadQuotaPaths.push(pathOf(node));
    }
    ancestors.push(node);
    this.#addShare(node, share);
    this.acls.addUsage(node.aclIndex);
    this.#approximateDataBytes += pathLengthOf(node) + node.dataLength;
    if (int32Field(node, OWNER_AT) !== 0 || int32Field(node, OWNER_AT + 4) !== 0) this.#index(pathOf(node), node);
    return null;
  }

  /**
   * The parent of a loaded node (not the root) whose path is the UTF-8 at source[pathStart,
   * pathEnd), as parentOf would name it: everything before the last slash, "/" when that is the
   * first character. Nodes come depth first, so it is on the stack of the last node's ancestors,
   * which is left with the parent on top; else it is looked up. Undefined when there is none.
   */
  #loadParent(node: TreeNode, source: Buffer, pathStart: number, pathEnd: number): TreeNode | undefined {
    const ancestors = this.#loadAncestors;
    let slash = pathEnd - 1;
    while (slash >= pathStart && source[slash] !== 0x2f) slash--;
    // Offsets in bytes are offsets in characters for an ASCII path; the rest are looked up.
    const ascii = node.pathText === null;
    const parentLength = slash <= pathStart ? 1 : slash - pathStart;
    let parent = ancestors.pop();
    while (parent !== undefined && pathLengthOf(parent) > parentLength) parent = ancestors.pop();
    if (ascii && parent !== undefined && pathLengthOf(parent) === parentLength) {
      const text = parent.pathText;
      const matches = slash <= pathStart ? text === '/' : text === null ? recordPathIs(parent, source, pathStart) : bytesAre(source, pathStart, parentLength, text);
      if (matches) return parent;
    }
    ancestors.length = 0;
    if (this.#deferIndex) this.#settleIndex();
    return this.#nodes.get(parentOf(pathOf(node)));
  }

  /**
   * Puts a loaded node in #nodes under its path (`hash` is hashPath of it): at once, returning the
   * node it replaced, or, while the index is deferred, appended for #settleIndex (a node listed
   * twice is then found there).
   */
  #putLoaded(node: TreeNode, hash: number): TreeNode | undefined {
    if (!this.#deferIndex) return this.#nodes.setHashed(node, hash);
    this.#nodes.append(node, hash);
    return undefined;
  }

  /**
   * Puts the nodes loaded so far in #nodes' table, and loads the rest one by one. A path listed
   * twice, found only now, replaced the first node in its parent's children (in its place) when
   * it came: the children are linked again, in file order, as that would have left them.
   */
  #settleIndex(): void {
    this.#deferIndex = false;
    const replacements = this.#nodes.index();
    if (replacements.length === 0) return;
    // A load starts from an empty table and appends only, so these are every node loaded, in order.
    const loaded = this.#nodes.entriesInOrder();
    for (const { replaced, position } of replacements) loaded[position] = replaced;
    for (const node of loaded) if (node !== undefined) node.kids = null;
    this.#nodes.clear(loaded.length);
    this.#loadQuotaPaths = [];
    for (const node of loaded) {
      if (node === undefined) continue;
      const path = pathOf(node);
      if (node.pathText === '/') {
        this.#nodes.set(node);
        continue;
      }
      // Found when the node came, so it is there now that the table holds what it held then.
      const parent = this.#nodes.get(parentOf(path)) as TreeNode;
      const replaced = this.#nodes.set(node);
      this.#attachLoaded(parent, node, replaced, javaHashOfName(path));
      if (replaced === undefined && path.startsWith(QUOTA_PATH_PREFIX)) this.#loadQuotaPaths.push(path);
    }
  }

  /** Makes a loaded node its parent's last child, or puts it in the place of the node it replaced. */
  #attachLoaded(parent: TreeNode, node: TreeNode, replaced: TreeNode | undefined, nameHash: number): void {
    let kids = parent.kids;
    if (kids === null) {
      kids = { map: null, list: [], listHashes: new Int32Array(4), capacity: JAVA_HASHSET_INITIAL_CAPACITY, ordered: null };
      parent.kids = kids;
    }
    const list = kids.list;
    if (list === null) {
      this.#addChild(parent, nameOf(node), node);
      return;
    }
    kids.ordered = null;
    if (replaced !== undefined) {
      const at = list.lastIndexOf(replaced);
      if (at >= 0) {
        list[at] = node;
        return;
      }
    }
    let hashes = kids.listHashes as Int32Array;
    if (list.length === hashes.length) {
      const larger = new Int32Array(hashes.length * 2);
      larger.set(hashes);
      hashes = larger;
      kids.listHashes = larger;
    }
    hashes[list.length] = nameHash;
    list.push(node);
    kids.capacity = grownCapacity(kids.capacity, list.length);
  }

  /** Ends loadSnapshot in steps; returns an error message for a malformed tree. */
  finishSnapshotLoad(): string | null {
    this.#loadAncestors = [];
    if (this.#deferIndex) this.#settleIndex();
    if (!this.#nodes.has('/')) return 'snapshot has no root node';
    this.acls.purgeUnused();
    // 3.8's setupQuota: find every quota limit and count its subtree again.
    this.#quotaPaths.clear();
    const candidates = this.#loadQuotaPaths;
    this.#loadQuotaPaths = [];
    for (const path of candidates) {
      if (path.endsWith(`/${QUOTA_LIMITS_NODE}`)) {
        const quotaPath = path.slice(QUOTA_PATH.length, -(QUOTA_LIMITS_NODE.length + 1));
        this.#quotaPaths.add(quotaPath);
        this.#recountQuota(quotaPath);
      }
    }
    return null;
  }

  #forgetCreateParent(): void {
    this.#createParentPath = null;
    this.#createParent = null;
  }

  #index(path: string, node: Znode): void {
    switch (this.kindOf(node)) {
      case 'container':
        this.#containers.add(path);
        break;
      case 'ttl':
        this.#ttls.add(path);
        break;
      case 'normal': {
        const owner = (node as TreeNode).slab.view.getBigInt64((node as TreeNode).at + OWNER_AT);
        let paths = this.#ephemerals.get(owner);
        if (paths === undefined) {
          paths = new Set();
          this.#ephemerals.set(owner, paths);
        }
        paths.add(path);
        break;
      }
      case 'void':
        break;
    }
  }
}
