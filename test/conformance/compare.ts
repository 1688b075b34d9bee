/**
 * Normalisation of transcripts (so two servers' answers can be compared) and field-by-field diff.
 *
 * - zxids (keys zxid, czxid, mzxid, pzxid) → `Z1`, `Z2`, ... in order of first appearance in the
 *   transcript (handshakes first, then steps in order); 0 and -1 stay literal, because they mean
 *   something (never set / notification).
 * - ctime, mtime → `T`.
 * - session ids (key sessionId, and ephemeralOwner when it is one of the scenario's sessions) →
 *   `S1`, `S2`, ...; 0 stays 0; any other ephemeralOwner (container, TTL encodings, unknown) is kept
 *   as hex.
 */
import type { Value } from './decoders.js';
import type { Transcript } from './scenario.js';

const ZXID_KEYS = new Set(['zxid', 'czxid', 'mzxid', 'pzxid']);
const TIME_KEYS = new Set(['ctime', 'mtime']);
/**
 * Lists whose order Java does not define (it iterates a HashSet): compared as sorted lists unless
 * `strictOrder` is set. Java's actual order is kept in the transcript either way.
 */
const UNORDERED_KEYS = new Set(['children', 'ephemerals']);

class Ordinals {
  private readonly map = new Map<bigint, string>();
  constructor(private readonly prefix: string) {}
  get(v: bigint): string {
    let o = this.map.get(v);
    if (o === undefined) {
      o = `${this.prefix}${String(this.map.size + 1)}`;
      this.map.set(v, o);
    }
    return o;
  }
  lookup(v: bigint): string | undefined {
    return this.map.get(v);
  }
}

function asBigInt(v: Value): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return undefined;
}

function hex64(v: bigint): string {
  return `0x${BigInt.asUintN(64, v).toString(16)}`;
}

export interface NormalisedTranscript {
  scenario: string;
  error: string | null;
  sessions: { name: string; handshake: Value; arrivals: Value }[];
  steps: { label: string; session: string; value: Value }[];
}

export interface NormaliseOptions {
  /** Compare children/ephemerals lists in the order received (default: sorted). */
  strictOrder?: boolean;
}

export function normaliseTranscript(t: Transcript, options: NormaliseOptions = {}): NormalisedTranscript {
  const zxids = new Ordinals('Z');
  const sessions = new Ordinals('S');

  // Register session ids in handshake order so S1 is the first session opened.
  for (const s of t.sessions) {
    const h = s.handshake;
    if (h !== null && typeof h === 'object' && !Array.isArray(h)) {
      const id = asBigInt((h as { readonly [key: string]: Value })['sessionId'] ?? null);
      if (id !== undefined && id !== 0n) sessions.get(id);
    }
  }

  const walk = (v: Value, key: string | undefined): Value => {
    if (key !== undefined) {
      const n = asBigInt(v);
      if (n !== undefined) {
        if (ZXID_KEYS.has(key)) return n === 0n || n === -1n ? n : zxids.get(n);
        if (TIME_KEYS.has(key)) return 'T';
        if (key === 'sessionId') return n === 0n ? n : sessions.get(n);
        if (key === 'ephemeralOwner') return n === 0n ? n : (sessions.lookup(n) ?? hex64(n));
      }
    }
    if (Array.isArray(v)) {
      const arr = (v as readonly Value[]).map((e) => walk(e, undefined));
      if (options.strictOrder !== true && key !== undefined && UNORDERED_KEYS.has(key) && arr.every((e) => typeof e === 'string')) {
        return [...(arr as string[])].sort();
      }
      return arr;
    }
    if (v !== null && typeof v === 'object') {
      const out: Record<string, Value> = {};
      for (const [k, e] of Object.entries(v as { readonly [key: string]: Value })) out[k] = walk(e, k);
      return out;
    }
    return v;
  };

  return {
    scenario: t.scenario,
    error: t.error ?? null,
    sessions: t.sessions.map((s) => ({ name: s.name, handshake: walk(s.handshake, undefined), arrivals: s.arrivals })),
    steps: t.steps.map((s) => ({ label: s.label, session: s.session, value: walk(s.value, undefined) })),
  };
}

/** Flattens a value into `field path → printed value`. */
export function flatten(v: Value, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(v)) {
    const arr = v as readonly Value[];
    out.set(prefix === '' ? 'length' : `${prefix}.length`, String(arr.length));
    arr.forEach((e, i) => flatten(e, `${prefix}[${String(i)}]`, out));
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as { readonly [key: string]: Value });
    if (entries.length === 0) out.set(prefix, '{}');
    for (const [k, e] of entries) flatten(e, prefix === '' ? k : `${prefix}.${k}`, out);
    return out;
  }
  out.set(prefix, typeof v === 'string' ? JSON.stringify(v) : String(v));
  return out;
}

export interface Difference {
  scenario: string;
  step: string;
  field: string;
  java: string;
  ours: string;
}

export function formatDifference(d: Difference): string {
  return `${d.scenario} / ${d.step} / ${d.field}: java=${d.java} ours=${d.ours}`;
}

function diffValues(scenario: string, step: string, a: Value, b: Value, out: Difference[]): void {
  const fa = flatten(a);
  const fb = flatten(b);
  const keys = new Set([...fa.keys(), ...fb.keys()]);
  for (const k of keys) {
    const va = fa.get(k) ?? '<absent>';
    const vb = fb.get(k) ?? '<absent>';
    if (va !== vb) out.push({ scenario, step, field: k === '' ? '(value)' : k, java: va, ours: vb });
  }
}

/** Compares the reference (`java`) transcript with the candidate (`ours`) field by field. */
export function compareTranscripts(java: Transcript, ours: Transcript, options: NormaliseOptions = {}): Difference[] {
  const a = normaliseTranscript(java, options);
  const b = normaliseTranscript(ours, options);
  const out: Difference[] = [];
  const scenario = a.scenario;
  if (a.error !== b.error) {
    out.push({ scenario, step: '(executor)', field: 'error', java: String(a.error), ours: String(b.error) });
  }
  const steps = Math.max(a.steps.length, b.steps.length);
  for (let i = 0; i < steps; i++) {
    const sa = a.steps[i];
    const sb = b.steps[i];
    const label = `#${String(i + 1)} ${sa?.label ?? sb?.label ?? '?'}`;
    if (sa === undefined || sb === undefined) {
      out.push({ scenario, step: label, field: '(step)', java: sa === undefined ? '<missing>' : 'present', ours: sb === undefined ? '<missing>' : 'present' });
      continue;
    }
    diffValues(scenario, label, sa.value, sb.value, out);
  }
  const names = new Set([...a.sessions.map((s) => s.name), ...b.sessions.map((s) => s.name)]);
  for (const name of names) {
    const sa = a.sessions.find((s) => s.name === name);
    const sb = b.sessions.find((s) => s.name === name);
    if (sa === undefined || sb === undefined) {
      out.push({ scenario, step: `session ${name}`, field: '(session)', java: sa === undefined ? '<missing>' : 'present', ours: sb === undefined ? '<missing>' : 'present' });
      continue;
    }
    diffValues(scenario, `session ${name} handshake`, sa.handshake, sb.handshake, out);
    diffValues(scenario, `session ${name} arrivals`, sa.arrivals, sb.arrivals, out);
  }
  return out;
}
