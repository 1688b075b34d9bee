// What a simulated peer keeps: the "tree" (the sequence of txns applied to it, with the zxid it
// claims to be at, as DataTree.lastProcessedZxid) and the disk (epoch files, the txn log with the
// state of each entry, snapshots). Recovery and the epoch-file checks mirror src/storage/recovery.ts
// and src/quorum/epoch-files.ts, so a restart in the simulation fails where the server would.

import { isNextZxid } from '../../src/storage/recovery.js';
import { hex } from '../../src/zab/effects.js';

export interface Applied {
  readonly zxid: bigint;
  readonly txn: string;
}

export interface TreeState {
  readonly txns: readonly Applied[];
  /** DataTree.lastProcessedZxid: can differ from the last applied txn (a snapshot sets it). */
  readonly lastZxid: bigint;
}

export class Tree {
  txns: Applied[];
  lastZxid: bigint;

  constructor(state: TreeState = { txns: [], lastZxid: 0n }) {
    this.txns = [...state.txns];
    this.lastZxid = state.lastZxid;
  }

  /** DataTree.applyTxn: applies and moves lastProcessedZxid forward (never back). */
  apply(entry: Applied): void {
    this.txns.push(entry);
    if (entry.zxid > this.lastZxid) this.lastZxid = entry.zxid;
  }

  copy(): TreeState {
    return { txns: [...this.txns], lastZxid: this.lastZxid };
  }
}

/**
 * One txn in the log. `memory`: appended, waiting for the next flush (lost on a crash and dropped by
 * restartAfter); `written`: written by a flush whose fsync has not finished (a crash keeps a prefix
 * of these); `durable`: fsynced.
 */
export interface LogEntry {
  readonly zxid: bigint;
  readonly txn: string;
  state: 'memory' | 'written' | 'durable';
  flush: number;
  /** The shell's role generation when it was appended. */
  readonly generation: number;
}

export interface Snapshot {
  readonly zxid: bigint;
  readonly txns: readonly Applied[];
}

export class Disk {
  acceptedEpoch: bigint | null = null;
  currentEpoch: bigint | null = null;
  log: LogEntry[] = [];
  snapshots: Snapshot[] = [];
  /** epoch-files.ts's updatingEpoch marker: a learner's sync is logged, currentEpoch not yet written. */
  updatingEpoch = false;

  /** Entries a reader of the log files would find (written or durable, in file order). */
  readable(): LogEntry[] {
    return this.log.filter((e) => e.state !== 'memory');
  }

  /** writeSnapshot: a snapshot of the tree at its lastProcessedZxid; an existing one of that zxid is kept. */
  writeSnapshot(tree: TreeState): boolean {
    if (this.snapshots.some((s) => s.zxid === tree.lastZxid)) return false;
    this.snapshots.push({ zxid: tree.lastZxid, txns: [...tree.txns] });
    this.snapshots.sort((a, b) => (a.zxid < b.zxid ? -1 : a.zxid > b.zxid ? 1 : 0));
    return true;
  }

  /** Whether (zxid, txn) is durable here: fsynced in the log or inside a snapshot. */
  holdsDurably(zxid: bigint, txn: string): boolean {
    for (let i = this.log.length - 1; i >= 0; i--) {
      const entry = this.log[i] as LogEntry;
      if (entry.zxid === zxid && entry.txn === txn && entry.state === 'durable') return true;
    }
    return this.snapshots.some((s) => s.txns.some((a) => a.zxid === zxid && a.txn === txn));
  }

  describeLog(): string {
    return `log ${describeZxids(this.log.map((e) => ({ zxid: e.zxid, mark: e.state === 'durable' ? '' : e.state === 'written' ? '~' : '?' })))} snaps [${this.snapshots.map((s) => hex(s.zxid)).join(' ')}] acc=${this.acceptedEpoch} cur=${this.currentEpoch}`;
  }
}

