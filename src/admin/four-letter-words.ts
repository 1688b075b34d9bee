/**
 * The four-letter words of ZooKeeper 3.8.0, as pure functions over an
 * {@link AdminView}. The server:
 *
 *   1. on a new connection, before the ConnectRequest, passes the first 4 bytes
 *      to {@link isFourLetterWord}; `null` means "a frame length, carry on";
 *   2. for `stmk` that is enabled ({@link isFourLetterWordEnabled}), takes the
 *      next 8 bytes that arrived with the word ({@link parseTraceMask});
 *   3. calls {@link runFourLetterWord}, writes the returned text as UTF-8 and
 *      closes the connection (also when the text is empty).
 *
 * Like 3.8, the word's connection should count one received packet and be
 * listed by stat/cons (with interest ops 0) while the word runs.
 */

import type { AdminView, ConnectionSnapshot, QuorumConf, SessionPaths } from './admin-view.js';
import {
  javaDateUtc,
  javaDouble,
  javaHashOrder,
  javaHexLong,
  javaLong,
  javaLongHash,
  javaSignedLong,
  javaSocketAddress,
  javaStringHash,
  buildDateUtc,
  summaryAverage,
  summaryMax,
  summaryMin,
} from './java-format.js';
import { renderMntr } from './mntr.js';

/** The words 3.8.0 knows (FourLetterCommands), all enabled by whitelist `*`. */
export const FOUR_LETTER_WORDS: ReadonlySet<string> = new Set([
  'conf',
  'cons',
  'crst',
  'dirs',
  'dump',
  'envi',
  'gtmk',
  'ruok',
  'stmk',
  'srst',
  'srvr',
  'stat',
  'wchc',
  'wchp',
  'wchs',
  'mntr',
  'isro',
  'hash',
]);

/**
 * 3.8 also "knows" the 4 bytes telnet sends when it closes (0xfff4fffd): not
 * whitelisted, it answers "telnet close is not executed ..."; whitelisted (`*`)
 * nothing runs and the connection is closed.
 */
export const TELNET_CLOSE = 'telnet close';

/** 3.8's answer when the server is not serving requests. */
export const ZK_NOT_SERVING = 'This ZooKeeper instance is not currently serving requests';

/** ZooTrace's default text trace mask, what gtmk prints on a fresh 3.8 server. */
export const DEFAULT_TRACE_MASK = 306n;

/** stmk is followed by the mask as an 8-byte big-endian signed long. */
export const STMK_MASK_LENGTH = 8;

/** `lop=` values, by request opcode (3.8 FinalRequestProcessor); 'NA' before any answer. */
export const LAST_OPERATION_BY_OPCODE: ReadonlyMap<number, string> = new Map([
  [11, 'PING'],
  [-10, 'SESS'],
  [14, 'MULT'],
  [22, 'MLTR'],
  [1, 'CREA'],
  [15, 'CREA'],
  [19, 'CREA'],
  [21, 'CREA'],
  [2, 'DELE'],
  [20, 'DELE'],
  [5, 'SETD'],
  [16, 'RECO'],
  [7, 'SETA'],
  [-11, 'CLOS'],
  [9, 'SYNC'],
  [13, 'CHEC'],
  [3, 'EXIS'],
  [4, 'GETD'],
  [101, 'SETW'],
  [105, 'STW2'],
  [106, 'ADDW'],
  [6, 'GETA'],
  [8, 'GETC'],
  [12, 'GETC'],
  [104, 'GETACN'],
  [17, 'CHKW'],
  [18, 'REMW'],
  [107, 'HOMI'],
  [103, 'GETE'],
]);

/**
 * The ZooKeeper version clients and tools parse comes first, our own name and
 * version second: `3.8.0-zk-ts-0.1.0, built on 2025-01-01 00:00 UTC`
 * (3.8 itself prints `<version>-<git revision>, built on <yyyy-MM-dd HH:mm> UTC`).
 */
export function formatServerVersion(
  zookeeperVersion: string,
  implementation: string,
  buildEpochMs: number,
): string {
  return `${zookeeperVersion}-${implementation}, built on ${buildDateUtc(buildEpochMs)}`;
}

/** Which words a whitelist enables; 'all' is 3.8's `*`. */
export type FourLetterWordWhitelist = ReadonlySet<string> | 'all';

/**
 * Parses `4lw.commands.whitelist` the way 3.8 does: comma separated, trimmed,
 * `*` enables every word. `srvr` is always enabled, `isro` too when read-only
 * mode is enabled. Unset (undefined) enables only those.
 */
