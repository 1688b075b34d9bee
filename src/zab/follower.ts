// The learner side of Zab (followers and observers), pure: FOLLOWERINFO, LEADERINFO -> ACKEPOCH
// (the accepted epoch persisted first), the leader's DIFF/TRUNC/SNAP with the proposals and commits
// that follow, NEWLEADER (pending proposals logged, then current epoch persisted, then ACK), UPTODATE
// (serving), then broadcast: PROPOSAL -> log -> ACK once fsynced, COMMIT -> apply in order. The
// packet order is 3.8's Learner.syncWithLeader, so this learner can follow a Java leader.

import { assert } from '../lib/assert.js';
import { OpCode } from '../protocol/op-code.js';
import type { QuorumVerifier } from '../reconfig/index.js';
import { epochOf, hex, zxidOf, type ZabEffect } from './effects.js';
import { LEARNER_PROTOCOL_VERSION, type QuorumMessage } from './messages.js';

export interface FollowerOptions {
  readonly myId: bigint;
  readonly leaderId: bigint;
  readonly observer: boolean;
  readonly tickTimeMs: number;
  readonly initLimitTicks: number;
  readonly syncLimitTicks: number;
  readonly configVersion: bigint;
  /**
   * With reconfigEnabled: reads a configuration's text (3.8's configFromString), null when it does
   * not parse. Without it, configurations in reconfig txns and NEWLEADER are not looked at.
   */
  readonly parseConfig?: (text: string) => QuorumVerifier | null;
}

/** A serialized txn's TxnHeader.type: after clientId (8), cxid (4), zxid (8) and time (8). */
const TXN_HEADER_TYPE_AT = 28;

/** The new configuration's text in a reconfig txn (a SetDataTxn: path, data, version), or null. */
function reconfigText(txn: Buffer): string | null {
  if (txn.length < TXN_HEADER_TYPE_AT + 4 || txn.readInt32BE(TXN_HEADER_TYPE_AT) !== OpCode.reconfig) return null;
  let at = TXN_HEADER_TYPE_AT + 4;
  if (txn.length < at + 4) return null;
  const pathLength = txn.readInt32BE(at);
  at += 4 + Math.max(0, pathLength);
  if (txn.length < at + 4) return null;
  const dataLength = txn.readInt32BE(at);
  at += 4;
  if (dataLength < 0 || txn.length < at + dataLength) return null;
  return txn.toString('utf8', at, at + dataLength);
}

export interface FollowerStart {
  readonly nowMs: number;
  readonly acceptedEpoch: bigint;
  readonly currentEpoch: bigint;
  readonly lastLoggedZxid: bigint;
}

type Phase = 'awaitingLeaderInfo' | 'awaitingSyncMode' | 'syncing' | 'awaitingNewLeaderLogged' | 'awaitingUpToDate' | 'broadcast' | 'abandoned';

export class FollowerCore {
  readonly #options: FollowerOptions;
  #phase: Phase = 'awaitingLeaderInfo';
  #acceptedEpoch: bigint;
  readonly #currentEpoch: bigint;
  #newEpoch = -1n;
  #snapshotNeeded = true;
  /** How the leader is syncing us, from its DIFF/TRUNC/SNAP until NEWLEADER (3.8's SyncMode). */
  #syncMode: 'diff' | 'trunc' | 'snap' | null = null;
  #logProposals = false;
  /** Proposals received and not yet committed, in zxid order. */
  readonly #pending = new Map<bigint, Buffer>();
  /** Commits received during sync for proposals that are logged at NEWLEADER. */
  #committedDuringSync: bigint[] = [];
  #lastLogged: bigint;
  #awaitingLogged: bigint | null = null;
  /** Logged proposals whose ACK waits for the fsync. */
  readonly #unacked: bigint[] = [];
  #lastHeardMs: number;
  #deadlineMs: number;
  #effects: ZabEffect[] = [];
  /** The configuration NEWLEADER carried, activated at UPTODATE (reconfigEnabled only). */
  #newLeaderConfig: QuorumVerifier | null = null;

