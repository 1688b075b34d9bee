// The ports through which the replica reaches the world. Each has a real adapter (sockets, files,
// the system clock) and can have a simulated one, so the same replica code runs in tests, in the
// simulator and in production.

import type { Txn } from '../txn/txn.js';

/** One client connection as the replica sees it: bytes out, and a way to close it. */
export interface ClientConnection {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  send(frame: Buffer): void;
  /** Closes after flushing what was sent. */
  close(): void;
}

export interface Clock {
  /** Wall-clock milliseconds (txn header times, stat ctime/mtime). */
  wallMs(): number;
  /** Monotonic milliseconds (session expiry, latencies). */
  monotonicMs(): number;
}

/**
 * Where committed-to-be txns go before they are acknowledged. `append` queues a txn in zxid order;
 * `flush` resolves once everything appended before the call is durable (group commit: writes that
 * arrive during a flush go into the next one).
 */
export interface TxnStorage {
  append(txn: Txn): void;
  flush(): Promise<void>;
  /**
   * After a failed flush: forget unflushed txns and make sure none of them can reappear at
   * recovery. Resolves with the zxid of the last txn that is durable (it and every txn before it
   * will be recovered, whether or not a flush covering it has resolved yet), or null when that
   * cannot be guaranteed (the server must then stop).
   */
  abandonUnflushed(): Promise<bigint | null>;
}
