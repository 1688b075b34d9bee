// Programmer errors crash: these helpers turn a broken invariant into an exception with a message
// that names the invariant, so a bug is found where it happens rather than where it is noticed.

export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(condition: boolean, invariant: string): asserts condition {
  if (!condition) throw new AssertionError(invariant);
}

export function assertNever(value: never, context = 'unexpected variant'): never {
  throw new AssertionError(`${context}: ${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
}
