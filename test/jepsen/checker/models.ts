/**
 * The models: register, cas-register, set, unique-ids, counter, and `independent` (a model split per
 * key over jepsen.independent `[key value]` tuples), of which `kv` is the get/put/append instance.
 */
import {
  EdnList,
  EdnSet,
  ednEquals,
  ednKey,
  isVector,
  parseEdn,
  printEdn,
  type EdnValue,
} from '../history/edn.js';
import type { Model, ModelInput, ModelOutput, PairedOp, Partition } from './model.js';

function unknownF(model: string, input: ModelInput, allowed: readonly string[]): string {
  return `the ${model} model has no :${input.f} operation (it knows ${allowed.map((f) => `:${f}`).join(', ')})`;
}

function isInteger(v: EdnValue): v is number | bigint {
  return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
}

// -------------------------------------------------------------------------------------------------
// Registers

export interface RegisterOptions {
  readonly initial?: EdnValue;
  /** Accept :cas [expected new]. */
  readonly cas?: boolean;
  /** Accept :append (strings concatenate; vectors get the value added; nil acts as empty). */
  readonly append?: boolean;
  /** Accept :get and :put as aliases of :read and :write (Porcupine's kv naming). */
  readonly kvNames?: boolean;
  readonly name?: string;
}

/** A register's state, boxed so that a nil value is not mistaken for "illegal". */
export interface RegisterState {
  readonly value: EdnValue;
}

/** The result of :append, or null when the value cannot be appended to. */
function appendTo(state: EdnValue, v: EdnValue): EdnValue | null {
  if (state === null) return typeof v === 'string' ? v : [v];
  if (typeof state === 'string') return typeof v === 'string' ? state + v : null;
  if (isVector(state)) return [...state, v];
  return null;
}

/**
 * A single register. `read` with an :ok value v is legal iff the register holds v (nil included:
 * a read of nil means "absent", the register's initial value by default); `write v` sets it;
 * `cas [e n]` :ok is legal iff it holds e and sets n, a :fail cas (failMode 'observe') iff it does
 * not hold e.
 */
export function registerModel(options: RegisterOptions = {}): Model<RegisterState> {
  const initial: RegisterState = { value: options.initial ?? null };
  const cas = options.cas ?? false;
  const append = options.append ?? false;
  const kvNames = options.kvNames ?? false;
  const name = options.name ?? (cas ? 'cas-register' : 'register');
  const allowed = [
    'read',
    'write',
    ...(cas ? ['cas'] : []),
    ...(append ? ['append'] : []),
    ...(kvNames ? ['get', 'put'] : []),
  ];
  const READ = new Set(kvNames ? ['read', 'get'] : ['read']);
  const WRITE = new Set(kvNames ? ['write', 'put'] : ['write']);
  const box = (value: EdnValue | null): RegisterState | null => (value === null ? null : { value });
  return {
    name,
    init: () => initial,
    step(state, input, output) {
      const f = input.f;
      if (READ.has(f)) {
        if (output.type !== 'ok') return state;
        return ednEquals(state.value, output.value) ? state : null;
      }
      if (WRITE.has(f)) return output.type === 'fail' ? state : { value: input.value };
      if (f === 'cas') {
        const v = input.value;
        if (!isVector(v)) return null;
        const matches = ednEquals(state.value, v[0] ?? null);
        switch (output.type) {
          case 'ok':
            return matches ? { value: v[1] ?? null } : null;
          case 'fail':
            return matches ? null : state;
          default:
            return matches ? { value: v[1] ?? null } : state;
        }
      }
      if (f === 'append') return output.type === 'fail' ? state : box(appendTo(state.value, input.value));
      return null;
    },
    key: (s) => ednKey(s.value),
    show: (s) => printEdn(s.value),
    validate(input) {
      if (!allowed.includes(input.f)) return unknownF(name, input, allowed);
      if (input.f === 'cas' && !(isVector(input.value) && input.value.length === 2)) {
        return `:cas expects a value [expected new], got ${printEdn(input.value)}`;
      }
      return null;
    },
    ignorableWhenUnknown: (input) => READ.has(input.f),
    observesFailure: (input) => input.f === 'cas',
  };
}

// -------------------------------------------------------------------------------------------------
// Set of elements (Knossos' `set`): :add e, :read returns the whole set.

function collectionKeys(v: EdnValue): string[] | null {
  let items: readonly EdnValue[];
  if (v instanceof EdnSet || v instanceof EdnList) items = v.items;
  else if (isVector(v)) items = v;
  else return null;
  return [...new Set(items.map(ednKey))].sort();
}

