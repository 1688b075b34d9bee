// Turns zoo.cfg pairs and JVM system properties into the one typed, frozen ServerConfig the rest of
// the server reads. It follows QuorumPeerConfig.parseProperties of 3.8 so that the same inputs give
// the same effective settings: the same defaults, the same validation errors, and the same quirk that
// any zoo.cfg key 3.8 does not know becomes the system property `zookeeper.<key>` (overriding a -D
// flag), which is how settings such as 4lw.commands.whitelist or snapCount work from zoo.cfg.
// Features we do not implement fail loudly here instead of being silently ignored.

import { KNOWN_AUTH_PROVIDER_CLASSES, nodeDigestAlgorithm } from '../auth/provider-classes.js';
import { ConfigError, describeOrigin, type SettingOrigin } from './errors.js';
import { jvmSizeToBytes } from './jvm-flags.js';
import {
  javaDecodeInt,
  javaFilePath,
  javaParseBoolean,
  javaParseInt,
  javaParseLong,
  javaSplit,
  javaTrim,
} from './java-values.js';
import { parseQuorumServer, parseServerId, type ClientAddress, type LearnerRole, type QuorumServerSpec } from './quorum-servers.js';
import type { ParsedZooCfg, ZooCfgEntry } from './zoo-cfg.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface AuthSettings {
  /** zookeeper.skipACL=yes: every ACL check passes. */
  readonly skipACL: boolean;
  /** zookeeper.DigestAuthenticationProvider.superDigest ("super:base64(sha1)"), or null. */
  readonly superDigest: string | null;
  /** zookeeper.DigestAuthenticationProvider.enabled (default true). */
  readonly digestAuthEnabled: boolean;
  /** zookeeper.DigestAuthenticationProvider.digestAlg as written (default "SHA1"). */
  readonly digestAlgorithm: string;
  /** zookeeper.authProvider.* properties (e.g. authProvider.1 in zoo.cfg), in key order. */
  readonly authProviders: readonly { readonly property: string; readonly className: string }[];
  /** java.security.auth.login.config (the JAAS file), or null when SASL is not configured. */
  readonly jaasConfigPath: string | null;
  /** zookeeper.sasl.serverconfig: the JAAS section the server uses (default "Server"). */
  readonly saslLoginContext: string;
  /** Whether zookeeper.sasl.serverconfig was set explicitly (then a missing section is an error). */
  readonly saslLoginContextExplicit: boolean;
  /** Values of zookeeper.superUser and zookeeper.superUser.*: SASL ids that are granted super. */
  readonly saslSuperUsers: readonly string[];
  /** zookeeper.SASLAuthenticationProvider.superPassword: overrides the JAAS password of user "super". */
  readonly saslSuperPassword: string | null;
  readonly kerberosRemoveHostFromPrincipal: boolean;
  readonly kerberosRemoveRealmFromPrincipal: boolean;
  /** zookeeper.allowSaslFailedClients. */
  readonly allowSaslFailedClients: boolean;
  /** zookeeper.enforce.auth.enabled (or zookeeper.sessionRequireClientSASLAuth). */
  readonly enforceAuthEnabled: boolean;
  readonly enforceAuthSchemes: readonly string[];
  /** Enforcement is on and includes "sasl". */
  readonly saslAuthRequired: boolean;
  /** zookeeper.letAnySaslUserDoX, or null. */
  readonly letAnySaslUserDoX: string | null;
}

export interface AdminServerSettings {
  /** admin.enableServer: anything but "false" enables it (3.8's rule). */
  readonly enabled: boolean;
  readonly address: string;
  readonly port: number;
  readonly commandUrl: string;
  readonly idleTimeoutMs: number;
}

export interface MetricsSettings {
  readonly providerClassName: string;
  /** True for PrometheusMetricsProvider (an HTTP /metrics endpoint), false for the default (none). */
  readonly prometheus: boolean;
  readonly httpHost: string;
  readonly httpPort: number;
  readonly exportJvmInfo: boolean;
  /** Every metricsProvider.* key except className, prefix removed. */
  readonly configuration: Readonly<Record<string, string>>;
}

export interface LoggingSettings {
  /** zookeeper.root.logger (or $ZOO_LOG4J_PROP), e.g. "INFO,CONSOLE". */
  readonly rootLogger: string;
  /** The level named first in rootLogger, as a pino level. */
  readonly level: LogLevel;
  readonly logDir: string | null;
  readonly logFile: string | null;
}

export interface ServerConfig {
  readonly zooCfgPath: string;
  /** zoo.cfg text as read (3.8's "initial config"). */
  readonly initialConfig: string;
  readonly dynamicConfigFile: string | null;

  readonly tickTimeMs: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  readonly initLimitTicks: number;
  readonly syncLimitTicks: number;
  readonly initLimitMs: number;
  readonly syncLimitMs: number;
  /** connectToLearnerMasterLimit in ticks (0 when not set). */
  readonly connectToLearnerMasterLimitTicks: number;

  /** clientPort as configured; 0 means no plain client port. */
  readonly clientPort: number;
  /** clientPortAddress as configured, or null. */
  readonly clientPortAddress: string | null;
  /** Where to listen for clients after every rule (server.N client part included), or null for nowhere. */
  readonly clientAddress: ClientAddress | null;
  /** clientPortListenBacklog; -1 means the platform default. */
  readonly clientPortListenBacklog: number;
  /** Per client IP; 0 or less means unlimited. */
  readonly maxClientCnxns: number;
  /** zookeeper.maxCnxns, over all clients; 0 means unlimited. */
  readonly maxCnxns: number;
  readonly globalOutstandingLimit: number;
  readonly localSessionsEnabled: boolean;
  readonly localSessionsUpgradingEnabled: boolean;

