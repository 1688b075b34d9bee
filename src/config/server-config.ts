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
  javaDecodeLong,
  javaFilePath,
  javaParseBoolean,
  javaParseInt,
  javaParseLong,
  javaSplit,
  javaTrim,
} from './java-values.js';
import { parseQuorumServer, parseServerId, type ClientAddress, type LearnerRole, type QuorumServerSpec } from './quorum-servers.js';
import { parseZooCfg, type ParsedZooCfg, type ZooCfgEntry } from './zoo-cfg.js';

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
  /** zoo.cfg, parsed by parseZooCfg or as text (then parsed here with zooCfgPath as its name). */
  readonly zooCfg: ParsedZooCfg | string;
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
    const parsed = javaDecodeLong(property.value);
    if (parsed === undefined) {
      this.warnings.push(`${describeOrigin(property.origin)}: ${name}: "${property.value}" is not a number; using ${fallback} as 3.8 does`);
      return fallback;
    }
    return parsed;
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

/** What the zoo.cfg keys QuorumPeerConfig.parseProperties handles itself say (3.8 defaults otherwise). */
interface ZooCfgKeys {
  dataDir: string | null;
  dataLogDir: string | null;
  clientPort: number;
  clientPortAddress: string | null;
  secureClientPortAddress: string | null;
  observerMasterPort: number;
  clientPortListenBacklog: number;
  tickTime: number;
  maxClientCnxns: number;
  minSessionTimeout: number;
  maxSessionTimeout: number;
  initLimit: number;
  syncLimit: number;
  connectToLearnerMasterLimit: number;
  quorumListenOnAllIPs: boolean;
  peerType: LearnerRole;
  syncEnabled: boolean;
  dynamicConfigFile: string | null;
  snapRetainCount: number;
  purgeInterval: number;
  standaloneEnabled: boolean;
  reconfigEnabled: boolean;
  localSessionsEnabled: boolean;
  localSessionsUpgradingEnabled: boolean;
  quorumServerRequireSasl: boolean;
  quorumLearnerRequireSasl: boolean;
  metricsProviderClassName: string;
  readonly metricsConfiguration: Map<string, string>;
}

/**
 * The parseProperties loop: typed keys are parsed and validated, every other key becomes the system
 * property `zookeeper.<key>` (in `b.properties`), as 3.8 does.
 */
