// Recovery benchmark: how long our server and Apache ZooKeeper 3.8 (Debian package) take from process
// start to serving a data dir holding N znodes (default 1,000,000 of 100 bytes), and their peak RSS.
//
// For each server and variant the data set is built through that server (pipelined creates over
// several sessions, forceSync=yes), the server is stopped cleanly, Java's PurgeTxnLog keeps the 3
// newest snapshots and the logs they need (as autopurge would), and the result is kept as a pristine
// copy. Each measurement starts the server on a fresh copy of it (both servers write a snapshot and a
// new log at start, so a data dir is never reused) and times, from spawn: `ruok` answering imok,
// `srvr` reporting a serving server, and the first successful getData of the znode written last
// (which proves the whole log was replayed). Peak RSS is VmHWM of the process holding the listening
// socket, read at that moment and again a few seconds later; CPU is the user + system seconds that
// process (all its threads) had used at that moment, which a busy machine stretches less than time.
//
// Variants:
//   snapshot  snapCount=100000 (3.8's default): most of the tree is in the newest snapshot, the
//             txns after it (up to snapCount) in the log
//   log       snapCount=100000000: the only snapshot is the empty one taken at the first start; the
//             whole tree is replayed from the txn log
//   empty     an empty data dir, as a baseline of process start-up
//
//   npm run build && node dist/bench/recovery.js [--znodes 1000000] [--repeats 3] [--variants snapshot,log,empty]
//        [--java-heap 2g] [--sessions 8] [--outstanding 64] [--keep] [--data-sets results.json] [--out file]
//
// --data-sets reuses the data sets of an earlier run made with --keep instead of building new ones:
// two builds of our server (or a change and its baseline) then start on exactly the same files. A
// new build leaves a different number of txns after the newest snapshot (snapCount is randomised,
// as in 3.8), which moves the start time by a second or more.
//
// See docs/benchmarks.md ("Storage").

import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  JuteReader,
  encodeFrame,
  readGetDataResponse,
  readReplyHeader,
  writeCreateRequest,
  writeGetDataRequest,
  writeRequestHeader,
} from '../src/jute/index.js';
import { OpCode } from '../src/protocol/op-code.js';
import { sendFourLetterWord } from '../test/support/four-letter.js';
import { freePort } from '../test/support/free-port.js';
import { ZOOKEEPER_CONF_DIR, ZOOKEEPER_JAR, javaZooKeeperAvailable } from '../test/support/java-zookeeper.js';
import { zkServerScript } from '../test/support/our-server.js';
import { runToCompletion, spawnManaged, stopAll, type ManagedProcess } from '../test/support/processes.js';
import { sleep } from '../test/support/zk-wait.js';
import { payload } from './load-generator.js';
import { commandLine, pidListeningOn, readCpuSeconds, readMemory } from './proc-stats.js';
import {
  SERVER_NAMES,
  environment,
  fail,
  fmt,
  freeBytes,
  loadAverage1m,
  log,
  mb,
  median,
  parseNumber,
  parseServers,
  ratio,
  resultsPath,
  spread,
  table,
  type Environment,
  type ServerName,
} from './storage-common.js';
import { OPEN_ACL_UNSAFE, SimpleClient, connectSession, errorName, type OpenedSession } from './zk-connection.js';

const CLASSPATH = [ZOOKEEPER_CONF_DIR, ZOOKEEPER_JAR, '/usr/share/java/slf4j-simple.jar'].join(':');
const VARIANTS = ['snapshot', 'log', 'empty'] as const;
type Variant = (typeof VARIANTS)[number];
const SNAP_COUNT: Record<Variant, string> = { snapshot: '100000', log: '100000000', empty: '100000' };
const ROOT = '/r';
const DONE = '/r-done';
const CHILDREN_PER_PARENT = 1000;

interface Settings {
  znodes: number;
  dataSize: number;
  repeats: number;
  variants: Variant[];
  servers: ServerName[];
  javaHeap: string;
  sessions: number;
  outstanding: number;
  settleSeconds: number;
  startTimeoutSeconds: number;
  purge: boolean;
  keep: boolean;
  dataSets: string | undefined;
  workDir: string | undefined;
  out: string | undefined;
}

