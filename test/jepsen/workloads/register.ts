/**
 * CAS register per key (Jepsen's zookeeper test, split over independent keys): each key is a
 * znode; :write v is setData, :cas [e n] reads the value and its version and then does setData
 * with that version (BadVersion: the cas failed, it did not happen), :read is a linearizable read
 * (see reads.ts). Values are [key value] tuples (jepsen.independent); the checker is the
 * cas-register model split per key, and a failure gets the shortest failing window.
 */
import { ZK_ERRORS, isZkError } from '../client/client.js';
import { checkHistory } from '../checker/check.js';
import { makeModel } from '../checker/models.js';
import { isVector, type EdnValue } from '../history/edn.js';
import type { Operation } from '../history/history.js';
import { shortestFailingWindow } from '../report/window.js';
import type { Rng } from '../runner/rng.js';
import { readData } from './reads.js';
import { decodeNumber, encode, ensurePath, type OpOutcome, type OpSpec, type Verdict, type Workload, type WorkloadOptions } from './workload.js';

const VALUES = 5;

export function keyOf(value: EdnValue): number {
  if (!isVector(value) || typeof value[0] !== 'number') throw new Error('expected a [key value] tuple');
  return value[0];
}

/** Shared key rotation: every `opsPerKey` generated ops, the next key. */
export class KeyRotation {
  private generated = 0;
  constructor(private readonly opsPerKey: number) {}
  next(): number {
    return Math.floor(this.generated++ / this.opsPerKey);
  }
}

export function registerWorkload(o: WorkloadOptions): Workload {
  const base = `${o.root}/register`;
  const keys = new KeyRotation(o.opsPerKey);
  const path = (k: number) => `${base}/${k}`;

  async function write(client: Parameters<Workload['apply']>[1]['client'], k: number, v: number): Promise<void> {
    try {
      await client.setData(path(k), encode(v), -1);
    } catch (e) {
      if (!isZkError(e, ZK_ERRORS.NO_NODE)) throw e;
      try {
        await client.create(path(k), encode(v), 'persistent');
      } catch (e2) {
        if (!isZkError(e2, ZK_ERRORS.NODE_EXISTS)) throw e2;
        await client.setData(path(k), encode(v), -1);
      }
    }
  }

  return {
    name: 'register',
    description: 'CAS register per key: setData, setData with version, linearizable reads; cas-register model per key',
    clientTargets: 'own',
    isRead: (f) => f === 'read',
    async setup(admin) {
      await ensurePath(admin, base);
    },
    next(_process: number, rng: Rng): OpSpec {
      const k = keys.next();
      const r = rng.int(3);
      if (r === 0) return { f: 'read', value: [k, null] };
      if (r === 1) return { f: 'write', value: [k, rng.int(VALUES)] };
      return { f: 'cas', value: [k, [rng.int(VALUES), rng.int(VALUES)]] };
    },
    async apply(op, ctx): Promise<OpOutcome> {
      const v = op.value;
      if (!isVector(v)) throw new Error('bad register op');
      const k = keyOf(v);
      if (op.f === 'read') {
        const r = await readData(ctx.client, path(k), o.readMode);
        return { type: 'ok', value: [k, r === null ? null : decodeNumber(r.data)] };
      }
      if (op.f === 'write') {
        await write(ctx.client, k, v[1] as number);
        return { type: 'ok' };
      }
      const [expected, next] = v[1] as [number, number];
      let cur;
      try {
        cur = await ctx.client.getData(path(k));
      } catch (e) {
        if (isZkError(e, ZK_ERRORS.NO_NODE)) return { type: 'fail', error: 'no-node' };
        throw e;
      }
      if (decodeNumber(cur.data) !== expected) return { type: 'fail', error: 'mismatch' };
      try {
        await ctx.client.setData(path(k), encode(next), cur.stat.version);
      } catch (e) {
        if (isZkError(e, ZK_ERRORS.BAD_VERSION)) return { type: 'fail', error: 'bad-version' };
        throw e;
      }
      return { type: 'ok' };
    },
    check(history: readonly Operation[], { timeLimitMs }): Verdict[] {
      const model = makeModel({ name: 'cas-register', independent: true });
      const r = checkHistory(history, model, { timeLimitMs });
      const verdict: Verdict = {
        checker: 'linearizable (cas-register per key)',
        valid: r.valid,
        summary:
          r.valid === true
            ? `linearizable: ${r.operations} ops over ${r.partitions} keys`
            : r.valid === false
              ? (r.explanation ?? 'not linearizable')
              : `unknown: ${r.reason ?? ''}`,
        details: r,
      };
      if (r.valid !== false || r.failure === undefined) return [verdict];
      const window = shortestFailingWindow(history, r.failure, { model: 'cas-register', timeLimitMs: Math.min(timeLimitMs, 30_000) });
      return [
        {
          ...verdict,
          culprits: [r.failure.index, r.failure.completionIndex],
          ...(window === undefined ? {} : { window }),
        },
      ];
    },
  };
}
