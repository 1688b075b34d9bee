import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { digestAuthIds, digestUserName, generateDigest, isValidDigestId } from './digest.js';

describe('generateDigest', () => {
  // Printed by `java -cp zookeeper.jar:slf4j-api.jar org.apache.zookeeper.server.auth.DigestAuthenticationProvider ...` (3.8.0).
  it.each([
    ['user:password', 'user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY='],
    ['super:superpw', 'super:g9oN2HttPfn8MMWJZ2r45Np/LIA='],
    ['bob', 'bob:SBgazSKz7a68ikR4aKfffOYpkgo='],
    ['a:b:c', 'a:cLzgnoJ6mP5qz3w+mwvPE2vDgu0='],
    ['\u00fc:\u00df', '\u00fc:vB6Co0vguxtrKN0lKrXliXiGJq4='],
  ])('%s → %s', (input, expected) => {
    expect(generateDigest(input)).toBe(expected);
  });

  // Printed by the same command with -Dzookeeper.DigestAuthenticationProvider.digestAlg=SHA-256 / sha3-256.
  it('supports the digest algorithms 3.8 can be configured with', () => {
    expect(generateDigest('user:password', 'sha3-256')).toBe('user:NAR2RZ7JZxGXKOuQubzhytx9PjP71AWWZoOY+TVw1hw=');
    expect(generateDigest('user:password', 'SHA-256')).toBe('user:yRsdas04PETE7CDJcj51jDEYKh9PAjHWPZElmi6hS50=');
    expect(generateDigest('user:password', 'sha1')).toBe(generateDigest('user:password'));
    expect(() => generateDigest('user:password', 'NOPE')).toThrow(RangeError);
  });
});

const CLASSPATH = '/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-api.jar';
const javaAvailable = existsSync('/usr/share/java/zookeeper.jar') && existsSync('/usr/share/java/slf4j-api.jar') && spawnSync('java', ['-version']).status === 0;

describe.skipIf(!javaAvailable)('generateDigest against DigestAuthenticationProvider', () => {
  it('agrees on random user:password strings', () => {
    const inputs = fc.sample(
      fc.tuple(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.boolean()).map(([user, password, withColon]) =>
        withColon ? `${user}:${password}` : user + password,
      ),
      { numRuns: 150, seed: 1 },
    ).filter((s) => s !== '' && !s.includes('\u0000') && !s.startsWith('-'));
    const run = spawnSync('java', ['-cp', CLASSPATH, 'org.apache.zookeeper.server.auth.DigestAuthenticationProvider', ...inputs], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C.UTF-8' },
    });
    expect(run.status, run.stderr).toBe(0);
    const expected = inputs.map((input) => `${input}->${generateDigest(input)}\n`).join('');
    expect(run.stdout).toBe(expected);
  });
});

describe('digestAuthIds', () => {
  it('grants the digest id of the credentials', () => {
    expect(digestAuthIds(Buffer.from('user:password'))).toEqual([{ scheme: 'digest', id: 'user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=' }]);
  });

  it('adds super (first) when the digest is the configured superDigest', () => {
    const superDigest = 'super:g9oN2HttPfn8MMWJZ2r45Np/LIA=';
    expect(digestAuthIds(Buffer.from('super:superpw'), { superDigest })).toEqual([
      { scheme: 'super', id: '' },
      { scheme: 'digest', id: superDigest },
    ]);
    expect(digestAuthIds(Buffer.from('super:wrong'), { superDigest })).toHaveLength(1);
    expect(digestAuthIds(Buffer.from('super:superpw'), { superDigest: null })).toHaveLength(1);
  });

  it('uses the configured algorithm', () => {
    expect(digestAuthIds(Buffer.from('user:password'), { algorithm: 'SHA-256' })[0]?.id).toBe('user:yRsdas04PETE7CDJcj51jDEYKh9PAjHWPZElmi6hS50=');
  });
});

describe('isValidDigestId', () => {
  it.each([
    ['user:hash', true],
    [':hash', true],
    ['user:hash:', true], // Java's split drops the trailing empty field
    ['user:', false],
    ['user', false],
    ['a:b:c', false],
    ['a::', false],
    [':', false],
    ['', false],
  ])('%j → %s', (id, valid) => {
    expect(isValidDigestId(id)).toBe(valid);
  });

  it('names the user of an id', () => {
    expect(digestUserName('bob:xyz=')).toBe('bob');
  });
});
