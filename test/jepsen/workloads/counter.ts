/**
 * Counter per key: :add n is a compare-and-set loop (getData, setData with the version read;
 * BadVersion means nothing happened, try again), :read a linearizable read. Checked with the
 * counter model split per key (keys rotate so that few unknown-outcome adds share a key).
 */
import { ZK_ERRORS, ZkError, isZkError } from '../client/client.js';
import { checkHistory } from '../checker/check.js';
import { makeModel } from '../checker/models.js';
import { isVector } from '../history/edn.js';
import { readData } from './reads.js';
import { KeyRotation, keyOf } from './register.js';
import { decodeNumber, encode, ensurePath, type OpOutcome, type Workload, type WorkloadOptions } from './workload.js';

const CAS_ATTEMPTS = 20;

export function counterWorkload(o: WorkloadOptions): Workload {
  const base = `${o.root}/counter`;
  const keys = new KeyRotation(o.opsPerKey);
  const created = new Set<number>();
  const path = (k: number) => `${base}/${k}`;
  return {
    name: 'counter',
    description: 'counter per key: add by compare-and-set, linearizable reads; counter model per key',
    clientTargets: 'own',
    isRead: (f) => f === 'read',
    async setup(admin) {
      await ensurePath(admin, base);
    },
    next(_p, rng) {
      const k = keys.next();
      return rng.int(2) === 0 ? { f: 'read', value: [k, null] } : { f: 'add', value: [k, rng.range(1, 5)] };
    },
    async apply(op, ctx): Promise<OpOutcome> {
      const v = op.value;
      if (!isVector(v)) throw new Error('bad counter op');
      const k = keyOf(v);
      if (!created.has(k)) {
        try {
          await ctx.client.create(path(k), encode(0), 'persistent');
        } catch (e) {
          if (!isZkError(e, ZK_ERRORS.NODE_EXISTS)) throw e;
        }
        created.add(k);
      }
      if (op.f === 'read') {
        const r = await readData(ctx.client, path(k), o.readMode);
        return { type: 'ok', value: [k, r === null ? 0 : (decodeNumber(r.data) ?? 0)] };
      }
      const delta = v[1] as number;
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const cur = await ctx.client.getData(path(k));
        try {
          await ctx.client.setData(path(k), encode((decodeNumber(cur.data) ?? 0) + delta), cur.stat.version);
          return { type: 'ok' };
        } catch (e) {
          if (!isZkError(e, ZK_ERRORS.BAD_VERSION)) throw e;
        }
      }
      throw new ZkError(ZK_ERRORS.BAD_VERSION, `add gave up after ${CAS_ATTEMPTS} conflicting attempts`);
    },
    check(history, { timeLimitMs }) {
      const r = checkHistory(history, makeModel({ name: 'counter', independent: true }), { timeLimitMs });
      return [
        {
          checker: 'linearizable (counter per key)',
          valid: r.valid,
          summary: r.valid === true ? `linearizable: ${r.operations} ops over ${r.partitions} keys` : r.valid === false ? (r.explanation ?? 'not linearizable') : `unknown: ${r.reason ?? ''}`,
          details: r,
          ...(r.failure === undefined ? {} : { culprits: [r.failure.index, r.failure.completionIndex] }),
        },
      ];
    },
  };
}
