// The checks the Java client makes before it sends a request, with its messages.

import type { ACL } from '../jute/index.js';
import { ErrorCode } from '../protocol/error-code.js';
import { pathError } from '../protocol/paths.js';
import { TTL_MAX_MS } from '../protocol/constants.js';
import { IllegalArgumentError, ZooKeeperError } from './errors.js';

/** PathUtils.validatePath: a sequential node's path is checked with a digit appended. */
export function checkPath(path: string, sequential = false): void {
  const checked = sequential ? `${path}1` : path;
  const error = pathError(checked);
  if (error === null) return;
  throw new IllegalArgumentError(error.startsWith('Path ') ? error : `Invalid path string "${checked}" caused by ${error}`);
}

/** ZooKeeper.validateACL: an empty list is refused as InvalidACL, with no path. */
export function checkAcl(acl: readonly ACL[]): void {
  if (acl.length === 0) throw new ZooKeeperError(ErrorCode.invalidACL);
}

/** EphemeralType.TTL.toEphemeralOwner's range check. */
export function checkTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0 || BigInt(ttlMs) > TTL_MAX_MS) {
    throw new IllegalArgumentError(`ttl must be positive and cannot be larger than: ${TTL_MAX_MS.toString()}`);
  }
}
