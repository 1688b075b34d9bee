// The leader side of Zab, pure: discovery (a quorum's FOLLOWERINFO fixes the new epoch, a quorum's
// ACKEPOCH confirms no follower is ahead), synchronization (DIFF, TRUNC or SNAP for each learner,
// then NEWLEADER; a quorum's ACK of NEWLEADER starts broadcast) and broadcast (PROPOSAL to every
// forwarding follower, COMMIT in zxid order once a quorum, the leader included, has logged it;
// INFORM to observers). The wire packets and their order are 3.8's (Leader, LearnerHandler), so a
// Java follower can sync from this leader.

import { assert } from '../lib/assert.js';
import { designatedLeader, leaderEpochStartConfig, type QuorumVerifier, type ReadOptions, type SocketAddress } from '../reconfig/index.js';
import { epochOf, hex, zxidOf, type ZabEffect } from './effects.js';
import { LEARNER_PROTOCOL_VERSION, type QuorumMessage } from './messages.js';

export interface CommittedProposal {
  readonly zxid: bigint;
  readonly txn: Buffer;
}

export interface LeaderOptions {
  readonly myId: bigint;
  /** Voting members, the leader included. */
  readonly voters: ReadonlySet<bigint>;
  readonly tickTimeMs: number;
  readonly initLimitTicks: number;
  readonly syncLimitTicks: number;
  /** How many committed proposals are kept for DIFF syncs (3.8: zookeeper.commitLogCount, 500). */
  readonly committedLogSize: number;
  /** The config bytes sent in NEWLEADER. */
  readonly config: Buffer;
  /**
   * Whether a learner older than the committed log may be synced from the txn log (3.8's
   * isTxnLogSyncEnabled: zookeeper.snapshotSizeFactor >= 0). Off, such a learner gets SNAP.
   */
  readonly txnLogSync?: boolean;
  /** With reconfigEnabled: the configurations, which then decide the voters (not `voters`). */
  readonly reconfig?: LeaderReconfig;
}

/** What the leader knows of the ensemble's configuration when dynamic reconfiguration is enabled. */
export interface LeaderReconfig {
  readonly committed: QuorumVerifier;
  /** The newest configuration seen, newer than `committed` while a reconfig is unfinished. */
  readonly lastSeen: QuorumVerifier;
  /** This leader's own quorum address(es), for the designated leader after a reconfig. */
  readonly quorumAddresses: readonly SocketAddress[];
  /** How configuration text is read (the epoch-start version bump re-reads the committed text). */
  readonly readOptions: ReadOptions;
}

/** A set of voters that a quorum is counted in (a configuration, or the static voter set). */
interface Quorum {
  isVoter(id: bigint): boolean;
  containsQuorum(ids: Iterable<bigint>): boolean;
}

function staticQuorum(voters: ReadonlySet<bigint>): Quorum {
  return {
    isVoter: (id) => voters.has(id),
    // Callers pass sets or arrays without repeats (this runs for every ACK: no copy to dedupe).
    containsQuorum: (ids) => {
      let count = 0;
      for (const id of ids) if (voters.has(id)) count++;
      return count * 2 > voters.size;
    },
  };
}

/** A txn-log read asked of the shell for one learner's sync. */
interface TxnLogRequest {
  readonly request: number;
  /** The end of the txn-log part: the committed log's first zxid when it was asked. */
  readonly upToZxid: bigint;
}

export interface LeaderStart {
  readonly nowMs: number;
  readonly acceptedEpoch: bigint;
  readonly currentEpoch: bigint;
  /** Last zxid in the leader's log and tree (everything logged is treated as committed). */
  readonly lastZxid: bigint;
  /** The tail of the log, oldest first, for DIFF syncs. */
  readonly committedLog: readonly CommittedProposal[];
}

type LearnerPhase = 'awaitingEpoch' | 'awaitingEpochAck' | 'epochAcked' | 'readingTxnLog' | 'awaitingNewLeaderAck' | 'awaitingUpToDate' | 'active';

interface Learner {
  readonly sid: bigint;
  readonly observer: boolean;
  phase: LearnerPhase;
  acceptedEpoch: bigint;
  lastLoggedZxid: bigint;
  lastHeardMs: number;
  /** Set while the shell reads the txn log for this learner's sync (phase readingTxnLog). */
  txnLogRequest: TxnLogRequest | null;
}

/** What a sync has put together so far: packets are emitted only once it is known not to fall back to SNAP. */
interface SyncPackets {
  readonly out: QuorumMessage[];
  opSent: boolean;
}

