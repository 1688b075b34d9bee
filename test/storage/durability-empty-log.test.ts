// A txn log file that was never written (empty, cut inside its header, or only zeros: a SIGKILL or
// power loss right after a log roll) followed by newer log files, as a server that was restarted
// and went on leaves it. Recovery treats it as holding no txns wherever it lies, keeps it as it is,
// and still refuses what is damage: a zeroed header with entries behind it, a damaged entry with
// more data after it, or a gap in the zxids around the empty file.
//
// ZooKeeper 3.8 refuses to start on these directories (FileTxnIterator reads the header of every
// file from the one holding the snapshot's zxid on: EOFException, or "invalid magic number"); we
// start, on purpose, and the last test pins that difference down.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logging/logger.js';
import { recover, RecoveryError, type RecoveredState } from '../../src/storage/recovery.js';
import { encodeFileHeader, TXNLOG_MAGIC } from '../../src/storage/txn-log-format.js';
import type { Txn } from '../../src/txn/txn.js';
import { javaZooKeeperAvailable } from '../support/java-zookeeper.js';
import { Cleanup, connectSuper, fingerprintDir, runExpectingExit, startServerOn, Zk, type FileFingerprint, type ServerSpec } from './durability-helpers.js';
import { createTxns, recordingLogger, versionDirectory, writeLogFile, writeSnapshotOf, zxidOf } from './synthetic-logs.js';

const cleanup = new Cleanup();
afterAll(async () => {
  await cleanup.run();
});

/** What a crash can leave of a new log file before its first entry. */
const NEVER_WRITTEN: Record<string, () => Buffer> = {
  '0 bytes': () => Buffer.alloc(0),
  'cut inside its header': () => encodeFileHeader(TXNLOG_MAGIC).subarray(0, 10),
  'preallocated, all zeros': () => Buffer.alloc(64 * 1024),
};

/** Epoch 0: creates /a-1../a-10 in log.1; epoch 1: creates /b-1../b-5 in log.100000001. */
const EPOCH0 = createTxns(0, 1, 10, 'a');
const EPOCH1 = createTxns(1, 1, 5, 'b');
/** log.b: the file a roll at 0xb created before the crash; the restarted server went on in epoch 1. */
const EMPTY_LOG = 'log.b';

interface Layout {
  readonly base: string;
  readonly directory: string;
}

/** log.1, the never-written log.b, log.100000001 and (when `snapshotAt` is given) a snapshot of epoch 0 up to it. */
async function layout(emptyBytes: Buffer, snapshotAt: number | null): Promise<Layout> {
  const base = await cleanup.tempDir('durability-empty-log');
  const directory = await versionDirectory(base);
  await writeLogFile(directory, EPOCH0);
  await writeFile(join(directory, EMPTY_LOG), emptyBytes);
  await writeLogFile(directory, EPOCH1);
  if (snapshotAt !== null) await writeSnapshotOf(directory, EPOCH0.slice(0, snapshotAt));
  return { base, directory };
}

function recoverFrom(directory: string, logger = silentLogger): Promise<RecoveredState> {
  return recover({ snapDirectory: directory, logDirectory: directory, extendedTypesEnabled: false }, logger);
}

function expectAllTxns(state: RecoveredState): void {
  expect(state.lastZxid).toBe(zxidOf(1, 5));
  const paths = [...state.tree.paths()].filter((p) => /^\/[ab]-\d+$/.test(p)).sort();
  const expected = [...EPOCH0, ...EPOCH1].map((t: Txn) => (t.body.kind === 'create' ? t.body.record.path : '')).sort();
  expect(paths).toEqual(expected);
}

/** Every file that was there is still there, byte for byte (new files are allowed). */
function expectKept(before: Record<string, FileFingerprint>, after: Record<string, FileFingerprint>): void {
  const changed = Object.keys(before).filter((name) => after[name]?.sha256 !== before[name]?.sha256);
  expect(changed.map((name) => `${name} ${after[name] === undefined ? 'deleted' : 'modified'}`)).toEqual([]);
}

