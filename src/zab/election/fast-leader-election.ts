// FastLeaderElection as a pure state machine: notifications and time in, notifications to send and
// a decision out. The rules are 3.8's (FastLeaderElection.lookForLeader): votes are ordered by peer
// epoch, then zxid, then server id; a newer election round resets the tally; a vote is final when a
// quorum holds it and no better vote arrives within finalizeWait; votes from servers already
// FOLLOWING or LEADING settle the election for a server that joins late. Time is a millisecond
// reading passed in with every input; there are no timers inside.

import { assert } from '../../lib/assert.js';
import { NOTIFICATION_VERSION, type Notification, type PeerStateName } from './notification.js';

export interface Vote {
  readonly leader: bigint;
  readonly zxid: bigint;
  readonly electionEpoch: bigint;
  readonly peerEpoch: bigint;
  readonly state: PeerStateName;
}

/**
 * Who votes, as this server knows it: the committed configuration's voters and, while a reconfig
 * is in flight, the voters of the configuration seen after it (3.8's getVoteTracker counts a vote
 * only when it has a quorum in both).
 */
export interface VotingView {
  /** Voting members (participants) of the committed configuration, this server included if it votes. */
  readonly voters: ReadonlySet<bigint>;
  /** Voters of a newer configuration seen but not committed, or null. */
  readonly nextVoters?: ReadonlySet<bigint> | null;
  /** Whether this server votes (a participant of the configuration) or only learns the result. */
  readonly participant: boolean;
  /**
   * How it learns from a leader it did not vote for (3.8's learnerType): a server a reconfig removed
   * stays a participant and follows without a vote. Default: as `participant` says.
   */
  readonly learnerType?: 'participant' | 'observer';
  /** Opaque config bytes sent in notifications (3.8 sends its committed configuration's text). */
  readonly config: Buffer;
}

export interface ElectionOptions extends VotingView {
  readonly myId: bigint;
  /** FastLeaderElection.finalizeWait: how long a quorum vote waits for a better one. */
  readonly finalizeWaitMs: number;
  /** Initial and maximum interval between resends when nothing arrives. */
  readonly minNotificationIntervalMs: number;
  readonly maxNotificationIntervalMs: number;
}

export interface Decision {
  readonly leader: bigint;
  readonly zxid: bigint;
  readonly electionEpoch: bigint;
  readonly peerEpoch: bigint;
  readonly role: 'leading' | 'following' | 'observing';
}

export interface ElectionOutput {
  readonly send: { readonly to: bigint; readonly notification: Notification }[];
  /** Ask the transport to (re)connect to every peer it is not connected to. */
  readonly connectAll: boolean;
  readonly decision: Decision | null;
}

/** 3.8's totalOrderPredicate: is (id, zxid, epoch) a better vote than the current one? */
export function isBetterVote(newId: bigint, newZxid: bigint, newEpoch: bigint, curId: bigint, curZxid: bigint, curEpoch: bigint): boolean {
  return newEpoch > curEpoch || (newEpoch === curEpoch && (newZxid > curZxid || (newZxid === curZxid && newId > curId)));
}

function sameVote(a: Vote, b: Vote): boolean {
  if (a.state === 'looking' || b.state === 'looking') {
    return a.leader === b.leader && a.zxid === b.zxid && a.electionEpoch === b.electionEpoch && a.peerEpoch === b.peerEpoch;
  }
  return a.leader === b.leader && a.peerEpoch === b.peerEpoch;
}

export class FastLeaderElection {
  readonly #options: ElectionOptions;
  #view: Required<VotingView>;
  #round = 0n;
  #proposed: { leader: bigint; zxid: bigint; peerEpoch: bigint } = { leader: -1n, zxid: -1n, peerEpoch: -1n };
  #own: { zxid: bigint; peerEpoch: bigint } = { zxid: -1n, peerEpoch: -1n };
  readonly #received = new Map<bigint, Vote>();
  readonly #outOfElection = new Map<bigint, Vote>();
  #looking = false;
  #final: Vote | null = null;
  #finalizeAtMs: number | null = null;
  #nextResendAtMs = 0;
  #resendIntervalMs: number;

  constructor(options: ElectionOptions) {
    assert(options.finalizeWaitMs >= 0, 'finalizeWait is not negative');
    this.#options = options;
    this.#view = viewOf(options);
    this.#resendIntervalMs = options.minNotificationIntervalMs;
  }

  /**
   * A configuration was activated or seen (dynamic reconfiguration): the next round counts votes,
   * and sends notifications, by it. The caller restarts the election when it is looking.
   */
  setView(view: VotingView): void {
    this.#view = viewOf(view);
  }

