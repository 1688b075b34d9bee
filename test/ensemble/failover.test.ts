// Crashes: SIGKILL the leader under a steady stream of writes, and take the quorum away.
// The two tests share one ensemble and run in order.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitUntil } from '../support/zk-wait.js';
import { Client, dumpTree, errorCodeOf, RawClient } from './clients.js';
import { Ensemble, type Member } from './ensemble.js';

let ensemble: Ensemble;
/** Set once the ensemble runs: what afterAll tears down (nothing when beforeAll failed). */
let toDestroy: Ensemble | undefined;
let firstLeader: Member;

beforeAll(async () => {
  const started = await Ensemble.start({ size: 3, name: 'zk-failover' });
  ensemble = started.ensemble;
  toDestroy = ensemble;
  firstLeader = started.quorum.leader;
}, 60_000);

afterAll(async () => {
  await toDestroy?.destroy();
});

interface WriteOutcome {
  readonly path: string;
  readonly issuedAt: number;
  readonly doneAt: number;
  readonly ok: boolean;
  readonly error?: string;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${String(ms)} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Creates /fo/w-<n> one after another until stopped; records every outcome. */
function startWriter(client: Client): { outcomes: WriteOutcome[]; stop: () => Promise<void> } {
  const outcomes: WriteOutcome[] = [];
  let running = true;
  const loop = (async () => {
    for (let n = 0; running; n++) {
      const path = `/fo/w-${String(n).padStart(6, '0')}`;
      const issuedAt = Date.now();
      try {
        await withTimeout(client.create(path, String(n)), 8000, `create ${path}`);
        outcomes.push({ path, issuedAt, doneAt: Date.now(), ok: true });
      } catch (error) {
        outcomes.push({ path, issuedAt, doneAt: Date.now(), ok: false, error: `${String(errorCodeOf(error))} ${String(error)}` });
        await sleep(20);
      }
    }
  })();
  return {
    outcomes,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

describe('failover', () => {
  it('SIGKILL of the leader: the others elect a new leader, writes resume within seconds, acknowledged writes survive', async () => {
    const setup = await Client.connect(ensemble.members);
    await setup.create('/fo');
    await setup.close();

    const writerClient = await Client.connect(ensemble.members);
    const writer = startWriter(writerClient);
    try {
      await waitUntil(() => writer.outcomes.filter((o) => o.ok).length >= 20, '20 writes before the crash', { timeoutMs: 10_000 });
      const killedAt = Date.now();
      await firstLeader.kill();
      const survivors = ensemble.members.filter((m) => m !== firstLeader);
      const view = await ensemble.waitForQuorum({ members: survivors, timeoutMs: 15_000 });
      const electedMs = Date.now() - killedAt;
      await waitUntil(() => writer.outcomes.some((o) => o.ok && o.issuedAt > killedAt), 'a write acknowledged after the crash', { timeoutMs: 15_000 });
      const firstWriteAfter = writer.outcomes.find((o) => o.ok && o.issuedAt > killedAt);
      const resumedMs = (firstWriteAfter?.doneAt ?? Number.NaN) - killedAt;
      // Keep writing a little under the new leader.
      const countAfter = writer.outcomes.length;
      await waitUntil(() => writer.outcomes.slice(countAfter).filter((o) => o.ok).length >= 20, '20 more writes under the new leader', { timeoutMs: 10_000 });
      await writer.stop();
      const failed = writer.outcomes.filter((o) => !o.ok);
      console.info(
        `[ensemble timing] leader ${String(firstLeader.id)} SIGKILLed: new leader ${String(view.leader.id)} seen after ${String(electedMs)} ms; first write acknowledged ${String(resumedMs)} ms after the kill; ${String(writer.outcomes.filter((o) => o.ok).length)} writes acknowledged, ${String(failed.length)} failed (${failed.map((f) => f.error).join('; ')})`,
      );

      expect(view.leader).not.toBe(firstLeader);
      expect(resumedMs).toBeLessThan(5000);
      // Every acknowledged write is on both survivors; nothing appears that was never attempted.
      const acked = writer.outcomes.filter((o) => o.ok).map((o) => o.path);
      const attempted = new Set(writer.outcomes.map((o) => o.path));
      for (const member of survivors) {
        const tree = await dumpTree(member, '/fo');
        const present = [...tree.keys()].filter((p) => p !== '/fo');
        const missing = acked.filter((p) => !tree.has(p));
        expect(missing, `acknowledged writes missing on member ${String(member.id)}`).toEqual([]);
        expect(present.filter((p) => !attempted.has(p))).toEqual([]);
      }
    } finally {
      await writer.stop();
      await writerClient.close();
    }

    // The old leader comes back as a follower with everything, without disturbing the new leader.
    const newLeader = (await ensemble.waitForQuorum({ members: ensemble.members.filter((m) => m !== firstLeader) })).leader;
    const mark = newLeader.logMark();
    firstLeader.start();
    await ensemble.waitForQuorum({ timeoutMs: 15_000 });
    const left = newLeader.loggedSince(mark, 'leaving the role; back to leader election');
    expect.soft(left, `leader ${String(newLeader.id)} gave up leading when member ${String(firstLeader.id)} came back: ${JSON.stringify(left)}`).toEqual([]);
    const zxid = await ensemble.waitForSameZxid();
    const trees = await Promise.all(ensemble.members.map((m) => dumpTree(m, '/fo')));
    for (const tree of trees) expect(tree).toEqual(trees[0]);
    expect(zxid > 0n).toBe(true);
  }, 60_000);

  it('a minority does not serve: clients are turned away and writes wait; it serves again when a quorum returns', async () => {
    const { leader, followers } = await ensemble.waitForQuorum({ timeoutMs: 15_000 });
    const client = await Client.connect([leader]);
    await client.create('/minority', 'before');

    const killedAt = Date.now();
    await Promise.all(followers.map((f) => f.kill()));
    await waitUntil(async () => (await leader.srvr()).mode === 'notServing', `member ${String(leader.id)} to stop serving`, { timeoutMs: 10_000 });
    const stoppedServingMs = Date.now() - killedAt;
    await waitUntil(() => client.disconnects > 0, 'the client connected to the minority to be disconnected', { timeoutMs: 5000 });

    // A new session is refused.
    const refused = await RawClient.open(leader).then(
      async (raw) => {
        await raw.close();
        return false;
      },
      () => true,
    );
    expect(refused, 'a new session on a member without a quorum').toBe(true);

    // A write issued now is not acknowledged while the member is alone.
    const during: { result: string | null } = { result: null };
    const pendingWrite = client.create('/minority/during', 'x').then(
      (path) => {
        during.result = `created ${path}`;
      },
      (error: unknown) => {
        during.result = `failed ${String(errorCodeOf(error))}`;
      },
    );
    const aloneUntil = Date.now() + 2000;
    while (Date.now() < aloneUntil) {
      expect(during.result?.startsWith('created') ?? false, `write acknowledged by a minority: ${String(during.result)}`).toBe(false);
      expect((await leader.srvr()).mode).toBe('notServing');
      await sleep(100);
    }

    // One member comes back: two of three is a quorum again.
    const back = followers[0];
    if (back === undefined) throw new Error('no follower');
    const restartedAt = Date.now();
    back.start();
    await ensemble.waitForQuorum({ members: [leader, back], timeoutMs: 15_000 });
    const servingAgainMs = Date.now() - restartedAt;
    // The client reconnects with its session; writes are accepted again.
    await waitUntil(() => during.result !== null, 'the write issued during the outage to complete', { timeoutMs: 15_000 });
    await pendingWrite;
    console.info(
      `[ensemble timing] minority: member ${String(leader.id)} stopped serving ${String(stoppedServingMs)} ms after losing both followers; quorum back ${String(servingAgainMs)} ms after restarting member ${String(back.id)}; write issued during the outage: ${String(during.result)}`,
    );
    // The session outlived the outage (shorter than its timeout), so the queued write went through.
    expect(during.result).toBe('created /minority/during');
    const after = await Client.connect([leader, back]);
    await after.create('/minority/after', 'y');
    await after.close();
    for (const member of [leader, back]) {
      const tree = await dumpTree(member, '/minority');
      expect(tree.get('/minority')).toBe('before');
      expect(tree.get('/minority/after')).toBe('y');
      expect(tree.get('/minority/during')).toBe('x');
    }
    await client.close();
  }, 60_000);
});
