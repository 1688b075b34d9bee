/**
 * Unique ids from sequential nodes: :generate creates root/ids/id- (persistent sequential) and
 * returns its sequence number. Checked by the unique-ids model (no id returned twice) and for
 * real-time order: a generate that completed before another was invoked got a smaller number
 * (sequence numbers come from the parent's cversion, which is linearizable).
 */
import { checkHistory } from '../checker/check.js';
import { makeModel } from '../checker/models.js';
import type { Operation } from '../history/history.js';
import { sequenceOf } from '../client/client.js';
import { ensurePath, type Verdict, type Workload, type WorkloadOptions } from './workload.js';

export function checkIdOrder(history: readonly Operation[]): Verdict {
  const open = new Map<number, Operation>();
  const done: { inv: Operation; comp: Operation; id: number }[] = [];
  for (const op of history) {
    if (typeof op.process !== 'number' || op.f !== 'generate') continue;
    if (op.type === 'invoke') open.set(op.process, op);
    else {
      const inv = open.get(op.process);
      open.delete(op.process);
      if (inv !== undefined && op.type === 'ok' && typeof op.value === 'number') done.push({ inv, comp: op, id: op.value });
    }
  }
  // for each op, every op completed before its invocation must have a smaller id
  const byCompletion = [...done].sort((a, b) => a.comp.index - b.comp.index);
  const byInvocation = [...done].sort((a, b) => a.inv.index - b.inv.index);
  let maxBefore = -Infinity;
  let maxOp: (typeof done)[number] | undefined;
  let j = 0;
  const violations: { earlier: number; later: number; earlierId: number; laterId: number }[] = [];
  for (const op of byInvocation) {
    while (j < byCompletion.length && (byCompletion[j]?.comp.index ?? Infinity) < op.inv.index) {
      const c = byCompletion[j];
      if (c !== undefined && c.id > maxBefore) {
        maxBefore = c.id;
        maxOp = c;
      }
      j++;
    }
    if (maxOp !== undefined && op.id <= maxBefore) violations.push({ earlier: maxOp.comp.index, later: op.comp.index, earlierId: maxBefore, laterId: op.id });
  }
  return {
    checker: 'ids follow real-time order',
    valid: violations.length === 0,
    summary: violations.length === 0 ? `${done.length} ids increase with real time` : `${violations.length} ids smaller than an id returned before they were asked for, e.g. ${JSON.stringify(violations[0])}`,
    details: { ids: done.length, violations: violations.slice(0, 50) },
    culprits: violations.slice(0, 10).flatMap((v) => [v.earlier, v.later]),
  };
}

export function uniqueIdsWorkload(o: WorkloadOptions): Workload {
  const base = `${o.root}/ids`;
  return {
    name: 'unique-ids',
    description: 'unique ids from persistent sequential nodes',
    clientTargets: 'own',
    isRead: () => false,
    async setup(admin) {
      await ensurePath(admin, base);
    },
    next: () => ({ f: 'generate', value: null }),
    async apply(_op, ctx) {
      const path = await ctx.client.create(`${base}/id-`, Buffer.alloc(0), 'persistent-sequential');
      return { type: 'ok', value: sequenceOf(path) };
    },
    check(history, { timeLimitMs }) {
      const r = checkHistory(history, makeModel({ name: 'unique-ids' }), { timeLimitMs });
      return [
        {
          checker: 'unique ids',
          valid: r.valid,
          summary: r.valid === true ? `${r.operations} ids, all distinct` : (r.explanation ?? r.reason ?? 'not unique'),
          details: r,
          ...(r.failure === undefined ? {} : { culprits: [r.failure.index, r.failure.completionIndex] }),
        },
        checkIdOrder(history),
      ];
    },
  };
}
