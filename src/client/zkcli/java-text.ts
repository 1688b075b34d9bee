// Text exactly as zkCli 3.8 prints it: stats (StatPrinter), ACL ids (the jute record's toString),
// permission letters (ZKUtil.getPermString), lists (java.util.List.toString), ACL strings parsed
// as AclParser does, and the messages of CliWrapperException for server errors.

import type { ACL, Id, Stat } from '../../jute/index.js';
import { ErrorCode } from '../../protocol/error-code.js';
import { keeperErrorMessage, ZooKeeperError } from '../errors.js';

/** Long.toHexString: the two's complement of negative values. */
export function javaHex(value: bigint): string {
  return BigInt.asUintN(64, value).toString(16);
}

export function statLines(stat: Stat, formatTime: (epochMs: bigint) => string): string[] {
  return [
    `cZxid = 0x${javaHex(stat.czxid)}`,
    `ctime = ${formatTime(stat.ctime)}`,
    `mZxid = 0x${javaHex(stat.mzxid)}`,
    `mtime = ${formatTime(stat.mtime)}`,
    `pZxid = 0x${javaHex(stat.pzxid)}`,
    `cversion = ${String(stat.cversion)}`,
    `dataVersion = ${String(stat.version)}`,
    `aclVersion = ${String(stat.aversion)}`,
    `ephemeralOwner = 0x${javaHex(stat.ephemeralOwner)}`,
    `dataLength = ${String(stat.dataLength)}`,
    `numChildren = ${String(stat.numChildren)}`,
  ];
}

const ESCAPES: Readonly<Record<string, string>> = { '\0': '%00', '\n': '%0A', '\r': '%0D', ',': '%2C', '}': '%7D', '%': '%25' };

/** A string field as jute's ToStringOutputArchive writes it: a leading quote, a few characters escaped. */
function juteString(value: string): string {
  return `'${value.replace(/[\0\n\r,}%]/gu, (c) => ESCAPES[c] ?? c)}`;
}

/** Id.toString(): `'world,'anyone` and a newline (the record's end). */
export function idToString(id: Id): string {
  return `${juteString(id.scheme)},${juteString(id.id)}\n`;
}

/** ZKUtil.getPermString: the letters in the order c d r w a. */
export function permString(perms: number): string {
  return (perms & 4 ? 'c' : '') + (perms & 8 ? 'd' : '') + (perms & 1 ? 'r' : '') + (perms & 2 ? 'w' : '') + (perms & 16 ? 'a' : '');
}

/** java.util.AbstractCollection.toString. */
export function javaList(items: readonly string[]): string {
  return `[${items.join(', ')}]`;
}

const PERM_BITS: Readonly<Record<string, number>> = { r: 1, w: 2, c: 4, d: 8, a: 16 };

/** AclParser.parse: `scheme:id:perms[,...]`; malformed entries and letters are reported and skipped. */
export function parseAcl(text: string, err: (line: string) => void): ACL[] {
  const acl: ACL[] = [];
  for (const entry of javaSplit(text, ',')) {
    const first = entry.indexOf(':');
    const last = entry.lastIndexOf(':');
    if (first === -1 || first === last) {
      err(`${entry} does not have the form scheme:id:perm`);
      continue;
    }
    let perms = 0;
    for (const c of entry.slice(last + 1)) {
      const bit = PERM_BITS[c];
      if (bit === undefined) err(`Unknown perm type: ${c}`);
      else perms |= bit;
    }
    acl.push({ perms, id: { scheme: entry.slice(0, first), id: entry.slice(first + 1, last) } });
  }
  return acl;
}

/** String.split(regex) for a literal one-character separator: trailing empty strings are dropped. */
export function javaSplit(text: string, separator: string): string[] {
  const parts = text.split(separator);
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 1 && parts[0] === '' && text !== '') return [];
  return parts;
}

/** CliWrapperException.getMessage for a ZooKeeperError: the friendly forms, else KeeperException's message. */
export function cliErrorMessage(error: ZooKeeperError): string {
  const path = error.path ?? 'null';
  switch (error.code) {
    case ErrorCode.noNode:
      return `Node does not exist: ${path}`;
    case ErrorCode.noChildrenForEphemerals:
      return `Ephemerals cannot have children: ${path}`;
    case ErrorCode.nodeExists:
      return `Node already exists: ${path}`;
    case ErrorCode.notEmpty:
      return `Node not empty: ${path}`;
    case ErrorCode.notReadOnly:
      return `Not a read-only call: ${path}`;
    case ErrorCode.invalidACL:
      return `Acl is not valid : ${path}`;
    case ErrorCode.noAuth:
      return `Insufficient permission : ${path}`;
    case ErrorCode.badArguments:
      return `Arguments are not valid : ${path}`;
    case ErrorCode.badVersion:
      return `version No is not valid : ${path}`;
    case ErrorCode.reconfigInProgress:
      return 'Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)';
    case ErrorCode.newConfigNoQuorum:
      return (
        'No quorum of new config is connected and up-to-date with the leader of last commmitted config - try ' +
        'invoking reconfiguration after new servers are connected and synced'
      );
    case ErrorCode.quotaExceeded:
      return `Quota has exceeded : ${path}`;
    default:
      return keeperErrorMessage(error.code, error.path);
  }
}
