// Fuzzing the client port of a live server with random and mutated frames: huge and negative
// lengths, truncated frames and records, unknown opcodes, random bytes before the handshake, a
// valid handshake followed by garbage, and valid requests with corrupted bodies.
//
// After every case: the server still answers `ruok`, a healthy session opened at the start still
// works (its ephemeral node is there, getData succeeds), and the offending connection was closed by
// the server or answered (never left hanging: every wait is bounded). At the end the protected part
// of the tree is unchanged.
//
// A second, differential test sends the same cases to Apache ZooKeeper 3.8 and to our server and
// compares what each did: the reply frames (xid, error code, size) and whether the connection was
// closed or still served a probe request afterwards.
//
// Reproducible: the seed is printed; rerun with ZK_FUZZ_SEED=<seed> (and ZK_FUZZ_CASE=<n> for one
// case; negative n are the hand-written cases that run first on every seed). ZK_FUZZ_TARGET=java runs the invariant test against Apache ZooKeeper 3.8 to check that the
// expectations are Java's behaviour; ZK_FUZZ_CANDIDATE=java compares Java with a second Java in
// the differential test, which must report no difference.

import { randomInt } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  FrameDecoder,
  JuteReader,
  JuteWriter,
  readGetDataResponse,
  readReplyHeader,
  writeAuthPacket,
  writeConnectRequest,
  writeCreateRequest,
  writeCreateTTLRequest,
  writeDeleteRequest,
  writeExistsRequest,
  writeGetACLRequest,
  writeGetAllChildrenNumberRequest,
  writeGetChildren2Request,
  writeGetDataRequest,
  writeGetEphemeralsRequest,
  writeMultiHeader,
  writeRemoveWatchesRequest,
  writeRequestHeader,
  writeSetACLRequest,
  writeSetDataRequest,
  writeSetWatches,
  writeSyncRequest,
  writeAddWatchRequest,
  writeCheckVersionRequest,
  writeReconfigRequest,
  type ACL,
} from '../../src/jute/index.js';
import { RawSession } from '../conformance/raw-session.js';
import { sendFourLetterWord } from '../support/four-letter.js';
import { startInProcessServer } from '../support/in-process-server.js';
import { startJavaZooKeeper } from '../support/java-zookeeper.js';

// ---------------------------------------------------------------------------------------------
// Configuration

const MAX_BUFFER = 0xfffff; // jute.maxbuffer default, the largest frame either server accepts
// Cases stop being started after these budgets, so the file stays well under 30 s.
const TIME_BUDGET_MS = 10_000;
const MAX_CASES = Number(process.env['ZK_FUZZ_CASES'] ?? '1500');
const DIFF_TIME_BUDGET_MS = 8_000;
const DIFF_MAX_CASES = Number(process.env['ZK_FUZZ_DIFF_CASES'] ?? '400');
/** How long the server may take to close or answer an offending connection. */
const REACTION_TIMEOUT_MS = 3000;
const SEED = process.env['ZK_FUZZ_SEED'] !== undefined ? Number(process.env['ZK_FUZZ_SEED']) >>> 0 : randomInt(0x7fffffff);
const ONLY_CASE = process.env['ZK_FUZZ_CASE'] !== undefined ? Number(process.env['ZK_FUZZ_CASE']) : undefined;
const TARGET = process.env['ZK_FUZZ_TARGET'] === 'java' ? 'java' : 'ours';
/** The server compared with Java in the differential test; `java` checks the comparison itself (it must find nothing). */
const CANDIDATE = process.env['ZK_FUZZ_CANDIDATE'] === 'java' ? 'java' : 'ours';

const OP = {
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  checkWatches: 17,
  removeWatches: 18,
  createContainer: 19,
  createTTL: 21,
  auth: 100,
  setWatches: 101,
  getEphemerals: 103,
  getAllChildrenNumber: 104,
  addWatch: 106,
  whoAmI: 107,
} as const;

/** Request types a 3.8 server knows (Request.isValid plus auth/sasl/setWatches handled before it). */
const KNOWN_TYPES = new Set<number>([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 100, 101, 102, 103, 104, 105, 106, 107, -10, -11]);

const OPEN_ACL: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const READ_ONLY_ACL: ACL[] = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }];

// ---------------------------------------------------------------------------------------------
// Seeded randomness (mulberry32), one independent stream per case

class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  u32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 0x100000000) * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  int32(): number {
    return this.u32() | 0;
  }
}

