// zk-log-dump and zk-snap-dump against ZooKeeper 3.8's own tools (Debian's package): Java
// ZooKeeper writes a tree (every txn kind a client can cause: creates of all modes, setData,
// setACL, deletes, multis that succeed and fail, errors, sessions that open and close), then
// TxnLogToolkit and SnapshotFormatter (default, -d, -json) and our tools read the same files and
// must print the same text, line for line. Crafted files (txn kinds and values a server rarely
// writes, wide directories, many sessions, odd names, another time zone) are compared the same way,
// and damaged logs must be reported with their offset.
//
// Our tools run from dist/ (npm test builds first). The only normalisation is the "timestamp" of
// -json output, which is the time of the dump.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JuteWriter, writeCreateTxnV0, writeMultiTxn, writeTxnDigest, writeTxnHeader, type ACL, type StatPersisted, type TxnHeader } from '../../src/jute/index.js';
import { OpCode } from '../../src/protocol/op-code.js';
import { SnapshotWriter, looksComplete, type SnapshotNode } from '../../src/storage/snapshot-format.js';
import { encodeFileHeader, encodeLogEntry, TXNLOG_MAGIC, SNAP_MAGIC } from '../../src/storage/txn-log-format.js';
import { encodeTxn, type Txn } from '../../src/txn/txn.js';
import { Flags, Perms, acl, req } from '../conformance/requests.js';
import { javaZooKeeperAvailable, ZOOKEEPER_CONF_DIR, ZOOKEEPER_JAR } from '../support/java-zookeeper.js';
import { projectRoot } from '../support/our-server.js';
import { sleep } from '../support/zk-wait.js';
import { Cleanup, seededRandom, startServerOn, Zk, ZkError } from './durability-helpers.js';

