// What the leader's PrepRequestProcessor does with a reconfig request (OpCode.reconfig, 16) in 3.8:
// check it against the current and last-seen configurations, compute the new configuration, and
// produce the txn that carries it (a SetDataTxn on /zookeeper/config whose data is the new
// configuration's toString and whose version is -1; its TxnHeader type stays reconfig). The new
// configuration's version is the txn's zxid.
//
// Rules, in 3.8's order (PrepRequestProcessor.pRequest2Txn, case OpCode.reconfig):
//   (caller) reconfigEnabled, else ReconfigDisabled; the session; a standalone server: Unimplemented
//   1. a reconfig proposed but not committed (last seen version != committed version): ReconfigInProgress
//   2. curConfigId not -1 and not the last seen version: BadVersion
//   3. newMembers not null (non-incremental): newMembers with ',' turned into newlines, loaded as
//      Properties and parsed as a dynamic config file (only server.N and version keys)
//      otherwise (incremental): a copy of the last seen members, minus every leavingServers id,
//      then each joiningServers `server.N=spec` put in (after a remove, so it moves to the end of
//      its bucket); a joiner must have a client port and no address of another member
//   4. fewer than 2 voters (1 if standaloneEnabled=false): BadArguments
//   5. no quorum of the new voters among the leader (if it votes in the new config) and the synced
//      followers: NewConfigNoQuorum
//   (caller) WRITE permission on /zookeeper/config (its ACL is world:anyone:r, so only super or
//      skipACL pass): NoAuth
// Parse problems map by exception class: ConfigException and BadArgumentsException become
// BadArguments, while a NumberFormatException (a leaving id or `server.x` that is not a number), an
// IllegalArgumentException (a port out of range, observers without participants) or another
// runtime exception escapes to pRequest's catch-all and becomes MarshallingError.
// 3.8 refuses nothing else: removing servers that are not members, removing and re-adding the
// same id (the joiner wins), changing any member's ports or role, or removing the leader are all
// allowed as long as the new configuration passes 4 and 5.

import type { SetDataTxn } from '../jute/index.js';
import { ErrorCode } from '../protocol/error-code.js';
import { javaParseLong, javaSplit, javaTrim } from '../config/java-values.js';
import { assert } from '../lib/assert.js';
import type { JavaFailure } from './java-failure.js';
import { JavaHashMapKeys } from './java-hash-table.js';
import { JavaProperties } from './java-properties.js';
import { checkAddressDuplicate, parseQuorumServer, type QuorumMember, type ServerId } from './quorum-server.js';
import { parseDynamicConfig, quorumVerifierFromMap, type QuorumVerifier } from './quorum-verifier.js';
import { literalHostResolver, type HostResolver } from './socket-address.js';

export const CONFIG_NODE = '/zookeeper/config';

/** ReconfigRequest from zookeeper.jute; null strings (jute length -1) matter: see newMembers. */
export interface ReconfigRequestFields {
  /** Comma-separated `server.N=spec` entries to add or replace (incremental form), or null. */
  readonly joiningServers: string | null;
  /** Comma-separated server ids to remove (incremental form), or null. */
  readonly leavingServers: string | null;
  /**
   * The whole new membership (non-incremental form), `server.N=spec` entries separated by commas or
   * newlines. Any non-null value, even "", selects this form and ignores the other two.
   */
  readonly newMembers: string | null;
  /** The version the client expects the last seen configuration to have, or -1 for no check. */
  readonly curConfigId: bigint;
}

