// Opening a data directory at start: the version-2 subfolders of dataDir and dataLogDir (created
// when zookeeper.datadir.autocreate allows it, as 3.8 does), checked for writability up front so a
// bad volume fails with a clear message instead of at the first write.

import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const VERSION_DIRECTORY = 'version-2';

export class DataDirectoryError extends Error {
  readonly code = 'ZKS_DATA_DIR';
}

export interface DataDirectories {
  readonly snapDirectory: string;
  readonly logDirectory: string;
}

async function prepare(base: string, what: string, autocreate: boolean): Promise<string> {
  const directory = join(base, VERSION_DIRECTORY);
  try {
    const info = await stat(base);
    if (!info.isDirectory()) throw new DataDirectoryError(`${what} ${base} is not a directory`);
  } catch (error) {
    if (error instanceof DataDirectoryError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new DataDirectoryError(`cannot use ${what} ${base}: ${(error as Error).message}`);
    }
    if (!autocreate) {
      throw new DataDirectoryError(`${what} ${base} is missing and zookeeper.datadir.autocreate is false`);
    }
  }
  try {
    await mkdir(directory, { recursive: true });
    await access(directory, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint = code === 'EACCES' || code === 'EPERM' ? ' (check its owner and permissions: the server must be able to write it)' : '';
    throw new DataDirectoryError(`cannot write ${what} ${directory}: ${(error as Error).message}${hint}`);
  }
  return directory;
}

export async function openDataDirectories(dataDir: string, dataLogDir: string, autocreate: boolean): Promise<DataDirectories> {
  const snapDirectory = await prepare(dataDir, 'dataDir', autocreate);
  const logDirectory = dataLogDir === dataDir ? snapDirectory : await prepare(dataLogDir, 'dataLogDir', autocreate);
  return { snapDirectory, logDirectory };
}
