/**
 * `test`: runs workloads against an ensemble under nemeses and checks the histories. Prints one
 * JSON line per run on stdout (progress on stderr); exits 0 when every run is valid, 1 when one is
 * not, 2 when one is unknown, 4 when a run could not be carried out.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { projectRoot } from '../../support/our-server.js';
import { CLIENT_NAMES, isClientName } from '../client/index.js';
import { cleanups, installSignalCleanup } from '../db/cleanup.js';
import { FAMILIES, NEMESES, resolveNemeses } from '../nemesis/nemeses.js';
import { defaultConfig, runTest, type RunResult, type TestConfig } from '../runner/run.js';
import { parseSeed } from '../runner/rng.js';
import { WORKLOADS } from '../workloads/index.js';
import { EXIT_INTERNAL, UsageError, type Command } from './command.js';

/**
 * Named option sets; explicit options override them. `short` is what CI runs (test/jepsen/
 * harness.test.ts): our 3-node ensemble, 30 s per workload, about three faults of 5-8 s (long
 * enough for the others to give up on a cut-off leader, after syncLimit = 5 ticks, and elect
 * another) with 2-3 s between them.
 */
export const PROFILES: Readonly<Record<string, Readonly<Partial<Record<string, string>>>>> = {
  short: { workload: 'register,set', nemesis: 'kill,partition', nodes: '3', server: 'ours', 'time-limit': '30', fault: '5,8', quiet: '2,3' },
  soak: { workload: [...WORKLOADS.keys()].join(','), nemesis: 'all', nodes: '5', 'time-limit': '300', overlap: 'true' },
};

/**
 * The deliberately broken behaviours of our server (-Dzkts.test.fault, src/replica/replica.ts) that
 * act in an ensemble (ack-before-fsync acts on a standalone server only, which this launcher never
 * starts).
 */
export const TEST_FAULTS = ['ack-before-quorum'] as const;

const USAGE = `usage: npm run -s jepsen -- test [options]

Starts an ensemble (Apache ZooKeeper 3.8 or ours) on this machine, runs a workload against it
while nemeses inject faults, heals, checks the history and writes a report folder per run
(history.edn, config.json, seed, results.json, report.html, every node's log). Prints one JSON
line per run; exit code 0 valid, 1 invalid, 2 unknown, 3 bad arguments, 4 a run failed.

options:
  --workload LIST        comma-separated (default register): ${[...WORKLOADS.keys()].join(', ')}
  --nemesis LIST         families or names, all, none (default kill,partition)
                         families: ${FAMILIES.join(', ')}
  --nodes N              3 or 5 (default 3)
  --time-limit S         seconds of workload per run (default 60)
  --server KIND          java (Apache ZooKeeper from the Debian package) or ours (default java)
  --server-cmd TEMPLATE  command starting one node; {cfg} {dir} {data} {id} {root} {log} are
                         replaced (default for ours: {root}/bin/zkServer.sh start-foreground {cfg})
  --server-env K=V       environment variable for the servers (repeatable)
  --test-fault NAME      ours only: run a deliberately broken server (SERVER_JVMFLAGS=
                         -Dzkts.test.fault=NAME): ${TEST_FAULTS.join(', ')}
  --net MODE             proxy (userspace proxies, no root) or root (namespaces + nftables) (default proxy)
  --seed N               seed of the schedule and the op choices (default: from the clock)
  --client NAME          ${CLIENT_NAMES.join(', ')} (default nzk)
  --concurrency N        client workers (default 2 x nodes)
  --rate R               target client ops per second, all workers together (default 100)
  --op-timeout MS        client op timeout; then :info (default 5000)
  --session-timeout MS   (default 10000)
  --read-mode MODE       check (getData + multi check of the version), sync, plain (default check)
  --ops-per-key N        ops per key before the next key (register, counter, list-append; default 200)
  --fault MIN,MAX        seconds a fault lasts (default 4,10)
  --quiet MIN,MAX        seconds between faults (default 3,8)
  --overlap              sometimes run two nemeses of different families at once
  --check-time-limit S   linearizability search budget (default 60)
  --quorum-timeout S     how long to wait for a quorum at start and after healing (default 60)
  --tick-time MS         zoo.cfg tickTime (default 1000)
  --out DIR              where run folders go (default <repo>/tmp/jepsen)
  --profile NAME         short (CI's: register,set under kill,partition, 3 nodes of ours, 30 s
                         each, 5-8 s faults 2-3 s apart) or soak (every workload, every nemesis,
                         5 nodes, 300 s each, overlapping); explicit options override the profile
  --list                 list workloads and nemeses
  -h, --help             this text
`;