/** Runs of consecutive zxids as 0x<epoch>:<first>-<last> (all hex), marked ~ (written) or ? (in memory). */
export function describeZxids(entries: readonly { zxid: bigint; mark: string }[]): string {
  const runs: string[] = [];
  let start: { zxid: bigint; mark: string } | null = null;
  let last: { zxid: bigint; mark: string } | null = null;
  const flush = (): void => {
    if (start === null || last === null) return;
    const epoch = (start.zxid >> 32n).toString(16);
    const a = (start.zxid & 0xffffffffn).toString(16);
    const b = (last.zxid & 0xffffffffn).toString(16);
    runs.push(`0x${epoch}:${a === b ? a : `${a}-${b}`}${start.mark}`);
  };
  for (const entry of entries) {
    if (start !== null && last !== null && entry.zxid === last.zxid + 1n && entry.mark === start.mark) {
      last = entry;
      continue;
    }
    flush();
    start = entry;
    last = entry;
  }
  flush();
  return `[${runs.join(' ')}]`;
}

export class RecoveryError extends Error {}
export class EpochFileError extends Error {}

/** How many replayed txns recovery hands back for DIFF syncs (recovery.ts RECENT_TXNS_KEPT). */
export const RECENT_TXNS_KEPT = 500;

/**
 * recover(): the newest snapshot, then every logged txn after it, each following the last one. The
 * last txns replayed from the log (not those inside the snapshot) come back as `recent`.
 */
export function recover(disk: Disk): Tree & { recent: Applied[] } {
  const newest = disk.snapshots[disk.snapshots.length - 1];
  const tree = new Tree(newest === undefined ? { txns: [], lastZxid: 0n } : { txns: newest.txns, lastZxid: newest.zxid });
  const recent: Applied[] = [];
  for (const entry of disk.readable()) {
    if (entry.zxid <= tree.lastZxid) continue;
    if (tree.lastZxid !== 0n && !isNextZxid(tree.lastZxid, entry.zxid)) {
      throw new RecoveryError(`zxid ${hex(entry.zxid)} does not follow ${hex(tree.lastZxid)}; txns are missing`);
    }
    tree.apply({ zxid: entry.zxid, txn: entry.txn });
    recent.push({ zxid: entry.zxid, txn: entry.txn });
    if (recent.length > RECENT_TXNS_KEPT) recent.shift();
  }
  return Object.assign(tree, { recent });
}

/** loadEpochs(): a missing file starts from the epoch of the last zxid; inconsistent files refuse to start. */
export function loadEpochs(disk: Disk, lastLoggedZxid: bigint): { acceptedEpoch: bigint; currentEpoch: bigint } {
  const zxidEpoch = lastLoggedZxid >> 32n;
  if (disk.currentEpoch === null) disk.currentEpoch = zxidEpoch;
  if (zxidEpoch > disk.currentEpoch) {
    if (!disk.updatingEpoch) throw new EpochFileError(`the current epoch, ${disk.currentEpoch}, is older than the last zxid's epoch, ${zxidEpoch}`);
    disk.currentEpoch = zxidEpoch;
  }
  disk.updatingEpoch = false;
  const currentEpoch = disk.currentEpoch;
  if (disk.acceptedEpoch === null) disk.acceptedEpoch = zxidEpoch;
  const acceptedEpoch = disk.acceptedEpoch;
  if (acceptedEpoch < currentEpoch) throw new EpochFileError(`the accepted epoch, ${acceptedEpoch}, is less than the current epoch, ${currentEpoch}`);
  return { acceptedEpoch, currentEpoch };
}

/** truncateAfter(): each log file is cut at its first entry after `zxid`; later snapshots go. */
export function truncateAfter(disk: Disk, zxid: bigint): void {
  const cut = disk.log.findIndex((e) => e.state !== 'memory' && e.zxid > zxid);
  if (cut >= 0) disk.log = disk.log.slice(0, cut).concat(disk.log.slice(cut).filter((e) => e.state === 'memory'));
  disk.snapshots = disk.snapshots.filter((s) => s.zxid <= zxid);
}
