// Purging old snapshots and txn logs by ZooKeeper 3.8's rules (PurgeTxnLog.purge, used by both
// zkCleanup.sh and autopurge), so an operator gets the same result from either server:
//
// - Keep the newest `retainCount` (at least 3) snapshots that look valid: a name snapshot.<hex zxid>
//   (a .gz or .snappy suffix allowed), and a file that ends as a complete snapshot does. Files that
//   do not look valid are not counted. Without any valid snapshot nothing is deleted.
// - Let Z be the zxid of the oldest snapshot kept. The logs kept are the newest log whose start
//   zxid is <= Z (it may hold the txns right after Z) and every log after it.
// - Delete every file named log.* not kept whose zxid is below Z, and every snapshot.* below Z.
//   The zxid is read from the name as 3.8 reads it: the part after the first dot, in hex, so
//   log.1.fixed counts as log 1 and snapshot.bad as snapshot 0xbad; a name whose part does not
//   parse counts as zxid -1, so 3.8 (and this module) deletes log.old or snapshot.old as soon as
//   any valid snapshot exists. Files named otherwise (acceptedEpoch, currentEpoch, ...) are never
//   touched.
//
// planPurge is the pure decision over file names; purge applies it to the version-2 directories.

import { open, opendir, stat, unlink } from 'node:fs/promises';
import type { Logger } from '../logging/logger.js';

export const MIN_SNAP_RETAIN_COUNT = 3;
export const VERSION_DIR = 'version-2';

const LONG_MIN = -(1n << 63n);
const LONG_MAX = (1n << 63n) - 1n;

/**
 * Util.getZxidFromName: the hex number after "<prefix>." in a name split at dots, or -1 when the
 * name has another prefix or the number does not parse as a Java long (Long.parseLong(s, 16)).
 */
export function javaZxidFromName(name: string, prefix: 'log' | 'snapshot'): bigint {
  const parts = javaSplitDots(name);
  if (parts.length < 2 || parts[0] !== prefix) return -1n;
  const value = javaParseLong(parts[1] as string, 16);
  return value ?? -1n;
}

