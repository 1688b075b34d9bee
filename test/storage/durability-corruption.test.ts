// Corruption: bits flipped in snapshots and in txn logs of a data directory our server wrote.
// - a corrupt newest snapshot, with an older snapshot and the logs covering the gap: recovery falls
//   back and the tree is complete (as ZooKeeper 3.8 does on the same files);
// - a corrupt old log that no recovery needs: the server starts with the complete tree;
// - a corrupt snapshot with nothing to fall back on, a checksum error in a log that is needed, or in
//   the middle of the last log: the server refuses to start (non-zero exit) naming file and offset;
// - in every case no file is deleted or modified (listings and checksums compared before/after).

import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logging/logger.js';
import { recover } from '../../src/storage/recovery.js';
import { javaZooKeeperAvailable } from '../support/java-zookeeper.js';
import {
  Cleanup,
  connectSuper,
  copyDir,
  fingerprintDir,
  listZxidFiles,
  parseLogEntries,
  runExpectingExit,
  startServerOn,
  treeObject,
  treeView,
  walkTree,
  Zk,
  type FileFingerprint,
  type NodeView,
  type ParsedEntry,
  type ServerKind,
  type ServerSpec,
} from './durability-helpers.js';

const cleanup = new Cleanup();
afterAll(async () => {
  await cleanup.run();
});

interface Original {
  readonly dir: string;
  /** The complete tree as the server served it before its last stop. */
  readonly tree: Map<string, NodeView>;
  readonly snapshots: { name: string; zxid: bigint }[];
  readonly logs: { name: string; zxid: bigint }[];
}

let original: Original;

/** dataDir and dataLogDir of a copy live in `<dir>/data/version-2` and `<dir>/logs/version-2`. */
function specOf(dir: string, kind: ServerKind = 'ours'): ServerSpec {
  return { kind, dataDir: join(dir, 'data'), dataLogDir: join(dir, 'logs'), workDir: dir };
}
const snapDir = (dir: string): string => join(dir, 'data', 'version-2');
const logDir = (dir: string): string => join(dir, 'logs', 'version-2');

beforeAll(async () => {
  const dir = await cleanup.tempDir('durability-corruption');
  // Small preallocation (KiB) so that copying the directory for each case is cheap.
  const spec = { ...specOf(dir), extraCfg: { snapCount: '20', preAllocSize: '64' } };
  // Run 1: enough txns for several log rolls and background snapshots.
  let server = await startServerOn(spec, cleanup);
  let zk = await Zk.connect(server.port);
  await zk.create('/c', 'corruption');
  for (let i = 0; i < 60; i++) await zk.create(`/c/n-${String(i)}`, `node ${String(i)} `.repeat(1 + (i % 5)));
  for (let i = 0; i < 60; i++) await zk.setData(`/c/n-${String(i % 7)}`, `update ${String(i)}`);
  // The log holding the txn after the last background snapshot is the one the fallback case
  // damages in its middle: logs roll and snapshots fall at random counts, so write on until that
  // log, as it is now, holds a few entries.
  for (let i = 0; i < 200; i++) {
    const last = (await listZxidFiles(snapDir(dir), 'snapshot')).at(-1);
    const holding = last === undefined ? undefined : (await listZxidFiles(logDir(dir), 'log')).filter((l) => l.zxid <= last.zxid + 1n).at(-1);
    if (holding !== undefined && parseLogEntries(await readFile(join(logDir(dir), holding.name))).length >= 4) break;
    await zk.setData('/c/n-0', `filler ${String(i)}`);
  }
  await zk.close();
  await server.stop();
  // Run 2: its start snapshot is the newest; a few txns (fewer than a roll) follow it in a new log.
  server = await startServerOn(spec, cleanup);
  zk = await Zk.connect(server.port);
  await zk.create('/c/last', 'after the newest snapshot');
  await zk.setData('/c/last', 'after the newest snapshot, v1');
  const walker = await connectSuper(server.port);
  await zk.close();
  const tree = await walkTree(walker);
  await walker.close();
  await server.stop();
  const snapshots = await listZxidFiles(snapDir(dir), 'snapshot');
  const logs = await listZxidFiles(logDir(dir), 'log');
  expect(snapshots.length).toBeGreaterThanOrEqual(4);
  expect(logs.length).toBeGreaterThanOrEqual(4);
  original = { dir, tree, snapshots, logs };
});

let copies = 0;
async function freshCopy(): Promise<string> {
  copies++;
  const dir = join(original.dir, `copy-${String(copies)}`);
  await copyDir(join(original.dir, 'data'), join(dir, 'data'));
  await copyDir(join(original.dir, 'logs'), join(dir, 'logs'));
  return dir;
}

