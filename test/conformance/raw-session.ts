/**
 * A deliberately dumb ZooKeeper client session for conformance tests: it speaks the wire protocol
 * with the project's jute codec, never retries, never pings on its own, never reconnects, and
 * records every frame it receives in arrival order. Requests are opcode + already-encoded request
 * record bytes, so tests can send anything, including malformed input.
 */
import { connect, type Socket } from 'node:net';
import {
  FrameDecoder,
  JuteReader,
  JuteWriter,
  encodeFrame,
  readConnectResponse,
  readReplyHeader,
  readWatcherEvent,
  writeAuthPacket,
  writeConnectRequest,
  writeRequestHeader,
  type ConnectResponse,
  type ReplyHeader,
  type WatcherEvent,
} from '../../src/jute/index.js';

export interface Target {
  host: string;
  port: number;
}

export interface ConnectOptions {
  /** Requested session timeout in ms (default 30000). */
  timeOut?: number;
  /** 0n (default) asks for a new session; otherwise reattach to this one. */
  sessionId?: bigint;
  /** Session password (16 zero bytes by default, as real clients send for a new session). */
  passwd?: Uint8Array | null;
  lastZxidSeen?: bigint;
  protocolVersion?: number;
  /** The trailing readOnly flag; `null` leaves it out as pre-3.4 clients (and node-zookeeper-client) do. */
  readOnly?: boolean | null;
  /** How long to wait for TCP connect + ConnectResponse (default 10 s). */
  connectTimeoutMs?: number;
}

export interface HandshakeResult extends ConnectResponse {
  /** The trailing readOnly flag, or undefined when the server did not send one. */
  readOnly: boolean | undefined;
  /** Raw ConnectResponse body (without the length prefix). */
  raw: Buffer;
}

export interface RawReply {
  header: ReplyHeader;
  /** Bytes after the ReplyHeader (may be empty, e.g. for errors). */
  body: Buffer;
}

export type InboundFrame =
  | { kind: 'reply'; seq: number; header: ReplyHeader; body: Buffer }
  | { kind: 'notification'; seq: number; header: ReplyHeader; event: WatcherEvent; body: Buffer };

export class ConnectionClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionClosedError';
  }
}

export class ReplyTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyTimeoutError';
  }
}

interface Waiter {
  resolve: (reply: RawReply) => void;
  reject: (err: Error) => void;
}

/** Special xids used by real clients. */
export const XID_NOTIFICATION = -1;
export const XID_PING = -2;
export const XID_AUTH = -4;
export const XID_SET_WATCHES = -8;

export const OP_PING = 11;
export const OP_CLOSE_SESSION = -11;
export const OP_AUTH = 100;

