// Pure authentication and authorisation logic of a 3.8-compatible server: the digest, ip and sasl
// schemes, ACL validation and checks, SASL DIGEST-MD5 and JAAS files. No sockets here.

export {
  DIGEST_SCHEME,
  SUPER_SCHEME,
  digestAuthIds,
  digestUserName,
  generateDigest,
  isValidDigestId,
  type DigestAuthOptions,
} from './digest.js';
export { IP_SCHEME, ipAuthId, ipAuthIds, ipMatches, isValidIpId } from './ip.js';
export {
  SASL_SCHEME,
  isValidSaslId,
  saslAuthIds,
  saslAuthorizedId,
  type SaslIdentityOptions,
} from './sasl-identity.js';
export {
  createAuthProviders,
  digestAuthProvider,
  ipAuthProvider,
  saslAuthProvider,
  type AuthProvider,
  type AuthProviderOptions,
} from './providers.js';
export { KNOWN_AUTH_PROVIDER_CLASSES, nodeDigestAlgorithm } from './provider-classes.js';
export {
  DEFAULT_SASL_PROTOCOL,
  DEFAULT_SASL_REALM,
  DEFAULT_SASL_SERVER_NAME,
  SaslDigestMd5Server,
  digestMd5Bytes,
  digestMd5ResponseValue,
  parseDigestDirectives,
  quoteDirectiveValue,
  type DigestDirectives,
  type DigestMd5ResponseInput,
  type SaslDigestMd5ServerOptions,
  type SaslStepResult,
} from './sasl-digest-md5.js';
export {
  digestUsersFromJaas,
  jaasConfigFilePath,
  parseJaasFile,
  type DigestUsersOptions,
  type JaasConfig,
  type JaasControlFlag,
  type JaasLoginModule,
  type ParseJaasOptions,
} from './jaas.js';
