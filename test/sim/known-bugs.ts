// The bugs the simulator has found and that are not fixed yet, each with the switch that lets a
// run look past it (a shell behaviour changed in SimPeer, or a check relaxed) and the seeds that
// reproduce it when every other switch is on. `npm run vopr -- --assume-fixed all` runs with every
// switch; the CI test (vopr.test.ts) does so too, and checks that each bug still reproduces, so
// that fixing one in src/ makes that check fail with the instruction to delete its entry here.

import type { ShellFlags } from './sim-peer.js';
import type { SwarmOptions } from './swarm.js';

export interface KnownBug {
  /** Where the bug is: a core in src/zab, or the shell (src/quorum, src/storage). */
  readonly where: string;
  readonly summary: string;
  /** What the run changes to look past it. */
  readonly workaround: { readonly flags?: ShellFlags; readonly checkDurableQuorum?: boolean };
  /** Other bugs whose workarounds also hide this one, left off too when reproducing it. */
  readonly alsoWithout?: readonly string[];
  /** Seeds that fail with `check` when every other workaround is on (20000 steps). */
  readonly seeds: readonly number[];
  readonly check: string;
}

export const KNOWN_BUGS: Readonly<Record<string, KnownBug>> = {};

export type KnownBugName = keyof typeof KNOWN_BUGS;

/** The run options that look past the named bugs. */
export function assumeFixed(names: readonly string[], base: Pick<SwarmOptions, 'flags' | 'checkDurableQuorum'>): Pick<SwarmOptions, 'flags' | 'checkDurableQuorum'> {
  let flags = base.flags;
  let checkDurableQuorum = base.checkDurableQuorum;
  for (const name of names) {
    const bug = KNOWN_BUGS[name];
    if (bug === undefined) throw new RangeError(`unknown bug ${name}; known: ${Object.keys(KNOWN_BUGS).join(', ')}`);
    const { checkDurableQuorum: check, flags: extra } = bug.workaround;
    flags = { ...flags, ...extra };
    if (check !== undefined) checkDurableQuorum = check;
  }
  return { flags, checkDurableQuorum };
}
