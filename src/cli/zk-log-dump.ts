// zk-log-dump: prints a txn log file as text, line for line as ZooKeeper 3.8's TxnLogToolkit prints
// it in its dump mode, so the two can be compared (and scripts written for one read the other):
//
//   zk-log-dump [-d] <log file>
//
//   ZooKeeper Transactional Log File with dbid 0 txnlog format version 2
//   11/26/26, 8:00:33 AM UTC session 0x100001cc5fd0000 cxid 0x1 zxid 0x2 create /a,x,[31,s{'world,'anyone}
//   ],false,1
//   EOF reached after 1 txns.
//
// Each txn shows its time (DateFormat SHORT date, LONG time, in the local zone), session, cxid,
// zxid, type and its record: creates, setData and multis as TxnLogToolkit spells them out, the other
// records as jute's toString. 3.8's -d flag (dump mode, the default) is accepted; its recovery (-r)
// and chop (-c -z) modes are not offered: use TxnLogToolkit for those.
//
// The file is read with our own log format module. Where 3.8 would print "CRC ERROR" and go on, or
// stop silently at a torn entry, this tool stops at the first damaged entry and says where it is
// (offset, reason, and whether data follows it) on stderr, with exit code 1.

import { accessSync, constants, readFileSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  JuteDecodeError,
  JuteReader,
  readCloseSessionTxn,
  readCreateContainerTxn,
  readCreateSessionTxn,
  readCreateTTLTxn,
  readCreateTxn,
  readCreateTxnV0,
  readDeleteTxn,
  readErrorTxn,
  readMultiTxn,
  readSetACLTxn,
  readSetDataTxn,
  readTxnHeader,
  type ACL,
  type TxnHeader,
} from '../jute/index.js';
import { javaHexLong } from '../admin/java-format.js';
import { OpCode } from '../protocol/op-code.js';
import { scanLog, TXNLOG_MAGIC } from '../storage/txn-log-format.js';
import { defaultJavaTimeZone, javaShortDateLongTime, type JavaTimeZone } from './java-dates.js';

/** The largest entry the scan accepts, as recovery does: anything a log can hold. */
const MAX_ENTRY_BYTES = 0x7ffffff0;

// ---------------------------------------------------------------------------------------------
// Java's renderings

const OP_NAMES: ReadonlyMap<number, string> = new Map([
  [OpCode.notification, 'notification'],
  [OpCode.create, 'create'],
  [OpCode.delete, 'delete'],
  [OpCode.exists, 'exists'],
  [OpCode.getData, 'getData'],
  [OpCode.setData, 'setData'],
  [OpCode.getACL, 'getACL'],
  [OpCode.setACL, 'setACL'],
  [OpCode.getChildren, 'getChildren'],
  [OpCode.sync, 'sync'],
  [OpCode.ping, 'ping'],
  [OpCode.getChildren2, 'getChildren2'],
  [OpCode.check, 'check'],
  [OpCode.multi, 'multi'],
  [OpCode.create2, 'create2'],
  [OpCode.reconfig, 'reconfig'],
  [OpCode.checkWatches, 'checkWatches'],
  [OpCode.removeWatches, 'removeWatches'],
  [OpCode.createContainer, 'createContainer'],
  [OpCode.deleteContainer, 'deleteContainer'],
  [OpCode.createTTL, 'createTtl'],
  [OpCode.multiRead, 'multiRead'],
  [OpCode.auth, 'auth'],
  [OpCode.setWatches, 'setWatches'],
  [OpCode.setWatches2, 'setWatches2'],
  [OpCode.sasl, 'sasl'],
  [OpCode.getEphemerals, 'getEphemerals'],
  [OpCode.getAllChildrenNumber, 'getAllChildrenNumber'],
  [OpCode.createSession, 'createSession'],
  [OpCode.closeSession, 'closeSession'],
  [OpCode.error, 'error'],
  [OpCode.whoAmI, 'whoAmI'],
]);

/** 3.8's Request.op2String. */
export function opName(type: number): string {
  return OP_NAMES.get(type) ?? `unknown ${type}`;
}

