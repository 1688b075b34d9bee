/**
 * A small EDN reader (and printer) sufficient for Jepsen history files.
 *
 * Supported: nil, true/false, integers (numbers when safe, bigints otherwise, `N` suffix), floats
 * (`M` suffix, `##Inf`, `##-Inf`, `##NaN`), ratios (as numbers), strings with escapes, characters,
 * keywords, symbols, lists, vectors, maps, sets, `;` comments, `#_` discards, `^meta` (skipped) and
 * tagged literals (`#inst "..."`, `#uuid "..."`, `#object[...]`, records such as
 * `#jepsen.history.Op{...}`), which are kept as {@link EdnTagged} around the value that follows.
 */

export type EdnValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Keyword
  | EdnSymbol
  | EdnChar
  | readonly EdnValue[]
  | EdnList
  | EdnSet
  | EdnMap
  | EdnTagged;

/** An EDN keyword, interned: compare with `===`. `name` excludes the leading colon. */
export class Keyword {
  private static readonly table = new Map<string, Keyword>();
  private constructor(readonly name: string) {}
  static of(name: string): Keyword {
    let k = Keyword.table.get(name);
    if (k === undefined) {
      k = new Keyword(name);
      Keyword.table.set(name, k);
    }
    return k;
  }
  toString(): string {
    return `:${this.name}`;
  }
}

export class EdnSymbol {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
}

export class EdnChar {
  constructor(readonly char: string) {}
}

export class EdnList {
  constructor(readonly items: readonly EdnValue[]) {}
}

export class EdnSet {
  constructor(readonly items: readonly EdnValue[]) {}
}

export class EdnTagged {
  constructor(
    readonly tag: string,
    readonly value: EdnValue,
  ) {}
}

export class EdnMap {
  private index: Map<string, number> | undefined;
  /** Keys and values alternating: k0, v0, k1, v1, ... */
  private kvs: readonly EdnValue[];
  constructor(entries: readonly (readonly [EdnValue, EdnValue])[]) {
    this.kvs = entries.flat();
  }
  /** A map from alternating keys and values (no copy). */
  static fromFlat(kvs: readonly EdnValue[]): EdnMap {
    const m = new EdnMap([]);
    m.kvs = kvs;
    return m;
  }
  get size(): number {
    return this.kvs.length >> 1;
  }
  get entries(): (readonly [EdnValue, EdnValue])[] {
    const out: (readonly [EdnValue, EdnValue])[] = [];
    for (let i = 0; i + 1 < this.kvs.length; i += 2) out.push([this.kvs[i] ?? null, this.kvs[i + 1] ?? null]);
    return out;
  }
  /** Position of the key's value in kvs, or -1. */
  private find(key: EdnValue): number {
    const kvs = this.kvs;
    if ((key instanceof Keyword || typeof key === 'string' || typeof key === 'number') && kvs.length <= 32) {
      // keywords are interned and strings and numbers compare by value: scan small maps
      for (let i = 0; i < kvs.length; i += 2) if (kvs[i] === key) return i + 1;
      return -1;
    }
    if (this.index === undefined) {
      this.index = new Map();
      for (let i = kvs.length - 2; i >= 0; i -= 2) this.index.set(ednKey(kvs[i] ?? null), i + 1);
    }
    return this.index.get(ednKey(key)) ?? -1;
  }
  /** The value under `key` (compared as EDN values), or undefined. */
  get(key: EdnValue): EdnValue | undefined {
    const i = this.find(key);
    return i < 0 ? undefined : this.kvs[i];
  }
  /** The value under the keyword `:name`, or undefined. */
  getKw(name: string): EdnValue | undefined {
    return this.get(Keyword.of(name));
  }
  has(key: EdnValue): boolean {
    return this.find(key) >= 0;
  }
}

