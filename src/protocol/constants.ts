// Small closed vocabularies of the protocol: permissions, create modes, watch kinds and the
// event/state codes carried by WatcherEvent.

export const Perms = {
  read: 1,
  write: 2,
  create: 4,
  delete: 8,
  admin: 16,
  all: 31,
} as const;

export const EventType = {
  none: -1,
  nodeCreated: 1,
  nodeDeleted: 2,
  nodeDataChanged: 3,
  nodeChildrenChanged: 4,
  dataWatchRemoved: 5,
  childWatchRemoved: 6,
  persistentWatchRemoved: 7,
} as const;
export type EventTypeValue = (typeof EventType)[keyof typeof EventType];

export const KeeperState = {
  disconnected: 0,
  syncConnected: 3,
  authFailed: 4,
  connectedReadOnly: 5,
  saslAuthenticated: 6,
  expired: -112,
  closed: 7,
} as const;

/** CreateMode flags as sent in CreateRequest.flags. */
export type CreateMode =
  | 'persistent'
  | 'ephemeral'
  | 'persistentSequential'
  | 'ephemeralSequential'
  | 'container'
  | 'persistentWithTtl'
  | 'persistentSequentialWithTtl';

const CREATE_MODE_BY_FLAG: readonly CreateMode[] = [
  'persistent',
  'ephemeral',
  'persistentSequential',
  'ephemeralSequential',
  'container',
  'persistentWithTtl',
  'persistentSequentialWithTtl',
];

export function createModeFromFlags(flags: number): CreateMode | undefined {
  return CREATE_MODE_BY_FLAG[flags];
}

export function isSequential(mode: CreateMode): boolean {
  return mode === 'persistentSequential' || mode === 'ephemeralSequential' || mode === 'persistentSequentialWithTtl';
}

export function isEphemeral(mode: CreateMode): boolean {
  return mode === 'ephemeral' || mode === 'ephemeralSequential';
}

export function isTtl(mode: CreateMode): boolean {
  return mode === 'persistentWithTtl' || mode === 'persistentSequentialWithTtl';
}

/** WatcherType of checkWatches/removeWatches requests. */
export const WatcherType = { children: 1, data: 2, any: 3, persistent: 4, persistentRecursive: 5 } as const;

/** AddWatchMode of addWatch requests. */
export const AddWatchMode = { persistent: 0, persistentRecursive: 1 } as const;

/**
 * ephemeralOwner encodings: containers use Long.MIN_VALUE; TTL nodes (extended types) put 0xff in the
 * top byte, reserved bits zero, and the TTL in milliseconds in the low 40 bits.
 */
export const CONTAINER_EPHEMERAL_OWNER = -0x8000000000000000n;
const EXTENDED_MASK = -0x100000000000000n; // 0xff00000000000000 as a signed long
const RESERVED_BITS_MASK = 0x00ffff0000000000n;
export const TTL_MAX_MS = 0xffffffffffn;

export function ttlToEphemeralOwner(ttlMs: bigint): bigint {
  return BigInt.asIntN(64, EXTENDED_MASK | ttlMs);
}

export type EphemeralKind = 'void' | 'normal' | 'container' | 'ttl';

export function ephemeralKind(owner: bigint, extendedTypesEnabled: boolean): EphemeralKind {
  if (extendedTypesEnabled && (owner & EXTENDED_MASK) === EXTENDED_MASK) {
    return (owner & RESERVED_BITS_MASK) === 0n ? 'ttl' : 'normal';
  }
  if (owner === CONTAINER_EPHEMERAL_OWNER) return 'container';
  return owner === 0n ? 'void' : 'normal';
}

export function ttlOfEphemeralOwner(owner: bigint): bigint {
  return owner & TTL_MAX_MS;
}
