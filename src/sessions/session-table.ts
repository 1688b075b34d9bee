// Live sessions and their expiry, without timers: the shell reports the time on every tick and the
// table answers which sessions have expired. As in 3.8's ExpiryQueue, an expiry time is rounded up
// to the next multiple of tickTime, so sessions expire in batches, one batch per tick.

import { assert } from '../lib/assert.js';
import { JavaRandom } from '../lib/java-random.js';

/**
 * Who may write for a session, on the server that orders writes: its own clients, or one learner
 * connection (3.8: ServerCnxn.me, or a LearnerHandler). A client that moved to another server takes
 * the session with it; a write still arriving from where it was is refused with SessionMoved.
 */
export type SessionOwner = number;
/** This server's own client connections (they all share one owner, as in 3.8). */
export const LOCAL_OWNER: SessionOwner = 0;

/** checkSession's verdict: the request may go on, or fails with SessionExpired or SessionMoved. */
export type SessionCheck = 'live' | 'expired' | 'moved';

export interface Session {
  readonly id: bigint;
  timeoutMs: number;
  expiresAtMs: number;
  /** Set once a closeSession txn is prepared: no more requests are accepted for it. */
  closing: boolean;
  /** Null until the first write or revalidation claims it (sessions loaded from disk, say). */
  owner: SessionOwner | null;
}

/** ZooKeeperServer's superSecret: session passwords are java.util.Random(id ^ superSecret) bytes. */
const SUPER_SECRET = 0xb3415c00n;
export const SESSION_PASSWORD_BYTES = 16;

export function sessionPassword(sessionId: bigint): Buffer {
  const password = Buffer.alloc(SESSION_PASSWORD_BYTES);
  new JavaRandom(sessionId ^ SUPER_SECRET).nextBytes(password);
  return password;
}

export function checkSessionPassword(sessionId: bigint, password: Uint8Array | null): boolean {
  return sessionId !== 0n && password !== null && Buffer.from(password).equals(sessionPassword(sessionId));
}

/**
 * The first session id of a server: the current time shifted into the middle bits and the server id
 * in the top byte, as SessionTrackerImpl.initializeNextSessionId does, so ids stay unique across
 * restarts and across the servers of an ensemble.
 */
export function initialSessionId(serverId: bigint, nowMs: number): bigint {
  const shifted = BigInt.asUintN(64, BigInt(nowMs) << 24n) >> 8n;
  let id = BigInt.asIntN(64, shifted | (serverId << 56n));
  if (id === -0x8000000000000000n) id++;
  return id;
}

export class SessionTable {
  readonly #sessions = new Map<bigint, Session>();
  readonly #tickTimeMs: number;
  #nextSessionId: bigint;

  constructor(options: { tickTimeMs: number; firstSessionId: bigint }) {
    assert(options.tickTimeMs > 0, 'tickTime is positive');
    this.#tickTimeMs = options.tickTimeMs;
    this.#nextSessionId = options.firstSessionId;
  }

  #roundToNextTick(timeMs: number): number {
    return (Math.floor(timeMs / this.#tickTimeMs) + 1) * this.#tickTimeMs;
  }

  /** Allocates an id for a new session (the txn that creates it comes later). */
  allocateId(): bigint {
    const id = this.#nextSessionId;
    this.#nextSessionId = BigInt.asIntN(64, id + 1n);
    return id;
  }

  /** Adds a session, as the createSession txn is applied (or replayed from a snapshot). */
  add(id: bigint, timeoutMs: number, nowMs: number): Session {
    const existing = this.#sessions.get(id);
    if (existing !== undefined) return existing;
    const session: Session = { id, timeoutMs, expiresAtMs: this.#roundToNextTick(nowMs + timeoutMs), closing: false, owner: null };
    this.#sessions.set(id, session);
    return session;
  }

  get(id: bigint): Session | undefined {
    return this.#sessions.get(id);
  }

  /** Extends a live session; false when it is unknown or closing (SessionTracker.touchSession). */
  touch(id: bigint, nowMs: number, timeoutMs?: number): boolean {
    const session = this.#sessions.get(id);
    if (session === undefined || session.closing) return false;
    const expiresAtMs = this.#roundToNextTick(nowMs + (timeoutMs ?? session.timeoutMs));
    if (expiresAtMs > session.expiresAtMs) session.expiresAtMs = expiresAtMs;
    return true;
  }

  /**
   * A new leader starts every session's clock afresh and forgets their owners, as 3.8's session
   * tracker is created anew: clients connected to other servers have had no way to touch it here,
   * and the learner connections that owned sessions before are gone.
   */
  restartExpiry(nowMs: number): void {
    for (const session of this.#sessions.values()) {
      session.closing = false;
      session.owner = null;
      session.expiresAtMs = this.#roundToNextTick(nowMs + session.timeoutMs);
    }
  }

  /** SessionTracker.checkSession: an unowned session becomes the requester's; another owner's is refused. */
  checkOwner(id: bigint, owner: SessionOwner): SessionCheck {
    const session = this.#sessions.get(id);
    if (session === undefined || session.closing) return 'expired';
    if (session.owner === null) session.owner = owner;
    else if (session.owner !== owner) return 'moved';
    return 'live';
  }

  /** SessionTracker.setOwner: a session created or revalidated through `owner` now belongs to it. */
  setOwner(id: bigint, owner: SessionOwner): void {
    const session = this.#sessions.get(id);
    if (session !== undefined && !session.closing) session.owner = owner;
  }

  setClosing(id: bigint): void {
    const session = this.#sessions.get(id);
    if (session !== undefined) session.closing = true;
  }

  remove(id: bigint): void {
    this.#sessions.delete(id);
  }

  /** Sessions whose expiry time has passed and that are not already closing. */
  expired(nowMs: number): Session[] {
    const result: Session[] = [];
    for (const session of this.#sessions.values()) {
      if (!session.closing && session.expiresAtMs <= nowMs) result.push(session);
    }
    return result;
  }

  all(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  get size(): number {
    return this.#sessions.size;
  }
}
