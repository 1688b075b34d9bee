// The cores' observer and REVALIDATE paths, step by step: an observer logs every commit it learns
// of (INFORM) once NEWLEADER made the log its own, never ACKs a proposal, and is not a vote; a
// learner asks the leader about a moved session and hands its answer to the shell.

import { describe, expect, it } from 'vitest';
import { zxidOf, type ZabEffect } from './effects.js';
import { FollowerCore } from './follower.js';
import { LeaderCore } from './leader.js';
import { LEARNER_PROTOCOL_VERSION } from './messages.js';

const TIMING = { tickTimeMs: 100, initLimitTicks: 10, syncLimitTicks: 5 };

function observer(lastLoggedZxid = 0n): FollowerCore {
  return new FollowerCore(
    { myId: 4n, leaderId: 3n, observer: true, ...TIMING, configVersion: 0n },
    { nowMs: 0, acceptedEpoch: 0n, currentEpoch: 0n, lastLoggedZxid },
  );
}

function kinds(effects: readonly ZabEffect[]): string[] {
  return effects.map((e) => (e.kind === 'send' ? `send ${e.message.kind}` : e.kind === 'append' || e.kind === 'commit' ? `${e.kind} ${e.zxid.toString(16)}` : e.kind));
}

const txn = (n: number): Buffer => Buffer.from(`txn-${String(n)}`);

describe('an observer (FollowerCore with observer: true)', () => {
  it('logs the commits INFORMed between NEWLEADER and UPTODATE, and applies them at UPTODATE', () => {
    const core = observer();
    expect(kinds(core.takeEffects())).toEqual(['send learnerInfo']);
    core.receive(1, { kind: 'leaderInfo', newEpoch: 1n, protocolVersion: LEARNER_PROTOCOL_VERSION });
    core.receive(2, { kind: 'diff', zxid: 0n });
    core.receive(3, { kind: 'newLeader', zxid: zxidOf(1n, 0n), config: Buffer.alloc(0) });
    expect(kinds(core.takeEffects())).toEqual(['persistAcceptedEpoch', 'send ackEpoch', 'markEpochUpdating', 'persistCurrentEpoch', 'send ack']);
    // The leader committed these while our NEWLEADER ACK was on its way.
    core.receive(4, { kind: 'inform', zxid: zxidOf(1n, 1n), txn: txn(1) });
    core.receive(5, { kind: 'inform', zxid: zxidOf(1n, 2n), txn: txn(2) });
    expect(kinds(core.takeEffects())).toEqual(['append 100000001', 'append 100000002']);
    core.receive(6, { kind: 'upToDate', zxid: -1n });
    expect(kinds(core.takeEffects())).toEqual(['send ack', 'serving', 'commit 100000001', 'commit 100000002']);
    // Broadcast: an INFORM is logged and applied; a PROPOSAL is not for observers; nothing is ACKed.
    core.receive(7, { kind: 'inform', zxid: zxidOf(1n, 3n), txn: txn(3) });
    core.receive(8, { kind: 'proposal', zxid: zxidOf(1n, 4n), txn: txn(4) });
    core.logged(zxidOf(1n, 3n));
    expect(kinds(core.takeEffects())).toEqual(['append 100000003', 'commit 100000003']);
  });

  it('reports how it is being synced until NEWLEADER (QuorumPeer.SyncMode)', () => {
    const core = observer();
    core.receive(1, { kind: 'leaderInfo', newEpoch: 1n, protocolVersion: LEARNER_PROTOCOL_VERSION });
    expect(core.syncMode).toBeNull();
    core.receive(2, { kind: 'snap', zxid: 0n });
    expect(core.syncMode).toBe('snap');
    core.snapshotLoaded(0n);
    core.receive(3, { kind: 'newLeader', zxid: zxidOf(1n, 0n), config: Buffer.alloc(0) });
    expect(core.syncMode).toBeNull();
  });
});

