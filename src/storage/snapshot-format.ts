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
// nodes). Recovery reads the same way (readSnapshotStream): chunk by chunk, each node handed to a
// sink as soon as it is parsed, with no array of node records in between. parseSnapshot, which
// returns the whole file as records, serves the dump tool and the exact error reports.

import { JuteReader, JuteWriter, readACL, readStatPersisted, writeACL, writeStatPersisted, type ACL, type StatPersisted } from '../jute/index.js';
import { copyStatPersisted, copyZnodeData, copyZnodePath, znodePathBytesMax, type Znode } from '../tree/data-tree.js';
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
/** The encoding of a StatPersisted: six longs and three ints. */
const STAT_BYTES = 60;

export class SnapshotWriter {
  readonly #sink: (chunk: Buffer) => void;
  readonly #checksum = new Adler32();
  // Nodes are encoded straight into the chunk that goes to the sink: a chunk is reused only once
  // the caller gives it back as written (the sink may still be writing it), so it needs no copy.
  #chunk: Buffer;
  #view: DataView;
  #at = 0;
  #bytesWritten = 0;
  readonly #written: Buffer[];

  /**
   * `written` is where the caller puts back chunks the sink has finished with (written to the
   * file): they are filled again instead of new ones. A new chunk for every MiB of a snapshot of a
   * few hundred MB was external memory that V8 answered with a full collection of a heap of a
   * million znodes.
   */
  constructor(sink: (chunk: Buffer) => void, dbId = 0n, written: Buffer[] = []) {
    this.#sink = sink;
    this.#written = written;
    this.#chunk = this.#newChunk();
    this.#view = new DataView(this.#chunk.buffer, this.#chunk.byteOffset, this.#chunk.length);
    this.#writeRaw(encodeFileHeader(SNAP_MAGIC, dbId));
  }

  /** A chunk given back (one of ours, whole again), else a new one. */
  #newChunk(): Buffer {
    for (;;) {
      const used = this.#written.pop();
      if (used === undefined) return Buffer.allocUnsafeSlow(CHUNK_BYTES);
      // Large items got chunks of their own size: those are left to the collector.
      if (used.buffer.byteLength === CHUNK_BYTES) return Buffer.from(used.buffer, 0, CHUNK_BYTES);
    }
  }

  get bytesWritten(): number {
    return this.#bytesWritten + this.#at;
  }

  writeSessions(sessions: readonly (readonly [bigint, number])[]): void {
    const writer = new JuteWriter(4 + sessions.length * 12);
    writer.writeInt(sessions.length);
    for (const [id, timeoutMs] of sessions) {
      writer.writeLong(id);
      writer.writeInt(timeoutMs);
    }
    this.#writeRaw(writer.toBuffer());
  }

  writeAcls(acls: readonly (readonly [bigint, readonly ACL[]])[]): void {
    const writer = new JuteWriter();
    writer.writeInt(acls.length);
    for (const [index, list] of acls) {
      writer.writeLong(index);
      writer.writeVector(list, writeACL);
    }
    this.#writeRaw(writer.toBuffer());
  }

  writeNode(node: SnapshotNode): void {
    const writer = new JuteWriter();
    writer.writeUstring(node.path);
    writer.writeBuffer(node.data);
    writer.writeLong(node.aclIndex);
    writeStatPersisted(writer, node.stat);
    this.#writeRaw(writer.toBuffer());
  }

  /**
   * writeNode for a node of a DataTree, without a record: its path, data and stat are copied
   * straight from the node into the chunk (the root's path as "", as the file has it).
   */
  writeTreeNode(node: Znode, aclIndex: number): void {
    this.#reserve(4 + znodePathBytesMax(node) + 4 + node.dataLength + 8 + STAT_BYTES);
    const chunk = this.#chunk;
    const view = this.#view;
    let at = this.#at;
    const pathAt = at + 4;
    const pathBytes = copyZnodePath(node, chunk, pathAt);
    view.setInt32(at, pathBytes);
    at = pathAt + pathBytes;
    const dataLength = copyZnodeData(node, chunk, view, at + 4);
    view.setInt32(at, dataLength);
    at += 4 + Math.max(dataLength, 0);
    view.setInt32(at, Math.floor(aclIndex / 4294967296));
    view.setUint32(at + 4, aclIndex >>> 0);
    at += 8;
    copyStatPersisted(node, view, at);
    this.#at = at + STAT_BYTES;
  }

  /** Ends the node list, seals, adds the optional digest (sealed again) and flushes everything. */
  finish(digest: SnapshotDigest | null): void {
    const end = new JuteWriter(16);
    end.writeUstring('/');
    this.#writeRaw(end.toBuffer());
    this.#seal();
    if (digest !== null) {
      const writer = new JuteWriter(20);
      writer.writeLong(digest.zxid);
      writer.writeInt(digest.digestVersion);
      writer.writeLong(digest.digest);
      this.#writeRaw(writer.toBuffer());
      this.#seal();
    }
    this.#flush();
  }

  #seal(): void {
    // The checksum covers every byte before the seal, so everything is flushed into it first.
    this.#flush();
    const writer = new JuteWriter(16);
    writer.writeLong(this.#checksum.value);
    writer.writeUstring('/');
    this.#writeRaw(writer.toBuffer());
  }

  #writeRaw(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#chunk.set(bytes, this.#at);
    this.#at += bytes.length;
  }

  /** Makes room for `bytes` more in the current chunk: the next chunk if they do not fit, a larger one for a large item. */
  #reserve(bytes: number): void {
    if (this.#at + bytes <= this.#chunk.length) return;
    this.#flush();
    if (bytes > this.#chunk.length) {
      this.#chunk = Buffer.allocUnsafeSlow(bytes);
      this.#view = new DataView(this.#chunk.buffer, this.#chunk.byteOffset, this.#chunk.length);
    }
  }

  #flush(): void {
    if (this.#at === 0) return;
    const chunk = this.#chunk.subarray(0, this.#at);
    this.#checksum.update(chunk);
    this.#bytesWritten += chunk.length;
    this.#sink(chunk);
    this.#chunk = this.#newChunk();
    this.#view = new DataView(this.#chunk.buffer, this.#chunk.byteOffset, this.#chunk.length);
    this.#at = 0;
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
  return endsLikeSnapshot(bytes.length, Buffer.from(bytes.buffer, bytes.byteOffset + bytes.length - 5, 5));
}

