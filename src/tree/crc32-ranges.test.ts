// The tree's CRC-32 over ranges and strings against lib/crc32 (java.util.zip.CRC32's values).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Finish, crc32Update, CRC32_START } from '../lib/crc32.js';
import { crc32UpdateRange, crc32UpdateUtf8 } from './crc32-ranges.js';

describe('crc32 over ranges and strings', () => {
  it('a range gives what lib/crc32 gives for the same bytes, from any register', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), fc.integer(), (bytes, a, b, register) => {
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const end = start + (bytes.length - start === 0 ? 0 : b % (bytes.length - start + 1));
        const expected = crc32Update(register | 0, bytes.subarray(start, end));
        expect(crc32UpdateRange(register | 0, bytes, start, end)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('a string gives the CRC of its UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        expect(crc32Finish(crc32UpdateUtf8(CRC32_START, text))).toBe(crc32(Buffer.from(text, 'utf8')));
      }),
      { numRuns: 2000 },
    );
    expect(crc32Finish(crc32UpdateUtf8(CRC32_START, '/a/é/😀'))).toBe(crc32(Buffer.from('/a/é/😀', 'utf8')));
  });
});
