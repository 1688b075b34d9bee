// Crash safety: our server is SIGKILLed at random moments while several clients create and update
// znodes concurrently, then restarted on the same data directory, many times. Every write the
// server acknowledged must be there with the acknowledged version and data; a write whose answer was
// lost with the connection may or may not be there; nothing else may appear. snapCount is small so
// log rolls and background snapshots happen during the load and some kills land inside them.
// The seed is printed; rerun a failure with DURABILITY_SEED=<seed>.

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cleanup, listZxidFiles, seededRandom, startServerOn, Zk, ZkError, type ServerProcess, type ServerSpec } from './durability-helpers.js';
import { sleep } from '../support/zk-wait.js';

const ROUNDS = Number(process.env['DURABILITY_ROUNDS'] ?? 20);
const SESSIONS = 4;
const WORKERS_PER_SESSION = 4;
const UPDATES_PER_NODE = 5;
const ROOT = '/crash';

const cleanup = new Cleanup();
afterAll(async () => {
  await cleanup.run();
});

type Outcome = 'pending' | 'acked' | 'refused' | 'unknown';

interface Write {
  /** Version the node has after this write: 0 for the create. */
  readonly version: number;
  readonly data: string;
  outcome: Outcome;
  refusedWith?: number;
}

interface PathModel {
  readonly writes: Write[];
  /** After a verified restart: what the recovered server showed (now durable). */
  settled: { readonly exists: boolean; readonly version: number } | null;
}

function dataFor(path: string, version: number): string {
  return `${path}@${String(version)}`;
}

/** One worker: sequential writes to its own paths (create, then updates), until its connection dies. */
async function worker(zk: Zk, prefix: string, model: Map<string, PathModel>, stopAt: { stop: boolean }): Promise<void> {
  for (let node = 0; !stopAt.stop; node++) {
    const path = `${ROOT}/${prefix}-${String(node)}`;
    const entry: PathModel = { writes: [], settled: null };
    model.set(path, entry);
    for (let version = 0; version <= UPDATES_PER_NODE && !stopAt.stop; version++) {
      const write: Write = { version, data: dataFor(path, version), outcome: 'pending' };
      entry.writes.push(write);
      try {
        if (version === 0) await zk.create(path, write.data);
        else await zk.setData(path, write.data, version - 1);
        write.outcome = 'acked';
      } catch (error) {
        if (error instanceof ZkError) {
          write.outcome = 'refused';
          write.refusedWith = error.code;
        } else {
          write.outcome = 'unknown'; // the connection died with the request in flight
        }
        return;
      }
    }
  }
}

interface Check {
  readonly problems: string[];
  readonly acked: number;
  readonly unknownApplied: number;
  readonly unknownLost: number;
}

async function verify(zk: Zk, model: Map<string, PathModel>): Promise<Check> {
  const problems: string[] = [];
  const top = (await zk.getChildren('/')).sort();
  if (JSON.stringify(top) !== JSON.stringify(['crash', 'zookeeper'])) problems.push(`the root holds ${top.join(', ')}`);
  const children = new Set((await zk.getChildren(ROOT)).map((name) => `${ROOT}/${name}`));
  for (const path of children) if (!model.has(path)) problems.push(`${path} exists but no client ever wrote it`);
  const paths = [...model.keys()];
  const found = new Map<string, { data: Buffer | null; version: number } | null>();
  for (let i = 0; i < paths.length; i += 2000) {
    const slice = paths.slice(i, i + 2000);
    const results = await Promise.all(slice.map((p) => zk.getDataOrNull(p)));
    slice.forEach((p, j) => {
      const got = results[j];
      found.set(p, got === null || got === undefined ? null : { data: got.data, version: got.stat.version });
    });
  }
  let acked = 0;
  let unknownApplied = 0;
  let unknownLost = 0;
  for (const [path, entry] of model) {
    const got = found.get(path) ?? null;
    if ((got !== null) !== children.has(path)) problems.push(`${path}: getData and getChildren disagree about its existence`);
    let minVersion: number;
    let maxVersion: number;
    if (entry.settled !== null) {
      minVersion = maxVersion = entry.settled.exists ? entry.settled.version : -1;
    } else {
      const lastAcked = entry.writes.filter((w) => w.outcome === 'acked').at(-1);
      minVersion = lastAcked?.version ?? -1;
      maxVersion = minVersion;
      const after = entry.writes.find((w) => w.version === minVersion + 1);
      if (after !== undefined && (after.outcome === 'unknown' || after.outcome === 'pending')) maxVersion = minVersion + 1;
      if (after?.outcome === 'refused') problems.push(`${path}: write of version ${String(after.version)} was refused with ${String(after.refusedWith)}`);
      acked += entry.writes.filter((w) => w.outcome === 'acked').length;
    }
    const version = got === null ? -1 : got.version;
    if (version < minVersion || version > maxVersion) {
      problems.push(
        `${path}: ${got === null ? 'missing' : `version ${String(version)}`}, expected ${minVersion === maxVersion ? String(minVersion) : `${String(minVersion)}..${String(maxVersion)}`} (-1 = absent); writes: ${entry.writes.map((w) => `v${String(w.version)}:${w.outcome}`).join(' ')}`,
      );
    } else if (got !== null && (got.data?.toString('utf8') ?? null) !== dataFor(path, version)) {
      problems.push(`${path}: version ${String(version)} holds ${JSON.stringify(got.data?.toString('utf8') ?? null)}, which no request wrote`);
    }
    if (entry.settled === null && maxVersion > minVersion) {
      if (version === maxVersion) unknownApplied++;
      else unknownLost++;
    }
    entry.settled = { exists: got !== null, version };
  }
  return { problems, acked, unknownApplied, unknownLost };
}

