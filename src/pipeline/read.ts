// Reads: answered from the applied tree, registering watches as they go, with 3.8's checks in 3.8's
// order (for instance exists registers its watch before finding that the node is missing, and does
// no ACL check at all).

import type { ACL, ClientInfo, Id } from '../jute/index.js';
import { EventType, Perms } from '../protocol/constants.js';
import { ErrorCode } from '../protocol/error-code.js';
import type { MultiReadOp, ReadRequest } from '../protocol/requests.js';
import type { DataTree } from '../tree/data-tree.js';
import type { WatcherId, WatcherKind, WatchEventSink, WatchTable } from '../watches/watch-table.js';
import { aclError, type AclPolicy } from './acl.js';
import { NO_BODY, type MultiResult, type ReplyBody } from './reply.js';

export interface ReadContext {
  readonly sessionId: bigint;
  readonly watcher: WatcherId;
  readonly authIds: readonly Id[];
}

export interface ReadEnvironment {
  readonly tree: DataTree;
  readonly watches: WatchTable;
  readonly acl: AclPolicy;
  /** Delivers the events setWatches fires at once for changes the client missed. */
  readonly events: WatchEventSink;
  /** The user name a provider shows for an id (whoAmI). */
  userNameOf(id: Id): string;
}

export interface ReadOutcome {
  readonly err: number;
  readonly body: ReplyBody;
}

const ok = (body: ReplyBody): ReadOutcome => ({ err: ErrorCode.ok, body });
const failed = (err: number): ReadOutcome => ({ err, body: NO_BODY });

function watcherKind(type: number): WatcherKind | undefined {
  switch (type) {
    case 1:
      return 'children';
    case 2:
      return 'data';
    case 3:
      return 'any';
    default:
      return undefined;
  }
}

/** Readers without ADMIN see digest ids with the hash masked, as 3.8 shows them. */
function maskDigests(acl: readonly ACL[]): ACL[] {
  return acl.map((entry) =>
    entry.id.scheme === 'digest'
      ? { perms: entry.perms, id: { scheme: 'digest', id: entry.id.id.replace(/:.*/su, ':x') } }
      : { perms: entry.perms, id: { scheme: entry.id.scheme, id: entry.id.id } },
  );
}

function getData(env: ReadEnvironment, ctx: ReadContext, path: string, watch: boolean): ReadOutcome {
  const node = env.tree.getNode(path);
  if (node === undefined) return failed(ErrorCode.noNode);
  const denied = aclError(env.acl, env.tree.aclOf(node), Perms.read, ctx.authIds);
  if (denied !== ErrorCode.ok) return failed(denied);
  if (watch) env.watches.addDataWatch(path, ctx.watcher);
  return ok({ kind: 'getData', data: node.data, stat: env.tree.statOf(node) });
}

function getChildren(env: ReadEnvironment, ctx: ReadContext, path: string, watch: boolean, withStat: boolean): ReadOutcome {
  const node = env.tree.getNode(path);
  if (node === undefined) return failed(ErrorCode.noNode);
  const denied = aclError(env.acl, env.tree.aclOf(node), Perms.read, ctx.authIds);
  if (denied !== ErrorCode.ok) return failed(denied);
  const children = env.tree.childrenOf(node);
  if (watch) env.watches.addChildWatch(path, ctx.watcher);
  return withStat ? ok({ kind: 'children2', children, stat: env.tree.statOf(node) }) : ok({ kind: 'children', children });
}

function multiRead(env: ReadEnvironment, ctx: ReadContext, ops: readonly MultiReadOp[]): ReadOutcome {
  const results: MultiResult[] = ops.map((op): MultiResult => {
    const outcome = op.kind === 'getData' ? getData(env, ctx, op.path, false) : getChildren(env, ctx, op.path, false, false);
    if (outcome.err !== ErrorCode.ok) return { kind: 'error', err: outcome.err };
    const body = outcome.body;
    if (body.kind === 'getData') return { kind: 'getData', data: body.data, stat: body.stat };
    if (body.kind === 'children') return { kind: 'getChildren', children: body.children };
    return { kind: 'error', err: ErrorCode.systemError };
  });
  return ok({ kind: 'multi', results });
}

