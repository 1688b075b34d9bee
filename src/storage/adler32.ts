// Adler-32, the checksum ZooKeeper puts on every txn log entry and over every snapshot
// (java.util.zip.Adler32). Incremental, so a snapshot streamed in chunks is checksummed as it goes.
//
// It runs over every byte written and read: each log entry as it is appended and replayed, and a
// snapshot of a few hundred MB twice at each start. So it is kept in 32-bit integer arithmetic,
// unrolled, and over long ranges reads four bytes at a time.

const MOD_ADLER = 65521;
/** Largest run of bytes after which the sums, kept below 65521 between runs, still fit in an int32. */
const INT32_RUN = 3800;
/** Whether a Uint32Array reads bytes as a little-endian word (it uses the platform's order). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Ranges at least this long are checksummed a word at a time. */
const WORDS_FROM_BYTES = 1024;

export class Adler32 {
  #a = 1;
  #b = 0;
  /** A word view of the last ArrayBuffer updated from (a snapshot's chunks are few and reused). */
  #wordsOf: ArrayBufferLike | null = null;
  #words: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

  reset(): this {
    this.#a = 1;
    this.#b = 0;
    return this;
  }

  /** Adds bytes[start, end). */
  update(bytes: Uint8Array, start = 0, end = bytes.length): this {
    if (LITTLE_ENDIAN && end - start >= WORDS_FROM_BYTES) {
      this.#updateWords(bytes, start, end);
      return this;
    }
    let a = this.#a;
    let b = this.#b;
    let i = start;
    while (i < end) {
      const runEnd = Math.min(i + INT32_RUN, end);
      for (; i + 8 <= runEnd; i += 8) {
        a = (a + (bytes[i] as number)) | 0;
        b = (b + a) | 0;
        a = (a + (bytes[i + 1] as number)) | 0;
        b = (b + a) | 0;
        a = (a + (bytes[i + 2] as number)) | 0;
        b = (b + a) | 0;
        a = (a + (bytes[i + 3] as number)) | 0;
        b = (b + a) | 0;
        a = (a + (bytes[i + 4] as number)) | 0;
        b = (b + a) | 0;
        a = (a + (bytes[i + 5] as number)) | 0;
        b = (b + a) | 0;
        a = (a + (bytes[i + 6] as number)) | 0;
        b = (b + a) | 0;
        a = (a + (bytes[i + 7] as number)) | 0;
        b = (b + a) | 0;
      }
      for (; i < runEnd; i++) {
        a = (a + (bytes[i] as number)) | 0;
        b = (b + a) | 0;
      }
      a %= MOD_ADLER;
      b %= MOD_ADLER;
    }
    this.#a = a;
    this.#b = b;
    return this;
  }

  /**
   * update() four bytes at a time, read as one little-endian word: about 1.6 times as fast over a
   * large range. Over a block of n words, with T the sum of a word's bytes and S1, S2 the running
   * sums of T and of S1, and C1..C3 the sums of the words' 2nd..4th bytes, Adler-32's definition
   * (b gains a after every byte) gives a += S1 and b += 4n·a + 4·S2 - (C1 + 2·C2 + 3·C3). The even
   * and odd bytes are summed in two 16-bit lanes of one number each (x & 0x00ff00ff,
   * (x >>> 8) & 0x00ff00ff), which cannot overflow in a block of 256 words.
   */
  #updateWords(bytes: Uint8Array, start: number, end: number): void {
    if (bytes.buffer !== this.#wordsOf) {
      this.#wordsOf = bytes.buffer;
      this.#words = new Uint32Array(bytes.buffer, 0, bytes.buffer.byteLength >>> 2);
    }
    const words = this.#words;
    const base = bytes.byteOffset + start;
    const n = end - start;
    let a = this.#a;
    let b = this.#b;
    let i = 0;
    // The bytes before the first whole word (at most 3: a and b stay far below 2^31).
    const head = Math.min(n, (4 - (base & 3)) & 3);
    for (; i < head; i++) {
      a += bytes[start + i] as number;
      b += a;
    }
    a %= MOD_ADLER;
    b %= MOD_ADLER;
    let w = (base + i) / 4;
    const wordEnd = Math.floor((base + n) / 4);
    while (w < wordEnd) {
      const blockEnd = Math.min(w + 256, wordEnd);
      const count = blockEnd - w;
      let s1 = 0;
      let s2 = 0;
      let even = 0;
      let odd = 0;
      for (; w < blockEnd; w++) {
        const x = words[w] as number;
        const e = x & 0x00ff00ff;
        const o = (x >>> 8) & 0x00ff00ff;
        even += e;
        odd += o;
        const t = e + o;
        s1 += (t & 0xffff) + (t >>> 16);
        s2 += s1;
      }
      const weighted = (odd & 0xffff) + 2 * Math.floor(even / 65536) + 3 * Math.floor(odd / 65536);
      b = (b + ((4 * count) % MOD_ADLER) * a + 4 * (s2 % MOD_ADLER) + 3 * MOD_ADLER - (weighted % MOD_ADLER)) % MOD_ADLER;
      a = (a + s1) % MOD_ADLER;
    }
    // The bytes after the last whole word (at most 3).
    for (i = Math.max(i, w * 4 - base); i < n; i++) {
      a += bytes[start + i] as number;
      b += a;
    }
    this.#a = a % MOD_ADLER;
    this.#b = b % MOD_ADLER;
  }

  /** The checksum as an unsigned 32-bit number. */
  get value32(): number {
    return ((this.#b << 16) | this.#a) >>> 0;
  }

  /** The checksum as Java's Checksum.getValue() returns it: an unsigned 32-bit value in a long. */
  get value(): bigint {
    return BigInt(this.value32);
  }
}

export function adler32(bytes: Uint8Array): bigint {
  return new Adler32().update(bytes).value;
}

/** Reused: a txn log checks every entry it writes or replays, and each would otherwise allocate one. */
const scratch = new Adler32();

/** The Adler-32 of bytes[start, end) as a number. */
export function adler32Range(bytes: Uint8Array, start: number, end: number): number {
  return scratch.reset().update(bytes, start, end).value32;
}
