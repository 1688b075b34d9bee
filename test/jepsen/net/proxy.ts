/**
 * A userspace TCP proxy for one directed peer link (or a plain forwarder), the no-root way to
 * inject network faults: every connection is relayed through two {@link Pipe}s (one per direction),
 * each governed by a {@link LinkPolicy} read at every chunk, so a nemesis changes a link's behaviour
 * by changing the policy and calling {@link TcpProxy.kick}.
 *
 * - cut: bytes are held, not dropped (the kernel would keep retransmitting them) and the sender is
 *   paused once 1 MiB is queued; they flow again when the link heals, unless an application timeout
 *   closed the connection first. New connections are accepted but carry nothing while cut.
 * - delay, jitter: each chunk is delivered `delay + U(0, jitter)` ms after it arrived, in order.
 * - loss: TCP turns packet loss into latency; a lost chunk is delivered after a retransmission
 *   timeout (200 ms, doubled up to 3 times at random).
 * - bandwidth: chunks leave no faster than the given bytes per second.
 * - duplicate: on framed links (ZooKeeper election connections: `[int32 length][payload]` after
 *   the initial message), the given share of frames is delivered twice. TCP itself never
 *   duplicates, so this is the only level where duplication means something.
 * - reset: with the given probability per chunk, the connection is reset (RST both ways).
 *
 * The kernel completes a connection to the proxy before the proxy connects to the target, so a
 * target that is not listening cannot refuse the client as it would without the proxy (the
 * client would see ECONNREFUSED and, like a ZooKeeper learner, try again a moment later); it sees
 * a connection that closes. With `connectRetryMs`, the proxy plays the client's retries instead:
 * it tries the target again every 50 ms for that long, the client's bytes waiting meanwhile.
 *
 * Election links also rewrite the initiator's own election address in the initial message
 * (protocol versions -65536 and -65535 of QuorumCnxManager), so that the receiver, when it closes
 * the connection and connects back (it does when its id is larger), connects back through the
 * proxy of the reverse link rather than straight to the initiator.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

import { Rng } from '../runner/rng.js';

export type Endpoint = { readonly host: string; readonly port: number } | { readonly path: string };

export function endpointText(e: Endpoint): string {
  return 'path' in e ? e.path : `${e.host}:${e.port}`;
}

export interface LinkPolicy {
  /** Hold every byte until the policy changes (a partition). */
  readonly cut?: boolean;
  readonly delayMs?: number;
  readonly jitterMs?: number;
  /** Percentage of chunks "lost" (delivered after a retransmission timeout). */
  readonly lossPct?: number;
  /** Bytes per second. */
  readonly bandwidthBps?: number;
  /** Percentage of frames delivered twice (framed links only). */
  readonly duplicatePct?: number;
  /** Percentage of chunks on which the connection is reset. */
  readonly resetPct?: number;
}

export const HEALTHY: LinkPolicy = Object.freeze({});

export function isHealthy(p: LinkPolicy): boolean {
  return (
    p.cut !== true &&
    (p.delayMs ?? 0) === 0 &&
    (p.jitterMs ?? 0) === 0 &&
    (p.lossPct ?? 0) === 0 &&
    p.bandwidthBps === undefined &&
    (p.duplicatePct ?? 0) === 0 &&
    (p.resetPct ?? 0) === 0
  );
}

export type Framing = 'raw' | 'zk-election';

export interface ProxyOptions {
  readonly name: string;
  /** Where to listen; port 0 picks a free port. */
  readonly listen: Endpoint;
  readonly target: Endpoint;
  /** Policy of the bytes sent by the side that connected (towards the target). */
  readonly upstream?: () => LinkPolicy;
  /** Policy of the bytes coming back from the target. */
  readonly downstream?: () => LinkPolicy;
  readonly framing?: Framing;
  /** For zk-election framing: the `host:port` to put in the initial message instead of the sender's own. */
  readonly electionAddress?: () => string | undefined;
  readonly rng?: Rng;
  /** How long a refused connection to the target is tried again (default 0: the client is closed at once). */
  readonly connectRetryMs?: number;
}

