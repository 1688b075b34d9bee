// The quota gauges per namespace (3.8's QuotaMetricsUtils): every leaf under /zookeeper/quota named
// zookeeper_limits or zookeeper_stats adds its values to the top-level namespace of the path it
// guards. A limit is the hard one when set, else the soft one. Read at mntr / scrape time.

import type { NamespaceQuota } from '../admin/index.js';
import { topNamespace } from '../metrics/server-metrics.js';
import { parseQuotaStats, QUOTA_PATH, type DataTree } from '../tree/data-tree.js';

const LIMITS_LEAF = 'zookeeper_limits';
const STATS_LEAF = 'zookeeper_stats';

interface MutableQuota {
  countLimit: number;
  bytesLimit: number;
  countUsage: number;
  bytesUsage: number;
}

/** Namespace -> its quota gauges, for namespaces with at least one limits or stats leaf. */
export function quotaByNamespace(tree: DataTree): Map<string, NamespaceQuota> {
  const quotas = new Map<string, MutableQuota>();
  const visit = (path: string): void => {
    const node = tree.getNode(path);
    if (node === undefined) return;
    const children = tree.childrenOf(node);
    if (children.length > 0) {
      for (const child of children) visit(`${path}/${child}`);
      return;
    }
    const isLimits = path.endsWith(`/${LIMITS_LEAF}`);
    if (!isLimits && !path.endsWith(`/${STATS_LEAF}`)) return;
    const guarded = path.slice(QUOTA_PATH.length, path.lastIndexOf('/'));
    const namespace = topNamespace(guarded);
    const data = node.data;
    if (namespace === null || data === null) return;
    const stats = parseQuotaStats(data);
    const value = (key: string): number => stats.get(key) ?? -1;
    let quota = quotas.get(namespace);
    if (quota === undefined) {
      quota = { countLimit: 0, bytesLimit: 0, countUsage: 0, bytesUsage: 0 };
      quotas.set(namespace, quota);
    }
    if (isLimits) {
      quota.countLimit += value('countHardLimit') > -1 ? value('countHardLimit') : value('count');
      quota.bytesLimit += value('byteHardLimit') > -1 ? value('byteHardLimit') : value('bytes');
    } else {
      quota.countUsage += value('count');
      quota.bytesUsage += value('bytes');
    }
  };
  visit(QUOTA_PATH);
  return quotas;
}
