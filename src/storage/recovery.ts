// Recovery at start: the newest snapshot that reads back intact, then every logged txn after it,
// replayed in order. The rules:
// - a torn or zero-filled end of a log file (nothing after the damage) is where that file ends;
// - damage followed by more data, a gap in the zxid sequence, or a corrupt snapshot whose fallback
//   is not covered by the logs is reported with file and offset, and the server refuses to start;
// - a corrupt or incomplete snapshot is skipped in favour of an older one when the logs cover it;
// - no file is ever modified or deleted here.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ACL } from '../jute/index.js';
import type { Logger } from '../logging/logger.js';
import { DataTree, DIGEST_VERSION } from '../tree/data-tree.js';
import { decodeTxn, type Txn } from '../txn/txn.js';
import { looksComplete, parseSnapshot } from './snapshot-format.js';
import { scanLog, zxidOfFileName } from './txn-log-format.js';

export interface RecoveryOptions {
  /** dataDir/version-2 */
  readonly snapDirectory: string;
  /** dataLogDir/version-2 */
  readonly logDirectory: string;
  readonly extendedTypesEnabled: boolean;
}

export interface RecoveredState {
  readonly tree: DataTree;
  /** Sessions alive at the last txn: id -> timeout in ms. */
  readonly sessions: Map<bigint, number>;
  readonly lastZxid: bigint;
  readonly snapshotZxid: bigint | null;
  readonly snapshotFile: string | null;
  readonly txnsReplayed: number;
  /** The last replayed txns (up to 500), oldest first: a new leader DIFFs learners from them. */
  readonly recentTxns: { zxid: bigint; txn: Buffer }[];
}

const RECENT_TXNS_KEPT = 500;

export class RecoveryError extends Error {
  readonly code = 'ZKS_RECOVERY';
}

interface NamedFile {
  readonly name: string;
  readonly zxid: bigint;
}

async function listFiles(directory: string, prefix: 'log' | 'snapshot'): Promise<NamedFile[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: NamedFile[] = [];
  for (const name of names) {
    const zxid = zxidOfFileName(name, prefix);
    if (zxid !== null) files.push({ name, zxid });
  }
  return files.sort((a, b) => (a.zxid < b.zxid ? -1 : a.zxid > b.zxid ? 1 : 0));
}

function epochOf(zxid: bigint): bigint {
  return zxid >> 32n;
}

/** Whether `next` can directly follow `previous`: the next counter, or the first txn of a later epoch. */
export function isNextZxid(previous: bigint, next: bigint): boolean {
  if (next === previous + 1n) return true;
  return epochOf(next) > epochOf(previous) && (next & 0xffffffffn) <= 1n;
}

interface LoadedSnapshot {
  readonly file: NamedFile;
  readonly tree: DataTree;
  readonly sessions: Map<bigint, number>;
  /** The tree digest the snapshot recorded, checked when the replay reaches its zxid. */
  readonly digest: { zxid: bigint; digest: bigint } | null;
}

async function loadSnapshot(directory: string, file: NamedFile, options: RecoveryOptions, logger: Logger): Promise<LoadedSnapshot | null> {
  const path = join(directory, file.name);
  const bytes = await readFile(path);
  if (!looksComplete(bytes)) {
    logger.warn({ file: path, bytes: bytes.length }, 'snapshot is incomplete (interrupted while being written); trying an older one');
    return null;
  }
  let parsed;
  try {
    parsed = parseSnapshot(bytes);
  } catch (error) {
    logger.error({ file: path, reason: error instanceof Error ? error.message : String(error) }, 'snapshot is corrupt; trying an older one');
    return null;
  }
  const tree = new DataTree({ extendedTypesEnabled: options.extendedTypesEnabled });
  const acls: [number, readonly ACL[]][] = parsed.acls.map(([index, acl]) => [Number(index), acl]);
  const problem = tree.loadSnapshot(
    acls,
    parsed.nodes.map((n) => ({ path: n.path, data: n.data, aclIndex: Number(n.aclIndex), stat: n.stat })),
  );
  if (problem !== null) {
    logger.error({ file: path, reason: problem }, 'snapshot holds a malformed tree; trying an older one');
    return null;
  }
  tree.lastProcessedZxid = file.zxid;
  const digest = parsed.digest !== null && parsed.digest.digestVersion === DIGEST_VERSION ? { zxid: parsed.digest.zxid, digest: parsed.digest.digest } : null;
  return { file, tree, sessions: new Map(parsed.sessions), digest };
}

/** The log files that can hold txns after `zxid`: the last one starting at or before it, and all later ones. */
function logsAfter(logs: readonly NamedFile[], zxid: bigint): NamedFile[] {
  let first = 0;
  for (let i = 0; i < logs.length; i++) if ((logs[i] as NamedFile).zxid <= zxid) first = i;
  return logs.slice(first);
}

function applySessionEffects(txn: Txn, sessions: Map<bigint, number>): void {
  if (txn.body.kind === 'createSession') sessions.set(txn.header.clientId, txn.body.timeOutMs);
  else if (txn.body.kind === 'closeSession') sessions.delete(txn.header.clientId);
}

