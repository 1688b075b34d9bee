// The tree digest a txn is logged with (3.8's precalculated digest) must be the digest the tree
// has once the txn is applied: a random workload is prepared in batches, several txns ahead of the
// tree, with failures, multis, ephemerals closed with their session and deletes of their parents,
// then applied in order, and after each txn the two digests are compared.

import { describe, expect, it } from 'vitest';
import { createAuthProviders } from '../auth/providers.js';
import type { ACL } from '../jute/index.js';
import { OpCode } from '../protocol/op-code.js';
import type { MultiWriteOp, WriteRequest } from '../protocol/requests.js';
import { DataTree } from '../tree/data-tree.js';
import type { Txn } from '../txn/txn.js';
import { OutstandingChanges } from './outstanding-changes.js';
import { prepareCreateSession, prepareWrite, type PrepareContext, type PrepareEnvironment } from './prepare.js';

const OPEN: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const CREATE_FLAGS = { persistent: 0, ephemeral: 1, persistentSequential: 2, ephemeralSequential: 3, container: 4, ttl: 5 } as const;

/** A small seeded generator: the workload must replay exactly from its seed. */
class SeededRandom {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0 || 1;
  }
  nextInt(bound: number): number {
    // xorshift32
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state % bound;
  }
}

interface Harness {
  readonly tree: DataTree;
  readonly env: PrepareEnvironment;
  zxid: bigint;
}

function harness(digestEnabled = true): Harness {
  const tree = new DataTree({ extendedTypesEnabled: true });
  const changes = new OutstandingChanges({ getNode: (p) => tree.getNode(p), aclOf: (n) => tree.aclOf(n), digest: () => tree.digest });
  const env: PrepareEnvironment = {
    tree,
    changes,
    acl: { providers: createAuthProviders({}), skipAcl: false },
    extendedTypesEnabled: true,
    reconfigEnabled: false,
    reconfig: null,
    digestEnabled,
    checkSession: () => 'live',
    markSessionClosing: () => undefined,
  };
  return { tree, env, zxid: 0n };
}

function context(h: Harness, sessionId: bigint): PrepareContext {
  h.zxid++;
  return { sessionId, cxid: Number(h.zxid), owner: 0, zxid: h.zxid, timeMs: 1_700_000_000_000n + h.zxid, authIds: [] };
}

function create(path: string, flags: number, data: string | null = path): WriteRequest {
  const ttl = flags === CREATE_FLAGS.ttl ? 60_000n : -1n;
  return { kind: 'create', type: flags === CREATE_FLAGS.container ? OpCode.createContainer : flags === CREATE_FLAGS.ttl ? OpCode.createTTL : OpCode.create2, record: { path, data: data === null ? null : Buffer.from(data), acl: OPEN, flags, ttl } };
}

function typeOf(request: WriteRequest): number {
  switch (request.kind) {
    case 'create':
      return request.type;
    case 'delete':
      return OpCode.delete;
    case 'setData':
      return OpCode.setData;
    case 'setACL':
      return OpCode.setACL;
    case 'multi':
      return OpCode.multi;
    case 'closeSession':
      return OpCode.closeSession;
    default:
      return OpCode.check;
  }
}

