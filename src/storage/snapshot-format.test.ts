// The streamed snapshot read that recovery uses against the whole-file parse that the dump tool and
// the error reports use: the same trees from the same files, whatever the chunk boundaries, and the
// same files refused. The snapshots come from writeSnapshot on a tree with every kind of node, so
// the writer's encoding and checksum are checked too (against adler32.ts and JuteWriter).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JuteWriter, writeStatPersisted, type ACL } from '../jute/index.js';
import { silentLogger } from '../logging/logger.js';
import { CONTAINER_EPHEMERAL_OWNER, ttlToEphemeralOwner } from '../protocol/constants.js';
import { OpCode } from '../protocol/op-code.js';
import { DataTree, type Znode } from '../tree/data-tree.js';
import type { Txn, TxnBody } from '../txn/txn.js';
import { adler32 } from './adler32.js';
import { parseSnapshot, readSnapshotStream, SnapshotWriter, type SnapshotSink, type StreamedSnapshot } from './snapshot-format.js';
import { writeSnapshot } from './snapshotter.js';
import { FILE_HEADER_BYTES } from './txn-log-format.js';

const OPEN: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const DIGEST_ACL: ACL[] = [
  { perms: 31, id: { scheme: 'digest', id: 'u:secret' } },
  { perms: 1, id: { scheme: 'world', id: 'anyone' } },
];
const SESSION_A = 0x100000a1b2c3d00n;
const SESSION_B = 0x100000a1b2c3d01n;

