// The simulated network: TCP-like connections between peers. Each direction of a connection is FIFO
// with a random delay per frame; nothing is lost silently. A connection ends only by a close that
// both sides notice (a local destroy, a graceful end, a reset by the network, or a crashed peer),
// and frames still in flight at a destroy or reset are lost. A partition does not close anything:
// frames across it wait (as TCP retransmits) and arrive after the heal, in order, unless a side
// gives up and closes first; the far side of such a close hears of it at the heal. Connection
// attempts across a partition retry their SYN on Linux's schedule and time out after 127 s (or the
// caller's timeout), as a real connect does.

import type { Prng } from './prng.js';
import type { Scheduler, Trace } from './scheduler.js';
import type { TreeState } from './model.js';

export type Frame =
  /** Bytes of a stream protocol (quorum packets, framed election notifications). */
  | { readonly kind: 'bytes'; readonly bytes: Buffer }
  /** The leader's tree, streamed after a SNAP packet. */
  | { readonly kind: 'snapshot'; readonly tree: TreeState }
  /** The election port's initial message (the connecting server's id). */
  | { readonly kind: 'hello'; readonly sid: bigint }
  /** A graceful end of the sender's side. */
  | { readonly kind: 'fin' };

export type ConnectionKind = 'quorum' | 'election';

export class SimSocket {
  onData: ((frame: Frame) => void) | null = null;
  onClose: (() => void) | null = null;
  #ended = false;

  constructor(
    readonly connection: Connection,
    readonly side: 0 | 1,
  ) {}

  get owner(): bigint {
    return this.connection.sids[this.side];
  }

  get remote(): bigint {
    return this.connection.sids[this.side === 0 ? 1 : 0];
  }

  /** Whether writes still go anywhere (3.8 would see a destroyed socket). */
  get destroyed(): boolean {
    return !this.connection.open || this.#ended;
  }

  write(frame: Frame): void {
    if (this.destroyed) return;
    this.connection.network.send(this.connection, this.side, frame);
  }

  destroy(): void {
    this.connection.network.destroy(this.connection, this.side);
  }

  /** A graceful close: what was written still arrives, then both sides see the close. */
  end(): void {
    if (this.destroyed) return;
    this.connection.network.send(this.connection, this.side, { kind: 'fin' });
    this.#ended = true;
  }
}

export class Connection {
  open = true;
  readonly sockets: readonly [SimSocket, SimSocket];
  /** Per sending side: when its last frame is due (FIFO). */
  readonly lastAt: [number, number] = [0, 0];
  /** Per sending side: frames waiting for a partition to heal. */
  readonly held: [Frame[], Frame[]] = [[], []];
  /** Per receiving side: whether it has been told of the close (or cannot be: it crashed). */
  readonly closeNotified: [boolean, boolean] = [false, false];
  /** Per receiving side: a close notice waiting for a partition to heal. */
  readonly closeHeld: [boolean, boolean] = [false, false];

  constructor(
    readonly network: Network,
    readonly id: number,
    readonly kind: ConnectionKind,
    /** [initiator, acceptor] */
    readonly sids: readonly [bigint, bigint],
    readonly incarnations: readonly [number, number],
  ) {
    this.sockets = [new SimSocket(this, 0), new SimSocket(this, 1)];
  }

  describe(): string {
    return `${this.kind}#${this.id}(${this.sids[0]}→${this.sids[1]})`;
  }
}

export interface NetworkOptions {
  /** One frame's one-way delay in ms. */
  readonly delayMs: () => number;
}

export type Listener = (socket: SimSocket) => void;

/** Linux's SYN retransmission times (1 s doubling, 6 retries), after which connect fails. */
const SYN_RETRY_OFFSETS_MS = [1000, 3000, 7000, 15000, 31000, 63000];
const SYN_GIVE_UP_MS = 127000;

export class Network {
  readonly #scheduler: Scheduler;
  readonly #options: NetworkOptions;
  readonly #trace: Trace;
  readonly #listeners = new Map<string, { incarnation: number; listener: Listener }>();
  readonly #connections = new Set<Connection>();
  #groups: ReadonlyMap<bigint, number> | null = null;
  #nextId = 1;
  /** Which incarnation of each peer is running (a crashed peer has none). */
  readonly #running = new Map<bigint, number>();

