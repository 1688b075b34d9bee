// Benchmark: a 3-node ensemble of our server against a 3-node Apache ZooKeeper 3.8 ensemble (the
// Debian package), on the same machine in one run, with the same zoo.cfg (forceSync=yes). Each
// ensemble is started as users start it; every workload spreads its sessions over the three
// members (writes from the followers' clients are forwarded to the leader); then the failover
// time: SIGKILL the leader and time the first write acknowledged by a survivor. Kinds alternate
// order across repeats; the tables give medians and ratios ours/java. See docs/benchmarks.md.
//
//   npm run bench:ensemble -- [--duration 8] [--warmup 2] [--sessions 30] [--outstanding 8]
//                             [--repeats 3] [--workloads set,get,mix] [--failovers 3]

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MixedEnsemble, type MemberKind } from '../test/interop/mixed-ensemble.js';
import { projectRoot } from '../test/support/our-server.js';
import { sleep } from '../test/support/zk-wait.js';
import { DEFAULT_DATASET, isWorkloadName, prepareDataset, runLoad, type LoadResult, type WorkloadName } from './load-generator.js';
import { pidListeningOn, readMemory } from './proc-stats.js';
import { median } from './storage-common.js';
import { SimpleClient } from './zk-connection.js';

const KINDS: readonly MemberKind[] = ['java', 'ours'];
const IDS = [1, 2, 3] as const;

interface Settings {
  durationSeconds: number;
  warmupSeconds: number;
  sessions: number;
  outstanding: number;
  repeats: number;
  workloads: WorkloadName[];
  failovers: number;
}

interface WorkloadRun {
  kind: MemberKind;
  repeat: number;
  workload: WorkloadName;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

interface FailoverRun {
  kind: MemberKind;
  repeat: number;
  /** SIGKILL of the leader to the first write acknowledged by a surviving member. */
  firstWriteMs: number;
  /** SIGKILL to a survivor reporting Mode: leader. */
  newLeaderMs: number;
}

function parseSettings(): Settings {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '8' },
      warmup: { type: 'string', default: '2' },
      sessions: { type: 'string', default: '30' },
      outstanding: { type: 'string', default: '8' },
      repeats: { type: 'string', default: '3' },
      workloads: { type: 'string', default: 'set,get,mix' },
      failovers: { type: 'string', default: '3' },
    },
  });
  const int = (name: string, text: string, min: number, max: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`--${name} must be an integer in [${String(min)}, ${String(max)}]`);
    return n;
  };
  const workloads = values.workloads.split(',').map((w) => w.trim()).filter((w) => w !== '');
  for (const w of workloads) if (!isWorkloadName(w)) throw new RangeError(`unknown workload ${w}`);
  return {
    durationSeconds: int('duration', values.duration, 1, 600),
    warmupSeconds: int('warmup', values.warmup, 0, 600),
    sessions: int('sessions', values.sessions, 3, 600),
    outstanding: int('outstanding', values.outstanding, 1, 1000),
    repeats: int('repeats', values.repeats, 1, 20),
    workloads: workloads as WorkloadName[],
    failovers: int('failovers', values.failovers, 0, 20),
  };
}

async function startEnsemble(kind: MemberKind): Promise<{ ensemble: MixedEnsemble; leader: number }> {
  const ensemble = await MixedEnsemble.create(
    IDS.map((id) => ({ id, kind })),
    { tickTimeMs: 2000, initLimit: 10, syncLimit: 5, extraCfg: { forceSync: 'yes', maxClientCnxns: '0' } },
  );
  try {
    await ensemble.startAll();
    const leader = await ensemble.waitForQuorum({ timeoutMs: 90_000 });
    return { ensemble, leader };
  } catch (error) {
    await ensemble.close();
    throw error;
  }
}

/** RSS of every member's server process (the JVM, or node), summed. */
function ensembleRssBytes(ensemble: MixedEnsemble): number {
  let total = 0;
  for (const id of ensemble.running()) {
    const pid = ensemble.pid(id);
    if (pid === null) continue;
    total += readMemory(pidListeningOn(pid, ensemble.clientPort(id))).rssBytes;
  }
  return total;
}

