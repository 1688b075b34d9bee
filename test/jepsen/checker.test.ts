import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { afterAll, describe, expect, it } from 'vitest';

import { checkHistory, type CheckResult } from './checker/check.js';
import { ModelError } from './checker/model.js';
import { makeModel, type ModelSpec } from './checker/models.js';
import { runCli } from './commands/index.js';
import { HistoryError, parseHistory } from './history/history.js';

/** Builds a history from compact lines: `p type f value` (value in EDN, may contain spaces). */
function h(...lines: string[]): string {
  return lines
    .map((l, i) => {
      const [p, type, f, ...rest] = l.trim().split(/\s+/);
      const proc = /^\d+$/.test(p ?? '') ? p : `:${p ?? ''}`;
      return `{:index ${i}, :time ${i}, :type :${type ?? ''}, :process ${proc ?? ''}, :f :${f ?? ''}, :value ${rest.length > 0 ? rest.join(' ') : 'nil'}}`;
    })
    .join('\n');
}

function check(text: string, spec: ModelSpec = { name: 'cas-register' }, options = {}): CheckResult {
  return checkHistory(parseHistory(text), makeModel(spec), options);
}

describe('checker verdicts', () => {
  it('accepts a linearizable cas-register history and rejects a stale read', () => {
    const ok = h('0 invoke write 1', '1 invoke read', '0 ok write 1', '1 ok read 1', '1 invoke cas [1 2]', '1 ok cas [1 2]', '0 invoke read', '0 ok read 2');
    expect(check(ok).valid).toBe(true);
    const stale = h('0 invoke write 1', '0 ok write 1', '0 invoke write 2', '0 ok write 2', '1 invoke read', '1 ok read 1');
    const r = check(stale);
    expect(r.valid).toBe(false);
    expect(r.failure?.op).toContain('process 1 :read -> :ok 1');
    expect(r.failure?.states).toEqual(['2']);
    expect(r.failure?.lastLinearized).toEqual([
      'process 0 :write 1 -> :ok (lines 1-2, :index 0-1)',
      'process 0 :write 2 -> :ok (lines 3-4, :index 2-3)',
    ]);
    expect(r.explanation).toMatch(/cannot be linearized/);
  });

  it('reads nil as "absent", the default initial value; --initial changes it', () => {
    expect(check(h('0 invoke read', '0 ok read nil')).valid).toBe(true);
    expect(check(h('0 invoke read', '0 ok read 0')).valid).toBe(false);
    expect(check(h('0 invoke read', '0 ok read 0'), { name: 'register', initial: 0 }).valid).toBe(true);
  });

  it('lets an :info op take effect at any point after its invocation, or never', () => {
    const took = h('0 invoke write 1', '0 info write 1', '1 invoke read', '1 ok read 1');
    expect(check(took).valid).toBe(true);
    const never = h('0 invoke write 1', '0 info write 1', '1 invoke read', '1 ok read nil');
    expect(check(never).valid).toBe(true);
    // but not before it was invoked
    const early = h('1 invoke read', '1 ok read 1', '0 invoke write 1', '0 info write 1');
    expect(check(early).valid).toBe(false);
    // an invocation that never completes is the same as :info
    expect(check(h('0 invoke write 1', '1 invoke read', '1 ok read 1')).valid).toBe(true);
    // and it can only take effect once
    const twice = h('0 invoke write 1', '0 info write 1', '1 invoke write 2', '1 ok write 2', '1 invoke read', '1 ok read 1', '1 invoke write 2', '1 ok write 2', '1 invoke read', '1 ok read 1');
    expect(check(twice).valid).toBe(false);
  });

  it('drops :fail ops, or keeps a failed cas as an observation with failMode observe', () => {
    const failedWriteSeen = h('0 invoke write 1', '0 fail write 1', '1 invoke read', '1 ok read 1');
    expect(check(failedWriteSeen).valid).toBe(false);
    const failedCas = h('0 invoke write 1', '0 ok write 1', '1 invoke cas [1 2]', '1 fail cas [1 2]');
    expect(check(failedCas).valid).toBe(true);
    expect(check(failedCas, { name: 'cas-register' }, { failMode: 'observe' }).valid).toBe(false);
  });

  it('ignores nemesis ops and timed-out reads', () => {
    const text = h('nemesis info start', '0 invoke read', '0 info read', 'nemesis info stop', '1 invoke read', '1 ok read nil');
    expect(check(text)).toMatchObject({ valid: true, operations: 1 });
  });

  it('rejects malformed histories and ops the model does not know', () => {
    expect(() => check(h('0 invoke read', '0 invoke read'))).toThrow(HistoryError);
    expect(() => check(h('0 ok read 1'))).toThrow(/without an invocation/);
    expect(() => check(h('0 invoke read', '0 ok write 1'))).toThrow(/does not match/);
    expect(() => check(h('0 invoke cas 3', '0 ok cas 3'))).toThrow(ModelError);
    expect(() => check(h('0 invoke cas [1 2]', '0 ok cas [1 2]'), { name: 'register' })).toThrow(/no :cas operation/);
  });

  it('splits kv histories per key and names the failing key', () => {
    const text = h(
      '0 invoke put ["a" "x"]',
      '1 invoke put ["b" "y"]',
      '0 ok put ["a" "x"]',
      '1 ok put ["b" "y"]',
      '0 invoke append ["a" "z"]',
      '0 ok append ["a" "z"]',
      '1 invoke get ["a" nil]',
      '1 ok get ["a" "xz"]',
      '1 invoke get ["b" nil]',
      '1 ok get ["b" ""]',
    );
    const r = check(text, { name: 'kv' });
    expect(r).toMatchObject({ valid: false, partitions: 2 });
    expect(r.failure?.partition).toBe('key "b"');
    expect(r.failure?.states).toEqual(['"y"']);
    expect(check(text, { name: 'kv' }, { partition: false }).valid).toBe(false);
  });

  it('checks cas-register per key with --independent', () => {
    const text = h('0 invoke write [1 5]', '0 ok write [1 5]', '1 invoke cas [2 [nil 3]]', '1 ok cas [2 [nil 3]]', '1 invoke read [1 nil]', '1 ok read [1 5]');
    expect(check(text, { name: 'cas-register', independent: true })).toMatchObject({ valid: true, partitions: 2 });
    // without splitting, [key value] tuples are plain values: the cas then fails
    expect(check(text).valid).toBe(false);
  });

  it('set, counter and unique-ids models', () => {
    const set = h('0 invoke add 1', '1 invoke add 2', '0 ok add 1', '2 invoke read', '2 ok read #{1}', '1 ok add 2', '2 invoke read', '2 ok read #{2 1}');
    expect(check(set, { name: 'set' }).valid).toBe(true);
    expect(check(set.replace('#{2 1}', '#{2}'), { name: 'set' }).valid).toBe(false);
    const counter = h('0 invoke add 2', '1 invoke add 3', '0 ok add 2', '2 invoke read', '2 ok read 5', '1 info add 3', '2 invoke read', '2 ok read 5');
    expect(check(counter, { name: 'counter' }).valid).toBe(true);
    expect(check(counter.replace(':value 5}', ':value 3}'), { name: 'counter' }).valid).toBe(false);
    const ids = h('0 invoke generate', '1 invoke generate', '0 ok generate 1', '1 ok generate 2', '2 invoke generate', '2 info generate');
    expect(check(ids, { name: 'unique-ids' })).toMatchObject({ valid: true, partitions: 2 });
    const dup = ids.replace(':value 2}', ':value 1}');
    expect(check(dup, { name: 'unique-ids' })).toMatchObject({ valid: false, failure: { partition: 'id 1' } });
  });

  it('answers unknown when the time or memory budget runs out', () => {
    // 22 concurrent adds of distinct powers of two, then an impossible read: 2^22 subsets
    const lines: string[] = [];
    for (let p = 0; p < 22; p++) lines.push(`${p} invoke add ${2 ** p}`);
    for (let p = 0; p < 22; p++) lines.push(`${p} info add ${2 ** p}`);
    lines.push('99 invoke read', '99 ok read -1');
    const text = h(...lines);
    const timed = check(text, { name: 'counter' }, { timeLimitMs: 200 });
    expect(timed).toMatchObject({ valid: 'unknown', reason: 'time limit reached', undecided: ['whole history'] });
    expect(timed.elapsedMs).toBeLessThan(5000);
    const small = check(text, { name: 'counter' }, { maxCacheBytes: 1 << 20 });
    expect(small).toMatchObject({ valid: 'unknown', reason: 'memory limit reached' });
  });

  it('handles deep histories without recursion (200,000 sequential ops)', () => {
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      lines.push(`{:type :invoke, :process 0, :f :write, :value ${i}}`, `{:type :ok, :process 0, :f :write, :value ${i}}`);
      lines.push(`{:type :invoke, :process 1, :f :read, :value nil}`, `{:type :ok, :process 1, :f :read, :value ${i}}`);
    }
    const history = parseHistory(lines.join('\n'));
    const model = makeModel({ name: 'cas-register' });
    expect(checkHistory(history, model)).toMatchObject({ valid: true, operations: 200_000 });
    const broken = parseHistory([...lines.slice(0, -1), '{:type :ok, :process 1, :f :read, :value 5}'].join('\n'));
    const r = checkHistory(broken, model);
    expect(r.valid).toBe(false);
    expect(r.failure?.op).toContain(':read -> :ok 5');
    expect(r.failure?.states).toEqual(['99999']);
  });
});

