/**
 * Set: :add e creates the child e-<e> of one znode; after the faults, a :read of every child (after
 * a barrier, retried until a quorum answers). Checked as Jepsen's set checker: every acknowledged
 * add is in the final read (else lost), nothing in it was never attempted (unexpected); adds with
 * an unknown outcome may be either way (recovered when present).
 */
import { EdnSet, isVector, type EdnValue } from '../history/edn.js';
import type { Operation } from '../history/history.js';
import { barrier } from './reads.js';
import { ensurePath, type OpOutcome, type Verdict, type Workload, type WorkloadOptions } from './workload.js';

function elements(v: EdnValue): number[] | undefined {
  const items = v instanceof EdnSet ? v.items : isVector(v) ? v : undefined;
  if (items === undefined) return undefined;
  return items.filter((x): x is number => typeof x === 'number');
}

/** Jepsen's set checker over :add and a final :read. */
export function checkSet(history: readonly Operation[], name = 'set'): Verdict {
  const attempted = new Set<number>();
  const ok = new Set<number>();
  const info = new Set<number>();
  let final: number[] | undefined;
  let finalIndex = -1;
  const pending = new Map<number, Operation>();
  for (const op of history) {
    if (typeof op.process !== 'number') continue;
    if (op.type === 'invoke') {
      pending.set(op.process, op);
      if (op.f === 'add' && typeof op.value === 'number') attempted.add(op.value);
      continue;
    }
    const inv = pending.get(op.process);
    pending.delete(op.process);
    if (inv === undefined) continue;
    if (op.f === 'add' && typeof inv.value === 'number') {
      if (op.type === 'ok') ok.add(inv.value);
      else if (op.type === 'info') info.add(inv.value);
    }
    if (op.f === 'read' && op.type === 'ok') {
      final = elements(op.value);
      finalIndex = op.index;
    }
  }
  for (const inv of pending.values()) if (inv.f === 'add' && typeof inv.value === 'number') info.add(inv.value);
  if (final === undefined) {
    return { checker: name, valid: 'unknown', summary: 'no successful final read', details: { attempted: attempted.size, ok: ok.size } };
  }
  const read = new Set(final);
  const lost = [...ok].filter((e) => !read.has(e)).sort((a, b) => a - b);
  const unexpected = [...read].filter((e) => !attempted.has(e)).sort((a, b) => a - b);
  const recovered = [...info].filter((e) => read.has(e)).length;
  const duplicated = final.length - read.size;
  const valid = lost.length === 0 && unexpected.length === 0 && duplicated === 0;
  const culprits = valid ? [] : [finalIndex, ...history.filter((op) => op.f === 'add' && op.type === 'ok' && typeof op.value === 'number' && lost.includes(op.value)).map((op) => op.index)];
  return {
    checker: name,
    valid,
    summary: valid
      ? `${ok.size} acknowledged adds all present (${attempted.size} attempted, ${info.size} unknown, ${recovered} of them present)`
      : `${lost.length} lost ${JSON.stringify(lost.slice(0, 20))}, ${unexpected.length} unexpected ${JSON.stringify(unexpected.slice(0, 20))}, ${duplicated} duplicated`,
    details: { attempted: attempted.size, acknowledged: ok.size, unknown: info.size, recovered, read: read.size, lost, unexpected, duplicated },
    culprits,
  };
}

export function setWorkload(o: WorkloadOptions): Workload {
  const base = `${o.root}/set`;
  let nextElement = 0;
  return {
    name: 'set',
    description: 'set: create a child per element, one final read after the faults (Jepsen set checker)',
    clientTargets: 'own',
    isRead: (f) => f === 'read',
    async setup(admin) {
      await ensurePath(admin, base);
    },
    next() {
      return { f: 'add', value: nextElement++ };
    },
    async apply(op, ctx): Promise<OpOutcome> {
      await ctx.client.create(`${base}/e-${String(op.value)}`, Buffer.alloc(0), 'persistent');
      return { type: 'ok' };
    },
    async final(ctx) {
      for (let attempt = 0; attempt < 10; attempt++) {
        const r = await ctx.run('read', null, async (client) => {
          await barrier(client, base);
          const { children } = await client.getChildren(base);
          const values = children.map((c) => Number(c.slice(2))).filter((n) => Number.isInteger(n)).sort((a, b) => a - b);
          return { type: 'ok', value: new EdnSet(values) };
        });
        if (r.type === 'ok') return;
      }
    },
    check(history) {
      return [checkSet(history)];
    },
  };
}