  #isVoter(sid: bigint): boolean {
    return this.#view.voters.has(sid) || (this.#view.nextVoters?.has(sid) ?? false);
  }

  get looking(): boolean {
    return this.#looking;
  }

  get round(): bigint {
    return this.#round;
  }

  /** The vote this server stands by: its proposal while looking, the decision afterwards. */
  currentVote(): Vote {
    if (this.#final !== null) return this.#final;
    return { leader: this.#proposed.leader, zxid: this.#proposed.zxid, electionEpoch: this.#round, peerEpoch: this.#proposed.peerEpoch, state: 'looking' };
  }

  #quorum(votes: ReadonlyMap<bigint, Vote>, target: Vote): boolean {
    const next = this.#view.nextVoters ?? null;
    return hasQuorumIn(this.#view.voters, votes, target) && (next === null || hasQuorumIn(next, votes, target));
  }

  #notificationOf(vote: Vote, state: PeerStateName): Notification {
    return {
      state,
      leader: vote.leader,
      zxid: vote.zxid,
      electionEpoch: vote.electionEpoch,
      peerEpoch: vote.peerEpoch,
      version: NOTIFICATION_VERSION,
      config: this.#view.config,
    };
  }

  #broadcast(): ElectionOutput['send'] {
    const notification = this.#notificationOf(this.currentVote(), 'looking');
    const to = new Set([...this.#view.voters, ...(this.#view.nextVoters ?? [])]);
    to.delete(this.#options.myId);
    return [...to].map((sid) => ({ to: sid, notification }));
  }

  /**
   * 3.8 sends its notifications to every voter of the committed and the next configuration, itself
   * included, so its own current proposal counts among the votes whenever it votes in either: a
   * server a pending reconfig adds counts (for the new configuration) the vote it adopted.
   */
  #selfVote(): void {
    if (!this.#isVoter(this.#options.myId)) return;
    this.#received.set(this.#options.myId, { ...this.currentVote() });
  }

  /** Starts a new election round with this server's last logged zxid and current epoch. */
  start(nowMs: number, lastZxid: bigint, currentEpoch: bigint): ElectionOutput {
    this.#looking = true;
    this.#final = null;
    this.#finalizeAtMs = null;
    this.#round++;
    this.#received.clear();
    this.#outOfElection.clear();
    this.#own = { zxid: lastZxid, peerEpoch: currentEpoch };
    this.#proposed = this.#view.participant
      ? { leader: this.#options.myId, zxid: lastZxid, peerEpoch: currentEpoch }
      : { leader: -9223372036854775808n, zxid: -9223372036854775808n, peerEpoch: -9223372036854775808n };
    this.#selfVote();
    this.#resendIntervalMs = this.#options.minNotificationIntervalMs;
    this.#nextResendAtMs = nowMs + this.#resendIntervalMs;
    return { send: this.#broadcast(), connectAll: true, decision: this.#decideIfAlone(nowMs) };
  }

  #decideIfAlone(nowMs: number): Decision | null {
    if (this.#quorum(this.#received, this.currentVote())) this.#finalizeAtMs = nowMs + this.#options.finalizeWaitMs;
    return null;
  }

  /** Advances time: resends when nothing arrived, and decides once finalizeWait has passed quietly. */
  tick(nowMs: number): ElectionOutput {
    if (!this.#looking) return { send: [], connectAll: false, decision: null };
    if (this.#finalizeAtMs !== null && nowMs >= this.#finalizeAtMs) {
      return { send: [], connectAll: false, decision: this.#decide(this.#proposed.leader, this.#proposed.zxid, this.#round, this.#proposed.peerEpoch) };
    }
    if (nowMs >= this.#nextResendAtMs) {
      this.#resendIntervalMs = Math.min(this.#resendIntervalMs * 2, this.#options.maxNotificationIntervalMs);
      this.#nextResendAtMs = nowMs + this.#resendIntervalMs;
      return { send: this.#broadcast(), connectAll: true, decision: null };
    }
    return { send: [], connectAll: false, decision: null };
  }

  #decide(leader: bigint, zxid: bigint, electionEpoch: bigint, peerEpoch: bigint): Decision {
    const role = leader === this.#options.myId ? 'leading' : this.#view.learnerType === 'participant' ? 'following' : 'observing';
    this.#looking = false;
    this.#finalizeAtMs = null;
    this.#final = { leader, zxid, electionEpoch, peerEpoch, state: role };
    return { leader, zxid, electionEpoch, peerEpoch, role };
  }

  /** A notification from `from`. While not looking, a looking sender is told the settled vote. */
  receive(nowMs: number, from: bigint, n: Notification): ElectionOutput {
    if (!this.#looking) {
      if (n.state === 'looking' && this.#final !== null) {
        return { send: [{ to: from, notification: this.#notificationOf(this.#final, this.#final.state) }], connectAll: false, decision: null };
      }
      return { send: [], connectAll: false, decision: null };
    }
    const knownVoter = this.#isVoter(from);
    if (!knownVoter) {
      // Observers and unknown servers get our current vote so that they can find the leader.
      return { send: [{ to: from, notification: this.#notificationOf(this.currentVote(), 'looking') }], connectAll: false, decision: null };
    }
    this.#nextResendAtMs = nowMs + this.#resendIntervalMs;
    if (n.state === 'looking') return this.#receiveLooking(nowMs, from, n);
    if (n.state === 'observing') return { send: [], connectAll: false, decision: null };
    return this.#receiveSettled(from, n);
  }

  #receiveLooking(nowMs: number, from: bigint, n: Notification): ElectionOutput {
    const send: ElectionOutput['send'] = [];
    if (n.electionEpoch > this.#round) {
      this.#round = n.electionEpoch;
      this.#received.clear();
      const own = this.#view.participant ? { leader: this.#options.myId, ...this.#own } : this.#proposed;
      this.#proposed = isBetterVote(n.leader, n.zxid, n.peerEpoch, own.leader, own.zxid, own.peerEpoch)
        ? { leader: n.leader, zxid: n.zxid, peerEpoch: n.peerEpoch }
        : own;
      this.#selfVote();
      this.#finalizeAtMs = null;
      send.push(...this.#broadcast());
    } else if (n.electionEpoch < this.#round) {
      // A server behind us: tell it where the election is.
      send.push({ to: from, notification: this.#notificationOf(this.currentVote(), 'looking') });
      return { send, connectAll: false, decision: null };
    } else if (isBetterVote(n.leader, n.zxid, n.peerEpoch, this.#proposed.leader, this.#proposed.zxid, this.#proposed.peerEpoch)) {
      this.#proposed = { leader: n.leader, zxid: n.zxid, peerEpoch: n.peerEpoch };
      this.#selfVote();
      this.#finalizeAtMs = null;
      send.push(...this.#broadcast());
    }
    this.#received.set(from, { leader: n.leader, zxid: n.zxid, electionEpoch: n.electionEpoch, peerEpoch: n.peerEpoch, state: 'looking' });
    if (this.#finalizeAtMs === null && this.#quorum(this.#received, this.currentVote())) {
      this.#finalizeAtMs = nowMs + this.#options.finalizeWaitMs;
      if (this.#options.finalizeWaitMs === 0) {
        return { send, connectAll: false, decision: this.#decide(this.#proposed.leader, this.#proposed.zxid, this.#round, this.#proposed.peerEpoch) };
      }
    }
    return { send, connectAll: false, decision: null };
  }

  #receiveSettled(from: bigint, n: Notification): ElectionOutput {
    const vote: Vote = { leader: n.leader, zxid: n.zxid, electionEpoch: n.electionEpoch, peerEpoch: n.peerEpoch, state: n.state };
    if (n.electionEpoch === this.#round) {
      this.#received.set(from, vote);
      if (this.#quorum(this.#received, vote) && this.#checkLeader(this.#received, n.leader, n.electionEpoch)) {
        return { send: [], connectAll: false, decision: this.#decide(n.leader, n.zxid, n.electionEpoch, n.peerEpoch) };
      }
    }
    this.#outOfElection.set(from, vote);
    if (this.#quorum(this.#outOfElection, vote) && this.#checkLeader(this.#outOfElection, n.leader, n.electionEpoch)) {
      this.#round = n.electionEpoch;
      return { send: [], connectAll: false, decision: this.#decide(n.leader, n.zxid, n.electionEpoch, n.peerEpoch) };
    }
    return { send: [], connectAll: false, decision: null };
  }

  /**
   * Once the leader's epoch is established, the settled vote carries it as its peer epoch (3.8's
   * updateElectionVote, ZOOKEEPER-1732): a server joining later compares votes by leader and peer
   * epoch, and every member must answer it alike.
   */
  updateEstablishedEpoch(epoch: bigint): void {
    if (this.#final !== null) this.#final = { ...this.#final, peerEpoch: epoch };
  }

  /**
   * A committed reconfig named the leader to go on with (3.8's updateVote, then updateServerState
   * with the reconfig flag): this server takes that role without an election, and answers looking
   * servers with it as a settled vote.
   */
  adoptDesignatedLeader(leader: bigint, zxid: bigint, peerEpoch: bigint): Decision {
    const role = leader === this.#options.myId ? 'leading' : this.#view.learnerType === 'participant' ? 'following' : 'observing';
    this.#looking = false;
    this.#finalizeAtMs = null;
    this.#final = { leader, zxid, electionEpoch: this.#round, peerEpoch, state: role };
    return { leader, zxid, electionEpoch: this.#round, peerEpoch, role };
  }

  /** The leader must itself say it leads, unless it is us (then the round must match). */
  #checkLeader(votes: ReadonlyMap<bigint, Vote>, leader: bigint, electionEpoch: bigint): boolean {
    if (leader !== this.#options.myId) return votes.get(leader)?.state === 'leading';
    return this.#round === electionEpoch;
  }
}

function viewOf(view: VotingView): Required<VotingView> {
  return {
    voters: view.voters,
    nextVoters: view.nextVoters ?? null,
    participant: view.participant,
    learnerType: view.learnerType ?? (view.participant ? 'participant' : 'observer'),
    config: view.config,
  };
}

function hasQuorumIn(voters: ReadonlySet<bigint>, votes: ReadonlyMap<bigint, Vote>, target: Vote): boolean {
  let count = 0;
  for (const [sid, vote] of votes) if (voters.has(sid) && sameVote(vote, target)) count++;
  return count * 2 > voters.size;
}
