// IPv6 literals as Java's InetAddress reads and prints them. 3.8 shows a client's or a member's
// address in Java's text (ip ACL ids, the connection lists of the four-letter words) and compares
// member addresses by value (reconfig), so the three places parse the same way through here.

/**
 * The eight 16-bit groups of an IPv6 literal given without its %zone: at most one `::`, and a
 * dotted IPv4 tail (four decimal octets) standing for the last two groups. Null when it is not one.
 */
export function ipv6Groups(text: string): number[] | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  return missing >= 1 ? [...head, ...new Array<number>(missing).fill(0), ...tail] : null;
}

function groupsOf(text: string): number[] | null {
  if (text === '') return [];
  const groups: number[] = [];
  const parts = text.split(':');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (i === parts.length - 1 && part.includes('.')) {
      const octets = part.split('.');
      if (octets.length !== 4 || octets.some((octet) => !/^[0-9]{1,3}$/.test(octet) || Number(octet) > 255)) return null;
      const [a = 0, b = 0, c = 0, d = 0] = octets.map(Number);
      groups.push((a << 8) | b, (c << 8) | d);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return null;
    groups.push(Number.parseInt(part, 16));
  }
  return groups;
}

/** The IPv4 address an IPv4-mapped one (::ffff:a.b.c.d) stands for, as four bytes; null for any other. */
export function mappedIpv4(groups: readonly number[]): number[] | null {
  if (!groups.slice(0, 5).every((group) => group === 0) || groups[5] !== 0xffff) return null;
  const high = groups[6] ?? 0;
  const low = groups[7] ?? 0;
  return [high >> 8, high & 0xff, low >> 8, low & 0xff];
}

/** InetAddress.getHostAddress of an IPv6 address: eight unpadded lower-case hex groups. */
export function ipv6Text(groups: readonly number[]): string {
  return groups.map((group) => group.toString(16)).join(':');
}

/**
 * getHostAddress of an address as Node reports a socket's end: IPv4 as it is, IPv4-mapped IPv6 as
 * the IPv4 address (Java never shows the mapping), any other IPv6 as eight groups with its %zone.
 * Anything that is not an IPv6 literal comes back unchanged.
 */
export function javaHostAddress(address: string): string {
  if (!address.includes(':')) return address;
  const percent = address.indexOf('%');
  const bare = percent < 0 ? address : address.slice(0, percent);
  const zone = percent < 0 ? '' : address.slice(percent);
  const groups = ipv6Groups(bare);
  if (groups === null) return address;
  const ipv4 = mappedIpv4(groups);
  return ipv4 !== null ? ipv4.join('.') : ipv6Text(groups) + zone;
}
