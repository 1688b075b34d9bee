/**
 * Incremental decoder for 4-byte big-endian length-prefixed frames, as used
 * on every ZooKeeper TCP connection.
 */
import { FrameTooLargeError, JuteDecodeError } from './errors.js';

export interface FrameDecoderOptions {
  /** Largest accepted payload length (excluding the 4-byte prefix). */
  readonly maxFrameBytes: number;
}

const EMPTY = Buffer.alloc(0);

/**
 * Splits a byte stream into frame payloads. Chunks may be split anywhere,
 * including inside the length prefix.
 *
 * - A frame that lies entirely inside one pushed chunk is returned as a
 *   zero-copy view of that chunk; a frame spread over several chunks is
 *   assembled with a single copy once it is complete (pending pieces are
 *   kept as a list, so many tiny chunks cost linear, not quadratic, time).
 * - Memory held for an incomplete frame grows only with the bytes actually
 *   received, never with the announced length.
 * - A negative length throws {@link JuteDecodeError}; a length above
 *   `maxFrameBytes` throws {@link FrameTooLargeError}. The error's offset is
 *   the stream offset of the bad prefix. Frames completed earlier in the same
 *   `push` are not returned in that case. After an error the decoder is
 *   unusable: every later `push` rethrows the same error.
 * - Pushed chunks are retained (not copied) until their frame completes and
 *   returned payloads may alias them, so callers must not reuse or modify a
 *   chunk after pushing it.
 */
export class FrameDecoder {
  readonly maxFrameBytes: number;

  /** Partial length prefix, when a chunk ended inside one. */
  private readonly header = Buffer.alloc(4);
  private headerFill = 0;
  /** Payload length of the frame being assembled, or -1 while reading a prefix. */
  private frameLength = -1;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** Stream offset of the first byte of the current chunk. */
  private streamOffset = 0;
  private failure: JuteDecodeError | null = null;

  constructor(options: FrameDecoderOptions) {
    const max = options.maxFrameBytes;
    if (!Number.isSafeInteger(max) || max < 0 || max > 0x7fffffff) {
      throw new Error(`FrameDecoder: maxFrameBytes must be an integer in [0, 2^31-1], got ${String(max)}`);
    }
    this.maxFrameBytes = max;
  }

  /** Bytes received (prefix included) but not yet returned as part of a complete frame. */
  get bufferedBytes(): number {
    return this.frameLength < 0 ? this.headerFill : 4 + this.partsBytes;
  }

  /** Feeds the next chunk of the stream; returns the payloads of all frames it completes, in order. */
  push(chunk: Buffer): Buffer[] {
    if (this.failure !== null) {
      throw this.failure;
    }
    const frames: Buffer[] = [];
    const end = chunk.length;
    let off = 0;
    while (off < end) {
      let length = this.frameLength;
      if (length < 0) {
        let prefixAt: number;
        if (this.headerFill === 0 && end - off >= 4) {
          prefixAt = this.streamOffset + off;
          length = chunk.readInt32BE(off);
          off += 4;
        } else {
          const take = Math.min(4 - this.headerFill, end - off);
          chunk.copy(this.header, this.headerFill, off, off + take);
          prefixAt = this.streamOffset + off - this.headerFill;
          this.headerFill += take;
          off += take;
          if (this.headerFill < 4) {
            break;
          }
          this.headerFill = 0;
          length = this.header.readInt32BE(0);
        }
        this.checkLength(length, prefixAt);
        if (length === 0) {
          frames.push(EMPTY);
          continue;
        }
        this.frameLength = length;
      }
      const need = length - this.partsBytes;
      const avail = end - off;
      if (avail < need) {
        if (avail > 0) {
          this.parts.push(off === 0 ? chunk : chunk.subarray(off));
          this.partsBytes += avail;
        }
        break;
      }
      if (this.partsBytes === 0) {
        frames.push(chunk.subarray(off, off + need));
      } else {
        this.parts.push(chunk.subarray(off, off + need));
        frames.push(Buffer.concat(this.parts, length));
        this.parts = [];
        this.partsBytes = 0;
      }
      off += need;
      this.frameLength = -1;
    }
    this.streamOffset += end;
    return frames;
  }

  private checkLength(length: number, at: number): void {
    if (length < 0) {
      this.failure = new JuteDecodeError(`negative frame length ${length}`, at);
      throw this.failure;
    }
    if (length > this.maxFrameBytes) {
      this.failure = new FrameTooLargeError(length, this.maxFrameBytes, at);
      throw this.failure;
    }
  }
}
