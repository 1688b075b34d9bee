/**
 * One-shot helpers around {@link JuteReader} and {@link JuteWriter}.
 */
import { JuteReader, type JuteReaderOptions } from './reader.js';
import { JuteWriter } from './writer.js';

/** Encodes a single record (no length prefix) with a generated `write<Name>` function. */
export function encodeRecord<T>(
  write: (writer: JuteWriter, value: T) => void,
  value: T,
  initialCapacityBytes?: number,
): Buffer {
  const writer = new JuteWriter(initialCapacityBytes);
  write(writer, value);
  return writer.toBuffer();
}

/**
 * Decodes a single record that must occupy all of `bytes`, with a generated
 * `read<Name>` function. Throws JuteDecodeError on malformed, truncated or
 * trailing input. Buffers in the result are views into `bytes`.
 */
export function decodeRecord<T>(read: (reader: JuteReader) => T, bytes: Uint8Array, options?: JuteReaderOptions): T {
  const reader = new JuteReader(bytes, options);
  const value = read(reader);
  reader.expectEnd();
  return value;
}
