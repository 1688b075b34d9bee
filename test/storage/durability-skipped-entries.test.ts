// Log entries at or before the snapshot's zxid: recovery skips them (the snapshot holds their
// effect) after the checksum and a cheap TxnHeader check, without decoding them in full. An entry
// whose checksum is valid but which fails that check (a type no decoder reads, a TxnHeader cut
// short, a zxid that goes back) is warned about with file and offset, and recovery goes on. After
// the snapshot's zxid the same entry is corruption, refused as before.
//
// ZooKeeper 3.8 decodes these entries while it seeks to the snapshot's zxid in the file holding it,
// and refuses to start on the first it cannot read ("Unsupported Txn with type"); the last test
// pins that difference down.

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logging/logger.js';
import { recover, type RecoveredState } from '../../src/storage/recovery.js';
import { encodeTxn, type Txn } from '../../src/txn/txn.js';
import { javaZooKeeperAvailable } from '../support/java-zookeeper.js';
import { Cleanup, fingerprintDir, runExpectingExit, startServerOn, Zk } from './durability-helpers.js';
import { createTxn, createTxns, recordingLogger, versionDirectory, withType, writeLogFile, writeSnapshotOf, type LoggedLine, type WrittenLog } from './synthetic-logs.js';

const cleanup = new Cleanup();
afterAll(async () => {
  await cleanup.run();
});

const UNKNOWN_TYPE = 999;
/** /a-1 .. /a-15 in log.1; the snapshot is at 0xa. */
const TXNS = createTxns(0, 1, 15, 'a');
const SNAPSHOT_AT = 10;

/**
 * log.1 with TXNS, entry i (0-based) replaced by replacements[i], and a snapshot at 0xa of the
 * txns that were not replaced.
 */
async function dataDir(replacements: ReadonlyMap<number, Buffer>): Promise<{ base: string; directory: string; log: WrittenLog }> {
  const base = await cleanup.tempDir('durability-skipped-entries');
  const directory = await versionDirectory(base);
  const log = await writeLogFile(
    directory,
    TXNS.map((txn, i) => replacements.get(i) ?? txn),
  );
  await writeSnapshotOf(
    directory,
    TXNS.slice(0, SNAPSHOT_AT).filter((_, i) => !replacements.has(i)),
  );
  return { base, directory, log };
}

function recoverFrom(directory: string, logger = silentLogger): Promise<RecoveredState> {
  return recover({ snapDirectory: directory, logDirectory: directory, extendedTypesEnabled: false }, logger);
}

function warningsAbout(lines: readonly LoggedLine[], file: string): LoggedLine[] {
  return lines.filter((l) => l.level === 'warn' && String(l.fields['file']).endsWith(`/${file}`));
}

/** A txn's bytes cut after `length` bytes (the TxnHeader is 32), still checksummed as a whole entry. */
function cut(txn: Txn, length: number): Buffer {
  return encodeTxn(txn).subarray(0, length);
}

describe('entries before the snapshot zxid that do not decode', () => {
  it('a bad type: recovery goes on, one warning per file names it with its offset and counts the others', async () => {
    const { directory, log } = await dataDir(
      new Map([
        [4, withType(TXNS[4] as Txn, UNKNOWN_TYPE)],
        [7, withType(TXNS[7] as Txn, UNKNOWN_TYPE)],
      ]),
    );
    const before = await fingerprintDir(directory);
    const { logger, lines } = recordingLogger();
    const state = await recoverFrom(directory, logger);
    expect(state.lastZxid).toBe(15n);
    expect(state.txnsReplayed).toBe(5);
    expect(state.tree.getNode('/a-15')).toBeDefined();
    const warnings = warningsAbout(lines, 'log.1');
    expect(warnings).toHaveLength(1);
    const warning = warnings[0] as LoggedLine;
    expect(warning.fields).toMatchObject({ offset: log.offsets[4], zxid: '0x5', reason: `unknown txn type ${String(UNKNOWN_TYPE)}`, badEntries: 2 });
    expect(warning.message).toContain(`log.1: entry at offset ${String(log.offsets[4])}`);
    expect(await fingerprintDir(directory)).toEqual(before);
  });

  it('a TxnHeader cut short, and a zxid that goes back: warned about too', async () => {
    const short = await dataDir(new Map([[2, cut(TXNS[2] as Txn, 24)]]));
    const { logger, lines } = recordingLogger();
    expect((await recoverFrom(short.directory, logger)).lastZxid).toBe(15n);
    expect(warningsAbout(lines, 'log.1')[0]?.fields).toMatchObject({ offset: short.log.offsets[2], reason: 'txn of 24 bytes is shorter than a TxnHeader' });

    const back = await dataDir(new Map([[6, encodeTxn(createTxn(3n, '/a-7'))]]));
    const recorded = recordingLogger();
    expect((await recoverFrom(back.directory, recorded.logger)).lastZxid).toBe(15n);
    expect(warningsAbout(recorded.lines, 'log.1')[0]?.fields).toMatchObject({ offset: back.log.offsets[6], reason: 'zxid 0x3 does not increase (after 0x6)' });
  });

  it('well-formed entries before the snapshot give no warning', async () => {
    const { directory } = await dataDir(new Map());
    const { logger, lines } = recordingLogger();
    expect((await recoverFrom(directory, logger)).txnsReplayed).toBe(5);
    expect(lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });

  it('the same bad type after the snapshot zxid is still corruption: refused with file and offset', async () => {
    const { directory, log } = await dataDir(new Map([[11, withType(TXNS[11] as Txn, UNKNOWN_TYPE)]]));
    await expect(recoverFrom(directory)).rejects.toThrow(
      new RegExp(`log\\.1: entry at offset ${String(log.offsets[11])} does not decode: unknown txn type ${String(UNKNOWN_TYPE)}`),
    );
  });
});

describe('the real servers on a log with a bad entry before the snapshot', () => {
  const badEntry = (): Map<number, Buffer> => new Map([[4, withType(TXNS[4] as Txn, UNKNOWN_TYPE)]]);

  it('ours starts, serves the txns after the snapshot, and its log names the file and offset', async () => {
    const { base, log } = await dataDir(badEntry());
    const server = await startServerOn({ kind: 'ours', dataDir: base, workDir: base }, cleanup);
    const zk = await Zk.connect(server.port);
    expect((await zk.getData('/a-15')).data?.toString()).toBe('/a-15');
    await zk.close();
    await server.stop();
    const line = server.readLog().split('\n').find((l) => l.includes('fails the header check'));
    expect(line, server.readLog()).toBeDefined();
    expect(line).toContain(join('version-2', 'log.1'));
    expect(line).toContain(`offset ${String(log.offsets[4])}`);
  });

  it.skipIf(!javaZooKeeperAvailable())('ZooKeeper 3.8 refuses the same files (we only warn, on purpose)', async () => {
    const { base } = await dataDir(badEntry());
    const result = await runExpectingExit({ kind: 'java', dataDir: base, workDir: base }, cleanup, 60_000);
    expect(result.timedOut).toBe(false);
    expect(result.served).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.log).toContain(`Unsupported Txn with type=%d${String(UNKNOWN_TYPE)}`);
  });
});
