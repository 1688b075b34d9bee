// 3.8 configurations name authentication providers and digest algorithms the Java way (class names
// in authProvider.N, MessageDigest names in digestAlg). Existing configs must keep working, so these
// tables translate those names to what this server implements, in one place for config and auth.

/** Provider class names 3.8 ships, mapped to the ACL scheme each one serves. */
export const KNOWN_AUTH_PROVIDER_CLASSES: Readonly<Record<string, string>> = Object.freeze({
  'org.apache.zookeeper.server.auth.SASLAuthenticationProvider': 'sasl',
  'org.apache.zookeeper.server.auth.DigestAuthenticationProvider': 'digest',
  'org.apache.zookeeper.server.auth.IPAuthenticationProvider': 'ip',
});

/** Java MessageDigest names (case-insensitive, as Java treats them) mapped to node:crypto names. */
const DIGEST_ALGORITHMS: Readonly<Record<string, string>> = Object.freeze({
  SHA1: 'sha1',
  'SHA-1': 'sha1',
  SHA: 'sha1',
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
  'SHA-512/224': 'sha512-224',
  'SHA-512/256': 'sha512-256',
  'SHA3-224': 'sha3-224',
  'SHA3-256': 'sha3-256',
  'SHA3-384': 'sha3-384',
  'SHA3-512': 'sha3-512',
  MD5: 'md5',
});

/** The node:crypto hash for a Java MessageDigest algorithm name, or null when we have none. */
export function nodeDigestAlgorithm(javaName: string): string | null {
  return DIGEST_ALGORITHMS[javaName.toUpperCase()] ?? null;
}
