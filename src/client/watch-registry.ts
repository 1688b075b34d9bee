// The client's side of watches (ZKWatchManager of the Java client): which watchers wait on which
// path, so that a notification reaches the watchers that asked for it, one-shot watches are dropped
// once they fire, and every watch can be re-registered after a reconnect.

import type { EventType } from './types.js';

export type WatchKind = 'data' | 'exist' | 'child' | 'persistent' | 'persistentRecursive';

export const WATCH_KINDS: readonly WatchKind[] = ['data', 'exist', 'child', 'persistent', 'persistentRecursive'];

/** Ancestors of a path and the path itself, deepest first: /a/b -> /a/b, /a, /. */
function selfAndAncestors(path: string): string[] {
  const out = [path];
  let p = path;
  while (p !== '/' && p !== '') {
    const slash = p.lastIndexOf('/');
    p = slash <= 0 ? '/' : p.slice(0, slash);
    out.push(p);
  }
  return out;
}

export class WatchRegistry<W> {
  readonly #tables: Record<WatchKind, Map<string, Set<W>>> = {
    data: new Map(),
    exist: new Map(),
    child: new Map(),
    persistent: new Map(),
    persistentRecursive: new Map(),
  };

  add(kind: WatchKind, path: string, watcher: W): void {
    const table = this.#tables[kind];
    let set = table.get(path);
    if (set === undefined) {
      set = new Set();
      table.set(path, set);
    }
    set.add(watcher);
  }

  /** Paths with at least one watch of this kind, in registration order. */
  paths(kind: WatchKind): string[] {
    return [...this.#tables[kind].keys()];
  }

  get size(): number {
    return WATCH_KINDS.reduce((n, kind) => n + this.#tables[kind].size, 0);
  }

  /** Every watcher registered anywhere (state changes reach them all, as in Java). */
  all(): Set<W> {
    const out = new Set<W>();
    for (const kind of WATCH_KINDS) for (const set of this.#tables[kind].values()) for (const w of set) out.add(w);
    return out;
  }

  /** The watchers a notification triggers; one-shot watches are removed, persistent ones stay. */
  trigger(type: EventType, path: string): Set<W> {
    const out = new Set<W>();
    const take = (kind: WatchKind): void => {
      const set = this.#tables[kind].get(path);
      if (set === undefined) return;
      this.#tables[kind].delete(path);
      for (const w of set) out.add(w);
    };
    switch (type) {
      case 'NodeDataChanged':
      case 'NodeCreated':
        take('data');
        take('exist');
        break;
      case 'NodeChildrenChanged':
        take('child');
        break;
      case 'NodeDeleted':
        take('data');
        take('exist');
        take('child');
        break;
      default:
        break;
    }
    for (const w of this.#tables.persistent.get(path) ?? []) out.add(w);
    // Recursive watches are never triggered by NodeChildrenChanged (the server does not send it for them).
    if (type !== 'NodeChildrenChanged') {
      for (const p of selfAndAncestors(path)) for (const w of this.#tables.persistentRecursive.get(p) ?? []) out.add(w);
    }
    return out;
  }

  clear(): void {
    for (const kind of WATCH_KINDS) this.#tables[kind].clear();
  }
}
