// Benchmark: Apache ZooKeeper 3.8 (Debian package) against our server, on the same machine in one
// run, with the same zoo.cfg settings. Each server is started as users start it, warmed up, then
// every workload is run against each server in turn (the order alternating), R times; the table
// gives the medians and the ratios ours/java. `--memory` measures RSS at rest after creating many
// znodes instead. See docs/benchmarks.md.
//
//   npm run bench -- [--duration 8] [--warmup 3] [--sessions 32] [--outstanding 16] [--repeats 3]
//                    [--workloads get,set,...] [--data-size 100] [--java-heap 1000m] [--force-sync yes]
//   npm run bench -- --memory [--znodes 100000] [--data-size 100] [--repeats 3]

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sendFourLetterWord } from '../test/support/four-letter.js';
import { startJavaZooKeeper, type RunningZooKeeper } from '../test/support/java-zookeeper.js';
import { projectRoot, startOurServer } from '../test/support/our-server.js';
import { stopAll } from '../test/support/processes.js';
import { sleep } from '../test/support/zk-wait.js';
import {
  DEFAULT_DATASET,
  WORKLOADS,
  isWorkloadName,
  payload,
  prepareDataset,
  runLoad,
  type Dataset,
  type LoadResult,
  type WorkloadName,
} from './load-generator.js';
import { commandLine, pidListeningOn, readCpuSeconds, readMemory, readSystemBusySeconds } from './proc-stats.js';
import { SimpleClient, errorName, pipelined } from './zk-connection.js';

type ServerName = 'java' | 'ours';
const SERVER_NAMES: readonly ServerName[] = ['java', 'ours'];

interface Settings {
  durationSeconds: number;
  warmupSeconds: number;
  sessions: number;
  outstanding: number;
  repeats: number;
  workloads: WorkloadName[];
  dataset: Dataset;
  javaHeap: string;
  forceSync: 'yes' | 'no';
  memory: boolean;
  znodes: number;
  servers: ServerName[];
  out: string | undefined;
}

interface StartedServer {
  name: ServerName;
  handle: RunningZooKeeper;
  /** The pid holding the listening socket (the JVM, or node under zkServer.sh's exec). */
  pid: number;
  commandLine: string;
  /** First line of `srvr`: the version the server reports. */
  version: string;
}

