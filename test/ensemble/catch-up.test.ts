// A member that was away catches up when it comes back: by DIFF when the leader still holds the
// txns it missed, in memory or (past the 500 it keeps there) in its txn log, by SNAP when the txn
// log to read would exceed 3.8's size limit (a third of the snapshot), and by TRUNC when it logged
// a txn that was never committed (a leader that crashed before any follower got its proposal).
// The tests of the first ensemble share it and run in order; the size limit has an ensemble of
// its own, whose small snapCount rolls the log.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/zk-wait.js';
import { Client, dumpTree, inParallel, RawClient } from './clients.js';
import { Ensemble, type Member } from './ensemble.js';
import { req } from '../conformance/requests.js';

let ensemble: Ensemble;
/** Set once the ensemble runs: what afterAll tears down (nothing when beforeAll failed). */
let toDestroy: Ensemble | undefined;

beforeAll(async () => {
  ensemble = (await Ensemble.start({ size: 3, name: 'zk-catch-up' })).ensemble;
  toDestroy = ensemble;
  const client = await Client.connect(ensemble.members);
  await client.create('/cu');
  await client.close();
}, 60_000);

afterAll(async () => {
  await toDestroy?.destroy();
});

const SNAP_LINE = 'loaded the leader snapshot';
const SYNCING_LINE = 'syncing a learner';
const FROM_TXN_LOG_LINE = 'syncing a learner from the txn log and the committed log';
const NOT_FROM_TXN_LOG_LINE = 'cannot sync a learner from the txn log; sending a snapshot';
const TRUNC_LINE = 'TRUNC: dropping logged txns the leader never committed';
const LEFT_ROLE = 'leaving the role; back to leader election';

/** A member coming back must not disturb the serving leader (no outage for the other clients). */
function expectLeaderUndisturbed(leader: Member, mark: number, what: string): void {
  const left = leader.loggedSince(mark, LEFT_ROLE);
  expect.soft(left, `leader ${String(leader.id)} gave up leading when ${what}: ${JSON.stringify(left)}`).toEqual([]);
}

async function writeMany(members: readonly Member[], prefix: string, count: number, concurrency = 1): Promise<void> {
  const client = await Client.connect(members);
  try {
    await inParallel(count, concurrency, async (i) => {
      await client.create(`${prefix}${String(i).padStart(5, '0')}`, `${prefix}${String(i)}`);
    });
  } finally {
    await client.close();
  }
}

/** The trees of every member agree (after sync) and the zxids agree; returns the tree. */
async function expectSameEverywhere(root: string): Promise<Map<string, string>> {
  await ensemble.waitForSameZxid(ensemble.members, 15_000);
  const trees = await Promise.all(ensemble.members.map((m) => dumpTree(m, root)));
  const first = trees[0];
  if (first === undefined) throw new Error('no tree');
  for (const [i, tree] of trees.entries()) expect(tree, `tree of member ${String(i + 1)} vs member 1`).toEqual(first);
  return first;
}

