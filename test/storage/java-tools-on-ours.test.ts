// ZooKeeper 3.8's own tools on the files OUR server writes (issue 3, "compatibility (c)"): our server
// writes a tree (persistent, ephemeral of live sessions, sequential, container, TTL, digest / ip /
// world / auth ACLs, big, empty and null data, setData, setACL, deletes, a multi that succeeds and
// one that fails, an error txn, sessions that open and close), rolling its log and snapshotting
// often, and is stopped cleanly. Then Debian's TxnLogToolkit and SnapshotFormatter (default, -d and
// -json) read every log and snapshot it left with no error, and our zk-log-dump / zk-snap-dump print
// the same lines on the same files. The logs keep their 64 MiB zero-filled preallocation, as 3.8's do.
//
// test/storage/dump-tools.test.ts does the same on files Java writes; this is the other direction.
// Our tools run from dist/ (npm test builds first). The only normalisation is the "timestamp" of
// -json output, which is the time of the dump.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATOR_ALL_ACL, Flags, Perms, acl, req } from '../conformance/requests.js';
import { javaZooKeeperAvailable, ZOOKEEPER_CONF_DIR, ZOOKEEPER_JAR } from '../support/java-zookeeper.js';
import { projectRoot } from '../support/our-server.js';
import { sleep } from '../support/zk-wait.js';
import { Cleanup, digestId, listZxidFiles, seededRandom, startServerOn, Zk, ZkError } from './durability-helpers.js';

