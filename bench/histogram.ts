// A small HDR-like latency histogram: log-linear buckets over microseconds, 64 linear sub-buckets
// per power of two, so any recorded value is reported within 1/64 (1.6 %) of its true value.
// Fixed memory (a few KB), O(1) record, mergeable across sessions.

const SUB_BUCKET_BITS = 6;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS; // 64
/** Values up to 2^36 µs (about 19 hours) are tracked; larger ones are clamped into the top bucket. */
const MAX_EXPONENT = 36;
const BUCKET_COUNT = (MAX_EXPONENT - SUB_BUCKET_BITS + 2) * SUB_BUCKETS;

function bucketIndex(micros: number): number {
  const v = micros < 0 ? 0 : Math.floor(micros);
  if (v < SUB_BUCKETS) return v; // exact below 64 µs
  const exponent = Math.floor(Math.log2(v)); // >= SUB_BUCKET_BITS
  if (exponent > MAX_EXPONENT) return BUCKET_COUNT - 1;
  const shift = exponent - SUB_BUCKET_BITS;
  const sub = Math.floor(v / 2 ** shift) - SUB_BUCKETS; // 0..63
  return (shift + 1) * SUB_BUCKETS + sub;
}

/** Middle of the value range a bucket covers, in microseconds. */
function bucketValue(index: number): number {
  if (index < SUB_BUCKETS) return index;
  const shift = Math.floor(index / SUB_BUCKETS) - 1;
  const sub = index % SUB_BUCKETS;
  const low = (SUB_BUCKETS + sub) * 2 ** shift;
  return low + (2 ** shift - 1) / 2;
}

export interface LatencySummary {
  count: number;
  /** All in milliseconds. */
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;
  private sumMicros = 0;
  private minMicros = Number.POSITIVE_INFINITY;
  private maxMicros = 0;

  get count(): number {
    return this.total;
  }

  recordMicros(micros: number): void {
    const index = bucketIndex(micros);
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.total++;
    this.sumMicros += micros;
    if (micros < this.minMicros) this.minMicros = micros;
    if (micros > this.maxMicros) this.maxMicros = micros;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKET_COUNT; i++) {
      const c = other.counts[i] ?? 0;
      if (c !== 0) this.counts[i] = (this.counts[i] ?? 0) + c;
    }
    this.total += other.total;
    this.sumMicros += other.sumMicros;
    if (other.minMicros < this.minMicros) this.minMicros = other.minMicros;
    if (other.maxMicros > this.maxMicros) this.maxMicros = other.maxMicros;
  }

  /** Value at quantile q (0..1) in microseconds; 0 when empty. The exact max for q = 1. */
  quantileMicros(q: number): number {
    if (this.total === 0) return 0;
    if (q >= 1) return this.maxMicros;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(Math.max(bucketValue(i), this.minMicros), this.maxMicros);
    }
    return this.maxMicros;
  }

  summary(): LatencySummary {
    const ms = (micros: number): number => Math.round(micros) / 1000;
    return {
      count: this.total,
      minMs: this.total === 0 ? 0 : ms(this.minMicros),
      meanMs: this.total === 0 ? 0 : ms(this.sumMicros / this.total),
      p50Ms: ms(this.quantileMicros(0.5)),
      p90Ms: ms(this.quantileMicros(0.9)),
      p99Ms: ms(this.quantileMicros(0.99)),
      p999Ms: ms(this.quantileMicros(0.999)),
      maxMs: ms(this.maxMicros),
    };
  }
}
