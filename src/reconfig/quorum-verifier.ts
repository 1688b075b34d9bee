// The ensemble configuration as 3.8's QuorumMaj holds it: the members, who of them vote, a majority
// test and a version (the zxid of the reconfig that made it; 0 for a configuration nobody agreed on
// yet). Its text form (toString) is what /zookeeper/config, election notifications and NEWLEADER
// carry, so it is reproduced byte for byte: one `server.N=<QuorumServer.toString>` line per member
// in the iteration order of 3.8's HashMap<Long, QuorumServer> (see java-hash-table.ts), then
// `version=<hex>` with no newline after it.
//
// A QuorumVerifier is immutable. Its member order is the order Java would iterate the map it was
// built in; every way 3.8 derives a new configuration copies or rebuilds that map, so the order is
// all the history a verifier needs to carry.

import { versionFromFilename, type ServerConfig } from '../config/index.js';
import { javaParseLong, javaTrim } from '../config/java-values.js';
import { parseZooCfg } from '../config/zoo-cfg.js';
import { assert } from '../lib/assert.js';
import { failed, parsed, type Parsed } from './java-failure.js';
import { JavaHashMapKeys } from './java-hash-table.js';
import { JavaProperties, type PropertyEntry } from './java-properties.js';
import {
  formatQuorumServer,
  memberFromServerSpec,
  parseQuorumServer,
  sameQuorumServer,
  type ParseMemberOptions,
  type QuorumMember,
  type ServerId,
} from './quorum-server.js';
import { literalHostResolver, type HostResolver } from './socket-address.js';

/** Long.toHexString: the version as 3.8 writes it (unsigned, lower case, no leading zeros). */
export function hexVersion(version: bigint): string {
  return BigInt.asUintN(64, version).toString(16);
}

export class QuorumVerifier {
  /** Every member, in the order 3.8's toString writes them. */
  readonly members: readonly QuorumMember[];
  readonly version: bigint;
  /** Participants (QuorumMaj.votingMembers), in member order. */
  readonly votingMembers: readonly QuorumMember[];
  /** Observers (QuorumMaj.observingMembers), in member order. */
  readonly observingMembers: readonly QuorumMember[];
  readonly #byId: ReadonlyMap<ServerId, QuorumMember>;

  /** `membersInIterationOrder` must already be in Java's iteration order (use the factories below). */
  constructor(membersInIterationOrder: readonly QuorumMember[], version: bigint) {
    const byId = new Map<ServerId, QuorumMember>();
    for (const member of membersInIterationOrder) {
      assert(!byId.has(member.id), `server.${member.id} appears once in a configuration`);
      byId.set(member.id, member);
    }
    this.members = Object.freeze([...membersInIterationOrder]);
    this.version = version;
    this.votingMembers = Object.freeze(this.members.filter((m) => m.role === 'participant'));
    this.observingMembers = Object.freeze(this.members.filter((m) => m.role === 'observer'));
    this.#byId = byId;
    Object.freeze(this);
  }

  member(id: ServerId): QuorumMember | undefined {
    return this.#byId.get(id);
  }

  isVoter(id: ServerId): boolean {
    return this.#byId.get(id)?.role === 'participant';
  }

  isObserver(id: ServerId): boolean {
    return this.#byId.get(id)?.role === 'observer';
  }

  /** QuorumMaj.half: a quorum is more than this many voters. */
  get half(): number {
    return Math.floor(this.votingMembers.length / 2);
  }

  /**
   * QuorumMaj.containsQuorum: more than half of the voters are in `ids`. 3.8 counts the whole set
   * and relies on its callers passing voters only; ids that are not voters are not counted here.
   */
  containsQuorum(ids: Iterable<ServerId>): boolean {
    let voters = 0;
    for (const id of new Set(ids)) if (this.isVoter(id)) voters += 1;
    return voters > this.half;
  }

  withVersion(version: bigint): QuorumVerifier {
    return new QuorumVerifier(this.members, version);
  }

  /** QuorumMaj.toString. */
  toString(): string {
    const lines = this.members.map((m) => `server.${m.id}=${formatQuorumServer(m)}\n`);
    return `${lines.join('')}version=${hexVersion(this.version)}`;
  }

  /** QuorumMaj.equals: the same version, or else the same members (QuorumServer.equals). */
  equals(other: QuorumVerifier, resolve: HostResolver = literalHostResolver): boolean {
    if (other.version === this.version) return true;
    if (other.members.length !== this.members.length) return false;
    return this.members.every((m) => {
      const theirs = other.member(m.id);
      return theirs !== undefined && sameQuorumServer(m, theirs, resolve);
    });
  }
}

/**
 * A verifier over members kept in a Java HashMap whose key layout is `keys` (QuorumMaj(Map)): the
 * map's iteration order becomes the member order.
 */
export function quorumVerifierFromMap(
  keys: JavaHashMapKeys<ServerId>,
  membersById: ReadonlyMap<ServerId, QuorumMember>,
  version: bigint,
): QuorumVerifier {
  const ordered = keys.keys().map((id) => {
    const member = membersById.get(id);
    assert(member !== undefined, `server.${id} of the key layout has a member`);
    return member;
  });
  assert(ordered.length === membersById.size, 'every member is in the key layout');
  return new QuorumVerifier(ordered, version);
}