  readonly dataDir: string;
  readonly dataLogDir: string;
  /** zookeeper.datadir.autocreate (default true). */
  readonly datadirAutocreate: boolean;
  /** Transactions between snapshots (zookeeper.snapCount, at least 2). */
  readonly snapCount: number;
  /** zookeeper.snapSizeLimitInKb: log bytes between snapshots in KiB; 0 or less disables. */
  readonly snapSizeLimitKb: number;
  readonly preAllocSizeKb: number;
  readonly preAllocSizeBytes: number;
  readonly forceSync: boolean;
  readonly autopurge: { readonly snapRetainCount: number; readonly purgeIntervalHours: number };

  /** From dataDir/myid, or null when there is no such file. */
  readonly serverId: number | null;
  /** The server.N members, sorted by id. */
  readonly servers: readonly QuorumServerSpec[];
  readonly quorumConfigVersion: bigint;
  /** True when 3.8 would run a quorum peer rather than a standalone server. */
  readonly distributed: boolean;
  readonly peerType: LearnerRole;
  readonly electionAlg: 3;
  readonly quorumListenOnAllIPs: boolean;
  readonly standaloneEnabled: boolean;
  readonly reconfigEnabled: boolean;
  readonly observerMasterPort: number | null;
  readonly syncEnabled: boolean;
  /** zookeeper.multiAddress.enabled (the property 3.8 actually consults). */
  readonly multiAddressEnabled: boolean;
  /** -Dreadonlymode.enabled=true. */
  readonly readOnlyModeEnabled: boolean;

  readonly extendedTypesEnabled: boolean;
  readonly emulate353TTLNodes: boolean;
  /** jute.maxbuffer: largest record accepted, in bytes. */
  readonly juteMaxBuffer: number;
  /** zookeeper.jute.maxbuffer.extrasize. */
  readonly juteMaxBufferExtraSize: number;
  /** Four letter words that answer (the whitelist after 3.8's rules), sorted. */
  readonly fourLetterWords: readonly string[];

  readonly auth: AuthSettings;
  readonly admin: AdminServerSettings;
  readonly metrics: MetricsSettings;
  readonly logging: LoggingSettings;
  readonly jvm: { readonly maxHeap: string | null; readonly maxHeapBytes: number | null };

  /** The effective system properties: JVM -D flags overlaid with zoo.cfg's `zookeeper.<key>` copies. */
  readonly systemProperties: Readonly<Record<string, string>>;
  /** zoo.cfg keys 3.8 does not interpret itself (copied to `zookeeper.<key>`), in file order. */
  readonly unknownKeys: readonly string[];
  /** Things 3.8 would log as a warning, or that do not do what the file seems to ask. */
  readonly warnings: readonly string[];
}

export interface BuildServerConfigInput {
  readonly zooCfg: ParsedZooCfg;
  readonly zooCfgPath: string;
  /** -D properties from the JVM flags. */
  readonly systemProperties?: Readonly<Record<string, string>>;
  /** Environment (ZOO_LOG4J_PROP, ZOO_LOG_DIR); never read from process.env here. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** -Xmx value from the JVM flags. */
  readonly jvmMaxHeap?: string | null;
  /** Contents of dataDir/myid; null or absent when there is no such file. */
  readonly myidFile?: string | null;
  /** The file named by dynamicConfigFile, parsed; required when zoo.cfg names one. */
  readonly dynamicCfg?: ParsedZooCfg | null;
}

/** Known four letter words (FourLetterCommands), which `*` enables all of. */
export const ALL_FOUR_LETTER_WORDS: readonly string[] = Object.freeze([
  'conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'ruok', 'stmk', 'srst', 'srvr', 'stat',
  'wchc', 'wchp', 'wchs', 'mntr', 'isro', 'telnet close', 'hash',
]);

export const DEFAULT_METRICS_PROVIDER = 'org.apache.zookeeper.metrics.impl.DefaultMetricsProvider';
export const PROMETHEUS_METRICS_PROVIDER = 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider';

/** 3.8's defaults, for documentation and tests. */
export const ZK38_DEFAULTS = Object.freeze({
  tickTime: 3000,
  maxClientCnxns: 60,
  globalOutstandingLimit: 1000,
  snapCount: 100000,
  snapSizeLimitInKb: 4194304,
  preAllocSizeKb: 65536,
  snapRetainCount: 3,
  purgeInterval: 0,
  electionAlg: 3,
  juteMaxBuffer: 0xfffff,
  adminServerPort: 8080,
  adminServerAddress: '0.0.0.0',
  adminCommandUrl: '/commands',
  adminIdleTimeout: 30000,
  metricsHttpPort: 7000,
  metricsHttpHost: '0.0.0.0',
  saslLoginContext: 'Server',
  digestAlgorithm: 'SHA1',
  fourLetterWords: Object.freeze(['srvr']),
});

const MIN_SNAP_RETAIN_COUNT = 3;

interface Property {
  readonly value: string;
  readonly origin: SettingOrigin;
}

/** The zoo.cfg keys QuorumPeerConfig.parseProperties handles itself (the rest become system properties). */
const ZOO_CFG_KEYS = new Set([
  'dataDir', 'dataLogDir', 'clientPort', 'localSessionsEnabled', 'localSessionsUpgradingEnabled',
  'clientPortAddress', 'secureClientPort', 'secureClientPortAddress', 'observerMasterPort',
  'clientPortListenBacklog', 'tickTime', 'maxClientCnxns', 'minSessionTimeout', 'maxSessionTimeout',
  'initLimit', 'syncLimit', 'connectToLearnerMasterLimit', 'electionAlg', 'quorumListenOnAllIPs', 'peerType',
  'syncEnabled', 'dynamicConfigFile', 'autopurge.snapRetainCount', 'autopurge.purgeInterval',
  'standaloneEnabled', 'reconfigEnabled', 'sslQuorum', 'portUnification', 'sslQuorumReloadCertFiles',
  'quorum.auth.enableSasl', 'quorum.auth.serverRequireSasl', 'quorum.auth.learnerRequireSasl',
  'quorum.auth.learner.saslLoginContext', 'quorum.auth.server.saslLoginContext',
  'quorum.auth.kerberos.servicePrincipal', 'quorum.cnxn.threads.size', 'jvm.pause.info-threshold.ms',
  'jvm.pause.warn-threshold.ms', 'jvm.pause.sleep.time.ms', 'jvm.pause.monitor', 'metricsProvider.className',
  'multiAddress.enabled', 'multiAddress.reachabilityCheckTimeoutMs', 'multiAddress.reachabilityCheckEnabled',
  'oraclePath',
]);

