// ZooKeeper derives a session's password from java.util.Random seeded with the session id. To let a
// client move its session between our server and a Java server of the same ensemble, we reproduce
// that generator bit for bit (a 48-bit linear congruential generator, as specified by the JDK).

const MULTIPLIER = 0x5deece66dn;
const ADDEND = 0xbn;
const MASK_48 = (1n << 48n) - 1n;

export class JavaRandom {
  #seed: bigint;

  constructor(seed: bigint) {
    this.#seed = (BigInt.asIntN(64, seed) ^ MULTIPLIER) & MASK_48;
  }

  next(bits: number): number {
    this.#seed = (this.#seed * MULTIPLIER + ADDEND) & MASK_48;
    return Number(BigInt.asIntN(32, this.#seed >> BigInt(48 - bits)));
  }

  nextInt(): number {
    return this.next(32);
  }

  nextBytes(target: Uint8Array): void {
    let index = 0;
    while (index < target.length) {
      let random = this.nextInt();
      for (let n = Math.min(target.length - index, 4); n > 0; n--) {
        target[index++] = random & 0xff;
        random >>= 8;
      }
    }
  }
}
