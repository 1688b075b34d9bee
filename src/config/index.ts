// Configuration as Apache ZooKeeper 3.8 takes it (zoo.cfg, dynamic config, JVM -D flags), exposed as
// one frozen ServerConfig so the rest of the server never parses settings itself.

export { ConfigError, describeOrigin, type ConfigErrorDetails, type SettingOrigin } from './errors.js';
export { parseZooCfg, type ParsedZooCfg, type ZooCfgEntry } from './zoo-cfg.js';
export { parseJvmFlags, splitShellWords, jvmSizeToBytes, type JvmFlags } from './jvm-flags.js';
export {
  parseQuorumServer,
  parseServerId,
  type ClientAddress,
  type LearnerRole,
  type QuorumAddress,
  type QuorumServerSpec,
} from './quorum-servers.js';
export {
  ALL_FOUR_LETTER_WORDS,
  DEFAULT_METRICS_PROVIDER,
  PROMETHEUS_METRICS_PROVIDER,
  ZK38_DEFAULTS,
  buildServerConfig,
  versionFromFilename,
  zooCfgDataDir,
  type AdminServerSettings,
  type AuthSettings,
  type BuildServerConfigInput,
  type LogLevel,
  type LoggingSettings,
  type MetricsSettings,
  type ServerConfig,
} from './server-config.js';
export { defaultStandaloneConfig, loadServerConfigFromFiles } from './load.js';
