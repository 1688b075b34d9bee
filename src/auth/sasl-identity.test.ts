import { describe, expect, it } from 'vitest';
import { isValidSaslId, saslAuthIds, saslAuthorizedId } from './sasl-identity.js';

describe('saslAuthorizedId', () => {
  it('keeps simple user names', () => {
    expect(saslAuthorizedId('bob', 'bob')).toBe('bob');
    expect(saslAuthorizedId('bob', 'someone-else')).toBe('bob');
    expect(saslAuthorizedId('a/b', 'x')).toBe('a/b'); // no '@': not a Kerberos principal, kept whole
  });

  it('canonicalises principals of the default realm, keeping host and realm unless told not to', () => {
    expect(saslAuthorizedId('zk/host1@', 'x')).toBe('zk/host1@');
    expect(saslAuthorizedId('zk/host1@', 'x', { removeHostFromPrincipal: true })).toBe('zk@');
    expect(saslAuthorizedId('zk/host1@', 'x', { removeHostFromPrincipal: true, removeRealmFromPrincipal: true })).toBe('zk');
    expect(saslAuthorizedId('alice@EXAMPLE.COM', 'x', { defaultRealm: 'EXAMPLE.COM', removeRealmFromPrincipal: true })).toBe('alice');
    expect(saslAuthorizedId('alice@EXAMPLE.COM', 'x', { defaultRealm: 'EXAMPLE.COM' })).toBe('alice@EXAMPLE.COM');
  });

  it('falls back to the requested id when no rule applies (another realm)', () => {
    expect(saslAuthorizedId('alice@OTHER.ORG', 'alice@OTHER.ORG')).toBe('alice@OTHER.ORG');
    expect(saslAuthorizedId('alice@OTHER.ORG', 'requested')).toBe('requested');
  });

  it('rejects malformed Kerberos names like 3.8', () => {
    expect(() => saslAuthorizedId('a@b@c', 'x')).toThrow(/Malformed Kerberos name/);
    expect(isValidSaslId('a@b@c')).toBe(false);
    expect(isValidSaslId('a/b@c')).toBe(true);
    expect(isValidSaslId('')).toBe(true);
  });
});

describe('saslAuthIds', () => {
  it('grants sasl:<id>, plus super for a configured super user', () => {
    expect(saslAuthIds('bob')).toEqual([{ scheme: 'sasl', id: 'bob' }]);
    expect(saslAuthIds('admin', ['root', 'admin'])).toEqual([
      { scheme: 'sasl', id: 'admin' },
      { scheme: 'super', id: '' },
    ]);
    expect(saslAuthIds('', [''])).toEqual([{ scheme: 'sasl', id: '' }]);
  });
});