export interface ReconfigInput {
  readonly request: ReconfigRequestFields;
  /** The leader's committed configuration (QuorumPeer.getQuorumVerifier). */
  readonly committed: QuorumVerifier;
  /** The newest configuration the leader has seen, maybe proposed only (getLastSeenQuorumVerifier). */
  readonly lastSeen: QuorumVerifier;
  /** The zxid the reconfig txn gets: it becomes the new configuration's version. */
  readonly zxid: bigint;
  readonly leaderId: ServerId;
  /**
   * Followers connected to the leader and synced (forwarding LearnerHandlers whose synced() holds:
   * alive and not past their sync deadline). Observers may be included; only new voters count.
   */
  readonly syncedFollowers: ReadonlySet<ServerId>;
  /** zoo.cfg standaloneEnabled (default true). */
  readonly standaloneEnabled: boolean;
  /** -Dzookeeper.multiAddress.enabled (default false). */
  readonly multiAddressEnabled: boolean;
  /** Name resolution for the duplicate-address check (default: IP literals and localhost only). */
  readonly resolveHost?: HostResolver;
}

export type ReconfigErrorCode =
  | typeof ErrorCode.reconfigInProgress
  | typeof ErrorCode.badVersion
  | typeof ErrorCode.badArguments
  | typeof ErrorCode.marshallingError
  | typeof ErrorCode.newConfigNoQuorum;

export type ReconfigOutcome =
  | {
      readonly ok: true;
      readonly form: 'incremental' | 'nonIncremental';
      /** The configuration to propose; its version is the txn's zxid. */
      readonly newConfig: QuorumVerifier;
      /** The body of the reconfig txn (TxnHeader type OpCode.reconfig). */
      readonly txnData: SetDataTxn;
    }
  | {
      readonly ok: false;
      readonly err: ReconfigErrorCode;
      /** What 3.8 would log (the exception message), for our log; never sent to the client. */
      readonly reason: string;
    };

type Computed = { readonly ok: true; readonly config: QuorumVerifier } | { readonly ok: false; readonly err: ReconfigErrorCode; readonly reason: string };

function refuse(err: ReconfigErrorCode, reason: string): { readonly ok: false; readonly err: ReconfigErrorCode; readonly reason: string } {
  return { ok: false, err, reason };
}

/** How 3.8's reconfig path turns an exception into an error code. */
function errorCodeOf(failure: JavaFailure): ReconfigErrorCode {
  switch (failure.kind) {
    case 'ConfigException':
    case 'BadArgumentsException':
    case 'Unsupported':
      return ErrorCode.badArguments;
    case 'NumberFormatException':
    case 'IllegalArgumentException':
    case 'RuntimeException':
      return ErrorCode.marshallingError;
  }
}

/** StringUtils.split: String.split, then trim each part and drop the empty ones. */
function splitTrimmed(value: string, separator: string): string[] {
  return javaSplit(value, separator)
    .map((part) => javaTrim(part))
    .filter((part) => part !== '');
}

/** The non-incremental form: newMembers parsed as a dynamic config file. */
function nonIncremental(newMembers: string, input: ReconfigInput): Computed {
  const properties = JavaProperties.load(newMembers.replaceAll(',', '\n'));
  if (!properties.ok) return refuse(errorCodeOf(properties.failure), properties.failure.message);
  const config = parseDynamicConfig(properties.value.entries(), {
    standaloneEnabled: input.standaloneEnabled,
    multiAddressEnabled: input.multiAddressEnabled,
    configBackwardCompatibilityMode: false,
  });
  if (!config.ok) return refuse(errorCodeOf(config.failure), config.failure.message);
  return { ok: true, config: config.value.withVersion(input.zxid) };
}

