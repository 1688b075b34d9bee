// ACL decisions must agree with 3.8 exactly, or a node protected on a Java server becomes readable
// (or unwritable) here. This module holds the rules of ZooKeeperServer.checkACL and
// PrepRequestProcessor.fixupACL; the schemes themselves (how an ip or digest id matches, which ids
// are valid) come from the auth providers the server is configured with (src/auth).

import type { ACL, Id } from '../jute/index.js';
import { ErrorCode } from '../protocol/error-code.js';

export interface AuthProvider {
  readonly scheme: string;
  /** Whether ids of this scheme identify a user (only those are copied by the `auth` scheme). */
  readonly isAuthenticated: boolean;
  /** Whether an ACL may name this id. */
  isValid(id: string): boolean;
  /** Whether a caller holding `id` satisfies an ACL entry naming `aclExpr`. */
  matches(id: string, aclExpr: string): boolean;
}

/** The schemes a server has, by name (3.8's ProviderRegistry). */
export type AuthProviders = ReadonlyMap<string, AuthProvider>;

export interface AclPolicy {
  readonly providers: AuthProviders;
  /** zookeeper.skipACL */
  readonly skipAcl: boolean;
}

export type FixupAclResult = { readonly ok: true; readonly acls: ACL[] } | { readonly ok: false };

const sameAcl = (a: ACL, b: ACL): boolean => a.perms === b.perms && a.id.scheme === b.id.scheme && a.id.id === b.id.id;

/**
 * Validates the ACL list of a create/setACL and expands `auth` entries into the caller's
 * authenticated ids. `{ ok: false }` means the request fails with InvalidACL.
 */
export function fixupAcl(acls: readonly ACL[], authInfo: readonly Id[], providers: AuthProviders): FixupAclResult {
  const unique: ACL[] = [];
  for (const acl of acls) if (!unique.some((seen) => sameAcl(seen, acl))) unique.push(acl);
  if (unique.length === 0) return { ok: false };
  const result: ACL[] = [];
  for (const acl of unique) {
    const { scheme, id } = acl.id;
    if (scheme === 'world' && id === 'anyone') {
      result.push(acl);
    } else if (scheme === 'auth') {
      let expanded = false;
      for (const callerId of authInfo) {
        if (providers.get(callerId.scheme)?.isAuthenticated === true) {
          expanded = true;
          result.push({ perms: acl.perms, id: { scheme: callerId.scheme, id: callerId.id } });
        }
      }
      if (!expanded) return { ok: false };
    } else {
      const provider = providers.get(scheme);
      if (provider === undefined || !provider.isValid(id)) return { ok: false };
      result.push(acl);
    }
  }
  return { ok: true, acls: result };
}

/** Whether a caller with `authInfo` may perform `perm` on a node with `acl` (empty ACL, skipACL or super: yes). */
export function checkAcl(
  acl: readonly ACL[],
  perm: number,
  authInfo: readonly Id[],
  providers: AuthProviders,
  options: { readonly skipAcl?: boolean } = {},
): boolean {
  if (options.skipAcl === true || acl.length === 0) return true;
  if (authInfo.some((id) => id.scheme === 'super')) return true;
  for (const entry of acl) {
    if ((entry.perms & perm) === 0) continue;
    const { scheme, id } = entry.id;
    if (scheme === 'world' && id === 'anyone') return true;
    const provider = providers.get(scheme);
    if (provider === undefined) continue;
    if (authInfo.some((callerId) => callerId.scheme === scheme && provider.matches(callerId.id, id))) return true;
  }
  return false;
}

/** checkAcl as the pipeline uses it: ok (0) or noAuth. */
export function aclError(policy: AclPolicy, acl: readonly ACL[], perm: number, authIds: readonly Id[]): number {
  return checkAcl(acl, perm, authIds, policy.providers, { skipAcl: policy.skipAcl }) ? ErrorCode.ok : ErrorCode.noAuth;
}