interface MeasuredRun {
  server: ServerName;
  workload: WorkloadName;
  repeat: number;
  /** Position in the alternating order (0 = first of the pair). */
  order: number;
  load: LoadResult;
  serverRssBytes: number;
  serverHwmBytes: number;
  serverThreads: number;
  /** Server CPU during the run, in cores (1.0 = one core fully busy). */
  serverCpuCores: number;
  /** CPU used by everything else on the machine during the run (noise), in cores. */
  otherCpuCores: number;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function parseSettings(): Settings {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '8' },
      warmup: { type: 'string', default: '3' },
      sessions: { type: 'string', default: '32' },
      outstanding: { type: 'string', default: '16' },
      repeats: { type: 'string' },
      workloads: { type: 'string', default: WORKLOADS.join(',') },
      'data-size': { type: 'string', default: String(DEFAULT_DATASET.dataSize) },
      keys: { type: 'string', default: String(DEFAULT_DATASET.keys) },
      children: { type: 'string', default: String(DEFAULT_DATASET.children) },
      'java-heap': { type: 'string', default: '1000m' },
      'force-sync': { type: 'string', default: 'yes' },
      memory: { type: 'boolean', default: false },
      znodes: { type: 'string', default: '100000' },
      servers: { type: 'string', default: 'java,ours' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      [
        'usage: npm run bench -- [options]',
        '  --duration s        measured seconds per workload, server and repeat (8)',
        '  --warmup s          warm-up seconds per workload and server, before measuring (3)',
        '  --sessions n        sessions (connections) (32)',
        '  --outstanding n     requests in flight per session (16)',
        '  --repeats n         repetitions; the table shows medians (3)',
        `  --workloads list    comma-separated, of ${WORKLOADS.join(', ')} (all)`,
        '  --data-size bytes   data per znode (100)',
        '  --keys n            pre-created data znodes (1000)',
        '  --children n        children of the get-children znode (100)',
        '  --java-heap size    -Xmx of the Java server (1000m, the zkServer.sh default heap)',
        '  --force-sync yes|no forceSync in both zoo.cfg (yes, ZooKeeper\'s default: every write is fsynced before its reply)',
        '  --servers list      java,ours (both)',
        '  --memory            instead: RSS at rest after creating --znodes znodes of --data-size bytes',
        '  --znodes n          znodes for --memory (100000)',
        '  --out file          results JSON (bench/results/<date>.json)',
        '',
      ].join('\n'),
    );
    process.exit(0);
  }
  const num = (name: string, text: string, min: number, max: number): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || n > max) fail(`--${name} must be a number in [${String(min)}, ${String(max)}]`);
    return n;
  };
  const int = (name: string, text: string, min: number, max: number): number => {
    const n = num(name, text, min, max);
    if (!Number.isInteger(n)) fail(`--${name} must be an integer`);
    return n;
  };
  const workloads = values.workloads.split(',').map((w) => w.trim()).filter((w) => w !== '');
  for (const w of workloads) if (!isWorkloadName(w)) fail(`unknown workload ${w}; one of ${WORKLOADS.join(', ')}`);
  const servers = values.servers.split(',').map((s) => s.trim());
  for (const s of servers) if (s !== 'java' && s !== 'ours') fail(`unknown server ${s}; java or ours`);
  if (!/^\d+[kmg]$/i.test(values['java-heap'])) fail('--java-heap must look like 1000m or 2g');
  const forceSync = values['force-sync'];
  if (forceSync !== 'yes' && forceSync !== 'no') fail('--force-sync must be yes or no');
  const memory = values.memory;
  return {
    durationSeconds: num('duration', values.duration, 0.5, 600),
    warmupSeconds: num('warmup', values.warmup, 0, 600),
    sessions: int('sessions', values.sessions, 1, 2000),
    outstanding: int('outstanding', values.outstanding, 1, 10_000),
    repeats: int('repeats', values.repeats ?? '3', 1, 100),
    workloads: workloads.filter(isWorkloadName),
    dataset: {
      ...DEFAULT_DATASET,
      dataSize: int('data-size', values['data-size'], 0, 1_000_000),
      keys: int('keys', values.keys, 1, 1_000_000),
      children: int('children', values.children, 0, 100_000),
    },
    javaHeap: values['java-heap'],
    forceSync,
    memory,
    znodes: int('znodes', values.znodes, 1, 10_000_000),
    servers: SERVER_NAMES.filter((s) => servers.includes(s)),
    out: values.out,
  };
}

// ---------------------------------------------------------------------------------------------

function sharedCfg(settings: Settings): Record<string, string> {
  return {
    // No per-IP connection limit: every session of the benchmark comes from 127.0.0.1.
    maxClientCnxns: '0',
    forceSync: settings.forceSync,
  };
}

function javaFlags(settings: Settings): string[] {
  // The helper starts tests with -Xmx256m -XX:+UseSerialGC; the later flags win. Turning SerialGC
  // off again leaves the JVM's default collector (G1), as zkServer.sh users get.
  return [`-Xmx${settings.javaHeap}`, '-XX:-UseSerialGC'];
}

async function startServer(name: ServerName, settings: Settings): Promise<StartedServer> {
  const handle =
    name === 'java'
      ? await startJavaZooKeeper({ extraCfg: sharedCfg(settings), jvmFlags: javaFlags(settings) })
      : await startOurServer({ extraCfg: sharedCfg(settings) });
  try {
    const pid = pidListeningOn(handle.pid, handle.port);
    const srvr = await sendFourLetterWord(handle.port, 'srvr', '127.0.0.1', 5000).catch(() => '');
    const version = srvr.split('\n')[0]?.replace(/^Zookeeper version:\s*/, '') ?? '';
    return { name, handle, pid, commandLine: commandLine(pid), version };
  } catch (err) {
    await handle.stop();
    throw err;
  }
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function mb(bytes: number): number {
  return Math.round((bytes / (1024 * 1024)) * 10) / 10;
}

function ratio(ours: number, java: number): number {
  return java > 0 && Number.isFinite(ours) ? Math.round((ours / java) * 100) / 100 : Number.NaN;
}

function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function javaVersionLine(): string {
  // `java -version` writes to stderr.
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return `${result.stderr}`.trim().split('\n')[0] ?? '';
}

/** The commit our server was built from, and whether the work tree differs from it (read-only git). */
function gitState(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: projectRoot(), encoding: 'utf8' });
  if (head.status !== 0) return 'unknown';
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src'], { cwd: projectRoot(), encoding: 'utf8' });
  const dirty = `${status.stdout}`.trim() !== '';
  return `commit ${`${head.stdout}`.trim()}${dirty ? ' with uncommitted changes in src/' : ''}`;
}

