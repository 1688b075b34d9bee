/**
 * Differential conformance: every scenario against Java ZooKeeper 3.8 and against the candidate
 * (ZK_CONFORMANCE_TARGET=java (default: a second Java server, validates the framework) or ours).
 * ZK_CONFORMANCE_FILTER=substring narrows the scenarios; ZK_CONFORMANCE_SKIP=1 skips the suite.
 */
import { describe, expect, it } from 'vitest';
import { javaZooKeeperAvailable } from '../support/java-zookeeper.js';
import { formatDifference } from './compare.js';
import { candidateLauncher, targetFromEnv } from './launchers.js';
import { javaLauncher, runScenarioPair } from './runner.js';
import { allScenarios } from './scenarios/index.js';

// CI compares our server with Java; ZK_CONFORMANCE_TARGET=java validates the framework itself.
const target = process.env['ZK_CONFORMANCE_TARGET'] === undefined ? 'ours' : targetFromEnv();
const filter = process.env['ZK_CONFORMANCE_FILTER'] ?? '';
const scenarios = allScenarios.filter((s) => filter === '' || s.name.includes(filter));
const skip = process.env['ZK_CONFORMANCE_SKIP'] === '1';

describe.skipIf(skip)(`conformance: java 3.8 vs ${target}`, () => {
  it('has Apache ZooKeeper 3.8 to compare with', () => {
    expect(javaZooKeeperAvailable(), 'install the Debian package zookeeper (.ci/run does)').toBe(true);
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('%s', { timeout: 90_000 }, async (_name, scenario) => {
    const candidate = await candidateLauncher(target);
    const result = await runScenarioPair(scenario, javaLauncher, candidate);
    expect(result.java.error ?? null, 'the scenario ran to the end against Java').toBeNull();
    expect(result.differences.map(formatDifference)).toEqual([]);
  });
});
