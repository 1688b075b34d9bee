// One simulated ensemble member: the shell of src/quorum/quorum-peer.ts re-enacted on simulated
// time, network and disk, running the real cores (FastLeaderElection, LeaderCore, FollowerCore)
// and the real quorum packet codec. Each method below mirrors the quorum-peer.ts method of the same
// name; where the server's behaviour depends on storage code (FileTxnLog, recovery, epoch files,
// snapshots), the disk model in model.ts mirrors that code. A bug the simulator finds is recorded
// in known-bugs.ts with a flag in ShellFlags that emulates its fix, so that a run can look past
// it; once src/ is fixed, the fix is mirrored here unconditionally and the flag goes.

import { OpCode } from '../../src/protocol/op-code.js';
import { txnLogSyncRange } from '../../src/quorum/txn-log-sync.js';
import { FastLeaderElection, type Decision, type ElectionOutput } from '../../src/zab/election/fast-leader-election.js';
import { decodeNotification, encodeNotification } from '../../src/zab/election/notification.js';
import { counterOf, epochOf, hex, type ZabEffect } from '../../src/zab/effects.js';
import { FollowerCore } from '../../src/zab/follower.js';
import { LeaderCore } from '../../src/zab/leader.js';
import { encodeQuorumMessage, fromPacket, QuorumPacketDecoder, type QuorumMessage } from '../../src/zab/messages.js';
import type { Checker } from './checker.js';
import { Disk, loadEpochs, recover, Tree, truncateAfter, type Applied, type TreeState } from './model.js';
import type { Frame, Listener, Network, SimSocket } from './network.js';
import type { Prng } from './prng.js';
import type { Scheduler, Trace } from './scheduler.js';

/**
 * Switches that emulate the fix of a known bug (known-bugs.ts), off by default so that the
 * simulation tests the shell as it is. None is open at the moment.
 */
export type ShellFlags = Readonly<Record<string, boolean>>;

export interface PeerConfig {
  readonly tickTimeMs: number;
  readonly initLimitTicks: number;
  readonly syncLimitTicks: number;
  /** snapCount for DurableStorage's snapshot trigger. */
  readonly snapCount: number;
  readonly fsyncMs: () => number;
  readonly snapshotMs: () => number;
  readonly truncateMs: () => number;
  readonly flags: ShellFlags;
}

export interface PeerEnvironment {
  readonly scheduler: Scheduler;
  readonly network: Network;
  readonly prng: Prng;
  readonly trace: Trace;
  readonly checker: Checker;
  readonly config: PeerConfig;
  readonly voters: ReadonlySet<bigint>;
  /** Every member, voters and observers. */
  readonly members: readonly bigint[];
  /** A client learns that its write succeeded. */
  readonly onClientAck: (peer: bigint, txn: string, zxid: bigint) => void;
}

interface SyncWatch {
  leaderInfoEpoch: bigint | null;
  newLeaderSeen: boolean;
  newLeaderAcked: boolean;
  /** Proposals received before NEWLEADER: they must be durable (logged or in the sync snapshot) before its ACK. */
  readonly synced: bigint[];
}

type Role =
  | { readonly kind: 'looking' }
  | { readonly kind: 'leading'; readonly core: LeaderCore; readonly links: Map<bigint, SimSocket>; readonly listener: Listener }
  | { readonly kind: 'following'; readonly core: FollowerCore; readonly socket: SimSocket; readonly leader: bigint; readonly watch: SyncWatch };

type Mode = 'notServing' | 'leading' | 'following';

export function describeMessage(message: QuorumMessage): string {
  switch (message.kind) {
    case 'proposal':
      return `PROPOSAL ${hex(message.zxid)} ${message.txn.toString()}`;
    case 'ack':
    case 'commit':
    case 'diff':
    case 'trunc':
    case 'snap':
    case 'upToDate':
    case 'newLeader':
      return `${message.kind.toUpperCase()} ${hex(message.zxid)}`;
    case 'ping':
      return `PING ${hex(message.zxid)}`;
    case 'learnerInfo':
      return `FOLLOWERINFO sid=${message.serverId} acceptedEpoch=${message.acceptedEpoch}`;
    case 'leaderInfo':
      return `LEADERINFO epoch=${message.newEpoch}`;
    case 'ackEpoch':
      return `ACKEPOCH last=${hex(message.lastLoggedZxid)} currentEpoch=${message.currentEpoch}`;
    case 'request':
      return `REQUEST ${message.body.toString()}`;
    default:
      return message.kind.toUpperCase();
  }
}

function describeEffect(effect: ZabEffect): string {
  switch (effect.kind) {
    case 'send':
      return `send ${effect.to} ${describeMessage(effect.message)}`;
    case 'append':
    case 'commit':
      return `${effect.kind} ${hex(effect.zxid)} ${effect.txn.toString()}`;
    case 'truncate':
      return `truncate ${hex(effect.zxid)}`;
    case 'readTxnLog':
      return `readTxnLog for ${effect.to} after ${hex(effect.afterZxid)} up to ${hex(effect.upToZxid)} (#${effect.request})`;
    case 'persistAcceptedEpoch':
    case 'persistCurrentEpoch':
    case 'serving':
      return `${effect.kind} ${effect.epoch}`;
    case 'abandon':
    case 'disconnect':
      return `${effect.kind} ${'to' in effect ? `${effect.to} ` : ''}(${effect.reason})`;
    default:
      return effect.kind;
  }
}

