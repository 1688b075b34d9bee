/**
 * The AdminServer commands of ZooKeeper 3.8.0 (org.apache.zookeeper.server.admin.Commands) as pure
 * functions over an {@link AdminHttpView}: each returns the response 3.8 builds, which
 * admin-server.ts writes as JSON.
 *
 * A response is 3.8's CommandResponse: the command's entries in order, then `command` (the primary
 * name) and `error` (null on success). A command that puts its own `error` entry (leader,
 * set_trace_mask) keeps that entry where it put it, first, and `command` follows: the order 3.8's
 * CommandResponse.toMap produces. An unknown name, or a command that needs a serving server while
 * the server does not serve, answers `{command: <name as asked>, error: <why>}`.
 *
 * Standalone answers: leader (error "server is not initialized"), observers (none), voting_view
 * (empty), zabstate (not voting, empty state), observer_connection_stat_reset (nothing to reset).
 * An ensemble member (AdminHttpView.ensemble) answers leader, voting_view, zabstate and observers
 * as a 3.8 QuorumZooKeeperServer does, and server_stats/stats add proposal_stats on the leader.
 */

import {
  environmentEntries as environmentEntriesOf,
  javaHashOrder,
  javaHexLong,
  javaLongHash,
  javaSocketAddress,
  javaStringHash,
  renderMntr,
  summaryAverage,
  summaryMax,
  summaryMin,
  ZK_NOT_SERVING,
  type ConnectionSnapshot,
  type SessionPaths,
} from '../admin/index.js';
import type { AdminHttpView, EnsembleServer, EnsembleView, LearnerConnection } from './admin-http-view.js';
import { jsonDouble, jsonObject, type JavaJson, type JavaJsonObject } from './java-json.js';

type Entries = Array<readonly [string, JavaJson]>;

/** Keyword arguments (URL query parameters, first value of each). */
export type CommandArguments = ReadonlyMap<string, string>;

export interface CommandResponse {
  /** The primary name, or the name as asked when the command did not run. */
  readonly command: string;
  readonly error: string | null;
  /** The command's own entries, in order (may include an `error` entry). */
  readonly entries: ReadonlyArray<readonly [string, JavaJson]>;
}

export interface AdminCommand {
  /** The primary name first, then the aliases. */
  readonly names: readonly string[];
  /** Answers "not currently serving requests" unless the server is running. */
  readonly serverRequired: boolean;
  run(view: AdminHttpView, args: CommandArguments): Entries;
}

/** CommandResponse.toMap: entries, then command and error, then the entries again (so an `error` entry wins). */
export function commandResponseJson(response: CommandResponse): JavaJsonObject {
  const map = new Map<string, JavaJson>(response.entries);
  map.set('command', response.command);
  map.set('error', response.error);
  for (const [key, value] of response.entries) map.set(key, value);
  return map;
}

/** HashSet / HashMap iteration order of 3.8 for sets of longs and strings. */
function longSetOrder(ids: readonly bigint[]): bigint[] {
  return javaHashOrder([...new Set(ids)], javaLongHash, 'HashMap');
}
function stringSetOrder(paths: readonly string[]): string[] {
  return javaHashOrder([...new Set(paths)], javaStringHash, 'HashMap');
}

/** A map keyed by session id (HashMap<Long, ...>): Jackson writes the keys as decimal strings. */
function bySessionId(items: readonly SessionPaths[]): JavaJsonObject {
  const ordered = javaHashOrder(items, (item) => javaLongHash(item.sessionId), 'HashMap');
  return jsonObject(ordered.map((item) => [BigInt.asIntN(64, item.sessionId).toString(), stringSetOrder(item.paths)]));
}

/** Jackson's InetSocketAddress form: `127.0.0.1:2181`, `[0:0:0:0:0:0:0:1]:2181`. */
function socketAddress(address: string, port: number): string {
  return javaSocketAddress(address, port).slice(1);
}

