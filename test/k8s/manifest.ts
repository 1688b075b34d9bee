// Reading the manifests of k8s/ for the tests: YAML documents as plain JSON values, the parts of the
// StatefulSet the tests look at, label selectors, and the container environment as a pod gets it.

import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Obj = { [key: string]: Json };

export function loadDocuments(path: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  if (!Array.isArray(docs)) throw new Error(`${path}: not a YAML stream`);
  return docs.map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${path} document ${String(i)}: ${doc.errors.map((e) => e.message).join('; ')}`);
    if (doc.warnings.length > 0) throw new Error(`${path} document ${String(i)}: ${doc.warnings.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as Json;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${path} document ${String(i)} is not an object`);
    return value;
  });
}

export const obj = (value: Json | undefined, what: string): Obj => {
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${what} is not an object`);
  return value;
};
export const arr = (value: Json | undefined, what: string): Json[] => {
  if (!Array.isArray(value)) throw new Error(`${what} is not a list`);
  return value;
};
export const str = (value: Json | undefined): string | undefined => (typeof value === 'string' ? value : undefined);

export const byKind = (docs: readonly Obj[], kind: string): Obj[] => docs.filter((d) => d['kind'] === kind);
export function one(docs: readonly Obj[], kind: string, name?: string): Obj {
  const found = byKind(docs, kind).filter((d) => name === undefined || obj(d['metadata'], 'metadata')['name'] === name);
  if (found.length !== 1) throw new Error(`expected one ${kind}${name === undefined ? '' : ` ${name}`}, found ${String(found.length)}`);
  return found[0] as Obj;
}

export interface Parts {
  readonly statefulSet: Obj;
  readonly podLabels: Obj;
  readonly podSpec: Obj;
  readonly container: Obj;
  readonly env: Obj[];
  readonly configMap: Obj;
  readonly headless: Obj;
  readonly pdb: Obj;
}

export function parts(docs: readonly Obj[]): Parts {
  const statefulSet = one(docs, 'StatefulSet');
  const spec = obj(statefulSet['spec'], 'spec');
  const template = obj(spec['template'], 'template');
  const podLabels = obj(obj(template['metadata'], 'template.metadata')['labels'], 'labels');
  const podSpec = obj(template['spec'], 'template.spec');
  const containers = arr(podSpec['containers'], 'containers');
  if (containers.length !== 1) throw new Error(`expected one container, found ${String(containers.length)}`);
  const container = obj(containers[0], 'container');
  const env = arr(container['env'], 'env').map((e) => obj(e, 'env entry'));
  const headless = one(docs, 'Service', String(spec['serviceName']));
  return { statefulSet, podLabels, podSpec, container, env, configMap: one(docs, 'ConfigMap'), headless, pdb: one(docs, 'PodDisruptionBudget') };
}

/** matchLabels / matchExpressions (In, NotIn, Exists, DoesNotExist) against a label set. */
export function selects(selector: Obj, labels: Obj): boolean {
  const matchLabels = selector['matchLabels'];
  if (matchLabels !== undefined && Object.entries(obj(matchLabels, 'matchLabels')).some(([k, v]) => labels[k] !== v)) return false;
  for (const e of arr(selector['matchExpressions'] ?? [], 'matchExpressions')) {
    const x = obj(e, 'expression');
    const value = labels[String(x['key'])];
    const values = arr(x['values'] ?? [], 'values');
    const ok =
      x['operator'] === 'In' ? value !== undefined && values.includes(value)
      : x['operator'] === 'NotIn' ? value === undefined || !values.includes(value)
      : x['operator'] === 'Exists' ? value !== undefined
      : value === undefined;
    if (!ok) return false;
  }
  return true;
}

/** The container's environment with configMapKeyRef resolved from the manifest's ConfigMap. */
export function resolvedEnv(docs: readonly Obj[]): Record<string, string> {
  const { env, configMap } = parts(docs);
  const data = obj(configMap['data'], 'data');
  const out: Record<string, string> = {};
  for (const e of env) {
    const name = String(e['name']);
    if (e['value'] !== undefined) out[name] = String(e['value']);
    else {
      const ref = obj(obj(e['valueFrom'], 'valueFrom')['configMapKeyRef'], 'configMapKeyRef');
      const value = data[String(ref['key'])];
      if (value === undefined) throw new Error(`${name}: no key ${String(ref['key'])} in ConfigMap`);
      out[name] = String(value);
    }
  }
  return out;
}

