/**
 * Sequential specifications ("models") for the linearizability checker, and the paired operations
 * they are checked against.
 */
import type { EdnValue } from '../history/edn.js';
import type { Operation } from '../history/history.js';

/** What a client asked for: the invocation's `:f` and `:value`. */
export interface ModelInput {
  readonly f: string;
  readonly value: EdnValue;
}

/**
 * What the client was told. `ok`: `value` is the completion's value. `fail`: the operation was
 * reported failed (kept only when the checker runs with failMode 'observe' and the model's
 * {@link Model.observesFailure} says so). `info`: the outcome is unknown (a timeout, or no
 * completion at all); `value` is then the invocation's value and the model must accept whatever
 * result the operation could have had.
 */
export interface ModelOutput {
  readonly type: 'ok' | 'fail' | 'info';
  readonly value: EdnValue;
}

export interface Model<S> {
  readonly name: string;
  init(): S;
  /** The state after the operation, or null when it is illegal in `state` with this output (so states are never null). */
  step(state: S, input: ModelInput, output: ModelOutput): S | null;
  /** A string identifying the state, for caching: equal keys mean equal states. */
  key(state: S): string;
  /** A human-readable rendering of a state (EDN). */
  show(state: S): string;
  /** An error message when the operation is not one this model understands, else null. */
  validate(input: ModelInput, output: ModelOutput): string | null;
  /**
   * True when the operation, with an unknown outcome, constrains nothing and changes nothing, so
   * that an :info occurrence can be dropped (reads, for most models).
   */
  ignorableWhenUnknown?(input: ModelInput): boolean;
  /** True when a :fail of this operation still tells something (a failed compare-and-set). */
  observesFailure?(input: ModelInput): boolean;
  /**
   * Splits a history into independent sub-histories (P-compositionality): the history is
   * linearizable iff every part is, each under its own model.
   */
  partition?(ops: readonly PairedOp[]): Partition[];
}

/** An invocation paired with its completion, as the search sees it. */
export interface PairedOp {
  readonly input: ModelInput;
  readonly output: ModelOutput;
  /** Position of the invocation in the history. */
  readonly call: number;
  /** Position of the completion, or Infinity when the outcome is unknown (may take effect or not). */
  readonly ret: number;
  readonly invoke: Operation;
  /** The completion op, or null when the invocation never completed. */
  readonly completion: Operation | null;
}

export interface Partition {
  /** Describes the part (e.g. `key "3"`), empty for an unpartitioned history. */
  readonly label: string;
  readonly model: Model<unknown>;
  readonly ops: readonly PairedOp[];
}

export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}