function caseSeed(seed: number, index: number): number {
  // splitmix-style mixing so neighbouring cases get unrelated streams
  let x = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Frames

function int32be(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(value | 0, 0);
  return b;
}

function framed(body: Buffer): Buffer {
  return Buffer.concat([int32be(body.length), body]);
}

function connectRequestBody(): Buffer {
  const w = new JuteWriter();
  writeConnectRequest(w, { protocolVersion: 0, lastZxidSeen: 0n, timeOut: 10_000, sessionId: 0n, passwd: Buffer.alloc(16) });
  w.writeBoolean(false);
  return w.toBuffer();
}

/** A well-formed request body (RequestHeader + record) for a random opcode, on the offender's own subtree. */
function validRequest(rng: Rng, options: { auth?: boolean } = {}): { type: number; body: Buffer } {
  const xid = rng.range(1, 1000);
  const path = rng.pick(['/fuzz-target', '/fuzz-target/a', '/fuzz-target/b/c', '/fuzz-safe', '/fuzz-safe/eph', '/fuzz-safe/data', '/', '/zookeeper']);
  const data = rng.bytes(rng.range(0, 24));
  const w = new JuteWriter();
  let kind = rng.int(22);
  if (kind === 13 && options.auth === false) kind = 4;
  let type = 0;
  const header = (t: number): void => {
    type = t;
    writeRequestHeader(w, { xid: t === OP.ping ? -2 : t === OP.auth ? -4 : t === OP.setWatches ? -8 : xid, type: t });
  };
  switch (kind) {
    case 0:
      header(OP.create);
      // no ephemeral flags: an offender's session outlives its connection, and ephemerals expiring at
      // different moments on two servers would make the differential test flaky
      writeCreateRequest(w, { path: `${path}-n`, data, acl: OPEN_ACL, flags: rng.pick([0, 2, 4, 5, 6]) });
      break;
    case 1:
      header(OP.create2);
      writeCreateRequest(w, { path: `/fuzz-target/${String(rng.int(5))}`, data, acl: OPEN_ACL, flags: rng.pick([0, 2]) });
      break;
    case 2:
      header(OP.delete);
      writeDeleteRequest(w, { path, version: rng.pick([-1, 0, 1]) });
      break;
    case 3:
      header(OP.exists);
      writeExistsRequest(w, { path, watch: rng.chance(0.5) });
      break;
    case 4:
      header(OP.getData);
      writeGetDataRequest(w, { path, watch: rng.chance(0.5) });
      break;
    case 5:
      header(OP.setData);
      writeSetDataRequest(w, { path, data, version: rng.pick([-1, 0, 3]) });
      break;
    case 6:
      header(OP.getACL);
      writeGetACLRequest(w, { path });
      break;
    case 7:
      header(OP.setACL);
      writeSetACLRequest(w, { path, acl: rng.chance(0.5) ? OPEN_ACL : READ_ONLY_ACL, version: -1 });
      break;
    case 8:
      header(rng.pick([OP.getChildren, OP.getChildren2]));
      writeGetChildren2Request(w, { path, watch: rng.chance(0.5) });
      break;
    case 9:
      header(OP.sync);
      writeSyncRequest(w, { path });
      break;
    case 10:
      header(OP.ping);
      break;
    case 11:
      header(OP.check);
      writeCheckVersionRequest(w, { path, version: rng.pick([-1, 0, 7]) });
      break;
    case 12: {
      header(OP.multi);
      writeMultiHeader(w, { type: OP.create, done: false, err: -1 });
      writeCreateRequest(w, { path: '/fuzz-target/m', data, acl: OPEN_ACL, flags: 0 });
      writeMultiHeader(w, { type: OP.check, done: false, err: -1 });
      writeCheckVersionRequest(w, { path, version: 0 });
      writeMultiHeader(w, { type: OP.delete, done: false, err: -1 });
      writeDeleteRequest(w, { path: '/fuzz-target/m', version: -1 });
      writeMultiHeader(w, { type: -1, done: true, err: -1 });
      break;
    }
    case 13:
      header(OP.auth);
      writeAuthPacket(w, { type: 0, scheme: rng.pick(['digest', 'ip', 'world', 'nosuch']), auth: Buffer.from(rng.pick(['u:p', '', 'x'])) });
      break;
    case 14:
      header(OP.setWatches);
      writeSetWatches(w, { relativeZxid: BigInt(rng.int(100)), dataWatches: [path], existWatches: ['/fuzz-target/none'], childWatches: [path] });
      break;
    case 15:
      header(OP.getEphemerals);
      writeGetEphemeralsRequest(w, { prefixPath: path });
      break;
    case 16:
      header(OP.getAllChildrenNumber);
      writeGetAllChildrenNumberRequest(w, { path });
      break;
    case 17:
      header(OP.addWatch);
      writeAddWatchRequest(w, { path, mode: rng.pick([0, 1, 2]) });
      break;
    case 18:
      header(rng.pick([OP.removeWatches, OP.checkWatches]));
      writeRemoveWatchesRequest(w, { path, type: rng.pick([1, 2, 3]) });
      break;
    case 19:
      header(OP.whoAmI);
      break;
    case 20:
      header(OP.createTTL);
      writeCreateTTLRequest(w, { path: '/fuzz-target/ttl', data, acl: OPEN_ACL, flags: rng.pick([5, 6]), ttl: BigInt(rng.range(1, 100000)) });
      break;
    default:
      header(OP.reconfig);
      writeReconfigRequest(w, { joiningServers: '', leavingServers: '', newMembers: '', curConfigId: -1n });
      break;
  }
  return { type, body: w.toBuffer() };
}

/** Flips, inserts, deletes or overwrites bytes of `body` after `keep` leading bytes. */
function mutate(rng: Rng, body: Buffer, keep: number): Buffer {
  let out = Buffer.from(body);
  const edits = rng.range(1, 4);
  for (let e = 0; e < edits; e++) {
    const span = Math.max(0, out.length - keep);
    const at = keep + (span > 0 ? rng.int(span) : 0);
    switch (rng.int(5)) {
      case 0:
        if (at < out.length) out[at] = (out[at] ?? 0) ^ (1 << rng.int(8));
        break;
      case 1:
        out = Buffer.concat([out.subarray(0, at), rng.bytes(rng.range(1, 8)), out.subarray(at)]);
        break;
      case 2:
        out = Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + rng.range(1, 8)))]);
        break;
      case 3:
        // a length field (string/buffer/vector) turned huge or negative
        if (at + 4 <= out.length) out.writeInt32BE(rng.pick([0x7fffffff, -2, -0x80000000, MAX_BUFFER + 1, rng.int32()]), at);
        break;
      default:
        if (at < out.length) out[at] = rng.int(256);
        break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Cases

