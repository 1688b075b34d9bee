// Client-side checks for mixed ensembles: writes through every member read back from every member,
// bulk writes, and waiting until a member has caught up.

import { createConnection, createServer, type Socket } from 'node:net';
import { ZooKeeperClient, ZooKeeperError, type Stat } from '../../src/client/index.js';
import { sendFourLetterWord } from '../support/four-letter.js';
import { sleep } from '../support/zk-wait.js';
import type { MixedEnsemble } from './mixed-ensemble.js';

async function withClient<T>(ensemble: MixedEnsemble, id: number, body: (client: ZooKeeperClient) => Promise<T>): Promise<T> {
  const client = await ensemble.client(id);
  try {
    return await body(client);
  } finally {
    await client.close();
  }
}

/** Retries a step while the ensemble settles (a member that just synced may still refuse briefly). */
async function retrying<T>(what: string, body: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await body();
    } catch (error) {
      lastError = error;
      await sleep(250);
    }
  }
  throw new Error(`${what}: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}

/**
 * Creates `/<tag>-<id>` through each member in `ids`, then reads every one of them back from every
 * member (after a sync). Returns what each member read, as `reader -> path -> data`; throws with
 * the first difference.
 */
export async function writeThroughEachReadEverywhere(ensemble: MixedEnsemble, ids: readonly number[], tag: string): Promise<void> {
  const expected = new Map<string, string>();
  await withClient(ensemble, ids[0] as number, async (client) => {
    await retrying(`create /${tag}`, async () => {
      if ((await client.exists(`/${tag}`)) === null) await client.create(`/${tag}`, Buffer.from(tag));
    });
  });
  for (const id of ids) {
    const path = `/${tag}/via-${id}`;
    const data = `written through ${ensemble.kindOf(id)} member ${id}`;
    await retrying(`create ${path} through member ${id}`, () =>
      withClient(ensemble, id, async (client) => {
        if ((await client.exists(path)) === null) await client.create(path, Buffer.from(data));
      }),
    );
    expected.set(path, data);
  }
  for (const reader of ids) {
    await withClient(ensemble, reader, async (client) => {
      await client.sync(`/${tag}`);
      for (const [path, data] of expected) {
        const got = await client.getData(path).then(
          (r) => r.data?.toString() ?? '<null>',
          (error: unknown) => `<${error instanceof Error ? error.message : String(error)}>`,
        );
        if (got !== data) throw new Error(`member ${reader} (${ensemble.kindOf(reader)}) reads ${path} as ${got}, expected ${data}`);
      }
    });
  }
}

/** Creates `/<tag>/n-0 .. n-(count-1)` through one member, `window` requests in flight. */
export async function bulkWrite(ensemble: MixedEnsemble, id: number, tag: string, count: number, window = 50): Promise<void> {
  await withClient(ensemble, id, async (client) => {
    if ((await client.exists(`/${tag}`)) === null) await client.create(`/${tag}`, null);
    for (let start = 0; start < count; start += window) {
      const batch: Promise<unknown>[] = [];
      for (let i = start; i < Math.min(count, start + window); i++) batch.push(client.create(`/${tag}/n-${i}`, Buffer.from(`value ${i}`)));
      await Promise.all(batch);
    }
  });
}

/** Checks that member `id` holds exactly `/<tag>/n-0 .. n-(count-1)` with their values. */
export async function expectBulk(ensemble: MixedEnsemble, id: number, tag: string, count: number): Promise<void> {
  await retrying(
    `member ${id} holds /${tag} with ${count} children`,
    () =>
      withClient(ensemble, id, async (client) => {
        await client.sync(`/${tag}`);
        const { children } = await client.getChildren(`/${tag}`);
        if (children.length !== count) throw new Error(`member ${id} (${ensemble.kindOf(id)}) has ${children.length} children under /${tag}, expected ${count}`);
        for (const i of [0, Math.floor(count / 2), count - 1]) {
          const { data } = await client.getData(`/${tag}/n-${i}`);
          if (data?.toString() !== `value ${i}`) throw new Error(`member ${id} reads /${tag}/n-${i} as ${data?.toString() ?? '<null>'}`);
        }
      }),
    30_000,
  );
}

function statText(stat: Stat): string {
  return JSON.stringify(stat, (_key, value: unknown) => (typeof value === 'bigint' ? `0x${value.toString(16)}` : value));
}

/**
 * Reads `paths` (data and Stat) from every member in `ids` after a sync: every member must answer
 * the same bytes and the same Stat (czxid, mzxid, ctime, mtime, versions, ephemeralOwner, pzxid...),
 * which shows that both kinds apply the leader's txns identically.
 */
export async function expectSameView(ensemble: MixedEnsemble, ids: readonly number[], paths: readonly string[]): Promise<void> {
  const views = new Map<number, string[]>();
  for (const id of ids) {
    const view = await withClient(ensemble, id, async (client) => {
      await client.sync('/');
      const lines: string[] = [];
      for (const path of paths) {
        const { data, stat } = await client.getData(path);
        const { children } = await client.getChildren(path);
        lines.push(`${path} data=${data?.toString('hex') ?? 'null'} stat=${statText(stat)} children=${[...children].sort().join(',')}`);
      }
      return lines;
    });
    views.set(id, view);
  }
  const [first, ...rest] = ids;
  const reference = views.get(first as number) ?? [];
  for (const id of rest) {
    const view = views.get(id) ?? [];
    reference.forEach((line, i) => {
      if (view[i] !== line) {
        throw new Error(`member ${id} (${ensemble.kindOf(id)}) differs from member ${first} (${ensemble.kindOf(first as number)}):\n  ${view[i] ?? '<missing>'}\n  ${line}`);
      }
    });
  }
}

/**
 * A session whose client is connected to `owner` holds an ephemeral node for `holdMs` (several
 * session timeouts) while only pinging: the leader must learn from `owner`'s PING replies that the
 * session is alive. Then the client closes the session and the ephemeral disappears everywhere.
 */
export async function expectSessionKeptAlive(ensemble: MixedEnsemble, owner: number, observers: readonly number[], holdMs: number, sessionTimeoutMs = 4000): Promise<void> {
  const path = `/session-of-${owner}-${Date.now()}`;
  const client = await ensemble.client(owner, sessionTimeoutMs);
  let closed = false;
  try {
    await retrying(`create ephemeral ${path} through member ${owner}`, async () => {
      if ((await client.exists(path)) === null) await client.create(path, Buffer.from('eph'), { mode: 'ephemeral' });
    });
    const sessionId = client.sessionId;
    await sleep(holdMs);
    if (!client.isConnected()) throw new Error(`the session of a client of member ${owner} (${ensemble.kindOf(owner)}) is ${client.state} after ${holdMs} ms of pings`);
    for (const id of observers) {
      await withClient(ensemble, id, async (other) => {
        await other.sync('/');
        const stat = await other.exists(path);
        if (stat === null) throw new Error(`member ${id} (${ensemble.kindOf(id)}) lost the ephemeral ${path} of a live session on member ${owner} (${ensemble.kindOf(owner)})`);
        if (stat.ephemeralOwner !== sessionId) throw new Error(`member ${id} shows ephemeralOwner 0x${stat.ephemeralOwner.toString(16)}, expected 0x${sessionId.toString(16)}`);
      });
    }
    await client.close();
    closed = true;
    for (const id of observers) {
      await retrying(`member ${id} drops ${path} after the session closed`, () =>
        withClient(ensemble, id, async (other) => {
          await other.sync('/');
          if ((await other.exists(path)) !== null) throw new Error(`member ${id} (${ensemble.kindOf(id)}) still has ${path}`);
        }),
      );
    }
  } finally {
    if (!closed) await client.close();
  }
}

/** A TCP relay to a member's client port that the test can cut, stranding the client behind it. */
async function startRelay(port: number): Promise<{ port: number; cut: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port });
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no port');
  return {
    port: address.port,
    cut: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A client of member `from` loses its connection and resumes its session on member `to` (the
 * learner asks the leader to REVALIDATE it in 3.8): the session, its ephemeral node and its
 * liveness carry over, and it can write through `to` (a 3.8 leader answers SessionMoved to a write
 * from a learner that took the session without revalidating it: the session's owner is the learner
 * that revalidated it last); closing it then removes the ephemerals everywhere.
 */
export async function expectSessionMoves(ensemble: MixedEnsemble, from: number, to: number, sessionTimeoutMs = 6000): Promise<void> {
  const relay = await startRelay(ensemble.clientPort(from));
  const first = await ZooKeeperClient.connect(`127.0.0.1:${relay.port}`, { sessionTimeoutMs, connectTimeoutMs: 15_000 });
  const path = `/moving-${from}-to-${to}-${Date.now()}`;
  let second: ZooKeeperClient | null = null;
  try {
    await first.create(path, Buffer.from('eph'), { mode: 'ephemeral' });
    const session = { id: first.sessionId, passwd: first.sessionPasswd };
    await relay.cut();
    second = await ZooKeeperClient.connect(`127.0.0.1:${ensemble.clientPort(to)}`, { sessionTimeoutMs, connectTimeoutMs: 15_000, session }).catch((error: unknown) => {
      throw new Error(`resuming session 0x${session.id.toString(16)} of member ${from} (${ensemble.kindOf(from)}) on member ${to} (${ensemble.kindOf(to)}): ${error instanceof Error ? error.message : String(error)}`);
    });
    if (second.sessionId !== session.id) throw new Error(`member ${to} gave session 0x${second.sessionId.toString(16)}, expected 0x${session.id.toString(16)}`);
    await sleep(2 * sessionTimeoutMs);
    if (!second.isConnected()) throw new Error(`the moved session is ${second.state} on member ${to} (${ensemble.kindOf(to)})`);
    await second.sync('/');
    const stat = await second.exists(path);
    if (stat === null || stat.ephemeralOwner !== session.id) throw new Error(`member ${to} (${ensemble.kindOf(to)}) lost the moved session's ephemeral ${path}`);
    await second.create(`${path}-after`, Buffer.from('eph'), { mode: 'ephemeral' }).catch((error: unknown) => {
      throw new Error(`writing through member ${to} (${ensemble.kindOf(to)}) with the moved session: ${error instanceof Error ? error.message : String(error)}`);
    });
    await second.close();
    second = null;
    await retrying(`member ${from} drops ${path} after the moved session closed`, () =>
      withClient(ensemble, from, async (other) => {
        await other.sync('/');
        if ((await other.exists(path)) !== null) throw new Error(`member ${from} (${ensemble.kindOf(from)}) still has ${path}`);
        if ((await other.exists(`${path}-after`)) !== null) throw new Error(`member ${from} (${ensemble.kindOf(from)}) still has ${path}-after`);
      }),
    );
  } finally {
    await relay.cut().catch(() => undefined);
    await second?.close();
    await first.close();
  }
}

