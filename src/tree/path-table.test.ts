// PathTable against a Map under random sequences of sets, replacements and deletes, with few
// distinct paths (so probe runs wrap, collide and shift back on delete) and through growth.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashPath, PathTable } from './path-table.js';

class Entry {
  constructor(
    readonly path: string,
    readonly version: number,
  ) {}

  keyEquals(path: string): boolean {
    return this.path === path;
  }
}

type Op = { kind: 'set'; key: number } | { kind: 'delete'; key: number } | { kind: 'get'; key: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), key: fc.nat(300) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.nat(300) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('get' as const), key: fc.nat(300) }) },
);

const pathOf = (key: number): string => (key % 7 === 0 ? `/é/${key}` : `/a/b-${key}`);

describe('PathTable', () => {
  it('holds what a Map holds after any sequence of sets and deletes', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 2000 }), fc.integer(), (ops, seed) => {
        const table = new PathTable<Entry>(seed);
        const model = new Map<string, Entry>();
        let version = 0;
        for (const op of ops) {
          const path = pathOf(op.key);
          if (op.kind === 'set') {
            const entry = new Entry(path, version++);
            expect(table.set(entry)).toBe(model.get(path));
            model.set(path, entry);
          } else if (op.kind === 'delete') {
            expect(table.delete(path)).toBe(model.get(path));
            model.delete(path);
          } else {
            expect(table.get(path)).toBe(model.get(path));
          }
          expect(table.size).toBe(model.size);
        }
        for (let key = 0; key <= 300; key++) expect(table.get(pathOf(key))).toBe(model.get(pathOf(key)));
        expect([...table.keys()].sort()).toEqual([...model.keys()].sort());
        expect(new Set(table.values())).toEqual(new Set(model.values()));
      }),
      { numRuns: 200 },
    );
  });

  it('indexes appended entries as sets one by one would have, and says which replaced which', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(400), { maxLength: 3000 }), fc.nat(200), (keys, expected) => {
        const table = new PathTable<Entry>();
        table.clear(expected);
        const model = new Map<string, Entry>();
        const replaced: Entry[] = [];
        const order: Entry[] = [];
        keys.forEach((key, version) => {
          const entry = new Entry(pathOf(key), version);
          const previous = model.get(entry.path);
          if (previous !== undefined) replaced.push(previous);
          model.set(entry.path, entry);
          order.push(entry);
          table.append(entry, hashPath(entry.path, table.seed));
        });
        expect(table.size).toBe(keys.length);
        const replacements = table.index();
        expect(table.size).toBe(model.size);
        const byVersion = (a: Entry, b: Entry): number => a.version - b.version;
        expect(replacements.map((r) => r.replaced).sort(byVersion)).toEqual(replaced.sort(byVersion));
        for (const r of replacements) {
          expect(order[r.position]).toBe(r.replaced);
          expect(r.by.path).toBe(r.replaced.path);
          expect(r.by.version).toBeGreaterThan(r.replaced.version);
        }
        for (const [path, entry] of model) expect(table.get(path)).toBe(entry);
        expect(new Set(table.values())).toEqual(new Set(model.values()));
        // Holes where replaced entries were, the rest in the order they came.
        expect(table.entriesInOrder().filter((e) => e !== undefined)).toEqual(order.filter((e) => !replaced.includes(e)));
        // Appending again after an index, on top of what is there.
        table.append(new Entry(pathOf(0), -1), hashPath(pathOf(0), table.seed));
        const again = table.index();
        expect(again.length).toBe(model.has(pathOf(0)) ? 1 : 0);
        expect(table.get(pathOf(0))?.version).toBe(-1);
      }),
      { numRuns: 100 },
    );
  });

  it('grows to a hundred thousand entries and empties again', () => {
    const table = new PathTable<Entry>();
    for (let i = 0; i < 100_000; i++) table.set(new Entry(`/p/${i}`, i));
    expect(table.size).toBe(100_000);
    for (let i = 0; i < 100_000; i++) expect(table.get(`/p/${i}`)?.version).toBe(i);
    expect(table.get('/p/100000')).toBeUndefined();
    for (let i = 0; i < 100_000; i += 2) expect(table.delete(`/p/${i}`)?.version).toBe(i);
    for (let i = 0; i < 100_000; i++) expect(table.has(`/p/${i}`)).toBe(i % 2 === 1);
    // Holes left by the deletes are filled again.
    for (let i = 0; i < 50_000; i++) table.set(new Entry(`/q/${i}`, i));
    for (let i = 0; i < 50_000; i++) expect(table.holds(table.get(`/q/${i}`) as Entry, hashPath(`/q/${i}`, table.seed))).toBe(true);
    expect(table.holds(new Entry('/q/1', 1), hashPath('/q/1', table.seed))).toBe(false);
    expect(table.size).toBe(100_000);
    expect([...table.values()]).toHaveLength(100_000);
    table.clear();
    expect(table.size).toBe(0);
    expect(table.get('/p/1')).toBeUndefined();
    // Sized for more than it gets, and for fewer: either way it holds what it is given.
    for (const expected of [1_000_000, 10]) {
      table.clear(expected);
      for (let i = 0; i < 5000; i++) table.set(new Entry(`/r/${i}`, i));
      for (let i = 0; i < 5000; i++) expect(table.get(`/r/${i}`)?.version).toBe(i);
      expect(table.size).toBe(5000);
    }
  });
});
