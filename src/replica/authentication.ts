// Wires the configured auth providers (ip, digest, super digest, SASL) into the replica.
// PLACEHOLDER until src/auth lands: ip and world only.

import type { ServerConfig } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { Authentication } from './replica.js';

export function createAuthentication(_config: ServerConfig, _logger: Logger): Authentication {
  return {
    providers: {
      isValidId: (scheme) => (scheme === 'ip' || scheme === 'digest' ? true : null),
      matches: (scheme, authId, aclId) => scheme === 'ip' ? authId === aclId : authId === aclId,
      isAuthenticated: (scheme) => (scheme === 'digest' ? true : scheme === 'ip' ? false : null),
    },
    initialIds: (remoteAddress) => [{ scheme: 'ip', id: remoteAddress }],
    authenticate: () => null,
    startSasl: () => null,
    userNameOf: (id) => id.id,
  };
}
