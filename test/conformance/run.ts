/**
 * Command-line conformance runner.
 *
 *   npx tsc -p test/conformance/tsconfig.run.json && node dist/test/conformance/run.js [options] [name-substring...]
 *
 * --target java|ours   candidate server (default java: a second Java server, expects 0 differences)
 * --dump DIR           write each scenario's raw and normalised transcripts (both sides) as JSON
 * --java-only          run the scenarios only against Java and print the normalised transcripts
 * --strict-order       compare children/ephemerals lists in received order
 * --concurrency N      scenarios at once (default 1; each uses two servers)
 * --list               list scenario names
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { normaliseTranscript } from './compare.js';
import type { Value } from './decoders.js';
import { candidateLauncher, type TargetName } from './launchers.js';
import { javaLauncher, runConformance, runScenarioOn } from './runner.js';
import { allScenarios } from './scenarios/index.js';

function json(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x.toString()}n` : x), 2);
}

function printValue(v: Value): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x.toString()}n` : x));
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  let target: TargetName = 'java';
  let dump: string | undefined;
  let javaOnly = false;
  let strictOrder = false;
  let concurrency = 1;
  const filters: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--target') {
      const t = args[++i];
      if (t !== 'java' && t !== 'ours') throw new Error('--target java|ours');
      target = t;
    } else if (a === '--dump') dump = args[++i];
    else if (a === '--java-only') javaOnly = true;
    else if (a === '--strict-order') strictOrder = true;
    else if (a === '--concurrency') concurrency = Number(args[++i] ?? '1');
    else if (a === '--list') {
      for (const s of allScenarios) console.log(`${s.name}${s.description === undefined ? '' : ` — ${s.description}`}`);
      return 0;
    } else filters.push(a);
  }
  const scenarios = filters.length === 0 ? allScenarios : allScenarios.filter((s) => filters.some((f) => s.name.includes(f)));
  if (scenarios.length === 0) throw new Error(`no scenario matches ${filters.join(' ')}`);

  if (javaOnly) {
    for (const s of scenarios) {
      const t = await runScenarioOn(s, javaLauncher);
      const n = normaliseTranscript(t);
      console.log(`=== ${s.name}${n.error === null ? '' : ` (executor error: ${n.error})`}`);
      for (const st of n.steps) console.log(`  [${st.session}] ${st.label}: ${printValue(st.value)}`);
      for (const se of n.sessions) console.log(`  session ${se.name}: ${printValue(se.handshake)} arrivals=${printValue(se.arrivals)}`);
    }
    return 0;
  }

  const started = Date.now();
  const results = await runConformance({
    scenarios,
    candidate: await candidateLauncher(target),
    concurrency,
    strictOrder,
    log: (line) => console.log(line),
  });
  if (dump !== undefined) {
    mkdirSync(dump, { recursive: true });
    for (const r of results) {
      writeFileSync(
        join(dump, `${r.scenario}.json`),
        json({ differences: r.differences, java: r.java, ours: r.ours, javaNormalised: normaliseTranscript(r.java), oursNormalised: normaliseTranscript(r.ours) }),
      );
    }
  }
  const total = results.reduce((n, r) => n + r.differences.length, 0);
  const failing = results.filter((r) => r.differences.length > 0).length;
  console.log(`\n${String(results.length)} scenarios, ${String(failing)} with differences, ${String(total)} differences (java vs ${target}) in ${String(Date.now() - started)} ms`);
  return total === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 2;
  },
);