const CLASSPATH = [ZOOKEEPER_CONF_DIR, ZOOKEEPER_JAR, '/usr/share/java/slf4j-simple.jar'].join(':');
const LOG_TOOLKIT = 'org.apache.zookeeper.server.persistence.TxnLogToolkit';
const SNAPSHOT_FORMATTER = 'org.apache.zookeeper.server.SnapshotFormatter';
const LOG_DUMP = join(projectRoot(), 'dist', 'src', 'cli', 'zk-log-dump.js');
const SNAP_DUMP = join(projectRoot(), 'dist', 'src', 'cli', 'zk-snap-dump.js');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { env: { ...process.env, LC_ALL: 'C.UTF-8', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** A 3.8 tool in its own JVM, in the en-US locale our tools print in, with UTF-8 output. */
function runJava(mainClass: string, args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  const flags = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xshare:auto', '-Duser.language=en', '-Duser.country=US', '-Dsun.stdout.encoding=UTF-8', '-Dfile.encoding=UTF-8'];
  return run('java', [...flags, '-cp', CLASSPATH, mainClass, ...args], env);
}

function runOurs(script: string, args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  if (!existsSync(script)) throw new Error(`${script} is missing: run 'npm run build' first`);
  return run(process.execPath, [script, ...args], env);
}

/** Runs jobs at most `limit` at a time (JVMs are heavy; the CI box has two cores). */
async function pooled<T>(jobs: readonly (() => Promise<T>)[], limit = 2): Promise<T[]> {
  const results: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await (jobs[index] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

const lines = (text: string): string[] => text.split('\n');
const withoutTimestamp = (text: string): string => text.replace(/"timestamp":\d+/u, '"timestamp":0');

interface Comparison {
  readonly label: string;
  readonly java: Run;
  readonly ours: Run;
}

function expectSameOutput(comparisons: readonly Comparison[], normalise: (text: string) => string = (t) => t): void {
  for (const { label, java, ours } of comparisons) {
    expect(java.code, `${label}: Java exit code (stderr: ${java.stderr.slice(-2000)})`).toBe(0);
    expect(ours.code, `${label}: our exit code (stderr: ${ours.stderr})`).toBe(0);
    expect(lines(normalise(ours.stdout)), label).toEqual(lines(normalise(java.stdout)));
  }
}

async function compareLogs(files: readonly string[], env: Record<string, string> = {}): Promise<Comparison[]> {
  return pooled(
    files.map((file) => async () => {
      const [java, ours] = await Promise.all([runJava(LOG_TOOLKIT, [file], env), runOurs(LOG_DUMP, [file], env)]);
      return { label: `log ${file} ${JSON.stringify(env)}`, java, ours };
    }),
  );
}

async function compareSnapshots(files: readonly string[], modes: readonly string[][], env: Record<string, string> = {}): Promise<Comparison[]> {
  const jobs = files.flatMap((file) =>
    modes.map((mode) => async () => {
      const [java, ours] = await Promise.all([runJava(SNAPSHOT_FORMATTER, [...mode, file], env), runOurs(SNAP_DUMP, [...mode, file], env)]);
      return { label: `snapshot ${mode.join(' ')} ${file} ${JSON.stringify(env)}`, java, ours };
    }),
  );
  return pooled(jobs);
}

const MODES = [[], ['-d'], ['-json']];

// ---------------------------------------------------------------------------------------------
// Files written by Java ZooKeeper

describe.skipIf(!javaZooKeeperAvailable())('zk-log-dump and zk-snap-dump on files ZooKeeper 3.8 wrote', () => {
  const cleanup = new Cleanup();
  let versionDir = '';

  beforeAll(async () => {
    const workDir = await cleanup.tempDir('zk-dump-tools');
    const dataDir = join(workDir, 'data');
    await mkdir(dataDir);
    // A small snapCount makes Java roll its log and snapshot every 6 to 10 txns.
    const server = await startServerOn(
      { kind: 'java', dataDir, workDir, extraCfg: { snapCount: '10', preAllocSize: '64' }, jvmFlags: ['-Dzookeeper.extendedTypesEnabled=true'] },
      cleanup,
    );
    versionDir = join(dataDir, 'version-2');
    const sessions: Zk[] = [];
    cleanup.add(async () => {
      for (const zk of sessions) await zk.drop().catch(() => undefined);
    });
    const random = seededRandom(3);
    const randomBytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));

    const a = await Zk.connect(server.port);
    sessions.push(a);
    await a.create('/a', 'x');
    await a.call(req.create2('/b', Buffer.from([0, 0x80, 0xff, 0xc3, 0x28, 0x41, 0x0a, 0x2c])), 'create2 /b');
    await a.create('/a/eph', 'hello', { flags: Flags.ephemeral });
    await a.create('/a/seq-', 'd', { flags: Flags.persistentSequential });
    await a.create('/a/seq-', 'e', { flags: Flags.persistentSequential });
    await a.create('/cont', null, { flags: Flags.container });
    await a.create('/cont/kid', 'k');
    await a.create('/ttl', 't', { ttl: 3_600_000n });
    await a.setData('/a', 'yy');
    await a.setACL('/b', [acl('digest', 'us,er:ha}sh%=', Perms.all), acl('ip', '127.0.0.1', Perms.read), acl('world', 'anyone', Perms.read)]);
    await a.create('/we,ird}%é', Buffer.from('ü\u0000z'));
    await a.delete('/we,ird}%é');
    await a.delete('/a/seq-0000000001');
    await a.create('/empty', Buffer.alloc(0));
    await a.create('/null', null);
    await a.create('/big', randomBytes(200 * 1024));
    await a.create('/many', 'parent');
    for (let i = 0; i < 20; i++) await a.create(`/many/child-${String(i * 7919)}`, `v${String(i)}`);
    await a.call(req.multi([req.create('/m1', 'm'), req.setData('/a', randomBytes(16)), req.check('/a', 2), req.delete('/m1')]), 'multi');
    // A failing multi is answered with per-op errors (and logged as a multi of error txns).
    await a.call(req.multi([req.create('/m2', 'm'), req.check('/a', 99)]), 'failing multi');
    await expect(a.create('/a', 'dup')).rejects.toBeInstanceOf(ZkError);
    // Sessions alive at snapshot time: enough that the sessions map is resized, two with ephemerals.
    const b = await Zk.connect(server.port);
    sessions.push(b);
    await b.create('/b-eph', 'b', { flags: Flags.ephemeral });
    await b.create('/a/eph2', null, { flags: Flags.ephemeral });
    for (let i = 0; i < 14; i++) sessions.push(await Zk.connect(server.port));
    await a.close();
    sessions.shift();
    const lastWriteZxid = (await b.getData('/a/eph2')).stat.czxid;
    // Filler writes until Java has snapshotted the state above.
    await b.create('/filler', '0');
    for (let i = 1; i < 60; i++) {
      await b.setData('/filler', String(i));
      const names = await readdir(versionDir);
      const covering = names.filter((name) => name.startsWith('snapshot.') && BigInt(`0x${name.slice(9)}`) > lastWriteZxid);
      if (covering.length > 0) {
        const newest = join(versionDir, covering[covering.length - 1] as string);
        if (i > 12 && looksComplete(await readFile(newest))) break;
      }
    }
    await sleep(200);
    await server.stop();
  }, 120_000);

  afterAll(async () => {
    await cleanup.run();
  });

  it('prints every txn log as TxnLogToolkit prints it', async () => {
    const logs = (await readdir(versionDir)).filter((name) => name.startsWith('log.')).map((name) => join(versionDir, name));
    expect(logs.length).toBeGreaterThan(2);
    const comparisons = await compareLogs(logs);
    expectSameOutput(comparisons);
    const all = comparisons.map((c) => c.ours.stdout).join('');
    for (const type of ['createSession', 'closeSession', 'create', 'create2', 'createContainer', 'createTtl', 'setData', 'setACL', 'delete', 'multi', 'error']) {
      expect(all, `a ${type} txn is among those compared`).toMatch(new RegExp(` zxid 0x[0-9a-f]+ ${type} `, 'u'));
    }
  }, 60_000);

  it('prints every snapshot as SnapshotFormatter prints it, by default, with -d and with -json', async () => {
    const snapshots = (await readdir(versionDir)).filter((name) => name.startsWith('snapshot.')).map((name) => join(versionDir, name));
    expect(snapshots.length).toBeGreaterThan(2);
    const comparisons = await compareSnapshots(snapshots, MODES);
    expectSameOutput(comparisons, withoutTimestamp);
    const details = comparisons.filter((c) => c.label.startsWith('snapshot  ')).map((c) => c.ours.stdout);
    expect(details.some((text) => /\n0x[0-9a-f]+, 30000, 2\n/u.test(text)), 'a session with two ephemerals is listed').toBe(true);
  }, 90_000);

  it('prints times in the local time zone as Java does', async () => {
    const names = await readdir(versionDir);
    const log = join(versionDir, names.find((name) => name.startsWith('log.')) ?? 'log.1');
    const snapshot = join(versionDir, names.filter((name) => name.startsWith('snapshot.')).sort().at(-1) ?? 'snapshot.0');
    for (const TZ of ['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Europe/London', 'Asia/Kolkata']) {
      expectSameOutput([...(await compareLogs([log], { TZ })), ...(await compareSnapshots([snapshot], [[]], { TZ }))]);
    }
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
// Crafted files: what a server writes rarely or never, and values at the edges.

const OPEN: ACL[] = [acl('world', 'anyone', Perms.all)];

function header(type: number, zxid: bigint, time: bigint, clientId = 0x1000001234abcdn, cxid = 1): TxnHeader {
  return { clientId, cxid, zxid, time, type };
}

function rawTxn(fill: (writer: JuteWriter) => void): Buffer {
  const writer = new JuteWriter(256);
  fill(writer);
  return writer.toBuffer();
}

/** The bytes of a sub-txn of a multi: any record, or anything at all. */
function subRecord(txn: Txn): Buffer {
  const whole = encodeTxn(txn);
  const headerOnly = rawTxn((w) => writeTxnHeader(w, txn.header));
  return whole.subarray(headerOnly.length);
}

function craftedLog(): Buffer {
  const t = 1_795_680_033_123n;
  const txns: Buffer[] = [];
  const add = (txn: Txn): void => {
    txns.push(encodeTxn(txn));
  };
  add({ header: header(OpCode.createSession, 1n, 0n, -0x7ffffffffffffffen, -2), body: { kind: 'createSession', timeOutMs: 5000 }, digest: null });
  add({
    header: header(OpCode.create, 2n, t),
    body: { kind: 'create', record: { path: '/ä,b', data: Buffer.from('line1\nline2'), acl: [...OPEN, acl('digest', 'u:p,}%\n', 3)], ephemeral: true, parentCVersion: 7 } },
    digest: { version: 2, treeDigest: 12345n },
  });
  add({ header: header(OpCode.create2, 3n, -1000n), body: { kind: 'create', record: { path: '/c2', data: null, acl: [], ephemeral: false, parentCVersion: -1 } }, digest: null });
  txns.push(rawTxn((w) => {
    writeTxnHeader(w, header(OpCode.create, 4n, t + 1n));
    writeCreateTxnV0(w, { path: '/v0', data: Buffer.from('old'), acl: OPEN, ephemeral: false });
  }));
  add({ header: header(OpCode.createTTL, 5n, t), body: { kind: 'createTTL', record: { path: '/ttl', data: Buffer.from([0xe2, 0x82]), acl: OPEN, parentCVersion: 2, ttl: 9_000_000_000n } }, digest: null });
  add({ header: header(OpCode.createContainer, 6n, t), body: { kind: 'createContainer', record: { path: '/box', data: Buffer.alloc(0), acl: OPEN, parentCVersion: 3 } }, digest: null });
  add({ header: header(OpCode.delete, 7n, t), body: { kind: 'delete', record: { path: "/we,ird}%\0\r\n'x" } }, digest: null });
  add({ header: header(OpCode.deleteContainer, 8n, t, 0n, 0), body: { kind: 'delete', record: { path: '/box' } }, digest: null });
  add({ header: header(OpCode.setData, 9n, t), body: { kind: 'setData', record: { path: '/ä,b', data: null, version: -1 } }, digest: { version: 2, treeDigest: -1n } });
  add({ header: header(OpCode.reconfig, 0xan, t), body: { kind: 'setData', record: { path: '/zookeeper/config', data: Buffer.from('server.1=a:1:2'), version: 4 } }, digest: null });
  add({ header: header(OpCode.setACL, 0xbn, t), body: { kind: 'setACL', record: { path: '/a,b', acl: [acl('ip', '10.0.0.0/8', 1), acl('x509', 'CN=a,O=}b', 31)], version: 3 } }, digest: null });
  add({ header: header(OpCode.setACL, 0xcn, t), body: { kind: 'setACL', record: { path: '/empty-acl', acl: [], version: 0 } }, digest: null });
  add({ header: header(OpCode.error, 0xdn, t), body: { kind: 'error', err: -110 }, digest: null });
  add({ header: header(OpCode.closeSession, 0xen, t), body: { kind: 'closeSession', paths2Delete: ['/e1', '/e,2'] }, digest: null });
  add({ header: header(OpCode.closeSession, 0xfn, t), body: { kind: 'closeSession', paths2Delete: [] }, digest: null });
  add({ header: header(OpCode.closeSession, 0x10n, t), body: { kind: 'closeSession', paths2Delete: null }, digest: null });
  const multiOps = [
    { type: OpCode.create, data: subRecord({ header: header(OpCode.create, 0n, 0n), body: { kind: 'create', record: { path: '/m', data: Buffer.from([0xff, 0xfe, 0x41]), acl: OPEN, ephemeral: false, parentCVersion: 300 } }, digest: null }) },
    { type: OpCode.check, data: subRecord({ header: header(OpCode.check, 0n, 0n), body: { kind: 'check', record: { path: '/m', version: 0x0d0a } }, digest: null }) },
    { type: OpCode.setData, data: subRecord({ header: header(OpCode.setData, 0n, 0n), body: { kind: 'setData', record: { path: '/m', data: Buffer.from('é'), version: -1 } }, digest: null }) },
    { type: OpCode.error, data: subRecord({ header: header(OpCode.error, 0n, 0n), body: { kind: 'error', err: -101 }, digest: null }) },
    { type: 99, data: Buffer.from('raw') },
    { type: OpCode.delete, data: null },
  ];
  txns.push(rawTxn((w) => {
    writeTxnHeader(w, header(OpCode.multi, 0x11n, 253_402_300_800_000n));
    writeMultiTxn(w, { txns: multiOps });
    writeTxnDigest(w, { version: 2, treeDigest: 7n });
  }));
  add({ header: header(OpCode.multi, 0x12n, t), body: { kind: 'multi', ops: [] }, digest: null });
  add({ header: header(OpCode.setData, 0x1_0000_0000_0000n, t, 0x7fffffffffffffffn, 0x7fffffff), body: { kind: 'setData', record: { path: '/hi', data: Buffer.from('x'), version: 2147483647 } }, digest: null });
  const padding = Buffer.alloc(4096);
  return Buffer.concat([encodeFileHeader(TXNLOG_MAGIC, -5n), ...txns.map((bytes) => encodeLogEntry(bytes)), padding]);
}

function stat(overrides: Partial<StatPersisted>): StatPersisted {
  return { czxid: 0n, mzxid: 0n, ctime: 0n, mtime: 0n, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, pzxid: 0n, ...overrides };
}

function craftedSnapshot(digest: boolean): Buffer {
  const chunks: Buffer[] = [];
  const writer = new SnapshotWriter((chunk) => chunks.push(chunk), 0n);
  const sessions: [bigint, number][] = [];
  for (let i = 0; i < 20; i++) sessions.push([0x100000a1b2c3d00n + BigInt(i * 977), 4000 + i]);
  sessions.push([-0x7ffffffffffffff0n, 30000], [0x100000a1b2c3d00n, 9999]);
  writer.writeSessions(sessions);
  writer.writeAcls([
    [1n, OPEN],
    [2n, [acl('digest', 'u:p', 31), acl('world', 'anyone', 1)]],
  ]);
  const nodes: SnapshotNode[] = [
    { path: '', data: null, aclIndex: -1n, stat: stat({ pzxid: 0x30n, cversion: 9 }) },
    { path: '/zookeeper', data: Buffer.alloc(0), aclIndex: -1n, stat: stat({}) },
    { path: '/zookeeper/quota', data: Buffer.alloc(0), aclIndex: -1n, stat: stat({}) },
  ];
  const t = 1_795_680_033_000n;
  let zxid = 0x10n;
  const node = (path: string, data: Buffer | null, overrides: Partial<StatPersisted> = {}): void => {
    zxid++;
    nodes.push({ path, data, aclIndex: 1n, stat: stat({ czxid: zxid, mzxid: zxid, pzxid: zxid, ctime: t, mtime: t + 1234n, ...overrides }) });
  };
  node('/wide', Buffer.from('w'));
  for (let i = 0; i < 30; i++) node(`/wide/n${String(i * 31 + 7)}`, Buffer.from(String(i)));
  node('/odd', null);
  for (const name of ['quote"', 'back\\slash', 'tab\there', 'ctl\u0001', 'é', '😀', 'a,b}c%', '']) node(`/odd/${name}`, Buffer.from(name));
  node('/eph1', Buffer.from([0xff, 0x00]), { ephemeralOwner: 0x100000a1b2c3d00n });
  node('/eph2', null, { ephemeralOwner: 0x100000a1b2c3d00n + 977n });
  node('/eph3', null, { ephemeralOwner: 0x100000a1b2c3d00n });
  node('/container', null, { ephemeralOwner: -(1n << 63n) });
  node('/ttl', null, { ephemeralOwner: -0xffffffffec78n });
  node('/high', Buffer.from('h'), { czxid: 0x7fff_0000_0000_0001n, mzxid: 0x1_0000_0000_0000n, pzxid: -3n, version: -1, cversion: -2, aversion: 2147483647, mtime: -1n });
  for (const n of nodes) writer.writeNode(n);
  writer.finish(digest ? { zxid: 0x2an, digestVersion: 2, digest: -42n } : null);
  return Buffer.concat(chunks);
}

describe.skipIf(!javaZooKeeperAvailable())('zk-log-dump and zk-snap-dump on crafted files, against 3.8', () => {
  const cleanup = new Cleanup();
  let dir = '';

  beforeAll(async () => {
    dir = await cleanup.tempDir('zk-dump-crafted');
    await writeFile(join(dir, 'log.1'), craftedLog());
    await writeFile(join(dir, 'snapshot.2a'), craftedSnapshot(true));
    await writeFile(join(dir, 'snapshot.ffff0000000000'), craftedSnapshot(false));
    await writeFile(join(dir, 'snapshot-copy'), craftedSnapshot(true));
    await writeFile(join(dir, 'snapshot.2a.gz'), gzipSync(craftedSnapshot(true)));
  });

  afterAll(async () => {
    await cleanup.run();
  });

  it('prints every txn kind, odd values and all, as TxnLogToolkit does', async () => {
    const comparisons = await compareLogs([join(dir, 'log.1')]);
    expectSameOutput(comparisons);
    expect(comparisons[0]?.ours.stdout).toContain('EOF reached after 19 txns.');
  }, 30_000);

  it('prints wide directories, many sessions and odd names as SnapshotFormatter does', async () => {
    const files = ['snapshot.2a', 'snapshot.ffff0000000000', 'snapshot-copy', 'snapshot.2a.gz'].map((name) => join(dir, name));
    expectSameOutput(await compareSnapshots(files, MODES), withoutTimestamp);
  }, 60_000);

  it('prints the same in another time zone', async () => {
    const env = { TZ: 'America/Sao_Paulo' };
    expectSameOutput([...(await compareLogs([join(dir, 'log.1')], env)), ...(await compareSnapshots([join(dir, 'snapshot.2a')], [[]], env))]);
  }, 30_000);

  it('takes 3.8 arguments and refuses what 3.8 refuses', async () => {
    const log = join(dir, 'log.1');
    const snapshot = join(dir, 'snapshot.2a');
    const cases: { java: Promise<Run>; ours: Promise<Run>; stdout?: boolean }[] = [
      { java: runJava(LOG_TOOLKIT, ['-d', log]), ours: runOurs(LOG_DUMP, ['-d', log]), stdout: true },
      { java: runJava(LOG_TOOLKIT, ['-h']), ours: runOurs(LOG_DUMP, ['-h']) },
      { java: runJava(LOG_TOOLKIT, []), ours: runOurs(LOG_DUMP, []) },
      { java: runJava(LOG_TOOLKIT, [join(dir, 'missing')]), ours: runOurs(LOG_DUMP, [join(dir, 'missing')]) },
      { java: runJava(LOG_TOOLKIT, [snapshot]), ours: runOurs(LOG_DUMP, [snapshot]) },
      { java: runJava(SNAPSHOT_FORMATTER, []), ours: runOurs(SNAP_DUMP, []) },
      { java: runJava(SNAPSHOT_FORMATTER, [snapshot, 'extra']), ours: runOurs(SNAP_DUMP, [snapshot, 'extra']) },
      { java: runJava(SNAPSHOT_FORMATTER, ['-d', '-json', snapshot]), ours: runOurs(SNAP_DUMP, ['-d', '-json', snapshot]) },
      { java: runJava(SNAPSHOT_FORMATTER, [join(dir, 'missing')]), ours: runOurs(SNAP_DUMP, [join(dir, 'missing')]) },
    ];
    for (const c of cases) {
      const [java, ours] = await Promise.all([c.java, c.ours]);
      expect(ours.code, `exit code: ours ${ours.stderr} / Java ${java.stderr}`).toBe(java.code);
      if (c.stdout === true) expect(ours.stdout).toBe(java.stdout);
      // 3.8 adds log lines to stderr; its message is there, and ours is its first line.
      const ourFirst = ours.stderr.split('\n')[0] ?? '';
      if (ourFirst !== '') expect(java.stderr).toContain(ourFirst);
    }
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
// Damage: reported with the offset, never printed as if the log ended there.

describe('zk-log-dump on damaged logs', () => {
  const cleanup = new Cleanup();
  let dir = '';
  let good: Buffer;
  let offsets: number[] = [];

  beforeAll(async () => {
    dir = await cleanup.tempDir('zk-dump-damaged');
    good = craftedLog();
    offsets = [];
    let offset = 16;
    while (offset + 12 <= good.length && good.readInt32BE(offset + 8) !== 0) {
      offsets.push(offset);
      offset += 12 + good.readInt32BE(offset + 8) + 1;
    }
  });

  afterAll(async () => {
    await cleanup.run();
  });

  it('stops at a flipped bit with the entry offset and exit code 1', async () => {
    const bad = Buffer.from(good);
    const victim = offsets[5] as number;
    bad[victim + 40] = (bad[victim + 40] as number) ^ 0x10;
    await writeFile(join(dir, 'log.flipped'), bad);
    const result = await runOurs(LOG_DUMP, [join(dir, 'log.flipped')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`corrupt entry at offset ${String(victim)}: checksum mismatch`);
    expect(result.stderr).toContain('non-zero data follows it');
    expect(result.stdout.match(/ zxid 0x/gu)?.length).toBe(5);
    expect(result.stdout).not.toContain('EOF reached');
  });

  it('reports a torn final entry as such', async () => {
    const last = offsets[offsets.length - 1] as number;
    const torn = Buffer.concat([good.subarray(0, last + 20), Buffer.alloc(100)]);
    await writeFile(join(dir, 'log.torn'), torn);
    const result = await runOurs(LOG_DUMP, [join(dir, 'log.torn')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`at offset ${String(last)}`);
    expect(result.stderr).toContain('torn');
    expect(result.stdout.match(/ zxid 0x/gu)?.length).toBe(offsets.length - 1);
  });

  it('says when a file is not a txn log', async () => {
    await writeFile(join(dir, 'log.short'), Buffer.from([0x5a, 0x4b, 0x4c, 0x47, 0, 0]));
    const short = await runOurs(LOG_DUMP, [join(dir, 'log.short')]);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('not a readable txn log');
    await writeFile(join(dir, 'log.snap'), encodeFileHeader(SNAP_MAGIC));
    const snap = await runOurs(LOG_DUMP, [join(dir, 'log.snap')]);
    expect(snap.code).toBe(2);
    expect(snap.stderr).toBe('Invalid magic number for log.snap\n');
  });

  it('refuses the recovery and chop modes it does not offer', async () => {
    const result = await runOurs(LOG_DUMP, ['-r', join(dir, 'log.flipped')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('recovery mode (-r) is not offered');
  });
});

describe('zk-snap-dump on a damaged snapshot', () => {
  it('reports the checksum failure with its offset', async () => {
    const cleanup = new Cleanup();
    try {
      const dir = await cleanup.tempDir('zk-snap-damaged');
      const bytes = craftedSnapshot(true);
      bytes[200] = (bytes[200] as number) ^ 0x01;
      await writeFile(join(dir, 'snapshot.2a'), bytes);
      const result = await runOurs(SNAP_DUMP, [join(dir, 'snapshot.2a')]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/not a readable snapshot: .*(checksum mismatch|offset)/u);
      expect(result.stdout).toBe('');
    } finally {
      await cleanup.run();
    }
  });
});
