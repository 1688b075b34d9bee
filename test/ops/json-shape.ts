// The shape of a JSON text: object keys in order and the type of every value, telling integers
// (`0`) from doubles (`0.0`) as Java does, which JSON.parse cannot. Used to compare our
// AdminServer answers with Apache ZooKeeper's when the values themselves differ.

export type JsonShape =
  | 'int'
  | 'double'
  | 'string'
  | 'boolean'
  | 'null'
  | { readonly array: readonly JsonShape[] }
  | { readonly object: ReadonlyArray<readonly [string, JsonShape]> };

export function jsonShape(text: string): JsonShape {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`jsonShape: ${what} at ${at} in ${text.slice(Math.max(0, at - 20), at + 20)}`);
  };
  const skipSpace = (): void => {
    while (at < text.length && ' \n\r\t'.includes(text.charAt(at))) at++;
  };
  const readString = (): string => {
    const start = at;
    at++;
    while (at < text.length && text.charAt(at) !== '"') at += text.charAt(at) === '\\' ? 2 : 1;
    if (at >= text.length) fail('unterminated string');
    at++;
    const parsed: unknown = JSON.parse(text.slice(start, at));
    return typeof parsed === 'string' ? parsed : fail('bad string');
  };
  const value = (): JsonShape => {
    skipSpace();
    const c = text.charAt(at);
    if (c === '{') {
      at++;
      const entries: Array<readonly [string, JsonShape]> = [];
      skipSpace();
      if (text.charAt(at) === '}') {
        at++;
        return { object: entries };
      }
      for (;;) {
        skipSpace();
        const key = readString();
        skipSpace();
        if (text.charAt(at) !== ':') fail('expected :');
        at++;
        entries.push([key, value()]);
        skipSpace();
        const next = text.charAt(at++);
        if (next === '}') return { object: entries };
        if (next !== ',') fail('expected , or }');
      }
    }
    if (c === '[') {
      at++;
      const items: JsonShape[] = [];
      skipSpace();
      if (text.charAt(at) === ']') {
        at++;
        return { array: items };
      }
      for (;;) {
        items.push(value());
        skipSpace();
        const next = text.charAt(at++);
        if (next === ']') return { array: items };
        if (next !== ',') fail('expected , or ]');
      }
    }
    if (c === '"') {
      readString();
      return 'string';
    }
    for (const [word, shape] of [['true', 'boolean'], ['false', 'boolean'], ['null', 'null']] as const) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return shape;
      }
    }
    const number = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/u.exec(text.slice(at));
    if (number === null) return fail('unexpected character');
    at += number[0].length;
    return number[1] === undefined && number[2] === undefined ? 'int' : 'double';
  };
  const shape = value();
  skipSpace();
  if (at !== text.length) fail('trailing text');
  return shape;
}
