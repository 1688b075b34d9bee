/**
 * Big-endian jute encoder into a growable buffer.
 *
 * Encoding errors are programmer errors (a value outside its jute range) and
 * are reported with a plain `Error`.
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DEFAULT_CAPACITY = 256;
/** Strings up to this many UTF-16 units are encoded by a pure-JS ASCII fast path. */
const ASCII_FAST_PATH_MAX = 24;
/** Strings up to this many UTF-16 units reserve 3 bytes per unit instead of measuring first. */
const RESERVE_WORST_CASE_MAX = 4096;

function fail(message: string): never {
  throw new Error(`JuteWriter: ${message}`);
}

export class JuteWriter {
  private buf: Buffer;
  /**
   * The same bytes as `buf`. A DataView writes a bigint straight from its digits; Buffer's
   * writeBigInt64BE makes three intermediate bigints per long, and a reply or txn has several longs.
   */
  private view: DataView;
  private pos = 0;

  /** @param initialCapacityBytes initial size of the internal buffer (it doubles as needed). */
  constructor(initialCapacityBytes = DEFAULT_CAPACITY) {
    if (!Number.isSafeInteger(initialCapacityBytes) || initialCapacityBytes < 0) {
      fail(`initialCapacityBytes must be a non-negative integer, got ${String(initialCapacityBytes)}`);
    }
    this.buf = Buffer.allocUnsafe(initialCapacityBytes);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Writes a big-endian signed 32-bit int; throws unless `value` is an integer in int32 range. */
  writeInt(value: number): void {
    if ((value | 0) !== value) {
      fail(`int out of int32 range: ${String(value)}`);
    }
    this.ensure(4);
    this.view.setInt32(this.pos, value);
    this.pos += 4;
  }

  /** Writes a big-endian signed 64-bit long; throws unless `value` is in int64 range. */
  writeLong(value: bigint): void {
    if (value < INT64_MIN || value > INT64_MAX) {
      fail(`long out of int64 range: ${String(value)}`);
    }
    this.ensure(8);
    this.view.setBigInt64(this.pos, value);
    this.pos += 8;
  }

  /** Writes a boolean as one byte, 1 or 0. */
  writeBoolean(value: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = value ? 1 : 0;
  }

  /**
   * Writes an int32 byte length followed by the UTF-8 encoding; `null` is length -1.
   * Lone surrogates are encoded as U+FFFD (standard UTF-8, unlike Java's writer).
   */
  writeUstring(value: string | null): void {
    if (value === null) {
      this.writeInt(-1);
      return;
    }
    const n = value.length;
    if (n <= RESERVE_WORST_CASE_MAX) {
      this.ensure(4 + 3 * n);
      const buf = this.buf;
      const start = this.pos + 4;
      let written = -1;
      if (n <= ASCII_FAST_PATH_MAX) {
        let i = 0;
        for (; i < n; i++) {
          const c = value.charCodeAt(i);
          if (c >= 0x80) {
            break;
          }
          buf[start + i] = c;
        }
        if (i === n) {
          written = n;
        }
      }
      if (written < 0) {
        written = buf.write(value, start, 'utf8');
      }
      buf.writeInt32BE(written, this.pos);
      this.pos = start + written;
      return;
    }
    const byteLength = Buffer.byteLength(value, 'utf8');
    if (byteLength > 0x7fffffff) {
      fail(`ustring too long: ${byteLength} bytes`);
    }
    this.ensure(4 + byteLength);
    this.buf.writeInt32BE(byteLength, this.pos);
    this.buf.write(value, this.pos + 4, byteLength, 'utf8');
    this.pos += 4 + byteLength;
  }

  /** Writes an int32 length followed by the bytes; `null` is length -1. */
  writeBuffer(value: Uint8Array | null): void {
    if (value === null) {
      this.writeInt(-1);
      return;
    }
    const n = value.length;
    if (n > 0x7fffffff) {
      fail(`buffer too long: ${n} bytes`);
    }
    this.ensure(4 + n);
    this.buf.writeInt32BE(n, this.pos);
    this.buf.set(value, this.pos + 4);
    this.pos += 4 + n;
  }

  /**
   * Writes an int32 element count followed by each element; `null` is count -1.
   *
   * @param writeItem writes one element (pass a module-level function to avoid per-call closures).
   */
  writeVector<T>(items: readonly T[] | null, writeItem: (writer: JuteWriter, item: T) => void): void {
    if (items === null) {
      this.writeInt(-1);
      return;
    }
    this.writeInt(items.length);
    for (const item of items) {
      writeItem(this, item);
    }
  }

  /** Appends raw bytes with no length prefix (e.g. an already-encoded record). */
  writeRaw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /**
   * Overwrites a previously written int32 at `offset` (e.g. a length reserved
   * with `writeInt(0)`); the written length does not change.
   */
  patchInt(offset: number, value: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + 4 > this.pos) {
      fail(`patchInt offset ${String(offset)} is outside the ${this.pos} written bytes`);
    }
    if ((value | 0) !== value) {
      fail(`int out of int32 range: ${String(value)}`);
    }
    this.buf.writeInt32BE(value, offset);
  }

  /**
   * Returns the bytes written so far as a zero-copy view of the internal buffer.
   * The view stays valid and unchanged if the writer is used further (later
   * writes only append, and growing moves to a new buffer); only a later
   * {@link patchInt} over bytes the view covers would change it.
   */
  toBuffer(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of the bytes written so far, in a buffer of exactly their size (the writer can then be reset). */
  copyBytes(): Buffer {
    const copy = Buffer.allocUnsafe(this.pos);
    this.buf.copy(copy, 0, 0, this.pos);
    return copy;
  }

  /** Forgets what was written, keeping the buffer; views from {@link toBuffer} see later writes. */
  reset(): void {
    this.pos = 0;
  }

  /** Size of the internal buffer. */
  get capacity(): number {
    return this.buf.length;
  }

  private ensure(extra: number): void {
    const needed = this.pos + extra;
    if (needed > this.buf.length) {
      this.grow(needed);
    }
  }

  private grow(needed: number): void {
    let capacity = this.buf.length > 0 ? this.buf.length * 2 : DEFAULT_CAPACITY;
    while (capacity < needed) {
      capacity *= 2;
    }
    const next = Buffer.allocUnsafe(capacity);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.length);
  }
}

/** A scratch writer larger than this is not kept for reuse (one huge frame should not pin its buffer). */
const SCRATCH_KEEP_MAX = 64 * 1024;

/** The writer encodeFrame reuses; null while a call is using it. */
let frameScratch: JuteWriter | null = null;

/**
 * Encodes one length-prefixed frame: a 4-byte big-endian payload length
 * followed by the payload produced by `writeBody`. The prefix is reserved
 * first and patched afterwards, so the body is written exactly once.
 *
 * The frame is built in a writer kept between calls and copied out at its
 * exact size: a server encodes a frame per reply, and a fresh writer with a
 * buffer to grow for each was a good part of its garbage. The result is the
 * caller's own. `initialCapacityBytes` sizes the writer when the scratch one
 * is busy (a frame encoded from inside `writeBody`) or was dropped.
 */
export function encodeFrame(writeBody: (writer: JuteWriter) => void, initialCapacityBytes?: number): Buffer {
  const writer = frameScratch ?? new JuteWriter(initialCapacityBytes);
  frameScratch = null;
  try {
    writer.writeInt(0);
    writeBody(writer);
    writer.patchInt(0, writer.length - 4);
    return writer.copyBytes();
  } finally {
    writer.reset();
    if (writer.capacity <= SCRATCH_KEEP_MAX) frameScratch = writer;
  }
}
