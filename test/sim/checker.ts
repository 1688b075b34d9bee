// The Zab invariants (after Zab.tla and the Zab paper), checked as the simulation runs:
//  - one established leader per epoch (a leader is established when it starts serving);
//  - one txn per zxid across every log (two proposers of one epoch would clash here first);
//  - agreement and total order: every applied txn sits at the same position of the one committed
//    history H, and each peer applies in increasing zxid order (primary order follows: H is in
//    zxid order and every delivery is checked against it);
//  - nothing committed is lost: an established leader's tree agrees with H and holds every txn
//    committed in an earlier epoch; a follower that starts serving holds a prefix of H; a TRUNC
//    never leaves a committed txn durable on less than a quorum;
//  - a leader commits only what a quorum holds durably (fsynced log or snapshot);
//  - a follower ACKs only what it has fsynced, ACKEPOCH only after its accepted epoch is durable,
//    and NEWLEADER only after its current epoch and the txns of the sync are durable;
//  - every txn acknowledged to a client is in H and, at the end, in every peer's tree.

import { counterOf, epochOf, hex } from '../../src/zab/effects.js';
import type { Applied, Disk, TreeState } from './model.js';

/** The check name of a loss caused by the known stale-ACK bug (see test/sim/README.md). */
/** With checkDurableQuorum off: a loss whose cause is a commit without a durable quorum. */
export const STALE_ACK_LOSS = 'loss after a commit without a durable quorum';

export class Violation extends Error {
  constructor(
    readonly check: string,
    detail: string,
  ) {
    super(`${check}: ${detail}`);
  }
}

export interface CheckedPeer {
  readonly id: bigint;
  readonly disk: Disk;
  readonly up: boolean;
}

export class Checker {
  /** The committed history: every txn applied anywhere, in order. */
  readonly history: Applied[] = [];
  readonly #historyIndex = new Map<bigint, number>();
  readonly #txnOfZxid = new Map<bigint, string>();
  readonly #leaderOfEpoch = new Map<bigint, bigint>();
  readonly acked = new Map<string, bigint>();
  /** Leaders that established an epoch while a later epoch had committed txns (peer@epoch). */
  readonly staleLeaders: string[] = [];
  /** Whether "commit needs a durable quorum" is checked (off to look past a known bug). */
  checkDurableQuorum = true;
  /** Which leader (sid@epoch) committed each zxid. */
  readonly #committedBy = new Map<bigint, string>();
  /** Commits that found no durable quorum (recorded when that check is off), by zxid. */
  readonly underReplicated = new Map<bigint, string>();
  readonly #peers: () => readonly CheckedPeer[];
  readonly #voters: ReadonlySet<bigint>;
  readonly #quorumSize: number;
  checks = 0;

  constructor(peers: () => readonly CheckedPeer[], voters: ReadonlySet<bigint>) {
    this.#peers = peers;
    this.#voters = voters;
    this.#quorumSize = Math.floor(voters.size / 2) + 1;
  }

  /** The voters that hold `zxid` durably: only they make a quorum (an observer's log does not count). */
  #durableHolders(zxid: bigint, txn: string): bigint[] {
    return this.#peers()
      .filter((p) => this.#voters.has(p.id) && p.disk.holdsDurably(zxid, txn))
      .map((p) => p.id);
  }

  leaders(): ReadonlyMap<bigint, bigint> {
    return this.#leaderOfEpoch;
  }

  /** A txn is appended to a log (proposed by a leader, or logged by a follower). */
  onAppend(peer: bigint, zxid: bigint, txn: string): void {
    this.checks++;
    if (counterOf(zxid) === 0n) throw new Violation('zxid', `peer ${peer} appends a txn with counter 0 (${hex(zxid)})`);
    const known = this.#txnOfZxid.get(zxid);
    if (known === undefined) this.#txnOfZxid.set(zxid, txn);
    else if (known !== txn) throw new Violation('one txn per zxid', `peer ${peer} logs ${txn} at ${hex(zxid)}, which already names ${known}`);
  }

  /** A peer applies a committed txn to its tree (`before` is the tree just before). */
  onApply(peer: bigint, before: TreeState, entry: Applied): void {
    this.checks++;
    const last = before.txns[before.txns.length - 1];
    if (last !== undefined && entry.zxid <= last.zxid) {
      throw new Violation('total order', `peer ${peer} applies ${hex(entry.zxid)} (${entry.txn}) after ${hex(last.zxid)}`);
    }
    if (entry.zxid <= before.lastZxid) {
      throw new Violation('total order', `peer ${peer} applies ${hex(entry.zxid)} (${entry.txn}) to a tree at ${hex(before.lastZxid)}`);
    }
    const position = before.txns.length;
    this.#agreeAt(peer, position, entry, 'applies');
  }

