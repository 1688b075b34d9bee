/**
 * The external validation corpus (../shared/jepsen-corpus: 108 Jepsen histories converted from
 * Porcupine's test data, with the verdicts Porcupine's tests assert). Used by the corpus test and
 * by bench/linearizability.ts. Its location: $JEPSEN_CORPUS, else ../shared/jepsen-corpus from the
 * project root.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { EdnValue } from './history/edn.js';
import type { ModelSpec } from './checker/models.js';

export interface CorpusEntry {
  /** Path relative to the corpus folder, e.g. `histories/etcd_000.edn`. */
  readonly file: string;
  readonly model: 'cas-register' | 'kv';
  readonly expected: boolean;
  readonly events: number;
}

/** The project root: the nearest folder above this file holding package.json (works from dist/ too). */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export function corpusDir(): string {
  return process.env['JEPSEN_CORPUS'] ?? resolve(projectRoot(), '..', 'shared', 'jepsen-corpus');
}

export function corpusAvailable(dir = corpusDir()): boolean {
  return existsSync(join(dir, 'manifest.json'));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

export function loadCorpus(dir = corpusDir()): CorpusEntry[] {
  const manifest: unknown = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  if (!isRecord(manifest) || !Array.isArray(manifest['files'])) throw new Error(`${dir}/manifest.json: no "files" list`);
  return manifest['files'].map((f: unknown): CorpusEntry => {
    if (!isRecord(f)) throw new Error('manifest entry is not an object');
    const { file, model, expected_linearizable: expected, stats } = f;
    if (typeof file !== 'string' || (model !== 'cas-register' && model !== 'kv') || typeof expected !== 'boolean') {
      throw new Error(`manifest entry not understood: ${JSON.stringify(f).slice(0, 200)}`);
    }
    const events = isRecord(stats) && typeof stats['events'] === 'number' ? stats['events'] : 0;
    return { file, model, expected, events };
  });
}

/** The model a corpus entry is checked with (initial values as the corpus README states). */
export function corpusModel(entry: CorpusEntry): ModelSpec {
  const initial: EdnValue = entry.model === 'kv' ? '' : null;
  return { name: entry.model, initial };
}