function setWatches(
  env: ReadEnvironment,
  ctx: ReadContext,
  record: {
    relativeZxid: bigint;
    dataWatches: string[];
    existWatches: string[];
    childWatches: string[];
    persistentWatches: string[];
    persistentRecursiveWatches: string[];
  },
): ReadOutcome {
  const { tree, watches, events } = env;
  for (const path of record.dataWatches) {
    const node = tree.getNode(path);
    if (node === undefined) events.deliver(ctx.watcher, EventType.nodeDeleted, path);
    else if (node.stat.mzxid > record.relativeZxid) events.deliver(ctx.watcher, EventType.nodeDataChanged, path);
    else watches.addDataWatch(path, ctx.watcher);
  }
  for (const path of record.existWatches) {
    if (tree.getNode(path) !== undefined) events.deliver(ctx.watcher, EventType.nodeCreated, path);
    else watches.addDataWatch(path, ctx.watcher);
  }
  for (const path of record.childWatches) {
    const node = tree.getNode(path);
    if (node === undefined) events.deliver(ctx.watcher, EventType.nodeDeleted, path);
    else if (node.stat.pzxid > record.relativeZxid) events.deliver(ctx.watcher, EventType.nodeChildrenChanged, path);
    else watches.addChildWatch(path, ctx.watcher);
  }
  for (const path of record.persistentWatches) watches.addPersistentWatch(path, ctx.watcher, false);
  for (const path of record.persistentRecursiveWatches) watches.addPersistentWatch(path, ctx.watcher, true);
  return ok(NO_BODY);
}

/** Executes a read (or a watch-management request) against the applied tree. */
export function executeRead(env: ReadEnvironment, ctx: ReadContext, request: ReadRequest): ReadOutcome {
  switch (request.kind) {
    case 'exists': {
      const path = request.record.path;
      if (path.includes('\u0000')) return failed(ErrorCode.badArguments);
      if (request.record.watch) env.watches.addDataWatch(path, ctx.watcher);
      const node = env.tree.getNode(path);
      if (node === undefined) return failed(ErrorCode.noNode);
      return ok({ kind: 'stat', stat: env.tree.statOf(node) });
    }
    case 'getData':
      return getData(env, ctx, request.record.path, request.record.watch);
    case 'getChildren':
      return getChildren(env, ctx, request.record.path, request.record.watch, false);
    case 'getChildren2':
      return getChildren(env, ctx, request.record.path, request.record.watch, true);
    case 'getACL': {
      const path = request.record.path;
      const node = env.tree.getNode(path);
      if (node === undefined) return failed(ErrorCode.noNode);
      const acl = env.tree.aclOf(node);
      const denied = aclError(env.acl, acl, Perms.read | Perms.admin, ctx.authIds);
      if (denied !== ErrorCode.ok) return failed(denied);
      const isAdmin = aclError(env.acl, acl, Perms.admin, ctx.authIds) === ErrorCode.ok;
      return ok({ kind: 'getACL', acl: isAdmin ? acl.map((a) => ({ perms: a.perms, id: { ...a.id } })) : maskDigests(acl), stat: env.tree.statOf(node) });
    }
    case 'getAllChildrenNumber': {
      const path = request.record.path;
      const node = env.tree.getNode(path);
      if (node === undefined) return failed(ErrorCode.noNode);
      const denied = aclError(env.acl, env.tree.aclOf(node), Perms.read, ctx.authIds);
      if (denied !== ErrorCode.ok) return failed(denied);
      return ok({ kind: 'count', count: env.tree.descendantCount(path) });
    }
    case 'getEphemerals': {
      const prefix = request.record.prefixPath;
      const all = env.tree.ephemeralsOf(ctx.sessionId);
      const trimmed = prefix.trim();
      const paths = trimmed === '' || trimmed === '/' ? all : all.filter((p) => p.startsWith(prefix));
      return ok({ kind: 'ephemerals', paths });
    }
    case 'sync':
      return ok({ kind: 'sync', path: request.record.path });
    case 'ping':
      return ok(NO_BODY);
    case 'multiRead':
      return multiRead(env, ctx, request.ops);
    case 'setWatches':
      return setWatches(env, ctx, request.record);
    case 'checkWatches': {
      const kind = watcherKind(request.record.type);
      if (kind === undefined) return failed(ErrorCode.marshallingError);
      // 3.8's watch table computes the parent of the path as it looks the path up, and a path with
      // no '/' has none: the exception ends as MarshallingError (checkWatches only).
      if (!request.record.path.includes('/')) return failed(ErrorCode.marshallingError);
      return env.watches.contains(request.record.path, kind, ctx.watcher) ? ok(NO_BODY) : failed(ErrorCode.noWatcher);
    }
    case 'removeWatches': {
      const kind = watcherKind(request.record.type);
      if (kind === undefined) return failed(ErrorCode.marshallingError);
      return env.watches.remove(request.record.path, kind, ctx.watcher) ? ok(NO_BODY) : failed(ErrorCode.noWatcher);
    }
    case 'addWatch': {
      const mode = request.record.mode;
      if (mode !== 0 && mode !== 1) return failed(ErrorCode.marshallingError);
      env.watches.addPersistentWatch(request.record.path, ctx.watcher, mode === 1);
      return ok({ kind: 'errorResponse', err: 0 });
    }
    case 'whoAmI': {
      const clientInfo: ClientInfo[] = ctx.authIds.map((id) => ({ authScheme: id.scheme, user: env.userNameOf(id) }));
      return ok({ kind: 'whoAmI', clientInfo });
    }
  }
}