function pair(option: string, text: string): [number, number] {
  const m = /^(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)$/.exec(text);
  if (m === null || Number(m[1]) > Number(m[2])) throw new UsageError(`${option} needs MIN,MAX seconds, got '${text}'`);
  return [Number(m[1]), Number(m[2])];
}

function int(option: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`${option} needs an integer in [${min}, ${max}], got '${text}'`);
  return n;
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
}

/** What `test` was asked: --help, --list, or runs (one config per workload). */
export type TestRequest = { readonly kind: 'help' } | { readonly kind: 'list' } | { readonly kind: 'runs'; readonly configs: TestConfig[] };

/**
 * Parses `test`'s arguments into one config per workload, exactly as the command runs them (the
 * CI test builds its runs with this, so that it runs what `--profile short` runs). Throws
 * UsageError on bad arguments.
 */
export function parseTestArgs(args: readonly string[]): TestRequest {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: false,
      strict: true,
      options: {
        workload: { type: 'string' },
        nemesis: { type: 'string' },
        nodes: { type: 'string' },
        'time-limit': { type: 'string' },
        server: { type: 'string' },
        'server-cmd': { type: 'string' },
        'server-env': { type: 'string', multiple: true },
        'test-fault': { type: 'string' },
        net: { type: 'string' },
        seed: { type: 'string' },
        client: { type: 'string' },
        concurrency: { type: 'string' },
        rate: { type: 'string' },
        'op-timeout': { type: 'string' },
        'session-timeout': { type: 'string' },
        'read-mode': { type: 'string' },
        'ops-per-key': { type: 'string' },
        fault: { type: 'string' },
        quiet: { type: 'string' },
        overlap: { type: 'boolean' },
        'check-time-limit': { type: 'string' },
        'quorum-timeout': { type: 'string' },
        'tick-time': { type: 'string' },
        out: { type: 'string' },
        profile: { type: 'string' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const given = parsed.values;
  if (given.help === true) return { kind: 'help' };
  if (given.list === true) return { kind: 'list' };
  const profileName = given.profile;
  const profile = profileName === undefined ? {} : PROFILES[profileName];
  if (profile === undefined) throw new UsageError(`unknown profile '${profileName ?? ''}' (profiles: ${Object.keys(PROFILES).join(', ')})`);
  const opt = (k: string): string | undefined => {
    const v = (given as Record<string, string | boolean | string[] | undefined>)[k];
    if (typeof v === 'string') return v;
    if (v === true) return 'true';
    return profile[k];
  };

  const workloads = (opt('workload') ?? 'register').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const w of workloads) if (!WORKLOADS.has(w)) throw new UsageError(`unknown workload '${w}' (workloads: ${[...WORKLOADS.keys()].join(', ')})`);
  const nemesis = opt('nemesis') ?? 'kill,partition';
  try {
    resolveNemeses(nemesis);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const nodes = int('--nodes', opt('nodes') ?? '3', 1, 9);
  const server = opt('server') ?? 'java';
  if (server !== 'java' && server !== 'ours') throw new UsageError(`--server is java or ours, got '${server}'`);
  const net = opt('net') ?? 'proxy';
  if (net !== 'proxy' && net !== 'root') throw new UsageError(`--net is proxy or root, got '${net}'`);
  const client = opt('client') ?? 'nzk';
  if (!isClientName(client)) throw new UsageError(`--client is one of ${CLIENT_NAMES.join(', ')}, got '${client}'`);
  const readMode = opt('read-mode') ?? 'check';
  if (readMode !== 'check' && readMode !== 'sync' && readMode !== 'plain') throw new UsageError(`--read-mode is check, sync or plain, got '${readMode}'`);
  let seed: number;
  try {
    seed = parseSeed(opt('seed'));
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const serverEnv: Record<string, string> = {};
  for (const kv of given['server-env'] ?? []) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(kv);
    if (m === null) throw new UsageError(`--server-env needs NAME=VALUE, got '${kv}'`);
    serverEnv[m[1] ?? ''] = m[2] ?? '';
  }
  const testFault = opt('test-fault');
  if (testFault !== undefined) {
    if (!(TEST_FAULTS as readonly string[]).includes(testFault)) throw new UsageError(`--test-fault is one of ${TEST_FAULTS.join(', ')}, got '${testFault}'`);
    if (server !== 'ours') throw new UsageError('--test-fault needs --server ours (the fault switch is ours)');
    serverEnv['SERVER_JVMFLAGS'] = [serverEnv['SERVER_JVMFLAGS'], `-Dzkts.test.fault=${testFault}`].filter((f) => f !== undefined && f !== '').join(' ');
  }
  const out = opt('out') ?? join(projectRoot(), 'tmp', 'jepsen');
  const num = (k: string, min: number, max: number): number | undefined => {
    const v = opt(k);
    return v === undefined ? undefined : int(`--${k}`, v, min, max);
  };
  const serverCmd = opt('server-cmd');
  const fault = opt('fault');
  const quiet = opt('quiet');
  const configs = workloads.map((workload): TestConfig => {
    const name = `${stamp()}-${workload}-${server}${testFault === undefined ? '' : `-${testFault}`}-${nodes}n-s${seed}`;
    const cfg = defaultConfig({ dir: join(out, name), workload, nemesis, nodes, server, net, seed, client, readMode });
    return {
      ...cfg,
      ...(serverCmd === undefined ? {} : { serverCommand: serverCmd }),
      ...(Object.keys(serverEnv).length === 0 ? {} : { serverEnv }),
      timeLimitS: num('time-limit', 1, 86_400) ?? cfg.timeLimitS,
      concurrency: num('concurrency', 1, 1000) ?? cfg.concurrency,
      rate: num('rate', 0, 100_000) ?? cfg.rate,
      opTimeoutMs: num('op-timeout', 100, 600_000) ?? cfg.opTimeoutMs,
      sessionTimeoutMs: num('session-timeout', 1000, 600_000) ?? cfg.sessionTimeoutMs,
      opsPerKey: num('ops-per-key', 1, 1_000_000) ?? cfg.opsPerKey,
      checkTimeLimitS: num('check-time-limit', 1, 86_400) ?? cfg.checkTimeLimitS,
      quorumTimeoutS: num('quorum-timeout', 1, 3600) ?? cfg.quorumTimeoutS,
      tickTime: num('tick-time', 10, 60_000) ?? cfg.tickTime,
      faultS: fault === undefined ? cfg.faultS : pair('--fault', fault),
      quietS: quiet === undefined ? cfg.quietS : pair('--quiet', quiet),
      overlap: opt('overlap') === 'true',
    };
  });
  return { kind: 'runs', configs };
}

/** The JSON line `test` prints for a run. */
export function runSummary(config: TestConfig, result: RunResult): Record<string, unknown> {
  return {
    valid: result.valid,
    workload: config.workload,
    server: config.server,
    ...(config.serverEnv === undefined ? {} : { serverEnv: config.serverEnv }),
    nodes: config.nodes,
    net: config.net,
    seed: config.seed,
    dir: result.dir,
    report: join(result.dir, 'report.html'),
    ops: result.stats.ops,
    verdicts: result.verdicts.map((v) => ({ checker: v.checker, valid: v.valid, summary: v.summary })),
    skippedNemeses: result.stats.skippedNemeses,
    ...(result.stats.clientCrashes > 0 ? { clientCrashes: result.stats.clientCrashes } : {}),
    ...(result.error === undefined ? {} : { error: result.error.split('\n')[0] }),
  };
}

export const testCommand: Command = {
  name: 'test',
  summary: 'run workloads against a 3- or 5-node ensemble under nemeses, check, write a report',
  usage: USAGE,
  async run(args, io) {
    const request = parseTestArgs(args);
    if (request.kind === 'help') {
      io.stdout.write(USAGE);
      return 0;
    }
    if (request.kind === 'list') {
      io.stdout.write('workloads:\n');
      for (const [name, w] of WORKLOADS) io.stdout.write(`  ${name.padEnd(14)} ${w.summary}\n`);
      io.stdout.write('nemeses (family: name - what):\n');
      for (const n of NEMESES) io.stdout.write(`  ${n.family.padEnd(14)} ${n.name.padEnd(24)} ${n.description}\n`);
      return 0;
    }

    installSignalCleanup();
    const log = (line: string) => io.stderr.write(`jepsen: ${line}\n`);
    let exit = 0;
    for (const config of request.configs) {
      const result = await runTest(config, log);
      io.stdout.write(`${JSON.stringify(runSummary(config, result))}\n`);
      log(`${config.workload}: ${String(result.valid)} (${result.dir}/report.html)`);
      const code = result.error !== undefined ? EXIT_INTERNAL : result.valid === true ? 0 : result.valid === false ? 1 : 2;
      // a failed run outranks an invalid one, which outranks an unknown one
      const rank = (c: number) => (c === EXIT_INTERNAL ? 3 : c === 1 ? 2 : c === 2 ? 1 : 0);
      if (rank(code) > rank(exit)) exit = code;
    }
    const leftovers = await cleanups.runAll();
    for (const l of leftovers) log(`cleanup: ${l}`);
    return exit;
  },
};
