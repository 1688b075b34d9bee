// Helpers shared by the storage benchmarks (bench/storage.ts, bench/recovery.ts): statistics, table
// formatting, the environment block of a report, per-process I/O counters and the results path.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../test/support/our-server.js';

export type ServerName = 'java' | 'ours';
export const SERVER_NAMES: readonly ServerName[] = ['java', 'ours'];

export function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Smallest and largest value. */
export function spread(values: readonly number[]): { min: number; max: number } {
  if (values.length === 0) return { min: Number.NaN, max: Number.NaN };
  return { min: Math.min(...values), max: Math.max(...values) };
}

export function ratio(ours: number, java: number): number {
  return java > 0 && Number.isFinite(ours) ? Math.round((ours / java) * 100) / 100 : Number.NaN;
}

export function mb(bytes: number): number {
  return Math.round((bytes / (1024 * 1024)) * 10) / 10;
}

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A plain-text table; the first `leftColumns` columns are left-aligned, the others right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], leftColumns = 2): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function loadAverage1m(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

function javaVersionLine(): string {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return `${result.stderr}`.trim().split('\n')[0] ?? '';
}

/** The commit our server was built from, and whether src/ differs from it (read-only git commands). */
function gitState(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: projectRoot(), encoding: 'utf8' });
  if (head.status !== 0) return 'unknown';
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src'], { cwd: projectRoot(), encoding: 'utf8' });
  const dirty = `${status.stdout}`.trim() !== '';
  return `commit ${`${head.stdout}`.trim()}${dirty ? ' with uncommitted changes in src/' : ''}`;
}

/** Filesystem type and device of a path (df -T). */
export function filesystemOf(path: string): string {
  const df = spawnSync('df', ['-T', path], { encoding: 'utf8' });
  const cols = `${df.stdout}`.trim().split('\n')[1]?.split(/\s+/) ?? [];
  return `${cols[1] ?? 'unknown'} on ${cols[0] ?? 'unknown'}`;
}

/** Free bytes on the filesystem of a path (df -B1). */
export function freeBytes(path: string): number {
  const df = spawnSync('df', ['-B1', '--output=avail', path], { encoding: 'utf8' });
  return Number(`${df.stdout}`.trim().split('\n')[1] ?? 'NaN');
}

export interface Environment {
  date: string;
  cpuModel: string;
  cpus: number;
  memoryMB: number;
  loadAverage1mAtStart: number;
  node: string;
  java: string;
  git: string;
  tmpDir: string;
  tmpFilesystem: string;
}

export function environment(): Environment {
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    cpuModel: cpu[0]?.model ?? 'unknown',
    cpus: cpu.length,
    memoryMB: Math.round(totalmem() / (1024 * 1024)),
    loadAverage1mAtStart: loadAverage1m(),
    node: process.version,
    java: javaVersionLine(),
    git: gitState(),
    tmpDir: tmpdir(),
    tmpFilesystem: filesystemOf(tmpdir()),
  };
}

/** bench/results/<date>-<suffix>.json unless `out` is given. */
export function resultsPath(out: string | undefined, suffix: string): string {
  if (out !== undefined) return out;
  const dir = join(projectRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  return join(dir, `${stamp}-${suffix}.json`);
}

/** Bytes a process caused to be written to storage so far (/proc/<pid>/io write_bytes), or NaN. */
export function readWriteBytes(pid: number): number {
  try {
    const text = readFileSync(`/proc/${String(pid)}/io`, 'utf8');
    const match = /^write_bytes:\s+(\d+)/m.exec(text);
    return match?.[1] === undefined ? Number.NaN : Number(match[1]);
  } catch {
    return Number.NaN;
  }
}

export function parseIntList(name: string, text: string, min: number, max: number): number[] {
  const values = text.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < min || v > max)) {
    fail(`--${name} must be a comma-separated list of integers in [${String(min)}, ${String(max)}]`);
  }
  return values;
}

export function parseNumber(name: string, text: string, min: number, max: number, integer = false): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    fail(`--${name} must be ${integer ? 'an integer' : 'a number'} in [${String(min)}, ${String(max)}]`);
  }
  return n;
}

export function parseServers(text: string): ServerName[] {
  const names = text.split(',').map((s) => s.trim());
  for (const s of names) if (s !== 'java' && s !== 'ours') fail(`unknown server ${s}; java or ours`);
  return SERVER_NAMES.filter((s) => names.includes(s));
}
