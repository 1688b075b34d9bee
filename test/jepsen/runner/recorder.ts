/**
 * Records a run's history as Jepsen does: op maps with :index, :time (ns since the start of the
 * run), :type (:invoke :ok :fail :info), :process (an integer for clients, :nemesis, :events),
 * :f and :value, plus :node (the server the client was connected to), :session (0x hex) and :zxid
 * (the client's last seen zxid after the op), :error when failed. Written as history.edn, one op
 * map per line.
 */
import { createWriteStream, type WriteStream } from 'node:fs';

import { EdnMap, Keyword, kw, printEdn, type EdnValue } from '../history/edn.js';

export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

export interface OpMeta {
  readonly node?: string | undefined;
  readonly session?: string | undefined;
  readonly zxid?: bigint | undefined;
  readonly error?: EdnValue | undefined;
}

export interface RecordedOp extends OpMeta {
  readonly index: number;
  readonly time: bigint;
  readonly type: OpType;
  readonly process: number | string;
  readonly f: string;
  readonly value: EdnValue;
}

/** Converts plain JS data into EDN (strings stay strings; object keys become keywords). */
export function toEdn(v: unknown): EdnValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (v instanceof Keyword) return v;
  if (Array.isArray(v)) return v.map(toEdn);
  if (typeof v === 'object') {
    if (v instanceof EdnMap) return v;
    return new EdnMap(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).map(([k, x]) => [kw(k), toEdn(x)] as const));
  }
  return String(v);
}

export function opToEdn(op: RecordedOp): EdnMap {
  const entries: [EdnValue, EdnValue][] = [
    [kw('index'), op.index],
    [kw('time'), op.time <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(op.time) : op.time],
    [kw('type'), kw(op.type)],
    [kw('process'), typeof op.process === 'number' ? op.process : kw(op.process)],
    [kw('f'), kw(op.f)],
    [kw('value'), op.value],
  ];
  if (op.node !== undefined) entries.push([kw('node'), op.node]);
  if (op.session !== undefined) entries.push([kw('session'), op.session]);
  if (op.zxid !== undefined) entries.push([kw('zxid'), op.zxid <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(op.zxid) : op.zxid]);
  if (op.error !== undefined) entries.push([kw('error'), op.error]);
  return new EdnMap(entries);
}

export function opLine(op: RecordedOp): string {
  return printEdn(opToEdn(op));
}

export class Recorder {
  readonly ops: RecordedOp[] = [];
  private readonly start: bigint;
  private stream: WriteStream | undefined;

  constructor(start: bigint = process.hrtime.bigint()) {
    this.start = start;
  }

  /** Streams every op to `path` as it is recorded (so a crashed run still leaves its history). */
  streamTo(path: string): void {
    this.stream = createWriteStream(path, { flags: 'w' });
  }

  now(): bigint {
    return process.hrtime.bigint() - this.start;
  }

  /** Milliseconds since the start. */
  elapsedMs(): number {
    return Number(this.now()) / 1e6;
  }

  record(type: OpType, process: number | string, f: string, value: EdnValue, meta: OpMeta = {}): RecordedOp {
    const op: RecordedOp = {
      index: this.ops.length,
      time: this.now(),
      type,
      process,
      f,
      value,
      ...(meta.node === undefined ? {} : { node: meta.node }),
      ...(meta.session === undefined ? {} : { session: meta.session }),
      ...(meta.zxid === undefined ? {} : { zxid: meta.zxid }),
      ...(meta.error === undefined ? {} : { error: meta.error }),
    };
    this.ops.push(op);
    this.stream?.write(`${opLine(op)}\n`);
    return op;
  }

  /** A nemesis or event op: as Jepsen records them, an :info "invocation" and its :info completion. */
  recordInfoPair(process: string, f: string, invokeValue: EdnValue, completionValue: EdnValue, meta: OpMeta = {}): void {
    this.record('info', process, f, invokeValue);
    this.record('info', process, f, completionValue, meta);
  }

  async close(): Promise<void> {
    const s = this.stream;
    this.stream = undefined;
    if (s === undefined) return;
    await new Promise<void>((resolve) => s.end(() => resolve()));
  }

  text(): string {
    return this.ops.map((op) => `${opLine(op)}\n`).join('');
  }
}
