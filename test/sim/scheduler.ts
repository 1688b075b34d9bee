// Simulated time: a priority queue of events ordered by (time, insertion order), so two events at
// the same instant run in the order they were scheduled and a run replays exactly from its seed.
// The trace keeps the last lines in a ring (all of them when asked), for the failure report.

interface ScheduledEvent {
  readonly time: number;
  readonly seq: number;
  readonly run: () => void;
}

export class Scheduler {
  #heap: ScheduledEvent[] = [];
  #seq = 0;
  #now = 0;
  #steps = 0;

  get now(): number {
    return this.#now;
  }

  /** Events run so far. */
  get steps(): number {
    return this.#steps;
  }

  get pending(): number {
    return this.#heap.length;
  }

  at(time: number, run: () => void): void {
    const event = { time: Math.max(time, this.#now), seq: this.#seq++, run };
    const heap = this.#heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(event, heap[parent] as ScheduledEvent)) break;
      heap[i] = heap[parent] as ScheduledEvent;
      i = parent;
    }
    heap[i] = event;
  }

  after(delayMs: number, run: () => void): void {
    this.at(this.#now + Math.max(0, delayMs), run);
  }

  /** Runs the next event; false when none is left. */
  step(): boolean {
    const heap = this.#heap;
    const first = heap[0];
    if (first === undefined) return false;
    const last = heap.pop() as ScheduledEvent;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && before(heap[right] as ScheduledEvent, heap[left] as ScheduledEvent) ? right : left;
        if (!before(heap[child] as ScheduledEvent, last)) break;
        heap[i] = heap[child] as ScheduledEvent;
        i = child;
      }
      heap[i] = last;
    }
    this.#now = first.time;
    this.#steps++;
    first.run();
    return true;
  }
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

export class Trace {
  readonly #ring: string[];
  #next = 0;
  #count = 0;
  readonly #echo: ((line: string) => void) | null;
  readonly #clock: () => number;

  constructor(capacity: number, clock: () => number, echo: ((line: string) => void) | null) {
    this.#ring = new Array<string>(capacity);
    this.#clock = clock;
    this.#echo = echo;
  }

  log(line: string): void {
    const text = `${this.#clock().toFixed(1).padStart(10)}ms  ${line}`;
    if (this.#echo !== null) this.#echo(text);
    if (this.#ring.length === 0) return;
    this.#ring[this.#next] = text;
    this.#next = (this.#next + 1) % this.#ring.length;
    this.#count++;
  }

  /** The kept lines, oldest first. */
  lines(): string[] {
    const size = Math.min(this.#count, this.#ring.length);
    const out: string[] = [];
    for (let i = 0; i < size; i++) out.push(this.#ring[(this.#next - size + i + this.#ring.length) % this.#ring.length] as string);
    return out;
  }
}
