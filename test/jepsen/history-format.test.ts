// Histories written by the harness (runner/recorder.ts) are Jepsen's history.edn: one op map per
// line, read back by our EDN reader with every field intact, and checkable by the `check` command.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { afterAll, describe, expect, it } from 'vitest';

import { runCli } from './commands/index.js';
import { EdnMap, EdnSet, Keyword, kw, printEdn } from './history/edn.js';
import { parseHistory } from './history/history.js';
import { Recorder, opLine, toEdn } from './runner/recorder.js';

const dir = mkdtempSync(join(tmpdir(), 'jepsen-format-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('history.edn written by the recorder', () => {
  it('round-trips every field through the EDN reader', () => {
    const r = new Recorder();
    r.record('invoke', 0, 'write', [3, 4], { node: 'n1', session: '0x100000abc0001' });
    r.record('ok', 0, 'write', [3, 4], { node: 'n1', session: '0x100000abc0001', zxid: 0x100000007n });
    r.record('invoke', 1, 'cas', [3, [4, 5]], { node: 'n2', session: '0x200000abc0002' });
    r.record('info', 1, 'cas', [3, [4, 5]], { node: 'n2', session: '0x200000abc0002', zxid: 0x7fffffff00000001n, error: toEdn('timeout') });
    r.recordInfoPair('nemesis', 'start-partition-halves', null, toEdn({ groups: [['n1'], ['n2', 'n3']] }));
    r.record('invoke', 7, 'read', null);
    r.record('ok', 7, 'read', new EdnSet([1, 2, 3]), { zxid: 12n });
    r.record('invoke', 8, 'put', toEdn({ key: 1, value: 'a "quoted"\nline' }));
    r.record('fail', 8, 'put', toEdn({ key: 1, value: 'a "quoted"\nline' }), { error: kw('no-node') });
    const text = r.text();
    expect(text.split('\n').filter((l) => l !== '')).toHaveLength(r.ops.length);
    const parsed = parseHistory(text);
    expect(parsed).toHaveLength(r.ops.length);
    parsed.forEach((op, i) => {
      const orig = r.ops[i];
      if (orig === undefined) throw new Error('missing op');
      expect(op.index).toBe(orig.index);
      expect(op.type).toBe(orig.type);
      expect(op.process).toBe(orig.process);
      expect(op.f).toBe(orig.f);
      expect(op.time).toBe(Number(orig.time));
      expect(printEdn(op.value)).toBe(printEdn(orig.value));
      expect(op.raw.getKw('node') ?? undefined).toBe(orig.node);
      expect(op.raw.getKw('session') ?? undefined).toBe(orig.session);
      const z = op.raw.getKw('zxid');
      expect(z === undefined ? undefined : BigInt(z as number | bigint)).toBe(orig.zxid);
      // the line re-printed from the parsed map is the line written
      expect(printEdn(op.raw)).toBe(opLine(orig));
    });
    expect(parsed[3]?.error).toBe('timeout');
    expect(parsed[4]?.process).toBe('nemesis');
    expect(parsed[9]?.error).toBeInstanceOf(Keyword);
    // times are nanoseconds since the start and never go back
    for (let i = 1; i < parsed.length; i++) expect(parsed[i]?.time ?? 0).toBeGreaterThanOrEqual(parsed[i - 1]?.time ?? 0);
  });

  it('writes op maps Jepsen reads: keyword :type/:f/:process, integer :index/:time', () => {
    const r = new Recorder();
    r.record('invoke', 2, 'read', [0, null]);
    const line = opLine(r.ops[0] ?? (undefined as never));
    expect(line).toMatch(/^\{:index 0, :time \d+, :type :invoke, :process 2, :f :read, :value \[0 nil\]\}$/);
    const map = parseHistory(line)[0]?.raw;
    expect(map).toBeInstanceOf(EdnMap);
  });

  it('is checkable by the check command (a new process after :info)', async () => {
    const r = new Recorder();
    r.record('invoke', 0, 'write', [1, 1], { session: '0x1' });
    r.record('ok', 0, 'write', [1, 1], { session: '0x1', zxid: 5n });
    r.record('invoke', 1, 'write', [1, 2]);
    r.record('info', 1, 'write', [1, 2], { error: toEdn('timeout') });
    r.record('invoke', 3, 'read', [1, null]);
    r.record('ok', 3, 'read', [1, 2]);
    r.recordInfoPair('nemesis', 'kill-one', null, toEdn({ killed: ['n1'] }));
    const file = join(dir, 'h.edn');
    writeFileSync(file, r.text());
    let out = '';
    const code = await runCli(['check', '--model', 'cas-register', '--independent', file], {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: () => true },
      stdin: Readable.from([]),
    });
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ valid: true, operations: 3 });
  });
});
