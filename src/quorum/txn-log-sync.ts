// The leader's txn-log read for a learner older than its in-memory committed log (3.8's
// ZKDatabase.getProposalsFromTxnLog with calculateTxnLogSizeLimit). The leader core asks for the
// committed txns after the learner's zxid up to the committed log's start; this module finds them
// in the log files with storage's own reader (scanLog), or says why the log cannot serve them, in
// which case the learner gets a snapshot.
//
// 3.8's rules: the log must reach back to the learner's zxid (the first txn of the file it starts
// from is at or before it), and the log files after that one must not exceed the newest
// snapshot's size times zookeeper.snapshotSizeFactor (0.33; a limit of 0, from an empty or missing
// snapshot, is no limit; a negative factor turns txn-log sync off and the core never asks).
//
// One rule more than 3.8: the txns handed back must be the whole history between the two zxids.
// A SNAP sync leaves a hole in a member's log (the txns it got inside the leader's snapshot),
// whose far side can still look like the next zxid when it starts a new epoch; such a hole always
// has the sync snapshot strictly inside it. So a range is refused when two consecutive txns do not
// follow each other, or a snapshot lies strictly between them, and, because purge deletes the
// oldest snapshots first, when the learner is older than the oldest snapshot left (a hole there
// may have lost the snapshot that marks it).

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { JuteReader, readTxnHeader } from '../jute/index.js';
import { snapshotLooksValid } from '../storage/purge.js';
import { isNextZxid, listFiles } from '../storage/recovery.js';
import { scanLog } from '../storage/txn-log-format.js';
import { hex } from '../zab/effects.js';

/** 3.8's ZKDatabase.DEFAULT_SNAPSHOT_SIZE_FACTOR. */
export const DEFAULT_SNAPSHOT_SIZE_FACTOR = 0.33;

/** zookeeper.snapshotSizeFactor as 3.8 reads it: unparsable or above 1 is the default. */
export function snapshotSizeFactorOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_SNAPSHOT_SIZE_FACTOR;
  const trimmed = value.trim();
  const factor = trimmed === '' ? Number.NaN : Number(trimmed);
  if (!Number.isFinite(factor) || factor > 1) return DEFAULT_SNAPSHOT_SIZE_FACTOR;
  return factor;
}

export interface LoggedTxn {
  readonly zxid: bigint;
  readonly txn: Buffer;
}

export type TxnLogRange = { readonly kind: 'range'; readonly from: number; readonly to: number } | { readonly kind: 'unavailable'; readonly reason: string };

/**
 * Which of `entries` (the log in file order, from the file the read starts at) a sync after
 * `afterZxid` up to `upToZxid` may use: [from, to) starts at the last txn at or before afterZxid
 * (the core needs it to place a TRUNC) and ends at upToZxid. Pure, so the simulator applies the
 * same rules to its disk model.
 */
export function txnLogSyncRange(entries: readonly { readonly zxid: bigint }[], snapshotZxids: readonly bigint[], afterZxid: bigint, upToZxid: bigint): TxnLogRange {
  let from = -1;
  for (let i = 0; i < entries.length; i++) {
    if ((entries[i] as { zxid: bigint }).zxid > afterZxid) break;
    from = i;
  }
  if (from < 0) return { kind: 'unavailable', reason: `the txn log does not reach back to ${hex(afterZxid)}` };
  let oldestSnapshot: bigint | null = null;
  for (const zxid of snapshotZxids) if (oldestSnapshot === null || zxid < oldestSnapshot) oldestSnapshot = zxid;
  if (oldestSnapshot !== null && afterZxid < oldestSnapshot) {
    return { kind: 'unavailable', reason: `${hex(afterZxid)} is older than the oldest snapshot, ${hex(oldestSnapshot)}` };
  }
  let previous = (entries[from] as { zxid: bigint }).zxid;
  let to = from + 1;
  for (; to < entries.length; to++) {
    const zxid = (entries[to] as { zxid: bigint }).zxid;
    if (zxid > upToZxid) break;
    // A txn a later file repeats (recovery skips it the same way).
    if (zxid <= previous) return { kind: 'unavailable', reason: `${hex(zxid)} follows ${hex(previous)} in the txn log` };
    if (!isNextZxid(previous, zxid)) return { kind: 'unavailable', reason: `the txn log has a gap between ${hex(previous)} and ${hex(zxid)}` };
    const inside = snapshotZxids.find((s) => s > previous && s < zxid);
    if (inside !== undefined) return { kind: 'unavailable', reason: `snapshot ${hex(inside)} lies between ${hex(previous)} and ${hex(zxid)} in the txn log` };
    previous = zxid;
  }
  if (previous < upToZxid) return { kind: 'unavailable', reason: `the txn log ends at ${hex(previous)}, before ${hex(upToZxid)}` };
  return { kind: 'range', from, to };
}