/** Keys that only tune the JVM implementation; accepted like 3.8 does, with no effect here. */
const JVM_ONLY_KEYS = new Set([
  'quorum.cnxn.threads.size', 'jvm.pause.info-threshold.ms', 'jvm.pause.warn-threshold.ms',
  'jvm.pause.sleep.time.ms', 'jvm.pause.monitor', 'sslQuorumReloadCertFiles',
  'multiAddress.reachabilityCheckTimeoutMs', 'multiAddress.reachabilityCheckEnabled',
]);

/** zoo.cfg keys that look meaningful but that 3.8 turns into a property nobody reads. */
const INEFFECTIVE_IN_ZOO_CFG: Readonly<Record<string, string>> = {
  'jute.maxbuffer': 'pass -Djute.maxbuffer=... in SERVER_JVMFLAGS instead',
  'readonlymode.enabled': 'pass -Dreadonlymode.enabled=true in SERVER_JVMFLAGS instead',
  'java.security.auth.login.config': 'pass -Djava.security.auth.login.config=... in SERVER_JVMFLAGS instead',
  'multiAddress.enabled': 'server lines honour only -Dzookeeper.multiAddress.enabled=true',
};

const LOG_LEVELS: Readonly<Record<string, LogLevel>> = {
  ALL: 'trace',
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
  FATAL: 'fatal',
  OFF: 'silent',
};

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

/** Version suffix of a dynamic config file name ("zoo.cfg.dynamic.100000000" → "100000000"), as 3.8 reads it. */
export function versionFromFilename(filename: string): string | null {
  const dot = filename.lastIndexOf('.');
  if (dot < 0) return null;
  const version = javaParseLong(filename.slice(dot + 1), 16);
  return version === undefined ? null : BigInt.asUintN(64, version).toString(16);
}

/** The dataDir 3.8 would use for these zoo.cfg entries (last one wins, trimmed, File-normalised). */
export function zooCfgDataDir(zooCfg: ParsedZooCfg): string | null {
  let value: string | null = null;
  for (const entry of zooCfg.entries) if (javaTrim(entry.key) === 'dataDir') value = javaTrim(entry.value);
  return value === null || value === '' ? null : javaFilePath(value);
}

/** Properties semantics: one value per key, the last one in the file. Order of first appearance. */
function lastWins(entries: readonly ZooCfgEntry[]): ZooCfgEntry[] {
  const byKey = new Map<string, ZooCfgEntry>();
  for (const entry of entries) byKey.set(entry.key, entry);
  return [...byKey.values()];
}

class Builder {
  readonly warnings: string[] = [];
  readonly properties = new Map<string, Property>();
  readonly unknownKeys: string[] = [];

  constructor(readonly zooCfgPath: string) {}

  origin(entry: ZooCfgEntry): SettingOrigin {
    return { kind: 'file', path: this.zooCfgPath, line: entry.line };
  }

  error(problem: string, key: string, origin?: SettingOrigin): ConfigError {
    return new ConfigError(problem, { key, origin });
  }

  int(key: string, value: string, origin: SettingOrigin): number {
    const parsed = javaParseInt(value);
    if (parsed === undefined) throw this.error(`"${value}" is not a number (an integer is expected)`, key, origin);
    return parsed;
  }

  long(key: string, value: string, origin: SettingOrigin): number {
    const parsed = javaParseLong(value);
    if (parsed === undefined) throw this.error(`"${value}" is not a number (an integer is expected)`, key, origin);
    return Number(parsed);
  }

  bool(key: string, value: string, origin: SettingOrigin): boolean {
    if (value.toLowerCase() === 'true') return true;
    if (value.toLowerCase() === 'false') return false;
    throw this.error(`invalid option "${value}": choose 'true' or 'false'`, key, origin);
  }

  port(key: string, value: string, origin: SettingOrigin): number {
    const port = this.int(key, value, origin);
    if (port < 0 || port > 65535) throw this.error(`port out of range: ${port} (0 to 65535)`, key, origin);
    return port;
  }

  prop(name: string): string | undefined {
    return this.properties.get(name)?.value;
  }

  /** Integer.getInteger: a value that is not a number falls back to the default, with a warning. */
  propInt(name: string, fallback: number): number {
    const property = this.properties.get(name);
    if (property === undefined) return fallback;
    const parsed = javaDecodeInt(property.value);
    if (parsed === undefined) {
      this.warnings.push(`${describeOrigin(property.origin)}: ${name}: "${property.value}" is not a number; using ${fallback} as 3.8 does`);
      return fallback;
    }
    return parsed;
  }

  /** Long.getLong, same fallback rule. */
  propLong(name: string, fallback: number): number {
    const property = this.properties.get(name);
    if (property === undefined) return fallback;
    const parsed = javaParseLong(property.value);
    if (parsed === undefined) {
      this.warnings.push(`${describeOrigin(property.origin)}: ${name}: "${property.value}" is not a number; using ${fallback} as 3.8 does`);
      return fallback;
    }
    return Number(parsed);
  }

  /** Boolean.getBoolean: true only for "true" in any case. */
  propFlag(name: string): boolean {
    return javaParseBoolean(this.prop(name));
  }

  propPort(name: string, fallback: number): number {
    const port = this.propInt(name, fallback);
    if (port < 0 || port > 65535) {
      const property = this.properties.get(name);
      throw this.error(`port out of range: ${port} (0 to 65535)`, name, property?.origin);
    }
    return port;
  }
}

