/**
 * Every history of the corpus (../shared/jepsen-corpus, 108 files) gets the verdict Porcupine's tests
 * assert, under both readings of :fail (dropped, as Knossos does, and failed CAS as an observation,
 * as Porcupine does; the corpus README says both give the same verdicts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { checkHistory } from './checker/check.js';
import { makeModel } from './checker/models.js';
import { corpusAvailable, corpusDir, corpusModel, loadCorpus, type CorpusEntry } from './corpus.js';
import { parseHistory } from './history/history.js';

const dir = corpusDir();
const available = corpusAvailable(dir);
if (!available) console.warn(`jepsen corpus not found at ${dir} (set JEPSEN_CORPUS): corpus test skipped`);
const entries: CorpusEntry[] = available ? loadCorpus(dir) : [];

describe.skipIf(!available)('linearizability checker on the jepsen corpus', () => {
  it('has the 108 histories of the manifest (26 linearizable)', () => {
    expect(entries).toHaveLength(108);
    expect(entries.filter((e) => e.expected)).toHaveLength(26);
  });

  it.each(entries.map((e) => [e.file, e] as const))('%s', (_name, entry) => {
    const history = parseHistory(readFileSync(join(dir, entry.file), 'utf8'));
    const model = makeModel(corpusModel(entry));
    for (const failMode of ['drop', 'observe'] as const) {
      const result = checkHistory(history, model, { failMode, timeLimitMs: 60_000 });
      expect({ failMode, valid: result.valid }).toEqual({ failMode, valid: entry.expected });
      if (result.valid === false) {
        expect(result.failure).toBeDefined();
        expect(result.explanation).toMatch(/cannot be linearized/);
      }
    }
  });
});
