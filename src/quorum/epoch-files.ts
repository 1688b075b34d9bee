// acceptedEpoch and currentEpoch, kept as 3.8 keeps them: decimal text files in dataDir/version-2,
// replaced atomically (write a temporary file, fsync, rename, fsync the directory). Zab depends on
// them surviving a crash at the moments it writes them, so the writes are synchronous and durable
// before the caller goes on.

import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const ACCEPTED_EPOCH_FILE = 'acceptedEpoch';
export const CURRENT_EPOCH_FILE = 'currentEpoch';
/**
 * Present while a learner updates its current epoch at NEWLEADER (the name 3.4 and 3.5 used). The
 * sync's txns are logged before the new currentEpoch is written, so a crash in between leaves a
 * log in a newer epoch than currentEpoch; the marker says that is what happened.
 */
export const UPDATING_EPOCH_FILE = 'updatingEpoch';

export class EpochFileError extends Error {
  readonly code = 'ZKS_EPOCH_FILE';
}

export function readEpoch(directory: string, name: string): bigint | null {
  let text: string;
  try {
    text = readFileSync(join(directory, name), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const trimmed = text.trim();
  if (!/^-?\d+$/u.test(trimmed)) throw new EpochFileError(`${join(directory, name)} does not hold a number: ${JSON.stringify(trimmed.slice(0, 40))}`);
  return BigInt(trimmed);
}

export function writeEpoch(directory: string, name: string, epoch: bigint): void {
  const path = join(directory, name);
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, epoch.toString());
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  fsyncDirectory(directory);
}

function fsyncDirectory(directory: string): void {
  const dir = openSync(directory, 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

export function markEpochUpdating(directory: string): void {
  closeSync(openSync(join(directory, UPDATING_EPOCH_FILE), 'w'));
  fsyncDirectory(directory);
}

export function clearEpochUpdating(directory: string): void {
  const path = join(directory, UPDATING_EPOCH_FILE);
  if (!existsSync(path)) return;
  unlinkSync(path);
  fsyncDirectory(directory);
}

/** 3.8's currentEpoch.tmp, left by a crash between its write and its rename; torn counts as absent. */
function readPendingEpoch(directory: string): bigint | null {
  try {
    return readEpoch(directory, `${CURRENT_EPOCH_FILE}.tmp`);
  } catch (error) {
    if (error instanceof EpochFileError) return null;
    throw error;
  }
}

/** The epochs at start; a missing file starts from the epoch of the last logged zxid, as in 3.8. */
export function loadEpochs(directory: string, lastLoggedZxid: bigint): { acceptedEpoch: bigint; currentEpoch: bigint } {
  const zxidEpoch = lastLoggedZxid >> 32n;
  let currentEpoch = readEpoch(directory, CURRENT_EPOCH_FILE);
  if (currentEpoch === null) {
    currentEpoch = zxidEpoch;
    writeEpoch(directory, CURRENT_EPOCH_FILE, currentEpoch);
  }
  if (zxidEpoch > currentEpoch) {
    // A crash during a learner's epoch update: its log already holds the new epoch's txns (in
    // order, so all the sync's earlier txns too). 3.8 instead finds its currentEpoch.tmp.
    const pending = existsSync(join(directory, UPDATING_EPOCH_FILE)) ? zxidEpoch : readPendingEpoch(directory);
    if (pending === null || pending < zxidEpoch) {
      throw new EpochFileError(`the current epoch, ${currentEpoch}, is older than the last zxid's epoch, ${zxidEpoch}`);
    }
    currentEpoch = pending;
    writeEpoch(directory, CURRENT_EPOCH_FILE, currentEpoch);
  }
  clearEpochUpdating(directory);
  let acceptedEpoch = readEpoch(directory, ACCEPTED_EPOCH_FILE);
  if (acceptedEpoch === null) {
    acceptedEpoch = zxidEpoch;
    writeEpoch(directory, ACCEPTED_EPOCH_FILE, acceptedEpoch);
  }
  if (acceptedEpoch < currentEpoch) {
    throw new EpochFileError(`the accepted epoch, ${acceptedEpoch}, is less than the current epoch, ${currentEpoch}`);
  }
  return { acceptedEpoch, currentEpoch };
}
