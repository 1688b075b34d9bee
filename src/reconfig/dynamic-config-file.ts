// The files 3.8 keeps next to zoo.cfg once dynamic reconfiguration is on, as pure functions: file
// names, file contents, and parsers for reading them back. Writing, renaming and deleting files is
// the caller's job; the `*Writes` functions list what 3.8 does as values so the shell can do it.
//
// What 3.8 writes, and when (QuorumPeer, QuorumPeerConfig):
// - `<zoo.cfg>.bak`: a byte copy of zoo.cfg, at startup, when zoo.cfg has the server lines itself
//   (no dynamicConfigFile), the ensemble is distributed and reconfigEnabled is true
//   (QuorumPeerConfig.backupOldConfig).
// - `<zoo.cfg>.dynamic.next`: the last seen configuration with its `version=` line, whenever a newer
//   configuration is seen but not yet committed: a reconfig proposal, a NEWLEADER carrying one, or
//   the leader's version bump below (setLastSeenQuorumVerifier(qv, true) → writeDynamicConfig(.., true)).
// - `<zoo.cfg>.dynamic.<hex version>`: the configuration without its version line, whenever a newer
//   configuration is activated (setQuorumVerifier(qv, true) → writeDynamicConfig(.., false)), and
//   then zoo.cfg is rewritten to point at it (editStaticConfig) and `.dynamic.next` is deleted if it
//   held that same version. Older `.dynamic.*` files are left in place.
// A fresh static ensemble with reconfigEnabled gets its first dynamic file at its first election:
// the leader re-versions the unversioned (version 0) configuration to the NEWLEADER zxid
// (ZOOKEEPER-1783, Leader.lead), and every member activates it once synchronised.
//
// Formats: a dynamic file is the configuration's `key=value` lines (keys and values trimmed),
// sorted as whole strings (so "server.10=..." comes before "server.1=..." and "server.2=...") and
// joined with "\n", with no final newline. The rewritten zoo.cfg has every key except server.*, group*, weight*, dynamicConfigFile*
// and peerType* (and clientPort* when the member's client address is now in the dynamic file), as
// trimmed `key=value\n` lines in java.util.Properties iteration order (not file order: comments,
// blank lines and escapes are lost), then `dynamicConfigFile=<canonical path>\n`.

import type { ServerConfig } from '../config/index.js';
import { versionFromFilename } from '../config/server-config.js';
import { javaTrim } from '../config/java-values.js';
import { failed, parsed, type Parsed } from './java-failure.js';
import { JavaProperties } from './java-properties.js';
import { assert } from '../lib/assert.js';
import type { ParseMemberOptions, ServerId } from './quorum-server.js';
import { configFromString, hexVersion, parseDynamicConfig, quorumMajFromProperties, type QuorumVerifier } from './quorum-verifier.js';

export const DYNAMIC_CONFIG_SUFFIX = '.dynamic.';
export const NEXT_DYNAMIC_CONFIG_SUFFIX = '.dynamic.next';
export const BACKUP_CONFIG_SUFFIX = '.bak';

/** QuorumPeer.makeDynamicConfigFilename: `<zoo.cfg path>.dynamic.<hex version>`. */
export function dynamicConfigFilename(zooCfgPath: string, version: bigint): string {
  return `${zooCfgPath}${DYNAMIC_CONFIG_SUFFIX}${hexVersion(version)}`;
}

/** QuorumPeer.getNextDynamicConfigFilename. */
export function nextDynamicConfigFilename(zooCfgPath: string): string {
  return `${zooCfgPath}${NEXT_DYNAMIC_CONFIG_SUFFIX}`;
}

/** Where QuorumPeerConfig.backupOldConfig copies zoo.cfg. */
export function backupConfigFilename(zooCfgPath: string): string {
  return `${zooCfgPath}${BACKUP_CONFIG_SUFFIX}`;
}

/** Whether 3.8 backs zoo.cfg up at startup (static members, distributed, reconfigEnabled). */
export function backsUpStaticConfig(config: ServerConfig): boolean {
  return config.dynamicConfigFile === null && config.distributed && config.reconfigEnabled;
}

/** QuorumPeerConfig.writeDynamicConfig's text: `keepVersion` for `.dynamic.next`, not for `.dynamic.<v>`. */
export function dynamicConfigFileText(config: QuorumVerifier, keepVersion: boolean): string {
  const properties = JavaProperties.load(config.toString());
  assert(properties.ok, "a configuration's own text loads as Properties");
  const lines: string[] = [];
  for (const entry of properties.value.entries()) {
    const key = javaTrim(entry.key);
    if (!keepVersion && key.startsWith('version')) continue;
    lines.push(`${key}=${javaTrim(entry.value)}`);
  }
  // Collections.sort on Strings: UTF-16 code unit order, which is also JavaScript's default sort.
  return lines.sort().join('\n');
}

const MEMBERSHIP_KEY_PREFIXES = ['server.', 'group', 'weight', 'dynamicConfigFile', 'peerType'];
const CLIENT_KEY_PREFIXES = ['clientPort', 'clientPortAddress'];

/**
 * QuorumPeerConfig.editStaticConfig's new zoo.cfg text. `dynamicFileCanonicalPath` is the dynamic
 * file's File.getCanonicalPath (absolute, symbolic links resolved): the caller resolves it.
 */
export function editedStaticConfigText(zooCfgText: string, dynamicFileCanonicalPath: string, eraseClientPortAddress: boolean): Parsed<string> {
  const properties = JavaProperties.load(zooCfgText);
  if (!properties.ok) return properties;
  let text = '';
  for (const entry of properties.value.entries()) {
    const key = javaTrim(entry.key);
    if (MEMBERSHIP_KEY_PREFIXES.some((prefix) => key.startsWith(prefix))) continue;
    // startsWith("clientPort") also drops clientPortListenBacklog, as 3.8 does.
    if (eraseClientPortAddress && CLIENT_KEY_PREFIXES.some((prefix) => key.startsWith(prefix))) continue;
    text += `${key}=${javaTrim(entry.value)}\n`;
  }
  return parsed(`${text}dynamicConfigFile=${dynamicFileCanonicalPath}\n`);
}

