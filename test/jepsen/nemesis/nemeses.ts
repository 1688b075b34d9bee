/**
 * The nemeses. Each one starts a fault chosen with a seeded generator (so the run is reproducible
 * from its seed, except for what depends on the cluster's state at that moment, such as which node
 * leads) and returns how to heal it; both steps return an EDN value recorded in the history.
 * Families (for --nemesis): kill, pause, partition, link, restart, clock, lose-unsynced, corrupt.
 */
import type { Ensemble } from '../db/ensemble.js';
import { kw, type EdnValue } from '../history/edn.js';
import { linkKey } from '../net/network.js';
import type { LinkPolicy } from '../net/proxy.js';
import { toEdn } from '../runner/recorder.js';
import type { Rng } from '../runner/rng.js';
import { corrupt, wipeDatabase, type CorruptionMode } from './files.js';
import type { ServerHooks } from './hooks.js';
import { aroundNodes, cutBetween, type NetFaults } from './netfaults.js';

export interface NemesisContext {
  readonly ensemble: Ensemble;
  readonly net: NetFaults;
  readonly hooks: ServerHooks;
  readonly log: (line: string) => void;
}

export interface ActiveFault {
  /** What was done (recorded as the completion of the start op). */
  readonly value: EdnValue;
  /** Undoes the fault; resolves to what was done. */
  heal(): Promise<EdnValue>;
}

export interface Nemesis {
  readonly name: string;
  readonly family: string;
  readonly description: string;
  /** Why this nemesis cannot run here, or undefined. */
  unsupported(ctx: NemesisContext): Promise<string | undefined>;
  start(ctx: NemesisContext, rng: Rng): Promise<ActiveFault>;
}

const name = (id: number) => `n${id}`;
const names = (ids: readonly number[]) => ids.map(name);

