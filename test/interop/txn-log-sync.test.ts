// A learner older than the leader's last 500 committed txns: 3.8's leader DIFFs it from its txn
// log and then its committed log (LearnerHandler.syncFollower, "Use txnlog and committedLog"), and
// so does ours. Shown both ways on a Java follower that missed 600 writes: under our leader, and,
// for reference, under a Java leader.

import { describe, expect, it } from 'vitest';
import { bulkWrite, expectBulk, logSinceLastStart, syncModeOf } from './checks.js';
import { INTEROP, startAndWait, withEnsemble } from './support.js';

const SCENARIO_TIMEOUT_MS = 240_000;
const MISSED = 600;

/** Our member's JSON log lines since its last start whose msg is `msg`. */
async function ourLogLines(ensemble: Parameters<Parameters<typeof withEnsemble>[1]>[0], id: number, msg: string): Promise<Record<string, unknown>[]> {
  const text = await logSinceLastStart(ensemble, id);
  const lines: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed['msg'] === msg) lines.push(parsed);
    } catch {
      // A line cut by a kill, or not ours.
    }
  }
  return lines;
}

describe.skipIf(!INTEROP.ok)('a Java follower that missed more than 500 txns', { retry: 2 }, () => {
  it(
    'is synced by our leader with DIFF from its txn log (o1,o2,j3, ours leads)',
    () =>
      withEnsemble('o1,o2,j3', async (ensemble) => {
        await startAndWait(ensemble, [1, 2], 2);
        await startAndWait(ensemble, [3], 2);
        await bulkWrite(ensemble, 2, 'before', 5);
        await ensemble.kill(3);
        await bulkWrite(ensemble, 2, 'missed', MISSED);
        await startAndWait(ensemble, [3], 2);
        expect(await syncModeOf(ensemble, 3)).toEqual(['DIFF']);
        const fromLog = await ourLogLines(ensemble, 2, 'syncing a learner from the txn log and the committed log');
        expect(fromLog.map((l) => l['learner'])).toEqual(['3']);
        const modes = (await ourLogLines(ensemble, 2, 'syncing a learner')).filter((l) => l['learner'] === '3').map((l) => l['mode']);
        expect(modes.at(-1)).toBe('DIFF');
        await expectBulk(ensemble, 3, 'missed', MISSED);
      }),
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'is synced with DIFF by a Java leader too (o1,j2,j3, Java leads)',
    () =>
      withEnsemble('o1,j2,j3', async (ensemble) => {
        await startAndWait(ensemble, [2, 3], 3);
        await startAndWait(ensemble, [1], 3);
        await bulkWrite(ensemble, 3, 'before', 5);
        await ensemble.kill(2);
        await bulkWrite(ensemble, 3, 'missed', MISSED);
        await startAndWait(ensemble, [2], 3);
        expect(await syncModeOf(ensemble, 2)).toEqual(['DIFF']);
        expect(await ensemble.readLog(3)).toMatch(/Use txnlog and committedLog for peer sid: 2/u);
        await expectBulk(ensemble, 2, 'missed', MISSED);
      }),
    SCENARIO_TIMEOUT_MS,
  );
});
