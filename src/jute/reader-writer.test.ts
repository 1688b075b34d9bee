import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameTooLargeError, JuteDecodeError } from './errors.js';
import { JuteReader } from './reader.js';
import { JuteWriter, encodeFrame } from './writer.js';
import { decodeRecord, encodeRecord } from './codec.js';

const INT32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const INT64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const USTRING = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'binary', minLength: 4000, maxLength: 5000 }),
);
const BYTES = fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a));

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function written(fill: (w: JuteWriter) => void): string {
  const w = new JuteWriter();
  fill(w);
  return hex(w.toBuffer());
}

function expectDecodeError(fn: () => unknown, pattern?: RegExp): JuteDecodeError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(JuteDecodeError);
  const err = caught as JuteDecodeError;
  if (pattern !== undefined) {
    expect(err.message).toMatch(pattern);
  }
  return err;
}

function readerOf(h: string, options?: { maxBufferBytes?: number; extraBufferBytes?: number }): JuteReader {
  return new JuteReader(Buffer.from(h.replace(/\s+/g, ''), 'hex'), options);
}

function readIntElement(r: JuteReader): number {
  return r.readInt();
}

function writeIntElement(w: JuteWriter, v: number): void {
  w.writeInt(v);
}

describe('errors', () => {
  it('carry codes, names and offsets', () => {
    const e = new JuteDecodeError('bad', 7);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('JUTE_DECODE_ERROR');
    expect(e.name).toBe('JuteDecodeError');
    expect(e.offset).toBe(7);
    expect(e.message).toContain('offset 7');
    const f = new FrameTooLargeError(100, 10, 3);
    expect(f).toBeInstanceOf(JuteDecodeError);
    expect(f.code).toBe('JUTE_FRAME_TOO_LARGE');
    expect(f.name).toBe('FrameTooLargeError');
    expect([f.frameLength, f.maxFrameBytes, f.offset]).toEqual([100, 10, 3]);
  });
});

describe('JuteWriter golden bytes', () => {
  it('encodes primitives big-endian', () => {
    expect(written((w) => w.writeInt(1))).toBe('00000001');
    expect(written((w) => w.writeInt(-1))).toBe('ffffffff');
    expect(written((w) => w.writeInt(-0x80000000))).toBe('80000000');
    expect(written((w) => w.writeInt(0x12345678))).toBe('12345678');
    expect(written((w) => w.writeLong(1n))).toBe('0000000000000001');
    expect(written((w) => w.writeLong(-2n))).toBe('fffffffffffffffe');
    expect(written((w) => w.writeLong(0x0102030405060708n))).toBe('0102030405060708');
    expect(written((w) => w.writeBoolean(true))).toBe('01');
    expect(written((w) => w.writeBoolean(false))).toBe('00');
  });

  it('encodes ustrings, buffers and vectors with int32 length prefixes', () => {
    expect(written((w) => w.writeUstring('ab'))).toBe('000000026162');
    expect(written((w) => w.writeUstring(''))).toBe('00000000');
    expect(written((w) => w.writeUstring(null))).toBe('ffffffff');
    expect(written((w) => w.writeUstring('é/€'))).toBe('00000006c3a92fe282ac');
    expect(written((w) => w.writeUstring('😀'))).toBe('00000004f09f9880');
    expect(written((w) => w.writeUstring('\ud800'))).toBe('00000003efbfbd');
    expect(written((w) => w.writeBuffer(Buffer.from([1, 2, 3])))).toBe('00000003010203');
    expect(written((w) => w.writeBuffer(new Uint8Array(0)))).toBe('00000000');
    expect(written((w) => w.writeBuffer(null))).toBe('ffffffff');
    expect(written((w) => w.writeVector([7, -1], writeIntElement))).toBe('0000000200000007ffffffff');
    expect(written((w) => w.writeVector([], writeIntElement))).toBe('00000000');
    expect(written((w) => w.writeVector(null, writeIntElement))).toBe('ffffffff');
  });

  it('encodes a ustring longer than the worst-case-reserve threshold', () => {
    const s = 'x'.repeat(5000) + 'é';
    const w = new JuteWriter(0);
    w.writeUstring(s);
    const b = w.toBuffer();
    expect(b.readInt32BE(0)).toBe(5002);
    expect(b.toString('utf8', 4)).toBe(s);
  });

  it('encodeFrame prefixes the body length', () => {
    const frame = encodeFrame((w) => {
      w.writeInt(5);
      w.writeUstring('hi');
    });
    expect(hex(frame)).toBe('0000000a' + '00000005' + '000000026869');
    expect(hex(encodeFrame(() => undefined))).toBe('00000000');
    const big = encodeFrame((w) => w.writeBuffer(Buffer.alloc(1000, 7)), 1);
    expect(big.readInt32BE(0)).toBe(1004);
    expect(big.length).toBe(1008);
  });

  it('encodeFrame returns buffers of their own, also when called from inside another', () => {
    const first = encodeFrame((w) => w.writeInt(1));
    let inner: Buffer | null = null;
    const outer = encodeFrame((w) => {
      w.writeInt(2);
      inner = encodeFrame((v) => v.writeLong(3n));
      w.writeInt(4);
    });
    expect(hex(first)).toBe('00000004' + '00000001');
    expect(hex(outer)).toBe('00000008' + '00000002' + '00000004');
    expect(hex(inner ?? Buffer.alloc(0))).toBe('00000008' + '0000000000000003');
    // A body that throws leaves the reused writer usable.
    const failing = (): void => {
      throw new Error('body failed');
    };
    expect(() => encodeFrame(failing)).toThrow('body failed');
    expect(hex(encodeFrame((w) => w.writeInt(5)))).toBe('00000004' + '00000005');
  });

  it('copyBytes copies exactly what was written; reset starts over in the same buffer', () => {
    const w = new JuteWriter(16);
    w.writeInt(7);
    const copy = w.copyBytes();
    const view = w.toBuffer();
    w.reset();
    expect(w.length).toBe(0);
    w.writeInt(8);
    expect(hex(copy)).toBe('00000007');
    expect(hex(view)).toBe('00000008');
    expect(w.capacity).toBe(16);
  });
});

