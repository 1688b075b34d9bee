// Per-process figures from Linux /proc: resident memory, CPU time, and which process of a started
// tree actually holds a listening socket (zkServer.sh execs node, but we check rather than assume).

import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface MemoryStatus {
  /** Resident set size now, in bytes. */
  rssBytes: number;
  /** Peak resident set size, in bytes. */
  hwmBytes: number;
  threads: number;
}

function statusField(text: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** VmRSS and VmHWM of a process (from /proc/<pid>/status). */
export function readMemory(pid: number): MemoryStatus {
  const text = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  return {
    rssBytes: (statusField(text, 'VmRSS') ?? 0) * 1024,
    hwmBytes: (statusField(text, 'VmHWM') ?? 0) * 1024,
    threads: statusField(text, 'Threads') ?? 0,
  };
}

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds used so far by a process (all its threads). */
export function readCpuSeconds(pid: number): number {
  const text = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime field 15.
  const utime = Number(rest[11] ?? 0);
  const stime = Number(rest[12] ?? 0);
  return (utime + stime) / ticksPerSecond();
}

function parentPid(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(rest[1]);
  } catch {
    return undefined;
  }
}

/** The process and all its descendants. */
export function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const ppid = parentPid(pid);
    if (ppid === undefined) continue;
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const result: number[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    result.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return result;
}

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      const state = cols[3];
      const inode = cols[9];
      if (local === undefined || state !== '0A' || inode === undefined) continue;
      if (local.endsWith(`:${portHex}`)) inodes.add(inode);
    }
  }
  return inodes;
}

/**
 * The pid, among `rootPid` and its descendants, that holds the socket listening on `port`.
 * Throws if none does.
 */
export function pidListeningOn(rootPid: number, port: number): number {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) throw new Error(`nothing listens on port ${String(port)}`);
  for (const pid of processTree(rootPid)) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${String(pid)}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${String(pid)}/fd/${fd}`);
      } catch {
        continue;
      }
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match?.[1] !== undefined && inodes.has(match[1])) return pid;
    }
  }
  throw new Error(`no process in the tree of pid ${String(rootPid)} holds the socket listening on port ${String(port)}`);
}

/** The command line of a process, for the report. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8').split('\0').filter((s) => s !== '').join(' ');
  } catch {
    return '';
  }
}

/** CPU seconds the whole machine has spent busy (everything but idle and iowait), all cores summed. */
export function readSystemBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / ticksPerSecond();
}
