// Leader.getDesignatedLeader's rules, one case each (the leader-removal case also runs on a 3.8
// ensemble in test/reconfig/java-ensemble.test.ts).

import { describe, expect, it } from 'vitest';
import { designatedLeader, type DesignatedLeaderInput } from './designated-leader.js';
import { configFromString, type QuorumVerifier } from './quorum-verifier.js';

function config(text: string): QuorumVerifier {
  const parsed = configFromString(text, { standaloneEnabled: true, multiAddressEnabled: false });
  if (!parsed.ok) throw new Error(parsed.failure.message);
  return parsed.value;
}

const LEADER_ADDRESS = [{ host: '10.0.0.3', port: 2888 }];

function designated(newConfig: QuorumVerifier, rest: Partial<DesignatedLeaderInput> = {}): bigint {
  return designatedLeader({
    leaderId: 3n,
    leaderQuorumAddresses: LEADER_ADDRESS,
    newConfig,
    newConfigAcks: newConfig.votingMembers.map((m) => m.id),
    laterProposals: [],
    ...rest,
  });
}

const WITHOUT_LEADER = config('server.1=10.0.0.1:2888:3888\nserver.2=10.0.0.2:2888:3888\nserver.4=10.0.0.4:2888:3888\nversion=5');

describe('designatedLeader', () => {
  it('keeps the leader when it still votes with the same quorum address', () => {
    expect(designated(config('server.1=10.0.0.1:2888:3888\nserver.3=10.0.0.3:2888:3888:participant;2181\nversion=5'))).toBe(3n);
  });

  it('hands over when the leader moves its quorum port, becomes an observer or leaves', () => {
    expect(designated(config('server.1=10.0.0.1:2888:3888\nserver.2=10.0.0.2:2888:3888\nserver.3=10.0.0.3:2999:3888\nversion=5'))).toBe(1n);
    expect(designated(config('server.1=10.0.0.1:2888:3888\nserver.2=10.0.0.2:2888:3888\nserver.3=10.0.0.3:2888:3888:observer\nversion=5'))).toBe(1n);
    expect(designated(WITHOUT_LEADER)).toBe(1n);
  });

  it('picks only among voters that acknowledged the reconfig', () => {
    expect(designated(WITHOUT_LEADER, { newConfigAcks: [4n, 2n] })).toBe(2n);
  });

  it('narrows the candidates to those that acknowledged the most following proposals', () => {
    // Proposal zxid+1 was acked by 2 and 4 (in both configurations), zxid+2 only by 4.
    expect(designated(WITHOUT_LEADER, { laterProposals: [[[2n, 4n, 3n], [2n, 4n]], [[4n, 3n], [4n]]] })).toBe(4n);
    // As soon as one candidate is left it wins, even if it missed later proposals.
    expect(designated(WITHOUT_LEADER, { laterProposals: [[[1n, 3n]], [[2n, 3n]]] })).toBe(1n);
    // When nobody acked a proposal, the best candidate so far stays.
    expect(designated(WITHOUT_LEADER, { laterProposals: [[[2n, 4n]], [[3n]]] })).toBe(2n);
  });

  it('breaks ties in HashSet order: by id mod the table size, so 17 comes before 2', () => {
    const big = config('server.2=10.0.0.2:1:2\nserver.17=10.0.0.17:1:2\nserver.5=10.0.0.5:1:2\nversion=5');
    expect(designated(big)).toBe(17n);
  });

  it('compares the leader address as InetSocketAddress does (names resolved by the caller)', () => {
    const named = config('server.1=10.0.0.1:2888:3888\nserver.3=zk3.lan:2888:3888\nversion=5');
    expect(designated(named)).toBe(1n);
    expect(
      designated(named, { resolveHost: (host) => (host === 'zk3.lan' || host === '10.0.0.3' ? { kind: 'resolved', address: '10.0.0.3', scope: 'unicast' } : { kind: 'unresolved' }) }),
    ).toBe(3n);
  });
});