  constructor(scheduler: Scheduler, _prng: Prng, options: NetworkOptions, trace: Trace) {
    this.#scheduler = scheduler;
    this.#options = options;
    this.#trace = trace;
  }

  get partitioned(): boolean {
    return this.#groups !== null;
  }

  describePartition(): string {
    if (this.#groups === null) return 'none';
    const byGroup = new Map<number, bigint[]>();
    for (const [sid, group] of this.#groups) byGroup.set(group, [...(byGroup.get(group) ?? []), sid]);
    return [...byGroup.values()].map((g) => `{${g.join(',')}}`).join(' | ');
  }

  isCut(a: bigint, b: bigint): boolean {
    if (this.#groups === null) return false;
    return this.#groups.get(a) !== this.#groups.get(b);
  }

  setRunning(sid: bigint, incarnation: number | null): void {
    if (incarnation === null) this.#running.delete(sid);
    else this.#running.set(sid, incarnation);
  }

  #alive(sid: bigint, incarnation: number): boolean {
    return this.#running.get(sid) === incarnation;
  }

  listen(kind: ConnectionKind, sid: bigint, incarnation: number, listener: Listener): void {
    this.#listeners.set(`${kind}:${sid}`, { incarnation, listener });
  }

  unlisten(kind: ConnectionKind, sid: bigint, listener?: Listener): void {
    const key = `${kind}:${sid}`;
    if (listener === undefined || this.#listeners.get(key)?.listener === listener) this.#listeners.delete(key);
  }

  openConnections(): Connection[] {
    return [...this.#connections].filter((c) => c.open);
  }

  /**
   * Opens a connection; exactly one of the callbacks runs, unless the initiator crashes first.
   * `timeoutMs` null means the OS default (SYN retries, then ETIMEDOUT after 127 s).
   */
  connect(
    kind: ConnectionKind,
    from: bigint,
    fromIncarnation: number,
    to: bigint,
    timeoutMs: number | null,
    onConnect: (socket: SimSocket) => void,
    onError: (reason: string) => void,
  ): void {
    const startedAt = this.#scheduler.now;
    let finished = false;
    const fail = (reason: string): void => {
      if (finished || !this.#alive(from, fromIncarnation)) return;
      finished = true;
      onError(reason);
    };
    if (timeoutMs !== null) this.#scheduler.at(startedAt + timeoutMs, () => fail('timeout'));
    let retry = 0;
    const attempt = (): void => {
      if (finished || !this.#alive(from, fromIncarnation)) return;
      if (this.isCut(from, to)) {
        const offset = SYN_RETRY_OFFSETS_MS[retry++];
        if (offset === undefined) this.#scheduler.at(startedAt + SYN_GIVE_UP_MS, () => fail('ETIMEDOUT'));
        else this.#scheduler.at(startedAt + offset, attempt);
        return;
      }
      const there = this.#options.delayMs();
      const back = this.#options.delayMs();
      this.#scheduler.after(there, () => {
        if (finished || !this.#alive(from, fromIncarnation)) return;
        if (this.isCut(from, to)) {
          const offset = SYN_RETRY_OFFSETS_MS[retry++];
          if (offset === undefined) this.#scheduler.at(startedAt + SYN_GIVE_UP_MS, () => fail('ETIMEDOUT'));
          else this.#scheduler.at(Math.max(this.#scheduler.now, startedAt + offset), attempt);
          return;
        }
        const entry = this.#listeners.get(`${kind}:${to}`);
        if (entry === undefined || !this.#alive(to, entry.incarnation)) {
          this.#scheduler.after(back, () => fail('ECONNREFUSED'));
          return;
        }
        finished = true;
        const connection = new Connection(this, this.#nextId++, kind, [from, to], [fromIncarnation, entry.incarnation]);
        this.#connections.add(connection);
        // The acceptor's first frames cannot overtake the SYN-ACK.
        connection.lastAt[1] = this.#scheduler.now + back;
        entry.listener(connection.sockets[1]);
        this.#scheduler.after(back, () => {
          if (!this.#alive(from, fromIncarnation)) return;
          if (!connection.open) {
            // Closed (by the acceptor or the network) before the SYN-ACK arrived.
            onError('ECONNRESET');
            return;
          }
          onConnect(connection.sockets[0]);
        });
      });
    };
    this.#scheduler.after(0, attempt);
  }

  send(connection: Connection, side: 0 | 1, frame: Frame): void {
    if (!connection.open) return;
    const held = connection.held[side];
    if (held.length > 0 || this.isCut(connection.sids[0], connection.sids[1])) {
      held.push(frame);
      return;
    }
    this.#schedule(connection, side, frame);
  }

  #schedule(connection: Connection, side: 0 | 1, frame: Frame): void {
    const at = Math.max(this.#scheduler.now + this.#options.delayMs(), connection.lastAt[side]);
    connection.lastAt[side] = at;
    const receiver = side === 0 ? 1 : 0;
    this.#scheduler.at(at, () => {
      if (!connection.open) return;
      if (frame.kind === 'fin') {
        this.#close(connection);
        this.#notifyClose(connection, receiver, 0, false);
        this.#notifyClose(connection, side, 0, false);
        return;
      }
      if (!this.#alive(connection.sids[receiver], connection.incarnations[receiver])) return;
      connection.sockets[receiver].onData?.(frame);
    });
  }

  #close(connection: Connection): void {
    connection.open = false;
    connection.held[0] = [];
    connection.held[1] = [];
    this.#connections.delete(connection);
  }

  /** Tells `side` of the close; a notice that must cross the network waits for the heal. */
  #notifyClose(connection: Connection, side: 0 | 1, delayMs: number, crossesNetwork: boolean): void {
    if (connection.closeNotified[side]) return;
    if (crossesNetwork && this.isCut(connection.sids[0], connection.sids[1])) {
      connection.closeHeld[side] = true;
      this.#connections.add(connection);
      return;
    }
    connection.closeNotified[side] = true;
    this.#scheduler.after(delayMs, () => {
      if (!this.#alive(connection.sids[side], connection.incarnations[side])) return;
      connection.sockets[side].onClose?.();
    });
  }

  /** socket.destroy(): the local side sees the close at once, the far side after a delay (or the heal). */
  destroy(connection: Connection, side: 0 | 1): void {
    if (!connection.open) {
      // The far side closed first and its notice is still on the way: ours comes now.
      connection.closeHeld[side] = false;
      this.#notifyClose(connection, side, 0, false);
      return;
    }
    this.#close(connection);
    this.#notifyClose(connection, side, 0, false);
    this.#notifyClose(connection, side === 0 ? 1 : 0, this.#options.delayMs(), true);
  }

  /** The network breaks a connection: both sides see the close. */
  reset(connection: Connection): void {
    if (!connection.open) return;
    this.#trace.log(`net: reset ${connection.describe()}`);
    this.#close(connection);
    this.#notifyClose(connection, 0, this.#options.delayMs(), false);
    this.#notifyClose(connection, 1, this.#options.delayMs(), false);
  }

  /** A peer crashed: its connections are gone; the far sides hear of it (after the heal if cut). */
  crash(sid: bigint): void {
    this.setRunning(sid, null);
    for (const key of [...this.#listeners.keys()]) if (key.endsWith(`:${sid}`)) this.#listeners.delete(key);
    for (const connection of [...this.#connections]) {
      const side = connection.sids[0] === sid ? 0 : connection.sids[1] === sid ? 1 : null;
      if (side === null) continue;
      if (connection.open) {
        this.#close(connection);
        connection.closeNotified[side] = true;
        this.#notifyClose(connection, side === 0 ? 1 : 0, this.#options.delayMs(), true);
      } else {
        connection.closeNotified[side] = true;
      }
    }
  }

  /** Replaces the partition (null heals it); whatever waited on a pair that is whole again moves. */
  setPartition(groups: ReadonlyMap<bigint, number> | null): void {
    this.#groups = groups;
    for (const connection of [...this.#connections]) {
      if (this.isCut(connection.sids[0], connection.sids[1])) continue;
      for (const side of [0, 1] as const) {
        const held = connection.held[side];
        connection.held[side] = [];
        if (connection.open) for (const frame of held) this.#schedule(connection, side, frame);
        if (connection.closeHeld[side]) {
          connection.closeHeld[side] = false;
          this.#notifyClose(connection, side, this.#options.delayMs(), true);
        }
      }
      if (!connection.open && !connection.closeHeld[0] && !connection.closeHeld[1]) this.#connections.delete(connection);
    }
  }
}
