// The client port: accepts TCP connections, enforces maxClientCnxns per client IP, frames bytes
// into requests for the replica, answers four-letter words, and applies backpressure when a client
// does not read its replies. Protocol decisions are the replica's; this module only moves bytes.

import * as net from 'node:net';
import { FrameDecoder, JuteDecodeError } from '../jute/index.js';
import type { Logger } from '../logging/logger.js';
import type { ClientConnection } from '../replica/ports.js';

export interface ClientConnectionHandler {
  connectionOpened(connection: ClientConnection): void;
  frameReceived(connection: ClientConnection, frame: Buffer): void;
  connectionClosed(connection: ClientConnection): void;
  /** A connection refused before it was opened (maxClientCnxns). */
  connectionRejected?(remoteAddress: string): void;
}

export interface FourLetterWords {
  /** The word, when the first 4 bytes of a connection are one (instead of a frame length). */
  recognise(first4Bytes: Buffer): string | null;
  /** The text to answer with (also for words that are not whitelisted). */
  run(word: string, connection: { remoteAddress: string; remotePort: number }, extraBytes: Buffer): string;
}

export interface ClientServerOptions {
  readonly host: string | null;
  readonly port: number;
  /** Per client IP; 0 means unlimited. */
  readonly maxClientCnxns: number;
  /** jute.maxbuffer: a frame longer than this closes the connection. */
  readonly maxFrameBytes: number;
  /** Pause reading from a client whose unsent replies exceed this. */
  readonly maxPendingWriteBytes: number;
}

/** The port just released may take a moment to be free again. */
async function listenWithRetries(server: net.Server, host: string | null, port: number): Promise<{ host: string; port: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await listenOn(server, host, port);
    } catch (error) {
      if (attempt >= 10 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function listenOn(server: net.Server, host: string | null, port: number): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    const done = (): void => {
      server.off('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('client port has no address'));
        return;
      }
      resolve({ host: address.address, port: address.port });
    };
    if (host === null) server.listen(port, done);
    else server.listen(port, host, done);
  });
}

/** How long a four-letter-word connection may stay open after the answer, waiting for the client's FIN. */
const FOUR_LETTER_LINGER_MS = 2000;

export class ClientServer {
  readonly #options: ClientServerOptions;
  #handler: ClientConnectionHandler;
  #words: FourLetterWords;
  readonly #logger: Logger;
  #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  readonly #connectionsByIp = new Map<string, number>();
  #nextConnectionId = 1;

  constructor(options: ClientServerOptions, handler: ClientConnectionHandler, words: FourLetterWords, logger: Logger) {
    this.#options = options;
    this.#handler = handler;
    this.#words = words;
    this.#logger = logger;
    this.#server = this.#createServer();
  }

