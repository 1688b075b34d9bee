/**
 * Linearizable reads over ZooKeeper, whose plain reads are only sequentially consistent (a
 * follower, or a leader that lost its quorum but does not know it yet, serves them from its own,
 * possibly stale, state).
 *
 * - check: getData, then a multi with one `check` of the version read. The multi is a write: it is
 *   ordered by the leader with every other write, and it succeeds only if the znode still has that
 *   version when it commits, so the value read is the register's value at that commit point, which
 *   lies between the read's invocation and completion. Works with any client; a multi that fails on
 *   the version (a write came in between) is retried a few times.
 * - sync: sync then getData (needs a client with sync).
 * - plain: getData alone (sequential consistency only; for the session-guarantee workload).
 *
 * A "barrier" makes a session's next reads at least as fresh as the moment it is invoked: sync, or
 * else a write (setData on a marker node); a read after a completed write in the same session
 * reflects every write committed before it.
 */
import { ZK_ERRORS, ZkError, isZkError, type ZkClient, type ZkStat } from '../client/client.js';
import type { ReadMode } from './workload.js';

const CHECK_ATTEMPTS = 8;

export async function readData(client: ZkClient, path: string, mode: ReadMode): Promise<{ data: Buffer; stat: ZkStat } | null> {
  if (mode === 'sync') {
    if (client.sync === undefined) throw new ZkError(ZK_ERRORS.UNIMPLEMENTED, 'this client has no sync: use --read-mode check');
    await client.sync(path);
  }
  for (let attempt = 0; attempt < CHECK_ATTEMPTS; attempt++) {
    let r: { data: Buffer; stat: ZkStat };
    try {
      r = await client.getData(path);
    } catch (e) {
      if (isZkError(e, ZK_ERRORS.NO_NODE)) {
        if (mode !== 'check') return null;
        // confirmed absent at the leader's commit point, or this server lags: read again
        if (await confirmAbsent(client, path)) return null;
        continue;
      }
      throw e;
    }
    if (mode !== 'check') return r;
    try {
      await client.multi([{ op: 'check', path, version: r.stat.version }]);
      return r;
    } catch (e) {
      if (isZkError(e, ZK_ERRORS.BAD_VERSION) || isZkError(e, ZK_ERRORS.NO_NODE)) continue;
      throw e;
    }
  }
  throw new ZkError(ZK_ERRORS.BAD_VERSION, `value of ${path} kept changing during ${CHECK_ATTEMPTS} check reads`);
}

/**
 * Confirms through the leader that a node is absent: a multi that checks the node's version fails
 * with NoNode exactly when it does not exist at the multi's commit point.
 */
async function confirmAbsent(client: ZkClient, path: string): Promise<boolean> {
  try {
    await client.multi([{ op: 'check', path, version: -1 }]);
    return false;
  } catch (e) {
    if (isZkError(e, ZK_ERRORS.NO_NODE)) return true;
    throw e;
  }
}

/** Makes the session's following reads at least as fresh as now (sync, or a marker write). */
export async function barrier(client: ZkClient, markerPath: string): Promise<void> {
  if (client.sync !== undefined) {
    await client.sync(markerPath);
    return;
  }
  await client.setData(markerPath, Buffer.alloc(0), -1);
}