const USAGE = [
  'usage: node dist/bench/recovery.js [options]      (npm run build first)',
  'Recovery time and peak RSS on a data dir of --znodes znodes: our server against Apache ZooKeeper 3.8.',
  '  --znodes n            znodes in the data set (1000000)',
  '  --data-size bytes     data per znode (100)',
  '  --repeats n           measured starts per server and variant, servers alternating first (3)',
  '  --variants list       snapshot (snapCount 100000), log (snapCount 1e8: all in the log), empty (snapshot,log,empty)',
  '  --servers list        java,ours (both)',
  '  --java-heap size      -Xmx of the Java server (2g)',
  '  --sessions n          sessions writing the data set (8)',
  '  --outstanding n       creates in flight per session while building (64)',
  '  --settle s            seconds after serving before the second VmHWM reading (3)',
  '  --start-timeout s     give up on a start after this long (600)',
  '  --no-purge            keep every file the build left (default: PurgeTxnLog -n 3 after the build)',
  '  --keep                keep the work directory (data sets and server logs)',
  '  --data-sets file      reuse the data sets of an earlier --keep run (its results JSON) instead of building',
  '  --work-dir dir        where the data sets go (a new directory under the OS temp dir)',
  '  --out file            results JSON (bench/results/<date>-recovery.json)',
  '',
].join('\n');