/** One write attempt on a fresh session of `port`; true when acknowledged. */
async function tryWrite(port: number, path: string, timeoutMs: number): Promise<boolean> {
  let client: SimpleClient | null = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    const attempt = (async (): Promise<boolean> => {
      client = await SimpleClient.open(port);
      return (await client.create(path, Buffer.from('x'))) === 0;
    })();
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    return await Promise.race([attempt.catch(() => false), timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    const opened = client as SimpleClient | null;
    opened?.close().catch(() => undefined);
  }
}

async function measureFailover(ensemble: MixedEnsemble, leader: number, kind: MemberKind, repeat: number, round: number): Promise<FailoverRun> {
  const survivors = ensemble.running().filter((id) => id !== leader);
  const killedAt = performance.now();
  await ensemble.kill(leader);
  let newLeaderMs = Number.NaN;
  let attempt = 0;
  for (;;) {
    const elapsed = performance.now() - killedAt;
    if (elapsed > 120_000) throw new Error(`${kind}: no write acknowledged within 120 s of killing leader ${String(leader)}`);
    if (Number.isNaN(newLeaderMs)) {
      const statuses = await ensemble.statuses(survivors);
      if (statuses.some((s) => s.mode === 'leader')) newLeaderMs = performance.now() - killedAt;
    }
    const port = ensemble.clientPort(survivors[attempt % survivors.length] as number);
    attempt++;
    if (await tryWrite(port, `/failover-${String(repeat)}-${String(round)}-${String(attempt)}`, 1000)) {
      const firstWriteMs = performance.now() - killedAt;
      if (Number.isNaN(newLeaderMs)) newLeaderMs = firstWriteMs;
      return { kind, repeat, firstWriteMs, newLeaderMs };
    }
    await sleep(20);
  }
}

async function main(): Promise<void> {
  const settings = parseSettings();
  const workloadRuns: WorkloadRun[] = [];
  const failoverRuns: FailoverRun[] = [];
  const rss: Record<MemberKind, number[]> = { java: [], ours: [] };
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  for (let repeat = 0; repeat < settings.repeats; repeat++) {
    const order = repeat % 2 === 0 ? KINDS : [...KINDS].reverse();
    for (const kind of order) {
      const { ensemble, leader } = await startEnsemble(kind);
      try {
        const ports = IDS.map((id) => ensemble.clientPort(id));
        await prepareDataset(ensemble.clientPort(leader), DEFAULT_DATASET);
        for (const workload of settings.workloads) {
          const common = { port: ports[0] as number, ports, workload, dataset: DEFAULT_DATASET, sessions: settings.sessions, outstanding: settings.outstanding };
          if (settings.warmupSeconds > 0) await runLoad({ ...common, durationSeconds: settings.warmupSeconds, runTag: `w${String(repeat)}` });
          const result: LoadResult = await runLoad({ ...common, durationSeconds: settings.durationSeconds, runTag: `m${String(repeat)}` });
          workloadRuns.push({ kind, repeat, workload, opsPerSecond: result.opsPerSecond, p50Ms: result.latency.p50Ms, p99Ms: result.latency.p99Ms, errors: result.errors });
          log(`repeat ${String(repeat + 1)} ${kind} ${workload}: ${result.opsPerSecond.toFixed(0)} ops/s, p50 ${result.latency.p50Ms.toFixed(2)} ms, p99 ${result.latency.p99Ms.toFixed(2)} ms, errors ${String(result.errors)}`);
        }
        rss[kind].push(ensembleRssBytes(ensemble));
        let current = leader;
        for (let round = 0; round < settings.failovers; round++) {
          const run = await measureFailover(ensemble, current, kind, repeat, round);
          failoverRuns.push(run);
          log(`repeat ${String(repeat + 1)} ${kind} failover ${String(round + 1)}: new leader after ${run.newLeaderMs.toFixed(0)} ms, first write after ${run.firstWriteMs.toFixed(0)} ms`);
          // The killed member comes back (from its data dir) before the next round.
          await ensemble.start(current);
          current = await ensemble.waitForQuorum({ timeoutMs: 90_000 });
        }
      } finally {
        await ensemble.close();
      }
    }
  }

  const lines: string[] = [];
  lines.push(`3-node ensembles, forceSync=yes, ${String(settings.sessions)} sessions spread over the members x ${String(settings.outstanding)} in flight, ${String(settings.durationSeconds)} s per run, medians of ${String(settings.repeats)} repeats`);
  lines.push(`machine: ${String(cpus().length)} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`);
  lines.push('');
  lines.push('| workload | java ops/s | ours ops/s | ops/s ours/java | java p99 ms | ours p99 ms | p99 ours/java |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const workload of settings.workloads) {
    const of = (kind: MemberKind, pick: (r: WorkloadRun) => number): number => median(workloadRuns.filter((r) => r.kind === kind && r.workload === workload).map(pick));
    const jOps = of('java', (r) => r.opsPerSecond);
    const oOps = of('ours', (r) => r.opsPerSecond);
    const jP99 = of('java', (r) => r.p99Ms);
    const oP99 = of('ours', (r) => r.p99Ms);
    lines.push(`| ${workload} | ${jOps.toFixed(0)} | ${oOps.toFixed(0)} | ${(oOps / jOps).toFixed(2)}x | ${jP99.toFixed(2)} | ${oP99.toFixed(2)} | ${(oP99 / jP99).toFixed(2)}x |`);
  }
  if (settings.failovers > 0) {
    const of = (kind: MemberKind, pick: (r: FailoverRun) => number): number => median(failoverRuns.filter((r) => r.kind === kind).map(pick));
    lines.push('');
    lines.push('| failover (SIGKILL of the leader) | java ms | ours ms | ours/java |');
    lines.push('|---|---:|---:|---:|');
    for (const [label, pick] of [
      ['to a new leader', (r: FailoverRun): number => r.newLeaderMs],
      ['to the first acknowledged write', (r: FailoverRun): number => r.firstWriteMs],
    ] as const) {
      const j = of('java', pick);
      const o = of('ours', pick);
      lines.push(`| ${label} | ${j.toFixed(0)} | ${o.toFixed(0)} | ${(o / j).toFixed(2)}x |`);
    }
  }
  const jRss = median(rss.java);
  const oRss = median(rss.ours);
  lines.push('');
  lines.push(`RSS of the three servers after the workloads: java ${(jRss / 2 ** 20).toFixed(0)} MiB (-Xmx256m each), ours ${(oRss / 2 ** 20).toFixed(0)} MiB, ours/java ${(oRss / jRss).toFixed(2)}x`);
  const table = lines.join('\n');
  process.stdout.write(`${table}\n`);
  const dir = join(projectRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/u, 'Z')}-ensemble.json`);
  writeFileSync(file, `${JSON.stringify({ settings, workloadRuns, failoverRuns, rss, table }, null, 2)}\n`);
  process.stderr.write(`results: ${file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
