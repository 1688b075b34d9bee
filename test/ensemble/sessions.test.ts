// Sessions across the ensemble: the leader tracks every session, so an ephemeral made through a
// follower goes away everywhere when its session is closed or expires, and a client that moves to
// another member keeps its session (and its ephemerals). A follower does not decide on a session a
// client brings to it: it asks the leader (REVALIDATE), which refuses an expired session and
// restarts a live one's expiry with the client's timeout.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitUntil } from '../support/zk-wait.js';
import { Client, CreateMode, RawClient, syncedRead } from './clients.js';
import { Ensemble, type Member } from './ensemble.js';

const EPHEMERAL_FLAG = 1;
const REVALIDATING = 'revalidating a session with the leader';

let ensemble: Ensemble;
/** Set once the ensemble runs: what afterAll tears down (nothing when beforeAll failed). */
let toDestroy: Ensemble | undefined;
let leader: Member;
let followers: readonly Member[];

beforeAll(async () => {
  const started = await Ensemble.start({ size: 3, name: 'zk-sessions' });
  ensemble = started.ensemble;
  toDestroy = ensemble;
  leader = started.quorum.leader;
  followers = started.quorum.followers;
  const client = await Client.connect(ensemble.members);
  await client.create('/eph');
  await client.close();
}, 60_000);

afterAll(async () => {
  await toDestroy?.destroy();
});

function follower(i: number): Member {
  const member = followers[i];
  if (member === undefined) throw new Error(`no follower ${String(i)}`);
  return member;
}

/** The ephemeralOwner of `path` on every member after sync (null where it does not exist). */
async function ownersEverywhere(path: string): Promise<(bigint | null)[]> {
  return Promise.all(ensemble.members.map((m) => syncedRead(m, async (raw) => (await raw.get(path))?.stat.ephemeralOwner ?? null)));
}

