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
