// ACL decisions must agree with 3.8 exactly, or a node protected on a Java server becomes readable
// (or unwritable) here. This module holds the per-scheme rules 3.8's ProviderRegistry applies: which
// schemes exist on a server, which ids an ACL may name (else InvalidACL), how the `auth` pseudo-scheme
// expands to the caller's own ids, and when a caller's ids satisfy an ACL (else NoAuth).

import type { ACL, Id } from '../jute/index.js';
import { DIGEST_SCHEME, isValidDigestId } from './digest.js';
import { IP_SCHEME, ipMatches, isValidIpId } from './ip.js';
import { KNOWN_AUTH_PROVIDER_CLASSES } from './provider-classes.js';
import { SASL_SCHEME, isValidSaslId } from './sasl-identity.js';

export interface AuthProvider {
  readonly scheme: string;
  /** Whether ids of this scheme identify a user (only those are copied by the `auth` scheme). */
  readonly isAuthenticated: boolean;
  /** Whether an ACL may name this id. */
  isValid(id: string): boolean;
  /** Whether a caller holding `id` satisfies an ACL entry naming `aclExpr`. */
  matches(id: string, aclExpr: string): boolean;
}

export const ipAuthProvider: AuthProvider = Object.freeze({
  scheme: IP_SCHEME,
  isAuthenticated: false,
  isValid: isValidIpId,
  matches: ipMatches,
});

export const digestAuthProvider: AuthProvider = Object.freeze({
  scheme: DIGEST_SCHEME,
  isAuthenticated: true,
  isValid: isValidDigestId,
  matches: (id: string, aclExpr: string) => id === aclExpr,
});

/** SASLAuthenticationProvider; `letAnySaslUserDoX` is zookeeper.letAnySaslUserDoX. */
export function saslAuthProvider(letAnySaslUserDoX: string | null = null): AuthProvider {
  return Object.freeze({
    scheme: SASL_SCHEME,
    isAuthenticated: true,
    isValid: isValidSaslId,
    matches: (id: string, aclExpr: string) =>
      id === 'super' || id === aclExpr || (letAnySaslUserDoX !== null && aclExpr === letAnySaslUserDoX),
  });
}

export interface AuthProviderOptions {
  /** zookeeper.DigestAuthenticationProvider.enabled (default true). */
  readonly digestEnabled?: boolean;
  /** Class names from zookeeper.authProvider.*; unknown ones are skipped, as 3.8 skips unloadable ones. */
  readonly providerClassNames?: readonly string[];
  readonly letAnySaslUserDoX?: string | null;
}

/** The schemes a server has: ip always, digest unless disabled, plus the configured providers. */
export function createAuthProviders(options: AuthProviderOptions = {}): ReadonlyMap<string, AuthProvider> {
  const providers = new Map<string, AuthProvider>([[IP_SCHEME, ipAuthProvider]]);
  if (options.digestEnabled !== false) providers.set(DIGEST_SCHEME, digestAuthProvider);
  for (const className of options.providerClassNames ?? []) {
    const scheme = KNOWN_AUTH_PROVIDER_CLASSES[className];
    if (scheme === IP_SCHEME) providers.set(scheme, ipAuthProvider);
    else if (scheme === DIGEST_SCHEME) providers.set(scheme, digestAuthProvider);
    else if (scheme === SASL_SCHEME) providers.set(scheme, saslAuthProvider(options.letAnySaslUserDoX ?? null));
  }
  return providers;
}

export type FixupAclResult = { readonly ok: true; readonly acls: ACL[] } | { readonly ok: false };

const sameAcl = (a: ACL, b: ACL): boolean => a.perms === b.perms && a.id.scheme === b.id.scheme && a.id.id === b.id.id;

/**
 * PrepRequestProcessor.fixupACL: validates the ACL list of a create/setACL and expands `auth`
 * entries into the caller's authenticated ids. `{ ok: false }` means the request fails with InvalidACL.
 */
export function fixupAcl(
  acls: readonly ACL[],
  authInfo: readonly Id[],
  providers: ReadonlyMap<string, AuthProvider>,
): FixupAclResult {
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

/**
 * ZooKeeperServer.checkACL: whether a caller with `authInfo` may perform `perm` on a node with
 * `acl`. An empty ACL, skipACL, or a `super` id allows everything.
 */
export function checkAcl(
  acl: readonly ACL[],
  perm: number,
  authInfo: readonly Id[],
  providers: ReadonlyMap<string, AuthProvider>,
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
