/**
 * Watches. Writers set root/w/<k> to ever larger numbers; each watcher has its own session
 * (connected to any server, so that it reconnects elsewhere when its server fails) and a data
 * watch on its key:
 *   :watch  getData with a watch, when none is pending -> [k version session arrival]
 *   :read   getData without a watch, while one is pending -> [k version session arrival]
 * (arrival: the position of the reply among everything the watcher's client received, so that
 * replies and notifications are compared in the order the client saw them, not the order in which
 * promise continuations happened to record them).
 *   :write  (writers) setData of the next number
 * A fired watch is recorded as a :watch-event op of process :events.
 *
 * Checked, per watcher session: a client sees the event before the new data (a read that returns
 * a version above the one its pending watch was set at, with the event not yet delivered, is a
 * violation); and no event is lost across reconnects: after the faults, every watch still pending
 * on a key that changed since gets its event within 20 s (:await-event), unless its session
 * expired (watches die with their session).
 */
import { EdnMap, isVector, type EdnValue } from '../history/edn.js';
import type { Operation } from '../history/history.js';
import { toEdn } from '../runner/recorder.js';
import { ensurePath, encode, type OpContext, type OpOutcome, type Verdict, type Workload, type WorkloadOptions } from './workload.js';

const KEYS = 3;

interface Watcher {
  readonly handle: Awaited<ReturnType<OpContext['openClient']>>;
  readonly key: number;
  readonly process: number;
  /** Version the pending watch was set at, or undefined. */
  pending: number | undefined;
  /** The token of the watch that is pending. */
  current: { fired: boolean } | undefined;
  expired: boolean;
  fired: number;
  /** Resolvers waiting for the pending watch to fire. */
  waiters: (() => void)[];
}

function num(v: EdnValue | undefined): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

export function checkWatches(history: readonly Operation[]): Verdict {
  // Per watcher session, replies and notifications in the order the client received them.
  interface Item {
    readonly arrival: number;
    readonly kind: 'watch' | 'read' | 'event';
    readonly version: number;
    readonly index: number;
    readonly invokeIndex: number;
  }
  const perSession = new Map<string, Item[]>();
  const add = (session: string, item: Item) => {
    const list = perSession.get(session) ?? [];
    list.push(item);
    perSession.set(session, list);
  };
  const problems: { kind: string; session: string; indexes: number[] }[] = [];
  const open = new Map<number, Operation>();
  let events = 0;
  let awaited = 0;
  const seenEvents = new Set<string>();
  for (const op of history) {
    if (op.process === 'events' && op.f === 'watch-event' && op.value instanceof EdnMap) {
      const session = op.value.getKw('session');
      const arrival = num(op.value.getKw('arrival'));
      // recorded as Jepsen records nemesis ops: twice (begin and end), with the same value
      if (typeof session === 'string' && arrival !== undefined && !seenEvents.has(`${session}/${arrival}`)) {
        seenEvents.add(`${session}/${arrival}`);
        add(session, { arrival, kind: 'event', version: -1, index: op.index, invokeIndex: op.index });
        events++;
      }
      continue;
    }
    if (typeof op.process !== 'number') continue;
    if (op.type === 'invoke') {
      open.set(op.process, op);
      continue;
    }
    const inv = open.get(op.process);
    open.delete(op.process);
    if (inv === undefined || op.type !== 'ok') continue;
    if (op.f === 'await-event' && op.value instanceof EdnMap) {
      awaited++;
      if (op.value.getKw('fired') === false && op.value.getKw('changed') === true && op.value.getKw('expired') !== true) {
        problems.push({ kind: 'a watch set before the last change never fired (event lost)', session: String(op.value.getKw('session')), indexes: [op.index] });
      }
      continue;
    }
    if (op.f !== 'watch' && op.f !== 'read') continue;
    const v = op.value;
    if (!isVector(v)) continue;
    const version = num(v[1]);
    const session = v[2];
    const arrival = num(v[3]);
    if (version === undefined || typeof session !== 'string' || arrival === undefined) continue;
    add(session, { arrival, kind: op.f, version, index: op.index, invokeIndex: inv.index });
  }
  for (const [session, items] of perSession) {
    items.sort((a, b) => a.arrival - b.arrival);
    let pending: Item | undefined;
    for (const item of items) {
      if (item.kind === 'event') {
        pending = undefined;
        continue;
      }
      if (pending !== undefined && item.version > pending.version) {
        problems.push({ kind: `read version ${item.version} before the event of the watch set at version ${pending.version}`, session, indexes: [pending.invokeIndex, pending.index, item.invokeIndex, item.index] });
        pending = undefined;
      }
      if (item.kind === 'watch') pending = item;
    }
  }
  return {
    checker: 'watches',
    valid: problems.length === 0,
    summary:
      problems.length === 0
        ? `${perSession.size} watcher sessions, ${events} events, ${awaited} watches awaited at the end: events always before the new data, none lost`
        : `${problems.length} violations: ${problems.slice(0, 3).map((p) => p.kind).join('; ')}`,
    details: { sessions: perSession.size, events, awaited, problems: problems.slice(0, 50) },
    culprits: problems.slice(0, 10).flatMap((p) => p.indexes),
  };
}

