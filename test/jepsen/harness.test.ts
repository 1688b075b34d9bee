// The harness end to end. CI's short profile (`jepsen test --profile short`: register and set
// workloads under kill and partition nemeses on a 3-node ensemble of our server, proxy network)
// must be valid. The harness must have teeth: our server with a deliberately broken leader
// (-Dzkts.test.fault=ack-before-quorum: writes acknowledged before a quorum logged them) loses
// acknowledged writes under a partition that cuts off the leader, and the set checker reports
// them, while the same run against the healthy server is valid; a stale read injected into a
// recorded history, an acknowledged element dropped from a recorded final read, and a history
// recorded with a client bug (node-zookeeper-client's multi check of version 0) are reported too.
// A short run against Apache ZooKeeper 3.8, the reference the harness was calibrated on, guards
// against the harness itself reporting violations that are not there.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { javaZooKeeperAvailable } from '../support/java-zookeeper.js';
import { checkHistory } from './checker/check.js';
import { parseTestArgs } from './commands/test.js';
import { makeModel } from './checker/models.js';
import { EdnSet, isVector, printEdn, type EdnValue } from './history/edn.js';
import { parseHistory, type Operation } from './history/history.js';
import { makeSchedule } from './nemesis/schedule.js';
import { NEMESES, resolveNemeses } from './nemesis/nemeses.js';
import { runTest, type RunResult, type TestConfig } from './runner/run.js';
import { Rng } from './runner/rng.js';
import { registerWorkload } from './workloads/register.js';
import { checkSet } from './workloads/set.js';
import type { WorkloadOptions } from './workloads/workload.js';
import { nzkFactory } from './client/nzk.js';

const java = javaZooKeeperAvailable();
const out = mkdtempSync(join(tmpdir(), 'jepsen-harness-'));
const keep: string[] = [];
afterAll(() => {
  if (keep.length === 0) rmSync(out, { recursive: true, force: true });
  else console.warn(`jepsen: runs kept for inspection: ${keep.join(', ')}`);
});

/** The configs `jepsen test <args>` runs (one per workload), with the runs' folders under `out`. */
function configsOf(args: readonly string[], folder: string): TestConfig[] {
  const request = parseTestArgs([...args, '--out', join(out, folder)]);
  if (request.kind !== 'runs') throw new Error(`not a run: ${args.join(' ')}`);
  return request.configs;
}

function only<T>(items: readonly T[]): T {
  if (items.length !== 1 || items[0] === undefined) throw new Error(`expected one item, got ${items.length}`);
  return items[0];
}

/**
 * Runs one config; a run that is not what the test expects is kept (not deleted with the rest),
 * and the message says how to replay it.
 */
async function run(config: TestConfig, replay: string, expected: boolean): Promise<{ result: RunResult; message: string }> {
  const result = await runTest(config);
  if (result.valid !== expected || result.error !== undefined) keep.push(result.dir);
  const verdicts = result.verdicts.map((v) => `${v.checker}: ${String(v.valid)} (${v.summary})`).join('; ');
  const message = `${config.workload} seed ${config.seed}: valid=${String(result.valid)} ${verdicts}${result.error === undefined ? '' : ` error: ${result.error.split('\n')[0] ?? ''}`}; history and report in ${result.dir}; replay: npm run -s jepsen -- ${replay}`;
  return { result, message };
}

/** Every node's server.log of a run, concatenated. */
function serverLogs(dir: string): string {
  return readdirSync(dir)
    .filter((name) => /^n\d+$/.test(name))
    .map((name) => readFileSync(join(dir, name, 'server.log'), 'utf8'))
    .join('\n');
}

function options(): WorkloadOptions {
  return { root: '/jepsen', nodes: 3, readMode: 'check', sessionTimeoutMs: 10_000, opTimeoutMs: 5000, clientFactory: nzkFactory, connectString: '', opsPerKey: 200 };
}

/** Renumbers :index after lines were inserted or removed. */
function renumber(lines: readonly string[]): string {
  return lines.map((l, i) => l.replace(/:index \d+/, `:index ${i}`)).join('\n');
}

function tuple(op: Operation): [EdnValue, EdnValue] | undefined {
  const v = op.value;
  return isVector(v) && v.length === 2 ? [v[0] ?? null, v[1] ?? null] : undefined;
}

/**
 * Inserts, right after an acknowledged write W2 of key k, a read of k returning the value v of an
 * earlier acknowledged write W1 that cannot be current any more: every write of v on k completed
 * before W2 was invoked and none has an unknown outcome. Returns the new history text and the
 * injected read's :index, or undefined when the history has no such pair.
 */
