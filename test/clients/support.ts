// Shared helpers for the real-client tests: start our server and Apache ZooKeeper 3.8 side by side
// (the oracle), run a client program against a port, and normalise what differs legitimately
// between two runs (times, zxid values, session ids) so outputs can be compared line by line.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startJavaZooKeeper, type RunningZooKeeper, type ZooKeeperOptions } from '../support/java-zookeeper.js';
import { startOurServer } from '../support/our-server.js';
import { runToCompletion, type RunResult } from '../support/processes.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { readFile } from 'node:fs/promises';

export const ZKCLI = '/usr/share/zookeeper/bin/zkCli.sh';
export const CLI_MT = '/usr/lib/zookeeper/bin/cli_mt';
/** Debian's python3-kazoo is installed for the system python, not for a pyenv python on PATH. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export function requireFile(path: string, pkg: string): void {
  if (!existsSync(path)) throw new Error(`${path} not found: install the Debian package ${pkg}`);
}

export interface ServerPair {
  readonly java: RunningZooKeeper;
  readonly ours: RunningZooKeeper;
  /** Both, as [name, server] pairs, Java first. */
  readonly both: readonly (readonly ['java' | 'ours', RunningZooKeeper])[];
  stop(): Promise<void>;
}

/** Starts Java ZooKeeper 3.8 and our server (as a process, via bin/zkServer.sh) with the same options. */
export async function startPair(options: ZooKeeperOptions = {}): Promise<ServerPair> {
  const [java, ours] = await Promise.allSettled([startJavaZooKeeper(options), startOurServer(options)]);
  if (java.status === 'rejected' || ours.status === 'rejected') {
    if (java.status === 'fulfilled') await java.value.stop();
    if (ours.status === 'fulfilled') await ours.value.stop();
    const reason = java.status === 'rejected' ? java.reason : ours.status === 'rejected' ? ours.reason : undefined;
    throw reason instanceof Error ? reason : new Error(String(reason));
  }
  const j = java.value;
  const o = ours.value;
  return {
    java: j,
    ours: o,
    both: [
      ['java', j],
      ['ours', o],
    ],
    stop: async () => {
      await Promise.allSettled([j.stop(), o.stop()]);
    },
  };
}

export interface ClientRun extends RunResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs a client program to completion with stdout and stderr captured separately (so log lines on
 * stderr cannot split lines of output), or merged in write order, and removes its temp dir afterwards.
 */
export async function runClient(
  command: string,
  args: readonly string[],
  options: { stdin?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; mergeStderr?: boolean } = {},
): Promise<ClientRun> {
  const dir = await makeTempDir('zk-client');
  try {
    const out = join(dir, 'stdout');
    const err = join(dir, 'stderr');
    // runToCompletion sends both streams to one log file; a tiny shell wrapper splits them (or
    // sends both to stdout, in the order written, with mergeStderr).
    const redirect = options.mergeStderr === true ? '>"$out" 2>&1' : '>"$out" 2>"$err"';
    const result = await runToCompletion('/bin/sh', ['-c', `out="$1"; err="$2"; shift 2; exec "$@" ${redirect}`, 'sh', out, err, command, ...args], {
      cwd: dir,
      logPath: join(dir, 'wrapper.log'),
      env: { ...process.env, TZ: 'UTC', ...options.env },
      timeoutMs: options.timeoutMs ?? 45_000,
      ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
    });
    const stdout = await readFile(out, 'utf8').catch(() => '');
    const stderr = await readFile(err, 'utf8').catch(() => '');
    return { ...result, stdout, stderr };
  } finally {
    await removeTempDir(dir);
  }
}

/**
 * Replaces values that legitimately differ between two servers or two runs by stable tokens, in order
 * of first appearance, so that equal values stay equal and different values stay different:
 * zxids become Z1, Z2, ... (0x0 stays), session ids S1, S2, ... (0 stays).
 */
export class TokenMap {
  private readonly map = new Map<string, string>();
  constructor(private readonly prefix: string) {}
  token(value: string): string {
    let t = this.map.get(value);
    if (t === undefined) {
      t = `${this.prefix}${String(this.map.size + 1)}`;
      this.map.set(value, t);
    }
    return t;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Parses `Thu Nov 26 07:45:22 UTC 2026` (Java Date.toString in UTC) or `Thu Nov 26 07:45:22 2026` (C ctime). */
export function parseClientDate(text: string): number | undefined {
  const m = /^\w{3} (\w{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (?:UTC )?(\d{4})$/.exec(text.trim());
  if (m === null) return undefined;
  const [, mon, day, hh, mm, ss, year] = m;
  const month = MONTHS.indexOf(mon ?? '');
  if (month < 0) return undefined;
  return Date.UTC(Number(year), month, Number(day), Number(hh), Number(mm), Number(ss));
}

/** Checks that every non-epoch time a client printed lies within [fromMs, toMs] (second granularity). */
export function timesOutsideWindow(times: readonly number[], fromMs: number, toMs: number): number[] {
  return times.filter((t) => t !== 0 && (t < Math.floor(fromMs / 1000) * 1000 - 1000 || t > toMs + 1000));
}
