// A TCP proxy in front of one member's election port (3888) that decodes what crosses it: the
// initial message of the connecting side (long protocol version, long sid, int length, address;
// or just a non-negative long sid before 3.5), then notifications (int length + body) both ways.
//
// 3.8 connects back to the address a smaller-sid peer announces in its initial message (not to the
// configured one), so the tap rewrites that address to the sender's tap: every connection between
// members then crosses a tap.

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { decodeInitialMessage, decodeNotification, encodeInitialMessage, type Notification } from '../../src/zab/election/notification.js';

export interface TappedNotification {
  readonly atMs: number;
  readonly connection: number;
  /** Server id of the peer that opened the connection (from its initial message). */
  readonly initiator: bigint | null;
  /** 'fromInitiator' when the connecting peer sent it, else 'toInitiator'. */
  readonly direction: 'fromInitiator' | 'toInitiator';
  readonly notification: Notification | null;
  readonly error: string | null;
}

export class ElectionTap {
  readonly notifications: TappedNotification[] = [];
  readonly notes: string[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #started = Date.now();
  #connections = 0;

  /**
   * @param owner the tapped member's id
   * @param rewrite real election address ("127.0.0.1:port") -> tap address, for initial messages
   */
  constructor(
    readonly owner: number,
    readonly port: number,
    readonly targetPort: number,
    readonly rewrite: ReadonlyMap<string, string>,
  ) {
    this.#server = createServer((socket) => this.#accept(socket));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  #elapsed(): number {
    return Date.now() - this.#started;
  }

  #accept(client: Socket): void {
    const connection = this.#connections++;
    this.#sockets.add(client);
    const upstream = createConnection({ host: '127.0.0.1', port: this.targetPort });
    this.#sockets.add(upstream);
    let initiator: bigint | null = null;
    let initialDone = false;
    let fromClient: Buffer = Buffer.alloc(0);
    let fromServer: Buffer = Buffer.alloc(0);
    const frames = (buffer: Buffer, direction: TappedNotification['direction']): Buffer => {
      let rest = buffer;
      while (rest.length >= 4) {
        const length = rest.readInt32BE(0);
        if (length <= 0 || length > 1 << 20) {
          this.notes.push(`+${this.#elapsed()}ms #${connection} bad frame length ${length}`);
          return Buffer.alloc(0);
        }
        if (rest.length < 4 + length) break;
        const body = rest.subarray(4, 4 + length);
        let notification: Notification | null = null;
        let error: string | null = null;
        try {
          notification = decodeNotification(Buffer.from(body));
        } catch (e) {
          error = (e as Error).message;
        }
        this.notifications.push({ atMs: this.#elapsed(), connection, initiator, direction, notification, error });
        rest = rest.subarray(4 + length);
      }
      return Buffer.from(rest);
    };
    client.on('data', (chunk: Buffer) => {
      if (initialDone) {
        upstream.write(chunk);
        fromClient = frames(Buffer.concat([fromClient, chunk]), 'fromInitiator');
        return;
      }
      fromClient = Buffer.concat([fromClient, chunk]);
      const initial = decodeInitialMessage(fromClient);
      if (initial.kind === 'incomplete') return;
      initialDone = true;
      if (initial.kind === 'invalid') {
        this.notes.push(`+${this.#elapsed()}ms #${connection} invalid initial message: ${initial.reason}`);
        upstream.write(fromClient);
        fromClient = Buffer.alloc(0);
        return;
      }
      initiator = initial.serverId;
      const addresses = initial.addresses.map((a) => this.rewrite.get(a) ?? a);
      this.notes.push(`+${this.#elapsed()}ms #${connection} initial message from sid ${initial.serverId} announcing ${initial.addresses.join('|') || '(old format)'}`);
      const head = initial.addresses.length === 0 ? fromClient.subarray(0, initial.bytes) : encodeInitialMessage(initial.serverId, addresses);
      upstream.write(head);
      const rest = fromClient.subarray(initial.bytes);
      if (rest.length > 0) upstream.write(rest);
      fromClient = frames(Buffer.from(rest), 'fromInitiator');
    });
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      fromServer = frames(Buffer.concat([fromServer, chunk]), 'toInitiator');
    });
    const closeBoth = (who: string) => () => {
      if (this.#sockets.has(client)) this.notes.push(`+${this.#elapsed()}ms #${connection} (sid ${initiator ?? '?'}) closed by ${who}`);
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on('close', closeBoth('initiator'));
    upstream.on('close', closeBoth(`member ${this.owner}`));
    client.on('error', () => client.destroy());
    upstream.on('error', () => upstream.destroy());
  }

  timeline(): string {
    const lines = this.notifications.map((t) => {
      const who = t.direction === 'fromInitiator' ? `${t.initiator ?? '?'} -> ${this.owner}` : `${this.owner} -> ${t.initiator ?? '?'}`;
      if (t.notification === null) return `+${t.atMs}ms #${t.connection} ${who} undecodable: ${t.error ?? ''}`;
      const n = t.notification;
      return `+${t.atMs}ms #${t.connection} ${who} ${n.state.toUpperCase()} leader=${n.leader} zxid=0x${BigInt.asUintN(64, n.zxid).toString(16)} round=${n.electionEpoch} peerEpoch=${n.peerEpoch} v${n.version} config=${n.config.length}B`;
    });
    return `=== election tap of member ${this.owner} (port ${this.port} -> ${this.targetPort})\n${lines.join('\n')}\n${this.notes.join('\n')}`;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
