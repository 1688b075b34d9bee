// Prepare: a write request becomes a txn, checked against the speculative view of the tree
// (OutstandingChanges) so that versions, sequence numbers and existence are right even while earlier
// txns wait for their fsync. Every write consumes a zxid, also when it fails: the failure is an
// error txn, logged and applied like any other, exactly as 3.8's PrepRequestProcessor does.

import type { Id, TxnDigest, TxnHeader } from '../jute/index.js';
import {
  CONTAINER_EPHEMERAL_OWNER,
  createModeFromFlags,
  ephemeralKind,
  isEphemeral,
  isSequential,
  isTtl,
  Perms,
  TTL_MAX_MS,
  ttlToEphemeralOwner,
  type CreateMode,
} from '../protocol/constants.js';
import { ErrorCode } from '../protocol/error-code.js';
import { OpCode } from '../protocol/op-code.js';
import { parentOf, pathError } from '../protocol/paths.js';
import type { CreateOp, MultiWriteOp, ReconfigFields, WriteRequest } from '../protocol/requests.js';
import type { DataTree, ZnodeStat } from '../tree/data-tree.js';
import { CONFIG_PATH, DIGEST_VERSION, digestRegisterOf, QUOTA_PATH, ZOOKEEPER_PATH } from '../tree/data-tree.js';
import type { MultiSubTxn, Txn, TxnBody } from '../txn/txn.js';
import type { SessionCheck, SessionOwner } from '../sessions/session-table.js';
import { aclError, fixupAcl, type AclPolicy } from './acl.js';
import { duplicateRecord, type ChangeRecord, type OutstandingChanges } from './outstanding-changes.js';

export interface PrepareContext {
  readonly sessionId: bigint;
  /** Where the request came from, checked against the session's owner (see SessionOwner). */
  readonly owner: SessionOwner;
  readonly cxid: number;
  readonly zxid: bigint;
  readonly timeMs: bigint;
  readonly authIds: readonly Id[];
}

export interface PrepareEnvironment {
  readonly tree: DataTree;
  readonly changes: OutstandingChanges;
  readonly acl: AclPolicy;
  readonly extendedTypesEnabled: boolean;
  readonly reconfigEnabled: boolean;
  /** zookeeper.digest.enabled: txns carry the tree digest they produce. */
  readonly digestEnabled: boolean;
  /** The leader's reconfig check while this server leads an ensemble; null otherwise (standalone: Unimplemented). */
  readonly reconfig: ReconfigPreparer | null;
  /** Whether the session may issue requests: it exists, is not closing, and `owner` owns it. */
  checkSession(sessionId: bigint, owner: SessionOwner): SessionCheck;
  /** Marks the session closing once its closeSession txn is prepared. */
  markSessionClosing(sessionId: bigint): void;
}

/**
 * 3.8's pRequest2Txn checks of a reconfig on the leader (in progress, version, the new
 * configuration, a synced quorum of it): the new configuration's text for the txn `zxid`, or the
 * error code. A configuration it returns is the one the proposal of `zxid` brings in.
 */
export type ReconfigPreparer = (request: ReconfigFields, zxid: bigint) => { readonly ok: true; readonly configText: Buffer } | { readonly ok: false; readonly err: number };

type Failure = { readonly failed: number };
const fail = (code: number): Failure => ({ failed: code });
function isFailure(value: unknown): value is Failure {
  return typeof value === 'object' && value !== null && 'failed' in value;
}

function header(ctx: PrepareContext, type: number): TxnHeader {
  return { clientId: ctx.sessionId, cxid: ctx.cxid, zxid: ctx.zxid, time: ctx.timeMs, type };
}

/**
 * The digest a txn is logged and proposed with: the tree's once every prepared txn up to this one
 * is applied (zookeeper.digest.enabled, on by default in 3.8). A txn that failed carries none, as
 * in 3.8.
 */
function txnDigest(env: PrepareEnvironment): TxnDigest | null {
  return env.digestEnabled ? { version: DIGEST_VERSION, treeDigest: env.changes.treeDigest() } : null;
}

function deletionRecord(ctx: PrepareContext, path: string, childCount: number): ChangeRecord {
  return { zxid: ctx.zxid, path, stat: null, childCount, acl: [], digestRegister: 0, nodeDigest: 0, digestDelta: 0 };
}