/** A ustring field as jute's ToStringOutputArchive writes it: quoted, with , } % and NUL/CR/LF escaped. */
export function juteString(value: string): string {
  let out = "'";
  for (const ch of value) {
    switch (ch) {
      case '\0':
        out += '%00';
        break;
      case '\n':
        out += '%0A';
        break;
      case '\r':
        out += '%0D';
        break;
      case ',':
        out += '%2C';
        break;
      case '}':
        out += '%7D';
        break;
      case '%':
        out += '%25';
        break;
      default:
        out += ch;
    }
  }
  return out;
}

/** An ACL nested in a record or vector: `s{31,s{'world,'anyone}}`. */
function nestedAcl(acl: ACL): string {
  return `s{${acl.perms},s{${juteString(acl.id.scheme)},${juteString(acl.id.id)}}}`;
}

/** ACL.toString() (a top-level record, so it ends in a newline). */
function aclRecord(acl: ACL): string {
  return `${acl.perms},s{${juteString(acl.id.scheme)},${juteString(acl.id.id)}}\n`;
}

/** java.util.List<ACL>.toString(). */
function aclList(acls: readonly ACL[]): string {
  return `[${acls.map(aclRecord).join(', ')}]`;
}

const REPLACEMENT = 0xfffd;
const isContinuation = (b: number): boolean => (b & 0xc0) === 0x80;

/**
 * `new String(bytes, UTF_8)` as Java 17 decodes it. Valid UTF-8 decodes as anywhere; malformed
 * input is replaced by U+FFFD in Java's own units, which differ from the WHATWG rule Node follows:
 * an encoded surrogate (ED A0 80) is one replacement, not three, and a truncated sequence at the
 * very end is one replacement for all of it.
 */
