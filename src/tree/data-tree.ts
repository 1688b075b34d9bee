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
  ephemeralKind,
  ttlToEphemeralOwner,
  type EphemeralKind,
} from '../protocol/constants.js';
import { ErrorCode } from '../protocol/error-code.js';
import { OpCode } from '../protocol/op-code.js';
import { baseName, parentOf } from '../protocol/paths.js';
import type { MultiSubTxn, Txn, TxnBody } from '../txn/txn.js';
import { AclCache, OPEN_UNSAFE_ACL_INDEX } from './acl-cache.js';
import { crc32UpdateRange, crc32UpdateUtf8 } from './crc32-ranges.js';

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
  /** The node's data; a view made when read (see TreeNode), valid until the node's next change. */
  readonly data: Buffer | null;
  /** Bytes of data (0 when null), without making a view. */
  readonly dataLength: number;
  aclIndex: number;
  readonly stat: ZnodeStat;
  /** Children by name: a walk over the tree (a snapshot) reaches them without a lookup by full path. */
  children: Map<string, Znode> | null;
  /** Capacity of the Java HashSet that 3.8 would hold the children in; see java-hash-order. */
  childrenCapacity: number;
  /** CRC-32 register after the node's path and data: the part of its digest that changes rarely. */
  digestRegister: number;
  /**
   * The node's share of the tree digest as last added, so taking it out again needs no CRC. Kept
   * as a signed 32-bit value: a small integer is stored in place, a larger number would be boxed.
   */
  digest: number;
  /** The children in 3.8's order, computed on demand and dropped when the children change. */
  orderedChildren: string[] | null;
}

/**
 * A znode as the tree keeps it. Its data is a range of a buffer the tree owns (a slab of small
 * values, or a buffer of its own) and `data` makes a view of it when read: a view held per node
 * all the time was the largest object of a loaded tree, and creating and collecting a million of
 * them took about an eighth of the time to load a snapshot.
 */
class TreeNode implements Znode {
  /** Holds the data at [dataStart, dataStart + dataLength); null for null data. */
  dataSource: Buffer | null = null;
  dataStart = 0;
  dataLength = 0;
  aclIndex: number;
  readonly stat: ZnodeStat;
  children: Map<string, Znode> | null = null;
  childrenCapacity = JAVA_HASHSET_INITIAL_CAPACITY;
  digestRegister = CRC32_START;
  digest = 0;
  orderedChildren: string[] | null = null;

  constructor(aclIndex: number, stat: ZnodeStat) {
    this.aclIndex = aclIndex;
    this.stat = stat;
  }

  get data(): Buffer | null {
    const source = this.dataSource;
    return source === null ? null : source.subarray(this.dataStart, this.dataStart + this.dataLength);
  }

  /** Takes `data` as the node's data, as it is (the caller owns nothing of it any more). */
  adopt(data: Buffer | null): void {
    this.dataSource = data;
    this.dataStart = 0;
    this.dataLength = data === null ? 0 : data.length;
  }
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
const JAVA_HASHSET_INITIAL_CAPACITY = 8;

function emptyStat(): ZnodeStat {
  return { czxid: 0n, mzxid: 0n, ctime: 0n, mtime: 0n, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, pzxid: 0n };
}

export interface SnapshotNodeInput {
  readonly path: string;
  readonly data: Buffer | null;
  readonly aclIndex: number;
  readonly stat: ZnodeStat;
}

export interface DataTreeOptions {
  /** zookeeper.extendedTypesEnabled: TTL nodes exist and ephemeral owners with 0xff.. are TTLs. */
  readonly extendedTypesEnabled: boolean;
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
  const buckets = new Int32Array(children.size);
  const starts = new Int32Array(capacity + 1);
  let i = 0;
  for (const name of children.keys()) {
    const h = javaStringHashCode(name);
    // HashMap.hash spreads the high bits down; the table index is the low bits.
    const bucket = (h ^ (h >>> 16)) & (capacity - 1);
    buckets[i++] = bucket;
    starts[bucket + 1] = (starts[bucket + 1] as number) + 1;
  }
  for (let b = 0; b < capacity; b++) starts[b + 1] = (starts[b + 1] as number) + (starts[b] as number);
  const ordered = new Array<string>(children.size);
  i = 0;
  // In insertion order within a bucket, as a HashSet chains them.
  for (const name of children.keys()) {
    const bucket = buckets[i++] as number;
    const at = starts[bucket] as number;
    starts[bucket] = at + 1;
    ordered[at] = name;
  }
  return ordered;
}

export class DataTree {
  readonly #nodes = new Map<string, TreeNode>();
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
  #dataSlab: Buffer = Buffer.alloc(0);
  #dataSlabOffset = 0;
  /** While a snapshot is loaded node by node: the parent of the last node, as siblings come in a row. */
  #loadParentPath: string | null = null;
  #loadParent: TreeNode | null = null;
  /**
   * The parent of the last node created, and its path: creates in a row mostly share a parent (a
   * txn log replayed at start, sequential nodes), and its lookup in the map of every path was half
   * the cost of replaying a create in a tree of a million nodes. Forgotten when that node goes.
   */
  #createParentPath: string | null = null;
  #createParent: TreeNode | null = null;
  /** While a snapshot is loaded: its paths under /zookeeper/quota/, in #nodes' order, for finishSnapshotLoad. */
  #loadQuotaPaths: string[] = [];