export interface TxnLogSyncOptions {
  /** dataDir/version-2 */
  readonly snapDirectory: string;
  /** dataLogDir/version-2 */
  readonly logDirectory: string;
  readonly snapshotSizeFactor: number;
}

export type TxnLogRead =
  | { readonly kind: 'proposals'; readonly proposals: LoggedTxn[]; readonly logBytes: number; readonly sizeLimit: number }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** ZKDatabase.calculateTxnLogSizeLimit: the newest snapshot that looks whole, times the factor. */
async function txnLogSizeLimit(snapDirectory: string, factor: number, snapshots: readonly { name: string }[]): Promise<number> {
  for (let i = snapshots.length - 1; i >= 0; i--) {
    const name = (snapshots[i] as { name: string }).name;
    const path = join(snapDirectory, name);
    if (!(await snapshotLooksValid(path, name))) continue;
    // Java's (long) cast of the product truncates toward zero.
    return Math.trunc((await stat(path)).size * factor);
  }
  return 0;
}

/** The committed txns after `afterZxid` up to `upToZxid` from the txn log, by 3.8's rules and ours (above). */
export async function readTxnsForSync(options: TxnLogSyncOptions, afterZxid: bigint, upToZxid: bigint): Promise<TxnLogRead> {
  if (options.snapshotSizeFactor < 0) return { kind: 'unavailable', reason: 'txn-log sync is off (zookeeper.snapshotSizeFactor < 0)' };
  const logs = await listFiles(options.logDirectory, 'log');
  if (logs.length === 0) return { kind: 'unavailable', reason: 'no txn log files' };
  // FileTxnIterator: the newest file named before the zxid (it may hold it), else the oldest one.
  let start = 0;
  for (let i = 0; i < logs.length; i++) if ((logs[i] as { zxid: bigint }).zxid < afterZxid) start = i;
  const snapshots = await listFiles(options.snapDirectory, 'snapshot');
  const sizeLimit = await txnLogSizeLimit(options.snapDirectory, options.snapshotSizeFactor, snapshots);
  // FileTxnIterator.getStorageSize: the files after the one it starts in (3.8 counts that one out).
  let logBytes = 0;
  for (const file of logs.slice(start + 1)) logBytes += (await stat(join(options.logDirectory, file.name))).size;
  if (sizeLimit > 0 && logBytes > sizeLimit) return { kind: 'unavailable', reason: `txn log size ${logBytes} exceeds sizeLimit ${sizeLimit}` };

  const entries: LoggedTxn[] = [];
  read: for (const file of logs.slice(start)) {
    const scan = scanLog(await readFile(join(options.logDirectory, file.name)), 0x7ffffff0);
    if ('headerError' in scan) break;
    for (const entry of scan.entries) {
      const zxid = readTxnHeader(new JuteReader(entry.txnBytes, { maxBufferBytes: 0x7ffffff0 })).zxid;
      entries.push({ zxid, txn: entry.txnBytes });
      if (zxid >= upToZxid) break read;
    }
    // Damage ends what can be read; whether that is enough is the range's to say.
    if (scan.end.kind !== 'end') break;
  }
  const range = txnLogSyncRange(entries, snapshots.map((s) => s.zxid), afterZxid, upToZxid);
  if (range.kind === 'unavailable') return range;
  // Copies: the file buffers (64 MiB with preallocation) are not kept alive by a few txns.
  const proposals = entries.slice(range.from, range.to).map((e) => ({ zxid: e.zxid, txn: Buffer.from(e.txn) }));
  return { kind: 'proposals', proposals, logBytes, sizeLimit };
}
