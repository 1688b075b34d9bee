// One ensemble member as 3.8's QuorumPeer.QuorumServer holds it, parsed from and formatted to the
// `host:quorumPort:electionPort[:role][;[clientHost:]clientPort]` text that reconfig requests, the
// /zookeeper/config znode, election notifications and dynamic config files all carry.
//
// Parsing follows QuorumServer(sid, addressStr) exactly, including which Java exception each bad
// input raises (see java-failure.ts): the reconfig path maps them to different error codes. Unlike
// src/config's parser (which reads files at startup and trims), nothing is trimmed here, because
// 3.8 does not trim these strings either: "a:1:2 " fails on the port "2 ".
//
// Formatting follows QuorumServer.toString: addresses sorted by host, the role always written, the
// client address written unless it was filled in from zoo.cfg's clientPort, IPv6 hosts in brackets,
// and a `;port` client address written as 0.0.0.0:port. Hosts are kept as InetSocketAddress.getHostString
// returns them: names as written, IP literals in canonical form (::1 becomes 0:0:0:0:0:0:0:1).

import type { LearnerRole, QuorumServerSpec } from '../config/index.js';
import { javaParseInt, javaSplit, javaTrim } from '../config/java-values.js';
import { failed, parsed, type Parsed } from './java-failure.js';
import {
  describeSocketAddress,
  isOrdinaryAddress,
  javaHostString,
  sameSocketAddress,
  type HostResolver,
  type SocketAddress,
} from './socket-address.js';

/** A server id (Java long): the N of `server.N`, the myid. */
export type ServerId = bigint;

export interface MemberAddress {
  readonly host: string;
  /** The port followers connect to the leader on. */
  readonly quorumPort: number;
  /** The leader election port. */
  readonly electionPort: number;
}

export interface QuorumMember {
  readonly id: ServerId;
  /** One entry per `|`-separated address, in the order written; one unless multiAddress is on. */
  readonly addresses: readonly MemberAddress[];
  readonly role: LearnerRole;
  /** The `;[host:]port` part (host "0.0.0.0" when only a port was given), or null. */
  readonly clientAddress: SocketAddress | null;
  /**
   * True when the member had no client part and 3.8 filled in this server's own clientPort
   * (QuorumPeerConfig.setupClientPort): toString then leaves the client address out.
   */
  readonly clientAddressFromStatic: boolean;
}

export interface ParseMemberOptions {
  /** -Dzookeeper.multiAddress.enabled (default false): allow `a:1:2|b:1:2`. */
  readonly multiAddressEnabled: boolean;
}

const WRONG_FORMAT =
  ' does not have the form server_config or server_config;client_config where server_config is the pipe separated list of ' +
  'host:port:port or host:port:port:type and client_config is port or host:port';

/** ConfigUtils.getHostAndPort: "host:port[:...]" or "[ipv6]:port[:...]" split into parts. */
function hostAndPort(text: string): Parsed<string[]> {
  if (!text.startsWith('[')) return parsed(javaSplit(text, ':'));
  const close = text.indexOf(']');
  if (close < 0) return failed('ConfigException', `${text} starts with '[' but has no matching ']:'`);
  if (close + 2 === text.length) return failed('ConfigException', `${text} doesn't have a port after colon`);
  // 3.8 skips the character after ']' without checking that it is ':'.
  if (close + 2 < text.length) return parsed([text.slice(1, close), ...javaSplit(text.slice(close + 2), ':')]);
  return parsed([text.replace(/[[\]]/g, '')]);
}

/** Integer.parseInt then new InetSocketAddress(host, port): a bad number is a ConfigException, a bad range is not. */
function socketAddress(host: string, portText: string, unresolvedName: string): Parsed<SocketAddress> {
  const port = javaParseInt(portText);
  if (port === undefined) return failed('ConfigException', `Address unresolved: ${unresolvedName}:${portText}`);
  if (port < 0 || port > 0xffff) return failed('IllegalArgumentException', `port out of range:${port}`);
  return parsed({ host: javaHostString(host), port });
}