/**
 * A session resumed on member `to` while its first connection, to member `from`, stays open: the
 * leader now takes the session's writes only through `to` (3.8: the session's owner is the learner
 * that revalidated it last, or the leader's own clients). A write through the stale connection is
 * refused with SessionMoved, which 3.8 answers by closing that connection without a reply; the
 * write is not applied, and the session goes on through `to`.
 */
export async function expectStaleConnectionRefused(ensemble: MixedEnsemble, from: number, to: number, sessionTimeoutMs = 6000): Promise<void> {
  const relay = await startRelay(ensemble.clientPort(from));
  // A long reconnect delay: the stale client must not come back (and take the session back) before
  // the relay is cut.
  const first = await ZooKeeperClient.connect(`127.0.0.1:${relay.port}`, { sessionTimeoutMs, connectTimeoutMs: 15_000, reconnectDelayMs: 30_000 });
  const path = `/stale-${from}-to-${to}-${Date.now()}`;
  const where = `member ${from} (${ensemble.kindOf(from)}) -> ${to} (${ensemble.kindOf(to)})`;
  let second: ZooKeeperClient | null = null;
  try {
    const session = { id: first.sessionId, passwd: first.sessionPasswd };
    second = await ZooKeeperClient.connect(`127.0.0.1:${ensemble.clientPort(to)}`, { sessionTimeoutMs, connectTimeoutMs: 15_000, session });
    const outcome = await first.create(path, Buffer.from('stale')).then(
      () => 'created',
      (error: unknown) => (error instanceof ZooKeeperError ? (error.codeName ?? String(error.code)) : String(error)),
    );
    await relay.cut();
    if (outcome !== 'connectionLoss') throw new Error(`${where}: a write through the stale connection gave ${outcome}, expected its connection to be closed (connectionLoss)`);
    await second.sync('/');
    if ((await second.exists(path)) !== null) throw new Error(`${where}: the write refused as SessionMoved was applied`);
    await second.create(`${path}-after`, Buffer.from('ok')).catch((error: unknown) => {
      throw new Error(`${where}: writing through the member the session moved to: ${error instanceof Error ? error.message : String(error)}`);
    });
    await second.delete(`${path}-after`);
  } finally {
    await relay.cut().catch(() => undefined);
    await second?.close();
    await first.close(1000).catch(() => false);
  }
}

