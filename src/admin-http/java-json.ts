/**
 * JSON written exactly as ZooKeeper 3.8's AdminServer writes it: Jackson's ObjectMapper with
 * INDENT_OUTPUT (DefaultPrettyPrinter), so clients and scripts that compare text see the same bytes.
 *
 * Layout (DefaultPrettyPrinter): objects put each entry on its own line, indented by two spaces per
 * level, as `"key" : value`; an empty object is `{ }`. Arrays stay on one line, `[ a, b ]`, empty
 * `[ ]`, and do not add a level (an object inside an array is indented from the enclosing object).
 * No newline after the root value.
 *
 * Values: Java distinguishes integers (int/long) from doubles, and prints a double with
 * Double.toString (`0.0`, `3.1409`, `1.0E7`), so the model keeps them apart: a `number` or `bigint`
 * is an integer, a {@link JsonDouble} a double. NaN and infinities are written as strings, as
 * Jackson does by default. Strings escape `"`, `\` and control characters only (`\n`, `\t`, `\r`,
 * `\b`, `\f`, else `\u00XX` in upper-case hex); everything else is written as is (UTF-8).
 */

import { javaDouble, javaLong } from '../admin/index.js';

/** A Java double: printed with Double.toString. */
export class JsonDouble {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

export const jsonDouble = (value: number): JsonDouble => new JsonDouble(value);

/** An object, keys in insertion order (a Java LinkedHashMap / bean property order). */
export type JavaJsonObject = ReadonlyMap<string, JavaJson>;

/** A JSON value as Jackson would write the Java value it came from. */
export type JavaJson = null | boolean | string | number | bigint | JsonDouble | readonly JavaJson[] | JavaJsonObject;

/** Builds an object from entries, in their order. */
export function jsonObject(entries: Iterable<readonly [string, JavaJson]>): JavaJsonObject {
  return new Map(entries);
}

function isObject(value: JavaJson): value is JavaJsonObject {
  return value instanceof Map;
}

const SHORT_ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x08, '\\b'],
  [0x09, '\\t'],
  [0x0a, '\\n'],
  [0x0c, '\\f'],
  [0x0d, '\\r'],
  [0x22, '\\"'],
  [0x5c, '\\\\'],
]);

/** A JSON string literal as Jackson escapes it. */
export function jacksonString(text: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 && code !== 0x22 && code !== 0x5c) continue;
    out += text.slice(start, i);
    out += SHORT_ESCAPES.get(code) ?? `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    start = i + 1;
  }
  return `${out}${text.slice(start)}"`;
}

function indentation(level: number): string {
  return `\n${'  '.repeat(level)}`;
}

function write(out: string[], value: JavaJson, level: number): void {
  if (value === null) {
    out.push('null');
  } else if (typeof value === 'boolean') {
    out.push(value ? 'true' : 'false');
  } else if (typeof value === 'string') {
    out.push(jacksonString(value));
  } else if (typeof value === 'number') {
    out.push(javaLong(value));
  } else if (typeof value === 'bigint') {
    out.push(BigInt.asIntN(64, value).toString());
  } else if (value instanceof JsonDouble) {
    const text = javaDouble(value.value);
    out.push(Number.isFinite(value.value) ? text : jacksonString(text));
  } else if (isObject(value)) {
    if (value.size === 0) {
      out.push('{ }');
      return;
    }
    out.push('{');
    let first = true;
    for (const [key, entry] of value) {
      if (!first) out.push(',');
      first = false;
      out.push(indentation(level + 1), jacksonString(key), ' : ');
      write(out, entry, level + 1);
    }
    out.push(indentation(level), '}');
  } else {
    if (value.length === 0) {
      out.push('[ ]');
      return;
    }
    out.push('[ ');
    value.forEach((item, index) => {
      if (index > 0) out.push(', ');
      write(out, item, level);
    });
    out.push(' ]');
  }
}

/** `value` as Jackson's pretty printer writes it. */
export function renderJacksonJson(value: JavaJson): string {
  const out: string[] = [];
  write(out, value, 0);
  return out.join('');
}
