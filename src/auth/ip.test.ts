import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipAuthId, ipAuthIds, ipMatches, isValidIpId } from './ip.js';

describe('ipMatches', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1', true],
    ['127.0.0.2', '127.0.0.1', false],
    ['10.1.2.3', '10.0.0.0/8', true],
    ['11.1.2.3', '10.0.0.0/8', false],
    ['10.1.2.3', '10.1.2.0/24', true],
    ['10.1.3.3', '10.1.2.0/24', false],
    ['192.168.1.130', '192.168.1.128/25', true],
    ['192.168.1.127', '192.168.1.128/25', false],
    ['1.2.3.4', '0.0.0.0/0', true],
    ['1.2.3.4', '1.2.3.4/32', true],
    ['1.2.3.4', '1.2.3.4/33', false],
    ['1.2.3.4', '1.2.3.4/-1', false],
    ['1.2.3.4', '1.2.3.4/x', false],
    ['1.2.3.4', '1.2.3.4/', false],
    ['1.2.3.4', '1.2.3.4/8/8', false],
    ['1.2.3.4', '1.2.3', false],
    ['1.2.3.4', '1.2.3.256', false],
    ['1.2.3.4', '01.2.3.+4', true], // Integer.parseInt accepts leading zeros and a plus sign
    ['0:0:0:0:0:0:0:1', '0:0:0:0:0:0:0:1', false], // 3.8 has no IPv6 support in ip ACLs
    ['::1', '::1/128', false],
    ['not-an-ip', '0.0.0.0/0', false],
  ])('client %s vs ACL %s → %s', (id, expr, expected) => {
    expect(ipMatches(id, expr)).toBe(expected);
  });
});

describe('isValidIpId', () => {
  it.each([
    ['10.0.0.0/8', true],
    ['127.0.0.1', true],
    ['0.0.0.0/0', true],
    ['255.255.255.255/32', true],
    ['1.2.3.4/33', false],
    ['1.2.3.4/', false],
    ['256.0.0.1', false],
    ['1.2.3', false],
    ['1.2.3.4.5', false],
    ['::1', false],
    ['fe80::/10', false],
    ['', false],
    ['host.example.com', false],
  ])('%j → %s', (id, valid) => {
    expect(isValidIpId(id)).toBe(valid);
  });
});

describe('ipAuthId', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:10.1.2.3', '10.1.2.3'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['::', '0:0:0:0:0:0:0:0'],
    ['2001:db8::ff00:42:8329', '2001:db8:0:0:0:ff00:42:8329'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8:0:0:0:0:0:1'],
    ['fe80::1%eth0', 'fe80:0:0:0:0:0:0:1%eth0'],
    ['::1.2.3.4', '0:0:0:0:0:0:102:304'],
    ['64:ff9b::10.0.0.1', '64:ff9b:0:0:0:0:a00:1'],
  ])('%s → %s', (address, id) => {
    expect(ipAuthId(address)).toBe(id);
  });

  it('gives each connection its ip id', () => {
    expect(ipAuthIds('::ffff:192.168.0.7')).toEqual([{ scheme: 'ip', id: '192.168.0.7' }]);
  });
});

const CLASSPATH = '/usr/share/java/zookeeper.jar';
const javacAvailable = existsSync(CLASSPATH) && spawnSync('javac', ['-version']).status === 0;

const IP_PROBE = `
import java.nio.file.*;
import java.util.*;
import org.apache.zookeeper.server.auth.IPAuthenticationProvider;
public class IpProbe {
  public static void main(String[] args) throws Exception {
    IPAuthenticationProvider p = new IPAuthenticationProvider();
    StringBuilder out = new StringBuilder();
    for (String line : Files.readAllLines(Paths.get(args[0]))) {
      String[] f = line.split("\\t", -1);
      out.append(p.matches(f[0], f[1])).append(',').append(p.isValid(f[1])).append('\\n');
    }
    System.out.print(out);
  }
}
`;

describe.skipIf(!javacAvailable)('ip scheme against IPAuthenticationProvider', () => {
  it('agrees on random addresses and expressions', () => {
    const octet = fc.constantFrom('0', '1', '7', '10', '127', '128', '192', '255', '256', '-1', '+1', '01', 'a', '');
    const address = fc.oneof(
      fc.array(octet, { minLength: 3, maxLength: 5 }).map((parts) => parts.join('.')),
      fc.constantFrom('::1', 'fe80::1', '0:0:0:0:0:0:0:1', '1.2.3.4.', '.1.2.3'),
    );
    const bits = fc.constantFrom('', '/0', '/1', '/7', '/8', '/9', '/16', '/23', '/24', '/25', '/31', '/32', '/33', '/-1', '/x', '/', '/8/8', '/+8', '/08');
    const cases = fc.sample(fc.tuple(address, fc.tuple(address, bits).map(([a, b]) => a + b)), { numRuns: 600, seed: 7 });
    cases.push(['10.1.2.3', '10.0.0.0/8'], ['192.168.1.130', '192.168.1.128/25'], ['1.2.3.4', '1.2.3.5/31']);

    const dir = mkdtempSync(join(tmpdir(), 'zk-ip-'));
    try {
      writeFileSync(join(dir, 'IpProbe.java'), IP_PROBE);
      const compiled = spawnSync('javac', ['-d', dir, '-cp', CLASSPATH, join(dir, 'IpProbe.java')], { encoding: 'utf8' });
      expect(compiled.status, compiled.stderr).toBe(0);
      writeFileSync(join(dir, 'cases.txt'), cases.map(([id, expr]) => `${id}\t${expr}`).join('\n'));
      const run = spawnSync('java', ['-cp', `${dir}:${CLASSPATH}`, 'IpProbe', join(dir, 'cases.txt')], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const ours = cases.map(([id, expr]) => `${ipMatches(id, expr)},${isValidIpId(expr)}\n`).join('');
      expect(ours).toBe(run.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
