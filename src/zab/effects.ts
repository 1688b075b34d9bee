// The contract between the Zab cores (pure) and the shell that runs them. A core never touches a
// socket or a file: it returns effects, and the shell carries them out IN ORDER. Durability
// ordering is part of the contract: an effect that persists (epochs, log appends) must be durable
// before the shell carries out any later effect of the same batch, and appends are acknowledged
// only when the shell steps `logged(zxid)` back in after its fsync.

import type { QuorumVerifier } from '../reconfig/index.js';
import type { QuorumMessage } from './messages.js';

export type ZabEffect =
  | { readonly kind: 'send'; readonly to: bigint; readonly message: QuorumMessage }
  /** Leader: stream a snapshot of the applied tree to a learner right after its SNAP packet. */
  | { readonly kind: 'sendSnapshot'; readonly to: bigint }
  | { readonly kind: 'persistAcceptedEpoch'; readonly epoch: bigint }
  /**
   * Learner, at NEWLEADER: a currentEpoch update has begun. Until persistCurrentEpoch, the log may
   * hold txns of an epoch newer than currentEpoch; the marker lets a restart adopt that epoch.
   */
  | { readonly kind: 'markEpochUpdating' }
  | { readonly kind: 'persistCurrentEpoch'; readonly epoch: bigint }
  /** Write a proposal to the txn log; the core expects `logged(zxid)` once it is fsynced. */
  | { readonly kind: 'append'; readonly zxid: bigint; readonly txn: Buffer }
  /** Follower: drop every logged txn after `zxid` and reload the tree from disk. */
  | { readonly kind: 'truncate'; readonly zxid: bigint }
  /** Apply a committed txn to the tree (always in zxid order). */
  | { readonly kind: 'commit'; readonly zxid: bigint; readonly txn: Buffer }
  /**
   * Leader: read the committed txns after `afterZxid` up to `upToZxid` from the txn log (3.8's
   * getProposalsFromTxnLog) for a learner older than the in-memory committed log. The shell reads
   * without holding up later effects and steps the answer back in with `txnLogRead(to, request, ...)`.
   */
  | { readonly kind: 'readTxnLog'; readonly to: bigint; readonly request: number; readonly afterZxid: bigint; readonly upToZxid: bigint }
  /** Leader: close the connection to a learner. */
  | { readonly kind: 'disconnect'; readonly to: bigint; readonly reason: string }
  /** The role is over (lost quorum, leader gone, protocol error): back to leader election. */
  | { readonly kind: 'abandon'; readonly reason: string }
  /** The broadcast phase is reached: clients may be served. */
  | { readonly kind: 'serving'; readonly epoch: bigint }
  /** Leader: sessions a learner saw activity on (from its PING reply). */
  | { readonly kind: 'sessionTouches'; readonly from: bigint; readonly touches: readonly [bigint, number][] }
  /** Learner: answer the leader's PING with the sessions touched since the last one. */
  | { readonly kind: 'answerPing'; readonly zxid: bigint }
  /** Learner: take a snapshot of the applied tree now, durably, before going on (after SNAP/TRUNC). */
  | { readonly kind: 'snapshot' }
  /** Learner: a message from the leader that the shell handles (REVALIDATE and SYNC answers). */
  | { readonly kind: 'fromLeader'; readonly message: QuorumMessage }
  /**
   * Dynamic reconfiguration: a configuration newer than the committed one was proposed or announced
   * (3.8's setLastSeenQuorumVerifier): the shell records it (`<zoo.cfg>.dynamic.next`).
   */
  | { readonly kind: 'configSeen'; readonly config: QuorumVerifier }
  /**
   * Dynamic reconfiguration: the configuration is committed (3.8's processReconfig). The shell
   * writes its files, updates the election view and /zookeeper/config. `designatedLeader` is the
   * leader to go on with when the reconfig named one (COMMITANDACTIVATE, or the leader's own choice);
   * a learner whose leader or role it changes leaves its role for it. Comes before the txn's commit.
   */
  | { readonly kind: 'activateConfig'; readonly config: QuorumVerifier; readonly designatedLeader: bigint | null; readonly zxid: bigint };

export function zxidOf(epoch: bigint, counter: bigint): bigint {
  return (epoch << 32n) | (counter & 0xffffffffn);
}

export function epochOf(zxid: bigint): bigint {
  return zxid >> 32n;
}

export function counterOf(zxid: bigint): bigint {
  return zxid & 0xffffffffn;
}

export function hex(zxid: bigint): string {
  return `0x${BigInt.asUintN(64, zxid).toString(16)}`;
}
