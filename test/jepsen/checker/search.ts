/**
 * The Wing & Gong linearizability search with Lowe's improvements ("just-in-time linearization"
 * with a cache of configurations), as in Knossos' wgl and Porcupine.
 *
 * The history is a doubly linked list of call and return entries in real-time order. The search
 * repeatedly picks a call entry that comes before the first remaining return entry (an operation
 * that may take effect now), applies it to the model, and removes its entries from the list; it
 * backtracks when it reaches a return entry (an operation that has completed but was not
 * linearized). A configuration (set of linearized operations, model state) is explored once.
 * It is iterative: an explicit stack holds the choices, so depth is bounded only by memory.
 *
 * Operations with an unknown outcome (:info, or no completion) have no return entry: they may be
 * linearized at any point after their invocation, or never; the search succeeds once every
 * completed operation is linearized. Two reductions keep their combinatorics down, both sound:
 * identical unknown-outcome operations (same :f and value) are interchangeable, so they are taken
 * in invocation order only; and applying one that leaves the state unchanged is never needed
 * (the configuration without it allows everything the one with it does).
 *
 * Compact configurations: with r the first remaining return entry, every completed operation that
 * returned before r is linearized and no operation invoked after r is, so the linearized set is
 * determined by r, the completed operations open at r (at most the concurrency) and the
 * unknown-outcome operations invoked before r. The cache stores exactly that, not a bitset over the
 * whole history, so its memory grows linearly with the history's length, not quadratically.
 *
 * `run(budget)` does at most `budget` steps and may be called again to resume, so that a caller
 * can interleave several searches and enforce a time limit.
 */
import { ednKey } from '../history/edn.js';
import type { Model, PairedOp } from './model.js';

export type RunStatus = 'valid' | 'invalid' | 'paused' | 'memory';

export interface SearchFailure {
  /** The operation whose completion no consistent linearization could get past. */
  readonly op: PairedOp;
  /** Model states (shown) in which the search stood at that completion, at most 10. */
  readonly states: readonly string[];
  /** True when there were more such states than listed. */
  readonly moreStates: boolean;
  /** The operations linearized, in order, on one of those paths. */
  readonly path: readonly PairedOp[];
}

/** Bytes of configuration cache that searches may use together. */
export class MemoryBudget {
  used = 0;
  constructor(readonly max: number) {}
  /** Reserves `bytes`; false (nothing reserved) when that would exceed the maximum. */
  take(bytes: number): boolean {
    if (this.used + bytes > this.max) return false;
    this.used += bytes;
    return true;
  }
  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

export const DEFAULT_MAX_CACHE_BYTES = 1024 * 1024 * 1024;

export interface SearchOptions {
  /** Shared memory budget for configuration caches; by default 1 GiB for this search alone. */
  readonly memory?: MemoryBudget;
  /**
   * Key the cache on the whole linearized bitset instead of the compact form (for tests: both
   * must explore exactly the same configurations).
   */
  readonly fullKeys?: boolean;
}

const MAX_STATES_SHOWN = 10;
const MAX_TRANSITIONS_CACHED = 1 << 22;

/** A set of variable-length keys (Uint32 words): open addressing over one pool of words. */
class KeySet {
  private pool = new Uint32Array(256);
  private used = 0;
  private count = 0;
  private table = new Int32Array(64); // offset in pool + 1, 0 = empty
  private hashes = new Int32Array(64);
  private mask = 63;
  private counted = 0;

  constructor(private readonly memory: MemoryBudget) {}

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.pool.byteLength + this.table.byteLength * 2;
  }

  private reserve(bytes: number): boolean {
    if (!this.memory.take(bytes)) return false;
    this.counted += bytes;
    return true;
  }

  /** Frees the set and returns its memory to the budget. */
  release(): void {
    this.memory.give(this.counted);
    this.counted = 0;
    this.pool = new Uint32Array(0);
    this.used = 0;
    this.count = 0;
    this.table = new Int32Array(1);
    this.hashes = new Int32Array(1);
    this.mask = 0;
  }