const CLASSPATH = [ZOOKEEPER_CONF_DIR, ZOOKEEPER_JAR, '/usr/share/java/slf4j-simple.jar'].join(':');
const LOG_TOOLKIT = 'org.apache.zookeeper.server.persistence.TxnLogToolkit';
const SNAPSHOT_FORMATTER = 'org.apache.zookeeper.server.SnapshotFormatter';
const LOG_DUMP = join(projectRoot(), 'dist', 'src', 'cli', 'zk-log-dump.js');
const SNAP_DUMP = join(projectRoot(), 'dist', 'src', 'cli', 'zk-snap-dump.js');
const PREALLOC_BYTES = 64 * 1024 * 1024;
const FILE_HEADER_BYTES = 16;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { env: { ...process.env, LC_ALL: 'C.UTF-8' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    // JVMs start slowly on a loaded 2-core machine.
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
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
function runJava(mainClass: string, args: readonly string[]): Promise<Run> {
  const flags = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xshare:auto', '-Duser.language=en', '-Duser.country=US', '-Dsun.stdout.encoding=UTF-8', '-Dfile.encoding=UTF-8'];
  return run('java', [...flags, '-cp', CLASSPATH, mainClass, ...args]);
}

function runOurs(script: string, args: readonly string[]): Promise<Run> {
  if (!existsSync(script)) throw new Error(`${script} is missing: run 'npm run build' first`);
  return run(process.execPath, [script, ...args]);
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

/** What 3.8's tools print when they meet something they cannot read. */
const JAVA_TROUBLE = /CRC ERROR|Exception|\bERROR\b|Unsupported|Invalid|corrupt|EOFException/u;

function expectCleanAndSame(comparisons: readonly Comparison[], normalise: (text: string) => string = (t) => t): void {
  for (const { label, java, ours } of comparisons) {
    expect(java.code, `${label}: Java exit code (stderr: ${java.stderr.slice(-2000)})`).toBe(0);
    expect(java.stdout, `${label}: Java's output`).not.toMatch(JAVA_TROUBLE);
    expect(java.stderr, `${label}: Java's stderr`).not.toMatch(JAVA_TROUBLE);
    expect(ours.code, `${label}: our exit code (stderr: ${ours.stderr})`).toBe(0);
    expect(ours.stderr, `${label}: our stderr`).toBe('');
    expect(lines(normalise(ours.stdout)), label).toEqual(lines(normalise(java.stdout)));
  }
}

describe.skipIf(!javaZooKeeperAvailable())("ZooKeeper 3.8's TxnLogToolkit and SnapshotFormatter on files our server wrote", () => {
  const cleanup = new Cleanup();
  let versionDir = '';
  let logs: string[] = [];
  let snapshots: string[] = [];

  beforeAll(async () => {
    const workDir = await cleanup.tempDir('zk-java-tools-on-ours');
    const dataDir = join(workDir, 'data');
    await mkdir(dataDir);
    // A small snapCount makes our server roll its log and snapshot every 9 to 16 txns; the
    // preallocation stays 3.8's default (64 MiB).
    const server = await startServerOn(
      { kind: 'ours', dataDir, workDir, extraCfg: { snapCount: '16' }, jvmFlags: ['-Dzookeeper.extendedTypesEnabled=true'] },
      cleanup,
    );
    versionDir = join(dataDir, 'version-2');
    const sessions: Zk[] = [];
    cleanup.add(async () => {
      for (const zk of sessions) await zk.drop().catch(() => undefined);
    });
    const random = seededRandom(11);
    const randomBytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));

    const a = await Zk.connect(server.port);
    sessions.push(a);
    await a.create('/a', 'x');
    await a.call(req.create2('/b', Buffer.from([0, 0x80, 0xff, 0xc3, 0x28, 0x41, 0x0a, 0x2c])), 'create2 /b');
    await a.create('/a/eph', 'hello', { flags: Flags.ephemeral });
    await a.create('/a/seq-', 'd', { flags: Flags.persistentSequential });
    await a.create('/a/seq-', 'e', { flags: Flags.persistentSequential });
    await a.create('/a/eseq-', 'f', { flags: Flags.ephemeralSequential });
    await a.create('/cont', null, { flags: Flags.container });
    await a.create('/cont/kid', 'k');
    await a.create('/ttl', 't', { ttl: 3_600_000n });
    await a.setData('/a', 'yy');
    await a.setData('/a', 'zzz', 1);
    await a.setACL('/b', [acl('digest', digestId('user', 'secret'), Perms.all), acl('ip', '127.0.0.1', Perms.read), acl('world', 'anyone', Perms.read)]);
    await a.addAuth('digest', 'user:secret');
    await a.create('/mine', 'auth acl', { acl: CREATOR_ALL_ACL });
    await a.create('/ro', 'read only', { acl: [acl('world', 'anyone', Perms.read)] });
    await a.create('/we,ird}%é', Buffer.from('ü\u0000z'));
    await a.delete('/we,ird}%é');
    await a.delete('/a/seq-0000000001');
    await a.create('/empty', Buffer.alloc(0));
    await a.create('/null', null);
    await a.create('/big', randomBytes(200 * 1024));
    await a.create('/many', 'parent');
    for (let i = 0; i < 20; i++) await a.create(`/many/child-${String(i * 7919)}`, `v${String(i)}`);
    // A multi of every kind of op that succeeds, and one that fails (logged as a multi of error txns).
    await a.call(
      req.multi([req.create('/m1', 'm'), req.setData('/a', randomBytes(16)), req.check('/a', 3), req.delete('/m1'), req.create('/m2', 'kept', { flags: Flags.persistentSequential })]),
      'multi',
    );
    await a.call(req.multi([req.create('/m3', 'm'), req.check('/a', 99)]), 'failing multi');
    // Failed writes are error txns.
    await expect(a.create('/a', 'dup')).rejects.toBeInstanceOf(ZkError);
    await expect(a.setData('/a', 'bad version', 42)).rejects.toBeInstanceOf(ZkError);
    await expect(a.delete('/many')).rejects.toBeInstanceOf(ZkError);
    // Sessions alive at snapshot time, two of them with ephemerals.
    const b = await Zk.connect(server.port);
    sessions.push(b);
    await b.create('/b-eph', 'b', { flags: Flags.ephemeral });
    await b.create('/a/eph2', null, { flags: Flags.ephemeral });
    for (let i = 0; i < 6; i++) sessions.push(await Zk.connect(server.port));
    // A closed session: its ephemerals are deleted by the closeSession txn.
    await a.close();
    sessions.shift();
    const lastWriteZxid = (await b.getData('/a/eph2')).stat.czxid;
    // Filler writes until our server has started a snapshot after the state above.
    await b.create('/filler', '0');
    for (let i = 1; i < 80; i++) {
      await b.setData('/filler', String(i));
      const snaps = await listZxidFiles(versionDir, 'snapshot');
      if (i > 20 && snaps.some((s) => s.zxid > lastWriteZxid + 2n)) break;
    }
    await sleep(200);
    // Stopped with sessions alive (they are in the snapshots and the log holds no closeSession for them).
    const exit = await server.stop();
    expect(exit.code, server.readLog().slice(-2000)).toBe(0);
    logs = (await listZxidFiles(versionDir, 'log')).map((f) => join(versionDir, f.name));
    snapshots = (await listZxidFiles(versionDir, 'snapshot')).map((f) => join(versionDir, f.name));
  }, 180_000);

  afterAll(async () => {
    await cleanup.run();
  });

  it('left several logs, preallocated as 3.8 preallocates them (64 MiB after the header), and several snapshots', async () => {
    expect(logs.length).toBeGreaterThan(3);
    expect(snapshots.length).toBeGreaterThan(3);
    // 3.8's FilePadding grows a file by preAllocSize from its size after the 16-byte header, so a
    // fresh log (Java's too) is 64 MiB + 16 bytes long.
    for (const log of logs) {
      const size = (await stat(log)).size;
      expect(size, log).toBeGreaterThan(PREALLOC_BYTES);
      expect((size - FILE_HEADER_BYTES) % PREALLOC_BYTES, log).toBe(0);
    }
  });

  it('TxnLogToolkit reads every log with no error and prints what zk-log-dump prints', async () => {
    const comparisons = await pooled(
      logs.map((file) => async () => {
        const [java, ours] = await Promise.all([runJava(LOG_TOOLKIT, [file]), runOurs(LOG_DUMP, [file])]);
        return { label: `log ${file}`, java, ours };
      }),
    );
    expectCleanAndSame(comparisons);
    for (const c of comparisons) {
      expect(c.java.stdout, `${c.label}: Java reached the zero-filled end`).toMatch(/\nEOF reached after [1-9]\d* txns\.\n$/u);
      expect(c.java.stdout, `${c.label}: the header`).toMatch(/^ZooKeeper Transactional Log File with dbid 0 txnlog format version 2\n/u);
    }
    const all = comparisons.map((c) => c.java.stdout).join('');
    for (const type of ['createSession', 'closeSession', 'create', 'create2', 'createContainer', 'createTtl', 'setData', 'setACL', 'delete', 'multi', 'error']) {
      expect(all, `a ${type} txn is among those compared`).toMatch(new RegExp(` zxid 0x[0-9a-f]+ ${type} `, 'u'));
    }
  }, 600_000);

  it('SnapshotFormatter reads every snapshot with no error and prints what zk-snap-dump prints, by default, with -d and with -json', async () => {
    const modes = [[], ['-d'], ['-json']];
    const comparisons = await pooled(
      snapshots.flatMap((file) =>
        modes.map((mode) => async () => {
          const [java, ours] = await Promise.all([runJava(SNAPSHOT_FORMATTER, [...mode, file]), runOurs(SNAP_DUMP, [...mode, file])]);
          return { label: `snapshot ${mode.join(' ')} ${file}`, java, ours };
        }),
      ),
    );
    expectCleanAndSame(comparisons, withoutTimestamp);
    const newest = comparisons.filter((c) => c.label.startsWith(`snapshot  ${snapshots.at(-1) ?? ''}`)).map((c) => c.java.stdout).join('');
    for (const path of ['/a/eph2', '/b-eph', '/cont/kid', '/ttl', '/mine', '/big', '/many/child-0']) {
      expect(newest, `${path} is in the newest snapshot`).toContain(`\n${path}\n`);
    }
    expect(newest, 'the sequential node the multi created').toMatch(/\n\/m2\d{10}\n/u);
    const defaults = comparisons.filter((c) => c.label.startsWith('snapshot  ')).map((c) => c.java.stdout);
    expect(defaults.some((text) => /\n0x[0-9a-f]+, 30000, 2\n/u.test(text)), 'a live session with two ephemerals is listed').toBe(true);
  }, 900_000);

  it('the files are all there is: no temp or partial files left beside them', async () => {
    const names = await readdir(versionDir);
    const unexpected = names.filter((name) => !/^(log|snapshot)\.[0-9a-f]+$/u.test(name) && name !== 'acceptedEpoch' && name !== 'currentEpoch');
    expect(unexpected).toEqual([]);
  });
});
