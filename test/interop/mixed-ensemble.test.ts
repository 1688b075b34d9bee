// Mixed ensembles of Apache ZooKeeper 3.8 (Debian package) and our server on 127.0.0.1: two Java
// and one of ours, one Java and two of ours, with the leader on either side. These are the
// scenarios that work today and must keep working: the ensemble forms (every member serves, one
// leader), writes through every member are read back from every member with identical Stats,
// sessions stay alive and move between kinds, the leader is SIGKILLed and the others go on, and a
// restarted member catches up by DIFF, SNAP and TRUNC.
//
// Members are also restarted into a pair made of one Java and one of our servers: that needs our
// votes to carry the established epoch as 3.8's do (finding F2 in FINDINGS.md, fixed in 13d5227).
// Leadership is forced by start order: a fresh ensemble elects the highest myid among the first
// quorum; later the highest zxid, then the highest myid.

import { describe, expect, it } from 'vitest';
import {
  bulkWrite,
  expectAbsentEverywhere,
  expectBulk,
  expectDigestsMatched,
  expectSameView,
  expectSessionKeptAlive,
  expectSessionMoves,
  expectStaleConnectionRefused,
  leaveUncommittedTxn,
  syncModeOf,
  writeThroughEachReadEverywhere,
} from './checks.js';
import type { MixedEnsemble } from './mixed-ensemble.js';
import { INTEROP, startAndWait, withEnsemble } from './support.js';

const SCENARIO_TIMEOUT_MS = 240_000;

/** Writes through each member, reads back everywhere, and compares data and Stats across members. */
async function writesAgree(ensemble: MixedEnsemble, tag: string, ids: readonly number[] = ensemble.running()): Promise<void> {
  await writeThroughEachReadEverywhere(ensemble, ids, tag);
  await expectSameView(ensemble, ids, ['/', `/${tag}`, ...ids.map((id) => `/${tag}/via-${id}`)]);
}

/** A few writes through `via` (fewer than the 500 proposals a leader keeps for DIFF). */
async function someWrites(ensemble: MixedEnsemble, via: number, tag: string): Promise<void> {
  await bulkWrite(ensemble, via, tag, 10);
}

