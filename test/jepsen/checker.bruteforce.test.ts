/**
 * The search against a brute-force checker on many small random histories (fast-check, fixed seed),
 * for every model, under both readings of :fail, with and without splitting per key.
 *
 * Histories come from simulating clients against an atomic object (so many are linearizable) and
 * then corrupting some answers, losing some effects behind :info, and dropping some completions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { bruteForceLinearizable } from './checker/bruteforce.js';
import { checkHistory } from './checker/check.js';
import type { Model } from './checker/model.js';
import { pairOperations } from './checker/prepare.js';
import { WglSearch } from './checker/search.js';
import { makeModel, type ModelName } from './checker/models.js';
import { EdnSet, printEdn, type EdnValue } from './history/edn.js';
import { parseHistory, type Operation } from './history/history.js';

type Outcome = 'ok' | 'info' | 'lost' | 'corrupt';

interface Cmd {
  readonly worker: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly outcome: Outcome;
  /** For info/lost outcomes: the operation never takes effect. */
  readonly skip: boolean;
}

interface Result {
  readonly type: 'ok' | 'fail';
  readonly value: EdnValue;
}

/** A real atomic object and how clients use it. States are plain JS values. */
interface Spec<S> {
  readonly model: ModelName;
  readonly init: S;
  invoke(cmd: Cmd): { f: string; value: EdnValue };
  apply(state: S, f: string, value: EdnValue): { state: S; result: Result };
  corrupt(f: string, value: EdnValue, real: Result, cmd: Cmd): Result;
}

const VALUES: readonly EdnValue[] = [null, 0, 1, 2];

const casRegister = (withCas: boolean): Spec<EdnValue> => ({
  model: withCas ? 'cas-register' : 'register',
  init: null,
  invoke(cmd) {
    const f = ['read', 'write', 'cas'][cmd.a % (withCas ? 3 : 2)] ?? 'read';
    if (f === 'read') return { f, value: null };
    if (f === 'write') return { f, value: cmd.b % 3 };
    return { f, value: [VALUES[cmd.b % 4] ?? null, cmd.c % 3] };
  },
  apply(state, f, value) {
    if (f === 'read') return { state, result: { type: 'ok', value: state } };
    if (f === 'write') return { state: value, result: { type: 'ok', value } };
    const [e, n] = value as readonly EdnValue[];
    return e === state ? { state: n ?? null, result: { type: 'ok', value } } : { state, result: { type: 'fail', value } };
  },
  corrupt(f, value, real, cmd) {
    if (f === 'read') return { type: 'ok', value: VALUES[cmd.c % 4] ?? null };
    if (f === 'write') return { type: 'fail', value };
    return { type: real.type === 'ok' ? 'fail' : 'ok', value };
  },
});

const setSpec: Spec<readonly number[]> = {
  model: 'set',
  init: [],
  invoke: (cmd) => (cmd.a % 2 === 0 ? { f: 'add', value: cmd.b % 4 } : { f: 'read', value: null }),
  apply(state, f, value) {
    if (f === 'add') {
      const v = value as number;
      return { state: state.includes(v) ? state : [...state, v], result: { type: 'ok', value } };
    }
    return { state, result: { type: 'ok', value: new EdnSet(state) } };
  },
  corrupt(f, value, real, cmd) {
    if (f === 'add') return { type: 'fail', value };
    const items = (real.value as EdnSet).items as readonly number[];
    const t = cmd.c % 4;
    return { type: 'ok', value: new EdnSet(items.includes(t) ? items.filter((x) => x !== t) : [...items, t]) };
  },
};

const counterSpec: Spec<number> = {
  model: 'counter',
  init: 0,
  invoke: (cmd) => (cmd.a % 2 === 0 ? { f: 'add', value: (cmd.b % 3) - 1 || 2 } : { f: 'read', value: null }),
  apply(state, f, value) {
    if (f === 'add') return { state: state + (value as number), result: { type: 'ok', value } };
    return { state, result: { type: 'ok', value: state } };
  },
  corrupt(f, value, real, cmd) {
    if (f === 'add') return { type: 'fail', value };
    return { type: 'ok', value: (real.value as number) + (cmd.c % 3) - 1 };
  },
};

const uniqueIdsSpec: Spec<number> = {
  model: 'unique-ids',
  init: 0,
  invoke: () => ({ f: 'generate', value: null }),
  apply: (state) => ({ state: state + 1, result: { type: 'ok', value: state } }),
  corrupt: (_f, _v, _real, cmd) => ({ type: 'ok', value: cmd.c % 3 }),
};

