/**
 * One test run: start the ensemble, set up the workload, run client workers and the nemesis
 * schedule for the time limit, heal everything, wait for a quorum, run the final reads, tear
 * everything down, then check the history and write the report folder:
 *
 *   <out>/<run>/history.edn   the history, one op map per line (streamed while running)
 *   <out>/<run>/config.json   every option, the seed, the server command, the nemesis schedule
 *   <out>/<run>/seed          the seed alone
 *   <out>/<run>/results.json  the verdicts and run statistics
 *   <out>/<run>/report.html   timeline, latency and throughput, failures (self-contained)
 *   <out>/<run>/n<i>/         each node's zoo.cfg, data dir and server.log
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { outcomeUnknown, withTimeout, ZkError, ZK_ERRORS, type ClientFactory, type ZkClient } from '../client/client.js';
import { clientFactory, type ClientName } from '../client/index.js';
import { cleanups } from '../db/cleanup.js';
import { DEFAULT_COMMANDS, Ensemble, type ServerKind } from '../db/ensemble.js';
import { kw, type EdnValue } from '../history/edn.js';
import { readHistoryFile } from '../history/history.js';
import type { NetMode } from '../net/network.js';
import { HEALTHY, TcpProxy, type LinkPolicy } from '../net/proxy.js';
import { NoHooks, SocketHooks, type ServerHooks } from '../nemesis/hooks.js';
import { resolveNemeses, type Nemesis, type NemesisContext } from '../nemesis/nemeses.js';
import { NetFaults } from '../nemesis/netfaults.js';
import { makeSchedule, NemesisRunner, type ScheduledFault } from '../nemesis/schedule.js';
import { writeReport } from '../report/html.js';
import { makeWorkload } from '../workloads/index.js';
import type { FinalContext, OpContext, OpOutcome, ReadMode, Verdict, Workload } from '../workloads/workload.js';
import { toEdn, Recorder } from './recorder.js';
import { Rng } from './rng.js';

export interface TestConfig {
  readonly workload: string;
  readonly nemesis: string;
  readonly nodes: number;
  readonly timeLimitS: number;
  readonly server: ServerKind;
  readonly serverCommand?: string;
  /** Environment of the server processes, e.g. SERVER_JVMFLAGS=-Dzkts.test.fault=... for ours. */
  readonly serverEnv?: Readonly<Record<string, string>>;
  readonly net: NetMode;
  readonly seed: number;
  readonly client: ClientName;
  readonly concurrency: number;
  /** Target total rate of client ops per second. */
  readonly rate: number;
  readonly opTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly readMode: ReadMode;
  readonly opsPerKey: number;
  readonly faultS: readonly [number, number];
  readonly quietS: readonly [number, number];
  readonly overlap: boolean;
  readonly checkTimeLimitS: number;
  readonly quorumTimeoutS: number;
  readonly tickTime: number;
  /** The run's folder; made from out + a name when undefined. */
  readonly dir: string;
}

export function defaultConfig(partial: Partial<TestConfig> & { dir: string }): TestConfig {
  const nodes = partial.nodes ?? 3;
  return {
    workload: 'register',
    nemesis: 'kill,partition',
    nodes,
    timeLimitS: 60,
    server: 'java',
    net: 'proxy',
    seed: 1,
    client: 'nzk',
    concurrency: 2 * nodes,
    rate: 100,
    opTimeoutMs: 5000,
    sessionTimeoutMs: 10_000,
    readMode: 'check',
    opsPerKey: 200,
    faultS: [4, 10],
    quietS: [3, 8],
    overlap: false,
    checkTimeLimitS: 60,
    quorumTimeoutS: 60,
    tickTime: 1000,
    ...partial,
  };
}

export interface RunResult {
  readonly dir: string;
  readonly valid: boolean | 'unknown';
  readonly verdicts: readonly Verdict[];
  readonly error?: string;
  readonly stats: RunStats;
}

