// acceptedEpoch and currentEpoch, kept as 3.8 keeps them: decimal text files in dataDir/version-2,
// replaced atomically (write a temporary file, fsync, rename, fsync the directory). Zab depends on
// them surviving a crash at the moments it writes them, so the writes are synchronous and durable
// before the caller goes on.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const ACCEPTED_EPOCH_FILE = 'acceptedEpoch';
export const CURRENT_EPOCH_FILE = 'currentEpoch';

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
  const dir = openSync(directory, 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
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
    throw new EpochFileError(`the current epoch, ${currentEpoch}, is older than the last zxid's epoch, ${zxidEpoch}`);
  }
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