const STRINGS = ['', 'x', 'y', 'xy', 'yx'];
const kvSpec: Spec<ReadonlyMap<string, string>> = {
  model: 'kv',
  init: new Map(),
  invoke(cmd) {
    const k = `k${cmd.c % 2}`;
    const f = ['get', 'put', 'append'][cmd.a % 3] ?? 'get';
    return { f, value: [k, f === 'get' ? null : cmd.b % 2 === 0 ? 'x' : 'y'] };
  },
  apply(state, f, value) {
    const [k, v] = value as readonly [string, string | null];
    const cur = state.get(k) ?? '';
    if (f === 'get') return { state, result: { type: 'ok', value: [k, cur] } };
    const m = new Map(state);
    m.set(k, f === 'put' ? (v ?? '') : cur + (v ?? ''));
    return { state: m, result: { type: 'ok', value } };
  },
  corrupt(f, value, _real, cmd) {
    const [k] = value as readonly [string, string | null];
    if (f === 'get') return { type: 'ok', value: [k, STRINGS[cmd.b % STRINGS.length] ?? ''] };
    return { type: 'fail', value };
  },
};

interface Shape {
  readonly workers: number;
  readonly maxOps: number;
}

const SMALL: Shape = { workers: 3, maxOps: 6 };
const LARGER: Shape = { workers: 4, maxOps: 9 };
const MEDIUM: Shape = { workers: 5, maxOps: 60 };

/** Runs the commands against the spec's object and returns the history as EDN text. */
function simulate<S>(spec: Spec<S>, cmds: readonly Cmd[], shape: Shape = SMALL): string {
  const WORKERS = shape.workers;
  const MAX_OPS = shape.maxOps;
  type Worker =
    | { readonly kind: 'idle' }
    | { readonly kind: 'invoked'; readonly f: string; readonly value: EdnValue }
    | { readonly kind: 'applied'; readonly f: string; readonly value: EdnValue; readonly result: Result | null };
  const workers: Worker[] = Array.from({ length: WORKERS }, () => ({ kind: 'idle' }));
  const process = Array.from({ length: WORKERS }, (_, i) => i);
  const lines: string[] = [];
  let state = spec.init;
  let invoked = 0;
  const emit = (type: string, p: number, f: string, value: EdnValue): void => {
    const i = lines.length;
    lines.push(`{:index ${i}, :time ${i * 1000}, :type :${type}, :process ${p}, :f :${f}, :value ${printEdn(value)}}`);
  };
  for (const cmd of cmds) {
    const w = cmd.worker % WORKERS;
    const wk = workers[w] ?? { kind: 'idle' };
    const p = process[w] ?? w;
    if (wk.kind === 'idle') {
      if (invoked >= MAX_OPS) continue;
      invoked++;
      const { f, value } = spec.invoke(cmd);
      emit('invoke', p, f, value);
      workers[w] = { kind: 'invoked', f, value };
    } else if (wk.kind === 'invoked') {
      let result: Result | null = null;
      if (!(cmd.skip && (cmd.outcome === 'info' || cmd.outcome === 'lost'))) {
        const r = spec.apply(state, wk.f, wk.value);
        state = r.state;
        result = r.result;
      }
      workers[w] = { kind: 'applied', f: wk.f, value: wk.value, result };
    } else {
      workers[w] = { kind: 'idle' };
      if (cmd.outcome === 'lost') {
        process[w] = p + WORKERS; // never completes
      } else if (cmd.outcome === 'info' || wk.result === null) {
        emit('info', p, wk.f, wk.value);
        process[w] = p + WORKERS;
      } else {
        const r = cmd.outcome === 'corrupt' ? spec.corrupt(wk.f, wk.value, wk.result, cmd) : wk.result;
        emit(r.type, p, wk.f, r.type === 'ok' ? r.value : wk.value);
      }
    }
  }
  return lines.join('\n');
}

const cmdArb: fc.Arbitrary<Cmd> = fc.record({
  worker: fc.nat(7),
  a: fc.nat(5),
  b: fc.nat(5),
  c: fc.nat(5),
  outcome: fc.constantFrom<Outcome>('ok', 'ok', 'ok', 'info', 'lost', 'corrupt', 'corrupt', 'corrupt'),
  skip: fc.boolean(),
});

function compare(history: readonly Operation[], model: Model<unknown>, text: string, counts: Record<'valid' | 'invalid', number>): void {
  for (const failMode of ['drop', 'observe'] as const) {
    const expected = bruteForceLinearizable(history, model, failMode);
    const split = checkHistory(history, model, { failMode }).valid;
    const whole = checkHistory(history, model, { failMode, partition: false }).valid;
    if (split !== expected || whole !== expected) {
      throw new Error(`failMode ${failMode}: brute force ${String(expected)}, search ${String(split)} (unsplit ${String(whole)}) on\n${text}`);
    }
    counts[expected ? 'valid' : 'invalid']++;
  }
}

