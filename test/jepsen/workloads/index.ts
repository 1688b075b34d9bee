/** The workload registry (--workload NAME). */
import { counterWorkload } from './counter.js';
import { ephemeralWorkload } from './ephemeral.js';
import { listAppendWorkload } from './list-append.js';
import { queueWorkload } from './queue.js';
import { registerWorkload } from './register.js';
import { sessionWorkload } from './session.js';
import { setWorkload } from './set.js';
import { uniqueIdsWorkload } from './unique-ids.js';
import { watchesWorkload } from './watches.js';
import type { Workload, WorkloadFactory, WorkloadOptions } from './workload.js';

export const WORKLOADS: ReadonlyMap<string, { readonly factory: WorkloadFactory; readonly summary: string }> = new Map([
  ['register', { factory: registerWorkload, summary: 'CAS register per key (setData with version); linearizable (cas-register per key)' }],
  ['set', { factory: setWorkload, summary: 'create a child per element, final read; no acknowledged add lost' }],
  ['unique-ids', { factory: uniqueIdsWorkload, summary: 'sequential nodes: ids unique and increasing in real time' }],
  ['counter', { factory: counterWorkload, summary: 'counter per key by compare-and-set; linearizable (counter per key)' }],
  ['queue', { factory: queueWorkload, summary: 'sequential children consumed once (delete + tombstone multi); total queue' }],
  ['list-append', { factory: listAppendWorkload, summary: 'appends by multi to lists of sequential children; per-key linearizable, atomic' }],
  ['ephemeral', { factory: ephemeralWorkload, summary: 'ephemerals live exactly as long as their session (close, expiry)' }],
  ['watches', { factory: watchesWorkload, summary: 'watch event before the new data; no event lost across reconnects' }],
  ['session', { factory: sessionWorkload, summary: 'per-session zxid monotonicity, read-your-writes, monotonic reads/writes' }],
]);

export function makeWorkload(name: string, options: WorkloadOptions): Workload {
  const w = WORKLOADS.get(name);
  if (w === undefined) throw new Error(`unknown workload '${name}' (workloads: ${[...WORKLOADS.keys()].join(', ')})`);
  return w.factory(options);
}