  constructor(options: DataTreeOptions) {
    this.#options = options;
    const root = this.#newNode(Buffer.alloc(0), OPEN_UNSAFE_ACL_INDEX, emptyStat());
    this.#nodes.set('/', root);
    this.#addSpecialNode(ZOOKEEPER_PATH, OPEN_UNSAFE_ACL_INDEX);
    this.#addSpecialNode(QUOTA_PATH, OPEN_UNSAFE_ACL_INDEX);
    const config = this.#addSpecialNode(CONFIG_PATH, this.acls.acquire(READ_ACL_UNSAFE));
    // 3.8 creates the config node with setACL(..., version -1), which leaves aversion at -1.
    config.stat.aversion = -1;
    for (const path of this.#nodes.keys()) this.#approximateDataBytes += path.length;
    for (const [path, node] of this.#nodes) {
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

  /** A node holding `data` as it is (see #copyData for data the tree must copy). */
  #newNode(data: Buffer | null, aclIndex: number, stat: ZnodeStat): TreeNode {
    const node = new TreeNode(aclIndex, stat);
    node.adopt(data);
    return node;
  }

  /**
   * The tree keeps its own copy of node data (a request buffer may be a view of a whole socket
   * chunk). Small values are packed into slabs that hold only node data: copied into Node's shared
   * pool instead, each would pin an 8 KiB slab shared with short-lived reply buffers.
   */
  #copyData(node: TreeNode, data: Buffer | null): void {
    if (data === null) node.adopt(null);
    else this.#copyDataRange(node, data, 0, data.length);
  }

  /** #copyData of source[start, end). */
  #copyDataRange(node: TreeNode, source: Uint8Array, start: number, end: number): void {
    const length = end - start;
    if (length > 1024) {
      const copy = Buffer.allocUnsafeSlow(length);
      copy.set(source.subarray(start, end));
      node.adopt(copy);
      return;
    }
    if (this.#dataSlabOffset + length > this.#dataSlab.length) {
      this.#dataSlab = Buffer.allocUnsafeSlow(64 * 1024);
      this.#dataSlabOffset = 0;
    }
    const slab = this.#dataSlab;
    const at = this.#dataSlabOffset;
    slab.set(source.subarray(start, end), at);
    this.#dataSlabOffset = at + length;
    node.dataSource = slab;
    node.dataStart = at;
    node.dataLength = length;
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
    node.digestRegister = digestRegisterOf(path, node.dataSource, node.dataStart, node.dataStart + node.dataLength);
  }

  /** The node's share of the tree digest, an unsigned 32-bit value. */
  #nodeDigest(path: string, node: Znode): number {
    return nodeDigestOf(path, node.digestRegister, node.stat);
  }

  #digestIn(path: string, node: Znode): void {
    const share = this.#nodeDigest(path, node);
    node.digest = share | 0;
    this.#digestPending += share;
    if (this.#digestPending > DIGEST_PENDING_LIMIT) this.#foldDigest();
  }