describe('sessions across the ensemble', () => {
  it('an ephemeral made through a follower disappears from every member when its session is closed', async () => {
    const client = await Client.connect([follower(0)]);
    await client.create('/eph/closed', 'x', CreateMode.EPHEMERAL);
    const owner = client.sessionId;
    expect(await ownersEverywhere('/eph/closed')).toEqual([owner, owner, owner]);
    await client.close();
    expect(await ownersEverywhere('/eph/closed')).toEqual([null, null, null]);
  });

  it('an ephemeral made through a follower disappears from every member when its client dies and the session expires', async () => {
    const raw = await RawClient.open(follower(1), { timeOut: 2000 });
    const timeout = raw.session.handshake.timeOut;
    const sessionId = raw.session.sessionId;
    const passwd = raw.session.passwd;
    expect(timeout).toBe(2000);
    expect((await raw.create('/eph/expiring', 'x', EPHEMERAL_FLAG)).err).toBe(0);
    expect(await ownersEverywhere('/eph/expiring')).toEqual([sessionId, sessionId, sessionId]);
    // The client dies without closeSession.
    const droppedAt = Date.now();
    await raw.drop();
    await waitUntil(async () => (await ownersEverywhere('/eph/expiring')).every((o) => o === null), 'the ephemeral to go on every member', {
      timeoutMs: timeout + 8000,
      intervalMs: 100,
    });
    const goneMs = Date.now() - droppedAt;
    console.info(`[ensemble timing] session with a ${String(timeout)} ms timeout expired; its ephemeral was gone from all members ${String(goneMs)} ms after the client died`);
    expect(goneMs).toBeGreaterThanOrEqual(timeout - 500);
    // The expired session cannot be resumed on any member (ConnectResponse with timeOut 0). The
    // followers refuse it on the leader's word.
    for (const member of ensemble.members) {
      const mark = member.logMark();
      const again = await RawClient.open(member, { timeOut: 2000, sessionId, passwd });
      expect(again.session.handshake.timeOut, `reattaching the expired session on member ${String(member.id)}`).toBe(0);
      expect(again.session.handshake.sessionId).toBe(0n);
      await again.drop();
      expect(member.loggedSince(mark, REVALIDATING), `member ${String(member.id)} asked the leader`).toHaveLength(member === leader ? 0 : 1);
    }
  });

  it('a client that moves to another member keeps its session and its ephemerals', async () => {
    const from = follower(0);
    const to = follower(1);
    const raw = await RawClient.open(from, { timeOut: 2000 });
    const sessionId = raw.session.sessionId;
    expect((await raw.create('/eph/mover', 'x', EPHEMERAL_FLAG)).err).toBe(0);
    await raw.drop();

    // node-zookeeper-client reattaches on another member with the session id and password.
    const mark = to.logMark();
    const moved = await Client.connect([to], {
      sessionTimeout: 2000,
      sessionId: Buffer.from(BigInt.asUintN(64, sessionId).toString(16).padStart(16, '0'), 'hex'),
      sessionPassword: raw.session.passwd,
    });
    try {
      expect(moved.sessionId).toBe(sessionId);
      expect(moved.expired).toBe(false);
      expect(to.loggedSince(mark, REVALIDATING)).toHaveLength(1);
      expect(await moved.create('/eph/mover-2', 'y', CreateMode.EPHEMERAL)).toBe('/eph/mover-2');
      expect(await ownersEverywhere('/eph/mover')).toEqual([sessionId, sessionId, sessionId]);
      expect(await ownersEverywhere('/eph/mover-2')).toEqual([sessionId, sessionId, sessionId]);
      // Several session timeouts later the session still lives: the new member's pings reach the leader.
      const until = Date.now() + 3 * 2000;
      while (Date.now() < until) await sleep(250);
      expect(moved.expired).toBe(false);
      expect(await ownersEverywhere('/eph/mover')).toEqual([sessionId, sessionId, sessionId]);
      expect((await moved.getData('/eph/mover')).toString()).toBe('x');
    } finally {
      await moved.close();
    }
    expect(await ownersEverywhere('/eph/mover')).toEqual([null, null, null]);
    expect(await ownersEverywhere('/eph/mover-2')).toEqual([null, null, null]);
    expect(leader.isRunning()).toBe(true);
  }, 40_000);

  it('a moved session lives on the leader from the REVALIDATE on, though the client stays silent', async () => {
    // The session is dropped near the end of its timeout and taken to the other follower, where
    // the client then sends nothing (no pings, so no touches in that follower's PING replies).
    // Only the leader's touch at REVALIDATE keeps it alive past its original expiry; a follower
    // that accepted it from its own table would let it expire then.
    const timeoutMs = 4000;
    const raw = await RawClient.open(follower(0), { timeOut: timeoutMs });
    const sessionId = raw.session.sessionId;
    expect((await raw.create('/eph/silent', 'x', EPHEMERAL_FLAG)).err).toBe(0);
    await raw.drop();
    const droppedAt = Date.now();
    await sleep(timeoutMs - 1200);
    const moved = await RawClient.open(follower(1), { timeOut: timeoutMs, sessionId, passwd: raw.session.passwd });
    const movedAt = Date.now();
    try {
      expect(moved.session.handshake.timeOut).toBe(timeoutMs);
      expect(moved.session.sessionId).toBe(sessionId);
      // Well past the original expiry (dropped + timeout + a tick), still before the renewed one.
      await sleep(Math.max(0, droppedAt + timeoutMs + 1500 - Date.now()));
      expect(Date.now() - movedAt, 'the check ran before the renewed expiry').toBeLessThan(timeoutMs - 300);
      const owner = await syncedRead(leader, async (c) => (await c.get('/eph/silent'))?.stat.ephemeralOwner ?? null);
      expect(owner, 'the ephemeral of the moved session on the leader').toBe(sessionId);
    } finally {
      await moved.close();
    }
    expect(await ownersEverywhere('/eph/silent')).toEqual([null, null, null]);
  }, 30_000);
});