async function flipBit(path: string, offset: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[offset] = (bytes[offset] as number) ^ 0x10;
  await writeFile(path, bytes);
}

const newest = <T>(list: readonly T[]): T => list[list.length - 1] as T;

/** Both directories of a copy, keyed `data/...` and `logs/...`. */
async function fingerprints(dir: string): Promise<Record<string, FileFingerprint>> {
  const data = await fingerprintDir(join(dir, 'data'));
  const logs = await fingerprintDir(join(dir, 'logs'));
  return {
    ...Object.fromEntries(Object.entries(data).map(([k, v]) => [`data/${k}`, v])),
    ...Object.fromEntries(Object.entries(logs).map(([k, v]) => [`logs/${k}`, v])),
  };
}

/** Every file that existed before is still there with the same content (new files are allowed). */
function expectUnchanged(before: Record<string, FileFingerprint>, after: Record<string, FileFingerprint>): void {
  const changed = Object.keys(before).filter((name) => after[name]?.sha256 !== before[name]?.sha256);
  expect(changed.map((name) => `${name} ${after[name] === undefined ? 'deleted' : 'modified'}`)).toEqual([]);
}

async function servedTree(dir: string, kind: ServerKind = 'ours'): Promise<{ tree: Map<string, NodeView>; log: string }> {
  const server = await startServerOn(specOf(dir, kind), cleanup);
  const walker = await connectSuper(server.port);
  const tree = await walkTree(walker);
  await walker.close();
  await server.stop();
  return { tree, log: server.readLog() };
}

/** The server must refuse to start, say which file and where, and leave every file as it was. */
async function expectRefusal(dir: string, file: string, offsets: readonly number[] | null): Promise<string> {
  const before = await fingerprints(dir);
  const result = await runExpectingExit(specOf(dir), cleanup);
  expect(result.timedOut).toBe(false);
  expect(result.served).toBe(false);
  expect(result.code === null ? `signal ${String(result.signal)}` : result.code).not.toBe(0);
  const lines = result.log.split('\n').filter((line) => line.includes(file));
  expect(lines.length, `no output line names ${file}:\n${result.log}`).toBeGreaterThan(0);
  const offsetPattern = offsets === null ? /offset \d+/ : new RegExp(`offset (${offsets.map(String).join('|')})\\b`);
  expect(lines.some((line) => offsetPattern.test(line)), `no line names ${file} with ${String(offsetPattern)}:\n${result.log}`).toBe(true);
  if (process.env['DURABILITY_VERBOSE'] !== undefined) console.log(`exit ${String(result.code)}:\n${result.log}`);
  // Nothing deleted, modified or added.
  expect(await fingerprints(dir)).toEqual(before);
  return result.log;
}

/** A log entry in the middle of a file, and the offset of a payload byte to flip. */
async function middleEntry(path: string): Promise<{ entry: ParsedEntry; flipAt: number }> {
  const entries = parseLogEntries(await readFile(path));
  expect(entries.length).toBeGreaterThanOrEqual(3);
  const entry = entries[Math.floor(entries.length / 2)] as ParsedEntry;
  return { entry, flipAt: entry.offset + 12 + Math.floor((entry.end - entry.offset - 13) / 2) };
}

