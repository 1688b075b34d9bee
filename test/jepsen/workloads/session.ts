/**
 * Session guarantees from zxids. Every worker keeps one session for the whole run (connected to
 * any server; the client reconnects by itself, possibly elsewhere), writes and reads a few keys
 * with plain reads (no sync: ZooKeeper promises these guarantees without it):
 *   :write {:key k :value v} -> ok {... :mzxid z}   (setData; z from the returned stat)
 *   :read  {:key k}          -> ok {... :value v :mzxid z}
 * Checked per session (the :session of each op, the :zxid the client saw in reply headers):
 *   - the reply zxid never goes back, even across reconnects to other servers;
 *   - read your writes: a read of k after the session's write of k sees that write or a later one;
 *   - monotonic reads: per key, a session never sees an older version after a newer one;
 *   - monotonic writes: a session's writes are applied in order.
 */
import { EdnMap, type EdnValue } from '../history/edn.js';
import type { Operation } from '../history/history.js';
import { toEdn } from '../runner/recorder.js';
import { decodeNumber, encode, ensurePath, type OpOutcome, type Verdict, type Workload, type WorkloadOptions } from './workload.js';

const KEYS = 4;

function get(v: EdnValue, key: string): EdnValue | undefined {
  return v instanceof EdnMap ? v.getKw(key) : undefined;
}

function big(v: EdnValue | undefined): bigint | undefined {
  return typeof v === 'number' ? BigInt(v) : typeof v === 'bigint' ? v : undefined;
}

export function checkSessions(history: readonly Operation[]): Verdict {
  interface S {
    lastZxid: bigint;
    lastZxidIndex: number;
    written: Map<number, { mzxid: bigint; index: number }>;
    seen: Map<number, { mzxid: bigint; index: number }>;
    lastWrite: { mzxid: bigint; index: number } | undefined;
  }
  const sessions = new Map<string, S>();
  const problems: { kind: string; session: string; indexes: number[] }[] = [];
  let checked = 0;
  for (const op of history) {
    if (typeof op.process !== 'number' || op.type !== 'ok') continue;
    const sessionValue = op.raw.getKw('session');
    if (typeof sessionValue !== 'string') continue;
    let s = sessions.get(sessionValue);
    if (s === undefined) sessions.set(sessionValue, (s = { lastZxid: -1n, lastZxidIndex: -1, written: new Map(), seen: new Map(), lastWrite: undefined }));
    const zxid = big(op.raw.getKw('zxid'));
    if (zxid !== undefined) {
      if (zxid < s.lastZxid) problems.push({ kind: `reply zxid went back from 0x${s.lastZxid.toString(16)} to 0x${zxid.toString(16)}`, session: sessionValue, indexes: [s.lastZxidIndex, op.index] });
      else {
        s.lastZxid = zxid;
        s.lastZxidIndex = op.index;
      }
    }
    const key = get(op.value, 'key');
    const mzxid = big(get(op.value, 'mzxid'));
    if (typeof key !== 'number' || mzxid === undefined) continue;
    checked++;
    if (op.f === 'write') {
      if (s.lastWrite !== undefined && mzxid <= s.lastWrite.mzxid) problems.push({ kind: 'writes applied out of order', session: sessionValue, indexes: [s.lastWrite.index, op.index] });
      s.lastWrite = { mzxid, index: op.index };
      s.written.set(key, { mzxid, index: op.index });
      const seen = s.seen.get(key);
      if (seen === undefined || seen.mzxid < mzxid) s.seen.set(key, { mzxid, index: op.index });
    } else if (op.f === 'read') {
      const w = s.written.get(key);
      if (w !== undefined && mzxid < w.mzxid) problems.push({ kind: `read of key ${key} missed the session's own write`, session: sessionValue, indexes: [w.index, op.index] });
      const seen = s.seen.get(key);
      if (seen !== undefined && mzxid < seen.mzxid) problems.push({ kind: `read of key ${key} went back in time`, session: sessionValue, indexes: [seen.index, op.index] });
      if (seen === undefined || seen.mzxid < mzxid) s.seen.set(key, { mzxid, index: op.index });
    }
  }
  return {
    checker: 'session guarantees',
    valid: problems.length === 0,
    summary:
      problems.length === 0
        ? `${sessions.size} sessions, ${checked} ops: zxids never went back, reads saw own writes, monotonic reads and writes`
        : `${problems.length} violations: ${problems.slice(0, 3).map((p) => `${p.session}: ${p.kind}`).join('; ')}`,
    details: { sessions: sessions.size, ops: checked, problems: problems.slice(0, 50) },
    culprits: problems.slice(0, 10).flatMap((p) => p.indexes),
  };
}

export function sessionWorkload(o: WorkloadOptions): Workload {
  const base = `${o.root}/s`;
  const path = (k: number) => `${base}/${k}`;
  let nextValue = 0;
  return {
    name: 'session',
    description: 'session guarantees from zxids: monotonic zxids, read your writes, monotonic reads and writes (plain reads)',
    clientTargets: 'all',
    keepClient: true,
    isRead: (f) => f === 'read',
    async setup(admin) {
      await ensurePath(admin, base);
      for (let k = 0; k < KEYS; k++) await ensurePath(admin, path(k));
    },
    next(_p, rng) {
      const key = rng.int(KEYS);
      return rng.int(2) === 0 ? { f: 'write', value: toEdn({ key, value: nextValue++ }) } : { f: 'read', value: toEdn({ key }) };
    },
    async apply(op, ctx): Promise<OpOutcome> {
      const key = get(op.value, 'key');
      if (typeof key !== 'number') throw new Error('bad session op');
      if (op.f === 'write') {
        const value = get(op.value, 'value');
        const stat = await ctx.client.setData(path(key), encode(typeof value === 'number' ? value : 0), -1);
        return { type: 'ok', value: toEdn({ key, value, mzxid: stat.mzxid }) };
      }
      const { data, stat } = await ctx.client.getData(path(key));
      return { type: 'ok', value: toEdn({ key, value: decodeNumber(data), mzxid: stat.mzxid }) };
    },
    check(history) {
      return [checkSessions(history)];
    },
  };
}
