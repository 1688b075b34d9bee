/**
 * Big-endian jute decoder over an in-memory byte array.
 *
 * Every read validates bounds before touching memory, and every
 * length-prefixed value (ustring, buffer, vector) is validated before any
 * allocation, so hostile input can neither trigger large allocations nor
 * raise anything but {@link JuteDecodeError}.
 */
import { JuteDecodeError } from './errors.js';

/** Java's `jute.maxbuffer` default: 0xfffff bytes (just under 1 MiB). */
export const DEFAULT_MAX_BUFFER_BYTES = 0xfffff;

/**
 * Slack added to `maxBufferBytes` when checking ustring/buffer lengths, so a
 * value written at exactly the limit plus record overhead is still readable.
 * 1024 is the historical (and minimum) slack of Java's BinaryInputArchive.
 */
export const DEFAULT_EXTRA_BUFFER_BYTES = 1024;

export interface JuteReaderOptions {
  /** Maximum ustring/buffer length accepted (before slack). Default {@link DEFAULT_MAX_BUFFER_BYTES}. */
  readonly maxBufferBytes?: number;
  /** Slack on top of `maxBufferBytes`. Default {@link DEFAULT_EXTRA_BUFFER_BYTES}. */
  readonly extraBufferBytes?: number;
}

/**
 * Strings up to this many bytes are decoded by a pure-JS ASCII fast path;
 * beyond that the native UTF-8 decoder is faster.
 */
const ASCII_FAST_PATH_MAX = 8;

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function checkLimit(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`JuteReader: ${name} must be a non-negative safe integer, got ${String(value)}`);
  }
  return value;
}

export class JuteReader {
  /** Maximum ustring/buffer length accepted, not counting the extra slack. */
  readonly maxBufferBytes: number;
  /** Slack accepted on top of {@link maxBufferBytes}. */
  readonly extraBufferBytes: number;

  private readonly buf: Buffer;
  /** Made on the first readLong: a DataView reads a bigint without Buffer's intermediate bigints. */
  private view: DataView | null = null;
  private readonly end: number;
  private readonly lengthLimit: number;
  private pos = 0;

  /**
   * @param bytes the encoded input; it is not copied, so it must not change while being read.
   */
  constructor(bytes: Uint8Array, options?: JuteReaderOptions) {
    this.buf = toBuffer(bytes);
    this.end = this.buf.length;
    this.maxBufferBytes = checkLimit('maxBufferBytes', options?.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES);
    this.extraBufferBytes = checkLimit('extraBufferBytes', options?.extraBufferBytes ?? DEFAULT_EXTRA_BUFFER_BYTES);
    this.lengthLimit = this.maxBufferBytes + this.extraBufferBytes;
  }

  /** Number of bytes consumed so far. */
  get offset(): number {
    return this.pos;
  }

  /** Number of bytes not yet consumed. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Reads a big-endian signed 32-bit int. */
  readInt(): number {
    const pos = this.pos;
    if (this.end - pos < 4) {
      this.truncated('int', 4);
    }
    this.pos = pos + 4;
    return this.buf.readInt32BE(pos);
  }

  /** Reads a big-endian signed 64-bit long. */
  readLong(): bigint {
    const pos = this.pos;
    if (this.end - pos < 8) {
      this.truncated('long', 8);
    }
    this.pos = pos + 8;
    this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    return this.view.getBigInt64(pos);
  }

  /** Reads a one-byte boolean; any non-zero byte is `true` (as Java's DataInput does). */
  readBoolean(): boolean {
    const pos = this.pos;
    if (pos >= this.end) {
      this.truncated('boolean', 1);
    }
    this.pos = pos + 1;
    return this.buf[pos] !== 0;
  }

  /**
   * Reads an int32-length-prefixed UTF-8 string; length -1 means `null`.
   * Malformed UTF-8 sequences decode to U+FFFD (as Java's decoder does).
   */
  readUstring(): string | null {
    const len = this.readLength('ustring');
    if (len < 0) {
      return null;
    }
    const start = this.pos;
    const stop = start + len;
    this.pos = stop;
    if (len <= ASCII_FAST_PATH_MAX) {
      const buf = this.buf;
      let s = '';
      for (let i = start; i < stop; i++) {
        const c = buf[i] as number;
        if (c >= 0x80) {
          return buf.toString('utf8', start, stop);
        }
        s += String.fromCharCode(c);
      }
      return s;
    }
    return this.buf.toString('utf8', start, stop);
  }

  /**
   * Reads an int32-length-prefixed byte buffer; length -1 means `null`.
   *
   * The result is a zero-copy view into the input: callers that keep it
   * beyond the lifetime of the input bytes (or that mutate the input) must
   * copy it, e.g. with `Buffer.from(view)`.
   */
  readBuffer(): Buffer | null {
    const len = this.readLength('buffer');
    if (len < 0) {
      return null;
    }
    const start = this.pos;
    this.pos = start + len;
    return this.buf.subarray(start, start + len);
  }

  /**
   * Reads an int32 element count followed by that many items; count -1 means `null`.
   *
   * @param readItem reads one element (pass a module-level function to avoid per-call closures).
   * @param minItemBytes the smallest encoding of one element (default 1); a count whose
   *   minimal encoding exceeds the remaining bytes is rejected before anything is allocated.
   */
  readVector<T>(readItem: (reader: JuteReader) => T, minItemBytes = 1): T[] | null {
    const at = this.pos;
    const count = this.readInt();
    if (count === -1) {
      return null;
    }
    if (count < 0) {
      // Java's BinaryInputArchive reads any other negative count as an empty vector; so do we, or
      // the same request would get a different answer from us than from ZooKeeper.
      return [];
    }
    const unit = minItemBytes > 1 ? minItemBytes : 1;
    if (count * unit > this.end - this.pos) {
      throw new JuteDecodeError(
        `vector count ${count} needs at least ${count * unit} bytes but only ${this.end - this.pos} remain`,
        at,
      );
    }
    const items: T[] = [];
    for (let i = 0; i < count; i++) {
      items.push(readItem(this));
    }
    return items;
  }

  /** Throws unless every byte of the input has been consumed. */
  expectEnd(): void {
    if (this.pos !== this.end) {
      throw new JuteDecodeError(`${this.end - this.pos} unexpected trailing bytes`, this.pos);
    }
  }

  /** Reads and validates a ustring/buffer length; returns -1 for null. */
  private readLength(what: string): number {
    const at = this.pos;
    const len = this.readInt();
    if (len < 0) {
      if (len === -1) {
        return -1;
      }
      throw new JuteDecodeError(`negative ${what} length ${len}`, at);
    }
    if (len > this.lengthLimit) {
      throw new JuteDecodeError(
        `${what} length ${len} exceeds the limit of ${this.maxBufferBytes} + ${this.extraBufferBytes} bytes`,
        at,
      );
    }
    if (len > this.end - this.pos) {
      throw new JuteDecodeError(`${what} length ${len} exceeds the ${this.end - this.pos} remaining bytes`, at);
    }
    return len;
  }

  private truncated(what: string, need: number): never {
    throw new JuteDecodeError(`truncated ${what}: need ${need} bytes, ${this.end - this.pos} remain`, this.pos);
  }
}
