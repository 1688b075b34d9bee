// CRC-32 (as lib/crc32, the same register convention) over a range of a larger buffer and over a
// string's UTF-8 bytes. The tree digests every node's path, data and stat: loading a million znodes
// from a snapshot, views and encoded copies made only to be checksummed were a million allocations
// each, and most of the load time went to collecting them.

/**
 * Eight tables of 256 (slicing-by-8): table k gives the CRC of a byte followed by k zero bytes, so
 * eight bytes are folded in with eight lookups and no dependency between them, about three times
 * as fast as a byte at a time over a znode's data and stat.
 */
const TABLES = (() => {
  const tables = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    tables[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[n] as number;
    for (let k = 1; k < 8; k++) {
      c = (tables[c & 0xff] as number) ^ (c >>> 8);
      tables[k * 256 + n] = c;
    }
  }
  return tables;
})();

/** Feeds bytes[start, end) into the register. */
export function crc32UpdateRange(register: number, bytes: Uint8Array, start: number, end: number): number {
  const t = TABLES;
  let c = register;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    c ^= (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24);
    c =
      (t[1792 + (c & 0xff)] as number) ^
      (t[1536 + ((c >>> 8) & 0xff)] as number) ^
      (t[1280 + ((c >>> 16) & 0xff)] as number) ^
      (t[1024 + (c >>> 24)] as number) ^
      (t[768 + (bytes[i + 4] as number)] as number) ^
      (t[512 + (bytes[i + 5] as number)] as number) ^
      (t[256 + (bytes[i + 6] as number)] as number) ^
      (t[bytes[i + 7] as number] as number);
  }
  for (; i < end; i++) c = (t[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return c;
}

/**
 * crc32UpdateRange that also copies bytes[start, end) to target[at..]: a snapshot load copies
 * every node's data out of the read buffer and checksums it, and doing both in one pass leaves no
 * view object behind for each node (see DataTree.loadSnapshotNode).
 */
export function crc32CopyRange(register: number, bytes: Uint8Array, start: number, end: number, target: Uint8Array, at: number): number {
  const t = TABLES;
  let c = register;
  let i = start;
  const shift = at - start;
  for (; i + 8 <= end; i += 8) {
    const b0 = bytes[i] as number;
    const b1 = bytes[i + 1] as number;
    const b2 = bytes[i + 2] as number;
    const b3 = bytes[i + 3] as number;
    const b4 = bytes[i + 4] as number;
    const b5 = bytes[i + 5] as number;
    const b6 = bytes[i + 6] as number;
    const b7 = bytes[i + 7] as number;
    const to = i + shift;
    target[to] = b0;
    target[to + 1] = b1;
    target[to + 2] = b2;
    target[to + 3] = b3;
    target[to + 4] = b4;
    target[to + 5] = b5;
    target[to + 6] = b6;
    target[to + 7] = b7;
    c ^= b0 | (b1 << 8) | (b2 << 16) | (b3 << 24);
    c =
      (t[1792 + (c & 0xff)] as number) ^
      (t[1536 + ((c >>> 8) & 0xff)] as number) ^
      (t[1280 + ((c >>> 16) & 0xff)] as number) ^
      (t[1024 + (c >>> 24)] as number) ^
      (t[768 + b4] as number) ^
      (t[512 + b5] as number) ^
      (t[256 + b6] as number) ^
      (t[b7] as number);
  }
  for (; i < end; i++) {
    const b = bytes[i] as number;
    target[i + shift] = b;
    c = (t[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  }
  return c;
}

/** Feeds one byte into the register. */
export function crc32UpdateByte(register: number, byte: number): number {
  return (TABLES[(register ^ byte) & 0xff] as number) ^ (register >>> 8);
}

/** Feeds the UTF-8 encoding of `text` into the register; ASCII (every path we see in practice) is read in place. */
export function crc32UpdateUtf8(register: number, text: string): number {
  let c = register;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) {
      const bytes = Buffer.from(text, 'utf8');
      return crc32UpdateRange(register, bytes, 0, bytes.length);
    }
    c = (TABLES[(c ^ code) & 0xff] as number) ^ (c >>> 8);
  }
  return c;
}