// Leadership is forced by start order and timing; on a loaded machine an election can go the
// other way before the scenario starts. A retry (a fresh ensemble) keeps that out of CI verdicts.
describe.skipIf(!INTEROP.ok)('mixed ensembles with Apache ZooKeeper 3.8', { retry: 2 }, () => {
  it(
    '2 Java + 1 ours, Java leads: forms, serves, keeps and moves sessions, survives a leader SIGKILL',
    () =>
      withEnsemble('o1,j2,j3', async (ensemble) => {
        await startAndWait(ensemble, [2, 3], 3);
        await startAndWait(ensemble, [1], 3);
        await writesAgree(ensemble, 'formed');
        // Our follower's PING replies carry its sessions: the Java leader must not expire them.
        await expectSessionKeptAlive(ensemble, 1, [2, 3], 9000, 3000);
        await expectSessionMoves(ensemble, 2, 1, 4000);
        await expectSessionMoves(ensemble, 1, 3, 4000);
        // The Java leader refuses a write through a connection the session left; the member
        // holding that connection closes it, ours as Java's.
        await expectStaleConnectionRefused(ensemble, 1, 2, 4000);
        await expectStaleConnectionRefused(ensemble, 2, 1, 4000);
        await expectDigestsMatched(ensemble, 1);
        // The Java leader dies: ours (1) and Java (2) elect one of them (the larger zxid, then the
        // larger id: usually 2, but txns in flight at the kill can leave either one ahead).
        // FLAKY until F7 is fixed: our follower can crash on a reset election connection here.
        await ensemble.kill(3);
        await ensemble.waitForQuorum({ ids: [1, 2] });
        await writesAgree(ensemble, 'after-failover', [1, 2]);
        // The former leader returns to a pair of one Java and one ours member (F2) and catches up
        // (DIFF, or TRUNC/SNAP when it had logged a txn that was in flight at the kill).
        await startAndWait(ensemble, [3]);
        expect((await syncModeOf(ensemble, 3)).length).toBe(1);
        await writesAgree(ensemble, 'rejoined');
      }),
    SCENARIO_TIMEOUT_MS,
  );

  it(
    '2 Java + 1 ours, Java leads: our follower catches up by DIFF, after 600 writes, and by SNAP from scratch',
    () =>
      withEnsemble('o1,j2,j3', async (ensemble) => {
        await startAndWait(ensemble, [2, 3], 3);
        await startAndWait(ensemble, [1], 3);
        await writesAgree(ensemble, 'formed');

        await ensemble.kill(1);
        await someWrites(ensemble, 2, 'while-away');
        await startAndWait(ensemble, [1], 3);
        expect(await syncModeOf(ensemble, 1)).toEqual(['DIFF']);
        await expectBulk(ensemble, 1, 'while-away', 10);

        // 600 writes: more than the leader's committed log (500); 3.8 then reads its txn log.
        await ensemble.kill(1);
        await bulkWrite(ensemble, 3, 'bulk', 600);
        await startAndWait(ensemble, [1], 3);
        expect((await syncModeOf(ensemble, 1)).length).toBe(1);
        await expectBulk(ensemble, 1, 'bulk', 600);

        // An empty data dir (a replaced disk): the Java leader streams a snapshot.
        await ensemble.kill(1);
        await ensemble.wipe(1);
        await startAndWait(ensemble, [1], 3);
        expect(await syncModeOf(ensemble, 1)).toEqual(['SNAP']);
        await expectBulk(ensemble, 1, 'bulk', 600);
        await writesAgree(ensemble, 'after-snap');
      }),
    SCENARIO_TIMEOUT_MS,
  );

  it(
    '2 Java + 1 ours, ours leads: forms, serves, keeps and moves sessions; after its SIGKILL Java leads and ours rejoins by DIFF',
    () =>
      withEnsemble('j1,j2,o3', async (ensemble) => {
        // Ours starts first and has the largest id: it leads once the first Java member is up.
        await startAndWait(ensemble, [3, 1, 2], 3);
        await writesAgree(ensemble, 'formed');
        // A Java follower's PING replies keep its session alive on our leader.
        await expectSessionKeptAlive(ensemble, 1, [2, 3], 9000, 3000);
        // A Java follower asks our leader to REVALIDATE a session that moves to it.
        await expectSessionMoves(ensemble, 3, 1, 4000);
        await expectSessionMoves(ensemble, 1, 2, 4000);
        // Our leader refuses a write through a connection the session left (SessionMoved): the
        // Java follower holding it closes it; so does our leader for its own stale client.
        await expectStaleConnectionRefused(ensemble, 1, 2, 4000);
        await expectStaleConnectionRefused(ensemble, 3, 1, 4000);

        // A Java follower restarts under our leader, next to the other Java follower (F2).
        await ensemble.kill(1);
        await someWrites(ensemble, 2, 'java-away');
        await startAndWait(ensemble, [1], 3);
        expect(await syncModeOf(ensemble, 1)).toEqual(['DIFF']);
        await expectBulk(ensemble, 1, 'java-away', 10);

        await ensemble.kill(3);
        const javaLeader = await ensemble.waitForQuorum({ ids: [1, 2] });
        await someWrites(ensemble, 1, 'while-away');
        await startAndWait(ensemble, [3], javaLeader);
        expect(await syncModeOf(ensemble, 3)).toEqual(['DIFF']);
        await expectBulk(ensemble, 3, 'while-away', 10);
        await writesAgree(ensemble, 'rejoined');
      }),
    SCENARIO_TIMEOUT_MS,
  );

  it(
    '1 Java + 2 ours, ours leads: forms, serves, keeps and moves sessions; the Java follower catches up by DIFF, also after 600 writes (from our txn log); survives a leader SIGKILL',
    () =>
      withEnsemble('o1,o2,j3', async (ensemble) => {
        await startAndWait(ensemble, [1, 2], 2);
        await startAndWait(ensemble, [3], 2);
        await writesAgree(ensemble, 'formed');
        await expectSessionKeptAlive(ensemble, 3, [1, 2], 9000, 3000);
        await expectSessionMoves(ensemble, 3, 1, 4000);
        await expectSessionMoves(ensemble, 2, 3, 4000);

        await ensemble.kill(3);
        await someWrites(ensemble, 1, 'while-away');
        await startAndWait(ensemble, [3], 2);
        expect(await syncModeOf(ensemble, 3)).toEqual(['DIFF']);
        await expectBulk(ensemble, 3, 'while-away', 10);

        await ensemble.kill(3);
        await bulkWrite(ensemble, 2, 'bulk', 600);
        await startAndWait(ensemble, [3], 2);
        // More than the 500 committed txns kept in memory: DIFF from the txn log, as 3.8 does.
        expect(await syncModeOf(ensemble, 3)).toEqual(['DIFF']);
        await expectBulk(ensemble, 3, 'bulk', 600);
        await writesAgree(ensemble, 'after-bulk');

        // Our leader dies: ours (1) and Java (3) elect one of them (usually 3: same zxid, larger id).
        await ensemble.kill(2);
        await ensemble.waitForQuorum({ ids: [1, 3] });
        await writesAgree(ensemble, 'after-failover', [1, 3]);
        // Our former leader returns to a pair of one Java and one ours member (F2).
        await startAndWait(ensemble, [2]);
        expect((await syncModeOf(ensemble, 2)).length).toBe(1);
        await writesAgree(ensemble, 'rejoined');
      }),
    SCENARIO_TIMEOUT_MS,
  );

  it(
    '1 Java + 2 ours, Java leads: forms, serves, keeps and moves sessions; after its SIGKILL ours lead and the Java member rejoins',
    () =>
      withEnsemble('o1,o2,j3', async (ensemble) => {
        // The JVM starts slowly: let it listen first, so that all three look for a leader together.
        await ensemble.start(3);
        await ensemble.waitForElectionPort(3);
        await startAndWait(ensemble, [1, 2], 3);
        await writesAgree(ensemble, 'formed');
        await expectSessionKeptAlive(ensemble, 1, [2, 3], 9000, 3000);
        await expectSessionMoves(ensemble, 1, 2, 4000);
        await expectSessionMoves(ensemble, 3, 1, 4000);

        // Our follower restarts under the Java leader, next to our other follower (F2).
        await ensemble.kill(1);
        await someWrites(ensemble, 2, 'ours-away');
        await startAndWait(ensemble, [1], 3);
        expect(await syncModeOf(ensemble, 1)).toEqual(['DIFF']);
        await expectBulk(ensemble, 1, 'ours-away', 10);

        // FLAKY until F7 is fixed: killing the Java leader can crash one of our followers
        // ("Error: read ECONNRESET ... Unhandled 'error' event" in its log, exit code 1).
        await ensemble.kill(3);
        const oursLeader = await ensemble.waitForQuorum({ ids: [1, 2] });
        await someWrites(ensemble, 1, 'while-away');
        await startAndWait(ensemble, [3], oursLeader);
        expect((await syncModeOf(ensemble, 3)).length).toBe(1);
        await expectBulk(ensemble, 3, 'while-away', 10);
        await writesAgree(ensemble, 'rejoined');
      }),
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'TRUNC: a Java leader truncates the uncommitted txn of our former leader',
    () =>
      withEnsemble('j1,j2,o3', async (ensemble) => {
        await startAndWait(ensemble, [3, 1, 2], 3);
        await writesAgree(ensemble, 'formed');
        const ghost = await leaveUncommittedTxn(ensemble, 3, [1, 2]);
        await ensemble.kill(3);
        await ensemble.kill(1);
        await ensemble.kill(2);
        // The member that logged more before the freeze leads (the larger id when they are even).
        const leader = await startAndWait(ensemble, [1, 2]);
        // No write before ours returns: its extra txn is in the leader's epoch, past its last zxid.
        await startAndWait(ensemble, [3], leader);
        expect(await syncModeOf(ensemble, 3)).toEqual(['TRUNC']);
        await expectAbsentEverywhere(ensemble, [1, 2, 3], ghost);
        await writesAgree(ensemble, 'after-trunc');
      }),
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'TRUNC: our leader truncates the uncommitted txn of a former Java leader',
    () =>
      withEnsemble('o1,o2,j3', async (ensemble) => {
        await ensemble.start(3);
        await ensemble.waitForElectionPort(3);
        await startAndWait(ensemble, [1, 2], 3);
        await writesAgree(ensemble, 'formed');
        const ghost = await leaveUncommittedTxn(ensemble, 3, [1, 2]);
        await ensemble.kill(3);
        await ensemble.kill(1);
        await ensemble.kill(2);
        const leader = await startAndWait(ensemble, [1, 2]);
        await startAndWait(ensemble, [3], leader);
        expect(await syncModeOf(ensemble, 3)).toEqual(['TRUNC']);
        await expectAbsentEverywhere(ensemble, [1, 2, 3], ghost);
        await writesAgree(ensemble, 'after-trunc');
      }),
    SCENARIO_TIMEOUT_MS,
  );
});
