// The "digest" scheme is ZooKeeper's built-in username/password scheme. ACLs store
// `user:base64(sha1("user:password"))`, and clients carry those strings between servers and tools
// (zkCli's setAcl, superDigest settings), so the hash must be byte-for-byte what
// DigestAuthenticationProvider computes, and the acceptance rules for ids must match 3.8's.

import { createHash } from 'node:crypto';
import type { Id } from '../jute/index.js';
import { javaSplit } from '../config/java-values.js';
import { nodeDigestAlgorithm } from './provider-classes.js';

export const DIGEST_SCHEME = 'digest';
export const SUPER_SCHEME = 'super';

function hashFor(algorithm: string): string {
  const hash = nodeDigestAlgorithm(algorithm);
  if (hash === null) throw new RangeError(`unsupported digest algorithm: ${algorithm}`);
  return hash;
}

/**
 * `user:password` → `user:base64(hash("user:password"))` (hash = SHA1 unless the server sets
 * zookeeper.DigestAuthenticationProvider.digestAlg). Without a ':' the whole input is the user.
 */
export function generateDigest(idPassword: string, algorithm = 'SHA1'): string {
  const colon = idPassword.indexOf(':');
  const user = colon < 0 ? idPassword : idPassword.slice(0, colon);
  const digest = createHash(hashFor(algorithm)).update(idPassword, 'utf8').digest('base64');
  return `${user}:${digest}`;
}

export interface DigestAuthOptions {
  /** zookeeper.DigestAuthenticationProvider.superDigest, or null. */
  readonly superDigest?: string | null;
  readonly algorithm?: string;
}

/**
 * The ids an `addauth digest user:password` grants: `super` first when the digest equals the
 * configured superDigest, then `digest:user:hash`. Digest authentication never fails in 3.8.
 */
export function digestAuthIds(authData: Buffer, options: DigestAuthOptions = {}): Id[] {
  const digest = generateDigest(authData.toString('utf8'), options.algorithm ?? 'SHA1');
  const ids: Id[] = [];
  if (options.superDigest !== undefined && options.superDigest !== null && digest === options.superDigest) {
    ids.push({ scheme: SUPER_SCHEME, id: '' });
  }
  ids.push({ scheme: DIGEST_SCHEME, id: digest });
  return ids;
}

/** 3.8's rule for a digest ACL id: splitting on ':' (trailing empties dropped) gives exactly two parts. */
export function isValidDigestId(id: string): boolean {
  return javaSplit(id, ':').length === 2;
}

/** The user part of a digest id (what `whoami` reports). */
export function digestUserName(id: string): string {
  return javaSplit(id, ':')[0] ?? '';
}