/** String.split("\\.") as Java does it: trailing empty parts are dropped. */
function javaSplitDots(name: string): string[] {
  const parts = name.split('.');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Long.parseLong(text, radix) for ASCII digits; null where Java throws NumberFormatException. */
export function javaParseLong(text: string, radix: number): bigint | null {
  const match = /^([+-]?)([0-9a-zA-Z]+)$/u.exec(text);
  if (match === null) return null;
  const digits = match[2] as string;
  let value = 0n;
  const big = BigInt(radix);
  for (const ch of digits.toLowerCase()) {
    const digit = Number.parseInt(ch, 36);
    if (digit >= radix) return null;
    value = value * big + BigInt(digit);
  }
  if (match[1] === '-') value = -value;
  return value < LONG_MIN || value > LONG_MAX ? null : value;
}

export type SnapshotStreamMode = 'checked' | 'gz' | 'snappy';

/** SnapStream.getStreamMode: the extension after the last dot picks gzip, snappy or plain. */
export function snapshotStreamMode(name: string): SnapshotStreamMode {
  const parts = javaSplitDots(name);
  if (parts.length > 1) {
    const ext = (parts[parts.length - 1] as string).toLowerCase();
    if (ext === 'gz') return 'gz';
    if (ext === 'snappy') return 'snappy';
  }
  return 'checked';
}

export interface PurgePlan {
  /** Every name to delete: the logs first, then the snapshots (3.8's order). */
  readonly delete: string[];
  /** Every other name given, in the order given (snapshot directory first). */
  readonly keep: string[];
  readonly logsToDelete: string[];
  readonly snapshotsToDelete: string[];
  /** The snapshots counted as the retained ones, newest first. */
  readonly retainedSnapshots: string[];
  /** The zxid of the oldest retained snapshot; null when no snapshot looks valid (nothing purged). */
  readonly oldestRetainedZxid: bigint | null;
}

/** Orders names by the zxid in them, stably, as Util.sortDataDir does. */
function sortByZxid(names: readonly string[], prefix: 'log' | 'snapshot', ascending: boolean): string[] {
  return names
    .map((name, index) => ({ name, index, zxid: javaZxidFromName(name, prefix) }))
    .sort((a, b) => {
      const order = a.zxid === b.zxid ? 0 : a.zxid < b.zxid ? -1 : 1;
      return (ascending ? order : -order) || a.index - b.index;
    })
    .map((entry) => entry.name);
}

/**
 * Decides what 3.8's PurgeTxnLog would delete, given the names in the snapshot directory and in
 * the log directory (pass the same list twice when they are one directory) and whether a snapshot
 * file looks complete (by default every well-named snapshot does; `purge` checks the files).
 */
export function planPurge(
  snapshotNames: readonly string[],
  logNames: readonly string[],
  retainCount: number,
  looksValid: (snapshotName: string) => boolean = () => true,
): PurgePlan {
  if (!Number.isInteger(retainCount) || retainCount < MIN_SNAP_RETAIN_COUNT) {
    throw new RangeError(`count should be greater than or equal to ${MIN_SNAP_RETAIN_COUNT}`);
  }
  const retainedSnapshots: string[] = [];
  for (const name of sortByZxid(snapshotNames, 'snapshot', false)) {
    if (javaZxidFromName(name, 'snapshot') === -1n || !looksValid(name)) continue;
    retainedSnapshots.push(name);
    if (retainedSnapshots.length === retainCount) break;
  }
  const oldest = retainedSnapshots[retainedSnapshots.length - 1];
  const sameLists = snapshotNames === logNames;
  if (oldest === undefined) {
    const keep = sameLists ? [...snapshotNames] : [...new Set([...snapshotNames, ...logNames])];
    return { delete: [], keep, logsToDelete: [], snapshotsToDelete: [], retainedSnapshots, oldestRetainedZxid: null };
  }
  const leastZxid = javaZxidFromName(oldest, 'snapshot');

  // FileTxnLog.getLogFiles: the newest log starting at or before leastZxid (or 0), and all after.
  let logZxid = 0n;
  for (const name of sortByZxid(logNames, 'log', true)) {
    const zxid = javaZxidFromName(name, 'log');
    if (zxid > leastZxid) break;
    if (zxid > logZxid) logZxid = zxid;
  }
  const retainedLogs = new Set(logNames.filter((name) => javaZxidFromName(name, 'log') >= logZxid));

  const logsToDelete = logNames.filter(
    (name) => name.startsWith('log.') && !retainedLogs.has(name) && javaZxidFromName(name, 'log') < leastZxid,
  );
  const snapshotsToDelete = snapshotNames.filter(
    (name) => name.startsWith('snapshot.') && javaZxidFromName(name, 'snapshot') < leastZxid,
  );
  const deleted = new Set([...logsToDelete, ...snapshotsToDelete]);
  const all = sameLists ? snapshotNames : [...snapshotNames, ...logNames];
  const keep = [...new Set(all.filter((name) => !deleted.has(name)))];
  return {
    delete: [...logsToDelete, ...snapshotsToDelete],
    keep,
    logsToDelete,
    snapshotsToDelete,
    retainedSnapshots,
    oldestRetainedZxid: leastZxid,
  };
}

// ---------------------------------------------------------------------------------------------
// The file system side

const SNAPPY_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

async function readAt(path: string, position: number, length: number): Promise<Buffer | null> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return bytesRead === length ? buffer : null;
  } finally {
    await handle.close();
  }
}

/** SnapStream.isValidSnapshot: a quick look at the file's end (or a compressed stream's magic). */
export async function snapshotLooksValid(path: string, name: string): Promise<boolean> {
  if (javaZxidFromName(name, 'snapshot') === -1n) return false;
  try {
    switch (snapshotStreamMode(name)) {
      case 'gz': {
        const head = await readAt(path, 0, 2);
        return head !== null && head[0] === 0x1f && head[1] === 0x8b;
      }
      case 'snappy': {
        const head = await readAt(path, 0, SNAPPY_MAGIC.length);
        return head !== null && head.equals(SNAPPY_MAGIC);
      }
      case 'checked': {
        const { size } = await stat(path);
        if (size < 10) return false;
        const tail = await readAt(path, size - 5, 5);
        return tail !== null && tail.readInt32BE(0) === 1 && tail[4] === 0x2f;
      }
    }
  } catch {
    return false;
  }
}

