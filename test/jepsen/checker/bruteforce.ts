/**
 * A brute-force linearizability checker for tiny histories, written independently of the search to
 * test it: for every subset of the operations with an unknown outcome, every order of the chosen
 * operations that respects real time (a before b when a completed before b was invoked) is tried.
 * It shares only the models with the real checker.
 */
import type { Operation } from '../history/history.js';
import type { Model, ModelOutput } from './model.js';

interface Op {
  readonly f: string;
  readonly value: Operation['value'];
  readonly output: ModelOutput;
  readonly call: number;
  readonly ret: number;
  readonly optional: boolean;
}

/** True when some legal order exists. `failMode` as in the real checker. Exponential: keep it small. */
export function bruteForceLinearizable(
  history: readonly Operation[],
  model: Model<unknown>,
  failMode: 'drop' | 'observe' = 'drop',
): boolean {
  const open = new Map<number, { op: Operation; pos: number }>();
  const ops: Op[] = [];
  history.forEach((op, pos) => {
    if (typeof op.process !== 'number') return;
    if (op.type === 'invoke') {
      open.set(op.process, { op, pos });
      return;
    }
    const inv = open.get(op.process);
    if (inv === undefined) throw new Error('completion without invocation');
    open.delete(op.process);
    const base = { f: inv.op.f, value: inv.op.value, call: inv.pos };
    if (op.type === 'ok') {
      ops.push({ ...base, output: { type: 'ok', value: op.value }, ret: pos, optional: false });
    } else if (op.type === 'info') {
      ops.push({ ...base, output: { type: 'info', value: inv.op.value }, ret: Infinity, optional: true });
    } else if (failMode === 'observe' && model.observesFailure?.({ f: inv.op.f, value: inv.op.value }) === true) {
      ops.push({ ...base, output: { type: 'fail', value: op.value }, ret: pos, optional: false });
    }
  });
  for (const { op, pos } of open.values()) {
    ops.push({ f: op.f, value: op.value, output: { type: 'info', value: op.value }, call: pos, ret: Infinity, optional: true });
  }
  const optional = ops.filter((o) => o.optional);
  const required = ops.filter((o) => !o.optional);
  for (let mask = 0; mask < 1 << optional.length; mask++) {
    const chosen = [...required, ...optional.filter((_, i) => (mask & (1 << i)) !== 0)];
    if (someOrder(chosen, model)) return true;
  }
  return false;
}

function someOrder(ops: readonly Op[], model: Model<unknown>): boolean {
  const placed = new Array<boolean>(ops.length).fill(false);
  const go = (state: unknown, count: number): boolean => {
    if (count === ops.length) return true;
    for (let i = 0; i < ops.length; i++) {
      const a = ops[i];
      if (a === undefined || placed[i] === true) continue;
      // a may go next only if no unplaced op completed before a was invoked
      const blocked = ops.some((b, j) => placed[j] !== true && j !== i && b.ret < a.call);
      if (blocked) continue;
      const next = model.step(state, { f: a.f, value: a.value }, a.output);
      if (next === null) continue;
      placed[i] = true;
      const found = go(next, count + 1);
      placed[i] = false;
      if (found) return true;
    }
    return false;
  };
  return go(model.init(), 0);
}
