// The public vocabulary of the client library. Event, state and watch names are the Java client's
// (KeeperState, EventType, ZooKeeper.States), so they print as Java prints them.

import type { ACL, ClientInfo, Id, Stat } from '../jute/index.js';
import type { CreateMode } from '../protocol/constants.js';

export type { ACL, ClientInfo, CreateMode, Id, Stat };

/** Watcher.Event.KeeperState of the Java client. */
export type KeeperState =
  | 'Disconnected'
  | 'SyncConnected'
  | 'AuthFailed'
  | 'ConnectedReadOnly'
  | 'SaslAuthenticated'
  | 'Expired'
  | 'Closed';

/** Watcher.Event.EventType of the Java client. */
export type EventType =
  | 'None'
  | 'NodeCreated'
  | 'NodeDeleted'
  | 'NodeDataChanged'
  | 'NodeChildrenChanged'
  | 'DataWatchRemoved'
  | 'ChildWatchRemoved'
  | 'PersistentWatchRemoved';

/** A watch notification (type other than None) or a change of the connection state (type None, path null). */
export interface WatchedEvent {
  readonly type: EventType;
  readonly state: KeeperState;
  readonly path: string | null;
}

/** ZooKeeper.States of the Java client (ASSOCIATING and NOT_CONNECTED are never used here). */
export type ClientState = 'CONNECTING' | 'CONNECTED' | 'CONNECTEDREADONLY' | 'CLOSED' | 'AUTH_FAILED';

export type Watcher = (event: WatchedEvent) => void;

/** `true` registers the client's default watcher (its `watcher` option and `onEvent` listeners); a function registers itself. */
export type WatchOption = boolean | Watcher;

/** Node data as given to create/setData: bytes, a string (sent as UTF-8) or null (no data). */
export type Data = Uint8Array | string | null;

export type AddWatchMode = 'persistent' | 'persistentRecursive';

/** world:anyone with every permission (ZooDefs.Ids.OPEN_ACL_UNSAFE). */
export const OPEN_ACL_UNSAFE: readonly ACL[] = Object.freeze([{ perms: 31, id: { scheme: 'world', id: 'anyone' } }]);
/** Every permission for the authenticated creator (ZooDefs.Ids.CREATOR_ALL_ACL). */
export const CREATOR_ALL_ACL: readonly ACL[] = Object.freeze([{ perms: 31, id: { scheme: 'auth', id: '' } }]);
/** world:anyone may read (ZooDefs.Ids.READ_ACL_UNSAFE). */
export const READ_ACL_UNSAFE: readonly ACL[] = Object.freeze([{ perms: 1, id: { scheme: 'world', id: 'anyone' } }]);

/** One operation of a multi. Versions default to -1 (any). */
export type Op =
  | { readonly type: 'create'; readonly path: string; readonly data?: Data; readonly acl?: readonly ACL[]; readonly mode?: CreateMode; readonly ttlMs?: number }
  | { readonly type: 'delete'; readonly path: string; readonly version?: number }
  | { readonly type: 'setData'; readonly path: string; readonly data: Data; readonly version?: number }
  | { readonly type: 'check'; readonly path: string; readonly version: number };

/** The result of one operation of a multi, in the order of the operations. */
export type OpResult =
  | { readonly type: 'create'; readonly path: string; readonly stat: Stat | null }
  | { readonly type: 'delete' }
  | { readonly type: 'setData'; readonly stat: Stat }
  | { readonly type: 'check' }
  | { readonly type: 'error'; readonly err: number };
