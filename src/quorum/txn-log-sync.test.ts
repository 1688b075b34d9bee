// The leader's txn-log read for a learner's sync: which logged txns it may use (3.8's rules and
// the hole rule), and 3.8's size limit over real log files.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFileHeader, encodeLogEntry, logFileName, snapshotFileName, TXNLOG_MAGIC } from '../storage/txn-log-format.js';
import { zxidOf } from '../zab/effects.js';
import { readTxnsForSync, snapshotSizeFactorOf, txnLogSyncRange } from './txn-log-sync.js';

const z = (epoch: number, counter: number): bigint => zxidOf(BigInt(epoch), BigInt(counter));
const at = (...zxids: bigint[]): { zxid: bigint }[] => zxids.map((zxid) => ({ zxid }));

describe('txnLogSyncRange', () => {
  it('starts at the last txn at or before the learner and ends at the zxid asked for', () => {
    expect(txnLogSyncRange(at(z(1, 1), z(1, 2), z(1, 3), z(1, 4), z(1, 5)), [0n], z(1, 2), z(1, 4))).toEqual({ kind: 'range', from: 1, to: 4 });
    // A learner at the start of epoch 2: the last txn of epoch 1 goes first, then epoch 2's.
    expect(txnLogSyncRange(at(z(1, 1), z(1, 2), z(2, 1), z(2, 2)), [0n], z(2, 0), z(2, 2))).toEqual({ kind: 'range', from: 1, to: 4 });
  });

  it('refuses a log that does not reach back, ends early, or has a hole', () => {
    expect(txnLogSyncRange(at(z(1, 3), z(1, 4)), [], z(1, 2), z(1, 4))).toMatchObject({ kind: 'unavailable', reason: 'the txn log does not reach back to 0x100000002' });
    expect(txnLogSyncRange(at(z(1, 1), z(1, 2)), [], z(1, 1), z(1, 4))).toMatchObject({ kind: 'unavailable', reason: 'the txn log ends at 0x100000002, before 0x100000004' });
    expect(txnLogSyncRange(at(z(1, 1), z(1, 2), z(1, 5)), [], z(1, 1), z(1, 5))).toMatchObject({ kind: 'unavailable', reason: 'the txn log has a gap between 0x100000002 and 0x100000005' });
  });

  it('refuses a hole a SNAP sync left across an epoch (its sync snapshot lies inside), and a learner older than every snapshot', () => {
    // Logged 1:1..1:2, got a SNAP at 1:8, then logged epoch 2: 1:2 -> 2:1 looks like the next zxid.
    expect(txnLogSyncRange(at(z(1, 1), z(1, 2), z(2, 1)), [0n, z(1, 8)], z(1, 1), z(2, 1))).toMatchObject({
      kind: 'unavailable',
      reason: 'snapshot 0x100000008 lies between 0x100000002 and 0x200000001 in the txn log',
    });
    // The snapshot that would mark such a hole may be purged if it is older than the oldest left.
    expect(txnLogSyncRange(at(z(1, 1), z(1, 2), z(1, 3)), [z(1, 2)], z(1, 1), z(1, 3))).toMatchObject({ kind: 'unavailable', reason: '0x100000001 is older than the oldest snapshot, 0x100000002' });
  });
});

describe('snapshotSizeFactorOf', () => {
  it('reads zookeeper.snapshotSizeFactor as 3.8 does', () => {
    expect(snapshotSizeFactorOf(undefined)).toBe(0.33);
    expect(snapshotSizeFactorOf('0.5')).toBe(0.5);
    expect(snapshotSizeFactorOf('-1')).toBe(-1);
    expect(snapshotSizeFactorOf('2')).toBe(0.33);
    expect(snapshotSizeFactorOf('x')).toBe(0.33);
  });
});

describe('readTxnsForSync over log files', () => {
  let dir = '';
  afterEach(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
    dir = '';
  });

  /** A TxnHeader (clientId, cxid, zxid, time, type) and a few body bytes: all the reader looks at. */
  function txnBytes(zxid: bigint): Buffer {
    const bytes = Buffer.alloc(36);
    bytes.writeBigInt64BE(0x1234n, 0);
    bytes.writeInt32BE(1, 8);
    bytes.writeBigInt64BE(zxid, 12);
    bytes.writeBigInt64BE(0n, 20);
    bytes.writeInt32BE(1, 28);
    return bytes;
  }

  async function logFile(zxids: readonly bigint[], padTo = 0): Promise<void> {
    const parts = [encodeFileHeader(TXNLOG_MAGIC), ...zxids.map((zxid) => encodeLogEntry(txnBytes(zxid)))];
    const body = Buffer.concat(parts);
    await writeFile(join(dir, logFileName(zxids[0] as bigint)), padTo > body.length ? Buffer.concat([body, Buffer.alloc(padTo - body.length)]) : body);
  }

  async function snapshot(zxid: bigint, bytes: number): Promise<void> {
    // Ends as a whole snapshot does (an int 1 and '/'), so the size rule takes it.
    const file = Buffer.alloc(bytes);
    file.writeInt32BE(1, bytes - 5);
    file[bytes - 1] = 0x2f;
    await writeFile(join(dir, snapshotFileName(zxid)), file);
  }

  it('reads across files while the files after the first stay under the limit, and refuses beyond it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'zk-txn-log-sync-'));
    await snapshot(0n, 3000);
    await logFile([z(1, 1), z(1, 2), z(1, 3)], 4096);
    await logFile([z(1, 4), z(1, 5)], 512);
    const options = { snapDirectory: dir, logDirectory: dir, snapshotSizeFactor: 0.33 };
    const read = await readTxnsForSync(options, z(1, 2), z(1, 5));
    expect(read.kind === 'proposals' ? read.proposals.map((p) => p.zxid) : read).toEqual([z(1, 2), z(1, 3), z(1, 4), z(1, 5)]);
    expect(read).toMatchObject({ logBytes: 512, sizeLimit: 990 });
    // A bigger second file: 3.8 counts every file after the one the read starts in.
    await logFile([z(1, 4), z(1, 5)], 4096);
    expect(await readTxnsForSync(options, z(1, 2), z(1, 5))).toEqual({ kind: 'unavailable', reason: 'txn log size 4096 exceeds sizeLimit 990' });
    // A read that starts in the last file (the newest named before the learner's zxid) counts nothing.
    expect((await readTxnsForSync(options, z(1, 4), z(1, 5))).kind).toBe('unavailable');
    expect((await readTxnsForSync(options, z(1, 5), z(1, 5))).kind).toBe('proposals');
    expect(await readTxnsForSync({ ...options, snapshotSizeFactor: -1 }, z(1, 4), z(1, 5))).toMatchObject({ kind: 'unavailable' });
  });
});