function insertSorted(keys: readonly string[], k: string): readonly string[] | null {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = keys[mid] ?? '';
    if (m < k) lo = mid + 1;
    else hi = mid;
  }
  if (keys[lo] === k) return null;
  return [...keys.slice(0, lo), k, ...keys.slice(lo)];
}

export function setModel(initial: EdnValue = new EdnSet([])): Model<readonly string[]> {
  const init = collectionKeys(initial);
  if (init === null) throw new Error(`the set model needs a collection as initial value, got ${printEdn(initial)}`);
  const allowed = ['add', 'read'];
  return {
    name: 'set',
    init: () => init,
    step(state, input, output) {
      if (input.f === 'add') {
        if (output.type === 'fail') return state;
        return insertSorted(state, ednKey(input.value)) ?? state;
      }
      if (output.type !== 'ok') return state;
      const read = collectionKeys(output.value);
      if (read === null || read.length !== state.length) return null;
      for (let i = 0; i < read.length; i++) if (read[i] !== state[i]) return null;
      return state;
    },
    key: (s) => s.join(' '),
    show: (s) => `#{${s.join(' ')}}`,
    validate(input, output) {
      if (!allowed.includes(input.f)) return unknownF('set', input, allowed);
      if (input.f === 'read' && output.type === 'ok' && collectionKeys(output.value) === null) {
        return `a set :read must return a collection, got ${printEdn(output.value)}`;
      }
      return null;
    },
    ignorableWhenUnknown: (input) => input.f === 'read',
  };
}

// -------------------------------------------------------------------------------------------------
// Unique ids: :generate returns an id never returned before. Split per id.

export function uniqueIdsModel(): Model<readonly string[]> {
  const model: Model<readonly string[]> = {
    name: 'unique-ids',
    init: () => [],
    step(state, _input, output) {
      if (output.type !== 'ok') return state;
      return insertSorted(state, ednKey(output.value));
    },
    key: (s) => s.join(' '),
    show: (s) => `#{${s.join(' ')}}`,
    validate(input) {
      return input.f === 'generate' ? null : unknownF('unique-ids', input, ['generate']);
    },
    // an id generated with an unknown outcome is not observed by anyone
    ignorableWhenUnknown: () => true,
    partition(ops) {
      const groups = new Map<string, PairedOp[]>();
      for (const op of ops) {
        const k = op.output.type === 'ok' ? ednKey(op.output.value) : '';
        let g = groups.get(k);
        if (g === undefined) groups.set(k, (g = []));
        g.push(op);
      }
      return [...groups].map(([k, g]) => ({ label: `id ${k}`, model, ops: g }));
    },
  };
  return model;
}

// -------------------------------------------------------------------------------------------------
// Counter: :add n (n may be negative), :read returns the total.

export function counterModel(initial: EdnValue = 0): Model<bigint> {
  if (!isInteger(initial)) throw new Error(`the counter model needs an integer initial value, got ${printEdn(initial)}`);
  const init = BigInt(initial);
  const allowed = ['add', 'read'];
  return {
    name: 'counter',
    init: () => init,
    step(state, input, output) {
      if (input.f === 'add') {
        if (output.type === 'fail') return state;
        return isInteger(input.value) ? state + BigInt(input.value) : null;
      }
      if (output.type !== 'ok') return state;
      return isInteger(output.value) && BigInt(output.value) === state ? state : null;
    },
    key: (s) => s.toString(),
    show: (s) => s.toString(),
    validate(input, output) {
      if (!allowed.includes(input.f)) return unknownF('counter', input, allowed);
      if (input.f === 'add' && !isInteger(input.value)) return `:add needs an integer, got ${printEdn(input.value)}`;
      if (input.f === 'read' && output.type === 'ok' && !isInteger(output.value)) {
        return `a counter :read must return an integer, got ${printEdn(output.value)}`;
      }
      return null;
    },
    ignorableWhenUnknown: (input) => input.f === 'read',
  };
}

// -------------------------------------------------------------------------------------------------
// Independent keys (jepsen.independent): every value is a [key value] tuple, each key is its own
// object of the inner model. As one model, the state is a map from key to inner state; the checker
// uses `partition` to check each key on its own.

function tupleKey(v: EdnValue): EdnValue | undefined {
  return isVector(v) && v.length === 2 ? v[0] : undefined;
}

function tupleValue(v: EdnValue): EdnValue {
  return isVector(v) && v.length === 2 ? (v[1] ?? null) : null;
}

