/**
 * Checks a Jepsen history for linearizability against a model: pairs the operations, splits the
 * history per key when the model allows it (P-compositionality), and runs one search per part,
 * interleaved with growing step budgets so that a violation on any part is found early, under an
 * optional time limit (verdict 'unknown' when it runs out).
 */
import type { Operation } from '../history/history.js';
import type { Model, Partition } from './model.js';
import { describePaired, pairOperations, type FailMode } from './prepare.js';
import { DEFAULT_MAX_CACHE_BYTES, MemoryBudget, WglSearch, type RunStatus } from './search.js';

export interface CheckOptions {
  /** Wall-clock budget in milliseconds; no limit when undefined. */
  readonly timeLimitMs?: number;
  /** How :fail ops are read (default 'drop', as Knossos does). */
  readonly failMode?: FailMode;
  /** Memory for configuration caches, all parts together (default 1 GiB). */
  readonly maxCacheBytes?: number;
  /** Split per key when the model allows it (default true). */
  readonly partition?: boolean;
}

export interface FailureReport {
  /** The part of the history (e.g. `key "3"`) where the violation is, when partitioned. */
  readonly partition?: string;
  /** The operation that could not be linearized. */
  readonly op: string;
  /** Its invocation's and completion's :index. */
  readonly index: number;
  readonly completionIndex: number;
  /** The model states in which every consistent linearization reached that operation's completion. */
  readonly states: readonly string[];
  readonly moreStates: boolean;
  /** The last operations linearized on one of those paths (oldest first). */
  readonly lastLinearized: readonly string[];
}

export interface CheckResult {
  readonly valid: true | false | 'unknown';
  readonly model: string;
  /** Operations checked (after pairing; :fail and ignorable unknown-outcome ops removed). */
  readonly operations: number;
  readonly partitions: number;
  readonly steps: number;
  readonly configurations: number;
  readonly elapsedMs: number;
  /** Why the verdict is unknown. */
  readonly reason?: string;
  /** Parts left undecided (first 20). */
  readonly undecided?: readonly string[];
  readonly failure?: FailureReport;
  /** A sentence explaining the violation. */
  readonly explanation?: string;
}

const LAST_LINEARIZED = 8;
const CHUNK = 1 << 14;

interface Job {
  readonly part: Partition;
  readonly search: WglSearch<unknown>;
}

function report(job: Job, modelName: string): { failure: FailureReport; explanation: string } | undefined {
  const f = job.search.failure();
  if (f === null) return undefined;
  const op = describePaired(f.op);
  const states = f.states;
  const where = job.part.label === '' ? '' : ` on ${job.part.label}`;
  const shown = states.slice(0, 4).join(', ');
  const more = f.moreStates ? ', and more' : states.length > 4 ? `, and ${states.length - 4} more` : '';
  const failure: FailureReport = {
    ...(job.part.label === '' ? {} : { partition: job.part.label }),
    op,
    index: f.op.invoke.index,
    completionIndex: f.op.completion?.index ?? f.op.invoke.index,
    states,
    moreStates: f.moreStates,
    lastLinearized: f.path.slice(-LAST_LINEARIZED).map(describePaired),
  };
  const explanation = `not linearizable${where}: ${op} cannot be linearized; no consistent order of the operations before its completion leaves the ${modelName} in a state where it is legal (states reachable there: ${shown}${more})`;
  return { failure, explanation };
}

export function checkOperations(model: Model<unknown>, parts: readonly Partition[], options: CheckOptions = {}): CheckResult {
  const start = performance.now();
  const deadline = options.timeLimitMs === undefined ? Infinity : start + options.timeLimitMs;
  const memory = new MemoryBudget(options.maxCacheBytes ?? DEFAULT_MAX_CACHE_BYTES);
  const operations = parts.reduce((n, p) => n + p.ops.length, 0);
  let steps = 0;
  let configurations = 0;
  let active: Job[] = parts.map((part) => ({ part, search: new WglSearch(part.model, part.ops, { memory }) }));
  const outOfMemory: Job[] = [];
  let timedOut = false;
  let quantum = 1 << 12;
  const base = () => ({
    model: model.name,
    operations,
    partitions: parts.length,
    steps,
    configurations,
    elapsedMs: Math.round((performance.now() - start) * 10) / 10,
  });
  while (active.length > 0 && !timedOut) {
    const still: Job[] = [];
    for (const job of active) {
      let status: RunStatus = 'paused';
      if (timedOut) {
        still.push(job);
        continue;
      }
      const before = job.search.steps;
      for (let left = quantum; left > 0; left -= CHUNK) {
        status = job.search.run(Math.min(left, CHUNK));
        if (status !== 'paused') break;
        if (performance.now() > deadline) {
          timedOut = true;
          break;
        }
      }
      steps += job.search.steps - before;
      if (status === 'invalid') {
        configurations += job.search.configurations;
        const r = report(job, model.name);
        return {
          valid: false,
          ...base(),
          ...(r === undefined ? {} : { failure: r.failure, explanation: r.explanation }),
        };
      }
      if (status === 'paused') {
        still.push(job);
        continue;
      }
      configurations += job.search.configurations;
      job.search.release();
      if (status === 'memory') outOfMemory.push(job);
    }
    active = still;
    quantum *= 2;
  }
  for (const job of active) configurations += job.search.configurations;
  if (active.length === 0 && outOfMemory.length === 0) return { valid: true, ...base() };
  const undecided = [...outOfMemory, ...active].map((j) => j.part.label || 'whole history');
  const reason = timedOut ? 'time limit reached' : 'memory limit reached';
  return { valid: 'unknown', ...base(), reason, undecided: undecided.slice(0, 20) };
}

/** Checks a parsed history (see pairOperations for how ops are read). */
export function checkHistory(history: readonly Operation[], model: Model<unknown>, options: CheckOptions = {}): CheckResult {
  const ops = pairOperations(history, model, options.failMode ?? 'drop');
  const parts =
    options.partition === false || model.partition === undefined
      ? [{ label: '', model, ops }]
      : model.partition(ops);
  return checkOperations(model, parts, options);
}
