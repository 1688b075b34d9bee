import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  EdnChar,
  EdnList,
  EdnMap,
  EdnSet,
  EdnSymbol,
  EdnSyntaxError,
  EdnTagged,
  Keyword,
  ednEquals,
  ednKey,
  kw,
  parseEdn,
  parseEdnAll,
  printEdn,
  type EdnValue,
} from './history/edn.js';
import { HistoryError, parseHistory } from './history/history.js';

describe('EDN reader', () => {
  it('reads scalars', () => {
    expect(parseEdn('nil')).toBeNull();
    expect(parseEdn('true')).toBe(true);
    expect(parseEdn('false')).toBe(false);
    expect(parseEdn('42')).toBe(42);
    expect(parseEdn('-7')).toBe(-7);
    expect(parseEdn('+7')).toBe(7);
    expect(parseEdn('0')).toBe(0);
    expect(parseEdn('12N')).toBe(12);
    expect(parseEdn('1.5')).toBe(1.5);
    expect(parseEdn('-2.5e3')).toBe(-2500);
    expect(parseEdn('1.25M')).toBe(1.25);
    expect(parseEdn('1/4')).toBe(0.25);
    expect(parseEdn('0x1f')).toBe(31);
    expect(parseEdn('##Inf')).toBe(Infinity);
    expect(parseEdn('##-Inf')).toBe(-Infinity);
    expect(parseEdn('##NaN')).toBeNaN();
  });

  it('reads integers beyond 2^53 as bigints', () => {
    expect(parseEdn('9007199254740993')).toBe(9007199254740993n);
    expect(parseEdn('-9223372036854775808')).toBe(-9223372036854775808n);
    expect(parseEdn('9007199254740991')).toBe(9007199254740991);
    expect(parseEdn('123456789012345678901234567890N')).toBe(123456789012345678901234567890n);
  });

  it('reads strings with escapes', () => {
    expect(parseEdn('"abc"')).toBe('abc');
    expect(parseEdn('""')).toBe('');
    expect(parseEdn('"a\\"b\\\\c\\nd\\te\\u00e9"')).toBe('a"b\\c\nd\te\u00e9');
    expect(parseEdn('"multi\nline"')).toBe('multi\nline');
  });

  it('reads keywords (interned), symbols and characters', () => {
    expect(parseEdn(':invoke')).toBe(kw('invoke'));
    expect(parseEdn(':jepsen.history/op')).toBe(Keyword.of('jepsen.history/op'));
    expect(parseEdn(':timed-out')).toBeInstanceOf(Keyword);
    expect(parseEdn('foo.bar/baz')).toEqual(new EdnSymbol('foo.bar/baz'));
    expect(parseEdn('\\a')).toEqual(new EdnChar('a'));
    expect(parseEdn('\\newline')).toEqual(new EdnChar('\n'));
    expect(parseEdn('\\u0041')).toEqual(new EdnChar('A'));
  });

  it('reads collections; commas are whitespace', () => {
    expect(parseEdn('[1, 2,3]')).toEqual([1, 2, 3]);
    expect(parseEdn('[]')).toEqual([]);
    expect(parseEdn('(1 [2 (3)])')).toEqual(new EdnList([1, [2, new EdnList([3])]]));
    const set = parseEdn('#{1 2 3}');
    expect(set).toBeInstanceOf(EdnSet);
    expect((set as EdnSet).items).toEqual([1, 2, 3]);
    const m = parseEdn('{:a 1, "b" [2], 3 nil, [1 2] :x}') as EdnMap;
    expect(m).toBeInstanceOf(EdnMap);
    expect(m.size).toBe(4);
    expect(m.getKw('a')).toBe(1);
    expect(m.get('b')).toEqual([2]);
    expect(m.get(3)).toBeNull();
    expect(m.get([1, 2])).toBe(kw('x'));
    expect(m.get(kw('missing'))).toBeUndefined();
    expect(m.has(3)).toBe(true);
  });

  it('skips comments, discards and metadata', () => {
    expect(parseEdn('; a comment\n[1 ; two\n 3]')).toEqual([1, 3]);
    expect(parseEdn('[1 #_2 3 #_ [4 5]]')).toEqual([1, 3]);
    expect(parseEdn('#_ :skipped 7')).toBe(7);
    expect(parseEdn('^{:meta true} [1]')).toEqual([1]);
    expect(parseEdn('^:private x')).toEqual(new EdnSymbol('x'));
  });

  it('keeps tagged literals as EdnTagged', () => {
    const inst = parseEdn('#inst "2024-01-02T03:04:05.000-00:00"');
    expect(inst).toEqual(new EdnTagged('inst', '2024-01-02T03:04:05.000-00:00'));
    expect(parseEdn('#uuid "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"')).toBeInstanceOf(EdnTagged);
    const obj = parseEdn('#object[java.lang.Exception 0x1234 "boom"]') as EdnTagged;
    expect(obj.tag).toBe('object');
    expect(obj.value).toEqual([new EdnSymbol('java.lang.Exception'), 0x1234, 'boom']);
    const rec = parseEdn('#jepsen.history.Op{:index 0, :type :invoke}') as EdnTagged;
    expect(rec.tag).toBe('jepsen.history.Op');
    expect(rec.value).toBeInstanceOf(EdnMap);
    expect(parseEdn('#"a.*b"')).toEqual(new EdnTagged('regex', 'a.*b'));
  });

  it('reads several top-level forms', () => {
    expect(parseEdnAll('1 2\n[3]\n; end\n')).toEqual([1, 2, [3]]);
    expect(parseEdnAll('  ')).toEqual([]);
  });

  it('reports syntax errors with line and column', () => {
    const cases = ['[1 2', '{:a}', '"open', '[1 2)', ')', '#', '1 2', '#{1', '\\'];
    for (const text of cases) expect(() => parseEdn(text), text).toThrow(EdnSyntaxError);
    let caught: unknown;
    try {
      parseEdn('[1\n 2\n "x]');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(EdnSyntaxError);
    expect(caught).toMatchObject({ line: 3, column: 2 });
  });

  it('compares values as Clojure does', () => {
    expect(ednEquals(parseEdn('[1 2]'), parseEdn('(1 2)'))).toBe(true);
    expect(ednEquals(parseEdn('#{1 2}'), parseEdn('#{2 1}'))).toBe(true);
    expect(ednEquals(parseEdn('{:a 1 :b 2}'), parseEdn('{:b 2, :a 1}'))).toBe(true);
    expect(ednEquals(parseEdn('1'), parseEdn('1N'))).toBe(true);
    expect(ednEquals(parseEdn('nil'), parseEdn('0'))).toBe(false);
    expect(ednEquals(parseEdn('"1"'), parseEdn('1'))).toBe(false);
    expect(ednEquals(parseEdn(':a'), parseEdn('"a"'))).toBe(false);
    expect(ednKey(parseEdn('#{[1 2] [3]}'))).toBe(ednKey(parseEdn('#{(3) (1 2)}')));
  });

  const scalar: fc.Arbitrary<EdnValue> = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((b) => (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b)),
    fc.string(),
    fc.stringMatching(/^[a-z][a-z0-9.*+!?-]{0,8}(\/[a-z][a-z0-9-]{0,5})?$/).map((s) => kw(s)),
  );
  const { value } = fc.letrec<{ value: EdnValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.array(tie('value'), { maxLength: 4 }).map((xs) => new EdnList(xs)),
      fc.array(tie('value'), { maxLength: 4 }).map((xs) => new EdnSet(xs)),
      fc.array(fc.tuple(scalar, tie('value')), { maxLength: 4 }).map((es) => {
        const seen = new Set<string>();
        return new EdnMap(es.filter(([k]) => !seen.has(ednKey(k)) && seen.add(ednKey(k)) !== undefined));
      }),
    ),
  }));

  it('reads back what it prints (property)', () => {
    fc.assert(
      fc.property(value, (v) => {
        const back = parseEdn(printEdn(v));
        expect(ednKey(back)).toBe(ednKey(v));
        expect(printEdn(back)).toBe(printEdn(v));
      }),
      { seed: 0x65646e, numRuns: 500 },
    );
  });
});

