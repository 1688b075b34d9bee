/**
 * Differential conformance runner: every scenario runs against a fresh reference server (Apache
 * ZooKeeper 3.8, Java) and a fresh candidate server, and the normalised replies are compared field
 * by field.
 */
import { startJavaZooKeeper } from '../support/java-zookeeper.js';
import { compareTranscripts, formatDifference, type Difference } from './compare.js';
import { executeScenario, type Scenario, type ServerOptions, type Transcript } from './scenario.js';

export interface RunningTarget {
  port: number;
  stop(): Promise<void>;
}

/** Same shape as startJavaZooKeeper / startOurServer. */
export type Launcher = (options?: ServerOptions) => Promise<RunningTarget>;

export interface ConformanceOptions {
  scenarios: readonly Scenario[];
  /** The reference; Java ZooKeeper 3.8 unless told otherwise. */
  reference?: Launcher;
  /** The server under test. */
  candidate: Launcher;
  /** Scenarios run at the same time (each uses two servers). Default 1. */
  concurrency?: number;
  /** Compare children/ephemerals lists in received order instead of sorted (Java uses HashSet order). */
  strictOrder?: boolean;
  /** Progress lines (one per scenario, then every difference). */
  log?: (line: string) => void;
}

export interface ScenarioResult {
  scenario: string;
  differences: Difference[];
  java: Transcript;
  ours: Transcript;
  ms: number;
}

export const javaLauncher: Launcher = async (options) => {
  const zk = await startJavaZooKeeper(options ?? {});
  return { port: zk.port, stop: () => zk.stop() };
};

/** Starts a fresh server with `launcher`, runs the scenario, stops the server (also on failure). */
export async function runScenarioOn(scenario: Scenario, launcher: Launcher): Promise<Transcript> {
  let server: RunningTarget;
  try {
    server = await launcher(scenario.server);
  } catch (err) {
    return { scenario: scenario.name, steps: [], sessions: [], error: `server did not start: ${err instanceof Error ? err.message : String(err)}` };
  }
  try {
    return await executeScenario(scenario, { host: '127.0.0.1', port: server.port });
  } finally {
    await server.stop();
  }
}

export async function runScenarioPair(
  scenario: Scenario,
  reference: Launcher,
  candidate: Launcher,
  options: { strictOrder?: boolean } = {},
): Promise<ScenarioResult> {
  const started = Date.now();
  const [java, ours] = await Promise.all([runScenarioOn(scenario, reference), runScenarioOn(scenario, candidate)]);
  return { scenario: scenario.name, differences: compareTranscripts(java, ours, options), java, ours, ms: Date.now() - started };
}

export async function runConformance(options: ConformanceOptions): Promise<ScenarioResult[]> {
  const reference = options.reference ?? javaLauncher;
  const log = options.log ?? ((): void => undefined);
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const results: ScenarioResult[] = new Array<ScenarioResult>(options.scenarios.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const scenario = options.scenarios[i];
      if (scenario === undefined) return;
      const result = await runScenarioPair(scenario, reference, options.candidate, {
        ...(options.strictOrder === undefined ? {} : { strictOrder: options.strictOrder }),
      });
      results[i] = result;
      const n = result.differences.length;
      log(`${n === 0 ? 'ok  ' : 'DIFF'} ${scenario.name} (${String(result.ms)} ms${n === 0 ? '' : `, ${String(n)} difference(s)`})`);
      for (const d of result.differences) log(`  ${formatDifference(d)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  return results;
}

/** Every difference of every result, formatted one per line. */
export function differenceLines(results: readonly ScenarioResult[]): string[] {
  return results.flatMap((r) => r.differences.map(formatDifference));
}