type Expectation =
  /** complete input: the server must close the connection or answer it */
  | 'close-or-answer'
  /** the stream cannot be resynchronised: the server must close */
  | 'close'
  /** the input ends inside a frame: the server may wait; after our half-close it must close */
  | 'close-after-eof';

interface FuzzCase {
  kind: string;
  /** Perform a normal handshake (and wait for its answer) before sending `bytes`. */
  handshake: boolean;
  bytes: Buffer;
  expect: Expectation;
}

/** Classifies a pre-handshake byte stream the way the server must read it. */
function classifyRaw(bytes: Buffer): Expectation {
  if (bytes.length < 4) return 'close-after-eof';
  const len = bytes.readInt32BE(0);
  if (len < 0 || len > MAX_BUFFER) return 'close';
  return bytes.length >= 4 + len ? 'close-or-answer' : 'close-after-eof';
}

function generateCase(rng: Rng): FuzzCase {
  const kind = rng.pick([
    'huge-length',
    'negative-length',
    'truncated-frame',
    'truncated-record',
    'unknown-opcode',
    'random-before-handshake',
    'handshake-then-garbage',
    'corrupted-body',
    'corrupted-handshake',
    'garbage-frame',
    'pipelined-corruption',
  ] as const);
  const handshake = rng.chance(0.5);
  switch (kind) {
    case 'huge-length': {
      const len = rng.pick([MAX_BUFFER + 1, 0x7fffffff, rng.range(MAX_BUFFER + 1, 0x7fffffff)]);
      return { kind, handshake, bytes: Buffer.concat([int32be(len), rng.bytes(rng.range(0, 64))]), expect: 'close' };
    }
    case 'negative-length': {
      const len = rng.pick([-1, -0x80000000, -rng.range(1, 0x7fffffff)]);
      return { kind, handshake, bytes: Buffer.concat([int32be(len), rng.bytes(rng.range(0, 64))]), expect: 'close' };
    }
    case 'truncated-frame': {
      const body = handshake ? validRequest(rng).body : connectRequestBody();
      const frame = framed(body);
      return { kind, handshake, bytes: frame.subarray(0, rng.range(1, frame.length - 1)), expect: 'close-after-eof' };
    }
    case 'truncated-record': {
      // a complete frame whose record stops early (the length prefix matches the shortened body)
      const body = handshake ? validRequest(rng).body : connectRequestBody();
      const cut = body.subarray(0, rng.range(0, body.length - 1));
      return { kind, handshake, bytes: framed(cut), expect: 'close-or-answer' };
    }
    case 'unknown-opcode': {
      let type = rng.chance(0.5) ? rng.int32() : rng.range(-20, 120);
      while (KNOWN_TYPES.has(type)) type += 1000;
      const w = new JuteWriter();
      writeRequestHeader(w, { xid: rng.range(1, 1000), type });
      w.writeRaw(rng.bytes(rng.range(0, 40)));
      return { kind, handshake: true, bytes: framed(w.toBuffer()), expect: 'close-or-answer' };
    }
    case 'random-before-handshake': {
      const bytes = rng.bytes(rng.range(1, 200));
      if (rng.chance(0.3) && bytes.length >= 4) bytes.writeInt32BE(rng.range(0, Math.min(bytes.length, 64)), 0); // plausible length
      return { kind, handshake: false, bytes, expect: classifyRaw(bytes) };
    }
    case 'handshake-then-garbage': {
      const bytes = rng.bytes(rng.range(1, 300));
      if (rng.chance(0.5) && bytes.length >= 4) bytes.writeInt32BE(rng.range(0, bytes.length - 4), 0);
      return { kind, handshake: true, bytes, expect: classifyRaw(bytes) };
    }
    case 'corrupted-body': {
      const { body } = validRequest(rng);
      const mutated = mutate(rng, body, 8); // keep the RequestHeader, corrupt the record
      return { kind, handshake: true, bytes: framed(mutated), expect: 'close-or-answer' };
    }
    case 'corrupted-handshake': {
      const mutated = mutate(rng, connectRequestBody(), 0);
      return { kind, handshake: false, bytes: framed(mutated), expect: 'close-or-answer' };
    }
    case 'garbage-frame': {
      const body = rng.bytes(rng.range(0, 200));
      return { kind, handshake, bytes: framed(body), expect: 'close-or-answer' };
    }
    default: {
      // a valid request, then a corrupted one, then a valid one, in one write. No auth packets here:
      // Java handles auth on the network thread ahead of queued requests, and closes the
      // connection on a failed auth before their replies go out, which makes the outcome racy.
      const noAuth = { auth: false };
      const parts = [framed(validRequest(rng, noAuth).body), framed(mutate(rng, validRequest(rng, noAuth).body, 8)), framed(validRequest(rng, noAuth).body)];
      return { kind: 'pipelined-corruption', handshake: true, bytes: Buffer.concat(parts), expect: 'close-or-answer' };
    }
  }
}

