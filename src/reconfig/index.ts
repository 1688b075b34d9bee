// Dynamic reconfiguration as 3.8 does it, as pure functions: the configuration model (QuorumMaj),
// the reconfig request → new configuration computation (PrepRequestProcessor), the dynamic config
// files (QuorumPeerConfig / QuorumPeer) and the designated leader (Leader). Nothing here does I/O;
// the Zab cores and the server wire it in (README.md says where).

export { javaHashCode, javaLongHashCode, javaPropertiesKeyOrder, JavaConcurrentHashMapKeys, JavaHashMapKeys, type JavaKey } from './java-hash-table.js';
export { type JavaFailure, type JavaFailureKind, type Parsed } from './java-failure.js';
export { JavaProperties, type PropertyEntry } from './java-properties.js';
export {
  describeSocketAddress,
  isOrdinaryAddress,
  literalHostResolver,
  sameSocketAddress,
  type HostResolver,
  type ResolvedHost,
  type SocketAddress,
} from './socket-address.js';
export {
  checkAddressDuplicate,
  formatQuorumServer,
  memberFromServerSpec,
  parseQuorumServer,
  quorumAddresses,
  sameAddressSet,
  sameQuorumServer,
  type MemberAddress,
  type ParseMemberOptions,
  type QuorumMember,
  type ServerId,
} from './quorum-server.js';
export {
  configFromString,
  hexVersion,
  parseDynamicConfig,
  quorumMajFromProperties,
  quorumVerifierFromMap,
  quorumVerifierFromServerConfig,
  QuorumVerifier,
  type DynamicConfigOptions,
} from './quorum-verifier.js';
export {
  CONFIG_NODE,
  computeReconfig,
  isQuorumSynced,
  type ReconfigErrorCode,
  type ReconfigInput,
  type ReconfigOutcome,
  type ReconfigRequestFields,
} from './reconfig-request.js';
export {
  activationConfigWrites,
  backsUpStaticConfig,
  backupConfigFilename,
  dynamicConfigFilename,
  dynamicConfigFileText,
  editedStaticConfigText,
  lastSeenConfigWrites,
  leaderEpochStartConfig,
  needEraseClientInfoFromStaticConfig,
  nextDynamicConfigFilename,
  parseDynamicConfigFile,
  parseNextDynamicConfigFile,
  type ActivationInput,
  type ConfigFileWrite,
  type ReadOptions,
} from './dynamic-config-file.js';
export { designatedLeader, type DesignatedLeaderInput } from './designated-leader.js';