/** looksComplete for a file of `fileBytes` from its last 5 bytes, without reading the rest. */
export function endsLikeSnapshot(fileBytes: number, lastFive: Buffer): boolean {
  if (fileBytes < FILE_HEADER_BYTES + 5 || lastFive.length !== 5) return false;
  return lastFive.readInt32BE(0) === 1 && lastFive[4] === 0x2f;
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

// ---- streaming read -----------------------------------------------------------------------------

/** Receives a snapshot's content as readSnapshotStream parses it. */
export interface SnapshotSink {
  /** The sessions and the ACL map, before any node. */
  begin(sessions: [bigint, number][], acls: [bigint, ACL[]][]): void;
  /**
   * The next node, in file order, as ranges of `source` valid only during the call (the read
   * buffer is reused): its path (UTF-8, "" for the root) at [pathStart, pathEnd), its data at
   * [dataStart, dataEnd) (dataStart -1: null) and its encoded StatPersisted at [statStart,
   * statStart + 60). Nothing is decoded for the sink: the tree copies what it keeps from the bytes.
   */
  node(source: Buffer, pathStart: number, pathEnd: number, dataStart: number, dataEnd: number, statStart: number, aclIndex: number): void;
}

/** Reads up to `length` bytes of the file at `position` into buffer[offset..]; resolves with the count (0 at its end). */
export type ReadAt = (buffer: Buffer, offset: number, length: number, position: number) => Promise<number>;

export interface StreamedSnapshot {
  readonly dbId: bigint;
  readonly nodeCount: number;
  readonly digest: SnapshotDigest | null;
}

const READ_CHUNK_BYTES = 4 << 20;

/**
 * Reads a snapshot file chunk by chunk, handing its content to `sink` as it goes and verifying its
 * checksums at the end. It accepts exactly the files parseSnapshot accepts and yields the same
 * content; on anything else it throws (SnapshotFormatError or JuteDecodeError) without promising
 * parseSnapshot's message, which callers get from parseSnapshot itself.
 */
export async function readSnapshotStream(read: ReadAt, fileBytes: number, sink: SnapshotSink, chunkBytes = READ_CHUNK_BYTES): Promise<StreamedSnapshot> {
  return new SnapshotStream(read, fileBytes, sink, Math.max(64, Math.min(chunkBytes, fileBytes))).run();
}

class SnapshotStream {
  readonly #read: ReadAt;
  readonly #fileBytes: number;
  readonly #sink: SnapshotSink;
  readonly #checksum = new Adler32();
  #buffer: Buffer;
  #view: DataView;
  /** File offset of #buffer[0]. */
  #base = 0;
  /** Bytes of #buffer holding file content. */
  #filled = 0;
  /** Next byte to parse in #buffer; everything before it is in the checksum. */
  #at = 0;
  #nodeCount = 0;
  /**
   * The next chunk, read into #spare while the current one is parsed: waiting for each read only
   * once it was needed left the thread idle for a large share of a start on a busy machine.
   */
  readonly #spare: Buffer;
  #ahead: { readonly position: number; readonly count: Promise<number> } | null = null;

  constructor(read: ReadAt, fileBytes: number, sink: SnapshotSink, chunkBytes: number) {
    this.#read = read;
    this.#fileBytes = fileBytes;
    this.#sink = sink;
    this.#buffer = Buffer.allocUnsafeSlow(chunkBytes);
    this.#view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset, this.#buffer.length);
    this.#spare = Buffer.allocUnsafeSlow(chunkBytes);
  }

  async run(): Promise<StreamedSnapshot> {
    await this.#fill();
    const dbId = await this.#head();
    for (;;) {
      const from = this.#at;
      const done = this.#nodes();
      this.#checksum.update(this.#buffer, from, this.#at);
      if (done) break;
      const needed = this.#neededForNext();
      if (this.#base + this.#at + needed > this.#fileBytes) throw new SnapshotFormatError('node runs past the end of the file', this.#base + this.#at);
      await this.#ensure(needed);
    }
    await this.#ensure(Math.min(13, this.#fileBytes - this.#base - this.#at));
    this.#seal();
    let digest: SnapshotDigest | null = null;
    if (this.#base + this.#at < this.#fileBytes) {
      await this.#ensure(20);
      const view = this.#view;
      const at = this.#at;
      digest = { zxid: view.getBigInt64(at), digestVersion: view.getInt32(at + 8), digest: view.getBigInt64(at + 12) };
      this.#consume(20);
      await this.#ensure(13);
      this.#seal();
    }
    return { dbId, nodeCount: this.#nodeCount, digest };
  }

  /** Reads more of the file after what #buffer holds, moving the unparsed rest to its start first. */
  async #fill(): Promise<number> {
    if (this.#at > 0) {
      this.#buffer.copyWithin(0, this.#at, this.#filled);
      this.#base += this.#at;
      this.#filled -= this.#at;
      this.#at = 0;
    }
    if (this.#filled === this.#buffer.length) {
      const larger = Buffer.allocUnsafeSlow(Math.min(this.#buffer.length * 2, Math.max(this.#fileBytes - this.#base, this.#buffer.length + 1)));
      this.#buffer.copy(larger, 0, 0, this.#filled);
      this.#buffer = larger;
      this.#view = new DataView(larger.buffer, larger.byteOffset, larger.length);
    }
    const position = this.#base + this.#filled;
    const wanted = Math.min(this.#buffer.length - this.#filled, this.#fileBytes - position);
    if (wanted <= 0) return 0;
    let count: number;
    const ahead = this.#ahead;
    this.#ahead = null;
    if (ahead !== null && ahead.position === position) {
      // What did not fit (the buffer held a large rest) is read again later.
      count = Math.min(await ahead.count, wanted);
      this.#spare.copy(this.#buffer, this.#filled, 0, count);
    } else {
      if (ahead !== null) await ahead.count;
      count = await this.#read(this.#buffer, this.#filled, wanted, position);
    }
    this.#filled += count;
    const next = position + count;
    const length = Math.min(this.#spare.length, this.#fileBytes - next);
    if (count > 0 && length > 0) {
      const pending = this.#read(this.#spare, 0, length, next);
      // Awaited by the next #fill; a failure found only there must not count as unhandled before.
      pending.catch(() => undefined);
      this.#ahead = { position: next, count: pending };
    }
    return count;
  }

  /** Makes sure `bytes` unparsed bytes are in #buffer. */
  async #ensure(bytes: number): Promise<void> {
    while (this.#filled - this.#at < bytes) {
      if ((await this.#fill()) === 0) throw new SnapshotFormatError(`file ends ${bytes} bytes short`, this.#base + this.#filled);
    }
  }

  #consume(bytes: number): void {
    this.#checksum.update(this.#buffer, this.#at, this.#at + bytes);
    this.#at += bytes;
  }

  /** The header, sessions and ACL map, parsed as parseSnapshot does; retried with more bytes if they do not fit. */
  async #head(): Promise<bigint> {
    const header = checkFileHeader(this.#buffer.subarray(0, this.#filled), SNAP_MAGIC);
    if (!header.ok) throw new SnapshotFormatError(header.reason, 0);
    for (;;) {
      const whole = this.#base + this.#filled === this.#fileBytes;
      try {
        const bytes = this.#buffer.subarray(0, this.#filled);
        const reader = new JuteReader(bytes.subarray(FILE_HEADER_BYTES), { maxBufferBytes: 0x7ffffff0 });
        const { sessions, acls } = readSessionsAndAcls(reader, () => FILE_HEADER_BYTES + reader.offset);
        this.#sink.begin(sessions, acls);
        this.#consume(FILE_HEADER_BYTES + reader.offset);
        return header.dbId;
      } catch (error) {
        if (whole) throw error;
      }
      // Not all of it was in the buffer yet: read more (the buffer grows when full).
      await this.#fill();
    }
  }

  /** Bytes the node at #at needs before #nodes can parse it (a lower bound while its lengths are unread). */
  #neededForNext(): number {
    const available = this.#filled - this.#at;
    if (available < 4) return 4;
    const pathLength = this.#view.getInt32(this.#at);
    if (available < 8 + pathLength) return 8 + pathLength;
    const dataLength = this.#view.getInt32(this.#at + 4 + pathLength);
    return 8 + pathLength + Math.max(dataLength, 0) + 8 + STAT_BYTES;
  }

  /** Parses the whole nodes in #buffer; true once the end marker ("/") is passed. */
  #nodes(): boolean {
    const buffer = this.#buffer;
    const view = this.#view;
    const end = this.#filled;
    const sink = this.#sink;
    let at = this.#at;
    try {
      for (;;) {
        if (end - at < 4) return false;
        const pathLength = view.getInt32(at);
        if (pathLength < 0) throw new SnapshotFormatError(pathLength === -1 ? 'null node path' : `negative path length ${pathLength}`, this.#base + at);
        const pathStart = at + 4;
        const pathEnd = pathStart + pathLength;
        if (pathEnd > end) return false;
        if (pathLength === 1 && buffer[pathStart] === 0x2f) {
          at = pathEnd;
          return true;
        }
        if (pathEnd + 4 > end) return false;
        const dataLength = view.getInt32(pathEnd);
        if (dataLength < -1) throw new SnapshotFormatError(`negative data length ${dataLength}`, this.#base + pathEnd);
        const dataStart = pathEnd + 4;
        const dataEnd = dataStart + (dataLength < 0 ? 0 : dataLength);
        const statStart = dataEnd + 8;
        const nodeEnd = statStart + STAT_BYTES;
        if (nodeEnd > end) return false;
        const aclIndex = view.getInt32(dataEnd) * 4294967296 + view.getUint32(dataEnd + 4);
        sink.node(buffer, pathStart, pathEnd, dataLength < 0 ? -1 : dataStart, dataEnd, statStart, aclIndex);
        this.#nodeCount++;
        at = nodeEnd;
      }
    } finally {
      this.#at = at;
    }
  }

  /** The checksum and "/" after the node list or the digest, as readSeal checks them. */
  #seal(): void {
    const at = this.#at;
    if (this.#filled - at < 13) throw new SnapshotFormatError('file ends inside the checksum', this.#base + at);
    const expected = this.#checksum.value;
    const found = this.#view.getBigInt64(at);
    if (found !== expected) throw new SnapshotFormatError(`checksum mismatch (stored ${found}, computed ${expected})`, this.#base + at);
    if (this.#view.getInt32(at + 8) !== 1 || this.#buffer[at + 12] !== 0x2f) throw new SnapshotFormatError('missing "/" after the checksum', this.#base + at + 8);
    this.#consume(13);
  }
}

function readSessionsAndAcls(reader: JuteReader, absolute: () => number): { sessions: [bigint, number][]; acls: [bigint, ACL[]][] } {
  const sessionCount = reader.readInt();
  if (sessionCount < 0 || sessionCount * 12 > reader.remaining) throw new SnapshotFormatError(`bad session count ${sessionCount}`, absolute());
  const sessions: [bigint, number][] = [];
  for (let i = 0; i < sessionCount; i++) sessions.push([reader.readLong(), reader.readInt()]);
  const aclCount = reader.readInt();
  if (aclCount < 0 || aclCount * 12 > reader.remaining) throw new SnapshotFormatError(`bad ACL map size ${aclCount}`, absolute());
  const acls: [bigint, ACL[]][] = [];
  for (let i = 0; i < aclCount; i++) acls.push([reader.readLong(), reader.readVector(readACL) ?? []]);
  return { sessions, acls };
}