/**
 * Hand-written cases that run first on every seed: the corner cases where a lenient or strict
 * reading of a record changes the outcome (found by this fuzzer against Java 3.8).
 */
function fixedCases(): FuzzCase[] {
  const request = (xid: number, type: number, write: (w: JuteWriter) => void): Buffer => {
    const w = new JuteWriter();
    writeRequestHeader(w, { xid, type });
    write(w);
    return framed(w.toBuffer());
  };
  const withHandshake = (kind: string, bytes: Buffer): FuzzCase => ({ kind, handshake: true, bytes, expect: 'close-or-answer' });
  return [
    // AuthPacket cut after the scheme's length: Java cannot read it and drops the connection.
    withHandshake('fixed-truncated-auth', request(-4, OP.auth, (w) => {
      w.writeInt(0);
      w.writeInt(6);
      w.writeRaw(Buffer.from('dig'));
    })),
    // AuthPacket whose scheme length runs past the end of the frame.
    withHandshake('fixed-auth-overlong-scheme', request(-4, OP.auth, (w) => {
      w.writeInt(0);
      w.writeInt(0x7fffffff);
    })),
    // A vector count below -1 (Java's BinaryInputArchive reads it as an empty vector).
    withHandshake('fixed-create-negative-acl-count', request(901, OP.create, (w) => {
      w.writeUstring('/fuzz-target/negacl');
      w.writeBuffer(Buffer.from('x'));
      w.writeInt(-2);
      w.writeInt(0);
    })),
    withHandshake('fixed-setacl-negative-acl-count', request(902, OP.setACL, (w) => {
      w.writeUstring('/fuzz-target');
      w.writeInt(-7);
      w.writeInt(-1);
    })),
    withHandshake('fixed-setwatches-negative-counts', request(-8, OP.setWatches, (w) => {
      w.writeLong(0n);
      w.writeInt(1);
      w.writeUstring('/fuzz-target/gone');
      w.writeInt(-3);
      w.writeInt(-3);
    })),
    // Bytes after a complete record (Java reads the record and ignores the rest of the frame).
    withHandshake('fixed-trailing-bytes', request(903, OP.getData, (w) => {
      writeGetDataRequest(w, { path: '/fuzz-target', watch: false });
      w.writeRaw(Buffer.from('trailing junk'));
    })),
    // A path that is not valid UTF-8.
    withHandshake('fixed-invalid-utf8-path', request(904, OP.exists, (w) => {
      w.writeInt(4);
      w.writeRaw(Buffer.from([0x2f, 0xc3, 0x28, 0xff]));
      w.writeBoolean(false);
    })),
    // A boolean byte that is neither 0 nor 1.
    withHandshake('fixed-boolean-2', request(905, OP.getData, (w) => {
      w.writeUstring('/fuzz-target');
      w.writeRaw(Buffer.from([2]));
    })),
  ];
}

