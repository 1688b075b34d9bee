// Recovery reads each txn log through a window of a few MiB (the next piece read while the one
// before is replayed) and hands the whole file to scanLog only when something is irregular. Here
// the window is made small enough that reads end inside entries, inside entry headers and inside
// the end marker, and one entry is larger than the window: whatever the window, recovery must
// reach the same tree, replay the same txns, keep the same latest txns, log the same lines and
// refuse the same files with the same message as with a window larger than the file.

import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recover } from '../../src/storage/recovery.js';
import type { Txn } from '../../src/txn/txn.js';
import { Cleanup } from './durability-helpers.js';
import { createTxn, recordingLogger, versionDirectory, writeLogFile, writeSnapshotOf, zxidOf, type LoggedLine } from './synthetic-logs.js';

const cleanup = new Cleanup();
afterAll(async () => {
  await cleanup.run();
});

/** Creates with data of varied sizes (one of 3000 bytes, larger than the small windows). */
function txns(first: number, last: number): Txn[] {
  const out: Txn[] = [];
  for (let i = first; i <= last; i++) {
    const txn = createTxn(zxidOf(1, i), `/n-${String(i)}`);
    const size = i === 7 ? 3000 : (i * 37) % 300;
    out.push({ ...txn, body: { kind: 'create', record: { ...(txn.body as Extract<Txn['body'], { kind: 'create' }>).record, data: Buffer.alloc(size, i) } } });
  }
  return out;
}

interface Outcome {
  readonly error: string | null;
  readonly digest: string | null;
  readonly lastZxid: string | null;
  readonly replayed: number | null;
  readonly recent: string[];
  readonly lines: { level: string; message: string; fields: string }[];
}

async function outcome(directory: string, logReadBytes: number): Promise<Outcome> {
  const { logger, lines } = recordingLogger();
  const view = (all: readonly LoggedLine[]): Outcome['lines'] =>
    all.filter((l) => l.level !== 'info').map((l) => ({ level: l.level, message: l.message, fields: JSON.stringify(l.fields, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) }));
  try {
    const state = await recover({ snapDirectory: directory, logDirectory: directory, extendedTypesEnabled: false, logReadBytes }, logger);
    return {
      error: null,
      digest: state.tree.digest.toString(),
      lastZxid: state.lastZxid.toString(16),
      replayed: state.txnsReplayed,
      recent: state.recentTxns.map((t) => `${t.zxid.toString(16)}:${t.txn.toString('hex')}`),
      lines: view(lines),
    };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error), digest: null, lastZxid: null, replayed: null, recent: [], lines: view(lines) };
  }
}

/** Two logs (the second preallocated or not) of creates, a snapshot in the middle of the first. */
async function dataDir(name: string, preallocBytes: number): Promise<{ directory: string; second: string; offsets: number[] }> {
  const base = await cleanup.tempDir(`recovery-windows-${name}`);
  const directory = await versionDirectory(base);
  const all = txns(1, 40);
  await writeLogFile(directory, all.slice(0, 20), { preallocBytes: 16_384 });
  const second = await writeLogFile(directory, all.slice(20), { preallocBytes });
  await writeSnapshotOf(directory, all.slice(0, 12));
  return { directory, second: second.name, offsets: second.offsets };
}

const WINDOWS = [16, 29, 64, 100, 257, 1000, 4096];
const WHOLE = 1 << 30;

/** Damage done to the second log file of a fresh data dir. */
const CASES: { name: string; preallocBytes: number; damage: (path: string, offsets: number[]) => Promise<void> }[] = [
  { name: 'intact, zeros after the last entry', preallocBytes: 65_536, damage: async () => undefined },
  { name: 'intact, the file ends with the last entry', preallocBytes: 0, damage: async () => undefined },
  {
    name: 'torn inside the last entry',
    preallocBytes: 0,
    damage: async (path, offsets) => truncate(path, (offsets.at(-1) as number) + 20),
  },
  {
    name: 'ends inside the last entry header',
    preallocBytes: 0,
    damage: async (path, offsets) => truncate(path, (offsets.at(-1) as number) + 7),
  },
  {
    name: 'a few zeros where the next entry header would be',
    preallocBytes: 0,
    damage: async (path) => writeFile(path, Buffer.concat([await readFile(path), Buffer.alloc(5)])),
  },
  {
    name: 'a flipped byte in the last entry, zeros after it',
    preallocBytes: 8192,
    damage: async (path, offsets) => flip(path, (offsets.at(-1) as number) + 40),
  },
  {
    name: 'a flipped byte in an entry with more after it',
    preallocBytes: 8192,
    damage: async (path, offsets) => flip(path, (offsets[8] as number) + 40),
  },
  {
    name: 'a bad end-of-record marker in the middle',
    preallocBytes: 8192,
    damage: async (path, offsets) => flip(path, (offsets[9] as number) - 1),
  },
  {
    name: 'an entry length out of range',
    preallocBytes: 8192,
    damage: async (path, offsets) => {
      const bytes = await readFile(path);
      bytes.writeInt32BE(-5, (offsets[4] as number) + 8);
      await writeFile(path, bytes);
    },
  },
  {
    name: 'a header of zeros (never written)',
    preallocBytes: 8192,
    damage: async (path) => writeFile(path, Buffer.alloc((await readFile(path)).length)),
  },
  {
    name: 'a bad magic with entries after it',
    preallocBytes: 8192,
    damage: async (path) => flip(path, 1),
  },
];

async function flip(path: string, at: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[at] = (bytes[at] as number) ^ 0x5a;
  await writeFile(path, bytes);
}

describe('recovery reads the txn logs through a window', () => {
  for (const c of CASES) {
    it(`${c.name}: the same outcome at any window size`, async () => {
      const { directory, second, offsets } = await dataDir(c.name.replace(/[^a-z]+/g, '-'), c.preallocBytes);
      await c.damage(join(directory, second), offsets);
      const reference = await outcome(directory, WHOLE);
      for (const window of WINDOWS) expect(await outcome(directory, window), `window of ${String(window)} bytes`).toEqual(reference);
    });
  }

  it('replays every txn after the snapshot when the logs are intact', async () => {
    const { directory } = await dataDir('all', 4096);
    const result = await outcome(directory, 64);
    expect(result.error).toBeNull();
    expect(result.replayed).toBe(28);
    expect(result.lastZxid).toBe(zxidOf(1, 40).toString(16));
    expect(result.recent).toHaveLength(28);
  });
});
