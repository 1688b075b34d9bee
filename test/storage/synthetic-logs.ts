// Data directories written file by file, for recovery cases a running server cannot be made to
// leave on cue: a log file a crash left empty between two others, an entry with a valid checksum
// that does not decode. The files use the real formats (src/storage), so both servers read them.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogFn, Logger } from '../../src/logging/logger.js';
import { silentLogger } from '../../src/logging/logger.js';
import { writeSnapshot } from '../../src/storage/snapshotter.js';
import { encodeFileHeader, encodeLogEntry, logFileName, TXNLOG_MAGIC } from '../../src/storage/txn-log-format.js';
import { DataTree } from '../../src/tree/data-tree.js';
import { encodeTxn, type Txn } from '../../src/txn/txn.js';

const OPEN_ACL = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
/** In a TxnHeader: clientId (8), cxid (4), zxid (8), time (8), then the type. */
const TXN_HEADER_TYPE_AT = 28;

/** zxid `counter` of `epoch`. */
export function zxidOf(epoch: number, counter: number): bigint {
  return (BigInt(epoch) << 32n) | BigInt(counter);
}

/** A persistent create of `path` (a child of /) at `zxid`, with the path as its data. */
export function createTxn(zxid: bigint, path: string): Txn {
  return {
    header: { clientId: 0n, cxid: 1, zxid, time: 1_700_000_000_000n, type: 1 },
    body: { kind: 'create', record: { path, data: Buffer.from(path), acl: OPEN_ACL, ephemeral: false, parentCVersion: -1 } },
    digest: null,
  };
}

/** Creates of /<prefix>-<counter> for counters first..last of `epoch`. */
export function createTxns(epoch: number, first: number, last: number, prefix: string): Txn[] {
  const txns: Txn[] = [];
  for (let i = first; i <= last; i++) txns.push(createTxn(zxidOf(epoch, i), `/${prefix}-${String(i)}`));
  return txns;
}

/** A txn's bytes with its TxnHeader type replaced: checksummed by the log as usual, but it does not decode. */
export function withType(txn: Txn, type: number): Buffer {
  const bytes = encodeTxn(txn);
  bytes.writeInt32BE(type, TXN_HEADER_TYPE_AT);
  return bytes;
}

export interface WrittenLog {
  readonly name: string;
  /** Offset of each entry's checksum, in entry order. */
  readonly offsets: number[];
}

/**
 * Writes log.<zxid of the first entry> (or `name`): header, entries, then zeros up to
 * `preallocBytes`, as a server leaves a preallocated file.
 */
export async function writeLogFile(directory: string, entries: readonly (Txn | Buffer)[], options: { name?: string; preallocBytes?: number } = {}): Promise<WrittenLog> {
  const parts: Buffer[] = [encodeFileHeader(TXNLOG_MAGIC)];
  const offsets: number[] = [];
  let size = parts[0]?.length ?? 0;
  let firstZxid: bigint | null = null;
  for (const entry of entries) {
    const bytes = Buffer.isBuffer(entry) ? entry : encodeTxn(entry);
    firstZxid ??= bytes.readBigInt64BE(12);
    const framed = encodeLogEntry(bytes);
    offsets.push(size);
    parts.push(framed);
    size += framed.length;
  }
  const prealloc = options.preallocBytes ?? 4096;
  if (prealloc > size) parts.push(Buffer.alloc(prealloc - size));
  const name = options.name ?? logFileName(firstZxid ?? 0n);
  await writeFile(join(directory, name), Buffer.concat(parts));
  return { name, offsets };
}

/** A snapshot of the tree the txns build, named after the last one's zxid; returns its name. */
export async function writeSnapshotOf(directory: string, txns: readonly Txn[]): Promise<string> {
  const tree = new DataTree({ extendedTypesEnabled: false });
  for (const txn of txns) tree.applyTxn(txn);
  const result = await writeSnapshot(tree, [], { directory, fsync: false, nodesPerSlice: 1000 }, silentLogger);
  return result.path.slice(result.path.lastIndexOf('/') + 1);
}

/** dataDir/version-2 under `base`, created. */
export async function versionDirectory(base: string): Promise<string> {
  const directory = join(base, 'version-2');
  await mkdir(directory, { recursive: true });
  return directory;
}

export interface LoggedLine {
  readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/** A Logger that keeps every line, for tests that look at what recovery warned about. */
export function recordingLogger(): { logger: Logger; lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const fn =
    (level: LoggedLine['level']): LogFn =>
    (first: object | string, message?: string): void => {
      if (typeof first === 'string') lines.push({ level, fields: {}, message: first });
      else lines.push({ level, fields: { ...(first as Record<string, unknown>) }, message: message ?? '' });
    };
  const logger: Logger = { fatal: fn('fatal'), error: fn('error'), warn: fn('warn'), info: fn('info'), debug: fn('debug'), trace: fn('trace'), child: () => logger };
  return { logger, lines };
}