function readZooCfgKeys(b: Builder, entries: readonly ZooCfgEntry[]): ZooCfgKeys {
  const k: ZooCfgKeys = {
    dataDir: null,
    dataLogDir: null,
    clientPort: 0,
    clientPortAddress: null,
    secureClientPortAddress: null,
    observerMasterPort: 0,
    clientPortListenBacklog: -1,
    tickTime: ZK38_DEFAULTS.tickTime,
    maxClientCnxns: ZK38_DEFAULTS.maxClientCnxns,
    minSessionTimeout: -1,
    maxSessionTimeout: -1,
    initLimit: 0,
    syncLimit: 0,
    connectToLearnerMasterLimit: 0,
    quorumListenOnAllIPs: false,
    peerType: 'participant',
    syncEnabled: true,
    dynamicConfigFile: null,
    snapRetainCount: ZK38_DEFAULTS.snapRetainCount,
    purgeInterval: ZK38_DEFAULTS.purgeInterval,
    standaloneEnabled: true,
    reconfigEnabled: false,
    localSessionsEnabled: false,
    localSessionsUpgradingEnabled: false,
    quorumServerRequireSasl: false,
    quorumLearnerRequireSasl: false,
    metricsProviderClassName: DEFAULT_METRICS_PROVIDER,
    metricsConfiguration: new Map(),
  };
  const hasDynamicConfigFile = entries.some((e) => javaTrim(e.key) === 'dynamicConfigFile');
  const nonNegative = (key: string, value: number, origin: SettingOrigin): number => {
    if (value < 0) throw b.error(`must not be negative (got ${value})`, key, origin);
    return value;
  };

  for (const entry of entries) {
    const key = javaTrim(entry.key);
    const value = javaTrim(entry.value);
    const origin = b.origin(entry);
    switch (key) {
      case 'dataDir':
        k.dataDir = value;
        break;
      case 'dataLogDir':
        k.dataLogDir = value;
        break;
      case 'clientPort':
        k.clientPort = b.port(key, value, origin);
        break;
      case 'localSessionsEnabled':
        k.localSessionsEnabled = b.bool(key, value, origin);
        break;
      case 'localSessionsUpgradingEnabled':
        k.localSessionsUpgradingEnabled = b.bool(key, value, origin);
        break;
      case 'clientPortAddress':
        k.clientPortAddress = value;
        break;
      case 'secureClientPort':
        if (b.port(key, value, origin) !== 0) throw unsupported('TLS for clients (secureClientPort)', key, origin);
        break;
      case 'secureClientPortAddress':
        k.secureClientPortAddress = value;
        break;
      case 'observerMasterPort':
        k.observerMasterPort = b.int(key, value, origin);
        break;
      case 'clientPortListenBacklog':
        k.clientPortListenBacklog = b.int(key, value, origin);
        break;
      case 'tickTime':
        k.tickTime = b.int(key, value, origin);
        if (k.tickTime < 0) throw b.error(`must be a positive number of milliseconds, not ${k.tickTime}`, key, origin);
        break;
      case 'maxClientCnxns':
        k.maxClientCnxns = b.int(key, value, origin);
        break;
      case 'minSessionTimeout':
        k.minSessionTimeout = b.int(key, value, origin);
        break;
      case 'maxSessionTimeout':
        k.maxSessionTimeout = b.int(key, value, origin);
        break;
      case 'initLimit':
        k.initLimit = nonNegative(key, b.int(key, value, origin), origin);
        break;
      case 'syncLimit':
        k.syncLimit = nonNegative(key, b.int(key, value, origin), origin);
        break;
      case 'connectToLearnerMasterLimit':
        k.connectToLearnerMasterLimit = b.int(key, value, origin);
        break;
      case 'electionAlg': {
        const alg = b.int(key, value, origin);
        if (alg !== 3) throw b.error(`invalid electionAlg value ${alg}: only 3 is supported`, key, origin);
        break;
      }
      case 'quorumListenOnAllIPs':
        k.quorumListenOnAllIPs = b.bool(key, value, origin);
        break;
      case 'peerType': {
        const type = value.toLowerCase();
        if (type !== 'observer' && type !== 'participant') throw b.error(`unrecognised peer type: ${value}`, key, origin);
        k.peerType = type;
        break;
      }
      case 'syncEnabled':
        k.syncEnabled = b.bool(key, value, origin);
        break;
      case 'dynamicConfigFile':
        k.dynamicConfigFile = value;
        break;
      case 'autopurge.snapRetainCount':
        k.snapRetainCount = b.int(key, value, origin);
        break;
      case 'autopurge.purgeInterval':
        k.purgeInterval = b.int(key, value, origin);
        break;
      case 'standaloneEnabled':
        k.standaloneEnabled = b.bool(key, value, origin);
        break;
      case 'reconfigEnabled':
        k.reconfigEnabled = b.bool(key, value, origin);
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
        k.quorumServerRequireSasl = b.bool(key, value, origin);
        break;
      case 'quorum.auth.learnerRequireSasl':
        k.quorumLearnerRequireSasl = b.bool(key, value, origin);
        break;
      case 'metricsProvider.className':
        k.metricsProviderClassName = value;
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
          k.metricsConfiguration.set(key.slice('metricsProvider.'.length), value);
        } else if ((key.startsWith('server.') || key.startsWith('group') || key.startsWith('weight')) && hasDynamicConfigFile) {
          throw b.error('must be in a separate dynamic config file', key, origin);
        } else {
          copyToSystemProperty(b, key, value, origin);
        }
    }
  }
  return k;
}

/** 3.8's fallback for other zoo.cfg keys: System.setProperty("zookeeper." + key, value), overriding any -D flag. */
function copyToSystemProperty(b: Builder, key: string, value: string, origin: SettingOrigin): void {
  b.properties.set(`zookeeper.${key}`, { value, origin });
  const isMembership = key.startsWith('server.') || key.startsWith('group') || key.startsWith('weight') || key === 'version';
  if (!isMembership) b.unknownKeys.push(key);
  const hint = INEFFECTIVE_IN_ZOO_CFG[key];
  if (hint !== undefined) b.warnings.push(`${describeOrigin(origin)}: ${key} in zoo.cfg becomes zookeeper.${key}, which 3.8 never reads; ${hint}`);
  if (key.startsWith('zookeeper.')) {
    b.warnings.push(`${describeOrigin(origin)}: ${key} in zoo.cfg becomes zookeeper.${key}; write it without the "zookeeper." prefix`);
  }
}

