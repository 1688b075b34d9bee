/**
 * Parsing of the field-type strings used in `zookeeper.jute.ts`.
 */
import type { JuteRecordDef } from './zookeeper.jute.js';

export type JutePrimitive = 'int' | 'long' | 'boolean' | 'ustring' | 'buffer';

export type JuteFieldType =
  | { readonly kind: JutePrimitive }
  | { readonly kind: 'vector'; readonly element: JuteFieldType }
  | { readonly kind: 'record'; readonly name: string };

const PRIMITIVES: ReadonlySet<string> = new Set<JutePrimitive>(['int', 'long', 'boolean', 'ustring', 'buffer']);

function isPrimitive(text: string): text is JutePrimitive {
  return PRIMITIVES.has(text);
}

/** Parses `int`, `vector<ACL>`, `Stat`, ...; record names must be in `knownRecords`. */
export function parseFieldType(text: string, knownRecords: ReadonlySet<string>): JuteFieldType {
  const t = text.trim();
  if (isPrimitive(t)) {
    return { kind: t };
  }
  const vector = /^vector\s*<(.+)>$/.exec(t);
  if (vector !== null) {
    return { kind: 'vector', element: parseFieldType(vector[1] ?? '', knownRecords) };
  }
  if (knownRecords.has(t)) {
    return { kind: 'record', name: t };
  }
  throw new Error(`unknown jute field type '${text}'`);
}

export interface ParsedField {
  readonly name: string;
  readonly type: JuteFieldType;
}

export interface ParsedRecord {
  readonly def: JuteRecordDef;
  readonly fields: readonly ParsedField[];
}

/**
 * Parses every record's field types and checks that record names are unique
 * and that records only reference records defined before them.
 */
export function parseRecords(defs: readonly JuteRecordDef[]): Map<string, ParsedRecord> {
  const parsed = new Map<string, ParsedRecord>();
  const known = new Set<string>();
  for (const def of defs) {
    if (known.has(def.name)) {
      throw new Error(`duplicate jute record name '${def.name}'`);
    }
    const fields = Object.entries(def.fields).map(([name, type]) => ({ name, type: parseFieldType(type, known) }));
    known.add(def.name);
    parsed.set(def.name, { def, fields });
  }
  return parsed;
}

/** Smallest possible encoding of a value of `type`, in bytes. */
export function minEncodedBytes(type: JuteFieldType, records: ReadonlyMap<string, ParsedRecord>): number {
  switch (type.kind) {
    case 'boolean':
      return 1;
    case 'int':
    case 'ustring':
    case 'buffer':
    case 'vector':
      return 4;
    case 'long':
      return 8;
    case 'record': {
      const rec = records.get(type.name);
      if (rec === undefined) {
        throw new Error(`unknown jute record '${type.name}'`);
      }
      let total = 0;
      for (const field of rec.fields) {
        total += minEncodedBytes(field.type, records);
      }
      return total;
    }
  }
}
