// The swarm run of one seed (TigerBeetle's VOPR, at the Zab core level): the seed draws the
// ensemble size, timing and fault rates, then N SimPeers run election, sync and broadcast under
// client writes, crashes and restarts, partitions and connection resets, with the invariants of
// checker.ts checked as every event runs and after each one. After `steps` events the liveness
// phase heals everything, restarts every peer and stops faults: within a bounded time one leader
// must serve with every other peer following it, all trees equal, holding every acknowledged write.

import { hex } from '../../src/zab/effects.js';
import { Checker, Violation } from './checker.js';
import { Network } from './network.js';
import { Prng } from './prng.js';
import { Scheduler, Trace } from './scheduler.js';
import { SimPeer, type PeerConfig, type ShellFlags } from './sim-peer.js';
import type { TreeState } from './model.js';

export interface SwarmOptions {
  readonly seed: number;
  /** Ensemble size (voters); drawn from the seed (3 or 5) when absent. */
  readonly peers?: number;
  /**
   * Observers besides the voters (ids after theirs), 0 when absent. Not drawn from the seed, so
   * that a seed replays the same schedule it always did without observers.
   */
  readonly observers?: number;
  /** Events in the chaos phase. */
  readonly steps: number;
  /** Simulated time the liveness phase may take. */
  readonly livenessMs: number;
  readonly flags: ShellFlags;
  /** Whether a leader's commit must find a durable quorum (off to look past that known bug). */
  readonly checkDurableQuorum: boolean;
  /** Trace lines kept for the report. */
  readonly traceLines: number;
  /** Prints every trace line as it happens (for --trace). */
  readonly echo: ((line: string) => void) | null;
}

export const DEFAULT_FLAGS: ShellFlags = {};

export interface SwarmResult {
  readonly seed: number;
  readonly ok: boolean;
  /** The first violated check ("exception" for a throw from a core or the shell). */
  readonly check: string | null;
  readonly message: string | null;
  readonly params: string;
  readonly summary: string;
  readonly trace: readonly string[];
  readonly state: string;
}

interface SwarmParams {
  readonly peers: number;
  readonly tickTimeMs: number;
  readonly initLimitTicks: number;
  readonly syncLimitTicks: number;
  readonly snapCount: number;
  readonly delayTypicalMs: number;
  readonly delayMaxMs: number;
  readonly delayTail: number;
  readonly fsyncTypicalMs: number;
  readonly fsyncTail: number;
  readonly clientMeanMs: number;
  readonly crashMeanMs: number;
  readonly downMeanMs: number;
  readonly partitionMeanMs: number;
  readonly partitionLengthMeanMs: number;
  readonly resetMeanMs: number;
  readonly leaderBias: number;
}

function drawParams(prng: Prng, peers: number | undefined): SwarmParams {
  const tickTimeMs = prng.pick([100, 200, 500, 1000, 2000]);
  const syncLimitTicks = prng.int(2, 5);
  const delayTypicalMs = prng.between(0.1, 5);
  return {
    peers: peers ?? prng.pick([3, 5]),
    tickTimeMs,
    initLimitTicks: prng.int(3, 10),
    syncLimitTicks,
    snapCount: prng.int(4, 60),
    delayTypicalMs,
    delayMaxMs: prng.between(delayTypicalMs, tickTimeMs * syncLimitTicks * 1.5),
    delayTail: prng.pick([0, 0.001, 0.01, 0.05]),
    fsyncTypicalMs: prng.between(0.2, 20),
    fsyncTail: prng.pick([0, 0.01, 0.05]),
    clientMeanMs: prng.between(2, 100),
    crashMeanMs: prng.pick([Infinity, 300, 1000, 3000, 10000]),
    downMeanMs: prng.between(10, 5000),
    partitionMeanMs: prng.pick([Infinity, 500, 2000, 8000]),
    partitionLengthMeanMs: prng.between(20, 10000),
    resetMeanMs: prng.pick([Infinity, 100, 500, 2000]),
    leaderBias: prng.between(0, 0.8),
  };
}

