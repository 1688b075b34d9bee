/**
 * Speed of the linearizability checker (test/jepsen/checker) on the Jepsen corpus
 * (../shared/jepsen-corpus, or $JEPSEN_CORPUS): time per history and in total, median of 5 runs.
 *
 *   npm run -s build && node dist/bench/linearizability.js [--runs N] [--only SUBSTRING] [--fail-mode drop|observe]
 *
 * Histories are parsed once, outside the timing; each run checks every history in manifest order.
 * Exits 1 when a verdict differs from the manifest's expected one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { checkHistory, type CheckResult } from '../test/jepsen/checker/check.js';
import { makeModel } from '../test/jepsen/checker/models.js';
import { corpusAvailable, corpusDir, corpusModel, loadCorpus } from '../test/jepsen/corpus.js';
import { parseHistory } from '../test/jepsen/history/history.js';
import { median } from './storage-common.js';

function ms(x: number): string {
  return x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0);
}

function main(): number {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      only: { type: 'string' },
      'fail-mode': { type: 'string', default: 'drop' },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs needs a positive integer, got ${values.runs}`);
  const failMode = values['fail-mode'];
  if (failMode !== 'drop' && failMode !== 'observe') throw new Error(`--fail-mode is drop or observe`);
  const dir = corpusDir();
  if (!corpusAvailable(dir)) {
    process.stderr.write(`jepsen corpus not found at ${dir} (set JEPSEN_CORPUS)\n`);
    return 3;
  }
  const only = values.only;
  const entries = loadCorpus(dir).filter((e) => only === undefined || e.file.includes(only));

  const parseStart = performance.now();
  const cases = entries.map((e) => ({
    entry: e,
    name: e.file.replace(/^histories\//, '').replace(/\.edn$/, ''),
    history: parseHistory(readFileSync(join(dir, e.file), 'utf8')),
    model: makeModel(corpusModel(e)),
    times: [] as number[],
    result: undefined as CheckResult | undefined,
  }));
  const parseMs = performance.now() - parseStart;

  const totals: number[] = [];
  for (let r = 0; r < runs; r++) {
    let total = 0;
    for (const c of cases) {
      const t0 = performance.now();
      const result = checkHistory(c.history, c.model, { failMode });
      const dt = performance.now() - t0;
      c.times.push(dt);
      c.result = result;
      total += dt;
    }
    totals.push(total);
  }

  const header = ['history', 'model', 'events', 'expected', 'verdict', 'steps', 'configs', 'median ms', 'min', 'max'];
  const rows = cases.map((c) => [
    c.name,
    c.entry.model,
    String(c.entry.events),
    String(c.entry.expected),
    String(c.result?.valid) + (c.result?.valid === c.entry.expected ? '' : ' MISMATCH'),
    String(c.result?.steps ?? 0),
    String(c.result?.configurations ?? 0),
    ms(median(c.times)),
    ms(Math.min(...c.times)),
    ms(Math.max(...c.times)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));

  const mismatches = cases.filter((c) => c.result?.valid !== c.entry.expected).length;
  const slowest = [...cases].sort((a, b) => median(b.times) - median(a.times)).slice(0, 5);
  console.log('');
  console.log(`histories: ${cases.length}, verdicts matching the manifest: ${cases.length - mismatches}/${cases.length}, fail mode: ${failMode}`);
  console.log(`parse (once, all files): ${ms(parseMs)} ms`);
  console.log(`check, whole corpus: median of ${runs} runs ${ms(median(totals))} ms (runs: ${totals.map(ms).join(', ')})`);
  console.log(`check, per history: median ${ms(median(cases.map((c) => median(c.times))))} ms; slowest: ${slowest.map((c) => `${c.name} ${ms(median(c.times))} ms`).join(', ')}`);
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  return mismatches === 0 ? 0 : 1;
}

process.exitCode = main();
