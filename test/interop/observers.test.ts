// Observers across kinds: our observer learning from a Java 3.8 leader, and a Java 3.8 observer
// learning from our leader (three voters and one observer each). The observer syncs, serves reads,
// forwards writes, takes a session that moves to it (REVALIDATE) and writes with it, does not
// count toward the quorum, and catches up after a restart.

import { describe, expect, it } from 'vitest';
import { bulkWrite, expectBulk, expectSameView, expectSessionMoves, syncModeOf, writeThroughEachReadEverywhere } from './checks.js';
import { sleep } from '../support/zk-wait.js';
import type { MixedEnsemble } from './mixed-ensemble.js';
import { INTEROP, startAndWait, withEnsemble } from './support.js';

const SCENARIO_TIMEOUT_MS = 240_000;

async function writesAgree(ensemble: MixedEnsemble, tag: string, ids: readonly number[] = ensemble.running()): Promise<void> {
  await writeThroughEachReadEverywhere(ensemble, ids, tag);
  await expectSameView(ensemble, ids, ['/', `/${tag}`, ...ids.map((id) => `/${tag}/via-${id}`)]);
}

/** Every running member's srvr mode, by id. */
async function modes(ensemble: MixedEnsemble): Promise<Record<number, string>> {
  const statuses = await ensemble.statuses();
  return Object.fromEntries(statuses.map((s) => [s.id, s.mode]));
}

/** Only `ids` run and they are no quorum of voters: they stop serving and stay so for `holdMs`. */
async function expectNoQuorumWith(ensemble: MixedEnsemble, ids: readonly number[], holdMs: number): Promise<void> {
  const stopDeadline = Date.now() + 20_000;
  while ((await ensemble.statuses(ids)).some((s) => s.mode !== 'not serving')) {
    if (Date.now() > stopDeadline) throw new Error(`members ${ids.join(', ')} still serve without a quorum: ${JSON.stringify(await ensemble.statuses(ids), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
    await sleep(250);
  }
  const until = Date.now() + holdMs;
  while (Date.now() < until) {
    for (const s of await ensemble.statuses(ids)) expect(s.mode, `member ${s.id} (${s.kind}) without a quorum`).toBe('not serving');
    await sleep(250);
  }
}

async function observerScenario(ensemble: MixedEnsemble, observer: number, voters: readonly number[]): Promise<void> {
  const leader = await startAndWait(ensemble, voters);
  await startAndWait(ensemble, [observer], leader);
  expect((await modes(ensemble))[observer]).toBe('observer');
  // Reads, writes through every member (the observer forwards its own), the same Stats everywhere.
  await writesAgree(ensemble, 'formed');
  // A session moves from a voter to the observer and back (the learner revalidates it with the leader).
  const follower = voters.find((id) => id !== leader) as number;
  await expectSessionMoves(ensemble, follower, observer, 4000);
  await expectSessionMoves(ensemble, observer, leader, 4000);

  // The observer restarts and catches up by DIFF.
  await ensemble.kill(observer);
  await bulkWrite(ensemble, leader, 'while-away', 10);
  await startAndWait(ensemble, [observer], leader);
  expect(await syncModeOf(ensemble, observer)).toEqual(['DIFF']);
  await expectBulk(ensemble, observer, 'while-away', 10);

  // Two voters go: the remaining voter and the observer are no quorum.
  const others = voters.filter((id) => id !== follower);
  for (const id of others) await ensemble.kill(id);
  await expectNoQuorumWith(ensemble, [follower, observer], 6000);
  // One voter returns: a quorum again, the observer follows whoever leads.
  const back = others[0] as number;
  await startAndWait(ensemble, [back]);
  expect((await modes(ensemble))[observer]).toBe('observer');
  await writesAgree(ensemble, 'after-outage');
}

describe.skipIf(!INTEROP.ok)('observers in mixed ensembles with Apache ZooKeeper 3.8', { retry: 1 }, () => {
  it(
    'our observer learns from a Java leader: syncs, serves, forwards writes, takes moved sessions, catches up, does not vote',
    () =>
      withEnsemble('j1,j2,j3,o4:obs', async (ensemble) => {
        await observerScenario(ensemble, 4, [1, 2, 3]);
      }),
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'a Java observer learns from our leader: syncs, serves, forwards writes, takes moved sessions, catches up, does not vote',
    () =>
      withEnsemble('o1,o2,o3,j4:obs', async (ensemble) => {
        await observerScenario(ensemble, 4, [1, 2, 3]);
      }),
    SCENARIO_TIMEOUT_MS,
  );
});
