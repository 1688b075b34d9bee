// InetSocketAddress behaviour the reconfig rules depend on: literal parsing, host strings, equality.

import { describe, expect, it } from 'vitest';
import { javaHostString, literalHostResolver, sameSocketAddress } from './socket-address.js';

describe('javaHostString', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['1234', '0.0.4.210'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['2001:DB8::1', '2001:db8:0:0:0:0:0:1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['', 'localhost'],
    ['zk1.Example', 'zk1.Example'],
    ['256.1.1.1', '256.1.1.1'],
  ])('%j is printed as %j', (host, text) => {
    expect(javaHostString(host)).toBe(text);
  });
});

describe('literalHostResolver', () => {
  it('classifies wildcard, loopback and other addresses; names stay unresolved', () => {
    expect(literalHostResolver('0.0.0.0')).toEqual({ kind: 'resolved', address: '0.0.0.0', scope: 'wildcard' });
    expect(literalHostResolver('::')).toMatchObject({ scope: 'wildcard' });
    expect(literalHostResolver('127.0.0.2')).toMatchObject({ scope: 'loopback' });
    expect(literalHostResolver('localhost')).toMatchObject({ scope: 'loopback' });
    expect(literalHostResolver('10.1.2.3')).toMatchObject({ scope: 'unicast' });
    expect(literalHostResolver('zk1')).toEqual({ kind: 'unresolved' });
  });
});

describe('sameSocketAddress', () => {
  it('compares resolved addresses by IP, unresolved ones by name ignoring case, never one with the other', () => {
    expect(sameSocketAddress({ host: '::1', port: 1 }, { host: '0:0:0:0:0:0:0:1', port: 1 }, literalHostResolver)).toBe(true);
    expect(sameSocketAddress({ host: 'localhost', port: 1 }, { host: '127.0.0.1', port: 1 }, literalHostResolver)).toBe(true);
    expect(sameSocketAddress({ host: 'ZK1', port: 1 }, { host: 'zk1', port: 1 }, literalHostResolver)).toBe(true);
    expect(sameSocketAddress({ host: 'zk1', port: 1 }, { host: 'zk1', port: 2 }, literalHostResolver)).toBe(false);
    expect(sameSocketAddress({ host: 'zk1', port: 1 }, { host: '10.0.0.1', port: 1 }, literalHostResolver)).toBe(false);
  });
});