// ---------------------------------------------------------------------------------------------
// The offending connection

interface Reaction {
  closed: boolean;
  /** Frames the server sent after the handshake answer (or all frames, without a handshake). */
  frames: Buffer[];
  /** Error codes of the reply headers among those frames (after a handshake). */
  errors: number[];
}

class Offender {
  readonly frames: Buffer[] = [];
  closed = false;
  decodeError: string | undefined;
  private readonly socket: Socket;
  private readonly decoder = new FrameDecoder({ maxFrameBytes: 16 * 1024 * 1024 });
  private readonly listeners = new Set<() => void>();
  private readonly closedPromise: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closedPromise = new Promise<void>((resolve) => {
      socket.once('close', () => {
        this.closed = true;
        this.notify();
        resolve();
      });
    });
    socket.on('error', () => undefined); // ECONNRESET from a server that closes while we write is fine
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of this.decoder.push(chunk)) this.frames.push(Buffer.from(f));
      } catch (err) {
        this.decodeError = err instanceof Error ? err.message : String(err);
        socket.destroy();
      }
      this.notify();
    });
  }

  static open(port: number): Promise<Offender> {
    return new Promise<Offender>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('TCP connect timed out'));
      }, REACTION_TIMEOUT_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new Offender(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Resolves true once `predicate` holds, false after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const listener = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        resolve(predicate());
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }

  write(bytes: Buffer): void {
    if (!this.closed) this.socket.write(bytes);
  }

  halfClose(): void {
    if (!this.closed) this.socket.end();
  }

  async destroy(): Promise<void> {
    this.socket.destroy();
    await this.closedPromise;
  }
}

/** True when `bytes` is a whole number of frames with acceptable lengths (so a probe request can follow). */
function frameAligned(bytes: Buffer): boolean {
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) return false;
    const len = bytes.readInt32BE(at);
    if (len < 0 || len > MAX_BUFFER || at + 4 + len > bytes.length) return false;
    at += 4 + len;
  }
  return true;
}

/** xid of the probe request; no generated request uses it. */
const PROBE_XID = 0x7ffff00d;
/** exists("/") with the probe xid: its reply comes after the replies to everything sent before it. */
const PROBE_FRAME = (() => {
  const w = new JuteWriter();
  writeRequestHeader(w, { xid: PROBE_XID, type: OP.exists });
  writeExistsRequest(w, { path: '/', watch: false });
  return framed(w.toBuffer());
})();

function isProbeReply(frame: Buffer): boolean {
  return frame.length >= 16 && frame.readInt32BE(0) === PROBE_XID;
}

const CLOSE_XID = 0x7ffff00e;
const CLOSE_SESSION_FRAME = (() => {
  const w = new JuteWriter();
  writeRequestHeader(w, { xid: CLOSE_XID, type: -11 });
  return framed(w.toBuffer());
})();

function isCloseReply(frame: Buffer): boolean {
  return frame.length >= 16 && frame.readInt32BE(0) === CLOSE_XID;
}

/** What the server did with one case, comparable between servers (no zxids, times or session ids). */
interface Signature {
  /** Every frame after our own handshake's answer: `xid:err:length` for replies, `connect:length:timeout>0` for a ConnectResponse. */
  frames: string[];
  /** How the exchange ended: the server closed, or the session still answered a probe request afterwards. */
  end: 'closed' | 'probe-answered';
}

/**
 * Java answers an unknown request type with UNIMPLEMENTED (-6) and then closes the connection from
 * another thread, so a request sent right after that reply is sometimes still answered: whether the
 * connection ends closed is racy there and not compared (the invariant test still requires a reaction).
 */
function comparable(signature: Signature): Signature | { frames: string[]; end: 'closes after UNIMPLEMENTED' } {
  if (signature.frames.some((f) => f.split(':')[1] === '-6')) return { frames: signature.frames, end: 'closes after UNIMPLEMENTED' };
  return signature;
}

interface CaseResult {
  ok: boolean;
  detail: string;
  reaction: Reaction;
  signature: Signature;
}