  /** Adds key[0..len): 1 if added, 0 if already present, -1 if out of memory. */
  add(key: Uint32Array, len: number): number {
    // a hash of the whole key (murmur3-style mixing), so that equal keys always meet
    let h = len | 0;
    for (let w = 0; w < len; w++) {
      let k = Math.imul(key[w] ?? 0, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, 0x1b873593);
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    const table = this.table;
    const hashes = this.hashes;
    const pool = this.pool;
    const mask = this.mask;
    let slot = h & mask;
    for (;;) {
      const e = table[slot] ?? 0;
      if (e === 0) break;
      if (hashes[slot] === h) {
        const base = e - 1;
        if (pool[base] === len) {
          let same = true;
          for (let w = 0; w < len; w++) {
            if (pool[base + 1 + w] !== key[w]) {
              same = false;
              break;
            }
          }
          if (same) return 0;
        }
      }
      slot = (slot + 1) & mask;
    }
    if (this.used + len + 1 > this.pool.length) {
      let bigger = this.pool.length * 2;
      while (this.used + len + 1 > bigger) bigger *= 2;
      if (!this.reserve((bigger - this.pool.length) * 4)) return -1;
      const p = new Uint32Array(bigger);
      p.set(this.pool.subarray(0, this.used));
      this.pool = p;
    }
    const base = this.used;
    this.pool[base] = len;
    this.pool.set(key.subarray(0, len), base + 1);
    this.used += len + 1;
    this.count++;
    table[slot] = base + 1;
    hashes[slot] = h;
    if (this.count * 2 > mask + 1) {
      if (!this.reserve(this.table.byteLength * 2)) return -1;
      this.grow();
    }
    return 1;
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const table = new Int32Array(cap);
    const hashes = new Int32Array(cap);
    const mask = cap - 1;
    for (let s = 0; s <= this.mask; s++) {
      const e = this.table[s] ?? 0;
      if (e === 0) continue;
      const h = this.hashes[s] ?? 0;
      let slot = h & mask;
      while ((table[slot] ?? 0) !== 0) slot = (slot + 1) & mask;
      table[slot] = e;
      hashes[slot] = h;
    }
    this.table = table;
    this.hashes = hashes;
    this.mask = mask;
  }
}

/** A bounded cache of model transitions (state id, op) -> state id or -1; forgets all when full. */
class TransitionCache {
  private froms: Int32Array;
  private ops: Int32Array;
  private results: Int32Array;
  private mask: number;
  private count = 0;

  constructor(private readonly maxEntries: number) {
    this.froms = new Int32Array(1024).fill(-1);
    this.ops = new Int32Array(1024);
    this.results = new Int32Array(1024);
    this.mask = 1023;
  }

  private slot(from: number, op: number): number {
    let h = Math.imul(from, 0x9e3779b1) ^ Math.imul(op + 0x632be5ab, 0x85ebca6b);
    h ^= h >>> 15;
    return h & this.mask;
  }

  /** The cached result, or -2 when absent. */
  get(from: number, op: number): number {
    const froms = this.froms;
    for (let s = this.slot(from, op); ; s = (s + 1) & this.mask) {
      const f = froms[s] ?? -1;
      if (f === -1) return -2;
      if (f === from && this.ops[s] === op) return this.results[s] ?? -2;
    }
  }

  set(from: number, op: number, result: number): void {
    if ((this.count + 1) * 2 > this.mask + 1) {
      const cap = (this.mask + 1) * 2;
      if (cap > this.maxEntries * 2) {
        this.froms.fill(-1);
        this.count = 0;
      } else {
        const { froms, ops, results } = this;
        this.froms = new Int32Array(cap).fill(-1);
        this.ops = new Int32Array(cap);
        this.results = new Int32Array(cap);
        this.mask = cap - 1;
        this.count = 0;
        for (let s = 0; s < froms.length; s++) {
          const f = froms[s] ?? -1;
          if (f !== -1) this.set(f, ops[s] ?? 0, results[s] ?? -1);
        }
      }
    }
    let s = this.slot(from, op);
    while ((this.froms[s] ?? -1) !== -1) s = (s + 1) & this.mask;
    this.froms[s] = from;
    this.ops[s] = op;
    this.results[s] = result;
    this.count++;
  }
}

export class WglSearch<S> {
  private readonly ops: readonly PairedOp[];
  private readonly n: number;
  /** 1 for an unknown-outcome op (no return entry). */
  private readonly info: Uint8Array;
  /** For an unknown-outcome op: the previous identical one (in invocation order), or -1. */
  private readonly twinPrev: Int32Array;
  /** For an unknown-outcome op: its number among them (invocation order). */
  private readonly infoNumber: Int32Array;
  /** For a completed op j: how many unknown-outcome ops are invoked before its completion. */
  private readonly infoBefore: Int32Array;
  /** For a completed op j: the completed ops open at its completion (invoked before, completing after). */
  private readonly openStart: Int32Array;
  private readonly openEnd: Int32Array;
  private readonly openOps: Int32Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly head: number;
  /** The linearized set: one bit per op, and one per unknown-outcome op. */
  private readonly bits: Uint32Array;
  private readonly infoBits: Uint32Array;
  private readonly key: Uint32Array;
  private readonly fullKeys: boolean;
  private readonly stackEntry: Int32Array;
  private readonly stackState: Int32Array;
  private readonly stackFirstRet: Int32Array;
  private readonly visited: KeySet;

