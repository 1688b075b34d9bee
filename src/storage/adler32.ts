// Adler-32, the checksum ZooKeeper puts on every txn log entry and over every snapshot
// (java.util.zip.Adler32). Incremental, so a snapshot streamed in chunks is checksummed as it goes.

const MOD_ADLER = 65521;
/** Largest run of bytes whose sums cannot overflow 2^53 before the modulo (zlib's NMAX). */
const NMAX = 5552;

export class Adler32 {
  #a = 1;
  #b = 0;

  update(bytes: Uint8Array): this {
    let a = this.#a;
    let b = this.#b;
    let index = 0;
    while (index < bytes.length) {
      const end = Math.min(index + NMAX, bytes.length);
      for (; index < end; index++) {
        a += bytes[index] as number;
        b += a;
      }
      a %= MOD_ADLER;
      b %= MOD_ADLER;
    }
    this.#a = a;
    this.#b = b;
    return this;
  }

  /** The checksum as Java's Checksum.getValue() returns it: an unsigned 32-bit value in a long. */
  get value(): bigint {
    return BigInt(((this.#b << 16) | this.#a) >>> 0);
  }
}

export function adler32(bytes: Uint8Array): bigint {
  return new Adler32().update(bytes).value;
}

/** Largest run of bytes after which the sums, kept below 65521 between runs, still fit in an int32. */
const INT32_RUN = 3800;

/**
 * The Adler-32 of bytes[start, end) as a number (the low word of what adler32 returns): recovery
 * checks every entry of every log it reads, and an object and a bigint per entry were a measurable
 * share of replaying a million of them.
 */
export function adler32Range(bytes: Uint8Array, start: number, end: number): number {
  let a = 1;
  let b = 0;
  let i = start;
  while (i < end) {
    const runEnd = Math.min(i + INT32_RUN, end);
    for (; i + 4 <= runEnd; i += 4) {
      a = (a + (bytes[i] as number)) | 0;
      b = (b + a) | 0;
      a = (a + (bytes[i + 1] as number)) | 0;
      b = (b + a) | 0;
      a = (a + (bytes[i + 2] as number)) | 0;
      b = (b + a) | 0;
      a = (a + (bytes[i + 3] as number)) | 0;
      b = (b + a) | 0;
    }
    for (; i < runEnd; i++) {
      a = (a + (bytes[i] as number)) | 0;
      b = (b + a) | 0;
    }
    a %= MOD_ADLER;
    b %= MOD_ADLER;
  }
  return ((b << 16) | a) >>> 0;
}