describe('a restarted member catches up', () => {
  it('by DIFF after missing a few writes', async () => {
    const { leader, followers } = await ensemble.waitForQuorum();
    const away = followers[0];
    if (away === undefined) throw new Error('no follower');
    await writeMany(ensemble.members, '/cu/diff-a-', 5);
    await ensemble.waitForSameZxid();
    await away.stop();
    const others = ensemble.members.filter((m) => m !== away);
    await writeMany(others, '/cu/diff-b-', 10);
    const mark = leader.logMark();
    const restartedAt = Date.now();
    away.start();
    await ensemble.waitForQuorum({ timeoutMs: 15_000 });
    expectLeaderUndisturbed(leader, mark, `member ${String(away.id)} came back`);
    const tree = await expectSameEverywhere('/cu');
    console.info(`[ensemble timing] DIFF: member ${String(away.id)} back in sync ${String(Date.now() - restartedAt)} ms after its restart`);
    expect([...tree.keys()].filter((p) => p.startsWith('/cu/diff-b-'))).toHaveLength(10);
    // Neither a snapshot nor a truncation: the leader sent the missing txns (DIFF). Our logs do not
    // name DIFF, so this is the evidence there is.
    expect(away.logged(SNAP_LINE), away.logTail()).toEqual([]);
    expect(away.logged(TRUNC_LINE), away.logTail()).toEqual([]);
    expect(away.logged('serving clients').some((l) => l['role'] === 'following')).toBe(true);
  }, 60_000);

  it('by DIFF from the txn log after missing more txns than the leader keeps in memory (500)', async () => {
    const { leader, followers } = await ensemble.waitForQuorum();
    const away = followers[0];
    if (away === undefined) throw new Error('no follower');
    await away.stop();
    const others = ensemble.members.filter((m) => m !== away);
    const writesStarted = Date.now();
    await writeMany(others, '/cu/log-', 600, 50);
    const writesMs = Date.now() - writesStarted;
    const mark = leader.logMark();
    const restartedAt = Date.now();
    away.start();
    await ensemble.waitForQuorum({ timeoutMs: 15_000 });
    expectLeaderUndisturbed(leader, mark, `member ${String(away.id)} came back`);
    const tree = await expectSameEverywhere('/cu');
    console.info(
      `[ensemble timing] DIFF from the txn log: 600 creates (50 in flight) through 2 of 3 members in ${String(writesMs)} ms; member ${String(away.id)} back in sync ${String(Date.now() - restartedAt)} ms after its restart`,
    );
    expect([...tree.keys()].filter((p) => p.startsWith('/cu/log-'))).toHaveLength(600);
    const fromLog = leader.loggedSince(mark, FROM_TXN_LOG_LINE);
    expect(fromLog, leader.logTail()).toHaveLength(1);
    expect(fromLog[0]?.['learner']).toBe(String(away.id));
    const modes = leader.loggedSince(mark, SYNCING_LINE).filter((l) => l['learner'] === String(away.id)).map((l) => l['mode']);
    expect(modes).toEqual(['DIFF']);
    expect(away.logged(SNAP_LINE), away.logTail()).toEqual([]);
    expect(away.logged(TRUNC_LINE)).toEqual([]);
  }, 90_000);

  it('by TRUNC after logging a txn that never committed (the leader crashed before any follower got it)', async () => {
    const { leader, followers } = await ensemble.waitForQuorum();
    // A session on the leader, opened while there is a quorum (createSession is a txn too).
    const raw = await RawClient.open(leader);
    const committed = await ensemble.waitForSameZxid();
    // Freeze both followers: the leader's proposal can reach no one.
    for (const f of followers) f.pause();
    const logBefore = leader.logLines().length;
    const create = req.create('/cu/never-committed', 'lost');
    raw.session.send(create.op, create.body);
    // The leader logs the txn, gets no ACK, and gives up leading after syncLimit; its LOOKING line
    // shows the last zxid in its log, which proves the txn reached its disk.
    let loggedZxid = 0n;
    await waitUntil(
      () => {
        const looking = leader.logLines().slice(logBefore).find((l) => l.msg === 'LOOKING');
        if (looking === undefined) return false;
        loggedZxid = BigInt(String(looking['lastZxid']));
        return true;
      },
      `member ${String(leader.id)} to give up leading`,
      { timeoutMs: 15_000 },
    );
    expect(loggedZxid, `the leader's last logged zxid vs the last committed 0x${committed.toString(16)}`).toBe(committed + 1n);
    // Crash everyone: the frozen followers never read the proposal waiting in their sockets.
    await Promise.all(ensemble.members.map((m) => m.kill()));
    await raw.drop().catch(() => undefined);

    // The followers come back and elect a leader of a new epoch without the old leader.
    for (const f of followers) f.start();
    const newLeader = (await ensemble.waitForQuorum({ members: followers, timeoutMs: 15_000 })).leader;
    // The old leader comes back with the extra txn in its log: the new leader must cut it.
    const mark = newLeader.logMark();
    const restartedAt = Date.now();
    leader.start();
    await ensemble.waitForQuorum({ timeoutMs: 15_000 });
    expectLeaderUndisturbed(newLeader, mark, `member ${String(leader.id)} came back with an uncommitted txn`);
    const tree = await expectSameEverywhere('/cu');
    console.info(`[ensemble timing] TRUNC: member ${String(leader.id)} back in sync ${String(Date.now() - restartedAt)} ms after its restart`);
    expect(tree.has('/cu/never-committed')).toBe(false);
    const truncs = leader.logged(TRUNC_LINE);
    expect(truncs, leader.logTail()).toHaveLength(1);
    expect(truncs[0]?.['zxid']).toBe(`0x${committed.toString(16)}`);

    // The cut is on disk: after another restart the member recovers without the txn and needs no TRUNC.
    await leader.stop();
    const writer = await Client.connect(followers);
    await writer.create('/cu/after-trunc', 'ok');
    await writer.close();
    const currentLeader = (await ensemble.waitForQuorum({ members: followers })).leader;
    const mark2 = currentLeader.logMark();
    leader.start();
    await ensemble.waitForQuorum({ timeoutMs: 15_000 });
    expectLeaderUndisturbed(currentLeader, mark2, `member ${String(leader.id)} came back after its TRUNC`);
    const recovered = leader.logged('recovered the data tree')[0];
    expect(recovered, leader.logTail()).toBeDefined();
    expect(BigInt(String(recovered?.['lastZxid'])) >> 32n, 'epoch of the last txn recovered from disk').toBeGreaterThan(committed >> 32n);
    expect(leader.logged(TRUNC_LINE)).toEqual([]);
    const final = await expectSameEverywhere('/cu');
    expect(final.get('/cu/after-trunc')).toBe('ok');
    expect(final.has('/cu/never-committed')).toBe(false);
  }, 90_000);
});

