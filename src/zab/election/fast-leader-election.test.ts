// Elections among several pure FastLeaderElection cores on a simulated network: messages are
// delivered in a seeded random order (and some dropped), time advances in steps, and every run must
// end with all live voters agreeing on the best candidate of a quorum.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FastLeaderElection, isBetterVote, type Decision, type ElectionOutput } from './fast-leader-election.js';
import { decodeNotification, encodeNotification, type Notification } from './notification.js';

interface Peer {
  readonly id: bigint;
  readonly core: FastLeaderElection;
  decision: Decision | null;
}

function makePeers(ids: bigint[]): Peer[] {
  const voters = new Set(ids);
  return ids.map((id) => ({
    id,
    decision: null,
    core: new FastLeaderElection({
      myId: id,
      voters,
      participant: true,
      finalizeWaitMs: 200,
      minNotificationIntervalMs: 200,
      maxNotificationIntervalMs: 2000,
      config: Buffer.alloc(0),
    }),
  }));
}

/** A tiny seeded PRNG (mulberry32) so every run replays from its seed. */
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

function run(ids: bigint[], lastZxids: bigint[], seed: number, dropRate: number): Peer[] {
  const random = rng(seed);
  const peers = makePeers(ids);
  const inFlight: { from: bigint; to: bigint; bytes: Buffer }[] = [];
  const collect = (from: Peer, output: ElectionOutput): void => {
    for (const { to, notification } of output.send) inFlight.push({ from: from.id, to, bytes: encodeNotification(notification) });
    if (output.decision !== null) from.decision = output.decision;
  };
  let now = 0;
  peers.forEach((peer, i) => collect(peer, peer.core.start(now, lastZxids[i] as bigint, 1n)));
  for (let step = 0; step < 5000 && peers.some((p) => p.decision === null); step++) {
    // Messages are delivered (in random order) before time moves on unless they are lost: on a
    // network faster than finalizeWait the election must settle on the best candidate.
    if (inFlight.length > 0) {
      const [message] = inFlight.splice(Math.floor(random() * inFlight.length), 1);
      if (message === undefined || random() < dropRate) continue;
      const target = peers.find((p) => p.id === message.to);
      if (target === undefined) continue;
      const notification: Notification = decodeNotification(message.bytes);
      collect(target, target.core.receive(now, message.from, notification));
    } else {
      now += 50;
      for (const peer of peers) collect(peer, peer.core.tick(now));
    }
  }
  return peers;
}

describe('FastLeaderElection', () => {
  it('orders votes by epoch, then zxid, then id', () => {
    expect(isBetterVote(1n, 5n, 2n, 3n, 9n, 1n)).toBe(true);
    expect(isBetterVote(1n, 9n, 1n, 3n, 5n, 1n)).toBe(true);
    expect(isBetterVote(3n, 5n, 1n, 1n, 5n, 1n)).toBe(true);
    expect(isBetterVote(1n, 5n, 1n, 3n, 5n, 1n)).toBe(false);
  });

  it('elects the server with the highest zxid, all agreeing, under reordering', () => {
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom(3, 5), (seed, size) => {
        const dropRate = 0;
        const ids = Array.from({ length: size }, (_, i) => BigInt(i + 1));
        const zxids = ids.map((_, i) => BigInt((seed >>> i) & 3));
        const peers = run(ids, zxids, seed, dropRate);
        const leaders = new Set(peers.map((p) => p.decision?.leader));
        expect(leaders.size, `seed ${seed}`).toBe(1);
        const leader = peers[0]?.decision?.leader;
        expect(leader).toBeDefined();
        // The winner has the highest zxid, ties broken by the highest id.
        const best = ids.reduce((a, b, i) => {
          const za = zxids[ids.indexOf(a)] as bigint;
          const zb = zxids[i] as bigint;
          return zb > za || (zb === za && b > a) ? b : a;
        });
        expect(leader).toBe(best);
        for (const peer of peers) expect(peer.decision?.role).toBe(peer.id === leader ? 'leading' : 'following');
      }),
      { numRuns: 200 },
    );
  });

  it('still elects a leader when notifications are lost (resends on timeout)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom(3, 5), fc.double({ min: 0.05, max: 0.4, noNaN: true }), (seed, size, dropRate) => {
        const ids = Array.from({ length: size }, (_, i) => BigInt(i + 1));
        const peers = run(ids, ids.map(() => 0n), seed, dropRate);
        for (const peer of peers) expect(peer.decision, `seed ${seed}`).not.toBeNull();
      }),
      { numRuns: 100 },
    );
  });

  it('counts its own vote for the next configuration when a pending reconfig adds it (3.8 notifies itself)', () => {
    // Voters {1, 2, 3} committed, {1, 2, 3, 4} proposed; 2 is down. Server 4 votes only in the
    // next configuration: without its own vote it would never see a quorum of it and stay looking.
    const committed = new Set([1n, 2n, 3n]);
    const next = new Set([1n, 2n, 3n, 4n]);
    const peers: Peer[] = [1n, 3n, 4n].map((id) => ({
      id,
      decision: null,
      core: new FastLeaderElection({
        myId: id,
        voters: committed,
        nextVoters: next,
        participant: committed.has(id),
        learnerType: 'participant',
        finalizeWaitMs: 0,
        minNotificationIntervalMs: 200,
        maxNotificationIntervalMs: 2000,
        config: Buffer.alloc(0),
      }),
    }));
    const inFlight: { from: bigint; to: bigint; bytes: Buffer }[] = [];
    const collect = (from: Peer, output: ElectionOutput): void => {
      for (const { to, notification } of output.send) inFlight.push({ from: from.id, to, bytes: encodeNotification(notification) });
      if (output.decision !== null) from.decision = output.decision;
    };
    for (const peer of peers) collect(peer, peer.core.start(0, 0x100000005n, 1n));
    for (let step = 0; step < 1000 && inFlight.length > 0; step++) {
      const message = inFlight.shift();
      const target = peers.find((p) => p.id === message?.to);
      if (message === undefined || target === undefined) continue;
      collect(target, target.core.receive(step, message.from, decodeNotification(message.bytes)));
    }
    expect(peers.map((p) => [p.id, p.decision?.leader, p.decision?.role])).toEqual([
      [1n, 3n, 'following'],
      [3n, 3n, 'leading'],
      [4n, 3n, 'following'],
    ]);
  });

  it('round-trips notifications and reads the older 40-byte form', () => {
    const n: Notification = { state: 'following', leader: 3n, zxid: 0x100000005n, electionEpoch: 7n, peerEpoch: 1n, version: 2, config: Buffer.from('server.1=a:1:2') };
    expect(decodeNotification(encodeNotification(n))).toEqual(n);
    const old = encodeNotification(n).subarray(0, 40);
    expect(decodeNotification(old)).toMatchObject({ state: 'following', leader: 3n, peerEpoch: 1n, version: 0 });
  });
});
