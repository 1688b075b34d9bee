// The two random steps the core-level simulations (zab-cores, reconfig-cores) take between
// proposals: an fsync completing at some member, and a packet delivered on some link. Packets go
// through the real codec, in per-link FIFO order as on TCP; time moves on by 1 ms per delivery.

import { expect } from 'vitest';
import type { ZabEffect } from '../../src/zab/effects.js';
import type { FollowerCore } from '../../src/zab/follower.js';
import type { LeaderCore } from '../../src/zab/leader.js';
import { encodeQuorumMessage, fromPacket, QuorumPacketDecoder, type QuorumMessage } from '../../src/zab/messages.js';

export interface InFlight {
  readonly from: bigint;
  readonly to: bigint;
  readonly message: QuorumMessage;
}

/** A leader core and its learner cores, the packets between them, and how effects are carried out. */
export interface CoreCluster {
  readonly leaderId: bigint;
  readonly leader: LeaderCore;
  readonly followers: ReadonlyMap<bigint, FollowerCore>;
  readonly network: InFlight[];
  readonly run: (owner: bigint, effects: ZabEffect[]) => void;
  nowMs: number;
}

/** Round trip through the wire codec, as the shell would send it. */
export function wire(message: QuorumMessage): QuorumMessage {
  const packets = new QuorumPacketDecoder(1 << 20).push(encodeQuorumMessage(message));
  expect(packets).toHaveLength(1);
  return fromPacket(packets[0] as never);
}

function coreOf(cluster: CoreCluster, id: bigint): LeaderCore | FollowerCore {
  return id === cluster.leaderId ? cluster.leader : (cluster.followers.get(id) as FollowerCore);
}

/** An fsync completes at a random member with appends pending, covering some of them. False when none has any. */
export function completeRandomFsync(cluster: CoreCluster, members: Iterable<{ readonly id: bigint; unsynced: bigint[] }>, random: () => number): boolean {
  const candidates = [...members].filter((n) => n.unsynced.length > 0);
  const member = candidates[Math.floor(random() * candidates.length)];
  if (member === undefined) return false;
  const upTo = member.unsynced.splice(0, 1 + Math.floor(random() * member.unsynced.length)).at(-1) as bigint;
  const core = coreOf(cluster, member.id);
  core.logged(upTo);
  cluster.run(member.id, core.takeEffects());
  return true;
}

/** The oldest packet of a random link reaches its core. False when nothing is in flight. */
export function deliverRandomPacket(cluster: CoreCluster, random: () => number): boolean {
  const { network } = cluster;
  const pick = network[Math.floor(random() * network.length)];
  if (pick === undefined) return false;
  const index = network.findIndex((m) => m.from === pick.from && m.to === pick.to);
  const [packet] = network.splice(index, 1);
  if (packet === undefined) return false;
  cluster.nowMs += 1;
  if (packet.to === cluster.leaderId) {
    cluster.leader.receive(cluster.nowMs, packet.from, packet.message);
  } else {
    (cluster.followers.get(packet.to) as FollowerCore).receive(cluster.nowMs, packet.message);
  }
  cluster.run(packet.to, coreOf(cluster, packet.to).takeEffects());
  return true;
}