/** The incremental form: last seen members, minus leavers, plus joiners. */
function incremental(request: ReconfigRequestFields, input: ReconfigInput): Computed {
  const resolve = input.resolveHost ?? literalHostResolver;
  const keys = JavaHashMapKeys.copyOf(input.lastSeen.members.map((m) => m.id));
  const members = new Map<ServerId, QuorumMember>(input.lastSeen.members.map((m) => [m.id, m]));
  for (const leaving of request.leavingServers === null ? [] : splitTrimmed(request.leavingServers, ',')) {
    const id = javaParseLong(leaving);
    if (id === undefined) return refuse(ErrorCode.marshallingError, `For input string: "${leaving}"`);
    keys.remove(id);
    members.delete(id);
  }
  for (const joiner of request.joiningServers === null ? [] : splitTrimmed(request.joiningServers, ',')) {
    const parts = splitTrimmed(joiner, '=');
    const [name, spec] = parts;
    if (parts.length !== 2 || name === undefined || spec === undefined) return refuse(ErrorCode.badArguments, 'Wrong format of server string');
    // Only the text after the last '.' is read: "server.4", "peer.4" and "4" all name server 4.
    const idText = name.slice(name.lastIndexOf('.') + 1);
    const id = javaParseLong(idText);
    if (id === undefined) return refuse(ErrorCode.marshallingError, `For input string: "${idText}"`);
    const member = parseQuorumServer(id, spec, { multiAddressEnabled: input.multiAddressEnabled });
    if (!member.ok) {
      // The ConfigException's own message is replaced by a generic one in 3.8.
      const reason = member.failure.kind === 'ConfigException' ? `Reconfiguration failed (${member.failure.message})` : member.failure.message;
      return refuse(errorCodeOf(member.failure), reason);
    }
    if (member.value.clientAddress === null) {
      return refuse(ErrorCode.badArguments, 'Wrong format of server string - each server should have 3 ports specified');
    }
    for (const other of members.values()) {
      if (other.id === id) continue;
      const duplicate = checkAddressDuplicate(member.value, other, resolve);
      if (!duplicate.ok) return refuse(ErrorCode.badArguments, duplicate.failure.message);
    }
    keys.remove(id);
    keys.put(id);
    members.set(id, member.value);
  }
  return { ok: true, config: quorumVerifierFromMap(keys, members, input.zxid) };
}

/** Leader.isQuorumSynced: the leader (if it votes in `config`) and synced followers that vote in it. */
export function isQuorumSynced(config: QuorumVerifier, leaderId: ServerId, syncedFollowers: ReadonlySet<ServerId>): boolean {
  const ids = new Set<ServerId>();
  if (config.isVoter(leaderId)) ids.add(leaderId);
  for (const id of syncedFollowers) if (config.isVoter(id)) ids.add(id);
  return config.containsQuorum(ids);
}

/** PrepRequestProcessor's reconfig case as a pure function (see the file header for the rules). */
export function computeReconfig(input: ReconfigInput): ReconfigOutcome {
  const { request, lastSeen } = input;
  if (lastSeen.version !== input.committed.version) {
    return refuse(ErrorCode.reconfigInProgress, 'a reconfiguration is in progress');
  }
  if (request.curConfigId !== -1n && request.curConfigId !== lastSeen.version) {
    return refuse(ErrorCode.badVersion, `Reconfiguration from version ${request.curConfigId} failed -- last seen version is ${lastSeen.version}`);
  }
  const form = request.newMembers !== null ? 'nonIncremental' : 'incremental';
  const computed = request.newMembers !== null ? nonIncremental(request.newMembers, input) : incremental(request, input);
  if (!computed.ok) return computed;
  const config = computed.config;
  assert(config.version === input.zxid, 'the new configuration is versioned by the txn zxid');

  const voters = config.votingMembers.length;
  if (input.standaloneEnabled && voters < 2) {
    return refuse(ErrorCode.badArguments, 'Reconfig failed - new configuration must include at least 2 followers');
  }
  if (voters < 1) return refuse(ErrorCode.badArguments, 'Reconfig failed - new configuration must include at least 1 follower');
  if (!isQuorumSynced(config, input.leaderId, input.syncedFollowers)) {
    return refuse(ErrorCode.newConfigNoQuorum, 'Reconfig failed - there must be a connected and synced quorum in new configuration');
  }
  const txnData: SetDataTxn = { path: CONFIG_NODE, data: Buffer.from(config.toString(), 'utf8'), version: -1 };
  return { ok: true, form, newConfig: config, txnData };
}