function unsupported(feature: string, key: string, origin: SettingOrigin): ConfigError {
  return new ConfigError(`${feature} is not supported by this server; remove the setting`, { key, origin });
}

function parseMyid(text: string, dataDir: string): number {
  const firstLine = text.split(/\r\n|\r|\n/)[0] ?? '';
  const id = text === '' ? undefined : javaParseLong(firstLine);
  const origin: SettingOrigin = { kind: 'file', path: `${dataDir}/myid`, line: 1 };
  if (id === undefined) throw new ConfigError(`serverid ${text === '' ? 'null' : firstLine} is not a number`, { key: 'myid', origin });
  if (id < BigInt(Number.MIN_SAFE_INTEGER) || id > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ConfigError(`server id ${id} is too large for this server`, { key: 'myid', origin });
  }
  return Number(id);
}

interface QuorumMembers {
  readonly servers: QuorumServerSpec[];
  readonly version: bigint;
}

/** QuorumMaj built from server.N lines (static file in compatibility mode, or a dynamic file). */
function parseMembers(
  entries: readonly ZooCfgEntry[],
  path: string,
  dynamic: boolean,
  multiAddressEnabled: boolean,
  fileVersion: string | null,
): QuorumMembers {
  const byId = new Map<number, QuorumServerSpec>();
  let version = fileVersion === null ? 0n : BigInt(`0x${fileVersion}`);
  for (const entry of lastWins(entries)) {
    const key = javaTrim(entry.key);
    const origin: SettingOrigin = { kind: 'file', path, line: entry.line };
    if (key.startsWith('group') || key.startsWith('weight')) {
      throw unsupported('hierarchical quorums (group.*/weight.*)', key, origin);
    }
    if (key.startsWith('server.')) {
      const id = parseServerId(key, origin);
      byId.set(id, parseQuorumServer(id, entry.value, { multiAddressEnabled, key, origin }));
    } else if (key === 'version') {
      if (dynamic) throw new ConfigError("a dynamic config file must not contain 'version'", { key, origin });
      const parsed = javaParseLong(javaTrim(entry.value), 16);
      if (parsed === undefined) throw new ConfigError(`"${entry.value}" is not a hexadecimal version`, { key, origin });
      version = parsed;
    } else if (dynamic) {
      throw new ConfigError('unrecognised parameter in a dynamic config file', { key, origin });
    }
  }
  return { servers: [...byId.values()].sort((a, b) => a.id - b.id), version };
}