function errorTxn(ctx: PrepareContext, err: number): Txn {
  return { header: header(ctx, OpCode.error), body: { kind: 'error', err }, digest: null };
}

/** The txn for a write whose body did not decode: 3.8 logs it as a MarshallingError. */
export function prepareMalformed(ctx: PrepareContext): Txn {
  return errorTxn(ctx, ErrorCode.marshallingError);
}

function recordFor(env: PrepareEnvironment, path: string): ChangeRecord | Failure {
  return env.changes.recordFor(path) ?? fail(ErrorCode.noNode);
}

function parentForDelete(path: string): string | Failure {
  const lastSlash = path.lastIndexOf('/');
  if (lastSlash === -1 || path.includes('\u0000') || isSpecialPath(path)) return fail(ErrorCode.badArguments);
  return lastSlash === 0 ? '/' : path.slice(0, lastSlash);
}

function isSpecialPath(path: string): boolean {
  return path === '/' || path === ZOOKEEPER_PATH || path === QUOTA_PATH || path === CONFIG_PATH;
}

function checkVersion(current: number, expected: number): number | Failure {
  if (expected !== -1 && expected !== current) return fail(ErrorCode.badVersion);
  return (current + 1) | 0;
}

function validPath(path: string): Failure | null {
  return pathError(path) === null ? null : fail(ErrorCode.badArguments);
}

function requireSession(env: PrepareEnvironment, ctx: PrepareContext): Failure | null {
  switch (env.checkSession(ctx.sessionId, ctx.owner)) {
    case 'live':
      return null;
    case 'expired':
      return fail(ErrorCode.sessionExpired);
    case 'moved':
      return fail(ErrorCode.sessionMoved);
  }
}

/** Turns one write op into its txn body and change records (or a failure). */
function prepareOp(
  env: PrepareEnvironment,
  ctx: PrepareContext,
  type: number,
  op: WriteRequest | MultiWriteOp,
): { type: number; body: TxnBody } | Failure {
  switch (op.kind) {
    case 'create':
      return prepareCreate(env, ctx, type, op.record);
    case 'delete':
      return prepareDelete(env, ctx, op.record.path, op.record.version);
    case 'deleteContainer':
      return prepareDeleteContainer(env, ctx, op.path);
    case 'setData': {
      const r = op.record;
      const invalid = requireSession(env, ctx) ?? validPath(r.path);
      if (invalid !== null) return invalid;
      const node = recordFor(env, r.path);
      if (isFailure(node)) return node;
      const denied = aclError(env.acl, node.acl, Perms.write, ctx.authIds);
      if (denied !== ErrorCode.ok) return fail(denied);
      const version = checkVersion(node.stat?.version ?? 0, r.version);
      if (isFailure(version)) return version;
      recordDataChange(env, ctx, node, r.path, r.data, version);
      return { type: OpCode.setData, body: { kind: 'setData', record: { path: r.path, data: r.data, version } } };
    }
    case 'setACL': {
      const r = op.record;
      const invalid = requireSession(env, ctx) ?? validPath(r.path);
      if (invalid !== null) return invalid;
      const fixed = fixupAcl(r.acl, ctx.authIds, env.acl.providers);
      if (!fixed.ok) return fail(ErrorCode.invalidACL);
      const node = recordFor(env, r.path);
      if (isFailure(node)) return node;
      const denied = aclError(env.acl, node.acl, Perms.admin, ctx.authIds);
      if (denied !== ErrorCode.ok) return fail(denied);
      const version = checkVersion(node.stat?.aversion ?? 0, r.version);
      if (isFailure(version)) return version;
      const next = duplicateRecord(node, ctx.zxid);
      next.stat.aversion = version;
      next.acl = fixed.acls;
      env.changes.add(next);
      return { type: OpCode.setACL, body: { kind: 'setACL', record: { path: r.path, acl: fixed.acls, version } } };
    }
    case 'check': {
      const r = op.record;
      const invalid = requireSession(env, ctx) ?? validPath(r.path);
      if (invalid !== null) return invalid;
      const node = recordFor(env, r.path);
      if (isFailure(node)) return node;
      const denied = aclError(env.acl, node.acl, Perms.read, ctx.authIds);
      if (denied !== ErrorCode.ok) return fail(denied);
      const version = checkVersion(node.stat?.version ?? 0, r.version);
      if (isFailure(version)) return version;
      return { type: OpCode.check, body: { kind: 'check', record: { path: r.path, version } } };
    }
    case 'reconfig':
      return prepareReconfig(env, ctx, op.record);
    case 'multi':
    case 'closeSession':
      return fail(ErrorCode.marshallingError);
  }
}