const CONNECT_RETRY_EVERY_MS = 50;

export interface ProxyStats {
  connections: number;
  open: number;
  bytesUp: number;
  bytesDown: number;
  resets: number;
  duplicated: number;
  rewrittenInitialMessages: number;
}

const HIGH_WATER = 1 << 20;
const LOW_WATER = 1 << 18;
const RTO_MS = 200;

interface Unit {
  readonly data: Buffer;
  readonly duplicable: boolean;
  readonly arrivedAt: number;
}

/** Splits ZooKeeper election traffic into units: the initial message, then length-prefixed frames. */
class ElectionFramer {
  private buf: Buffer = Buffer.alloc(0);
  private state: 'init' | 'frames' | 'raw';

  constructor(
    initial: boolean,
    private readonly rewrite: (() => string | undefined) | undefined,
    private readonly onRewrite: () => void,
  ) {
    this.state = initial ? 'init' : 'frames';
  }

  /** Feeds bytes; returns complete units (raw mode passes everything through at once). */
  feed(chunk: Buffer): { data: Buffer; duplicable: boolean }[] {
    if (this.state === 'raw') return [{ data: chunk, duplicable: false }];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: { data: Buffer; duplicable: boolean }[] = [];
    for (let guard = 0; guard < 100_000; guard++) {
      if (this.state === 'raw') {
        if (this.buf.length > 0) out.push({ data: this.buf, duplicable: false });
        this.buf = Buffer.alloc(0);
        break;
      }
      if (this.state === 'init') {
        if (this.buf.length < 8) break;
        const version = this.buf.readBigInt64BE(0);
        if (version === -65536n || version === -65535n) {
          if (this.buf.length < 20) break;
          const len = this.buf.readInt32BE(16);
          if (len <= 0 || len > 2048) {
            this.state = 'raw';
            continue;
          }
          if (this.buf.length < 20 + len) break;
          const sid = this.buf.subarray(8, 16);
          const replacement = this.rewrite?.();
          if (replacement === undefined) {
            out.push({ data: this.buf.subarray(0, 20 + len), duplicable: false });
          } else {
            const addr = Buffer.from(replacement, 'utf8');
            const head = Buffer.alloc(20);
            head.writeBigInt64BE(version, 0);
            sid.copy(head, 8);
            head.writeInt32BE(addr.length, 16);
            out.push({ data: Buffer.concat([head, addr]), duplicable: false });
            this.onRewrite();
          }
          this.buf = this.buf.subarray(20 + len);
          this.state = 'frames';
          continue;
        }
        if (version >= 0n && version < 1n << 40n) {
          // protocol before 3.5: the initial message is the sender's id alone
          out.push({ data: this.buf.subarray(0, 8), duplicable: false });
          this.buf = this.buf.subarray(8);
          this.state = 'frames';
          continue;
        }
        this.state = 'raw';
        continue;
      }
      // frames
      if (this.buf.length < 4) break;
      const len = this.buf.readInt32BE(0);
      if (len < 0 || len > 1 << 20) {
        this.state = 'raw';
        continue;
      }
      if (this.buf.length < 4 + len) break;
      out.push({ data: this.buf.subarray(0, 4 + len), duplicable: true });
      this.buf = this.buf.subarray(4 + len);
    }
    return out;
  }
}

