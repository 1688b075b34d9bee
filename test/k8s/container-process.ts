// The host side of a rehearsal container's processes, shared by the single-pod and three-pod
// rehearsals: finding the container's PID 1 under `unshare --fork`, listing the processes of its PID
// namespace, exec'ing into it as the kubelet does, and killing process trees.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { ExecResult } from './pod.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function signal(pid: number, name: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** SIGKILL to a process and all its descendants. */
export function killTree(pid: number): void {
  if (pid <= 0) return;
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${String(pid)}/task/${String(pid)}/children`, 'utf8').trim().split(/\s+/).filter((x) => x !== '').map(Number);
  } catch {
    // gone
  }
  signal(pid, 'SIGSTOP');
  for (const child of children) killTree(child);
  signal(pid, 'SIGKILL');
}

/**
 * unshare --fork: the container's PID 1 is the only child of `unsharePid`. Until the setup script
 * has exec'd into the container (uid 1000) it is not the container yet.
 */
export async function waitForContainerInit(unsharePid: number, running: () => boolean, log: () => string, attempts: number): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    if (!running()) throw new Error(`container exited at once:\n${log()}`);
    const childrenFile = `/proc/${String(unsharePid)}/task/${String(unsharePid)}/children`;
    const children = existsSync(childrenFile) ? readFileSync(childrenFile, 'utf8').trim() : '';
    const init = Number(children.split(' ')[0] ?? '');
    if (init > 0) {
      const status = existsSync(`/proc/${String(init)}/status`) ? readFileSync(`/proc/${String(init)}/status`, 'utf8') : '';
      if (/^Uid:\s+1000\s/m.test(status)) return init;
    }
    await sleep(25);
  }
  throw new Error(`container init not found:\n${log()}`);
}

/** Processes in the PID namespace of `init`, as this machine's pids. */
export function containerProcesses(init: number): { pid: number; cmdline: string }[] {
  let ns: string;
  try {
    ns = readlinkSync(`/proc/${String(init)}/ns/pid`);
  } catch {
    return [];
  }
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) !== ns) continue;
      found.push({ pid: Number(entry), cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim() });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** The server process (node running zk-server.js) among a container's processes. */
export function serverPidOf(processes: readonly { pid: number; cmdline: string }[]): number | null {
  return processes.find((p) => /zk-server\.js/.test(p.cmdline))?.pid ?? null;
}

/** Runs a command inside the container of `init`, as the kubelet's exec does (uid 1000, its env and root). */
export function execInContainer(init: number, env: Readonly<Record<string, string>>, argv: readonly string[], timeoutMs: number): Promise<ExecResult> {
  const envPairs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return new Promise((resolve) => {
    const child = spawn(
      'nsenter',
      ['--target', String(init), '--mount', '--uts', '--net', '--pid', '--root', '--wd', '--setuid', '1000', '--setgid', '1000', '--', '/usr/bin/env', '-i', ...envPairs, ...argv],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    // On timeout the kubelet gives up on the probe at once; nsenter's child lives in the container's
    // PID namespace and holds the pipes, so it is killed too.
    const timer = setTimeout(() => {
      killTree(child.pid ?? 0);
      resolve({ status: null, stdout, stderr: `${stderr}(timed out)` });
    }, timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
