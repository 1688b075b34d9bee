/**
 * Jepsen histories: `history.edn` (one op map per line, or any sequence of op maps, or one vector of
 * them) parsed into typed {@link Operation}s.
 */
import { readFile } from 'node:fs/promises';

import {
  EdnMap,
  EdnReader,
  EdnSyntaxError,
  EdnTagged,
  Keyword,
  isVector,
  printEdn,
  type EdnValue,
} from './edn.js';

export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

export interface Operation {
  /** A client process number, or the name of a keyword process such as `nemesis`. */
  readonly process: number | string;
  readonly type: OpType;
  /** The operation's function, e.g. `read`, `write`, `cas` (a keyword's name). */
  readonly f: string;
  readonly value: EdnValue;
  /** Nanoseconds since the start of the test, when present. */
  readonly time?: number;
  /** `:index` when present, else the op's position in the file. */
  readonly index: number;
  readonly error?: EdnValue;
  /** 1-based line of the op in its file. */
  readonly line: number;
  /** The whole op map (extra keys such as :node, :session or :zxid). */
  readonly raw: EdnMap;
}

export class HistoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HistoryError';
  }
}

const TYPES: ReadonlySet<string> = new Set(['invoke', 'ok', 'fail', 'info']);

function name(v: EdnValue | undefined): string | undefined {
  if (v instanceof Keyword) return v.name;
  if (typeof v === 'string') return v;
  return undefined;
}

function toOperation(form: EdnValue, position: number, line: number): Operation {
  let map: EdnValue = form;
  // records print as tagged maps: #jepsen.history.Op{...}
  while (map instanceof EdnTagged) map = map.value;
  if (!(map instanceof EdnMap)) {
    throw new HistoryError(`line ${line}: expected an op map, found ${printEdn(form).slice(0, 80)}`);
  }
  const type = name(map.getKw('type'));
  if (type === undefined || !TYPES.has(type)) {
    throw new HistoryError(`line ${line}: op without a valid :type (invoke, ok, fail or info)`);
  }
  const rawProcess = map.getKw('process');
  let process: number | string;
  if (typeof rawProcess === 'number' && Number.isInteger(rawProcess)) process = rawProcess;
  else if (typeof rawProcess === 'bigint') process = Number(rawProcess);
  else if (rawProcess instanceof Keyword) process = rawProcess.name;
  else if (typeof rawProcess === 'string') process = rawProcess;
  else throw new HistoryError(`line ${line}: op without an integer or keyword :process`);
  const rawF = map.getKw('f');
  const f = name(rawF) ?? (rawF === undefined || rawF === null ? '' : printEdn(rawF));
  const rawIndex = map.getKw('index');
  const index =
    typeof rawIndex === 'number' && Number.isInteger(rawIndex)
      ? rawIndex
      : typeof rawIndex === 'bigint'
        ? Number(rawIndex)
        : position;
  const rawTime = map.getKw('time');
  const time = typeof rawTime === 'number' ? rawTime : typeof rawTime === 'bigint' ? Number(rawTime) : undefined;
  const error = map.getKw('error');
  const op: { -readonly [K in keyof Operation]: Operation[K] } = {
    process,
    type: type as OpType,
    f,
    value: map.getKw('value') ?? null,
    index,
    line,
    raw: map,
  };
  if (time !== undefined) op.time = time;
  if (error !== undefined) op.error = error;
  return op;
}

/** Parses the text of a history file. */
export function parseHistory(text: string): Operation[] {
  const reader = new EdnReader(text);
  const ops: Operation[] = [];
  let line = 1;
  let scanned = 0;
  for (;;) {
    let form: EdnValue;
    try {
      if (reader.atEnd()) break;
      const start = reader.offset;
      for (; scanned < start; scanned++) if (text.charCodeAt(scanned) === 10) line++;
      form = reader.read();
    } catch (e) {
      if (e instanceof EdnSyntaxError) throw new HistoryError(`EDN syntax error: ${e.message}`);
      throw e;
    }
    if (isVector(form)) {
      for (const item of form) ops.push(toOperation(item, ops.length, line));
    } else {
      ops.push(toOperation(form, ops.length, line));
    }
  }
  return ops;
}

/** Reads and parses a history file. */
export async function readHistoryFile(path: string): Promise<Operation[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new HistoryError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return parseHistory(text);
  } catch (e) {
    if (e instanceof HistoryError) throw new HistoryError(`${path}: ${e.message}`);
    throw e;
  }
}

/** A one-line description of an op, for messages. */
export function describeOp(op: Operation): string {
  return `{:index ${op.index}, :type :${op.type}, :process ${typeof op.process === 'number' ? op.process : `:${op.process}`}, :f :${op.f}, :value ${printEdn(op.value)}}`;
}