/** The pending change a setData (or a reconfig) makes to a node: new data, version, mtime and mzxid. */
function recordDataChange(env: PrepareEnvironment, ctx: PrepareContext, node: ChangeRecord, path: string, data: Buffer | null, version: number): void {
  const next = duplicateRecord(node, ctx.zxid);
  next.stat.version = version;
  next.stat.mtime = ctx.timeMs;
  next.stat.mzxid = ctx.zxid;
  next.digestRegister = digestRegisterOf(path, data);
  env.changes.add(next);
}

function prepareReconfig(env: PrepareEnvironment, ctx: PrepareContext, request: ReconfigFields): { type: number; body: TxnBody } | Failure {
  if (!env.reconfigEnabled) return fail(ErrorCode.reconfigDisabled);
  const invalid = requireSession(env, ctx);
  if (invalid !== null) return invalid;
  // A standalone server (or one not leading) cannot reconfigure: 3.8 answers Unimplemented.
  const reconfig = env.reconfig;
  if (reconfig === null) return fail(ErrorCode.unimplemented);
  const outcome = reconfig(request, ctx.zxid);
  if (!outcome.ok) return fail(outcome.err);
  const node = recordFor(env, CONFIG_PATH);
  if (isFailure(node)) return node;
  const denied = aclError(env.acl, node.acl, Perms.write, ctx.authIds);
  if (denied !== ErrorCode.ok) return fail(denied);
  // A reconfig is a setData of /zookeeper/config whose version stays -1, as 3.8 writes it.
  recordDataChange(env, ctx, node, CONFIG_PATH, outcome.configText, -1);
  return { type: OpCode.reconfig, body: { kind: 'setData', record: { path: CONFIG_PATH, data: outcome.configText, version: -1 } } };
}

function prepareCreate(
  env: PrepareEnvironment,
  ctx: PrepareContext,
  type: number,
  r: CreateOp,
): { type: number; body: TxnBody } | Failure {
  const mode = createModeFromFlags(r.flags);
  if (mode === undefined) return fail(ErrorCode.badArguments);
  const invalidRequest = validateCreate(env, ctx, mode, r.ttl);
  if (invalidRequest !== null) return invalidRequest;
  const lastSlash = r.path.lastIndexOf('/');
  if (lastSlash === -1 || r.path.includes('\u0000')) return fail(ErrorCode.badArguments);
  const parentPath = lastSlash === 0 ? '/' : r.path.slice(0, lastSlash);
  const fixed = fixupAcl(r.acl, ctx.authIds, env.acl.providers);
  if (!fixed.ok) return fail(ErrorCode.invalidACL);
  // 3.8 looks the parent up by the path before the last slash; "/a" has parent "" (the root).
  const parent = recordFor(env, lastSlash === 0 ? '' : parentPath);
  if (isFailure(parent)) return parent;
  const parentStat = parent.stat as ZnodeStat;
  const denied = aclError(env.acl, parent.acl, Perms.create, ctx.authIds);
  if (denied !== ErrorCode.ok) return fail(denied);
  let path = r.path;
  if (isSequential(mode)) path = r.path + formatSequence(parentStat.cversion);
  const invalidPath = validPath(path);
  if (invalidPath !== null) return invalidPath;
  if (env.changes.recordFor(path) !== undefined) return fail(ErrorCode.nodeExists);
  if (ephemeralKind(parentStat.ephemeralOwner, env.extendedTypesEnabled) === 'normal') {
    return fail(ErrorCode.noChildrenForEphemerals);
  }
  const newCversion = (parentStat.cversion + 1) | 0;
  let body: TxnBody;
  if (type === OpCode.createContainer) {
    body = { kind: 'createContainer', record: { path, data: r.data, acl: fixed.acls, parentCVersion: newCversion } };
  } else if (type === OpCode.createTTL) {
    body = { kind: 'createTTL', record: { path, data: r.data, acl: fixed.acls, parentCVersion: newCversion, ttl: r.ttl } };
  } else {
    body = {
      kind: 'create',
      record: { path, data: r.data, acl: fixed.acls, ephemeral: isEphemeral(mode), parentCVersion: newCversion },
    };
  }
  let ephemeralOwner = 0n;
  if (mode === 'container') ephemeralOwner = CONTAINER_EPHEMERAL_OWNER;
  else if (isTtl(mode)) ephemeralOwner = ttlToEphemeralOwner(r.ttl);
  else if (isEphemeral(mode)) ephemeralOwner = ctx.sessionId;
  const nextParent = duplicateRecord(parent, ctx.zxid);
  nextParent.childCount++;
  nextParent.stat.cversion = newCversion;
  nextParent.stat.pzxid = ctx.zxid;
  env.changes.add(nextParent);
  env.changes.add({
    zxid: ctx.zxid,
    path,
    stat: {
      czxid: ctx.zxid,
      mzxid: ctx.zxid,
      ctime: ctx.timeMs,
      mtime: ctx.timeMs,
      version: 0,
      cversion: 0,
      aversion: 0,
      ephemeralOwner,
      pzxid: ctx.zxid,
    },
    childCount: 0,
    acl: fixed.acls,
    digestRegister: digestRegisterOf(path, r.data),
    nodeDigest: 0,
    digestDelta: 0,
  });
  return { type, body };
}

