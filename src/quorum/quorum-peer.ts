// The shell of one ensemble member: it runs leader election, then leads or follows, and goes back
// to election whenever the role ends. The decisions are the pure cores' (FastLeaderElection,
// LeaderCore, FollowerCore); this module owns the sockets, the files and the clock, and carries out
// the cores' effects strictly in order (an epoch or snapshot write finishes before the packet that
// depends on it is sent). Clients are served only while leading or following.

import * as net from 'node:net';
import type { Logger } from '../logging/logger.js';
import type { Clock } from '../replica/ports.js';
import type { Replica } from '../replica/replica.js';
import type { DurableStorage } from '../storage/durable-storage.js';
import { recover } from '../storage/recovery.js';
import { writeSnapshot } from '../storage/snapshotter.js';
import type { FileTxnLog } from '../storage/txn-log.js';
import { truncateAfter } from '../storage/truncate.js';
import { DataTree } from '../tree/data-tree.js';
import { decodeTxn, encodeTxn } from '../txn/txn.js';
import { FastLeaderElection, type Decision, type ElectionOutput } from '../zab/election/fast-leader-election.js';
import { decodeNotification, encodeNotification } from '../zab/election/notification.js';
import { hex, zxidOf, type ZabEffect } from '../zab/effects.js';
import { FollowerCore } from '../zab/follower.js';
import { LeaderCore } from '../zab/leader.js';
import { encodeQuorumMessage, fromPacket, PacketType, QuorumPacketDecoder, type QuorumMessage } from '../zab/messages.js';
import { OpCode } from '../protocol/op-code.js';
import { ElectionTransport } from './election-transport.js';
import { ACCEPTED_EPOCH_FILE, clearEpochUpdating, CURRENT_EPOCH_FILE, loadEpochs, markEpochUpdating, writeEpoch } from './epoch-files.js';
import { encodeWireSnapshot, WireSnapshotReader, type WireSnapshot } from './wire-snapshot.js';

export interface QuorumMember {
  readonly id: bigint;
  readonly host: string;
  readonly quorumPort: number;
  readonly electionPort: number;
  readonly participant: boolean;
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
  readonly maxPacketBytes: number;
  /** The last txns replayed at start, for DIFF syncs once this member leads. */
  readonly recentTxns: readonly { zxid: bigint; txn: Buffer }[];
}

/** How many committed txns are kept for DIFF syncs (3.8's zookeeper.commitLogCount). */
const COMMITTED_LOG_SIZE = 500;