describe('a member that missed more than the txn log may serve', () => {
  let small: Ensemble | undefined;

  afterAll(async () => {
    await small?.destroy();
  });

  it('catches up by SNAP when the log files to read exceed a third of the snapshot (3.8: snapshotSizeFactor 0.33)', async () => {
    // snapCount 100: the log rolls every 50 to 100 txns, and every file after the one the read would
    // start in (64 MiB preallocated) is far above a third of this small tree's snapshot.
    const started = await Ensemble.start({ size: 3, name: 'zk-catch-up-limit', extraCfg: { snapCount: '100' } });
    small = started.ensemble;
    const { leader, followers } = started.quorum;
    const away = followers[0];
    if (away === undefined) throw new Error('no follower');
    const setup = await Client.connect(small.members);
    await setup.create('/lim');
    await setup.close();
    await small.waitForSameZxid();
    await away.stop();
    const others = small.members.filter((m) => m !== away);
    await writeMany(others, '/lim/n-', 600, 50);
    const mark = leader.logMark();
    away.start();
    await small.waitForQuorum({ timeoutMs: 15_000 });
    expectLeaderUndisturbed(leader, mark, `member ${String(away.id)} came back`);
    await small.waitForSameZxid(small.members, 15_000);
    const trees = await Promise.all(small.members.map((m) => dumpTree(m, '/lim')));
    for (const tree of trees) expect(tree).toEqual(trees[0]);
    expect([...(trees[0] ?? new Map<string, string>()).keys()].filter((p) => p.startsWith('/lim/n-'))).toHaveLength(600);
    const refused = leader.loggedSince(mark, NOT_FROM_TXN_LOG_LINE);
    expect(refused, leader.logTail()).toHaveLength(1);
    expect(String(refused[0]?.['reason'])).toMatch(/^txn log size \d+ exceeds sizeLimit \d+$/u);
    const modes = leader.loggedSince(mark, SYNCING_LINE).filter((l) => l['learner'] === String(away.id)).map((l) => l['mode']);
    expect(modes).toEqual(['SNAP']);
    expect(away.logged(SNAP_LINE), away.logTail()).toHaveLength(1);
  }, 120_000);
});
