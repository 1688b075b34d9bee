/**
 * The shortest failing window of a non-linearizable register history: the fewest operations,
 * ending at the operation the checker could not linearize, that are not linearizable by
 * themselves whatever value the register held when the window opens (every value written before it,
 * and the initial nil, are tried). Operations that completed before the window are summed up by
 * that unknown starting value; operations overlapping it are kept whole.
 */
import { checkHistory, type FailureReport } from '../checker/check.js';
import { makeModel } from '../checker/models.js';
import { ednKey, isVector, type EdnValue } from '../history/edn.js';
import type { Operation } from '../history/history.js';

export interface FailingWindow {
  readonly from: number;
  readonly to: number;
  /** :index of every op (invocations and completions) in the window. */
  readonly ops: readonly number[];
  readonly note: string;
}

interface Span {
  readonly invoke: Operation;
  readonly completion: Operation | undefined;
  readonly invokePos: number;
  readonly endPos: number;
}

function spans(ops: readonly Operation[]): Span[] {
  const open = new Map<number, { op: Operation; pos: number }>();
  const out: Span[] = [];
  ops.forEach((op, pos) => {
    if (typeof op.process !== 'number') return;
    if (op.type === 'invoke') {
      open.set(op.process, { op, pos });
      return;
    }
    const inv = open.get(op.process);
    if (inv === undefined) return;
    open.delete(op.process);
    out.push({ invoke: inv.op, completion: op, invokePos: inv.pos, endPos: pos });
  });
  for (const { op, pos } of open.values()) out.push({ invoke: op, completion: undefined, invokePos: pos, endPos: Infinity });
  out.sort((a, b) => a.invokePos - b.invokePos);
  return out;
}

function project(op: Operation): Operation {
  const v = op.value;
  return { ...op, value: isVector(v) && v.length === 2 ? (v[1] ?? null) : v };
}

/** The key named by a failure's partition label (`key 3`), if any. */
function labelKey(failure: FailureReport): string | undefined {
  const p = failure.partition;
  if (p === undefined) return undefined;
  const m = /^key (.*)$/.exec(p);
  return m?.[1];
}

export function shortestFailingWindow(
  history: readonly Operation[],
  failure: FailureReport,
  options: { readonly model: 'cas-register' | 'register'; readonly timeLimitMs: number },
): FailingWindow | undefined {
  const key = labelKey(failure);
  const independent = key !== undefined;
  const ops = history.filter((op) => {
    if (typeof op.process !== 'number') return false;
    if (!independent) return true;
    const v = op.value;
    return isVector(v) && v.length === 2 && ednKey(v[0] ?? null) === key;
  });
  const all = spans(ops);
  const endIndex = failure.completionIndex;
  const endPos = ops.findIndex((op) => op.index === endIndex);
  if (endPos < 0) return undefined;
  const deadline = Date.now() + options.timeLimitMs;
  // Window starts, latest first: just after each op's completion (that op is then "before").
  const starts = [...new Set(all.filter((s) => s.endPos < endPos).map((s) => s.endPos + 1))].sort((a, b) => b - a);
  starts.unshift(endPos);
  starts.push(0);
  for (const start of starts) {
    if (Date.now() > deadline) return undefined;
    const inside = all.filter((s) => s.invokePos <= endPos && s.endPos >= start);
    const before = all.filter((s) => s.endPos < start);
    const candidates = new Map<string, EdnValue>([['nil', null]]);
    if (start > 0) {
      for (const s of before) {
        if (s.completion?.type === 'fail') continue;
        const v = project(s.invoke).value;
        if (s.invoke.f === 'write') candidates.set(ednKey(v), v);
        else if (s.invoke.f === 'cas' && isVector(v)) candidates.set(ednKey(v[1] ?? null), v[1] ?? null);
      }
      // values of ops that straddle the start may also be in place already
      for (const s of inside) {
        const v = project(s.invoke).value;
        if (s.invoke.f === 'write') candidates.set(ednKey(v), v);
        else if (s.invoke.f === 'cas' && isVector(v)) candidates.set(ednKey(v[1] ?? null), v[1] ?? null);
      }
    }
    const windowOps: Operation[] = [];
    for (const s of inside) {
      windowOps.push(s.invoke);
      if (s.completion !== undefined) windowOps.push(s.completion);
    }
    windowOps.sort((a, b) => a.index - b.index);
    const projected = windowOps.map(project);
    let allFail = true;
    for (const initial of candidates.values()) {
      const r = checkHistory(projected, makeModel({ name: options.model, initial }), { timeLimitMs: Math.max(100, deadline - Date.now()) });
      if (r.valid !== false) {
        allFail = false;
        break;
      }
    }
    if (allFail && windowOps.length > 0) {
      const first = windowOps[0];
      const last = windowOps[windowOps.length - 1];
      return {
        from: first?.index ?? 0,
        to: last?.index ?? 0,
        ops: windowOps.map((op) => op.index),
        note:
          start === 0
            ? `the whole history of ${failure.partition ?? 'the register'} (${inside.length} ops)`
            : `${inside.length} ops of ${failure.partition ?? 'the register'} that are not linearizable from any of the ${candidates.size} values the register could hold when they start`,
      };
    }
  }
  return undefined;
}
