// CRC-32 (IEEE 802.3, as java.util.zip.CRC32), incremental: `crc32Update` carries the register from
// one call to the next, so a fixed prefix (a znode's path and data) is checksummed once and only the
// changing suffix (its stat) again.

const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** The register before any byte. */
export const CRC32_START = 0xffffffff | 0;

export function crc32Update(register: number, bytes: Uint8Array): number {
  let c = register;
  for (let i = 0; i < bytes.length; i++) c = (TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return c;
}

/** The checksum of everything fed into `register`, as an unsigned 32-bit value. */
export function crc32Finish(register: number): number {
  return (register ^ 0xffffffff) >>> 0;
}

export function crc32(bytes: Uint8Array): number {
  return crc32Finish(crc32Update(CRC32_START, bytes));
}