export class SimPeer {
  readonly id: bigint;
  readonly disk = new Disk();
  readonly #env: PeerEnvironment;
  #up = false;
  #incarnation = 0;
  // Volatile state, rebuilt by start().
  #election: FastLeaderElection | null = null;
  #transport: SimElectionTransport | null = null;
  #role: Role = { kind: 'looking' };
  #mode: Mode = 'notServing';
  #tree = new Tree();
  #acceptedEpoch = 0n;
  #currentEpoch = 0n;
  #lastLoggedZxid = 0n;
  #logLastAppended = -1n;
  #flushInFlight: number | null = null;
  /** What waits for the flush in flight (quorum-peer #flushAll). */
  #afterFlush: (() => void)[] = [];
  #nextFlushId = 1;
  #roleGeneration = 0;
  #chain: { generation: number; effects: ZabEffect[]; index: number }[] = [];
  #chainBusy = false;
  #draining = false;
  #txnsSinceSnapshot = 0;
  #snapshotRoll = 0;
  #snapshotInProgress = false;
  /** Leader: client writes waiting for their commit, by zxid. Follower: forwarded writes, by txn. */
  readonly #leaderClients = new Map<bigint, string>();
  readonly #followerClients = new Set<string>();
  /** Times this peer reached each state, for the run's summary. */
  readonly stats = { elections: 0, leading: 0, following: 0, abandons: 0, truncates: 0, snaps: 0, restarts: 0 };

  constructor(id: bigint, env: PeerEnvironment) {
    this.id = id;
    this.#env = env;
  }

  get up(): boolean {
    return this.#up;
  }

  get incarnation(): number {
    return this.#incarnation;
  }

  get roleKind(): Role['kind'] {
    return this.#role.kind;
  }

  get mode(): Mode {
    return this.#mode;
  }

  get tree(): TreeState {
    return this.#tree;
  }

  /** The leader this peer follows, when it is a follower in broadcast. */
  get followedLeader(): bigint | null {
    const role = this.#role;
    return role.kind === 'following' && role.core.phase === 'broadcast' ? role.leader : null;
  }

  /** The epoch this peer leads in broadcast, or null. */
  get leadingEpoch(): bigint | null {
    const role = this.#role;
    return role.kind === 'leading' && role.core.phase === 'broadcast' ? role.core.epoch : null;
  }

  get followingEpoch(): bigint | null {
    const role = this.#role;
    return role.kind === 'following' && role.core.phase === 'broadcast' ? role.core.epoch : null;
  }

  describe(): string {
    const role = this.#role;
    const phase = role.kind === 'looking' ? `looking(round ${this.#election?.round ?? '-'})` : role.kind === 'leading' ? `leading(${role.core.phase}, epoch ${role.core.epoch})` : `following ${role.leader}(${role.core.phase}, epoch ${role.core.epoch})`;
    return `peer ${this.id} ${this.#up ? phase : 'DOWN'} mode=${this.#mode} lastLogged=${hex(this.#lastLoggedZxid)} tree=${this.#tree.txns.length}@${hex(this.#tree.lastZxid)} acc=${this.#acceptedEpoch} cur=${this.#currentEpoch}\n      disk ${this.disk.describeLog()}`;
  }

