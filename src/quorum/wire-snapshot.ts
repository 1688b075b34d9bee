// The snapshot a leader streams to a learner after a SNAP packet, as 3.8 writes it
// (ZKDatabase.serializeSnapshot then the signature): sessions, the ACL map, the nodes ended by "/",
// then the string "BenWasHere". No file header and no checksum: TCP carries it. The reader is
// incremental because the stream has no length prefix and can be hundreds of megabytes.

import { JuteReader, JuteWriter, readACL, readStatPersisted, writeACL, writeStatPersisted, type ACL } from '../jute/index.js';
import { joinPath } from '../protocol/paths.js';
import type { DataTree, SnapshotNodeInput, ZnodeStat } from '../tree/data-tree.js';

export const SNAPSHOT_SIGNATURE = 'BenWasHere';

/** Serializes the applied tree and sessions into chunks, ready to write after a SNAP packet. */
export function encodeWireSnapshot(tree: DataTree, sessions: readonly (readonly [bigint, number])[]): Buffer[] {
  const chunks: Buffer[] = [];
  let writer = new JuteWriter(1 << 16);
  const flush = (force: boolean): void => {
    if (writer.length === 0 || (!force && writer.length < 1 << 20)) return;
    chunks.push(Buffer.from(writer.toBuffer()));
    writer = new JuteWriter(1 << 16);
  };
  writer.writeInt(sessions.length);
  for (const [id, timeoutMs] of sessions) {
    writer.writeLong(id);
    writer.writeInt(timeoutMs);
  }
  const acls = [...tree.acls.entries()];
  writer.writeInt(acls.length);
  for (const [index, entry] of acls) {
    writer.writeLong(BigInt(index));
    writer.writeVector(entry.acl, writeACL);
  }
  const stack: string[] = ['/'];
  while (stack.length > 0) {
    const path = stack.pop() as string;
    const node = tree.getNode(path);
    if (node === undefined) continue;
    writer.writeUstring(path === '/' ? '' : path);
    writer.writeBuffer(node.data);
    writer.writeLong(BigInt(node.aclIndex));
    writeStatPersisted(writer, node.stat);
    flush(false);
    const children = tree.childrenOf(node);
    for (let i = children.length - 1; i >= 0; i--) stack.push(joinPath(path, children[i] as string));
  }
  writer.writeUstring('/');
  writer.writeUstring(SNAPSHOT_SIGNATURE);
  flush(true);
  return chunks;
}

export interface WireSnapshot {
  readonly sessions: [bigint, number][];
  readonly acls: [number, ACL[]][];
  readonly nodes: SnapshotNodeInput[];
}

export class WireSnapshotError extends Error {
  readonly code = 'ZKS_WIRE_SNAPSHOT';
}

type Phase = 'sessionCount' | 'sessions' | 'aclCount' | 'acls' | 'nodes' | 'signature' | 'done';

/**
 * Consumes the stream after a SNAP packet. `push` returns null while more bytes are needed, then
 * the snapshot and the bytes that followed it (the next packets).
 */
export class WireSnapshotReader {
  #buffer: Buffer = Buffer.alloc(0);
  #phase: Phase = 'sessionCount';
  #remaining = 0;
  readonly #sessions: [bigint, number][] = [];
  readonly #acls: [number, ACL[]][] = [];
  readonly #nodes: SnapshotNodeInput[] = [];

  push(chunk: Buffer): { snapshot: WireSnapshot; rest: Buffer } | null {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    let offset = 0;
    for (;;) {
      const consumed = this.#step(offset);
      if (consumed === null) break;
      offset += consumed;
      if (this.#phase === 'done') {
        const rest = Buffer.from(this.#buffer.subarray(offset));
        this.#buffer = Buffer.alloc(0);
        return { snapshot: { sessions: this.#sessions, acls: this.#acls, nodes: this.#nodes }, rest };
      }
    }
    this.#buffer = this.#buffer.subarray(offset);
    return null;
  }

  /** Parses one item at `offset`; null when its bytes are not all here. */
  #step(offset: number): number | null {
    const b = this.#buffer;
    const available = b.length - offset;
    switch (this.#phase) {
      case 'sessionCount':
      case 'aclCount': {
        if (available < 4) return null;
        const count = b.readInt32BE(offset);
        if (count < 0) throw new WireSnapshotError(`negative ${this.#phase}`);
        this.#remaining = count;
        this.#phase = this.#phase === 'sessionCount' ? (count > 0 ? 'sessions' : 'aclCount') : count > 0 ? 'acls' : 'nodes';
        return 4;
      }
      case 'sessions':
        if (available < 12) return null;
        this.#sessions.push([b.readBigInt64BE(offset), b.readInt32BE(offset + 8)]);
        if (--this.#remaining === 0) this.#phase = 'aclCount';
        return 12;
      case 'acls': {
        const size = this.#measureAclEntry(offset);
        if (size === null) return null;
        const reader = new JuteReader(b.subarray(offset, offset + size), { maxBufferBytes: 1 << 20 });
        const index = Number(reader.readLong());
        this.#acls.push([index, reader.readVector(readACL) ?? []]);
        if (--this.#remaining === 0) this.#phase = 'nodes';
        return size;
      }
      case 'nodes': {
        const pathSize = this.#measureString(offset);
        if (pathSize === null) return null;
        const path = b.toString('utf8', offset + 4, offset + pathSize);
        if (path === '/') {
          this.#phase = 'signature';
          return pathSize;
        }
        const dataSize = this.#measureBuffer(offset + pathSize);
        if (dataSize === null) return null;
        const total = pathSize + dataSize + 8 + 60;
        if (available < total) return null;
        const reader = new JuteReader(b.subarray(offset + pathSize, offset + total), { maxBufferBytes: 0x7ffffff0 });
        const data = reader.readBuffer();
        const aclIndex = Number(reader.readLong());
        const stat: ZnodeStat = { ...readStatPersisted(reader) };
        this.#nodes.push({ path, data: data === null ? null : Buffer.from(data), aclIndex, stat });
        return total;
      }
      case 'signature': {
        const size = this.#measureString(offset);
        if (size === null) return null;
        const signature = b.toString('utf8', offset + 4, offset + size);
        if (signature !== SNAPSHOT_SIGNATURE) throw new WireSnapshotError(`missing snapshot signature (got ${JSON.stringify(signature.slice(0, 20))})`);
        this.#phase = 'done';
        return size;
      }
      case 'done':
        return null;
    }
  }

  #measureString(offset: number): number | null {
    if (this.#buffer.length - offset < 4) return null;
    const length = this.#buffer.readInt32BE(offset);
    if (length < 0) throw new WireSnapshotError('null string in a snapshot stream');
    return this.#buffer.length - offset >= 4 + length ? 4 + length : null;
  }

  #measureBuffer(offset: number): number | null {
    if (this.#buffer.length - offset < 4) return null;
    const length = this.#buffer.readInt32BE(offset);
    const size = 4 + Math.max(0, length);
    return this.#buffer.length - offset >= size ? size : null;
  }

  #measureAclEntry(offset: number): number | null {
    const b = this.#buffer;
    let at = offset + 8;
    if (b.length < at + 4) return null;
    const count = b.readInt32BE(at);
    at += 4;
    for (let i = 0; i < count; i++) {
      at += 4;
      for (let field = 0; field < 2; field++) {
        if (b.length < at + 4) return null;
        const length = b.readInt32BE(at);
        at += 4 + Math.max(0, length);
      }
    }
    return b.length >= at ? at - offset : null;
  }
}
