// zoo.cfg is read by 3.8 with java.util.Properties.load, whose rules differ from an ini or dotenv
// parser in ways existing files depend on: `key value` and `key:value` work like `key=value`, a
// comment is only a comment at the start of a line, a trailing backslash joins the next line, and
// backslash escapes (\t, \uXXXX, \=, ...) are decoded. Reading files with the same rules keeps a
// config that works on 3.8 meaning exactly the same here.

import { ConfigError } from './errors.js';

/** One `key=value` pair as Properties.load produces it (not yet trimmed the way 3.8 then trims). */
export interface ZooCfgEntry {
  readonly key: string;
  readonly value: string;
  /** 1-based line where the logical line (the key) starts. */
  readonly line: number;
}

export interface ParsedZooCfg {
  /** File name used in messages. */
  readonly source: string;
  /** The whole text, which 3.8 keeps as the server's "initial config". */
  readonly text: string;
  /** Every pair in file order; a key given twice appears twice (the later one wins). */
  readonly entries: readonly ZooCfgEntry[];
}

interface LogicalLine {
  readonly chars: string;
  readonly line: number;
}

const isBlank = (c: string): boolean => c === ' ' || c === '\t' || c === '\f';
const isEol = (c: string): boolean => c === '\n' || c === '\r';

/** Splits text into Properties "logical lines": comments and blank lines dropped, continuations joined. */
function logicalLines(text: string): LogicalLine[] {
  const result: LogicalLine[] = [];
  let pos = 0;
  let lineNo = 1;
  const n = text.length;

  const consumeEol = (): void => {
    // Caller is positioned on '\r' or '\n'; treat "\r\n" as one line break.
    if (text[pos] === '\r' && text[pos + 1] === '\n') pos++;
    pos++;
    lineNo++;
  };

  while (pos < n) {
    // Leading whitespace and empty lines before a logical line.
    const c = text.charAt(pos);
    if (isBlank(c)) {
      pos++;
      continue;
    }
    if (isEol(c)) {
      consumeEol();
      continue;
    }
    const startLine = lineNo;
    if (c === '#' || c === '!') {
      while (pos < n && !isEol(text.charAt(pos))) pos++;
      continue;
    }
    let buf = '';
    let precedingBackslash = false;
    while (pos < n) {
      const ch = text.charAt(pos);
      if (!isEol(ch)) {
        buf += ch;
        precedingBackslash = ch === '\\' ? !precedingBackslash : false;
        pos++;
        continue;
      }
      if (!precedingBackslash) break;
      // Continuation: drop the backslash, the line break and the next line's leading whitespace.
      buf = buf.slice(0, -1);
      precedingBackslash = false;
      consumeEol();
      while (pos < n && isBlank(text.charAt(pos))) pos++;
    }
    if (precedingBackslash) buf = buf.slice(0, -1); // a backslash right before end of input
    result.push({ chars: buf, line: startLine });
  }
  return result;
}

function unescape(raw: string, source: string, line: number): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charAt(i);
    if (c !== '\\') {
      out += c;
      continue;
    }
    i++;
    const next = raw.charAt(i);
    if (next === 'u') {
      const hex = raw.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        throw new ConfigError('malformed \\uxxxx escape', { origin: { kind: 'file', path: source, line } });
      }
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 4;
    } else if (next === 't') out += '\t';
    else if (next === 'r') out += '\r';
    else if (next === 'n') out += '\n';
    else if (next === 'f') out += '\f';
    else out += next;
  }
  return out;
}

/** Parses zoo.cfg text as java.util.Properties.load does. `source` names the file in errors. */
export function parseZooCfg(text: string, source: string): ParsedZooCfg {
  const entries: ZooCfgEntry[] = [];
  for (const { chars, line } of logicalLines(text)) {
    const limit = chars.length;
    let keyLen = 0;
    let valueStart = limit;
    let hasSep = false;
    let precedingBackslash = false;
    while (keyLen < limit) {
      const c = chars.charAt(keyLen);
      if ((c === '=' || c === ':') && !precedingBackslash) {
        valueStart = keyLen + 1;
        hasSep = true;
        break;
      }
      if (isBlank(c) && !precedingBackslash) {
        valueStart = keyLen + 1;
        break;
      }
      precedingBackslash = c === '\\' ? !precedingBackslash : false;
      keyLen++;
    }
    while (valueStart < limit) {
      const c = chars.charAt(valueStart);
      if (!isBlank(c)) {
        if (!hasSep && (c === '=' || c === ':')) hasSep = true;
        else break;
      }
      valueStart++;
    }
    entries.push({
      key: unescape(chars.slice(0, keyLen), source, line),
      value: unescape(chars.slice(valueStart), source, line),
      line,
    });
  }
  return Object.freeze({ source, text, entries: Object.freeze(entries.map((e) => Object.freeze(e))) });
}