describe('check command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jepsen-check-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const run = async (args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const code = await runCli(args, {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      stdin: Readable.from([Buffer.from(stdin)]),
    });
    return { code, out, err };
  };
  const good = h('0 invoke write 1', '0 ok write 1', '1 invoke read', '1 ok read 1');
  const bad = h('0 invoke write 1', '0 ok write 1', '1 invoke read', '1 ok read 2');

  it('prints one JSON line and exits 0 / 1 / 2', async () => {
    const ok = await run(['check', '--model', 'cas-register', file('good.edn', good)]);
    expect(ok.code).toBe(0);
    expect(ok.out.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(ok.out)).toMatchObject({ valid: true, model: 'cas-register' });
    const no = await run(['check', '--model', 'register', file('bad.edn', bad)]);
    expect(no.code).toBe(1);
    expect(JSON.parse(no.out)).toMatchObject({ valid: false, failure: { states: ['1'] } });
    const lines: string[] = [];
    for (let p = 0; p < 22; p++) lines.push(`${p} invoke add ${2 ** p}`);
    lines.push('99 invoke read', '99 ok read -1');
    const unknown = await run(['check', '--model', 'counter', '--time-limit', '0.1', file('hard.edn', h(...lines))]);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.out)).toMatchObject({ valid: 'unknown' });
  });

  it('reads stdin for "-" and takes --initial, --independent, --fail-mode', async () => {
    expect((await run(['check', '--model', 'register', '-'], good)).code).toBe(0);
    const zero = h('0 invoke read', '0 ok read 0');
    expect((await run(['check', '--model', 'register', '-'], zero)).code).toBe(1);
    expect((await run(['check', '--model', 'register', '--initial', '0', '-'], zero)).code).toBe(0);
    const keyed = h('0 invoke read [k nil]', '0 ok read [k nil]');
    expect((await run(['check', '--model', 'register', '--independent', '-'], keyed)).code).toBe(0);
    const cas = h('0 invoke cas [nil 1]', '0 fail cas [nil 1]');
    expect((await run(['check', '--model', 'cas-register', '-'], cas)).code).toBe(0);
    expect((await run(['check', '--model', 'cas-register', '--fail-mode', 'observe', '-'], cas)).code).toBe(1);
  });

  it('exits 3 with a message on stderr for bad arguments and unreadable or malformed files', async () => {
    const cases: string[][] = [
      ['check'],
      ['check', file('x.edn', good)],
      ['check', '--model', 'nope', file('x.edn', good)],
      ['check', '--model', 'register'],
      ['check', '--model', 'register', 'a.edn', 'b.edn'],
      ['check', '--model', 'register', '--bogus', file('x.edn', good)],
      ['check', '--model', 'register', '--time-limit', 'soon', file('x.edn', good)],
      ['check', '--model', 'register', '--initial', '[1', file('x.edn', good)],
      ['check', '--model', 'set', '--initial', '1', file('x.edn', good)],
      ['check', '--model', 'register', '--fail-mode', 'maybe', file('x.edn', good)],
      ['check', '--model', 'register', join(dir, 'missing.edn')],
      ['check', '--model', 'register', file('broken.edn', '{:type :invoke')],
      ['check', '--model', 'register', file('cas.edn', h('0 invoke cas [1 2]', '0 ok cas [1 2]'))],
      ['frobnicate'],
      [],
    ];
    for (const args of cases) {
      const r = await run(args);
      expect({ args, code: r.code, out: r.out }).toEqual({ args, code: 3, out: '' });
      expect(r.err.length).toBeGreaterThan(0);
    }
    expect((await run(['check', '--model', 'register', join(dir, 'missing.edn')])).err).toMatch(/cannot read/);
  });

  it('prints usage for --help', async () => {
    const r = await run(['check', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--model MODEL/);
    expect((await run(['--help'])).out).toMatch(/check/);
  });
});
