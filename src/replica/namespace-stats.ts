// 3.8's per-namespace read and write statistics (DataTree.updateReadStat / updateWriteStat): every
// successful getData, exists and getChildren, and every node created, deleted or changed, counts
// its bytes against the top-level namespace of its path. 3.8 counts them inside its DataTree; here
// they are taken from what the tree reports (writes) and from each read's answer (reads).

import type { ServerMetrics } from '../metrics/server-metrics.js';
import { STAT_OVERHEAD_BYTES } from '../metrics/server-metrics.js';
import type { ReadRequest } from '../protocol/requests.js';
import type { MultiResult, ReplyBody } from '../pipeline/reply.js';
import type { TreeChangeListener } from '../tree/data-tree.js';

function namesLength(children: readonly string[]): number {
  let bytes = 0;
  for (const child of children) bytes += child.length;
  return bytes;
}

function recordRead(metrics: ServerMetrics, path: string, bytes: number): void {
  metrics.observeNamespace('read_per_namespace', path, path.length + bytes + STAT_OVERHEAD_BYTES);
}

function recordMultiRead(metrics: ServerMetrics, path: string, result: MultiResult): void {
  if (result.kind === 'getData') recordRead(metrics, path, result.data?.length ?? 0);
  else if (result.kind === 'getChildren') recordRead(metrics, path, namesLength(result.children));
}

/** Counts one answered read (nothing for failed ones, as 3.8 counts only after finding the node). */
export function recordReadStats(metrics: ServerMetrics, request: ReadRequest, err: number, body: ReplyBody): void {
  switch (request.kind) {
    case 'exists':
      if (err === 0) recordRead(metrics, request.record.path, 0);
      return;
    case 'getData':
      if (err === 0 && body.kind === 'getData') recordRead(metrics, request.record.path, body.data?.length ?? 0);
      return;
    case 'getChildren':
    case 'getChildren2':
      if (err === 0 && (body.kind === 'children' || body.kind === 'children2')) recordRead(metrics, request.record.path, namesLength(body.children));
      return;
    case 'multiRead':
      if (body.kind !== 'multi') return;
      request.ops.forEach((op, i) => {
        const result = body.results[i];
        if (result !== undefined) recordMultiRead(metrics, op.path, result);
      });
      return;
    default:
      return;
  }
}

/** A tree listener that counts writes, then passes every change on to `next` (the watch table). */
export function writeStatsListener(metrics: ServerMetrics, next: TreeChangeListener): TreeChangeListener {
  const written = (path: string, dataLength: number): void => metrics.observeNamespace('write_per_namespace', path, path.length + dataLength);
  return {
    nodeCreated(path, parentPath, dataLength) {
      written(path, dataLength);
      next.nodeCreated(path, parentPath, dataLength);
    },
    nodeDeleted(path, parentPath) {
      written(path, 0);
      next.nodeDeleted(path, parentPath);
    },
    nodeDataChanged(path, dataLength) {
      written(path, dataLength);
      next.nodeDataChanged(path, dataLength);
    },
  };
}
