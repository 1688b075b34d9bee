// Asks every running member of an ensemble for its vote, the way a restarting member does: the
// probe takes the place of a member that is down (it listens on that member's election port and
// introduces itself with its sid), sends each running member a LOOKING notification, and returns
// what each answers. A 3.8 member that is not LOOKING answers with its current vote
// (FastLeaderElection.WorkerReceiver), and a member that rejoins decides from these answers alone
// (lookForLeader's out-of-election votes, compared by leader and peerEpoch: Vote.equals), so they
// must agree.

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import {
  decodeInitialMessage,
  decodeNotification,
  encodeInitialMessage,
  encodeNotification,
  NOTIFICATION_VERSION,
  type Notification,
} from '../../src/zab/election/notification.js';
import { sleep } from '../support/zk-wait.js';
import type { MixedEnsemble } from './mixed-ensemble.js';

/** Reads length-framed notifications from a socket (after the initial message, when one comes first). */
class FrameReader {
  readonly frames: { atMs: number; notification: Notification }[] = [];
  #buffer: Buffer = Buffer.alloc(0);
  #expectInitial: boolean;
  peerSid: bigint | null = null;

  constructor(socket: Socket, expectInitial: boolean) {
    this.#expectInitial = expectInitial;
    socket.on('data', (chunk: Buffer) => this.#push(chunk));
  }

  /** What could not be decoded (a throw inside a 'data' handler would be an uncaught exception). */
  error: string | null = null;

  #push(chunk: Buffer): void {
    if (this.error !== null) return;
    try {
      this.#decode(chunk);
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    }
  }

  #decode(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    if (this.#expectInitial) {
      const initial = decodeInitialMessage(this.#buffer);
      if (initial.kind === 'incomplete') return;
      if (initial.kind === 'invalid') throw new Error(`invalid initial message: ${initial.reason}`);
      this.peerSid = initial.serverId;
      this.#buffer = this.#buffer.subarray(initial.bytes);
      this.#expectInitial = false;
    }
    while (this.#buffer.length >= 4) {
      const length = this.#buffer.readInt32BE(0);
      if (this.#buffer.length < 4 + length) return;
      this.frames.push({ atMs: Date.now(), notification: decodeNotification(Buffer.from(this.#buffer.subarray(4, 4 + length))) });
      this.#buffer = this.#buffer.subarray(4 + length);
    }
  }
}

function frame(body: Buffer): Buffer {
  const out = Buffer.alloc(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

export interface ProbedVote {
  readonly id: number;
  readonly kind: string;
  readonly vote: Notification | null;
  readonly error: string | null;
}

/**
 * Probes every running member as member `asId` (which must be down). Members with a larger sid
 * drop the probe's connection and connect back to its election port, as 3.8 does.
 */
export async function probeVotes(ensemble: MixedEnsemble, asId: number, timeoutMs = 5000): Promise<ProbedVote[]> {
  if (ensemble.tapped) throw new Error('the election probe needs an ensemble without taps');
  if (ensemble.isRunning(asId)) throw new Error(`member ${asId} must be down for the probe to take its place`);
  const myAddress = `127.0.0.1:${ensemble.electionPort(asId)}`;
  const sockets = new Set<Socket>();
  const incoming = new Map<bigint, { socket: Socket; reader: FrameReader }>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    const reader = new FrameReader(socket, true);
    const check = setInterval(() => {
      if (reader.peerSid !== null) {
        clearInterval(check);
        incoming.set(reader.peerSid, { socket, reader });
      }
    }, 10);
    socket.on('close', () => clearInterval(check));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(ensemble.electionPort(asId), '127.0.0.1', () => resolve());
  });
  const looking: Notification = {
    state: 'looking',
    leader: BigInt(asId),
    zxid: 0n,
    electionEpoch: 1n,
    peerEpoch: 0n,
    version: NOTIFICATION_VERSION,
    config: Buffer.from(ensemble.quorumConfigText(), 'utf8'),
  };
  const results: ProbedVote[] = [];
  try {
    for (const id of ensemble.running()) {
      const kind = ensemble.kindOf(id);
      try {
        const out = createConnection({ host: '127.0.0.1', port: ensemble.electionPort(id) });
        sockets.add(out);
        out.on('error', () => out.destroy());
        await new Promise<void>((resolve, reject) => {
          out.once('connect', () => resolve());
          out.once('error', reject);
        });
        out.write(encodeInitialMessage(BigInt(asId), [myAddress]));
        let channel: { socket: Socket; reader: FrameReader };
        if (asId > id) {
          channel = { socket: out, reader: new FrameReader(out, false) };
        } else {
          // The larger sid keeps only the connection it opens: wait for it to call back.
          const deadline = Date.now() + timeoutMs;
          while (!incoming.has(BigInt(id)) && Date.now() < deadline) await sleep(20);
          const back = incoming.get(BigInt(id));
          if (back === undefined) throw new Error(`member ${id} did not connect back to the probe within ${timeoutMs} ms`);
          channel = back;
        }
        // Whatever the member had queued for the real member comes first: let it pass.
        await sleep(300);
        const sentAt = Date.now();
        channel.socket.write(frame(encodeNotification(looking)));
        const deadline = sentAt + timeoutMs;
        let answer: Notification | null = null;
        while (answer === null && Date.now() < deadline) {
          answer = channel.reader.frames.find((f) => f.atMs >= sentAt)?.notification ?? null;
          if (answer === null) await sleep(20);
        }
        results.push({ id, kind, vote: answer, error: answer === null ? (channel.reader.error ?? `no answer within ${timeoutMs} ms`) : null });
      } catch (error) {
        results.push({ id, kind, vote: null, error: error instanceof Error ? error.message : String(error) });
      }
    }
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return results;
}

export function describeVotes(votes: readonly ProbedVote[]): string {
  return votes
    .map((v) =>
      v.vote === null
        ? `member ${v.id} (${v.kind}): ${v.error ?? 'no vote'}`
        : `member ${v.id} (${v.kind}): ${v.vote.state.toUpperCase()} leader=${v.vote.leader} peerEpoch=${v.vote.peerEpoch} zxid=0x${v.vote.zxid.toString(16)} round=${v.vote.electionEpoch}`,
    )
    .join('\n');
}