function roleOf(text: string): Parsed<LearnerRole> {
  const role = javaTrim(text).toLowerCase();
  if (role === 'observer' || role === 'participant') return parsed(role);
  return failed('ConfigException', `Unrecognised peertype: ${text}`);
}

function parseClientPart(text: string, addressStr: string): Parsed<SocketAddress> {
  const clientParts = hostAndPort(text);
  if (!clientParts.ok) return clientParts;
  const parts = clientParts.value;
  if (parts.length > 2) return failed('ConfigException', `${addressStr}${WRONG_FORMAT}`);
  const host = parts.length === 2 ? (parts[0] ?? '') : '0.0.0.0';
  // 3.8 names `hostname` in this message, which is still null at this point.
  return socketAddress(host, parts[parts.length - 1] ?? '', 'null');
}

/** QuorumServer(sid, addressStr): the member, or the exception 3.8 would throw. */
export function parseQuorumServer(id: ServerId, addressStr: string, options: ParseMemberOptions): Parsed<QuorumMember> {
  const serverClientParts = javaSplit(addressStr, ';');
  const serverPart = serverClientParts[0];
  if (serverPart === undefined) return failed('RuntimeException', 'ArrayIndexOutOfBoundsException: Index 0 out of bounds for length 0');
  const serverAddresses = javaSplit(serverPart, '|');

  let clientAddress: SocketAddress | null = null;
  if (serverClientParts.length === 2) {
    const client = parseClientPart(serverClientParts[1] ?? '', addressStr);
    if (!client.ok) return client;
    clientAddress = client.value;
  }
  if (!options.multiAddressEnabled && serverAddresses.length > 1) {
    return failed('ConfigException', `Multiple address feature is disabled, but multiple addresses were specified for sid ${id}`);
  }

  const addresses: MemberAddress[] = [];
  let role: LearnerRole | null = null;
  for (const serverAddress of serverAddresses) {
    const split = hostAndPort(serverAddress);
    if (!split.ok) return split;
    const parts = split.value;
    if (serverClientParts.length > 2 || parts.length < 3 || parts.length > 4) return failed('ConfigException', `${addressStr}${WRONG_FORMAT}`);
    const host = parts[0] ?? '';
    const quorum = socketAddress(host, parts[1] ?? '', host);
    if (!quorum.ok) return quorum;
    const election = socketAddress(host, parts[2] ?? '', host);
    if (!election.ok) return election;
    if (quorum.value.port === election.value.port) {
      return failed('ConfigException', `Client and election port must be different! Please update the configuration file on server.${id}`);
    }
    if (parts.length === 4) {
      const thisRole = roleOf(parts[3] ?? '');
      if (!thisRole.ok) return thisRole;
      if (role !== null && role !== thisRole.value) {
        return failed('ConfigException', `Multiple addresses should have similar roles: ${role} vs ${thisRole.value}`);
      }
      role = thisRole.value;
    }
    const address = { host: quorum.value.host, quorumPort: quorum.value.port, electionPort: election.value.port };
    // MultipleAddresses is a set: the same address twice is kept once.
    if (!addresses.some((a) => a.host === address.host && a.quorumPort === address.quorumPort && a.electionPort === address.electionPort)) {
      addresses.push(Object.freeze(address));
    }
  }
  return parsed(
    Object.freeze({ id, addresses: Object.freeze(addresses), role: role ?? 'participant', clientAddress, clientAddressFromStatic: false }),
  );
}