  #log(line: string): void {
    this.#env.trace.log(`[${this.id}] ${line}`);
  }

  #alive(incarnation: number): boolean {
    return this.#up && this.#incarnation === incarnation;
  }

  // ---- process life --------------------------------------------------------------------------------

  /** Starts the server from its disk (main.ts then QuorumPeer.start); throws when it cannot start. */
  start(): void {
    const tree = recover(this.disk);
    const epochs = loadEpochs(this.disk, tree.lastZxid);
    // main.ts: a clean snapshot at start.
    this.disk.writeSnapshot(tree.copy());
    this.#incarnation++;
    this.#up = true;
    this.stats.restarts++;
    this.#tree = tree;
    this.#committedLog = tree.recent;
    this.#acceptedEpoch = epochs.acceptedEpoch;
    this.#currentEpoch = epochs.currentEpoch;
    this.#lastLoggedZxid = tree.lastZxid;
    this.#logLastAppended = -1n;
    this.#flushInFlight = null;
    this.#afterFlush = [];
    this.#betweenRoles = false;
    this.#undurableSnap = null;
    this.#role = { kind: 'looking' };
    this.#mode = 'notServing';
    this.#chain = [];
    this.#chainBusy = false;
    // An abandon during the last incarnation's asynchronous effect must not end a role of this one.
    this.#lookWhenIdle = false;
    this.#draining = false;
    this.#txnsSinceSnapshot = 0;
    this.#snapshotRoll = this.#drawRoll();
    this.#snapshotInProgress = false;
    this.#leaderClients.clear();
    this.#followerClients.clear();
    this.#env.network.setRunning(this.id, this.#incarnation);
    this.#election = new FastLeaderElection({
      myId: this.id,
      voters: this.#env.voters,
      participant: this.#env.voters.has(this.id),
      finalizeWaitMs: 200,
      minNotificationIntervalMs: 200,
      maxNotificationIntervalMs: 60_000,
      config: Buffer.alloc(0),
    });
    this.#transport = new SimElectionTransport(this.#env, this.id, this.#incarnation, (from, body) => this.#onNotification(from, body));
    this.#transport.listen();
    this.#log(`START from disk: tree ${tree.txns.length}@${hex(tree.lastZxid)}, acceptedEpoch ${epochs.acceptedEpoch}, currentEpoch ${epochs.currentEpoch}; ${this.disk.describeLog()}`);
    this.#lookForLeader();
  }

  /** The process dies: volatile state is gone, the log keeps what reached the disk. */
  crash(): void {
    if (!this.#up) return;
    this.#up = false;
    this.#incarnation++;
    this.#env.network.crash(this.id);
    // Not fsynced, whether a flush was asked for it or not (FileTxnLog's writer writes appends as its
    // next batch on its own): a prefix may have reached the disk (a torn entry ends the log for
    // recovery, so nothing after the first lost entry counts).
    const kept: typeof this.disk.log = [];
    let lost = false;
    for (const entry of this.disk.log) {
      if (entry.state === 'durable') kept.push(entry);
      else if (!lost && this.#env.prng.chance(0.5)) {
        entry.state = 'durable';
        kept.push(entry);
      } else lost = true;
    }
    this.disk.log = kept;
    this.#role = { kind: 'looking' };
    this.#mode = 'notServing';
    this.#chain = [];
    this.#log(`CRASH; disk now ${this.disk.describeLog()}`);
  }

  // ---- election ------------------------------------------------------------------------------------

  #lookForLeader(): void {
    const election = this.#election as FastLeaderElection;
    this.#betweenRoles = false;
    this.#role = { kind: 'looking' };
    this.#setMode('notServing');
    this.stats.elections++;
    this.#log(`LOOKING lastZxid=${hex(this.#lastLoggedZxid)} currentEpoch=${this.#currentEpoch}`);
    this.#handleElection(election.start(this.#env.scheduler.now, this.#lastLoggedZxid, this.#currentEpoch));
  }

  #onNotification(from: bigint, body: Buffer): void {
    if (this.#betweenRoles) return;
    const notification = decodeNotification(body);
    this.#log(`election: from ${from} ${notification.state} leader=${notification.leader} zxid=${hex(notification.zxid)} round=${notification.electionEpoch} peerEpoch=${notification.peerEpoch}`);
    this.#handleElection((this.#election as FastLeaderElection).receive(this.#env.scheduler.now, from, notification));
  }

  #handleElection(output: ElectionOutput): void {
    const transport = this.#transport as SimElectionTransport;
    for (const { to, notification } of output.send) transport.send(to, encodeNotification(notification));
    if (output.connectAll) transport.connectAll();
    if (output.decision !== null && this.#role.kind === 'looking') this.#onDecision(output.decision);
  }

  #onDecision(decision: Decision): void {
    this.#log(`election decided: leader ${decision.leader} (${decision.role}), election epoch ${decision.electionEpoch}, peer epoch ${decision.peerEpoch}, zxid ${hex(decision.zxid)}`);
    this.#roleGeneration++;
    if (decision.role === 'leading') this.#lead();
    else this.#follow(decision.leader);
  }

  tick(): void {
    if (!this.#up) return;
    const now = this.#env.scheduler.now;
    const role = this.#role;
    switch (role.kind) {
      case 'looking':
        this.#handleElection((this.#election as FastLeaderElection).tick(now));
        return;
      case 'leading':
        role.core.tick(now);
        this.#run(role.core.takeEffects());
        return;
      case 'following':
        role.core.tick(now);
        this.#run(role.core.takeEffects());
        return;
    }
  }

  #endRole(): void {
    const role = this.#role;
    this.#role = { kind: 'looking' };
    this.#roleGeneration++;
    if (role.kind === 'leading') {
      for (const socket of role.links.values()) socket.destroy();
      this.#env.network.unlisten('quorum', this.id, role.listener);
    } else if (role.kind === 'following') {
      role.socket.destroy();
    }
  }

  #abandon(reason: string): void {
    if (this.#betweenRoles) return;
    this.stats.abandons++;
    this.#log(`ABANDON ${this.#role.kind}: ${reason}`);
    this.#endRole();
    this.#betweenRoles = true;
    this.#setMode('notServing');
    // quorum-peer chains #settleThenLook after the effect in progress.
    if (this.#chainBusy) {
      this.#lookWhenIdle = true;
      return;
    }
    this.#settleThenLook();
  }

  /** From a role's end until LOOKING (quorum-peer #betweenRoles): no election answers. */
  #betweenRoles = false;

  /** quorum-peer #settleThenLook: flush everything, reload when the tree and the log disagree, look. */
  #settleThenLook(): void {
    const incarnation = this.#incarnation;
    this.#flushAll(() => {
      if (!this.#alive(incarnation)) return;
      if (this.#undurableSnap === null && this.#tree.lastZxid === this.#lastLoggedZxid) {
        this.#lookForLeader();
        return;
      }
      this.#log(`reloading the tree from disk (lastLogged ${hex(this.#lastLoggedZxid)}, tree ${hex(this.#tree.lastZxid)}${this.#undurableSnap !== null ? `, SNAP ${hex(this.#undurableSnap)} not durable` : ''})`);
      this.#env.scheduler.after(this.#env.config.truncateMs(), () => {
        if (!this.#alive(incarnation)) return;
        let recovered: ReturnType<typeof recover>;
        try {
          recovered = recover(this.disk);
        } catch (error) {
          this.#log(`cannot reload the data tree from disk: ${(error as Error).message}`);
          this.#lookForLeader();
          return;
        }
        this.#reloaded(recovered);
        this.#lookForLeader();
      });
    });
  }

  /** quorum-peer #reload's bookkeeping once recovery has run. */
  #reloaded(recovered: ReturnType<typeof recover>): void {
    if (this.#mode !== 'notServing') throw new Error(`peer ${this.id} replaces its state while serving`);
    this.#tree = recovered;
    this.#lastLoggedZxid = recovered.lastZxid;
    this.#committedLog = recovered.recent;
    this.#undurableSnap = null;
    this.#log(`reloaded: tree ${recovered.txns.length}@${hex(recovered.lastZxid)}`);
  }

  /** quorum-peer #flushAll: `then` runs once every append so far is durable. */
  #flushAll(then: () => void): void {
    if (this.#flushInFlight === null) this.#scheduleFlush();
    if (this.#flushInFlight === null) {
      then();
      return;
    }
    this.#afterFlush.push(() => this.#flushAll(then));
  }

  /** quorum-peer #committedLog: the last committed txns, kept across roles for DIFF syncs. */
  #committedLog: Applied[] = [];

  /** A SNAP loaded into the tree whose sync snapshot is not written yet. */
  #undurableSnap: bigint | null = null;

  /** The role ended during an asynchronous effect: settle once it is done. */
  #lookWhenIdle = false;

  // ---- leading -------------------------------------------------------------------------------------

  #lead(): void {
    const config = this.#env.config;
    const core = new LeaderCore(
      {
        myId: this.id,
        voters: this.#env.voters,
        tickTimeMs: config.tickTimeMs,
        initLimitTicks: config.initLimitTicks,
        syncLimitTicks: config.syncLimitTicks,
        committedLogSize: COMMITTED_LOG_SIZE,
        config: Buffer.alloc(0),
        txnLogSync: true,
      },
      {
        nowMs: this.#env.scheduler.now,
        acceptedEpoch: this.#acceptedEpoch,
        currentEpoch: this.#currentEpoch,
        lastZxid: this.#lastLoggedZxid,
        committedLog: this.#committedLog.filter((entry) => entry.zxid <= this.#lastLoggedZxid).map((entry) => ({ zxid: entry.zxid, txn: Buffer.from(entry.txn) })),
      },
    );
    const links = new Map<bigint, SimSocket>();
    const listener: Listener = (socket) => this.#acceptLearner(core, links, socket);
    this.#env.network.listen('quorum', this.id, this.#incarnation, listener);
    this.#role = { kind: 'leading', core, links, listener };
    this.stats.leading++;
    this.#log(`LEADING (acceptedEpoch ${this.#acceptedEpoch}, currentEpoch ${this.#currentEpoch}, lastZxid ${hex(this.#lastLoggedZxid)}, tree ${this.#tree.txns.length}@${hex(this.#tree.lastZxid)})`);
    this.#run(core.takeEffects());
  }

  /**
   * quorum-peer #readTxnLogFor: outside the effect chain, wait until the log is durable up to the
   * zxid asked for, read it (readTxnsForSync's rules on the disk model; log file sizes are not
   * modelled, so the size limit never refuses), and step the answer in after a read's latency,
   * during which commits, disconnects and the role's end go on.
   */
  #readTxnLogFor(core: LeaderCore, generation: number, effect: Extract<ZabEffect, { kind: 'readTxnLog' }>): void {
    const incarnation = this.#incarnation;
    this.#flushedUpTo(effect.upToZxid, () => {
      if (!this.#alive(incarnation)) return;
      const entries = this.disk.readable();
      const range = txnLogSyncRange(entries, this.disk.snapshots.map((s) => s.zxid), effect.afterZxid, effect.upToZxid);
      const proposals = range.kind === 'range' ? entries.slice(range.from, range.to).map((e) => ({ zxid: e.zxid, txn: Buffer.from(e.txn) })) : null;
      this.#env.scheduler.after(this.#env.config.truncateMs(), () => {
        const role = this.#role;
        if (!this.#alive(incarnation) || generation !== this.#roleGeneration || role.kind !== 'leading' || role.core !== core) return;
        this.#log(`txn log read for ${effect.to} (#${effect.request}): ${range.kind === 'range' ? `${range.to - range.from} txns` : range.reason}`);
        core.txnLogRead(effect.to, effect.request, proposals);
        this.#run(core.takeEffects());
      });
    });
  }

  /** quorum-peer #flushedUpTo: `then` runs once the log is durable up to `zxid` (or nothing more is to be flushed). */
  #flushedUpTo(zxid: bigint, then: () => void): void {
    if (this.#lastLoggedZxid >= zxid) {
      then();
      return;
    }
    if (this.#flushInFlight === null) this.#scheduleFlush();
    if (this.#flushInFlight === null) {
      then();
      return;
    }
    this.#afterFlush.push(() => this.#flushedUpTo(zxid, then));
  }

  #acceptLearner(core: LeaderCore, links: Map<bigint, SimSocket>, socket: SimSocket): void {
    const decoder = new QuorumPacketDecoder(1 << 20);
    let sid: bigint | null = null;
    socket.onData = (frame: Frame): void => {
      const role = this.#role;
      if (role.kind !== 'leading' || role.core !== core) {
        socket.destroy();
        return;
      }
      if (frame.kind !== 'bytes') throw new Error(`leader ${this.id} got a ${frame.kind} frame from a learner`);
      for (const packet of decoder.push(frame.bytes)) {
        const message = fromPacket(packet);
        if (sid === null) {
          if (message.kind !== 'learnerInfo') {
            socket.destroy();
            return;
          }
          sid = message.serverId;
          links.get(sid)?.destroy();
          links.set(sid, socket);
          this.#log(`learner ${sid} connected`);
        }
        this.#log(`recv ${sid}→${this.id} ${describeMessage(message)}`);
        if (message.kind === 'request' && core.phase === 'broadcast' && message.opType === OpCode.sync) {
          core.syncRequested(sid);
        } else if (message.kind === 'request' && core.phase === 'broadcast') {
          // Replica.prepareForLearner asserts that the replica leads.
          if (this.#mode !== 'leading') throw new Error(`leader ${this.id} prepares a forwarded request while its replica is ${this.#mode}`);
          this.#proposeLocally(core, message.body.toString(), null);
        }
        core.receive(this.#env.scheduler.now, sid, message);
      }
      this.#run(core.takeEffects());
    };
    socket.onClose = (): void => {
      if (sid !== null && links.get(sid) === socket) {
        links.delete(sid);
        core.learnerDisconnected(sid);
        this.#log(`learner ${sid} disconnected`);
      }
    };
  }

  /** The replica prepared a write: the core gives it the next zxid and proposes it. */
  #proposeLocally(core: LeaderCore, txn: string, client: string | null): void {
    const zxid = core.nextZxid();
    core.propose(zxid, Buffer.from(txn));
    if (client !== null) this.#leaderClients.set(zxid, client);
  }

  // ---- following -----------------------------------------------------------------------------------

  #follow(leaderId: bigint): void {
    const generation = this.#roleGeneration;
    const config = this.#env.config;
    const deadlineMs = this.#env.scheduler.now + config.initLimitTicks * config.tickTimeMs;
    this.#connectToLeader(leaderId, deadlineMs, generation);
  }

  #connectToLeader(leaderId: bigint, deadlineMs: number, generation: number): void {
    const incarnation = this.#incarnation;
    this.#env.network.connect(
      'quorum',
      this.id,
      incarnation,
      leaderId,
      Math.max(1, deadlineMs - this.#env.scheduler.now),
      (socket) => {
        if (generation !== this.#roleGeneration) {
          socket.destroy();
          return;
        }
        const config = this.#env.config;
        const core = new FollowerCore(
          {
            myId: this.id,
            leaderId,
            observer: !this.#env.voters.has(this.id),
            tickTimeMs: config.tickTimeMs,
            initLimitTicks: config.initLimitTicks,
            syncLimitTicks: config.syncLimitTicks,
            configVersion: 0n,
          },
          { nowMs: this.#env.scheduler.now, acceptedEpoch: this.#acceptedEpoch, currentEpoch: this.#currentEpoch, lastLoggedZxid: this.#lastLoggedZxid },
        );
        const watch: SyncWatch = { leaderInfoEpoch: null, newLeaderSeen: false, newLeaderAcked: false, synced: [] };
        this.#role = { kind: 'following', core, socket, leader: leaderId, watch };
        this.stats.following++;
        this.#log(`FOLLOWING ${leaderId} (acceptedEpoch ${this.#acceptedEpoch}, currentEpoch ${this.#currentEpoch}, lastLogged ${hex(this.#lastLoggedZxid)})`);
        this.#readFromLeader(core, socket, watch);
        socket.onClose = (): void => {
          const role = this.#role;
          if (role.kind === 'following' && role.core === core) this.#abandon('connection to the leader closed');
        };
        this.#run(core.takeEffects());
      },
      (reason) => {
        if (generation !== this.#roleGeneration) return;
        if (this.#env.scheduler.now >= deadlineMs) {
          this.#abandon(`cannot connect to leader ${leaderId} within initLimit: ${reason}`);
          return;
        }
        this.#env.scheduler.after(100, () => {
          if (this.#alive(incarnation) && generation === this.#roleGeneration) this.#connectToLeader(leaderId, deadlineMs, generation);
        });
      },
    );
  }

  #readFromLeader(core: FollowerCore, socket: SimSocket, watch: SyncWatch): void {
    const decoder = new QuorumPacketDecoder(1 << 20);
    let snapshotZxid: bigint | null = null;
    socket.onData = (frame: Frame): void => {
      const role = this.#role;
      if (role.kind !== 'following' || role.core !== core) return;
      if (snapshotZxid !== null) {
        if (frame.kind !== 'snapshot') throw new Error(`follower ${this.id} expected the snapshot after SNAP, got a ${frame.kind} frame`);
        const zxid = snapshotZxid;
        snapshotZxid = null;
        this.#loadLeaderSnapshot(core, frame.tree, zxid);
        return;
      }
      if (frame.kind !== 'bytes') throw new Error(`follower ${this.id} got an unexpected ${frame.kind} frame`);
      for (const packet of decoder.push(frame.bytes)) {
        const message = fromPacket(packet);
        this.#log(`recv ${role.leader}→${this.id} ${describeMessage(message)} [${core.phase}]`);
        if (message.kind === 'leaderInfo') watch.leaderInfoEpoch = message.newEpoch;
        if (message.kind === 'proposal' && !watch.newLeaderSeen) watch.synced.push(message.zxid);
        if (message.kind === 'newLeader') watch.newLeaderSeen = true;
        if (message.kind === 'snap') this.stats.snaps++;
        // quorum-peer reads the snapshot that follows any SNAP packet, whatever the core's phase.
        if (message.kind === 'snap') snapshotZxid = message.zxid;
        core.receive(this.#env.scheduler.now, message);
      }
      this.#run(core.takeEffects());
    };
  }

  #loadLeaderSnapshot(core: FollowerCore, snapshot: TreeState, zxid: bigint): void {
    if (this.#mode !== 'notServing') throw new Error(`follower ${this.id} replaces its state while serving`);
    const tree = new Tree(snapshot);
    tree.lastZxid = zxid;
    this.#tree = tree;
    this.#lastLoggedZxid = zxid;
    this.#committedLog = [];
    this.#undurableSnap = zxid;
    this.#log(`loaded the leader's snapshot: ${snapshot.txns.length} txns, SNAP zxid ${hex(zxid)} (snapshot tree at ${hex(snapshot.lastZxid)})`);
    core.snapshotLoaded(zxid);
    this.#run(core.takeEffects());
  }

  // ---- clients -------------------------------------------------------------------------------------

  /** A client write arrives here: the leader proposes it, a follower forwards it, others refuse. */
  clientWrite(txn: string): 'proposed' | 'forwarded' | 'refused' {
    if (!this.#up) return 'refused';
    const role = this.#role;
    if (role.kind === 'leading' && this.#mode === 'leading' && role.core.phase === 'broadcast') {
      this.#proposeLocally(role.core, txn, txn);
      this.#run(role.core.takeEffects());
      return 'proposed';
    }
    if (role.kind === 'following' && this.#mode === 'following') {
      this.#followerClients.add(txn);
      role.core.forward({ kind: 'request', sessionId: 0x100n, cxid: 1, opType: OpCode.create, body: Buffer.from(txn), authInfo: [] });
      this.#run(role.core.takeEffects());
      return 'forwarded';
    }
    return 'refused';
  }

  #setMode(mode: Mode): void {
    if (mode !== this.#mode || mode === 'notServing') {
      // Replica.setMode closes client connections: their writes' outcome is unknown to them.
      this.#leaderClients.clear();
      this.#followerClients.clear();
    }
    this.#mode = mode;
  }

  // ---- effects -------------------------------------------------------------------------------------

  /** Queues effects; they run one after another, across batches, in the order they were produced. */
  #run(effects: ZabEffect[]): void {
    if (effects.length === 0) return;
    this.#chain.push({ generation: this.#roleGeneration, effects, index: 0 });
    this.#drain();
  }

  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (!this.#chainBusy && this.#up) {
        const batch = this.#chain[0];
        if (batch === undefined) break;
        const effect = batch.effects[batch.index];
        if (effect === undefined || batch.generation !== this.#roleGeneration) {
          this.#chain.shift();
          continue;
        }
        batch.index++;
        try {
          this.#execute(effect);
        } catch (error) {
          if (!(error instanceof EffectFailure)) throw error;
          // quorum-peer: the batch's promise rejects, the rest of the batch is skipped, the role ends.
          if (this.#chain[0] === batch) this.#chain.shift();
          this.#log(`effect failed: ${error.message}`);
          this.#abandon(`effect failed: ${error.message}`);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /** Runs an asynchronous effect: the chain waits `delayMs`, then `complete` runs (unless the process died). */
  #awaitEffect(delayMs: number, complete: () => void): void {
    this.#chainBusy = true;
    const incarnation = this.#incarnation;
    this.#env.scheduler.after(delayMs, () => {
      if (!this.#alive(incarnation)) return;
      this.#chainBusy = false;
      try {
        complete();
      } catch (error) {
        if (!(error instanceof EffectFailure)) throw error;
        this.#chain.shift();
        this.#log(`effect failed: ${error.message}`);
        this.#abandon(`effect failed: ${error.message}`);
      }
      if (this.#lookWhenIdle && !this.#chainBusy) {
        this.#lookWhenIdle = false;
        this.#settleThenLook();
      }
      this.#drain();
    });
  }

  #write(to: bigint, message: QuorumMessage): void {
    const role = this.#role;
    const frame: Frame = { kind: 'bytes', bytes: encodeQuorumMessage(message) };
    if (role.kind === 'leading') role.links.get(to)?.write(frame);
    else if (role.kind === 'following') role.socket.write(frame);
  }

  #execute(effect: ZabEffect): void {
    const role = this.#role;
    if (effect.kind !== 'send' || (effect.message.kind !== 'ping' && effect.message.kind !== 'ack')) this.#log(`effect ${describeEffect(effect)}`);
    switch (effect.kind) {
      case 'send': {
        const message = effect.message;
        if (role.kind === 'following') this.#checkFollowerSend(role.watch, message);
        if (role.kind !== 'looking') this.#log(`send ${this.id}→${effect.to} ${describeMessage(message)}`);
        this.#write(effect.to, message);
        return;
      }
      case 'sendSnapshot': {
        if (role.kind !== 'leading') return;
        const socket = role.links.get(effect.to);
        if (socket === undefined) return;
        socket.write({ kind: 'snapshot', tree: this.#tree.copy() });
        return;
      }
      case 'persistAcceptedEpoch':
        this.disk.acceptedEpoch = effect.epoch;
        this.#acceptedEpoch = effect.epoch;
        return;
      case 'markEpochUpdating':
        this.disk.updatingEpoch = true;
        return;
      case 'persistCurrentEpoch':
        this.disk.currentEpoch = effect.epoch;
        this.#currentEpoch = effect.epoch;
        this.disk.updatingEpoch = false;
        return;
      case 'append':
        this.#append(effect.zxid, effect.txn.toString());
        return;
      case 'truncate':
        this.stats.truncates++;
        this.#truncate(effect.zxid);
        return;
      case 'commit':
        this.#commit(role, effect.zxid, effect.txn.toString());
        return;
      case 'readTxnLog':
        if (role.kind === 'leading') this.#readTxnLogFor(role.core, this.#roleGeneration, effect);
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
        return;
      case 'answerPing':
        this.#write(0n, { kind: 'ping', zxid: effect.zxid, touches: [] });
        return;
      case 'snapshot': {
        const tree = this.#tree.copy();
        this.#awaitEffect(this.#env.config.snapshotMs(), () => {
          this.disk.writeSnapshot(tree);
          if (this.#undurableSnap !== null && tree.lastZxid >= this.#undurableSnap) this.#undurableSnap = null;
          this.#log(`sync snapshot written at ${hex(tree.lastZxid)}`);
        });
        return;
      }
      case 'fromLeader':
        return;
    }
  }

  #checkFollowerSend(watch: SyncWatch, message: QuorumMessage): void {
    const checker = this.#env.checker;
    if (message.kind === 'ackEpoch' && watch.leaderInfoEpoch !== null) checker.onAckEpoch(this, watch.leaderInfoEpoch);
    if (message.kind !== 'ack') return;
    if (counterOf(message.zxid) !== 0n) {
      checker.onProposalAck(this, message.zxid);
    } else if (!watch.newLeaderAcked) {
      watch.newLeaderAcked = true;
      checker.onNewLeaderAck(this, epochOf(message.zxid), watch.synced);
    }
  }

  #append(zxid: bigint, txn: string): void {
    this.#env.checker.onAppend(this.id, zxid, txn);
    // FileTxnLog.appendEncoded asserts increasing zxids; the assertion fails the effect.
    if (zxid <= this.#logLastAppended) throw new EffectFailure(`txns are appended in increasing zxid order (${hex(zxid)} after ${hex(this.#logLastAppended)})`);
    this.#logLastAppended = zxid;
    this.disk.log.push({ zxid, txn, state: 'memory', flush: 0, generation: this.#roleGeneration });
    this.#scheduleFlush();
    // DurableStorage: a snapshot every snapCount/2 + random(snapCount/2) txns.
    this.#txnsSinceSnapshot++;
    if (this.#txnsSinceSnapshot > Math.floor(this.#env.config.snapCount / 2) + this.#snapshotRoll) {
      this.#txnsSinceSnapshot = 0;
      this.#snapshotRoll = this.#drawRoll();
      this.#backgroundSnapshot();
    }
  }

  #drawRoll(): number {
    const half = Math.floor(this.#env.config.snapCount / 2);
    return half > 0 ? this.#env.prng.int(0, half - 1) : 0;
  }

  /** main.ts startSnapshot: a snapshot of the tree as it is, written in the background. */
  #backgroundSnapshot(): void {
    if (this.#snapshotInProgress) return;
    this.#snapshotInProgress = true;
    const tree = this.#tree.copy();
    const incarnation = this.#incarnation;
    this.#env.scheduler.after(this.#env.config.snapshotMs(), () => {
      if (!this.#alive(incarnation)) return;
      this.#snapshotInProgress = false;
      if (this.disk.writeSnapshot(tree)) this.#log(`background snapshot written at ${hex(tree.lastZxid)}`);
    });
  }

  #commit(role: Role, zxid: bigint, txn: string): void {
    const entry: Applied = { zxid, txn };
    if (role.kind === 'leading') this.#env.checker.onLeaderCommit(this.id, role.core.epoch ?? -1n, zxid, txn);
    this.#env.checker.onApply(this.id, this.#tree, entry);
    this.#tree.apply(entry);
    this.#committedLog.push(entry);
    if (this.#committedLog.length > COMMITTED_LOG_SIZE) this.#committedLog.shift();
    if (role.kind === 'leading') {
      const client = this.#leaderClients.get(zxid);
      if (client !== undefined) {
        this.#leaderClients.delete(zxid);
        if (client === txn) this.#env.onClientAck(this.id, txn, zxid);
      }
    } else if (this.#followerClients.delete(txn)) {
      this.#env.onClientAck(this.id, txn, zxid);
    }
  }

  #serve(epoch: bigint): void {
    (this.#election as FastLeaderElection).updateEstablishedEpoch(epoch);
    const role = this.#role;
    if (role.kind === 'looking') return;
    this.#setMode(role.kind);
    this.#log(`SERVING as ${role.kind} in epoch ${epoch}: tree ${this.#tree.txns.length}@${hex(this.#tree.lastZxid)}, lastLogged ${hex(this.#lastLoggedZxid)}`);
    this.#env.checker.onServing(this.id, role.kind, epoch, this.#tree, role.kind === 'leading' ? this.id : role.leader);
  }

  /** quorum-peer #scheduleFlush: one flush at a time, of every append not yet flushed. */
  #scheduleFlush(): void {
    if (this.#flushInFlight !== null) return;
    const id = this.#nextFlushId++;
    let target: bigint | null = null;
    for (const entry of this.disk.log) {
      if (entry.state !== 'memory') continue;
      entry.state = 'written';
      entry.flush = id;
      target = entry.zxid;
    }
    if (target === null) return;
    const flushed = target;
    const incarnation = this.#incarnation;
    this.#flushInFlight = id;
    this.#env.scheduler.after(this.#env.config.fsyncMs(), () => {
      if (!this.#alive(incarnation)) return;
      this.#flushInFlight = null;
      // A core hears only of its own appends (quorum-peer reports the batch's last append of the current role).
      let own: bigint | null = null;
      for (const entry of this.disk.log) {
        if (entry.flush !== id || entry.state !== 'written') continue;
        entry.state = 'durable';
        if (entry.generation === this.#roleGeneration) own = entry.zxid;
      }
      if (flushed > this.#lastLoggedZxid) this.#lastLoggedZxid = flushed;
      const role = this.#role;
      if (own !== null && role.kind === 'leading') {
        this.#log(`logged ${hex(own)} (flush ${id})`);
        role.core.logged(own);
        this.#run(role.core.takeEffects());
      } else if (own !== null && role.kind === 'following') {
        this.#log(`logged ${hex(own)} (flush ${id})`);
        role.core.logged(own);
        this.#run(role.core.takeEffects());
      }
      this.#scheduleFlush();
      for (const after of this.#afterFlush.splice(0)) after();
    });
  }

  /** quorum-peer #truncate: flush everything, cut the log, reload, and check where the reload landed. */
  #truncate(zxid: bigint): void {
    this.#chainBusy = true;
    this.#flushAll(() => {
      this.#chainBusy = false;
      this.#truncateNow(zxid);
      this.#drain();
    });
  }

  #truncateNow(zxid: bigint): void {
    this.#log(`TRUNC: dropping logged txns after ${hex(zxid)}`);
    const role = this.#role;
    const leader = role.kind === 'following' ? role.leader : -1n;
    const epoch = role.kind === 'following' ? role.core.epoch : -1n;
    this.#logLastAppended = zxid;
    this.#awaitEffect(this.#env.config.truncateMs(), () => {
      const before = this.disk.log;
      truncateAfter(this.disk, zxid);
      this.#env.checker.onTruncated(this.id, leader, epoch, before.filter((e) => !this.disk.log.includes(e)));
      let recovered: ReturnType<typeof recover>;
      try {
        recovered = recover(this.disk);
      } catch (error) {
        throw new EffectFailure(`recovery after TRUNC: ${(error as Error).message}`);
      }
      this.#reloaded(recovered);
      this.#log(`TRUNC done; ${this.disk.describeLog()}`);
      if (recovered.lastZxid !== zxid) {
        // quorum-peer: the log restarts after where the disk now ends.
        this.#logLastAppended = recovered.lastZxid;
        throw new EffectFailure(`TRUNC to ${hex(zxid)} reloaded the tree at ${hex(recovered.lastZxid)}`);
      }
    });
  }
}

