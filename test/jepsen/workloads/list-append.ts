/**
 * List append over sequential children and multi: :append [[k v] ...] appends to one to three
 * lists in one multi (per key: a persistent sequential child e- of root/la/k holding v, and a
 * setData of root/la/k that bumps its version); :read [k nil] reads one list linearizably
 * (getData for the version, getChildren, then a multi checking that version: no append came in
 * between). A list is its children in sequence order.
 *
 * Checked per key with the kv model (appends and reads of [k list] tuples, every multi-key append
 * split into per-key appends over the same interval), and on the final read of every list:
 * multi atomicity (an append's values are all present or none), no duplicates, every acknowledged
 * append present, nothing never appended.
 */
import { ZK_ERRORS, ZkError, bySequence, isZkError, type ZkClient } from '../client/client.js';
import { checkHistory } from '../checker/check.js';
import { makeModel } from '../checker/models.js';
import { EdnMap, isVector, type EdnValue } from '../history/edn.js';
import type { Operation } from '../history/history.js';
import { barrier } from './reads.js';
import { decodeNumber, encode, ensurePath, type OpOutcome, type Verdict, type Workload, type WorkloadOptions } from './workload.js';

const KEYS_AT_ONCE = 4;

type Pair = readonly [number, number];

function pairs(v: EdnValue): Pair[] {
  if (!isVector(v)) return [];
  const out: Pair[] = [];
  for (const p of v) if (isVector(p) && typeof p[0] === 'number' && typeof p[1] === 'number') out.push([p[0], p[1]]);
  return out;
}

/** Splits multi-key appends into per-key ops (distinct virtual processes) for the kv model. */
export function perKeyHistory(history: readonly Operation[]): Operation[] {
  const out: Operation[] = [];
  const open = new Map<number, Operation>();
  const virtual = (p: number, slot: number) => p * (KEYS_AT_ONCE + 1) + slot;
  for (const op of history) {
    if (typeof op.process !== 'number') continue;
    const p = op.process;
    if (op.f === 'read') {
      out.push({ ...op, process: virtual(p, KEYS_AT_ONCE) });
      continue;
    }
    if (op.f !== 'append') continue;
    let inv: Operation | undefined;
    if (op.type === 'invoke') {
      open.set(p, op);
      inv = op;
    } else {
      inv = open.get(p);
      open.delete(p);
    }
    if (inv === undefined) continue;
    pairs(inv.value).forEach(([k, v], i) => out.push({ ...op, process: virtual(p, i), value: [k, v] }));
  }
  return out;
}

export function checkFinalLists(history: readonly Operation[]): Verdict {
  let final: Map<number, number[]> | undefined;
  const open = new Map<number, Operation>();
  const txns: { index: number; type: string; pairs: Pair[] }[] = [];
  for (const op of history) {
    if (typeof op.process !== 'number') continue;
    if (op.type === 'invoke') {
      open.set(op.process, op);
      continue;
    }
    const inv = open.get(op.process);
    open.delete(op.process);
    if (inv === undefined) continue;
    if (op.f === 'append') txns.push({ index: op.index, type: op.type, pairs: pairs(inv.value) });
    if (op.f === 'final-read' && op.type === 'ok' && op.value instanceof EdnMap) {
      final = new Map();
      for (const [k, v] of op.value.entries) if (typeof k === 'number' && isVector(v)) final.set(k, v.filter((x): x is number => typeof x === 'number'));
    }
  }
  for (const inv of open.values()) if (inv.f === 'append') txns.push({ index: inv.index, type: 'info', pairs: pairs(inv.value) });
  if (final === undefined) return { checker: 'list-append final state', valid: 'unknown', summary: 'no successful final read' };
  const present = new Map<string, number>();
  const problems: string[] = [];
  const culprits: number[] = [];
  for (const [k, list] of final) {
    const seen = new Set<number>();
    for (const v of list) {
      if (seen.has(v)) problems.push(`key ${k}: ${v} appears twice`);
      seen.add(v);
      present.set(`${k}:${v}`, (present.get(`${k}:${v}`) ?? 0) + 1);
    }
  }
  const attempted = new Set(txns.flatMap((t) => t.pairs.map(([k, v]) => `${k}:${v}`)));
  for (const key of present.keys()) if (!attempted.has(key)) problems.push(`${key} was never appended`);
  let partial = 0;
  let lost = 0;
  for (const t of txns) {
    if (t.type === 'fail') {
      const any = t.pairs.filter(([k, v]) => present.has(`${k}:${v}`));
      if (any.length > 0) {
        problems.push(`failed append ${JSON.stringify(t.pairs)} is present`);
        culprits.push(t.index);
      }
      continue;
    }
    const here = t.pairs.filter(([k, v]) => present.has(`${k}:${v}`)).length;
    if (here !== 0 && here !== t.pairs.length) {
      partial++;
      culprits.push(t.index);
      problems.push(`append ${JSON.stringify(t.pairs)} is partly present (${here} of ${t.pairs.length})`);
    }
    if (t.type === 'ok' && here === 0) {
      lost++;
      culprits.push(t.index);
      problems.push(`acknowledged append ${JSON.stringify(t.pairs)} is missing`);
    }
  }
  return {
    checker: 'list-append final state',
    valid: problems.length === 0,
    summary: problems.length === 0 ? `${final.size} lists, ${txns.length} appends: atomic, none lost, no duplicates` : `${problems.length} problems (${partial} partial, ${lost} lost): ${problems.slice(0, 3).join('; ')}`,
    details: { lists: final.size, appends: txns.length, problems: problems.slice(0, 100) },
    culprits: culprits.slice(0, 20),
  };
}