describe('SIGKILL under a concurrent write load', () => {
  it(`keeps every acknowledged write and invents none, over ${String(ROUNDS)} kills`, async () => {
    const seed = Number(process.env['DURABILITY_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`durability-crash: seed ${String(seed)} (rerun with DURABILITY_SEED=${String(seed)})`);
    const random = seededRandom(seed);
    const dir = await cleanup.tempDir('durability-crash');
    const spec: ServerSpec = {
      kind: 'ours',
      dataDir: join(dir, 'data'),
      dataLogDir: join(dir, 'txnlog'),
      workDir: dir,
      extraCfg: { snapCount: '200' },
    };
    const model = new Map<string, PathModel>();
    let server: ServerProcess = await startServerOn(spec, cleanup);
    {
      const setup = await Zk.connect(server.port);
      await setup.create(ROOT, null);
      await setup.close();
    }
    const summary: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const killAfterMs = 20 + Math.floor(random() * 600);
      const context = (): string => `seed ${String(seed)}, round ${String(round)} (kill after ${String(killAfterMs)} ms)`;
      try {
        const sessions = await Promise.all(Array.from({ length: SESSIONS }, () => Zk.connect(server.port, { timeOut: 4000 })));
        const stopAt = { stop: false };
        const workers = sessions.flatMap((zk, s) =>
          Array.from({ length: WORKERS_PER_SESSION }, (_, w) => worker(zk, `r${String(round)}-s${String(s)}-w${String(w)}`, model, stopAt)),
        );
        await sleep(killAfterMs);
        await server.kill();
        stopAt.stop = true;
        await Promise.all(workers);
        await Promise.all(sessions.map((zk) => zk.drop()));
        server = await startServerOn(spec, cleanup);
        const checker = await Zk.connect(server.port);
        const check = await verify(checker, model);
        await checker.close();
        summary.push(
          `round ${String(round)}: killed after ${String(killAfterMs)} ms, ${String(check.acked)} acked writes, in-flight applied ${String(check.unknownApplied)} / lost ${String(check.unknownLost)}`,
        );
        if (check.problems.length > 0) throw new Error(`${String(check.problems.length)} problems:\n${check.problems.slice(0, 20).join('\n')}`);
      } catch (error) {
        const files = await Promise.all([
          listZxidFiles(join(spec.dataLogDir ?? '', 'version-2'), 'log'),
          listZxidFiles(join(spec.dataDir, 'version-2'), 'snapshot'),
        ]);
        throw new Error(
          `${context()}: ${error instanceof Error ? error.message : String(error)}\nfiles: ${files.flat().map((f) => f.name).join(' ')}\nserver output tail:\n${server.readLog().slice(-2500)}\nrounds before:\n${summary.join('\n')}`,
        );
      }
    }
    await server.stop();
    // The load went through log rolls and background snapshots, so kills landed around them too.
    const logs = await listZxidFiles(join(spec.dataLogDir ?? '', 'version-2'), 'log');
    const snapshots = await listZxidFiles(join(spec.dataDir, 'version-2'), 'snapshot');
    summary.push(`${String(logs.length)} log files, ${String(snapshots.length)} snapshots`);
    console.log(summary.join('\n'));
    // One log file and one snapshot per start; more means the load rolled the log and snapshotted.
    expect(logs.length).toBeGreaterThan(ROUNDS + 2);
    expect(snapshots.length).toBeGreaterThan(ROUNDS + 2);
    const totalAcked = [...model.values()].reduce((n, e) => n + e.writes.filter((w) => w.outcome === 'acked').length, 0);
    expect(totalAcked).toBeGreaterThan(ROUNDS * 10);
  }, 180_000);
});