/** Builds the effective, frozen configuration; throws ConfigError where 3.8 refuses to start. */
export function buildServerConfig(input: BuildServerConfigInput): ServerConfig {
  const b = new Builder(input.zooCfgPath);
  const env = input.env ?? {};

  for (const [name, value] of Object.entries(input.systemProperties ?? {})) {
    b.properties.set(name, { value, origin: { kind: 'jvmFlags' } });
  }

  const entries = lastWins(input.zooCfg.entries);
  const hasDynamicConfigFile = entries.some((e) => javaTrim(e.key) === 'dynamicConfigFile');

  let dataDir: string | null = null;
  let dataLogDir: string | null = null;
  let clientPort = 0;
  let secureClientPort = 0;
  let clientPortAddress: string | null = null;
  let secureClientPortAddress: string | null = null;
  let observerMasterPort = 0;
  let clientPortListenBacklog = -1;
  let tickTime: number = ZK38_DEFAULTS.tickTime;
  let maxClientCnxns: number = ZK38_DEFAULTS.maxClientCnxns;
  let minSessionTimeout = -1;
  let maxSessionTimeout = -1;
  let initLimit = 0;
  let syncLimit = 0;
  let connectToLearnerMasterLimit = 0;
  let quorumListenOnAllIPs = false;
  let peerType: LearnerRole = 'participant';
  let syncEnabled = true;
  let dynamicConfigFile: string | null = null;
  let snapRetainCount: number = ZK38_DEFAULTS.snapRetainCount;
  let purgeInterval: number = ZK38_DEFAULTS.purgeInterval;
  let standaloneEnabled = true;
  let reconfigEnabled = false;
  let localSessionsEnabled = false;
  let localSessionsUpgradingEnabled = false;
  let quorumServerRequireSasl = false;
  let quorumLearnerRequireSasl = false;
  let metricsProviderClassName = DEFAULT_METRICS_PROVIDER;
  const metricsConfiguration = new Map<string, string>();
  const originOf = (key: string): SettingOrigin | undefined => {
    const entry = entries.find((e) => javaTrim(e.key) === key);
    return entry === undefined ? undefined : b.origin(entry);
  };

  for (const entry of entries) {
    const key = javaTrim(entry.key);
    const value = javaTrim(entry.value);
    const origin = b.origin(entry);
    switch (key) {
      case 'dataDir':
        dataDir = value;
        break;
      case 'dataLogDir':
        dataLogDir = value;
        break;
      case 'clientPort':
        clientPort = b.port(key, value, origin);
        break;
      case 'localSessionsEnabled':
        localSessionsEnabled = b.bool(key, value, origin);
        break;
      case 'localSessionsUpgradingEnabled':
        localSessionsUpgradingEnabled = b.bool(key, value, origin);
        break;
      case 'clientPortAddress':
        clientPortAddress = value;
        break;
      case 'secureClientPort':
        secureClientPort = b.port(key, value, origin);
        if (secureClientPort !== 0) throw unsupported('TLS for clients (secureClientPort)', key, origin);
        break;
      case 'secureClientPortAddress':
        secureClientPortAddress = value;
        break;
      case 'observerMasterPort':
        observerMasterPort = b.int(key, value, origin);
        break;
      case 'clientPortListenBacklog':
        clientPortListenBacklog = b.int(key, value, origin);
        break;
      case 'tickTime':
        tickTime = b.int(key, value, origin);
        if (tickTime < 0) throw b.error(`must be a positive number of milliseconds, not ${tickTime}`, key, origin);
        break;
      case 'maxClientCnxns':
        maxClientCnxns = b.int(key, value, origin);
        break;
      case 'minSessionTimeout':
        minSessionTimeout = b.int(key, value, origin);
        break;
      case 'maxSessionTimeout':
        maxSessionTimeout = b.int(key, value, origin);
        break;
      case 'initLimit':
        initLimit = b.int(key, value, origin);
        if (initLimit < 0) throw b.error(`must not be negative (got ${initLimit})`, key, origin);
        break;
      case 'syncLimit':
        syncLimit = b.int(key, value, origin);
        if (syncLimit < 0) throw b.error(`must not be negative (got ${syncLimit})`, key, origin);
        break;
      case 'connectToLearnerMasterLimit':
        connectToLearnerMasterLimit = b.int(key, value, origin);
        break;
      case 'electionAlg': {
        const alg = b.int(key, value, origin);
        if (alg !== 3) throw b.error(`invalid electionAlg value ${alg}: only 3 is supported`, key, origin);
        break;
      }
      case 'quorumListenOnAllIPs':
        quorumListenOnAllIPs = b.bool(key, value, origin);
        break;
      case 'peerType': {
        const type = value.toLowerCase();
        if (type !== 'observer' && type !== 'participant') throw b.error(`unrecognised peer type: ${value}`, key, origin);
        peerType = type;
        break;
      }
      case 'syncEnabled':
        syncEnabled = b.bool(key, value, origin);
        break;
      case 'dynamicConfigFile':
        dynamicConfigFile = value;
        break;
      case 'autopurge.snapRetainCount':
        snapRetainCount = b.int(key, value, origin);
        break;
      case 'autopurge.purgeInterval':
        purgeInterval = b.int(key, value, origin);
        break;
      case 'standaloneEnabled':
        standaloneEnabled = b.bool(key, value, origin);
        break;
      case 'reconfigEnabled':
        reconfigEnabled = b.bool(key, value, origin);
        break;
      case 'sslQuorum':
        if (b.bool(key, value, origin)) throw unsupported('TLS between servers (sslQuorum)', key, origin);
        break;
      case 'portUnification':
        if (b.bool(key, value, origin)) throw unsupported('TLS port unification (portUnification)', key, origin);
        break;
      case 'quorum.auth.enableSasl':
        if (b.bool(key, value, origin)) throw unsupported('SASL between servers (quorum.auth.enableSasl)', key, origin);
        break;
      case 'quorum.auth.serverRequireSasl':
        quorumServerRequireSasl = b.bool(key, value, origin);
        break;
      case 'quorum.auth.learnerRequireSasl':
        quorumLearnerRequireSasl = b.bool(key, value, origin);
        break;
      case 'metricsProvider.className':
        metricsProviderClassName = value;
        break;
      case 'multiAddress.enabled':
        b.bool(key, value, origin);
        b.warnings.push(`${describeOrigin(origin)}: ${key} in zoo.cfg has no effect on server lines; ${INEFFECTIVE_IN_ZOO_CFG[key] ?? ''}`);
        break;
      case 'oraclePath':
        throw unsupported('the oracle quorum (oraclePath)', key, origin);
      default:
        if (ZOO_CFG_KEYS.has(key)) {
          // Recognised by 3.8 but only meaningful to its JVM implementation.
          if (JVM_ONLY_KEYS.has(key)) b.warnings.push(`${describeOrigin(origin)}: ${key} only tunes the Java implementation and is ignored`);
        } else if (key.startsWith('metricsProvider.')) {
          metricsConfiguration.set(key.slice('metricsProvider.'.length), value);
        } else if ((key.startsWith('server.') || key.startsWith('group') || key.startsWith('weight')) && hasDynamicConfigFile) {
          throw b.error('must be in a separate dynamic config file', key, origin);
        } else {
          // 3.8: System.setProperty("zookeeper." + key, value), overriding any -D flag.
          b.properties.set(`zookeeper.${key}`, { value, origin });
          const isMembership = key.startsWith('server.') || key.startsWith('group') || key.startsWith('weight') || key === 'version';
          if (!isMembership) b.unknownKeys.push(key);
          const hint = INEFFECTIVE_IN_ZOO_CFG[key];
          if (hint !== undefined) b.warnings.push(`${describeOrigin(origin)}: ${key} in zoo.cfg becomes zookeeper.${key}, which 3.8 never reads; ${hint}`);
          if (key.startsWith('zookeeper.')) {
            b.warnings.push(`${describeOrigin(origin)}: ${key} in zoo.cfg becomes zookeeper.${key}; write it without the "zookeeper." prefix`);
          }
        }
    }
  }

  if (secureClientPortAddress !== null) {
    throw new ConfigError('TLS for clients (secureClientPortAddress) is not supported by this server; remove the setting', {
      key: 'secureClientPortAddress',
      origin: originOf('secureClientPortAddress'),
    });
  }
  if (quorumServerRequireSasl || quorumLearnerRequireSasl) {
    throw new ConfigError('quorum.auth.enableSasl is disabled, so quorum.auth.serverRequireSasl/learnerRequireSasl cannot be enabled', {
      key: quorumServerRequireSasl ? 'quorum.auth.serverRequireSasl' : 'quorum.auth.learnerRequireSasl',
    });
  }

  if (snapRetainCount < MIN_SNAP_RETAIN_COUNT) {
    b.warnings.push(`invalid autopurge.snapRetainCount: ${snapRetainCount}. Defaulting to ${MIN_SNAP_RETAIN_COUNT}`);
    snapRetainCount = MIN_SNAP_RETAIN_COUNT;
  }

  if (dataDir === null) throw new ConfigError(`dataDir is not set in ${input.zooCfgPath}`, { key: 'dataDir' });
  if (dataDir === '') throw new ConfigError('dataDir is empty', { key: 'dataDir', origin: originOf('dataDir') });
  dataDir = javaFilePath(dataDir);
  dataLogDir = dataLogDir === null || dataLogDir === '' ? dataDir : javaFilePath(dataLogDir);
  for (const [name, dir] of [['dataDir', dataDir], ['dataLogDir', dataLogDir]] as const) {
    if (!dir.startsWith('/') && !dir.startsWith('./')) {
      b.warnings.push(`${name} ${dir} is relative. Prepend ./ to indicate that you're sure!`);
    }
  }

  if (clientPort === 0 && clientPortAddress !== null) {
    throw new ConfigError('clientPortAddress is set but clientPort is not set', { key: 'clientPortAddress', origin: originOf('clientPortAddress') });
  }
  if (clientPortAddress === '') throw new ConfigError('clientPortAddress is empty', { key: 'clientPortAddress', origin: originOf('clientPortAddress') });
  let clientAddress: ClientAddress | null =
    clientPort === 0 ? null : { host: clientPortAddress === null ? null : clientPortAddress.replace(/^\[(.*)\]$/, '$1'), port: clientPort };

  if (tickTime === 0) throw new ConfigError(`tickTime is not set (or is 0) in ${input.zooCfgPath}`, { key: 'tickTime', origin: originOf('tickTime') });
  const minSessionTimeoutMs = minSessionTimeout === -1 ? tickTime * 2 : minSessionTimeout;
  const maxSessionTimeoutMs = maxSessionTimeout === -1 ? tickTime * 20 : maxSessionTimeout;
  if (minSessionTimeoutMs > maxSessionTimeoutMs) {
    throw new ConfigError(
      `minSessionTimeout (${minSessionTimeoutMs} ms) must not be larger than maxSessionTimeout (${maxSessionTimeoutMs} ms) in ${input.zooCfgPath}`,
      { key: 'minSessionTimeout', origin: originOf('minSessionTimeout') ?? originOf('maxSessionTimeout') },
    );
  }

  const prometheus = metricsProviderClassName === PROMETHEUS_METRICS_PROVIDER;
  if (!prometheus && metricsProviderClassName !== DEFAULT_METRICS_PROVIDER) {
    throw new ConfigError(`metrics provider class ${metricsProviderClassName} was not found (supported: ${DEFAULT_METRICS_PROVIDER}, ${PROMETHEUS_METRICS_PROVIDER})`, {
      key: 'metricsProvider.className',
      origin: originOf('metricsProvider.className'),
    });
  }
  let metricsHttpPort: number = ZK38_DEFAULTS.metricsHttpPort;
  const metricsPortText = metricsConfiguration.get('httpPort');
  if (prometheus && metricsPortText !== undefined) {
    metricsHttpPort = b.port('metricsProvider.httpPort', metricsPortText, originOf('metricsProvider.httpPort') ?? { kind: 'default' });
  }

  // Quorum membership: from the dynamic file when there is one, else from zoo.cfg itself.
  const multiAddressEnabled = javaParseBoolean(b.prop('zookeeper.multiAddress.enabled'));
  let members: QuorumMembers;
  if (dynamicConfigFile !== null) {
    const dynamicCfg = input.dynamicCfg;
    if (dynamicCfg === undefined || dynamicCfg === null) {
      throw new ConfigError(`dynamic config file ${dynamicConfigFile} was not read`, { key: 'dynamicConfigFile' });
    }
    members = parseMembers(dynamicCfg.entries, dynamicCfg.source, true, multiAddressEnabled, versionFromFilename(dynamicConfigFile));
  } else {
    members = parseMembers(input.zooCfg.entries, input.zooCfgPath, false, multiAddressEnabled, null);
  }
  const voters = members.servers.filter((s) => s.role === 'participant');
  const observers = members.servers.filter((s) => s.role === 'observer');
  if (voters.length === 0) {
    if (!standaloneEnabled) throw new ConfigError('standaloneEnabled = false then number of participants should be > 0', { key: 'standaloneEnabled' });
    if (observers.length > 0) throw new ConfigError('observers w/o participants is an invalid configuration', { key: 'server.N' });
  } else if (voters.length === 1 && standaloneEnabled) {
    b.warnings.push('invalid configuration, only one server specified (ignoring): running standalone');
    if (observers.length > 0) throw new ConfigError('observers w/o quorum is an invalid configuration', { key: 'server.N' });
  } else if (voters.length <= 2) {
    b.warnings.push('no server failure will be tolerated: you need at least 3 servers');
  } else if (voters.length % 2 === 0) {
    b.warnings.push('non-optimal configuration: consider an odd number of servers');
  }

  const serverId = input.myidFile === undefined || input.myidFile === null ? null : parseMyid(input.myidFile, dataDir);
  const distributed = !standaloneEnabled || voters.length > 1;

  // A member's own `;client` part decides where it listens for clients.
  const self = serverId === null ? undefined : members.servers.find((s) => s.id === serverId);
  if (self !== undefined && self.clientAddress !== null) {
    if (clientAddress !== null) {
      const staticIsWildcard = clientAddress.host === null || clientAddress.host === '0.0.0.0' || clientAddress.host === '::';
      const differs = staticIsWildcard
        ? clientAddress.port !== self.clientAddress.port
        : clientAddress.port !== self.clientAddress.port || clientAddress.host !== self.clientAddress.host;
      if (differs) {
        throw new ConfigError(
          `client address for this server (id = ${serverId}) in static config file is ${clientAddress.host ?? '0.0.0.0'}:${clientAddress.port} ` +
            `which is different from client address found in dynamic file: ${self.clientAddress.host ?? '0.0.0.0'}:${self.clientAddress.port}`,
          { key: 'clientPortAddress' },
        );
      }
    }
    clientAddress = self.clientAddress;
  } else if (self !== undefined && clientAddress !== null) {
    const index = members.servers.indexOf(self);
    members.servers[index] = Object.freeze({ ...self, clientAddress, clientAddressFromStatic: true });
  }

  const roleByServersList: LearnerRole = observers.some((s) => s.id === serverId) ? 'observer' : 'participant';
  if (roleByServersList !== peerType) {
    b.warnings.push(`peer type from servers list (${roleByServersList}) doesn't match peerType (${peerType}); defaulting to servers list`);
    peerType = roleByServersList;
  }

  if (distributed) {
    if (initLimit === 0) throw new ConfigError(`initLimit is not set in ${input.zooCfgPath}`, { key: 'initLimit' });
    if (syncLimit === 0) throw new ConfigError(`syncLimit is not set in ${input.zooCfgPath}`, { key: 'syncLimit' });
    if (serverId === null) throw new ConfigError(`myid file is missing: ${dataDir}/myid must hold this server's id`, { key: 'myid' });
    if (self === undefined) b.warnings.push(`server id ${serverId} from ${dataDir}/myid has no server.${serverId} line`);
  }

  // Settings that 3.8 reads as system properties (from -D, or from zoo.cfg via zookeeper.<key>).
  let snapCount = b.propInt('zookeeper.snapCount', ZK38_DEFAULTS.snapCount);
  if (snapCount < 2) {
    b.warnings.push(`SnapCount should be 2 or more. Now, snapCount is reset to 2`);
    snapCount = 2;
  }
  let preAllocSizeKb: number = ZK38_DEFAULTS.preAllocSizeKb;
  const preAllocText = b.prop('zookeeper.preAllocSize');
  if (preAllocText !== undefined) {
    const parsed = javaParseLong(preAllocText);
    if (parsed === undefined) b.warnings.push(`${preAllocText} is not a valid value for preAllocSize; using ${preAllocSizeKb}`);
    else preAllocSizeKb = Number(parsed);
  }

  const readOnlyModeEnabled = b.propFlag('readonlymode.enabled');
  const fourLetterWords = new Set<string>();
  const whitelist = b.prop('zookeeper.4lw.commands.whitelist');
  if (whitelist !== undefined) {
    for (const command of javaSplit(whitelist, ',')) {
      const name = javaTrim(command);
      if (name === '*') {
        for (const known of ALL_FOUR_LETTER_WORDS) fourLetterWords.add(known);
        break;
      }
      if (name !== '') fourLetterWords.add(name);
    }
  }
  if ((b.prop('readonlymode.enabled') ?? 'false') === 'true') fourLetterWords.add('isro');
  fourLetterWords.add('srvr');

  const juteMaxBuffer = b.propInt('jute.maxbuffer', ZK38_DEFAULTS.juteMaxBuffer);
  const juteMaxBufferExtraSize = b.propInt('zookeeper.jute.maxbuffer.extrasize', juteMaxBuffer);

  const auth = buildAuthSettings(b);

  const adminPort = b.propPort('zookeeper.admin.serverPort', ZK38_DEFAULTS.adminServerPort);
  const admin: AdminServerSettings = {
    enabled: b.prop('zookeeper.admin.enableServer') !== 'false',
    address: b.prop('zookeeper.admin.serverAddress') ?? ZK38_DEFAULTS.adminServerAddress,
    port: adminPort,
    commandUrl: b.prop('zookeeper.admin.commandURL') ?? ZK38_DEFAULTS.adminCommandUrl,
    idleTimeoutMs: b.propInt('zookeeper.admin.idleTimeout', ZK38_DEFAULTS.adminIdleTimeout),
  };

  const metrics: MetricsSettings = {
    providerClassName: metricsProviderClassName,
    prometheus,
    httpHost: metricsConfiguration.get('httpHost') ?? ZK38_DEFAULTS.metricsHttpHost,
    httpPort: metricsHttpPort,
    exportJvmInfo: (metricsConfiguration.get('exportJvmInfo') ?? 'true').toLowerCase() === 'true',
    configuration: Object.fromEntries(metricsConfiguration),
  };

  const rootLogger = b.prop('zookeeper.root.logger') ?? env['ZOO_LOG4J_PROP'] ?? 'INFO,CONSOLE';
  const levelName = javaTrim(rootLogger.split(',')[0] ?? '').toUpperCase();
  const level = LOG_LEVELS[levelName];
  if (level === undefined) {
    throw new ConfigError(`"${rootLogger}" does not start with a log level (TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF)`, {
      key: b.properties.has('zookeeper.root.logger') ? 'zookeeper.root.logger' : 'ZOO_LOG4J_PROP',
      origin: b.properties.get('zookeeper.root.logger')?.origin,
    });
  }
  const logging: LoggingSettings = {
    rootLogger,
    level,
    logDir: b.prop('zookeeper.log.dir') ?? env['ZOO_LOG_DIR'] ?? null,
    logFile: b.prop('zookeeper.log.file') ?? null,
  };

  const maxHeap = input.jvmMaxHeap ?? null;
  const config: ServerConfig = {
    zooCfgPath: input.zooCfgPath,
    initialConfig: input.zooCfg.text,
    dynamicConfigFile,
    tickTimeMs: tickTime,
    minSessionTimeoutMs,
    maxSessionTimeoutMs,
    initLimitTicks: initLimit,
    syncLimitTicks: syncLimit,
    initLimitMs: initLimit * tickTime,
    syncLimitMs: syncLimit * tickTime,
    connectToLearnerMasterLimitTicks: connectToLearnerMasterLimit,
    clientPort,
    clientPortAddress,
    clientAddress,
    clientPortListenBacklog,
    maxClientCnxns,
    maxCnxns: b.propInt('zookeeper.maxCnxns', 0),
    globalOutstandingLimit: b.propInt('zookeeper.globalOutstandingLimit', ZK38_DEFAULTS.globalOutstandingLimit),
    localSessionsEnabled,
    localSessionsUpgradingEnabled,
    dataDir,
    dataLogDir,
    datadirAutocreate: (b.prop('zookeeper.datadir.autocreate') ?? 'true').toLowerCase() === 'true',
    snapCount,
    snapSizeLimitKb: b.propLong('zookeeper.snapSizeLimitInKb', ZK38_DEFAULTS.snapSizeLimitInKb),
    preAllocSizeKb,
    preAllocSizeBytes: preAllocSizeKb * 1024,
    forceSync: (b.prop('zookeeper.forceSync') ?? 'yes') !== 'no',
    autopurge: { snapRetainCount, purgeIntervalHours: purgeInterval },
    serverId,
    servers: members.servers,
    quorumConfigVersion: members.version,
    distributed,
    peerType,
    electionAlg: 3,
    quorumListenOnAllIPs,
    standaloneEnabled,
    reconfigEnabled,
    observerMasterPort: observerMasterPort > 0 ? observerMasterPort : null,
    syncEnabled,
    multiAddressEnabled,
    readOnlyModeEnabled,
    extendedTypesEnabled: b.propFlag('zookeeper.extendedTypesEnabled'),
    emulate353TTLNodes: b.propFlag('zookeeper.emulate353TTLNodes'),
    juteMaxBuffer,
    juteMaxBufferExtraSize,
    fourLetterWords: [...fourLetterWords].sort(),
    auth,
    admin,
    metrics,
    logging,
    jvm: { maxHeap, maxHeapBytes: maxHeap === null ? null : jvmSizeToBytes(maxHeap) },
    systemProperties: Object.fromEntries([...b.properties].map(([name, property]) => [name, property.value])),
    unknownKeys: b.unknownKeys,
    warnings: b.warnings,
  };
  return deepFreeze(config);
}