  #agreeAt(peer: bigint, position: number, entry: Applied, verb: string): void {
    const committed = this.history[position];
    if (committed === undefined) {
      if (position !== this.history.length) throw new Violation('agreement', `peer ${peer} ${verb} ${hex(entry.zxid)} at position ${position}, past the end of the history (${this.history.length})`);
      this.#extend(entry);
      return;
    }
    if (committed.zxid !== entry.zxid || committed.txn !== entry.txn) {
      throw this.disagreement(committed.zxid, `peer ${peer} ${verb} ${hex(entry.zxid)} (${entry.txn}) at position ${position}, where the committed history has ${hex(committed.zxid)} (${committed.txn})`);
    }
  }

  #extend(entry: Applied): void {
    const previous = this.history[this.history.length - 1];
    if (previous !== undefined && entry.zxid <= previous.zxid) {
      throw new Violation('total order', `the committed history would put ${hex(entry.zxid)} after ${hex(previous.zxid)}`);
    }
    const already = this.#historyIndex.get(entry.zxid);
    if (already !== undefined) throw new Violation('total order', `${hex(entry.zxid)} committed twice (position ${already} and ${this.history.length})`);
    this.#historyIndex.set(entry.zxid, this.history.length);
    this.history.push(entry);
  }

  /** A peer starts serving clients in `epoch`, with this tree. */
  onServing(peer: bigint, role: 'leading' | 'following', epoch: bigint, tree: TreeState, leader: bigint): void {
    this.checks++;
    if (role === 'leading') {
      const established = this.#leaderOfEpoch.get(epoch);
      if (established !== undefined && established !== peer) {
        throw new Violation('one leader per epoch', `peer ${peer} establishes epoch ${epoch}, already established by peer ${established}`);
      }
      this.#leaderOfEpoch.set(epoch, peer);
      // The new leader's history agrees with the committed one, holds everything committed in
      // earlier epochs, and becomes committed itself. (A leader can still establish an epoch
      // older than one established since, counting ACKs of learners that moved on; its history
      // then stops short of the later epochs' txns, and any txn it commits would clash below.)
      const shared = Math.min(tree.txns.length, this.history.length);
      for (let i = 0; i < shared; i++) {
        const mine = tree.txns[i] as Applied;
        const committed = this.history[i] as Applied;
        if (mine.zxid !== committed.zxid || mine.txn !== committed.txn) {
          throw this.#lost(committed.zxid, `leader ${peer} of epoch ${epoch} has ${hex(mine.zxid)} (${mine.txn}) at position ${i}, where the committed history has ${hex(committed.zxid)} (${committed.txn})`);
        }
      }
      const missing = this.history[tree.txns.length];
      if (missing !== undefined && epochOf(missing.zxid) < epoch) {
        throw this.#lost(missing.zxid, `leader ${peer} of epoch ${epoch} lacks ${hex(missing.zxid)} (${missing.txn}) at position ${tree.txns.length} (its tree ends at ${hex(tree.txns[tree.txns.length - 1]?.zxid ?? 0n)})`);
      }
      if (missing !== undefined) this.staleLeaders.push(`${peer}@${epoch}`);
      for (let i = this.history.length; i < tree.txns.length; i++) this.#extend(tree.txns[i] as Applied);
      return;
    }
    if (this.#leaderOfEpoch.get(epoch) !== leader) {
      throw new Violation('one leader per epoch', `peer ${peer} serves as a follower of ${leader} in epoch ${epoch}, whose established leader is ${this.#leaderOfEpoch.get(epoch) ?? 'none'}`);
    }
    tree.txns.forEach((entry, i) => {
      const committed = this.history[i];
      if (committed === undefined) {
        throw new Violation('agreement', `follower ${peer} starts serving with ${hex(entry.zxid)} (${entry.txn}) at position ${i}, past the committed history (${this.history.length})`);
      }
      if (committed.zxid !== entry.zxid || committed.txn !== entry.txn) {
        throw this.disagreement(committed.zxid, `follower ${peer} starts serving with ${hex(entry.zxid)} (${entry.txn}) at position ${i}, where the committed history has ${hex(committed.zxid)} (${committed.txn})`);
      }
    });
  }

  /** The leader commits `zxid`: a quorum must hold it durably right now. */
  onLeaderCommit(leader: bigint, epoch: bigint, zxid: bigint, txn: string): void {
    this.checks++;
    this.#committedBy.set(zxid, `${leader}@${epoch}`);
    const holders = this.#durableHolders(zxid, txn);
    if (holders.length >= this.#quorumSize) return;
    const detail = `leader ${leader} commits ${hex(zxid)} (${txn}) but only [${holders.join(', ')}] hold it durably`;
    if (this.checkDurableQuorum) throw new Violation('commit needs a durable quorum', detail);
    this.underReplicated.set(zxid, detail);
  }

  /**
   * A follower's TRUNC, sent by `leader` in `epoch`, removed these txns: a committed one must still
   * be durable on a quorum. When the leader that TRUNCs is the one that committed it, in the same
   * epoch, the commit counted the follower's ACK from before its resync (a stale ACK).
   */
  onTruncated(peer: bigint, leader: bigint, epoch: bigint, removed: readonly Applied[]): void {
    this.checks++;
    for (const entry of removed) {
      const position = this.#historyIndex.get(entry.zxid);
      if (position === undefined || this.history[position]?.txn !== entry.txn) continue;
      const holders = this.#durableHolders(entry.zxid, entry.txn);
      if (holders.length >= this.#quorumSize) continue;
      const detail = `peer ${peer} truncates committed ${hex(entry.zxid)} (${entry.txn}) at the TRUNC of leader ${leader} in epoch ${epoch}; only [${holders.join(', ')}] still hold it durably`;
      const staleAck = this.#committedBy.get(entry.zxid) === `${leader}@${epoch}`;
      if (!staleAck) throw new Violation('nothing committed is lost', detail);
      if (this.checkDurableQuorum) throw new Violation('commit needs a durable quorum', detail);
      this.underReplicated.set(entry.zxid, detail);
    }
  }

  /** A peer disagrees with the committed txn at `zxid`'s position (a stale ACK if it was under-replicated). */
  disagreement(zxid: bigint, detail: string): Violation {
    const cause = this.underReplicated.get(zxid);
    if (cause !== undefined) return new Violation(STALE_ACK_LOSS, `${detail}; it was committed without a durable quorum: ${cause}`);
    return new Violation('agreement', detail);
  }

  /** A committed txn is lost: a stale ACK when it was committed without a durable quorum. */
  #lost(zxid: bigint, detail: string): Violation {
    const cause = this.underReplicated.get(zxid);
    if (cause !== undefined) return new Violation(STALE_ACK_LOSS, `${detail}; it was committed without a durable quorum: ${cause}`);
    return new Violation('nothing committed is lost', detail);
  }

  /** A follower sends ACK(zxid) for a proposal. */
  onProposalAck(peer: CheckedPeer, zxid: bigint): void {
    this.checks++;
    const txn = this.#txnOfZxid.get(zxid);
    if (txn === undefined || !peer.disk.holdsDurably(zxid, txn)) {
      throw new Violation('ACK only what is logged', `follower ${peer.id} ACKs ${hex(zxid)} (${txn ?? 'unknown txn'}) that it has not fsynced: ${peer.disk.describeLog()}`);
    }
  }

  /** A follower sends the ACK of NEWLEADER for `epoch` after logging `synced` in the sync. */
  onNewLeaderAck(peer: CheckedPeer, epoch: bigint, synced: readonly bigint[]): void {
    this.checks++;
    if (peer.disk.currentEpoch !== epoch) {
      throw new Violation('ACK only what is logged', `follower ${peer.id} ACKs NEWLEADER of epoch ${epoch} with current epoch ${peer.disk.currentEpoch} on disk`);
    }
    for (const zxid of synced) this.onProposalAck(peer, zxid);
  }

  onAckEpoch(peer: CheckedPeer, newEpoch: bigint): void {
    this.checks++;
    if (peer.disk.acceptedEpoch === null || peer.disk.acceptedEpoch < newEpoch) {
      throw new Violation('ACK only what is logged', `follower ${peer.id} sends ACKEPOCH for epoch ${newEpoch} with accepted epoch ${peer.disk.acceptedEpoch} on disk`);
    }
  }

  /** A client is told its write succeeded. */
  onClientAck(peer: bigint, txn: string, zxid: bigint): void {
    this.checks++;
    const position = this.#historyIndex.get(zxid);
    const committed = position === undefined ? undefined : this.history[position];
    if (committed === undefined || committed.txn !== txn) {
      throw new Violation('acknowledged writes are committed', `peer ${peer} acknowledges ${txn} at ${hex(zxid)}, which is not in the committed history`);
    }
    this.acked.set(txn, zxid);
  }

  /** The final state: every peer's tree is H (or extends it, when a leader's history was never applied elsewhere). */
  checkFinal(trees: ReadonlyMap<bigint, TreeState>): void {
    const reference = [...trees.values()][0];
    if (reference === undefined) return;
    for (const [peer, tree] of trees) {
      if (tree.txns.length !== reference.txns.length || tree.txns.some((t, i) => t.zxid !== reference.txns[i]?.zxid || t.txn !== reference.txns[i]?.txn)) {
        throw new Violation('convergence', `peer ${peer} ends with ${tree.txns.length} txns (last ${hex(tree.txns.at(-1)?.zxid ?? 0n)}), others with ${reference.txns.length} (last ${hex(reference.txns.at(-1)?.zxid ?? 0n)})`);
      }
    }
    this.history.forEach((committed, i) => {
      const final = reference.txns[i];
      if (final === undefined || final.zxid !== committed.zxid || final.txn !== committed.txn) {
        throw this.#lost(committed.zxid, `the final state lacks ${hex(committed.zxid)} (${committed.txn}) at position ${i}`);
      }
    });
    const finalTxns = new Set(reference.txns.map((t) => t.txn));
    for (const [txn, zxid] of this.acked) {
      if (!finalTxns.has(txn)) throw new Violation('acknowledged writes are committed', `acknowledged ${txn} (${hex(zxid)}) is missing from the final state`);
    }
  }

  describeHistory(): string {
    const tail = this.history.slice(-5).map((e) => `${hex(e.zxid)}=${e.txn}`);
    return `${this.history.length} committed, epochs ${[...new Set(this.history.map((e) => epochOf(e.zxid)))].join(',')}, last: ${tail.join(' ')}`;
  }
}
