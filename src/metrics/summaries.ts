// The summaries behind mntr, srvr/stat and the AdminServer, kept as 3.8 keeps them: BufferStats for
// buffer sizes (the leader's proposals, the replies to clients), AvgMinMaxCounter and
// AvgMinMaxPercentileCounter summaries, and summary sets keyed by a learner's server id.

import type { BufferSizes, PercentileSummaryStats, PerServerSummary, SummaryStats } from '../admin/index.js';

/** 3.8's BufferStats: -1 until the first sample. */
export class BufferSizeStats {
  #last = -1;
  #min = -1;
  #max = -1;

  add(size: number): void {
    this.#last = size;
    if (this.#min === -1 || size < this.#min) this.#min = size;
    if (size > this.#max) this.#max = size;
  }

  reset(): void {
    this.#last = -1;
    this.#min = -1;
    this.#max = -1;
  }

  snapshot(): BufferSizes {
    return { last: this.#last, min: this.#min, max: this.#max };
  }
}

/** 3.8's AvgMinMaxCounter. */
export class Summary {
  protected count = 0;
  protected sum = 0;
  protected min = Number.MAX_SAFE_INTEGER;
  protected max = Number.MIN_SAFE_INTEGER;

  add(value: number): void {
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.min = Number.MAX_SAFE_INTEGER;
    this.max = Number.MIN_SAFE_INTEGER;
  }

  snapshot(): SummaryStats {
    return { count: this.count, sum: this.sum, min: this.min, max: this.max };
  }
}

/** How many samples a percentile summary keeps (the size of 3.8's uniform reservoir). */
const RESERVOIR_SIZE = 1028;

/**
 * 3.8's AvgMinMaxPercentileCounter. Its quantiles come from a reservoir of samples; this one keeps
 * the newest RESERVOIR_SIZE instead of a uniform draw (no randomness), and reads a quantile as
 * the reservoir's snapshot does: linear interpolation at q * (n + 1).
 */
export class PercentileSummary extends Summary {
  #samples: number[] = [];
  #next = 0;

  override add(value: number): void {
    super.add(value);
    if (this.#samples.length < RESERVOIR_SIZE) this.#samples.push(value);
    else this.#samples[this.#next] = value;
    this.#next = (this.#next + 1) % RESERVOIR_SIZE;
  }

  override reset(): void {
    super.reset();
    this.#samples = [];
    this.#next = 0;
  }

  override snapshot(): PercentileSummaryStats {
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const quantile = (q: number): number => {
      if (sorted.length === 0) return 0;
      const pos = q * (sorted.length + 1);
      if (pos < 1) return sorted[0] ?? 0;
      if (pos >= sorted.length) return sorted[sorted.length - 1] ?? 0;
      const lower = sorted[Math.floor(pos) - 1] ?? 0;
      const upper = sorted[Math.floor(pos)] ?? 0;
      return lower + (pos - Math.floor(pos)) * (upper - lower);
    };
    return { ...super.snapshot(), p50: quantile(0.5), p95: quantile(0.95), p99: quantile(0.99), p999: quantile(0.999) };
  }
}

interface Summarising<T extends SummaryStats> {
  add(value: number): void;
  reset(): void;
  snapshot(): T;
}

/** A summary set: one summary per learner, created on its first sample and never dropped. */
export class PerServer<T extends SummaryStats> {
  readonly #make: () => Summarising<T>;
  readonly #bySid = new Map<bigint, Summarising<T>>();

  constructor(make: () => Summarising<T>) {
    this.#make = make;
  }

  add(sid: bigint, value: number): void {
    let summary = this.#bySid.get(sid);
    if (summary === undefined) {
      summary = this.#make();
      this.#bySid.set(sid, summary);
    }
    summary.add(value);
  }

  /** Zeroes every summary; the learners stay listed, as in 3.8's resetAllValues. */
  reset(): void {
    for (const summary of this.#bySid.values()) summary.reset();
  }

  snapshot(): PerServerSummary<T>[] {
    return [...this.#bySid.entries()].map(([sid, summary]) => ({ sid, stats: summary.snapshot() }));
  }
}