describe('history parser', () => {
  it('parses one op map per line into typed operations', () => {
    const text = [
      '{:index 0, :time 0, :type :invoke, :process 0, :f :cas, :value [2 4]}',
      '{:index 1, :time 1000, :type :info, :process 0, :f :cas, :value [2 4], :error :timed-out}',
      '{:index 2, :time 2000, :type :info, :process :nemesis, :f :start, :value nil}',
      '',
      '{:type :ok, :process 5, :f :read, :value 9007199254740993, :node "n1", :zxid 12}',
    ].join('\n');
    const ops = parseHistory(text);
    expect(ops).toHaveLength(4);
    const [a, b, c, d] = ops;
    expect(a).toMatchObject({ process: 0, type: 'invoke', f: 'cas', value: [2, 4], time: 0, index: 0, line: 1 });
    expect(b).toMatchObject({ type: 'info', error: kw('timed-out'), line: 2 });
    expect(c).toMatchObject({ process: 'nemesis', f: 'start', value: null });
    // no :index or :time: the position in the file, and no time
    expect(d).toMatchObject({ process: 5, type: 'ok', value: 9007199254740993n, index: 3, line: 5 });
    expect(d?.time).toBeUndefined();
    expect(d?.raw.getKw('node')).toBe('n1');
    expect(d?.raw.getKw('zxid')).toBe(12);
  });

  it('accepts records, a single vector of ops, and multi-line maps', () => {
    expect(parseHistory('#jepsen.history.Op{:index 0, :time 5, :type :invoke, :process 1, :f :read, :value nil}')[0]).toMatchObject({
      type: 'invoke',
      process: 1,
    });
    const ops = parseHistory('[{:type :invoke, :process 0, :f :read}\n {:type :ok,\n  :process 0,\n  :f :read, :value 1}]');
    expect(ops.map((o) => o.type)).toEqual(['invoke', 'ok']);
    expect(ops[0]?.value).toBeNull();
  });

  it('rejects malformed ops with the line', () => {
    expect(() => parseHistory('{:type :invoke, :process 0, :f :read}\n[1 2]')).toThrow(/line 2/);
    expect(() => parseHistory('{:type :bogus, :process 0}')).toThrow(HistoryError);
    expect(() => parseHistory('{:type :ok, :f :read}')).toThrow(/:process/);
    expect(() => parseHistory('{:type :ok, :process 0\n')).toThrow(/EDN syntax error/);
  });
});
