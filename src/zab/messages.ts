// The packets of ZooKeeper's quorum port (2888), as typed values. On the wire each is a jute
// QuorumPacket record {int type, long zxid, buffer data, vector<Id> authinfo}, written back to back
// with no length prefix (Learner and LearnerHandler write records straight onto the stream); the
// meaning of `zxid` and the layout of `data` depend on the type, as 3.8's Leader, Learner and
// LearnerHandler read and write them.

import { JuteReader, JuteWriter, readQuorumPacket, writeQuorumPacket, type Id, type QuorumPacket } from '../jute/index.js';

/** Packet type codes (Leader.java). */
export const PacketType = {
  request: 1,
  proposal: 2,
  ack: 3,
  commit: 4,
  ping: 5,
  revalidate: 6,
  sync: 7,
  inform: 8,
  commitAndActivate: 9,
  newLeader: 10,
  followerInfo: 11,
  upToDate: 12,
  diff: 13,
  trunc: 14,
  snap: 15,
  observerInfo: 16,
  leaderInfo: 17,
  ackEpoch: 18,
  informAndActivate: 19,
} as const;

/** The learner protocol version 3.8 speaks (0x10000: supports LEADERINFO/ACKEPOCH). */
export const LEARNER_PROTOCOL_VERSION = 0x10000;

export type QuorumMessage =
  /** A client write forwarded by a learner: session, cxid, op type and the raw request body. */
  | { readonly kind: 'request'; readonly sessionId: bigint; readonly cxid: number; readonly opType: number; readonly body: Buffer; readonly authInfo: Id[] }
  | { readonly kind: 'proposal'; readonly zxid: bigint; readonly txn: Buffer }
  | { readonly kind: 'ack'; readonly zxid: bigint }
  | { readonly kind: 'commit'; readonly zxid: bigint }
  /**
   * Leader to learner: no data (null, as 3.8 sends it). Learner to leader: the sessions it saw
   * activity on, with their timeouts (possibly none: an empty buffer).
   */
  | { readonly kind: 'ping'; readonly zxid: bigint; readonly touches: [bigint, number][] | null }
  /** Learner to leader: is this session (a client reconnecting to the learner) still valid? */
  | { readonly kind: 'revalidate'; readonly sessionId: bigint; readonly timeoutMs: number }
  /** Leader to learner: the answer (Java writes a long and a boolean, 9 bytes). */
  | { readonly kind: 'revalidateReply'; readonly sessionId: bigint; readonly valid: boolean }
  | { readonly kind: 'sync'; readonly zxid: bigint; readonly body: Buffer | null }
  | { readonly kind: 'inform'; readonly zxid: bigint; readonly txn: Buffer }
  /** Leader to follower: commit a reconfig and activate its configuration; go on with `designatedLeader`. */
  | { readonly kind: 'commitAndActivate'; readonly zxid: bigint; readonly designatedLeader: bigint }
  /** Leader to observer: INFORM of a reconfig, activated at once (long designated leader, then the txn). */
  | { readonly kind: 'informAndActivate'; readonly zxid: bigint; readonly designatedLeader: bigint; readonly txn: Buffer }
  | { readonly kind: 'newLeader'; readonly zxid: bigint; readonly config: Buffer }
  | { readonly kind: 'learnerInfo'; readonly observer: boolean; readonly acceptedEpoch: bigint; readonly serverId: bigint; readonly protocolVersion: number; readonly configVersion: bigint }
  | { readonly kind: 'upToDate'; readonly zxid: bigint }
  | { readonly kind: 'diff'; readonly zxid: bigint }
  | { readonly kind: 'trunc'; readonly zxid: bigint }
  | { readonly kind: 'snap'; readonly zxid: bigint }
  | { readonly kind: 'leaderInfo'; readonly newEpoch: bigint; readonly protocolVersion: number }
  | { readonly kind: 'ackEpoch'; readonly lastLoggedZxid: bigint; readonly currentEpoch: bigint }
  | { readonly kind: 'unknown'; readonly packet: QuorumPacket };

const EMPTY = Buffer.alloc(0);

function long(value: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(value);
  return b;
}

function int(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(value);
  return b;
}

