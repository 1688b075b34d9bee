// The election port (3888) as 3.8's QuorumCnxManager runs it: one connection per pair of servers,
// and of two simultaneous connections only the one opened by the larger server id survives (a
// connection from a smaller id is closed and answered by connecting back). Peers' host names are
// resolved again on every attempt, so a pod that returns with a new IP is found; failed attempts
// back off (bounded) per peer, and an unreachable peer never blocks the others. Only the newest
// unsent notification per peer is kept, as 3.8's send queue of capacity one does; a new connection
// with nothing queued carries the last notification sent again, as 3.8's SendWorker does, since the
// old connection may have closed before the peer read it.

import * as net from 'node:net';
import type { Logger } from '../logging/logger.js';
import { decodeInitialMessage, encodeInitialMessage } from '../zab/election/notification.js';

export interface ElectionPeer {
  readonly sid: bigint;
  readonly host: string;
  readonly port: number;
}

export interface ElectionTransportOptions {
  readonly myId: bigint;
  /** Where we listen (3.8 binds its own address unless quorumListenOnAllIPs; we bind all by default). */
  readonly listenHost: string;
  readonly listenPort: number;
  /** The address we announce in the initial message ("host:port"). */
  readonly announcedAddress: string;
  readonly peers: readonly ElectionPeer[];
  readonly connectTimeoutMs: number;
  readonly maxBackoffMs: number;
  readonly maxMessageBytes: number;
  /** The server's monotonic clock (ms): back-off must not jump with the wall clock. */
  readonly monotonicMs: () => number;
}

interface Link {
  socket: net.Socket;
  buffered: Buffer;
}

export class ElectionTransport {
  readonly #options: ElectionTransportOptions;
  readonly #logger: Logger;
  readonly #onMessage: (from: bigint, body: Buffer) => void;
  readonly #links = new Map<bigint, Link>();
  readonly #pendingSend = new Map<bigint, Buffer>();
  readonly #lastSent = new Map<bigint, Buffer>();
  readonly #connecting = new Set<bigint>();
  readonly #backoffMs = new Map<bigint, number>();
  readonly #nextAttemptMs = new Map<bigint, number>();
  readonly #server: net.Server;
  #peers: readonly ElectionPeer[];
  #closed = false;

  constructor(options: ElectionTransportOptions, onMessage: (from: bigint, body: Buffer) => void, logger: Logger) {
    this.#options = options;
    this.#peers = options.peers;
    this.#onMessage = onMessage;
    this.#logger = logger;
    this.#server = net.createServer((socket) => this.#accept(socket));
    this.#server.on('error', (error) => this.#logger.error({ err: error }, 'election port error'));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.listenPort, this.#options.listenHost, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const link of this.#links.values()) link.socket.destroy();
    this.#links.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #peer(sid: bigint): ElectionPeer | undefined {
    return this.#peers.find((p) => p.sid === sid);
  }

  /**
   * The members changed (a reconfig was seen or activated): new members are connected to from now
   * on (3.8's connectNewPeers); links to members that left stay until they close.
   */
  setPeers(peers: readonly ElectionPeer[]): void {
    this.#peers = peers;
  }