function describeParams(p: SwarmParams): string {
  const ms = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(1)}ms` : 'off');
  return (
    `peers=${p.peers} tickTime=${p.tickTimeMs}ms initLimit=${p.initLimitTicks} syncLimit=${p.syncLimitTicks} snapCount=${p.snapCount} ` +
    `delay=${ms(p.delayTypicalMs)}..${ms(p.delayMaxMs)}@${p.delayTail} fsync=${ms(p.fsyncTypicalMs)}@${p.fsyncTail} client=${ms(p.clientMeanMs)} ` +
    `crash=${ms(p.crashMeanMs)} down=${ms(p.downMeanMs)} partition=${ms(p.partitionMeanMs)} for ${ms(p.partitionLengthMeanMs)} reset=${ms(p.resetMeanMs)} leaderBias=${p.leaderBias.toFixed(2)}`
  );
}

export function runSwarm(options: SwarmOptions): SwarmResult {
  const prng = new Prng(options.seed);
  const params = drawParams(prng, options.peers);
  const scheduler = new Scheduler();
  const trace = new Trace(options.traceLines, () => scheduler.now, options.echo);
  // Delay spikes only while faults run: the liveness phase has a healthy network.
  let chaos = true;
  const network = new Network(scheduler, prng, { delayMs: () => (chaos ? prng.skewed(params.delayTypicalMs, params.delayMaxMs, params.delayTail) : prng.skewed(params.delayTypicalMs, params.delayTypicalMs, 0)) }, trace);
  const observers = options.observers ?? 0;
  const ids = Array.from({ length: params.peers + observers }, (_, i) => BigInt(i + 1));
  const voters = new Set(ids.slice(0, params.peers));
  const peers: SimPeer[] = [];
  const checker = new Checker(() => peers, voters);
  checker.checkDurableQuorum = options.checkDurableQuorum;
  const config: PeerConfig = {
    tickTimeMs: params.tickTimeMs,
    initLimitTicks: params.initLimitTicks,
    syncLimitTicks: params.syncLimitTicks,
    snapCount: params.snapCount,
    fsyncMs: () => prng.skewed(params.fsyncTypicalMs, 1000, chaos ? params.fsyncTail : 0),
    snapshotMs: () => prng.between(1, 50),
    truncateMs: () => prng.between(1, 30),
    flags: options.flags,
  };
  let acks = 0;
  const env = { scheduler, network, prng, trace, checker, config, voters, members: ids, onClientAck: (peer: bigint, txn: string, zxid: bigint) => {
    acks++;
    trace.log(`client: ${txn} acknowledged by ${peer} at ${hex(zxid)}`);
    checker.onClientAck(peer, txn, zxid);
  } };
  for (const id of ids) peers.push(new SimPeer(id, env));
  trace.log(`seed ${options.seed}: ${describeParams(params)}${observers > 0 ? ` observers=${observers}` : ''}`);

  let submitted = 0;
  let crashes = 0;
  let partitions = 0;
  let resets = 0;
  let restartFailures = 0;

  const restart = (peer: SimPeer): void => {
    if (peer.up) return;
    try {
      peer.start();
    } catch (error) {
      restartFailures++;
      throw new Violation('restart', `peer ${peer.id} cannot start from its disk: ${(error as Error).message}; ${peer.disk.describeLog()}`);
    }
  };

  const leaderNow = (): SimPeer | undefined => peers.find((p) => p.up && p.leadingEpoch !== null);
  const target = (): SimPeer | undefined => {
    const leader = leaderNow();
    if (leader !== undefined && prng.chance(params.leaderBias)) return leader;
    const up = peers.filter((p) => p.up);
    return up.length === 0 ? undefined : prng.pick(up);
  };

  // Time: every peer's ticker (quorum-peer ticks every 20 ms).
  const tickIntervalMs = 20;
  const tick = (): void => {
    const order = [...peers];
    for (let i = order.length - 1; i > 0; i--) {
      const j = prng.int(0, i);
      [order[i], order[j]] = [order[j] as SimPeer, order[i] as SimPeer];
    }
    for (const peer of order) peer.tick();
    scheduler.after(tickIntervalMs, tick);
  };
  scheduler.after(prng.between(0, tickIntervalMs), tick);

  // Clients: writes to whoever leads (or any peer, which forwards or refuses).
  const client = (): void => {
    if (!chaos) return;
    const leader = leaderNow();
    const peer = leader !== undefined && prng.chance(0.7) ? leader : target();
    if (peer !== undefined) {
      const txn = `t${++submitted}`;
      const outcome = peer.clientWrite(txn);
      trace.log(`client: ${txn} to ${peer.id}: ${outcome}`);
    }
    scheduler.after(prng.exponential(params.clientMeanMs), client);
  };
  scheduler.after(prng.exponential(params.clientMeanMs), client);

  // Faults.
  const crash = (): void => {
    if (!chaos) return;
    const peer = target();
    if (peer !== undefined) {
      crashes++;
      peer.crash();
      const incarnation = peer.incarnation;
      scheduler.after(Math.max(1, prng.exponential(params.downMeanMs)), () => {
        if (chaos && !peer.up && peer.incarnation === incarnation) restart(peer);
      });
    }
    scheduler.after(prng.exponential(params.crashMeanMs), crash);
  };
  if (Number.isFinite(params.crashMeanMs)) scheduler.after(prng.exponential(params.crashMeanMs), crash);

  let partitionId = 0;
  const partition = (): void => {
    if (!chaos) return;
    partitions++;
    const groups = new Map<bigint, number>();
    if (prng.chance(0.5)) {
      const alone = target()?.id ?? prng.pick(ids);
      for (const id of ids) groups.set(id, id === alone ? 1 : 0);
    } else {
      const shuffled = [...ids];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = prng.int(0, i);
        [shuffled[i], shuffled[j]] = [shuffled[j] as bigint, shuffled[i] as bigint];
      }
      const cut = prng.int(1, shuffled.length - 1);
      shuffled.forEach((id, i) => groups.set(id, i < cut ? 0 : 1));
    }
    network.setPartition(groups);
    const id = ++partitionId;
    trace.log(`net: partition ${network.describePartition()}`);
    scheduler.after(prng.exponential(params.partitionLengthMeanMs), () => {
      if (partitionId !== id || !chaos) return;
      network.setPartition(null);
      trace.log('net: healed');
    });
    scheduler.after(prng.exponential(params.partitionMeanMs), partition);
  };
  if (Number.isFinite(params.partitionMeanMs)) scheduler.after(prng.exponential(params.partitionMeanMs), partition);

  const reset = (): void => {
    if (!chaos) return;
    const open = network.openConnections();
    if (open.length > 0) {
      resets++;
      network.reset(prng.pick(open));
    }
    scheduler.after(prng.exponential(params.resetMeanMs), reset);
  };
  if (Number.isFinite(params.resetMeanMs)) scheduler.after(prng.exponential(params.resetMeanMs), reset);

  /** Debugging aid (VOPR_DEBUG_TREES=1): trace the first step at which a tree stops matching H. */
  const debugTrees = process.env['VOPR_DEBUG_TREES'] === '1';
  const reported = new Set<string>();
  const debugStep = (): void => {
    for (const peer of peers) {
      if (!peer.up) continue;
      const tree = peer.tree;
      let i = 0;
      while (i < tree.txns.length && i < checker.history.length && tree.txns[i]?.zxid === checker.history[i]?.zxid) i++;
      const mine = tree.txns[i];
      const committed = checker.history[i];
      if (mine === undefined || committed === undefined) continue;
      const key = `${peer.id}:${i}:${hex(mine.zxid)}`;
      if (reported.has(key)) continue;
      reported.add(key);
      trace.log(`DEBUG tree of ${peer.id} leaves the committed history at ${i}: ${hex(mine.zxid)} vs ${hex(committed.zxid)} (tree ${tree.txns.length}@${hex(tree.lastZxid)})`);
    }
  };

  /** After every step: serving peers agree with the committed history; one leader per epoch. */
  const checkStep = (): void => {
    const leadersByEpoch = new Map<bigint, bigint>();
    for (const peer of peers) {
      if (!peer.up) continue;
      const epoch = peer.leadingEpoch;
      if (epoch !== null) {
        const other = leadersByEpoch.get(epoch);
        if (other !== undefined) throw new Violation('one leader per epoch', `peers ${other} and ${peer.id} both lead epoch ${epoch}`);
        leadersByEpoch.set(epoch, peer.id);
      }
      if (peer.mode === 'notServing') continue;
      const tree = peer.tree;
      const last = tree.txns[tree.txns.length - 1];
      if (last === undefined) continue;
      const committed = checker.history[tree.txns.length - 1];
      if (committed !== undefined && (committed.zxid !== last.zxid || committed.txn !== last.txn)) {
        throw checker.disagreement(committed.zxid, `serving peer ${peer.id} holds ${hex(last.zxid)} (${last.txn}) at position ${tree.txns.length - 1}, where the committed history has ${hex(committed.zxid)} (${committed.txn})`);
      }
      if (committed === undefined) {
        throw new Violation('agreement', `serving peer ${peer.id} holds ${hex(last.zxid)} (${last.txn}) at position ${tree.txns.length - 1}, past the committed history (${checker.history.length})`);
      }
    }
  };

  const converged = (): boolean => {
    if (!peers.every((p) => p.up)) return false;
    const leader = leaderNow();
    if (leader === undefined || leader.mode !== 'leading') return false;
    const epoch = leader.leadingEpoch;
    const reference = leader.tree;
    return peers.every((p) => {
      if (p === leader) return true;
      if (p.mode !== 'following' || p.followedLeader !== leader.id || p.followingEpoch !== epoch) return false;
      const tree = p.tree;
      return tree.txns.length === reference.txns.length && tree.txns.at(-1)?.zxid === reference.txns.at(-1)?.zxid;
    });
  };

  const summary = (): string => {
    const roles = peers.map((p) => `${p.id}:${p.stats.leading}L/${p.stats.following}F/${p.stats.abandons}A/${p.stats.truncates}T/${p.stats.snaps}S/${p.stats.restarts}R`).join(' ');
    const stale = checker.staleLeaders.length > 0 ? ` stale leaders ${checker.staleLeaders.join(',')}` : '';
    return `t=${(scheduler.now / 1000).toFixed(1)}s steps=${scheduler.steps} writes=${submitted} acked=${acks} ${checker.describeHistory()} epochs led=${checker.leaders().size}${stale} crashes=${crashes} partitions=${partitions} resets=${resets} peers ${roles}`;
  };
  const state = (): string => peers.map((p) => `  ${p.describe()}`).join('\n');

  const result = (check: string | null, message: string | null): SwarmResult => ({
    seed: options.seed,
    ok: check === null,
    check,
    message,
    params: `${describeParams(params)}${observers > 0 ? ` observers=${observers}` : ''}`,
    summary: summary(),
    trace: trace.lines(),
    state: state(),
  });

  try {
    for (const peer of peers) restart(peer);
    while (scheduler.steps < options.steps) {
      if (!scheduler.step()) break;
      checkStep();
      if (debugTrees) debugStep();
    }
    // Liveness: heal, restart, no more faults or writes.
    chaos = false;
    network.setPartition(null);
    trace.log('LIVENESS: healed, restarting every peer, no more faults');
    for (const peer of peers) restart(peer);
    const deadline = scheduler.now + options.livenessMs;
    const startedAt = scheduler.now;
    let done = false;
    while (scheduler.now <= deadline) {
      if (!scheduler.step()) break;
      checkStep();
      if (converged()) {
        done = true;
        break;
      }
    }
    if (!done) {
      return result('liveness', `no converged ensemble within ${options.livenessMs} ms (${Math.ceil(options.livenessMs / params.tickTimeMs)} ticks) after the heal`);
    }
    trace.log(`LIVENESS: converged after ${(scheduler.now - startedAt).toFixed(0)} ms`);
    const trees = new Map<bigint, TreeState>(peers.map((p) => [p.id, p.tree]));
    checker.checkFinal(trees);
    return result(null, null);
  } catch (error) {
    if (error instanceof Violation) return result(error.check, error.message);
    const e = error as Error;
    return result('exception', `${e.message}\n${e.stack ?? ''}`);
  }
}

/** The failure report: seed, check, parameters, every peer's state, the trace, how to replay. */
export function formatFailure(result: SwarmResult, replayArguments = ''): string {
  return [
    `seed ${result.seed}: FAILED ${result.check}`,
    `  ${result.message ?? ''}`,
    `  params: ${result.params}`,
    `  ${result.summary}`,
    'state:',
    result.state,
    `trace (last ${result.trace.length} lines):`,
    ...result.trace.map((line) => `  ${line}`),
    `replay: npm run vopr -- --seed ${result.seed}${replayArguments}`,
  ].join('\n');
}
