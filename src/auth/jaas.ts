// SASL users of a 3.8 server are declared in a JAAS login file (java.security.auth.login.config),
// whose "Server" section lists `user_<name>="<password>"` options. Operators reuse those files as
// they are, so we read them with the JDK's grammar (sun.security.provider.ConfigFile on top of
// java.io.StreamTokenizer): /* */ and // comments, double-quoted values with backslash escapes,
// ${property} expansion, and the same errors for the same mistakes.

import { ConfigError } from '../config/errors.js';

export type JaasControlFlag = 'required' | 'requisite' | 'sufficient' | 'optional';

export interface JaasLoginModule {
  readonly className: string;
  readonly flag: JaasControlFlag;
  /** Options in file order; a key given twice keeps the later value. */
  readonly options: ReadonlyMap<string, string>;
}

export interface JaasConfig {
  /** Application (section) name → its login modules, in file order. */
  readonly sections: ReadonlyMap<string, readonly JaasLoginModule[]>;
}

export interface ParseJaasOptions {
  /** File name for messages. */
  readonly source?: string;
  /** Value of a system property for ${name} expansion; undefined means not set (an error, as in Java). */
  readonly lookupProperty?: (name: string) => string | undefined;
}

type Token =
  | { readonly type: 'eof'; readonly line: number }
  | { readonly type: 'word'; readonly text: string; readonly line: number }
  | { readonly type: 'quoted'; readonly quote: string; readonly text: string; readonly line: number }
  | { readonly type: 'number'; readonly line: number }
  | { readonly type: 'char'; readonly char: string; readonly line: number };

const isWhitespace = (code: number): boolean => code <= 0x20;
const isAlpha = (code: number): boolean =>
  (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 160 && code <= 255) ||
  code >= 256 || code === 0x24 || code === 0x5f || code === 0x2d || code === 0x2a;
const isDigit = (code: number): boolean => (code >= 0x30 && code <= 0x39) || code === 0x2e || code === 0x2d;

/** java.io.StreamTokenizer as ConfigFile configures it (EOLs are skipped here, lines are counted). */
class Tokenizer {
  #pos = 0;
  #line = 1;

  constructor(private readonly text: string) {}

