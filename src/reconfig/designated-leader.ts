// Who leads after a reconfiguration commits (3.8's Leader.getDesignatedLeader). The leader stays
// if it is a voter of the new configuration with the same quorum address; otherwise it hands over
// to a voter of the new configuration that acknowledged the reconfig, preferring the one that also
// acknowledged the most of the proposals that follow it (so fewer of them are lost), and stops
// committing. The result goes in COMMITANDACTIVATE / INFORMANDACTIVATE; learners vote for it.
//
// The same function runs when a new leader finishes synchronisation with a last-seen configuration
// newer than the committed one (Leader.startZkServer): the "reconfig proposal" is then NEWLEADER,
// with no proposals after it.
//
// Ties are broken as 3.8 breaks them, by java.util.HashSet iteration order: the candidates are a
// HashSet copied from the ack set (itself a HashSet sized for the voters and filled in ack order),
// and 3.8 takes iterator().next() after each narrowing. For ids below 16 that is the smallest id.

import { assert } from '../lib/assert.js';
import { JavaHashMapKeys } from './java-hash-table.js';
import { quorumAddresses, sameAddressSet, type ServerId } from './quorum-server.js';
import type { QuorumVerifier } from './quorum-verifier.js';
import { literalHostResolver, type HostResolver, type SocketAddress } from './socket-address.js';

export interface DesignatedLeaderInput {
  readonly leaderId: ServerId;
  /** The leader's own quorum address(es) now (QuorumPeer.getQuorumAddress). */
  readonly leaderQuorumAddresses: readonly SocketAddress[];
  /** The configuration being activated (the last ack-set pair of the proposal). */
  readonly newConfig: QuorumVerifier;
  /**
   * Voters of newConfig that acknowledged the reconfig (or NEWLEADER) proposal, in the order their
   * ACKs were counted; the leader's own ACK included if it is such a voter.
   */
  readonly newConfigAcks: readonly ServerId[];
  /**
   * The outstanding proposals that follow it (zxid + 1, zxid + 2, ... while they exist), each as
   * its ack sets, one per configuration it waits for (old, then new), in proposal order.
   */
  readonly laterProposals: readonly (readonly (readonly ServerId[])[])[];
  /** Name resolution for comparing quorum addresses (default: IP literals and localhost only). */
  readonly resolveHost?: HostResolver;
}

/** The ack set as Proposal.addAck builds it: `new HashSet<Long>(voters.size())`, filled in ack order. */
function ackSetKeys(voterCount: number, acks: readonly ServerId[]): JavaHashMapKeys<ServerId> {
  const set = JavaHashMapKeys.withInitialCapacity<ServerId>(voterCount);
  for (const id of acks) set.put(id);
  return set;
}

/** Leader.getDesignatedLeader. */
export function designatedLeader(input: DesignatedLeaderInput): ServerId {
  const resolve = input.resolveHost ?? literalHostResolver;
  const { newConfig, leaderId } = input;
  const self = newConfig.member(leaderId);
  if (self !== undefined && newConfig.isVoter(leaderId)) {
    if (sameAddressSet(quorumAddresses(self), input.leaderQuorumAddresses, resolve)) return leaderId;
  }
  for (const id of input.newConfigAcks) assert(newConfig.isVoter(id), `ack from server.${id}, a voter of the new configuration`);

  const acks = ackSetKeys(newConfig.votingMembers.length, input.newConfigAcks);
  const candidates = JavaHashMapKeys.hashSetCopyOf(acks.keys());
  candidates.remove(leaderId);
  const first = (): ServerId => {
    const next = candidates.keys()[0];
    // 3.8 throws NoSuchElementException here; a committed reconfig has a quorum of new voters, so
    // only a one-voter configuration (standaloneEnabled=false) whose voter is the moved leader gets here.
    assert(next !== undefined, 'a voter of the new configuration other than the leader acknowledged the reconfig');
    return next;
  };
  let current = first();
  for (const proposal of input.laterProposals) {
    for (const ackSet of proposal) {
      const acked = new Set(ackSet);
      for (const id of candidates.keys()) if (!acked.has(id)) candidates.remove(id);
      if (candidates.size === 0) return current;
      current = first();
      if (candidates.size === 1) return current;
    }
  }
  return current;
}