function project(op: PairedOp): PairedOp {
  return {
    ...op,
    input: { f: op.input.f, value: tupleValue(op.input.value) },
    output: { type: op.output.type, value: tupleValue(op.output.value) },
  };
}

export function independentModel<S>(inner: Model<S>, name = `independent ${inner.name}`): Model<ReadonlyMap<string, S>> {
  const innerOp = (input: ModelInput, output: ModelOutput): [ModelInput, ModelOutput] => [
    { f: input.f, value: tupleValue(input.value) },
    { type: output.type, value: tupleValue(output.value) },
  ];
  return {
    name,
    init: () => new Map(),
    step(state, input, output) {
      const k = tupleKey(input.value);
      if (k === undefined) return null;
      const kk = ednKey(k);
      const [i, o] = innerOp(input, output);
      const s = state.has(kk) ? (state.get(kk) as S) : inner.init();
      const next = inner.step(s, i, o);
      if (next === null) return null;
      if (next === s && state.has(kk)) return state;
      const m = new Map(state);
      m.set(kk, next);
      return m;
    },
    key(state) {
      return [...state]
        .map(([k, s]) => `${k}=${inner.key(s)}`)
        .sort()
        .join('\u0000');
    },
    show(state) {
      return `{${[...state].map(([k, s]) => `${k} ${inner.show(s)}`).join(', ')}}`;
    },
    validate(input, output) {
      if (tupleKey(input.value) === undefined) {
        return `the ${name} model needs [key value] tuples as values, got ${printEdn(input.value)}`;
      }
      if (output.type === 'ok' && tupleKey(output.value) === undefined) {
        return `the ${name} model needs [key value] tuples as completion values, got ${printEdn(output.value)}`;
      }
      const [i, o] = innerOp(input, output);
      return inner.validate(i, o);
    },
    ignorableWhenUnknown: (input) => inner.ignorableWhenUnknown?.({ f: input.f, value: tupleValue(input.value) }) ?? false,
    observesFailure: (input) => inner.observesFailure?.({ f: input.f, value: tupleValue(input.value) }) ?? false,
    partition(ops) {
      const groups = new Map<string, PairedOp[]>();
      for (const op of ops) {
        const k = ednKey(tupleKey(op.input.value) ?? null);
        let g = groups.get(k);
        if (g === undefined) groups.set(k, (g = []));
        g.push(project(op));
      }
      const parts: Partition[] = [];
      for (const [k, g] of groups) {
        const sub = inner.partition?.(g) ?? [{ label: '', model: inner, ops: g }];
        for (const p of sub) parts.push({ ...p, label: p.label === '' ? `key ${k}` : `key ${k} ${p.label}` });
      }
      return parts;
    },
  };
}

/** Porcupine's kv: per key, :get/:read, :put/:write, :append (strings), :cas; keys start as "". */
export function kvModel(initial: EdnValue = ''): Model<ReadonlyMap<string, RegisterState>> {
  return independentModel(registerModel({ initial, cas: true, append: true, kvNames: true, name: 'kv' }), 'kv');
}

// -------------------------------------------------------------------------------------------------
// Registry

export const MODEL_NAMES = ['cas-register', 'register', 'set', 'unique-ids', 'counter', 'kv'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export function isModelName(s: string): s is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(s);
}

export interface ModelSpec {
  readonly name: ModelName;
  /** Initial value (per key for kv and --independent); the model's default when undefined. */
  readonly initial?: EdnValue;
  /** Split [key value] tuples per key, each key checked with the model (implied by kv). */
  readonly independent?: boolean;
}

/** Parses an --initial argument: EDN, e.g. `0`, `nil`, `"abc"`, `#{}`. */
export function parseInitial(text: string): EdnValue {
  return parseEdn(text);
}

export function makeModel(spec: ModelSpec): Model<unknown> {
  const { initial } = spec;
  let m: Model<unknown>;
  switch (spec.name) {
    case 'cas-register':
      m = registerModel({ cas: true, ...(initial === undefined ? {} : { initial }) });
      break;
    case 'register':
      m = registerModel({ cas: false, ...(initial === undefined ? {} : { initial }) });
      break;
    case 'set':
      m = setModel(initial);
      break;
    case 'unique-ids':
      m = uniqueIdsModel();
      break;
    case 'counter':
      m = counterModel(initial);
      break;
    case 'kv':
      return kvModel(initial);
  }
  return spec.independent === true ? independentModel(m) : m;
}
