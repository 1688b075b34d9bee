/**
 * jute-ts-codec: a self-contained codec for Apache ZooKeeper's jute binary
 * serialization (records, primitives and length-prefixed framing).
 */
export { FrameTooLargeError, JuteDecodeError, type JuteErrorCode } from './errors.js';
export {
  DEFAULT_EXTRA_BUFFER_BYTES,
  DEFAULT_MAX_BUFFER_BYTES,
  JuteReader,
  type JuteReaderOptions,
} from './reader.js';
export { JuteWriter, encodeFrame } from './writer.js';
export { FrameDecoder, type FrameDecoderOptions } from './frame-decoder.js';
export { decodeRecord, encodeRecord } from './codec.js';
export * from './records.js';