export class EdnSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${message} at line ${line}, column ${column}`);
    this.name = 'EdnSyntaxError';
  }
}

export function isVector(v: EdnValue | undefined): v is readonly EdnValue[] {
  return Array.isArray(v);
}

export function kw(name: string): Keyword {
  return Keyword.of(name);
}

// ---------------------------------------------------------------------------------------------
// Reader

const CH_NL = 10;
const CH_SPACE = 32;
const CH_COMMA = 44;
const CH_SEMI = 59;

function isWhitespace(c: number): boolean {
  return c === CH_SPACE || c === CH_COMMA || (c >= 9 && c <= 13);
}

/** 1 for the characters that end a token: whitespace, commas and ()[]{}";\ */
const DELIMITER = new Uint8Array(128);
for (const c of '()[]{}";\\, \t\n\r\f\v') DELIMITER[c.charCodeAt(0)] = 1;

function isDelimiterCode(c: number): boolean {
  return c < 128 && DELIMITER[c] === 1;
}

function isDelimiter(c: string): boolean {
  return isDelimiterCode(c.charCodeAt(0));
}

const NAMED_CHARS: Readonly<Record<string, string>> = {
  newline: '\n',
  space: ' ',
  tab: '\t',
  return: '\r',
  backspace: '\b',
  formfeed: '\f',
};

/** Sentinel for "no form here" (closing delimiter or end of input). */
const NONE: unique symbol = Symbol('none');
type Read = EdnValue | typeof NONE;

/**
 * Reads EDN forms from a string, one at a time. Recursion is used only for nested collections, whose
 * depth is that of the data (a Jepsen op nests a few levels), never for the sequence of forms.
 */
export class EdnReader {
  private pos = 0;
  /** The closing delimiter that made readForm return NONE, or '' at end of input. */
  private closer = '';

  constructor(private readonly text: string) {}

  /** Offset of the next unread character. */
  get offset(): number {
    return this.pos;
  }

  /** True when only whitespace and comments remain. */
  atEnd(): boolean {
    this.skipWhitespace();
    return this.pos >= this.text.length;
  }

  /** Reads the next top-level form; throws at end of input. */
  read(): EdnValue {
    const start = this.pos;
    const v = this.readForm();
    if (v === NONE) {
      if (this.closer === '') this.fail('unexpected end of input', start);
      this.fail(`unexpected '${this.closer}'`, this.pos - 1);
    }
    return v;
  }

  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; column: number } {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < offset && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) === CH_NL) {
        line++;
        lineStart = i + 1;
      }
    }
    return { line, column: offset - lineStart + 1 };
  }

  fail(message: string, offset: number = this.pos): never {
    const { line, column } = this.position(offset);
    throw new EdnSyntaxError(message, line, column);
  }

  private skipWhitespace(): void {
    const t = this.text;
    const n = t.length;
    while (this.pos < n) {
      const c = t.charCodeAt(this.pos);
      if (isWhitespace(c)) {
        this.pos++;
      } else if (c === CH_SEMI) {
        while (this.pos < n && t.charCodeAt(this.pos) !== CH_NL) this.pos++;
      } else {
        return;
      }
    }
  }

  /** Reads a form, or returns NONE at a closing delimiter (left consumed) or end of input. */
  private readForm(): Read {
    for (;;) {
      this.skipWhitespace();
      const t = this.text;
      if (this.pos >= t.length) {
        this.closer = '';
        return NONE;
      }
      const start = this.pos;
      const c = t[this.pos] ?? '';
      this.pos++;
      switch (c) {
        case '{':
          return this.readMap(this.readSeq('}', start));
        case '[':
          return this.readSeq(']', start);
        case '(':
          return new EdnList(this.readSeq(')', start));
        case ')':
        case ']':
        case '}':
          this.closer = c;
          return NONE;
        case '"':
          return this.readString(start);
        case '\\':
          return this.readChar(start);
        case '^': {
          // metadata: read and drop the metadata form, then return the form it annotates
          this.readRequired(start);
          continue;
        }
        case '#': {
          const v = this.readDispatch(start);
          if (v === NONE) continue; // #_ discard
          return v;
        }
        default: {
          this.pos = start;
          return this.readAtom();
        }
      }
    }
  }

  private readRequired(start: number): EdnValue {
    const v = this.readForm();
    if (v === NONE) this.fail(this.closer === '' ? 'unexpected end of input' : `unexpected '${this.closer}'`, start);
    return v;
  }

  private readSeq(close: string, start: number): EdnValue[] {
    const items: EdnValue[] = [];
    for (;;) {
      const v = this.readForm();
      if (v === NONE) {
        if (this.closer === close) return items;
        if (this.closer === '') this.fail(`unterminated collection, expected '${close}'`, start);
        this.fail(`expected '${close}' but found '${this.closer}'`, this.pos - 1);
      }
      items.push(v);
    }
  }

  private readMap(items: EdnValue[]): EdnMap {
    if (items.length % 2 !== 0) this.fail('map literal with an odd number of forms', this.pos - 1);
    return EdnMap.fromFlat(items);
  }

  private readDispatch(start: number): Read {
    const t = this.text;
    const c = t[this.pos] ?? '';
    if (c === '{') {
      this.pos++;
      return new EdnSet(this.readSeq('}', start));
    }
    if (c === '_') {
      this.pos++;
      this.readRequired(start);
      return NONE;
    }
    if (c === '#') {
      this.pos++;
      const sym = this.readToken();
      if (sym === 'Inf') return Infinity;
      if (sym === '-Inf') return -Infinity;
      if (sym === 'NaN') return NaN;
      this.fail(`unknown symbolic value ##${sym}`, start);
    }
    if (c === '"') {
      // regex literal: keep its source
      this.pos++;
      return new EdnTagged('regex', this.readString(start + 1));
    }
    if (c === '' || isDelimiter(c)) this.fail("unexpected character after '#'", start);
    const tag = this.readToken();
    const value = this.readRequired(start);
    return new EdnTagged(tag, value);
  }

  private readToken(): string {
    const t = this.text;
    const s = this.pos;
    const n = t.length;
    while (this.pos < n && !isDelimiterCode(t.charCodeAt(this.pos))) this.pos++;
    return t.slice(s, this.pos);
  }

  private readString(start: number): string {
    const t = this.text;
    let out = '';
    let chunk = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail('unterminated string', start);
      const c = t.charCodeAt(this.pos);
      if (c === 34 /* " */) {
        out += t.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c === 92 /* \ */) {
        out += t.slice(chunk, this.pos);
        const e = t[this.pos + 1] ?? '';
        this.pos += 2;
        switch (e) {
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case 'r':
            out += '\r';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case '"':
          case '\\':
          case "'":
            out += e;
            break;
          case 'u': {
            const hex = t.slice(this.pos, this.pos + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape in string', this.pos - 2);
            out += String.fromCharCode(parseInt(hex, 16));
            this.pos += 4;
            break;
          }
          default:
            this.fail(`bad escape '\\${e}' in string`, this.pos - 2);
        }
        chunk = this.pos;
        continue;
      }
      this.pos++;
    }
  }

  private readChar(start: number): EdnChar {
    const t = this.text;
    const first = t[this.pos] ?? '';
    if (first === '') this.fail('end of input in character literal', start);
    this.pos++;
    let tok = first;
    while (this.pos < t.length && !isDelimiter(t[this.pos] ?? ' ')) tok += t[this.pos++] ?? '';
    if (tok.length === 1) return new EdnChar(tok);
    const named = NAMED_CHARS[tok];
    if (named !== undefined) return new EdnChar(named);
    if (/^u[0-9a-fA-F]{4}$/.test(tok)) return new EdnChar(String.fromCharCode(parseInt(tok.slice(1), 16)));
    return this.fail(`unknown character literal \\${tok}`, start);
  }

  private readAtom(): EdnValue {
    const start = this.pos;
    const tok = this.readToken();
    if (tok === '') this.fail(`unexpected '${this.text[start] ?? ''}'`, start);
    if (tok === 'nil') return null;
    if (tok === 'true') return true;
    if (tok === 'false') return false;
    const c0 = tok.charCodeAt(0);
    const c1 = tok.charCodeAt(1);
    const isDigit = (c: number): boolean => c >= 48 && c <= 57;
    if (isDigit(c0) || ((c0 === 45 || c0 === 43) && isDigit(c1))) return this.parseNumber(tok, start);
    if (c0 === 58 /* : */) {
      const name = tok.startsWith('::') ? tok.slice(2) : tok.slice(1);
      if (name === '') this.fail('empty keyword', start);
      return Keyword.of(name);
    }
    return new EdnSymbol(tok);
  }

  private parseNumber(tok: string, start: number): number | bigint {
    if (tok.length <= 15 && /^[-+]?\d+$/.test(tok)) return Number(tok);
    let m = /^([-+]?)(\d+)(N?)$/.exec(tok);
    if (m !== null) {
      const big = BigInt(`${m[1] === '-' ? '-' : ''}${m[2] ?? '0'}`);
      return toSafeInteger(big);
    }
    m = /^([-+]?)0[xX]([0-9a-fA-F]+)(N?)$/.exec(tok);
    if (m !== null) {
      const big = BigInt(`0x${m[2] ?? '0'}`);
      return toSafeInteger(m[1] === '-' ? -big : big);
    }
    m = /^([-+]?)(\d+)\/(\d+)$/.exec(tok);
    if (m !== null) {
      const v = Number(m[2]) / Number(m[3]);
      return m[1] === '-' ? -v : v;
    }
    if (/^[-+]?\d+(\.\d*)?([eE][-+]?\d+)?M?$/.test(tok)) {
      return Number(tok.endsWith('M') ? tok.slice(0, -1) : tok);
    }
    return this.fail(`bad number '${tok}'`, start);
  }
}

