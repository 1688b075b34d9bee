// The configurations an ensemble member starts from, read as 3.8's QuorumPeerConfig reads them: the
// committed one from zoo.cfg's server lines or from the dynamic file zoo.cfg names, and with
// reconfigEnabled the last seen one from `<zoo.cfg>.dynamic.next` (only when zoo.cfg names a dynamic
// file, as in 3.8). With reconfigEnabled and a static configuration, zoo.cfg is copied to
// `<zoo.cfg>.bak` first, as 3.8's backupOldConfig does.

import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import type { ServerConfig } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import {
  backsUpStaticConfig,
  backupConfigFilename,
  nextDynamicConfigFilename,
  parseNextDynamicConfigFile,
  quorumVerifierFromServerConfig,
  type QuorumVerifier,
} from '../reconfig/index.js';
import type { PeerReconfig } from './quorum-peer.js';

/** The committed configuration as zoo.cfg (or its dynamic file) gives it. */
export function committedConfigOf(config: ServerConfig): QuorumVerifier {
  const dynamicText = config.dynamicConfigFile === null ? null : readFileSync(config.dynamicConfigFile, 'utf8');
  return quorumVerifierFromServerConfig(config, dynamicText);
}

/** What QuorumPeer needs for dynamic reconfiguration, or null without reconfigEnabled. */
export function peerReconfigOf(
  config: ServerConfig,
  committed: QuorumVerifier,
  logger: Logger,
  moveClientPort: (host: string, port: number) => Promise<void>,
): PeerReconfig | null {
  if (!config.reconfigEnabled) return null;
  const readOptions = { standaloneEnabled: config.standaloneEnabled, multiAddressEnabled: config.multiAddressEnabled };
  if (backsUpStaticConfig(config)) {
    try {
      copyFileSync(config.zooCfgPath, backupConfigFilename(config.zooCfgPath));
    } catch (error) {
      logger.warn({ err: error, path: config.zooCfgPath }, 'cannot back up zoo.cfg');
    }
  }
  let lastSeen = committed;
  const nextPath = nextDynamicConfigFilename(config.zooCfgPath);
  if (config.dynamicConfigFile !== null && existsSync(nextPath)) {
    const parsed = parseNextDynamicConfigFile(readFileSync(nextPath, 'utf8'), readOptions);
    if (parsed.ok) {
      if (parsed.value.version > committed.version) lastSeen = parsed.value;
    } else {
      logger.warn({ path: nextPath, reason: parsed.failure.message }, 'ignoring an unreadable next dynamic config file');
    }
  }
  return { committed, lastSeen, zooCfgPath: config.zooCfgPath, readOptions, moveClientPort };
}
