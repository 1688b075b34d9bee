// ACL checks and ACL validation, as 3.8's ZooKeeperServer.checkACL and PrepRequestProcessor.fixupACL
// do them. The schemes themselves (how an ip or digest id matches) come from the auth providers the
// server is configured with, behind the AuthProviders interface.

import type { ACL, Id } from '../jute/index.js';
import { ErrorCode } from '../protocol/error-code.js';

export interface AuthProviders {
  /** null when no provider is registered for the scheme. */
  isValidId(scheme: string, id: string): boolean | null;
  /** Whether client id `authId` (from the connection's auth info) satisfies ACL id `aclId`; false for an unknown scheme. */
  matches(scheme: string, authId: string, aclId: string): boolean;
  /** Whether ids of this scheme stand for an authenticated identity (the "auth" ACL expands to them). */
  isAuthenticated(scheme: string): boolean | null;
}

export interface AclPolicy {
  readonly providers: AuthProviders;
  /** zookeeper.skipACL */
  readonly skipAcl: boolean;
}

/** ok (0) or noAuth. */
export function checkAcl(policy: AclPolicy, acl: readonly ACL[], perm: number, authIds: readonly Id[]): number {
  if (policy.skipAcl || acl.length === 0) return ErrorCode.ok;
  for (const authId of authIds) if (authId.scheme === 'super') return ErrorCode.ok;
  for (const entry of acl) {
    if ((entry.perms & perm) === 0) continue;
    const { scheme, id } = entry.id;
    if (scheme === 'world' && id === 'anyone') return ErrorCode.ok;
    for (const authId of authIds) {
      if (authId.scheme === scheme && policy.providers.matches(scheme, authId.id, id)) return ErrorCode.ok;
    }
  }
  return ErrorCode.noAuth;
}

function sameAcl(a: ACL, b: ACL): boolean {
  return a.perms === b.perms && a.id.scheme === b.id.scheme && a.id.id === b.id.id;
}

/** Validates and expands an ACL list for create/setACL: returns the list to store, or invalidACL. */
export function fixupAcl(
  providers: AuthProviders,
  acl: readonly ACL[],
  authIds: readonly Id[],
): { ok: true; acl: ACL[] } | { ok: false; err: number } {
  const unique: ACL[] = [];
  for (const entry of acl) if (!unique.some((u) => sameAcl(u, entry))) unique.push(entry);
  if (unique.length === 0) return { ok: false, err: ErrorCode.invalidACL };
  const result: ACL[] = [];
  for (const entry of unique) {
    const { scheme, id } = entry.id;
    if (scheme === 'world' && id === 'anyone') {
      result.push(entry);
    } else if (scheme === 'auth') {
      let expanded = false;
      for (const authId of authIds) {
        if (providers.isAuthenticated(authId.scheme) === true) {
          expanded = true;
          result.push({ perms: entry.perms, id: { scheme: authId.scheme, id: authId.id } });
        }
      }
      if (!expanded) return { ok: false, err: ErrorCode.invalidACL };
    } else {
      if (providers.isValidId(scheme, id) !== true) return { ok: false, err: ErrorCode.invalidACL };
      result.push(entry);
    }
  }
  return { ok: true, acl: result };
}
