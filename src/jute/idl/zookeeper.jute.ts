/**
 * Our own description of the ZooKeeper 3.8 jute records (record names,
 * field names, field order and field types as they appear on the wire).
 * `tools/generate.ts` turns it into `records.ts`; tests also use it to
 * derive random values and an independent reference encoding.
 *
 * Field types: `int`, `long`, `boolean`, `ustring`, `buffer`, the name of
 * another record, or `vector<T>` of any of these.
 */

export type JuteModule = 'data' | 'proto' | 'server.quorum' | 'server.persistence' | 'txn';

/** Field name → field type, in wire order. */
export type JuteFieldMap = Readonly<Record<string, string>>;

export interface JuteRecordDef {
  readonly module: JuteModule;
  readonly name: string;
  readonly fields: JuteFieldMap;
}

function record(module: JuteModule, name: string, fields: JuteFieldMap): JuteRecordDef {
  return { module, name, fields };
}

const path = 'ustring';
const acl = 'vector<ACL>';

export const ZOOKEEPER_RECORDS: readonly JuteRecordDef[] = [
  // --- org.apache.zookeeper.data ---
  record('data', 'Id', { scheme: 'ustring', id: 'ustring' }),
  record('data', 'ACL', { perms: 'int', id: 'Id' }),
  record('data', 'Stat', {
    czxid: 'long',
    mzxid: 'long',
    ctime: 'long',
    mtime: 'long',
    version: 'int',
    cversion: 'int',
    aversion: 'int',
    ephemeralOwner: 'long',
    dataLength: 'int',
    numChildren: 'int',
    pzxid: 'long',
  }),
  record('data', 'StatPersisted', {
    czxid: 'long',
    mzxid: 'long',
    ctime: 'long',
    mtime: 'long',
    version: 'int',
    cversion: 'int',
    aversion: 'int',
    ephemeralOwner: 'long',
    pzxid: 'long',
  }),
  record('data', 'ClientInfo', { authScheme: 'ustring', user: 'ustring' }),

  // --- org.apache.zookeeper.proto ---
  record('proto', 'ConnectRequest', {
    protocolVersion: 'int',
    lastZxidSeen: 'long',
    timeOut: 'int',
    sessionId: 'long',
    passwd: 'buffer',
  }),
  record('proto', 'ConnectResponse', { protocolVersion: 'int', timeOut: 'int', sessionId: 'long', passwd: 'buffer' }),
  record('proto', 'SetWatches', {
    relativeZxid: 'long',
    dataWatches: 'vector<ustring>',
    existWatches: 'vector<ustring>',
    childWatches: 'vector<ustring>',
  }),
  record('proto', 'SetWatches2', {
    relativeZxid: 'long',
    dataWatches: 'vector<ustring>',
    existWatches: 'vector<ustring>',
    childWatches: 'vector<ustring>',
    persistentWatches: 'vector<ustring>',
    persistentRecursiveWatches: 'vector<ustring>',
  }),
  record('proto', 'RequestHeader', { xid: 'int', type: 'int' }),
  record('proto', 'MultiHeader', { type: 'int', done: 'boolean', err: 'int' }),
  record('proto', 'AuthPacket', { type: 'int', scheme: 'ustring', auth: 'buffer' }),
  record('proto', 'ReplyHeader', { xid: 'int', zxid: 'long', err: 'int' }),
  record('proto', 'GetDataRequest', { path, watch: 'boolean' }),
  record('proto', 'SetDataRequest', { path, data: 'buffer', version: 'int' }),
  record('proto', 'ReconfigRequest', {
    joiningServers: 'ustring',
    leavingServers: 'ustring',
    newMembers: 'ustring',
    curConfigId: 'long',
  }),
  record('proto', 'SetDataResponse', { stat: 'Stat' }),
  record('proto', 'GetSASLRequest', { token: 'buffer' }),
  record('proto', 'SetSASLRequest', { token: 'buffer' }),
  record('proto', 'SetSASLResponse', { token: 'buffer' }),
  record('proto', 'CreateRequest', { path, data: 'buffer', acl, flags: 'int' }),
  record('proto', 'CreateTTLRequest', { path, data: 'buffer', acl, flags: 'int', ttl: 'long' }),
  record('proto', 'DeleteRequest', { path, version: 'int' }),
  record('proto', 'GetChildrenRequest', { path, watch: 'boolean' }),
  record('proto', 'GetAllChildrenNumberRequest', { path }),
  record('proto', 'GetChildren2Request', { path, watch: 'boolean' }),
  record('proto', 'CheckVersionRequest', { path, version: 'int' }),
  record('proto', 'GetMaxChildrenRequest', { path }),
  record('proto', 'GetMaxChildrenResponse', { max: 'int' }),
  record('proto', 'SetMaxChildrenRequest', { path, max: 'int' }),
  record('proto', 'SyncRequest', { path }),
  record('proto', 'SyncResponse', { path }),
  record('proto', 'GetACLRequest', { path }),
  record('proto', 'SetACLRequest', { path, acl, version: 'int' }),
  record('proto', 'SetACLResponse', { stat: 'Stat' }),
  record('proto', 'AddWatchRequest', { path, mode: 'int' }),
  record('proto', 'WatcherEvent', { type: 'int', state: 'int', path }),
  record('proto', 'ErrorResponse', { err: 'int' }),
  record('proto', 'CreateResponse', { path }),
  record('proto', 'Create2Response', { path, stat: 'Stat' }),
  record('proto', 'ExistsRequest', { path, watch: 'boolean' }),
  record('proto', 'ExistsResponse', { stat: 'Stat' }),
  record('proto', 'GetDataResponse', { data: 'buffer', stat: 'Stat' }),
  record('proto', 'GetChildrenResponse', { children: 'vector<ustring>' }),
  record('proto', 'GetAllChildrenNumberResponse', { totalNumber: 'int' }),
  record('proto', 'GetChildren2Response', { children: 'vector<ustring>', stat: 'Stat' }),
  record('proto', 'GetACLResponse', { acl, stat: 'Stat' }),
  record('proto', 'CheckWatchesRequest', { path, type: 'int' }),
  record('proto', 'RemoveWatchesRequest', { path, type: 'int' }),
  record('proto', 'GetEphemeralsRequest', { prefixPath: 'ustring' }),
  record('proto', 'GetEphemeralsResponse', { ephemerals: 'vector<ustring>' }),
  record('proto', 'WhoAmIResponse', { clientInfo: 'vector<ClientInfo>' }),

  // --- org.apache.zookeeper.server.quorum ---
  record('server.quorum', 'LearnerInfo', { serverid: 'long', protocolVersion: 'int', configVersion: 'long' }),
  record('server.quorum', 'QuorumPacket', { type: 'int', zxid: 'long', data: 'buffer', authinfo: 'vector<Id>' }),
  record('server.quorum', 'QuorumAuthPacket', { magic: 'long', status: 'int', token: 'buffer' }),

  // --- org.apache.zookeeper.server.persistence ---
  record('server.persistence', 'FileHeader', { magic: 'int', version: 'int', dbid: 'long' }),

  // --- org.apache.zookeeper.txn ---
  record('txn', 'TxnDigest', { version: 'int', treeDigest: 'long' }),
  record('txn', 'TxnHeader', { clientId: 'long', cxid: 'int', zxid: 'long', time: 'long', type: 'int' }),
  record('txn', 'CreateTxnV0', { path, data: 'buffer', acl, ephemeral: 'boolean' }),
  record('txn', 'CreateTxn', { path, data: 'buffer', acl, ephemeral: 'boolean', parentCVersion: 'int' }),
  record('txn', 'CreateTTLTxn', { path, data: 'buffer', acl, parentCVersion: 'int', ttl: 'long' }),
  record('txn', 'CreateContainerTxn', { path, data: 'buffer', acl, parentCVersion: 'int' }),
  record('txn', 'DeleteTxn', { path }),
  record('txn', 'SetDataTxn', { path, data: 'buffer', version: 'int' }),
  record('txn', 'CheckVersionTxn', { path, version: 'int' }),
  record('txn', 'SetACLTxn', { path, acl, version: 'int' }),
  record('txn', 'SetMaxChildrenTxn', { path, max: 'int' }),
  record('txn', 'CreateSessionTxn', { timeOut: 'int' }),
  record('txn', 'CloseSessionTxn', { paths2Delete: 'vector<ustring>' }),
  record('txn', 'ErrorTxn', { err: 'int' }),
  record('txn', 'Txn', { type: 'int', data: 'buffer' }),
  record('txn', 'MultiTxn', { txns: 'vector<Txn>' }),
];
