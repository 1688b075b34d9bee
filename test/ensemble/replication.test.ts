// Writes through any member are seen by every member: after sync, and once the zxids agree.
// Sequential node names are handed out by the leader, so they agree across members.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, CreateMode, dumpTree, syncedRead } from './clients.js';
import { Ensemble } from './ensemble.js';

let ensemble: Ensemble;
/** Set once the ensemble runs: what afterAll tears down (nothing when beforeAll failed). */
let toDestroy: Ensemble | undefined;
const clients: Client[] = [];

beforeAll(async () => {
  ensemble = (await Ensemble.start({ size: 3, name: 'zk-replication' })).ensemble;
  toDestroy = ensemble;
  for (const member of ensemble.members) clients.push(await Client.connect([member]));
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await toDestroy?.destroy();
});

function clientOf(id: number): Client {
  const client = clients[id - 1];
  if (client === undefined) throw new Error(`no client for member ${String(id)}`);
  return client;
}

describe('replication', () => {
  it('a write through any member is readable from every member after sync', async () => {
    await clientOf(1).create('/rep');
    for (const member of ensemble.members) {
      const client = clientOf(member.id);
      const path = `/rep/via-${String(member.id)}`;
      expect(await client.create(path, `v0-${String(member.id)}`)).toBe(path);
      // Read-your-writes on the member that took the write, without sync.
      expect((await client.getData(path)).toString()).toBe(`v0-${String(member.id)}`);
      await client.setData(path, `v1-${String(member.id)}`);
    }
    for (const reader of ensemble.members) {
      const seen = await syncedRead(reader, async (raw) => {
        const out: Record<string, string | null> = {};
        for (const writer of ensemble.members) out[writer.id] = (await raw.get(`/rep/via-${String(writer.id)}`))?.data ?? null;
        return out;
      });
      expect(seen, `reads on member ${String(reader.id)}`).toEqual({ 1: 'v1-1', 2: 'v1-2', 3: 'v1-3' });
    }
  });

  it('every member reaches the same zxid and the same tree', async () => {
    const zxid = await ensemble.waitForSameZxid();
    expect(zxid > 0n).toBe(true);
    const trees = await Promise.all(ensemble.members.map((m) => dumpTree(m, '/rep')));
    for (const tree of trees.slice(1)) expect(tree).toEqual(trees[0]);
    expect(trees[0]?.size).toBe(4);
  });

  it('sequential names agree across members, with no gap and no duplicate', async () => {
    await clientOf(2).create('/seq');
    const perMember = 5;
    const created = await Promise.all(
      ensemble.members.flatMap((m) =>
        Array.from({ length: perMember }, (_, i) => clientOf(m.id).create('/seq/n-', `${String(m.id)}.${String(i)}`, CreateMode.PERSISTENT_SEQUENTIAL)),
      ),
    );
    const names = created.map((p) => p.slice('/seq/'.length)).sort();
    expect(names).toEqual(Array.from({ length: 3 * perMember }, (_, i) => `n-${String(i).padStart(10, '0')}`));
    // Each name carries the same data on every member.
    const trees = await Promise.all(ensemble.members.map((m) => dumpTree(m, '/seq')));
    for (const tree of trees) {
      expect([...tree.keys()].filter((k) => k !== '/seq').sort()).toEqual(created.slice().sort());
      expect(tree).toEqual(trees[0]);
    }
    // The leader's and followers' children lists agree without sync once the zxids agree.
    await ensemble.waitForSameZxid();
    const lists = await Promise.all(ensemble.members.map((m) => syncedRead(m, (raw) => raw.children('/seq'))));
    for (const list of lists) expect(list).toEqual(names);
  });
});