function buildMetricsSettings(k: ZooCfgKeys, b: Builder, originOf: (key: string) => SettingOrigin | undefined): MetricsSettings {
  const prometheus = k.metricsProviderClassName === PROMETHEUS_METRICS_PROVIDER;
  if (!prometheus && k.metricsProviderClassName !== DEFAULT_METRICS_PROVIDER) {
    throw new ConfigError(
      `metrics provider class ${k.metricsProviderClassName} was not found (supported: ${DEFAULT_METRICS_PROVIDER}, ${PROMETHEUS_METRICS_PROVIDER})`,
      { key: 'metricsProvider.className', origin: originOf('metricsProvider.className') },
    );
  }
  const portText = k.metricsConfiguration.get('httpPort');
  return {
    providerClassName: k.metricsProviderClassName,
    prometheus,
    httpHost: k.metricsConfiguration.get('httpHost') ?? ZK38_DEFAULTS.metricsHttpHost,
    // Only the Prometheus provider reads (and so validates) the port.
    httpPort:
      prometheus && portText !== undefined
        ? b.port('metricsProvider.httpPort', portText, originOf('metricsProvider.httpPort') ?? { kind: 'default' })
        : ZK38_DEFAULTS.metricsHttpPort,
    exportJvmInfo: (k.metricsConfiguration.get('exportJvmInfo') ?? 'true').toLowerCase() === 'true',
    configuration: Object.fromEntries(k.metricsConfiguration),
  };
}

interface Membership {
  readonly members: QuorumMembers;
  readonly serverId: number | null;
  readonly distributed: boolean;
  readonly peerType: LearnerRole;
  readonly clientAddress: ClientAddress | null;
}