export function parseFourLetterWordWhitelist(
  value: string | undefined,
  readOnlyModeEnabled = false,
): FourLetterWordWhitelist {
  const words = new Set<string>();
  for (const raw of (value ?? '').split(',')) {
    const w = raw.trim();
    if (w === '*') return 'all';
    if (w !== '') words.add(w);
  }
  words.add('srvr');
  if (readOnlyModeEnabled) words.add('isro');
  return words;
}

/** Whether 3.8 would run `word` under `whitelist` (srvr always runs). */
export function isFourLetterWordEnabled(word: string, whitelist: FourLetterWordWhitelist): boolean {
  if (word === 'srvr') return true;
  return whitelist === 'all' ? FOUR_LETTER_WORDS.has(word) || word === TELNET_CLOSE : whitelist.has(word);
}

/**
 * The word, if the first 4 bytes of a new connection are one 3.8 treats as a
 * command instead of a frame length (case-sensitive); TELNET_CLOSE for
 * 0xfff4fffd; otherwise null.
 */
export function isFourLetterWord(first4Bytes: Uint8Array): string | null {
  if (first4Bytes.length < 4) return null;
  const [a = 0, b = 0, c = 0, d = 0] = first4Bytes;
  if (a === 0xff && b === 0xf4 && c === 0xff && d === 0xfd) return TELNET_CLOSE;
  const word = String.fromCharCode(a, b, c, d);
  return FOUR_LETTER_WORDS.has(word) ? word : null;
}

/** The stmk argument: the 8 bytes after the word as a signed big-endian long; null if fewer arrived. */
export function parseTraceMask(bytes: Uint8Array): bigint | null {
  if (bytes.length < STMK_MASK_LENGTH) return null;
  let v = 0n;
  for (let i = 0; i < STMK_MASK_LENGTH; i++) v = (v << 8n) | BigInt(bytes[i] ?? 0);
  return BigInt.asIntN(64, v);
}

function connectionLine(c: ConnectionSnapshot, brief: boolean): string {
  let s = ` ${javaSocketAddress(c.remoteAddress, c.remotePort)}[${c.interestOps === 0 ? '0' : c.interestOps.toString(16)}]`;
  s += `(queued=${javaLong(c.outstandingRequests)},recved=${javaLong(c.packetsReceived)},sent=${javaLong(c.packetsSent)}`;
  if (!brief && c.sessionId !== 0n) {
    s += `,sid=0x${javaHexLong(c.sessionId)},lop=${c.lastOperation},est=${javaLong(c.establishedAtMs)}`;
    s += `,to=${javaLong(c.sessionTimeoutMs)}`;
    if (c.lastCxid >= 0) s += `,lcxid=0x${javaHexLong(BigInt(Math.trunc(c.lastCxid)))}`;
    s += `,lzxid=0x${javaHexLong(c.lastZxid)},lresp=${javaLong(c.lastResponseTimeMs)},llat=${javaLong(c.lastLatencyMs)}`;
    const avg = c.latency.count > 0 ? Math.trunc(c.latency.sum / c.latency.count) : 0;
    s += `,minlat=${javaLong(summaryMin(c.latency))},avglat=${javaLong(avg)},maxlat=${javaLong(summaryMax(c.latency))}`;
  }
  return `${s})`;
}

function renderStat(view: AdminView, withClients: boolean): string {
  const stats = view.stats();
  const mode = view.mode();
  let s = `Zookeeper version: ${view.serverVersion}\n`;
  if (mode === 'read-only') s += 'READ-ONLY mode; serving only read-only clients\n';
  if (withClients) {
    s += 'Clients:\n';
    for (const c of view.connections()) s += `${connectionLine(c, true)}\n`;
    s += '\n';
  }
  const lat = stats.requestLatency;
  s += `Latency min/avg/max: ${javaLong(summaryMin(lat))}/${javaDouble(summaryAverage(lat))}/${javaLong(summaryMax(lat))}\n`;
  s += `Received: ${javaLong(stats.packetsReceived)}\n`;
  s += `Sent: ${javaLong(stats.packetsSent)}\n`;
  s += `Connections: ${javaLong(stats.aliveConnections)}\n`;
  s += `Outstanding: ${javaLong(stats.outstandingRequests)}\n`;
  s += `Zxid: 0x${javaHexLong(stats.lastProcessedZxid)}\n`;
  s += `Mode: ${mode}\n`;
  s += `Node count: ${javaLong(stats.nodeCount)}\n`;
  const leader = view.quorum?.()?.leader ?? null;
  if (leader !== null) {
    const p = leader.proposalSizes;
    s += `Proposal sizes last/min/max: ${javaLong(p.last)}/${javaLong(p.min)}/${javaLong(p.max)}\n`;
  }
  return s;
}

