import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameTooLargeError, JuteDecodeError } from './errors.js';
import { FrameDecoder } from './frame-decoder.js';
import { encodeFrame } from './writer.js';

function frameOf(payload: Uint8Array): Buffer {
  return encodeFrame((w) => w.writeRaw(payload));
}

function hexAll(buffers: readonly Uint8Array[]): string[] {
  return buffers.map((b) => Buffer.from(b).toString('hex'));
}

function splitAt(stream: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, stream.length]) {
    chunks.push(stream.subarray(prev, p));
    prev = p;
  }
  return chunks;
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('FrameDecoder', () => {
  it('returns the same frames however the stream is split (including inside prefixes)', () => {
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 16 }),
      fc.uint8Array({ minLength: 100, maxLength: 300 }),
    );
    fc.assert(
      fc.property(fc.array(payload, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 40 }), (payloads, cuts) => {
        const stream = Buffer.concat(payloads.map(frameOf));
        const decoder = new FrameDecoder({ maxFrameBytes: 300 });
        const out: Buffer[] = [];
        let pushed = 0;
        let consumed = 0;
        for (const chunk of splitAt(Buffer.from(stream), cuts)) {
          const frames = decoder.push(chunk);
          out.push(...frames);
          pushed += chunk.length;
          for (const f of frames) {
            consumed += 4 + f.length;
          }
          expect(decoder.bufferedBytes).toBe(pushed - consumed);
        }
        expect(hexAll(out)).toEqual(hexAll(payloads));
        expect(decoder.bufferedBytes).toBe(0);
      }),
      { numRuns: 400 },
    );
  });

  it('handles one-byte chunks of a large frame in linear time', () => {
    const payload = Buffer.alloc(256 * 1024);
    for (let i = 0; i < payload.length; i++) {
      payload[i] = i & 0xff;
    }
    const stream = Buffer.concat([frameOf(payload), frameOf(Buffer.from('tail'))]);
    const decoder = new FrameDecoder({ maxFrameBytes: 0xfffff });
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) {
      out.push(...decoder.push(stream.subarray(i, i + 1)));
    }
    expect(out.length).toBe(2);
    expect(out[0]?.equals(payload)).toBe(true);
    expect(out[1]?.toString()).toBe('tail');
  });

  it('returns frames within one chunk as zero-copy views, and empty frames as empty buffers', () => {
    const chunk = Buffer.concat([frameOf(Buffer.from('abc')), frameOf(Buffer.alloc(0)), frameOf(Buffer.from('d'))]);
    const frames = new FrameDecoder({ maxFrameBytes: 10 }).push(chunk);
    expect(frames.map((f) => f.toString())).toEqual(['abc', '', 'd']);
    expect(frames[0]?.buffer).toBe(chunk.buffer);
    expect(frames[2]?.buffer).toBe(chunk.buffer);
  });

  it('accepts a frame of exactly maxFrameBytes and rejects one byte more with FrameTooLargeError', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 5 });
    expect(decoder.push(frameOf(Buffer.from('12345'))).length).toBe(1);
    const err = caught(() => decoder.push(frameOf(Buffer.from('123456'))));
    expect(err).toBeInstanceOf(FrameTooLargeError);
    expect(err).toBeInstanceOf(JuteDecodeError);
    const tooLarge = err as FrameTooLargeError;
    expect(tooLarge.code).toBe('JUTE_FRAME_TOO_LARGE');
    expect(tooLarge.frameLength).toBe(6);
    expect(tooLarge.maxFrameBytes).toBe(5);
    expect(tooLarge.offset).toBe(9);
  });

  it('rejects a huge announced length before buffering its payload', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 0xfffff });
    const err = caught(() => decoder.push(Buffer.from('7fffffff00', 'hex')));
    expect(err).toBeInstanceOf(FrameTooLargeError);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('rejects negative lengths with JuteDecodeError, even when the prefix is split', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 100 });
    expect(decoder.push(Buffer.from('00000001aa', 'hex')).length).toBe(1);
    expect(decoder.push(Buffer.from('ff', 'hex'))).toEqual([]);
    expect(decoder.push(Buffer.from('ffff', 'hex'))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(3);
    const err = caught(() => decoder.push(Buffer.from('fe00', 'hex')));
    expect(err).toBeInstanceOf(JuteDecodeError);
    expect(err).not.toBeInstanceOf(FrameTooLargeError);
    expect((err as JuteDecodeError).code).toBe('JUTE_DECODE_ERROR');
    expect((err as JuteDecodeError).message).toMatch(/negative frame length -2/);
    expect((err as JuteDecodeError).offset).toBe(5);
    // The decoder stays failed.
    expect(caught(() => decoder.push(frameOf(Buffer.from('x'))))).toBe(err);
  });

  it('ignores empty chunks and validates options', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 0 });
    expect(decoder.push(Buffer.alloc(0))).toEqual([]);
    expect(decoder.push(Buffer.alloc(4)).map((f) => f.length)).toEqual([0]);
    expect(() => new FrameDecoder({ maxFrameBytes: -1 })).toThrow(Error);
    expect(() => new FrameDecoder({ maxFrameBytes: 2 ** 31 })).toThrow(Error);
    expect(() => new FrameDecoder({ maxFrameBytes: 1.5 })).toThrow(Error);
  });

  it('random byte streams yield frames or JuteDecodeError, nothing else', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 8 }), (chunks) => {
        const decoder = new FrameDecoder({ maxFrameBytes: 16 });
        try {
          for (const chunk of chunks) {
            for (const frame of decoder.push(Buffer.from(chunk))) {
              expect(frame.length).toBeLessThanOrEqual(16);
            }
          }
        } catch (err) {
          expect(err).toBeInstanceOf(JuteDecodeError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
