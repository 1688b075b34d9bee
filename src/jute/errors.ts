/**
 * Error types thrown by the jute decoder.
 *
 * Decoding never throws anything else: malformed, truncated or oversized
 * input always surfaces as a {@link JuteDecodeError} (or its subclass
 * {@link FrameTooLargeError}). Programmer errors on the encoding side (for
 * example an int outside the int32 range) are reported with a plain `Error`.
 */

/** Every code a jute decoding error can carry. */
export type JuteErrorCode = 'JUTE_DECODE_ERROR' | 'JUTE_FRAME_TOO_LARGE';

/** Input bytes do not form a valid jute encoding. */
export class JuteDecodeError extends Error {
  readonly code: JuteErrorCode = 'JUTE_DECODE_ERROR';
  /** Byte offset (within the decoded input or stream) where the problem was found. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} (at offset ${offset})`);
    this.name = 'JuteDecodeError';
    this.offset = offset;
  }
}

/** A length-prefixed frame announced a payload larger than the configured limit. */
export class FrameTooLargeError extends JuteDecodeError {
  override readonly code = 'JUTE_FRAME_TOO_LARGE' as const;
  /** The payload length announced by the frame's prefix. */
  readonly frameLength: number;
  /** The limit that was exceeded. */
  readonly maxFrameBytes: number;

  constructor(frameLength: number, maxFrameBytes: number, offset: number) {
    super(`frame length ${frameLength} exceeds the limit of ${maxFrameBytes} bytes`, offset);
    this.name = 'FrameTooLargeError';
    this.frameLength = frameLength;
    this.maxFrameBytes = maxFrameBytes;
  }
}