interface Proposal {
  readonly txn: Buffer;
  /** Who logged it, in the order the ACKs came (the designated leader is picked in that order). */
  readonly acks: Set<bigint>;
  /**
   * Every configuration it needs a quorum of: the committed one, and the one seen after it while a
   * reconfig is unfinished (3.8's qvAcksetPairs).
   */
  readonly quorums: readonly Quorum[];
  /** The configuration a reconfig proposal brings in, or null. */
  readonly newConfig: QuorumVerifier | null;
}

type LeaderPhase = 'discovery' | 'synchronization' | 'broadcast' | 'abandoned';

export class LeaderCore {
  readonly #options: LeaderOptions;
  readonly #learners = new Map<bigint, Learner>();
  readonly #outstanding = new Map<bigint, Proposal>();
  readonly #committedLog: CommittedProposal[];
  /** Learners waiting for SYNC: answered once everything proposed before their sync is committed. */
  #pendingSyncs: { zxid: bigint; sid: bigint }[] = [];
  #phase: LeaderPhase = 'discovery';
  #phaseDeadlineMs: number;
  readonly #epochVotes = new Map<bigint, bigint>();
  /**
   * The highest accepted epoch of a learner that does not vote (an observer) heard before the
   * epoch is fixed: like 3.8's getEpochToPropose, the new epoch is above it, though it does not
   * count toward the quorum. Otherwise an observer that accepted an epoch a failed leader proposed
   * could be offered a lower one and refuse every leader.
   */
  #nonVotingEpochFloor = -1n;
  readonly #epochAcks = new Set<bigint>();
  readonly #newLeaderAcks = new Set<bigint>();
  #newEpoch: bigint | null = null;
  readonly #ownCurrentEpoch: bigint;
  readonly #startZxid: bigint;
  #lastProposed: bigint;
  #lastCommitted: bigint;
  #lastLogged: bigint;
  #lastPingMs: number;
  #effects: ZabEffect[] = [];
  #nextTxnLogRequest = 1;
  #committedConfig: QuorumVerifier | null;
  #lastSeenConfig: QuorumVerifier | null;
  /** The committed configuration's quorum, as a list of one: a proposal made with no reconfig pending shares it. */
  #committedOnly: readonly [Quorum];
  /**
   * False once a reconfig committed with another designated leader (3.8's allowedToCommit): that
   * leader commits from then on; this one waits for its followers to leave.
   */
  #allowedToCommit = true;

  constructor(options: LeaderOptions, start: LeaderStart) {
    this.#options = options;
    this.#committedConfig = options.reconfig?.committed ?? null;
    this.#lastSeenConfig = options.reconfig?.lastSeen ?? null;
    this.#committedOnly = [this.#committedConfig ?? staticQuorum(options.voters)];
    assert(this.#committedQuorum.isVoter(options.myId), 'the leader is a voter');
    this.#ownCurrentEpoch = start.currentEpoch;
    this.#startZxid = start.lastZxid;
    this.#lastProposed = start.lastZxid;
    this.#lastCommitted = start.lastZxid;
    this.#lastLogged = start.lastZxid;
    this.#committedLog = start.committedLog.slice(-options.committedLogSize);
    this.#phaseDeadlineMs = start.nowMs + options.initLimitTicks * options.tickTimeMs;
    this.#lastPingMs = start.nowMs;
    this.#epochVotes.set(options.myId, start.acceptedEpoch);
    this.#tryFixEpoch();
  }

  get phase(): LeaderPhase {
    return this.#phase;
  }

  get epoch(): bigint | null {
    return this.#newEpoch;
  }

  get lastProposed(): bigint {
    return this.#lastProposed;
  }

  get lastCommitted(): bigint {
    return this.#lastCommitted;
  }

  /** Distinct zxids that learners' syncs wait for (3.8's pendingSyncs map size: zk_pending_syncs). */
  pendingSyncCount(): number {
    return new Set(this.#pendingSyncs.map((p) => p.zxid)).size;
  }

  /** Learners in each state, for `mntr`/`stat` (synced followers, pending syncs, observers). */
  learners(): { sid: bigint; observer: boolean; phase: LearnerPhase }[] {
    return [...this.#learners.values()].map((l) => ({ sid: l.sid, observer: l.observer, phase: l.phase }));
  }

  takeEffects(): ZabEffect[] {
    const effects = this.#effects;
    this.#effects = [];
    return effects;
  }

  #send(to: bigint, message: QuorumMessage): void {
    this.#effects.push({ kind: 'send', to, message });
  }

  #abandon(reason: string): void {
    if (this.#phase === 'abandoned') return;
    this.#phase = 'abandoned';
    this.#effects.push({ kind: 'abandon', reason });
  }

  get #committedQuorum(): Quorum {
    return this.#committedOnly[0];
  }

  /** The configurations a quorum is needed in now: the committed one, and a newer one seen. */
  #quorums(): readonly Quorum[] {
    const committed = this.#committedConfig;
    const lastSeen = this.#lastSeenConfig;
    if (committed !== null && lastSeen !== null && lastSeen.version > committed.version) return [committed, lastSeen];
    return this.#committedOnly;
  }

