// After a SASL login, 3.8 decides which `sasl:` id the session gets and whether it is a super user.
// ACLs written against a Java server name those ids, so the same login must yield the same id here:
// the authentication name is canonicalised like a Kerberos principal (service[/host][@REALM]) with
// ZooKeeper's host/realm-stripping switches, and "super" comes from the zookeeper.superUser settings.

import type { Id } from '../jute/index.js';

export const SASL_SCHEME = 'sasl';

export interface SaslIdentityOptions {
  /** zookeeper.kerberos.removeHostFromPrincipal=true */
  readonly removeHostFromPrincipal?: boolean;
  /** zookeeper.kerberos.removeRealmFromPrincipal=true */
  readonly removeRealmFromPrincipal?: boolean;
  /** Kerberos default realm; 3.8 uses "" when there is no Kerberos configuration. */
  readonly defaultRealm?: string;
}

interface KerberosName {
  readonly service: string;
  readonly host: string | null;
  readonly realm: string | null;
}

const KERBEROS_NAME = /^([^/@]*)(?:\/([^/@]*))?@([^/@]*)$/;

/** KerberosName's parse; throws for a name with '@' that is not service[/host]@realm. */
function parseKerberosName(name: string): KerberosName {
  const match = KERBEROS_NAME.exec(name);
  if (match === null) {
    if (name.includes('@')) throw new Error(`Malformed Kerberos name: ${name}`);
    return { service: name, host: null, realm: null };
  }
  return { service: match[1] ?? '', host: match[2] ?? null, realm: match[3] ?? '' };
}

/** Whether 3.8's SASLAuthenticationProvider accepts `id` in an ACL (a parseable Kerberos name). */
export function isValidSaslId(id: string): boolean {
  return KERBEROS_NAME.test(id) || !id.includes('@');
}

/**
 * The authorization id 3.8 gives a client that authenticated as `authenticationId` and asked to act
 * as `requestedAuthorizationId` (DIGEST-MD5 clients of 3.8 ask for their own user name). Only the
 * DEFAULT auth_to_local rule exists here: a name in another realm keeps the requested id, as in 3.8
 * when no rule applies. Throws for a malformed Kerberos name, which 3.8 also rejects.
 */
export function saslAuthorizedId(
  authenticationId: string,
  requestedAuthorizationId: string,
  options: SaslIdentityOptions = {},
): string {
  const name = parseKerberosName(authenticationId);
  let shortName: string;
  if (name.host === null && name.realm === null) {
    shortName = name.service;
  } else if ((name.realm ?? '') === (options.defaultRealm ?? '') && name.realm !== null) {
    shortName = name.service;
  } else {
    return requestedAuthorizationId;
  }
  let result = shortName;
  if (options.removeHostFromPrincipal !== true && name.host !== null) result += `/${name.host}`;
  if (options.removeRealmFromPrincipal !== true && name.realm !== null) result += `@${name.realm}`;
  return result;
}

/** Ids for a completed SASL login: `sasl:<authorizationId>`, plus `super` for a configured super user. */
export function saslAuthIds(authorizationId: string, superUsers: readonly string[] = []): Id[] {
  const ids: Id[] = [{ scheme: SASL_SCHEME, id: authorizationId }];
  if (authorizationId !== '' && superUsers.includes(authorizationId)) ids.push({ scheme: 'super', id: '' });
  return ids;
}
