// Raw ZooKeeper client connections for the benchmark, built on the jute codec only: the connect
// handshake, and a small promise-based client that pipelines requests (used to create the data
// set). The load generator's hot loop lives in load-generator.ts and reuses connectSession().
// Every connection goes to 127.0.0.1: the benchmark never sends traffic anywhere else.

import { connect, type Socket } from 'node:net';
import {
  FrameDecoder,
  JuteReader,
  JuteWriter,
  encodeFrame,
  readConnectResponse,
  readReplyHeader,
  writeConnectRequest,
  writeCreateRequest,
  writeDeleteRequest,
  writeRequestHeader,
  type ACL,
} from '../src/jute/index.js';
import { OpCode } from '../src/protocol/op-code.js';

export const BENCH_HOST = '127.0.0.1';
/** Replies of a few MB at most (getChildren of a big node); ZooKeeper's own default is 0xfffff. */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export const OPEN_ACL_UNSAFE: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

/** ZooKeeper error codes the benchmark names in its reports. */
export const ERROR_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'OK'],
  [-1, 'SystemError'],
  [-4, 'ConnectionLoss'],
  [-5, 'MarshallingError'],
  [-6, 'Unimplemented'],
  [-7, 'OperationTimeout'],
  [-8, 'BadArguments'],
  [-101, 'NoNode'],
  [-102, 'NoAuth'],
  [-103, 'BadVersion'],
  [-108, 'NoChildrenForEphemerals'],
  [-110, 'NodeExists'],
  [-111, 'NotEmpty'],
  [-112, 'SessionExpired'],
  [-114, 'InvalidACL'],
  [-118, 'SessionMoved'],
]);

export function errorName(code: number): string {
  return ERROR_NAMES.get(code) ?? `err${String(code)}`;
}

export interface OpenedSession {
  socket: Socket;
  /** Decoder positioned after the handshake reply; keep pushing the socket's data into it. */
  decoder: FrameDecoder;
  sessionId: bigint;
  negotiatedTimeoutMs: number;
}

/**
 * Opens a TCP connection to 127.0.0.1:port and performs the ZooKeeper connect handshake (3.8 form,
 * readOnly=false). Rejects on refusal, a closed connection or after `connectTimeoutMs`.
 */
export function connectSession(port: number, sessionTimeoutMs = 30_000, connectTimeoutMs = 10_000): Promise<OpenedSession> {
  return new Promise<OpenedSession>((resolve, reject) => {
    const socket = connect({ host: BENCH_HOST, port });
    socket.setNoDelay(true);
    const decoder = new FrameDecoder({ maxFrameBytes: MAX_FRAME_BYTES });
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`connect handshake to port ${String(port)} timed out`)), connectTimeoutMs);
    socket.on('error', fail);
    socket.on('close', () => fail(new Error(`connection to port ${String(port)} closed during the handshake`)));
    socket.on('connect', () => {
      socket.write(
        encodeFrame((w) => {
          writeConnectRequest(w, {
            protocolVersion: 0,
            lastZxidSeen: 0n,
            timeOut: sessionTimeoutMs,
            sessionId: 0n,
            passwd: Buffer.alloc(16),
          });
          w.writeBoolean(false); // readOnly
        }),
      );
    });
    const onData = (chunk: Buffer): void => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        fail(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      const first = frames[0];
      if (first === undefined) return;
      if (frames.length > 1) {
        fail(new Error('unexpected frames after the connect response'));
        return;
      }
      const response = readConnectResponse(new JuteReader(first));
      if (response.timeOut <= 0) {
        fail(new Error('server refused the session (timeOut <= 0)'));
        return;
      }
      settled = true;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeAllListeners('error');
      socket.removeAllListeners('close');
      resolve({ socket, decoder, sessionId: response.sessionId, negotiatedTimeoutMs: response.timeOut });
    };
    socket.on('data', onData);
  });
}

export interface Reply {
  xid: number;
  zxid: bigint;
  err: number;
  /** Response body after the reply header (a view; copy it to keep it). */
  body: Buffer;
}

interface Pending {
  xid: number;
  resolve: (reply: Reply) => void;
  reject: (err: Error) => void;
}

/** A minimal pipelining client: requests are answered in order, as ZooKeeper guarantees per session. */
export class SimpleClient {
  private nextXid = 1;
  private readonly pending: Pending[] = [];
  private pendingHead = 0;
  private closedError: Error | undefined;

  private constructor(private readonly session: OpenedSession) {
    session.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    session.socket.on('error', (err) => this.failAll(err));
    session.socket.on('close', () => this.failAll(new Error('connection closed')));
  }

  static async open(port: number): Promise<SimpleClient> {
    return new SimpleClient(await connectSession(port));
  }

  get sessionId(): bigint {
    return this.session.sessionId;
  }

  get outstanding(): number {
    return this.pending.length - this.pendingHead;
  }

  request(type: number, writeBody: (w: JuteWriter) => void): Promise<Reply> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    const xid = this.nextXid++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.push({ xid, resolve, reject });
      this.session.socket.write(
        encodeFrame((w) => {
          writeRequestHeader(w, { xid, type });
          writeBody(w);
        }),
      );
    });
  }

  async create(path: string, data: Buffer, flags = 0): Promise<number> {
    const reply = await this.request(OpCode.create, (w) => writeCreateRequest(w, { path, data, acl: OPEN_ACL_UNSAFE, flags }));
    return reply.err;
  }

  async delete(path: string): Promise<number> {
    const reply = await this.request(OpCode.delete, (w) => writeDeleteRequest(w, { path, version: -1 }));
    return reply.err;
  }

  /** Sends closeSession, waits for its reply (at most 5 s) and closes the socket. */
  async close(): Promise<void> {
    if (this.closedError === undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.request(OpCode.closeSession, () => undefined).catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 5000);
        }),
      ]);
      if (timer !== undefined) clearTimeout(timer);
    }
    this.session.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.session.decoder.push(chunk);
    } catch (err) {
      this.failAll(err instanceof Error ? err : new Error(String(err)));
      this.session.socket.destroy();
      return;
    }
    for (const frame of frames) {
      const reader = new JuteReader(frame);
      const header = readReplyHeader(reader);
      if (header.xid < 0) continue; // notification (-1) or ping (-2): not ours to answer
      const head = this.pending[this.pendingHead];
      if (head === undefined) continue;
      this.pendingHead++;
      if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
        this.pending.splice(0, this.pendingHead);
        this.pendingHead = 0;
      }
      if (head.xid !== header.xid) {
        head.reject(new Error(`reply out of order: expected xid ${String(head.xid)}, got ${String(header.xid)}`));
        continue;
      }
      head.resolve({ xid: header.xid, zxid: header.zxid, err: header.err, body: frame.subarray(reader.offset) });
    }
  }

  private failAll(err: Error): void {
    if (this.closedError !== undefined) return;
    this.closedError = err;
    for (let i = this.pendingHead; i < this.pending.length; i++) this.pending[i]?.reject(err);
    this.pending.length = 0;
    this.pendingHead = 0;
  }
}

/**
 * Runs `count` requests through `client` with at most `window` outstanding, calling `issue(i)` for
 * the i-th. Resolves with the per-error-code counts of the replies.
 */
export async function pipelined(
  count: number,
  window: number,
  issue: (i: number) => Promise<number>,
): Promise<Map<number, number>> {
  const errors = new Map<number, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const err = await issue(i);
      errors.set(err, (errors.get(err) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(window, count)) }, () => worker()));
  return errors;
}