function renderConf(view: AdminView): string {
  const c = view.config();
  const sizes = view.dirSizes();
  // 3.8 quirk: dataDirSize is the size of the txn log dir, dataLogSize the snapshot dir's.
  return [
    `clientPort=${javaLong(c.clientPort)}`,
    `secureClientPort=${javaLong(c.secureClientPort)}`,
    `dataDir=${c.snapDir}`,
    `dataDirSize=${javaLong(sizes.txnLogDirBytes)}`,
    `dataLogDir=${c.txnLogDir}`,
    `dataLogSize=${javaLong(sizes.snapDirBytes)}`,
    `tickTime=${javaLong(c.tickTime)}`,
    `maxClientCnxns=${javaLong(c.maxClientCnxns)}`,
    `minSessionTimeout=${javaLong(c.minSessionTimeout)}`,
    `maxSessionTimeout=${javaLong(c.maxSessionTimeout)}`,
    `clientPortListenBacklog=${javaLong(c.clientPortListenBacklog)}`,
    `serverId=${javaLong(c.serverId)}`,
    '',
  ].join('\n') + quorumConfText(view.quorumConf?.() ?? null);
}

/** QuorumZooKeeperServer.dumpConf's lines after the standalone ones; the membership has no final newline. */
function quorumConfText(q: QuorumConf | null): string {
  if (q === null) return '';
  return [
    `initLimit=${javaLong(q.initLimit)}`,
    `syncLimit=${javaLong(q.syncLimit)}`,
    `electionAlg=${javaLong(q.electionAlg)}`,
    `electionPort=${q.electionPorts.join('|')}`,
    `quorumPort=${q.quorumPorts.join('|')}`,
    `peerType=${javaLong(q.peerType)}`,
    'membership: ',
    q.membership,
  ].join('\n');
}

/** The environment as 3.8 lists it (envi, and the AdminServer's environment command). */
export function environmentEntries(view: AdminView): ReadonlyArray<readonly [string, string]> {
  const e = view.environment();
  const mb = (bytes: number): string => `${javaLong(Math.floor(bytes / (1024 * 1024)))}MB`;
  return [
    ['zookeeper.version', view.serverVersion],
    ['host.name', e.hostName],
    ['java.version', e.javaVersion],
    ['java.vendor', e.javaVendor],
    ['java.home', e.javaHome],
    ['java.class.path', e.javaClassPath],
    ['java.library.path', e.javaLibraryPath],
    ['java.io.tmpdir', e.javaIoTmpdir],
    ['java.compiler', e.javaCompiler],
    ['os.name', e.osName],
    ['os.arch', e.osArch],
    ['os.version', e.osVersion],
    ['user.name', e.userName],
    ['user.home', e.userHome],
    ['user.dir', e.userDir],
    ['os.memory.free', mb(e.memoryFreeBytes)],
    ['os.memory.max', mb(e.memoryMaxBytes)],
    ['os.memory.total', mb(e.memoryTotalBytes)],
  ];
}

function renderEnvi(view: AdminView): string {
  const entries = environmentEntries(view);
  return `Environment:\n${entries.map(([k, v]) => `${k}=${v}\n`).join('')}`;
}

/** ExpiryQueue.dump: `Sets (<buckets>)/(<members>):` then each bucket, sorted by time. */
function renderExpiry(buckets: ReadonlyArray<{ readonly expiresAtMs: number; readonly members: readonly string[] }>): string {
  const sorted = [...buckets].sort((a, b) => a.expiresAtMs - b.expiresAtMs);
  const total = sorted.reduce((n, b) => n + b.members.length, 0);
  let s = `Sets (${sorted.length})/(${total}):\n`;
  for (const b of sorted) {
    s += `${b.members.length} expire at ${javaDateUtc(b.expiresAtMs)}:\n`;
    for (const m of b.members) s += `\t${m}\n`;
  }
  return s;
}

/** 3.8 keeps paths per session in HashSets of strings. */
function pathOrder(paths: readonly string[]): string[] {
  return javaHashOrder([...new Set(paths)], javaStringHash, 'HashMap');
}

function renderDump(view: AdminView): string {
  let s = 'SessionTracker dump:\nSession ';
  s += renderExpiry(
    view.sessionExpiry().map((b) => ({
      expiresAtMs: b.expiresAtMs,
      members: b.sessionIds.map((id) => `0x${javaHexLong(id)}`),
    })),
  );
  s += 'ephemeral nodes dump:\n';
  // DataTree.ephemerals: ConcurrentHashMap<Long, HashSet<String>>
  const owners = javaHashOrder(view.ephemerals(), (e) => javaLongHash(e.sessionId), 'ConcurrentHashMap');
  s += `Sessions with Ephemerals (${owners.length}):\n`;
  for (const e of owners) {
    s += `0x${javaHexLong(e.sessionId)}:\n`;
    for (const p of pathOrder(e.paths)) s += `\t${p}\n`;
  }
  s += 'Connections dump:\n';
  const cnxnBuckets = view.connectionExpiry();
  if (cnxnBuckets !== null) {
    s += 'Connections ';
    s += renderExpiry(
      cnxnBuckets.map((b) => ({
        expiresAtMs: b.expiresAtMs,
        members: b.connections.map(
          (c) => `ip: ${javaSocketAddress(c.remoteAddress, c.remotePort)} sessionId: 0x${javaHexLong(c.sessionId)}`,
        ),
      })),
    );
  }
  return s;
}