  /**
   * #digestIn for a node whose stat is also at bytes[at, at + 60) as StatPersisted encodes it (a
   * snapshot being loaded): the same fields in another order, so the CRC runs over three ranges of
   * it instead of over the stat written out again.
   */
  #digestInEncoded(path: string, node: Znode, bytes: Uint8Array, at: number): void {
    let share = 0;
    if (!path.startsWith('/zookeeper/')) {
      // The digest's order: czxid, mzxid (at 0); pzxid (at 52); ctime, mtime, version, cversion,
      // aversion, ephemeralOwner (at 16).
      let register = crc32UpdateRange(node.digestRegister, bytes, at, at + 16);
      register = crc32UpdateRange(register, bytes, at + 52, at + 60);
      share = crc32Finish(crc32UpdateRange(register, bytes, at + 16, at + 52));
    }
    node.digest = share | 0;
    this.#digestPending += share;
    if (this.#digestPending > DIGEST_PENDING_LIMIT) this.#foldDigest();
  }

  /** Takes the node's share out before its stat or data change (every change is bracketed by #digestOut and #digestIn). */
  #digestOut(node: Znode): void {
    this.#digestPending -= node.digest >>> 0;
    if (this.#digestPending < -DIGEST_PENDING_LIMIT) this.#foldDigest();
  }