describe('bit flips in snapshots and txn logs', () => {
  it('a corrupt newest snapshot: falls back to an older one plus the logs, complete tree, files untouched', async () => {
    const dir = await freshCopy();
    const snap = newest(original.snapshots);
    const path = join(snapDir(dir), snap.name);
    const size = (await readFile(path)).length;
    await flipBit(path, Math.floor(size / 2));
    const before = await fingerprints(dir);
    const { tree, log } = await servedTree(dir);
    expect(treeObject(tree)).toEqual(treeObject(original.tree));
    expect(log).toContain(snap.name);
    expectUnchanged(before, await fingerprints(dir));
  });

  it.skipIf(!javaZooKeeperAvailable())('ZooKeeper 3.8 falls back the same way on the same files', async () => {
    const dir = await freshCopy();
    const snap = newest(original.snapshots);
    const path = join(snapDir(dir), snap.name);
    await flipBit(path, Math.floor((await readFile(path)).length / 2));
    const { tree } = await servedTree(dir, 'java');
    expect(treeObject(tree)).toEqual(treeObject(original.tree));
  });

  it('a bit flipped anywhere in the newest snapshot: recover() falls back with the complete tree', async () => {
    const dir = await freshCopy();
    const snap = newest(original.snapshots);
    const path = join(snapDir(dir), snap.name);
    const pristine = await readFile(path);
    const positions = new Set<number>([0, 3, 5, 9, 16, 19, 20, 27, 28, 35, 40, pristine.length - 14, pristine.length - 9, pristine.length - 5, pristine.length - 1]);
    for (let i = 1; i < 40; i++) positions.add(Math.floor((pristine.length * i) / 40));
    const failures: string[] = [];
    for (const position of [...positions].sort((a, b) => a - b)) {
      const bytes = Buffer.from(pristine);
      bytes[position] = (bytes[position] as number) ^ 0x10;
      await writeFile(path, bytes);
      try {
        const recovered = await recover({ snapDirectory: snapDir(dir), logDirectory: logDir(dir), extendedTypesEnabled: false }, silentLogger);
        if (recovered.snapshotFile === snap.name) failures.push(`byte ${String(position)}: the corrupt snapshot was used`);
        const view = treeView(recovered.tree);
        if (JSON.stringify(treeObject(view)) !== JSON.stringify(treeObject(original.tree))) failures.push(`byte ${String(position)}: the tree differs`);
      } catch (error) {
        failures.push(`byte ${String(position)}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('a corrupt old log no recovery needs: starts with the complete tree, the log untouched', async () => {
    const dir = await freshCopy();
    const oldest = original.logs[0] as { name: string };
    const { flipAt } = await middleEntry(join(logDir(dir), oldest.name));
    await flipBit(join(logDir(dir), oldest.name), flipAt);
    const before = await fingerprints(dir);
    const { tree } = await servedTree(dir);
    expect(treeObject(tree)).toEqual(treeObject(original.tree));
    expectUnchanged(before, await fingerprints(dir));
  });

  it('a corrupt snapshot with no older snapshot and logs to fall back on: refuses to start, names the file', async () => {
    const dir = await freshCopy();
    const snap = newest(original.snapshots);
    // As after a purge: only the newest snapshot and the logs it needs are left.
    for (const s of original.snapshots.slice(0, -1)) await rm(join(snapDir(dir), s.name));
    const needed = original.logs.filter((l) => l.zxid <= snap.zxid).at(-1) as { zxid: bigint };
    for (const l of original.logs.filter((x) => x.zxid < needed.zxid)) await rm(join(logDir(dir), l.name));
    const path = join(snapDir(dir), snap.name);
    await flipBit(path, Math.floor((await readFile(path)).length / 2));
    await expectRefusal(dir, snap.name, null);
  });

  it('a checksum error in a log the fallback needs: refuses to start, names the file and offset', async () => {
    const dir = await freshCopy();
    const snap = newest(original.snapshots);
    const snapPath = join(snapDir(dir), snap.name);
    await flipBit(snapPath, Math.floor((await readFile(snapPath)).length / 2));
    // The fallback snapshot is the one before; the log holding the txns after it is not the last log.
    const fallback = original.snapshots.at(-2) as { zxid: bigint };
    const log = original.logs.filter((l) => l.zxid <= fallback.zxid + 1n).at(-1) as { name: string };
    expect(log).not.toBe(newest(original.logs));
    const { entry, flipAt } = await middleEntry(join(logDir(dir), log.name));
    await flipBit(join(logDir(dir), log.name), flipAt);
    await expectRefusal(dir, log.name, [entry.offset, flipAt]);
  });

  it('a checksum error in the middle of the last log (entries follow it): refuses to start, names file and offset', async () => {
    const dir = await freshCopy();
    const last = newest(original.logs);
    const { entry, flipAt } = await middleEntry(join(logDir(dir), last.name));
    await flipBit(join(logDir(dir), last.name), flipAt);
    await expectRefusal(dir, last.name, [entry.offset, flipAt]);
  });

  it('a corrupt newest snapshot that nothing follows: falls back, and the corrupt file is kept', async () => {
    const dir = await freshCopy();
    // Without run 2's log the newest snapshot is at the last txn: the start snapshot would take its name.
    await rm(join(logDir(dir), newest(original.logs).name));
    const snap = newest(original.snapshots);
    const path = join(snapDir(dir), snap.name);
    await flipBit(path, Math.floor((await readFile(path)).length / 2));
    const corruptHash = createHash('sha256').update(await readFile(path)).digest('hex');
    const { tree } = await servedTree(dir);
    expect(tree.get('/c/n-0')).toEqual(original.tree.get('/c/n-0'));
    expect(tree.has('/c/last')).toBe(false);
    const after = await fingerprints(dir);
    expect(
      Object.values(after).some((f) => f.sha256 === corruptHash),
      `the corrupt ${snap.name} was overwritten or deleted; files now: ${Object.keys(after).join(', ')}`,
    ).toBe(true);
  });
});