  private readonly states: S[] = [];
  private readonly stateIds = new Map<string, number>();
  private transitions = new TransitionCache(MAX_TRANSITIONS_CACHED);

  private entry: number;
  private firstRet: number;
  private state = 0;
  private sp = 0;
  private returnsLeft = 0;
  private status: RunStatus = 'paused';
  private stepCount = 0;

  private bestRet = -1;
  private bestOp = -1;
  private bestStates: number[] = [];
  private moreStates = false;
  private bestPath: Int32Array = new Int32Array(0);

  constructor(
    private readonly model: Model<S>,
    ops: readonly PairedOp[],
    options: SearchOptions = {},
  ) {
    this.ops = [...ops].sort((a, b) => a.call - b.call);
    const n = this.ops.length;
    this.n = n;
    this.info = new Uint8Array(n);
    this.twinPrev = new Int32Array(n).fill(-1);
    this.infoNumber = new Int32Array(n).fill(-1);
    this.infoBefore = new Int32Array(n);
    const events: { pos: number; id: number }[] = [];
    const lastTwin = new Map<string, number>();
    let infos = 0;
    this.ops.forEach((op, i) => {
      events.push({ pos: op.call, id: 2 * i });
      if (Number.isFinite(op.ret)) {
        if (!(op.ret > op.call)) throw new Error(`operation completes before it is invoked (position ${op.call})`);
        events.push({ pos: op.ret, id: 2 * i + 1 });
        this.returnsLeft++;
      } else {
        this.info[i] = 1;
        this.infoNumber[i] = infos++;
        const k = `${op.input.f}\u0000${ednKey(op.input.value)}`;
        this.twinPrev[i] = lastTwin.get(k) ?? -1;
        lastTwin.set(k, i);
      }
    });
    events.sort((a, b) => a.pos - b.pos || a.id - b.id);

    // linked list, and per completed op: open ops and unknown-outcome ops invoked before it
    this.head = 2 * n;
    this.next = new Int32Array(2 * n + 1).fill(-1);
    this.prev = new Int32Array(2 * n + 1).fill(-1);
    this.openStart = new Int32Array(n);
    this.openEnd = new Int32Array(n);
    const open = new Set<number>();
    const openFlat: number[] = [];
    let infosSeen = 0;
    let maxOpen = 0;
    let last = this.head;
    for (const e of events) {
      this.next[last] = e.id;
      this.prev[e.id] = last;
      last = e.id;
      const i = e.id >> 1;
      if ((e.id & 1) === 0) {
        if (this.info[i] === 1) infosSeen++;
        else open.add(i);
      } else {
        open.delete(i);
        this.infoBefore[i] = infosSeen;
        this.openStart[i] = openFlat.length;
        for (const k of open) openFlat.push(k);
        this.openEnd[i] = openFlat.length;
        maxOpen = Math.max(maxOpen, open.size);
      }
    }
    this.next[last] = -1;
    this.openOps = Int32Array.from(openFlat);

    this.bits = new Uint32Array(Math.max(1, Math.ceil(n / 32)));
    this.infoBits = new Uint32Array(Math.max(1, Math.ceil(infos / 32)));
    this.fullKeys = options.fullKeys ?? false;
    this.key = new Uint32Array(Math.max(2 + this.infoBits.length + Math.ceil(maxOpen / 32) + 1, 1 + this.bits.length));
    this.stackEntry = new Int32Array(n + 1);
    this.stackState = new Int32Array(n + 1);
    this.stackFirstRet = new Int32Array(n + 1);
    this.visited = new KeySet(options.memory ?? new MemoryBudget(DEFAULT_MAX_CACHE_BYTES));
    this.state = this.intern(model.init());
    this.entry = this.next[this.head] ?? -1;
    this.firstRet = this.firstReturnFrom(this.entry);
    if (this.returnsLeft === 0) this.status = 'valid';
  }

