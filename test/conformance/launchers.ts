/**
 * Picks the candidate server: Java (a second Java server, to validate the framework) or ours, from
 * test/support/our-server.ts (startOurServer), loaded only when asked for so this file compiles
 * before that launcher exists.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { javaLauncher, type Launcher, type RunningTarget } from './runner.js';
import type { ServerOptions } from './scenario.js';

export type TargetName = 'java' | 'ours';

function isRunningTarget(v: unknown): v is RunningTarget {
  return typeof v === 'object' && v !== null && typeof (v as { port?: unknown }).port === 'number' && typeof (v as { stop?: unknown }).stop === 'function';
}

/** Path of the compiled or source our-server module next to this file's ../support. */
function ourServerModule(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const name of ['our-server.js', 'our-server.ts']) {
    const p = join(here, '..', 'support', name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function ourServerAvailable(): boolean {
  return ourServerModule() !== undefined;
}

export async function loadOurLauncher(): Promise<Launcher> {
  const path = ourServerModule();
  if (path === undefined) throw new Error('test/support/our-server.ts (startOurServer) does not exist yet');
  // Under vitest the .ts source is importable; from dist the compiled .js is found first.
  const mod: unknown = await import(pathToFileURL(path).href);
  const start = typeof mod === 'object' && mod !== null ? (mod as { startOurServer?: unknown }).startOurServer : undefined;
  if (typeof start !== 'function') throw new Error(`${path} does not export startOurServer`);
  return async (options?: ServerOptions): Promise<RunningTarget> => {
    const server: unknown = await (start as (o?: ServerOptions) => Promise<unknown>)(options);
    if (!isRunningTarget(server)) throw new Error('startOurServer did not return { port, stop }');
    return server;
  };
}

export async function candidateLauncher(target: TargetName): Promise<Launcher> {
  return target === 'ours' ? loadOurLauncher() : javaLauncher;
}

export function targetFromEnv(): TargetName {
  const v = process.env['ZK_CONFORMANCE_TARGET'];
  if (v === undefined || v === '' || v === 'java') return 'java';
  if (v === 'ours') return 'ours';
  throw new Error(`ZK_CONFORMANCE_TARGET must be java or ours, not ${v}`);
}
