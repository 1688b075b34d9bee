// On-disk checks of a pod's volume for the three-pod rehearsal: the txn logs of a member, read with our
// dump tool (zk-log-dump, as 3.8's TxnLogToolkit), must hold consecutive zxids where recovery replays
// them (src/storage/recovery.ts: the next zxid is the previous + 1, or the first of a later epoch). A
// gap that no snapshot covers means the member applied txns it never logged: it cannot start again
// from its volume. A gap with a snapshot inside it is what a SNAP sync leaves, in 3.8's logs too:
// the follower's sync snapshot holds what the log skips, and recovery starts from it.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const epochOf = (zxid: bigint): bigint => zxid >> 32n;

function isNext(previous: bigint, next: bigint): boolean {
  return next === previous + 1n || (epochOf(next) > epochOf(previous) && (next & 0xffffffffn) <= 1n);
}

const hex = (zxid: bigint): string => `0x${zxid.toString(16)}`;

/** The zxids of one txn log file, in file order (up to a torn or damaged end). */
export function logZxids(file: string, dumpTool: string): bigint[] {
  const result = spawnSync('node', [dumpTool, file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 60_000 });
  return [...result.stdout.matchAll(/ cxid 0x[0-9a-f]+ zxid (0x[0-9a-f]+) /g)].map((m) => BigInt(m[1] ?? '0'));
}

/** The zxids of the snapshots in a volume (dataDir = <volume>/data). */
function snapshotZxids(volume: string): bigint[] {
  const dir = join(volume, 'data', 'version-2');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^snapshot\.[0-9a-f]+$/.test(f))
    .map((f) => BigInt(`0x${f.slice('snapshot.'.length)}`));
}

/** Gaps within the txn log files of a volume (dataLogDir = <volume>/log) that no snapshot covers, as readable lines. */
export function txnLogGaps(volume: string, dumpTool: string): string[] {
  const dir = join(volume, 'log', 'version-2');
  if (!existsSync(dir)) return [];
  const snapshots = snapshotZxids(volume);
  const files = readdirSync(dir)
    .filter((f) => /^log\.[0-9a-f]+$/.test(f))
    .sort((a, b) => (BigInt(`0x${a.slice(4)}`) < BigInt(`0x${b.slice(4)}`) ? -1 : 1));
  const gaps: string[] = [];
  for (const file of files) {
    const zxids = logZxids(join(dir, file), dumpTool);
    for (let i = 1; i < zxids.length; i++) {
      const previous = zxids[i - 1] as bigint;
      const next = zxids[i] as bigint;
      if (isNext(previous, next)) continue;
      if (snapshots.some((zxid) => zxid >= previous && zxid < next)) continue;
      gaps.push(`${file}: ${hex(next)} follows ${hex(previous)} (snapshots: ${snapshots.map(hex).join(', ')})`);
    }
  }
  return gaps;
}