function watchers(view: AdminView): SessionPaths[] {
  return view.dataWatches().filter((w) => w.paths.length > 0);
}

function renderWchs(view: AdminView): string {
  const ws = watchers(view);
  const paths = new Set<string>();
  let total = 0;
  for (const w of ws) {
    const unique = new Set(w.paths);
    total += unique.size;
    for (const p of unique) paths.add(p);
  }
  return `${ws.length} connections watching ${paths.size} paths\nTotal watches:${total}\n`;
}

function renderWchc(view: AdminView): string {
  let s = '';
  for (const w of watchers(view)) {
    s += `0x${javaHexLong(w.sessionId)}\n`;
    for (const p of pathOrder(w.paths)) s += `\t${p}\n`;
  }
  return `${s}\n`;
}

function renderWchp(view: AdminView): string {
  const byPath = new Map<string, bigint[]>();
  for (const w of watchers(view)) {
    for (const p of new Set(w.paths)) {
      const ids = byPath.get(p);
      if (ids === undefined) byPath.set(p, [w.sessionId]);
      else ids.push(w.sessionId);
    }
  }
  let s = '';
  for (const p of pathOrder([...byPath.keys()])) {
    s += `${p}\n`;
    for (const id of byPath.get(p) ?? []) s += `\t0x${javaHexLong(id)}\n`;
  }
  return `${s}\n`;
}

function renderHash(view: AdminView): string {
  return view
    .digestLog()
    .map((d) => `${javaHexLong(d.zxid)}: ${javaSignedLong(d.digest)}\n`)
    .join('');
}

/**
 * Exactly what 3.8.0 writes back for `word` (then it closes the connection).
 * `traceMask` is the stmk argument ({@link parseTraceMask}); without it an
 * enabled stmk answers nothing, like 3.8 when the 8 bytes are missing.
 * A string that is not a 3.8 word yields '' (3.8 would have read it as a
 * frame length).
 */
export function runFourLetterWord(
  word: string,
  view: AdminView,
  whitelist: FourLetterWordWhitelist,
  traceMask?: bigint | null,
): string {
  if (!FOUR_LETTER_WORDS.has(word) && word !== TELNET_CLOSE) return '';
  if (!isFourLetterWordEnabled(word, whitelist)) {
    return `${word} is not executed because it is not in the whitelist.\n`;
  }
  const notServing = `${ZK_NOT_SERVING}\n`;
  switch (word) {
    case 'ruok':
      return 'imok';
    case 'envi':
      return renderEnvi(view);
    case 'gtmk':
      return javaSignedLong(view.traceMask());
    case 'stmk': {
      if (traceMask === undefined || traceMask === null) return '';
      const mask = BigInt.asIntN(64, traceMask);
      view.setTraceMask(mask);
      return mask.toString();
    }
    case 'isro':
      if (!view.isRunning()) return 'null';
      return view.mode() === 'read-only' ? 'ro' : 'rw';
    case 'hash':
      return view.isRunning() ? renderHash(view) : ZK_NOT_SERVING;
    case TELNET_CLOSE:
      return '';
    default:
      break;
  }
  if (!view.isRunning()) return notServing;
  switch (word) {
    case 'srvr':
      return renderStat(view, false);
    case 'stat':
      return renderStat(view, true);
    case 'conf':
      return renderConf(view);
    case 'cons':
      return `${view
        .connections()
        .map((c) => `${connectionLine(c, false)}\n`)
        .join('')}\n`;
    case 'crst':
      view.resetConnectionStats();
      return 'Connection stats reset.\n';
    case 'srst':
      view.resetStats();
      return 'Server stats reset.\n';
    case 'dirs': {
      // 3.8 quirk, as in conf: datadir_size is the txn log dir, logdir_size the snapshot dir.
      const sizes = view.dirSizes();
      return `datadir_size: ${javaLong(sizes.txnLogDirBytes)}\nlogdir_size: ${javaLong(sizes.snapDirBytes)}\n`;
    }
    case 'dump':
      return renderDump(view);
    case 'wchs':
      return renderWchs(view);
    case 'wchc':
      return renderWchc(view);
    case 'wchp':
      return renderWchp(view);
    case 'mntr':
      return renderMntr(view);
    default:
      return '';
  }
}