/** java.io.File's normalisation of a path: no repeated or trailing separators. */
function javaFilePath(path: string): string {
  const collapsed = path.replace(/\/{2,}/gu, '/');
  return collapsed.length > 1 && collapsed.endsWith('/') ? collapsed.slice(0, -1) : collapsed;
}

function javaJoin(dir: string, name: string): string {
  const parent = javaFilePath(dir);
  if (parent === '') return name;
  return parent.endsWith('/') ? `${parent}${name}` : `${parent}/${name}`;
}

/** The names in a directory in the order the file system returns them (as Java's File.listFiles). */
async function listNames(dir: string): Promise<string[]> {
  try {
    const names: string[] = [];
    for await (const entry of await opendir(dir)) names.push(entry.name);
    return names;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export class PurgeError extends Error {
  readonly code = 'ZKS_PURGE';
}

export interface PurgeOptions {
  /** Called before each deletion with the path as 3.8 prints it and the file's mtime. */
  readonly onRemove?: (path: string, mtimeMs: number) => void;
}

export interface PurgeResult {
  readonly plan: PurgePlan;
  readonly removed: string[];
  /** Files the plan named that could not be deleted (each also logged). */
  readonly failed: string[];
}

/**
 * Purges `dataDir/version-2` (snapshots) and `dataLogDir/version-2` (logs) as 3.8 does. Like 3.8
 * it refuses (PurgeError) when the two are different directories and either holds the other's
 * files. A missing version-2 directory counts as empty (3.8 would create it).
 */
export async function purge(dataDir: string, dataLogDir: string, retainCount: number, logger: Logger, options: PurgeOptions = {}): Promise<PurgeResult> {
  if (!Number.isInteger(retainCount) || retainCount < MIN_SNAP_RETAIN_COUNT) {
    throw new RangeError(`count should be greater than or equal to ${MIN_SNAP_RETAIN_COUNT}`);
  }
  const snapDir = javaJoin(dataDir, VERSION_DIR);
  const logDir = javaJoin(dataLogDir, VERSION_DIR);
  const sameDir = snapDir === logDir;
  const snapshotNames = await listNames(snapDir);
  const logNames = sameDir ? snapshotNames : await listNames(logDir);
  if (!sameDir) {
    if (logNames.some((name) => name.startsWith('snapshot.'))) {
      throw new PurgeError('Log directory has snapshot files. Check if dataLogDir and dataDir configuration is correct.');
    }
    if (snapshotNames.some((name) => name.startsWith('log.'))) {
      throw new PurgeError('Snapshot directory has log files. Check if dataLogDir and dataDir configuration is correct.');
    }
  }

  // Look at snapshot files newest first, only until enough valid ones are found (as 3.8 does).
  const valid = new Set<string>();
  let found = 0;
  for (const name of sortByZxid(snapshotNames, 'snapshot', false)) {
    if (found === retainCount) break;
    if (await snapshotLooksValid(javaJoin(snapDir, name), name)) {
      valid.add(name);
      found++;
    }
  }
  const plan = planPurge(snapshotNames, logNames, retainCount, (name) => valid.has(name));
  if (plan.oldestRetainedZxid === null) {
    logger.info({ snapDir }, 'no valid snapshot found; nothing purged');
    return { plan, removed: [], failed: [] };
  }

  const removed: string[] = [];
  const failed: string[] = [];
  const targets = [...plan.logsToDelete.map((name) => javaJoin(logDir, name)), ...plan.snapshotsToDelete.map((name) => javaJoin(snapDir, name))];
  for (const path of targets) {
    let mtimeMs = 0;
    try {
      mtimeMs = Math.floor((await stat(path)).mtimeMs);
    } catch {
      // 3.8 prints lastModified() 0 for a file gone meanwhile
    }
    options.onRemove?.(path, mtimeMs);
    logger.info({ file: path }, 'Removing file');
    try {
      await unlink(path);
      removed.push(path);
    } catch (error) {
      failed.push(path);
      logger.warn({ file: path, err: (error as Error).message }, 'Failed to remove');
    }
  }
  return { plan, removed, failed };
}
