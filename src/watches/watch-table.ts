// Watch registrations and the notifications a tree change produces, with 3.8's exact rules: a data
// table (exists/getData watches) and a child table (getChildren watches); addWatch registers in
// both; standard watches fire once, persistent ones stay; recursive ones also fire for every
// descendant except for child-list changes; one watcher gets at most one event per trigger; a
// watcher has one mode per path and table (the last registration wins).
//
// A watcher is a connection id: watches belong to a connection and vanish with it; clients re-send
// them with setWatches after reconnecting.

import { EventType, type EventTypeValue } from '../protocol/constants.js';
import { parentOf } from '../protocol/paths.js';

export type WatcherId = number;
export type WatchMode = 'standard' | 'persistent' | 'persistentRecursive';

/** What a trigger that found no watcher returns (shared: the result is read-only). */
const NO_WATCHERS: ReadonlySet<WatcherId> = new Set();

export interface WatchEventSink {
  deliver(watcher: WatcherId, type: EventTypeValue, path: string): void;
  /** After a change fired watches: how many watchers it found (suppressed ones included, as 3.8 counts). */
  triggered?(type: EventTypeValue, watchers: number): void;
}

class WatchManager {
  readonly #watchersByPath = new Map<string, Set<WatcherId>>();
  readonly #pathsByWatcher = new Map<WatcherId, Set<string>>();
  readonly #modes = new Map<WatcherId, Map<string, WatchMode>>();
  #recursiveCount = 0;

  add(path: string, watcher: WatcherId, mode: WatchMode): void {
    let watchers = this.#watchersByPath.get(path);
    if (watchers === undefined) {
      watchers = new Set();
      this.#watchersByPath.set(path, watchers);
    }
    watchers.add(watcher);
    let paths = this.#pathsByWatcher.get(watcher);
    if (paths === undefined) {
      paths = new Set();
      this.#pathsByWatcher.set(watcher, paths);
    }
    paths.add(path);
    this.#setMode(watcher, path, mode);
  }