export function listAppendWorkload(o: WorkloadOptions): Workload {
  const base = `${o.root}/la`;
  let generated = 0;
  let nextValue = 0;
  const created = new Set<number>();
  const path = (k: number) => `${base}/${k}`;

  async function ensureKey(client: ZkClient, k: number): Promise<void> {
    if (created.has(k)) return;
    try {
      await client.create(path(k), Buffer.alloc(0), 'persistent');
    } catch (e) {
      if (!isZkError(e, ZK_ERRORS.NODE_EXISTS)) throw e;
    }
    created.add(k);
  }

  async function readList(client: ZkClient, k: number, check: boolean): Promise<number[] | null> {
    for (let attempt = 0; attempt < 8; attempt++) {
      let version: number;
      try {
        version = (await client.getData(path(k))).stat.version;
      } catch (e) {
        if (isZkError(e, ZK_ERRORS.NO_NODE)) return null;
        throw e;
      }
      const { children } = await client.getChildren(path(k));
      children.sort(bySequence);
      const values: number[] = [];
      for (const c of children) {
        const { data } = await client.getData(`${path(k)}/${c}`);
        const v = decodeNumber(data);
        if (v !== null) values.push(v);
      }
      if (!check) return values;
      try {
        await client.multi([{ op: 'check', path: path(k), version }]);
        return values;
      } catch (e) {
        if (isZkError(e, ZK_ERRORS.BAD_VERSION)) continue;
        throw e;
      }
    }
    throw new ZkError(ZK_ERRORS.BAD_VERSION, `list ${k} kept changing during 8 check reads`);
  }

  return {
    name: 'list-append',
    description: 'lists of sequential children appended to by multi; kv model per key + final atomicity',
    clientTargets: 'own',
    isRead: (f) => f === 'read',
    async setup(admin) {
      await ensurePath(admin, base);
    },
    next(_p, rng) {
      const window = Math.floor(generated++ / o.opsPerKey) * KEYS_AT_ONCE;
      if (rng.int(2) === 0) return { f: 'read', value: [window + rng.int(KEYS_AT_ONCE), null] };
      const keys = rng.shuffle(Array.from({ length: KEYS_AT_ONCE }, (_, i) => window + i)).slice(0, rng.range(1, 3));
      return { f: 'append', value: keys.map((k) => [k, nextValue++]) };
    },
    async apply(op, ctx): Promise<OpOutcome> {
      if (op.f === 'read') {
        const v = op.value;
        const k = isVector(v) && typeof v[0] === 'number' ? v[0] : 0;
        const list = await readList(ctx.client, k, o.readMode !== 'plain');
        return { type: 'ok', value: [k, list === null || list.length === 0 ? null : list] };
      }
      const ps = pairs(op.value);
      for (const [k] of ps) await ensureKey(ctx.client, k);
      await ctx.client.multi(
        ps.flatMap(([k, v]) => [
          { op: 'create' as const, path: `${path(k)}/e-`, data: encode(v), mode: 'persistent-sequential' as const },
          { op: 'setData' as const, path: path(k), data: Buffer.alloc(0), version: -1 },
        ]),
      );
      return { type: 'ok' };
    },
    async final(ctx) {
      for (let attempt = 0; attempt < 10; attempt++) {
        const r = await ctx.run('final-read', null, async (client) => {
          await barrier(client, base);
          const { children } = await client.getChildren(base);
          const entries: [EdnValue, EdnValue][] = [];
          for (const c of children.map(Number).filter((n) => Number.isInteger(n)).sort((a, b) => a - b)) {
            entries.push([c, (await readList(client, c, false)) ?? []]);
          }
          return { type: 'ok', value: new EdnMap(entries) };
        });
        if (r.type === 'ok') return;
      }
    },
    check(history, { timeLimitMs }) {
      const derived = perKeyHistory(history);
      const r = checkHistory(derived, makeModel({ name: 'kv', initial: null }), { timeLimitMs });
      return [
        {
          checker: 'linearizable (list per key, kv model)',
          valid: r.valid,
          summary: r.valid === true ? `linearizable: ${r.operations} per-key ops over ${r.partitions} lists` : r.valid === false ? (r.explanation ?? 'not linearizable') : `unknown: ${r.reason ?? ''}`,
          details: r,
        },
        checkFinalLists(history),
      ];
    },
  };
}
