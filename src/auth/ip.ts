// The "ip" scheme grants access by client address. What an ACL like `ip:10.0.0.0/8` allows must be
// exactly what 3.8 allows, including its limits: only IPv4 expressions are understood (an IPv6 ACL
// is invalid and never matches) and malformed expressions simply do not match. The id a client gets
// is its address in Java's textual form, which is what 3.8 shows for it.

import type { Id } from '../jute/index.js';
import { javaParseInt } from '../config/java-values.js';
import { javaHostAddress } from '../lib/ip-address.js';

export const IP_SCHEME = 'ip';

/** IPAuthenticationProvider.addr2Bytes: four decimal octets 0..255, else null (no IPv6 support). */
function ipv4Bytes(address: string): number[] | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const part of parts) {
    const value = javaParseInt(part);
    if (value === undefined || value < 0 || value > 255) return null;
    bytes.push(value);
  }
  return bytes;
}

function mask(bytes: number[], bits: number): void {
  let index = Math.floor(bits / 8);
  let byteMask = ~((1 << (8 - (bits % 8))) - 1) & 0xff;
  while (index < bytes.length) {
    bytes[index] = (bytes[index] ?? 0) & byteMask;
    byteMask = 0;
    index++;
  }
}

/** Prefix length of `a.b.c.d/bits`; null when present but not an int within 0..32. */
function prefixBits(parts: string[], width: number): number | null {
  if (parts.length < 2) return width;
  const bits = javaParseInt(parts[1] ?? '');
  if (bits === undefined || bits < 0 || bits > width) return null;
  return bits;
}

function splitOnce(value: string, separator: string): string[] {
  const at = value.indexOf(separator);
  return at < 0 ? [value] : [value.slice(0, at), value.slice(at + 1)];
}

/** Whether a client whose ip id is `id` matches the ACL expression (`a.b.c.d` or `a.b.c.d/bits`). */
export function ipMatches(id: string, aclExpr: string): boolean {
  const parts = splitOnce(aclExpr, '/');
  const aclAddress = ipv4Bytes(parts[0] ?? '');
  if (aclAddress === null) return false;
  const bits = prefixBits(parts, aclAddress.length * 8);
  if (bits === null) return false;
  mask(aclAddress, bits);
  const remote = ipv4Bytes(id);
  if (remote === null) return false;
  mask(remote, bits);
  return remote.every((byte, i) => byte === aclAddress[i]);
}

/** Whether `id` may be used in an ip ACL (else setting the ACL fails with InvalidACL). */
export function isValidIpId(id: string): boolean {
  const parts = splitOnce(id, '/');
  const address = ipv4Bytes(parts[0] ?? '');
  if (address === null) return false;
  return prefixBits(parts, address.length * 8) !== null;
}

/**
 * A client's ip id from a socket's remote address, in the form Java's getHostAddress gives: IPv4
 * as is (also when it arrives IPv4-mapped, "::ffff:a.b.c.d"), IPv6 as eight uncompressed groups.
 */
export function ipAuthId(remoteAddress: string): string {
  return javaHostAddress(remoteAddress);
}

/** The ids every connection gets on arrival (3.8 adds `ip:<address>` for each client). */
export function ipAuthIds(remoteAddress: string): Id[] {
  return [{ scheme: IP_SCHEME, id: ipAuthId(remoteAddress) }];
}
