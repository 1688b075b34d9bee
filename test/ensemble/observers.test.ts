// Observers: three voters and one observer (`server.4=...:observer`, `peerType=observer`), all of
// ours, as real processes. The observer syncs from the leader, serves reads from its own tree,
// forwards writes, takes sessions that move to it (REVALIDATE), and never votes: without two of the
// three voters nobody serves, however many observers run. A restarted observer catches up by DIFF,
// also after missing more than the 500 txns the leader keeps in memory (from its txn log, as 3.8).
// The tests share one ensemble and run in order.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitUntil } from '../support/zk-wait.js';
import { Client, CreateMode, dumpTree, errorCodeOf, inParallel, RawClient } from './clients.js';
import { Ensemble, type LogLine, type Member, type QuorumView } from './ensemble.js';

let ensemble: Ensemble;
/** Set once the ensemble runs: what afterAll tears down (nothing when beforeAll failed). */
let toDestroy: Ensemble | undefined;
let observer: Member;

const SYNC_LINE = 'syncing with the leader';

beforeAll(async () => {
  const started = await Ensemble.start({ size: 4, observers: 1, name: 'zk-observers' });
  ensemble = started.ensemble;
  toDestroy = ensemble;
  observer = ensemble.member(4);
  expect(started.quorum.observers).toEqual([observer]);
  const client = await Client.connect(ensemble.members.filter((m) => !m.observer));
  await client.create('/obs');
  await client.close();
}, 60_000);

afterAll(async () => {
  await toDestroy?.destroy();
});

/** Every member, the observer included, serves (a member that exited fails at once: its start failed). */
function everyoneServes(): Promise<QuorumView> {
  return ensemble.waitForQuorum({ members: ensemble.members, timeoutMs: 20_000 });
}

function voters(): Member[] {
  return ensemble.members.filter((m) => !m.observer);
}

/** The sync modes (DIFF, SNAP, TRUNC) a member's current incarnation was synced with. */
function syncModes(member: Member): string[] {
  return member.logged(SYNC_LINE).map((line: LogLine) => String(line['mode']));
}

async function expectSameEverywhere(root: string): Promise<Map<string, string>> {
  await ensemble.waitForSameZxid(ensemble.running(), 15_000);
  const trees = await Promise.all(ensemble.running().map((m) => dumpTree(m, root)));
  const first = trees[0];
  if (first === undefined) throw new Error('no tree');
  for (const tree of trees) expect(tree).toEqual(first);
  return first;
}