type Role =
  | { readonly kind: 'looking' }
  | { readonly kind: 'leading'; readonly core: LeaderCore; readonly server: net.Server; readonly links: Map<bigint, net.Socket> }
  | { readonly kind: 'following'; readonly core: FollowerCore; readonly socket: net.Socket; readonly leader: bigint };

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

  constructor(options: QuorumPeerOptions, parts: { replica: Replica; storage: DurableStorage; log: FileTxnLog; clock: Clock; logger: Logger }) {
    this.#options = options;
    this.#replica = parts.replica;
    this.#storage = parts.storage;
    this.#log = parts.log;
    this.#clock = parts.clock;
    this.#logger = parts.logger;
    this.#lastLoggedZxid = parts.replica.tree.lastProcessedZxid;
    this.#committedLog = [...options.recentTxns];
    const epochs = loadEpochs(options.snapDirectory, this.#lastLoggedZxid);
    this.#acceptedEpoch = epochs.acceptedEpoch;
    this.#currentEpoch = epochs.currentEpoch;
    const voters = new Set(options.members.filter((m) => m.participant).map((m) => m.id));
    const me = options.members.find((m) => m.id === options.myId);
    if (me === undefined) throw new Error(`myid ${options.myId} is not in the server list`);
    this.#election = new FastLeaderElection({
      myId: options.myId,
      voters,
      participant: me.participant,
      finalizeWaitMs: 200,
      minNotificationIntervalMs: 200,
      maxNotificationIntervalMs: 60_000,
      config: Buffer.from(options.configText, 'utf8'),
    });
    this.#transport = new ElectionTransport(
      {
        myId: options.myId,
        listenHost: options.listenHost,
        listenPort: me.electionPort,
        announcedAddress: `${me.host}:${me.electionPort}`,
        peers: options.members.map((m) => ({ sid: m.id, host: m.host, port: m.electionPort })),
        connectTimeoutMs: 5000,
        maxBackoffMs: 2000,
        maxMessageBytes: 512 * 1024,
      },
      (from, body) => this.#onNotification(from, body),
      parts.logger.child({ component: 'election' }),
    );
  }

  get state(): 'looking' | 'leading' | 'following' {
    return this.#role.kind;
  }

  /** Followers and pending syncs, for `mntr` and `stat` on the leader. */
  leaderView(): { sid: bigint; observer: boolean; phase: string }[] | null {
    return this.#role.kind === 'leading' ? this.#role.core.learners() : null;
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

  #lookForLeader(): void {
    if (this.#stopped) return;
    this.#betweenRoles = false;
    this.#role = { kind: 'looking' };
    this.#replica.setMode({ kind: 'notServing' });
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
    this.#handleElection(this.#election.receive(this.#clock.monotonicMs(), from, notification));
  }

  #handleElection(output: ElectionOutput): void {
    for (const { to, notification } of output.send) this.#transport.send(to, encodeNotification(notification));
    if (output.connectAll) this.#transport.connectAll();
    if (output.decision !== null && this.#role.kind === 'looking') this.#onDecision(output.decision);
  }

  #onDecision(decision: Decision): void {
    this.#logger.info({ leader: decision.leader.toString(), role: decision.role, electionEpoch: decision.electionEpoch.toString() }, 'election decided');
    this.#roleGeneration++;
    if (decision.role === 'leading') this.#lead();
    else this.#follow(decision.leader);
  }

  #tick(): void {
    const now = this.#clock.monotonicMs();
    switch (this.#role.kind) {
      case 'looking':
        this.#handleElection(this.#election.tick(now));
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
    this.#lastLoggedZxid = recovered.lastZxid;
    this.#committedLog = [...recovered.recentTxns];
    this.#undurableSnapZxid = null;
  }

  // ---- leading -----------------------------------------------------------------------------------

  #lead(): void {
    const me = this.#options.members.find((m) => m.id === this.#options.myId);
    if (me === undefined) return;
    const core = new LeaderCore(
      {
        myId: this.#options.myId,
        voters: new Set(this.#options.members.filter((m) => m.participant).map((m) => m.id)),
        tickTimeMs: this.#options.tickTimeMs,
        initLimitTicks: this.#options.initLimitTicks,
        syncLimitTicks: this.#options.syncLimitTicks,
        committedLogSize: COMMITTED_LOG_SIZE,
        config: Buffer.from(this.#options.configText, 'utf8'),
      },
      {
        nowMs: this.#clock.monotonicMs(),
        acceptedEpoch: this.#acceptedEpoch,
        currentEpoch: this.#currentEpoch,
        lastZxid: this.#lastLoggedZxid,
        committedLog: this.#committedLog.filter((entry) => entry.zxid <= this.#lastLoggedZxid),
      },
    );
    const links = new Map<bigint, net.Socket>();
    const server = net.createServer((socket) => this.#acceptLearner(core, links, socket));
    server.on('error', (error) => this.#abandon(`quorum port: ${error.message}`));
    server.listen(me.quorumPort, this.#options.listenHost);
    this.#role = { kind: 'leading', core, server, links };
    this.#logger.info({ port: me.quorumPort }, 'LEADING');
    this.#run(core.takeEffects());
  }

  #acceptLearner(core: LeaderCore, links: Map<bigint, net.Socket>, socket: net.Socket): void {
    socket.setNoDelay(true);
    const decoder = new QuorumPacketDecoder(this.#options.maxPacketBytes);
    let sid: bigint | null = null;
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
          this.#logger.info({ learner: sid.toString(), observer: message.observer }, 'learner connected');
        }
        if (message.kind === 'revalidate') {
          // A client moved to this learner: the session is valid if the leader still tracks it.
          const valid = this.#replica.sessions.touch(message.sessionId, this.#clock.monotonicMs(), message.timeoutMs);
          socket.write(encodeQuorumMessage({ kind: 'revalidateReply', sessionId: message.sessionId, valid }));
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
          });
        }
        core.receive(this.#clock.monotonicMs(), sid, message);
      }
      this.#run(core.takeEffects());
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (sid !== null && links.get(sid) === socket) {
        links.delete(sid);
        core.learnerDisconnected(sid);
        this.#logger.info({ learner: sid.toString() }, 'learner disconnected');
      }
    });
  }

  // ---- following ---------------------------------------------------------------------------------

  #follow(leaderId: bigint): void {
    const leader = this.#options.members.find((m) => m.id === leaderId);
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
      const me = this.#options.members.find((m) => m.id === this.#options.myId);
      const core = new FollowerCore(
        {
          myId: this.#options.myId,
          leaderId: leader.id,
          observer: me?.participant === false,
          tickTimeMs: this.#options.tickTimeMs,
          initLimitTicks: this.#options.initLimitTicks,
          syncLimitTicks: this.#options.syncLimitTicks,
          configVersion: 0n,
        },
        { nowMs: this.#clock.monotonicMs(), acceptedEpoch: this.#acceptedEpoch, currentEpoch: this.#currentEpoch, lastLoggedZxid: this.#lastLoggedZxid },
      );
      this.#role = { kind: 'following', core, socket, leader: leader.id };
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
    const tree = new DataTree({ extendedTypesEnabled: this.#options.extendedTypesEnabled });
    const problem = tree.loadSnapshot(snapshot.acls, snapshot.nodes);
    if (problem !== null) {
      this.#abandon(`the leader's snapshot is malformed: ${problem}`);
      return;
    }
    tree.lastProcessedZxid = zxid;
    this.#replica.replaceState(tree, new Map(snapshot.sessions));
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
    this.#effectChain = this.#effectChain
      .then(async () => {
        for (const effect of effects) {
          // A role that ended takes its remaining effects with it (its abandon included).
          if (generation !== this.#roleGeneration) return;
          await this.#execute(effect);
        }
      })
      .catch((error: unknown) => {
        this.#logger.error({ err: error }, 'effect failed');
        this.#abandon(`effect failed: ${error instanceof Error ? error.message : String(error)}`);
      });
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
        if (role.kind === 'leading') this.#replica.committedUpTo(effect.zxid);
        else this.#replica.applyCommitted(decodeTxn(effect.txn));
        this.#committedLog.push({ zxid: effect.zxid, txn: effect.txn });
        if (this.#committedLog.length > COMMITTED_LOG_SIZE) this.#committedLog.shift();
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
        return;
    }
  }

  #serve(epoch: bigint): void {
    this.#election.updateEstablishedEpoch(epoch);
    const role = this.#role;
    if (role.kind === 'leading') {
      const core = role.core;
      this.#replica.setMode(
        {
          kind: 'leading',
          propose: (txn) => {
            core.propose(txn.header.zxid, encodeTxn(txn));
            this.#run(core.takeEffects());
          },
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
      });
    }
    this.#logger.info({ epoch: epoch.toString(), role: role.kind }, 'serving clients');
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
    if (this.#lastLoggedZxid !== zxid) throw new Error(`TRUNC to ${hex(zxid)} reloaded the tree at ${hex(this.#lastLoggedZxid)}`);
  }
}
