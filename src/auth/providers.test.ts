import { describe, expect, it } from 'vitest';
import type { ACL, Id } from '../jute/index.js';
import { checkAcl, fixupAcl } from '../pipeline/acl.js';
import { createAuthProviders, saslAuthProvider } from './providers.js';

const READ = 1;
const WRITE = 2;
const ALL = 31;
const acl = (perms: number, scheme: string, id: string): ACL => ({ perms, id: { scheme, id } });
const ids = (...pairs: [string, string][]): Id[] => pairs.map(([scheme, id]) => ({ scheme, id }));
const SASL = 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider';

describe('createAuthProviders', () => {
  it('always has ip, digest unless disabled, and the configured providers', () => {
    expect([...createAuthProviders().keys()]).toEqual(['ip', 'digest']);
    expect([...createAuthProviders({ digestEnabled: false }).keys()]).toEqual(['ip']);
    expect([...createAuthProviders({ digestEnabled: false, providerClassNames: [SASL, 'org.apache.zookeeper.server.auth.DigestAuthenticationProvider', 'com.example.X'] }).keys()]).toEqual([
      'ip',
      'sasl',
      'digest',
    ]);
  });
});

describe('fixupAcl', () => {
  const providers = createAuthProviders({ providerClassNames: [SASL] });
  const digestUser = ids(['ip', '127.0.0.1'], ['digest', 'bob:hash=']);

  it('accepts world:anyone and valid ids, dropping exact duplicates', () => {
    const list = [acl(ALL, 'world', 'anyone'), acl(READ, 'ip', '10.0.0.0/8'), acl(READ, 'ip', '10.0.0.0/8'), acl(ALL, 'digest', 'bob:hash='), acl(READ, 'sasl', 'alice')];
    expect(fixupAcl(list, [], providers)).toEqual({ ok: true, acls: [list[0], list[1], list[3], list[4]] });
  });

  it('expands auth to the caller\'s authenticated ids only', () => {
    expect(fixupAcl([acl(ALL, 'auth', '')], digestUser, providers)).toEqual({ ok: true, acls: [acl(ALL, 'digest', 'bob:hash=')] });
    expect(fixupAcl([acl(READ, 'auth', 'ignored')], ids(['digest', 'a:1'], ['sasl', 'alice'], ['super', '']), providers)).toEqual({
      ok: true,
      acls: [acl(READ, 'digest', 'a:1'), acl(READ, 'sasl', 'alice')],
    });
  });

  it('returns InvalidACL where 3.8 does', () => {
    const invalid = { ok: false };
    expect(fixupAcl([], digestUser, providers)).toEqual(invalid);
    expect(fixupAcl([acl(ALL, 'auth', '')], ids(['ip', '127.0.0.1']), providers)).toEqual(invalid);
    expect(fixupAcl([acl(ALL, 'world', 'everyone')], [], providers)).toEqual(invalid);
    expect(fixupAcl([acl(ALL, 'digest', 'bob')], [], providers)).toEqual(invalid);
    expect(fixupAcl([acl(ALL, 'digest', 'bob:x:y')], [], providers)).toEqual(invalid);
    expect(fixupAcl([acl(ALL, 'ip', '::1')], [], providers)).toEqual(invalid);
    expect(fixupAcl([acl(ALL, 'ip', '10.0.0.0/40')], [], providers)).toEqual(invalid);
    expect(fixupAcl([acl(ALL, 'super', '')], [], providers)).toEqual(invalid);
    expect(fixupAcl([acl(ALL, 'x509', 'CN=a')], [], providers)).toEqual(invalid);
    expect(fixupAcl([acl(ALL, 'sasl', 'a@b@c')], [], providers)).toEqual(invalid);
    expect(fixupAcl([acl(ALL, 'sasl', 'alice')], [], createAuthProviders())).toEqual(invalid);
    expect(fixupAcl([acl(ALL, 'world', 'anyone'), acl(ALL, 'digest', 'bad')], [], providers)).toEqual(invalid);
  });
});

describe('checkAcl', () => {
  const providers = createAuthProviders({ providerClassNames: [SASL] });
  const nodeAcl = [acl(READ, 'world', 'anyone'), acl(ALL, 'digest', 'bob:hash='), acl(WRITE, 'ip', '10.0.0.0/8'), acl(ALL, 'sasl', 'alice')];

  it('allows what the ACL grants to the caller\'s ids', () => {
    expect(checkAcl(nodeAcl, READ, [], providers)).toBe(true);
    expect(checkAcl(nodeAcl, WRITE, [], providers)).toBe(false);
    expect(checkAcl(nodeAcl, WRITE, ids(['ip', '10.9.8.7']), providers)).toBe(true);
    expect(checkAcl(nodeAcl, 16, ids(['ip', '10.9.8.7']), providers)).toBe(false);
    expect(checkAcl(nodeAcl, 16, ids(['digest', 'bob:hash=']), providers)).toBe(true);
    expect(checkAcl(nodeAcl, 16, ids(['digest', 'bob:other=']), providers)).toBe(false);
    expect(checkAcl(nodeAcl, 16, ids(['sasl', 'alice']), providers)).toBe(true);
    // An id of another scheme never matches, even with the same text.
    expect(checkAcl([acl(ALL, 'digest', 'alice')], READ, ids(['sasl', 'alice']), providers)).toBe(false);
  });

  it('lets super, skipACL and empty ACLs through', () => {
    expect(checkAcl([acl(READ, 'digest', 'x:y')], 16, ids(['super', '']), providers)).toBe(true);
    expect(checkAcl([acl(READ, 'digest', 'x:y')], 16, [], providers, { skipAcl: true })).toBe(true);
    expect(checkAcl([], 16, [], providers)).toBe(true);
  });

  it('ignores ACL entries of schemes the server does not have', () => {
    expect(checkAcl([acl(ALL, 'sasl', 'alice')], READ, ids(['sasl', 'alice']), createAuthProviders())).toBe(false);
  });

  it('lets the sasl id "super" and zookeeper.letAnySaslUserDoX match like 3.8', () => {
    const provider = saslAuthProvider('shared');
    expect(provider.matches('super', 'anyone@REALM')).toBe(true);
    expect(provider.matches('carol', 'shared')).toBe(true);
    expect(provider.matches('carol', 'dave')).toBe(false);
    expect(saslAuthProvider().matches('carol', 'shared')).toBe(false);
    expect(provider.isValid('zk/host@EXAMPLE.COM')).toBe(true);
    expect(provider.isValid('plain')).toBe(true);
    expect(provider.isValid('a/b/c')).toBe(true);
    expect(provider.isValid('a/b/c@R')).toBe(false);
  });
});
