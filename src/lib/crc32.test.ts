import { describe, expect, it } from 'vitest';
import { crc32, crc32Finish, crc32Update, CRC32_START } from './crc32.js';

describe('crc32', () => {
  it('matches the standard check value and zlib', async () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    const zlib = await import('node:zlib');
    const data = Buffer.from('znode data \u00e9\u00e8 with some bytes \u0000\u0001');
    expect(crc32(data)).toBe(zlib.crc32(data));
  });

  it('continues across calls', () => {
    const whole = Buffer.from('/path/to/node and its data');
    const split = crc32Finish(crc32Update(crc32Update(CRC32_START, whole.subarray(0, 7)), whole.subarray(7)));
    expect(split).toBe(crc32(whole));
  });
});