  #createServer(): net.Server {
    const server = net.createServer({ noDelay: true }, (socket) => this.#accept(socket));
    server.on('error', (error) => this.#logger.error({ err: error }, 'client port error'));
    return server;
  }

  listen(): Promise<{ host: string; port: number }> {
    return listenOn(this.#server, this.#options.host, this.#options.port);
  }

  /**
   * A reconfig gave this server another client address (3.8's cnxnFactory.reconfigure): the old
   * listening socket is closed first (the new address may be the same port on another interface),
   * then the new one bound; open connections stay. When the new address cannot be bound, the old
   * one is bound again rather than leave the server unreachable (3.8 would stay closed). Never
   * rejects: a failure is logged.
   */
  async rebind(host: string | null, port: number): Promise<void> {
    const previous = this.#server;
    const previousAddress = previous.address();
    // close() stops listening at once; its callback would wait for every open connection to end.
    previous.close();
    this.#server = this.#createServer();
    try {
      const address = await listenWithRetries(this.#server, host, port);
      this.#logger.info({ host: address.host, port: address.port }, 'client port moved by a reconfig');
    } catch (error) {
      this.#logger.error({ err: error, host, port }, 'cannot listen on the client address a reconfig gave; listening on the old one again');
      this.#server = this.#createServer();
      if (previousAddress === null || typeof previousAddress === 'string') return;
      try {
        await listenWithRetries(this.#server, previousAddress.address, previousAddress.port);
      } catch (again) {
        this.#logger.error({ err: again }, 'cannot listen on the old client address either; no new client connections are accepted');
      }
    }
  }

  /**
   * Hands the port to the real server once its data is loaded. The port opens before that, so
   * probes get `imok` during a long recovery, as with 3.8 (which answers ruok before loading).
   */
  serve(handler: ClientConnectionHandler, words: FourLetterWords): void {
    this.#handler = handler;
    this.#words = words;
  }

  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  get connectionCount(): number {
    return this.#sockets.size;
  }

  #accept(socket: net.Socket): void {
    const remoteAddress = normaliseAddress(socket.remoteAddress ?? '');
    const remotePort = socket.remotePort ?? 0;
    const fromIp = this.#connectionsByIp.get(remoteAddress) ?? 0;
    if (this.#options.maxClientCnxns > 0 && fromIp >= this.#options.maxClientCnxns) {
      this.#logger.warn({ remoteAddress, max: this.#options.maxClientCnxns }, `Too many connections from ${remoteAddress} - max is ${this.#options.maxClientCnxns}`);
      socket.destroy();
      this.#handler.connectionRejected?.(remoteAddress);
      return;
    }
    this.#connectionsByIp.set(remoteAddress, fromIp + 1);
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    const id = this.#nextConnectionId++;
    const decoder = new FrameDecoder({ maxFrameBytes: this.#options.maxFrameBytes });
    let opened = false;
    let closed = false;
    let firstBytes: Buffer | null = Buffer.alloc(0);
    // Replies produced in the same turn of the event loop leave in one write (pipelined clients get
    // many per turn): cork on the first, uncork once the turn is over.
    let corked = false;
    const uncork = (): void => {
      corked = false;
      socket.uncork();
    };
    const connection: ClientConnection = {
      id,
      remoteAddress,
      remotePort,
      send: (frame) => {
        if (closed) return;
        if (!corked) {
          corked = true;
          socket.cork();
          process.nextTick(uncork);
        }
        const flushed = socket.write(frame);
        if (!flushed && socket.writableLength > this.#options.maxPendingWriteBytes) socket.pause();
      },
      close: () => {
        if (closed) return;
        closed = true;
        socket.end();
        socket.once('finish', () => socket.destroy());
      },
    };
    socket.on('drain', () => {
      if (!closed) socket.resume();
    });
    const release = (): void => {
      this.#sockets.delete(socket);
      const count = (this.#connectionsByIp.get(remoteAddress) ?? 1) - 1;
      if (count <= 0) this.#connectionsByIp.delete(remoteAddress);
      else this.#connectionsByIp.set(remoteAddress, count);
      if (opened) this.#handler.connectionClosed(connection);
      closed = true;
    };
    socket.on('close', release);
    socket.on('error', (error) => this.#logger.debug({ err: error, connection: id }, 'client socket error'));
    socket.on('data', (chunk: Buffer) => {
      if (closed) return;
      let data = chunk;
      if (firstBytes !== null) {
        // Until 4 bytes have arrived we cannot tell a four-letter word from a frame length.
        firstBytes = Buffer.concat([firstBytes, chunk]);
        if (firstBytes.length < 4) return;
        const word = this.#words.recognise(firstBytes.subarray(0, 4));
        if (word !== null) {
          const extraBytes = firstBytes.subarray(4);
          firstBytes = null;
          this.#answerFourLetterWord(socket, word, remoteAddress, remotePort, extraBytes);
          closed = true;
          return;
        }
        data = firstBytes;
        firstBytes = null;
        opened = true;
        this.#handler.connectionOpened(connection);
      }
      let frames: Buffer[];
      try {
        frames = decoder.push(data);
      } catch (error) {
        if (!(error instanceof JuteDecodeError)) throw error;
        this.#logger.info({ connection: id, remoteAddress, reason: error.message }, 'bad frame from client; closing connection');
        connection.close();
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        if (closed) return;
        this.#handler.frameReceived(connection, frame);
      }
    });
  }

  /**
   * Answers, then half-closes and keeps reading until the client closes: closing with the client's
   * trailing newline unread would make the kernel send a reset, and nc could lose the answer.
   */
  #answerFourLetterWord(socket: net.Socket, word: string, remoteAddress: string, remotePort: number, extraBytes: Buffer): void {
    let answer: string;
    try {
      answer = this.#words.run(word, { remoteAddress, remotePort }, extraBytes);
    } catch (error) {
      this.#logger.error({ err: error, word }, 'four-letter word failed');
      answer = '';
    }
    socket.removeAllListeners('data');
    socket.on('data', () => undefined);
    socket.end(answer);
    const linger = setTimeout(() => socket.destroy(), FOUR_LETTER_LINGER_MS);
    linger.unref();
    socket.once('close', () => clearTimeout(linger));
  }
}

function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}
