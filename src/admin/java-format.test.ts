import { describe, expect, it } from 'vitest';
import {
  buildDateUtc,
  javaDateUtc,
  javaDouble,
  javaHashOrder,
  javaHexLong,
  javaLong,
  javaLongHash,
  javaSignedLong,
  javaSocketAddress,
  javaStringHash,
  roundHalfUp4,
  summaryAverage,
} from './java-format.js';

describe('javaDouble (Double.toString)', () => {
  it.each([
    [0, '0.0'],
    [-0, '-0.0'],
    [12, '12.0'],
    [1.9286, '1.9286'],
    [0.001, '0.001'],
    [0.0001, '1.0E-4'],
    [0.00012, '1.2E-4'],
    [9999999, '9999999.0'],
    [1e7, '1.0E7'],
    [12345678.5, '1.23456785E7'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
  ])('%d -> %s', (d, s) => {
    expect(javaDouble(d)).toBe(s);
  });
});

describe('AvgMinMaxCounter average', () => {
  it('rounds the exact binary value half-up to 4 decimals', () => {
    expect(roundHalfUp4(27 / 14)).toBe(1.9286);
    expect(roundHalfUp4(0.12345)).toBe(0.1235); // binary value is just above .12345
    expect(roundHalfUp4(1.00005)).toBe(1.0001); // 1.0000500000000001...
    expect(roundHalfUp4(0.00015)).toBe(0.0001); // 0.000149999999999999986...
    expect(roundHalfUp4(2.5)).toBe(2.5);
    expect(roundHalfUp4(-1.23456)).toBe(-1.2346);
  });

  it('matches values printed by 3.8.0', () => {
    expect(javaDouble(summaryAverage({ count: 6, sum: 728, min: 0, max: 0 }))).toBe('121.3333');
    expect(javaDouble(summaryAverage({ count: 131, sum: 1195, min: 0, max: 0 }))).toBe('9.1221');
    expect(javaDouble(summaryAverage({ count: 167, sum: 4, min: 0, max: 0 }))).toBe('0.024');
    expect(javaDouble(summaryAverage({ count: 2, sum: 148, min: 0, max: 0 }))).toBe('74.0');
    expect(javaDouble(summaryAverage({ count: 0, sum: 0, min: 0, max: 0 }))).toBe('0.0');
  });
});

describe('integers', () => {
  it('Long.toHexString / Long.toString', () => {
    expect(javaHexLong(0n)).toBe('0');
    expect(javaHexLong(0x1000008d9930000n)).toBe('1000008d9930000');
    expect(javaHexLong(-1n)).toBe('ffffffffffffffff');
    expect(javaSignedLong(0xfffffffffffffffen)).toBe('-2');
    expect(javaLong(-1)).toBe('-1');
    expect(javaLong(3.7)).toBe('3');
  });
});

describe('dates', () => {
  it('Date.toString in UTC', () => {
    expect(javaDateUtc(Date.UTC(2026, 10, 26, 7, 38, 56))).toBe('Thu Nov 26 07:38:56 UTC 2026');
    expect(javaDateUtc(0)).toBe('Thu Jan 01 00:00:00 UTC 1970');
    expect(javaDateUtc(Date.UTC(2024, 1, 29, 23, 59, 59, 999))).toBe('Thu Feb 29 23:59:59 UTC 2024');
  });

  it('agrees with the platform on many instants', () => {
    for (let t = -5e11; t < 5e12; t += 7_777_777_777) {
      const d = new Date(t);
      const [wd = '', day = '', mon = '', year = '', time = ''] = d.toUTCString().replace(',', '').split(' ');
      expect(javaDateUtc(t)).toBe(`${wd} ${mon} ${day} ${time} UTC ${year}`);
    }
  });

  it('build date', () => {
    expect(buildDateUtc(Date.UTC(2024, 11, 29, 17, 54, 30))).toBe('2024-12-29 17:54 UTC');
  });
});

describe('InetSocketAddress.toString (Java 17)', () => {
  it.each([
    ['127.0.0.1', 40444, '/127.0.0.1:40444'],
    ['::ffff:127.0.0.1', 5, '/127.0.0.1:5'],
    ['::1', 2181, '/[0:0:0:0:0:0:0:1]:2181'],
    ['2001:db8::ff00:42:8329', 1, '/[2001:db8:0:0:0:ff00:42:8329]:1'],
    ['fe80::1%eth0', 7, '/[fe80:0:0:0:0:0:0:1%eth0]:7'],
  ])('%s', (addr, port, expected) => {
    expect(javaSocketAddress(addr, port)).toBe(expected);
  });
});

describe('Java hash-map order', () => {
  it('hash codes', () => {
    expect(javaStringHash('app')).toBe(96801);
    expect(javaStringHash('other')).toBe(106069776);
    expect(javaStringHash('')).toBe(0);
    expect(javaLongHash(0x1000008d9930001n)).toBe(0x01000008 ^ 0xd9930001);
    expect(javaLongHash(-1n)).toBe(0);
  });

  it('reproduces orders seen in 3.8.0 output', () => {
    const s = (xs: string[]): string[] => javaHashOrder(xs, javaStringHash, 'HashMap');
    expect(s(['/app', '/nope', '/app/child'])).toEqual(['/app/child', '/app', '/nope']);
    expect(javaHashOrder(['zookeeper', 'bulk', 'other', 'app'], javaStringHash, 'ConcurrentHashMap')).toEqual([
      'app',
      'other',
      'zookeeper',
      'bulk',
    ]);
    expect(javaHashOrder([0x1000008d9930000n, 0x1000008d9930001n], javaLongHash, 'ConcurrentHashMap')).toEqual([
      0x1000008d9930001n,
      0x1000008d9930000n,
    ]);
  });
});