/**
 * Our member `id` under a Java leader: 3.8's leader puts the tree digest it expects after each txn
 * into the proposal, and our member compares it with its own tree's (DataTree.compareDigest). The
 * txns it applied must all have matched: our tree digest is 3.8's, txn by txn.
 */
export async function expectDigestsMatched(ensemble: MixedEnsemble, id: number): Promise<void> {
  const mntr = await sendFourLetterWord(ensemble.clientPort(id), 'mntr', '127.0.0.1', 3000);
  const line = mntr.split('\n').find((l) => l.startsWith('zk_digest_mismatches_count\t'));
  if (line !== 'zk_digest_mismatches_count\t0') throw new Error(`member ${id} (${ensemble.kindOf(id)}): ${line ?? 'no zk_digest_mismatches_count in mntr'}`);
}

/** The member's log since its last start (the launcher marks each start). */
export async function logSinceLastStart(ensemble: MixedEnsemble, id: number): Promise<string> {
  const log = await ensemble.readLog(id);
  const at = log.lastIndexOf('===== start #');
  return at < 0 ? log : log.slice(at);
}

export type SyncMode = 'DIFF' | 'SNAP' | 'TRUNC';

/**
 * How the member was synced by its leader after its last start, read from its own log: 3.8 logs
 * "Getting a diff from the leader", "Getting a snapshot from leader" or "Truncating log" (Learner);
 * ours logs "loaded the leader snapshot" or "TRUNC: ...", and nothing for a DIFF. Null when the member
 * has not followed since.
 */