  #addSpecialNode(path: string, aclIndex: number): TreeNode {
    const node = this.#newNode(Buffer.alloc(0), aclIndex, emptyStat());
    this.#nodes.set(path, node);
    const parent = this.#nodes.get(parentOf(path));
    assert(parent !== undefined, 'special nodes are added parent first');
    this.#addChild(parent, baseName(path), node);
    return node;
  }

  #addChild(parent: Znode, name: string, child: Znode): void {
    parent.orderedChildren = null;
    if (parent.children === null) parent.children = new Map();
    parent.children.set(name, child);
    parent.childrenCapacity = grownCapacity(parent.childrenCapacity, parent.children.size);
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
    return ephemeralKind(node.stat.ephemeralOwner, this.#options.extendedTypesEnabled);
  }

  /** The client-visible Stat of a node (DataNode.copyStat). */
  statOf(node: Znode): Stat {
    const numChildren = node.children === null ? 0 : node.children.size;
    const s = node.stat;
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
    if (node.children === null || node.children.size === 0) return [];
    node.orderedChildren ??= hashSetOrder(node.children, node.childrenCapacity);
    // Callers may keep the list: hand out a copy so the cache stays ours.
    return node.orderedChildren.slice();
  }

  /** childrenOf without the copy, for a caller that only reads the list before the tree changes again. */
  orderedChildrenOf(node: Znode): readonly string[] {
    if (node.children === null || node.children.size === 0) return NO_CHILDREN;
    node.orderedChildren ??= hashSetOrder(node.children, node.childrenCapacity);
    return node.orderedChildren;
  }

  /** The child of `node` called `name` as the tree holds it now. */
  childNode(node: Znode, name: string): Znode | undefined {
    return node.children === null ? undefined : node.children.get(name);
  }

  /** Number of all descendants, as getAllChildrenNumber counts them. */
  descendantCount(path: string): number {
    if (path === '/') return this.#nodes.size - 1;
    const prefix = `${path}/`;
    let count = 0;
    for (const key of this.#nodes.keys()) if (key.startsWith(prefix)) count++;
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
          result.stat = this.#createNode(r.path, r.data, r.acl, owner, r.parentCVersion, zxid, time);
          break;
        }
        case 'createTTL': {
          const r = body.record;
          result.path = r.path;
          result.stat = this.#createNode(r.path, r.data, r.acl, ttlToEphemeralOwner(r.ttl), r.parentCVersion, zxid, time);
          break;
        }
        case 'createContainer': {
          const r = body.record;
          result.path = r.path;
          result.stat = this.#createNode(r.path, r.data, r.acl, CONTAINER_EPHEMERAL_OWNER, r.parentCVersion, zxid, time);
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

  #createNode(
    path: string,
    data: Buffer | null,
    acl: readonly ACL[],
    ephemeralOwner: bigint,
    parentCVersion: number,
    zxid: bigint,
    time: bigint,
  ): Stat {
    const parentPath = parentOf(path);
    const childName = baseName(path);
    let parent = this.#createParent;
    if (parentPath !== this.#createParentPath || parent === null) {
      parent = this.#nodes.get(parentPath) ?? null;
      if (parent === null) throw new NoNodeError();
      this.#createParentPath = parentPath;
      this.#createParent = parent;
    }
    if (parent.children !== null && parent.children.has(childName)) {
      this.#adjustParentAfterReplayedCreate(parentPath, parent, parentCVersion, zxid);
      throw new NodeExistsError();
    }
    const cversion = parentCVersion === -1 ? parent.stat.cversion + 1 : parentCVersion;
    // A replayed create may be older than the snapshot's view of the parent: never move it back.
    if (cversion > parent.stat.cversion) {
      this.#digestOut(parent);
      parent.stat.cversion = cversion;
      parent.stat.pzxid = zxid;
      this.#digestIn(parentPath, parent);
    }
    const stat: ZnodeStat = {
      czxid: zxid,
      mzxid: zxid,
      ctime: time,
      mtime: time,
      version: 0,
      cversion: 0,
      aversion: 0,
      ephemeralOwner,
      pzxid: zxid,
    };
    const node = this.#newNode(null, this.acls.acquire(acl), stat);
    // The tree keeps its own copy: the request buffer may be a view of a whole socket chunk.
    this.#copyData(node, data);
    this.#addChild(parent, childName, node);
    this.#nodes.set(path, node);
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
    return this.statOf(node);
  }

  /** 3.8 repairs the parent's cversion/pzxid when a replayed create finds its node already there. */
  #adjustParentAfterReplayedCreate(parentPath: string, parent: Znode, parentCVersion: number, zxid: bigint): void {
    if (parentCVersion > parent.stat.cversion) {
      this.#digestOut(parent);
      parent.stat.cversion = parentCVersion;
      parent.stat.pzxid = zxid;
      this.#digestIn(parentPath, parent);
    }
  }

  #deleteNode(path: string, zxid: bigint): void {
    if (path === this.#createParentPath) this.#forgetCreateParent();
    const parentPath = parentOf(path);
    const parent = this.#nodes.get(parentPath);
    if (parent === undefined) throw new NoNodeError();
    if (parent.children?.delete(baseName(path)) === true) parent.orderedChildren = null;
    if (zxid > parent.stat.pzxid) {
      this.#digestOut(parent);
      parent.stat.pzxid = zxid;
      this.#digestIn(parentPath, parent);
    }
    const node = this.#nodes.get(path);
    if (node === undefined) throw new NoNodeError();
    this.#digestOut(node);
    this.#nodes.delete(path);
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
        const paths = this.#ephemerals.get(node.stat.ephemeralOwner);
        if (paths !== undefined) {
          paths.delete(path);
          if (paths.size === 0) this.#ephemerals.delete(node.stat.ephemeralOwner);
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
    // Nothing outside the tree keeps a node's data beyond the current turn (replies and snapshots
    // copy it), so a value that fits in the old one's bytes is written over them.
    const source = node.dataSource;
    if (data !== null && source !== null && data.length <= node.dataLength && node.dataLength <= 1024) {
      source.set(data, node.dataStart);
      node.dataLength = data.length;
    } else {
      this.#copyData(node, data);
    }
    node.stat.mtime = time;
    node.stat.mzxid = zxid;
    node.stat.version = version;
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
    node.stat.aversion = version;
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
    statNode.adopt(formatQuotaStats(stats));
  }

  /** When a quota's stats node appears, 3.8 counts the subtree it covers. */
  #recountQuota(quotaPath: string): void {
    const statNode = this.#nodes.get(`${QUOTA_PATH}${quotaPath}/${QUOTA_STATS_NODE}`);
    if (statNode === undefined) return;
    let count = 0;
    let bytes = 0;
    const stack = [quotaPath];
    while (stack.length > 0) {
      const current = stack.pop() as string;
      const node = this.#nodes.get(current);
      if (node === undefined) continue;
      count++;
      bytes += node.dataLength;
      for (const child of node.children?.keys() ?? []) stack.push(current === '/' ? `/${child}` : `${current}/${child}`);
    }
    const stats = new Map<string, number>([['count', count], ['bytes', bytes]]);
    statNode.adopt(formatQuotaStats(stats));
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
      const problem = this.#loadNode(input.path, this.#newNode(input.data, input.aclIndex, { ...input.stat }));
      if (problem !== null) return problem;
    }
    return this.finishSnapshotLoad();
  }

  /**
   * loadSnapshot in steps, for a snapshot read as a stream: this call, then loadSnapshotNode for
   * every node in file order, then finishSnapshotLoad. The tree is not usable in between.
   */
  beginSnapshotLoad(acls: Iterable<readonly [number, readonly ACL[]]>): void {
    this.#forgetCreateParent();
    this.#nodes.clear();
    this.#ephemerals.clear();
    this.#containers.clear();
    this.#ttls.clear();
    this.acls.clear();
    this.#approximateDataBytes = 0;
    this.#digestBase = 0n;
    this.#digestPending = 0;
    this.#loadParentPath = null;
    this.#loadParent = null;
    this.#loadQuotaPaths = [];
    for (const [index, acl] of acls) this.acls.restore(index, acl, 0);
  }

  /**
   * The next node of a snapshot being loaded. Its data is copied from source[dataStart, dataEnd)
   * (dataStart -1: null data), so the source can be a read buffer that is reused; the stat object
   * becomes the node's own, and source[statStart, statStart + 60) is its StatPersisted encoding,
   * which the node's digest is computed from. Returns an error message for a malformed tree.
   */
  loadSnapshotNode(path: string, source: Uint8Array, dataStart: number, dataEnd: number, statStart: number, aclIndex: number, stat: ZnodeStat): string | null {
    const node = new TreeNode(aclIndex, stat);
    if (dataStart >= 0) this.#copyDataRange(node, source, dataStart, dataEnd);
    return this.#loadNode(path, node, source, statStart);
  }

  /** `statBytes` holds the node's stat encoded at `statStart` (a snapshot's bytes), or is null. */
  #loadNode(inputPath: string, node: TreeNode, statBytes: Uint8Array | null = null, statStart = 0): string | null {
    const path = inputPath === '' ? '/' : inputPath;
    if (path !== '/') {
      // As parentOf and baseName, but a run of siblings finds its parent without a map lookup.
      const slash = path.lastIndexOf('/');
      let parent: TreeNode | undefined;
      const cachedPath = this.#loadParentPath;
      if (slash > 0 && cachedPath !== null && cachedPath.length === slash && path.startsWith(cachedPath)) {
        parent = this.#loadParent as TreeNode;
      } else {
        const parentPath = slash <= 0 ? '/' : path.slice(0, slash);
        parent = this.#nodes.get(parentPath);
        if (parent === undefined) return `snapshot lists ${path} before its parent`;
        this.#loadParentPath = parentPath;
        this.#loadParent = parent;
      }
      this.#addChild(parent, path.slice(slash + 1), node);
    }
    // A path listed twice replaces the node; a cached parent must not be the replaced one.
    if (path === this.#loadParentPath) this.#loadParentPath = null;
    const size = this.#nodes.size;
    this.#nodes.set(path, node);
    // Checked while the path is at hand: finishSnapshotLoad looked at every path of the tree again.
    if (this.#nodes.size !== size && path.startsWith(QUOTA_PATH_PREFIX)) this.#loadQuotaPaths.push(path);
    this.#digestPrefix(path, node);
    if (statBytes === null) this.#digestIn(path, node);
    else this.#digestInEncoded(path, node, statBytes, statStart);
    this.acls.addUsage(node.aclIndex);
    this.#approximateDataBytes += path.length + node.dataLength;
    if (node.stat.ephemeralOwner !== 0n) this.#index(path, node);
    return null;
  }

  /** Ends loadSnapshot in steps; returns an error message for a malformed tree. */
  finishSnapshotLoad(): string | null {
    this.#loadParentPath = null;
    this.#loadParent = null;
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
        let paths = this.#ephemerals.get(node.stat.ephemeralOwner);
        if (paths === undefined) {
          paths = new Set();
          this.#ephemerals.set(node.stat.ephemeralOwner, paths);
        }
        paths.add(path);
        break;
      }
      case 'void':
        break;
    }
  }
}