/** ServerCnxn.getConnectionInfo(brief). */
function connectionInfo(c: ConnectionSnapshot, brief: boolean): JavaJsonObject {
  const entries: Entries = [
    ['remote_socket_address', socketAddress(c.remoteAddress, c.remotePort)],
    ['interest_ops', c.interestOps],
    ['outstanding_requests', c.outstandingRequests],
    ['packets_received', c.packetsReceived],
    ['packets_sent', c.packetsSent],
  ];
  if (!brief) {
    entries.push(
      ['session_id', c.sessionId],
      ['last_operation', c.lastOperation],
      ['established', c.establishedAtMs],
      ['session_timeout', c.sessionTimeoutMs],
      ['last_cxid', c.lastCxid],
      ['last_zxid', c.lastZxid],
      ['last_response_time', c.lastResponseTimeMs],
      ['last_latency', c.lastLatencyMs],
      ['min_latency', summaryMin(c.latency)],
      ['avg_latency', c.latency.count > 0 ? Math.trunc(c.latency.sum / c.latency.count) : 0],
      ['max_latency', summaryMax(c.latency)],
    );
  }
  return jsonObject(entries);
}

function withPaths(view: AdminHttpView): SessionPaths[] {
  return view.dataWatches().filter((w) => w.paths.length > 0);
}

/** mntr's keys and values, typed: its text is the same list 3.8 puts in this response. */
function monitorEntries(view: AdminHttpView): Entries {
  const entries: Entries = [];
  for (const line of renderMntr(view).split('\n')) {
    if (line === '') continue;
    const tab = line.indexOf('\t');
    const key = line.slice('zk_'.length, tab);
    const text = line.slice(tab + 1);
    if (key === 'version' || key === 'server_state') entries.push([key, text]);
    else if (/^-?\d+$/u.test(text)) entries.push([key, BigInt(text)]);
    else entries.push([key, jsonDouble(Number(text))]);
  }
  return entries;
}

/** ServerStats as Jackson serializes the bean (property order as 3.8.0 writes it). */
function serverStatsJson(view: AdminHttpView): JavaJsonObject {
  const stats = view.stats();
  const gauges = view.mntrMetrics().gauges ?? {};
  const sizes = view.dirSizes();
  return jsonObject([
    ['packets_sent', stats.packetsSent],
    ['packets_received', stats.packetsReceived],
    ['fsync_threshold_exceed_count', view.fsyncThresholdExceedCount?.() ?? 0],
    ['client_response_stats', clientResponseJson(view)],
    // 3.8 quirk (as in conf and dirs): the "data dir" is the txn log dir, the "log dir" the snapshot dir.
    ['data_dir_size', sizes.txnLogDirBytes],
    ['log_dir_size', sizes.snapDirBytes],
    ['provider_null', false],
    ['server_state', view.mode()],
    ['last_processed_zxid', stats.lastProcessedZxid],
    ['outstanding_requests', stats.outstandingRequests],
    ['avg_latency', jsonDouble(summaryAverage(stats.requestLatency))],
    ['max_latency', summaryMax(stats.requestLatency)],
    ['min_latency', summaryMin(stats.requestLatency)],
    ['num_alive_client_connections', stats.aliveConnections],
    ['uptime', stats.uptimeMs],
    ['auth_failed_count', gauges.auth_failed_count ?? 0],
    ['non_mtlsremote_conn_count', gauges.non_mtls_remote_conn_count ?? 0],
    ['non_mtlslocal_conn_count', gauges.non_mtls_local_conn_count ?? 0],
  ]);
}

/** BufferStats of the client responses: -1 until a response was sent. */
function clientResponseJson(view: AdminHttpView): JavaJsonObject {
  const gauges = view.mntrMetrics().gauges ?? {};
  return jsonObject([
    ['last_buffer_size', gauges.last_client_response_size ?? -1],
    ['min_buffer_size', gauges.min_client_response_size ?? -1],
    ['max_buffer_size', gauges.max_client_response_size ?? -1],
  ]);
}

function srvrEntries(view: AdminHttpView): Entries {
  const leader = view.quorum?.()?.leader ?? null;
  return [
    ['version', view.serverVersion],
    ['read_only', view.mode() === 'read-only'],
    ['server_stats', serverStatsJson(view)],
    ['client_response', clientResponseJson(view)],
    ...(leader === null
      ? []
      : ([
          [
            'proposal_stats',
            jsonObject([
              ['last_buffer_size', leader.proposalSizes.last],
              ['min_buffer_size', leader.proposalSizes.min],
              ['max_buffer_size', leader.proposalSizes.max],
            ]),
          ],
        ] as const)),
    ['node_count', view.stats().nodeCount],
  ];
}

