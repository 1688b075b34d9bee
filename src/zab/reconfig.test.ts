// Dynamic reconfiguration in the Zab cores, step by step, with 3.8's rules: a fresh configuration
// is versioned with the first NEWLEADER zxid and activated once a quorum ACKs NEWLEADER; a reconfig
// proposal, and every proposal after it, commits only with a quorum of the old AND the new voters;
// its commit activates the configuration and goes out as COMMITANDACTIVATE / INFORMANDACTIVATE with
// the designated leader; a leader that is not designated stops committing. A learner announces a
// reconfig proposal's configuration, activates it on COMMITANDACTIVATE (before applying the txn), and
// activates the one NEWLEADER carried at UPTODATE.

import { describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/op-code.js';
import { configFromString, type QuorumVerifier } from '../reconfig/index.js';
import { encodeTxn } from '../txn/txn.js';
import { zxidOf, type ZabEffect } from './effects.js';
import { FollowerCore } from './follower.js';
import { LeaderCore } from './leader.js';
import { LEARNER_PROTOCOL_VERSION, type QuorumMessage } from './messages.js';

const TIMING = { tickTimeMs: 100, initLimitTicks: 10, syncLimitTicks: 5 };
const READ = { standaloneEnabled: true, multiAddressEnabled: false };

function member(id: number, role = 'participant'): string {
  return `server.${id}=127.0.0.1:${20000 + id * 10}:${20001 + id * 10}:${role};127.0.0.1:${20002 + id * 10}`;
}

function config(lines: readonly string[], version: bigint): QuorumVerifier {
  const parsed = configFromString(`${lines.join('\n')}\nversion=${version.toString(16)}`, READ);
  if (!parsed.ok) throw new Error(parsed.failure.message);
  return parsed.value;
}

const THREE = config([member(1), member(2), member(3)], 0n);

function reconfigTxn(zxid: bigint, next: QuorumVerifier): Buffer {
  return encodeTxn({
    header: { clientId: 1n, cxid: 1, zxid, time: 0n, type: OpCode.reconfig },
    body: { kind: 'setData', record: { path: '/zookeeper/config', data: Buffer.from(next.toString(), 'utf8'), version: -1 } },
    digest: null,
  });
}

const plainTxn = (n: number): Buffer => Buffer.from(`txn-${String(n)}`);

function sends(effects: readonly ZabEffect[]): string[] {
  return effects.flatMap((e) => (e.kind === 'send' ? [`${e.to}:${e.message.kind}`] : []));
}

function activations(effects: readonly ZabEffect[]): { version: bigint; designated: bigint | null }[] {
  return effects.flatMap((e) => (e.kind === 'activateConfig' ? [{ version: e.config.version, designated: e.designatedLeader }] : []));
}

function info(sid: bigint, observer = false): QuorumMessage {
  return { kind: 'learnerInfo', observer, acceptedEpoch: 1n, serverId: sid, protocolVersion: LEARNER_PROTOCOL_VERSION, configVersion: 0n };
}

/** Leader 3 with followers 1 and 2 (and observer 4 when asked) synced and in broadcast. */
function broadcastingLeader(committed: QuorumVerifier, learners: readonly { sid: bigint; observer?: boolean }[]): { core: LeaderCore; epoch: bigint; effects: ZabEffect[] } {
  const core = new LeaderCore(
    {
      myId: 3n,
      voters: new Set(committed.votingMembers.map((m) => m.id)),
      ...TIMING,
      committedLogSize: 500,
      config: Buffer.alloc(0),
      reconfig: { committed, lastSeen: committed, quorumAddresses: [{ host: '127.0.0.1', port: 20030 }], readOptions: READ },
    },
    { nowMs: 0, acceptedEpoch: 1n, currentEpoch: 1n, lastZxid: zxidOf(1n, 0n), committedLog: [] },
  );
  for (const l of learners) core.receive(1, l.sid, info(l.sid, l.observer ?? false));
  const epoch = core.epoch as bigint;
  for (const l of learners) core.receive(2, l.sid, { kind: 'ackEpoch', lastLoggedZxid: zxidOf(1n, 0n), currentEpoch: 1n });
  for (const l of learners) core.receive(3, l.sid, { kind: 'ack', zxid: zxidOf(epoch, 0n) });
  expect(core.phase).toBe('broadcast');
  return { core, epoch, effects: core.takeEffects() };
}

describe('LeaderCore with reconfigEnabled', () => {
  it('versions a fresh configuration with the NEWLEADER zxid, sends it in NEWLEADER and activates it with the epoch', () => {
    const { epoch, effects } = broadcastingLeader(THREE, [{ sid: 1n }, { sid: 2n }]);
    const newLeaderZxid = zxidOf(epoch, 0n);
    const seen = effects.find((e) => e.kind === 'configSeen');
    expect(seen?.kind === 'configSeen' ? seen.config.version : null).toBe(newLeaderZxid);
    const newLeader = effects.find((e) => e.kind === 'send' && e.message.kind === 'newLeader');
    const carried = newLeader?.kind === 'send' && newLeader.message.kind === 'newLeader' ? newLeader.message.config.toString('utf8') : '';
    expect(carried).toMatch(new RegExp(`version=${newLeaderZxid.toString(16)}$`));
    expect(activations(effects)).toEqual([{ version: newLeaderZxid, designated: 3n }]);
    // Activation comes before serving: clients see the established configuration.
    expect(effects.findIndex((e) => e.kind === 'activateConfig')).toBeLessThan(effects.findIndex((e) => e.kind === 'serving'));
  });

  it('commits a reconfig and what follows it only with a quorum of the old and the new voters', () => {
    const committed = config([member(1), member(2), member(3), member(4, 'observer')], 0x100000000n);
    const { core, epoch } = broadcastingLeader(committed, [{ sid: 1n }, { sid: 2n }, { sid: 4n, observer: true }]);
    // Observer 4 becomes a voter, 1 leaves: new voters {2, 3, 4}, old voters {1, 2, 3}.
    const next = config([member(2), member(3), member(4)], zxidOf(epoch, 1n));
    core.propose(zxidOf(epoch, 1n), reconfigTxn(zxidOf(epoch, 1n), next), next);
    core.propose(zxidOf(epoch, 2n), plainTxn(2));
    expect(core.takeEffects().filter((e) => e.kind === 'configSeen')).toHaveLength(1);
    core.logged(zxidOf(epoch, 2n));
    // Follower 1's ACK gives the old quorum {1, 3}, but {3} is no quorum of {2, 3, 4}.
    core.receive(4, 1n, { kind: 'ack', zxid: zxidOf(epoch, 1n) });
    core.receive(4, 1n, { kind: 'ack', zxid: zxidOf(epoch, 2n) });
    expect(core.lastCommitted).toBe(zxidOf(1n, 0n));
    core.takeEffects();
    core.receive(5, 2n, { kind: 'ack', zxid: zxidOf(epoch, 1n) });
    expect(core.lastCommitted).toBe(zxidOf(epoch, 1n));
    const effects = core.takeEffects();
    expect(activations(effects)).toEqual([{ version: next.version, designated: 3n }]);
    expect(sends(effects)).toEqual(['1:commitAndActivate', '2:commitAndActivate', '4:informAndActivate']);
    expect(effects.map((e) => e.kind).filter((k) => k === 'activateConfig' || k === 'commit')).toEqual(['activateConfig', 'commit']);
    const informed = effects.find((e) => e.kind === 'send' && e.message.kind === 'informAndActivate');
    expect(informed?.kind === 'send' && informed.message.kind === 'informAndActivate' ? informed.message.designatedLeader : null).toBe(3n);
    core.receive(6, 2n, { kind: 'ack', zxid: zxidOf(epoch, 2n) });
    expect(core.lastCommitted).toBe(zxidOf(epoch, 2n));
    // From now on the new voters decide: {3, 2} is a quorum of {2, 3, 4}; 1 no longer counts.
    core.propose(zxidOf(epoch, 3n), plainTxn(3));
    core.logged(zxidOf(epoch, 3n));
    core.receive(7, 1n, { kind: 'ack', zxid: zxidOf(epoch, 3n) });
    expect(core.lastCommitted).toBe(zxidOf(epoch, 2n));
    core.receive(7, 2n, { kind: 'ack', zxid: zxidOf(epoch, 3n) });
    expect(core.lastCommitted).toBe(zxidOf(epoch, 3n));
  });

  it('hands on to the designated leader when it removes itself, and commits nothing after', () => {
    const committed = config([member(1), member(2), member(3)], 0x100000000n);
    const { core, epoch } = broadcastingLeader(committed, [{ sid: 1n }, { sid: 2n }]);
    const next = config([member(1), member(2)], zxidOf(epoch, 1n));
    core.propose(zxidOf(epoch, 1n), reconfigTxn(zxidOf(epoch, 1n), next), next);
    core.propose(zxidOf(epoch, 2n), plainTxn(2));
    core.logged(zxidOf(epoch, 2n));
    core.receive(4, 2n, { kind: 'ack', zxid: zxidOf(epoch, 1n) });
    core.receive(4, 2n, { kind: 'ack', zxid: zxidOf(epoch, 2n) });
    expect(core.lastCommitted).toBe(zxidOf(1n, 0n));
    core.receive(5, 1n, { kind: 'ack', zxid: zxidOf(epoch, 1n) });
    const effects = core.takeEffects();
    // Both new voters acked the reconfig; of them only 2 also acked the proposal after it, and
    // 3.8 narrows the choice to those (Leader.getDesignatedLeader).
    expect(activations(effects)).toEqual([{ version: next.version, designated: 2n }]);
    core.receive(6, 1n, { kind: 'ack', zxid: zxidOf(epoch, 2n) });
    expect(core.lastCommitted).toBe(zxidOf(epoch, 1n));
  });
});

describe('FollowerCore with reconfigEnabled', () => {
  const parseConfig = (text: string): QuorumVerifier | null => {
    const parsed = configFromString(text, READ);
    return parsed.ok ? parsed.value : null;
  };

  function syncedFollower(newLeaderConfig: Buffer): { core: FollowerCore; effects: ZabEffect[] } {
    const core = new FollowerCore(
      { myId: 1n, leaderId: 3n, observer: false, ...TIMING, configVersion: 0n, parseConfig },
      { nowMs: 0, acceptedEpoch: 1n, currentEpoch: 1n, lastLoggedZxid: zxidOf(1n, 0n) },
    );
    core.receive(1, { kind: 'leaderInfo', newEpoch: 2n, protocolVersion: LEARNER_PROTOCOL_VERSION });
    core.receive(2, { kind: 'diff', zxid: zxidOf(1n, 0n) });
    core.receive(3, { kind: 'newLeader', zxid: zxidOf(2n, 0n), config: newLeaderConfig });
    core.receive(4, { kind: 'upToDate', zxid: -1n });
    return { core, effects: core.takeEffects() };
  }

  it('announces the configuration NEWLEADER carries and activates it at UPTODATE', () => {
    const established = config([member(1), member(2), member(3)], zxidOf(2n, 0n));
    const { effects } = syncedFollower(Buffer.from(established.toString(), 'utf8'));
    const kinds = effects.map((e) => e.kind);
    expect(kinds.indexOf('configSeen')).toBeGreaterThan(-1);
    expect(kinds.indexOf('configSeen')).toBeLessThan(kinds.indexOf('activateConfig'));
    expect(activations(effects)).toEqual([{ version: established.version, designated: null }]);
    expect(kinds.indexOf('activateConfig')).toBeLessThan(kinds.indexOf('serving'));
  });

  it('announces a reconfig proposal, and on COMMITANDACTIVATE activates it before applying the txn', () => {
    const { core } = syncedFollower(Buffer.from(THREE.toString(), 'utf8'));
    const next = config([member(1), member(2)], zxidOf(2n, 1n));
    core.receive(5, { kind: 'proposal', zxid: zxidOf(2n, 1n), txn: reconfigTxn(zxidOf(2n, 1n), next) });
    const proposed = core.takeEffects();
    const seen = proposed.find((e) => e.kind === 'configSeen');
    expect(seen?.kind === 'configSeen' ? seen.config.toString() : null).toBe(next.toString());
    core.logged(zxidOf(2n, 1n));
    core.receive(6, { kind: 'commitAndActivate', zxid: zxidOf(2n, 1n), designatedLeader: 2n });
    const committed = core.takeEffects();
    expect(activations(committed)).toEqual([{ version: next.version, designated: 2n }]);
    expect(committed.map((e) => e.kind).filter((k) => k !== 'send')).toEqual(['activateConfig', 'commit']);
  });

  it('ignores configurations when reconfig is disabled (no parseConfig)', () => {
    const core = new FollowerCore(
      { myId: 1n, leaderId: 3n, observer: false, ...TIMING, configVersion: 0n },
      { nowMs: 0, acceptedEpoch: 1n, currentEpoch: 1n, lastLoggedZxid: zxidOf(1n, 0n) },
    );
    core.receive(1, { kind: 'leaderInfo', newEpoch: 2n, protocolVersion: LEARNER_PROTOCOL_VERSION });
    core.receive(2, { kind: 'diff', zxid: zxidOf(1n, 0n) });
    core.receive(3, { kind: 'newLeader', zxid: zxidOf(2n, 0n), config: Buffer.from(THREE.toString(), 'utf8') });
    core.receive(4, { kind: 'upToDate', zxid: -1n });
    const effects = core.takeEffects();
    expect(effects.some((e) => e.kind === 'configSeen' || e.kind === 'activateConfig')).toBe(false);
  });
});