export interface RunStats {
  ops: number;
  ok: number;
  fail: number;
  info: number;
  nemesisOps: number;
  skippedNemeses: { name: string; reason: string }[];
  finalQuorum: boolean;
  durationMs: number;
  /** Exceptions thrown by a client library outside any request (recorded as :client-crash events). */
  clientCrashes: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Jepsen records errors as keywords (:timeout, :connection-loss); free text stays a string. */
function errorValue(text: string): EdnValue {
  return /^[a-z][a-z0-9-]*$/.test(text) ? kw(text) : text;
}

function errorKeyword(e: unknown): string {
  return e instanceof ZkError ? e.keyword : e instanceof Error ? e.message : String(e);
}

function combine(verdicts: readonly Verdict[]): boolean | 'unknown' {
  if (verdicts.some((v) => v.valid === false)) return false;
  if (verdicts.length === 0 || verdicts.some((v) => v.valid !== true)) return 'unknown';
  return true;
}

interface Worker {
  process: number;
  client: ZkClient | undefined;
}

export async function runTest(config: TestConfig, log: (line: string) => void = () => undefined): Promise<RunResult> {
  const started = Date.now();
  const dir = config.dir;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'seed'), `${config.seed}\n`);
  const rng = new Rng(config.seed);
  const stats: RunStats = { ops: 0, ok: 0, fail: 0, info: 0, nemesisOps: 0, skippedNemeses: [], finalQuorum: false, durationMs: 0, clientCrashes: 0 };
  const recorder = new Recorder();
  const historyPath = join(dir, 'history.edn');
  recorder.streamTo(historyPath);
  const factory: ClientFactory = await clientFactory(config.client);
  const nemeses = resolveNemeses(config.nemesis);
  let ensemble: Ensemble | undefined;
  let workload: Workload | undefined;
  let schedule: ScheduledFault[] = [];
  let runner: NemesisRunner | undefined;
  const openClients = new Set<ZkClient>();
  const extraProxies = new Set<TcpProxy>();
  let error: string | undefined;
  const writeConfig = (extra: Record<string, unknown>) =>
    writeFileSync(
      join(dir, 'config.json'),
      `${JSON.stringify(
        {
          ...config,
          serverCommand: config.serverCommand ?? DEFAULT_COMMANDS[config.server],
          clientDescription: factory.description,
          nemeses: nemeses.map((n) => ({ name: n.name, family: n.family, description: n.description })),
          ...extra,
        },
        null,
        2,
      )}\n`,
    );
  writeConfig({});

  const closeClient = async (c: ZkClient | undefined) => {
    if (c === undefined) return;
    openClients.delete(c);
    await c.close();
  };
  // A client library that throws from a socket handler must not end the run: the op it was
  // serving times out (and is recorded :info), the crash is recorded as an event.
  let clientCrashes = 0;
  const onUncaught = (e: Error) => {
    clientCrashes++;
    const message = `${e.name}: ${e.message}`.slice(0, 300);
    log(`uncaught exception (client library?): ${e.stack ?? message}`);
    recorder.recordInfoPair('events', 'client-crash', toEdn({ error: message }), toEdn({ error: message }));
  };
  process.on('uncaughtException', onUncaught);
  const unregisterClients = cleanups.add('clients and client proxies', async () => {
    for (const c of [...openClients]) await closeClient(c);
    for (const p of extraProxies) await p.close();
  });

  try {
    log(`starting ${config.nodes} ${config.server} nodes (${config.net} network) in ${dir}`);
    ensemble = await Ensemble.start({
      nodes: config.nodes,
      server: config.server,
      ...(config.serverCommand === undefined ? {} : { command: config.serverCommand }),
      ...(config.serverEnv === undefined ? {} : { env: config.serverEnv }),
      net: config.net,
      dir,
      seed: config.seed,
      tickTime: config.tickTime,
      quorumTimeoutMs: config.quorumTimeoutS * 1000,
      log,
    });
    const ens = ensemble;
    const allIds = ens.ids;
    const nodeByAddress = new Map<string, string>();
    for (const n of ens.nodes) nodeByAddress.set(`${n.placement.clientAccess.host}:${n.placement.clientAccess.port}`, n.name);

    const open = async (ids: readonly number[], connectTimeoutMs: number): Promise<ZkClient> => {
      const c = await factory.open(ens.connectString(ids), { sessionTimeoutMs: config.sessionTimeoutMs, connectTimeoutMs });
      openClients.add(c);
      return c;
    };

    workload = makeWorkload(config.workload, {
      root: '/jepsen',
      nodes: config.nodes,
      readMode: config.readMode,
      sessionTimeoutMs: config.sessionTimeoutMs,
      opTimeoutMs: config.opTimeoutMs,
      clientFactory: factory,
      connectString: ens.connectString(),
      opsPerKey: config.opsPerKey,
    });
    const wl = workload;
    const admin = await open(allIds, 15_000);
    await withTimeout(wl.setup(admin), 30_000, 'workload setup');
    await closeClient(admin);

    // nemeses: which can run here
    const hooks: ServerHooks = config.server === 'java' ? new NoHooks('Apache ZooKeeper has no test hooks') : new SocketHooks((id) => ens.hooksSocket(id));
    const net = new NetFaults(ens.network);
    const ctx: NemesisContext = { ensemble: ens, net, hooks, log };
    const usable: Nemesis[] = [];
    for (const n of nemeses) {
      const why = await n.unsupported(ctx);
      if (why === undefined) usable.push(n);
      else stats.skippedNemeses.push({ name: n.name, reason: why });
    }
    schedule = makeSchedule(rng.fork('schedule'), usable, {
      timeLimitMs: config.timeLimitS * 1000,
      faultMs: [config.faultS[0] * 1000, config.faultS[1] * 1000],
      quietMs: [config.quietS[0] * 1000, config.quietS[1] * 1000],
      overlap: config.overlap,
    });
    writeConfig({ schedule, skippedNemeses: stats.skippedNemeses, network: ens.network.describe(), commandLines: ens.nodes.map((n) => ens.commandLine(n).join(' ')) });
    runner = new NemesisRunner(ctx, recorder, new Map(usable.map((n) => [n.name, n])));
    runner.recordSkipped(stats.skippedNemeses);

    // ---- the run
    const t0 = recorder.elapsedMs();
    const deadline = Date.now() + config.timeLimitS * 1000;
    const abort = new AbortController();
    const nemesisDone = runner.run(schedule.map((s) => ({ ...s, at: s.at + t0 })), abort.signal);
    const C = config.concurrency;
    const meanGapMs = config.rate > 0 ? (1000 * C) / config.rate : 0;

    const runWorker = async (w: number): Promise<void> => {
      const wrng = rng.fork(`worker${w}`);
      const me: Worker = { process: w, client: undefined };
      const own = [(w % allIds.length) + 1];
      const targets = wl.clientTargets === 'own' ? own : wrng.shuffle(allIds);
      for (let guard = 0; guard < 10_000_000 && Date.now() < deadline; guard++) {
        if (me.client === undefined) {
          try {
            me.client = await open(targets, Math.max(500, Math.min(config.opTimeoutMs, deadline - Date.now())));
          } catch {
            await sleep(250);
            continue;
          }
        }
        const client = me.client;
        const spec = wl.next(me.process, wrng);
        if (spec === undefined) {
          await sleep(50);
          continue;
        }
        const process = me.process;
        const node = () => {
          const s = client.server?.();
          return (s === undefined ? undefined : nodeByAddress.get(s)) ?? (wl.clientTargets === 'own' ? `n${own[0] ?? 0}` : undefined);
        };
        recorder.record('invoke', process, spec.f, spec.value, { node: node(), session: client.sessionId() });
        const opCtx: OpContext = {
          process,
          client,
          rng: wrng,
          event: (f, value) => recorder.recordInfoPair('events', f, value, value, { session: client.sessionId(), node: node() }),
          openClient: async ({ abandonable }) => {
            if (!abandonable) {
              const c = await open(allIds, config.opTimeoutMs);
              return { client: c, abandon: () => closeClient(c), close: () => closeClient(c) };
            }
            let policy: LinkPolicy = HEALTHY;
            const proxies: TcpProxy[] = [];
            for (const n of ens.nodes) {
              const p = new TcpProxy({
                name: `client proxy n${n.id}`,
                listen: { host: '127.0.0.1', port: 0 },
                target: { host: n.placement.clientAccess.host, port: n.placement.clientAccess.port },
                upstream: () => policy,
                downstream: () => policy,
              });
              await p.start();
              proxies.push(p);
              extraProxies.add(p);
            }
            const cs = proxies.map((p) => `127.0.0.1:${p.port}`).join(',');
            let c: ZkClient;
            try {
              c = await factory.open(cs, { sessionTimeoutMs: config.sessionTimeoutMs, connectTimeoutMs: config.opTimeoutMs });
            } catch (e) {
              for (const p of proxies) {
                await p.close();
                extraProxies.delete(p);
              }
              throw e;
            }
            openClients.add(c);
            const release = async () => {
              await closeClient(c);
              for (const p of proxies) {
                await p.close();
                extraProxies.delete(p);
              }
            };
            return {
              client: c,
              abandon: async () => {
                policy = { cut: true };
                for (const p of proxies) {
                  p.kick();
                  p.resetAll();
                }
                await Promise.resolve();
              },
              close: release,
            };
          },
        };
        let outcome: OpOutcome;
        let failure: unknown;
        try {
          outcome = await withTimeout(wl.apply(spec, opCtx), config.opTimeoutMs, spec.f);
        } catch (e) {
          failure = e;
          const type = wl.isRead(spec.f) ? 'fail' : outcomeUnknown(e) ? 'info' : 'fail';
          outcome = { type, error: errorKeyword(e) };
        }
        const used = outcome.client ?? client;
        recorder.record(outcome.type, process, spec.f, outcome.type === 'ok' ? (outcome.value ?? spec.value) : spec.value, {
          node: outcome.client === undefined ? node() : nodeByAddress.get(used.server?.() ?? ''),
          session: used.sessionId(),
          zxid: used.lastZxid(),
          ...(outcome.error === undefined ? {} : { error: errorValue(outcome.error) }),
        });
        stats.ops++;
        stats[outcome.type]++;
        const expired = failure instanceof ZkError && failure.code === ZK_ERRORS.SESSION_EXPIRED;
        const brokenClient =
          failure !== undefined &&
          (!(failure instanceof ZkError) ||
            failure.code === ZK_ERRORS.CONNECTION_LOSS ||
            failure.code === ZK_ERRORS.OPERATION_TIMEOUT ||
            failure.code === ZK_ERRORS.SESSION_MOVED);
        if (outcome.type === 'info') me.process += C;
        if (expired || (wl.keepClient !== true && (outcome.type === 'info' || brokenClient))) {
          void closeClient(client);
          me.client = undefined;
        }
        if (meanGapMs > 0) await sleep(wrng.next() * 2 * meanGapMs);
      }
      await closeClient(me.client);
    };

    log(`running ${wl.name} for ${config.timeLimitS} s with ${C} workers; nemeses: ${usable.map((n) => n.name).join(', ') || 'none'}`);
    await Promise.all(Array.from({ length: C }, (_, w) => runWorker(w)));
    abort.abort();
    await nemesisDone;
    log('time limit reached: healing');
    await runner.healAll();
    try {
      await ens.waitForQuorum(config.quorumTimeoutS * 1000);
      stats.finalQuorum = true;
    } catch (e) {
      const msg = e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e);
      recorder.recordInfoPair('nemesis', 'final-quorum', null, toEdn({ error: msg }));
      log(`no quorum after healing: ${msg}`);
    }

    // ---- final reads
    if (wl.final !== undefined) {
      let nextProcess = 1_000_000;
      const finalCtx: FinalContext = {
        run: async (f, value, body) => {
          const process = nextProcess++;
          let client: ZkClient | undefined;
          try {
            client = await open(allIds, 10_000);
          } catch {
            await sleep(1000);
            return { type: 'fail', error: 'no connection' };
          }
          recorder.record('invoke', process, f, value, { session: client.sessionId() });
          let outcome: OpOutcome;
          try {
            outcome = await withTimeout(body(client), Math.max(config.opTimeoutMs, 10_000), f);
          } catch (e) {
            outcome = { type: 'fail', error: errorKeyword(e) };
          }
          const s = client.server?.();
          recorder.record(outcome.type, process, f, outcome.type === 'ok' ? (outcome.value ?? value) : value, {
            node: s === undefined ? undefined : nodeByAddress.get(s),
            session: client.sessionId(),
            zxid: client.lastZxid(),
            ...(outcome.error === undefined ? {} : { error: errorValue(outcome.error) }),
          });
          await closeClient(client);
          if (outcome.type !== 'ok') await sleep(500);
          return outcome;
        },
      };
      await wl.final(finalCtx);
    }
  } catch (e) {
    error = e instanceof Error ? (e.stack ?? e.message) : String(e);
    log(`run failed: ${error}`);
  } finally {
    process.removeListener('uncaughtException', onUncaught);
    stats.clientCrashes = clientCrashes;
    await workload?.stop?.();
    for (const c of [...openClients]) await closeClient(c);
    for (const p of extraProxies) await p.close();
    unregisterClients();
    await recorder.close();
    await ensemble?.teardown();
  }

  // ---- checking
  let verdicts: Verdict[] = [];
  stats.nemesisOps = recorder.ops.filter((op) => op.process === 'nemesis').length;
  if (workload !== undefined && error === undefined) {
    try {
      const history = await readHistoryFile(historyPath);
      verdicts = await workload.check(history, { timeLimitMs: config.checkTimeLimitS * 1000 });
    } catch (e) {
      error = `checker failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    }
  }
  const valid = error === undefined ? combine(verdicts) : 'unknown';
  stats.durationMs = Date.now() - started;
  const result: RunResult = { dir, valid, verdicts, ...(error === undefined ? {} : { error }), stats };
  writeFileSync(join(dir, 'results.json'), `${JSON.stringify(result, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
  try {
    writeReport(dir, { config, result, history: recorder.ops, schedule, nemesisEvents: runner?.events ?? [] });
  } catch (e) {
    log(`report failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  return result;
}