export function toPacket(message: QuorumMessage): QuorumPacket {
  switch (message.kind) {
    case 'request': {
      const head = Buffer.alloc(16);
      head.writeBigInt64BE(message.sessionId, 0);
      head.writeInt32BE(message.cxid, 8);
      head.writeInt32BE(message.opType, 12);
      return { type: PacketType.request, zxid: -1n, data: Buffer.concat([head, message.body]), authinfo: message.authInfo };
    }
    case 'proposal':
      return { type: PacketType.proposal, zxid: message.zxid, data: message.txn, authinfo: [] };
    case 'ack':
      return { type: PacketType.ack, zxid: message.zxid, data: null, authinfo: [] };
    case 'commit':
      return { type: PacketType.commit, zxid: message.zxid, data: null, authinfo: [] };
    case 'ping': {
      if (message.touches === null) return { type: PacketType.ping, zxid: message.zxid, data: null, authinfo: [] };
      const data = Buffer.alloc(message.touches.length * 12);
      message.touches.forEach(([id, timeout], i) => {
        data.writeBigInt64BE(id, i * 12);
        data.writeInt32BE(timeout, i * 12 + 8);
      });
      return { type: PacketType.ping, zxid: message.zxid, data, authinfo: [] };
    }
    case 'revalidate':
      return { type: PacketType.revalidate, zxid: -1n, data: Buffer.concat([long(message.sessionId), int(message.timeoutMs)]), authinfo: [] };
    case 'revalidateReply':
      return { type: PacketType.revalidate, zxid: -1n, data: Buffer.concat([long(message.sessionId), Buffer.from([message.valid ? 1 : 0])]), authinfo: [] };
    case 'sync':
      return { type: PacketType.sync, zxid: message.zxid, data: message.body, authinfo: [] };
    case 'inform':
      return { type: PacketType.inform, zxid: message.zxid, data: message.txn, authinfo: [] };
    case 'commitAndActivate':
      return { type: PacketType.commitAndActivate, zxid: message.zxid, data: long(message.designatedLeader), authinfo: [] };
    case 'informAndActivate':
      return { type: PacketType.informAndActivate, zxid: message.zxid, data: Buffer.concat([long(message.designatedLeader), message.txn]), authinfo: [] };
    case 'newLeader':
      return { type: PacketType.newLeader, zxid: message.zxid, data: message.config, authinfo: [] };
    case 'learnerInfo': {
      const w = new JuteWriter(32);
      w.writeLong(message.serverId);
      w.writeInt(message.protocolVersion);
      w.writeLong(message.configVersion);
      return {
        type: message.observer ? PacketType.observerInfo : PacketType.followerInfo,
        zxid: message.acceptedEpoch << 32n,
        data: w.toBuffer(),
        authinfo: [],
      };
    }
    case 'upToDate':
      return { type: PacketType.upToDate, zxid: message.zxid, data: null, authinfo: [] };
    case 'diff':
      return { type: PacketType.diff, zxid: message.zxid, data: null, authinfo: [] };
    case 'trunc':
      return { type: PacketType.trunc, zxid: message.zxid, data: null, authinfo: [] };
    case 'snap':
      return { type: PacketType.snap, zxid: message.zxid, data: null, authinfo: [] };
    case 'leaderInfo':
      return { type: PacketType.leaderInfo, zxid: message.newEpoch << 32n, data: int(message.protocolVersion), authinfo: [] };
    case 'ackEpoch':
      return { type: PacketType.ackEpoch, zxid: message.lastLoggedZxid, data: int(Number(message.currentEpoch)), authinfo: [] };
    case 'unknown':
      return message.packet;
  }
}

export function encodeQuorumMessage(message: QuorumMessage): Buffer {
  const writer = new JuteWriter(64);
  writeQuorumPacket(writer, toPacket(message));
  return writer.toBuffer();
}

export class QuorumMessageError extends Error {
  readonly code = 'ZKS_QUORUM_MESSAGE';
}

