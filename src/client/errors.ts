// Errors of the client library: a server (or connection) error code as a typed ZooKeeperError, and
// IllegalArgumentError for a call the client refuses before sending anything (a malformed path, a
// bad TTL), as the Java client throws IllegalArgumentException.

import { ErrorCode, type ErrorCodeName } from '../protocol/error-code.js';
import type { OpResult } from './types.js';

const NAME_BY_CODE = new Map<number, ErrorCodeName>(
  (Object.keys(ErrorCode) as ErrorCodeName[]).map((name) => [ErrorCode[name], name]),
);

/** The text KeeperException.getMessage() puts after "KeeperErrorCode = " for each code. */
const JAVA_CODE_TEXT: Readonly<Partial<Record<ErrorCodeName, string>>> = {
  ok: 'ok',
  systemError: 'SystemError',
  runtimeInconsistency: 'RuntimeInconsistency',
  dataInconsistency: 'DataInconsistency',
  connectionLoss: 'ConnectionLoss',
  marshallingError: 'MarshallingError',
  newConfigNoQuorum: 'NewConfigNoQuorum',
  reconfigInProgress: 'ReconfigInProgress',
  unimplemented: 'Unimplemented',
  operationTimeout: 'OperationTimeout',
  badArguments: 'BadArguments',
  apiError: 'APIError',
  noNode: 'NoNode',
  noAuth: 'NoAuth',
  badVersion: 'BadVersion',
  noChildrenForEphemerals: 'NoChildrenForEphemerals',
  nodeExists: 'NodeExists',
  invalidACL: 'InvalidACL',
  authFailed: 'AuthFailed',
  notEmpty: 'Directory not empty',
  sessionExpired: 'Session expired',
  invalidCallback: 'Invalid callback',
  sessionMoved: 'Session moved',
  notReadOnly: 'Not a read-only call',
  ephemeralOnLocalSession: 'Ephemeral node on local session',
  noWatcher: 'No such watcher',
  reconfigDisabled: 'Reconfig is disabled',
  sessionClosedRequireSaslAuth: 'Session closed because client failed to authenticate',
  quotaExceeded: 'Quota has exceeded',
  throttledOp: 'Op throttled due to high load',
};

/** The camel-case name of an error code (`noNode` for -101), or undefined for a code 3.8 does not define. */
export function errorCodeName(code: number): ErrorCodeName | undefined {
  return NAME_BY_CODE.get(code);
}

/** KeeperException.getMessage() of 3.8: `KeeperErrorCode = NoNode for /a` (without " for ..." when there is no path). */
export function keeperErrorMessage(code: number, path?: string): string {
  const name = errorCodeName(code);
  const text = (name === undefined ? undefined : JAVA_CODE_TEXT[name]) ?? `Unknown error ${String(code)}`;
  return path === undefined || path === '' ? `KeeperErrorCode = ${text}` : `KeeperErrorCode = ${text} for ${path}`;
}

/**
 * A request answered with an error code, or one that could not be answered (connection loss, an
 * expired or closed session). `code` is the KeeperException code (-101 = noNode, ...), `path` the
 * client path of the request. A failed multi carries every operation's result in `results`.
 */
export class ZooKeeperError extends Error {
  override readonly name = 'ZooKeeperError';
  readonly code: number;
  readonly codeName: ErrorCodeName | undefined;
  readonly path: string | undefined;
  readonly results: readonly OpResult[] | undefined;

  constructor(code: number, path?: string, results?: readonly OpResult[]) {
    super(keeperErrorMessage(code, path));
    this.code = code;
    this.codeName = errorCodeName(code);
    this.path = path;
    this.results = results;
  }

  /** Whether `err` is a ZooKeeperError, optionally with this code name. */
  static is(err: unknown, codeName?: ErrorCodeName): err is ZooKeeperError {
    return err instanceof ZooKeeperError && (codeName === undefined || err.codeName === codeName);
  }
}

/** A call refused by the client before anything was sent (Java's IllegalArgumentException). */
export class IllegalArgumentError extends Error {
  override readonly name = 'IllegalArgumentError';
}
