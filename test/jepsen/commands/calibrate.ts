/**
 * `calibrate`: runs every workload under every nemesis family (one run each, short), and prints
 * a markdown table of the verdicts (also written to <out>/calibration.md and .json). Families the
 * server cannot support (test hooks) are listed as skipped: without a run for Java, after the first
 * run that found none of their nemeses usable for other servers. Exit code as `test`: 0 all valid,
 * 1 one invalid, 2 one unknown, 4 a run failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { projectRoot } from '../../support/our-server.js';
import { cleanups, installSignalCleanup } from '../db/cleanup.js';
import { FAMILIES, NEMESES, resolveNemeses } from '../nemesis/nemeses.js';
import { defaultConfig, runTest } from '../runner/run.js';
import { hashString, parseSeed } from '../runner/rng.js';
import { WORKLOADS } from '../workloads/index.js';
import { EXIT_INTERNAL, UsageError, type Command } from './command.js';

const USAGE = `usage: npm run -s jepsen -- calibrate [options]

Runs each workload under each nemesis family (one short run per pair) and prints a markdown table
of the verdicts; writes calibration.md and calibration.json to the output folder.

options:
  --workloads LIST   (default: all: ${[...WORKLOADS.keys()].join(', ')})
  --families LIST    families or nemesis names, one run each (default: none and every family:
                     ${FAMILIES.join(', ')}; names: ${NEMESES.map((n) => n.name).join(', ')})
  --server KIND      java or ours (default java)
  --server-cmd T     command template (see test --help)
  --net MODE         proxy or root (default proxy)
  --nodes N          (default 3)
  --time-limit S     seconds per run (default 20)
  --seed N           base seed; each pair runs with a seed derived from it and the pair (default 1)
  --out DIR          (default <repo>/tmp/jepsen/calibration-<time>)
  -h, --help
`;

const HOOK_FAMILIES = new Set(['clock', 'lose-unsynced']);

export const calibrateCommand: Command = {
  name: 'calibrate',
  summary: 'run every workload under every nemesis family (short runs) and tabulate the verdicts',
  usage: USAGE,
  async run(args, io) {
    let values;
    try {
      values = parseArgs({
        args: [...args],
        strict: true,
        options: {
          workloads: { type: 'string' },
          families: { type: 'string' },
          server: { type: 'string' },
          'server-cmd': { type: 'string' },
          net: { type: 'string' },
          nodes: { type: 'string' },
          'time-limit': { type: 'string' },
          seed: { type: 'string' },
          out: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      }).values;
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
    if (values.help === true) {
      io.stdout.write(USAGE);
      return 0;
    }
    const workloads = (values.workloads ?? [...WORKLOADS.keys()].join(',')).split(',').filter((w) => w !== '');
    for (const w of workloads) if (!WORKLOADS.has(w)) throw new UsageError(`unknown workload '${w}'`);
    const families = (values.families ?? ['none', ...FAMILIES].join(',')).split(',').filter((f) => f !== '');
    for (const f of families) {
      try {
        resolveNemeses(f);
      } catch (e) {
        throw new UsageError(e instanceof Error ? e.message : String(e));
      }
    }
    const server = values.server ?? 'java';
    if (server !== 'java' && server !== 'ours') throw new UsageError('--server is java or ours');
    const net = values.net ?? 'proxy';
    if (net !== 'proxy' && net !== 'root') throw new UsageError('--net is proxy or root');
    const nodes = Number(values.nodes ?? '3');
    const timeLimitS = Number(values['time-limit'] ?? '20');
    if (!Number.isInteger(nodes) || nodes < 1 || !Number.isFinite(timeLimitS) || timeLimitS <= 0) throw new UsageError('bad --nodes or --time-limit');
    let seed: number;
    try {
      seed = parseSeed(values.seed ?? '1');
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
    const out = values.out ?? join(projectRoot(), 'tmp', 'jepsen', `calibration-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    mkdirSync(out, { recursive: true });
    installSignalCleanup();
    const log = (line: string) => io.stderr.write(`jepsen: ${line}\n`);
    const rows: { workload: string; family: string; valid: boolean | 'unknown' | 'skipped'; ops: number; faults: number; summary: string; dir?: string }[] = [];
    let exit = 0;
    const rank = (c: number) => (c === EXIT_INTERNAL ? 3 : c === 1 ? 2 : c === 2 ? 1 : 0);
    // Families none of whose nemeses the server supports (found by the first run that tried): a
    // run under them would be a run without faults, so later workloads skip them.
    const unsupported = new Map<string, string>();
    for (const workload of workloads) {
      for (const family of families) {
        const hookOnly = resolveNemeses(family).length > 0 && resolveNemeses(family).every((n) => HOOK_FAMILIES.has(n.family));
        if (server === 'java' && hookOnly) {
          rows.push({ workload, family, valid: 'skipped', ops: 0, faults: 0, summary: 'Apache ZooKeeper has no test hooks' });
          continue;
        }
        const skipReason = unsupported.get(family);
        if (skipReason !== undefined) {
          rows.push({ workload, family, valid: 'skipped', ops: 0, faults: 0, summary: skipReason });
          continue;
        }
        const dir = join(out, `${workload}-${family}`);
        const result = await runTest(
          {
            // one seed per pair, derived from --seed, so that the pairs do not all get the same schedule
            ...defaultConfig({ dir, workload, nemesis: family, nodes, server, net, seed: (seed + hashString(`${workload}/${family}`)) >>> 0, timeLimitS, faultS: [3, 7], quietS: [2, 4] }),
            ...(values['server-cmd'] === undefined ? {} : { serverCommand: values['server-cmd'] }),
          },
          log,
        );
        const skipped = result.stats.skippedNemeses;
        // (a run without faults that still found a violation is reported as such below)
        if (resolveNemeses(family).length > 0 && skipped.length === resolveNemeses(family).length && result.valid === true && result.error === undefined) {
          const reason = `not supported by the server: ${[...new Set(skipped.map((n) => n.reason))].join('; ')}`;
          unsupported.set(family, reason);
          rows.push({ workload, family, valid: 'skipped', ops: result.stats.ops, faults: 0, summary: reason, dir });
          log(`${workload} × ${family}: skipped (${reason})`);
          continue;
        }
        const faults = result.stats.nemesisOps > 0 ? Math.floor(result.stats.nemesisOps / 4) : 0;
        const summary = result.error !== undefined ? `run failed: ${result.error.split('\n')[0] ?? ''}` : result.verdicts.map((v) => `${v.checker}: ${v.summary}`).join(' / ');
        rows.push({ workload, family, valid: result.error === undefined ? result.valid : 'unknown', ops: result.stats.ops, faults, summary, dir });
        log(`${workload} × ${family}: ${String(result.valid)}`);
        const code = result.error !== undefined ? EXIT_INTERNAL : result.valid === true ? 0 : result.valid === false ? 1 : 2;
        if (rank(code) > rank(exit)) exit = code;
      }
    }
    const header = `| workload | ${families.join(' | ')} |\n|---|${families.map(() => '---').join('|')}|\n`;
    const cell = (w: string, f: string) => {
      const r = rows.find((x) => x.workload === w && x.family === f);
      if (r === undefined) return '';
      return r.valid === 'skipped' ? 'skipped (no hooks)' : `${r.valid === true ? 'valid' : r.valid === false ? '**INVALID**' : 'unknown'} (${r.ops} ops)`;
    };
    const table = header + workloads.map((w) => `| ${w} | ${families.map((f) => cell(w, f)).join(' | ')} |`).join('\n');
    const md = `Calibration: ${server}, ${nodes} nodes, ${net} network, ${timeLimitS} s per run, seed ${seed}\n\n${table}\n`;
    writeFileSync(join(out, 'calibration.md'), md);
    writeFileSync(join(out, 'calibration.json'), `${JSON.stringify({ server, nodes, net, timeLimitS, seed, rows }, null, 2)}\n`);
    io.stdout.write(md);
    for (const l of await cleanups.runAll()) log(`cleanup: ${l}`);
    return exit;
  },
};