  /** Sends a notification body (framed with its length); connects first when needed. */
  send(to: bigint, body: Buffer): void {
    if (to === this.#options.myId) return;
    const frame = Buffer.alloc(4 + body.length);
    frame.writeInt32BE(body.length, 0);
    body.copy(frame, 4);
    this.#lastSent.set(to, frame);
    const link = this.#links.get(to);
    if (link !== undefined && !link.socket.destroyed) {
      link.socket.write(frame);
      return;
    }
    this.#pendingSend.set(to, frame);
    this.connect(to, true);
  }

  /** Connects to every known peer not connected yet (3.8's connectAll). */
  connectAll(): void {
    for (const peer of this.#peers) if (peer.sid !== this.#options.myId) this.connect(peer.sid, false);
  }

  connect(sid: bigint, urgent: boolean): void {
    if (this.#closed || this.#links.has(sid) || this.#connecting.has(sid)) return;
    const peer = this.#peer(sid);
    if (peer === undefined) return;
    const now = this.#options.monotonicMs();
    if (!urgent && now < (this.#nextAttemptMs.get(sid) ?? 0)) return;
    this.#connecting.add(sid);
    // net.connect resolves the host name on every attempt: no stale addresses are kept.
    const socket = net.connect({ host: peer.host, port: peer.port, timeout: this.#options.connectTimeoutMs });
    socket.setNoDelay(true);
    const fail = (reason: string): void => {
      this.#connecting.delete(sid);
      socket.destroy();
      const backoff = Math.min((this.#backoffMs.get(sid) ?? 100) * 2, this.#options.maxBackoffMs);
      this.#backoffMs.set(sid, backoff);
      this.#nextAttemptMs.set(sid, this.#options.monotonicMs() + backoff);
      this.#logger.debug({ peer: sid.toString(), host: peer.host, port: peer.port, reason, backoffMs: backoff }, 'cannot open election channel');
    };
    socket.once('timeout', () => fail('timeout'));
    socket.once('error', (error) => fail(error.message));
    socket.once('connect', () => {
      this.#connecting.delete(sid);
      socket.setTimeout(0);
      socket.removeAllListeners('error');
      socket.removeAllListeners('timeout');
      // From here on a reset is just a closed link (3.8 handles each connection's I/O errors alone).
      socket.on('error', () => socket.destroy());
      this.#backoffMs.delete(sid);
      socket.write(encodeInitialMessage(this.#options.myId, [this.#options.announcedAddress]));
      if (sid > this.#options.myId) {
        // The larger id keeps the connection it opens: we wait for it to connect to us.
        socket.end();
        return;
      }
      this.#adopt(sid, socket);
    });
  }

  #accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const initial = decodeInitialMessage(buffered);
      if (initial.kind === 'incomplete') return;
      socket.off('data', onData);
      if (initial.kind === 'invalid') {
        this.#logger.warn({ remote: socket.remoteAddress, reason: initial.reason }, 'bad initial message on the election port');
        socket.destroy();
        return;
      }
      const sid = initial.serverId;
      const rest = buffered.subarray(initial.bytes);
      if (sid < this.#options.myId) {
        // Only the connection opened by the larger id survives: close and connect back.
        socket.end();
        this.connect(sid, true);
        return;
      }
      this.#adopt(sid, socket, rest);
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
  }

  #adopt(sid: bigint, socket: net.Socket, initial: Buffer = Buffer.alloc(0)): void {
    const previous = this.#links.get(sid);
    if (previous !== undefined && previous.socket !== socket) previous.socket.destroy();
    const link: Link = { socket, buffered: Buffer.alloc(0) };
    this.#links.set(sid, link);
    socket.on('data', (chunk: Buffer) => this.#receive(sid, link, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.#links.get(sid) === link) this.#links.delete(sid);
    });
    const queued = this.#pendingSend.get(sid) ?? this.#lastSent.get(sid);
    this.#pendingSend.delete(sid);
    if (queued !== undefined) socket.write(queued);
    if (initial.length > 0) this.#receive(sid, link, initial);
  }

  #receive(sid: bigint, link: Link, chunk: Buffer): void {
    link.buffered = link.buffered.length === 0 ? chunk : Buffer.concat([link.buffered, chunk]);
    while (link.buffered.length >= 4) {
      const length = link.buffered.readInt32BE(0);
      if (length <= 0 || length > this.#options.maxMessageBytes) {
        this.#logger.warn({ peer: sid.toString(), length }, 'bad election message length; dropping the connection');
        link.socket.destroy();
        return;
      }
      if (link.buffered.length < 4 + length) return;
      const body = Buffer.from(link.buffered.subarray(4, 4 + length));
      link.buffered = link.buffered.subarray(4 + length);
      this.#onMessage(sid, body);
    }
  }

  /** Whether every queued notification was handed to a connection (3.8's haveDelivered). */
  haveDelivered(): boolean {
    return this.#pendingSend.size === 0;
  }

  connectedPeers(): bigint[] {
    return [...this.#links.keys()];
  }
}