  /** A quorum of the committed configuration (3.8 fixes the epoch with it alone). */
  #isQuorum(sids: Iterable<bigint>): boolean {
    return this.#committedQuorum.containsQuorum(sids);
  }

  /** A quorum in every configuration that counts now (3.8's SyncedLearnerTracker.hasAllQuorums). */
  #isQuorumOfAll(sids: Iterable<bigint>): boolean {
    const ids = [...sids];
    return this.#quorums().every((quorum) => quorum.containsQuorum(ids));
  }

  /** Learners whose sync has started and that answered within syncLimit (3.8's synced forwarding followers). */
  syncedFollowers(nowMs: number): Set<bigint> {
    const syncLimitMs = this.#options.syncLimitTicks * this.#options.tickTimeMs;
    const synced = new Set<bigint>();
    for (const learner of this.#learners.values()) {
      const forwarding = learner.phase === 'awaitingNewLeaderAck' || learner.phase === 'awaitingUpToDate' || learner.phase === 'active';
      if (!learner.observer && forwarding && nowMs - learner.lastHeardMs <= syncLimitMs) synced.add(learner.sid);
    }
    return synced;
  }

  /** The committed and newest configurations (reconfigEnabled only). */
  get configs(): { committed: QuorumVerifier; lastSeen: QuorumVerifier } | null {
    if (this.#committedConfig === null || this.#lastSeenConfig === null) return null;
    return { committed: this.#committedConfig, lastSeen: this.#lastSeenConfig };
  }

  // ---- discovery -------------------------------------------------------------------------------

  #tryFixEpoch(): void {
    if (this.#newEpoch !== null || !this.#isQuorum(this.#epochVotes.keys())) return;
    let max = this.#nonVotingEpochFloor;
    for (const epoch of this.#epochVotes.values()) if (epoch > max) max = epoch;
    this.#newEpoch = max + 1n;
    this.#effects.push({ kind: 'persistAcceptedEpoch', epoch: this.#newEpoch });
    this.#versionStartConfig(zxidOf(this.#newEpoch, 0n));
    this.#lastProposed = zxidOf(this.#newEpoch, 0n);
    for (const learner of this.#learners.values()) {
      if (learner.phase === 'awaitingEpoch') this.#sendLeaderInfo(learner);
    }
    this.#epochAcks.add(this.#options.myId);
    this.#tryEpochQuorum();
  }

  /**
   * Leader.lead (ZOOKEEPER-1783): a configuration nobody agreed on yet (version 0) is proposed with
   * NEWLEADER under the NEWLEADER zxid, and so becomes the established one with the epoch.
   */
  #versionStartConfig(newLeaderZxid: bigint): void {
    const reconfig = this.#options.reconfig;
    if (reconfig === undefined || this.#committedConfig === null || this.#lastSeenConfig === null) return;
    const versioned = leaderEpochStartConfig(this.#committedConfig, this.#lastSeenConfig, newLeaderZxid, reconfig.readOptions);
    if (versioned === null) return;
    this.#lastSeenConfig = versioned;
    this.#effects.push({ kind: 'configSeen', config: versioned });
  }

  #sendLeaderInfo(learner: Learner): void {
    assert(this.#newEpoch !== null, 'the epoch is fixed before LEADERINFO');
    learner.phase = 'awaitingEpochAck';
    this.#send(learner.sid, { kind: 'leaderInfo', newEpoch: this.#newEpoch, protocolVersion: LEARNER_PROTOCOL_VERSION });
  }

  /** A learner introduced itself (FOLLOWERINFO / OBSERVERINFO). */
  #learnerInfo(nowMs: number, info: Extract<QuorumMessage, { kind: 'learnerInfo' }>): void {
    const learner: Learner = {
      sid: info.serverId,
      observer: info.observer,
      phase: 'awaitingEpoch',
      acceptedEpoch: info.acceptedEpoch,
      lastLoggedZxid: -1n,
      lastHeardMs: nowMs,
      txnLogRequest: null,
    };
    this.#learners.set(info.serverId, learner);
    this.#forgetAcks(info.serverId);
    if (this.#newEpoch === null) {
      if (!info.observer && this.#committedQuorum.isVoter(info.serverId)) this.#epochVotes.set(info.serverId, info.acceptedEpoch);
      else if (info.acceptedEpoch > this.#nonVotingEpochFloor) this.#nonVotingEpochFloor = info.acceptedEpoch;
      this.#tryFixEpoch();
      return;
    }
    this.#sendLeaderInfo(learner);
  }

  #ackEpoch(learner: Learner, message: Extract<QuorumMessage, { kind: 'ackEpoch' }>): void {
    if (learner.phase !== 'awaitingEpochAck') return;
    learner.lastLoggedZxid = message.lastLoggedZxid;
    const followerEpoch = message.currentEpoch;
    // While the epoch is being established, a follower with a newer history than ours must not
    // count toward it: 3.8 drops that learner (its handler fails), the leader itself goes on. Once
    // established, a learner's extra txns are simply cut by TRUNC.
    if (
      this.#phase === 'discovery' &&
      followerEpoch !== -1n &&
      (followerEpoch > this.#ownCurrentEpoch || (followerEpoch === this.#ownCurrentEpoch && message.lastLoggedZxid > this.#startZxid))
    ) {
      this.#effects.push({
        kind: 'disconnect',
        to: learner.sid,
        reason: `follower ${learner.sid} is ahead of the leader (epoch ${followerEpoch}, zxid ${hex(message.lastLoggedZxid)})`,
      });
      this.#learners.delete(learner.sid);
      return;
    }
    learner.phase = 'epochAcked';
    // A follower that accepted this epoch in an earlier attempt reports -1: like 3.8, it is synced
    // but does not count toward the quorum that establishes the epoch (its history was not checked).
    if (!learner.observer && followerEpoch !== -1n) this.#epochAcks.add(learner.sid);
    this.#tryEpochQuorum();
    // The quorum just reached may have synced this learner already: one sync per learner.
    if (this.#phase !== 'discovery' && learner.phase === 'epochAcked') this.#syncLearner(learner);
  }

  #tryEpochQuorum(): void {
    if (this.#phase !== 'discovery' || this.#newEpoch === null || !this.#isQuorumOfAll(this.#epochAcks)) return;
    this.#phase = 'synchronization';
    this.#effects.push({ kind: 'persistCurrentEpoch', epoch: this.#newEpoch });
    this.#newLeaderAcks.add(this.#options.myId);
    for (const learner of this.#learners.values()) if (learner.phase === 'epochAcked') this.#syncLearner(learner);
    this.#tryNewLeaderQuorum();
  }

  // ---- synchronization ---------------------------------------------------------------------------

  /**
   * 3.8's syncFollower: DIFF when the learner's last zxid is in our committed log, TRUNC when it is
   * ahead, DIFF from the txn log then the committed log when it is older than the committed log
   * (asked of the shell, finished in txnLogRead), SNAP otherwise.
   */
  #syncLearner(learner: Learner): void {
    assert(this.#newEpoch !== null, 'syncing happens in a fixed epoch');
    const peerLast = learner.lastLoggedZxid;
    const lastProcessed = this.#lastCommitted;
    const log = this.#committedLog;
    const { minLog, maxLog } = this.#committedRange();
    const peerAtNewEpoch = (peerLast & 0xffffffffn) === 0n;
    if (peerLast === lastProcessed) {
      this.#send(learner.sid, { kind: 'diff', zxid: peerLast });
      this.#startForwarding(learner, peerLast);
    } else if (peerLast > maxLog && !peerAtNewEpoch) {
      this.#send(learner.sid, { kind: 'trunc', zxid: maxLog });
      this.#startForwarding(learner, maxLog);
    } else if (log.length > 0 && peerLast <= maxLog && (peerLast >= minLog || this.#logStartsRightAfter(peerLast, minLog))) {
      const sync: SyncPackets = { out: [], opSent: false };
      const queued = this.#queueCommitted(sync, log, peerLast, null, maxLog);
      // The learner forked from us in an earlier epoch: no TRUNC can cross it (as 3.8).
      if (!sync.opSent) this.#sendSnap(learner);
      else this.#emit(learner, sync, queued);
    } else if (peerLast < minLog && this.#options.txnLogSync === true) {
      const request = this.#nextTxnLogRequest++;
      learner.phase = 'readingTxnLog';
      learner.txnLogRequest = { request, upToZxid: minLog };
      this.#effects.push({ kind: 'readTxnLog', to: learner.sid, request, afterZxid: peerLast, upToZxid: minLog });
    } else {
      this.#sendSnap(learner);
    }
  }

  /** The committed log's first and last zxids; our last commit for both when it is empty (as 3.8). */
  #committedRange(): { minLog: bigint; maxLog: bigint } {
    const log = this.#committedLog;
    if (log.length === 0) return { minLog: this.#lastCommitted, maxLog: this.#lastCommitted };
    return { minLog: (log[0] as CommittedProposal).zxid, maxLog: (log[log.length - 1] as CommittedProposal).zxid };
  }

  /**
   * The shell read the txn log for a learner's sync: `proposals` are the logged txns from the last
   * one at or before the learner's zxid up to the zxid asked for, or null when the log cannot serve
   * (it does not reach back, exceeds the size limit, has a gap, or txn-log sync is off). Commits
   * made while it read are in the committed log, which kept them (see #trimCommittedLog).
   */
  txnLogRead(sid: bigint, request: number, proposals: readonly CommittedProposal[] | null): void {
    if (this.#phase === 'abandoned') return;
    const learner = this.#learners.get(sid);
    // A learner that went away, or came back and started another sync, is not this read's.
    if (learner === undefined || learner.phase !== 'readingTxnLog' || learner.txnLogRequest?.request !== request) return;
    const upToZxid = learner.txnLogRequest.upToZxid;
    learner.txnLogRequest = null;
    this.#completeFromTxnLog(learner, upToZxid, proposals);
    // The commits this read kept beyond the committed log's size are sent: they may go now.
    this.#trimCommittedLog();
  }

  #completeFromTxnLog(learner: Learner, upToZxid: bigint, proposals: readonly CommittedProposal[] | null): void {
    if (proposals === null || proposals.length === 0) {
      this.#sendSnap(learner);
      return;
    }
    const peerLast = learner.lastLoggedZxid;
    const { maxLog } = this.#committedRange();
    const sync: SyncPackets = { out: [], opSent: false };
    const fromLog = this.#queueCommitted(sync, proposals, peerLast, upToZxid, maxLog);
    // The log ended before the committed log starts (or forked from the learner's history across
    // an epoch): what was put together is dropped for a snapshot, as 3.8 clears its queue.
    if (fromLog < upToZxid || !sync.opSent) {
      this.#sendSnap(learner);
      return;
    }
    const queued = this.#queueCommitted(sync, this.#committedLog, fromLog, null, maxLog);
    this.#emit(learner, sync, queued);
  }

  #sendSnap(learner: Learner): void {
    this.#send(learner.sid, { kind: 'snap', zxid: this.#lastCommitted });
    this.#effects.push({ kind: 'sendSnapshot', to: learner.sid });
    this.#startForwarding(learner, this.#lastCommitted);
  }

  #emit(learner: Learner, sync: SyncPackets, queued: bigint): void {
    for (const message of sync.out) this.#send(learner.sid, message);
    this.#startForwarding(learner, queued);
  }

  /** Proposals made since `sentUpTo` (committed or not) follow, then NEWLEADER, as in Leader.startForwarding. */
  #startForwarding(learner: Learner, sentUpTo: bigint): void {
    assert(this.#newEpoch !== null, 'syncing happens in a fixed epoch');
    for (const [zxid, proposal] of [...this.#outstanding.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (zxid <= sentUpTo) continue;
      if (!learner.observer) this.#send(learner.sid, { kind: 'proposal', zxid, txn: proposal.txn });
    }
    // 3.8 sends its last seen configuration: a reconfig the previous leader left unfinished is
    // completed with the epoch.
    const config = this.#lastSeenConfig === null ? this.#options.config : Buffer.from(this.#lastSeenConfig.toString(), 'utf8');
    this.#send(learner.sid, { kind: 'newLeader', zxid: zxidOf(this.#newEpoch, 0n), config });
    learner.phase = 'awaitingNewLeaderAck';
  }

  /** A learner at the very start of an epoch, and our log holds that epoch from its first txn. */
  #logStartsRightAfter(peerLast: bigint, minLog: bigint): boolean {
    return (peerLast & 0xffffffffn) === 0n && epochOf(minLog) === epochOf(peerLast) && (minLog & 0xffffffffn) === 1n;
  }

  /**
   * 3.8's queueCommittedProposals: DIFF (or TRUNC then DIFF) and the committed proposals after
   * `peerLast`, up to `maxZxid` when given. The op packet is sent once per sync (`sync.opSent`
   * carries over from the txn-log part to the committed-log part). Returns the last zxid queued;
   * with no op packet sent the learner needs a snapshot.
   */
  #queueCommitted(sync: SyncPackets, proposals: Iterable<CommittedProposal>, peerLast: bigint, maxZxid: bigint | null, lastCommittedZxid: bigint): bigint {
    let previous = -1n;
    let queued = peerLast;
    const peerAtNewEpoch = (peerLast & 0xffffffffn) === 0n;
    for (const proposal of proposals) {
      if (maxZxid !== null && proposal.zxid > maxZxid) break;
      if (proposal.zxid < peerLast) {
        previous = proposal.zxid;
        continue;
      }
      if (!sync.opSent) {
        if (proposal.zxid === peerLast) {
          sync.out.push({ kind: 'diff', zxid: lastCommittedZxid });
          sync.opSent = true;
          continue;
        }
        if (peerAtNewEpoch) {
          sync.out.push({ kind: 'diff', zxid: lastCommittedZxid });
          sync.opSent = true;
        } else {
          // The learner holds a txn we never committed: cut it back to the last one we share,
          // unless that crosses an epoch (a learner asked to do so would fail).
          if (epochOf(proposal.zxid) !== epochOf(peerLast)) return queued;
          sync.out.push({ kind: 'trunc', zxid: previous });
          sync.opSent = true;
        }
      }
      if (proposal.zxid <= queued) continue;
      sync.out.push({ kind: 'proposal', zxid: proposal.zxid, txn: proposal.txn });
      sync.out.push({ kind: 'commit', zxid: proposal.zxid });
      queued = proposal.zxid;
    }
    if (!sync.opSent && peerAtNewEpoch) {
      sync.out.push({ kind: 'diff', zxid: lastCommittedZxid });
      sync.opSent = true;
    }
    return queued;
  }

  /**
   * Keeps committedLogSize proposals, but none a pending txn-log read will continue from: a learner
   * whose read ends at zxid Z needs every commit from Z on, however many came while it read.
   */
  #trimCommittedLog(): void {
    let keepFrom: bigint | null = null;
    for (const learner of this.#learners.values()) {
      const request = learner.txnLogRequest;
      if (request !== null && (keepFrom === null || request.upToZxid < keepFrom)) keepFrom = request.upToZxid;
    }
    while (this.#committedLog.length > this.#options.committedLogSize) {
      const first = this.#committedLog[0] as CommittedProposal;
      if (keepFrom !== null && first.zxid >= keepFrom) return;
      this.#committedLog.shift();
    }
  }

  #ackNewLeader(learner: Learner): void {
    learner.phase = 'awaitingUpToDate';
    if (!learner.observer) this.#newLeaderAcks.add(learner.sid);
    this.#tryNewLeaderQuorum();
    if (this.#phase === 'broadcast' && learner.phase === 'awaitingUpToDate') this.#sendUpToDate(learner);
  }

  #tryNewLeaderQuorum(): void {
    if (this.#phase !== 'synchronization' || !this.#isQuorumOfAll(this.#newLeaderAcks)) return;
    assert(this.#newEpoch !== null, 'broadcast needs an epoch');
    this.#phase = 'broadcast';
    this.#activateAtEpochStart(zxidOf(this.#newEpoch, 0n));
    this.#effects.push({ kind: 'serving', epoch: this.#newEpoch });
    for (const learner of this.#learners.values()) if (learner.phase === 'awaitingUpToDate') this.#sendUpToDate(learner);
  }

  /** Leader.startZkServer: the configuration proposed with NEWLEADER is established with the epoch. */
  #activateAtEpochStart(newLeaderZxid: bigint): void {
    const committed = this.#committedConfig;
    const lastSeen = this.#lastSeenConfig;
    if (committed === null || lastSeen === null || lastSeen.version <= committed.version) return;
    const designated = this.#designatedLeader(lastSeen, [...this.#newLeaderAcks], []);
    this.#activate(lastSeen, designated, newLeaderZxid);
  }

  #designatedLeader(newConfig: QuorumVerifier, acks: readonly bigint[], laterProposals: readonly Proposal[]): bigint {
    const reconfig = this.#options.reconfig;
    assert(reconfig !== undefined, 'a designated leader is picked only with reconfigEnabled');
    return designatedLeader({
      leaderId: this.#options.myId,
      leaderQuorumAddresses: reconfig.quorumAddresses,
      newConfig,
      newConfigAcks: acks.filter((id) => newConfig.isVoter(id)),
      laterProposals: laterProposals.map((p) => p.quorums.map((quorum) => [...p.acks].filter((id) => quorum.isVoter(id)))),
    });
  }

  #activate(config: QuorumVerifier, designated: bigint, zxid: bigint): void {
    this.#committedConfig = config;
    this.#committedOnly = [config];
    this.#effects.push({ kind: 'activateConfig', config, designatedLeader: designated, zxid });
    if (designated !== this.#options.myId) this.#allowedToCommit = false;
  }

  #sendUpToDate(learner: Learner): void {
    learner.phase = 'active';
    this.#send(learner.sid, { kind: 'upToDate', zxid: -1n });
  }

  // ---- broadcast ---------------------------------------------------------------------------------

  /** The zxid the next proposal must carry (the pipeline prepares the txn with it). */
  nextZxid(): bigint {
    assert(this.#phase === 'broadcast', 'proposals are made only in broadcast');
    return this.#lastProposed + 1n;
  }

  /** `newConfig`: the configuration a reconfig txn brings in (prepared by the leader's pipeline). */
  propose(zxid: bigint, txn: Buffer, newConfig: QuorumVerifier | null = null): void {
    assert(this.#phase === 'broadcast', 'proposals are made only in broadcast');
    assert(zxid === this.#lastProposed + 1n, 'proposals carry consecutive zxids');
    assert(newConfig === null || this.#committedConfig !== null, 'a reconfig is proposed only with reconfigEnabled');
    this.#lastProposed = zxid;
    if (newConfig !== null) {
      this.#lastSeenConfig = newConfig;
      this.#effects.push({ kind: 'configSeen', config: newConfig });
    }
    this.#outstanding.set(zxid, { txn, acks: new Set(), quorums: this.#quorums(), newConfig });
    for (const learner of this.#learners.values()) {
      if (!learner.observer && (learner.phase === 'awaitingNewLeaderAck' || learner.phase === 'awaitingUpToDate' || learner.phase === 'active')) {
        this.#send(learner.sid, { kind: 'proposal', zxid, txn });
      }
    }
    this.#effects.push({ kind: 'append', zxid, txn });
  }

  /** The leader's own log is durable up to `zxid`: that counts as its ACK. */
  logged(zxid: bigint): void {
    if (zxid > this.#lastLogged) this.#lastLogged = zxid;
    for (const [proposalZxid, proposal] of this.#outstanding) if (proposalZxid <= zxid) proposal.acks.add(this.#options.myId);
    this.#tryCommit();
  }

  #ack(learner: Learner, zxid: bigint): void {
    if (learner.observer) return;
    if (this.#newEpoch !== null && zxid === zxidOf(this.#newEpoch, 0n)) return;
    const proposal = this.#outstanding.get(zxid);
    if (proposal === undefined) return;
    proposal.acks.add(learner.sid);
    this.#tryCommit();
  }

  /** Commits in zxid order: a proposal waits for every earlier one, and for a quorum of each configuration it counts in. */
  #tryCommit(): void {
    for (;;) {
      // After a reconfig that handed leadership on, the designated leader commits what follows.
      if (!this.#allowedToCommit) return;
      // The first proposal of the epoch follows the last txn of the previous epoch.
      const firstOfEpoch = this.#newEpoch === null ? null : zxidOf(this.#newEpoch, 1n);
      const zxid = firstOfEpoch !== null && this.#lastCommitted < firstOfEpoch ? firstOfEpoch : this.#lastCommitted + 1n;
      const entry = this.#outstanding.get(zxid);
      if (entry === undefined || !entry.quorums.every((quorum) => quorum.containsQuorum(entry.acks))) return;
      this.#outstanding.delete(zxid);
      this.#lastCommitted = zxid;
      this.#committedLog.push({ zxid, txn: entry.txn });
      this.#trimCommittedLog();
      const designated = entry.newConfig === null ? null : this.#designatedLeader(entry.newConfig, [...entry.acks], this.#proposalsAfter(zxid));
      if (entry.newConfig !== null && designated !== null) this.#activate(entry.newConfig, designated, zxid);
      for (const learner of this.#learners.values()) {
        if (learner.phase !== 'active' && learner.phase !== 'awaitingUpToDate' && learner.phase !== 'awaitingNewLeaderAck') continue;
        this.#send(learner.sid, this.#commitMessage(learner, zxid, entry.txn, designated));
      }
      this.#effects.push({ kind: 'commit', zxid, txn: entry.txn });
      this.#answerSyncs();
    }
  }

  /** The outstanding proposals right after `zxid`, in order, while there are any (Leader.getDesignatedLeader). */
  #proposalsAfter(zxid: bigint): Proposal[] {
    const later: Proposal[] = [];
    for (let next = zxid + 1n; ; next++) {
      const proposal = this.#outstanding.get(next);
      if (proposal === undefined) return later;
      later.push(proposal);
    }
  }

  /** COMMIT / INFORM, or for a reconfig COMMITANDACTIVATE / INFORMANDACTIVATE naming the leader to go on with. */
  #commitMessage(learner: Learner, zxid: bigint, txn: Buffer, designated: bigint | null): QuorumMessage {
    if (designated === null) return learner.observer ? { kind: 'inform', zxid, txn } : { kind: 'commit', zxid };
    return learner.observer ? { kind: 'informAndActivate', zxid, designatedLeader: designated, txn } : { kind: 'commitAndActivate', zxid, designatedLeader: designated };
  }

  /** A learner forwarded a client's sync (Leader.processSync). */
  syncRequested(sid: bigint): void {
    this.#pendingSyncs.push({ zxid: this.#lastProposed, sid });
    this.#answerSyncs();
  }

  #answerSyncs(): void {
    while (this.#pendingSyncs.length > 0) {
      const first = this.#pendingSyncs[0] as { zxid: bigint; sid: bigint };
      if (this.#outstanding.size > 0 && first.zxid > this.#lastCommitted) return;
      this.#pendingSyncs.shift();
      this.#send(first.sid, { kind: 'sync', zxid: 0n, body: null });
    }
  }

  // ---- inputs ------------------------------------------------------------------------------------

  receive(nowMs: number, from: bigint, message: QuorumMessage): void {
    if (this.#phase === 'abandoned') return;
    if (message.kind === 'learnerInfo') {
      if (message.serverId !== from) {
        this.#effects.push({ kind: 'disconnect', to: from, reason: 'learner info names another server' });
        return;
      }
      this.#learnerInfo(nowMs, message);
      return;
    }
    const learner = this.#learners.get(from);
    if (learner === undefined) {
      this.#effects.push({ kind: 'disconnect', to: from, reason: `${message.kind} before FOLLOWERINFO` });
      return;
    }
    learner.lastHeardMs = nowMs;
    switch (message.kind) {
      case 'ackEpoch':
        this.#ackEpoch(learner, message);
        return;
      case 'ack':
        if (learner.phase === 'awaitingNewLeaderAck' && this.#newEpoch !== null && message.zxid === zxidOf(this.#newEpoch, 0n)) {
          this.#ackNewLeader(learner);
          return;
        }
        // 3.8's LearnerHandler reads nothing but the NEWLEADER ACK until then.
        if (learner.phase === 'awaitingNewLeaderAck') return;
        this.#ack(learner, message.zxid);
        return;
      case 'ping':
        if (message.touches !== null && message.touches.length > 0) this.#effects.push({ kind: 'sessionTouches', from, touches: message.touches });
        return;
      default:
        return;
    }
  }

  learnerDisconnected(sid: bigint): void {
    this.#learners.delete(sid);
    this.#forgetAcks(sid);
  }

  /**
   * A learner that reconnects is synced again, possibly TRUNCed below proposals it ACKed before:
   * its earlier ACKs no longer say the proposals are in its log, so they stop counting.
   */
  #forgetAcks(sid: bigint): void {
    for (const proposal of this.#outstanding.values()) proposal.acks.delete(sid);
  }

  /** Every tick: pings, and the liveness checks of initLimit (before broadcast) and syncLimit (after). */
  tick(nowMs: number): void {
    if (this.#phase === 'abandoned') return;
    if (this.#phase !== 'broadcast') {
      if (nowMs > this.#phaseDeadlineMs) {
        this.#abandon(`no quorum of followers within initLimit (${this.#phase}: epoch votes ${this.#epochVotes.size}, epoch acks ${this.#epochAcks.size}, NEWLEADER acks ${this.#newLeaderAcks.size})`);
      }
      return;
    }
    if (nowMs - this.#lastPingMs >= this.#options.tickTimeMs / 2) {
      this.#lastPingMs = nowMs;
      for (const learner of this.#learners.values()) {
        if (learner.phase === 'active') this.#send(learner.sid, { kind: 'ping', zxid: this.#lastProposed, touches: null });
      }
    }
    const syncLimitMs = this.#options.syncLimitTicks * this.#options.tickTimeMs;
    const synced = [this.#options.myId];
    for (const learner of this.#learners.values()) {
      if (!learner.observer && learner.phase === 'active' && nowMs - learner.lastHeardMs <= syncLimitMs) synced.push(learner.sid);
      else if (learner.phase === 'active' && nowMs - learner.lastHeardMs > syncLimitMs) {
        this.#effects.push({ kind: 'disconnect', to: learner.sid, reason: `no answer within syncLimit (${syncLimitMs} ms)` });
        this.#learners.delete(learner.sid);
      }
    }
    if (!this.#isQuorumOfAll(synced)) this.#abandon(`not sufficient followers synced, only synced with sids: [${synced.join(', ')}]`);
  }
}
