// The connect string of the Java client: `host[:port][,host[:port]...][/chroot]`, IPv6 hosts in
// brackets (`[::1]:2181`), port 2181 when none is given, a chroot of "/" meaning none.

import { pathError } from '../protocol/paths.js';
import { IllegalArgumentError } from './errors.js';

export const DEFAULT_CLIENT_PORT = 2181;

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

export interface ConnectString {
  readonly servers: readonly ServerAddress[];
  /** The chroot every path is relative to, or null. */
  readonly chroot: string | null;
}

function parsePort(text: string, whole: string): number {
  if (!/^\d{1,5}$/u.test(text) || Number(text) > 65535) throw new IllegalArgumentError(`invalid port in connect string: ${whole}`);
  return Number(text);
}

function parseServer(entry: string): ServerAddress {
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close < 0) throw new IllegalArgumentError(`${entry} starts with '[' but has no matching ']:'`);
    const host = entry.slice(1, close);
    const rest = entry.slice(close + 1);
    if (rest === '') return { host, port: DEFAULT_CLIENT_PORT };
    if (!rest.startsWith(':')) throw new IllegalArgumentError(`invalid server address in connect string: ${entry}`);
    return { host, port: parsePort(rest.slice(1), entry) };
  }
  const colon = entry.lastIndexOf(':');
  if (colon < 0) return { host: entry, port: DEFAULT_CLIENT_PORT };
  return { host: entry.slice(0, colon), port: parsePort(entry.slice(colon + 1), entry) };
}

/** Parses a connect string; throws IllegalArgumentError for a bad chroot, port or an empty host list. */
export function parseConnectString(connectString: string): ConnectString {
  const slash = connectString.indexOf('/');
  let chroot: string | null = null;
  let hosts = connectString;
  if (slash >= 0) {
    const path = connectString.slice(slash);
    hosts = connectString.slice(0, slash);
    if (path.length > 1) {
      const error = pathError(path);
      if (error !== null) throw new IllegalArgumentError(error.startsWith('Path ') ? error : `Invalid path string "${path}" caused by ${error}`);
      chroot = path;
    }
  }
  const servers = hosts
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '')
    .map(parseServer);
  if (servers.length === 0) throw new IllegalArgumentError('A HostProvider may not be empty!');
  return { servers, chroot };
}

/** `host:port` as the Java client writes an address (IPv6 in brackets). */
export function formatServerAddress(server: ServerAddress): string {
  return server.host.includes(':') ? `[${server.host}]:${String(server.port)}` : `${server.host}:${String(server.port)}`;
}