  constructor(options: FollowerOptions, start: FollowerStart) {
    this.#options = options;
    this.#acceptedEpoch = start.acceptedEpoch;
    this.#currentEpoch = start.currentEpoch;
    this.#lastLogged = start.lastLoggedZxid;
    this.#lastHeardMs = start.nowMs;
    this.#deadlineMs = start.nowMs + options.initLimitTicks * options.tickTimeMs;
    this.#send({
      kind: 'learnerInfo',
      observer: options.observer,
      acceptedEpoch: start.acceptedEpoch,
      serverId: options.myId,
      protocolVersion: LEARNER_PROTOCOL_VERSION,
      configVersion: options.configVersion,
    });
  }

  get phase(): Phase {
    return this.#phase;
  }

  get epoch(): bigint {
    return this.#newEpoch;
  }

  get syncMode(): 'diff' | 'trunc' | 'snap' | null {
    return this.#syncMode;
  }

  takeEffects(): ZabEffect[] {
    const effects = this.#effects;
    this.#effects = [];
    return effects;
  }

  #send(message: QuorumMessage): void {
    this.#effects.push({ kind: 'send', to: this.#options.leaderId, message });
  }

  #abandon(reason: string): void {
    if (this.#phase === 'abandoned') return;
    this.#phase = 'abandoned';
    this.#effects.push({ kind: 'abandon', reason });
  }

  receive(nowMs: number, message: QuorumMessage): void {
    if (this.#phase === 'abandoned') return;
    this.#lastHeardMs = nowMs;
    switch (this.#phase) {
      case 'awaitingLeaderInfo':
        this.#onLeaderInfo(message);
        return;
      case 'awaitingSyncMode':
        this.#onSyncMode(message);
        return;
      case 'syncing':
      case 'awaitingNewLeaderLogged':
      case 'awaitingUpToDate':
        this.#onSyncPacket(message);
        return;
      case 'broadcast':
        this.#onBroadcast(message);
        return;
    }
  }

  #onLeaderInfo(message: QuorumMessage): void {
    if (message.kind !== 'leaderInfo') {
      this.#abandon(`expected LEADERINFO, got ${message.kind}`);
      return;
    }
    const newEpoch = message.newEpoch;
    if (newEpoch < this.#acceptedEpoch) {
      this.#abandon(`leader's epoch ${newEpoch} is less than our accepted epoch ${this.#acceptedEpoch}`);
      return;
    }
    let reportedEpoch = -1n;
    if (newEpoch > this.#acceptedEpoch) {
      reportedEpoch = this.#currentEpoch;
      this.#acceptedEpoch = newEpoch;
      this.#effects.push({ kind: 'persistAcceptedEpoch', epoch: newEpoch });
    }
    this.#newEpoch = newEpoch;
    this.#send({ kind: 'ackEpoch', lastLoggedZxid: this.#lastLogged, currentEpoch: reportedEpoch });
    this.#phase = 'awaitingSyncMode';
  }

  #onSyncMode(message: QuorumMessage): void {
    if (message.kind === 'diff' || message.kind === 'trunc' || message.kind === 'snap') this.#syncMode = message.kind;
    switch (message.kind) {
      case 'diff':
        this.#snapshotNeeded = false;
        this.#logProposals = true;
        break;
      case 'snap':
        // The shell reads the snapshot that follows on the stream and reports snapshotLoaded().
        break;
      case 'trunc':
        this.#effects.push({ kind: 'truncate', zxid: message.zxid });
        this.#lastLogged = message.zxid;
        break;
      default:
        this.#abandon(`expected DIFF, TRUNC or SNAP, got ${message.kind}`);
        return;
    }
    this.#phase = 'syncing';
  }

  /** The snapshot that followed SNAP is loaded: the tree is at `zxid`. */
  snapshotLoaded(zxid: bigint): void {
    this.#lastLogged = zxid;
  }

  #onSyncPacket(message: QuorumMessage): void {
    switch (message.kind) {
      case 'proposal':
        this.#proposalSeen(message.txn);
        this.#pending.set(message.zxid, message.txn);
        if (this.#phase === 'awaitingNewLeaderLogged' || this.#phase === 'awaitingUpToDate') {
          // After NEWLEADER the log is ours to write: log it now and ACK once it is fsynced
          // (3.8 logs these at UPTODATE; either way they must reach the log).
          this.#unacked.push(message.zxid);
          this.#effects.push({ kind: 'append', zxid: message.zxid, txn: message.txn });
        }
        return;
      case 'commitAndActivate':
        this.#activateFrom(message.zxid, this.#pending.get(message.zxid), message.designatedLeader);
        if (this.#logProposals) this.#committedDuringSync.push(message.zxid);
        else this.#applyCommitted(message.zxid);
        return;
      case 'commit':
        if (this.#logProposals) {
          this.#committedDuringSync.push(message.zxid);
        } else {
          this.#applyCommitted(message.zxid);
        }
        return;
      case 'informAndActivate':
      case 'inform':
        this.#pending.set(message.zxid, message.txn);
        if (message.kind === 'informAndActivate') this.#activateFrom(message.zxid, message.txn, message.designatedLeader);
        if (this.#phase === 'awaitingNewLeaderLogged' || this.#phase === 'awaitingUpToDate') {
          // An observer's commits between NEWLEADER and UPTODATE are in no snapshot and were not
          // pending at NEWLEADER: they must reach the log too, or it has a hole that recovery
          // refuses (3.8 logs them at UPTODATE, through ObserverZooKeeperServer.commitRequest).
          this.#effects.push({ kind: 'append', zxid: message.zxid, txn: message.txn });
        }
        if (this.#logProposals) this.#committedDuringSync.push(message.zxid);
        else this.#applyCommitted(message.zxid);
        return;
      case 'newLeader':
        this.#onNewLeader(message.zxid, message.config);
        return;
      case 'upToDate':
        this.#onUpToDate();
        return;
      case 'ping':
        this.#effects.push({ kind: 'answerPing', zxid: message.zxid });
        return;
      default:
        this.#effects.push({ kind: 'fromLeader', message });
        return;
    }
  }

  #applyCommitted(zxid: bigint): void {
    const txn = this.#pending.get(zxid);
    if (txn === undefined) {
      this.#abandon(`COMMIT ${hex(zxid)} for a proposal we do not have`);
      return;
    }
    this.#pending.delete(zxid);
    this.#effects.push({ kind: 'commit', zxid, txn });
  }

  /** A reconfig proposal announces its configuration as the last seen one (Learner.syncWithLeader, Follower.processPacket). */
  #proposalSeen(txn: Buffer): void {
    const parse = this.#options.parseConfig;
    if (parse === undefined) return;
    const text = reconfigText(txn);
    const config = text === null ? null : parse(text);
    if (config !== null) this.#effects.push({ kind: 'configSeen', config });
  }

  /** COMMITANDACTIVATE / INFORMANDACTIVATE: the reconfig's configuration is committed, with the leader to go on with. */
  #activateFrom(zxid: bigint, txn: Buffer | undefined, designatedLeader: bigint): void {
    const parse = this.#options.parseConfig;
    if (parse === undefined || txn === undefined) return;
    const text = reconfigText(txn);
    const config = text === null ? null : parse(text);
    if (config !== null) this.#effects.push({ kind: 'activateConfig', config, designatedLeader, zxid });
  }

  #onNewLeader(zxid: bigint, configBytes: Buffer): void {
    if (epochOf(zxid) !== this.#newEpoch) {
      this.#abandon(`NEWLEADER for epoch ${epochOf(zxid)}, expected ${this.#newEpoch}`);
      return;
    }
    const parse = this.#options.parseConfig;
    if (parse !== undefined && configBytes.length > 1) {
      const config = parse(configBytes.toString('utf8'));
      if (config !== null) {
        this.#newLeaderConfig = config;
        this.#effects.push({ kind: 'configSeen', config });
      }
    }
    // The new currentEpoch is persisted only once the sync's txns are durable (ZOOKEEPER-4643):
    // written earlier, a crash would leave the newest epoch over a log without those txns, and
    // that peer could win an election on its epoch and truncate committed txns away.
    this.#syncMode = null;
    this.#effects.push({ kind: 'markEpochUpdating' });
    if (this.#snapshotNeeded) this.#effects.push({ kind: 'snapshot' });
    this.#logProposals = true;
    // Proposals not yet committed are logged now, and each is ACKed once fsynced, as a follower in
    // broadcast does: the leader needs those ACKs to commit them.
    let last: bigint | null = null;
    for (const [pendingZxid, txn] of [...this.#pending.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      this.#effects.push({ kind: 'append', zxid: pendingZxid, txn });
      if (!this.#options.observer) this.#unacked.push(pendingZxid);
      last = pendingZxid;
    }
    if (last === null || last <= this.#lastLogged) {
      this.#ackNewLeader();
    } else {
      this.#awaitingLogged = last;
      this.#phase = 'awaitingNewLeaderLogged';
    }
  }

  #ackNewLeader(): void {
    this.#effects.push({ kind: 'persistCurrentEpoch', epoch: this.#newEpoch });
    this.#send({ kind: 'ack', zxid: zxidOf(this.#newEpoch, 0n) });
    this.#phase = 'awaitingUpToDate';
  }

  #onUpToDate(): void {
    assert(this.#newEpoch >= 0n, 'an epoch is known before UPTODATE');
    this.#phase = 'broadcast';
    this.#deadlineMs = Number.MAX_SAFE_INTEGER;
    if (this.#newLeaderConfig !== null) {
      this.#effects.push({ kind: 'activateConfig', config: this.#newLeaderConfig, designatedLeader: null, zxid: zxidOf(this.#newEpoch, 0n) });
      this.#newLeaderConfig = null;
    }
    this.#send({ kind: 'ack', zxid: zxidOf(this.#newEpoch, 0n) });
    this.#effects.push({ kind: 'serving', epoch: this.#newEpoch });
    for (const zxid of this.#committedDuringSync) this.#applyCommitted(zxid);
    this.#committedDuringSync = [];
  }

  #onBroadcast(message: QuorumMessage): void {
    switch (message.kind) {
      case 'proposal':
        if (this.#options.observer) return;
        this.#proposalSeen(message.txn);
        this.#pending.set(message.zxid, message.txn);
        this.#unacked.push(message.zxid);
        this.#effects.push({ kind: 'append', zxid: message.zxid, txn: message.txn });
        return;
      case 'commitAndActivate':
        this.#activateFrom(message.zxid, this.#pending.get(message.zxid), message.designatedLeader);
        this.#applyCommitted(message.zxid);
        return;
      case 'commit':
        this.#applyCommitted(message.zxid);
        return;
      case 'informAndActivate':
      case 'inform':
        this.#pending.set(message.zxid, message.txn);
        if (message.kind === 'informAndActivate') this.#activateFrom(message.zxid, message.txn, message.designatedLeader);
        this.#effects.push({ kind: 'append', zxid: message.zxid, txn: message.txn });
        this.#applyCommitted(message.zxid);
        return;
      case 'ping':
        this.#effects.push({ kind: 'answerPing', zxid: message.zxid });
        return;
      default:
        this.#effects.push({ kind: 'fromLeader', message });
        return;
    }
  }

  /** The log is durable up to `zxid`: ACK what was waiting for it (a follower never ACKs earlier). */
  logged(zxid: bigint): void {
    if (zxid > this.#lastLogged) this.#lastLogged = zxid;
    if (this.#phase === 'awaitingNewLeaderLogged' && this.#awaitingLogged !== null && zxid >= this.#awaitingLogged) {
      this.#awaitingLogged = null;
      this.#ackNewLeader();
    }
    // Until the NEWLEADER ACK (and the currentEpoch write before it) a proposal ACK would let the
    // leader count a peer whose epoch still says the history it logged is older than it is.
    if (this.#options.observer || this.#phase === 'awaitingNewLeaderLogged') return;
    while (this.#unacked.length > 0 && (this.#unacked[0] as bigint) <= zxid) {
      this.#send({ kind: 'ack', zxid: this.#unacked.shift() as bigint });
    }
  }

  /** A client write forwarded to the leader. */
  forward(request: Extract<QuorumMessage, { kind: 'request' }>): void {
    this.#send(request);
  }

  /**
   * A client reconnects here with a session it had elsewhere: only the leader knows whether the
   * session still lives (3.8's Learner.validateSession). Its answer comes back as a `fromLeader`
   * effect, behind the commits the leader sent before it.
   */
  revalidate(sessionId: bigint, timeoutMs: number): void {
    this.#send({ kind: 'revalidate', sessionId, timeoutMs });
  }

  tick(nowMs: number): void {
    if (this.#phase === 'abandoned') return;
    if (this.#phase !== 'broadcast') {
      if (nowMs > this.#deadlineMs) this.#abandon(`no sync with the leader within initLimit (${this.#phase})`);
      return;
    }
    const syncLimitMs = this.#options.syncLimitTicks * this.#options.tickTimeMs;
    if (nowMs - this.#lastHeardMs > syncLimitMs) this.#abandon(`leader silent for more than syncLimit (${syncLimitMs} ms)`);
  }
}