/** One direction of one relayed connection. */
class Pipe {
  private readonly queue: Unit[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private headReadyAt: number | undefined;
  private lastDelivery = 0;
  private srcEnded = false;
  private paused = false;
  closed = false;

  constructor(
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly policy: () => LinkPolicy,
    private readonly rng: Rng,
    private readonly framer: ElectionFramer | undefined,
    private readonly conn: Connection,
    private readonly count: (bytes: number) => void,
  ) {
    src.on('data', (chunk: Buffer) => this.onData(chunk));
    src.on('end', () => {
      this.srcEnded = true;
      this.pump();
    });
  }

  private onData(chunk: Buffer): void {
    const now = Date.now();
    const units = this.framer === undefined ? [{ data: chunk, duplicable: false }] : this.framer.feed(chunk);
    for (const u of units) {
      this.queue.push({ data: u.data, duplicable: u.duplicable, arrivedAt: now });
      this.queued += u.data.length;
    }
    if (this.queued > HIGH_WATER && !this.paused) {
      this.paused = true;
      this.src.pause();
    }
    this.pump();
  }

  /** Re-reads the policy (after a change). */
  kick(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.headReadyAt = undefined;
    this.pump();
  }

  stop(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  pump(): void {
    if (this.closed || this.timer !== undefined) return;
    for (let guard = 0; guard < 10_000 && this.queue.length > 0; guard++) {
      const p = this.policy();
      if (p.cut === true) return; // held until kick()
      const head = this.queue[0];
      if (head === undefined) break;
      const now = Date.now();
      if (this.headReadyAt === undefined) {
        let at = head.arrivedAt + (p.delayMs ?? 0) + (p.jitterMs ?? 0) * this.rng.next();
        if ((p.lossPct ?? 0) > 0 && this.rng.next() * 100 < (p.lossPct ?? 0)) at += RTO_MS * 2 ** this.rng.int(4);
        at = Math.max(at, this.lastDelivery);
        if (p.bandwidthBps !== undefined && p.bandwidthBps > 0) at = Math.max(at, now) + (head.data.length * 1000) / p.bandwidthBps;
        this.headReadyAt = at;
      }
      if (this.headReadyAt > now + 0.5) {
        this.timer = setTimeout(
          () => {
            this.timer = undefined;
            this.pump();
          },
          Math.ceil(this.headReadyAt - now),
        );
        return;
      }
      this.queue.shift();
      this.queued -= head.data.length;
      this.lastDelivery = this.headReadyAt;
      this.headReadyAt = undefined;
      if ((p.resetPct ?? 0) > 0 && this.rng.next() * 100 < (p.resetPct ?? 0)) {
        this.conn.reset();
        return;
      }
      if (this.dst.destroyed) return;
      this.dst.write(head.data);
      this.count(head.data.length);
      if (head.duplicable && (p.duplicatePct ?? 0) > 0 && this.rng.next() * 100 < (p.duplicatePct ?? 0)) {
        this.dst.write(head.data);
        this.conn.duplicated();
      }
    }
    if (this.paused && this.queued < LOW_WATER) {
      this.paused = false;
      this.src.resume();
    }
    if (this.queue.length === 0 && this.srcEnded && !this.dst.destroyed) this.dst.end();
  }
}

class Connection {
  private readonly up: Pipe;
  private readonly down: Pipe;
  private done = false;

  constructor(
    private readonly proxy: TcpProxy,
    private readonly inbound: Socket,
    private readonly outbound: Socket,
    options: ProxyOptions,
    rng: Rng,
  ) {
    const framing = options.framing ?? 'raw';
    const upFramer =
      framing === 'zk-election' ? new ElectionFramer(true, options.electionAddress, () => proxy.stats.rewrittenInitialMessages++) : undefined;
    const downFramer = framing === 'zk-election' ? new ElectionFramer(false, undefined, () => undefined) : undefined;
    this.up = new Pipe(inbound, outbound, options.upstream ?? (() => HEALTHY), rng, upFramer, this, (n) => (proxy.stats.bytesUp += n));
    this.down = new Pipe(outbound, inbound, options.downstream ?? (() => HEALTHY), rng, downFramer, this, (n) => (proxy.stats.bytesDown += n));
    for (const s of [inbound, outbound]) {
      s.setNoDelay(true);
      s.on('error', () => this.close());
      s.on('close', () => this.close());
    }
  }

  kick(): void {
    this.up.kick();
    this.down.kick();
  }

  duplicated(): void {
    this.proxy.stats.duplicated++;
  }

  reset(): void {
    if (this.done) return;
    this.proxy.stats.resets++;
    for (const s of [this.inbound, this.outbound]) {
      if (s.destroyed) continue;
      try {
        s.resetAndDestroy();
      } catch {
        s.destroy();
      }
    }
    this.close();
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.up.stop();
    this.down.stop();
    this.inbound.destroy();
    this.outbound.destroy();
    this.proxy.forget(this);
  }
}

export class TcpProxy {
  readonly stats: ProxyStats = { connections: 0, open: 0, bytesUp: 0, bytesDown: 0, resets: 0, duplicated: 0, rewrittenInitialMessages: 0 };
  private server: Server | undefined;
  private readonly conns = new Set<Connection>();
  /** Accepted clients whose connection to the target is not made yet: what close() must end. */
  private readonly connecting = new Set<{ readonly inbound: Socket; outbound: Socket | undefined; timer: NodeJS.Timeout | undefined }>();
  private address: Endpoint | undefined;
  private readonly rng: Rng;

  constructor(readonly options: ProxyOptions) {
    this.rng = options.rng ?? new Rng(0);
  }

  get name(): string {
    return this.options.name;
  }

  /** The address it listens on (after start()). */
  get endpoint(): Endpoint {
    if (this.address === undefined) throw new Error(`proxy ${this.name} is not started`);
    return this.address;
  }

  get port(): number {
    const e = this.endpoint;
    if ('path' in e) throw new Error(`proxy ${this.name} listens on a unix socket`);
    return e.port;
  }

  async start(): Promise<Endpoint> {
    const server = createServer({ pauseOnConnect: false }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const l = this.options.listen;
      if ('path' in l) server.listen(l.path, () => resolve());
      else server.listen({ host: l.host, port: l.port, exclusive: true }, () => resolve());
    });
    server.on('error', () => undefined);
    const l = this.options.listen;
    if ('path' in l) this.address = l;
    else this.address = { host: l.host, port: (server.address() as AddressInfo).port };
    return this.address;
  }

  private accept(inbound: Socket): void {
    this.stats.connections++;
    this.stats.open++;
    const rng = this.rng.fork(`c${this.stats.connections}`);
    const retryUntil = Date.now() + (this.options.connectRetryMs ?? 0);
    // The client's bytes stay in its socket until the target answers.
    inbound.pause();
    const pending: { readonly inbound: Socket; outbound: Socket | undefined; timer: NodeJS.Timeout | undefined } = { inbound, outbound: undefined, timer: undefined };
    this.connecting.add(pending);
    const giveUp = () => {
      if (!this.connecting.delete(pending)) return;
      if (pending.timer !== undefined) clearTimeout(pending.timer);
      pending.outbound?.destroy();
      inbound.destroy();
      this.stats.open--;
    };
    inbound.on('error', giveUp);
    inbound.on('close', giveUp);
    const attempt = () => {
      pending.timer = undefined;
      const t = this.options.target;
      const outbound = 'path' in t ? connect({ path: t.path }) : connect({ host: t.host, port: t.port });
      pending.outbound = outbound;
      outbound.once('error', (e: NodeJS.ErrnoException) => {
        outbound.destroy();
        if (!this.connecting.has(pending)) return;
        if (e.code === 'ECONNREFUSED' && Date.now() + CONNECT_RETRY_EVERY_MS <= retryUntil) pending.timer = setTimeout(attempt, CONNECT_RETRY_EVERY_MS);
        else giveUp();
      });
      outbound.once('connect', () => {
        if (!this.connecting.delete(pending)) {
          outbound.destroy();
          return;
        }
        outbound.removeAllListeners('error');
        inbound.removeListener('error', giveUp);
        inbound.removeListener('close', giveUp);
        this.conns.add(new Connection(this, inbound, outbound, this.options, rng));
        inbound.resume();
      });
    };
    attempt();
  }

  /** @internal */
  forget(conn: Connection): void {
    if (this.conns.delete(conn)) this.stats.open--;
  }

  /** Makes every connection re-read its policies (call after changing them). */
  kick(): void {
    for (const c of this.conns) c.kick();
  }

  /** Resets every open connection. */
  resetAll(): void {
    for (const c of [...this.conns]) c.reset();
  }

  async close(): Promise<void> {
    for (const p of [...this.connecting]) {
      this.connecting.delete(p);
      if (p.timer !== undefined) clearTimeout(p.timer);
      p.outbound?.destroy();
      p.inbound.destroy();
      this.stats.open--;
    }
    for (const c of [...this.conns]) c.close();
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