function buildAuthSettings(b: Builder): AuthSettings {
  const digestAlgorithm = b.prop('zookeeper.DigestAuthenticationProvider.digestAlg') ?? ZK38_DEFAULTS.digestAlgorithm;
  if (nodeDigestAlgorithm(digestAlgorithm) === null) {
    throw new ConfigError(`don't support this ACL digest algorithm: ${digestAlgorithm}`, {
      key: 'zookeeper.DigestAuthenticationProvider.digestAlg',
      origin: b.properties.get('zookeeper.DigestAuthenticationProvider.digestAlg')?.origin,
    });
  }
  const digestAuthEnabled = (b.prop('zookeeper.DigestAuthenticationProvider.enabled') ?? 'true').toLowerCase() === 'true';

  const authProviders: { property: string; className: string }[] = [];
  const saslSuperUsers: string[] = [];
  for (const [name, property] of [...b.properties].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    if (name.startsWith('zookeeper.authProvider.')) {
      const className = javaTrim(property.value);
      if (KNOWN_AUTH_PROVIDER_CLASSES[className] === undefined) {
        b.warnings.push(`${describeOrigin(property.origin)}: ${name}: problems loading ${className}: not an authentication provider this server has; ignored`);
      }
      authProviders.push({ property: name, className });
    }
    if (name === 'zookeeper.superUser' || name.startsWith('zookeeper.superUser.')) saslSuperUsers.push(property.value);
  }

  const schemes = new Set<string>(['ip']);
  if (digestAuthEnabled) schemes.add('digest');
  for (const provider of authProviders) {
    const scheme = KNOWN_AUTH_PROVIDER_CLASSES[provider.className];
    if (scheme !== undefined) schemes.add(scheme);
  }

  let enforceAuthEnabled: boolean;
  const enforceAuthSchemes: string[] = [];
  if ((b.prop('zookeeper.sessionRequireClientSASLAuth') ?? 'false').toLowerCase() === 'true') {
    enforceAuthEnabled = true;
    enforceAuthSchemes.push('sasl');
  } else {
    enforceAuthEnabled = (b.prop('zookeeper.enforce.auth.enabled') ?? 'false').toLowerCase() === 'true';
    const listed = b.prop('zookeeper.enforce.auth.schemes');
    if (listed !== undefined) for (const scheme of javaSplit(listed, ',')) enforceAuthSchemes.push(javaTrim(scheme));
  }
  if (enforceAuthEnabled) {
    if (enforceAuthSchemes.length === 0) {
      throw new ConfigError('zookeeper.enforce.auth.enabled is true, so zookeeper.enforce.auth.schemes must be configured', {
        key: 'zookeeper.enforce.auth.schemes',
      });
    }
    for (const scheme of enforceAuthSchemes) {
      if (!schemes.has(scheme)) {
        throw new ConfigError(`authentication scheme ${scheme} is not available`, { key: 'zookeeper.enforce.auth.schemes' });
      }
    }
  }

  const loginContext = b.prop('zookeeper.sasl.serverconfig');
  return {
    skipACL: (b.prop('zookeeper.skipACL') ?? 'no') === 'yes',
    superDigest: b.prop('zookeeper.DigestAuthenticationProvider.superDigest') ?? null,
    digestAuthEnabled,
    digestAlgorithm,
    authProviders,
    jaasConfigPath: b.prop('java.security.auth.login.config') ?? null,
    saslLoginContext: loginContext ?? ZK38_DEFAULTS.saslLoginContext,
    saslLoginContextExplicit: loginContext !== undefined,
    saslSuperUsers,
    saslSuperPassword: b.prop('zookeeper.SASLAuthenticationProvider.superPassword') ?? null,
    kerberosRemoveHostFromPrincipal: b.prop('zookeeper.kerberos.removeHostFromPrincipal') === 'true',
    kerberosRemoveRealmFromPrincipal: b.prop('zookeeper.kerberos.removeRealmFromPrincipal') === 'true',
    allowSaslFailedClients: b.propFlag('zookeeper.allowSaslFailedClients'),
    enforceAuthEnabled,
    enforceAuthSchemes,
    saslAuthRequired: enforceAuthEnabled && enforceAuthSchemes.includes('sasl'),
    letAnySaslUserDoX: b.prop('zookeeper.letAnySaslUserDoX') ?? null,
  };
}