/** Jackson's InetSocketAddress form for a configured host: `127.0.0.1:2888`, `[::1]:2888`. */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${String(port)}` : `${host}:${String(port)}`;
}

/** A MultipleAddresses bean of one address, as Jackson writes it (zabstate). */
function multipleAddressesJson(host: string, port: number): JavaJsonObject {
  const address = hostPort(host, port);
  return jsonObject([
    ['empty', false],
    ['all_addresses', [address]],
    ['all_reachable_addresses', [address]],
    ['one', address],
    ['reachable_address', address],
    ['wildcard_addresses', [`0.0.0.0:${String(port)}`]],
    ['all_ports', [port]],
    ['all_host_strings', [host]],
    ['all_reachable_addresses_or_all', [address]],
    ['reachable_or_one', address],
  ]);
}

function leaderEntries(view: AdminHttpView): Entries {
  const ensemble = view.ensemble?.() ?? null;
  if (ensemble === null) return [['error', 'server is not initialized']];
  return [
    ['is_leader', ensemble.isLeader],
    ['leader_id', ensemble.leaderId],
    ['leader_ip', ensemble.leaderHost],
  ];
}

/** QuorumPeer.getVotingView: a HashMap<Long, QuorumServerView> of the voting members. */
function votingViewEntries(view: AdminHttpView): Entries {
  const ensemble = view.ensemble?.() ?? null;
  if (ensemble === null) return [['current_config', jsonObject([])]];
  const voters = javaHashOrder(
    ensemble.servers.filter((s) => s.participant),
    (s) => javaLongHash(s.id),
    'HashMap',
  );
  return [
    [
      'current_config',
      jsonObject(
        voters.map((server: EnsembleServer) => [
          BigInt.asIntN(64, server.id).toString(),
          jsonObject([
            ['server_addresses', [hostPort(server.host, server.quorumPort)]],
            ['election_addresses', [hostPort(server.host, server.electionPort)]],
            ['client_address', server.clientAddress],
            ['learner_type', server.participant ? 'participant' : 'observer'],
          ]),
        ]),
      ),
    ],
  ];
}

function zabStateEntries(view: AdminHttpView): Entries {
  const ensemble = view.ensemble?.() ?? null;
  if (ensemble === null) {
    return [
      ['voting', false],
      ['zabstate', ''],
    ];
  }
  const me = ensemble.servers.find((s) => s.id === ensemble.myId);
  const zxid = view.stats().lastProcessedZxid;
  return [
    ['myid', ensemble.myId],
    ['is_leader', ensemble.isLeader],
    ['quorum_address', me === undefined ? null : multipleAddressesJson(me.host, me.quorumPort)],
    ['election_address', me === undefined ? null : multipleAddressesJson(me.host, me.electionPort)],
    ['client_address', me?.clientAddress ?? ''],
    ['voting', me?.participant === true],
    ['last_zxid', `0x${javaHexLong(zxid)}`],
    ['zab_epoch', BigInt.asIntN(64, zxid) >> 32n],
    ['zab_counter', zxid & 0xffffffffn],
    ['zabstate', ensemble.zabState],
  ];
}

/** LearnerHandler.getLearnerHandlerInfo (a LinkedHashMap). */
function learnerJson(learner: LearnerConnection): JavaJsonObject {
  return jsonObject([
    ['remote_socket_address', javaSocketAddress(learner.remoteAddress, learner.remotePort)],
    ['sid', learner.sid],
    ['established', learner.establishedAtMs],
    ['queued_packets', learner.queuedPackets],
    ['queued_packets_size', 0],
    ['packets_received', learner.packetsReceived],
    ['packets_sent', learner.packetsSent],
    ['requests', learner.requests],
    ['last_zxid', learner.lastZxid],
  ]);
}

function observersEntries(view: AdminHttpView): Entries {
  const observers: EnsembleView['observers'] = view.ensemble?.()?.observers ?? null;
  if (observers === null) {
    return [
      ['synced_observers', 0],
      ['observers', []],
    ];
  }
  return [
    ['synced_observers', observers.length],
    ['observers', observers.map(learnerJson)],
  ];
}

function environmentEntries(view: AdminHttpView): Entries {
  return environmentEntriesOf(view).map(([key, value]) => [key, value]);
}

function dumpEntries(view: AdminHttpView): Entries {
  // SessionTracker.getSessionExpiryMap: a TreeMap by expiry time of HashSets of session ids.
  const byTime = new Map<number, bigint[]>();
  for (const bucket of view.sessionExpiry()) {
    byTime.set(bucket.expiresAtMs, [...(byTime.get(bucket.expiresAtMs) ?? []), ...bucket.sessionIds]);
  }
  const expiry = [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([time, ids]): [string, JavaJson] => [String(Math.trunc(time)), longSetOrder(ids)]);
  return [
    ['expiry_time_to_session_ids', jsonObject(expiry)],
    ['session_id_to_ephemeral_paths', bySessionId(view.ephemerals())],
  ];
}

function watchesByPath(view: AdminHttpView): JavaJsonObject {
  const byPath = new Map<string, bigint[]>();
  for (const w of withPaths(view)) {
    for (const path of new Set(w.paths)) byPath.set(path, [...(byPath.get(path) ?? []), w.sessionId]);
  }
  return jsonObject(stringSetOrder([...byPath.keys()]).map((path) => [path, longSetOrder(byPath.get(path) ?? [])]));
}

function watchSummaryEntries(view: AdminHttpView): Entries {
  const watchers = withPaths(view);
  const paths = new Set<string>();
  let total = 0;
  for (const w of watchers) {
    const unique = new Set(w.paths);
    total += unique.size;
    for (const p of unique) paths.add(p);
  }
  return [
    ['num_connections', watchers.length],
    ['num_paths', paths.size],
    ['num_total_watches', total],
  ];
}

/** Java's Long.parseLong (ASCII digits): null when it would throw NumberFormatException. */
export function parseJavaLong(text: string): bigint | null {
  if (!/^[+-]?\d+$/u.test(text)) return null;
  const value = BigInt(text);
  return value === BigInt.asIntN(64, value) ? value : null;
}

function setTraceMaskEntries(view: AdminHttpView, args: CommandArguments): Entries {
  const raw = args.get('traceMask');
  if (raw === undefined) return [['error', 'setTraceMask requires long traceMask argument']];
  const mask = parseJavaLong(raw);
  if (mask === null) return [['error', `setTraceMask requires long traceMask argument, got ${raw}`]];
  view.setTraceMask(mask);
  return [['tracemask', mask]];
}

function lastSnapshotEntries(view: AdminHttpView): Entries {
  const info = view.lastSnapshot();
  return [
    ['zxid', javaHexLong(info === null ? -1n : info.zxid)],
    ['timestamp', info === null ? -1 : Math.floor(info.modifiedAtMs / 1000)],
  ];
}

function systemPropertyEntries(view: AdminHttpView): Entries {
  // A TreeMap<String, String>: String.compareTo is UTF-16 code unit order, as JavaScript's sort.
  return Object.entries(view.systemProperties()).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** DataTree.DIGEST_VERSION of 3.8 (ZxidDigest.digestVersion). */
const DIGEST_VERSION = 2;

/** Every command of 3.8.0, in Commands' registration order. */
export const ADMIN_COMMANDS: readonly AdminCommand[] = [
  {
    names: ['connection_stat_reset', 'crst'],
    serverRequired: true,
    run: (view) => {
      view.resetConnectionStats();
      return [];
    },
  },
  {
    names: ['configuration', 'conf', 'config'],
    serverRequired: true,
    run: (view) => {
      const c = view.config();
      return [
        ['client_port', c.clientPort],
        ['data_dir', c.snapDir],
        ['data_log_dir', c.txnLogDir],
        ['tick_time', c.tickTime],
        ['max_client_cnxns', c.maxClientCnxns],
        ['min_session_timeout', c.minSessionTimeout],
        ['max_session_timeout', c.maxSessionTimeout],
        ['server_id', c.serverId],
        ['client_port_listen_backlog', c.clientPortListenBacklog],
      ];
    },
  },
  {
    names: ['connections', 'cons'],
    serverRequired: true,
    run: (view) => [
      ['connections', view.connections().map((c) => connectionInfo(c, false))],
      ['secure_connections', []],
    ],
  },
  {
    names: ['hash'],
    serverRequired: true,
    run: (view) => [
      [
        'digests',
        view.digestLog().map((d) =>
          jsonObject([
            ['zxid', d.zxid],
            ['digest', d.digest],
            ['digest_version', DIGEST_VERSION],
          ]),
        ),
      ],
    ],
  },
  {
    names: ['dirs'],
    serverRequired: true,
    run: (view) => {
      const sizes = view.dirSizes();
      return [
        ['datadir_size', sizes.txnLogDirBytes],
        ['logdir_size', sizes.snapDirBytes],
      ];
    },
  },
  { names: ['dump'], serverRequired: true, run: dumpEntries },
  { names: ['environment', 'env', 'envi'], serverRequired: false, run: environmentEntries },
  { names: ['get_trace_mask', 'gtmk'], serverRequired: false, run: (view) => [['tracemask', view.traceMask()]] },
  { names: ['initial_configuration', 'icfg'], serverRequired: true, run: (view) => [['initial_configuration', view.initialConfig()]] },
  { names: ['is_read_only', 'isro'], serverRequired: true, run: (view) => [['read_only', view.mode() === 'read-only']] },
  { names: ['last_snapshot', 'lsnp'], serverRequired: true, run: lastSnapshotEntries },
  { names: ['leader', 'lead'], serverRequired: true, run: leaderEntries },
  { names: ['monitor', 'mntr'], serverRequired: false, run: monitorEntries },
  { names: ['observer_connection_stat_reset', 'orst'], serverRequired: true, run: () => [] },
  { names: ['ruok'], serverRequired: true, run: () => [] },
  { names: ['set_trace_mask', 'stmk'], serverRequired: false, run: setTraceMaskEntries },
  { names: ['server_stats', 'srvr'], serverRequired: true, run: srvrEntries },
  {
    names: ['stats', 'stat'],
    serverRequired: true,
    run: (view) => [
      ...srvrEntries(view),
      ['connections', view.connections().map((c) => connectionInfo(c, true))],
      ['secure_connections', []],
    ],
  },
  {
    names: ['stat_reset', 'srst'],
    serverRequired: true,
    run: (view) => {
      view.resetStats();
      return [];
    },
  },
  { names: ['observers', 'obsr'], serverRequired: true, run: observersEntries },
  { names: ['system_properties', 'sysp'], serverRequired: false, run: systemPropertyEntries },
  { names: ['voting_view'], serverRequired: true, run: votingViewEntries },
  { names: ['watches', 'wchc'], serverRequired: true, run: (view) => [['session_id_to_watched_paths', bySessionId(withPaths(view))]] },
  { names: ['watches_by_path', 'wchp'], serverRequired: true, run: (view) => [['path_to_session_ids', watchesByPath(view)]] },
  { names: ['watch_summary', 'wchs'], serverRequired: true, run: watchSummaryEntries },
  { names: ['zabstate'], serverRequired: false, run: zabStateEntries },
];

const BY_NAME: ReadonlyMap<string, AdminCommand> = new Map(ADMIN_COMMANDS.flatMap((c) => c.names.map((n) => [n, c] as const)));

/** The primary names, sorted: what GET <commandUrl> lists. */
export const PRIMARY_COMMAND_NAMES: readonly string[] = ADMIN_COMMANDS.map((c) => c.names[0] ?? '').sort();

/** Commands.runCommand: runs `name` (case-sensitive) against the view. */
export function runAdminCommand(name: string, view: AdminHttpView, args: CommandArguments): CommandResponse {
  const command = BY_NAME.get(name);
  if (command === undefined) return { command: name, error: `Unknown command: ${name}`, entries: [] };
  if (command.serverRequired && !view.isRunning()) return { command: name, error: ZK_NOT_SERVING, entries: [] };
  return { command: command.names[0] ?? name, error: null, entries: command.run(view, args) };
}
