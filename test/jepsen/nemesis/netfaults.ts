/**
 * Network faults of several concurrent nemeses, merged into one set of link policies: each active
 * fault adds a layer; a link is cut if any layer cuts it, and takes the worst delay, loss, reset
 * and duplication rates and the lowest bandwidth of all layers.
 */
import { linkKey, type LinkPolicies, type Network } from '../net/network.js';
import type { LinkPolicy } from '../net/proxy.js';

export function mergePolicies(a: LinkPolicy, b: LinkPolicy): LinkPolicy {
  const max = (x: number | undefined, y: number | undefined) => (x === undefined ? y : y === undefined ? x : Math.max(x, y));
  const min = (x: number | undefined, y: number | undefined) => (x === undefined ? y : y === undefined ? x : Math.min(x, y));
  const out: { -readonly [K in keyof LinkPolicy]: LinkPolicy[K] } = {};
  if (a.cut === true || b.cut === true) out.cut = true;
  const delayMs = max(a.delayMs, b.delayMs);
  const jitterMs = max(a.jitterMs, b.jitterMs);
  const lossPct = max(a.lossPct, b.lossPct);
  const bandwidthBps = min(a.bandwidthBps, b.bandwidthBps);
  const duplicatePct = max(a.duplicatePct, b.duplicatePct);
  const resetPct = max(a.resetPct, b.resetPct);
  if (delayMs !== undefined) out.delayMs = delayMs;
  if (jitterMs !== undefined) out.jitterMs = jitterMs;
  if (lossPct !== undefined) out.lossPct = lossPct;
  if (bandwidthBps !== undefined) out.bandwidthBps = bandwidthBps;
  if (duplicatePct !== undefined) out.duplicatePct = duplicatePct;
  if (resetPct !== undefined) out.resetPct = resetPct;
  return out;
}

export class NetFaults {
  private readonly layers = new Map<number, LinkPolicies>();
  private nextId = 1;

  constructor(readonly network: Network) {}

  async add(policies: LinkPolicies): Promise<number> {
    const id = this.nextId++;
    this.layers.set(id, policies);
    await this.apply();
    return id;
  }

  async remove(id: number): Promise<void> {
    if (!this.layers.delete(id)) return;
    await this.apply();
  }

  async clear(): Promise<void> {
    this.layers.clear();
    await this.network.heal();
  }

  get active(): number {
    return this.layers.size;
  }

  private async apply(): Promise<void> {
    const merged = new Map<string, LinkPolicy>();
    for (const layer of this.layers.values()) {
      for (const [k, p] of layer) {
        const prev = merged.get(k);
        merged.set(k, prev === undefined ? p : mergePolicies(prev, p));
      }
    }
    await this.network.apply(merged);
  }
}

/** Cuts both directions between every node of `a` and every node of `b`. */
export function cutBetween(a: readonly number[], b: readonly number[]): Map<string, LinkPolicy> {
  const m = new Map<string, LinkPolicy>();
  for (const x of a) {
    for (const y of b) {
      if (x === y) continue;
      m.set(linkKey(x, y), { cut: true });
      m.set(linkKey(y, x), { cut: true });
    }
  }
  return m;
}

/** The same policy on every link into and out of `nodes` (to every other node). */
export function aroundNodes(nodes: readonly number[], all: readonly number[], policy: LinkPolicy): Map<string, LinkPolicy> {
  const m = new Map<string, LinkPolicy>();
  for (const x of nodes) {
    for (const y of all) {
      if (x === y) continue;
      m.set(linkKey(x, y), policy);
      m.set(linkKey(y, x), policy);
    }
  }
  return m;
}