/** setupQuorumPeerConfig: members, myid, this member's client address and role, ensemble checks. */
function resolveMembership(
  b: Builder,
  k: ZooCfgKeys,
  input: { readonly zooCfg: ParsedZooCfg; readonly zooCfgPath: string; readonly dynamicCfg?: ParsedZooCfg | null; readonly myidFile?: string | null },
  dataDir: string,
  staticClientAddress: ClientAddress | null,
): Membership {
  const multiAddressEnabled = javaParseBoolean(b.prop('zookeeper.multiAddress.enabled'));
  let members: QuorumMembers;
  if (k.dynamicConfigFile !== null) {
    const dynamicCfg = input.dynamicCfg;
    if (dynamicCfg === undefined || dynamicCfg === null) {
      throw new ConfigError(`dynamic config file ${k.dynamicConfigFile} was not read`, { key: 'dynamicConfigFile' });
    }
    members = parseMembers(dynamicCfg.entries, dynamicCfg.source, true, multiAddressEnabled, versionFromFilename(k.dynamicConfigFile));
  } else {
    members = parseMembers(input.zooCfg.entries, input.zooCfgPath, false, multiAddressEnabled, null);
  }

  const voters = members.servers.filter((s) => s.role === 'participant');
  const observers = members.servers.filter((s) => s.role === 'observer');
  if (voters.length === 0) {
    if (!k.standaloneEnabled) throw new ConfigError('standaloneEnabled = false then number of participants should be > 0', { key: 'standaloneEnabled' });
    if (observers.length > 0) throw new ConfigError('observers w/o participants is an invalid configuration', { key: 'server.N' });
  } else if (voters.length === 1 && k.standaloneEnabled) {
    b.warnings.push('invalid configuration, only one server specified (ignoring): running standalone');
    if (observers.length > 0) throw new ConfigError('observers w/o quorum is an invalid configuration', { key: 'server.N' });
  } else if (voters.length <= 2) {
    b.warnings.push('no server failure will be tolerated: you need at least 3 servers');
  } else if (voters.length % 2 === 0) {
    b.warnings.push('non-optimal configuration: consider an odd number of servers');
  }

  const serverId = input.myidFile === undefined || input.myidFile === null ? null : parseMyid(input.myidFile, dataDir);
  const distributed = !k.standaloneEnabled || voters.length > 1;

  // This member's own `;client` part decides where it listens; without one it gets the static address.
  let clientAddress = staticClientAddress;
  const self = serverId === null ? undefined : members.servers.find((s) => s.id === serverId);
  if (self !== undefined && self.clientAddress !== null) {
    if (clientAddress !== null) {
      const staticIsWildcard = clientAddress.host === null || clientAddress.host === '0.0.0.0' || clientAddress.host === '::';
      const differs = clientAddress.port !== self.clientAddress.port || (!staticIsWildcard && clientAddress.host !== self.clientAddress.host);
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
    members.servers[members.servers.indexOf(self)] = Object.freeze({ ...self, clientAddress, clientAddressFromStatic: true });
  }

  let peerType = k.peerType;
  const roleByServersList: LearnerRole = observers.some((s) => s.id === serverId) ? 'observer' : 'participant';
  if (roleByServersList !== peerType) {
    b.warnings.push(`peer type from servers list (${roleByServersList}) doesn't match peerType (${peerType}); defaulting to servers list`);
    peerType = roleByServersList;
  }

  if (distributed) {
    if (k.initLimit === 0) throw new ConfigError(`initLimit is not set in ${input.zooCfgPath}`, { key: 'initLimit' });
    if (k.syncLimit === 0) throw new ConfigError(`syncLimit is not set in ${input.zooCfgPath}`, { key: 'syncLimit' });
    if (serverId === null) throw new ConfigError(`myid file is missing: ${dataDir}/myid must hold this server's id`, { key: 'myid' });
    if (self === undefined) b.warnings.push(`server id ${serverId} from ${dataDir}/myid has no server.${serverId} line`);
  }
  return { members, serverId, distributed, peerType, clientAddress };
}

/** FourLetterCommands.isEnabled: the whitelist, `*` for all, plus srvr always and isro in read-only mode. */
function fourLetterWordsFrom(b: Builder): string[] {
  const words = new Set<string>();
  const whitelist = b.prop('zookeeper.4lw.commands.whitelist');
  if (whitelist !== undefined) {
    for (const command of javaSplit(whitelist, ',')) {
      const name = javaTrim(command);
      if (name === '*') {
        for (const known of ALL_FOUR_LETTER_WORDS) words.add(known);
        break;
      }
      if (name !== '') words.add(name);
    }
  }
  // Compared case-sensitively here, unlike the read-only switch itself.
  if ((b.prop('readonlymode.enabled') ?? 'false') === 'true') words.add('isro');
  words.add('srvr');
  return [...words].sort();
}

function buildLoggingSettings(b: Builder, env: Readonly<Record<string, string | undefined>>): LoggingSettings {
  const rootLogger = b.prop('zookeeper.root.logger') ?? env['ZOO_LOG4J_PROP'] ?? 'INFO,CONSOLE';
  const level = LOG_LEVELS[javaTrim(rootLogger.split(',')[0] ?? '').toUpperCase()];
  if (level === undefined) {
    throw new ConfigError(`"${rootLogger}" does not start with a log level (TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF)`, {
      key: b.properties.has('zookeeper.root.logger') ? 'zookeeper.root.logger' : 'ZOO_LOG4J_PROP',
      origin: b.properties.get('zookeeper.root.logger')?.origin,
    });
  }
  return {
    rootLogger,
    level,
    logDir: b.prop('zookeeper.log.dir') ?? env['ZOO_LOG_DIR'] ?? null,
    logFile: b.prop('zookeeper.log.file') ?? null,
  };
}

/** Builds the effective, frozen configuration; throws ConfigError where 3.8 refuses to start. */
export function buildServerConfig(options: BuildServerConfigInput): ServerConfig {
  const zooCfg = typeof options.zooCfg === 'string' ? parseZooCfg(options.zooCfg, options.zooCfgPath) : options.zooCfg;
  const input = { ...options, zooCfg };
  const b = new Builder(input.zooCfgPath);
  for (const [name, value] of Object.entries(input.systemProperties ?? {})) {
    b.properties.set(name, { value, origin: { kind: 'jvmFlags' } });
  }

  const entries = lastWins(zooCfg.entries);
  const originOf = (key: string): SettingOrigin | undefined => {
    const entry = entries.find((e) => javaTrim(e.key) === key);
    return entry === undefined ? undefined : b.origin(entry);
  };
  const k = readZooCfgKeys(b, entries);

  if (k.secureClientPortAddress !== null) {
    throw unsupported('TLS for clients (secureClientPortAddress)', 'secureClientPortAddress', originOf('secureClientPortAddress') ?? { kind: 'default' });
  }
  if (k.quorumServerRequireSasl || k.quorumLearnerRequireSasl) {
    throw new ConfigError('quorum.auth.enableSasl is disabled, so quorum.auth.serverRequireSasl/learnerRequireSasl cannot be enabled', {
      key: k.quorumServerRequireSasl ? 'quorum.auth.serverRequireSasl' : 'quorum.auth.learnerRequireSasl',
    });
  }
  if (k.snapRetainCount < MIN_SNAP_RETAIN_COUNT) {
    b.warnings.push(`invalid autopurge.snapRetainCount: ${k.snapRetainCount}. Defaulting to ${MIN_SNAP_RETAIN_COUNT}`);
    k.snapRetainCount = MIN_SNAP_RETAIN_COUNT;
  }

  if (k.dataDir === null) throw new ConfigError(`dataDir is not set in ${input.zooCfgPath}`, { key: 'dataDir' });
  if (k.dataDir === '') throw new ConfigError('dataDir is empty', { key: 'dataDir', origin: originOf('dataDir') });
  const dataDir = javaFilePath(k.dataDir);
  const dataLogDir = k.dataLogDir === null || k.dataLogDir === '' ? dataDir : javaFilePath(k.dataLogDir);
  for (const [name, dir] of [['dataDir', dataDir], ['dataLogDir', dataLogDir]] as const) {
    if (!dir.startsWith('/') && !dir.startsWith('./')) b.warnings.push(`${name} ${dir} is relative. Prepend ./ to indicate that you're sure!`);
  }

  if (k.clientPort === 0 && k.clientPortAddress !== null) {
    throw new ConfigError('clientPortAddress is set but clientPort is not set', { key: 'clientPortAddress', origin: originOf('clientPortAddress') });
  }
  if (k.clientPortAddress === '') throw new ConfigError('clientPortAddress is empty', { key: 'clientPortAddress', origin: originOf('clientPortAddress') });
  const staticClientAddress: ClientAddress | null =
    k.clientPort === 0 ? null : { host: k.clientPortAddress === null ? null : k.clientPortAddress.replace(/^\[(.*)\]$/, '$1'), port: k.clientPort };

  if (k.tickTime === 0) throw new ConfigError(`tickTime is not set (or is 0) in ${input.zooCfgPath}`, { key: 'tickTime', origin: originOf('tickTime') });
  const minSessionTimeoutMs = k.minSessionTimeout === -1 ? k.tickTime * 2 : k.minSessionTimeout;
  const maxSessionTimeoutMs = k.maxSessionTimeout === -1 ? k.tickTime * 20 : k.maxSessionTimeout;
  if (minSessionTimeoutMs > maxSessionTimeoutMs) {
    throw new ConfigError(
      `minSessionTimeout (${minSessionTimeoutMs} ms) must not be larger than maxSessionTimeout (${maxSessionTimeoutMs} ms) in ${input.zooCfgPath}`,
      { key: 'minSessionTimeout', origin: originOf('minSessionTimeout') ?? originOf('maxSessionTimeout') },
    );
  }

  const metrics = buildMetricsSettings(k, b, originOf);
  const membership = resolveMembership(b, k, input, dataDir, staticClientAddress);

  // From here on: settings 3.8 reads as system properties (-D flags, or zoo.cfg keys copied to zookeeper.<key>).
  let snapCount = b.propInt('zookeeper.snapCount', ZK38_DEFAULTS.snapCount);
  if (snapCount < 2) {
    b.warnings.push('SnapCount should be 2 or more. Now, snapCount is reset to 2');
    snapCount = 2;
  }
  let preAllocSizeKb: number = ZK38_DEFAULTS.preAllocSizeKb;
  const preAllocText = b.prop('zookeeper.preAllocSize');
  if (preAllocText !== undefined) {
    const parsed = javaParseLong(preAllocText);
    if (parsed === undefined) b.warnings.push(`${preAllocText} is not a valid value for preAllocSize; using ${preAllocSizeKb}`);
    else preAllocSizeKb = Number(parsed);
  }
  const juteMaxBuffer = b.propInt('jute.maxbuffer', ZK38_DEFAULTS.juteMaxBuffer);
  const maxHeap = input.jvmMaxHeap ?? null;

  const config: ServerConfig = {
    zooCfgPath: input.zooCfgPath,
    initialConfig: zooCfg.text,
    dynamicConfigFile: k.dynamicConfigFile,
    tickTimeMs: k.tickTime,
    minSessionTimeoutMs,
    maxSessionTimeoutMs,
    initLimitTicks: k.initLimit,
    syncLimitTicks: k.syncLimit,
    initLimitMs: k.initLimit * k.tickTime,
    syncLimitMs: k.syncLimit * k.tickTime,
    connectToLearnerMasterLimitTicks: k.connectToLearnerMasterLimit,
    clientPort: k.clientPort,
    clientPortAddress: k.clientPortAddress,
    clientAddress: membership.clientAddress,
    clientPortListenBacklog: k.clientPortListenBacklog,
    maxClientCnxns: k.maxClientCnxns,
    maxCnxns: b.propInt('zookeeper.maxCnxns', 0),
    globalOutstandingLimit: b.propInt('zookeeper.globalOutstandingLimit', ZK38_DEFAULTS.globalOutstandingLimit),
    localSessionsEnabled: k.localSessionsEnabled,
    localSessionsUpgradingEnabled: k.localSessionsUpgradingEnabled,
    dataDir,
    dataLogDir,
    datadirAutocreate: (b.prop('zookeeper.datadir.autocreate') ?? 'true').toLowerCase() === 'true',
    snapCount,
    snapSizeLimitKb: b.propLong('zookeeper.snapSizeLimitInKb', ZK38_DEFAULTS.snapSizeLimitInKb),
    preAllocSizeKb,
    preAllocSizeBytes: preAllocSizeKb * 1024,
    forceSync: (b.prop('zookeeper.forceSync') ?? 'yes') !== 'no',
    autopurge: { snapRetainCount: k.snapRetainCount, purgeIntervalHours: k.purgeInterval },
    serverId: membership.serverId,
    servers: membership.members.servers,
    quorumConfigVersion: membership.members.version,
    distributed: membership.distributed,
    peerType: membership.peerType,
    electionAlg: 3,
    quorumListenOnAllIPs: k.quorumListenOnAllIPs,
    standaloneEnabled: k.standaloneEnabled,
    reconfigEnabled: k.reconfigEnabled,
    observerMasterPort: k.observerMasterPort > 0 ? k.observerMasterPort : null,
    syncEnabled: k.syncEnabled,
    multiAddressEnabled: javaParseBoolean(b.prop('zookeeper.multiAddress.enabled')),
    readOnlyModeEnabled: b.propFlag('readonlymode.enabled'),
    extendedTypesEnabled: b.propFlag('zookeeper.extendedTypesEnabled'),
    emulate353TTLNodes: b.propFlag('zookeeper.emulate353TTLNodes'),
    juteMaxBuffer,
    juteMaxBufferExtraSize: b.propInt('zookeeper.jute.maxbuffer.extrasize', juteMaxBuffer),
    fourLetterWords: fourLetterWordsFrom(b),
    auth: buildAuthSettings(b),
    admin: {
      enabled: b.prop('zookeeper.admin.enableServer') !== 'false',
      address: b.prop('zookeeper.admin.serverAddress') ?? ZK38_DEFAULTS.adminServerAddress,
      port: b.propPort('zookeeper.admin.serverPort', ZK38_DEFAULTS.adminServerPort),
      commandUrl: b.prop('zookeeper.admin.commandURL') ?? ZK38_DEFAULTS.adminCommandUrl,
      idleTimeoutMs: b.propInt('zookeeper.admin.idleTimeout', ZK38_DEFAULTS.adminIdleTimeout),
    },
    metrics,
    logging: buildLoggingSettings(b, input.env ?? {}),
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