function minority(n: number): number {
  return Math.max(1, Math.floor((n - 1) / 2));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function startAll(ctx: NemesisContext, ids: readonly number[]): Promise<EdnValue> {
  const started: string[] = [];
  for (const id of ids) {
    if (!ctx.ensemble.isRunning(id)) {
      await ctx.ensemble.startNode(id);
      started.push(name(id));
    }
  }
  return toEdn({ started });
}

async function leaderOr(ctx: NemesisContext, rng: Rng): Promise<{ id: number; found: boolean }> {
  const leader = await ctx.ensemble.leader();
  if (leader !== undefined) return { id: leader, found: true };
  return { id: rng.pick(ctx.ensemble.ids), found: false };
}

function netSupport(ctx: NemesisContext, cap: Parameters<NemesisContext['net']['network']['capabilities']['has']>[0]): string | undefined {
  return ctx.net.network.capabilities.has(cap) ? undefined : `the ${ctx.net.network.mode} network mode cannot do '${cap}' (try --net ${ctx.net.network.mode === 'root' ? 'proxy' : 'root'})`;
}

// ------------------------------------------------------------------------------------------------
// Process faults

function killNemesis(variant: 'one' | 'minority' | 'all' | 'leader'): Nemesis {
  return {
    name: `kill-${variant}`,
    family: 'kill',
    description: `SIGKILL ${variant === 'one' ? 'one node' : variant === 'minority' ? 'a minority of nodes' : variant === 'all' ? 'every node' : 'the leader'}; restart at heal`,
    unsupported: () => Promise.resolve(undefined),
    async start(ctx, rng) {
      const all = ctx.ensemble.ids;
      let targets: number[];
      let extra: Record<string, unknown> = {};
      if (variant === 'one') targets = [rng.pick(all)];
      else if (variant === 'minority') targets = rng.shuffle(all).slice(0, minority(all.length));
      else if (variant === 'all') targets = [...all];
      else {
        const l = await leaderOr(ctx, rng);
        targets = [l.id];
        extra = { 'leader-found': l.found };
      }
      const killed: number[] = [];
      for (const id of targets) if (await ctx.ensemble.killNode(id)) killed.push(id);
      return {
        value: toEdn({ killed: names(killed), ...extra }),
        heal: () => startAll(ctx, targets),
      };
    },
  };
}

function pauseNemesis(variant: 'one' | 'minority' | 'leader'): Nemesis {
  return {
    name: `pause-${variant}`,
    family: 'pause',
    description: `SIGSTOP ${variant === 'one' ? 'one node' : variant === 'minority' ? 'a minority' : 'the leader'}; SIGCONT at heal`,
    unsupported: () => Promise.resolve(undefined),
    async start(ctx, rng) {
      const all = ctx.ensemble.ids;
      const targets =
        variant === 'one' ? [rng.pick(all)] : variant === 'minority' ? rng.shuffle(all).slice(0, minority(all.length)) : [(await leaderOr(ctx, rng)).id];
      const paused: number[] = [];
      for (const id of targets) if (await ctx.ensemble.pauseNode(id)) paused.push(id);
      return {
        value: toEdn({ paused: names(paused) }),
        async heal() {
          const resumed: number[] = [];
          for (const id of paused) if (await ctx.ensemble.resumeNode(id)) resumed.push(id);
          return toEdn({ resumed: names(resumed) });
        },
      };
    },
  };
}

const rollingRestart: Nemesis = {
  name: 'rolling-restart',
  family: 'restart',
  description: 'restart every node in turn (SIGTERM, start, wait for the quorum)',
  unsupported: () => Promise.resolve(undefined),
  async start(ctx, rng) {
    const order = rng.shuffle(ctx.ensemble.ids);
    const steps: Record<string, unknown>[] = [];
    for (const id of order) {
      const t0 = Date.now();
      await ctx.ensemble.stopNode(id, 10_000);
      await ctx.ensemble.startNode(id);
      let quorum = true;
      try {
        await ctx.ensemble.waitForQuorum(30_000, ctx.ensemble.ids.filter((i) => ctx.ensemble.isRunning(i) && !ctx.ensemble.node(i).paused));
      } catch {
        quorum = false;
      }
      steps.push({ node: name(id), ms: Date.now() - t0, quorum });
    }
    return { value: toEdn({ restarted: steps }), heal: () => Promise.resolve(null) };
  },
};

// ------------------------------------------------------------------------------------------------
// Partitions

type PartitionKind = 'halves' | 'ring' | 'bridge' | 'leader' | 'one-way';

function partitionNemesis(kind: PartitionKind): Nemesis {
  const descriptions: Record<PartitionKind, string> = {
    halves: 'cut the cluster into two random halves',
    ring: "majorities ring: every node sees a majority, no two the same one (Jepsen's grudge, one-way links)",
    bridge: 'two halves joined by one bridge node that sees both',
    leader: 'isolate the leader (found with srvr) from every other node',
    'one-way': "one node's packets to the others are dropped, theirs to it still arrive",
  };
  return {
    name: `partition-${kind}`,
    family: 'partition',
    description: descriptions[kind],
    unsupported: (ctx) => Promise.resolve(netSupport(ctx, kind === 'one-way' || kind === 'ring' ? 'one-way' : 'partition')),
    async start(ctx, rng) {
      const all = ctx.ensemble.ids;
      const policies = new Map<string, LinkPolicy>();
      let value: Record<string, unknown>;
      if (kind === 'halves') {
        const s = rng.shuffle(all);
        const a = s.slice(0, Math.floor(s.length / 2));
        const b = s.slice(Math.floor(s.length / 2));
        for (const [k, p] of cutBetween(a, b)) policies.set(k, p);
        value = { groups: [names(a), names(b)] };
      } else if (kind === 'bridge') {
        const s = rng.shuffle(all);
        const half = Math.floor((s.length - 1) / 2);
        const a = s.slice(0, half);
        const bridge = s[half] ?? 1;
        const b = s.slice(half + 1);
        for (const [k, p] of cutBetween(a, b)) policies.set(k, p);
        value = { groups: [names(a), names(b)], bridge: name(bridge) };
      } else if (kind === 'leader') {
        const l = await leaderOr(ctx, rng);
        for (const [k, p] of cutBetween([l.id], all)) policies.set(k, p);
        value = { isolated: name(l.id), 'leader-found': l.found };
      } else if (kind === 'one-way') {
        const x = rng.pick(all);
        for (const y of all) if (y !== x) policies.set(linkKey(x, y), { cut: true });
        value = { mute: name(x), note: 'its packets to the others are dropped' };
      } else {
        // majorities ring: node at position k hears only the m nodes of its window
        const s = rng.shuffle(all);
        const n = s.length;
        const m = Math.floor(n / 2) + 1;
        const grudge: Record<string, string[]> = {};
        for (let k = 0; k < n; k++) {
          const self = s[k] ?? 1;
          const window = new Set<number>();
          for (let j = 0; j < m; j++) window.add(s[(k + j) % n] ?? 1);
          const ignored = all.filter((x) => !window.has(x));
          for (const from of ignored) policies.set(linkKey(from, self), { cut: true });
          grudge[name(self)] = names(ignored);
        }
        value = { 'drops-packets-from': grudge };
      }
      const layer = await ctx.net.add(policies);
      return {
        value: toEdn(value),
        async heal() {
          await ctx.net.remove(layer);
          return kw('healed');
        },
      };
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Link faults

type LinkKind = 'loss' | 'slow' | 'flaky' | 'delay' | 'duplicate';

function linkNemesis(kind: LinkKind): Nemesis {
  const descriptions: Record<LinkKind, string> = {
    loss: "packet loss (10-40%) on one node's links",
    slow: "a slow node: its links delayed 50-300 ms with jitter (proxy) or policed to 16-128 KiB/s (root)",
    flaky: "flaky links: one node's connections reset at random (1-5% per chunk/packet) with some loss",
    delay: 'every link delayed 10-100 ms with jitter (proxy mode)',
    duplicate: 'every election frame duplicated with probability 20-60% (proxy mode)',
  };
  const capability = kind === 'loss' ? 'loss' : kind === 'flaky' ? 'reset' : kind === 'duplicate' ? 'duplicate' : kind === 'delay' ? 'delay' : undefined;
  return {
    name: kind,
    family: 'link',
    description: descriptions[kind],
    unsupported: (ctx) => {
      if (kind === 'slow') {
        const caps = ctx.net.network.capabilities;
        return Promise.resolve(caps.has('delay') || caps.has('bandwidth') ? undefined : 'no delay or bandwidth control in this network mode');
      }
      return Promise.resolve(capability === undefined ? undefined : netSupport(ctx, capability));
    },
    async start(ctx, rng) {
      const all = ctx.ensemble.ids;
      const caps = ctx.net.network.capabilities;
      let policy: LinkPolicy;
      let targets: number[];
      if (kind === 'loss') {
        targets = [rng.pick(all)];
        policy = { lossPct: rng.range(10, 40) };
      } else if (kind === 'slow') {
        targets = [rng.pick(all)];
        policy = caps.has('delay') ? { delayMs: rng.range(50, 300), jitterMs: rng.range(10, 100) } : { bandwidthBps: 1024 * rng.pick([16, 32, 64, 128]) };
      } else if (kind === 'flaky') {
        targets = [rng.pick(all)];
        policy = { resetPct: rng.range(1, 5), lossPct: rng.range(0, 10) };
      } else if (kind === 'delay') {
        targets = [...all];
        policy = { delayMs: rng.range(10, 100), jitterMs: rng.range(0, 50) };
      } else {
        targets = [...all];
        policy = { duplicatePct: rng.range(20, 60) };
      }
      const layer = await ctx.net.add(aroundNodes(targets, all, policy));
      return {
        value: toEdn({ nodes: names(targets), policy }),
        async heal() {
          await ctx.net.remove(layer);
          return kw('healed');
        },
      };
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Hook-based faults

async function hookSupport(ctx: NemesisContext, cap: 'clock' | 'lose-unsynced'): Promise<string | undefined> {
  if (ctx.hooks.absentReason !== undefined) return ctx.hooks.absentReason;
  for (const id of ctx.ensemble.ids) {
    if (!ctx.ensemble.isRunning(id)) continue;
    const caps = await ctx.hooks.forNode(id).capabilities();
    return caps.has(cap) ? undefined : `the server under test offers no '${cap}' test hook (see test/jepsen/nemesis/hooks.ts)`;
  }
  return 'no node running to ask for test hooks';
}

function clockNemesis(kind: 'jump' | 'skew'): Nemesis {
  return {
    name: `clock-${kind}`,
    family: 'clock',
    description: kind === 'jump' ? "jump a minority's clocks by ±1-60 s" : "make a minority's clocks run at 0.5-2x",
    unsupported: (ctx) => hookSupport(ctx, 'clock'),
    async start(ctx, rng) {
      const targets = rng.shuffle(ctx.ensemble.ids).slice(0, minority(ctx.ensemble.ids.length));
      const offsetMs = kind === 'jump' ? (rng.bool() ? 1 : -1) * rng.range(1000, 60_000) : 0;
      const rate = kind === 'skew' ? rng.pick([0.5, 0.75, 1.5, 2]) : 1;
      const done: number[] = [];
      const errors: string[] = [];
      for (const id of targets) {
        try {
          await ctx.hooks.forNode(id).setClock(offsetMs, rate);
          done.push(id);
        } catch (e) {
          errors.push(`${name(id)}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      return {
        value: toEdn({ nodes: names(done), 'offset-ms': offsetMs, rate, errors }),
        async heal() {
          for (const id of done) {
            try {
              await ctx.hooks.forNode(id).resetClock();
            } catch {
              // the node may be down; its clock resets with it
            }
          }
          return toEdn({ reset: names(done) });
        },
      };
    },
  };
}

const loseUnsynced: Nemesis = {
  name: 'lose-unsynced',
  family: 'lose-unsynced',
  description: 'a node loses every write it has not fsynced and stops (power loss); restarted at heal',
  unsupported: (ctx) => hookSupport(ctx, 'lose-unsynced'),
  async start(ctx, rng) {
    const id = rng.pick(ctx.ensemble.ids);
    let error: string | undefined;
    try {
      await ctx.hooks.forNode(id).loseUnsyncedWrites();
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    // it exits by itself; make sure
    await sleep(500);
    await ctx.ensemble.killNode(id);
    return { value: toEdn({ node: name(id), error }), heal: () => startAll(ctx, [id]) };
  },
};

// ------------------------------------------------------------------------------------------------
// Disk corruption

function corruptNemesis(mode: CorruptionMode): Nemesis {
  return {
    name: `corrupt-${mode}`,
    family: 'corrupt',
    description: `stop a node (SIGKILL) and ${mode === 'truncate-log' ? 'truncate its newest txn log at a random offset' : mode === 'flip-log' ? 'flip a bit in its newest txn log' : 'flip a bit in its newest snapshot'}; at heal restart it, and when it refuses to start, wipe its database (keeping myid) so it resyncs from the leader`,
    unsupported: () => Promise.resolve(undefined),
    async start(ctx, rng) {
      const id = rng.pick(ctx.ensemble.ids);
      await ctx.ensemble.killNode(id);
      const r = corrupt(ctx.ensemble.node(id).dataDir, mode, rng);
      return {
        value: toEdn({ node: name(id), ...r }),
        async heal() {
          await ctx.ensemble.startNode(id);
          const t0 = Date.now();
          while (Date.now() - t0 < 8000 && ctx.ensemble.isRunning(id)) await sleep(250);
          if (ctx.ensemble.isRunning(id)) return toEdn({ node: name(id), started: true });
          const removed = wipeDatabase(ctx.ensemble.node(id).dataDir);
          await ctx.ensemble.startNode(id);
          return toEdn({ node: name(id), 'refused-to-start': true, wiped: removed });
        },
      };
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Registry

export const NEMESES: readonly Nemesis[] = [
  killNemesis('one'),
  killNemesis('minority'),
  killNemesis('all'),
  killNemesis('leader'),
  pauseNemesis('one'),
  pauseNemesis('minority'),
  pauseNemesis('leader'),
  partitionNemesis('halves'),
  partitionNemesis('ring'),
  partitionNemesis('bridge'),
  partitionNemesis('leader'),
  partitionNemesis('one-way'),
  linkNemesis('loss'),
  linkNemesis('slow'),
  linkNemesis('flaky'),
  linkNemesis('delay'),
  linkNemesis('duplicate'),
  rollingRestart,
  clockNemesis('jump'),
  clockNemesis('skew'),
  loseUnsynced,
  corruptNemesis('truncate-log'),
  corruptNemesis('flip-log'),
  corruptNemesis('flip-snapshot'),
];

export const FAMILIES: readonly string[] = [...new Set(NEMESES.map((n) => n.family))];

/** Expands a --nemesis list (families, names, `all`, `none`) into nemeses. */
export function resolveNemeses(spec: string): Nemesis[] {
  const out = new Map<string, Nemesis>();
  for (const raw of spec.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (raw === 'none') continue;
    const matched = raw === 'all' ? NEMESES : NEMESES.filter((n) => n.family === raw || n.name === raw);
    if (matched.length === 0) throw new Error(`unknown nemesis '${raw}' (families: ${FAMILIES.join(', ')}; names: ${NEMESES.map((n) => n.name).join(', ')}; all; none)`);
    for (const n of matched) out.set(n.name, n);
  }
  return [...out.values()];
}