function injectStaleRead(text: string): { text: string; index: number } | undefined {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const ops = parseHistory(lines.join('\n'));
  const invokeOf = new Map<number, Operation>();
  const spans: { inv: Operation; comp: Operation | undefined; pos: number; endPos: number }[] = [];
  ops.forEach((op, pos) => {
    if (typeof op.process !== 'number') return;
    if (op.type === 'invoke') invokeOf.set(op.process, { ...op, index: pos });
    else {
      const inv = invokeOf.get(op.process);
      invokeOf.delete(op.process);
      if (inv !== undefined) spans.push({ inv, comp: op, pos: inv.index, endPos: pos });
    }
  });
  for (const inv of invokeOf.values()) spans.push({ inv, comp: undefined, pos: inv.index, endPos: Infinity });
  const written = (s: (typeof spans)[number]): [string, string] | undefined => {
    const t = tuple(s.inv);
    if (t === undefined) return undefined;
    if (s.inv.f === 'write') return [printEdn(t[0]), printEdn(t[1])];
    if (s.inv.f === 'cas' && isVector(t[1])) return [printEdn(t[0]), printEdn(t[1][1] ?? null)];
    return undefined;
  };
  const maxProcess = Math.max(...ops.map((op) => (typeof op.process === 'number' ? op.process : 0)));
  for (const w2 of spans) {
    if (w2.comp?.type !== 'ok') continue;
    const kv2 = written(w2);
    if (kv2 === undefined) continue;
    for (const w1 of spans) {
      if (w1.comp?.type !== 'ok' || w1.endPos >= w2.pos) continue;
      const kv1 = written(w1);
      if (kv1 === undefined || kv1[0] !== kv2[0] || kv1[1] === kv2[1]) continue;
      const writesOfV = spans.filter((s) => {
        const kv = written(s);
        return kv !== undefined && kv[0] === kv1[0] && kv[1] === kv1[1] && s.comp?.type !== 'fail';
      });
      if (writesOfV.some((s) => s.comp === undefined || s.comp.type === 'info' || s.endPos >= w2.pos)) continue;
      const at = w2.endPos + 1;
      const time = (w2.comp.time ?? 0) + 1;
      const p = maxProcess + 1;
      const read = (type: string) => `{:index 0, :time ${time}, :type :${type}, :process ${p}, :f :read, :value [${kv1[0]} ${type === 'invoke' ? 'nil' : kv1[1]}], :node "n9"}`;
      const out = [...lines.slice(0, at), read('invoke'), read('ok'), ...lines.slice(at)];
      return { text: renumber(out), index: at + 1 };
    }
  }
  return undefined;
}

describe('schedules and nemeses', () => {
  it('draws the same schedule from the same seed', () => {
    const nemeses = resolveNemeses('kill,partition,pause');
    const o = { timeLimitMs: 120_000, faultMs: [4000, 10_000] as const, quietMs: [3000, 8000] as const, overlap: true };
    const a = makeSchedule(new Rng(99).fork('schedule'), nemeses, o);
    const b = makeSchedule(new Rng(99).fork('schedule'), nemeses, o);
    const c = makeSchedule(new Rng(100).fork('schedule'), nemeses, o);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.length).toBeGreaterThan(5);
    for (const s of a) expect(s.at + s.durationMs).toBeLessThanOrEqual(120_000 + 10_000);
  });

  it('knows every family asked for in the issue', () => {
    const families = new Set(NEMESES.map((n) => n.family));
    for (const f of ['kill', 'pause', 'partition', 'link', 'restart', 'clock', 'lose-unsynced', 'corrupt']) expect(families.has(f)).toBe(true);
    expect(() => resolveNemeses('kill,nonsense')).toThrow(/unknown nemesis/);
  });
});

describe('teeth: the checkers catch violations', () => {
  it('reports the stale read of a history recorded with a client bug (nzk multi check of version 0)', () => {
    const text = readFileSync(join(import.meta.dirname, 'fixtures', 'nzk-check-version-0-bug.edn'), 'utf8');
    const r = checkHistory(parseHistory(text), makeModel({ name: 'cas-register', independent: true }), {});
    expect(r.valid).toBe(false);
    const verdicts = registerWorkload(options()).check(parseHistory(text), { timeLimitMs: 10_000 });
    expect(Array.isArray(verdicts) ? verdicts[0]?.valid : undefined).toBe(false);
  });
});

// Seeds are fixed so that a failure in CI replays from the command in its message. This one's
// schedule: kill-leader, a majorities ring, then the leader cut off.
const SHORT = ['test', '--profile', 'short', '--seed', '20261176'];

