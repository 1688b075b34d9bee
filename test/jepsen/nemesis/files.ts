/**
 * Disk faults on a stopped node's files (dataDir/version-2: log.<zxid> txn logs, preallocated and
 * zero-filled past their content, and snapshot.<zxid> files).
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Rng } from '../runner/rng.js';

export type CorruptionMode = 'truncate-log' | 'flip-log' | 'flip-snapshot';

export interface CorruptionResult {
  readonly mode: CorruptionMode;
  readonly file?: string;
  readonly offset?: number;
  readonly size?: number;
  readonly skipped?: string;
}

function newest(dir: string, prefix: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    .filter((f) => f.startsWith(`${prefix}.`))
    .map((f) => ({ f, zxid: BigInt(`0x${f.slice(prefix.length + 1) || '0'}`) }))
    .sort((a, b) => (a.zxid < b.zxid ? 1 : a.zxid > b.zxid ? -1 : 0));
  return files[0]?.f;
}

/** Length of the file's content: up to its last non-zero byte. */
function contentLength(data: Buffer): number {
  for (let i = data.length - 1; i >= 0; i--) if (data[i] !== 0) return i + 1;
  return 0;
}

/** Corrupts the newest txn log or snapshot of a (stopped) node's data dir. */
export function corrupt(dataDir: string, mode: CorruptionMode, rng: Rng): CorruptionResult {
  const dir = join(dataDir, 'version-2');
  const file = newest(dir, mode === 'flip-snapshot' ? 'snapshot' : 'log');
  if (file === undefined) return { mode, skipped: `no ${mode === 'flip-snapshot' ? 'snapshot' : 'txn log'} in ${dir}` };
  const path = join(dir, file);
  const data = readFileSync(path);
  const header = 16;
  const end = contentLength(data);
  if (end <= header + 1) return { mode, file, skipped: 'file has no content past its header' };
  if (mode === 'truncate-log') {
    const offset = header + rng.int(end - header);
    truncateSync(path, offset);
    return { mode, file, offset, size: end };
  }
  const offset = header + rng.int(end - header);
  const bit = 1 << rng.int(8);
  data[offset] = (data[offset] ?? 0) ^ bit;
  writeFileSync(path, data);
  return { mode, file, offset, size: end };
}

/** Removes a node's database (version-2) but keeps myid: the operator's way back for a node that cannot start. */
export function wipeDatabase(dataDir: string): string[] {
  const dir = join(dataDir, 'version-2');
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile());
  rmSync(dir, { recursive: true, force: true });
  return files;
}