function describeFrames(frames: readonly Buffer[], sessionEstablished: boolean): { labels: string[]; errors: number[]; bad: string | undefined } {
  const labels: string[] = [];
  const errors: number[] = [];
  let established = sessionEstablished;
  for (const f of frames) {
    if (!established) {
      // the answer to a ConnectRequest the case itself sent
      if (f.length < 36) return { labels, errors, bad: `ConnectResponse shorter than 36 bytes: ${f.toString('hex')}` };
      labels.push(`connect:${String(f.length)}:${String(f.readInt32BE(4) > 0)}`);
      established = true;
      continue;
    }
    if (f.length < 16) return { labels, errors, bad: `reply frame shorter than a ReplyHeader: ${f.toString('hex')}` };
    const header = readReplyHeader(new JuteReader(f));
    labels.push(`${String(header.xid)}:${String(header.err)}:${String(f.length)}`);
    errors.push(header.err);
  }
  return { labels, errors, bad: undefined };
}

async function runCase(port: number, c: FuzzCase): Promise<CaseResult> {
  const offender = await Offender.open(port);
  const fail = (detail: string, frames: Buffer[] = []): CaseResult => ({
    ok: false,
    detail,
    reaction: { closed: offender.closed, frames, errors: [] },
    signature: { frames: [], end: 'closed' },
  });
  try {
    if (c.handshake) {
      offender.write(framed(connectRequestBody()));
      const answered = await offender.waitFor(() => offender.frames.length >= 1 || offender.closed, REACTION_TIMEOUT_MS);
      const first = offender.frames[0];
      if (!answered || first === undefined || first.length < 36) return fail(`valid handshake not answered (closed=${String(offender.closed)})`);
    }
    const before = offender.frames.length;
    offender.write(c.bytes);
    let reacted: boolean;
    if (c.expect === 'close-after-eof') {
      offender.halfClose();
      reacted = await offender.waitFor(() => offender.closed, REACTION_TIMEOUT_MS);
    } else if (c.expect === 'close') {
      reacted = await offender.waitFor(() => offender.closed, REACTION_TIMEOUT_MS);
    } else {
      reacted = await offender.waitFor(() => offender.closed || offender.frames.length > before, REACTION_TIMEOUT_MS);
    }
    const reactionFrames = offender.frames.slice(before);
    if (offender.decodeError !== undefined) return fail(`server sent an undecodable stream: ${offender.decodeError}`, reactionFrames);
    // 3.8 never answers a successful check (op 13) sent outside a multi (its reply cannot be
    // serialized); a mutation that happens to produce one is answered by silence on both servers.
    const silentCheck = c.handshake && c.bytes.length >= 12 && c.bytes.readInt32BE(8) === 13;
    if (!reacted && silentCheck && !offender.closed) reacted = true;
    if (!reacted) {
      const what = c.expect === 'close-or-answer' ? 'neither closed nor answered' : 'did not close';
      return fail(`the server ${what} within ${String(REACTION_TIMEOUT_MS)} ms`, reactionFrames);
    }
    const reaction = describeFrames(reactionFrames, c.handshake);
    if (reaction.bad !== undefined) return fail(reaction.bad, reactionFrames);

    // Settle the final state without sleeping: a connection left open must still serve its session
    // (the probe is answered after every earlier reply), otherwise the server must close it.
    let end: Signature['end'] = 'closed';
    if (!offender.closed) {
      const sessionUp = c.handshake || reactionFrames.length > 0;
      if (sessionUp && frameAligned(c.bytes)) {
        offender.write(PROBE_FRAME);
        const settled = await offender.waitFor(() => offender.closed || offender.frames.some(isProbeReply), REACTION_TIMEOUT_MS);
        if (!settled) return fail('connection left open but a request on it was not answered');
        if (offender.frames.some(isProbeReply)) end = 'probe-answered';
      } else {
        offender.halfClose();
        const settled = await offender.waitFor(() => offender.closed, REACTION_TIMEOUT_MS);
        if (!settled) return fail('connection not closed after our half-close');
      }
    }
    if (end === 'probe-answered') {
      // End the session the way clients do, so offender sessions do not pile up until they expire.
      offender.write(CLOSE_SESSION_FRAME);
      if (!(await offender.waitFor(() => offender.closed, REACTION_TIMEOUT_MS))) return fail('closeSession did not close the connection');
    }
    const all = offender.frames.slice(before).filter((f) => !isProbeReply(f) && !isCloseReply(f));
    const described = describeFrames(all, c.handshake);
    if (described.bad !== undefined) return fail(described.bad, all);
    if (offender.decodeError !== undefined) return fail(`server sent an undecodable stream: ${offender.decodeError}`, all);
    return {
      ok: true,
      detail: '',
      reaction: { closed: offender.closed || end === 'closed', frames: reactionFrames, errors: reaction.errors },
      signature: { frames: described.labels, end },
    };
  } finally {
    await offender.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// The healthy session and the protected tree

async function getData(session: RawSession, path: string): Promise<{ err: number; data: string | null }> {
  const w = new JuteWriter();
  writeGetDataRequest(w, { path, watch: false });
  const reply = await session.request(OP.getData, w.toBuffer(), { timeoutMs: REACTION_TIMEOUT_MS });
  if (reply.header.err !== 0) return { err: reply.header.err, data: null };
  const response = readGetDataResponse(new JuteReader(reply.body));
  return { err: 0, data: response.data === null ? null : response.data.toString('utf8') };
}

async function getDataWithStat(session: RawSession, path: string): Promise<{ err: number; data: string | null; version: number; ephemeralOwner: bigint }> {
  const w = new JuteWriter();
  writeGetDataRequest(w, { path, watch: false });
  const reply = await session.request(OP.getData, w.toBuffer(), { timeoutMs: REACTION_TIMEOUT_MS });
  if (reply.header.err !== 0) return { err: reply.header.err, data: null, version: -1, ephemeralOwner: 0n };
  const response = readGetDataResponse(new JuteReader(reply.body));
  return {
    err: 0,
    data: response.data === null ? null : response.data.toString('utf8'),
    version: response.stat.version,
    ephemeralOwner: response.stat.ephemeralOwner,
  };
}

async function create(session: RawSession, path: string, data: string, acl: ACL[], flags: number): Promise<number> {
  const w = new JuteWriter();
  writeCreateRequest(w, { path, data: Buffer.from(data), acl, flags });
  const reply = await session.request(OP.create, w.toBuffer(), { timeoutMs: REACTION_TIMEOUT_MS });
  return reply.header.err;
}

async function setAcl(session: RawSession, path: string, acl: ACL[]): Promise<number> {
  const w = new JuteWriter();
  writeSetACLRequest(w, { path, acl, version: -1 });
  const reply = await session.request(OP.setACL, w.toBuffer(), { timeoutMs: REACTION_TIMEOUT_MS });
  return reply.header.err;
}

// ---------------------------------------------------------------------------------------------

interface Target {
  name: 'java' | 'ours';
  port: number;
  /** A session opened before any fuzzing, owner of /fuzz-safe/eph. */
  healthy: RawSession;
  stop(): Promise<void>;
}

/** Starts a server and prepares the protected tree: read-only /fuzz-safe with an ephemeral and a data node. */
async function startTarget(name: 'java' | 'ours'): Promise<Target> {
  const server = name === 'java' ? await startJavaZooKeeper() : await startInProcessServer({ extraCfg: { '4lw.commands.whitelist': 'ruok,srvr' } });
  try {
    const healthy = await RawSession.connect({ host: '127.0.0.1', port: server.port }, { timeOut: 30_000 });
    const setup = [
      await create(healthy, '/fuzz-safe', '', OPEN_ACL, 0),
      await create(healthy, '/fuzz-safe/eph', 'alive', READ_ONLY_ACL, 1),
      await create(healthy, '/fuzz-safe/data', 'precious', READ_ONLY_ACL, 0),
      await setAcl(healthy, '/fuzz-safe', READ_ONLY_ACL),
      await create(healthy, '/fuzz-target', '', OPEN_ACL, 0),
    ];
    if (setup.some((err) => err !== 0)) throw new Error(`${name}: setting up the tree failed: ${setup.join(',')}`);
    return {
      name,
      port: server.port,
      healthy,
      stop: async () => {
        try {
          if (!healthy.isClosed()) await healthy.close(REACTION_TIMEOUT_MS);
        } finally {
          await server.stop();
        }
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

const FIXED_CASES = fixedCases();

/** Case n < 0 is fixed case -n-1 (the same on every seed); n >= 0 is generated from the seed. */
function caseAt(index: number): FuzzCase {
  if (index < 0) {
    const c = FIXED_CASES[-index - 1];
    if (c === undefined) throw new Error(`no fixed case ${String(index)}`);
    return c;
  }
  return generateCase(new Rng(caseSeed(SEED, index)));
}

function where(index: number, c: FuzzCase): string {
  const shown = ONLY_CASE === undefined ? 96 : c.bytes.length; // whole frame when one case is rerun
  const hex = c.bytes.subarray(0, shown).toString('hex');
  const name = index < 0 ? `fixed case ${String(index)}` : `seed ${String(SEED)} case ${String(index)}`;
  return `${name} (${c.kind}, handshake=${String(c.handshake)}, expect ${c.expect}): ${hex}${c.bytes.length > shown ? '…' : ''} [${String(c.bytes.length)} bytes]`;
}

function caseIndices(): number[] {
  if (ONLY_CASE !== undefined) return [ONLY_CASE];
  return [...FIXED_CASES.map((_, i) => -i - 1), ...Array.from({ length: MAX_CASES }, (_, i) => i)];
}

async function expectHealthy(target: Target, context: string): Promise<void> {
  expect(await sendFourLetterWord(target.port, 'ruok', '127.0.0.1', REACTION_TIMEOUT_MS), `${context}: ruok`).toBe('imok');
  expect(target.healthy.isClosed(), `${context}: the healthy session's connection was closed`).toBe(false);
  const probe = await getData(target.healthy, '/fuzz-safe/eph');
  expect(probe, `${context}: getData on the healthy session's ephemeral node`).toEqual({ err: 0, data: 'alive' });
}

async function expectTreeUnchanged(target: Target): Promise<void> {
  const checker = await RawSession.connect({ host: '127.0.0.1', port: target.port }, { timeOut: 10_000 });
  try {
    const eph = await getDataWithStat(checker, '/fuzz-safe/eph');
    expect(eph, `${target.name}: /fuzz-safe/eph`).toEqual({ err: 0, data: 'alive', version: 0, ephemeralOwner: target.healthy.sessionId });
    const data = await getDataWithStat(checker, '/fuzz-safe/data');
    expect(data, `${target.name}: /fuzz-safe/data`).toEqual({ err: 0, data: 'precious', version: 0, ephemeralOwner: 0n });
  } finally {
    await checker.close(REACTION_TIMEOUT_MS);
  }
}

describe(`fuzzing the client port (seed ${String(SEED)})`, () => {
  it(`survives random and mutated frames (${TARGET}): ruok, the healthy session and the tree are unaffected, offenders are closed or answered`, async () => {
    console.log(`zk fuzz: seed ${String(SEED)} (rerun with ZK_FUZZ_SEED=${String(SEED)}), target ${TARGET}`);
    const target = await startTarget(TARGET);
    try {
      const started = Date.now();
      const outcomes = new Map<string, { cases: number; closed: number; answered: number; errorReplies: number }>();
      let ran = 0;
      for (const index of caseIndices()) {
        if (ONLY_CASE === undefined && Date.now() - started > TIME_BUDGET_MS) break;
        const c = caseAt(index);
        const context = where(index, c);
        const result = await runCase(target.port, c);
        expect(result.ok, `${context}\n${result.detail}`).toBe(true);
        await expectHealthy(target, context);
        const o = outcomes.get(c.kind) ?? { cases: 0, closed: 0, answered: 0, errorReplies: 0 };
        o.cases += 1;
        if (result.signature.end === 'closed') o.closed += 1;
        if (result.reaction.frames.length > 0) o.answered += 1;
        if (result.reaction.errors.some((e) => e !== 0)) o.errorReplies += 1;
        outcomes.set(c.kind, o);
        ran += 1;
      }
      console.log(`zk fuzz: ${String(ran)} cases in ${String(Date.now() - started)} ms (seed ${String(SEED)})`);
      console.table(Object.fromEntries(outcomes));
      if (ONLY_CASE === undefined) expect(ran, 'too few cases ran in the time budget').toBeGreaterThanOrEqual(100);
      await expectTreeUnchanged(target);
    } finally {
      await target.stop();
    }
  });

  it('treats each case as Apache ZooKeeper 3.8 does: same replies (xid, error code, size) and same close/keep-open outcome', async () => {
    const [java, ours] = await Promise.all([startTarget('java'), startTarget(CANDIDATE)]);
    try {
      const started = Date.now();
      const differences: string[] = [];
      let ran = 0;
      for (const index of caseIndices()) {
        if (ONLY_CASE === undefined && (Date.now() - started > DIFF_TIME_BUDGET_MS || ran >= DIFF_MAX_CASES)) break;
        const c = caseAt(index);
        const context = where(index, c);
        const expected = await runCase(java.port, c);
        const actual = await runCase(ours.port, c);
        expect(expected.ok, `Java failed the invariants on ${context}: ${expected.detail}`).toBe(true);
        expect(actual.ok, `${context}\n${actual.detail}`).toBe(true);
        await expectHealthy(ours, context);
        const e = JSON.stringify(comparable(expected.signature));
        const a = JSON.stringify(comparable(actual.signature));
        if (e !== a) differences.push(`${context}\n    java: ${e}\n    ours: ${a}`);
        ran += 1;
      }
      console.log(`zk fuzz differential: ${String(ran)} cases in ${String(Date.now() - started)} ms, ${String(differences.length)} differences (seed ${String(SEED)})`);
      expect(differences.slice(0, 15).join('\n'), `${String(differences.length)} of ${String(ran)} cases differ from Java (first 15 shown; later ones may follow from the first)`).toBe('');
      await Promise.all([expectTreeUnchanged(java), expectTreeUnchanged(ours)]);
    } finally {
      await Promise.allSettled([java.stop(), ours.stop()]);
    }
  });
});