const directory = mkdtempSync(join(tmpdir(), 'snapshot-format-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A tree with persistent, ephemeral, container, TTL, quota and non-ASCII nodes, big and null data, deletes and updates. */
function sampleTree(): DataTree {
  const tree = new DataTree({ extendedTypesEnabled: true });
  let zxid = 0x100000000n;
  const apply = (body: TxnBody, clientId = SESSION_A): void => {
    zxid++;
    const type =
      body.kind === 'create' ? OpCode.create : body.kind === 'createTTL' ? OpCode.createTTL : body.kind === 'createContainer' ? OpCode.createContainer
      : body.kind === 'delete' ? OpCode.delete : body.kind === 'setData' ? OpCode.setData : body.kind === 'setACL' ? OpCode.setACL : OpCode.error;
    const txn: Txn = { header: { clientId, cxid: 1, zxid, time: 1_795_680_033_000n + zxid * 7n, type }, body, digest: null };
    tree.applyTxn(txn);
  };
  const create = (path: string, data: Buffer | null, acl: ACL[] = OPEN, ephemeral = false, clientId = SESSION_A): void =>
    apply({ kind: 'create', record: { path, data, acl, ephemeral, parentCVersion: -1 } }, clientId);
  create('/app', Buffer.from('root of the app'));
  for (let i = 0; i < 300; i++) create(`/app/n-${String(i).padStart(5, '0')}`, Buffer.from(`value ${i}`.repeat(1 + (i % 13))));
  create('/app/big', Buffer.alloc(5000, 7));
  create('/app/empty', Buffer.alloc(0));
  create('/app/null', null);
  create('/app/secret', Buffer.from('s'), DIGEST_ACL);
  create('/app/é', Buffer.from('é'));
  create('/app/😀', Buffer.from('emoji'));
  create('/app/😀/x', Buffer.from('under an emoji'));
  create('/eph-a', Buffer.from('a'), OPEN, true, SESSION_A);
  create('/eph-b', Buffer.from('b'), OPEN, true, SESSION_B);
  apply({ kind: 'createContainer', record: { path: '/container', data: Buffer.from('c'), acl: OPEN, parentCVersion: -1 } });
  apply({ kind: 'createTTL', record: { path: '/ttl', data: Buffer.from('t'), acl: OPEN, parentCVersion: -1, ttl: 60_000n } });
  create('/zookeeper/quota/app', null);
  create('/zookeeper/quota/app/zookeeper_limits', Buffer.from('count=1000,bytes=-1'));
  create('/zookeeper/quota/app/zookeeper_stats', Buffer.from('count=0,bytes=0'));
  for (let i = 0; i < 300; i += 7) apply({ kind: 'setData', record: { path: `/app/n-${String(i).padStart(5, '0')}`, data: Buffer.from(`v${i}`), version: 1 } });
  for (let i = 3; i < 300; i += 11) apply({ kind: 'delete', record: { path: `/app/n-${String(i).padStart(5, '0')}` } });
  apply({ kind: 'setACL', record: { path: '/app/empty', acl: DIGEST_ACL, version: 1 } });
  apply({ kind: 'setData', record: { path: '/app/big', data: Buffer.alloc(3000, 9), version: 1 } });
  expect(tree.getNode('/ttl')?.stat.ephemeralOwner).toBe(ttlToEphemeralOwner(60_000n));
  expect(tree.getNode('/container')?.stat.ephemeralOwner).toBe(CONTAINER_EPHEMERAL_OWNER);
  return tree;
}

const SESSIONS: [bigint, number][] = [
  [SESSION_A, 30_000],
  [SESSION_B, 4000],
];

async function snapshotOf(tree: DataTree): Promise<Buffer> {
  const out = mkdtempSync(join(directory, 'snap-'));
  const result = await writeSnapshot(tree, SESSIONS, { directory: out, fsync: false, nodesPerSlice: 50 }, silentLogger);
  return readFileSync(result.path);
}

function readerOf(bytes: Buffer): (buffer: Buffer, offset: number, length: number, position: number) => Promise<number> {
  return async (buffer, offset, length, position) => {
    const count = Math.max(0, Math.min(length, bytes.length - position));
    bytes.copy(buffer, offset, position, position + count);
    return count;
  };
}

/** The tree as recovery streams it in, and what else the stream returned. */
async function streamed(bytes: Buffer, chunkBytes: number): Promise<{ tree: DataTree; sessions: [bigint, number][]; result: StreamedSnapshot; problem: string | null }> {
  const tree = new DataTree({ extendedTypesEnabled: true });
  let sessions: [bigint, number][] = [];
  let problem: string | null = null;
  const sink: SnapshotSink = {
    begin(list, acls) {
      sessions = list;
      tree.beginSnapshotLoad(acls.map(([index, acl]) => [Number(index), acl] as const));
    },
    node(source, pathStart, pathEnd, dataStart, dataEnd, statStart, aclIndex) {
      problem ??= tree.loadSnapshotNode(source, pathStart, pathEnd, dataStart, dataEnd, statStart, aclIndex);
    },
  };
  const result = await readSnapshotStream(readerOf(bytes), bytes.length, sink, chunkBytes);
  problem ??= tree.finishSnapshotLoad();
  return { tree, sessions, result, problem };
}

/** A snapshot file with a parsed snapshot's sessions and ACLs and these nodes, in this order, and no digest. */
function snapshotWithNodes(parsed: ReturnType<typeof parseSnapshot>, nodes: ReturnType<typeof parseSnapshot>['nodes']): Buffer {
  const chunks: Buffer[] = [];
  const writer = new SnapshotWriter((chunk) => chunks.push(chunk));
  writer.writeSessions(parsed.sessions);
  writer.writeAcls(parsed.acls);
  for (const node of nodes) writer.writeNode(node);
  writer.finish(null);
  return Buffer.concat(chunks);
}

/** The tree as parseSnapshot + loadSnapshot build it (the way recovery did before streaming). */
function parsedTree(bytes: Buffer): DataTree {
  const parsed = parseSnapshot(bytes);
  const tree = new DataTree({ extendedTypesEnabled: true });
  const problem = tree.loadSnapshot(
    parsed.acls.map(([index, acl]) => [Number(index), acl] as const),
    parsed.nodes.map((n) => ({ path: n.path, data: n.data, aclIndex: Number(n.aclIndex), stat: n.stat })),
  );
  expect(problem).toBeNull();
  return tree;
}

interface NodeView {
  data: string | null;
  stat: ReturnType<DataTree['statOf']>;
  acl: readonly ACL[];
  children: string[];
  kind: string;
}

function view(tree: DataTree): Map<string, NodeView> {
  const out = new Map<string, NodeView>();
  for (const path of tree.paths()) {
    const node = tree.getNode(path) as Znode;
    out.set(path, { data: node.data === null ? null : node.data.toString('hex'), stat: tree.statOf(node), acl: tree.aclOf(node), children: tree.childrenOf(node), kind: tree.kindOf(node) });
  }
  return out;
}

/** approximateDataBytes is compared only between loaded trees: a tree built by txns counts differently (the quota nodes). */
function sameTree(actual: DataTree, expected: DataTree, compareDataBytes = false): void {
  expect(actual.digest).toBe(expected.digest);
  expect(actual.nodeCount).toBe(expected.nodeCount);
  if (compareDataBytes) expect(actual.approximateDataBytes).toBe(expected.approximateDataBytes);
  expect(view(actual)).toEqual(view(expected));
  const ephemerals = (tree: DataTree): [string, string[]][] =>
    [...tree.sessionsWithEphemerals()].map(([id, paths]): [string, string[]] => [id.toString(16), [...paths].sort()]).sort((a, b) => a[0].localeCompare(b[0]));
  expect(ephemerals(actual)).toEqual(ephemerals(expected));
  expect([...actual.containers()].sort()).toEqual([...expected.containers()].sort());
  expect([...actual.ttlNodes()].sort()).toEqual([...expected.ttlNodes()].sort());
}

describe('snapshot streaming', () => {
  it('reads back the tree it was written from, at any chunk size, as the whole-file parse does', async () => {
    const original = sampleTree();
    const bytes = await snapshotOf(original);
    const reference = parsedTree(bytes);
    sameTree(reference, original);
    for (const chunkBytes of [64, 97, 1000, 4096, 1 << 22]) {
      const { tree, sessions, result, problem } = await streamed(bytes, chunkBytes);
      expect(problem).toBeNull();
      sameTree(tree, original);
      sameTree(tree, reference, true);
      expect(sessions).toEqual(SESSIONS);
      expect(result.digest).toEqual(parseSnapshot(bytes).digest);
      expect(result.nodeCount).toBe(parseSnapshot(bytes).nodes.length);
    }
    // Every size from 64 to 400 puts a chunk boundary in every field of some node, the seals
    // included; the tree digest covers every path, data and stat.
    for (let chunkBytes = 64; chunkBytes <= 400; chunkBytes++) {
      const { tree, problem } = await streamed(bytes, chunkBytes);
      expect(problem).toBeNull();
      expect(tree.digest).toBe(original.digest);
      expect(tree.nodeCount).toBe(original.nodeCount);
    }
  });

  it('writes what JuteWriter writes, sealed with adler32.ts', async () => {
    const tree = sampleTree();
    const bytes = await snapshotOf(tree);
    const parsed = parseSnapshot(bytes);
    const chunks: Buffer[] = [];
    const writer = new SnapshotWriter((chunk) => chunks.push(chunk));
    writer.writeSessions(parsed.sessions);
    writer.writeAcls(parsed.acls);
    for (const node of parsed.nodes) writer.writeNode(node);
    writer.finish(parsed.digest);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    // writeNode is JuteWriter's encoding; the seal is Adler-32 of everything before it.
    const node = parsed.nodes[5];
    if (node === undefined) throw new Error('sample tree too small');
    const jute = new JuteWriter();
    jute.writeUstring(node.path);
    jute.writeBuffer(node.data);
    jute.writeLong(node.aclIndex);
    writeStatPersisted(jute, node.stat);
    expect(bytes.includes(jute.toBuffer())).toBe(true);
    const digestBytes = parsed.digest === null ? 0 : 20 + 13;
    const sealAt = bytes.length - digestBytes - 13;
    expect(bytes.readBigInt64BE(sealAt)).toBe(adler32(bytes.subarray(0, sealAt)));
    expect(bytes.readBigInt64BE(bytes.length - 13)).toBe(adler32(bytes.subarray(0, bytes.length - 13)));
  });

  it('fills chunks given back as written again, and checksums as adler32.ts does at any alignment', async () => {
    // The sink copies each chunk and gives it back at once, so every chunk after the first is one
    // filled again; nodes of many sizes end the chunks at many lengths.
    const written: Buffer[] = [];
    const copies: Buffer[] = [];
    const writer = new SnapshotWriter(
      (chunk) => {
        copies.push(Buffer.from(chunk));
        written.push(chunk);
      },
      0n,
      written,
    );
    writer.writeSessions(SESSIONS);
    writer.writeAcls([[1n, OPEN]]);
    const stat = { czxid: 1n, mzxid: 2n, ctime: 3n, mtime: 4n, version: 5, cversion: 6, aversion: 7, ephemeralOwner: 0n, pzxid: 8n };
    writer.writeNode({ path: '', data: Buffer.alloc(0), aclIndex: -1n, stat });
    for (let i = 0; i < 4000; i++) writer.writeNode({ path: `/n-${i}`, data: Buffer.alloc((i * 7919) % 3001, i & 0xff), aclIndex: 1n, stat });
    writer.finish({ zxid: 8n, digestVersion: 2, digest: 12345n });
    expect(copies.length).toBeGreaterThan(3);
    const bytes = Buffer.concat(copies);
    // The node list's seal, then the digest (20 bytes) and its seal.
    const sealAt = bytes.length - 13 - 20 - 13;
    expect(bytes.readBigInt64BE(sealAt)).toBe(adler32(bytes.subarray(0, sealAt)));
    expect(bytes.readBigInt64BE(bytes.length - 13)).toBe(adler32(bytes.subarray(0, bytes.length - 13)));
    expect(parseSnapshot(bytes).nodes).toHaveLength(4001);
    // Read back in chunks that start the reader's checksum at every alignment (it fails on a mismatch).
    let nodes = 0;
    const counting: SnapshotSink = {
      begin() {},
      node() {
        nodes++;
      },
    };
    for (const chunkBytes of [1024, 1025, 1026, 1027, 4099, 65_536]) {
      nodes = 0;
      await readSnapshotStream(readerOf(bytes), bytes.length, counting, chunkBytes);
      expect(nodes).toBe(4001);
    }
  });

  it('refuses exactly the damaged files the whole-file parse refuses', async () => {
    const bytes = await snapshotOf(sampleTree());
    const positions = new Set<number>([0, 3, 4, 8, 15, 16, 19, 20, 31, 40, 41, 44, 45, 60, 61, 70]);
    for (let i = 0; i < 200; i++) positions.add(Math.floor((bytes.length * i) / 200));
    for (let i = 1; i <= 50; i++) positions.add(bytes.length - i);
    const disagreements: string[] = [];
    const check = async (damaged: Buffer, what: string): Promise<void> => {
      let whole: string | null = null;
      try {
        parsedTree(damaged);
      } catch (error) {
        whole = String(error);
      }
      let stream: string | null = null;
      try {
        const { problem } = await streamed(damaged, 333);
        if (problem !== null) stream = problem;
      } catch (error) {
        stream = String(error);
      }
      if ((whole === null) !== (stream === null)) disagreements.push(`${what}: whole-file ${whole ?? 'accepts'}, streamed ${stream ?? 'accepts'}`);
    };
    for (const position of positions) {
      for (const mask of [0x01, 0x80]) {
        const damaged = Buffer.from(bytes);
        damaged[position] = (damaged[position] as number) ^ mask;
        await check(damaged, `byte ${position} ^ ${mask}`);
      }
    }
    for (const length of [0, 5, 16, 17, 30, FILE_HEADER_BYTES + 200, Math.floor(bytes.length / 2), bytes.length - 34, bytes.length - 33, bytes.length - 20, bytes.length - 14, bytes.length - 1]) {
      await check(bytes.subarray(0, length), `cut at ${length}`);
    }
    expect(disagreements).toEqual([]);
  });

  it('carries a node larger than the writer\'s chunk and the reader\'s buffer', async () => {
    const tree = sampleTree();
    let zxid = tree.lastProcessedZxid;
    for (const [path, size] of [['/app/huge', 3_000_000], ['/app/after-huge', 10]] as const) {
      zxid++;
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i++) data[i] = (i * 31) & 0xff;
      tree.applyTxn({ header: { clientId: SESSION_A, cxid: 1, zxid, time: 5n, type: OpCode.create }, body: { kind: 'create', record: { path, data, acl: OPEN, ephemeral: false, parentCVersion: -1 } }, digest: null });
    }
    const bytes = await snapshotOf(tree);
    const reference = parsedTree(bytes);
    sameTree(reference, tree);
    for (const chunkBytes of [1000, 1 << 20]) {
      const { tree: loaded, problem } = await streamed(bytes, chunkBytes);
      expect(problem).toBeNull();
      sameTree(loaded, reference, true);
    }
  });

  it('loads a snapshot with no digest and with nodes listed before their parent as the whole-file path does', async () => {
    const tree = sampleTree();
    const parsed = parseSnapshot(await snapshotOf(tree));
    const write = (nodes: typeof parsed.nodes): Buffer => snapshotWithNodes(parsed, nodes);
    const noDigest = await streamed(write(parsed.nodes), 200);
    expect(noDigest.problem).toBeNull();
    expect(noDigest.result.digest).toBeNull();
    sameTree(noDigest.tree, tree);
    sameTree(noDigest.tree, parsedTree(write(parsed.nodes)), true);
    const [first, second, third, ...rest] = parsed.nodes;
    if (first === undefined || second === undefined || third === undefined) throw new Error('sample tree too small');
    const disordered = await streamed(write([first, third, second, ...rest]), 200);
    const whole = new DataTree({ extendedTypesEnabled: true });
    const expected = whole.loadSnapshot(
      parsed.acls.map(([index, acl]) => [Number(index), acl] as const),
      [first, third, second, ...rest].map((n) => ({ path: n.path, data: n.data, aclIndex: Number(n.aclIndex), stat: n.stat })),
    );
    expect(expected).not.toBeNull();
    expect(disordered.problem).toBe(expected);
  });
});

describe('a tree loaded from a snapshot', () => {
  /** Applies the same txns to each tree, at the zxids after the first tree's. */
  function applyBoth(trees: readonly DataTree[], bodies: readonly TxnBody[]): void {
    let zxid = (trees[0] as DataTree).lastProcessedZxid;
    for (const body of bodies) {
      zxid++;
      const type =
        body.kind === 'create' ? OpCode.create : body.kind === 'delete' ? OpCode.delete : body.kind === 'setData' ? OpCode.setData : body.kind === 'setACL' ? OpCode.setACL : OpCode.error;
      for (const tree of trees) tree.applyTxn({ header: { clientId: SESSION_A, cxid: 1, zxid, time: 1_795_690_000_000n + zxid, type }, body, digest: null });
    }
  }

  it('goes on under further txns exactly as the tree it was written from', async () => {
    const original = sampleTree();
    const { tree: loaded, problem } = await streamed(await snapshotOf(original), 4096);
    expect(problem).toBeNull();
    const bodies: TxnBody[] = [];
    const name = (i: number): string => `/app/n-${String(i).padStart(5, '0')}`;
    for (let i = 0; i < 300; i += 5) bodies.push({ kind: 'setData', record: { path: name(i), data: Buffer.from(`grown ${i}`.repeat(1 + (i % 40))), version: 2 } });
    for (let i = 1; i < 300; i += 9) bodies.push({ kind: 'setData', record: { path: name(i), data: i % 2 === 0 ? null : Buffer.from('s'), version: 2 } });
    for (let i = 2; i < 300; i += 13) bodies.push({ kind: 'delete', record: { path: name(i) } });
    for (let i = 0; i < 40; i++) bodies.push({ kind: 'create', record: { path: `/app/new-${i}`, data: Buffer.from(`n${i}`), acl: OPEN, ephemeral: false, parentCVersion: -1 } });
    bodies.push({ kind: 'create', record: { path: '/app/😀/y', data: null, acl: OPEN, ephemeral: false, parentCVersion: -1 } });
    bodies.push({ kind: 'setData', record: { path: '/app/é', data: Buffer.alloc(2000, 1), version: 2 } });
    bodies.push({ kind: 'setACL', record: { path: name(10), acl: DIGEST_ACL, version: 2 } });
    bodies.push({ kind: 'delete', record: { path: '/app/😀/x' } });
    bodies.push({ kind: 'create', record: { path: '/app/n-00004/child', data: Buffer.from('c'), acl: OPEN, ephemeral: false, parentCVersion: -1 } });
    bodies.push({ kind: 'create', record: { path: '/app/n-00005', data: null, acl: OPEN, ephemeral: false, parentCVersion: -1 } });
    bodies.push({ kind: 'delete', record: { path: '/app/missing' } });
    applyBoth([original, loaded], bodies);
    sameTree(loaded, original);
    expect(loaded.descendantCount('/app')).toBe(original.descendantCount('/app'));
    expect(loaded.descendantCount('/app/n-00004')).toBe(1);
    expect(loaded.getNode('/app/n-00002')).toBeUndefined();
    expect(loaded.getNode('/app/n-00006')?.path).toBe('/app/n-00006');
    // Written out again, node for node as the original is (children in the same order).
    expect((await snapshotOf(loaded)).equals(await snapshotOf(original))).toBe(true);
  });

  it('takes a path listed twice, and a parent found off the stack of ancestors, as the whole-file path does', async () => {
    const tree = sampleTree();
    const parsed = parseSnapshot(await snapshotOf(tree));
    const write = (nodes: typeof parsed.nodes): Buffer => snapshotWithNodes(parsed, nodes);
    const byPath = new Map(parsed.nodes.map((n) => [n.path, n]));
    const node = (path: string): (typeof parsed.nodes)[number] => byPath.get(path) as (typeof parsed.nodes)[number];
    const again = (path: string, data: string): (typeof parsed.nodes)[number] => ({ ...node(path), data: Buffer.from(data) });
    const variants = [
      // A leaf listed again, at once and later on.
      [...parsed.nodes, again('/app/n-00001', 'second')],
      [...parsed.nodes.slice(0, 5), again(parsed.nodes[4]?.path ?? '', 'twice in a row'), ...parsed.nodes.slice(5)],
      // A parent listed again after its children: later children go under the new one.
      [...parsed.nodes, again('/app', 'parent again'), again('/app/null', 'under the new parent')],
      // A child whose parent came before, though not among the last node's ancestors.
      [...parsed.nodes, again('/app/n-00000', 'back under /app')],
    ];
    for (const nodes of variants) {
      const bytes = write(nodes);
      const whole = parsedTree(bytes);
      const { tree: loaded, problem } = await streamed(bytes, 500);
      expect(problem).toBeNull();
      sameTree(loaded, whole, true);
    }
  });

  it('is written out while nodes are deleted and created between slices of the walk', async () => {
    const tree = new DataTree({ extendedTypesEnabled: false });
    const bodies: TxnBody[] = [{ kind: 'create', record: { path: '/a', data: null, acl: OPEN, ephemeral: false, parentCVersion: -1 } }];
    for (let i = 0; i < 500; i++) bodies.push({ kind: 'create', record: { path: `/a/${i}`, data: Buffer.from(`v${i}`), acl: OPEN, ephemeral: false, parentCVersion: -1 } });
    applyBoth([tree], bodies);
    const { tree: loaded } = await streamed(await snapshotOf(tree), 4096);
    loaded.lastProcessedZxid = tree.lastProcessedZxid;
    const out = mkdtempSync(join(directory, 'walk-'));
    const writing = writeSnapshot(loaded, SESSIONS, { directory: out, fsync: false, nodesPerSlice: 10 }, silentLogger);
    // Runs at the walk's first yield: after the root, /a and a few children were written.
    const deleted = new Set<string>();
    await new Promise<void>((resolve) => {
      setImmediate(() => {
        const changes: TxnBody[] = [];
        for (let i = 0; i < 500; i += 2) {
          changes.push({ kind: 'delete', record: { path: `/a/${i}` } });
          deleted.add(`/a/${i}`);
        }
        // Created again after the walk began: left to the replay of its create.
        changes.push({ kind: 'create', record: { path: '/a/0', data: Buffer.from('again'), acl: OPEN, ephemeral: false, parentCVersion: -1 } });
        changes.push({ kind: 'create', record: { path: '/a/new', data: null, acl: OPEN, ephemeral: false, parentCVersion: -1 } });
        applyBoth([loaded], changes);
        resolve();
      });
    });
    const written = parseSnapshot(readFileSync((await writing).path));
    const paths = written.nodes.map((n) => n.path);
    expect(paths).not.toContain('/a/new');
    expect(written.nodes.find((n) => n.path === '/a/0')?.data?.toString()).not.toBe('again');
    // Only the few written before the deletes are in it.
    expect(paths.filter((p) => deleted.has(p)).length).toBeLessThan(10);
    for (let i = 1; i < 500; i += 2) expect(paths).toContain(`/a/${i}`);
  });
});