  /** Search steps done so far. */
  get steps(): number {
    return this.stepCount;
  }

  /** Configurations cached so far. */
  get configurations(): number {
    return this.visited.size;
  }

  get cacheBytes(): number {
    return this.visited.bytes;
  }

  get result(): RunStatus {
    return this.status;
  }

  get operations(): number {
    return this.n;
  }

  /** Frees the configuration cache (and returns its memory to the budget); the verdict stays. */
  release(): void {
    this.visited.release();
    this.transitions = new TransitionCache(0);
    if (this.status === 'paused') this.status = 'memory';
  }

  private intern(s: S): number {
    const k = this.model.key(s);
    let id = this.stateIds.get(k);
    if (id === undefined) {
      id = this.states.length;
      this.states.push(s);
      this.stateIds.set(k, id);
    }
    return id;
  }

  /** The state id after op i from state id `from`, or -1 when illegal. Cached. */
  private stepFrom(from: number, i: number): number {
    const cached = this.transitions.get(from, i);
    if (cached !== -2) return cached;
    const op = this.ops[i];
    const s = this.states[from];
    let r = -1;
    if (op !== undefined && s !== undefined) {
      const nextState = this.model.step(s, op.input, op.output);
      if (nextState !== null) r = this.intern(nextState);
    }
    this.transitions.set(from, i, r);
    return r;
  }

  /** The first return entry at or after `e` in the list, or -1. */
  private firstReturnFrom(e: number): number {
    const next = this.next;
    while (e >= 0 && (e & 1) === 0) e = next[e] ?? -1;
    return e;
  }

  /**
   * Writes the cache key of the configuration (current linearized set, `state`) whose first
   * remaining return entry is `firstRet` into this.key; returns its length.
   */
  private writeKey(state: number, firstRet: number): number {
    const key = this.key;
    key[0] = state;
    if (this.fullKeys) {
      key.set(this.bits, 1);
      return 1 + this.bits.length;
    }
    const j = firstRet >> 1;
    key[1] = j;
    let len = 2;
    const infoWords = ((this.infoBefore[j] ?? 0) + 31) >>> 5;
    const infoBits = this.infoBits;
    for (let w = 0; w < infoWords; w++) key[len++] = infoBits[w] ?? 0;
    const bits = this.bits;
    const openOps = this.openOps;
    const end = this.openEnd[j] ?? 0;
    let word = 0;
    let b = 0;
    for (let t = this.openStart[j] ?? 0; t < end; t++) {
      const k = openOps[t] ?? 0;
      if (((bits[k >> 5] ?? 0) & (1 << (k & 31))) !== 0) word |= 1 << b;
      if (++b === 32) {
        key[len++] = word;
        word = 0;
        b = 0;
      }
    }
    if (b > 0) key[len++] = word;
    return len;
  }

