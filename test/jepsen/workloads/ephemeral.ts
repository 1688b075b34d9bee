/**
 * Session and ephemeral lifecycle. Each worker owns at most one session at a time (opened through
 * local proxies, so that it can be abandoned: cut off without a word to the server) with one
 * ephemeral znode:
 *   :create   opens the owner session and creates root/eph/p<process>-<n> (ephemeral)
 *   :touch    the owner checks its own ephemeral (exists)
 *   :observe  another session checks someone's ephemeral after a barrier
 *   :close    the owner closes its session; ok only once the server acknowledged closeSession
 *   :abandon  the owner's connection is cut for good; the server must expire the session
 * and after the faults, a :final-read lists every ephemeral still there (after waiting out the
 * session timeout).
 *
 * Checked: an ephemeral never disappears while its session lives (a touch that finds it absent;
 * an observer who found it absent before a later successful touch of its owner), an ephemeral is
 * gone for every read that starts after its session's close was acknowledged, and none is left
 * at the end whose session was closed. Abandoned sessions that outlive their timeout by far are
 * reported (not a violation: a new leader restarts every session's timeout).
 */
import type { ZkClient } from '../client/client.js';
import { EdnMap, EdnSet, isVector, kw, type EdnValue } from '../history/edn.js';
import type { Operation } from '../history/history.js';
import { toEdn } from '../runner/recorder.js';
import { barrier } from './reads.js';
import { ensurePath, type OpContext, type OpOutcome, type Verdict, type Workload, type WorkloadOptions } from './workload.js';

interface Owner {
  readonly handle: Awaited<ReturnType<OpContext['openClient']>>;
  readonly path: string;
}

function field(v: EdnValue, key: string): EdnValue | undefined {
  return v instanceof EdnMap ? v.getKw(key) : undefined;
}

interface Span {
  readonly inv: Operation;
  readonly comp: Operation | undefined;
}

export function checkEphemerals(history: readonly Operation[], sessionTimeoutMs: number): Verdict {
  const open = new Map<number, Operation>();
  const spans: Span[] = [];
  for (const op of history) {
    if (typeof op.process !== 'number') continue;
    if (op.type === 'invoke') open.set(op.process, op);
    else {
      const inv = open.get(op.process);
      open.delete(op.process);
      if (inv !== undefined) spans.push({ inv, comp: op });
    }
  }
  const ok = spans.filter((s) => s.comp?.type === 'ok');
  const pathOf = (s: Span) => {
    const v = field(s.comp?.value ?? null, 'path') ?? field(s.inv.value, 'path');
    return typeof v === 'string' ? v : undefined;
  };
  const presentOf = (s: Span) => field(s.comp?.value ?? null, 'present');
  const problems: { kind: string; path: string; indexes: number[] }[] = [];
  const late: { path: string; index: number; afterMs: number }[] = [];
  const touches = new Map<string, Span[]>();
  const closes = new Map<string, Span>();
  const abandons = new Map<string, Span>();
  for (const s of ok) {
    const p = pathOf(s);
    if (p === undefined) continue;
    if (s.inv.f === 'touch') {
      const list = touches.get(p) ?? [];
      list.push(s);
      touches.set(p, list);
      if (presentOf(s) === false) problems.push({ kind: 'its owner found it gone while the session was alive', path: p, indexes: [s.inv.index, s.comp?.index ?? s.inv.index] });
    }
    if (s.inv.f === 'close') closes.set(p, s);
    if (s.inv.f === 'abandon') abandons.set(p, s);
  }
  const ms = (op: Operation | undefined) => (op?.time ?? 0) / 1e6;
  for (const s of ok) {
    if (s.inv.f !== 'observe') continue;
    const p = pathOf(s);
    if (p === undefined || s.comp === undefined) continue;
    const present = presentOf(s);
    if (present === false) {
      const later = (touches.get(p) ?? []).find((t) => t.inv.index > (s.comp?.index ?? 0));
      if (later !== undefined) problems.push({ kind: 'an observer found it gone, then its owner used the session', path: p, indexes: [s.inv.index, s.comp.index, later.inv.index, later.comp?.index ?? later.inv.index] });
    }
    if (present === true) {
      const c = closes.get(p);
      if (c?.comp !== undefined && s.inv.index > c.comp.index) problems.push({ kind: 'still there after its session was closed', path: p, indexes: [c.inv.index, c.comp.index, s.inv.index, s.comp.index] });
      const a = abandons.get(p);
      if (a?.comp !== undefined && ms(s.inv) - ms(a.comp) > 2 * sessionTimeoutMs + 5000) late.push({ path: p, index: s.comp.index, afterMs: Math.round(ms(s.inv) - ms(a.comp)) });
    }
  }
  const final = ok.filter((s) => s.inv.f === 'final-read').at(-1);
  let leftover = 0;
  if (final?.comp !== undefined) {
    const v = final.comp.value;
    const paths = v instanceof EdnSet ? v.items : isVector(v) ? v : [];
    for (const p of paths) {
      if (typeof p !== 'string') continue;
      const c = closes.get(p);
      if (c?.comp !== undefined) problems.push({ kind: 'left at the end although its session was closed', path: p, indexes: [c.comp.index, final.comp.index] });
      else if (abandons.has(p)) {
        leftover++;
        late.push({ path: p, index: final.comp.index, afterMs: Math.round(ms(final.inv) - ms(abandons.get(p)?.comp)) });
      }
    }
  }
  const created = ok.filter((s) => s.inv.f === 'create').length;
  return {
    checker: 'ephemeral lifecycle',
    valid: final === undefined ? (problems.length > 0 ? false : 'unknown') : problems.length === 0,
    summary:
      problems.length > 0
        ? `${problems.length} violations: ${problems.slice(0, 3).map((p) => `${p.path} ${p.kind}`).join('; ')}`
        : `${created} ephemerals, ${closes.size} closed, ${abandons.size} abandoned: none vanished early, none survived its closed session${late.length > 0 ? `; ${late.length} abandoned ones expired late (${leftover} still there at the end)` : ''}${final === undefined ? '; no final read' : ''}`,
    details: { created, closed: closes.size, abandoned: abandons.size, problems: problems.slice(0, 50), lateExpiries: late.slice(0, 50) },
    culprits: problems.slice(0, 10).flatMap((p) => p.indexes),
  };
}

