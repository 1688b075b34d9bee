// A Clock whose time a test can shift and skew (the "clock" test hook). It wraps the real clock, so
// with no adjustment it answers exactly what the real one does.
//
// Both faces are shifted, as the hook interface asks, but not in the same way, because 3.8 reads
// them from two clocks that behave differently under a real fault:
// - wall (System.currentTimeMillis, stat mtime/ctime and txn times): an NTP step can move it either
//   way, so a jump is applied as is, backwards too;
// - monotonic (System.nanoTime, ticks, session expiry, sync/init limits, election timeouts): it
//   cannot step back. What a JVM can see is a forward jump (the process was paused, a VM was
//   suspended) and a faster or slower rate. So a forward shift jumps it forward, and a shift that
//   would move it back (a negative offset, or a reset after a positive one) only stops the jump: it
//   carries on from where it is at the new rate. Consumers subtract monotonic readings and compare
//   deadlines; a reading that went backwards would be a state 3.8 can never be in.

import type { Clock } from '../replica/ports.js';

interface Segment {
  /** Real readings when this adjustment began. */
  readonly realWall: number;
  readonly realMono: number;
  /** Adjusted readings at that moment (where this segment starts from). */
  readonly wallStart: number;
  readonly monoStart: number;
  readonly rate: number;
}

export class AdjustableClock implements Clock {
  readonly #real: Clock;
  #segment: Segment | null = null;
  /** Highest monotonic reading handed out: it never goes back. */
  #lastMono = Number.NEGATIVE_INFINITY;

  constructor(real: Clock) {
    this.#real = real;
  }

  /**
   * From now on wall time is the real wall time + offsetMs, advancing `rate` times as fast; the
   * monotonic clock jumps by offsetMs when that moves it forward (see above).
   */
  set(offsetMs: number, rate: number): void {
    if (!Number.isFinite(offsetMs)) throw new Error('offsetMs must be a finite number');
    if (!Number.isFinite(rate) || rate <= 0) throw new Error('rate must be a positive number');
    const realWall = this.#real.wallMs();
    const realMono = this.#real.monotonicMs();
    const monoNow = this.monotonicMs();
    this.#segment = {
      realWall,
      realMono,
      wallStart: realWall + offsetMs,
      monoStart: Math.max(monoNow, realMono + offsetMs),
      rate,
    };
  }

  /** Back to the real wall clock; the monotonic clock keeps its lead rather than stepping back. */
  reset(): void {
    this.set(0, 1);
  }

  wallMs(): number {
    const s = this.#segment;
    const real = this.#real.wallMs();
    if (s === null) return real;
    return Math.floor(s.wallStart + (real - s.realWall) * s.rate);
  }

  monotonicMs(): number {
    const s = this.#segment;
    const real = this.#real.monotonicMs();
    const value = s === null ? real : Math.floor(s.monoStart + (real - s.realMono) * s.rate);
    if (value > this.#lastMono) this.#lastMono = value;
    return this.#lastMono;
  }
}
