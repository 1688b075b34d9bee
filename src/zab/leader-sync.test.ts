// LeaderCore's sync of a learner older than its committed log (3.8's syncFollower case 5): it asks
// the shell for the txn log, keeps broadcasting meanwhile, then sends DIFF with the txn-log part and
// the committed log, or SNAP when the log cannot serve; an answer for a learner that left or came
// back is dropped.

import { describe, expect, it } from 'vitest';
import { zxidOf, type ZabEffect } from './effects.js';
import { LeaderCore, type CommittedProposal } from './leader.js';
import { LEARNER_PROTOCOL_VERSION, type QuorumMessage } from './messages.js';

const TIMING = { tickTimeMs: 100, initLimitTicks: 10, syncLimitTicks: 5 };
const e1 = (n: number): bigint => zxidOf(1n, BigInt(n));
const e2 = (n: number): bigint => zxidOf(2n, BigInt(n));
const entry = (zxid: bigint): CommittedProposal => ({ zxid, txn: Buffer.from(`txn-${zxid.toString(16)}`) });
/** The txn log of epoch 1: txns 1..10. */
const LOG = Array.from({ length: 10 }, (_, i) => entry(e1(i + 1)));

/** A leader (1) whose committed log keeps its last 3 txns (1:8..1:10), with follower 2 synced and in broadcast. */
function leaderInBroadcast(txnLogSync = true): LeaderCore {
  const core = new LeaderCore(
    { myId: 1n, voters: new Set([1n, 2n, 3n]), ...TIMING, committedLogSize: 3, config: Buffer.alloc(0), txnLogSync },
    { nowMs: 0, acceptedEpoch: 1n, currentEpoch: 1n, lastZxid: e1(10), committedLog: LOG.slice(-3) },
  );
  core.receive(1, 2n, { kind: 'learnerInfo', observer: false, acceptedEpoch: 1n, serverId: 2n, protocolVersion: LEARNER_PROTOCOL_VERSION, configVersion: 0n });
  core.receive(2, 2n, { kind: 'ackEpoch', lastLoggedZxid: e1(10), currentEpoch: 1n });
  core.receive(3, 2n, { kind: 'ack', zxid: e2(0) });
  expect(core.phase).toBe('broadcast');
  core.takeEffects();
  return core;
}

function learnerComesBack(core: LeaderCore, sid: bigint, lastLoggedZxid: bigint, nowMs = 10): void {
  core.receive(nowMs, sid, { kind: 'learnerInfo', observer: false, acceptedEpoch: 1n, serverId: sid, protocolVersion: LEARNER_PROTOCOL_VERSION, configVersion: 0n });
  core.receive(nowMs + 1, sid, { kind: 'ackEpoch', lastLoggedZxid, currentEpoch: 1n });
}

function describe_(message: QuorumMessage): string {
  switch (message.kind) {
    case 'proposal':
    case 'commit':
    case 'diff':
    case 'trunc':
    case 'snap':
    case 'newLeader':
      return `${message.kind} ${message.zxid.toString(16)}`;
    default:
      return message.kind;
  }
}

/** What learner `sid` is sent, and the effects that are not sends to it. */
function sentTo(effects: readonly ZabEffect[], sid: bigint): string[] {
  return effects.flatMap((e) => (e.kind === 'send' && e.to === sid ? [describe_(e.message)] : e.kind === 'sendSnapshot' && e.to === sid ? ['snapshot'] : []));
}

function readRequest(effects: readonly ZabEffect[]): Extract<ZabEffect, { kind: 'readTxnLog' }> {
  const read = effects.find((e): e is Extract<ZabEffect, { kind: 'readTxnLog' }> => e.kind === 'readTxnLog');
  if (read === undefined) throw new Error(`no readTxnLog in ${JSON.stringify(effects.map((e) => e.kind))}`);
  return read;
}

/** Proposes and commits (with follower 2's ACK and the leader's own log) the next txn. */
function commitNext(core: LeaderCore, nowMs: number): bigint {
  const zxid = core.nextZxid();
  core.propose(zxid, Buffer.from(`txn-${zxid.toString(16)}`));
  core.logged(zxid);
  core.receive(nowMs, 2n, { kind: 'ack', zxid });
  return zxid;
}