  #setMode(watcher: WatcherId, path: string, mode: WatchMode): void {
    const previous = this.modeOf(watcher, path);
    if (previous === 'persistentRecursive') this.#recursiveCount--;
    if (mode === 'persistentRecursive') this.#recursiveCount++;
    let byPath = this.#modes.get(watcher);
    if (mode === 'standard') {
      byPath?.delete(path);
      if (byPath !== undefined && byPath.size === 0) this.#modes.delete(watcher);
      return;
    }
    if (byPath === undefined) {
      byPath = new Map();
      this.#modes.set(watcher, byPath);
    }
    byPath.set(path, mode);
  }

  modeOf(watcher: WatcherId, path: string): WatchMode {
    return this.#modes.get(watcher)?.get(path) ?? 'standard';
  }

  /** Paths to visit for a change at `path`: the path, then its ancestors if any recursive watch exists. */
  *#pathAndAncestors(path: string): Generator<[string, boolean]> {
    yield [path, false];
    if (this.#recursiveCount === 0) return;
    let current = path;
    while (current !== '/') {
      current = parentOf(current);
      yield [current, true];
    }
  }

  trigger(path: string, type: EventTypeValue, suppress: ReadonlySet<WatcherId> | null, sink: WatchEventSink): ReadonlySet<WatcherId> {
    // Every write triggers: without a watch on the path (nor a recursive one anywhere) there is
    // nothing to do, and nothing should be allocated for it.
    if (this.#recursiveCount === 0 && !this.#watchersByPath.has(path)) return NO_WATCHERS;
    const notified = new Set<WatcherId>();
    for (const [localPath, atAncestor] of this.#pathAndAncestors(path)) {
      const watchers = this.#watchersByPath.get(localPath);
      if (watchers === undefined) continue;
      for (const watcher of watchers) {
        const mode = this.modeOf(watcher, localPath);
        if (mode === 'persistentRecursive') {
          if (type !== EventType.nodeChildrenChanged) notified.add(watcher);
        } else if (!atAncestor) {
          notified.add(watcher);
          if (mode === 'standard') {
            watchers.delete(watcher);
            this.#pathsByWatcher.get(watcher)?.delete(localPath);
          }
        }
      }
      if (watchers.size === 0) this.#watchersByPath.delete(localPath);
    }
    for (const watcher of notified) {
      if (suppress === null || !suppress.has(watcher)) sink.deliver(watcher, type, path);
    }
    if (notified.size > 0) sink.triggered?.(type, notified.size);
    return notified;
  }

  /** 3.8 answers "yes" when any watcher at all is registered on the exact path (checkWatches). */
  contains(path: string, watcher: WatcherId): boolean {
    const recursive = this.modeOf(watcher, path) === 'persistentRecursive';
    for (const [localPath, atAncestor] of this.#pathAndAncestors(path)) {
      if (!atAncestor && this.#watchersByPath.has(localPath)) return true;
      if (recursive) return true;
    }
    return false;
  }

  remove(path: string, watcher: WatcherId): boolean {
    const paths = this.#pathsByWatcher.get(watcher);
    if (paths === undefined || !paths.delete(path)) return false;
    const watchers = this.#watchersByPath.get(path);
    if (watchers === undefined || !watchers.delete(watcher)) return false;
    if (watchers.size === 0) this.#watchersByPath.delete(path);
    this.#setMode(watcher, path, 'standard');
    return true;
  }

  removeWatcher(watcher: WatcherId): void {
    const paths = this.#pathsByWatcher.get(watcher);
    if (paths === undefined) return;
    this.#pathsByWatcher.delete(watcher);
    for (const path of paths) {
      const watchers = this.#watchersByPath.get(path);
      if (watchers !== undefined) {
        watchers.delete(watcher);
        if (watchers.size === 0) this.#watchersByPath.delete(path);
      }
      this.#setMode(watcher, path, 'standard');
    }
  }

  get size(): number {
    let count = 0;
    for (const watchers of this.#watchersByPath.values()) count += watchers.size;
    return count;
  }

  get pathCount(): number {
    return this.#watchersByPath.size;
  }

  pathsOf(watcher: WatcherId): ReadonlySet<string> {
    return this.#pathsByWatcher.get(watcher) ?? new Set();
  }

  byPath(): ReadonlyMap<string, ReadonlySet<WatcherId>> {
    return this.#watchersByPath;
  }

  watchers(): IterableIterator<WatcherId> {
    return this.#pathsByWatcher.keys();
  }
}

export type WatcherKind = 'children' | 'data' | 'any';

export class WatchTable {
  readonly data = new WatchManager();
  readonly child = new WatchManager();
  readonly #sink: WatchEventSink;

  constructor(sink: WatchEventSink) {
    this.#sink = sink;
  }

  addDataWatch(path: string, watcher: WatcherId): void {
    this.data.add(path, watcher, 'standard');
  }

  addChildWatch(path: string, watcher: WatcherId): void {
    this.child.add(path, watcher, 'standard');
  }

  addPersistentWatch(path: string, watcher: WatcherId, recursive: boolean): void {
    const mode: WatchMode = recursive ? 'persistentRecursive' : 'persistent';
    this.child.add(path, watcher, mode);
    this.data.add(path, watcher, mode);
  }

  nodeCreated(path: string, parentPath: string): void {
    this.data.trigger(path, EventType.nodeCreated, null, this.#sink);
    this.child.trigger(parentPath, EventType.nodeChildrenChanged, null, this.#sink);
  }

  nodeDeleted(path: string, parentPath: string): void {
    const notified = this.data.trigger(path, EventType.nodeDeleted, null, this.#sink);
    this.child.trigger(path, EventType.nodeDeleted, notified, this.#sink);
    this.child.trigger(parentPath, EventType.nodeChildrenChanged, null, this.#sink);
  }

  nodeDataChanged(path: string): void {
    this.data.trigger(path, EventType.nodeDataChanged, null, this.#sink);
  }

  contains(path: string, kind: WatcherKind, watcher: WatcherId): boolean {
    switch (kind) {
      case 'children':
        return this.child.contains(path, watcher);
      case 'data':
        return this.data.contains(path, watcher);
      case 'any':
        return this.child.contains(path, watcher) || this.data.contains(path, watcher);
    }
  }

  remove(path: string, kind: WatcherKind, watcher: WatcherId): boolean {
    switch (kind) {
      case 'children':
        return this.child.remove(path, watcher);
      case 'data':
        return this.data.remove(path, watcher);
      case 'any': {
        const fromChild = this.child.remove(path, watcher);
        const fromData = this.data.remove(path, watcher);
        return fromChild || fromData;
      }
    }
  }

  removeWatcher(watcher: WatcherId): void {
    this.data.removeWatcher(watcher);
    this.child.removeWatcher(watcher);
  }

  get totalWatches(): number {
    return this.data.size + this.child.size;
  }
}