describe('a never-written txn log file older than the newest log', () => {
  for (const [kind, bytes] of Object.entries(NEVER_WRITTEN)) {
    it(`snapshot + ${kind} older log + newer log: every txn recovered, the file kept, a warning names it`, async () => {
      // The snapshot is at 0x6: log.1 is partly replayed, then log.b, then the newer epoch.
      const { directory } = await layout(bytes(), 6);
      const before = await fingerprintDir(directory);
      const { logger, lines } = recordingLogger();
      const state = await recoverFrom(directory, logger);
      expectAllTxns(state);
      expect(state.snapshotZxid).toBe(6n);
      expect(state.txnsReplayed).toBe(4 + 5);
      expect(lines.some((l) => l.level === 'warn' && String(l.fields['file']).endsWith(`/${EMPTY_LOG}`))).toBe(true);
      expect(await fingerprintDir(directory)).toEqual(before);
    });
  }

  it('no snapshot + an empty log between two logs whose txns follow each other: starts with every txn', async () => {
    const { directory } = await layout(Buffer.alloc(0), null);
    const before = await fingerprintDir(directory);
    const state = await recoverFrom(directory);
    expectAllTxns(state);
    expect(state.snapshotZxid).toBeNull();
    expect(state.txnsReplayed).toBe(15);
    expect(await fingerprintDir(directory)).toEqual(before);
  });

  it('an empty log does not hide a gap: txns missing after it are still refused', async () => {
    const base = await cleanup.tempDir('durability-empty-log-gap');
    const directory = await versionDirectory(base);
    await writeLogFile(directory, EPOCH0);
    await writeFile(join(directory, EMPTY_LOG), Buffer.alloc(0));
    // 0xb and 0xc are missing: the next file starts at 0xd in the same epoch.
    await writeLogFile(directory, createTxns(0, 13, 15, 'c'));
    await writeSnapshotOf(directory, EPOCH0.slice(0, 6));
    await expect(recoverFrom(directory)).rejects.toThrow(/log\.d: zxid 0xd at offset 16 does not follow 0xa; txns are missing/);
  });

  it('a zeroed header with entries behind it is damage, not an empty file: refused, file named, nothing changed', async () => {
    const { directory } = await layout(Buffer.alloc(0), 6);
    // log.1 is needed (the snapshot is inside it) and its header is gone, its entries are not.
    const path = join(directory, 'log.1');
    const bytes = await readFile(path);
    bytes.fill(0, 0, 16);
    await writeFile(path, bytes);
    const before = await fingerprintDir(directory);
    const error = await recoverFrom(directory).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RecoveryError);
    expect(String((error as Error).message)).toMatch(/log\.1 is unreadable: bad magic 0x0 .*\(offset 0\)/);
    expect(await fingerprintDir(directory)).toEqual(before);
  });

  it('a damaged entry in the middle of an older log is still refused with file and offset', async () => {
    const base = await cleanup.tempDir('durability-empty-log-damage');
    const directory = await versionDirectory(base);
    const log1 = await writeLogFile(directory, EPOCH0);
    await writeFile(join(directory, EMPTY_LOG), Buffer.alloc(0));
    await writeLogFile(directory, EPOCH1);
    await writeSnapshotOf(directory, EPOCH0.slice(0, 2));
    const offset = log1.offsets[5] as number;
    const path = join(directory, log1.name);
    const bytes = await readFile(path);
    bytes[offset + 20] = (bytes[offset + 20] as number) ^ 0x10;
    await writeFile(path, bytes);
    await expect(recoverFrom(directory)).rejects.toThrow(new RegExp(`log\\.1 is corrupt at offset ${String(offset)}: checksum mismatch, and more data follows it`));
  });
});

describe('the real servers on a data directory with a never-written older log', () => {
  it('ours starts, serves every node, takes writes, starts again after them, and keeps the empty file', async () => {
    const { base, directory } = await layout(Buffer.alloc(64 * 1024), 6);
    const before = await fingerprintDir(directory);
    const spec: ServerSpec = { kind: 'ours', dataDir: base, workDir: base };
    let server = await startServerOn(spec, cleanup);
    const zk = await Zk.connect(server.port);
    expect((await zk.getChildren('/')).filter((c) => /^[ab]-/.test(c))).toHaveLength(15);
    await zk.create('/after', 'written after the restart');
    await zk.close();
    await server.stop();
    expect(server.readLog()).toContain(EMPTY_LOG);

    // Now the newest log is one this server wrote; log.b is further back and still read.
    server = await startServerOn(spec, cleanup);
    const walker = await connectSuper(server.port);
    const children = await walker.getChildren('/');
    expect(children.filter((c) => /^[ab]-/.test(c))).toHaveLength(15);
    expect((await walker.getData('/after')).data?.toString()).toBe('written after the restart');
    await walker.close();
    await server.stop();
    expectKept(before, await fingerprintDir(directory));
  });

  it.skipIf(!javaZooKeeperAvailable())('ZooKeeper 3.8 refuses the same files (we are more tolerant on purpose)', async () => {
    const { base } = await layout(Buffer.alloc(64 * 1024), 6);
    const result = await runExpectingExit({ kind: 'java', dataDir: base, workDir: base }, cleanup, 60_000);
    expect(result.timedOut).toBe(false);
    expect(result.served).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.log).toMatch(/Transaction log: .*log\.b has invalid magic number 0/);
  });
});
