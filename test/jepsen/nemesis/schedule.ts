/**
 * The nemesis schedule, drawn entirely from the seed before the run starts (so two runs with the
 * same seed and options inject the same faults at the same times), and its execution: every start
 * and heal is recorded in the history as Jepsen records nemesis ops (:process :nemesis, :type
 * :info, once when it begins and once with what was done).
 */
import { kw, type EdnValue } from '../history/edn.js';
import { toEdn, type Recorder } from '../runner/recorder.js';
import { Rng } from '../runner/rng.js';
import type { ActiveFault, Nemesis, NemesisContext } from './nemeses.js';

export interface ScheduledFault {
  /** Milliseconds after the start of the run. */
  readonly at: number;
  readonly durationMs: number;
  readonly nemeses: readonly string[];
  /** Seed of the generator the nemeses draw their targets from. */
  readonly seed: number;
}

export interface ScheduleOptions {
  readonly timeLimitMs: number;
  readonly faultMs: readonly [number, number];
  readonly quietMs: readonly [number, number];
  /** Sometimes (1 in 3) start two nemeses of different families together. */
  readonly overlap: boolean;
}

export function makeSchedule(rng: Rng, nemeses: readonly Nemesis[], o: ScheduleOptions): ScheduledFault[] {
  const out: ScheduledFault[] = [];
  if (nemeses.length === 0) return out;
  let t = rng.range(o.quietMs[0], o.quietMs[1]);
  for (let i = 0; i < 10_000; i++) {
    const duration = rng.range(o.faultMs[0], o.faultMs[1]);
    if (t + Math.min(duration, o.faultMs[0]) > o.timeLimitMs) break;
    const first = rng.pick(nemeses);
    const chosen = [first.name];
    if (o.overlap && rng.int(3) === 0) {
      const others = nemeses.filter((n) => n.family !== first.family);
      if (others.length > 0) chosen.push(rng.pick(others).name);
    }
    out.push({ at: t, durationMs: Math.min(duration, Math.max(1000, o.timeLimitMs - t)), nemeses: chosen, seed: rng.nextUint32() });
    t += duration + rng.range(o.quietMs[0], o.quietMs[1]);
  }
  return out;
}

function sleepUntil(ms: number, abort: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (abort.aborted || ms <= 0) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      abort.removeEventListener('abort', done);
      resolve();
    }
    abort.addEventListener('abort', done);
  });
}

export interface NemesisEvent {
  readonly nemesis: string;
  readonly startMs: number;
  endMs?: number;
  readonly value: unknown;
}

export class NemesisRunner {
  private readonly active = new Map<string, { fault: ActiveFault; event: NemesisEvent }>();
  readonly events: NemesisEvent[] = [];

  constructor(
    private readonly ctx: NemesisContext,
    private readonly recorder: Recorder,
    private readonly nemeses: ReadonlyMap<string, Nemesis>,
  ) {}

  /** Records the nemeses that cannot run here, with why. */
  recordSkipped(skipped: readonly { name: string; reason: string }[]): void {
    for (const s of skipped) this.recorder.recordInfoPair('nemesis', 'skip', toEdn({ nemesis: s.name }), toEdn({ nemesis: s.name, reason: s.reason }));
  }

  private async startOne(name: string, rng: Rng): Promise<void> {
    const nemesis = this.nemeses.get(name);
    if (nemesis === undefined || this.active.has(name)) return;
    const f = `start-${name}`;
    this.recorder.record('info', 'nemesis', f, null);
    const startMs = this.recorder.elapsedMs();
    let fault: ActiveFault;
    try {
      fault = await nemesis.start(this.ctx, rng.fork(name));
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      this.recorder.record('info', 'nemesis', f, toEdn({ error }));
      this.ctx.log(`nemesis ${name}: start failed: ${error}`);
      return;
    }
    this.recorder.record('info', 'nemesis', f, fault.value);
    const event: NemesisEvent = { nemesis: name, startMs, value: fault.value };
    this.events.push(event);
    this.active.set(name, { fault, event });
  }

  private async healOne(name: string): Promise<void> {
    const a = this.active.get(name);
    if (a === undefined) return;
    this.active.delete(name);
    const f = `stop-${name}`;
    this.recorder.record('info', 'nemesis', f, null);
    let value: EdnValue;
    try {
      value = await a.fault.heal();
    } catch (e) {
      value = toEdn({ error: e instanceof Error ? e.message : String(e) });
    }
    a.event.endMs = this.recorder.elapsedMs();
    this.recorder.record('info', 'nemesis', f, value);
  }

  /** Executes the schedule until it ends or `abort` fires; active faults stay until healAll(). */
  async run(schedule: readonly ScheduledFault[], abort: AbortSignal): Promise<void> {
    for (const slot of schedule) {
      await sleepUntil(slot.at - this.recorder.elapsedMs(), abort);
      if (abort.aborted) return;
      const rng = new Rng(slot.seed);
      for (const name of slot.nemeses) await this.startOne(name, rng);
      await sleepUntil(slot.at + slot.durationMs - this.recorder.elapsedMs(), abort);
      for (const name of slot.nemeses) await this.healOne(name);
      if (abort.aborted) return;
    }
  }

  /** Heals every active fault, then makes sure every node runs, none is paused, the network is whole. */
  async healAll(): Promise<void> {
    for (const name of [...this.active.keys()]) await this.healOne(name);
    const e = this.ctx.ensemble;
    const resumed: string[] = [];
    const started: string[] = [];
    for (const id of e.ids) {
      if (e.node(id).paused && (await e.resumeNode(id))) resumed.push(`n${id}`);
      if (!e.isRunning(id)) {
        await e.startNode(id);
        started.push(`n${id}`);
      }
    }
    await this.ctx.net.clear();
    this.recorder.recordInfoPair('nemesis', 'heal-all', null, toEdn({ network: kw('healed'), resumed, started }));
  }
}
