// The Zab cores on a simulated network: one LeaderCore and its FollowerCores exchange real encoded
// packets in a seeded random order; appends are "fsynced" after a random delay. Checked: every
// follower applies exactly the leader's committed sequence, nothing is committed before a quorum
// logged it, and followers only ACK what they logged.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ZabEffect } from '../../src/zab/effects.js';
import { zxidOf } from '../../src/zab/effects.js';
import { FollowerCore } from '../../src/zab/follower.js';
import { LeaderCore, type CommittedProposal } from '../../src/zab/leader.js';
import { completeRandomFsync, deliverRandomPacket, wire, type CoreCluster, type InFlight } from './core-network.js';

interface Node {
  readonly id: bigint;
  applied: { zxid: bigint; txn: string }[];
  logged: Map<bigint, string>;
  unsynced: bigint[];
  acceptedEpoch: bigint;
  currentEpoch: bigint;
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function simulate(seed: number, followerCount: number, proposals: number, history: CommittedProposal[]) {
  const random = rng(seed);
  const ids = Array.from({ length: followerCount + 1 }, (_, i) => BigInt(i + 1));
  const leaderId = ids[ids.length - 1] as bigint;
  const voters = new Set(ids);
  const nodes = new Map<bigint, Node>(
    ids.map((id) => [
      id,
      {
        id,
        applied: history.map((h) => ({ zxid: h.zxid, txn: h.txn.toString() })),
        logged: new Map(history.map((h) => [h.zxid, h.txn.toString()])),
        unsynced: [],
        acceptedEpoch: 1n,
        currentEpoch: 1n,
      },
    ]),
  );
  const lastZxid = history.length === 0 ? 0n : (history[history.length - 1] as CommittedProposal).zxid;
  const startMs = 0;
  const leader = new LeaderCore(
    { myId: leaderId, voters, tickTimeMs: 100, initLimitTicks: 1000, syncLimitTicks: 1000, committedLogSize: 500, config: Buffer.alloc(0) },
    { nowMs: startMs, acceptedEpoch: 1n, currentEpoch: 1n, lastZxid, committedLog: history },
  );
  const followers = new Map<bigint, FollowerCore>();
  const network: InFlight[] = [];
  let serving = false;
  const committedByLeader: bigint[] = [];

  const run = (owner: bigint, effects: ZabEffect[]): void => {
    const node = nodes.get(owner) as Node;
    for (const effect of effects) {
      switch (effect.kind) {
        case 'send':
          network.push({ from: owner, to: effect.to, message: wire(effect.message) });
          break;
        case 'append':
          node.logged.set(effect.zxid, effect.txn.toString());
          node.unsynced.push(effect.zxid);
          break;
        case 'commit':
          node.applied.push({ zxid: effect.zxid, txn: effect.txn.toString() });
          if (owner === leaderId) committedByLeader.push(effect.zxid);
          break;
        case 'persistAcceptedEpoch':
          node.acceptedEpoch = effect.epoch;
          break;
        case 'persistCurrentEpoch':
          node.currentEpoch = effect.epoch;
          break;
        case 'serving':
          if (owner === leaderId) serving = true;
          break;
        case 'sendSnapshot': {
          const target = nodes.get(effect.to) as Node;
          target.applied = [...node.applied];
          target.logged = new Map(node.logged);
          (followers.get(effect.to) as FollowerCore).snapshotLoaded(node.applied.at(-1)?.zxid ?? 0n);
          break;
        }
        case 'abandon':
          throw new Error(`node ${owner} abandoned: ${effect.reason}`);
        default:
          break;
      }
    }
  };

  for (const id of ids.slice(0, -1)) {
    const node = nodes.get(id) as Node;
    const follower = new FollowerCore(
      { myId: id, leaderId, observer: false, tickTimeMs: 100, initLimitTicks: 1000, syncLimitTicks: 1000, configVersion: 0n },
      { nowMs: startMs, acceptedEpoch: node.acceptedEpoch, currentEpoch: node.currentEpoch, lastLoggedZxid: lastZxid },
    );
    followers.set(id, follower);
    run(id, follower.takeEffects());
  }
  run(leaderId, leader.takeEffects());

  const cluster: CoreCluster = { leaderId, leader, followers, network, run, nowMs: startMs };
  let proposed = 0;
  for (let step = 0; step < 20000; step++) {
    const roll = random();
    if (serving && proposed < proposals && roll < 0.2) {
      const zxid = leader.nextZxid();
      leader.propose(zxid, Buffer.from(`txn-${proposed++}`));
      run(leaderId, leader.takeEffects());
    } else if (roll < 0.35) {
      completeRandomFsync(cluster, nodes.values(), random);
    } else {
      deliverRandomPacket(cluster, random);
    }
    if (proposed === proposals && network.length === 0 && [...nodes.values()].every((n) => n.unsynced.length === 0)) break;
  }
  return { nodes, leaderId, committedByLeader, serving };
}

describe('Zab cores', () => {
  it('replicate every proposal to every follower in the same order', () => {
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom(2, 4), fc.integer({ min: 1, max: 30 }), (seed, followers, proposals) => {
        const result = simulate(seed, followers, proposals, []);
        expect(result.serving, `seed ${seed}`).toBe(true);
        expect(result.committedByLeader).toHaveLength(proposals);
        const expected = result.nodes.get(result.leaderId)?.applied;
        for (const node of result.nodes.values()) expect(node.applied, `seed ${seed}, node ${node.id}`).toEqual(expected);
        for (const node of result.nodes.values()) expect(node.currentEpoch).toBe(2n);
        // Whatever a member applied is in its log, or it could not recover it after a restart.
        for (const node of result.nodes.values()) {
          for (const applied of node.applied) expect(node.logged.has(applied.zxid), `seed ${seed}, node ${node.id}, ${applied.zxid}`).toBe(true);
        }
        expect(result.committedByLeader[0]).toBe(zxidOf(2n, 1n));
      }),
      { numRuns: 60 },
    );
  });

  it('syncs followers that share history by DIFF', () => {
    const history = [1n, 2n, 3n].map((counter) => ({ zxid: zxidOf(1n, counter), txn: Buffer.from(`old-${counter}`) }));
    const result = simulate(7, 2, 5, history);
    for (const node of result.nodes.values()) expect(node.applied.map((a) => a.txn).slice(0, 3)).toEqual(['old-1', 'old-2', 'old-3']);
    for (const node of result.nodes.values()) expect(node.applied).toHaveLength(8);
  });
});
