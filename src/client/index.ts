// zk-ts's own ZooKeeper client: see README.md in this folder.

export { ZooKeeperClient, type ClientOptions, type CreateOptions, type ReplyInfo, type ReplyListener, type WatchArg } from './client.js';
export { parseConnectString, formatServerAddress, DEFAULT_CLIENT_PORT, type ConnectString, type ServerAddress } from './connect-string.js';
export { IllegalArgumentError, ZooKeeperError, errorCodeName, keeperErrorMessage } from './errors.js';
export {
  CREATOR_ALL_ACL,
  OPEN_ACL_UNSAFE,
  READ_ACL_UNSAFE,
  type ACL,
  type AddWatchMode,
  type ClientInfo,
  type ClientState,
  type CreateMode,
  type Data,
  type EventType,
  type Id,
  type KeeperState,
  type Op,
  type OpResult,
  type Stat,
  type WatchedEvent,
  type Watcher,
  type WatchOption,
} from './types.js';
export { ErrorCode, type ErrorCodeName } from '../protocol/error-code.js';