export function watchesWorkload(o: WorkloadOptions): Workload {
  const base = `${o.root}/w`;
  const path = (k: number) => `${base}/${k}`;
  const watchers = new Map<number, Watcher>();
  const all: Watcher[] = [];
  let nextValue = 1;
  const isWriter = (process: number) => process % 4 === 0;

  return {
    name: 'watches',
    description: 'data watches: the event comes before the new data, and none is lost across reconnects',
    clientTargets: 'own',
    isRead: (f) => f === 'watch' || f === 'read',
    async setup(admin) {
      await ensurePath(admin, base);
      for (let k = 0; k < KEYS; k++) await ensurePath(admin, path(k));
    },
    next(process, rng) {
      if (isWriter(process)) return { f: 'write', value: [rng.int(KEYS), nextValue++] };
      const w = watchers.get(process);
      const key = w?.key ?? process % KEYS;
      return { f: w?.pending === undefined ? 'watch' : 'read', value: [key, null] };
    },
    async apply(op, ctx): Promise<OpOutcome> {
      const v = op.value;
      const k = isVector(v) && typeof v[0] === 'number' ? v[0] : 0;
      if (op.f === 'write') {
        await ctx.client.setData(path(k), encode(isVector(v) ? (num(v[1]) ?? 0) : 0), -1);
        return { type: 'ok' };
      }
      let w = watchers.get(ctx.process);
      if (w === undefined) {
        const handle = await ctx.openClient({ abandonable: false });
        const created: Watcher = { handle, key: k, process: ctx.process, pending: undefined, current: undefined, expired: false, fired: 0, waiters: [] };
        handle.client.onSessionState((state) => {
          if (state === 'expired') created.expired = true;
        });
        watchers.set(ctx.process, created);
        all.push(created);
        w = created;
      }
      const me = w;
      const client = me.handle.client;
      if (me.expired) {
        watchers.delete(ctx.process);
        await me.handle.close();
        return { type: 'fail', error: 'session-expired' };
      }
      if (op.f === 'read' || me.pending !== undefined) {
        const { stat, arrival } = await client.getData(path(k));
        return { type: 'ok', value: [k, stat.version, client.sessionId() ?? null, arrival ?? null], client };
      }
      const session = client.sessionId();
      const token = { fired: false };
      const { stat, arrival } = await client.getData(path(k), (event) => {
        token.fired = true;
        if (me.current === token) {
          me.pending = undefined;
          me.current = undefined;
        }
        me.fired++;
        ctx.event('watch-event', toEdn({ process: me.process, session, key: k, type: event.type, path: event.path, arrival: event.arrival }));
        for (const resolve of me.waiters.splice(0)) resolve();
      });
      if (!token.fired) {
        me.pending = stat.version;
        me.current = token;
      }
      return { type: 'ok', value: [k, stat.version, session ?? null, arrival ?? null], client };
    },
    async final(ctx) {
      // the current version of every key
      const versions = new Map<number, number>();
      for (let attempt = 0; attempt < 10 && versions.size < KEYS; attempt++) {
        await ctx.run('versions', null, async (client) => {
          await client.setData(base, Buffer.alloc(0), -1);
          const entries: [EdnValue, EdnValue][] = [];
          for (let k = 0; k < KEYS; k++) {
            const { stat } = await client.getData(path(k));
            versions.set(k, stat.version);
            entries.push([k, stat.version]);
          }
          return { type: 'ok', value: new EdnMap(entries) };
        });
      }
      for (const w of all) {
        if (w.pending === undefined) continue;
        const setAt = w.pending;
        const changed = (versions.get(w.key) ?? -1) > setAt;
        const session = w.handle.client.sessionId();
        await ctx.run('await-event', toEdn({ process: w.process, session, key: w.key, 'set-at': setAt }), async () => {
          if (changed && w.pending !== undefined && !w.expired) {
            await Promise.race([new Promise<void>((resolve) => w.waiters.push(resolve)), new Promise((resolve) => setTimeout(resolve, 20_000))]);
          }
          return {
            type: 'ok',
            value: toEdn({ process: w.process, session, key: w.key, 'set-at': setAt, changed, fired: w.pending === undefined, expired: w.expired }),
          };
        });
      }
    },
    async stop() {
      for (const w of all.splice(0)) await w.handle.close();
      watchers.clear();
    },
    check(history) {
      return [checkWatches(history)];
    },
  };
}