/** QuorumServer.delimitedHostString: IPv6 hosts in brackets. */
function delimitedHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** QuorumServer.toString: the value of this member's `server.N=` line. */
export function formatQuorumServer(member: QuorumMember): string {
  // Java sorts the quorum and election address lists by host string (a stable sort).
  const sorted = [...member.addresses].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  const addresses = sorted.map((a) => `${delimitedHost(a.host)}:${a.quorumPort}:${a.electionPort}`).join('|');
  const client =
    member.clientAddress !== null && !member.clientAddressFromStatic
      ? `;${delimitedHost(member.clientAddress.host)}:${member.clientAddress.port}`
      : '';
  return `${addresses}:${member.role}${client}`;
}

/** The quorum (leader-facing) addresses, as QuorumServer.addr holds them. */
export function quorumAddresses(member: QuorumMember): SocketAddress[] {
  return member.addresses.map((a) => ({ host: a.host, port: a.quorumPort }));
}

/** MultipleAddresses.equals: the same set of addresses. */
export function sameAddressSet(a: readonly SocketAddress[], b: readonly SocketAddress[], resolve: HostResolver): boolean {
  const covers = (x: readonly SocketAddress[], y: readonly SocketAddress[]): boolean =>
    x.every((one) => y.some((other) => sameSocketAddress(one, other, resolve)));
  return covers(a, b) && covers(b, a);
}

/** QuorumServer.equals: same id, role, addresses and client address. */
export function sameQuorumServer(a: QuorumMember, b: QuorumMember, resolve: HostResolver): boolean {
  if (a.id !== b.id || a.role !== b.role) return false;
  if (!sameAddressSet(quorumAddresses(a), quorumAddresses(b), resolve)) return false;
  const electionOf = (m: QuorumMember): SocketAddress[] => m.addresses.map((x) => ({ host: x.host, port: x.electionPort }));
  if (!sameAddressSet(electionOf(a), electionOf(b), resolve)) return false;
  if (a.clientAddress === null || b.clientAddress === null) return a.clientAddress === b.clientAddress;
  return sameSocketAddress(a.clientAddress, b.clientAddress, resolve);
}

/** QuorumServer.myAddrs: quorum addresses, the client address, election addresses, minus special ones. */
function ordinaryAddresses(member: QuorumMember, resolve: HostResolver): SocketAddress[] {
  const all: SocketAddress[] = [...quorumAddresses(member)];
  if (member.clientAddress !== null) all.push(member.clientAddress);
  for (const a of member.addresses) all.push({ host: a.host, port: a.electionPort });
  return all.filter((address) => isOrdinaryAddress(address, resolve));
}

/**
 * QuorumServer.checkAddressDuplicate: a joining server may not use an address another member
 * uses. Unresolved, wildcard and loopback addresses never conflict (so 127.0.0.1 ensembles pass).
 */
export function checkAddressDuplicate(joiner: QuorumMember, other: QuorumMember, resolve: HostResolver): Parsed<true> {
  const theirs = ordinaryAddresses(other, resolve);
  for (const mine of ordinaryAddresses(joiner, resolve)) {
    const clash = theirs.find((address) => sameSocketAddress(mine, address, resolve));
    if (clash !== undefined) {
      return failed(
        'BadArgumentsException',
        `${describeSocketAddress(mine, resolve)} of server.${joiner.id} conflicts ${describeSocketAddress(clash, resolve)} of server.${other.id}`,
      );
    }
  }
  return parsed(true);
}

/** A member from src/config's startup parse of a `server.N` line. */
export function memberFromServerSpec(spec: QuorumServerSpec): QuorumMember {
  return Object.freeze({
    id: BigInt(spec.id),
    addresses: Object.freeze(
      spec.addresses.map((a) => Object.freeze({ host: javaHostString(a.host), quorumPort: a.quorumPort, electionPort: a.electionPort })),
    ),
    role: spec.role,
    clientAddress:
      spec.clientAddress === null ? null : Object.freeze({ host: javaHostString(spec.clientAddress.host ?? '0.0.0.0'), port: spec.clientAddress.port }),
    clientAddressFromStatic: spec.clientAddressFromStatic,
  });
}