  /** Runs at most `budget` steps. Returns 'paused' when the budget ran out before a verdict. */
  run(budget: number): RunStatus {
    if (this.status !== 'paused') return this.status;
    const { next, prev, info, twinPrev, infoNumber, bits, infoBits, stackEntry, stackState, stackFirstRet, visited, head } =
      this;
    let entry = this.entry;
    let state = this.state;
    let sp = this.sp;
    let returnsLeft = this.returnsLeft;
    let firstRet = this.firstRet;
    let steps = 0;
    let status: RunStatus = 'paused';
    for (;;) {
      if (returnsLeft === 0) {
        status = 'valid';
        break;
      }
      if (steps >= budget) break;
      steps++;
      if (entry < 0) throw new Error('linearizability search: ran past the end of the history');
      if ((entry & 1) === 0) {
        // a call entry: try to linearize the operation now
        const i = entry >> 1;
        const isInfo = info[i] === 1;
        if (isInfo) {
          const t = twinPrev[i] ?? -1;
          if (t >= 0 && ((bits[t >> 5] ?? 0) & (1 << (t & 31))) === 0) {
            entry = next[entry] ?? -1;
            continue;
          }
        }
        const ns = this.stepFrom(state, i);
        if (ns >= 0 && !(isInfo && ns === state)) {
          const w = i >> 5;
          const bit = 1 << (i & 31);
          bits[w] = (bits[w] ?? 0) | bit;
          const inum = isInfo ? (infoNumber[i] ?? 0) : -1;
          if (isInfo) infoBits[inum >> 5] = (infoBits[inum >> 5] ?? 0) | (1 << (inum & 31));
          // the first return entry once i is linearized
          const fr = !isInfo && entry + 1 === firstRet ? this.firstReturnFrom(next[firstRet] ?? -1) : firstRet;
          let added = 1;
          if (fr >= 0) {
            const len = this.writeKey(ns, fr);
            added = visited.add(this.key, len);
          }
          if (added === 1) {
            stackEntry[sp] = entry;
            stackState[sp] = state;
            stackFirstRet[sp] = firstRet;
            sp++;
            state = ns;
            firstRet = fr;
            // lift the call entry and, if any, its return entry
            let p = prev[entry] ?? -1;
            let q = next[entry] ?? -1;
            next[p] = q;
            if (q >= 0) prev[q] = p;
            if (!isInfo) {
              const r = entry + 1;
              p = prev[r] ?? -1;
              q = next[r] ?? -1;
              next[p] = q;
              if (q >= 0) prev[q] = p;
              returnsLeft--;
            }
            entry = next[head] ?? -1;
            continue;
          }
          bits[w] = (bits[w] ?? 0) & ~bit;
          if (isInfo) infoBits[inum >> 5] = (infoBits[inum >> 5] ?? 0) & ~(1 << (inum & 31));
          if (added < 0) {
            status = 'memory';
            break;
          }
        }
        entry = next[entry] ?? -1;
      } else {
        // a return entry: this operation completed without being linearized; backtrack
        this.recordStuck(entry >> 1, state, sp);
        if (sp === 0) {
          status = 'invalid';
          break;
        }
        sp--;
        entry = stackEntry[sp] ?? -1;
        state = stackState[sp] ?? 0;
        firstRet = stackFirstRet[sp] ?? -1;
        const i = entry >> 1;
        bits[i >> 5] = (bits[i >> 5] ?? 0) & ~(1 << (i & 31));
        // unlift, in the reverse order of lifting
        if (info[i] !== 1) {
          const r = entry + 1;
          const p = prev[r] ?? -1;
          const q = next[r] ?? -1;
          next[p] = r;
          if (q >= 0) prev[q] = r;
          returnsLeft++;
        } else {
          const inum = infoNumber[i] ?? 0;
          infoBits[inum >> 5] = (infoBits[inum >> 5] ?? 0) & ~(1 << (inum & 31));
        }
        const p = prev[entry] ?? -1;
        const q = next[entry] ?? -1;
        next[p] = entry;
        if (q >= 0) prev[q] = entry;
        entry = next[entry] ?? -1;
      }
    }
    this.entry = entry;
    this.state = state;
    this.sp = sp;
    this.returnsLeft = returnsLeft;
    this.firstRet = firstRet;
    this.stepCount += steps;
    this.status = status;
    return status;
  }

  private recordStuck(i: number, state: number, sp: number): void {
    const ret = this.ops[i]?.ret ?? -1;
    if (ret > this.bestRet) {
      this.bestRet = ret;
      this.bestOp = i;
      this.bestStates = [state];
      this.moreStates = false;
      this.bestPath = this.stackEntry.slice(0, sp);
    } else if (ret === this.bestRet && !this.bestStates.includes(state)) {
      if (this.bestStates.length < MAX_STATES_SHOWN) this.bestStates.push(state);
      else this.moreStates = true;
    }
  }

  /** When the verdict is 'invalid' (or a search that stopped early), where it got stuck furthest. */
  failure(): SearchFailure | null {
    const op = this.ops[this.bestOp];
    if (op === undefined) return null;
    const states: string[] = [];
    for (const id of this.bestStates) {
      const s = this.states[id];
      if (s !== undefined) states.push(this.model.show(s));
    }
    const path: PairedOp[] = [];
    for (const e of this.bestPath) {
      const p = this.ops[e >> 1];
      if (p !== undefined) path.push(p);
    }
    return { op, states, moreStates: this.moreStates, path };
  }
}