export async function syncModeOf(ensemble: MixedEnsemble, id: number): Promise<SyncMode[]> {
  const log = await logSinceLastStart(ensemble, id);
  const modes: SyncMode[] = [];
  if (ensemble.kindOf(id) === 'java') {
    for (const line of log.split('\n')) {
      if (line.includes('Getting a diff from the leader')) modes.push('DIFF');
      else if (line.includes('Getting a snapshot from leader')) modes.push('SNAP');
      else if (line.includes('Truncating log to get in sync')) modes.push('TRUNC');
    }
    return modes;
  }
  // Ours: a FOLLOWING that reaches "serving clients" without a snapshot or TRUNC line was a DIFF.
  let current: SyncMode | null = null;
  for (const line of log.split('\n')) {
    if (line.includes('"msg":"FOLLOWING"')) current = 'DIFF';
    else if (current !== null && line.includes('loaded the leader snapshot')) current = 'SNAP';
    else if (current !== null && line.includes('TRUNC: dropping logged txns')) current = 'TRUNC';
    else if (current !== null && line.includes('"role":"following"') && line.includes('serving clients')) {
      modes.push(current);
      current = null;
    }
  }
  return modes;
}

/**
 * Lines of the Java members' logs where 3.8 complains about what a peer sent, keyed by pattern. A
 * mixed ensemble that speaks 3.8's protocol exactly produces none of them.
 */
export const JAVA_PROTOCOL_COMPLAINTS: readonly RegExp[] = [
  /Received an UPTODATE message after Follower started/u,
  /digest mismatch/iu,
  /Unknown packet type/u,
  /Something went wrong while processing config received/u,
  /Skipping the processing of a partial \/ malformed response/u,
  /Initial message parsing error/u,
  /Got a short response from server/u,
  /First packet .* is not FOLLOWERINFO/u,
  /Committing zxid 0x[0-9a-f]+ but next pending txn/u,
  /Got unexpected packet from leader/u,
];

export async function javaComplaints(ensemble: MixedEnsemble): Promise<string[]> {
  const found: string[] = [];
  for (const id of ensemble.ids()) {
    if (ensemble.kindOf(id) !== 'java') continue;
    for (const line of (await ensemble.readLog(id)).split('\n')) {
      if (JAVA_PROTOCOL_COMPLAINTS.some((pattern) => pattern.test(line))) found.push(`member ${id}: ${line}`);
    }
  }
  return found;
}

/**
 * Leaves an uncommitted txn in the log of `leader`: its followers are frozen (SIGSTOP, their
 * connections stay open, so the leader keeps leading until syncLimit), a client of the leader
 * creates a node, and the leader logs the proposal that no one will ACK. The caller then kills
 * everyone. Returns the path that must never become visible.
 */
export async function leaveUncommittedTxn(ensemble: MixedEnsemble, leader: number, followers: readonly number[]): Promise<string> {
  const client = await ensemble.client(leader);
  const path = `/uncommitted-${Date.now()}`;
  for (const id of followers) ensemble.pause(id);
  client.create(path, Buffer.from('never committed')).catch(() => undefined);
  // Time to log it (the leader leads on until syncLimit, 5 s here; a loaded machine is slow).
  await sleep(2000);
  client.close().catch(() => undefined);
  return path;
}

/** Checks that no member in `ids` shows `path`. */
export async function expectAbsentEverywhere(ensemble: MixedEnsemble, ids: readonly number[], path: string): Promise<void> {
  for (const id of ids) {
    await withClient(ensemble, id, async (client) => {
      await client.sync('/');
      if ((await client.exists(path)) !== null) throw new Error(`member ${id} (${ensemble.kindOf(id)}) shows ${path}, a txn that was never committed`);
    });
  }
}