describe('LeaderCore: a learner older than the committed log', () => {
  it('asks for the txn log, then sends DIFF with the txn-log part and the committed log, then NEWLEADER', () => {
    const core = leaderInBroadcast();
    learnerComesBack(core, 3n, e1(4));
    const effects = core.takeEffects();
    const read = readRequest(effects);
    expect(read).toMatchObject({ to: 3n, afterZxid: e1(4), upToZxid: e1(8) });
    // LEADERINFO only: nothing of the sync is sent until the log is read.
    expect(sentTo(effects, 3n)).toEqual(['leaderInfo']);
    expect(core.learners().find((l) => l.sid === 3n)?.phase).toBe('readingTxnLog');
    // The shell hands back the log from the learner's zxid up to the committed log's start.
    core.txnLogRead(3n, read.request, LOG.slice(3, 8));
    expect(sentTo(core.takeEffects(), 3n)).toEqual([
      'diff 10000000a',
      ...[5, 6, 7, 8, 9, 10].flatMap((n) => [`proposal 10000000${n.toString(16)}`, `commit 10000000${n.toString(16)}`]),
      'newLeader 200000000',
    ]);
    core.receive(20, 3n, { kind: 'ack', zxid: e2(0) });
    expect(sentTo(core.takeEffects(), 3n)).toEqual(['upToDate']);
  });

  it('keeps broadcasting while the log is read, and sends the learner every commit made meanwhile', () => {
    const core = leaderInBroadcast();
    learnerComesBack(core, 3n, e1(4));
    const read = readRequest(core.takeEffects());
    // Five commits while the shell reads: the committed log (3 kept) would have dropped 1:8..1:10
    // and 2:1, 2:2; the pending read keeps them.
    const committed = [1, 2, 3, 4, 5].map((n) => commitNext(core, 20 + n));
    const during = core.takeEffects();
    expect(during.filter((e) => e.kind === 'commit').map((e) => (e.kind === 'commit' ? e.zxid : 0n))).toEqual(committed);
    expect(sentTo(during, 2n).filter((m) => m.startsWith('commit'))).toHaveLength(5);
    expect(sentTo(during, 3n)).toEqual([]);
    // One more proposal, not yet committed: it follows the sync as a PROPOSAL.
    const open = core.nextZxid();
    core.propose(open, Buffer.from('open'));
    core.takeEffects();
    core.txnLogRead(3n, read.request, LOG.slice(3, 8));
    const sync = sentTo(core.takeEffects(), 3n);
    expect(sync[0]).toBe('diff 200000005');
    expect(sync.filter((m) => m.startsWith('commit'))).toEqual([5, 6, 7, 8, 9, 10].map((n) => `commit 10000000${n.toString(16)}`).concat(committed.map((z) => `commit ${z.toString(16)}`)));
    expect(sync.slice(-2)).toEqual([`proposal ${open.toString(16)}`, 'newLeader 200000000']);
    // With the read answered the committed log is back to its size: a learner at 1:9 is now older than it.
    learnerComesBack(core, 3n, e1(9), 40);
    expect(readRequest(core.takeEffects()).upToZxid).toBe(e2(3));
  });

  it('sends SNAP when the log cannot serve (does not reach back, too large, disabled by the shell)', () => {
    const core = leaderInBroadcast();
    learnerComesBack(core, 3n, e1(4));
    const read = readRequest(core.takeEffects());
    core.txnLogRead(3n, read.request, null);
    expect(sentTo(core.takeEffects(), 3n)).toEqual(['snap 10000000a', 'snapshot', 'newLeader 200000000']);
  });

  it('sends SNAP, and none of the DIFF it put together, when the log ends before the committed log starts', () => {
    const core = leaderInBroadcast();
    learnerComesBack(core, 3n, e1(4));
    const read = readRequest(core.takeEffects());
    core.txnLogRead(3n, read.request, LOG.slice(3, 6));
    expect(sentTo(core.takeEffects(), 3n)).toEqual(['snap 10000000a', 'snapshot', 'newLeader 200000000']);
  });

  it('sends DIFF to a learner at the start of an epoch the log covers (3.8 DIFFs a new-epoch zxid)', () => {
    const core = new LeaderCore(
      { myId: 1n, voters: new Set([1n, 2n, 3n]), ...TIMING, committedLogSize: 2, config: Buffer.alloc(0), txnLogSync: true },
      { nowMs: 0, acceptedEpoch: 2n, currentEpoch: 2n, lastZxid: e2(3), committedLog: [entry(e2(2)), entry(e2(3))] },
    );
    core.receive(1, 2n, { kind: 'learnerInfo', observer: false, acceptedEpoch: 2n, serverId: 2n, protocolVersion: LEARNER_PROTOCOL_VERSION, configVersion: 0n });
    core.receive(2, 2n, { kind: 'ackEpoch', lastLoggedZxid: e2(0), currentEpoch: 2n });
    const read = readRequest(core.takeEffects());
    expect(read).toMatchObject({ afterZxid: e2(0), upToZxid: e2(2) });
    core.txnLogRead(2n, read.request, [entry(e1(7)), entry(e2(1)), entry(e2(2))]);
    expect(sentTo(core.takeEffects(), 2n)).toEqual(['diff 200000003', 'proposal 200000001', 'commit 200000001', 'proposal 200000002', 'commit 200000002', 'proposal 200000003', 'commit 200000003', 'newLeader 300000000']);
  });

  it('drops an answer for a learner that went away, or came back and asked again', () => {
    const core = leaderInBroadcast();
    learnerComesBack(core, 3n, e1(4));
    const first = readRequest(core.takeEffects());
    core.learnerDisconnected(3n);
    core.txnLogRead(3n, first.request, LOG.slice(3, 8));
    expect(core.takeEffects()).toEqual([]);
    learnerComesBack(core, 3n, e1(5), 30);
    const second = readRequest(core.takeEffects());
    expect(second.request).not.toBe(first.request);
    core.txnLogRead(3n, first.request, LOG.slice(3, 8));
    expect(core.takeEffects()).toEqual([]);
    core.txnLogRead(3n, second.request, LOG.slice(4, 8));
    expect(sentTo(core.takeEffects(), 3n)[0]).toBe('diff 10000000a');
  });

  it('sends SNAP at once when txn-log sync is off (zookeeper.snapshotSizeFactor < 0)', () => {
    const core = leaderInBroadcast(false);
    learnerComesBack(core, 3n, e1(4));
    const effects = core.takeEffects();
    expect(effects.some((e) => e.kind === 'readTxnLog')).toBe(false);
    expect(sentTo(effects, 3n)).toEqual(['leaderInfo', 'snap 10000000a', 'snapshot', 'newLeader 200000000']);
  });

  it('ignores an answer once the role is abandoned', () => {
    const core = leaderInBroadcast();
    learnerComesBack(core, 3n, e1(4));
    const read = readRequest(core.takeEffects());
    core.tick(10_000);
    expect(core.phase).toBe('abandoned');
    core.takeEffects();
    core.txnLogRead(3n, read.request, LOG.slice(3, 8));
    expect(core.takeEffects()).toEqual([]);
  });
});