function filesystemOf(path: string): string {
  const df = spawnSync('df', ['-T', path], { encoding: 'utf8' });
  const cols = `${df.stdout}`.trim().split('\n')[1]?.split(/\s+/) ?? [];
  return cols[1] ?? 'unknown';
}

function environment(): Record<string, string | number> {
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    cpuModel: cpu[0]?.model ?? 'unknown',
    cpus: cpu.length,
    memoryMB: Math.round(totalmem() / (1024 * 1024)),
    loadAverage1mAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    node: process.version,
    java: javaVersionLine(),
    git: gitState(),
    tmpFilesystem: filesystemOf(tmpdir()),
  };
}

function resultsPath(settings: Settings): string {
  if (settings.out !== undefined) return settings.out;
  const dir = join(projectRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  return join(dir, `${stamp}${settings.memory ? '-memory' : ''}.json`);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// Load mode

async function measure(server: StartedServer, settings: Settings, workload: WorkloadName, repeat: number, order: number): Promise<MeasuredRun> {
  const cpuBefore = readCpuSeconds(server.pid);
  const busyBefore = readSystemBusySeconds();
  const clientBefore = process.cpuUsage();
  const t0 = performance.now();
  const load = await runLoad({
    port: server.handle.port,
    workload,
    dataset: settings.dataset,
    sessions: settings.sessions,
    outstanding: settings.outstanding,
    durationSeconds: settings.durationSeconds,
    runTag: `${server.name}${String(repeat)}`,
  });
  // Read right after the load, before anything else happens on the server.
  const memory = readMemory(server.pid);
  const wall = (performance.now() - t0) / 1000;
  const serverCpu = readCpuSeconds(server.pid) - cpuBefore;
  const client = process.cpuUsage(clientBefore);
  const busy = readSystemBusySeconds() - busyBefore;
  const round2 = (n: number): number => Math.round(n * 100) / 100;
  return {
    server: server.name,
    workload,
    repeat,
    order,
    load,
    serverRssBytes: memory.rssBytes,
    serverHwmBytes: memory.hwmBytes,
    serverThreads: memory.threads,
    serverCpuCores: round2(serverCpu / wall),
    otherCpuCores: round2(Math.max(0, busy - serverCpu - (client.user + client.system) / 1e6) / wall),
  };
}

interface WorkloadSummary {
  workload: WorkloadName;
  perServer: Partial<
    Record<
      ServerName,
      {
        opsPerSecond: number;
        p50Ms: number;
        p99Ms: number;
        rssMB: number;
        serverCpuCores: number;
        /** Operations per second of server CPU: throughput with the machine's noise mostly factored out. */
        opsPerServerCpuSecond: number;
        clientCpuCores: number;
        otherCpuCores: number;
        errors: number;
        maxReplyGapMs: number;
      }
    >
  >;
  ratios: { opsPerSecond: number; p50: number; p99: number; rss: number; opsPerServerCpuSecond: number } | undefined;
  pairedOpsRatioMedian: number | undefined;
}

function summarize(runs: readonly MeasuredRun[], settings: Settings): WorkloadSummary[] {
  return settings.workloads.map((workload) => {
    const perServer: WorkloadSummary['perServer'] = {};
    for (const name of settings.servers) {
      const mine = runs.filter((r) => r.workload === workload && r.server === name);
      if (mine.length === 0) continue;
      perServer[name] = {
        opsPerSecond: Math.round(median(mine.map((r) => r.load.opsPerSecond))),
        p50Ms: median(mine.map((r) => r.load.latency.p50Ms)),
        p99Ms: median(mine.map((r) => r.load.latency.p99Ms)),
        rssMB: mb(median(mine.map((r) => r.serverRssBytes))),
        serverCpuCores: median(mine.map((r) => r.serverCpuCores)),
        opsPerServerCpuSecond: Math.round(median(mine.map((r) => (r.serverCpuCores > 0 ? r.load.opsPerSecond / r.serverCpuCores : 0)))),
        clientCpuCores: median(mine.map((r) => r.load.clientCpuCores)),
        otherCpuCores: median(mine.map((r) => r.otherCpuCores)),
        errors: mine.reduce((sum, r) => sum + r.load.errors, 0),
        maxReplyGapMs: Math.max(...mine.map((r) => r.load.maxReplyGapMs)),
      };
    }
    const j = perServer.java;
    const o = perServer.ours;
    const ratios =
      j !== undefined && o !== undefined
        ? {
            opsPerSecond: ratio(o.opsPerSecond, j.opsPerSecond),
            p50: ratio(o.p50Ms, j.p50Ms),
            p99: ratio(o.p99Ms, j.p99Ms),
            rss: ratio(o.rssMB, j.rssMB),
            opsPerServerCpuSecond: ratio(o.opsPerServerCpuSecond, j.opsPerServerCpuSecond),
          }
        : undefined;
    // Ratios within each repeat (both servers measured back to back), then their median: less
    // sensitive to slow drifts of a noisy machine than the ratio of the medians.
    const paired: number[] = [];
    for (let repeat = 0; repeat < settings.repeats; repeat++) {
      const jr = runs.find((r) => r.workload === workload && r.server === 'java' && r.repeat === repeat);
      const or = runs.find((r) => r.workload === workload && r.server === 'ours' && r.repeat === repeat);
      if (jr !== undefined && or !== undefined) paired.push(ratio(or.load.opsPerSecond, jr.load.opsPerSecond));
    }
    return { workload, perServer, ratios, pairedOpsRatioMedian: paired.length > 0 ? median(paired) : undefined };
  });
}

function printLoadTable(summaries: readonly WorkloadSummary[]): string {
  const header = ['workload', 'server', 'ops/s', 'p50 ms', 'p99 ms', 'RSS MB', 'srv CPU', 'ops/CPU-s', 'client CPU', 'other CPU', 'max gap ms', 'errors'];
  const rows: string[][] = [];
  for (const s of summaries) {
    let first = true;
    for (const name of SERVER_NAMES) {
      const v = s.perServer[name];
      if (v === undefined) continue;
      rows.push([
        first ? s.workload : '',
        name,
        fmt(v.opsPerSecond),
        fmt(v.p50Ms, 2),
        fmt(v.p99Ms, 2),
        fmt(v.rssMB, 1),
        fmt(v.serverCpuCores, 2),
        fmt(v.opsPerServerCpuSecond),
        fmt(v.clientCpuCores, 2),
        fmt(v.otherCpuCores, 2),
        fmt(v.maxReplyGapMs, 0),
        v.errors === 0 ? '0' : `${fmt(v.errors)} !`,
      ]);
      first = false;
    }
    if (s.ratios !== undefined) {
      rows.push(['', 'ours/java', `${fmt(s.ratios.opsPerSecond, 2)}x`, `${fmt(s.ratios.p50, 2)}x`, `${fmt(s.ratios.p99, 2)}x`, `${fmt(s.ratios.rss, 2)}x`, '', `${fmt(s.ratios.opsPerServerCpuSecond, 2)}x`, '', '', '', '']);
    }
  }
  return table(header, rows);
}

async function loadMode(settings: Settings, env: Record<string, string | number>): Promise<number> {
  const servers: StartedServer[] = [];
  const runs: MeasuredRun[] = [];
  const idleRss: Partial<Record<ServerName, number>> = {};
  try {
    for (const name of settings.servers) {
      log(`starting ${name} ...`);
      const server = await startServer(name, settings);
      servers.push(server);
      log(`  ${name}: port ${String(server.handle.port)}, pid ${String(server.pid)}: ${server.commandLine}`);
    }
    for (const server of servers) {
      await prepareDataset(server.handle.port, settings.dataset);
      idleRss[server.name] = readMemory(server.pid).rssBytes;
      if (settings.warmupSeconds > 0) {
        log(`warming up ${server.name} (${String(settings.warmupSeconds)} s per workload) ...`);
        for (const workload of settings.workloads) {
          const w = await runLoad({
            port: server.handle.port,
            workload,
            dataset: settings.dataset,
            sessions: settings.sessions,
            outstanding: settings.outstanding,
            durationSeconds: settings.warmupSeconds,
            runTag: `${server.name}w`,
          });
          if (w.errors > 0) log(`  warm-up ${workload} on ${server.name}: ${String(w.errors)} errors ${JSON.stringify(w.errorsByCode)}`);
        }
      }
    }
    for (let repeat = 0; repeat < settings.repeats; repeat++) {
      for (const [wi, workload] of settings.workloads.entries()) {
        // Alternate which server goes first, so slow drifts of the machine hit both alike.
        const ordered = (repeat + wi) % 2 === 0 ? servers : [...servers].reverse();
        for (const [order, server] of ordered.entries()) {
          const run = await measure(server, settings, workload, repeat, order);
          runs.push(run);
          const l = run.load;
          log(
            `repeat ${String(repeat + 1)}/${String(settings.repeats)} ${workload.padEnd(13)} ${server.name.padEnd(4)} ` +
              `${fmt(l.opsPerSecond).padStart(8)} ops/s  p50 ${fmt(l.latency.p50Ms, 2)} ms  p99 ${fmt(l.latency.p99Ms, 2)} ms  ` +
              `RSS ${fmt(mb(run.serverRssBytes), 1)} MB  srv CPU ${fmt(run.serverCpuCores, 2)}  other CPU ${fmt(run.otherCpuCores, 2)}` +
              (l.errors > 0 ? `  ERRORS ${String(l.errors)} ${JSON.stringify(l.errorsByCode)}` : ''),
          );
        }
      }
    }
  } finally {
    for (const server of servers) await server.handle.stop();
    await stopAll();
  }

  const summaries = summarize(runs, settings);
  const errors = runs.reduce((sum, r) => sum + r.load.errors, 0);
  const lines = [
    '',
    `zk-ts benchmark, ${String(env['date'])}: ${String(env['cpus'])} x ${String(env['cpuModel'])}, ${String(env['memoryMB'])} MB, load average at start ${String(env['loadAverage1mAtStart'])}`,
    `node ${String(env['node'])}; ${String(env['java'])}`,
    ...servers.map((s) => `${s.name}: ${s.version}\n  ${s.commandLine}`),
    `Java heap: -Xmx${settings.javaHeap}, default collector (G1); both zoo.cfg: tickTime=2000, maxClientCnxns=0, forceSync=${settings.forceSync}, ` +
      `dataDir in ${tmpdir()} (${String(env['tmpFilesystem'])})`,
    `our tree: ${String(env['git'])}`,
    `${String(settings.sessions)} sessions x ${String(settings.outstanding)} outstanding, ${String(settings.durationSeconds)} s per run after ${String(settings.warmupSeconds)} s warm-up per workload, ` +
      `${String(settings.repeats)} repeats (medians), ${String(settings.dataset.keys)} znodes of ${String(settings.dataset.dataSize)} bytes, getChildren of ${String(settings.dataset.children)} children`,
    'RSS: server VmRSS right after each run. CPU columns in cores (1.00 = one core busy): srv = the server process, client = this load',
    'generator, other = everything else on the machine (noise). ops/CPU-s = ops/s per core of server CPU. max gap = longest time without any reply.',
    ...(Object.keys(idleRss).length > 0
      ? [`RSS at rest with the data set: ${SERVER_NAMES.filter((n) => idleRss[n] !== undefined).map((n) => `${n} ${fmt(mb(idleRss[n] ?? 0), 1)} MB`).join(', ')}`]
      : []),
    '',
    printLoadTable(summaries),
    '',
    errors === 0 ? 'no errors' : `ERRORS: ${String(errors)} failed requests, see the log above; figures of runs with errors are not valid`,
  ];
  const path = resultsPath(settings);
  writeFileSync(
    path,
    `${JSON.stringify({ mode: 'load', environment: env, settings, servers: servers.map((s) => ({ name: s.name, pid: s.pid, version: s.version, commandLine: s.commandLine })), idleRssBytes: idleRss, summary: summaries, runs }, null, 2)}\n`,
  );
  process.stdout.write(`${lines.join('\n')}\nresults: ${path}\n`);
  return errors === 0 ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// Memory mode

interface MemoryRun {
  server: ServerName;
  repeat: number;
  znodes: number;
  rssStartBytes: number;
  rssLoadedBytes: number;
  hwmBytes: number;
  createSeconds: number;
  /** Java only: heap in use after a full GC (jcmd GC.run), read after the RSS. */
  javaLiveHeapBytes: number | undefined;
  errors: Record<string, number>;
}

/** Heap in use after a full GC of a JVM, via jcmd; undefined if jcmd fails. */
function javaLiveHeapBytes(pid: number): number | undefined {
  const gc = spawnSync('jcmd', [String(pid), 'GC.run'], { encoding: 'utf8', timeout: 30_000 });
  if (gc.status !== 0) return undefined;
  const info = spawnSync('jcmd', [String(pid), 'GC.heap_info'], { encoding: 'utf8', timeout: 30_000 });
  const match = /heap\s+total \d+K, used (\d+)K/.exec(`${info.stdout}`);
  return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
}

async function memoryRun(name: ServerName, settings: Settings, repeat: number): Promise<MemoryRun> {
  const server = await startServer(name, settings);
  try {
    await sleep(2000);
    const rssStart = readMemory(server.pid).rssBytes;
    const data = payload(settings.dataset.dataSize);
    const parents = Math.ceil(settings.znodes / 1000);
    const errors: Record<string, number> = {};
    const count = (m: Map<number, number>): void => {
      for (const [code, n] of m) if (code !== 0) errors[errorName(code)] = (errors[errorName(code)] ?? 0) + n;
    };
    const t0 = performance.now();
    const clients = await Promise.all(Array.from({ length: 4 }, () => SimpleClient.open(server.handle.port)));
    try {
      const first = clients[0] as SimpleClient;
      const e = await first.create('/mem', Buffer.alloc(0));
      if (e !== 0) errors[errorName(e)] = (errors[errorName(e)] ?? 0) + 1;
      count(await pipelined(parents, 64, (i) => first.create(`/mem/p-${String(i).padStart(4, '0')}`, Buffer.alloc(0))));
      // 1000 children per parent, like many real trees; spread over 4 sessions.
      const perClient = Math.ceil(settings.znodes / clients.length);
      const results = await Promise.all(
        clients.map((client, c) => {
          const from = c * perClient;
          const to = Math.min(settings.znodes, from + perClient);
          return pipelined(Math.max(0, to - from), 256, (k) => {
            const i = from + k;
            return client.create(`/mem/p-${String(Math.floor(i / 1000)).padStart(4, '0')}/n-${String(i).padStart(7, '0')}`, data);
          });
        }),
      );
      for (const r of results) count(r);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
    const createSeconds = (performance.now() - t0) / 1000;
    await sleep(3000); // let the server settle (pending GC, buffers released)
    const memory = readMemory(server.pid);
    return {
      javaLiveHeapBytes: name === 'java' ? javaLiveHeapBytes(server.pid) : undefined,
      server: name,
      repeat,
      znodes: settings.znodes,
      rssStartBytes: rssStart,
      rssLoadedBytes: memory.rssBytes,
      hwmBytes: memory.hwmBytes,
      createSeconds: Math.round(createSeconds * 100) / 100,
      errors,
    };
  } finally {
    await server.handle.stop();
  }
}

async function memoryMode(settings: Settings, env: Record<string, string | number>): Promise<number> {
  const runs: MemoryRun[] = [];
  try {
    for (let repeat = 0; repeat < settings.repeats; repeat++) {
      const ordered = repeat % 2 === 0 ? settings.servers : [...settings.servers].reverse();
      for (const name of ordered) {
        const run = await memoryRun(name, settings, repeat);
        runs.push(run);
        log(
          `repeat ${String(repeat + 1)}/${String(settings.repeats)} ${name.padEnd(4)} RSS at start ${fmt(mb(run.rssStartBytes), 1)} MB, ` +
            `after ${fmt(run.znodes)} znodes ${fmt(mb(run.rssLoadedBytes), 1)} MB (peak ${fmt(mb(run.hwmBytes), 1)} MB), created in ${fmt(run.createSeconds, 1)} s` +
            (Object.keys(run.errors).length > 0 ? `  ERRORS ${JSON.stringify(run.errors)}` : ''),
        );
      }
    }
  } finally {
    await stopAll();
  }
  const summary: Partial<
    Record<
      ServerName,
      { rssStartMB: number; rssLoadedMB: number; deltaMB: number; bytesPerZnode: number; hwmMB: number; createSeconds: number; javaLiveHeapMB: number | undefined }
    >
  > = {};
  for (const name of settings.servers) {
    const mine = runs.filter((r) => r.server === name);
    summary[name] = {
      rssStartMB: mb(median(mine.map((r) => r.rssStartBytes))),
      rssLoadedMB: mb(median(mine.map((r) => r.rssLoadedBytes))),
      deltaMB: mb(median(mine.map((r) => r.rssLoadedBytes - r.rssStartBytes))),
      bytesPerZnode: Math.round(median(mine.map((r) => (r.rssLoadedBytes - r.rssStartBytes) / r.znodes))),
      hwmMB: mb(median(mine.map((r) => r.hwmBytes))),
      createSeconds: median(mine.map((r) => r.createSeconds)),
      javaLiveHeapMB: name === 'java' ? mb(median(mine.flatMap((r) => (r.javaLiveHeapBytes === undefined ? [] : [r.javaLiveHeapBytes])))) : undefined,
    };
  }
  const rows: string[][] = [];
  for (const name of SERVER_NAMES) {
    const v = summary[name];
    if (v === undefined) continue;
    rows.push([name, '', fmt(v.rssStartMB, 1), fmt(v.rssLoadedMB, 1), fmt(v.deltaMB, 1), fmt(v.bytesPerZnode), fmt(v.hwmMB, 1), fmt(v.createSeconds, 1)]);
  }
  const j = summary.java;
  const o = summary.ours;
  const ratios =
    j !== undefined && o !== undefined
      ? { rssLoaded: ratio(o.rssLoadedMB, j.rssLoadedMB), delta: ratio(o.deltaMB, j.deltaMB), perZnode: ratio(o.bytesPerZnode, j.bytesPerZnode), hwm: ratio(o.hwmMB, j.hwmMB) }
      : undefined;
  if (ratios !== undefined) {
    rows.push(['ours/java', '', '', `${fmt(ratios.rssLoaded, 2)}x`, `${fmt(ratios.delta, 2)}x`, `${fmt(ratios.perZnode, 2)}x`, `${fmt(ratios.hwm, 2)}x`, '']);
  }
  const errorCount = runs.reduce((sum, r) => sum + Object.values(r.errors).reduce((a, b) => a + b, 0), 0);
  const lines = [
    '',
    `zk-ts memory at rest, ${String(env['date'])}: ${String(env['cpus'])} x ${String(env['cpuModel'])}; node ${String(env['node'])}; ${String(env['java'])}`,
    `our tree: ${String(env['git'])}; both zoo.cfg: maxClientCnxns=0, forceSync=${settings.forceSync}`,
    `Java heap: -Xmx${settings.javaHeap}, default collector (G1); ${fmt(settings.znodes)} znodes of ${String(settings.dataset.dataSize)} bytes ` +
      `(1000 per parent), RSS read 3 s after the last create; ${String(settings.repeats)} repeats (medians), fresh servers each time`,
    '',
    table(['server', '', 'RSS start MB', 'RSS loaded MB', 'growth MB', 'bytes/znode', 'peak MB', 'create s'], rows),
    '',
    ...(j?.javaLiveHeapMB !== undefined && Number.isFinite(j.javaLiveHeapMB)
      ? [`For scale: the Java heap in use after a full GC (jcmd GC.run, after the RSS was read) was ${fmt(j.javaLiveHeapMB, 1)} MB.`]
      : []),
    errorCount === 0 ? 'no errors' : `ERRORS: ${String(errorCount)} failed creates`,
  ];
  const path = resultsPath(settings);
  writeFileSync(path, `${JSON.stringify({ mode: 'memory', environment: env, settings, summary, ratios, runs }, null, 2)}\n`);
  process.stdout.write(`${lines.join('\n')}\nresults: ${path}\n`);
  return errorCount === 0 ? 0 : 1;
}

async function main(): Promise<void> {
  const settings = parseSettings();
  const env = environment();
  process.exitCode = settings.memory ? await memoryMode(settings, env) : await loadMode(settings, env);
}

main().catch(async (err: unknown) => {
  process.stderr.write(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