/** quorum-peer COMMITTED_LOG_SIZE (3.8's zookeeper.commitLogCount). */
const COMMITTED_LOG_SIZE = 500;

/** An effect the shell could not carry out (quorum-peer's effect chain catches it and abandons). */
class EffectFailure extends Error {}

/**
 * The election port as src/quorum/election-transport.ts runs it: one connection per pair, opened by
 * the larger id (a connection from a smaller id is answered by connecting back), the newest unsent
 * notification kept per peer (or else the last one sent, again, on a new connection), bounded
 * back-off between attempts.
 */
class SimElectionTransport {
  readonly #env: PeerEnvironment;
  readonly #myId: bigint;
  readonly #incarnation: number;
  readonly #onMessage: (from: bigint, body: Buffer) => void;
  readonly #links = new Map<bigint, SimSocket>();
  readonly #pending = new Map<bigint, Buffer>();
  readonly #lastSent = new Map<bigint, Buffer>();
  readonly #connecting = new Set<bigint>();
  readonly #backoffMs = new Map<bigint, number>();
  readonly #nextAttemptMs = new Map<bigint, number>();

  constructor(env: PeerEnvironment, myId: bigint, incarnation: number, onMessage: (from: bigint, body: Buffer) => void) {
    this.#env = env;
    this.#myId = myId;
    this.#incarnation = incarnation;
    this.#onMessage = onMessage;
  }

