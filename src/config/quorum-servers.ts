// The ensemble membership lines (server.N=host:quorumPort:electionPort[:role][;[clientHost:]clientPort])
// are shared verbatim between every member of an ensemble, including Java ones, and between zoo.cfg
// and dynamic config files. Parsing them with 3.8's exact acceptance rules keeps mixed ensembles and
// rolling migrations consistent about who is a voter and where each member listens.

import { ConfigError, type SettingOrigin } from './errors.js';
import { javaParseInt, javaParseLong, javaSplit, javaTrim } from './java-values.js';

export type LearnerRole = 'participant' | 'observer';

export interface QuorumAddress {
  readonly host: string;
  /** Port followers use to talk to the leader (the first port). */
  readonly quorumPort: number;
  /** Port used for leader election (the second port). */
  readonly electionPort: number;
}

export interface ClientAddress {
  /** Host to bind as written, or null for all interfaces (only a port was given; 3.8 uses 0.0.0.0). */
  readonly host: string | null;
  readonly port: number;
}

export interface QuorumServerSpec {
  /** The N of server.N (the member's myid). */
  readonly id: number;
  /** Host of the member; with several addresses, the last one, as 3.8 records it. */
  readonly host: string;
  readonly quorumPort: number;
  readonly electionPort: number;
  /** All addresses when the multi-address feature is on (`a:1:2|b:1:2`); otherwise just one. */
  readonly addresses: readonly QuorumAddress[];
  readonly role: LearnerRole;
  /**
   * The `;[host:]port` part, or null when the line has none. For this server's own line without one,
   * 3.8 fills in the static clientPort/clientPortAddress (then clientAddressFromStatic is true).
   */
  readonly clientAddress: ClientAddress | null;
  /** True when clientAddress was filled in from clientPort (3.8 leaves it out of the config znode). */
  readonly clientAddressFromStatic: boolean;
  /** The value as written, trimmed. */
  readonly spec: string;
}

const WRONG_FORMAT =
  'does not have the form server_config or server_config;client_config where server_config is the pipe ' +
  'separated list of host:port:port or host:port:port:type and client_config is port or host:port';

/** ConfigUtils.getHostAndPort: splits "host:port[:...]" or "[ipv6]:port[:...]". */
function hostAndPort(value: string, fail: (problem: string) => ConfigError): string[] {
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0) throw fail(`${value} starts with '[' but has no matching ']:'`);
    if (close + 2 === value.length) throw fail(`${value} doesn't have a port after colon`);
    if (close + 2 < value.length) return [value.slice(1, close), ...javaSplit(value.slice(close + 2), ':')];
    return [value.replace(/[[\]]/g, '')];
  }
  return javaSplit(value, ':');
}

function parsePort(text: string | undefined, host: string | null, fail: (problem: string) => ConfigError): number {
  const port = text === undefined ? undefined : javaParseInt(text);
  if (port === undefined) throw fail(`address unresolved: ${host ?? 'null'}:${text ?? ''} (the port is not a number)`);
  if (port < 0 || port > 65535) throw fail(`port out of range: ${port}`);
  return port;
}

function parseRole(text: string, fail: (problem: string) => ConfigError): LearnerRole {
  const role = javaTrim(text).toLowerCase();
  if (role === 'observer' || role === 'participant') return role;
  throw fail(`unrecognised peer type: ${text}`);
}

/** Parses the id in a `server.N` key; 3.8 takes everything after the first dot as a long. */
export function parseServerId(key: string, origin: SettingOrigin): number {
  const idText = key.slice(key.indexOf('.') + 1);
  const id = javaParseLong(idText);
  if (id === undefined) throw new ConfigError(`"${idText}" is not a server id (a number is expected)`, { key, origin });
  if (id < BigInt(Number.MIN_SAFE_INTEGER) || id > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ConfigError(`server id ${id} is too large for this server`, { key, origin });
  }
  return Number(id);
}

/**
 * Parses the value of a `server.N` line as QuorumPeer.QuorumServer does. `multiAddressEnabled` is
 * the zookeeper.multiAddress.enabled system property (3.8 reads it here, not the zoo.cfg key).
 */
export function parseQuorumServer(
  id: number,
  value: string,
  options: { readonly multiAddressEnabled: boolean; readonly key: string; readonly origin: SettingOrigin },
): QuorumServerSpec {
  const spec = javaTrim(value);
  const fail = (problem: string): ConfigError => new ConfigError(problem, { key: options.key, origin: options.origin });
  const serverClientParts = javaSplit(spec, ';');
  const serverPart = serverClientParts[0] ?? '';
  const serverAddresses = javaSplit(serverPart, '|');

  let clientAddress: ClientAddress | null = null;
  if (serverClientParts.length === 2) {
    const clientParts = hostAndPort(serverClientParts[1] ?? '', fail);
    if (clientParts.length > 2) throw fail(`${spec} ${WRONG_FORMAT}`);
    const host = clientParts.length === 2 ? (clientParts[0] ?? '') : null;
    const port = parsePort(clientParts[clientParts.length - 1], host, fail);
    clientAddress = Object.freeze({ host, port });
  }

  if (!options.multiAddressEnabled && serverAddresses.length > 1) {
    throw fail(`multiple address feature is disabled, but multiple addresses were specified for sid ${id} (set -Dzookeeper.multiAddress.enabled=true)`);
  }

  const addresses: QuorumAddress[] = [];
  let role: LearnerRole | null = null;
  for (const address of serverAddresses) {
    const parts = hostAndPort(address, fail);
    if (serverClientParts.length > 2 || parts.length < 3 || parts.length > 4) throw fail(`${spec} ${WRONG_FORMAT}`);
    const host = parts[0] ?? '';
    const quorumPort = parsePort(parts[1], host, fail);
    const electionPort = parsePort(parts[2], host, fail);
    if (quorumPort === electionPort) {
      throw fail(`client and election port must be different! Please update the configuration file on server.${id}`);
    }
    if (parts.length === 4) {
      const thisRole = parseRole(parts[3] ?? '', fail);
      if (role !== null && role !== thisRole) throw fail(`multiple addresses should have similar roles: ${role} vs ${thisRole}`);
      role = thisRole;
    }
    addresses.push(Object.freeze({ host, quorumPort, electionPort }));
  }
  const last = addresses[addresses.length - 1];
  if (last === undefined) throw fail(`${spec} ${WRONG_FORMAT}`);
  return Object.freeze({
    id,
    host: last.host,
    quorumPort: last.quorumPort,
    electionPort: last.electionPort,
    addresses: Object.freeze(addresses),
    role: role ?? 'participant',
    clientAddress,
    clientAddressFromStatic: false,
    spec,
  });
}