/** The sequence suffix: the parent's cversion as %010d (Java pads negative numbers after the sign). */
function formatSequence(cversion: number): string {
  if (cversion < 0) return `-${String(-cversion).padStart(9, '0')}`;
  return String(cversion).padStart(10, '0');
}

function validateCreate(env: PrepareEnvironment, ctx: PrepareContext, mode: CreateMode, ttl: bigint): Failure | null {
  if (isTtl(mode) && !env.extendedTypesEnabled) return fail(ErrorCode.unimplemented);
  if (isTtl(mode)) {
    if (ttl <= 0n || ttl > TTL_MAX_MS) return fail(ErrorCode.badArguments);
  } else if (ttl >= 0n) {
    return fail(ErrorCode.badArguments);
  }
  return requireSession(env, ctx);
}

function prepareDelete(
  env: PrepareEnvironment,
  ctx: PrepareContext,
  path: string,
  expectedVersion: number,
): { type: number; body: TxnBody } | Failure {
  const noSession = requireSession(env, ctx);
  if (noSession !== null) return noSession;
  const parentPath = parentForDelete(path);
  if (isFailure(parentPath)) return parentPath;
  const parent = recordFor(env, path.lastIndexOf('/') === 0 ? '' : parentPath);
  if (isFailure(parent)) return parent;
  const denied = aclError(env.acl, parent.acl, Perms.delete, ctx.authIds);
  if (denied !== ErrorCode.ok) return fail(denied);
  const node = recordFor(env, path);
  if (isFailure(node)) return node;
  const version = checkVersion(node.stat?.version ?? 0, expectedVersion);
  if (isFailure(version)) return version;
  if (node.childCount > 0) return fail(ErrorCode.notEmpty);
  removeRecords(env, ctx, parent, path);
  return { type: OpCode.delete, body: { kind: 'delete', record: { path } } };
}

function prepareDeleteContainer(
  env: PrepareEnvironment,
  ctx: PrepareContext,
  path: string,
): { type: number; body: TxnBody } | Failure {
  const parentPath = parentForDelete(path);
  if (isFailure(parentPath)) return parentPath;
  const node = recordFor(env, path);
  if (isFailure(node)) return node;
  if (node.childCount > 0) return fail(ErrorCode.notEmpty);
  if (ephemeralKind(node.stat?.ephemeralOwner ?? 0n, env.extendedTypesEnabled) === 'normal') {
    return fail(ErrorCode.badVersion);
  }
  const parent = recordFor(env, path.lastIndexOf('/') === 0 ? '' : parentPath);
  if (isFailure(parent)) return parent;
  removeRecords(env, ctx, parent, path);
  return { type: OpCode.deleteContainer, body: { kind: 'delete', record: { path } } };
}

