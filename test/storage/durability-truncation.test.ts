// Torn writes: a txn log written by our server (stopped cleanly) is cut at every byte offset within
// its last entries, both as a shorter file and as a preallocated file whose bytes after the cut are
// zeros (what a crash leaves), and recovery must yield exactly the complete entries before the cut:
// the same tree, the same last zxid and the same live sessions. recover() is called directly for the
// per-offset loop; for a handful of offsets the real server starts on the cut copy, serves that
// prefix (as Java 3.8 does on the same copy), accepts new writes and keeps them across a restart.

import { copyFile, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logging/logger.js';
import { recover } from '../../src/storage/recovery.js';
import { javaZooKeeperAvailable } from '../support/java-zookeeper.js';
import {
  Cleanup,
  connectSuper,
  fingerprintDir,
  listZxidFiles,
  parseLogEntries,
  startServerOn,
  treeObject,
  treeView,
  walkTree,
  Zk,
  type NodeView,
  type ParsedEntry,
  type ServerKind,
  type ServerSpec,
} from './durability-helpers.js';

/** Creates at the end of the log, with data sizes chosen so entries differ in length. */
const LAST_SIZES = [0, 1, 7, 120, 33, 700, 2];
const OP_CREATE = 1;
const OP_CLOSE_SESSION = -11;

const cleanup = new Cleanup();
afterAll(async () => {
  await cleanup.run();
});

interface Source {
  readonly dir: string;
  /** dataDir/version-2 with the server's snapshot(s). */
  readonly snapDirectory: string;
  readonly logName: string;
  readonly log: Buffer;
  /** The preallocated size of the log file as the server left it. */
  readonly logFileSize: number;
  readonly entries: ParsedEntry[];
  /** Index of the first entry the cuts cover. */
  readonly firstCut: number;
  /** What the server served before it stopped (walked as super). */
  readonly served: Map<string, NodeView>;
  readonly writerSession: bigint;
}

let source: Source;

beforeAll(async () => {
  const dir = await cleanup.tempDir('durability-truncation');
  const spec: ServerSpec = { kind: 'ours', dataDir: join(dir, 'data'), workDir: dir };
  const server = await startServerOn(spec, cleanup);
  const zk = await Zk.connect(server.port);
  await zk.create('/t', 'truncation');
  for (let i = 0; i < 20; i++) await zk.create(`/t/base-${String(i)}`, `base ${String(i)}`);
  for (let i = 0; i < 10; i++) await zk.setData(`/t/base-${String(i % 3)}`, `updated ${String(i)}`);
  await zk.delete('/t/base-19');
  for (const [i, size] of LAST_SIZES.entries()) await zk.create(`/t/last-${String(i)}`, Buffer.alloc(size, 0x61 + i));
  const walker = await connectSuper(server.port);
  const served = await walkTree(walker);
  await walker.close();
  await zk.close();
  await server.stop();

  const logDirectory = join(spec.dataDir, 'version-2');
  const logs = await listZxidFiles(logDirectory, 'log');
  expect(logs).toHaveLength(1);
  const logName = (logs[0] as { name: string }).name;
  const log = await readFile(join(logDirectory, logName));
  const entries = parseLogEntries(log);
  const end = (entries.at(-1) as ParsedEntry).end;
  expect(log.subarray(end).every((b) => b === 0)).toBe(true);
  // The cuts cover the last creates and what follows them: the walker's session (create, close) and
  // the writer's close.
  const lastCreates = entries.filter((e) => e.type === OP_CREATE).slice(-LAST_SIZES.length);
  const firstCut = entries.indexOf(lastCreates[0] as ParsedEntry);
  source = {
    dir,
    snapDirectory: logDirectory,
    logName,
    log: log.subarray(0, end),
    logFileSize: log.length,
    entries,
    firstCut,
    served,
    writerSession: zk.sessionId,
  };
});

/** The complete entries before `cut`. */
function completeBefore(cut: number): ParsedEntry[] {
  return source.entries.filter((e) => e.end <= cut);
}

/** Paths of the /t/last-* creates among the given entries (they are the only creates in the tail). */
function expectedLastNodes(complete: readonly ParsedEntry[]): string[] {
  const createsInTail = source.entries.slice(source.firstCut).filter((e) => e.type === OP_CREATE);
  expect(createsInTail).toHaveLength(LAST_SIZES.length);
  return createsInTail.filter((e) => complete.includes(e)).map((_, i) => `/t/last-${String(i)}`);
}

describe('a txn log cut at any byte of its last entries', () => {
  it('recovers exactly the complete entries before the cut (recover(), every offset, two tails)', async () => {
    const work = await cleanup.tempDir('durability-truncation-cuts');
    const logDirectory = join(work, 'logs');
    await mkdir(logDirectory);
    const snapBefore = await fingerprintDir(source.snapDirectory);
    const start = (source.entries[source.firstCut] as ParsedEntry).offset;
    const end = source.log.length;
    expect(end - start).toBeGreaterThan(900);

    // The tree after each possible number of complete entries, from the boundary cuts; the full log
    // must give what the server served.
    const byCount = new Map<number, Map<string, NodeView>>();
    const logPath = join(logDirectory, source.logName);
    const recoverCut = async (bytes: Buffer): Promise<Awaited<ReturnType<typeof recover>>> => {
      await writeFile(logPath, bytes);
      return recover({ snapDirectory: source.snapDirectory, logDirectory, extendedTypesEnabled: false }, silentLogger);
    };
    for (let k = source.firstCut; k <= source.entries.length; k++) {
      const cut = k === 0 ? 16 : (source.entries[k - 1] as ParsedEntry).end;
      byCount.set(k, treeView((await recoverCut(source.log.subarray(0, cut))).tree));
    }
    expect(treeObject(byCount.get(source.entries.length) as Map<string, NodeView>)).toEqual(treeObject(source.served));

    const failures: string[] = [];
    let runs = 0;
    for (const tail of ['shorter file', 'zeros after the cut'] as const) {
      for (let cut = start; cut <= end; cut++) {
        const bytes = tail === 'shorter file' ? source.log.subarray(0, cut) : Buffer.concat([source.log.subarray(0, cut), Buffer.alloc(end - cut + 4096)]);
        const complete = completeBefore(cut);
        const last = complete.at(-1) as ParsedEntry;
        let where = `${tail}, cut at ${String(cut)}`;
        try {
          const recovered = await recoverCut(bytes);
          runs++;
          where += ` (expected ${String(complete.length)} entries, last zxid 0x${last.zxid.toString(16)})`;
          if (recovered.lastZxid !== last.zxid) failures.push(`${where}: last zxid 0x${recovered.lastZxid.toString(16)}`);
          const view = treeView(recovered.tree);
          const expected = byCount.get(complete.length) as Map<string, NodeView>;
          if (JSON.stringify(treeObject(view)) !== JSON.stringify(treeObject(expected))) failures.push(`${where}: the tree differs from the prefix's`);
          const lastNodes = [...view.keys()].filter((p) => p.startsWith('/t/last-'));
          if (JSON.stringify(lastNodes) !== JSON.stringify(expectedLastNodes(complete))) failures.push(`${where}: holds ${lastNodes.join(',')}`);
          const writerAlive = !complete.some((e) => e.type === OP_CLOSE_SESSION && e.clientId === source.writerSession);
          if (recovered.sessions.has(source.writerSession) !== writerAlive) failures.push(`${where}: writer session alive=${String(!writerAlive)}`);
        } catch (error) {
          failures.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
    // Group consecutive failing offsets with the same symptom, so a report stays short.
    const grouped: string[] = [];
    let previous: { key: string; cut: number; from: number } | null = null;
    for (const failure of failures) {
      const match = /^(.*), cut at (\d+)(?: \(expected[^)]*\))?: (.*)$/s.exec(failure);
      const cut = Number(match?.[2] ?? -1);
      const key = `${match?.[1] ?? ''}: ${(match?.[3] ?? failure).replace(/\/tmp\/[^ ]*\//g, '')}`;
      if (previous !== null && previous.key === key && previous.cut === cut - 1) {
        previous.cut = cut;
        grouped[grouped.length - 1] = `${key} — cuts ${String(previous.from)}..${String(cut)}`;
      } else {
        previous = { key, cut, from: cut };
        grouped.push(`${key} — cut ${String(cut)}`);
      }
    }
    expect(grouped).toEqual([]);
    expect(runs).toBe(2 * (end - start + 1));
    // Recovery reads only.
    expect(await fingerprintDir(source.snapDirectory)).toEqual(snapBefore);
  });

  /** A data dir whose log is cut at `cut`; `zeros` keeps the preallocated size with zeros after the cut. */
  async function cutCopy(name: string, cut: number, zeros: boolean): Promise<ServerSpec & { kind: 'ours' }> {
    const dir = join(source.dir, name);
    const versionDir = join(dir, 'data', 'version-2');
    await mkdir(versionDir, { recursive: true });
    for (const snap of await listZxidFiles(source.snapDirectory, 'snapshot')) await copyFile(join(source.snapDirectory, snap.name), join(versionDir, snap.name));
    const handle = await open(join(versionDir, source.logName), 'w');
    await handle.write(source.log, 0, cut, 0);
    if (zeros) await handle.truncate(source.logFileSize);
    await handle.close();
    return { kind: 'ours', dataDir: join(dir, 'data'), workDir: dir };
  }

  async function nodesUnderT(kind: ServerKind, spec: ServerSpec): Promise<{ lastNodes: string[]; tree: Map<string, NodeView> }> {
    const server = await startServerOn({ ...spec, kind }, cleanup);
    try {
      const zk = await connectSuper(server.port);
      const tree = await walkTree(zk, '/t');
      await zk.close();
      await server.stop();
      return { lastNodes: [...tree.keys()].filter((p) => p.startsWith('/t/last-')), tree };
    } catch (error) {
      await server.stop();
      const warnings = server.readLog().split('\n').filter((line) => /"level":(40|50|60)|WARN|ERROR/.test(line));
      throw new Error(`${error instanceof Error ? error.message : String(error)}; ${kind} server warnings:\n${warnings.slice(0, 4).join('\n')}`);
    }
  }

  it('the real server starts on cut copies, serves the prefix, and keeps new writes across a restart', async () => {
    const tail = source.entries.slice(source.firstCut);
    const bigCreate = tail.find((e) => e.end - e.offset > 700) as ParsedEntry;
    const first = source.entries[0] as ParsedEntry;
    const cases: { name: string; cut: number; zeros: boolean }[] = [
      { name: 'mid-entry-short', cut: bigCreate.offset + 300, zeros: false },
      { name: 'mid-entry-zeros', cut: bigCreate.offset + 300, zeros: true },
      { name: 'in-header-zeros', cut: (tail[2] as ParsedEntry).offset + 5, zeros: true },
      { name: 'before-end-marker', cut: (tail.at(-1) as ParsedEntry).end - 1, zeros: true },
      { name: 'at-boundary', cut: (tail[3] as ParsedEntry).end, zeros: true },
      // Nothing of the file's first entry is complete: the next txn has the zxid the file is named after.
      { name: 'first-entry-torn', cut: first.offset + 20, zeros: true },
    ];
    const failures: string[] = [];
    for (const c of cases) {
      const spec = await cutCopy(`real-${c.name}`, c.cut, c.zeros);
      const expectedLast = expectedLastNodes(completeBefore(c.cut));
      const where = `${c.name} (cut at ${String(c.cut)}${c.zeros ? ', zeros after' : ''})`;
      try {
        const served = await nodesUnderT('ours', spec);
        if (JSON.stringify(served.lastNodes) !== JSON.stringify(expectedLast)) failures.push(`${where}: serves ${served.lastNodes.join(',')}, expected ${expectedLast.join(',')}`);
        // New writes after the torn tail, then a restart.
        const server = await startServerOn(spec, cleanup);
        const zk = await Zk.connect(server.port);
        try {
          await zk.create('/after-cut', 'new');
          await zk.setData('/after-cut', 'newer');
        } catch (error) {
          failures.push(`${where}: a write after recovery failed: ${error instanceof Error ? error.message : String(error)}; server output:\n${server.readLog().slice(-1500)}`);
          await server.stop();
          continue;
        }
        await zk.close();
        await server.stop();
        const again = await startServerOn(spec, cleanup);
        const check = await Zk.connect(again.port);
        const after = await check.getDataOrNull('/after-cut');
        const t = await walkTree(check, '/t');
        await check.close();
        await again.stop();
        if (after?.data?.toString() !== 'newer' || after.stat.version !== 1) failures.push(`${where}: /after-cut after a restart is ${JSON.stringify(after?.data?.toString() ?? null)}`);
        if (JSON.stringify(treeObject(t)) !== JSON.stringify(treeObject(served.tree))) failures.push(`${where}: /t changed across the restart`);
      } catch (error) {
        failures.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it.skipIf(!javaZooKeeperAvailable())('ZooKeeper 3.8 recovers the same prefix from the same cut copies', async () => {
    const tail = source.entries.slice(source.firstCut);
    const bigCreate = tail.find((e) => e.end - e.offset > 700) as ParsedEntry;
    const failures: string[] = [];
    for (const zeros of [false, true]) {
      const cut = bigCreate.offset + 300;
      const where = `cut at ${String(cut)}${zeros ? ', zeros after' : ', shorter file'}`;
      try {
        const java = await nodesUnderT('java', await cutCopy(`java-java-${String(zeros)}`, cut, zeros));
        if (JSON.stringify(java.lastNodes) !== JSON.stringify(expectedLastNodes(completeBefore(cut)))) failures.push(`${where}: Java serves ${java.lastNodes.join(',')}`);
        const ours = await nodesUnderT('ours', await cutCopy(`java-ours-${String(zeros)}`, cut, zeros));
        if (JSON.stringify(treeObject(ours.tree)) !== JSON.stringify(treeObject(java.tree))) failures.push(`${where}: ours and Java serve different trees under /t`);
      } catch (error) {
        failures.push(`${where}: ${error instanceof Error ? error.message.split('\n').filter((l) => !l.includes('"level":30')).join(' ') : String(error)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
