// QuorumServer parsing and toString as 3.8 does them (cases checked against 3.8 by
// test/reconfig/java-differential.test.ts).

import { describe, expect, it } from 'vitest';
import { checkAddressDuplicate, formatQuorumServer, memberFromServerSpec, parseQuorumServer, sameQuorumServer, type QuorumMember } from './quorum-server.js';
import { parseQuorumServer as parseConfigServer } from '../config/index.js';
import { literalHostResolver, type HostResolver } from './socket-address.js';

const OPTIONS = { multiAddressEnabled: false };

function member(spec: string, id = 1n): QuorumMember {
  const parsed = parseQuorumServer(id, spec, OPTIONS);
  if (!parsed.ok) throw new Error(`${spec}: ${parsed.failure.kind} ${parsed.failure.message}`);
  return parsed.value;
}

function failureOf(spec: string): string {
  const parsed = parseQuorumServer(1n, spec, OPTIONS);
  return parsed.ok ? 'ok' : parsed.failure.kind;
}

describe('parseQuorumServer / formatQuorumServer', () => {
  it.each([
    ['127.0.0.1:2888:3888', '127.0.0.1:2888:3888:participant'],
    ['127.0.0.1:2888:3888:observer', '127.0.0.1:2888:3888:observer'],
    ['127.0.0.1:2888:3888:PARTICIPANT;2181', '127.0.0.1:2888:3888:participant;0.0.0.0:2181'],
    ['zk1:2888:3888;127.0.0.1:2181', 'zk1:2888:3888:participant;127.0.0.1:2181'],
    ['h:1:2: observer ;3', 'h:1:2:observer;0.0.0.0:3'],
    ['h:1:2;', 'h:1:2:participant'],
    // IP literals come back in InetAddress's canonical text, names as written.
    ['[::1]:2888:3888;[::1]:2181', '[0:0:0:0:0:0:0:1]:2888:3888:participant;[0:0:0:0:0:0:0:1]:2181'],
    ['127.1:1:2', '127.0.0.1:1:2:participant'],
    ['[::ffff:10.0.0.1]:1:2', '10.0.0.1:1:2:participant'],
    [':1:2', 'localhost:1:2:participant'],
    ['Zk1.Example:1:2', 'Zk1.Example:1:2:participant'],
  ])('%s is written back as %s', (spec, text) => {
    expect(formatQuorumServer(member(spec))).toBe(text);
  });

  it.each([
    ['h:1:1', 'ConfigException'],
    ['h:1', 'ConfigException'],
    ['h:1:2:3:4', 'ConfigException'],
    ['h:x:2', 'ConfigException'],
    ['h:1:2;x', 'ConfigException'],
    ['h:1:2;a:b:c', 'ConfigException'],
    ['h:1:2:voter', 'ConfigException'],
    ['h:1:2;3;4', 'ConfigException'],
    ['[::1:2888:3888', 'ConfigException'],
    ['a:1:2|b:3:4', 'ConfigException'],
    // Not trimmed: "2 " is not a port.
    ['h:1:2 ', 'ConfigException'],
    ['h:1:2;3 ', 'ConfigException'],
    // new InetSocketAddress rejects the range: an IllegalArgumentException, not a ConfigException.
    ['h:1:70000', 'IllegalArgumentException'],
    ['h:1:2;70000', 'IllegalArgumentException'],
    ['h:-1:2', 'IllegalArgumentException'],
    [';', 'RuntimeException'],
  ])('%s fails with a %s', (spec, kind) => {
    expect(failureOf(spec)).toBe(kind);
  });

  it('takes several addresses only with multiAddress enabled, and writes them sorted by host', () => {
    const parsed = parseQuorumServer(3n, 'b:1:2|a:3:4:observer;5', { multiAddressEnabled: true });
    expect(parsed.ok && formatQuorumServer(parsed.value)).toBe('a:3:4|b:1:2:observer;0.0.0.0:5');
    const mixed = parseQuorumServer(3n, 'b:1:2:participant|a:3:4:observer', { multiAddressEnabled: true });
    expect(mixed.ok).toBe(false);
  });

  it('leaves out a client address filled in from clientPort, as main.ts does for the static config', () => {
    const fromStatic: QuorumMember = { ...member('127.0.0.1:2888:3888'), clientAddress: { host: '127.0.0.1', port: 2181 }, clientAddressFromStatic: true };
    expect(formatQuorumServer(fromStatic)).toBe('127.0.0.1:2888:3888:participant');
  });

  it('accepts what src/config accepts for well-formed lines, with the same meaning', () => {
    for (const spec of ['127.0.0.1:2888:3888', 'h:1:2:observer;2181', 'h:1:2;10.0.0.1:2181']) {
      const fromConfig = memberFromServerSpec(parseConfigServer(4, spec, { multiAddressEnabled: false, key: 'server.4', origin: { kind: 'default' } }));
      expect(sameQuorumServer(fromConfig, member(spec, 4n), literalHostResolver), spec).toBe(true);
    }
  });
});

describe('checkAddressDuplicate', () => {
  it('ignores loopback, wildcard and unresolved addresses, as 3.8 does', () => {
    expect(checkAddressDuplicate(member('127.0.0.1:1:2;3', 4n), member('127.0.0.1:1:2;3', 1n), literalHostResolver).ok).toBe(true);
    expect(checkAddressDuplicate(member('zk:1:2;3', 4n), member('zk:1:2;3', 1n), literalHostResolver).ok).toBe(true);
    expect(checkAddressDuplicate(member('h:1:2;0.0.0.0:3', 4n), member('g:5:6;0.0.0.0:3', 1n), literalHostResolver).ok).toBe(true);
  });

  it('refuses an address another member uses, across quorum, election and client ports', () => {
    const clash = checkAddressDuplicate(member('10.0.0.1:7:8;10.0.0.2:2181', 4n), member('10.0.0.2:2181:3888;9', 1n), literalHostResolver);
    expect(clash.ok).toBe(false);
    if (!clash.ok) {
      expect(clash.failure.kind).toBe('BadArgumentsException');
      expect(clash.failure.message).toBe('10.0.0.2/10.0.0.2:2181 of server.4 conflicts 10.0.0.2/10.0.0.2:2181 of server.1');
    }
  });

  it('compares resolved names by address when the caller resolves them', () => {
    const dns: HostResolver = (host) =>
      host === 'zk1' || host === 'zk1.lan' ? { kind: 'resolved', address: '10.0.0.1', scope: 'unicast' } : literalHostResolver(host);
    expect(checkAddressDuplicate(member('zk1.lan:2888:3000;4000', 4n), member('zk1:2888:3888', 1n), dns).ok).toBe(false);
    expect(checkAddressDuplicate(member('zk1.lan:2889:3000;4000', 4n), member('zk1:2888:3888', 1n), dns).ok).toBe(true);
  });
});