describe('REVALIDATE', () => {
  it('a learner asks the leader, and hands the answer to the shell in the order it came', () => {
    const core = observer();
    core.receive(1, { kind: 'leaderInfo', newEpoch: 1n, protocolVersion: LEARNER_PROTOCOL_VERSION });
    core.receive(2, { kind: 'diff', zxid: 0n });
    core.receive(3, { kind: 'newLeader', zxid: zxidOf(1n, 0n), config: Buffer.alloc(0) });
    core.receive(4, { kind: 'upToDate', zxid: -1n });
    core.takeEffects();
    core.revalidate(0x1234n, 6000);
    expect(core.takeEffects()).toEqual([{ kind: 'send', to: 3n, message: { kind: 'revalidate', sessionId: 0x1234n, timeoutMs: 6000 } }]);
    core.receive(5, { kind: 'inform', zxid: zxidOf(1n, 1n), txn: txn(1) });
    core.receive(6, { kind: 'revalidateReply', sessionId: 0x1234n, valid: false });
    expect(kinds(core.takeEffects())).toEqual(['append 100000001', 'commit 100000001', 'fromLeader']);
  });
});

describe('LeaderCore with an observer', () => {
  const leader = (): LeaderCore =>
    new LeaderCore(
      { myId: 3n, voters: new Set([1n, 2n, 3n]), ...TIMING, committedLogSize: 500, config: Buffer.alloc(0) },
      { nowMs: 0, acceptedEpoch: 1n, currentEpoch: 1n, lastZxid: zxidOf(1n, 0n), committedLog: [] },
    );

  it('proposes an epoch above an observer accepted, but the observer is no vote toward it', () => {
    const core = leader();
    core.receive(1, 4n, { kind: 'learnerInfo', observer: true, acceptedEpoch: 7n, serverId: 4n, protocolVersion: LEARNER_PROTOCOL_VERSION, configVersion: 0n });
    expect(core.epoch).toBeNull();
    core.receive(2, 1n, { kind: 'learnerInfo', observer: false, acceptedEpoch: 1n, serverId: 1n, protocolVersion: LEARNER_PROTOCOL_VERSION, configVersion: 0n });
    expect(core.epoch).toBe(8n);
  });

  it('reaches broadcast on its voters; the observer gets INFORM where followers get COMMIT', () => {
    const core = leader();
    const info = (sid: bigint, isObserver: boolean) => ({ kind: 'learnerInfo' as const, observer: isObserver, acceptedEpoch: 1n, serverId: sid, protocolVersion: LEARNER_PROTOCOL_VERSION, configVersion: 0n });
    core.receive(1, 4n, info(4n, true));
    core.receive(1, 1n, info(1n, false));
    const epoch = core.epoch as bigint;
    core.receive(2, 4n, { kind: 'ackEpoch', lastLoggedZxid: zxidOf(1n, 0n), currentEpoch: 1n });
    core.receive(2, 1n, { kind: 'ackEpoch', lastLoggedZxid: zxidOf(1n, 0n), currentEpoch: 1n });
    core.receive(3, 4n, { kind: 'ack', zxid: zxidOf(epoch, 0n) });
    expect(core.phase).toBe('synchronization');
    core.receive(3, 1n, { kind: 'ack', zxid: zxidOf(epoch, 0n) });
    expect(core.phase).toBe('broadcast');
    core.takeEffects();
    core.propose(zxidOf(epoch, 1n), txn(1));
    core.logged(zxidOf(epoch, 1n));
    // The observer's ACK would not count: only follower 1's makes the quorum.
    core.receive(4, 4n, { kind: 'ack', zxid: zxidOf(epoch, 1n) });
    expect(core.lastCommitted).toBe(zxidOf(1n, 0n));
    core.receive(4, 1n, { kind: 'ack', zxid: zxidOf(epoch, 1n) });
    expect(core.lastCommitted).toBe(zxidOf(epoch, 1n));
    const sends = core.takeEffects().flatMap((e) => (e.kind === 'send' ? [`${e.to}:${e.message.kind}`] : []));
    expect(sends).toEqual(['1:proposal', '4:inform', '1:commit']);
  });

  it('counts pending syncs by the zxid they wait for', () => {
    const core = leader();
    expect(core.pendingSyncCount()).toBe(0);
  });
});