function removeRecords(env: PrepareEnvironment, ctx: PrepareContext, parent: ChangeRecord, path: string): void {
  const nextParent = duplicateRecord(parent, ctx.zxid);
  nextParent.childCount--;
  nextParent.stat.pzxid = ctx.zxid;
  env.changes.add(nextParent);
  env.changes.add(deletionRecord(ctx, path, -1));
}

function prepareMulti(env: PrepareEnvironment, ctx: PrepareContext, ops: readonly MultiWriteOp[]): Txn {
  const saved = new Map<string, ChangeRecord>();
  for (const op of ops) {
    const path = op.record.path;
    const pending = env.changes.pendingFor(path);
    if (pending !== undefined) saved.set(path, pending);
    const lastSlash = path.lastIndexOf('/');
    if (lastSlash === -1 || path.includes('\u0000')) continue;
    const parentPath = path.slice(0, lastSlash);
    const parentPending = env.changes.pendingFor(parentPath);
    if (parentPending !== undefined) saved.set(parentPath, parentPending);
  }
  const subTxns: MultiSubTxn[] = [];
  let failed = false;
  for (const op of ops) {
    if (failed) {
      subTxns.push({ type: OpCode.error, body: { kind: 'error', err: ErrorCode.runtimeInconsistency } });
      continue;
    }
    const prepared = prepareOp(env, ctx, op.type, op);
    if (isFailure(prepared)) {
      failed = true;
      subTxns.push({ type: OpCode.error, body: { kind: 'error', err: prepared.failed } });
      env.changes.rollback(ctx.zxid, saved);
      continue;
    }
    const body = prepared.body;
    if (body.kind === 'multi' || body.kind === 'createSession' || body.kind === 'closeSession') {
      subTxns.push({ type: OpCode.error, body: { kind: 'error', err: ErrorCode.marshallingError } });
      continue;
    }
    subTxns.push({ type: prepared.type, body });
  }
  // Failed or not, a multi carries the digest of the tree as it leaves it (unchanged when failed).
  return { header: header(ctx, OpCode.multi), body: { kind: 'multi', ops: subTxns }, digest: txnDigest(env) };
}

function prepareCloseSession(env: PrepareEnvironment, ctx: PrepareContext): Txn {
  const ephemerals = new Set(env.tree.ephemeralsOf(ctx.sessionId));
  for (const record of env.changes.pending()) {
    if (record.stat === null) ephemerals.delete(record.path);
    else if (record.stat.ephemeralOwner === ctx.sessionId) ephemerals.add(record.path);
  }
  for (const path of ephemerals) {
    // As 3.8 with digests on: the parent's pzxid moves, and with it the parent's share of the digest.
    // The root is looked up as '', as create and delete look it up (getParentPathAndValidate).
    const parent = env.changes.recordFor(path.lastIndexOf('/') === 0 ? '' : parentOf(path));
    if (parent !== undefined) {
      const nextParent = duplicateRecord(parent, ctx.zxid);
      nextParent.stat.pzxid = ctx.zxid;
      env.changes.add(nextParent);
    }
    env.changes.add(deletionRecord(ctx, path, 0));
  }
  env.markSessionClosing(ctx.sessionId);
  return { header: header(ctx, OpCode.closeSession), body: { kind: 'closeSession', paths2Delete: [...ephemerals] }, digest: txnDigest(env) };
}

/** Prepares a decoded write request into the txn that will be logged, committed and applied. */
export function prepareWrite(env: PrepareEnvironment, ctx: PrepareContext, type: number, request: WriteRequest): Txn {
  switch (request.kind) {
    case 'multi':
      return prepareMulti(env, ctx, request.ops);
    case 'closeSession':
      return prepareCloseSession(env, ctx);
    default: {
      const prepared = prepareOp(env, ctx, type, request);
      if (isFailure(prepared)) return errorTxn(ctx, prepared.failed);
      return { header: header(ctx, type), body: prepared.body, digest: txnDigest(env) };
    }
  }
}

/** The txn that opens a session; its reply is the ConnectResponse, sent once it is applied. */
export function prepareCreateSession(env: PrepareEnvironment, ctx: PrepareContext, timeOutMs: number): Txn {
  return { header: header(ctx, OpCode.createSession), body: { kind: 'createSession', timeOutMs }, digest: txnDigest(env) };
}

