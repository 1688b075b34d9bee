/**
 * What the AdminServer commands read: the four-letter words' {@link AdminView} plus the few facts
 * that only the HTTP commands of 3.8 show.
 *
 * The view given to the AdminServer must describe the server as a client would see it, without a
 * connection of its own: unlike a four-letter word, an HTTP command is not a client connection, so
 * connections() lists the client connections only and stats() counts no extra connection or packet.
 */

import type { AdminView } from '../admin/index.js';

/** The newest snapshot the server finished writing (or, until then, the one it started from). */
export interface LastSnapshotInfo {
  /** The zxid in the snapshot's name. */
  readonly zxid: bigint;
  /** Wall-clock epoch ms when the file was last modified (3.8 shows it in whole seconds). */
  readonly modifiedAtMs: number;
}

/** One server of the ensemble's configuration (QuorumPeer.QuorumServer). */
export interface EnsembleServer {
  readonly id: bigint;
  /** As configured (3.8 shows resolved addresses; a literal IP reads the same). */
  readonly host: string;
  readonly quorumPort: number;
  readonly electionPort: number;
  /** `host:port` of its client port when the configuration says it (or it is this server), else ''. */
  readonly clientAddress: string;
  readonly participant: boolean;
}

/** A learner the leader serves, as LearnerHandler.getLearnerHandlerInfo shows it. */
export interface LearnerConnection {
  readonly sid: bigint;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Wall-clock epoch ms when the learner connected. */
  readonly establishedAtMs: number;
  /** Packets queued for it and not yet written. */
  readonly queuedPackets: number;
  readonly packetsReceived: number;
  readonly packetsSent: number;
  /** REQUEST packets (forwarded writes) it sent. */
  readonly requests: number;
  /** The zxid of the last txn packet it was sent. */
  readonly lastZxid: bigint;
}

/** An ensemble member's configuration and role, for leader, voting_view, zabstate and observers. */
export interface EnsembleView {
  readonly myId: bigint;
  readonly isLeader: boolean;
  /** -1 while no leader is known. */
  readonly leaderId: bigint;
  /** The leader's host ('' while no leader is known). */
  readonly leaderHost: string;
  /** QuorumPeer.ZabState. */
  readonly zabState: 'election' | 'discovery' | 'synchronization' | 'broadcast';
  readonly servers: readonly EnsembleServer[];
  /** Leader only: the observers whose sync has started (Leader.getObservingLearners). */
  readonly observers: readonly LearnerConnection[] | null;
}

export interface AdminHttpView extends AdminView {
  /** The member's place in its ensemble; absent or null on a standalone server. */
  ensemble?(): EnsembleView | null;
  /** `initial_configuration`: zoo.cfg as it was read at start (ServerConfig.initialConfig). */
  initialConfig(): string;
  /**
   * `system_properties`: 3.8 prints every JVM system property, sorted by name. Any order here; the
   * command sorts them.
   */
  systemProperties(): Readonly<Record<string, string>>;
  /** `last_snapshot`; null before any snapshot exists (3.8 then shows zxid ffffffffffffffff, -1). */
  lastSnapshot(): LastSnapshotInfo | null;
  /** ServerStats fsync_threshold_exceed_count: fsyncs slower than fsync.warningthresholdms; 0 if absent. */
  fsyncThresholdExceedCount?(): number;
}
