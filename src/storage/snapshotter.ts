// Writes a fuzzy snapshot of the live tree in the background: the walk proceeds in small slices and
// yields to the event loop between them, so clients are served while a million znodes are written.
// As in ZooKeeper, the snapshot is named after the last applied zxid when it starts, and the txns
// logged after that zxid are replayed on recovery to make it consistent. A node created after the
// walk started is left out (its create txn will be replayed); any other change made during the walk
// is idempotent to replay.

import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { ACL } from '../jute/index.js';
import type { Logger } from '../logging/logger.js';
import { createdAfter, DIGEST_VERSION, type DataTree, type Znode } from '../tree/data-tree.js';
import { fsyncDirectory } from './txn-log.js';
import { snapshotFileName } from './txn-log-format.js';
import { SnapshotWriter } from './snapshot-format.js';

export interface SnapshotOptions {
  /** dataDir/version-2 */
  readonly directory: string;
  readonly fsync: boolean;
  /** Nodes serialized between yields to the event loop. */
  readonly nodesPerSlice: number;
}

/**
 * Snapshot files opened and not yet durable (contents and directory entry fsynced), for the test
 * hook that simulates a power loss: it removes them. Process-wide because snapshots are written
 * from both the composition root and the quorum peer, and a process runs one server.
 */
const notYetDurable = new Set<string>();

export function snapshotsNotYetDurable(): readonly string[] {
  return [...notYetDurable];
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface SnapshotResult {
  readonly path: string;
  readonly zxid: bigint;
  readonly nodes: number;
  readonly bytes: number;
  readonly durationMs: number;
}

export async function writeSnapshot(
  tree: DataTree,
  sessions: readonly (readonly [bigint, number])[],
  options: SnapshotOptions,
  logger: Logger,
): Promise<SnapshotResult> {
  const started = performance.now();
  const zxid = tree.lastProcessedZxid;
  const path = join(options.directory, snapshotFileName(zxid));
  // A snapshot of this zxid may already exist: an intact one (nothing changed since) or one that
  // recovery could not read. Either way it is kept: we never overwrite a file we did not write.
  let handle;
  try {
    handle = await open(path, 'wx');
    notYetDurable.add(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    logger.warn({ file: path }, 'a snapshot of this zxid exists already; keeping it and skipping this one');
    return { path, zxid, nodes: 0, bytes: 0, durationMs: performance.now() - started };
  }
  let position = 0;
  let writeError: unknown = null;
  // Chunks wait here while a write is on its way, and the next write takes all of them at once:
  // each write is a round trip through the thread pool, and on a busy machine the hand-offs, not
  // the disk, were what a start waited for.
  let queued: Buffer[] = [];
  let queuedAt = 0;
  // Chunks the file has received, for the writer to fill again.
  const written: Buffer[] = [];
  let writing: Promise<void> | null = null;
  const drain = async (): Promise<void> => {
    while (queued.length > 0) {
      const batch = queued;
      queued = [];
      const at = queuedAt;
      let bytes = 0;
      for (const chunk of batch) bytes += chunk.length;
      queuedAt += bytes;
      const { bytesWritten } = await handle.writev(batch, at);
      if (bytesWritten < bytes) {
        const rest = Buffer.concat(batch).subarray(bytesWritten);
        let done = 0;
        while (done < rest.length) done += (await handle.write(rest, done, rest.length - done, at + bytesWritten + done)).bytesWritten;
      }
      written.push(...batch);
    }
  };
  const startWriting = (): void => {
    writing = drain().then(
      () => {
        writing = null;
        if (queued.length > 0) startWriting();
      },
      (error: unknown) => {
        writeError = error;
        writing = null;
      },
    );
  };
  const sink = (chunk: Buffer): void => {
    position += chunk.length;
    queued.push(chunk);
    if (writing === null && writeError === null) startWriting();
  };
  let nodeCount = 0;
  try {
    const writer = new SnapshotWriter(sink, 0n, written);
    writer.writeSessions(sessions);
    const writtenAcls = new Map<number, readonly ACL[]>();
    for (const [index, entry] of tree.acls.entries()) writtenAcls.set(index, entry.acl);
    writer.writeAcls([...writtenAcls.entries()].map(([index, acl]) => [BigInt(index), acl] as const));
    // The walk goes from node to node, each written with the path it holds: no path is built and
    // no child is looked up by name (that lookup was a fifth of the time of a snapshot under a
    // create-heavy load). A node held across a yield may have been deleted meanwhile: it is then no
    // longer the node at its path, which is checked only once the tree has dropped any node at all.
    const removalsAtStart = tree.removals;
    const isNewer = createdAfter(zxid);
    const stack: Znode[] = [];
    const visit = (node: Znode): void => {
      // An ACL list first used after the walk began is not in the map we wrote; its setACL txn
      // is after the snapshot zxid and will be replayed, so the open placeholder is overwritten.
      const aclIndex = node.aclIndex === -1 || writtenAcls.has(node.aclIndex) ? node.aclIndex : -1;
      // Copied from the node's record straight into the chunk.
      writer.writeTreeNode(node, aclIndex);
      nodeCount++;
      const children = tree.orderedChildNodesOf(node);
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Znode);
    };
    const root = tree.getNode('/');
    if (root !== undefined) visit(root);
    let inSlice = 0;
    while (stack.length > 0) {
      const node = stack.pop() as Znode;
      // A node created after the walk began is left to the replay of its create txn.
      if (isNewer(node)) continue;
      if (tree.removals !== removalsAtStart && !tree.holds(node)) continue;
      visit(node);
      if (++inSlice >= options.nodesPerSlice) {
        inSlice = 0;
        await yieldToEventLoop();
        if (writeError !== null) throw writeError;
      }
    }
    // The digest of the tree as it stands now, at the zxid it stands at (recovery compares it once
    // the replay reaches that zxid, as 3.8 does).
    writer.finish({ zxid: tree.lastProcessedZxid, digestVersion: DIGEST_VERSION, digest: tree.digest });
    while (writing !== null) await writing;
    if (writeError !== null) throw writeError;
    if (options.fsync) await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  await handle.close();
  if (options.fsync) await fsyncDirectory(options.directory);
  // Without fsync nothing is ever known durable; it counts as such once written, as the txn log does.
  notYetDurable.delete(path);
  const result = { path, zxid, nodes: nodeCount, bytes: position, durationMs: performance.now() - started };
  logger.info({ file: path, nodes: nodeCount, bytes: position, durationMs: Math.round(result.durationMs) }, 'snapshot written');
  return result;
}
