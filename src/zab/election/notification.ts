// The leader-election port (3888) as 3.8 speaks it: a connection opens with an initial message
// (protocol version, server id, election address), after which each message is an int length and a
// notification: int state, long proposed leader, long zxid, long election epoch, long peer epoch,
// int version (2), then the sender's config as an int length and bytes. Older 28- and 40-byte
// notifications are still read, as 3.8 reads them.

export const ELECTION_PROTOCOL_VERSION_V1 = -65536n;
export const ELECTION_PROTOCOL_VERSION_V2 = -65535n;
export const NOTIFICATION_VERSION = 2;

/** ServerState ordinals as 3.8 sends them. */
export const PeerState = { looking: 0, following: 1, leading: 2, observing: 3 } as const;
export type PeerStateName = keyof typeof PeerState;
const STATE_BY_ORDINAL: readonly PeerStateName[] = ['looking', 'following', 'leading', 'observing'];

export interface Notification {
  readonly state: PeerStateName;
  readonly leader: bigint;
  readonly zxid: bigint;
  readonly electionEpoch: bigint;
  readonly peerEpoch: bigint;
  readonly version: number;
  readonly config: Buffer;
}

export function encodeNotification(n: Notification): Buffer {
  const body = Buffer.alloc(44 + 4 + n.config.length);
  body.writeInt32BE(PeerState[n.state], 0);
  body.writeBigInt64BE(n.leader, 4);
  body.writeBigInt64BE(n.zxid, 12);
  body.writeBigInt64BE(n.electionEpoch, 20);
  body.writeBigInt64BE(n.peerEpoch, 28);
  body.writeInt32BE(n.version, 36);
  body.writeInt32BE(n.config.length, 40);
  n.config.copy(body, 44);
  return body.subarray(0, 44 + n.config.length);
}

export class NotificationError extends Error {
  readonly code = 'ZKS_ELECTION_MESSAGE';
}

export function decodeNotification(body: Buffer): Notification {
  if (body.length < 28) throw new NotificationError(`short notification (${body.length} bytes)`);
  const state = STATE_BY_ORDINAL[body.readInt32BE(0)];
  if (state === undefined) throw new NotificationError(`unknown peer state ${body.readInt32BE(0)}`);
  const leader = body.readBigInt64BE(4);
  const zxid = body.readBigInt64BE(12);
  const electionEpoch = body.readBigInt64BE(20);
  if (body.length === 28) {
    return { state, leader, zxid, electionEpoch, peerEpoch: zxid >> 32n, version: 0, config: Buffer.alloc(0) };
  }
  const peerEpoch = body.readBigInt64BE(28);
  if (body.length < 40) throw new NotificationError(`truncated notification (${body.length} bytes)`);
  if (body.length === 40) return { state, leader, zxid, electionEpoch, peerEpoch, version: 0, config: Buffer.alloc(0) };
  const version = body.readInt32BE(36);
  if (version <= 1 || body.length < 44) return { state, leader, zxid, electionEpoch, peerEpoch, version, config: Buffer.alloc(0) };
  const configLength = body.readInt32BE(40);
  if (configLength < 0 || 44 + configLength > body.length) throw new NotificationError(`bad config length ${configLength}`);
  return { state, leader, zxid, electionEpoch, peerEpoch, version, config: Buffer.from(body.subarray(44, 44 + configLength)) };
}

/** The first bytes a connecting peer sends: protocol version, its id, its election address(es). */
export function encodeInitialMessage(serverId: bigint, addresses: readonly string[]): Buffer {
  const version = addresses.length > 1 ? ELECTION_PROTOCOL_VERSION_V2 : ELECTION_PROTOCOL_VERSION_V1;
  const text = Buffer.from(addresses.join('|'), 'utf8');
  const message = Buffer.alloc(20 + text.length);
  message.writeBigInt64BE(version, 0);
  message.writeBigInt64BE(serverId, 8);
  message.writeInt32BE(text.length, 16);
  text.copy(message, 20);
  return message;
}

export type InitialMessage =
  | { readonly kind: 'complete'; readonly serverId: bigint; readonly addresses: string[]; readonly bytes: number }
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'invalid'; readonly reason: string };

/**
 * Parses the initial message at the start of `bytes`. Before 3.5 a peer sent only its id (a
 * positive long); 3.8 still accepts that form.
 */
export function decodeInitialMessage(bytes: Buffer, maxAddressBytes = 512 * 1024): InitialMessage {
  if (bytes.length < 8) return { kind: 'incomplete' };
  const first = bytes.readBigInt64BE(0);
  if (first >= 0n) return { kind: 'complete', serverId: first, addresses: [], bytes: 8 };
  if (first !== ELECTION_PROTOCOL_VERSION_V1 && first !== ELECTION_PROTOCOL_VERSION_V2) {
    return { kind: 'invalid', reason: `unrecognized protocol version ${first}` };
  }
  if (bytes.length < 20) return { kind: 'incomplete' };
  const serverId = bytes.readBigInt64BE(8);
  const length = bytes.readInt32BE(16);
  if (length <= 0 || length > maxAddressBytes) return { kind: 'invalid', reason: `unreasonable address length ${length}` };
  if (bytes.length < 20 + length) return { kind: 'incomplete' };
  const addresses = bytes.subarray(20, 20 + length).toString('utf8').split('|');
  return { kind: 'complete', serverId, addresses, bytes: 20 + length };
}