describe('CI short profile: our 3-node ensemble under kill and partition', () => {
  let register: RunResult | undefined;
  let set: RunResult | undefined;
  const configs = configsOf(SHORT.slice(1), 'short');

  it('runs what --profile short runs: register and set, kill and partition, 3 nodes of ours', () => {
    expect(configs.map((c) => [c.workload, c.server, c.nodes, c.nemesis])).toEqual([
      ['register', 'ours', 3, 'kill,partition'],
      ['set', 'ours', 3, 'kill,partition'],
    ]);
  });

  it('register under kill and partition is linearizable', { timeout: 240_000 }, async () => {
    const config = configs.find((c) => c.workload === 'register');
    if (config === undefined) throw new Error('no register run in the profile');
    const { result, message } = await run(config, `${SHORT.join(' ')} --workload register`, true);
    register = result;
    expect(result.error, message).toBeUndefined();
    expect(result.stats.ok, message).toBeGreaterThan(100);
    expect(result.stats.nemesisOps, message).toBeGreaterThan(4);
    expect(result.valid, message).toBe(true);
    const report = readFileSync(join(result.dir, 'report.html'), 'utf8');
    expect(report).toContain('<svg');
    // self-contained: nothing loaded from elsewhere
    expect(report).not.toMatch(/<script[^>]+src=|<link[^>]+href=|(src|href)=["']?https?:|url\(\s*["']?https?:|@import/);
  });

  it('set under kill and partition loses no acknowledged element', { timeout: 240_000 }, async () => {
    const config = configs.find((c) => c.workload === 'set');
    if (config === undefined) throw new Error('no set run in the profile');
    const { result, message } = await run(config, `${SHORT.join(' ')} --workload set`, true);
    set = result;
    expect(result.error, message).toBeUndefined();
    expect(result.stats.ok, message).toBeGreaterThan(100);
    expect(result.valid, message).toBe(true);
  });

  it('teeth: a stale read injected into the recorded register history is reported, with its window', () => {
    if (register === undefined) throw new Error('the register run did not happen');
    const text = readFileSync(join(register.dir, 'history.edn'), 'utf8');
    const injected = injectStaleRead(text);
    expect(injected).toBeDefined();
    if (injected === undefined) return;
    const verdicts = registerWorkload(options()).check(parseHistory(injected.text), { timeLimitMs: 30_000 });
    const v = Array.isArray(verdicts) ? verdicts[0] : undefined;
    expect(v?.valid).toBe(false);
    expect(v?.window?.ops).toContain(injected.index);
    expect(v?.window?.ops.length).toBeLessThan(40);
  });

  it('teeth: an acknowledged element missing from the recorded final read is reported as lost', () => {
    if (set === undefined) throw new Error('the set run did not happen');
    const ops = parseHistory(readFileSync(join(set.dir, 'history.edn'), 'utf8'));
    const read = ops.findLast((op) => op.f === 'read' && op.type === 'ok');
    const acked = ops.find((op) => op.f === 'add' && op.type === 'ok');
    expect(read?.value).toBeInstanceOf(EdnSet);
    if (read === undefined || acked === undefined || !(read.value instanceof EdnSet)) return;
    const dropped = read.value.items.filter((x) => x !== acked.value);
    const broken = ops.map((op) => (op === read ? { ...op, value: new EdnSet(dropped) } : op));
    const v = checkSet(broken);
    expect(v.valid).toBe(false);
    expect((v.details as { lost: number[] }).lost).toEqual([acked.value]);
  });
});

// Every fault cuts the leader off for 7-9 s, longer than the ~5 s (syncLimit) after which the
// others elect a new leader: the broken leader acknowledges adds until it notices, and they are
// gone once it rejoins and the new leader truncates its log.
const TEETH = ['test', '--workload', 'set', '--nemesis', 'partition-leader', '--server', 'ours', '--nodes', '3', '--time-limit', '20', '--fault', '7,9', '--quiet', '2,3', '--seed', '20261128'];

describe('teeth: our server with a leader that acknowledges writes before a quorum has them', () => {
  it('is valid without the fault', { timeout: 240_000 }, async () => {
    const config = only(configsOf(TEETH.slice(1), 'teeth-healthy'));
    const { result, message } = await run(config, TEETH.join(' '), true);
    expect(result.error, message).toBeUndefined();
    expect(serverLogs(result.dir)).not.toContain('TEST FAULT ON');
    expect(result.stats.nemesisOps, message).toBeGreaterThanOrEqual(4);
    expect(result.valid, message).toBe(true);
  });

  it('loses acknowledged adds with -Dzkts.test.fault=ack-before-quorum, and the set checker says so', { timeout: 240_000 }, async () => {
    const config = only(configsOf([...TEETH.slice(1), '--test-fault', 'ack-before-quorum'], 'teeth-faulty'));
    expect(config.serverEnv).toEqual({ SERVER_JVMFLAGS: '-Dzkts.test.fault=ack-before-quorum' });
    const { result, message } = await run(config, `${TEETH.join(' ')} --test-fault ack-before-quorum`, false);
    expect(result.error, message).toBeUndefined();
    // a stale build without the fault would run a healthy server here
    expect(serverLogs(result.dir)).toContain('TEST FAULT ON');
    expect(result.valid, message).toBe(false);
    const verdict = only(result.verdicts);
    expect(verdict.checker).toBe('set');
    expect((verdict.details as { lost: number[] }).lost.length, message).toBeGreaterThan(0);
  });
});

describe.skipIf(!java)('calibration guard: Apache ZooKeeper 3.8 under the same profile is valid', () => {
  it('register under kill and partition is linearizable', { timeout: 240_000 }, async () => {
    const args = [...SHORT.slice(1), '--server', 'java', '--workload', 'register', '--time-limit', '15'];
    const config = only(configsOf(args, 'java'));
    const { result, message } = await run(config, ['test', ...args].join(' '), true);
    expect(result.error, message).toBeUndefined();
    expect(result.stats.ok, message).toBeGreaterThan(100);
    expect(result.valid, message).toBe(true);
  });
});
