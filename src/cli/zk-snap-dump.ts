// zk-snap-dump: prints a snapshot as text, line for line as ZooKeeper 3.8's SnapshotFormatter does:
//
//   zk-snap-dump [-d|-json] <snapshot file>
//
// By default every znode (path, cZxid, ctime, mZxid, mtime, pZxid, cversion, dataVersion,
// aclVersion, ephemeralOwner, dataLength) depth first from "/", children in the order 3.8's
// HashSet keeps them; then "Session Details (sid, timeout, ephemeralCount)" in HashMap order and
// "Last zxid". -d prints each node's data in base64 instead of its length; -json prints the tree in
// ncdu's JSON export format, as 3.8 does (its "timestamp" is the time of the dump).
//
// The file is read with our own snapshot format module, which verifies the checksums: a damaged
// snapshot is reported (file, offset, reason) on stderr with exit code 1 instead of being printed.
// Snapshots compressed with gzip (snapshot.<zxid>.gz) are read; snappy ones are not.

import { accessSync, constants, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { javaHexLong } from '../admin/java-format.js';
import { javaHashOrderBy, javaHashSetOrder, grownCapacity } from '../lib/java-hash-order.js';
import { javaZxidFromName, snapshotStreamMode } from '../storage/purge.js';
import { parseSnapshot, type ParsedSnapshot, type SnapshotNode } from '../storage/snapshot-format.js';
import { defaultJavaTimeZone, javaDateToString, type JavaTimeZone } from './java-dates.js';

/** The ephemeralOwner of a container node (EphemeralType.CONTAINER_EPHEMERAL_OWNER). */
const CONTAINER_EPHEMERAL_OWNER = -(1n << 63n);
/** A DataNode's children set starts as `new HashSet<>(8)`. */
const CHILDREN_INITIAL_CAPACITY = 8;

export class SnapshotTreeError extends Error {
  readonly code = 'ZKS_SNAPSHOT_TREE';
}

interface TreeNode {
  readonly node: SnapshotNode;
  /** Child names in insertion order (a Set, as a HashSet ignores a second add). */
  readonly children: Set<string>;
}

/** The tree as 3.8's DataTree.deserialize builds it from the node list. */
export interface SnapshotTree {
  readonly nodes: ReadonlyMap<string, TreeNode>;
  readonly root: TreeNode;
  /** DataTree.getNodeCount(): every path, plus "/" for the root (stored as ""). */
  readonly nodeCount: number;
  /** Ephemeral paths per owner session (containers and persistent nodes excluded). */
  readonly ephemerals: ReadonlyMap<bigint, ReadonlySet<string>>;
}

export function buildSnapshotTree(nodes: readonly SnapshotNode[]): SnapshotTree {
  const byPath = new Map<string, TreeNode>();
  const ephemerals = new Map<bigint, Set<string>>();
  let root: TreeNode | undefined;
  for (const node of nodes) {
    const entry: TreeNode = { node, children: new Set() };
    byPath.set(node.path, entry);
    const lastSlash = node.path.lastIndexOf('/');
    if (lastSlash === -1) {
      root = entry;
      continue;
    }
    const parentPath = node.path.substring(0, lastSlash);
    const parent = byPath.get(parentPath);
    if (parent === undefined) throw new SnapshotTreeError(`Invalid Datatree, unable to find parent ${parentPath} of path ${node.path}`);
    parent.children.add(node.path.substring(lastSlash + 1));
    const owner = BigInt.asIntN(64, node.stat.ephemeralOwner);
    if (owner !== 0n && owner !== CONTAINER_EPHEMERAL_OWNER) {
      let paths = ephemerals.get(owner);
      if (paths === undefined) ephemerals.set(owner, (paths = new Set()));
      paths.add(node.path);
    }
  }
  if (root === undefined) throw new SnapshotTreeError('Invalid Datatree: the snapshot has no root node');
  byPath.set('/', root);
  return { nodes: byPath, root, nodeCount: byPath.size, ephemerals };
}

/** A node's children in the order 3.8's HashSet iterates them. */
function childOrder(entry: TreeNode): string[] {
  return javaHashSetOrder(entry.children, grownCapacity(CHILDREN_INITIAL_CAPACITY, entry.children.size));
}

function childPath(parent: string, child: string): string {
  return parent + (parent === '/' ? '' : '/') + child;
}

function nodeAt(tree: SnapshotTree, path: string): TreeNode {
  const entry = tree.nodes.get(path);
  if (entry === undefined) throw new SnapshotTreeError(`DataTree node for ${path} doesn't exist`);
  return entry;
}

/** Java's String.format("%#016x", value) for a long. */
function hex016(value: bigint): string {
  return `0x${javaHexLong(value).padStart(14, '0')}`;
}

/** Long.hashCode(). */
function longHash(value: bigint): number {
  const bits = BigInt.asUintN(64, value);
  return Number(BigInt.asIntN(32, bits ^ (bits >> 32n)));
}

const maxLong = (a: bigint, b: bigint): bigint => (BigInt.asIntN(64, a) > BigInt.asIntN(64, b) ? a : b);

/** SnapshotFormatter's default (and -d) output. */
export function formatSnapshotDetails(
  snapshot: ParsedSnapshot,
  fileName: string,
  dumpData: boolean,
  zone: JavaTimeZone,
  out: (text: string) => void,
): void {
  const tree = buildSnapshotTree(snapshot.nodes);
  out(`ZNode Details (count=${tree.nodeCount}):\n`);
  let lastZxid = -1n;
  let first = true;
  const stack: string[] = ['/'];
  while (stack.length > 0) {
    const path = stack.pop() as string;
    const entry = nodeAt(tree, path);
    const stat = entry.node.stat;
    const data = entry.node.data;
    const lines = [
      '----',
      path,
      `  cZxid = ${hex016(stat.czxid)}`,
      `  ctime = ${javaDateToString(stat.ctime, zone)}`,
      `  mZxid = ${hex016(stat.mzxid)}`,
      `  mtime = ${javaDateToString(stat.mtime, zone)}`,
      `  pZxid = ${hex016(stat.pzxid)}`,
      `  cversion = ${stat.cversion}`,
      `  dataVersion = ${stat.version}`,
      `  aclVersion = ${stat.aversion}`,
      `  ephemeralOwner = ${hex016(stat.ephemeralOwner)}`,
      dumpData ? `  data = ${data === null ? '' : data.toString('base64')}` : `  dataLength = ${data === null ? 0 : data.length}`,
    ];
    out(`${lines.join('\n')}\n`);
    const nodeZxid = maxLong(stat.mzxid, stat.pzxid);
    lastZxid = first ? nodeZxid : maxLong(lastZxid, nodeZxid);
    first = false;
    const children = childOrder(entry);
    for (let i = children.length - 1; i >= 0; i--) stack.push(childPath(path, children[i] as string));
  }
  out('----\n');
  out('Session Details (sid, timeout, ephemeralCount):\n');
  const sessions = new Map<bigint, number>();
  for (const [id, timeout] of snapshot.sessions) sessions.set(BigInt.asIntN(64, id), timeout);
  for (const [id, timeout] of javaHashOrderBy([...sessions], ([sid]) => longHash(sid))) {
    out(`${hex016(id)}, ${timeout}, ${tree.ephemerals.get(id)?.size ?? 0}\n`);
  }
  const fileZxid = javaZxidFromName(basename(fileName), 'snapshot');
  out(`----\nLast zxid: 0x${javaHexLong(maxLong(fileZxid, lastZxid))}\n`);
}

/** Jackson's JsonStringEncoder.quoteAsString. */
function jsonQuote(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20) out += value[i] as string;
    else if (c === 0x08) out += '\\b';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else out += `\\u00${c.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** SnapshotFormatter's -json output (no trailing newline, as 3.8 prints it). */
export function formatSnapshotJson(snapshot: ParsedSnapshot, timestampMs: number, out: (text: string) => void): void {
  const tree = buildSnapshotTree(snapshot.nodes);
  out(`[1,0,{"progname":"SnapshotFormatter.java","progver":"0.01","timestamp":${timestampMs}}`);
  let inode = 1000;
  const describe = (path: string, entry: TreeNode): string => {
    const name = path === '/' ? path : path.substring(path.lastIndexOf('/') + 1);
    const size = entry.node.data === null ? 0 : entry.node.data.length;
    inode++;
    return `{"name":"${jsonQuote(name)}","asize":${size},"dsize":${size},"dev":0,"ino":${inode}}`;
  };
  interface Frame {
    readonly path: string;
    readonly children: string[];
    next: number;
  }
  const frames: Frame[] = [];
  const visit = (path: string): void => {
    const entry = nodeAt(tree, path);
    out(',');
    const children = childOrder(entry);
    if (children.length > 0) {
      out(`[${describe(path, entry)}`);
      frames.push({ path, children, next: 0 });
    } else {
      out(describe(path, entry));
    }
  };
  visit('/');
  while (frames.length > 0) {
    const frame = frames[frames.length - 1] as Frame;
    if (frame.next < frame.children.length) {
      visit(childPath(frame.path, frame.children[frame.next++] as string));
    } else {
      out(']');
      frames.pop();
    }
  }
  out(']');
}

// ---------------------------------------------------------------------------------------------
// Command line

const USAGE = `USAGE: SnapshotFormatter [-d|-json] snapshot_file
       -d dump the data for each znode
       -json dump znode info in json format
`;

export type SnapDumpArgs = { kind: 'usage' } | { kind: 'dump'; file: string; dumpData: boolean; dumpJson: boolean };

/** SnapshotFormatter.main's argument rules: flags, then exactly one file. */
export function parseSnapDumpArgs(args: readonly string[]): SnapDumpArgs {
  let dumpData = false;
  let dumpJson = false;
  let file: string | undefined;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-d') dumpData = true;
    else if (arg === '-json') dumpJson = true;
    else {
      file = arg;
      i++;
      break;
    }
  }
  if (i !== args.length || file === undefined) return { kind: 'usage' };
  return { kind: 'dump', file, dumpData, dumpJson };
}

/** The snapshot's bytes, decompressed as 3.8's SnapStream does for the name's extension. */
export function readSnapshotBytes(file: string): Buffer {
  const raw = readFileSync(file);
  switch (snapshotStreamMode(basename(file))) {
    case 'gz':
      return gunzipSync(raw);
    case 'snappy':
      throw new Error('snappy-compressed snapshots are not supported; decompress it or use SnapshotFormatter');
    case 'checked':
      return raw;
  }
}

function fileProblem(file: string): string | null {
  const absolute = resolve(file);
  try {
    const stat = statSync(file);
    accessSync(file, constants.R_OK);
    if (stat.isDirectory()) return `'${absolute}' is a directory. it must be a file.`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return `File '${absolute}' does not exist.`;
    return `Read permission is denied on the file '${absolute}'`;
  }
  return null;
}

function main(args: readonly string[]): number {
  const parsed = parseSnapDumpArgs(args);
  if (parsed.kind === 'usage') {
    process.stderr.write(USAGE);
    return 2;
  }
  const problem = fileProblem(parsed.file);
  if (problem !== null) {
    process.stderr.write(`${problem}\n`);
    return 2;
  }
  if (parsed.dumpData && parsed.dumpJson) {
    process.stderr.write('Cannot specify both data dump (-d) and json mode (-json) in same call\n');
    return 2;
  }
  let snapshot: ParsedSnapshot;
  try {
    snapshot = parseSnapshot(readSnapshotBytes(parsed.file));
  } catch (error) {
    process.stderr.write(`${parsed.file}: not a readable snapshot: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const pending: string[] = [];
  let size = 0;
  const out = (text: string): void => {
    pending.push(text);
    size += text.length;
    if (size >= 1 << 16) {
      process.stdout.write(pending.join(''));
      pending.length = 0;
      size = 0;
    }
  };
  try {
    if (parsed.dumpJson) formatSnapshotJson(snapshot, Date.now(), out);
    else formatSnapshotDetails(snapshot, parsed.file, parsed.dumpData, defaultJavaTimeZone(), out);
  } catch (error) {
    process.stdout.write(pending.join(''));
    process.stderr.write(`${parsed.file}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  process.stdout.write(pending.join(''));
  return 0;
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exitCode = main(process.argv.slice(2));
