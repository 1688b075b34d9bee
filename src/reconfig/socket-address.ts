// Two of 3.8's reconfig rules compare addresses the way java.net.InetSocketAddress.equals does: the
// duplicate-address check for joining servers (QuorumServer.checkAddressDuplicate) and "does the
// leader keep its quorum address" (Leader.getDesignatedLeader). InetSocketAddress resolves host
// names when it is built, so equality depends on DNS: resolved addresses compare by IP and port,
// unresolved ones by host name (ignoring case) and port. To keep the reconfig core pure, name
// resolution is an input (HostResolver); the shell may resolve names before calling in, and the
// default resolver only understands IP literals and "localhost".

import { ipv6Groups, ipv6Text, mappedIpv4 } from '../lib/ip-address.js';

export type ResolvedHost =
  | { readonly kind: 'unresolved' }
  | {
      readonly kind: 'resolved';
      /** The address in a canonical text form (dotted quad, or eight colon-separated hex groups). */
      readonly address: string;
      /** 0.0.0.0 / :: are 'wildcard', 127.0.0.0/8 and ::1 are 'loopback' (checkAddressDuplicate skips both). */
      readonly scope: 'wildcard' | 'loopback' | 'unicast';
    };

/** How host names resolve (what InetAddress.getByName would return), or 'unresolved'. */
export type HostResolver = (host: string) => ResolvedHost;

export interface SocketAddress {
  readonly host: string;
  readonly port: number;
}

const UNRESOLVED: ResolvedHost = { kind: 'unresolved' };

/**
 * IPAddressUtil.textToNumericFormatV4 (JDK 17): one to four decimal parts, the last one filling
 * the remaining bytes ("127.1" is 127.0.0.1, "1234" is 0.0.4.210). Null when not such a literal.
 */
function ipv4(host: string): number[] | null {
  const parts = host.split('.');
  if (parts.length > 4 || parts.some((p) => !/^[0-9]{1,10}$/.test(p))) return null;
  const values = parts.map((p) => Number.parseInt(p, 10));
  const lastBytes = 5 - values.length;
  const last = values[values.length - 1] ?? 0;
  if (last >= 2 ** (8 * lastBytes) || values.slice(0, -1).some((v) => v > 255)) return null;
  const tail: number[] = [];
  for (let i = lastBytes - 1; i >= 0; i--) tail.push(Math.floor(last / 2 ** (8 * i)) % 256);
  return [...values.slice(0, -1), ...tail];
}

type IpLiteral = { readonly family: 4 | 6; readonly bytes: readonly number[] };

/** InetAddress.getByName's literal parsing: IPv4 forms, IPv6 (IPv4-mapped ones become IPv4). */
function ipLiteral(host: string): IpLiteral | null {
  const v4 = ipv4(host);
  if (v4 !== null) return { family: 4, bytes: v4 };
  if (!host.includes(':')) return null;
  const v6 = ipv6Groups(host);
  if (v6 === null) return null;
  const mapped = mappedIpv4(v6);
  return mapped !== null ? { family: 4, bytes: mapped } : { family: 6, bytes: v6 };
}

/** InetAddress.getHostAddress of a literal: dotted quad, or eight unpadded lower-case hex groups. */
function literalText(literal: IpLiteral): string {
  return literal.family === 4 ? literal.bytes.join('.') : ipv6Text(literal.bytes);
}

/**
 * InetSocketAddress.getHostString of an address built from `host`: an IP literal comes back in
 * InetAddress's canonical text ("::1" is "0:0:0:0:0:0:0:1", "127.1" is "127.0.0.1"), a name as
 * written ("" is "localhost"). 3.8 prints member and client hosts this way (QuorumServer.toString).
 */
export function javaHostString(host: string): string {
  // InetAddress.getByName("") is the loopback address, named "localhost".
  if (host === '') return 'localhost';
  const literal = ipLiteral(host);
  return literal === null ? host : literalText(literal);
}

/**
 * Resolves IP literals (IPv4 and IPv6) and "localhost" (to 127.0.0.1) without DNS; every other
 * name is left unresolved, which 3.8's duplicate check ignores and equality compares by name.
 */
export const literalHostResolver: HostResolver = (host) => {
  if (host === '' || host.toLowerCase() === 'localhost') return { kind: 'resolved', address: '127.0.0.1', scope: 'loopback' };
  const literal = ipLiteral(host);
  if (literal === null) return UNRESOLVED;
  const address = literalText(literal);
  const zero = literal.bytes.every((b) => b === 0);
  const loopback = literal.family === 4 ? literal.bytes[0] === 127 : literal.bytes.slice(0, 7).every((g) => g === 0) && literal.bytes[7] === 1;
  return { kind: 'resolved', address, scope: zero ? 'wildcard' : loopback ? 'loopback' : 'unicast' };
};

/** InetSocketAddress.equals under `resolve`. */
export function sameSocketAddress(a: SocketAddress, b: SocketAddress, resolve: HostResolver): boolean {
  if (a.port !== b.port) return false;
  const ra = resolve(a.host);
  const rb = resolve(b.host);
  if (ra.kind === 'resolved' && rb.kind === 'resolved') return ra.address === rb.address;
  if (ra.kind === 'unresolved' && rb.kind === 'unresolved') return a.host.toLowerCase() === b.host.toLowerCase();
  return false;
}

/** QuorumServer.excludedSpecialAddresses keeps only resolved, non-wildcard, non-loopback addresses. */
export function isOrdinaryAddress(address: SocketAddress, resolve: HostResolver): boolean {
  const resolved = resolve(address.host);
  return resolved.kind === 'resolved' && resolved.scope === 'unicast';
}

/** InetSocketAddress.toString for messages: "host/ip:port" when resolved, "host/<unresolved>:port" otherwise. */
export function describeSocketAddress(address: SocketAddress, resolve: HostResolver): string {
  const resolved = resolve(address.host);
  const ip = resolved.kind === 'resolved' ? resolved.address : '<unresolved>';
  return `${address.host}/${ip}:${address.port}`;
}