/** QuorumMaj(Properties): members from `server.N` keys, `version` (hex) if present, others ignored. */
export function quorumMajFromProperties(entries: readonly PropertyEntry[], options: ParseMemberOptions): Parsed<QuorumVerifier> {
  const keys = JavaHashMapKeys.empty<ServerId>();
  const members = new Map<ServerId, QuorumMember>();
  let version = 0n;
  for (const { key, value } of entries) {
    if (key.startsWith('server.')) {
      const idText = key.slice(key.indexOf('.') + 1);
      const id = javaParseLong(idText);
      if (id === undefined) return failed('NumberFormatException', `For input string: "${idText}"`);
      const member = parseQuorumServer(id, value, options);
      if (!member.ok) return member;
      keys.put(id);
      members.set(id, member.value);
    } else if (key === 'version') {
      const parsedVersion = javaParseLong(value, 16);
      if (parsedVersion === undefined) return failed('NumberFormatException', `For input string: "${value}" under radix 16`);
      version = parsedVersion;
    }
  }
  return parsed(quorumVerifierFromMap(keys, members, version));
}

export interface DynamicConfigOptions extends ParseMemberOptions {
  /** QuorumPeerConfig.standaloneEnabled (zoo.cfg standaloneEnabled, default true). */
  readonly standaloneEnabled: boolean;
  /**
   * True when the members come from zoo.cfg itself (no dynamicConfigFile): other keys are allowed.
   * False for dynamic files, reconfig's newMembers and configFromString: only server.N and version.
   */
  readonly configBackwardCompatibilityMode: boolean;
}

/** QuorumPeerConfig.parseDynamicConfig: QuorumMaj(Properties) plus the key and participant checks. */
export function parseDynamicConfig(entries: readonly PropertyEntry[], options: DynamicConfigOptions): Parsed<QuorumVerifier> {
  let hierarchical = false;
  for (const entry of entries) {
    const key = javaTrim(entry.key);
    if (key.startsWith('group') || key.startsWith('weight')) hierarchical = true;
    else if (!options.configBackwardCompatibilityMode && !key.startsWith('server.') && key !== 'version') {
      return failed('ConfigException', `Unrecognised parameter: ${key}`);
    }
  }
  if (hierarchical) return failed('Unsupported', 'hierarchical quorums (group.*/weight.*) are not supported by this server');
  const qv = quorumMajFromProperties(entries, options);
  if (!qv.ok) return qv;
  const participants = qv.value.votingMembers.length;
  const observers = qv.value.observingMembers.length;
  if (participants === 0) {
    if (!options.standaloneEnabled) return failed('IllegalArgumentException', 'standaloneEnabled = false then number of participants should be >0');
    if (observers > 0) return failed('IllegalArgumentException', 'Observers w/o participants is an invalid configuration');
  } else if (participants === 1 && options.standaloneEnabled && observers > 0) {
    return failed('IllegalArgumentException', 'Observers w/o quorum is an invalid configuration');
  }
  return qv;
}

/**
 * QuorumPeer.configFromString: the configuration in a notification, a NEWLEADER packet or a reconfig
 * txn's data (the text toString wrote), parsed as 3.8 parses it.
 */
export function configFromString(text: string, options: ParseMemberOptions & { readonly standaloneEnabled: boolean }): Parsed<QuorumVerifier> {
  const properties = JavaProperties.load(text);
  if (!properties.ok) return properties;
  return parseDynamicConfig(properties.value.entries(), { ...options, configBackwardCompatibilityMode: false });
}

/**
 * The configuration a server starts with, from src/config's ServerConfig. Member order depends on
 * the text the members were read from: zoo.cfg (config.initialConfig) for a static configuration,
 * or the dynamic config file's text, which the caller passes when zoo.cfg names one. The member
 * whose client address src/config filled in from clientPort keeps that mark (toString omits it).
 */
export function quorumVerifierFromServerConfig(config: ServerConfig, dynamicConfigText: string | null): QuorumVerifier {
  assert((config.dynamicConfigFile === null) === (dynamicConfigText === null), 'the dynamic config text is given exactly when zoo.cfg names a file');
  const sourceText = dynamicConfigText ?? config.initialConfig;
  let properties = JavaProperties.empty();
  for (const entry of parseZooCfg(sourceText, config.dynamicConfigFile ?? config.zooCfgPath).entries) {
    properties = properties.with(entry.key, entry.value);
  }
  // 3.8 adds the version taken from the dynamic file's name (if it has one) after loading the file.
  const fileVersion = config.dynamicConfigFile === null ? null : versionFromFilename(config.dynamicConfigFile);
  if (fileVersion !== null) properties = properties.with('version', fileVersion);
  const keys = JavaHashMapKeys.empty<ServerId>();
  const members = new Map<ServerId, QuorumMember>();
  const byId = new Map(config.servers.map((spec) => [BigInt(spec.id), spec]));
  for (const { key } of properties.entries()) {
    if (!key.startsWith('server.')) continue;
    const id = javaParseLong(key.slice(key.indexOf('.') + 1));
    const spec = id === undefined ? undefined : byId.get(id);
    if (id === undefined || spec === undefined) continue;
    keys.put(id);
    members.set(id, memberFromServerSpec(spec));
  }
  assert(members.size === config.servers.length, 'every configured server has a server.N line in the source text');
  return quorumVerifierFromMap(keys, members, config.quorumConfigVersion);
}