const SPECS: readonly [string, Spec<never>][] = [
  ['cas-register', casRegister(true) as Spec<never>],
  ['register', casRegister(false) as Spec<never>],
  ['set', setSpec as Spec<never>],
  ['counter', counterSpec as Spec<never>],
  ['unique-ids', uniqueIdsSpec as Spec<never>],
  ['kv', kvSpec as Spec<never>],
];

describe('linearizability search agrees with brute force on small random histories', () => {
  for (const [name, spec] of SPECS) {
    it(`${name}`, () => {
      const model = makeModel({ name: spec.model });
      const counts = { valid: 0, invalid: 0 };
      fc.assert(
        fc.property(fc.array(cmdArb, { minLength: 8, maxLength: 40, size: 'max' }), (cmds) => {
          const text = simulate(spec, cmds);
          compare(parseHistory(text), model, text, counts);
        }),
        { seed: 0x6a65, numRuns: 3000 },
      );
      // both verdicts must be well represented, or the comparison says little
      console.log(`${name}: ${counts.valid} linearizable, ${counts.invalid} not (x2 readings of :fail)`);
      expect(counts.valid).toBeGreaterThan(1000);
      expect(counts.invalid).toBeGreaterThan(1000);
    });
  }

  it('cas-register per key (--independent) on interleaved keys', () => {
    const model = makeModel({ name: 'cas-register', independent: true });
    const spec = casRegister(true);
    const counts = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(fc.array(cmdArb, { minLength: 8, maxLength: 40, size: 'max' }), (cmds) => {
        // wrap each value in a [key value] tuple, the key chosen by the command
        const keyed: Spec<ReadonlyMap<string, EdnValue>> = {
          model: 'cas-register',
          init: new Map(),
          invoke: (cmd) => {
            const { f, value } = spec.invoke(cmd);
            return { f, value: [cmd.c % 2 === 0 ? 'a' : 'b', value] };
          },
          apply(state, f, value) {
            const [k, v] = value as readonly [string, EdnValue];
            const r = spec.apply(state.get(k) ?? null, f, v);
            const m = new Map(state);
            m.set(k, r.state);
            return { state: m, result: { type: r.result.type, value: [k, r.result.value] } };
          },
          corrupt(f, value, real, cmd) {
            const [k, v] = value as readonly [string, EdnValue];
            const r = spec.corrupt(f, v, { type: real.type, value: (real.value as readonly EdnValue[])[1] ?? null }, cmd);
            return { type: r.type, value: [k, r.value] };
          },
        };
        const text = simulate(keyed, cmds);
        compare(parseHistory(text), model, text, counts);
      }),
      { seed: 0x6b76, numRuns: 1000 },
    );
    console.log(`cas-register per key: ${counts.valid} linearizable, ${counts.invalid} not`);
    expect(counts.valid).toBeGreaterThan(400);
    expect(counts.invalid).toBeGreaterThan(400);
  });

  // Histories with more overlap (4 clients, up to 9 operations): enough room for distinct
  // configurations that a wrong cache key would merge.
  for (const [name, spec] of SPECS.filter(([n]) => ['cas-register', 'set', 'kv'].includes(n))) {
    it(`${name}, up to 9 operations from 4 clients`, () => {
      const model = makeModel({ name: spec.model });
      const counts = { valid: 0, invalid: 0 };
      fc.assert(
        fc.property(fc.array(cmdArb, { minLength: 20, maxLength: 60, size: 'max' }), (cmds) => {
          const text = simulate(spec, cmds, LARGER);
          compare(parseHistory(text), model, text, counts);
        }),
        { seed: 0x6c77, numRuns: 1000 },
      );
      console.log(`${name} (larger): ${counts.valid} linearizable, ${counts.invalid} not`);
      expect(counts.valid).toBeGreaterThan(300);
      expect(counts.invalid).toBeGreaterThan(300);
    });
  }

  // The compact cache key (first pending completion, open operations, unknown-outcome operations
  // invoked before it) must identify configurations exactly as the whole linearized bitset does:
  // both searches then take the same steps and cache the same number of configurations.
  for (const [name, spec] of SPECS.filter(([n]) => ['cas-register', 'set', 'counter', 'kv'].includes(n))) {
    it(`${name}: compact cache keys explore exactly the configurations of full bitsets`, () => {
      const model = makeModel({ name: spec.model });
      fc.assert(
        fc.property(fc.array(cmdArb, { minLength: 50, maxLength: 200, size: 'max' }), (cmds) => {
          const ops = pairOperations(parseHistory(simulate(spec, cmds, MEDIUM)), model);
          const compact = new WglSearch(model, ops);
          const full = new WglSearch(model, ops, { fullKeys: true });
          expect(compact.run(1e6)).toBe(full.run(1e6));
          expect(compact.steps).toBe(full.steps);
          expect(compact.configurations).toBe(full.configurations);
        }),
        { seed: 0x6d78, numRuns: 300 },
      );
    });
  }
});
