import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** File that receives the child's stdout and stderr (appended). Required: logs are always captured. */
  logPath: string;
  /** Text written to the child's stdin, which is then closed. Without it stdin is /dev/null. */
  stdin?: string;
  /** Keep stdin open as a pipe so the caller can write to `child.stdin` later. */
  keepStdinOpen?: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly logPath: string;
  readonly command: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ExitInfo>;
  /** The exit info once it has exited, else undefined. */
  exitInfo(): ExitInfo | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<ExitInfo>;
  /** Current content of the log file. */
  readLog(): string;
}

const live = new Map<number, ManagedProcess>();
let hooksInstalled = false;

function killGroupOrPid(pid: number, signal: NodeJS.Signals): void {
  // Children are started detached, so each is the leader of its own process group: signalling the
  // group (negative pid) also reaches what a wrapper script started. Fall back to the pid alone.
  try {
    process.kill(-pid, signal);
    return;
  } catch {
    // group gone or not a leader
  }
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Signals only the process group (used for leftovers after the leader exited). */
function killGroupOnly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // no such group
  }
}

function killAllNow(): void {
  for (const pid of live.keys()) killGroupOrPid(pid, 'SIGKILL');
  live.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      killAllNow();
      process.removeListener(signal, handler);
      // Re-raise so the default behaviour (or other handlers) still applies.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

/** Pids of processes started through this module that have not exited yet. */
export function livePids(): number[] {
  return [...live.keys()];
}

/** Stops every live process started through this module. */
export async function stopAll(graceMs = 5000): Promise<void> {
  await Promise.all([...live.values()].map((p) => p.stop(graceMs)));
}

/** Spawns a process whose output goes to `logPath`, registered so that it is killed at exit. */
export function spawnManaged(command: string, args: readonly string[], options: SpawnOptions): ManagedProcess {
  installHooks();
  const logFd = openSync(options.logPath, 'a');
  const stdinMode = options.stdin !== undefined || options.keepStdinOpen === true ? 'pipe' : 'ignore';
  let child: ChildProcess;
  try {
    child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [stdinMode, logFd, logFd],
      detached: true,
    });
  } finally {
    closeSync(logFd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    throw new Error(`failed to spawn ${command}`);
  }
  if (options.stdin !== undefined && child.stdin !== null) {
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin);
  }
  let info: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      info = { code, signal };
      live.delete(pid);
      resolve(info);
    });
    child.once('error', () => {
      if (info === undefined) {
        info = { code: null, signal: null };
        live.delete(pid);
        resolve(info);
      }
    });
  });
  let stopping: Promise<ExitInfo> | undefined;
  const managed: ManagedProcess = {
    pid,
    child,
    logPath: options.logPath,
    command: [command, ...args].join(' '),
    exited,
    exitInfo: () => info,
    stop(graceMs = 5000): Promise<ExitInfo> {
      if (stopping !== undefined) return stopping;
      stopping = (async () => {
        if (info !== undefined) return info;
        killGroupOrPid(pid, 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), graceMs);
        });
        const first = await Promise.race([exited, timedOut]);
        if (timer !== undefined) clearTimeout(timer);
        if (first === 'timeout') killGroupOrPid(pid, 'SIGKILL');
        const result = await exited;
        killGroupOnly(pid, 'SIGKILL'); // leftovers a wrapper script may have started
        return result;
      })();
      return stopping;
    },
    readLog(): string {
      try {
        return readFileSync(options.logPath, 'utf8');
      } catch {
        return '';
      }
    },
  };
  live.set(pid, managed);
  return managed;
}

export interface RunResult extends ExitInfo {
  log: string;
  timedOut: boolean;
}

/** Runs a process to completion (or kills it after `timeoutMs`) and returns its exit info and log. */
export async function runToCompletion(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { timeoutMs?: number },
): Promise<RunResult> {
  const proc = spawnManaged(command, args, options);
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs ?? 60_000);
  });
  const first = await Promise.race([proc.exited, timeout]);
  if (timer !== undefined) clearTimeout(timer);
  if (first === 'timeout') timedOut = true;
  const info = await proc.stop(2000);
  return { ...info, log: proc.readLog(), timedOut };
}