  listen(): void {
    this.#env.network.listen('election', this.#myId, this.#incarnation, (socket) => this.#accept(socket));
  }

  send(to: bigint, body: Buffer): void {
    if (to === this.#myId) return;
    this.#lastSent.set(to, body);
    const link = this.#links.get(to);
    if (link !== undefined && !link.destroyed) {
      link.write({ kind: 'bytes', bytes: body });
      return;
    }
    this.#pending.set(to, body);
    this.connect(to, true);
  }

  connectAll(): void {
    for (const sid of this.#env.members) if (sid !== this.#myId) this.connect(sid, false);
  }

  connect(sid: bigint, urgent: boolean): void {
    if (this.#links.has(sid) || this.#connecting.has(sid)) return;
    const now = this.#env.scheduler.now;
    if (!urgent && now < (this.#nextAttemptMs.get(sid) ?? 0)) return;
    this.#connecting.add(sid);
    this.#env.network.connect(
      'election',
      this.#myId,
      this.#incarnation,
      sid,
      5000,
      (socket) => {
        this.#connecting.delete(sid);
        this.#backoffMs.delete(sid);
        socket.write({ kind: 'hello', sid: this.#myId });
        if (sid > this.#myId) {
          socket.end();
          return;
        }
        this.#adopt(sid, socket);
      },
      () => {
        this.#connecting.delete(sid);
        const backoff = Math.min((this.#backoffMs.get(sid) ?? 100) * 2, 2000);
        this.#backoffMs.set(sid, backoff);
        this.#nextAttemptMs.set(sid, this.#env.scheduler.now + backoff);
      },
    );
  }

  #accept(socket: SimSocket): void {
    socket.onData = (frame: Frame): void => {
      if (frame.kind !== 'hello') {
        socket.destroy();
        return;
      }
      socket.onData = null;
      if (frame.sid < this.#myId) {
        socket.end();
        this.connect(frame.sid, true);
        return;
      }
      this.#adopt(frame.sid, socket);
    };
  }

  #adopt(sid: bigint, socket: SimSocket): void {
    const previous = this.#links.get(sid);
    if (previous !== undefined && previous !== socket) previous.destroy();
    this.#links.set(sid, socket);
    socket.onData = (frame: Frame): void => {
      if (frame.kind === 'bytes') this.#onMessage(sid, frame.bytes);
    };
    socket.onClose = (): void => {
      if (this.#links.get(sid) === socket) this.#links.delete(sid);
    };
    const queued = this.#pending.get(sid) ?? this.#lastSent.get(sid);
    this.#pending.delete(sid);
    if (queued !== undefined) socket.write({ kind: 'bytes', bytes: queued });
  }
}
