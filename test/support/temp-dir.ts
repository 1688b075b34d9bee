import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Creates a fresh directory under the OS temp dir whose name starts with `prefix`. */
export async function makeTempDir(prefix: string): Promise<string> {
  const safe = prefix.replace(/[^A-Za-z0-9._-]/g, '_');
  return mkdtemp(join(tmpdir(), `${safe}-`));
}

/** Removes a directory tree made by makeTempDir; missing directories are not an error. */
export async function removeTempDir(dir: string): Promise<void> {
  if (dir === '' || dir === '/') throw new Error(`removeTempDir: refusing to remove ${JSON.stringify(dir)}`);
  await rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
}