const DEFAULT_TIMEOUT_MS = 10_000;
/** Larger than any reply the conformance scenarios provoke; replies up to jute.maxbuffer + slack. */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export class RawSession {
  /** Every frame received after the handshake, in arrival order. */
  readonly inbound: InboundFrame[] = [];
  readonly handshake: HandshakeResult;
  /** Resolves when the TCP connection has closed (by either side). */
  readonly closed: Promise<void>;

  private readonly socket: Socket;
  private readonly decoder: FrameDecoder;
  private readonly waiters = new Map<number, Waiter[]>();
  private readonly listeners = new Set<() => void>();
  private xid = 0;
  private isClosedFlag = false;
  private closeReason = 'connection closed';
  private seq = 0;

  private constructor(socket: Socket, handshake: HandshakeResult, decoder: FrameDecoder, leftover: Buffer[]) {
    this.socket = socket;
    this.decoder = decoder;
    this.handshake = handshake;
    this.closed = new Promise<void>((resolve) => {
      socket.once('close', () => {
        this.isClosedFlag = true;
        const err = new ConnectionClosedError(this.closeReason);
        for (const list of this.waiters.values()) for (const w of list) w.reject(err);
        this.waiters.clear();
        this.notify();
        resolve();
      });
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.resume();
    socket.on('error', (err) => {
      this.closeReason = `connection error: ${err.message}`;
    });
    for (const frame of leftover) this.onFrame(frame);
  }

  /** Opens a TCP connection and performs the ConnectRequest/ConnectResponse handshake. */
  static async connect(target: Target, options: ConnectOptions = {}): Promise<RawSession> {
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const socket = connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    const request = encodeFrame((w) => {
      writeConnectRequest(w, {
        protocolVersion: options.protocolVersion ?? 0,
        lastZxidSeen: options.lastZxidSeen ?? 0n,
        timeOut: options.timeOut ?? 30_000,
        sessionId: options.sessionId ?? 0n,
        passwd: options.passwd === undefined ? Buffer.alloc(16) : options.passwd === null ? null : Buffer.from(options.passwd),
      });
      const ro = options.readOnly === undefined ? false : options.readOnly;
      if (ro !== null) w.writeBoolean(ro);
    });
    const decoder = new FrameDecoder({ maxFrameBytes: MAX_FRAME_BYTES });
    const frames = await new Promise<Buffer[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        socket.destroy();
        reject(new ReplyTimeoutError(`no ConnectResponse from ${target.host}:${String(target.port)} within ${String(timeoutMs)} ms`));
      }, timeoutMs);
      const onData = (chunk: Buffer): void => {
        try {
          const got = decoder.push(chunk);
          if (got.length > 0) {
            socket.pause(); // resumed by the constructor once its own listener is attached
            cleanup();
            resolve(got);
          }
        } catch (err) {
          cleanup();
          socket.destroy();
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      };
      const onError = (err: Error): void => {
        cleanup();
        socket.destroy();
        reject(err);
      };
      const onClose = (): void => {
        cleanup();
        reject(new ConnectionClosedError('connection closed during the handshake'));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', onError);
        socket.off('close', onClose);
      };
      socket.on('data', onData);
      socket.once('error', onError);
      socket.once('close', onClose);
      socket.once('connect', () => socket.write(request));
    });
    const [first, ...rest] = frames;
    if (first === undefined) throw new Error('unreachable: no handshake frame');
    const reader = new JuteReader(first);
    const response = readConnectResponse(reader);
    const readOnly = reader.remaining > 0 ? reader.readBoolean() : undefined;
    const handshake: HandshakeResult = { ...response, readOnly, raw: Buffer.from(first) };
    // The decoder may already hold part of the next frame, so the session keeps using it.
    return new RawSession(socket, handshake, decoder, rest);
  }

  get sessionId(): bigint {
    return this.handshake.sessionId;
  }

  get passwd(): Buffer {
    return this.handshake.passwd ?? Buffer.alloc(0);
  }

  isClosed(): boolean {
    return this.isClosedFlag;
  }

  /** The next client xid (1, 2, 3, ...), as the Java client numbers them. */
  nextXid(): number {
    this.xid += 1;
    return this.xid;
  }

  /** Watch notifications received so far (xid -1), in arrival order. */
  notifications(): WatcherEvent[] {
    const out: WatcherEvent[] = [];
    for (const f of this.inbound) if (f.kind === 'notification') out.push(f.event);
    return out;
  }

  /** Sends one request without waiting; returns the xid used. */
  send(op: number, body: Uint8Array, xid: number = this.nextXid()): number {
    const frame = encodeFrame((w: JuteWriter) => {
      writeRequestHeader(w, { xid, type: op });
      w.writeRaw(body);
    });
    this.socket.write(frame);
    return xid;
  }

  /** Writes arbitrary bytes on the connection (nothing is added). */
  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Resolves with the next reply carrying `xid` (registered now, so call before or right after sending). */
  waitForReply(xid: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RawReply> {
    if (this.isClosedFlag) return Promise.reject(new ConnectionClosedError(this.closeReason));
    return new Promise<RawReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.waiters.get(xid);
        if (list !== undefined) {
          const i = list.indexOf(waiter);
          if (i >= 0) list.splice(i, 1);
        }
        reject(new ReplyTimeoutError(`no reply for xid ${String(xid)} within ${String(timeoutMs)} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const list = this.waiters.get(xid);
      if (list === undefined) this.waiters.set(xid, [waiter]);
      else list.push(waiter);
    });
  }

  /** Sends a request and waits for its reply. */
  async request(op: number, body: Uint8Array, options: { xid?: number; timeoutMs?: number } = {}): Promise<RawReply> {
    const xid = options.xid ?? this.nextXid();
    const reply = this.waitForReply(xid, options.timeoutMs);
    this.send(op, body, xid);
    return reply;
  }

  /** Ping: xid -2, type 11, no body. */
  ping(timeoutMs?: number): Promise<RawReply> {
    return this.request(OP_PING, new Uint8Array(0), { xid: XID_PING, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  }

  /** addAuth: AuthPacket{type 0, scheme, auth} with xid -4, type 100. */
  auth(scheme: string, auth: Uint8Array, timeoutMs?: number): Promise<RawReply> {
    const w = new JuteWriter();
    writeAuthPacket(w, { type: 0, scheme, auth: Buffer.from(auth) });
    return this.request(OP_AUTH, w.toBuffer(), { xid: XID_AUTH, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  }

  /** Waits until at least `count` notifications have arrived in total; resolves with all of them. */
  async waitForNotifications(count: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<WatcherEvent[]> {
    await this.waitUntil(() => this.notifications().length >= count || this.isClosedFlag, timeoutMs);
    return this.notifications();
  }

  /** Waits until `predicate` holds (checked on every inbound frame and on close) or the timeout passes. */
  waitUntil(predicate: () => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const listener = (): void => {
        if (predicate()) {
          clearTimeout(timer);
          this.listeners.delete(listener);
          resolve(true);
        }
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        resolve(false);
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }

  /**
   * closeSession (type -11) and wait for its reply and for the server to close the connection.
   * Returns the reply, or undefined if the connection closed without one.
   */
  async close(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RawReply | undefined> {
    if (this.isClosedFlag) return undefined;
    let reply: RawReply | undefined;
    try {
      reply = await this.request(OP_CLOSE_SESSION, new Uint8Array(0), { timeoutMs });
    } catch (err) {
      if (!(err instanceof ConnectionClosedError)) throw err;
    }
    const timer = setTimeout(() => this.socket.destroy(), timeoutMs);
    this.socket.end();
    await this.closed;
    clearTimeout(timer);
    return reply;
  }

  /** Drops the TCP connection without closeSession (the session lives on until it expires). */
  async disconnect(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.closeReason = `undecodable stream: ${err instanceof Error ? err.message : String(err)}`;
      this.socket.destroy();
      return;
    }
    for (const frame of frames) this.onFrame(frame);
  }

  private onFrame(frame: Buffer): void {
    const copy = Buffer.from(frame);
    const reader = new JuteReader(copy);
    let header: ReplyHeader;
    try {
      header = readReplyHeader(reader);
    } catch (err) {
      this.closeReason = `bad reply header: ${err instanceof Error ? err.message : String(err)}`;
      this.socket.destroy();
      return;
    }
    const body = copy.subarray(reader.offset);
    const seq = this.seq++;
    if (header.xid === XID_NOTIFICATION) {
      let event: WatcherEvent;
      try {
        event = readWatcherEvent(new JuteReader(body));
      } catch {
        event = { type: Number.NaN, state: Number.NaN, path: `<undecodable ${body.toString('hex')}>` };
      }
      this.inbound.push({ kind: 'notification', seq, header, event, body });
    } else {
      this.inbound.push({ kind: 'reply', seq, header, body });
      const list = this.waiters.get(header.xid);
      const waiter = list?.shift();
      if (list !== undefined && list.length === 0) this.waiters.delete(header.xid);
      waiter?.resolve({ header, body });
    }
    this.notify();
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}
