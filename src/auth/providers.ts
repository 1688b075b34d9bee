// ACL decisions must agree with 3.8 exactly, or a node protected on a Java server becomes readable
// (or unwritable) here. This module holds the per-scheme rules 3.8's ProviderRegistry applies: which
// schemes exist on a server, which ids an ACL may name (else InvalidACL), how the `auth` pseudo-scheme
// expands to the caller's own ids, and when a caller's ids satisfy an ACL (else NoAuth).

import type { AuthProvider } from '../pipeline/acl.js';
import { DIGEST_SCHEME, isValidDigestId } from './digest.js';
import { IP_SCHEME, ipMatches, isValidIpId } from './ip.js';
import { KNOWN_AUTH_PROVIDER_CLASSES } from './provider-classes.js';
import { SASL_SCHEME, isValidSaslId } from './sasl-identity.js';

export type { AuthProvider };

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