async function replayLogs(
  directory: string,
  logs: readonly NamedFile[],
  tree: DataTree,
  sessions: Map<bigint, number>,
  logger: Logger,
  expectedDigest: { zxid: bigint; digest: bigint } | null = null,
  recent: { zxid: bigint; txn: Buffer }[] = [],
): Promise<number> {
  let replayed = 0;
  let pendingDigest = expectedDigest;
  const checkDigest = (): void => {
    if (pendingDigest === null || tree.lastProcessedZxid !== pendingDigest.zxid) return;
    if (tree.digest !== pendingDigest.digest) {
      // 3.8 reports a mismatch and goes on; the tree is still what the logs say.
      logger.error({ zxid: `0x${pendingDigest.zxid.toString(16)}`, expected: pendingDigest.digest.toString(), actual: tree.digest.toString() }, 'tree digest mismatch after replay');
    }
    pendingDigest = null;
  };
  checkDigest();
  for (let i = 0; i < logs.length; i++) {
    const file = logs[i] as NamedFile;
    const path = join(directory, file.name);
    const bytes = await readFile(path);
    const scan = scanLog(bytes, 0x7ffffff0);
    if ('headerError' in scan) {
      // A file created at a crash can be empty or cut inside its header; only the last may be.
      const headerNeverWritten = bytes.length < 16 || bytes.subarray(0, 16).every((b) => b === 0);
      if (i === logs.length - 1 && headerNeverWritten) {
        logger.warn({ file: path, reason: scan.headerError }, 'last txn log file has no complete header; it holds no txns');
        continue;
      }
      throw new RecoveryError(`txn log ${path} is unreadable: ${scan.headerError} (offset 0)`);
    }
    for (const entry of scan.entries) {
      let txn: Txn;
      try {
        txn = decodeTxn(entry.txnBytes);
      } catch (error) {
        throw new RecoveryError(`txn log ${path}: entry at offset ${entry.offset} does not decode: ${error instanceof Error ? error.message : String(error)}`);
      }
      const zxid = txn.header.zxid;
      if (zxid <= tree.lastProcessedZxid) continue;
      if (tree.lastProcessedZxid !== 0n && !isNextZxid(tree.lastProcessedZxid, zxid)) {
        throw new RecoveryError(
          `txn log ${path}: zxid 0x${zxid.toString(16)} at offset ${entry.offset} does not follow 0x${tree.lastProcessedZxid.toString(16)}; txns are missing`,
        );
      }
      tree.applyTxn(txn);
      applySessionEffects(txn, sessions);
      replayed++;
      // A copy: the entry is a view of the whole (preallocated) file.
      recent.push({ zxid, txn: Buffer.from(entry.txnBytes) });
      if (recent.length > RECENT_TXNS_KEPT) recent.shift();
      checkDigest();
    }
    const end = scan.end;
    if (end.kind !== 'end') {
      if (end.dataFollows) {
        throw new RecoveryError(`txn log ${path} is corrupt at offset ${end.offset}: ${end.reason}, and more data follows it`);
      }
      logger.warn({ file: path, offset: end.offset, reason: end.reason }, 'txn log ends in a torn write; the log ends there');
    }
  }
  return replayed;
}

export async function recover(options: RecoveryOptions, logger: Logger): Promise<RecoveredState> {
  const snapshots = await listFiles(options.snapDirectory, 'snapshot');
  const logs = await listFiles(options.logDirectory, 'log');
  const failures: string[] = [];
  for (let i = snapshots.length - 1; i >= -1; i--) {
    let loaded: LoadedSnapshot | null;
    if (i >= 0) {
      loaded = await loadSnapshot(options.snapDirectory, snapshots[i] as NamedFile, options, logger);
      if (loaded === null) {
        failures.push((snapshots[i] as NamedFile).name);
        continue;
      }
    } else {
      // No usable snapshot: start from the empty tree if the logs begin at the first txn.
      if (snapshots.length > 0 && (logs.length === 0 || (logs[0] as NamedFile).zxid > 1n)) {
        throw new RecoveryError(
          `no usable snapshot in ${options.snapDirectory} (${failures.join(', ')}) and the txn logs do not reach back to the first txn; refusing to start`,
        );
      }
      const tree = new DataTree({ extendedTypesEnabled: options.extendedTypesEnabled });
      loaded = { file: { name: '(empty tree)', zxid: 0n }, tree, sessions: new Map(), digest: null };
    }
    const needed = logsAfter(logs, loaded.file.zxid);
    if (needed.length > 0 && (needed[0] as NamedFile).zxid > loaded.file.zxid + 1n && loaded.file.zxid !== 0n) {
      if (i > 0) {
        failures.push(`${loaded.file.name} (logs start after it)`);
        continue;
      }
    }
    const recentTxns: { zxid: bigint; txn: Buffer }[] = [];
    const replayed = await replayLogs(options.logDirectory, needed, loaded.tree, loaded.sessions, logger, loaded.digest, recentTxns);
    logger.info(
      { snapshot: loaded.file.name, snapshotZxid: `0x${loaded.file.zxid.toString(16)}`, txnsReplayed: replayed, lastZxid: `0x${loaded.tree.lastProcessedZxid.toString(16)}` },
      'recovered the data tree',
    );
    return {
      tree: loaded.tree,
      sessions: loaded.sessions,
      lastZxid: loaded.tree.lastProcessedZxid,
      snapshotZxid: i >= 0 ? loaded.file.zxid : null,
      snapshotFile: i >= 0 ? loaded.file.name : null,
      txnsReplayed: replayed,
      recentTxns,
    };
  }
  throw new RecoveryError('unreachable: the empty-tree fallback always returns or throws');
}