  #peek(): number {
    return this.#pos < this.text.length ? this.text.charCodeAt(this.#pos) : -1;
  }

  #read(): number {
    const code = this.#peek();
    if (code >= 0) {
      this.#pos++;
      // Count "\r\n" once, at the '\n'.
      if (code === 0x0a || (code === 0x0d && this.#peek() !== 0x0a)) this.#line++;
    }
    return code;
  }

  /** Skips to the end of the line, leaving the line break unread. */
  #skipLine(): void {
    let c = this.#peek();
    while (c >= 0 && c !== 0x0a && c !== 0x0d) {
      this.#read();
      c = this.#peek();
    }
  }

  next(): Token {
    for (;;) {
      let c = this.#peek();
      while (c >= 0 && isWhitespace(c)) {
        this.#read();
        c = this.#peek();
      }
      const line = this.#line;
      if (c < 0) return { type: 'eof', line };

      if (isDigit(c)) {
        this.#read();
        if (c === 0x2d) {
          const n = this.#peek();
          if (n !== 0x2e && !(n >= 0x30 && n <= 0x39)) return { type: 'char', char: '-', line };
        }
        while (this.#peek() >= 0 && ((this.#peek() >= 0x30 && this.#peek() <= 0x39) || this.#peek() === 0x2e)) this.#read();
        return { type: 'number', line };
      }

      if (isAlpha(c)) {
        const start = this.#pos;
        while (this.#peek() >= 0 && (isAlpha(this.#peek()) || isDigit(this.#peek()))) this.#read();
        return { type: 'word', text: this.text.slice(start, this.#pos), line };
      }

      if (c === 0x22 || c === 0x27) {
        this.#read();
        return { type: 'quoted', quote: String.fromCharCode(c), text: this.#quoted(c), line };
      }

      if (c === 0x2f) {
        this.#read();
        const n = this.#read();
        if (n === 0x2a) {
          if (this.#blockComment()) continue;
          return { type: 'eof', line: this.#line };
        }
        // "//" and, because '/' is also StreamTokenizer's comment character, a lone '/' both start a
        // comment running to the end of the line. The character after the '/' is already consumed,
        // so a '/' at the very end of a line swallows the next line, as in Java.
        this.#skipLine();
        continue;
      }

      this.#read();
      return { type: 'char', char: String.fromCharCode(c), line };
    }
  }

  /** Reads a quoted string body; it ends at the matching quote or (unterminated) at a line break. */
  #quoted(quote: number): string {
    let out = '';
    let d = this.#peek();
    while (d >= 0 && d !== quote && d !== 0x0a && d !== 0x0d) {
      this.#read();
      if (d !== 0x5c) {
        out += String.fromCharCode(d);
        d = this.#peek();
        continue;
      }
      const first = this.#read();
      if (first < 0) break;
      if (first >= 0x30 && first <= 0x37) {
        let value = first - 0x30;
        let c2 = this.#peek();
        if (c2 >= 0x30 && c2 <= 0x37) {
          this.#read();
          value = (value << 3) + (c2 - 0x30);
          c2 = this.#peek();
          if (c2 >= 0x30 && c2 <= 0x37 && first <= 0x33) {
            this.#read();
            value = (value << 3) + (c2 - 0x30);
          }
        }
        out += String.fromCharCode(value);
      } else {
        const escapes: Readonly<Record<string, string>> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
        const ch = String.fromCharCode(first);
        out += escapes[ch] ?? ch;
      }
      d = this.#peek();
    }
    if (d === quote) this.#read();
    return out;
  }

  /** Consumes a block comment after the opening slash-star (StreamTokenizer's loop); false at end of input. */
  #blockComment(): boolean {
    let prev = 0;
    for (;;) {
      let c = this.#read();
      if (c === 0x2f && prev === 0x2a) return true;
      // As in Java, the character right after a line break is taken without checking it for '/'.
      if (c === 0x0d) {
        c = this.#read();
        if (c === 0x0a) c = this.#read();
      } else if (c === 0x0a) {
        c = this.#read();
      }
      if (c < 0) return false;
      prev = c;
    }
  }
}

function describe(token: Token): string {
  switch (token.type) {
    case 'eof':
      return 'end of file';
    case 'word':
      return token.text;
    case 'quoted':
      return `${token.quote}${token.text}${token.quote}`;
    case 'number':
      return 'a number';
    case 'char':
      return token.char;
  }
}

/** PropertyExpander.expand: ${name} from system properties, ${{...}} left alone, ${/} is '/'. */
function expandProperties(value: string, lookup: (name: string) => string | undefined, fail: (problem: string) => ConfigError): string {
  let p = value.indexOf('${');
  if (p < 0) return value;
  let out = '';
  let i = 0;
  while (p < value.length) {
    if (p > i) out += value.slice(i, p);
    let pe = p + 2;
    if (pe < value.length && value[pe] === '{') {
      pe = value.indexOf('}}', pe);
      if (pe < 0 || pe + 2 === value.length) {
        out += value.slice(p);
        return out;
      }
      pe++;
      out += value.slice(p, pe + 1);
    } else {
      while (pe < value.length && value[pe] !== '}') pe++;
      if (pe === value.length) {
        out += value.slice(p, pe);
        return out;
      }
      const name = value.slice(p + 2, pe);
      if (name === '/') {
        out += '/';
      } else {
        const expanded = lookup(name);
        if (expanded === undefined) throw fail(`unable to expand property ${name}`);
        out += expanded;
      }
    }
    i = pe + 1;
    p = value.indexOf('${', i);
    if (p < 0) {
      if (i < value.length) out += value.slice(i);
      return out;
    }
  }
  return out;
}

const CONTROL_FLAGS: Readonly<Record<string, JaasControlFlag>> = {
  REQUIRED: 'required',
  REQUISITE: 'requisite',
  SUFFICIENT: 'sufficient',
  OPTIONAL: 'optional',
};

/** Parses a JAAS login configuration file. Throws ConfigError (with file and line) on bad syntax. */
export function parseJaasFile(text: string, options: ParseJaasOptions = {}): JaasConfig {
  const source = options.source ?? 'JAAS configuration';
  const lookup = options.lookupProperty ?? ((): string | undefined => undefined);
  const tokens = new Tokenizer(text);
  let lookahead = tokens.next();

  const fail = (problem: string, token: Token = lookahead): ConfigError =>
    new ConfigError(problem, { origin: { kind: 'file', path: source, line: token.line } });
  const match = (expect: string): string => {
    const token = lookahead;
    const wantsText = expect === 'module class name' || expect === 'control flag' || expect === 'option key' || expect === 'option value';
    if (wantsText) {
      if (token.type === 'word' || (token.type === 'quoted' && token.quote === '"')) {
        lookahead = tokens.next();
        return token.text;
      }
    } else if (token.type === 'char' && token.char === expect) {
      lookahead = tokens.next();
      return expect;
    }
    if (token.type === 'eof') throw fail(`expected [${expect}], read [end of file]`);
    throw fail(`expected [${expect}], found [${describe(token)}]`);
  };
  const peekChar = (char: string): boolean => lookahead.type === 'char' && lookahead.char === char;

  const sections = new Map<string, JaasLoginModule[]>();
  while (lookahead.type !== 'eof') {
    const nameToken = lookahead;
    if (nameToken.type !== 'word' && !(nameToken.type === 'quoted' && nameToken.quote === '"')) {
      throw fail(`expected [application name], found [${describe(nameToken)}]`);
    }
    const appName = nameToken.text;
    lookahead = tokens.next();
    match('{');
    const modules: JaasLoginModule[] = [];
    while (!peekChar('}')) {
      const className = match('module class name');
      const flagToken = lookahead;
      const flagText = match('control flag');
      const flag = CONTROL_FLAGS[flagText.toUpperCase()];
      if (flag === undefined) throw fail(`invalid control flag, ${flagText}`, flagToken);
      const moduleOptions = new Map<string, string>();
      while (!peekChar(';')) {
        const key = match('option key');
        match('=');
        const valueToken = lookahead;
        const raw = match('option value');
        let value = raw;
        if (raw !== '') {
          value = expandProperties(raw, lookup, (problem) => fail(problem, valueToken));
          if (value === '') throw fail(`system property value ${raw} expanded to empty value`, valueToken);
        }
        moduleOptions.set(key, value);
      }
      lookahead = tokens.next();
      modules.push(Object.freeze({ className, flag, options: moduleOptions }));
    }
    match('}');
    match(';');
    if (sections.has(appName)) throw fail(`can not specify multiple entries for ${appName}`, nameToken);
    sections.set(appName, modules);
  }
  return Object.freeze({ sections });
}

export interface DigestUsersOptions {
  /** zookeeper.SASLAuthenticationProvider.superPassword: replaces the password of a declared "super". */
  readonly superPassword?: string | null;
}

/**
 * The DIGEST-MD5 users of a JAAS section: every `user_<name>` option of every login module in it
 * (3.8 does not look at the module class), name → password.
 */
export function digestUsersFromJaas(section: readonly JaasLoginModule[], options: DigestUsersOptions = {}): Map<string, string> {
  const users = new Map<string, string>();
  for (const module of section) {
    for (const [key, value] of module.options) {
      if (key.startsWith('user_')) users.set(key.slice('user_'.length), value);
    }
  }
  if (options.superPassword !== undefined && options.superPassword !== null && users.has('super')) {
    users.set('super', options.superPassword);
  }
  return users;
}

/** The file behind a java.security.auth.login.config value (a leading "=" and a file: URL allowed). */
export function jaasConfigFilePath(propertyValue: string): string {
  const value = propertyValue.startsWith('=') ? propertyValue.slice(1) : propertyValue;
  if (value.startsWith('file:')) {
    try {
      return decodeURIComponent(new URL(value).pathname);
    } catch {
      return value.slice('file:'.length);
    }
  }
  return value;
}