describe('an observer', () => {
  it('syncs from the leader and reports itself as an observer', async () => {
    const { leader } = await everyoneServes();
    expect((await observer.srvr()).mode).toBe('observer');
    expect(syncModes(observer)).toHaveLength(1);
    // The leader counts it apart from its voters.
    const mntr = await leader.fourLetterWord('mntr');
    expect(mntr).toMatch(/^zk_synced_followers\t2$/m);
    expect(mntr).toMatch(/^zk_synced_observers\t1$/m);
    expect(mntr).toMatch(/^zk_learners\t3$/m);
    expect(mntr).toMatch(/^zk_quorum_size\t3$/m);
    expect(await observer.fourLetterWord('mntr')).toMatch(new RegExp(`^zk_peer_state\\tobserving - broadcast\\nzk_observer_master_id\\t${String(leader.id)}$`, 'm'));
  });

  it('serves reads of what the voters committed, from its own tree', async () => {
    const writer = await Client.connect(voters());
    const reader = await Client.connect([observer]);
    try {
      await writer.create('/obs/from-voters', 'v1');
      await writer.setData('/obs/from-voters', 'v2');
      // No sync: the observer applies what the leader INFORMs it of on its own.
      await waitUntil(async () => (await reader.exists('/obs/from-voters')) && (await reader.getData('/obs/from-voters')).toString() === 'v2', 'the observer to show the write', {
        timeoutMs: 5000,
      });
      const raw = await RawClient.open(observer);
      try {
        await raw.sync('/obs');
        expect((await raw.get('/obs/from-voters'))?.data).toBe('v2');
      } finally {
        await raw.close();
      }
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('forwards writes to the leader, ephemerals included, and they reach every member', async () => {
    const client = await Client.connect([observer]);
    let sessionId: bigint;
    try {
      sessionId = client.sessionId;
      await inParallel(20, 4, async (i) => {
        await client.create(`/obs/w-${String(i).padStart(2, '0')}`, String(i));
      });
      await client.create('/obs/eph', 'e', CreateMode.EPHEMERAL);
      const tree = await expectSameEverywhere('/obs');
      expect([...tree.keys()].filter((p) => p.startsWith('/obs/w-'))).toHaveLength(20);
      for (const member of ensemble.members) {
        const owner = await RawClient.open(member).then(async (raw) => {
          try {
            await raw.sync('/');
            return (await raw.get('/obs/eph'))?.stat.ephemeralOwner ?? null;
          } finally {
            await raw.close();
          }
        });
        expect(owner, `owner of /obs/eph on member ${String(member.id)}`).toBe(sessionId);
      }
    } finally {
      await client.close();
    }
    // Its session ended through the observer: the leader closed it and its ephemeral went everywhere.
    for (const member of ensemble.members) expect((await dumpTree(member, '/obs')).has('/obs/eph')).toBe(false);
  });

  it('takes a session that moves to it: it asks the leader (REVALIDATE), and the session keeps its ephemerals', async () => {
    const { followers } = await everyoneServes();
    const from = followers[0];
    if (from === undefined) throw new Error('no follower');
    const raw = await RawClient.open(from, { timeOut: 4000 });
    const sessionId = raw.session.sessionId;
    expect((await raw.create('/obs/mover', 'm', 1)).err).toBe(0);
    await raw.drop();
    const mark = observer.logMark();
    const moved = await RawClient.open(observer, { timeOut: 4000, sessionId, passwd: raw.session.passwd });
    try {
      expect(moved.session.handshake.timeOut).toBe(4000);
      expect(moved.session.sessionId).toBe(sessionId);
      expect(observer.loggedSince(mark, 'revalidating a session with the leader')).toHaveLength(1);
      // Past its timeout the session lives on: the observer's pings reach the leader.
      const until = Date.now() + 6000;
      while (Date.now() < until) {
        await moved.ping();
        await sleep(500);
      }
      expect((await moved.create('/obs/mover-2', 'm2', 1)).err).toBe(0);
      await moved.sync('/');
      expect((await moved.get('/obs/mover'))?.stat.ephemeralOwner).toBe(sessionId);
    } finally {
      await moved.close();
    }
  }, 30_000);

  it('does not vote: with two of the three voters gone nobody serves, the observer included', async () => {
    const { leader, followers } = await everyoneServes();
    const survivor = followers[0];
    const gone = followers[1];
    if (survivor === undefined || gone === undefined) throw new Error('two followers expected');
    const client = await Client.connect([observer], { sessionTimeout: 20_000 });
    try {
      await client.create('/obs/before-outage', 'x');
      // Two voters go: the leader and a follower. A voter and the observer remain.
      await Promise.all([leader.kill(), gone.kill()]);
      await waitUntil(async () => (await survivor.srvr()).mode === 'notServing' && (await observer.srvr()).mode === 'notServing', 'the remaining voter and the observer to stop serving', {
        timeoutMs: 15_000,
      });
      await waitUntil(() => client.disconnects > 0, 'the client of the observer to be disconnected', { timeoutMs: 5000 });
      // A write through the observer is not acknowledged while only one voter runs.
      const during: { result: string | null } = { result: null };
      const pending = client.create('/obs/during-outage', 'y').then(
        (path) => {
          during.result = `created ${path}`;
        },
        (error: unknown) => {
          during.result = `failed ${String(errorCodeOf(error))}`;
        },
      );
      const until = Date.now() + 4000;
      while (Date.now() < until) {
        expect(during.result?.startsWith('created') ?? false, `write acknowledged without a quorum of voters: ${String(during.result)}`).toBe(false);
        const views = await ensemble.views([survivor, observer]);
        expect([...views.values()].map((v) => v.mode)).toEqual(['notServing', 'notServing']);
        await sleep(200);
      }
      // A voter comes back: two of three voters are a quorum; the observer follows the new leader.
      gone.start();
      const view = await ensemble.waitForQuorum({ members: [survivor, gone, observer], timeoutMs: 20_000 });
      expect(view.observers).toEqual([observer]);
      expect(view.leader).not.toBe(observer);
      await waitUntil(() => during.result !== null, 'the write issued during the outage to complete', { timeoutMs: 20_000 });
      await pending;
      expect(during.result).toBe('created /obs/during-outage');
      await client.create('/obs/after-outage', 'z');
    } finally {
      await client.close();
    }
    leader.start();
    await everyoneServes();
    const tree = await expectSameEverywhere('/obs');
    expect(tree.get('/obs/before-outage')).toBe('x');
    expect(tree.get('/obs/during-outage')).toBe('y');
    expect(tree.get('/obs/after-outage')).toBe('z');
  }, 90_000);

  it('catches up after a restart: by DIFF after a few writes, and by DIFF from the txn log after more than the leader keeps in memory', async () => {
    await everyoneServes();
    await observer.stop();
    const writer = await Client.connect(voters());
    try {
      await inParallel(10, 2, async (i) => {
        await writer.create(`/obs/away-${String(i)}`, String(i));
      });
    } finally {
      await writer.close();
    }
    observer.start();
    await everyoneServes();
    expect(syncModes(observer)).toEqual(['DIFF']);
    let tree = await expectSameEverywhere('/obs');
    expect([...tree.keys()].filter((p) => p.startsWith('/obs/away-'))).toHaveLength(10);

    await observer.kill();
    const bulk = await Client.connect(voters());
    try {
      await inParallel(600, 16, async (i) => {
        await bulk.create(`/obs/bulk-${String(i).padStart(4, '0')}`, String(i));
      });
    } finally {
      await bulk.close();
    }
    observer.start();
    await everyoneServes();
    expect(syncModes(observer)).toEqual(['DIFF']);
    tree = await expectSameEverywhere('/obs');
    expect([...tree.keys()].filter((p) => p.startsWith('/obs/bulk-'))).toHaveLength(600);
    // A write through the caught-up observer still works.
    const client = await Client.connect([observer]);
    try {
      await client.create('/obs/last', 'l');
    } finally {
      await client.close();
    }
    expect((await dumpTree(ensemble.member(1), '/obs')).get('/obs/last')).toBe('l');
  }, 90_000);

  it('restarts from its own disk after syncing under a stream of writes', async () => {
    // Commits made while the observer syncs reach it as INFORMs; those between NEWLEADER and
    // UPTODATE must be logged too, or the next start finds a hole in its log ("txns are missing").
    await everyoneServes();
    const writer = await Client.connect(voters());
    let running = true;
    let written = 0;
    const load = (async () => {
      await inParallel(8, 8, async (lane) => {
        for (let n = 0; running; n++) {
          await writer.create(`/obs/stream-${String(lane)}-${String(n).padStart(6, '0')}`, 's').catch(() => undefined);
          written++;
        }
      });
    })();
    try {
      for (let round = 0; round < 6; round++) {
        // SIGTERM, not SIGKILL: a kill just after the observer created a new txn log file (before
        // its header) leaves an empty file that recovery refuses once a later log exists, a
        // storage matter apart from what this test is about.
        await observer.stop();
        observer.start();
        await everyoneServes();
        await waitUntil(() => written > 0, 'writes under way');
      }
    } finally {
      running = false;
      await load;
      await writer.close();
    }
    await observer.stop();
    observer.start();
    await everyoneServes();
    const tree = await expectSameEverywhere('/obs');
    expect([...tree.keys()].filter((p) => p.startsWith('/obs/stream-')).length).toBeGreaterThan(0);
    console.info(`[ensemble] observer restarted 7 times under ${String(written)} writes`);
  }, 120_000);
});
