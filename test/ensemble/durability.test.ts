// Durability: the whole ensemble goes down and comes back on its data dirs; every acknowledged
// write is there, the same on every member.

import { afterEach, describe, expect, it } from 'vitest';
import { Client, CreateMode, dumpTree } from './clients.js';
import { Ensemble } from './ensemble.js';

let ensemble: Ensemble | undefined;

afterEach(async () => {
  await ensemble?.destroy();
  ensemble = undefined;
});

async function treesEverywhere(e: Ensemble, root: string): Promise<Map<string, string>> {
  const trees = await Promise.all(e.members.map((m) => dumpTree(m, root)));
  const first = trees[0];
  if (first === undefined) throw new Error('no tree');
  for (const [i, tree] of trees.entries()) expect(tree, `member ${String(i + 1)} vs member 1`).toEqual(first);
  return first;
}

async function writeBatch(e: Ensemble, tag: string): Promise<void> {
  // Through every member in turn: persistent nodes, sequential nodes and updates.
  for (const member of e.members) {
    const client = await Client.connect([member]);
    try {
      await client.create(`/dur/${tag}-${String(member.id)}`, `${tag}@${String(member.id)}`);
      await client.create(`/dur/${tag}-seq-`, `${tag}-seq@${String(member.id)}`, CreateMode.PERSISTENT_SEQUENTIAL);
      await client.setData('/dur', `${tag} last written through ${String(member.id)}`);
    } finally {
      await client.close();
    }
  }
}

describe('durability', () => {
  it('after all members stop (SIGTERM) and after all are killed (SIGKILL), the data is intact and the same everywhere', async () => {
    const started = await Ensemble.start({ size: 3, name: 'zk-durability' });
    const e = started.ensemble;
    ensemble = e;
    const setup = await Client.connect(e.members);
    await setup.create('/dur', 'root');
    await setup.close();

    await writeBatch(e, 'first');
    const zxid1 = await e.waitForSameZxid();
    const before = await treesEverywhere(e, '/dur');
    expect(before.size).toBe(7);

    // Everyone stops gracefully, then comes back.
    await e.stopAll();
    let restartedAt = Date.now();
    e.startAll();
    const view1 = await e.waitForQuorum({ timeoutMs: 20_000 });
    console.info(`[ensemble timing] full restart after SIGTERM: quorum in ${String(Date.now() - restartedAt)} ms (leader ${String(view1.leader.id)})`);
    expect(await treesEverywhere(e, '/dur')).toEqual(before);
    const zxid2 = await e.waitForSameZxid();
    expect(zxid2 >> 32n, 'the epoch moves on').toBeGreaterThan(zxid1 >> 32n);

    // More writes, then everyone is killed at once: acknowledged writes were fsynced.
    await writeBatch(e, 'second');
    const beforeKill = await treesEverywhere(e, '/dur');
    expect(beforeKill.size).toBe(13);
    await Promise.all(e.members.map((m) => m.kill()));
    restartedAt = Date.now();
    e.startAll();
    const view2 = await e.waitForQuorum({ timeoutMs: 20_000 });
    console.info(`[ensemble timing] full restart after SIGKILL: quorum in ${String(Date.now() - restartedAt)} ms (leader ${String(view2.leader.id)})`);
    expect(await treesEverywhere(e, '/dur')).toEqual(beforeKill);
    await e.waitForSameZxid();
    // And it still takes writes.
    const client = await Client.connect(e.members);
    await client.create('/dur/after', 'ok');
    await client.close();
    expect((await treesEverywhere(e, '/dur')).get('/dur/after')).toBe('ok');
  }, 90_000);
});