export function javaUtf8Decode(bytes: Uint8Array): string {
  const units: number[] = [];
  const length = bytes.length;
  let i = 0;
  while (i < length) {
    const b1 = bytes[i++] as number;
    if (b1 < 0x80) {
      units.push(b1);
    } else if (b1 >= 0xc2 && b1 <= 0xdf) {
      if (i < length) {
        const b2 = bytes[i] as number;
        if (isContinuation(b2)) {
          units.push(((b1 & 0x1f) << 6) | (b2 & 0x3f));
          i++;
        } else {
          units.push(REPLACEMENT);
        }
        continue;
      }
      units.push(REPLACEMENT);
      break;
    } else if (b1 >= 0xe0 && b1 <= 0xef) {
      if (i + 1 < length) {
        const b2 = bytes[i] as number;
        const b3 = bytes[i + 1] as number;
        const overlong = b1 === 0xe0 && (b2 & 0xe0) === 0x80;
        if (overlong || !isContinuation(b2) || !isContinuation(b3)) {
          units.push(REPLACEMENT);
          // The replacement covers the lead, or the lead and a valid second byte.
          if (!overlong && isContinuation(b2)) i++;
        } else {
          const c = ((b1 & 0x0f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
          units.push(c >= 0xd800 && c <= 0xdfff ? REPLACEMENT : c);
          i += 2;
        }
        continue;
      }
      if (i < length) {
        const b2 = bytes[i] as number;
        if ((b1 === 0xe0 && (b2 & 0xe0) === 0x80) || !isContinuation(b2)) {
          units.push(REPLACEMENT);
          continue;
        }
      }
      units.push(REPLACEMENT);
      break;
    } else if (b1 >= 0xf0 && b1 <= 0xf7) {
      const badSecond = (b2: number): boolean =>
        b1 > 0xf4 || (b1 === 0xf0 && (b2 < 0x90 || b2 > 0xbf)) || (b1 === 0xf4 && (b2 & 0xf0) !== 0x80) || !isContinuation(b2);
      if (i + 2 < length) {
        const b2 = bytes[i] as number;
        const b3 = bytes[i + 1] as number;
        const b4 = bytes[i + 2] as number;
        const cp = ((b1 & 0x07) << 18) | ((b2 & 0x3f) << 12) | ((b3 & 0x3f) << 6) | (b4 & 0x3f);
        if (!isContinuation(b2) || !isContinuation(b3) || !isContinuation(b4) || cp < 0x10000 || cp > 0x10ffff) {
          units.push(REPLACEMENT);
          if (!badSecond(b2)) i += isContinuation(b3) ? 2 : 1;
        } else {
          const v = cp - 0x10000;
          units.push(0xd800 | (v >> 10), 0xdc00 | (v & 0x3ff));
          i += 3;
        }
        continue;
      }
      if (b1 > 0xf4 || (i < length && badSecond(bytes[i] as number))) {
        units.push(REPLACEMENT);
        continue;
      }
      i++;
      units.push(REPLACEMENT);
      if (i < length && !isContinuation(bytes[i] as number)) continue;
      break;
    } else {
      units.push(REPLACEMENT);
    }
  }
  let out = '';
  for (let start = 0; start < units.length; start += 8192) out += String.fromCharCode(...units.slice(start, start + 8192));
  return out;
}

/** TxnLogToolkit's checkNullToEmpty: the bytes as Java decodes UTF-8, "" for null. */
function text(bytes: Buffer | null): string {
  if (bytes === null) return '';
  // Plain ASCII and well-formed UTF-8 decode the same everywhere; only malformed input needs Java's rules.
  const fast = bytes.toString('utf8');
  return fast.includes('\ufffd') ? javaUtf8Decode(bytes) : fast;
}

export class TxnFormatError extends Error {
  readonly code = 'ZKS_TXN_FORMAT';
}

/** The record part of a txn's line, as TxnLogToolkit.getFormattedTxnStr renders it. */
function describeRecord(header: TxnHeader, bytes: Buffer, reader: JuteReader): string {
  switch (header.type) {
    case OpCode.createSession:
      return `${readCreateSessionTxn(reader).timeOut}\n`;
    case OpCode.closeSession: {
      // Before 3.6 a closeSession had no record; 3.8 then has no txn to print.
      if (reader.remaining === 0) return '';
      return `v{${readCloseSessionTxn(reader).paths2Delete.map(juteString).join(',')}}\n`;
    }
    case OpCode.create:
    case OpCode.create2: {
      let txn;
      try {
        txn = readCreateTxn(reader);
      } catch (error) {
        // A create logged before 3.3 has no parentCVersion; 3.8 reads it as -1.
        if (header.type !== OpCode.create || !(error instanceof JuteDecodeError)) throw error;
        const v0Reader = new JuteReader(bytes, { maxBufferBytes: MAX_ENTRY_BYTES });
        readTxnHeader(v0Reader);
        txn = { ...readCreateTxnV0(v0Reader), parentCVersion: -1 };
      }
      return `${txn.path},${text(txn.data)},${aclList(txn.acl)},${String(txn.ephemeral)},${txn.parentCVersion}`;
    }
    case OpCode.createTTL: {
      const txn = readCreateTTLTxn(reader);
      return `${txn.path},${text(txn.data)},${aclList(txn.acl)},${txn.parentCVersion},${BigInt.asIntN(64, txn.ttl)}`;
    }
    case OpCode.createContainer: {
      const txn = readCreateContainerTxn(reader);
      return `${txn.path},${text(txn.data)},${aclList(txn.acl)},${txn.parentCVersion}`;
    }
    case OpCode.delete:
    case OpCode.deleteContainer:
      return `${juteString(readDeleteTxn(reader).path)}\n`;
    case OpCode.reconfig:
    case OpCode.setData: {
      const txn = readSetDataTxn(reader);
      return `${txn.path},${text(txn.data)},${txn.version}`;
    }
    case OpCode.setACL: {
      const txn = readSetACLTxn(reader);
      return `${juteString(txn.path)},v{${txn.acl.map(nestedAcl).join(',')}},${txn.version}\n`;
    }
    case OpCode.error:
      return `${readErrorTxn(reader).err}\n`;
    case OpCode.multi:
      // The ops' records are printed raw, as text, the way 3.8 does.
      return readMultiTxn(reader)
        .txns.map((op) => `${opName(op.type)}:${text(op.data)}`)
        .join(';');
    default:
      throw new TxnFormatError(`unsupported txn type ${header.type}`);
  }
}

/** One txn as TxnLogToolkit prints it, ending in a newline (some records span several lines). */
export function formatTxn(txnBytes: Buffer, zone: JavaTimeZone): string {
  const reader = new JuteReader(txnBytes, { maxBufferBytes: MAX_ENTRY_BYTES });
  const header = readTxnHeader(reader);
  const record = describeRecord(header, txnBytes, reader);
  const line =
    `${javaShortDateLongTime(header.time, zone)} session 0x${javaHexLong(header.clientId)}` +
    ` cxid 0x${javaHexLong(BigInt(header.cxid))} zxid 0x${javaHexLong(header.zxid)} ${opName(header.type)} ${record}`;
  return line.endsWith('\n') ? line : `${line}\n`;
}

// ---------------------------------------------------------------------------------------------
// The dump

export interface LogDumpOutcome {
  /** 0: the whole file was printed; 1: it is damaged or a txn does not decode; 2: not a txn log. */
  readonly exitCode: 0 | 1 | 2;
  /** What went wrong, for stderr; null when nothing did. */
  readonly error: string | null;
  readonly txnCount: number;
}

/**
 * Writes the dump of a txn log file (its bytes and its name) to `out`, piece by piece. Stops at the
 * first damaged entry or undecodable txn and says so in the outcome.
 */
export function dumpTxnLog(fileName: string, bytes: Buffer, zone: JavaTimeZone, out: (text: string) => void): LogDumpOutcome {
  if (bytes.length >= 4 && bytes.readInt32BE(0) !== TXNLOG_MAGIC) {
    return { exitCode: 2, error: `Invalid magic number for ${basename(fileName)}`, txnCount: 0 };
  }
  const scan = scanLog(bytes, MAX_ENTRY_BYTES);
  if ('headerError' in scan) {
    return { exitCode: 1, error: `${fileName}: not a readable txn log: ${scan.headerError} (offset 0)`, txnCount: 0 };
  }
  out(`ZooKeeper Transactional Log File with dbid ${BigInt.asIntN(64, scan.dbId)} txnlog format version 2\n`);
  let count = 0;
  for (const entry of scan.entries) {
    let line: string;
    try {
      line = formatTxn(entry.txnBytes, zone);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { exitCode: 1, error: `${fileName}: the txn at offset ${entry.offset} does not decode: ${reason} (after ${count} txns)`, txnCount: count };
    }
    out(line);
    count++;
  }
  const end = scan.end;
  if (end.kind === 'end') {
    out(`EOF reached after ${count} txns.\n`);
    return { exitCode: 0, error: null, txnCount: count };
  }
  const what = end.kind === 'corrupt' ? 'corrupt entry' : 'incomplete entry';
  const tail = end.dataFollows
    ? 'non-zero data follows it, so this is damage inside the log, not a torn final write'
    : 'nothing but zeros follows it (a write torn by a crash at the end of the log)';
  return {
    exitCode: 1,
    error: `${fileName}: ${what} at offset ${end.offset}: ${end.reason}; ${tail}. ${count} txns before it were printed.`,
    txnCount: count,
  };
}

// ---------------------------------------------------------------------------------------------
// Command line

const USAGE = `usage: TxnLogToolkit [-dhrvc] <txn_log_file_name> (-z <zxid>)
 -c,--chop         Chop mode. Chop txn file to a zxid. (not offered by zk-log-dump)
 -d,--dump         Dump mode. Dump all entries of the log file with printing the content of a nodepath (default)
 -h,--help         Print help message
 -r,--recover      Recovery mode. Re-calculate CRC for broken entries. (not offered by zk-log-dump)
 -v,--verbose      Be verbose in recovery mode: print all entries, not just fixed ones.
 -y,--yes          Non-interactive mode: repair all CRC errors without asking (not offered by zk-log-dump)
 -z,--zxid <arg>   Used with chop. Zxid to which to chop.
`;

const UNSUPPORTED: Readonly<Record<string, string>> = {
  '-r': 'recovery mode (-r)',
  '--recover': 'recovery mode (-r)',
  '-y': 'CRC repair (-y)',
  '--yes': 'CRC repair (-y)',
  '-c': 'chop mode (-c)',
  '--chop': 'chop mode (-c)',
  '-z': 'chop mode (-z)',
  '--zxid': 'chop mode (-z)',
};

type Parsed = { kind: 'help' } | { kind: 'usage'; message: string | null } | { kind: 'unsupported'; what: string } | { kind: 'dump'; file: string };

const SHORT_FLAGS = new Set(['-h', '-d', '-v', '-r', '-y', '-c', '-z']);

/** commons-cli's token burst: "-dv" is "-d -v" (and "-z5" is "-z 5"). */
function burst(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const arg of args) {
    const letters = /^-([a-z]{2,}.*)$/u.exec(arg)?.[1];
    if (letters === undefined) {
      out.push(arg);
      continue;
    }
    const zAt = letters.indexOf('z');
    const flags = [...(zAt >= 0 ? letters.slice(0, zAt + 1) : letters)].map((letter) => `-${letter}`);
    if (!flags.every((flag) => SHORT_FLAGS.has(flag))) {
      out.push(arg);
      continue;
    }
    out.push(...flags);
    if (zAt >= 0 && zAt + 1 < letters.length) out.push(letters.slice(zAt + 1));
  }
  return out;
}

export function parseLogDumpArgs(rawArgs: readonly string[]): Parsed {
  const args = burst(rawArgs);
  const files: string[] = [];
  let help = false;
  let unsupported: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      files.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      files.push(arg);
      continue;
    }
    if (arg === '-h' || arg === '--help') help = true;
    else if (arg === '-d' || arg === '--dump' || arg === '-v' || arg === '--verbose') continue;
    else if (UNSUPPORTED[arg] !== undefined) {
      unsupported ??= UNSUPPORTED[arg] ?? arg;
      if (arg === '-z' || arg === '--zxid') i++;
    } else return { kind: 'usage', message: `Unrecognized option: ${arg}` };
  }
  if (help) return { kind: 'help' };
  if (unsupported !== null) return { kind: 'unsupported', what: unsupported };
  const file = files[0];
  if (file === undefined) return { kind: 'usage', message: null };
  return { kind: 'dump', file };
}

