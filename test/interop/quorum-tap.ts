// A TCP proxy in front of one member's quorum port (2888) that records the QuorumPackets crossing
// it in both directions: type, zxid and data length, with the time. QuorumPackets are jute records
// {int type, long zxid, buffer data, vector<Id> authinfo} written back to back; after a SNAP from the
// leader comes the raw snapshot (sessions, ACLs, nodes, "BenWasHere"), which the tap skips with
// the snapshot reader. Used to find where our quorum protocol differs from Apache ZooKeeper's.

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { WireSnapshotReader } from '../../src/quorum/wire-snapshot.js';
import { PacketType, QuorumPacketDecoder } from '../../src/zab/messages.js';

const TYPE_NAMES = new Map<number, string>(Object.entries(PacketType).map(([name, code]) => [code, name.toUpperCase()]));

export interface TappedPacket {
  readonly atMs: number;
  readonly connection: number;
  /** 'toLeader': from the learner that connected to the tapped (leader's) port; 'toLearner': back. */
  readonly direction: 'toLeader' | 'toLearner';
  readonly type: number;
  readonly name: string;
  readonly zxid: bigint;
  readonly dataLength: number;
}

class StreamParser {
  readonly #decoder = new QuorumPacketDecoder(64 * 1024 * 1024);
  #snapshot: WireSnapshotReader | null = null;
  #broken = false;

  constructor(readonly onPacket: (type: number, zxid: bigint, dataLength: number) => void, readonly onNote: (note: string) => void) {}

  push(chunk: Buffer): void {
    if (this.#broken) return;
    try {
      this.#push(chunk);
    } catch (error) {
      this.#broken = true;
      this.onNote(`unparsable stream: ${(error as Error).message}`);
    }
  }

  #push(chunk: Buffer): void {
    if (this.#snapshot !== null) {
      const done = this.#snapshot.push(chunk);
      if (done === null) return;
      this.#snapshot = null;
      this.onNote(`snapshot stream: ${done.snapshot.nodes.length} nodes, ${done.snapshot.sessions.length} sessions`);
      if (done.rest.length > 0) this.#push(done.rest);
      return;
    }
    const packets = this.#decoder.push(chunk, (p) => p.type === PacketType.snap);
    for (const packet of packets) this.onPacket(packet.type, packet.zxid, packet.data === null ? -1 : packet.data.length);
    if (packets.length > 0 && (packets[packets.length - 1] as { type: number }).type === PacketType.snap) {
      this.#snapshot = new WireSnapshotReader();
      const rest = this.#decoder.takeRemaining();
      if (rest.length > 0) this.#push(rest);
    }
  }
}

export class QuorumTap {
  readonly packets: TappedPacket[] = [];
  readonly notes: string[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #started = Date.now();
  #connections = 0;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly targetPort: number,
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

  #accept(client: Socket): void {
    const connection = this.#connections++;
    this.#sockets.add(client);
    const record = (direction: TappedPacket['direction']) => (type: number, zxid: bigint, dataLength: number) => {
      this.packets.push({ atMs: Date.now() - this.#started, connection, direction, type, name: TYPE_NAMES.get(type) ?? `TYPE${type}`, zxid, dataLength });
    };
    const note = (direction: string) => (text: string) => this.notes.push(`+${Date.now() - this.#started}ms #${connection} ${direction}: ${text}`);
    const toLeader = new StreamParser(record('toLeader'), note('toLeader'));
    const toLearner = new StreamParser(record('toLearner'), note('toLearner'));
    let upstream: Socket | null = null;
    let pending: Buffer[] = [];
    let closed = false;
    client.on('data', (chunk: Buffer) => {
      toLeader.push(chunk);
      if (upstream === null) pending.push(chunk);
      else upstream.write(chunk);
    });
    const closeAll = (who: string) => () => {
      if (closed) return;
      closed = true;
      this.notes.push(`+${Date.now() - this.#started}ms #${connection} closed by ${who}`);
      client.destroy();
      upstream?.destroy();
      this.#sockets.delete(client);
      if (upstream !== null) this.#sockets.delete(upstream);
    };
    client.on('close', closeAll('learner'));
    client.on('error', () => client.destroy());
    // The tap accepts at once, where the member might still refuse (it listens only once it leads).
    // A 3.8 learner retries a refused connection 5 times, 100 ms apart: the tap retries upstream
    // for as long before it gives up and closes the learner's connection.
    const deadline = Date.now() + 500;
    const attempt = (): void => {
      if (closed) return;
      const socket = createConnection({ host: '127.0.0.1', port: this.targetPort });
      socket.once('error', () => {
        socket.destroy();
        if (upstream !== null) return;
        if (Date.now() < deadline) setTimeout(attempt, 50);
        else closeAll('leader (not listening)')();
      });
      socket.once('connect', () => {
        upstream = socket;
        this.#sockets.add(socket);
        socket.on('error', () => socket.destroy());
        socket.on('data', (chunk: Buffer) => {
          toLearner.push(chunk);
          client.write(chunk);
        });
        socket.on('close', closeAll('leader'));
        for (const chunk of pending) socket.write(chunk);
        pending = [];
      });
    };
    attempt();
  }

  /** A readable timeline: one line per packet (PINGs folded into a count), and the notes. */
  timeline(options: { includePings?: boolean } = {}): string {
    const lines: string[] = [];
    let pings = 0;
    for (const p of this.packets) {
      if (p.name === 'PING' && options.includePings !== true) {
        pings++;
        continue;
      }
      lines.push(`+${p.atMs}ms #${p.connection} ${p.direction === 'toLeader' ? 'learner->' : '<-leader'} ${p.name} zxid=0x${BigInt.asUintN(64, p.zxid).toString(16)} data=${p.dataLength}`);
    }
    return `=== quorum tap ${this.name} (port ${this.port} -> ${this.targetPort}); ${pings} pings not shown\n${lines.join('\n')}\n${this.notes.join('\n')}`;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
