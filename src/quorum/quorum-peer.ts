// The shell of one ensemble member: it runs leader election, then leads or follows, and goes back
// to election whenever the role ends. The decisions are the pure cores' (FastLeaderElection,
// LeaderCore, FollowerCore); this module owns the sockets, the files and the clock, and carries out
// the cores' effects strictly in order (an epoch or snapshot write finishes before the packet that
// depends on it is sent). Clients are served only while leading or following.

import { copyFileSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { dirname } from 'node:path';
import type { QuorumConf, QuorumStats } from '../admin/index.js';
import type { EnsembleView, LearnerConnection } from '../admin-http/index.js';
import type { Logger } from '../logging/logger.js';
import type { Clock } from '../replica/ports.js';
import type { Replica } from '../replica/replica.js';
import type { DurableStorage } from '../storage/durable-storage.js';
import { newServerTree, recover } from '../storage/recovery.js';
import { writeSnapshot } from '../storage/snapshotter.js';
import type { FileTxnLog } from '../storage/txn-log.js';
import { truncateAfter } from '../storage/truncate.js';
import { decodeTxn, encodeTxn } from '../txn/txn.js';
import { FastLeaderElection, type Decision, type ElectionOutput, type VotingView } from '../zab/election/fast-leader-election.js';
import { decodeNotification, encodeNotification } from '../zab/election/notification.js';
import { hex, zxidOf, type ZabEffect } from '../zab/effects.js';
import { FollowerCore } from '../zab/follower.js';
import { LeaderCore } from '../zab/leader.js';
import { encodeQuorumMessage, fromPacket, PacketType, QuorumPacketDecoder, type QuorumMessage } from '../zab/messages.js';
import { OpCode } from '../protocol/op-code.js';
import { ElectionTransport } from './election-transport.js';
import { DEFAULT_SNAPSHOT_SIZE_FACTOR, readTxnsForSync, type TxnLogRead } from './txn-log-sync.js';
import { ACCEPTED_EPOCH_FILE, clearEpochUpdating, CURRENT_EPOCH_FILE, loadEpochs, markEpochUpdating, writeEpoch } from './epoch-files.js';
import { BufferSizeStats, PercentileSummary, PerServer, Summary } from '../metrics/summaries.js';
import type { ServerMetrics } from '../metrics/server-metrics.js';
import { LOCAL_OWNER, type SessionOwner } from '../sessions/session-table.js';
import { encodeWireSnapshot, WireSnapshotReader, type WireSnapshot } from './wire-snapshot.js';
import {
  activationConfigWrites,
  computeReconfig,
  configFromString,
  lastSeenConfigWrites,
  quorumAddresses,
  type ConfigFileWrite,
  type QuorumVerifier,
  type ReadOptions,
} from '../reconfig/index.js';
import type { ReconfigPreparer } from '../pipeline/prepare.js';
import { ErrorCode } from '../protocol/error-code.js';

export interface QuorumMember {
  readonly id: bigint;
  readonly host: string;
  readonly quorumPort: number;
  readonly electionPort: number;
  readonly participant: boolean;
  /** `host:port` of its client port when the configuration says it, else '' (the AdminServer shows it). */
  readonly clientAddress?: string;
}

/** What the leader counts about each learner connection (LearnerHandler's statistics). */
interface LearnerLink {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly establishedAtMs: number;
  packetsReceived: number;
  packetsSent: number;
  requests: number;
  lastZxid: bigint;
}

export interface QuorumPeerOptions {
  readonly myId: bigint;
  readonly members: readonly QuorumMember[];
  readonly tickTimeMs: number;
  readonly initLimitTicks: number;
  readonly syncLimitTicks: number;
  /** Address the quorum and election ports listen on (all interfaces by default). */
  readonly listenHost: string;
  readonly snapDirectory: string;
  readonly logDirectory: string;
  readonly extendedTypesEnabled: boolean;
  readonly forceSync: boolean;
  /** The config text sent in notifications and NEWLEADER (3.8 sends its dynamic config). */
  readonly configText: string;
  /** The configuration's version (zoo.cfg's `version=`, 0 for a static configuration). */
  readonly configVersion: bigint;
  readonly maxPacketBytes: number;
  /** The last txns replayed at start, for DIFF syncs once this member leads. */
  readonly recentTxns: readonly { zxid: bigint; txn: Buffer }[];
  /** -Dreadonlymode.enabled: serve reads to read-only clients while looking for a quorum. */
  readonly readOnlyModeEnabled?: boolean;
  /**
   * zookeeper.snapshotSizeFactor (0.33): a learner older than the committed log is DIFFed from the
   * txn log while the log files to read stay under this share of the newest snapshot; negative: never.
   */
  readonly snapshotSizeFactor?: number;
  /** reconfigEnabled=true: dynamic reconfiguration, with the configurations it starts from. */
  readonly reconfig?: PeerReconfig | null;
}

/** What a member needs for dynamic reconfiguration (3.8's QuorumPeer with reconfigEnabled). */
export interface PeerReconfig {
  /** The committed configuration at start (zoo.cfg's members, or its dynamic file's). */
  readonly committed: QuorumVerifier;
  /** The newest configuration seen (`<zoo.cfg>.dynamic.next`), or `committed`. */
  readonly lastSeen: QuorumVerifier;
  /** zoo.cfg: activated configurations are written next to it, and it is pointed at them. */
  readonly zooCfgPath: string;
  readonly readOptions: ReadOptions;
  /** Moves the client port when a reconfig gives this member another client address. */
  readonly moveClientPort?: (host: string, port: number) => Promise<void>;
}

/** A configuration's members as the shell uses them (the first address of each). */
function membersOf(config: QuorumVerifier): QuorumMember[] {
  return config.members.map((member) => {
    const address = member.addresses[0];
    const client = member.clientAddress;
    return {
      id: member.id,
      host: address?.host ?? '',
      quorumPort: address?.quorumPort ?? 0,
      electionPort: address?.electionPort ?? 0,
      participant: member.role === 'participant',
      clientAddress: client === null ? '' : `${client.host}:${String(client.port)}`,
    };
  });
}
/** 3.8 waits this long, or a tick if longer, in LOOKING before it decides it is partitioned. */
const READ_ONLY_GRACE_MS = 2000;

/** How many committed txns are kept for DIFF syncs (3.8's zookeeper.commitLogCount). */
const COMMITTED_LOG_SIZE = 500;

/** 3.8's zookeeper.leader.ackLoggingFrequency: the ACK latency of every zxid divisible by it is sampled. */
const ACK_LOGGING_FREQUENCY = 1000n;

/** 3.8's LearnerHandler queues a timing marker with every this many packets (markerPacketInterval). */
const MARKER_PACKET_INTERVAL = 1000;

type Role =
  | { readonly kind: 'looking' }
  | { readonly kind: 'leading'; readonly core: LeaderCore; readonly server: net.Server; readonly links: Map<bigint, net.Socket> }
  | { readonly kind: 'following'; readonly core: FollowerCore; readonly socket: net.Socket; readonly leader: bigint; readonly observer: boolean };

export class QuorumPeer {
  readonly #options: QuorumPeerOptions;
  readonly #replica: Replica;
  readonly #storage: DurableStorage;
  readonly #log: FileTxnLog;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #election: FastLeaderElection;
  readonly #transport: ElectionTransport;
  #role: Role = { kind: 'looking' };
  /**
   * When read-only mode may start: the grace period after LOOKING began, or null once the election
   * has decided (while a follower still connects to its leader, the role is not yet set).
   */
  #readOnlyFromMs: number | null = null;
  #acceptedEpoch: bigint;
  #currentEpoch: bigint;
  #lastLoggedZxid: bigint;
  #effectChain: Promise<void> = Promise.resolve();
  /** The flush in flight, if any (one at a time: completions are reported in log order). */
  #flushInFlight: Promise<void> | null = null;
  /** Appends not yet handed to a flush, with the role generation that made each. */
  #unflushed: { zxid: bigint; generation: number }[] = [];
  #logFailed = false;
  #roleGeneration = 0;
  /**
   * From the end of a role until the next LOOKING: the election core would otherwise answer
   * others with the settled vote of the role that ended, from a history the reload may change.
   */
  #betweenRoles = false;
  /** A leader's SNAP loaded into the tree whose sync snapshot is not on disk yet. */
  #undurableSnapZxid: bigint | null = null;
  #stopped = false;
  #ticker: NodeJS.Timeout | null = null;
  /**
   * The last committed txns, oldest first, kept across roles as 3.8 keeps them in its ZKDatabase:
   * a new leader DIFFs learners from them instead of sending a whole snapshot.
   */
  #committedLog: { zxid: bigint; txn: Buffer }[];
  // What mntr, srvr and stat report, kept as 3.8 keeps it: the proposal sizes per leadership (a
  // new Leader object each time), the per-learner summaries for the life of the process.
  readonly #proposalSizes = new BufferSizeStats();
  readonly #metrics: ServerMetrics;
  /** When the current election began (election_time). */
  #lookingSinceMs = 0;
  /** When this member stopped serving, until it broadcasts again (unavailable_time); null while it serves. */
  #unavailableSinceMs: number | null = null;
  /** When this learner connected to its leader (follower_sync_time, observer_sync_time). */
  #syncStartedAtMs = 0;
  #leaderServingSinceMs: number | null = null;
  readonly #learnerQueueSizes = new PerServer(() => new Summary());
  readonly #learnerQueueTimes = new PerServer(() => new PercentileSummary());
  readonly #ackLatencies = new PerServer(() => new PercentileSummary());
  /** The leader's learner connections, for the observers command and the timing marker every 1000 packets. */
  readonly #learnerLinks = new Map<bigint, LearnerLink>();
  /** Session owners for learner connections; LOCAL_OWNER (0) is this server's own clients. */
  #nextLearnerOwner: SessionOwner = LOCAL_OWNER + 1;
  /** When proposals whose ACK latency is sampled were made (zxid divisible by 1000). */
  readonly #sampledProposals = new Map<bigint, number>();
  /** The members of the committed configuration (the static list without reconfigEnabled). */
  #members: readonly QuorumMember[];
  /** With reconfigEnabled: the committed configuration and the newest one seen (3.8's quorumVerifier, lastSeenQuorumVerifier). */
  #committedConfig: QuorumVerifier | null;
  #lastSeenConfig: QuorumVerifier | null;
  /** 3.8's learnerType: how this member follows a leader; one a reconfig removed follows without a vote. */
  #learnerType: 'participant' | 'observer';
  /** The leader a committed reconfig named: the next LOOKING goes straight to it (3.8's reconfigFlag). */
  #designatedLeader: bigint | null = null;
  /** A reconfig changed this learner's leader or role: it leaves the role once the reconfig txn is applied. */
  #leaveAfterCommit: string | null = null;
  /** The reconfig the leader's pipeline just prepared: the proposal of this zxid brings in this configuration. */
  #preparedReconfig: { readonly zxid: bigint; readonly config: QuorumVerifier } | null = null;

  constructor(options: QuorumPeerOptions, parts: { replica: Replica; storage: DurableStorage; log: FileTxnLog; clock: Clock; metrics: ServerMetrics; logger: Logger }) {
    this.#options = options;
    this.#replica = parts.replica;
    this.#storage = parts.storage;
    this.#log = parts.log;
    this.#clock = parts.clock;
    this.#logger = parts.logger;
    this.#metrics = parts.metrics;
    this.#lastLoggedZxid = parts.replica.tree.lastProcessedZxid;
    this.#committedLog = [...options.recentTxns];
    const epochs = loadEpochs(options.snapDirectory, this.#lastLoggedZxid);
    this.#acceptedEpoch = epochs.acceptedEpoch;
    this.#currentEpoch = epochs.currentEpoch;
    const reconfig = options.reconfig ?? null;
    this.#committedConfig = reconfig?.committed ?? null;
    this.#lastSeenConfig = reconfig?.lastSeen ?? null;
    this.#members = reconfig === null ? options.members : membersOf(reconfig.committed);
    const me = this.#members.find((m) => m.id === options.myId);
    if (me === undefined) throw new Error(`myid ${options.myId} is not in the server list`);
    this.#learnerType = me.participant ? 'participant' : 'observer';
    this.#election = new FastLeaderElection({
      myId: options.myId,
      ...this.#votingView(),
      finalizeWaitMs: 200,
      minNotificationIntervalMs: 200,
      maxNotificationIntervalMs: 60_000,
    });
    this.#transport = new ElectionTransport(
      {
        myId: options.myId,
        listenHost: options.listenHost,
        listenPort: me.electionPort,
        announcedAddress: `${me.host}:${me.electionPort}`,
        peers: this.#electionPeers(),
        connectTimeoutMs: 5000,
        maxBackoffMs: 2000,
        maxMessageBytes: 512 * 1024,
        monotonicMs: () => this.#clock.monotonicMs(),
      },
      (from, body) => this.#onNotification(from, body),
      parts.logger.child({ component: 'election' }),
    );
    this.#initConfigNode();
  }

  /** The committed configuration's text and version (zoo.cfg's, or the last activated one). */
  #configText(): string {
    return this.#committedConfig?.toString() ?? this.#options.configText;
  }

  #configVersion(): bigint {
    return this.#committedConfig?.version ?? this.#options.configVersion;
  }

  /** Who votes, for the election: the committed voters, and a newer configuration's while a reconfig is unfinished. */
  #votingView(): VotingView {
    const voters = new Set(this.#members.filter((m) => m.participant).map((m) => m.id));
    const committed = this.#committedConfig;
    const lastSeen = this.#lastSeenConfig;
    const nextVoters = committed !== null && lastSeen !== null && lastSeen.version > committed.version ? new Set(lastSeen.votingMembers.map((m) => m.id)) : null;
    return { voters, nextVoters, participant: voters.has(this.#options.myId), learnerType: this.#learnerType, config: Buffer.from(this.#configText(), 'utf8') };
  }

  /** The election port of every member of the committed and the last seen configuration. */
  #electionPeers(): { sid: bigint; host: string; port: number }[] {
    const members = new Map(this.#members.map((m) => [m.id, m]));
    if (this.#lastSeenConfig !== null) for (const m of membersOf(this.#lastSeenConfig)) if (!members.has(m.id)) members.set(m.id, m);
    return [...members.values()].map((m) => ({ sid: m.id, host: m.host, port: m.electionPort }));
  }

  get state(): 'looking' | 'leading' | 'following' {
    return this.#role.kind;
  }

  /** This member's role as srvr's Mode line names it, or null while it looks for a leader. */
  get mode(): 'leader' | 'follower' | 'observer' | 'read-only' | null {
    if (this.#replica.mode === 'readOnly') return 'read-only';
    const role = this.#role;
    if (role.kind === 'leading') return 'leader';
    if (role.kind === 'following') return role.observer ? 'observer' : 'follower';
    return null;
  }

  /** What mntr, srvr, stat and the AdminServer add for an ensemble member (QuorumZooKeeperServer). */
  quorumStats(): QuorumStats {
    const role = this.#role;
    const voters = new Set(this.#members.filter((m) => m.participant).map((m) => m.id));
    let leader: QuorumStats['leader'] = null;
    if (role.kind === 'leading') {
      const learners = role.core.learners();
      // Learners whose sync has started: 3.8's startForwarding adds them to forwardingFollowers
      // (participants) or observingLearners.
      const forwarding = learners.filter((l) => l.phase === 'awaitingNewLeaderAck' || l.phase === 'awaitingUpToDate' || l.phase === 'active');
      const followers = forwarding.filter((l) => !l.observer);
      leader = {
        learners: learners.length,
        syncedFollowers: followers.length,
        syncedNonVotingFollowers: followers.filter((l) => !voters.has(l.sid)).length,
        syncedObservers: forwarding.length - followers.length,
        pendingSyncs: role.core.pendingSyncCount(),
        uptimeMs: this.#leaderServingSinceMs === null ? 0 : this.#clock.monotonicMs() - this.#leaderServingSinceMs,
        proposalSizes: this.#proposalSizes.snapshot(),
      };
    }
    return {
      peerState: this.#peerState(),
      quorumSize: voters.size,
      observerMasterId: role.kind === 'following' && role.observer ? role.leader : null,
      leader,
      learnerQueueSizes: this.#learnerQueueSizes.snapshot(),
      learnerQueueTimes: this.#learnerQueueTimes.snapshot(),
      ackLatencies: this.#ackLatencies.snapshot(),
    };
  }

  /** What `conf` adds for an ensemble member: limits, this member's ports and role, the committed membership. */
  quorumConf(): QuorumConf {
    const me = this.#committedConfig?.member(this.#options.myId);
    const fromStatic = this.#options.members.find((m) => m.id === this.#options.myId);
    return {
      initLimit: this.#options.initLimitTicks,
      syncLimit: this.#options.syncLimitTicks,
      electionAlg: 3,
      electionPorts: me === undefined ? [fromStatic?.electionPort ?? 0] : me.addresses.map((a) => a.electionPort),
      quorumPorts: me === undefined ? [fromStatic?.quorumPort ?? 0] : me.addresses.map((a) => a.quorumPort),
      peerType: this.#learnerType === 'observer' ? 1 : 0,
      membership: this.#configText(),
    };
  }

  /** The configuration and this member's role, for the AdminServer's leader, voting_view, zabstate and observers. */
  ensembleView(): EnsembleView {
    const role = this.#role;
    const leaderId = role.kind === 'leading' ? this.#options.myId : role.kind === 'following' ? role.leader : -1n;
    const leaderHost = this.#members.find((m) => m.id === leaderId)?.host ?? '';
    const zabState = this.#zabState();
    let observers: LearnerConnection[] | null = null;
    if (role.kind === 'leading') {
      observers = [];
      for (const learner of role.core.learners()) {
        const link = this.#learnerLinks.get(learner.sid);
        if (!learner.observer || link === undefined || learner.phase === 'awaitingEpoch' || learner.phase === 'awaitingEpochAck' || learner.phase === 'epochAcked' || learner.phase === 'readingTxnLog') continue;
        observers.push({
          sid: learner.sid,
          remoteAddress: link.remoteAddress,
          remotePort: link.remotePort,
          establishedAtMs: link.establishedAtMs,
          queuedPackets: 0,
          packetsReceived: link.packetsReceived,
          packetsSent: link.packetsSent,
          requests: link.requests,
          lastZxid: link.lastZxid,
        });
      }
    }
    return {
      myId: this.#options.myId,
      isLeader: role.kind === 'leading',
      leaderId,
      leaderHost,
      zabState,
      servers: this.#members.map((m) => ({
        id: m.id,
        host: m.host,
        quorumPort: m.quorumPort,
        electionPort: m.electionPort,
        clientAddress: m.clientAddress ?? '',
        participant: m.participant,
      })),
      observers,
    };
  }

  /** srst: 3.8 resets every metric's value and the leader's proposal sizes. */
  resetStats(): void {
    this.#proposalSizes.reset();
    this.#learnerQueueSizes.reset();
    this.#learnerQueueTimes.reset();
    this.#ackLatencies.reset();
  }

  /**
   * QuorumPeer.ZabState. A role whose core gave up keeps its last state until the shell leaves it
   * (between the abandon effect and the next LOOKING): it was serving, so broadcast.
   */
  #zabState(): EnsembleView['zabState'] {
    const role = this.#role;
    if (role.kind === 'looking') return 'election';
    const phase = role.core.phase;
    if (phase === 'broadcast' || phase === 'abandoned') return 'broadcast';
    if (role.kind === 'leading') return phase === 'discovery' ? 'discovery' : 'synchronization';
    return phase === 'awaitingLeaderInfo' ? 'discovery' : 'synchronization';
  }

  /** QuorumPeer.getDetailedPeerState: `leading - broadcast`, `following - synchronization - diff`. */
  #peerState(): string {
    const role = this.#role;
    if (role.kind === 'looking') return 'looking';
    const state = `${role.kind === 'leading' ? 'leading' : role.observer ? 'observing' : 'following'} - ${this.#zabState()}`;
    const mode = role.kind === 'following' ? role.core.syncMode : null;
    return mode === null ? state : `${state} - ${mode}`;
  }

  async start(): Promise<void> {
    await this.#transport.listen();
    // A fine tick: the election decides finalizeWait (200 ms) after its quorum, not on a coarse tick.
    this.#ticker = setInterval(() => this.#tick(), 20);
    this.#lookForLeader();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#ticker !== null) clearInterval(this.#ticker);
    this.#endRole();
    await this.#transport.close();
    await this.#effectChain;
  }

  // ---- election ----------------------------------------------------------------------------------

  /** /zookeeper/config holds this member's configuration whenever its tree is (re)loaded, as in 3.8. */
  #initConfigNode(): void {
    this.#replica.tree.setConfigNode(Buffer.from(this.#configText(), 'utf8'), this.#configVersion(), BigInt(this.#clock.wallMs()));
  }

  #lookForLeader(): void {
    if (this.#stopped) return;
    this.#betweenRoles = false;
    this.#role = { kind: 'looking' };
    this.#replica.setMode({ kind: 'notServing' });
    const nowMs = this.#clock.monotonicMs();
    this.#readOnlyFromMs = nowMs + Math.max(READ_ONLY_GRACE_MS, this.#options.tickTimeMs);
    this.#lookingSinceMs = nowMs;
    this.#unavailableSinceMs ??= nowMs;
    this.#metrics.count('looking_count');
    const designated = this.#designatedLeader;
    this.#designatedLeader = null;
    if (designated !== null) {
      // 3.8's updateServerState with the reconfig flag set: no election, the reconfig named the leader.
      this.#logger.info({ leader: designated.toString(), lastZxid: hex(this.#lastLoggedZxid) }, 'going on with the leader the reconfig designated');
      this.#onDecision(this.#election.adoptDesignatedLeader(designated, this.#lastLoggedZxid, this.#currentEpoch));
      return;
    }
    this.#logger.info({ lastZxid: hex(this.#lastLoggedZxid), currentEpoch: this.#currentEpoch.toString() }, 'LOOKING');
    this.#handleElection(this.#election.start(this.#clock.monotonicMs(), this.#lastLoggedZxid, this.#currentEpoch));
  }

  #onNotification(from: bigint, body: Buffer): void {
    if (this.#betweenRoles) return;
    let notification;
    try {
      notification = decodeNotification(body);
    } catch (error) {
      this.#logger.warn({ peer: from.toString(), reason: (error as Error).message }, 'bad notification');
      return;
    }
    if (this.#adoptElectionConfig(from, notification.version, notification.config)) return;
    this.#handleElection(this.#election.receive(this.#clock.monotonicMs(), from, notification));
  }

  /**
   * 3.8's WorkerReceiver: while looking, a notification carrying a newer configuration activates it
   * (without a designated leader) and, when it differs from ours, restarts the election under it.
   * Returns whether the election was restarted (the notification is then dropped, as in 3.8).
   */
  #adoptElectionConfig(from: bigint, version: number, configBytes: Buffer): boolean {
    const reconfig = this.#options.reconfig;
    const committed = this.#committedConfig;
    if (reconfig == null || committed === null || version <= 1 || configBytes.length === 0 || !this.#election.looking) return false;
    const parsed = configFromString(configBytes.toString('utf8'), reconfig.readOptions);
    if (!parsed.ok) {
      this.#logger.warn({ peer: from.toString(), reason: parsed.failure.message }, 'cannot read the configuration in a notification');
      return false;
    }
    const config = parsed.value;
    if (config.version <= committed.version) return false;
    this.#logger.info({ peer: from.toString(), version: hex(config.version), ours: hex(committed.version) }, 'a newer configuration came with a notification');
    this.#activateConfig(config, null, 'election');
    if (config.equals(committed)) return false;
    this.#logger.info({}, 'restarting leader election under the new configuration');
    this.#lookForLeader();
    return true;
  }

  #handleElection(output: ElectionOutput): void {
    for (const { to, notification } of output.send) this.#transport.send(to, encodeNotification(notification));
    if (output.connectAll) this.#transport.connectAll();
    if (output.decision !== null && this.#role.kind === 'looking') this.#onDecision(output.decision);
  }

  #onDecision(decision: Decision): void {
    this.#logger.info({ leader: decision.leader.toString(), role: decision.role, electionEpoch: decision.electionEpoch.toString() }, 'election decided');
    this.#readOnlyFromMs = null;
    if (this.#replica.mode === 'readOnly') {
      // As 3.8 shuts its read-only server down when lookForLeader returns: every read-only
      // connection is closed and the clients go looking for a read-write server.
      this.#replica.setMode({ kind: 'notServing' });
      this.#logger.info({}, 'read-only mode ended; read-only connections closed');
    }
    this.#roleGeneration++;
    // 3.8 records it when a leader starts leading or a follower following; an observer does not.
    if (decision.role !== 'observing') this.#metrics.observe('election_time', this.#clock.monotonicMs() - this.#lookingSinceMs);
    if (decision.role === 'leading') this.#lead();
    else this.#follow(decision.leader);
  }

  #tick(): void {
    const now = this.#clock.monotonicMs();
    switch (this.#role.kind) {
      case 'looking':
        this.#handleElection(this.#election.tick(now));
        this.#maybeServeReadOnly(now);
        return;
      case 'leading':
        this.#role.core.tick(now);
        this.#run(this.#role.core.takeEffects());
        return;
      case 'following':
        this.#role.core.tick(now);
        this.#run(this.#role.core.takeEffects());
        return;
    }
  }

  /**
   * QuorumPeer.run's LOOKING case with readonlymode.enabled: still looking after the grace period,
   * the member takes it that it is cut off from the quorum and serves reads from its tree. Not
   * between roles: the tree may yet be reloaded from disk then.
   */
  #maybeServeReadOnly(nowMs: number): void {
    if (this.#options.readOnlyModeEnabled !== true || this.#stopped || this.#betweenRoles) return;
    if (this.#role.kind !== 'looking' || this.#replica.mode !== 'notServing') return;
    if (this.#readOnlyFromMs === null || nowMs < this.#readOnlyFromMs) return;
    this.#replica.setMode({ kind: 'readOnly' });
    this.#logger.info({ lastZxid: hex(this.#replica.tree.lastProcessedZxid) }, 'read-only mode: serving reads to read-only clients');
  }

  #endRole(): void {
    const role = this.#role;
    this.#role = { kind: 'looking' };
    this.#roleGeneration++;
    if (role.kind === 'leading') {
      for (const socket of role.links.values()) socket.destroy();
      role.server.close();
    } else if (role.kind === 'following') {
      role.socket.destroy();
    }
  }

  #abandon(reason: string): void {
    if (this.#betweenRoles) return;
    this.#logger.warn({ role: this.#role.kind, reason }, 'leaving the role; back to leader election');
    this.#endRole();
    this.#betweenRoles = true;
    this.#replica.setMode({ kind: 'notServing' });
    // After the effect the ended role is in the middle of (a TRUNC's reload, a sync snapshot):
    // voting before it finishes would announce a history that it then changes.
    this.#effectChain = this.#effectChain
      .then(() => this.#settleThenLook())
      .catch((error: unknown) => {
        this.#logger.fatal({ err: error }, 'cannot reload the data tree from disk');
        this.#lookForLeader();
      });
  }

  /**
   * Makes the tree and lastLoggedZxid say what the disk holds before voting: every append is
   * flushed, and when the tree and the log disagree (proposals logged but never committed, a COMMIT
   * applied before our own fsync, a SNAP whose sync snapshot was never written) the tree is rebuilt
   * from disk, as 3.8 reloads its database when a role ends.
   */
  async #settleThenLook(): Promise<void> {
    await this.#flushAll();
    const tree = this.#replica.tree.lastProcessedZxid;
    if (this.#undurableSnapZxid !== null || tree !== this.#lastLoggedZxid) {
      this.#logger.info({ tree: hex(tree), lastLogged: hex(this.#lastLoggedZxid), undurableSnap: this.#undurableSnapZxid !== null }, 'reloading the data tree from disk');
      await this.#reload();
    }
    this.#lookForLeader();
  }

  async #reload(): Promise<void> {
    const recovered = await recover(
      { snapDirectory: this.#options.snapDirectory, logDirectory: this.#options.logDirectory, extendedTypesEnabled: this.#options.extendedTypesEnabled },
      this.#logger,
    );
    this.#replica.replaceState(recovered.tree, recovered.sessions);
    this.#initConfigNode();
    this.#lastLoggedZxid = recovered.lastZxid;
    this.#committedLog = [...recovered.recentTxns];
    this.#undurableSnapZxid = null;
  }

  // ---- leading -----------------------------------------------------------------------------------

  #lead(): void {
    const me = this.#members.find((m) => m.id === this.#options.myId);
    if (me === undefined) return;
    const reconfig = this.#options.reconfig;
    const committed = this.#committedConfig;
    const lastSeen = this.#lastSeenConfig;
    const self = committed?.member(this.#options.myId);
    const core = new LeaderCore(
      {
        myId: this.#options.myId,
        voters: new Set(this.#members.filter((m) => m.participant).map((m) => m.id)),
        tickTimeMs: this.#options.tickTimeMs,
        initLimitTicks: this.#options.initLimitTicks,
        syncLimitTicks: this.#options.syncLimitTicks,
        committedLogSize: COMMITTED_LOG_SIZE,
        config: Buffer.from(this.#configText(), 'utf8'),
        txnLogSync: this.#snapshotSizeFactor() >= 0,
        ...(reconfig != null && committed !== null && lastSeen !== null && self !== undefined
          ? { reconfig: { committed, lastSeen, quorumAddresses: quorumAddresses(self), readOptions: reconfig.readOptions } }
          : {}),
      },
      {
        nowMs: this.#clock.monotonicMs(),
        acceptedEpoch: this.#acceptedEpoch,
        currentEpoch: this.#currentEpoch,
        lastZxid: this.#lastLoggedZxid,
        committedLog: this.#committedLog.filter((entry) => entry.zxid <= this.#lastLoggedZxid),
      },
    );
    this.#proposalSizes.reset();
    this.#sampledProposals.clear();
    this.#leaderServingSinceMs = null;
    const links = new Map<bigint, net.Socket>();
    const server = net.createServer((socket) => this.#acceptLearner(core, links, socket));
    server.on('error', (error) => this.#abandon(`quorum port: ${error.message}`));
    server.listen(me.quorumPort, this.#options.listenHost);
    this.#role = { kind: 'leading', core, server, links };
    this.#logger.info({ port: me.quorumPort }, 'LEADING');
    this.#run(core.takeEffects());
  }

  #snapshotSizeFactor(): number {
    return this.#options.snapshotSizeFactor ?? DEFAULT_SNAPSHOT_SIZE_FACTOR;
  }

  /**
   * Reads the txn log for one learner's sync and steps the answer into the core that asked, if it
   * still leads (the core itself ignores an answer for a learner that went away or came back).
   * Any failure to read is an answer too: the learner gets a snapshot, as in 3.8.
   */
  async #readTxnLogFor(core: LeaderCore, generation: number, effect: Extract<ZabEffect, { kind: 'readTxnLog' }>): Promise<void> {
    let result: TxnLogRead;
    try {
      // A commit needs a quorum, not our own fsync: the txns to read may still be on their way to
      // the file. Waiting for them does not hold up the effect chain.
      await this.#flushedUpTo(effect.upToZxid);
      result = await readTxnsForSync(
        { snapDirectory: this.#options.snapDirectory, logDirectory: this.#options.logDirectory, snapshotSizeFactor: this.#snapshotSizeFactor() },
        effect.afterZxid,
        effect.upToZxid,
      );
    } catch (error) {
      result = { kind: 'unavailable', reason: `cannot read the txn log: ${error instanceof Error ? error.message : String(error)}` };
    }
    const role = this.#role;
    if (generation !== this.#roleGeneration || role.kind !== 'leading' || role.core !== core) return;
    const fields = { learner: effect.to.toString(), after: hex(effect.afterZxid), upTo: hex(effect.upToZxid) };
    if (result.kind === 'proposals') {
      this.#logger.info({ ...fields, txns: result.proposals.length, logBytes: result.logBytes, sizeLimit: result.sizeLimit }, 'syncing a learner from the txn log and the committed log');
    } else {
      this.#logger.info({ ...fields, reason: result.reason }, 'cannot sync a learner from the txn log; sending a snapshot');
    }
    core.txnLogRead(effect.to, effect.request, result.kind === 'proposals' ? result.proposals : null);
    this.#run(core.takeEffects());
  }

  /** Resolves once the log is durable up to `zxid` (or cannot get there: the read then finds the log short). */
  async #flushedUpTo(zxid: bigint): Promise<void> {
    while (this.#lastLoggedZxid < zxid && !this.#logFailed) {
      if (this.#flushInFlight === null) this.#scheduleFlush();
      const inFlight = this.#flushInFlight;
      if (inFlight === null) return;
      await inFlight;
    }
  }

  #acceptLearner(core: LeaderCore, links: Map<bigint, net.Socket>, socket: net.Socket): void {
    socket.setNoDelay(true);
    const decoder = new QuorumPacketDecoder(this.#options.maxPacketBytes);
    let sid: bigint | null = null;
    // The sessions this connection's clients write for (3.8: owned by its LearnerHandler). A learner
    // that reconnects is a new owner: its clients revalidate their sessions when they come back.
    const owner: SessionOwner = this.#nextLearnerOwner++;
    socket.on('data', (chunk: Buffer) => {
      if (this.#role.kind !== 'leading' || this.#role.core !== core) {
        socket.destroy();
        return;
      }
      let packets;
      try {
        packets = decoder.push(chunk);
      } catch (error) {
        this.#logger.warn({ learner: sid?.toString(), reason: (error as Error).message }, 'bad packet from a learner');
        socket.destroy();
        return;
      }
      for (const packet of packets) {
        let message: QuorumMessage;
        try {
          message = fromPacket(packet);
        } catch (error) {
          this.#logger.warn({ learner: sid?.toString(), reason: (error as Error).message }, 'bad packet from a learner');
          socket.destroy();
          return;
        }
        if (sid === null) {
          if (message.kind !== 'learnerInfo') {
            socket.destroy();
            return;
          }
          sid = message.serverId;
          links.get(sid)?.destroy();
          links.set(sid, socket);
          this.#learnerLinks.set(sid, {
            remoteAddress: socket.remoteAddress ?? '',
            remotePort: socket.remotePort ?? 0,
            establishedAtMs: this.#clock.wallMs(),
            packetsReceived: 0,
            packetsSent: 0,
            requests: 0,
            lastZxid: -1n,
          });
          this.#logger.info({ learner: sid.toString(), observer: message.observer }, 'learner connected');
        }
        if (message.kind === 'revalidate') {
          this.#metrics.count('revalidate_count');
          // A client moved to this learner: the session is valid if the leader still tracks it and
          // it is not closing; touching it restarts its expiry with the client's timeout
          // (Leader.revalidateSession). The answer queues behind what the learner was sent before.
          const valid = this.#replica.sessions.touch(message.sessionId, this.#clock.monotonicMs(), message.timeoutMs);
          if (valid) this.#replica.sessions.setOwner(message.sessionId, owner);
          this.#run([{ kind: 'send', to: sid, message: { kind: 'revalidateReply', sessionId: message.sessionId, valid } }]);
        }
        if (message.kind === 'ack') this.#ackSeen(sid, message.zxid);
        const link = this.#learnerLinks.get(sid);
        if (link !== undefined) {
          link.packetsReceived++;
          if (message.kind === 'request') link.requests++;
        }
        if (message.kind === 'request' && core.phase === 'broadcast' && message.opType === OpCode.sync) {
          core.syncRequested(sid);
        } else if (message.kind === 'request' && core.phase === 'broadcast') {
          this.#replica.prepareForLearner({
            sessionId: message.sessionId,
            cxid: message.cxid,
            type: message.opType,
            body: message.body,
            authIds: message.authInfo,
          }, owner);
        }
        core.receive(this.#clock.monotonicMs(), sid, message);
      }
      this.#run(core.takeEffects());
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (sid !== null && links.get(sid) === socket) {
        links.delete(sid);
        this.#learnerLinks.delete(sid);
        core.learnerDisconnected(sid);
        this.#logger.info({ learner: sid.toString() }, 'learner disconnected');
      }
    });
  }

  // ---- following ---------------------------------------------------------------------------------

  #follow(leaderId: bigint): void {
    const leader = this.#members.find((m) => m.id === leaderId);
    if (leader === undefined) {
      this.#abandon(`leader ${leaderId} is not in the server list`);
      return;
    }
    const generation = this.#roleGeneration;
    const deadlineMs = this.#clock.monotonicMs() + this.#options.initLimitTicks * this.#options.tickTimeMs;
    this.#connectToLeader(leader, deadlineMs, generation);
  }

  /** Retries every 100 ms (3.8's leaderConnectDelayDuringRetryMs) until initLimit runs out. */
  #connectToLeader(leader: QuorumMember, deadlineMs: number, generation: number): void {
    const socket = net.connect({ host: leader.host, port: leader.quorumPort });
    socket.setNoDelay(true);
    // Across a partition the kernel retries a SYN for minutes: the attempt ends at the initLimit
    // deadline instead, so the peer goes back to election rather than hang between roles.
    const connectTimer = setTimeout(() => socket.destroy(new Error('connect timed out')), Math.max(1, deadlineMs - this.#clock.monotonicMs()));
    connectTimer.unref();
    socket.once('error', (error) => {
      clearTimeout(connectTimer);
      socket.destroy();
      if (generation !== this.#roleGeneration) return;
      if (this.#clock.monotonicMs() >= deadlineMs) {
        this.#abandon(`cannot connect to leader ${leader.id} at ${leader.host}:${leader.quorumPort} within initLimit: ${error.message}`);
        return;
      }
      setTimeout(() => {
        if (generation === this.#roleGeneration) this.#connectToLeader(leader, deadlineMs, generation);
      }, 100).unref();
    });
    socket.once('connect', () => {
      clearTimeout(connectTimer);
      socket.removeAllListeners('error');
      if (generation !== this.#roleGeneration) {
        socket.destroy();
        return;
      }
      const observer = this.#learnerType === 'observer';
      const reconfig = this.#options.reconfig;
      const core = new FollowerCore(
        {
          myId: this.#options.myId,
          leaderId: leader.id,
          observer,
          tickTimeMs: this.#options.tickTimeMs,
          initLimitTicks: this.#options.initLimitTicks,
          syncLimitTicks: this.#options.syncLimitTicks,
          configVersion: reconfig == null ? 0n : this.#configVersion(),
          ...(reconfig == null
            ? {}
            : {
                parseConfig: (text: string) => {
                  const parsed = configFromString(text, reconfig.readOptions);
                  return parsed.ok ? parsed.value : null;
                },
              }),
        },
        { nowMs: this.#clock.monotonicMs(), acceptedEpoch: this.#acceptedEpoch, currentEpoch: this.#currentEpoch, lastLoggedZxid: this.#lastLoggedZxid },
      );
      this.#role = { kind: 'following', core, socket, leader: leader.id, observer };
      this.#syncStartedAtMs = this.#clock.monotonicMs();
      this.#logger.info({ leader: leader.id.toString() }, 'FOLLOWING');
      this.#readFromLeader(core, socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        if (this.#role.kind === 'following' && this.#role.core === core) this.#abandon('connection to the leader closed');
      });
      this.#run(core.takeEffects());
    });
  }

  #readFromLeader(core: FollowerCore, socket: net.Socket): void {
    const decoder = new QuorumPacketDecoder(this.#options.maxPacketBytes);
    let snapshot: { reader: WireSnapshotReader; zxid: bigint } | null = null;
    const handle = (chunk: Buffer): void => {
      if (snapshot !== null) {
        const done = snapshot.reader.push(chunk);
        if (done === null) return;
        const zxid = snapshot.zxid;
        snapshot = null;
        this.#loadLeaderSnapshot(core, done.snapshot, zxid);
        if (done.rest.length > 0) handle(done.rest);
        return;
      }
      let packets;
      try {
        packets = decoder.push(chunk, (packet) => packet.type === PacketType.snap);
      } catch (error) {
        this.#abandon(`bad packet from the leader: ${(error as Error).message}`);
        return;
      }
      for (const packet of packets) {
        let message: QuorumMessage;
        try {
          message = fromPacket(packet);
        } catch (error) {
          this.#abandon(`bad packet from the leader: ${(error as Error).message}`);
          return;
        }
        if (message.kind === 'diff' || message.kind === 'trunc' || message.kind === 'snap') {
          this.#logger.info({ mode: message.kind.toUpperCase(), zxid: hex(message.zxid) }, 'syncing with the leader');
        }
        if (core.phase === 'broadcast') this.#learnerReceived(message);
        core.receive(this.#clock.monotonicMs(), message);
        if (message.kind === 'snap') snapshot = { reader: new WireSnapshotReader(), zxid: message.zxid };
      }
      this.#run(core.takeEffects());
      if (snapshot !== null) {
        const rest = decoder.takeRemaining();
        if (rest.length > 0) handle(rest);
      }
    };
    socket.on('data', (chunk: Buffer) => {
      if (this.#role.kind !== 'following' || this.#role.core !== core) return;
      try {
        handle(chunk);
      } catch (error) {
        this.#abandon(`cannot read from the leader: ${(error as Error).message}`);
      }
    });
  }

  #loadLeaderSnapshot(core: FollowerCore, snapshot: WireSnapshot, zxid: bigint): void {
    const tree = newServerTree({ extendedTypesEnabled: this.#options.extendedTypesEnabled });
    const problem = tree.loadSnapshot(snapshot.acls, snapshot.nodes);
    if (problem !== null) {
      this.#abandon(`the leader's snapshot is malformed: ${problem}`);
      return;
    }
    tree.lastProcessedZxid = zxid;
    this.#replica.replaceState(tree, new Map(snapshot.sessions));
    // As 3.8 without reconfigEnabled: the local configuration, not the one in the leader's snapshot.
    this.#initConfigNode();
    this.#lastLoggedZxid = zxid;
    this.#committedLog = [];
    this.#undurableSnapZxid = zxid;
    this.#logger.info({ zxid: hex(zxid), nodes: snapshot.nodes.length }, 'loaded the leader snapshot');
    core.snapshotLoaded(zxid);
    this.#run(core.takeEffects());
  }

  // ---- effects -----------------------------------------------------------------------------------

  /** Queues effects; they run one after another, across batches, in the order they were produced. */
  #run(effects: ZabEffect[]): void {
    if (effects.length === 0) return;
    const generation = this.#roleGeneration;
    const producedAtMs = this.#clock.monotonicMs();
    this.#effectChain = this.#effectChain
      .then(async () => {
        // The leader's packets to a learner wait here as they wait in 3.8's LearnerHandler queue.
        const queued = this.#role.kind === 'leading' ? sendsPerLearner(effects) : null;
        for (const effect of effects) {
          // A role that ended takes its remaining effects with it (its abandon included).
          if (generation !== this.#roleGeneration) return;
          if (queued !== null && effect.kind === 'send') this.#learnerPacketSent(effect.to, effect.message, queued, producedAtMs);
          await this.#execute(effect);
        }
      })
      .catch((error: unknown) => {
        this.#logger.error({ err: error }, 'effect failed');
        this.#abandon(`effect failed: ${error instanceof Error ? error.message : String(error)}`);
      });
  }

  /** learner_handler_qp_size and _qp_time_ms: what is still queued for the learner, and a timing marker per 1000 packets. */
  #learnerPacketSent(sid: bigint, message: QuorumMessage, queued: Map<bigint, number>, producedAtMs: number): void {
    const left = (queued.get(sid) ?? 1) - 1;
    queued.set(sid, left);
    this.#learnerQueueSizes.add(sid, left);
    const link = this.#learnerLinks.get(sid);
    if (link === undefined) return;
    if (link.packetsSent % MARKER_PACKET_INTERVAL === 0) this.#learnerQueueTimes.add(sid, Math.max(0, Math.round(this.#clock.monotonicMs() - producedAtMs)));
    link.packetsSent++;
    if ((message.kind === 'proposal' || message.kind === 'commit' || message.kind === 'inform') && message.zxid > 0n) link.lastZxid = message.zxid;
  }

  /** ack_latency: an ACK (ours included) of a sampled proposal still waiting for its quorum. */
  #ackSeen(sid: bigint, zxid: bigint): void {
    const proposedAtMs = this.#sampledProposals.get(zxid);
    if (proposedAtMs !== undefined) this.#ackLatencies.add(sid, Math.max(0, Math.round(this.#clock.monotonicMs() - proposedAtMs)));
  }

  #write(to: bigint, message: QuorumMessage): void {
    const role = this.#role;
    const bytes = encodeQuorumMessage(message);
    if (role.kind === 'leading') role.links.get(to)?.write(bytes);
    else if (role.kind === 'following') role.socket.write(bytes);
  }

  async #execute(effect: ZabEffect): Promise<void> {
    const role = this.#role;
    switch (effect.kind) {
      case 'send':
        if (effect.message.kind === 'diff' || effect.message.kind === 'trunc' || effect.message.kind === 'snap') {
          this.#logger.info({ learner: effect.to.toString(), mode: effect.message.kind.toUpperCase(), zxid: hex(effect.message.zxid) }, 'syncing a learner');
          this.#metrics.count(effect.message.kind === 'snap' ? 'snap_count' : 'diff_count');
        }
        this.#write(effect.to, effect.message);
        return;
      case 'sendSnapshot': {
        if (role.kind !== 'leading') return;
        const socket = role.links.get(effect.to);
        if (socket === undefined) return;
        const sessions = [...this.#replica.sessions.all()].map((s) => [s.id, s.timeoutMs] as const);
        for (const chunk of encodeWireSnapshot(this.#replica.tree, sessions)) socket.write(chunk);
        return;
      }
      case 'persistAcceptedEpoch':
        writeEpoch(this.#options.snapDirectory, ACCEPTED_EPOCH_FILE, effect.epoch);
        this.#acceptedEpoch = effect.epoch;
        return;
      case 'markEpochUpdating':
        markEpochUpdating(this.#options.snapDirectory);
        return;
      case 'persistCurrentEpoch':
        writeEpoch(this.#options.snapDirectory, CURRENT_EPOCH_FILE, effect.epoch);
        clearEpochUpdating(this.#options.snapDirectory);
        this.#currentEpoch = effect.epoch;
        return;
      case 'append':
        this.#storage.appendEncoded(effect.zxid, effect.txn);
        this.#unflushed.push({ zxid: effect.zxid, generation: this.#roleGeneration });
        this.#scheduleFlush();
        return;
      case 'truncate':
        await this.#truncate(effect.zxid);
        return;
      case 'commit':
        if (role.kind === 'leading') {
          this.#sampledProposals.delete(effect.zxid);
          this.#metrics.count('commit_count');
          this.#metrics.observeSinceTxnTime('quorum_ack_latency', txnTimeOf(effect.txn), this.#clock.wallMs());
          this.#replica.committedUpTo(effect.zxid);
        } else {
          const txn = decodeTxn(effect.txn);
          if (role.kind === 'following' && role.core.phase === 'broadcast') {
            this.#metrics.observeSinceTxnTime('commit_propagation_latency', txn.header.time, this.#clock.wallMs());
          }
          this.#replica.applyCommitted(txn);
        }
        this.#committedLog.push({ zxid: effect.zxid, txn: effect.txn });
        if (this.#committedLog.length > COMMITTED_LOG_SIZE) this.#committedLog.shift();
        if (this.#leaveAfterCommit !== null) {
          const reason = this.#leaveAfterCommit;
          this.#leaveAfterCommit = null;
          this.#abandon(reason);
        }
        return;
      case 'configSeen':
        this.#configSeen(effect.config);
        return;
      case 'activateConfig':
        this.#activateConfig(effect.config, effect.designatedLeader, effect.designatedLeader === null ? 'now' : 'afterCommit');
        return;
      case 'readTxnLog':
        // Not awaited: broadcast and the other learners' syncs go on while the log is read.
        if (role.kind === 'leading') void this.#readTxnLogFor(role.core, this.#roleGeneration, effect);
        return;
      case 'disconnect':
        if (role.kind === 'leading') role.links.get(effect.to)?.destroy();
        return;
      case 'abandon':
        this.#abandon(effect.reason);
        return;
      case 'serving':
        this.#serve(effect.epoch);
        return;
      case 'sessionTouches':
        this.#replica.touchSessions(effect.touches);
        return;
      case 'answerPing':
        this.#write(0n, { kind: 'ping', zxid: effect.zxid, touches: this.#replica.takeTouches() });
        return;
      case 'snapshot': {
        const sessions = [...this.#replica.sessions.all()].map((s) => [s.id, s.timeoutMs] as const);
        const zxid = this.#replica.tree.lastProcessedZxid;
        await writeSnapshot(this.#replica.tree, sessions, { directory: this.#options.snapDirectory, fsync: this.#options.forceSync, nodesPerSlice: 5000 }, this.#logger);
        if (this.#undurableSnapZxid !== null && zxid >= this.#undurableSnapZxid) this.#undurableSnapZxid = null;
        return;
      }
      case 'fromLeader':
        if (effect.message.kind === 'sync') this.#replica.syncAnswered();
        else if (effect.message.kind === 'revalidateReply') this.#replica.revalidated(effect.message.sessionId, effect.message.valid);
        return;
    }
  }

  // ---- dynamic reconfiguration -----------------------------------------------------------------

  /** 3.8's setLastSeenQuorumVerifier(qv, true): a newer configuration is recorded and its new members connected to. */
  #configSeen(config: QuorumVerifier): void {
    const reconfig = this.#options.reconfig;
    if (reconfig == null || this.#lastSeenConfig?.version === config.version) return;
    this.#lastSeenConfig = config;
    this.#writeConfigFiles(lastSeenConfigWrites(reconfig.zooCfgPath, config));
    this.#transport.setPeers(this.#electionPeers());
    this.#election.setView(this.#votingView());
    this.#logger.info({ version: hex(config.version) }, 'a new configuration was proposed');
  }

  /**
   * 3.8's processReconfig: the configuration becomes the committed one (files, members, election
   * view, /zookeeper/config). When it changes this member's role or leader, a learner leaves its
   * role (`leave`: now, or once the reconfig txn is applied); with a designated leader the next
   * LOOKING goes straight to it. From an election notification nothing is left (3.8 restarts the
   * election instead).
   */
  #activateConfig(config: QuorumVerifier, designated: bigint | null, leave: 'now' | 'afterCommit' | 'election'): void {
    const reconfig = this.#options.reconfig;
    const previous = this.#committedConfig;
    if (reconfig == null || previous === null) return;
    if (config.version <= previous.version) {
      this.#initConfigNode();
      return;
    }
    this.#committedConfig = config;
    if (this.#lastSeenConfig === null || config.version > this.#lastSeenConfig.version) this.#lastSeenConfig = config;
    this.#members = membersOf(config);
    const zooCfgPath = reconfig.zooCfgPath;
    try {
      const writes = activationConfigWrites({
        zooCfgPath,
        zooCfgText: readFileSync(zooCfgPath, 'utf8'),
        zooCfgRealDirectory: realpathSync(dirname(zooCfgPath)),
        myId: this.#options.myId,
        activated: config,
        lastSeenVersion: this.#lastSeenConfig.version,
      });
      if (writes.ok) this.#writeConfigFiles(writes.value);
      else this.#logger.error({ reason: writes.failure.message }, 'cannot rewrite zoo.cfg for the new configuration');
    } catch (error) {
      this.#logger.error({ err: error }, 'cannot write the new configuration files');
    }
    this.#initConfigNode();
    this.#transport.setPeers(this.#electionPeers());
    this.#election.setView(this.#votingView());
    this.#logger.info({ version: hex(config.version), designatedLeader: designated?.toString() }, 'activated a new configuration');
    if (previous.equals(config)) return;
    this.#moveClientPortIfChanged(previous, config, reconfig);
    const roleChanged = this.#updateLearnerType(config);
    const role = this.#role;
    const currentLeader = role.kind === 'leading' ? this.#options.myId : role.kind === 'following' ? role.leader : null;
    let leaderChanged: boolean;
    if (designated !== null) {
      leaderChanged = designated !== currentLeader;
      if (leaderChanged || roleChanged) this.#designatedLeader = designated;
    } else {
      const before = currentLeader === null ? undefined : previous.member(currentLeader);
      const after = currentLeader === null ? undefined : config.member(currentLeader);
      leaderChanged = before === undefined || after === undefined || !previous.isVoter(before.id) || !config.isVoter(after.id) ||
        !sameQuorumAddress(before.addresses[0], after.addresses[0]);
      this.#designatedLeader = roleChanged && !leaderChanged && currentLeader !== null ? currentLeader : null;
    }
    if (leave === 'election' || role.kind !== 'following' || !(roleChanged || leaderChanged)) return;
    const reason = `the reconfig to version ${hex(config.version)} changed this member's ${roleChanged ? 'role' : 'leader'}`;
    if (leave === 'now') this.#abandon(reason);
    else this.#leaveAfterCommit = reason;
  }

  /** processReconfig: a client address of ours that the new configuration changes is where clients connect from now on. */
  #moveClientPortIfChanged(previous: QuorumVerifier, config: QuorumVerifier, reconfig: PeerReconfig): void {
    const before = previous.member(this.#options.myId)?.clientAddress ?? null;
    const after = config.member(this.#options.myId)?.clientAddress ?? null;
    if (after === null || (before !== null && before.host === after.host && before.port === after.port)) return;
    void reconfig.moveClientPort?.(after.host, after.port);
  }

  /** 3.8's updateLearnerType: an observer of the new configuration observes; a voter, or a member removed, follows. */
  #updateLearnerType(config: QuorumVerifier): boolean {
    const next = config.isObserver(this.#options.myId) ? 'observer' : 'participant';
    const changed = next !== this.#learnerType;
    this.#learnerType = next;
    return changed;
  }

  /** Config files are replaced whole (a temp file renamed over them), as 3.8's AtomicFileWritingIdiom does. */
  #writeConfigFiles(writes: readonly ConfigFileWrite[]): void {
    for (const write of writes) {
      try {
        if (write.kind === 'write') {
          const temp = `${write.path}.tmp`;
          writeFileSync(temp, write.text, 'utf8');
          renameSync(temp, write.path);
        } else if (write.kind === 'copy') {
          copyFileSync(write.from, write.path);
        } else {
          rmSync(write.path, { force: true });
        }
      } catch (error) {
        this.#logger.error({ err: error, path: write.path }, 'cannot write a configuration file');
      }
    }
  }

  /** The leader's checks of a reconfig request, on the configurations its core holds (they change at proposal). */
  #reconfigPreparer(core: LeaderCore): ReconfigPreparer | undefined {
    const reconfig = this.#options.reconfig;
    if (reconfig == null) return undefined;
    return (request, zxid) => {
      const configs = core.configs;
      if (configs === null) return { ok: false, err: ErrorCode.unimplemented };
      const outcome = computeReconfig({
        request,
        committed: configs.committed,
        lastSeen: configs.lastSeen,
        zxid,
        leaderId: this.#options.myId,
        syncedFollowers: core.syncedFollowers(this.#clock.monotonicMs()),
        standaloneEnabled: reconfig.readOptions.standaloneEnabled,
        multiAddressEnabled: reconfig.readOptions.multiAddressEnabled,
      });
      if (!outcome.ok) {
        this.#logger.info({ err: outcome.err, reason: outcome.reason }, 'reconfig refused');
        return { ok: false, err: outcome.err };
      }
      this.#preparedReconfig = { zxid, config: outcome.newConfig };
      return { ok: true, configText: Buffer.from(outcome.newConfig.toString(), 'utf8') };
    };
  }

  #serve(epoch: bigint): void {
    this.#election.updateEstablishedEpoch(epoch);
    const role = this.#role;
    this.#servingMetrics(role);
    if (role.kind === 'leading') {
      const core = role.core;
      this.#leaderServingSinceMs = this.#clock.monotonicMs();
      const reconfig = this.#reconfigPreparer(core);
      this.#replica.setMode(
        {
          kind: 'leading',
          propose: (txn) => {
            const bytes = encodeTxn(txn);
            this.#proposalSizes.add(bytes.length);
            if (txn.header.zxid % ACK_LOGGING_FREQUENCY === 0n) this.#sampledProposals.set(txn.header.zxid, this.#clock.monotonicMs());
            this.#metrics.count('proposal_count');
            const prepared = this.#preparedReconfig;
            const newConfig = txn.header.type === OpCode.reconfig && prepared?.zxid === txn.header.zxid ? prepared.config : null;
            if (newConfig !== null) this.#preparedReconfig = null;
            core.propose(txn.header.zxid, bytes, newConfig);
            this.#run(core.takeEffects());
          },
          ...(reconfig === undefined ? {} : { reconfig }),
        },
        zxidOf(epoch, 0n),
      );
    } else if (role.kind === 'following') {
      const core = role.core;
      this.#replica.setMode({
        kind: 'following',
        forward: (request) => {
          core.forward({ kind: 'request', sessionId: request.sessionId, cxid: request.cxid, opType: request.type, body: request.body, authInfo: [...request.authIds] });
          this.#run(core.takeEffects());
        },
        revalidate: (sessionId, timeoutMs) => {
          core.revalidate(sessionId, timeoutMs);
          this.#run(core.takeEffects());
        },
      });
    }
    this.#logger.info({ epoch: epoch.toString(), role: role.kind }, 'serving clients');
  }

  /** What 3.8 records when a member reaches broadcast (QuorumPeer.setZabState, Follower, Observer). */
  #servingMetrics(role: Role): void {
    const nowMs = this.#clock.monotonicMs();
    if (this.#unavailableSinceMs !== null) {
      const unavailableMs = nowMs - this.#unavailableSinceMs;
      this.#metrics.observe('unavailable_time', unavailableMs);
      if (role.kind === 'leading') this.#metrics.observe('leader_unavailable_time', unavailableMs);
      this.#unavailableSinceMs = null;
    }
    if (role.kind === 'following') this.#metrics.observe(role.observer ? 'observer_sync_time' : 'follower_sync_time', nowMs - this.#syncStartedAtMs);
  }

  /** A packet a learner in broadcast got from its leader (Follower/Observer.processPacket). */
  #learnerReceived(message: QuorumMessage): void {
    if (message.kind === 'proposal') {
      this.#metrics.count('learner_proposal_received_count');
      this.#metrics.observeSinceTxnTime('proposal_latency', txnTimeOf(message.txn), this.#clock.wallMs());
    } else if (message.kind === 'commit' || message.kind === 'inform') {
      this.#metrics.count('learner_commit_received_count');
    }
  }

  #scheduleFlush(): void {
    if (this.#flushInFlight !== null || this.#unflushed.length === 0) return;
    const batch = this.#unflushed;
    this.#unflushed = [];
    const target = (batch[batch.length - 1] as { zxid: bigint }).zxid;
    this.#flushInFlight = this.#storage.flush().then(
      () => {
        this.#flushInFlight = null;
        if (target > this.#lastLoggedZxid) this.#lastLoggedZxid = target;
        // A core hears only of its own appends: a flush started by an earlier role must not tell
        // a follower, TRUNCed and re-appending those zxids since, that they are durable.
        let own: bigint | null = null;
        for (const entry of batch) if (entry.generation === this.#roleGeneration) own = entry.zxid;
        const role = this.#role;
        if (own !== null && role.kind === 'leading') {
          for (const entry of batch) if (entry.generation === this.#roleGeneration) this.#ackSeen(this.#options.myId, entry.zxid);
          role.core.logged(own);
          this.#run(role.core.takeEffects());
        } else if (own !== null && role.kind === 'following') {
          role.core.logged(own);
          this.#run(role.core.takeEffects());
        }
        this.#scheduleFlush();
      },
      (error: unknown) => {
        this.#flushInFlight = null;
        this.#logFailed = true;
        this.#logger.fatal({ err: error }, 'cannot write the txn log');
        this.#abandon('txn log write failed');
      },
    );
  }

  /** Resolves once every append so far is durable (or the log has failed). */
  async #flushAll(): Promise<void> {
    for (;;) {
      if (this.#flushInFlight === null) this.#scheduleFlush();
      const inFlight = this.#flushInFlight;
      if (inFlight === null || this.#logFailed) return;
      await inFlight;
    }
  }

  async #truncate(zxid: bigint): Promise<void> {
    this.#logger.warn({ zxid: hex(zxid) }, 'TRUNC: dropping logged txns the leader never committed');
    // Cutting the file under an fsync in flight would fail that flush and the log with it.
    await this.#flushAll();
    await this.#log.restartAfter(zxid);
    await truncateAfter(this.#options.snapDirectory, this.#options.logDirectory, zxid, this.#logger);
    await this.#reload();
    // After a SNAP the history lives in the sync snapshot, not the log: cutting the log cannot
    // bring such a peer back to `zxid`, and going on from another point would fork the history.
    if (this.#lastLoggedZxid !== zxid) {
      // The log goes on from where the disk now ends: a later sync DIFFs from there (from the
      // leader's txn log, say), and appends after `zxid` only would refuse those txns forever.
      await this.#log.restartAfter(this.#lastLoggedZxid);
      throw new Error(`TRUNC to ${hex(zxid)} reloaded the tree at ${hex(this.#lastLoggedZxid)}`);
    }
  }
}

/** A serialized txn's TxnHeader.time: after clientId (8), cxid (4) and zxid (8). */
const TXN_HEADER_TIME_AT = 20;

function txnTimeOf(txn: Buffer): bigint {
  return txn.length >= TXN_HEADER_TIME_AT + 8 ? txn.readBigInt64BE(TXN_HEADER_TIME_AT) : 0n;
}

/** How many packets each learner is sent in a batch of effects. */
function sendsPerLearner(effects: readonly ZabEffect[]): Map<bigint, number> {
  const counts = new Map<bigint, number>();
  for (const effect of effects) if (effect.kind === 'send') counts.set(effect.to, (counts.get(effect.to) ?? 0) + 1);
  return counts;
}

function sameQuorumAddress(a: { host: string; quorumPort: number } | undefined, b: { host: string; quorumPort: number } | undefined): boolean {
  return a !== undefined && b !== undefined && a.host === b.host && a.quorumPort === b.quorumPort;
}
