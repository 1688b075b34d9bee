// The snapshot file format of ZooKeeper 3.8 (FileSnap), so a Java server can start from our
// snapshots and we from its:
//
//   header:   int magic "ZKSN", int version 2, long dbid
//   sessions: int count, then (long id, int timeoutMs)*
//   acls:     int count, then (long index, vector<ACL>)*
//   nodes:    (ustring path, buffer data, long aclIndex, StatPersisted)*, depth first from the root
//             (whose path is ""), ended by the path "/"
//   seal:     long adler32 of every byte before it, ustring "/"
//   digest:   long zxid, int digestVersion, long digest, then a second seal (optional)
//
// The writer streams: chunks go to a sink as they fill, so a large tree is written without holding
// the whole file in memory and without blocking the event loop for long (the caller yields between
// nodes).

import { JuteReader, JuteWriter, readACL, readStatPersisted, writeACL, writeStatPersisted, type ACL, type StatPersisted } from '../jute/index.js';
import { Adler32 } from './adler32.js';
import { checkFileHeader, encodeFileHeader, FILE_HEADER_BYTES, SNAP_MAGIC } from './txn-log-format.js';

export interface SnapshotNode {
  readonly path: string;
  readonly data: Buffer | null;
  readonly aclIndex: bigint;
  readonly stat: StatPersisted;
}

export interface SnapshotDigest {
  readonly zxid: bigint;
  readonly digestVersion: number;
  readonly digest: bigint;
}

const CHUNK_BYTES = 1 << 20;

export class SnapshotWriter {
  readonly #sink: (chunk: Buffer) => void;
  readonly #checksum = new Adler32();
  #writer = new JuteWriter(CHUNK_BYTES + 4096);
  #bytesWritten = 0;

  constructor(sink: (chunk: Buffer) => void, dbId = 0n) {
    this.#sink = sink;
    this.#writer.writeRaw(encodeFileHeader(SNAP_MAGIC, dbId));
  }

  get bytesWritten(): number {
    return this.#bytesWritten + this.#writer.length;
  }

  writeSessions(sessions: readonly (readonly [bigint, number])[]): void {
    this.#writer.writeInt(sessions.length);
    for (const [id, timeoutMs] of sessions) {
      this.#writer.writeLong(id);
      this.#writer.writeInt(timeoutMs);
    }
  }

  writeAcls(acls: readonly (readonly [bigint, readonly ACL[]])[]): void {
    this.#writer.writeInt(acls.length);
    for (const [index, list] of acls) {
      this.#writer.writeLong(index);
      this.#writer.writeVector(list, writeACL);
    }
    this.#flushIfFull();
  }

  writeNode(node: SnapshotNode): void {
    this.#writer.writeUstring(node.path);
    this.#writer.writeBuffer(node.data);
    this.#writer.writeLong(node.aclIndex);
    writeStatPersisted(this.#writer, node.stat);
    this.#flushIfFull();
  }

  /** Ends the node list, seals, adds the optional digest (sealed again) and flushes everything. */
  finish(digest: SnapshotDigest | null): void {
    this.#writer.writeUstring('/');
    this.#seal();
    if (digest !== null) {
      this.#writer.writeLong(digest.zxid);
      this.#writer.writeInt(digest.digestVersion);
      this.#writer.writeLong(digest.digest);
      this.#seal();
    }
    this.#flush();
  }

  #seal(): void {
    this.#flush();
    const value = this.#checksum.value;
    this.#writer.writeLong(value);
    this.#writer.writeUstring('/');
  }

  #flushIfFull(): void {
    if (this.#writer.length >= CHUNK_BYTES) this.#flush();
  }

  #flush(): void {
    if (this.#writer.length === 0) return;
    const chunk = Buffer.from(this.#writer.toBuffer());
    this.#checksum.update(chunk);
    this.#bytesWritten += chunk.length;
    this.#sink(chunk);
    this.#writer = new JuteWriter(CHUNK_BYTES + 4096);
  }
}

export interface ParsedSnapshot {
  readonly dbId: bigint;
  readonly sessions: [bigint, number][];
  readonly acls: [bigint, ACL[]][];
  readonly nodes: SnapshotNode[];
  readonly digest: SnapshotDigest | null;
}

export class SnapshotFormatError extends Error {
  readonly code = 'ZKS_SNAPSHOT_FORMAT';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
  }
}

/** Whether the file ends as a complete snapshot does (3.8's quick validity check). */
export function looksComplete(bytes: Uint8Array): boolean {
  if (bytes.length < FILE_HEADER_BYTES + 5) return false;
  const tail = Buffer.from(bytes.buffer, bytes.byteOffset + bytes.length - 5, 5);
  return tail.readInt32BE(0) === 1 && tail[4] === 0x2f;
}

function readSeal(bytes: Buffer, reader: JuteReader): void {
  const sealOffset = reader.offset;
  const expected = new Adler32().update(bytes.subarray(0, sealOffset)).value;
  const found = reader.readLong();
  if (found !== expected) throw new SnapshotFormatError(`checksum mismatch (stored ${found}, computed ${expected})`, sealOffset);
  const marker = reader.readUstring();
  if (marker !== '/') throw new SnapshotFormatError('missing "/" after the checksum', sealOffset + 8);
}

/** Parses a whole snapshot file, verifying its checksums. Throws SnapshotFormatError or JuteDecodeError. */
export function parseSnapshot(bytes: Buffer): ParsedSnapshot {
  const header = checkFileHeader(bytes, SNAP_MAGIC);
  if (!header.ok) throw new SnapshotFormatError(header.reason, 0);
  const reader = new JuteReader(bytes.subarray(FILE_HEADER_BYTES), { maxBufferBytes: 0x7ffffff0 });
  const absolute = (): number => FILE_HEADER_BYTES + reader.offset;
  const sessionCount = reader.readInt();
  if (sessionCount < 0 || sessionCount * 12 > reader.remaining) throw new SnapshotFormatError(`bad session count ${sessionCount}`, absolute());
  const sessions: [bigint, number][] = [];
  for (let i = 0; i < sessionCount; i++) sessions.push([reader.readLong(), reader.readInt()]);
  const aclCount = reader.readInt();
  if (aclCount < 0 || aclCount * 12 > reader.remaining) throw new SnapshotFormatError(`bad ACL map size ${aclCount}`, absolute());
  const acls: [bigint, ACL[]][] = [];
  for (let i = 0; i < aclCount; i++) acls.push([reader.readLong(), reader.readVector(readACL) ?? []]);
  const nodes: SnapshotNode[] = [];
  for (let path = reader.readUstring(); path !== '/'; path = reader.readUstring()) {
    if (path === null) throw new SnapshotFormatError('null node path', absolute());
    const data = reader.readBuffer();
    const aclIndex = reader.readLong();
    const stat = readStatPersisted(reader);
    nodes.push({ path, data: data === null ? null : Buffer.from(data), aclIndex, stat });
  }
  const whole = bytes;
  const sealReader = new JuteReader(whole, { maxBufferBytes: 16 });
  skipTo(sealReader, absolute());
  readSeal(whole, sealReader);
  let digest: SnapshotDigest | null = null;
  if (sealReader.remaining > 0) {
    digest = { zxid: sealReader.readLong(), digestVersion: sealReader.readInt(), digest: sealReader.readLong() };
    readSeal(whole, sealReader);
  }
  return { dbId: header.dbId, sessions, acls, nodes, digest };
}

function skipTo(reader: JuteReader, offset: number): void {
  while (reader.offset + 8 <= offset) reader.readLong();
  while (reader.offset < offset) reader.readBoolean();
}