function toSafeInteger(big: bigint): number | bigint {
  return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(big) : big;
}

/** Parses exactly one EDN form (surrounding whitespace and comments allowed). */
export function parseEdn(text: string): EdnValue {
  const r = new EdnReader(text);
  const v = r.read();
  if (!r.atEnd()) r.fail('unexpected data after the form', r.offset);
  return v;
}

/** Parses every top-level form of a string. */
export function parseEdnAll(text: string): EdnValue[] {
  const r = new EdnReader(text);
  const out: EdnValue[] = [];
  while (!r.atEnd()) out.push(r.read());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Printing and equality

const NEEDS_ESCAPE = /[\\"\n\t\r]/;

function printString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  return `"${s.replace(/[\\"\n\t\r]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : `\\${c}`))}"`;
}

function printNumber(n: number): string {
  if (Number.isNaN(n)) return '##NaN';
  if (n === Infinity) return '##Inf';
  if (n === -Infinity) return '##-Inf';
  return String(n);
}

function printChar(c: string): string {
  for (const [name, ch] of Object.entries(NAMED_CHARS)) if (ch === c) return `\\${name}`;
  return `\\${c}`;
}

/** Prints a value as EDN (collections in their own order). */
export function printEdn(v: EdnValue): string {
  return print(v, false);
}

/**
 * A canonical string for a value: equal values (in Clojure's sense: lists equal vectors, sets and
 * maps regardless of order, 1 = 1N) give equal keys. Used for hashing and equality.
 */
export function ednKey(v: EdnValue): string {
  return print(v, true);
}

function print(v: EdnValue, canonical: boolean): string {
  if (v === null) return 'nil';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return printNumber(v);
    case 'bigint':
      return canonical ? v.toString() : `${v.toString()}N`;
    case 'string':
      return printString(v);
    default:
      break;
  }
  if (v instanceof Keyword) return `:${v.name}`;
  if (v instanceof EdnSymbol) return v.name;
  if (v instanceof EdnChar) return printChar(v.char);
  if (isVector(v)) return `[${v.map((x) => print(x, canonical)).join(' ')}]`;
  if (v instanceof EdnList) {
    const inner = v.items.map((x) => print(x, canonical)).join(' ');
    return canonical ? `[${inner}]` : `(${inner})`;
  }
  if (v instanceof EdnSet) {
    const items = v.items.map((x) => print(x, canonical));
    if (canonical) items.sort();
    return `#{${items.join(' ')}}`;
  }
  if (v instanceof EdnMap) {
    const items = v.entries.map(([k, x]) => `${print(k, canonical)} ${print(x, canonical)}`);
    if (canonical) items.sort();
    return `{${items.join(', ')}}`;
  }
  return `#${v.tag} ${print(v.value, canonical)}`;
}

/** Clojure-style value equality. */
export function ednEquals(a: EdnValue, b: EdnValue): boolean {
  if (a === b) return true;
  const ta = typeof a;
  const tb = typeof b;
  // fast paths for scalars
  if (ta !== 'object' && tb !== 'object') {
    if ((ta === 'number' || ta === 'bigint') && (tb === 'number' || tb === 'bigint')) {
      return ednKey(a) === ednKey(b);
    }
    return false;
  }
  if (a === null || b === null) return false;
  return ednKey(a) === ednKey(b);
}

/** Converts a value to plain JSON-compatible data (keywords as ":name" strings, bigints as strings). */
export function ednToJson(v: EdnValue): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : printNumber(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Keyword) return `:${v.name}`;
  if (isVector(v)) return v.map(ednToJson);
  if (v instanceof EdnList || v instanceof EdnSet) return v.items.map(ednToJson);
  if (v instanceof EdnMap) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v.entries) out[typeof k === 'string' ? k : printEdn(k)] = ednToJson(x);
    return out;
  }
  return printEdn(v);
}
