// The VOPR command line: runs the core-level swarm simulation for one seed, a range of seeds, or
// random seeds for a while, prints every seed with its outcome, and on a failure the seed, the
// first violated check, the drawn parameters, every peer's state and the trace that led there.
//
//   npm run vopr -- --seed 1234 [--peers 5] [--observers 1] [--steps 20000] [--trace]
//   npm run vopr -- --seeds 1..500 [--keep-going]
//   npm run vopr -- --random 60            (random seeds for 60 s)
//   --assume-fixed all | all-but:name,... | name,...   look past known bugs (test/sim/known-bugs.ts)
//   --lines N (trace lines kept, default 400), --liveness-ms N (default 300000), --brief

import { randomInt } from 'node:crypto';
import { assumeFixed, KNOWN_BUGS } from './known-bugs.js';
import { DEFAULT_FLAGS, formatFailure, runSwarm, type SwarmResult } from './swarm.js';
import type { ShellFlags } from './sim-peer.js';

interface Cli {
  seeds: number[] | null;
  randomSeconds: number | null;
  peers: number | undefined;
  observers: number;
  steps: number;
  livenessMs: number;
  lines: number;
  trace: boolean;
  keepGoing: boolean;
  brief: boolean;
  flags: ShellFlags;
  checkDurableQuorum: boolean;
  /** The arguments that make a replay run the same way (all but the seed selection). */
  replay: string;
}

function usage(message: string): never {
  process.stderr.write(`vopr: ${message}\nusage: vopr --seed N | --seeds A..B | --random SECONDS [--peers 3|5] [--observers N] [--steps N] [--trace] [--keep-going] [--assume-fixed all|${Object.keys(KNOWN_BUGS).join(',')}]\n`);
  process.exit(2);
}

function integer(text: string | undefined, name: string): number {
  if (text === undefined || !/^\d+$/u.test(text)) usage(`${name} needs a non-negative integer`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) usage(`${name} is too large`);
  return value;
}

export function parseCli(argv: readonly string[]): Cli {
  const cli: Cli = { seeds: null, randomSeconds: null, peers: undefined, observers: 0, steps: 20000, livenessMs: 300_000, lines: 400, trace: false, keepGoing: false, brief: false, flags: { ...DEFAULT_FLAGS }, checkDurableQuorum: true, replay: '' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = (): string | undefined => argv[++i];
    switch (arg) {
      case '--seed':
        cli.seeds = [integer(value(), '--seed')];
        break;
      case '--seeds': {
        const text = value() ?? '';
        const match = /^(\d+)\.\.(\d+)$/u.exec(text);
        if (match === null) usage('--seeds needs A..B');
        const from = integer(match[1], '--seeds');
        const to = integer(match[2], '--seeds');
        if (to < from) usage('--seeds A..B needs A <= B');
        cli.seeds = Array.from({ length: to - from + 1 }, (_, k) => from + k);
        break;
      }
      case '--random':
        cli.randomSeconds = integer(value(), '--random');
        break;
      case '--peers': {
        const peers = integer(value(), '--peers');
        if (peers < 1 || peers > 9) usage('--peers must be between 1 and 9');
        cli.peers = peers;
        cli.replay += ` --peers ${peers}`;
        break;
      }
      case '--observers': {
        const observers = integer(value(), '--observers');
        if (observers > 4) usage('--observers must be between 0 and 4');
        cli.observers = observers;
        cli.replay += ` --observers ${observers}`;
        break;
      }
      case '--steps':
        cli.steps = integer(value(), '--steps');
        cli.replay += ` --steps ${cli.steps}`;
        break;
      case '--liveness-ms':
        cli.livenessMs = integer(value(), '--liveness-ms');
        cli.replay += ` --liveness-ms ${cli.livenessMs}`;
        break;
      case '--lines':
        cli.lines = integer(value(), '--lines');
        break;
      case '--trace':
        cli.trace = true;
        break;
      case '--keep-going':
        cli.keepGoing = true;
        break;
      case '--brief':
        cli.brief = true;
        break;
      case '--assume-fixed': {
        const text = value() ?? '';
        const all = Object.keys(KNOWN_BUGS);
        const except = text.startsWith('all-but:') ? text.slice('all-but:'.length).split(',') : [];
        for (const name of except) if (KNOWN_BUGS[name] === undefined) usage(`unknown bug ${name}`);
        const names = text === 'all' ? all : except.length > 0 ? all.filter((n) => !except.includes(n)) : text.split(',');
        cli.replay += ` --assume-fixed ${text}`;
        for (const name of names) if (KNOWN_BUGS[name] === undefined) usage(`unknown bug ${name}`);
        const fixed = assumeFixed(names, cli);
        cli.flags = fixed.flags;
        cli.checkDurableQuorum = fixed.checkDurableQuorum;
        break;
      }
      default:
        usage(`unknown argument ${arg}`);
    }
  }
  return cli;
}

function main(): void {
  // A closed pipe (| head) ends the run quietly.
  process.stdout.on('error', () => process.exit(process.exitCode ?? 0));
  const cli = parseCli(process.argv.slice(2));
  const run = (seed: number): SwarmResult => {
    const echo = cli.trace ? (line: string): void => void process.stdout.write(`${line}\n`) : null;
    return runSwarm({ seed, steps: cli.steps, livenessMs: cli.livenessMs, flags: cli.flags, checkDurableQuorum: cli.checkDurableQuorum, traceLines: cli.lines, echo, ...(cli.peers === undefined ? {} : { peers: cli.peers }), observers: cli.observers });
  };
  let passed = 0;
  const failed: SwarmResult[] = [];
  const report = (result: SwarmResult): boolean => {
    if (result.ok) {
      passed++;
      process.stdout.write(`seed ${result.seed}: ok  ${result.summary}\n`);
      return true;
    }
    failed.push(result);
    process.stdout.write(cli.brief ? `seed ${result.seed}: FAILED ${result.check}: ${(result.message ?? '').split('\n')[0] ?? ''}\n` : `${formatFailure(result, cli.replay)}\n`);
    return cli.keepGoing;
  };
  if (cli.seeds !== null) {
    for (const seed of cli.seeds) if (!report(run(seed))) break;
  } else {
    const seconds = cli.randomSeconds ?? 0;
    const until = Date.now() + seconds * 1000;
    do {
      if (!report(run(randomInt(0, 2 ** 47)))) break;
    } while (Date.now() < until);
  }
  process.stdout.write(`\n${passed} passed, ${failed.length} failed${failed.length > 0 ? `: ${failed.map((f) => `${f.seed} (${f.check})`).join(', ')}` : ''}\n`);
  process.exitCode = failed.length > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) main();