describe('JuteWriter behaviour', () => {
  it('rejects values outside the jute ranges with a plain Error', () => {
    for (const bad of [2 ** 31, -(2 ** 31) - 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const w = new JuteWriter();
      expect(() => w.writeInt(bad)).toThrow(/int32/);
      expect(w.length).toBe(0);
    }
    for (const bad of [2n ** 63n, -(2n ** 63n) - 1n]) {
      expect(() => new JuteWriter().writeLong(bad)).toThrow(/int64/);
    }
    expect(() => new JuteWriter(-1)).toThrow(Error);
    try {
      new JuteWriter().writeInt(2 ** 40);
    } catch (err) {
      expect(err).not.toBeInstanceOf(JuteDecodeError);
    }
  });

  it('grows from any initial capacity and keeps earlier views intact', () => {
    const w = new JuteWriter(0);
    w.writeInt(1);
    const first = w.toBuffer();
    for (let i = 0; i < 1000; i++) {
      w.writeLong(BigInt(i));
    }
    expect(hex(first)).toBe('00000001');
    expect(w.length).toBe(4 + 8000);
    const r = new JuteReader(w.toBuffer());
    expect(r.readInt()).toBe(1);
    for (let i = 0; i < 1000; i++) {
      expect(r.readLong()).toBe(BigInt(i));
    }
    r.expectEnd();
  });

  it('supports writeRaw and patchInt', () => {
    const w = new JuteWriter(2);
    w.writeInt(0);
    w.writeRaw(Buffer.from('abc'));
    w.patchInt(0, 3);
    expect(hex(w.toBuffer())).toBe('00000003616263');
    expect(() => w.patchInt(4, 1)).toThrow(Error);
    expect(() => w.patchInt(0, 2 ** 31)).toThrow(/int32/);
  });
});

type Op =
  | { kind: 'int'; v: number }
  | { kind: 'long'; v: bigint }
  | { kind: 'boolean'; v: boolean }
  | { kind: 'ustring'; v: string | null }
  | { kind: 'buffer'; v: Buffer | null }
  | { kind: 'vector'; v: number[] | null };

const OP: fc.Arbitrary<Op> = fc.oneof(
  INT32.map((v): Op => ({ kind: 'int', v })),
  INT64.map((v): Op => ({ kind: 'long', v })),
  fc.boolean().map((v): Op => ({ kind: 'boolean', v })),
  fc.option(USTRING, { nil: null }).map((v): Op => ({ kind: 'ustring', v })),
  fc.option(BYTES, { nil: null }).map((v): Op => ({ kind: 'buffer', v })),
  fc.option(fc.array(INT32, { maxLength: 8 }), { nil: null }).map((v): Op => ({ kind: 'vector', v })),
);

function writeOp(w: JuteWriter, op: Op): void {
  switch (op.kind) {
    case 'int':
      w.writeInt(op.v);
      return;
    case 'long':
      w.writeLong(op.v);
      return;
    case 'boolean':
      w.writeBoolean(op.v);
      return;
    case 'ustring':
      w.writeUstring(op.v);
      return;
    case 'buffer':
      w.writeBuffer(op.v);
      return;
    case 'vector':
      w.writeVector(op.v, writeIntElement);
      return;
  }
}

function readOp(r: JuteReader, kind: Op['kind']): Op['v'] {
  switch (kind) {
    case 'int':
      return r.readInt();
    case 'long':
      return r.readLong();
    case 'boolean':
      return r.readBoolean();
    case 'ustring':
      return r.readUstring();
    case 'buffer':
      return r.readBuffer();
    case 'vector':
      return r.readVector(readIntElement, 4);
  }
}

describe('primitive round trips', () => {
  it('read(write(values)) is the identity for any sequence of primitives', () => {
    fc.assert(
      fc.property(fc.array(OP, { maxLength: 12 }), fc.nat(64), (ops, capacity) => {
        const w = new JuteWriter(capacity);
        for (const op of ops) {
          writeOp(w, op);
        }
        const r = new JuteReader(w.toBuffer(), { maxBufferBytes: 0xfffff });
        for (const op of ops) {
          expect(readOp(r, op.kind)).toEqual(op.v);
        }
        expect(r.remaining).toBe(0);
        r.expectEnd();
      }),
      { numRuns: 300 },
    );
  });

  it('ustrings match Buffer UTF-8 encoding for arbitrary well-formed strings', () => {
    fc.assert(
      fc.property(USTRING, (s) => {
        const w = new JuteWriter(0);
        w.writeUstring(s);
        const expected = Buffer.from(s, 'utf8');
        const b = w.toBuffer();
        expect(b.readInt32BE(0)).toBe(expected.length);
        expect(b.subarray(4).equals(expected)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('JuteReader', () => {
  it('reads booleans as Java does: any non-zero byte is true', () => {
    const r = readerOf('00 01 02 ff 80');
    expect([r.readBoolean(), r.readBoolean(), r.readBoolean(), r.readBoolean(), r.readBoolean()]).toEqual([
      false,
      true,
      true,
      true,
      true,
    ]);
  });

  it('decodes -1 lengths as null and tracks offset/remaining', () => {
    const r = readerOf('ffffffff ffffffff ffffffff 00000000');
    expect(r.remaining).toBe(16);
    expect(r.readUstring()).toBeNull();
    expect(r.readBuffer()).toBeNull();
    expect(r.readVector(readIntElement)).toBeNull();
    expect(r.offset).toBe(12);
    expect(r.readUstring()).toBe('');
    r.expectEnd();
  });

  it('decodes malformed UTF-8 with replacement characters', () => {
    expect(readerOf('00000002 c328').readUstring()).toBe('\ufffd(');
    expect(readerOf('00000001 ff').readUstring()).toBe('\ufffd');
  });

  it('returns buffers as zero-copy views', () => {
    const input = Buffer.from('0000000301020304', 'hex');
    const b = new JuteReader(input).readBuffer();
    expect(b).not.toBeNull();
    expect(b?.buffer).toBe(input.buffer);
    expect(hex(b ?? Buffer.alloc(0))).toBe('010203');
  });

  it('accepts plain Uint8Array views with a byte offset', () => {
    const backing = new Uint8Array([9, 9, 0, 0, 0, 2, 0x68, 0x69, 9]);
    const r = new JuteReader(backing.subarray(2, 8));
    expect(r.readUstring()).toBe('hi');
    r.expectEnd();
  });

  it('throws JuteDecodeError (never RangeError) when reading past the end', () => {
    expectDecodeError(() => readerOf('000000').readInt(), /truncated int.*offset 0/);
    expectDecodeError(() => readerOf('00000000000000').readLong(), /truncated long/);
    expectDecodeError(() => readerOf('').readBoolean(), /truncated boolean/);
    expectDecodeError(() => readerOf('00000003 6162').readUstring(), /ustring length 3 exceeds the 2 remaining/);
    expectDecodeError(() => readerOf('00000003 6162').readBuffer(), /buffer length 3/);
    expectDecodeError(() => readerOf('00000002 00000001').readVector(readIntElement), /truncated int.*offset 8/);
    const r = readerOf('00000001');
    r.readInt();
    expectDecodeError(() => r.readInt(), /offset 4/);
  });

  it('rejects negative string and buffer lengths other than -1', () => {
    expectDecodeError(() => readerOf('fffffffe').readUstring(), /negative ustring length -2/);
    expectDecodeError(() => readerOf('80000000').readBuffer(), /negative buffer length/);
  });

  it('reads a vector count below -1 as an empty vector, as Java does', () => {
    const r = readerOf('fffffffe 00000007');
    expect(r.readVector(readIntElement)).toEqual([]);
    expect(r.readInt()).toBe(7);
  });

  it('enforces maxBufferBytes (+ slack) before allocating', () => {
    // 0x7fffffff claimed in a 10-byte input: rejected on the limit, before any allocation.
    const err = expectDecodeError(() => readerOf('7fffffff 000000000000').readBuffer(), /exceeds the limit/);
    expect(err.offset).toBe(0);
    expectDecodeError(() => readerOf('7fffffff 000000000000').readUstring(), /exceeds the limit/);
    // A length over the limit is rejected even when the bytes are present.
    const data = Buffer.alloc(4 + 20, 0x61);
    data.writeInt32BE(20, 0);
    expectDecodeError(() => new JuteReader(data, { maxBufferBytes: 10, extraBufferBytes: 9 }).readUstring(), /limit/);
    expect(new JuteReader(data, { maxBufferBytes: 10, extraBufferBytes: 10 }).readUstring()).toBe('a'.repeat(20));
    // Default: 0xfffff + 1024.
    const r = new JuteReader(Buffer.alloc(4));
    expect(r.maxBufferBytes).toBe(0xfffff);
    expect(r.extraBufferBytes).toBe(1024);
    const atLimit = Buffer.alloc(4);
    atLimit.writeInt32BE(0xfffff + 1024 + 1, 0);
    expectDecodeError(() => new JuteReader(atLimit).readBuffer(), /exceeds the limit/);
    atLimit.writeInt32BE(0xfffff + 1024, 0);
    expectDecodeError(() => new JuteReader(atLimit).readBuffer(), /remaining/);
  });

  it('rejects vector counts that cannot fit in the remaining bytes before allocating', () => {
    expectDecodeError(() => readerOf('7fffffff 00000000 0000').readVector(readIntElement), /vector count 2147483647/);
    expectDecodeError(() => readerOf('00000003 00000000 00000000').readVector(readIntElement, 4), /needs at least 12/);
    expect(readerOf('00000002 00000000 00000001').readVector(readIntElement, 4)).toEqual([0, 1]);
  });

  it('expectEnd reports trailing bytes', () => {
    const r = readerOf('00000001 ff');
    r.readInt();
    expectDecodeError(() => r.expectEnd(), /1 unexpected trailing bytes.*offset 4/);
  });

  it('validates options', () => {
    expect(() => new JuteReader(Buffer.alloc(0), { maxBufferBytes: -1 })).toThrow(Error);
    expect(() => new JuteReader(Buffer.alloc(0), { extraBufferBytes: 1.5 })).toThrow(Error);
  });

  it('random bytes and random read sequences only ever raise JuteDecodeError', () => {
    const kinds = fc.constantFrom<Op['kind']>('int', 'long', 'boolean', 'ustring', 'buffer', 'vector');
    const byte = fc.oneof(fc.constantFrom(0, 0xff, 1, 2), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 48 }),
        fc.array(kinds, { maxLength: 16 }),
        fc.nat(40),
        (bytes, sequence, limit) => {
          const r = new JuteReader(Uint8Array.from(bytes), { maxBufferBytes: limit, extraBufferBytes: 0 });
          try {
            for (const kind of sequence) {
              readOp(r, kind);
            }
            r.expectEnd();
          } catch (err) {
            expect(err).toBeInstanceOf(JuteDecodeError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('encodeRecord / decodeRecord', () => {
  const writeTwo = (w: JuteWriter, v: readonly [number, string]): void => {
    w.writeInt(v[0]);
    w.writeUstring(v[1]);
  };
  const readTwo = (r: JuteReader): [number, string | null] => [r.readInt(), r.readUstring()];

  it('round-trips and rejects trailing bytes', () => {
    const bytes = encodeRecord(writeTwo, [3, 'x']);
    expect(hex(bytes)).toBe('000000030000000178');
    expect(decodeRecord(readTwo, bytes)).toEqual([3, 'x']);
    expectDecodeError(() => decodeRecord(readTwo, Buffer.concat([bytes, Buffer.from([0])])), /trailing/);
    expectDecodeError(() => decodeRecord(readTwo, bytes, { maxBufferBytes: 0, extraBufferBytes: 0 }), /limit/);
  });
});
