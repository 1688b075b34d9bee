// File compatibility both ways with Apache ZooKeeper 3.8 (the Debian package): one server writes a
// tree (persistent, ephemeral of a live session, sequential, container with a child, TTL, digest /
// ip / world-read-only ACLs, big, empty and null data, deletes, setData, setACL and a multi), is
// stopped cleanly or SIGKILLed, and the other server started on the same dataDir/dataLogDir must
// show exactly the same tree: every path, data, all 11 Stat fields and the ACL list, read as super.
// The live session survives the switch (the ephemeral is there, the client can reattach) until it
// expires, and the files the second server wrote are read back by the first (the rollback path).

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OpCode } from '../../src/protocol/op-code.js';
import { describe, it, type ExpectStatic } from 'vitest';
import { Flags, Perms, READ_ACL_UNSAFE, req } from '../conformance/requests.js';
import { javaZooKeeperAvailable } from '../support/java-zookeeper.js';
import { sleep } from '../support/zk-wait.js';
import {
  withCleanup,
  type Cleanup,
  connectSuper,
  digestId,
  listZxidFiles,
  parseLogEntries,
  startServerOn,
  superDigest,
  SUPER_PASSWORD,
  treeObject,
  walkTree,
  Zk,
  type ServerKind,
  type ServerProcess,
  type ServerSpec,
} from './durability-helpers.js';

const TICK_MS = 500;
/** The ephemeral's session: long enough to outlive a JVM start and a walk, short enough to wait out. */
const SESSION_TIMEOUT_MS = 10_000;
const TTL_MS = 3_600_000n;
const JVM_FLAGS = ['-Dzookeeper.extendedTypesEnabled=true'];


interface Written {
  /** The session that owns the ephemerals, left open. */
  readonly ephemeralSession: Zk;
}

/** The same writes against either server. */
async function writeTree(expect: ExpectStatic, port: number): Promise<Written> {
  const zk = await Zk.connect(port);
  await zk.addAuth('digest', 'alice:alice-secret');
  // setACL needs ADMIN, which the ACL being replaced does not grant us.
  await zk.addAuth('digest', `super:${SUPER_PASSWORD}`);
  const bigData = randomBytes(500 * 1024);

  await zk.create('/app', 'app-data');
  await zk.create('/app/config', 'cfg-v0');
  await zk.setData('/app/config', 'cfg-v1');
  await zk.setData('/app/config', 'cfg-v2', 1);
  await zk.create('/app/empty', Buffer.alloc(0));
  await zk.create('/app/null', null);
  await zk.create('/app/null-later', 'not null yet');
  await zk.setData('/app/null-later', null);
  await zk.create('/app/big', bigData);
  await zk.create('/app/binary', Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x42]));

  await zk.create('/app/seq', null);
  const sequential: string[] = [];
  for (let i = 0; i < 5; i++) sequential.push(await zk.create('/app/seq/job-', `job ${String(i)}`, { flags: Flags.persistentSequential }));
  expect(sequential[4]).toBe('/app/seq/job-0000000004');
  await zk.delete('/app/seq/job-0000000001');
  await zk.delete('/app/seq/job-0000000003', 0);

  await zk.create('/app/container', 'container', { flags: Flags.container });
  await zk.create('/app/container/child', 'keeps the container');
  await zk.create('/app/container/gone', 'deleted');
  await zk.delete('/app/container/gone');

  await zk.create('/app/ttl', 'ttl data', { flags: Flags.persistentWithTtl, ttl: TTL_MS });
  await zk.create('/app/ttl-seq-', 'ttl seq', { flags: Flags.persistentSequentialWithTtl, ttl: TTL_MS + 1n });

  await zk.create('/acl', null);
  await zk.create('/acl/digest', 'alice only', { acl: [{ perms: Perms.all, id: { scheme: 'digest', id: digestId('alice', 'alice-secret') } }] });
  await zk.setData('/acl/digest', 'alice only, v1');
  await zk.create('/acl/ip', 'ip only', { acl: [{ perms: Perms.all, id: { scheme: 'ip', id: '10.1.2.3' } }] });
  await zk.create('/acl/world-read-only', 'read only', { acl: READ_ACL_UNSAFE });
  await zk.create('/acl/mixed', 'mixed', {
    acl: [
      { perms: Perms.read | Perms.write, id: { scheme: 'digest', id: digestId('bob', 'bob-secret') } },
      { perms: Perms.read, id: { scheme: 'ip', id: '192.168.0.0/16' } },
    ],
  });
  await zk.setACL('/acl/mixed', [
    { perms: Perms.all, id: { scheme: 'digest', id: digestId('bob', 'bob-secret') } },
    { perms: Perms.read, id: { scheme: 'world', id: 'anyone' } },
  ]);
  // The same ACL list again: shares the ACL cache entry.
  await zk.create('/acl/digest-2', 'alice too', { acl: [{ perms: Perms.all, id: { scheme: 'digest', id: digestId('alice', 'alice-secret') } }] });

  await zk.create('/deep', null);
  await zk.create('/deep/a', null);
  await zk.create('/deep/a/b', null);
  await zk.create('/deep/a/b/c', 'leaf');
  await zk.create('/deep/a/b/c/d', 'deeper leaf');
  await zk.delete('/deep/a/b/c/d');

  await zk.call(req.multi([req.create('/multi', 'm'), req.create('/multi/a', 'A'), req.create('/multi/b', null), req.setData('/app/config', 'cfg-v3')]), 'multi');

  const ephemeralSession = await Zk.connect(port, { timeOut: SESSION_TIMEOUT_MS });
  await ephemeralSession.create('/app/eph', 'ephemeral', { flags: Flags.ephemeral });
  await ephemeralSession.create('/app/eph-seq-', 'ephemeral sequential', { flags: Flags.ephemeralSequential });
  await zk.close();
  return { ephemeralSession };
}