/** A random write against the paths that exist now or may exist by the time it is prepared. */
function randomRequest(random: SeededRandom, known: readonly string[]): WriteRequest {
  const pick = (): string => known[random.nextInt(known.length)] ?? '/';
  // The root is looked up as '' when it is a parent and as '/' when it is changed itself, so 3.8
  // keeps two change records for it, and after a setData or setACL of '/' 3.8 digests the root with
  // its path, where we do not (see README): such writes are left out here.
  const changeable = (): string => {
    const path = pick();
    return path === '/' ? (known[1] ?? '/missing') : path;
  };
  const child = (): string => {
    const parent = pick();
    return `${parent === '/' ? '' : parent}/n${random.nextInt(50)}`;
  };
  switch (random.nextInt(9)) {
    case 0:
    case 1:
      return create(child(), [0, 1, 2, 3, 4, 5][random.nextInt(6)] ?? 0, random.nextInt(4) === 0 ? null : 'x'.repeat(random.nextInt(300)));
    case 2:
      return { kind: 'setData', record: { path: changeable(), data: Buffer.from(`v${random.nextInt(1000)}`), version: random.nextInt(3) === 0 ? random.nextInt(3) : -1 } };
    case 3:
      return { kind: 'delete', record: { path: pick(), version: -1 } };
    case 4:
      return { kind: 'setACL', record: { path: changeable(), acl: OPEN, version: -1 } };
    case 5:
      return { kind: 'check', record: { path: pick(), version: random.nextInt(2) } };
    default: {
      const ops: MultiWriteOp[] = [];
      for (let i = 0, n = 1 + random.nextInt(4); i < n; i++) {
        const request = randomRequest(random, known);
        if (request.kind === 'create') ops.push({ type: request.type, kind: 'create', record: request.record });
        else if (request.kind === 'setData') ops.push({ type: OpCode.setData, kind: 'setData', record: request.record });
        else if (request.kind === 'delete') ops.push({ type: OpCode.delete, kind: 'delete', record: request.record });
        else if (request.kind === 'check') ops.push({ type: OpCode.check, kind: 'check', record: request.record });
      }
      return { kind: 'multi', ops };
    }
  }
}

function applyAndCompare(h: Harness, txn: Txn): void {
  h.tree.applyTxn(txn);
  h.env.changes.applied(txn.header.zxid);
  if (txn.digest !== null) expect([txn.header.zxid, txn.digest.treeDigest]).toEqual([txn.header.zxid, h.tree.digest]);
}

describe('the digest a prepared txn carries', () => {
  it.each(Array.from({ length: 16 }, (_, i) => i + 1))('is the tree digest after the txn is applied (seed %i)', (seed) => {
    const h = harness();
    const random = new SeededRandom(seed * 2654435761);
    const sessions = [1n, 2n, 3n];
    let withDigest = 0;
    for (let round = 0; round < 60; round++) {
      // A batch prepared ahead of the tree, as a leader does while earlier txns are being logged.
      const batch: Txn[] = [];
      for (let i = 0, n = 1 + random.nextInt(8); i < n; i++) {
        const known = ['/', ...[...h.tree.paths()].filter((p) => p !== '/' && !p.startsWith('/zookeeper'))];
        const session = sessions[random.nextInt(sessions.length)] ?? 1n;
        if (random.nextInt(25) === 0) {
          batch.push(prepareWrite(h.env, context(h, session), OpCode.closeSession, { kind: 'closeSession' }));
          sessions.push(BigInt(sessions.length + 1));
          batch.push(prepareCreateSession(h.env, context(h, sessions[sessions.length - 1] ?? 9n), 30_000));
          continue;
        }
        const request = randomRequest(random, known);
        batch.push(prepareWrite(h.env, context(h, session), typeOf(request), request));
      }
      for (const txn of batch) {
        if (txn.digest !== null) withDigest++;
        applyAndCompare(h, txn);
      }
    }
    expect(h.env.changes.size).toBe(0);
    expect(withDigest).toBeGreaterThan(100);
  });

  it('a failed txn carries none; a failed multi carries the unchanged digest', () => {
    const h = harness();
    const failed = prepareWrite(h.env, context(h, 1n), OpCode.delete, { kind: 'delete', record: { path: '/missing', version: -1 } });
    expect(failed.header.type).toBe(OpCode.error);
    expect(failed.digest).toBeNull();
    const before = h.tree.digest;
    const multi = prepareWrite(h.env, context(h, 1n), OpCode.multi, {
      kind: 'multi',
      ops: [
        { type: OpCode.create, kind: 'create', record: { path: '/a', data: null, acl: OPEN, flags: 0, ttl: -1n } },
        { type: OpCode.delete, kind: 'delete', record: { path: '/missing', version: -1 } },
      ],
    });
    expect(multi.digest?.treeDigest).toBe(before);
    applyAndCompare(h, failed);
    applyAndCompare(h, multi);
  });

  it('carries none with zookeeper.digest.enabled=false', () => {
    const h = harness(false);
    const txn = prepareWrite(h.env, context(h, 1n), OpCode.create, create('/a', CREATE_FLAGS.persistent));
    expect(txn.header.type).toBe(OpCode.create);
    expect(txn.digest).toBeNull();
  });
});
