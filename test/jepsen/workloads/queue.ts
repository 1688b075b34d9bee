/**
 * Queue: :enqueue v creates a persistent sequential child q- with data v; :dequeue takes the
 * lowest child in one multi that deletes it (with the version read) and creates a tombstone
 * consumed/<name> holding the value, so that an element consumed by a dequeue whose reply was lost
 * is still accounted for. After the faults, the queue is drained and the tombstones read.
 * Checked as Jepsen's total-queue: every acknowledged element comes out (lost), none comes out
 * twice (duplicated) or without having been enqueued (unexpected).
 */
import { ZK_ERRORS, bySequence, isZkError } from '../client/client.js';
import { EdnSet, isVector, type EdnValue } from '../history/edn.js';
import type { Operation } from '../history/history.js';
import { barrier } from './reads.js';
import { decodeNumber, encode, ensurePath, type OpOutcome, type Verdict, type Workload, type WorkloadOptions } from './workload.js';

function numbers(v: EdnValue): number[] {
  const items = v instanceof EdnSet ? v.items : isVector(v) ? v : [];
  return items.filter((x): x is number => typeof x === 'number');
}

export function checkQueue(history: readonly Operation[]): Verdict {
  const attempted = new Set<number>();
  const acknowledged = new Set<number>();
  const dequeued = new Map<number, number[]>();
  const tombstones = new Set<number>();
  let drained = false;
  const open = new Map<number, Operation>();
  for (const op of history) {
    if (typeof op.process !== 'number') continue;
    if (op.type === 'invoke') {
      open.set(op.process, op);
      if (op.f === 'enqueue' && typeof op.value === 'number') attempted.add(op.value);
      continue;
    }
    const inv = open.get(op.process);
    open.delete(op.process);
    if (inv === undefined || op.type !== 'ok') continue;
    if (op.f === 'enqueue' && typeof inv.value === 'number') acknowledged.add(inv.value);
    if ((op.f === 'dequeue' || op.f === 'drain') && op.value !== null) {
      for (const v of op.f === 'drain' ? numbers(op.value) : typeof op.value === 'number' ? [op.value] : []) {
        const seen = dequeued.get(v) ?? [];
        seen.push(op.index);
        dequeued.set(v, seen);
      }
      if (op.f === 'drain') drained = true;
    }
    if (op.f === 'tombstones') for (const v of numbers(op.value)) tombstones.add(v);
  }
  if (!drained) return { checker: 'total queue', valid: 'unknown', summary: 'the queue could not be drained after the faults' };
  const lost = [...acknowledged].filter((v) => !dequeued.has(v) && !tombstones.has(v)).sort((a, b) => a - b);
  const duplicated = [...dequeued].filter(([, at]) => at.length > 1).map(([v]) => v);
  const unexpected = [...dequeued.keys(), ...tombstones].filter((v) => !attempted.has(v));
  const recovered = [...tombstones].filter((v) => !dequeued.has(v)).length;
  const valid = lost.length === 0 && duplicated.length === 0 && unexpected.length === 0;
  return {
    checker: 'total queue',
    valid,
    summary: valid
      ? `${acknowledged.size} acknowledged of ${attempted.size} enqueued; all came out once (${recovered} through tombstones of dequeues with unknown outcome)`
      : `lost ${JSON.stringify(lost.slice(0, 20))} (${lost.length}), duplicated ${JSON.stringify(duplicated.slice(0, 20))}, unexpected ${JSON.stringify(unexpected.slice(0, 20))}`,
    details: { attempted: attempted.size, acknowledged: acknowledged.size, dequeued: dequeued.size, tombstones: tombstones.size, recovered, lost, duplicated, unexpected },
    culprits: duplicated.flatMap((v) => dequeued.get(v) ?? []).slice(0, 20),
  };
}

export function queueWorkload(o: WorkloadOptions): Workload {
  const base = `${o.root}/queue`;
  const items = `${base}/items`;
  const consumed = `${base}/consumed`;
  let next = 0;

  async function dequeueOne(client: Parameters<Workload['apply']>[1]['client']): Promise<number | null> {
    const { children } = await client.getChildren(items);
    children.sort(bySequence);
    for (const name of children.slice(0, 20)) {
      let got;
      try {
        got = await client.getData(`${items}/${name}`);
      } catch (e) {
        if (isZkError(e, ZK_ERRORS.NO_NODE)) continue;
        throw e;
      }
      try {
        await client.multi([
          { op: 'delete', path: `${items}/${name}`, version: got.stat.version },
          { op: 'create', path: `${consumed}/${name}`, data: got.data, mode: 'persistent' },
        ]);
        return decodeNumber(got.data);
      } catch (e) {
        if (isZkError(e, ZK_ERRORS.NO_NODE) || isZkError(e, ZK_ERRORS.NODE_EXISTS) || isZkError(e, ZK_ERRORS.BAD_VERSION)) continue;
        throw e;
      }
    }
    return null;
  }

  return {
    name: 'queue',
    description: 'queue of sequential children, each consumed once (delete + tombstone in one multi); total-queue checker',
    clientTargets: 'own',
    isRead: () => false,
    async setup(admin) {
      await ensurePath(admin, items);
      await ensurePath(admin, consumed);
    },
    next(_p, rng) {
      return rng.int(2) === 0 ? { f: 'enqueue', value: next++ } : { f: 'dequeue', value: null };
    },
    async apply(op, ctx): Promise<OpOutcome> {
      if (op.f === 'enqueue') {
        await ctx.client.create(`${items}/q-`, encode(op.value as number), 'persistent-sequential');
        return { type: 'ok' };
      }
      const v = await dequeueOne(ctx.client);
      return v === null ? { type: 'fail', error: 'empty' } : { type: 'ok', value: v };
    },
    async final(ctx) {
      for (let attempt = 0; attempt < 10; attempt++) {
        const r = await ctx.run('drain', null, async (client) => {
          await barrier(client, base);
          const out: number[] = [];
          for (let i = 0; i < 100_000; i++) {
            const v = await dequeueOne(client);
            if (v === null) break;
            out.push(v);
          }
          return { type: 'ok', value: out };
        });
        if (r.type === 'ok') break;
      }
      for (let attempt = 0; attempt < 10; attempt++) {
        const r = await ctx.run('tombstones', null, async (client) => {
          await barrier(client, base);
          const { children } = await client.getChildren(consumed);
          const values: number[] = [];
          for (const name of children) {
            const { data } = await client.getData(`${consumed}/${name}`);
            const v = decodeNumber(data);
            if (v !== null) values.push(v);
          }
          return { type: 'ok', value: values.sort((a, b) => a - b) };
        });
        if (r.type === 'ok') break;
      }
    },
    check(history) {
      return [checkQueue(history)];
    },
  };
}
