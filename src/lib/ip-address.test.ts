import { describe, expect, it } from 'vitest';
import { ipv6Groups, javaHostAddress, mappedIpv4 } from './ip-address.js';

describe('IPv6 literals', () => {
  it('expands :: and a dotted IPv4 tail into eight groups', () => {
    expect(ipv6Groups('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(ipv6Groups('fe80::a:b')).toEqual([0xfe80, 0, 0, 0, 0, 0, 0xa, 0xb]);
    expect(ipv6Groups('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(ipv6Groups('::ffff:10.1.2.3')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0a01, 0x0203]);
  });

  it('refuses what is not one', () => {
    for (const text of ['', '1:2:3', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4::5:6:7:8', '::ffff:10.1.2', '::ffff:1.2.3.256', '::12345', 'a.b.c.d']) {
      expect(ipv6Groups(text), text).toBeNull();
    }
  });

  it('prints as Java does: mapped ones as IPv4, others as eight groups with their zone', () => {
    expect(mappedIpv4(ipv6Groups('::ffff:127.0.0.1') ?? [])).toEqual([127, 0, 0, 1]);
    expect(mappedIpv4(ipv6Groups('::1') ?? [])).toBeNull();
    expect(javaHostAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(javaHostAddress('::1')).toBe('0:0:0:0:0:0:0:1');
    expect(javaHostAddress('fe80::1%eth0')).toBe('fe80:0:0:0:0:0:0:1%eth0');
    expect(javaHostAddress('10.0.0.1')).toBe('10.0.0.1');
    expect(javaHostAddress('not:an:address')).toBe('not:an:address');
  });
});