/** Collects output and hands it to stdout in large writes. */
function bufferedStdout(): { out: (text: string) => void; flush: () => void } {
  let pending: string[] = [];
  let size = 0;
  const flush = (): void => {
    if (pending.length === 0) return;
    process.stdout.write(pending.join(''));
    pending = [];
    size = 0;
  };
  return {
    out: (text) => {
      pending.push(text);
      size += text.length;
      if (size >= 1 << 16) flush();
    },
    flush,
  };
}

function main(args: readonly string[]): number {
  const parsed = parseLogDumpArgs(args);
  switch (parsed.kind) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'usage':
      if (parsed.message !== null) process.stderr.write(`${parsed.message}\n\n`);
      process.stdout.write(USAGE);
      return 1;
    case 'unsupported':
      process.stderr.write(`zk-log-dump: ${parsed.what} is not offered; use ZooKeeper's TxnLogToolkit for it\n`);
      return 2;
    case 'dump':
      break;
  }
  let bytes: Buffer;
  try {
    accessSync(parsed.file, constants.R_OK);
    bytes = readFileSync(parsed.file);
  } catch {
    process.stderr.write(`File doesn't exist or not readable: ${parsed.file}\n`);
    return 1;
  }
  const stdout = bufferedStdout();
  const outcome = dumpTxnLog(parsed.file, bytes, defaultJavaTimeZone(), stdout.out);
  stdout.flush();
  if (outcome.error !== null) process.stderr.write(`${outcome.error}\n`);
  return outcome.exitCode;
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exitCode = main(process.argv.slice(2));