/**
 * QuorumPeer.needEraseClientInfoFromStaticConfig: this member's client address is written in the
 * (new) configuration, so zoo.cfg's clientPort/clientPortAddress go.
 */
export function needEraseClientInfoFromStaticConfig(config: QuorumVerifier, myId: ServerId): boolean {
  const self = config.member(myId);
  return self !== undefined && self.clientAddress !== null && !self.clientAddressFromStatic;
}

/** A file operation 3.8 performs (all writes are atomic: a temp file renamed over the target). */
export type ConfigFileWrite =
  | { readonly kind: 'write'; readonly path: string; readonly text: string }
  | { readonly kind: 'copy'; readonly from: string; readonly path: string }
  | { readonly kind: 'delete'; readonly path: string };

/** setLastSeenQuorumVerifier(qv, true): record a configuration seen but not committed yet. */
export function lastSeenConfigWrites(zooCfgPath: string, lastSeen: QuorumVerifier): ConfigFileWrite[] {
  return [{ kind: 'write', path: nextDynamicConfigFilename(zooCfgPath), text: dynamicConfigFileText(lastSeen, true) }];
}

export interface ActivationInput {
  readonly zooCfgPath: string;
  /** zoo.cfg as it is on disk now (3.8 re-reads it for every activation). */
  readonly zooCfgText: string;
  /** The real path of zoo.cfg's directory (the dynamic file is created there). */
  readonly zooCfgRealDirectory: string;
  readonly myId: ServerId;
  /** The configuration being activated (already newer than the committed one). */
  readonly activated: QuorumVerifier;
  /** The last seen configuration's version after activation (the larger of the two). */
  readonly lastSeenVersion: bigint;
}

/**
 * setQuorumVerifier(qv, true) on a server with a zoo.cfg: write the dynamic file, point zoo.cfg at
 * it, and drop `.dynamic.next` when it held this version.
 */
export function activationConfigWrites(input: ActivationInput): Parsed<ConfigFileWrite[]> {
  const dynamicPath = dynamicConfigFilename(input.zooCfgPath, input.activated.version);
  const baseName = dynamicPath.slice(dynamicPath.lastIndexOf('/') + 1);
  const canonical = `${input.zooCfgRealDirectory.replace(/\/+$/, '')}/${baseName}`;
  const zooCfg = editedStaticConfigText(input.zooCfgText, canonical, needEraseClientInfoFromStaticConfig(input.activated, input.myId));
  if (!zooCfg.ok) return zooCfg;
  const writes: ConfigFileWrite[] = [
    { kind: 'write', path: dynamicPath, text: dynamicConfigFileText(input.activated, false) },
    { kind: 'write', path: input.zooCfgPath, text: zooCfg.value },
  ];
  if (input.activated.version === input.lastSeenVersion) writes.push({ kind: 'delete', path: nextDynamicConfigFilename(input.zooCfgPath) });
  return parsed(writes);
}

export interface ReadOptions {
  readonly standaloneEnabled: boolean;
  readonly multiAddressEnabled: boolean;
}

/**
 * Reads a `dynamicConfigFile` as QuorumPeerConfig.parse does: no `version` key inside, the version
 * from the file name's hex suffix (0 without one), only server.N keys.
 */
export function parseDynamicConfigFile(text: string, filename: string, options: ReadOptions): Parsed<QuorumVerifier> {
  const loaded = JavaProperties.load(text);
  if (!loaded.ok) return loaded;
  if (loaded.value.get('version') !== undefined) return failed('ConfigException', "dynamic file shouldn't have version inside");
  const version = versionFromFilename(filename);
  const properties = version === null ? loaded.value : loaded.value.with('version', version);
  return parseDynamicConfig(properties.entries(), { ...options, configBackwardCompatibilityMode: false });
}

/**
 * Reads `<zoo.cfg>.dynamic.next` as QuorumPeerConfig.parse does when zoo.cfg names a dynamic file:
 * the last seen configuration, version inside, built without any of parseDynamicConfig's checks.
 */
export function parseNextDynamicConfigFile(text: string, options: ParseMemberOptions): Parsed<QuorumVerifier> {
  const loaded = JavaProperties.load(text);
  if (!loaded.ok) return loaded;
  const entries = loaded.value.entries();
  if (entries.some(({ key }) => javaTrim(key).startsWith('group') || javaTrim(key).startsWith('weight'))) {
    return failed('Unsupported', 'hierarchical quorums (group.*/weight.*) are not supported by this server');
  }
  return quorumMajFromProperties(entries, options);
}

/**
 * Leader.lead's version bump (ZOOKEEPER-1783): when neither the committed nor the last seen
 * configuration has a version yet, the new leader takes the committed one through its text (so its
 * members are re-read in Properties order) and versions it with the NEWLEADER zxid, as the last
 * seen configuration it proposes with NEWLEADER. Null when there is nothing to bump.
 */
export function leaderEpochStartConfig(
  committed: QuorumVerifier,
  lastSeen: QuorumVerifier,
  newLeaderZxid: bigint,
  options: ReadOptions,
): QuorumVerifier | null {
  if (committed.version !== 0n || lastSeen.version !== 0n) return null;
  const reparsed = configFromString(committed.toString(), options);
  assert(reparsed.ok, "a configuration's own text parses");
  return reparsed.value.withVersion(newLeaderZxid);
}
