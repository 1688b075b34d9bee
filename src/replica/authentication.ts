// Wires the configured auth providers into the replica as 3.8's ProviderRegistry does: ip always,
// digest unless disabled (with the super digest), and SASL DIGEST-MD5 with users from the JAAS
// file's Server section when java.security.auth.login.config and a SASL authProvider are set.
// The JAAS file is read once at start; a broken one stops the server with a message naming it.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createAuthProviders,
  DIGEST_SCHEME,
  digestAuthIds,
  digestUserName,
  digestUsersFromJaas,
  IP_SCHEME,
  ipAuthId,
  jaasConfigFilePath,
  parseJaasFile,
  SaslDigestMd5Server,
  SASL_SCHEME,
} from '../auth/index.js';
import { ConfigError, type ServerConfig } from '../config/index.js';
import type { Id } from '../jute/index.js';
import type { Logger } from '../logging/logger.js';
import type { Authentication, SaslExchange } from './replica.js';

function saslUsers(config: ServerConfig, logger: Logger): Map<string, string> | null {
  const auth = config.auth;
  if (auth.jaasConfigPath === null) return null;
  const path = jaasConfigFilePath(auth.jaasConfigPath);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the JAAS file ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const jaas = parseJaasFile(text);
  const section = jaas.sections.get(auth.saslLoginContext);
  if (section === undefined) {
    if (auth.saslLoginContextExplicit) throw new ConfigError(`the JAAS file ${path} has no section ${auth.saslLoginContext}`);
    logger.warn({ path, section: auth.saslLoginContext }, 'JAAS file has no server section; SASL is off');
    return null;
  }
  const users = digestUsersFromJaas(section, { superPassword: auth.saslSuperPassword });
  logger.info({ path, users: users.size }, 'SASL DIGEST-MD5 enabled');
  return users;
}

export function createAuthentication(config: ServerConfig, logger: Logger): Authentication {
  const auth = config.auth;
  const providerMap = createAuthProviders({
    digestEnabled: auth.digestAuthEnabled,
    providerClassNames: auth.authProviders.map((p) => p.className),
    letAnySaslUserDoX: auth.letAnySaslUserDoX,
  });
  const users = providerMap.has(SASL_SCHEME) ? saslUsers(config, logger) : null;
  const superUsers = new Set(auth.saslSuperUsers);
  return {
    providers: providerMap,
    initialIds: (remoteAddress) => [{ scheme: IP_SCHEME, id: ipAuthId(remoteAddress) }],
    authenticate: (scheme, authData, remoteAddress) => {
      if (!providerMap.has(scheme)) return null;
      if (scheme === DIGEST_SCHEME) return digestAuthIds(authData, { superDigest: auth.superDigest, algorithm: auth.digestAlgorithm });
      if (scheme === IP_SCHEME) return [{ scheme: IP_SCHEME, id: ipAuthId(remoteAddress) }];
      // SASL is negotiated with the sasl op code, never with addauth.
      return null;
    },
    startSasl: (): SaslExchange | null => {
      if (users === null) return null;
      const server = new SaslDigestMd5Server({ users, randomBytes: (n) => randomBytes(n) });
      return {
        evaluate: (token) => {
          const step = server.evaluateResponse(token);
          if (step.kind !== 'complete') return step.kind === 'failed' ? { kind: 'failed' } : step;
          const ids: Id[] = [{ scheme: SASL_SCHEME, id: step.authorizationId }];
          if (superUsers.has(step.authorizationId)) ids.push({ scheme: 'super', id: '' });
          return { kind: 'complete', token: step.token, ids };
        },
      };
    },
    userNameOf: (id) => (id.scheme === DIGEST_SCHEME ? digestUserName(id.id) : id.id),
  };
}