function parseSettings(): Settings {
  const { values } = parseArgs({
    options: {
      znodes: { type: 'string', default: '1000000' },
      'data-size': { type: 'string', default: '100' },
      repeats: { type: 'string', default: '3' },
      variants: { type: 'string', default: VARIANTS.join(',') },
      servers: { type: 'string', default: 'java,ours' },
      'java-heap': { type: 'string', default: '2g' },
      sessions: { type: 'string', default: '8' },
      outstanding: { type: 'string', default: '64' },
      settle: { type: 'string', default: '3' },
      'start-timeout': { type: 'string', default: '600' },
      'no-purge': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'data-sets': { type: 'string' },
      'work-dir': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const variants = values.variants.split(',').map((s) => s.trim());
  for (const v of variants) if (!(VARIANTS as readonly string[]).includes(v)) fail(`unknown variant ${v}; one of ${VARIANTS.join(', ')}`);
  if (!/^\d+[kmg]$/i.test(values['java-heap'])) fail('--java-heap must look like 1000m or 2g');
  return {
    znodes: parseNumber('znodes', values.znodes, 1, 20_000_000, true),
    dataSize: parseNumber('data-size', values['data-size'], 0, 1_000_000, true),
    repeats: parseNumber('repeats', values.repeats, 1, 100, true),
    variants: VARIANTS.filter((v) => variants.includes(v)),
    servers: parseServers(values.servers),
    javaHeap: values['java-heap'],
    sessions: parseNumber('sessions', values.sessions, 1, 1000, true),
    outstanding: parseNumber('outstanding', values.outstanding, 1, 10_000, true),
    settleSeconds: parseNumber('settle', values.settle, 0, 600),
    startTimeoutSeconds: parseNumber('start-timeout', values['start-timeout'], 1, 3600),
    purge: !values['no-purge'],
    keep: values.keep,
    dataSets: values['data-sets'],
    workDir: values['work-dir'],
    out: values.out,
  };
}

// ---------------------------------------------------------------------------------------------
// Servers on a given data dir

function writeCfg(dir: string, dataDir: string, port: number, variant: Variant): string {
  const cfg: Record<string, string> = {
    tickTime: '2000',
    initLimit: '10',
    syncLimit: '5',
    dataDir,
    clientPort: String(port),
    clientPortAddress: '127.0.0.1',
    maxClientCnxns: '0',
    forceSync: 'yes',
    snapCount: SNAP_COUNT[variant],
    'admin.enableServer': 'false',
    '4lw.commands.whitelist': '*',
  };
  const path = join(dir, `zoo-${String(port)}.cfg`);
  writeFileSync(path, `${Object.entries(cfg).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
  return path;
}

function spawnServer(server: ServerName, settings: Settings, dir: string, cfgPath: string, logPath: string): ManagedProcess {
  if (server === 'java') {
    // As zkServer.sh starts it, with the heap given: the JVM's default collector (G1).
    const args = [`-Xmx${settings.javaHeap}`, `-Dzookeeper.log.dir=${dir}`, '-cp', CLASSPATH, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfgPath];
    return spawnManaged('java', args, { cwd: dir, logPath });
  }
  return spawnManaged(zkServerScript(), ['start-foreground', cfgPath], { cwd: dir, logPath, env: { ...process.env, SERVER_JVMFLAGS: '' } });
}

/** getData of `path` over a fresh session; true when it answers err 0 (and `expected` as data, if given). */
async function probeGetData(port: number, path: string, expected: Buffer | undefined): Promise<boolean> {
  let session: OpenedSession;
  try {
    session = await connectSession(port, 30_000, 10_000);
  } catch {
    return false;
  }
  const { socket, decoder } = session;
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      socket.on('data', (chunk: Buffer) => {
        let frames: Buffer[];
        try {
          frames = decoder.push(chunk);
        } catch {
          clearTimeout(timer);
          resolve(false);
          return;
        }
        for (const frame of frames) {
          const reader = new JuteReader(frame);
          const header = readReplyHeader(reader);
          if (header.xid !== 1) continue;
          clearTimeout(timer);
          resolve(header.err === 0 && (expected === undefined || readGetDataResponse(reader).data?.equals(expected) === true));
        }
      });
      socket.once('close', () => {
        clearTimeout(timer);
        resolve(false);
      });
      socket.write(
        encodeFrame((w) => {
          writeRequestHeader(w, { xid: 1, type: OpCode.getData });
          writeGetDataRequest(w, { path, watch: false });
        }),
      );
    });
  } finally {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 2000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.write(encodeFrame((w) => writeRequestHeader(w, { xid: 2, type: OpCode.closeSession })));
      socket.end();
    });
  }
}

async function fourLetter(port: number, word: string): Promise<string> {
  try {
    return await sendFourLetterWord(port, word, '127.0.0.1', 1000);
  } catch {
    return '';
  }
}

/**
 * Starts `check` every `intervalMs`, with up to `parallel` attempts in flight (a connection the
 * server accepted but does not answer yet must not delay the next attempt); resolves with the time
 * (performance.now()) the first attempt succeeded.
 */
function pollUntil(check: () => Promise<boolean>, proc: ManagedProcess, deadline: number, intervalMs = 20, parallel = 1): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let inFlight = 0;
    let done = false;
    const finish = (error: Error | undefined, at: number): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      if (error === undefined) resolve(at);
      else reject(error);
    };
    const tick = (): void => {
      if (done) return;
      if (proc.exitInfo() !== undefined) {
        finish(new Error(`the server exited (${JSON.stringify(proc.exitInfo())}) before serving; see ${proc.logPath}`), 0);
        return;
      }
      if (performance.now() > deadline) {
        finish(new Error(`the server did not serve within the start timeout; see ${proc.logPath}`), 0);
        return;
      }
      if (inFlight >= parallel) return;
      inFlight++;
      check().then(
        (ok) => {
          inFlight--;
          if (ok) finish(undefined, performance.now());
        },
        () => {
          inFlight--;
        },
      );
    };
    const timer = setInterval(tick, intervalMs);
    tick();
  });
}

// ---------------------------------------------------------------------------------------------
// Building a data set

interface FileInfo {
  name: string;
  bytes: number;
}

interface DataSetInfo {
  server: ServerName;
  variant: Variant;
  dir: string;
  buildSeconds: number;
  createsPerSecond: number;
  buildHwmBytes: number;
  lastZxid: string;
  filesAfterBuild: FileInfo[];
  filesAfterPurge: FileInfo[];
  newestSnapshotZxid: string;
  /** Txns the server must replay from the log on top of its newest snapshot (zxids are consecutive). */
  txnsAfterNewestSnapshot: number;
  /** Bytes of the newest snapshot. */
  newestSnapshotBytes: number;
  /** Bytes of the logs (preallocated size on disk) after the purge. */
  logBytes: number;
  exit: string;
}

function listVersionDir(dataDir: string): FileInfo[] {
  const dir = join(dataDir, 'version-2');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /^(log|snapshot)\.[0-9a-f]+$/.test(name))
    .sort()
    .map((name) => ({ name, bytes: statSync(join(dir, name)).size }));
}

function zxidOf(name: string): bigint {
  return BigInt(`0x${name.slice(name.indexOf('.') + 1)}`);
}

function parentPath(p: number): string {
  return `${ROOT}/p-${String(p).padStart(5, '0')}`;
}

function childPath(i: number): string {
  return `${parentPath(Math.floor(i / CHILDREN_PER_PARENT))}/n-${String(i).padStart(8, '0')}`;
}

const DONE_DATA = Buffer.from('the last txn of the data set');

async function buildDataSet(server: ServerName, variant: Variant, settings: Settings, root: string): Promise<DataSetInfo> {
  const dir = join(root, `${server}-${variant}`);
  const pristine = join(dir, 'pristine');
  mkdirSync(pristine, { recursive: true });
  const port = await freePort();
  const cfgPath = writeCfg(dir, pristine, port, variant);
  const logPath = join(dir, 'build.log');
  const proc = spawnServer(server, settings, dir, cfgPath, logPath);
  let lastZxid = -1n;
  let buildSeconds = 0;
  let buildHwm = 0;
  try {
    const start = performance.now();
    await pollUntil(async () => (await fourLetter(port, 'srvr')).startsWith('Zookeeper version:'), proc, start + settings.startTimeoutSeconds * 1000, 50);
    const pid = pidListeningOn(proc.pid, port);
    log(`building ${server}/${variant}: ${fmt(settings.znodes)} znodes through pid ${String(pid)} (${commandLine(pid).slice(0, 160)})`);
    const data = payload(settings.dataSize);
    const clients = await Promise.all(Array.from({ length: settings.sessions }, () => SimpleClient.open(port)));
    const errors = new Map<number, number>();
    const check = (err: number): void => {
      if (err !== 0) errors.set(err, (errors.get(err) ?? 0) + 1);
    };
    const create = async (client: SimpleClient, path: string, body: Buffer): Promise<bigint> => {
      const reply = await client.request(OpCode.create, (w) => writeCreateRequest(w, { path, data: body, acl: OPEN_ACL_UNSAFE, flags: 0 }));
      check(reply.err);
      return reply.zxid;
    };
    const t0 = performance.now();
    try {
      const first = clients[0] as SimpleClient;
      await create(first, ROOT, Buffer.alloc(0));
      const parents = Math.ceil(settings.znodes / CHILDREN_PER_PARENT);
      await runWindowed(parents, 64, (p) => create(first, parentPath(p), Buffer.alloc(0)));
      let done = 0;
      const progress = setInterval(() => log(`  ${server}/${variant}: ${fmt(done)} of ${fmt(settings.znodes)} created`), 15_000);
      try {
        // Interleaved over the sessions: session c creates children c, c + sessions, ...
        await Promise.all(
          clients.map((client, c) => {
            const count = Math.floor((settings.znodes - 1 - c) / settings.sessions) + 1;
            return runWindowed(Math.max(0, count), settings.outstanding, async (k) => {
              await create(client, childPath(c + k * settings.sessions), data);
              done++;
            });
          }),
        );
      } finally {
        clearInterval(progress);
      }
      lastZxid = await create(first, DONE, DONE_DATA);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
    buildSeconds = (performance.now() - t0) / 1000;
    buildHwm = readMemory(pid).hwmBytes;
    if (errors.size > 0) throw new Error(`building ${server}/${variant}: ${[...errors].map(([e, n]) => `${String(n)} x ${errorName(e)}`).join(', ')}`);
  } finally {
    const exit = await proc.stop(120_000);
    log(`  ${server}/${variant}: stopped (${JSON.stringify(exit)})`);
  }
  const exitInfo = proc.exitInfo();
  const filesAfterBuild = listVersionDir(pristine);
  if (settings.purge) {
    const purge = await runToCompletion('java', ['-cp', CLASSPATH, 'org.apache.zookeeper.server.PurgeTxnLog', pristine, pristine, '-n', '3'], {
      cwd: dir,
      logPath: join(dir, 'purge.log'),
      timeoutMs: 120_000,
    });
    if (purge.code !== 0) throw new Error(`PurgeTxnLog failed on ${pristine}: ${purge.log.slice(-2000)}`);
  }
  const filesAfterPurge = listVersionDir(pristine);
  const snapshots = filesAfterPurge.filter((f) => f.name.startsWith('snapshot.'));
  const newest = snapshots.reduce<FileInfo | undefined>((a, f) => (a === undefined || zxidOf(f.name) > zxidOf(a.name) ? f : a), undefined);
  const newestZxid = newest === undefined ? -1n : zxidOf(newest.name);
  return {
    server,
    variant,
    dir,
    buildSeconds: Math.round(buildSeconds * 10) / 10,
    createsPerSecond: Math.round(settings.znodes / buildSeconds),
    buildHwmBytes: buildHwm,
    lastZxid: `0x${lastZxid.toString(16)}`,
    filesAfterBuild,
    filesAfterPurge,
    newestSnapshotZxid: `0x${newestZxid.toString(16)}`,
    txnsAfterNewestSnapshot: Number(lastZxid - newestZxid),
    newestSnapshotBytes: newest?.bytes ?? 0,
    logBytes: filesAfterPurge.filter((f) => f.name.startsWith('log.')).reduce((sum, f) => sum + f.bytes, 0),
    exit: JSON.stringify(exitInfo ?? null),
  };
}

function reusedDataSets(resultsFile: string, settings: Settings): DataSetInfo[] {
  const parsed = JSON.parse(readFileSync(resultsFile, 'utf8')) as { mode?: string; settings?: Partial<Settings>; dataSets?: DataSetInfo[] };
  if (parsed.mode !== 'recovery' || parsed.dataSets === undefined) fail(`${resultsFile} is not the results file of a recovery benchmark`);
  if (parsed.settings?.znodes !== settings.znodes || parsed.settings.dataSize !== settings.dataSize) {
    fail(`${resultsFile} was run with --znodes ${String(parsed.settings?.znodes)} --data-size ${String(parsed.settings?.dataSize)}: give the same`);
  }
  return parsed.dataSets;
}

function reusedDataSet(dataSets: readonly DataSetInfo[], resultsFile: string, server: ServerName, variant: Variant): DataSetInfo {
  const info = dataSets.find((d) => d.server === server && d.variant === variant);
  const pristine = info === undefined ? '' : join(info.dir, 'pristine');
  if (info === undefined || !existsSync(pristine)) fail(`${resultsFile} has no kept data set for ${server}/${variant} (was it run with --keep?)`);
  log(`reusing ${server}/${variant} from ${pristine}`);
  return info;
}

/** Runs `count` calls with at most `window` in flight. */
async function runWindowed(count: number, window: number, call: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await call(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(window, count)) }, () => worker()));
}

// ---------------------------------------------------------------------------------------------
// Measuring a start

interface StartRun {
  server: ServerName;
  variant: Variant;
  repeat: number;
  order: number;
  ruokSeconds: number;
  srvrSeconds: number;
  getDataSeconds: number;
  hwmAtServingBytes: number;
  cpuAtServingSeconds: number;
  hwmSettledBytes: number;
  rssSettledBytes: number;
  nodeCount: number;
  copySeconds: number;
  loadAverage1m: number;
  pid: number;
}

async function measureStart(server: ServerName, variant: Variant, settings: Settings, root: string, pristine: string | undefined, repeat: number, order: number): Promise<StartRun> {
  const dir = join(root, `run-${server}-${variant}-${String(repeat)}`);
  const dataDir = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  const c0 = performance.now();
  if (pristine === undefined) mkdirSync(dataDir);
  else cpSync(pristine, dataDir, { recursive: true });
  const copySeconds = (performance.now() - c0) / 1000;
  const port = await freePort();
  const cfgPath = writeCfg(dir, dataDir, port, variant);
  const logPath = join(dir, 'server.log');
  const t0 = performance.now();
  const proc = spawnServer(server, settings, dir, cfgPath, logPath);
  try {
    const deadline = t0 + settings.startTimeoutSeconds * 1000;
    // Three independent probes, started every 20 ms (up to 4 attempts in flight for ruok and srvr, 8 for getData).
    const ruok = pollUntil(async () => (await fourLetter(port, 'ruok')) === 'imok', proc, deadline, 20, 4);
    const srvr = pollUntil(async () => (await fourLetter(port, 'srvr')).startsWith('Zookeeper version:'), proc, deadline, 20, 4);
    // Awaited below; a rejection after an earlier failure must not go unhandled.
    ruok.catch(() => undefined);
    srvr.catch(() => undefined);
    // On an empty data dir, the first getData of / answered.
    const get = pollUntil(() => (pristine === undefined ? probeGetData(port, '/', undefined) : probeGetData(port, DONE, DONE_DATA)), proc, deadline, 20, 8);
    const gotAt = await get;
    const pid = pidListeningOn(proc.pid, port);
    const hwmAtServing = readMemory(pid).hwmBytes;
    const cpuAtServing = readCpuSeconds(pid);
    const [ruokAt, srvrAt] = await Promise.all([ruok, srvr]);
    await sleep(settings.settleSeconds * 1000);
    const settled = readMemory(pid);
    const srvrText = await fourLetter(port, 'srvr');
    const nodeCount = Number(/Node count: (\d+)/.exec(srvrText)?.[1] ?? 'NaN');
    return {
      server,
      variant,
      repeat,
      order,
      ruokSeconds: Math.round(ruokAt - t0) / 1000,
      srvrSeconds: Math.round(srvrAt - t0) / 1000,
      getDataSeconds: Math.round(gotAt - t0) / 1000,
      hwmAtServingBytes: hwmAtServing,
      cpuAtServingSeconds: Math.round(cpuAtServing * 100) / 100,
      hwmSettledBytes: settled.hwmBytes,
      rssSettledBytes: settled.rssBytes,
      nodeCount,
      copySeconds: Math.round(copySeconds * 100) / 100,
      loadAverage1m: loadAverage1m(),
      pid,
    };
  } finally {
    await proc.stop(60_000);
    if (!settings.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

interface Summary {
  variant: Variant;
  server: ServerName;
  ruokSeconds: number;
  srvrSeconds: number;
  getDataSeconds: number;
  getDataMin: number;
  getDataMax: number;
  cpuAtServingSeconds: number;
  hwmAtServingMB: number;
  hwmSettledMB: number;
  hwmSettledMinMB: number;
  hwmSettledMaxMB: number;
  rssSettledMB: number;
  nodeCount: number;
}

function summarize(runs: readonly StartRun[], settings: Settings): Summary[] {
  const out: Summary[] = [];
  for (const variant of settings.variants) {
    for (const server of settings.servers) {
      const mine = runs.filter((r) => r.variant === variant && r.server === server);
      if (mine.length === 0) continue;
      const get = mine.map((r) => r.getDataSeconds);
      const hwm = mine.map((r) => r.hwmSettledBytes);
      out.push({
        variant,
        server,
        ruokSeconds: median(mine.map((r) => r.ruokSeconds)),
        srvrSeconds: median(mine.map((r) => r.srvrSeconds)),
        getDataSeconds: median(get),
        getDataMin: spread(get).min,
        getDataMax: spread(get).max,
        cpuAtServingSeconds: median(mine.map((r) => r.cpuAtServingSeconds)),
        hwmAtServingMB: mb(median(mine.map((r) => r.hwmAtServingBytes))),
        hwmSettledMB: mb(median(hwm)),
        hwmSettledMinMB: mb(spread(hwm).min),
        hwmSettledMaxMB: mb(spread(hwm).max),
        rssSettledMB: mb(median(mine.map((r) => r.rssSettledBytes))),
        nodeCount: median(mine.map((r) => r.nodeCount)),
      });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const settings = parseSettings();
  if (settings.servers.includes('java') && !javaZooKeeperAvailable()) fail(`${ZOOKEEPER_JAR} not found: install the Debian package zookeeper`);
  const env: Environment = environment();
  const base = settings.workDir ?? tmpdir();
  mkdirSync(base, { recursive: true });
  const built = settings.variants.filter((v) => v !== 'empty');
  // A generous estimate: logs and snapshots before the purge, plus one working copy.
  const needed = settings.znodes * (settings.dataSize + 400) * 12 * settings.servers.length * built.length;
  const free = freeBytes(base);
  log(`free space under ${base}: ${fmt(mb(free) / 1024, 1)} GiB; estimated need ${fmt(mb(needed) / 1024, 1)} GiB`);
  if (Number.isFinite(free) && free < needed) fail(`not enough free space under ${base}; use --znodes or --work-dir`);
  const root = mkdtempSync(join(base, 'zk-recovery-'));
  log(`work directory ${root}${settings.keep ? ' (kept)' : ' (removed at the end)'}`);
  const started = performance.now();
  const dataSets: DataSetInfo[] = [];
  const runs: StartRun[] = [];
  try {
    const reused = settings.dataSets === undefined ? null : reusedDataSets(settings.dataSets, settings);
    for (const variant of built) {
      for (const server of settings.servers) {
        const info = reused === null ? await buildDataSet(server, variant, settings, root) : reusedDataSet(reused, settings.dataSets ?? '', server, variant);
        dataSets.push(info);
        log(
          `  ${server}/${variant}: built in ${fmt(info.buildSeconds, 1)} s (${fmt(info.createsPerSecond)} creates/s), last zxid ${info.lastZxid}, ` +
            `newest snapshot ${info.newestSnapshotZxid} (${fmt(mb(info.newestSnapshotBytes), 1)} MB), ${fmt(info.txnsAfterNewestSnapshot)} txns after it; ` +
            `files after the build: ${info.filesAfterBuild.length}, after the purge: ${info.filesAfterPurge.map((f) => `${f.name} ${fmt(mb(f.bytes), 1)} MB`).join(', ')}`,
        );
      }
    }
    for (let repeat = 0; repeat < settings.repeats; repeat++) {
      for (const [vi, variant] of settings.variants.entries()) {
        const ordered = (repeat + vi) % 2 === 0 ? settings.servers : [...settings.servers].reverse();
        for (const [order, server] of ordered.entries()) {
          const dataSet = dataSets.find((d) => d.server === server && d.variant === variant);
          const run = await measureStart(server, variant, settings, root, dataSet === undefined ? undefined : join(dataSet.dir, 'pristine'), repeat, order);
          runs.push(run);
          log(
            `repeat ${String(repeat + 1)}/${String(settings.repeats)} ${variant.padEnd(8)} ${server.padEnd(4)} ruok ${fmt(run.ruokSeconds, 2)} s  srvr ${fmt(run.srvrSeconds, 2)} s  ` +
              `getData ${fmt(run.getDataSeconds, 2)} s  CPU ${fmt(run.cpuAtServingSeconds, 2)} s  peak RSS ${fmt(mb(run.hwmAtServingBytes), 1)} MB at serving, ${fmt(mb(run.hwmSettledBytes), 1)} MB after ${String(settings.settleSeconds)} s  ` +
              `nodes ${fmt(run.nodeCount)}  load ${fmt(run.loadAverage1m, 1)}`,
          );
        }
      }
    }
  } finally {
    await stopAll();
    if (!settings.keep) rmSync(root, { recursive: true, force: true });
  }

  const summaries = summarize(runs, settings);
  const rows: string[][] = [];
  for (const variant of settings.variants) {
    let first = true;
    for (const name of SERVER_NAMES) {
      const s = summaries.find((x) => x.variant === variant && x.server === name);
      if (s === undefined) continue;
      rows.push([
        first ? variant : '',
        name,
        fmt(s.ruokSeconds, 2),
        fmt(s.srvrSeconds, 2),
        fmt(s.getDataSeconds, 2),
        `${fmt(s.getDataMin, 2)}-${fmt(s.getDataMax, 2)}`,
        fmt(s.cpuAtServingSeconds, 2),
        fmt(s.hwmAtServingMB, 1),
        fmt(s.hwmSettledMB, 1),
        `${fmt(s.hwmSettledMinMB, 1)}-${fmt(s.hwmSettledMaxMB, 1)}`,
        fmt(s.rssSettledMB, 1),
        fmt(s.nodeCount),
      ]);
      first = false;
    }
    const j = summaries.find((x) => x.variant === variant && x.server === 'java');
    const o = summaries.find((x) => x.variant === variant && x.server === 'ours');
    if (j !== undefined && o !== undefined) {
      rows.push([
        '',
        'ours/java',
        `${fmt(ratio(o.ruokSeconds, j.ruokSeconds), 2)}x`,
        `${fmt(ratio(o.srvrSeconds, j.srvrSeconds), 2)}x`,
        `${fmt(ratio(o.getDataSeconds, j.getDataSeconds), 2)}x`,
        '',
        `${fmt(ratio(o.cpuAtServingSeconds, j.cpuAtServingSeconds), 2)}x`,
        `${fmt(ratio(o.hwmAtServingMB, j.hwmAtServingMB), 2)}x`,
        `${fmt(ratio(o.hwmSettledMB, j.hwmSettledMB), 2)}x`,
        '',
        `${fmt(ratio(o.rssSettledMB, j.rssSettledMB), 2)}x`,
        '',
      ]);
    }
  }
  const buildRows = dataSets.map((d) => [
    d.variant,
    d.server,
    fmt(d.buildSeconds, 1),
    fmt(d.createsPerSecond),
    fmt(mb(d.buildHwmBytes), 1),
    d.lastZxid,
    `${d.newestSnapshotZxid} (${fmt(mb(d.newestSnapshotBytes), 1)} MB)`,
    fmt(d.txnsAfterNewestSnapshot),
    fmt(mb(d.logBytes), 1),
    `${String(d.filesAfterBuild.length)} -> ${String(d.filesAfterPurge.length)}`,
  ]);
  const loads = runs.map((r) => r.loadAverage1m);
  const lines = [
    '',
    `zk-ts recovery benchmark, ${env.date}: ${String(env.cpus)} x ${env.cpuModel}, ${String(env.memoryMB)} MB`,
    `node ${env.node}; ${env.java}; our tree: ${env.git}`,
    `data set: ${fmt(settings.znodes)} znodes of ${String(settings.dataSize)} bytes (${String(CHILDREN_PER_PARENT)} per parent) + ${DONE}, written through each server ` +
      `(${String(settings.sessions)} sessions x ${String(settings.outstanding)} creates in flight, forceSync=yes), stopped with SIGTERM` +
      (settings.purge ? ', then PurgeTxnLog -n 3' : '') +
      (settings.dataSets === undefined ? '' : `; reused from the run of ${settings.dataSets} (build columns are that run's)`),
    `Java: java -Xmx${settings.javaHeap} (G1) ... QuorumPeerMain zoo.cfg; ours: bin/zkServer.sh start-foreground zoo.cfg (node, default V8 heap limit)`,
    `each start on a fresh copy of the data set (page cache warm from the copy), under ${root} (${env.tmpFilesystem}); ${String(settings.repeats)} repeats, servers alternating first`,
    `times from spawn, in s: ruok = imok; srvr = "serving"; getData = first getData of ${DONE} (the last txn) answered (of / for empty); CPU = the server's user + system s at that moment; peak RSS = VmHWM then and ${String(settings.settleSeconds)} s later`,
    `load average (1 min): ${fmt(env.loadAverage1mAtStart, 1)} at start, ${fmt(Math.min(...loads), 1)}-${fmt(Math.max(...loads), 1)} during the starts; total ${fmt((performance.now() - started) / 1000)} s`,
    '',
    'Data sets:',
    table(['variant', 'server', 'build s', 'creates/s', 'peak RSS MB', 'last zxid', 'newest snapshot', 'txns after it', 'logs MB', 'files'], buildRows),
    '',
    'Starts (medians):',
    table(['variant', 'server', 'ruok s', 'srvr s', 'getData s', 'getData min-max', 'CPU s at getData', 'peak MB at serving', 'peak MB settled', 'peak min-max', 'RSS MB settled', 'nodes'], rows),
    '',
  ];
  const path = resultsPath(settings.out, 'recovery');
  writeFileSync(path, `${JSON.stringify({ mode: 'recovery', environment: env, settings, dataSets, summary: summaries, runs }, null, 2)}\n`);
  process.stdout.write(`${lines.join('\n')}\nresults: ${path}\n`);
}

main().catch(async (err: unknown) => {
  process.stderr.write(`recovery benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
