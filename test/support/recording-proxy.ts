import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type Direction = 'c2s' | 's2c';

/** One ZooKeeper frame (4-byte big-endian length prefix + body), or raw bytes that are not framed. */
export interface RecordedChunk {
  /** Which TCP connection through the proxy this chunk belongs to (0, 1, ... in accept order). */
  connection: number;
  direction: Direction;
  /** The whole frame including its 4-byte length prefix (or the raw bytes when `raw` is true). */
  bytes: Buffer;
  /** True for bytes that are not length-prefixed frames: four-letter words and their answers,
   * and a trailing partial frame left when a connection closed. */
  raw: boolean;
  /** Milliseconds since the proxy started. */
  atMs: number;
}

export interface RecordingProxy {
  port: number;
  targetPort: number;
  /** Every recorded chunk, in the order the proxy saw them. */
  readonly chunks: RecordedChunk[];
  /** Number of connections accepted so far. */
  connectionCount(): number;
  /** Resolves once every accepted connection has closed on both sides. */
  idle(): Promise<void>;
  /** Forgets what was recorded so far (connection numbering restarts too). */
  clear(): void;
  close(): Promise<void>;
}

/** Four-letter words start with a lowercase ASCII letter; a real frame length never does
 * (the first byte of a sane length prefix is 0x00). */
function looksLikeFourLetterWord(first4: Buffer): boolean {
  return first4.length === 4 && /^[a-z]{4}$/.test(first4.toString('latin1'));
}

class Splitter {
  private pending: Buffer = Buffer.alloc(0);
  private mode: 'unknown' | 'framed' | 'raw';

  constructor(
    private readonly emit: (bytes: Buffer, raw: boolean) => void,
    initialMode: 'unknown' | 'framed' | 'raw',
  ) {
    this.mode = initialMode;
  }

  setRaw(): void {
    this.mode = 'raw';
  }

  isRaw(): boolean {
    return this.mode === 'raw';
  }

  push(data: Buffer): void {
    if (this.mode === 'raw') {
      this.emit(Buffer.from(data), true);
      return;
    }
    this.pending = Buffer.concat([this.pending, data]);
    if (this.mode === 'unknown') {
      if (this.pending.length < 4) return;
      this.mode = looksLikeFourLetterWord(this.pending.subarray(0, 4)) ? 'raw' : 'framed';
      if (this.mode === 'raw') {
        const all = this.pending;
        this.pending = Buffer.alloc(0);
        this.emit(all, true);
        return;
      }
    }
    while (this.pending.length >= 4) {
      const len = this.pending.readInt32BE(0);
      if (len < 0 || this.pending.length < 4 + len) break;
      this.emit(Buffer.from(this.pending.subarray(0, 4 + len)), false);
      this.pending = this.pending.subarray(4 + len);
    }
  }

  /** Emits what is left (a partial frame) as raw bytes. */
  flush(): void {
    if (this.pending.length > 0) this.emit(Buffer.from(this.pending), true);
    this.pending = Buffer.alloc(0);
  }
}

/**
 * A TCP proxy on 127.0.0.1 that forwards every connection to 127.0.0.1:targetPort and records both
 * directions, split into ZooKeeper frames. Connections whose first four bytes are a lowercase
 * four-letter word are recorded raw in both directions.
 */
export async function startRecordingProxy(targetPort: number, options: { targetHost?: string } = {}): Promise<RecordingProxy> {
  const targetHost = options.targetHost ?? '127.0.0.1';
  const chunks: RecordedChunk[] = [];
  const open = new Set<Socket>();
  let idleWaiters: (() => void)[] = [];
  let nextConnection = 0;
  const started = Date.now();

  const checkIdle = (): void => {
    if (open.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const server: Server = createServer((client) => {
    const connection = nextConnection++;
    const upstream = createConnection({ host: targetHost, port: targetPort });
    open.add(client);
    open.add(upstream);
    const record = (direction: Direction) => (bytes: Buffer, raw: boolean) => {
      chunks.push({ connection, direction, bytes, raw, atMs: Date.now() - started });
    };
    const c2s = new Splitter(record('c2s'), 'unknown');
    const s2c = new Splitter(record('s2c'), 'framed');
    client.on('data', (data: Buffer) => {
      c2s.push(data);
      if (c2s.isRaw()) s2c.setRaw();
      upstream.write(data);
    });
    upstream.on('data', (data: Buffer) => {
      s2c.push(data);
      client.write(data);
    });
    const closeBoth = (): void => {
      client.end();
      upstream.end();
    };
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', () => {
      c2s.flush();
      open.delete(client);
      upstream.destroy();
      checkIdle();
    });
    upstream.on('close', () => {
      s2c.flush();
      open.delete(upstream);
      client.destroy();
      checkIdle();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('recording proxy: no address');

  return {
    port: address.port,
    targetPort,
    chunks,
    connectionCount: () => nextConnection,
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        checkIdle();
      }),
    clear: () => {
      chunks.length = 0;
      nextConnection = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Serialises chunks as JSON lines: {"conn":0,"dir":"c2s","raw":false,"hex":"..."}. Times are left out
 * so captures are reproducible. */
export function chunksToJsonLines(chunks: readonly RecordedChunk[]): string {
  return chunks
    .map((c) => JSON.stringify({ conn: c.connection, dir: c.direction, raw: c.raw, hex: c.bytes.toString('hex') }))
    .join('\n')
    .concat(chunks.length > 0 ? '\n' : '');
}