/** Interprets a packet; throws QuorumMessageError when its data does not fit its type. */
export function fromPacket(packet: QuorumPacket): QuorumMessage {
  const data = packet.data ?? EMPTY;
  const need = (bytes: number): void => {
    if (data.length < bytes) throw new QuorumMessageError(`packet type ${packet.type} has ${data.length} data bytes, needs ${bytes}`);
  };
  switch (packet.type) {
    case PacketType.request:
      need(16);
      return {
        kind: 'request',
        sessionId: data.readBigInt64BE(0),
        cxid: data.readInt32BE(8),
        opType: data.readInt32BE(12),
        body: data.subarray(16),
        authInfo: packet.authinfo,
      };
    case PacketType.proposal:
      return { kind: 'proposal', zxid: packet.zxid, txn: data };
    case PacketType.ack:
      return { kind: 'ack', zxid: packet.zxid };
    case PacketType.commit:
      return { kind: 'commit', zxid: packet.zxid };
    case PacketType.ping: {
      const touches: [bigint, number][] = [];
      for (let offset = 0; offset + 12 <= data.length; offset += 12) touches.push([data.readBigInt64BE(offset), data.readInt32BE(offset + 8)]);
      return { kind: 'ping', zxid: packet.zxid, touches };
    }
    case PacketType.revalidate:
      if (data.length === 9) return { kind: 'revalidateReply', sessionId: data.readBigInt64BE(0), valid: data[8] !== 0 };
      need(12);
      return { kind: 'revalidate', sessionId: data.readBigInt64BE(0), timeoutMs: data.readInt32BE(8) };
    case PacketType.sync:
      return { kind: 'sync', zxid: packet.zxid, body: packet.data };
    case PacketType.inform:
      return { kind: 'inform', zxid: packet.zxid, txn: data };
    case PacketType.commitAndActivate:
      need(8);
      return { kind: 'commitAndActivate', zxid: packet.zxid, designatedLeader: data.readBigInt64BE(0) };
    case PacketType.informAndActivate:
      need(8);
      return { kind: 'informAndActivate', zxid: packet.zxid, designatedLeader: data.readBigInt64BE(0), txn: data.subarray(8) };
    case PacketType.newLeader:
      return { kind: 'newLeader', zxid: packet.zxid, config: data };
    case PacketType.followerInfo:
    case PacketType.observerInfo: {
      need(12);
      const reader = new JuteReader(data);
      const serverId = reader.readLong();
      const protocolVersion = reader.readInt();
      const configVersion = reader.remaining >= 8 ? reader.readLong() : -1n;
      return { kind: 'learnerInfo', observer: packet.type === PacketType.observerInfo, acceptedEpoch: packet.zxid >> 32n, serverId, protocolVersion, configVersion };
    }
    case PacketType.upToDate:
      return { kind: 'upToDate', zxid: packet.zxid };
    case PacketType.diff:
      return { kind: 'diff', zxid: packet.zxid };
    case PacketType.trunc:
      return { kind: 'trunc', zxid: packet.zxid };
    case PacketType.snap:
      return { kind: 'snap', zxid: packet.zxid };
    case PacketType.leaderInfo:
      need(4);
      return { kind: 'leaderInfo', newEpoch: packet.zxid >> 32n, protocolVersion: data.readInt32BE(0) };
    case PacketType.ackEpoch:
      need(4);
      return { kind: 'ackEpoch', lastLoggedZxid: packet.zxid, currentEpoch: BigInt(data.readInt32BE(0)) };
    default:
      return { kind: 'unknown', packet };
  }
}

/**
 * Splits a quorum stream into packets. QuorumPackets carry no length prefix, so the decoder measures
 * each record (int, long, buffer, vector of Ids) before parsing it, and waits for more bytes when
 * one is incomplete. Lengths beyond `maxPacketBytes` are an error (the connection must be dropped).
 */
export class QuorumPacketDecoder {
  #buffered: Buffer = EMPTY;
  readonly #maxPacketBytes: number;

  constructor(maxPacketBytes: number) {
    this.#maxPacketBytes = maxPacketBytes;
  }

  /**
   * Returns the complete packets in `chunk` (with what was buffered). When `stopAfter` accepts a
   * packet, decoding stops right after it: the bytes that follow are not packets (a SNAP packet is
   * followed by a raw snapshot) and are left for `takeRemaining`.
   */
  push(chunk: Buffer, stopAfter?: (packet: QuorumPacket) => boolean): QuorumPacket[] {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    const packets: QuorumPacket[] = [];
    let offset = 0;
    for (;;) {
      const size = this.#measure(offset);
      if (size === null) break;
      const reader = new JuteReader(this.#buffered.subarray(offset, offset + size), { maxBufferBytes: this.#maxPacketBytes });
      const packet = readQuorumPacket(reader);
      packets.push({ ...packet, data: packet.data === null ? null : Buffer.from(packet.data) });
      offset += size;
      if (stopAfter?.(packet) === true) break;
    }
    this.#buffered = offset === this.#buffered.length ? EMPTY : this.#buffered.subarray(offset);
    return packets;
  }

  /** The bytes buffered but not decoded (after a stop), handing them over to another reader. */
  takeRemaining(): Buffer {
    const rest = this.#buffered;
    this.#buffered = EMPTY;
    return rest;
  }

  /** Bytes of the complete record at `start`, or null when it is not all here yet. */
  #measure(start: number): number | null {
    const b = this.#buffered;
    let at = start + 12;
    if (b.length < at + 4) return null;
    const dataLength = b.readInt32BE(at);
    at += 4;
    if (dataLength > this.#maxPacketBytes || dataLength < -1) throw new QuorumMessageError(`quorum packet data length ${dataLength} is out of range`);
    if (dataLength > 0) at += dataLength;
    if (b.length < at + 4) return null;
    const idCount = b.readInt32BE(at);
    at += 4;
    if (idCount > 1024 || idCount < -1) throw new QuorumMessageError(`quorum packet auth count ${idCount} is out of range`);
    for (let i = 0; i < idCount; i++) {
      for (let field = 0; field < 2; field++) {
        if (b.length < at + 4) return null;
        const length = b.readInt32BE(at);
        at += 4;
        if (length > 4096 || length < -1) throw new QuorumMessageError(`quorum packet auth id length ${length} is out of range`);
        if (length > 0) at += length;
      }
    }
    return b.length >= at ? at - start : null;
  }
}
