/**
 * Pairs each invocation of a Jepsen history with its completion, the form the search works on.
 */
import { ednEquals, printEdn } from '../history/edn.js';
import { HistoryError, type Operation } from '../history/history.js';
import { ModelError, type Model, type ModelOutput, type PairedOp } from './model.js';

/**
 * How :fail completions are read. `drop` (Knossos, Jepsen): a failed operation did not happen and
 * is removed. `observe` (Porcupine): an operation whose model says a failure is informative (a
 * failed compare-and-set) happened and observed a mismatch; other failed ops are removed.
 */
export type FailMode = 'drop' | 'observe';

/**
 * Pairs invocations with completions by process. Ops of non-integer processes (the nemesis) are
 * skipped. :info completions and invocations that never complete have an unknown outcome (ret =
 * Infinity); those the model deems ignorable (reads) are dropped, as are :fail ops (see FailMode).
 * Throws HistoryError on malformed histories and ModelError on ops the model does not understand.
 */
export function pairOperations(history: readonly Operation[], model: Model<unknown>, failMode: FailMode = 'drop'): PairedOp[] {
  const pending = new Map<number, { op: Operation; pos: number }>();
  const out: PairedOp[] = [];
  const add = (invoke: Operation, call: number, completion: Operation | null, ret: number, output: ModelOutput): void => {
    const input = { f: invoke.f, value: invoke.value };
    if (output.type === 'info' && model.ignorableWhenUnknown?.(input) === true) return;
    if (output.type === 'fail' && (failMode === 'drop' || model.observesFailure?.(input) !== true)) return;
    const problem = model.validate(input, output);
    if (problem !== null) throw new ModelError(`line ${(completion ?? invoke).line}: ${problem}`);
    out.push({ input, output, call, ret, invoke, completion });
  };
  history.forEach((op, pos) => {
    if (typeof op.process !== 'number') return;
    if (op.type === 'invoke') {
      const prev = pending.get(op.process);
      if (prev !== undefined) {
        throw new HistoryError(
          `line ${op.line}: process ${op.process} invokes again while its invocation on line ${prev.op.line} is outstanding`,
        );
      }
      pending.set(op.process, { op, pos });
      return;
    }
    const inv = pending.get(op.process);
    if (inv === undefined) {
      throw new HistoryError(`line ${op.line}: :${op.type} completion of process ${op.process} without an invocation`);
    }
    pending.delete(op.process);
    if (op.f !== inv.op.f) {
      throw new HistoryError(`line ${op.line}: completion :f :${op.f} does not match the invocation's :f :${inv.op.f}`);
    }
    if (op.type === 'ok') {
      add(inv.op, inv.pos, op, pos, { type: 'ok', value: op.value });
    } else if (op.type === 'fail') {
      add(inv.op, inv.pos, op, pos, { type: 'fail', value: op.value });
    } else {
      add(inv.op, inv.pos, op, Infinity, { type: 'info', value: inv.op.value });
    }
  });
  for (const { op, pos } of pending.values()) add(op, pos, null, Infinity, { type: 'info', value: op.value });
  out.sort((a, b) => a.call - b.call);
  return out;
}

/** One line describing a paired op, e.g. `process 3 :cas [1 2] -> :ok (lines 10-14, :index 9-13)`. */
export function describePaired(op: PairedOp): string {
  const result =
    op.output.type === 'ok'
      ? ednEquals(op.output.value, op.input.value)
        ? ':ok'
        : `:ok ${printEdn(op.output.value)}`
      : op.output.type === 'fail'
        ? ':fail'
        : op.completion === null
          ? '(no completion)'
          : ':info';
  const lines = op.completion === null ? `line ${op.invoke.line}` : `lines ${op.invoke.line}-${op.completion.line}`;
  const input = op.input.value === null ? '' : ` ${printEdn(op.input.value)}`;
  return `process ${String(op.invoke.process)} :${op.input.f}${input} -> ${result} (${lines}, :index ${op.invoke.index}${op.completion === null ? '' : `-${op.completion.index}`})`;
}