export function ephemeralWorkload(o: WorkloadOptions): Workload {
  const base = `${o.root}/eph`;
  const owners = new Map<number, Owner>();
  const known: string[] = [];
  const abandoned: Owner['handle'][] = [];
  let counter = 0;

  const drop = async (process: number) => {
    const owner = owners.get(process);
    owners.delete(process);
    await owner?.handle.close();
  };

  return {
    name: 'ephemeral',
    description: 'session and ephemeral lifecycle: created, kept while the session lives, gone once it is closed or expired',
    clientTargets: 'own',
    isRead: (f) => f === 'observe' || f === 'touch',
    async setup(admin) {
      await ensurePath(admin, base);
    },
    next(process, rng) {
      const owner = owners.get(process);
      if (owner === undefined) return { f: 'create', value: null };
      const r = rng.int(20);
      if (r < 8) return { f: 'touch', value: toEdn({ path: owner.path }) };
      if (r < 16 && known.length > 1) {
        const recent = known.slice(-12);
        return { f: 'observe', value: toEdn({ path: rng.pick(recent) }) };
      }
      if (r < 18) return { f: 'close', value: toEdn({ path: owner.path }) };
      return { f: 'abandon', value: toEdn({ path: owner.path }) };
    },
    async apply(op, ctx): Promise<OpOutcome> {
      const pathOf = () => {
        const v = field(op.value, 'path');
        return typeof v === 'string' ? v : '';
      };
      if (op.f === 'create') {
        // a new process after :info still holds its predecessor's owner; forget it (it expires)
        const handle = await ctx.openClient({ abandonable: true });
        const path = `${base}/p${ctx.process}-${counter++}`;
        try {
          await handle.client.create(path, Buffer.alloc(0), 'ephemeral');
        } catch (e) {
          await handle.close();
          throw e;
        }
        owners.set(ctx.process, { handle, path });
        known.push(path);
        return { type: 'ok', value: toEdn({ path, session: handle.client.sessionId() }) };
      }
      if (op.f === 'observe') {
        const path = pathOf();
        await barrier(ctx.client, base);
        const stat = await ctx.client.exists(path);
        return { type: 'ok', value: toEdn({ path, present: stat !== null }) };
      }
      const owner = owners.get(ctx.process);
      if (owner === undefined) return { type: 'fail', error: 'no-session' };
      if (op.f === 'touch') {
        try {
          const stat = await owner.handle.client.exists(owner.path);
          return { type: 'ok', value: toEdn({ path: owner.path, present: stat !== null }) };
        } catch (e) {
          await drop(ctx.process);
          throw e;
        }
      }
      if (op.f === 'close') {
        try {
          await owner.handle.client.closeSession(Math.max(1000, o.opTimeoutMs - 500));
        } finally {
          await drop(ctx.process);
        }
        return { type: 'ok', value: toEdn({ path: owner.path }) };
      }
      // abandon
      owners.delete(ctx.process);
      await owner.handle.abandon();
      // keep the cut client around until it gives up; it is closed when the workload stops
      abandoned.push(owner.handle);
      return { type: 'ok', value: toEdn({ path: owner.path, at: kw('abandoned') }) };
    },
    async final(ctx) {
      for (const [p] of owners) await drop(p);
      await new Promise((resolve) => setTimeout(resolve, o.sessionTimeoutMs * 1.5));
      for (let attempt = 0; attempt < 10; attempt++) {
        const r = await ctx.run('final-read', null, async (client: ZkClient) => {
          await barrier(client, base);
          const { children } = await client.getChildren(base);
          return { type: 'ok', value: new EdnSet(children.map((c) => `${base}/${c}`).sort()) };
        });
        if (r.type === 'ok') return;
      }
    },
    async stop() {
      for (const [p] of owners) await drop(p);
      for (const h of abandoned.splice(0)) await h.close();
    },
    check(history) {
      return [checkEphemerals(history, o.sessionTimeoutMs)];
    },
  };
}