function specFor(kind: ServerKind, dataDir: string, dataLogDir: string | undefined, workDir: string): ServerSpec {
  return {
    kind,
    dataDir,
    ...(dataLogDir === undefined ? {} : { dataLogDir }),
    workDir,
    jvmFlags: JVM_FLAGS,
    // A small snapCount: both servers roll their logs and write snapshots of the tree as it is being
    // written, so the reader loads the writer's snapshots (sessions, ACL cache, nodes) and its logs.
    extraCfg: { tickTime: String(TICK_MS), snapCount: '10', 'DigestAuthenticationProvider.superDigest': superDigest() },
  };
}

async function waitForGone(zk: Zk, paths: readonly string[], deadlineMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const present = await Promise.all(paths.map((p) => zk.getDataOrNull(p)));
    if (present.every((p) => p === null)) return Date.now() - started;
    if (Date.now() > deadlineMs) throw new Error(`still present after the session timeout: ${paths.filter((_, i) => present[i] !== null).join(', ')}`);
    await sleep(100);
  }
}

const DIGEST_EOF = 'Got EOF exception while reading the digest';

/** Lines of a server's output that say it found something wrong in the files. */
function errorLines(server: ServerProcess): string[] {
  return server
    .readLog()
    .split('\n')
    .filter((line) => /digest mismatch|CRC|corrupt|Exception|"level":(50|60)/i.test(line))
    .filter((line) => !/BindException|EndOfStreamException|Unable to read additional data/i.test(line))
    // The WARN line 3.8 logs before such an EndOfStreamException (a client closed its connection).
    .filter((line) => !/NIOServerCnxn - Unexpected exception$/.test(line))
    // Java closing a four-letter-word connection made before its database is loaded (our readiness probe).
    .filter((line) => !/ZKDatabase\.removeCnxn.*zkDb\" is null/.test(line))
    // Checked on its own below: our snapshots end without the digest section 3.8 writes.
    .filter((line) => !line.includes(DIGEST_EOF));
}

async function scenario(expect: ExpectStatic, cleanup: Cleanup, writerKind: ServerKind, readerKind: ServerKind, stopWriter: 'stop' | 'SIGKILL', separateLogDir: boolean): Promise<void> {
  const dir = await cleanup.tempDir(`compat-${writerKind}-${readerKind}`);
  const dataDir = join(dir, 'data');
  const dataLogDir = separateLogDir ? join(dir, 'txnlog') : undefined;

  // 1. The writer writes the tree; the walk as super is what it serves.
  const writer = await startServerOn(specFor(writerKind, dataDir, dataLogDir, dir), cleanup);
  const { ephemeralSession } = await writeTree(expect, writer.port);
  const ephemeralOwner = `0x${ephemeralSession.sessionId.toString(16)}`;
  const walker = await connectSuper(writer.port);
  const written = await walkTree(walker);
  await walker.drop();
  expect(written.get('/app/eph')?.stat['ephemeralOwner']).toBe(ephemeralOwner);
  expect(written.get('/app/big')?.stat['dataLength']).toBe(500 * 1024);
  const snapshots = await listZxidFiles(join(dataDir, 'version-2'), 'snapshot');
  expect(snapshots.length).toBeGreaterThanOrEqual(4);
  if (stopWriter === 'SIGKILL') await writer.kill();
  else await writer.stop();
  // As 3.8's, every txn that did not fail carries the tree digest it produces (the reader compares
  // it with its own tree as it replays the log: a difference would show in errorLines below).
  const logDir = join(dataLogDir ?? dataDir, 'version-2');
  const txns = (await Promise.all((await listZxidFiles(logDir, 'log')).map(async (file) => parseLogEntries(await readFile(join(logDir, file.name)))))).flat();
  expect(txns.length).toBeGreaterThan(30);
  expect(txns.filter((txn) => txn.type !== OpCode.error && !txn.hasDigest).map((txn) => `0x${txn.zxid.toString(16)}`)).toEqual([]);
  // The ephemeral's session is still alive as far as the files say: its client just lost the connection.
  await ephemeralSession.drop();

  // 2. The reader, started on the same directories, serves exactly the same tree.
  const reader = await startServerOn(specFor(readerKind, dataDir, dataLogDir, dir), cleanup);
  const readerWalker = await connectSuper(reader.port);
  const read = await walkTree(readerWalker);
  expect(treeObject(read)).toEqual(treeObject(written));
  // Spot checks, so that a tree both servers got wrong the same way still fails.
  expect(read.get('/app/null')?.data).toBeNull();
  expect(read.get('/app/empty')?.data).toBe('hex:');
  expect(read.get('/app/null-later')).toMatchObject({ data: null, stat: { version: 1 } });
  expect(read.get('/app/config')).toMatchObject({ data: `hex:${Buffer.from('cfg-v3').toString('hex')}`, stat: { version: 3 } });
  expect(read.get('/app/seq')?.stat).toMatchObject({ cversion: 7, numChildren: 3 });
  expect([...read.keys()].filter((p) => p.startsWith('/app/seq/'))).toEqual(['/app/seq/job-0000000000', '/app/seq/job-0000000002', '/app/seq/job-0000000004']);
  // Clients see ephemeralOwner 0 for TTL and container nodes (DataNode.copyStat); the kind lives in the files.
  expect(read.get('/app/ttl')?.stat).toMatchObject({ ephemeralOwner: '0x0', dataLength: 8 });
  expect(read.get('/app/container')?.stat).toMatchObject({ ephemeralOwner: '0x0', numChildren: 1, cversion: 3 });
  expect(read.get('/app/eph')?.stat['ephemeralOwner']).toBe(ephemeralOwner);
  expect(read.get('/acl/ip')?.acl).toEqual(['ip:10.1.2.3:31']);
  expect(read.get('/acl/world-read-only')?.acl).toEqual(['world:anyone:1']);
  expect(read.get('/acl/mixed')?.stat['aversion']).toBe(1);
  expect(errorLines(reader)).toEqual([]);

  // 3. The session can be taken over on the new server, and expires there when abandoned.
  const resumed = await Zk.connect(reader.port, { timeOut: SESSION_TIMEOUT_MS, sessionId: ephemeralSession.sessionId, passwd: ephemeralSession.passwd });
  expect(resumed.sessionId).toBe(ephemeralSession.sessionId);
  await resumed.drop();
  const ephemerals = [...read.keys()].filter((p) => p.startsWith('/app/eph'));
  expect(ephemerals).toHaveLength(2);
  await waitForGone(readerWalker, ephemerals, Date.now() + SESSION_TIMEOUT_MS + 6_000);

  // 4. The reader's own writes, on top of the writer's files, are read back by the writer's kind.
  await readerWalker.create('/roundtrip', `written by ${readerKind}`);
  await readerWalker.setData('/app/config', 'cfg-v4');
  const final = await walkTree(readerWalker);
  await readerWalker.close();
  await reader.stop();
  const again = await startServerOn(specFor(writerKind, dataDir, dataLogDir, dir), cleanup);
  const againWalker = await connectSuper(again.port);
  expect(treeObject(await walkTree(againWalker))).toEqual(treeObject(final));
  await againWalker.close();
  expect(errorLines(again)).toEqual([]);
  await again.stop();
}

// Concurrent: most of each scenario is waiting for the session to expire.
describe.skipIf(!javaZooKeeperAvailable()).concurrent('data directories move between our server and ZooKeeper 3.8', () => {
  it('our snapshots carry the digest section 3.8 writes (Java reads them without a warning)', async ({ expect }) => {
    await withCleanup(async (cleanup) => {
      const dir = await cleanup.tempDir('compat-digest');
      const dataDir = join(dir, 'data');
      const ours = await startServerOn(specFor('ours', dataDir, undefined, dir), cleanup);
      const zk = await Zk.connect(ours.port);
      await zk.create('/node', 'data');
      await zk.close();
      await ours.stop();
      const java = await startServerOn(specFor('java', dataDir, undefined, dir), cleanup);
      const lines = java.readLog().split('\n').filter((line) => line.includes(DIGEST_EOF));
      await java.stop();
      expect(lines).toEqual([]);
    });
  });

  it('ours writes, stops cleanly; Java shows the same tree', async ({ expect }) => {
    await withCleanup((cleanup) => scenario(expect, cleanup, 'ours', 'java', 'stop', false));
  });
  it('ours writes, is SIGKILLed; Java shows the same tree', async ({ expect }) => {
    await withCleanup((cleanup) => scenario(expect, cleanup, 'ours', 'java', 'SIGKILL', true));
  });
  it('Java writes, stops cleanly; ours shows the same tree', async ({ expect }) => {
    await withCleanup((cleanup) => scenario(expect, cleanup, 'java', 'ours', 'stop', true));
  });
  it('Java writes, is SIGKILLed; ours shows the same tree', async ({ expect }) => {
    await withCleanup((cleanup) => scenario(expect, cleanup, 'java', 'ours', 'SIGKILL', false));
  });
});
