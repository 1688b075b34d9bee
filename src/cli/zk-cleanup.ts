// zk-cleanup: deletes old snapshots and txn logs by ZooKeeper 3.8's rules, with PurgeTxnLog's
// command line (bin/zkCleanup.sh reads dataDir and dataLogDir from zoo.cfg and calls this):
//
//   zk-cleanup dataLogDir [snapDir] -n count
//
// It keeps the newest `count` (at least 3) snapshots and every txn log they need, in the version-2
// subdirectories, and prints "Removing file: <mtime>\t<path>" for each file it deletes, as 3.8 does.

import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogFn, Logger } from '../logging/logger.js';
import { MIN_SNAP_RETAIN_COUNT, purge } from '../storage/purge.js';
import { defaultJavaTimeZone, javaMediumDateTime } from './java-dates.js';

const USAGE = `Usage:
PurgeTxnLog dataLogDir [snapDir] -n count
\tdataLogDir -- path to the txn log directory
\tsnapDir -- path to the snapshot directory
\tcount -- the number of old snaps/logs you want to keep, value should be greater than or equal to 3
`;

const COUNT_ERROR = `count should be greater than or equal to ${MIN_SNAP_RETAIN_COUNT}`;

export type CleanupArgs = { kind: 'usage'; error: string | null } | { kind: 'purge'; dataLogDir: string; snapDir: string; count: number };

/** Integer.parseInt for ASCII digits; null where Java throws NumberFormatException. */
function javaParseInt(text: string): number | null {
  if (!/^[+-]?[0-9]+$/u.test(text)) return null;
  const value = Number(text);
  return value >= -2147483648 && value <= 2147483647 ? value : null;
}

/**
 * PurgeTxnLog.main's argument rules, in its order: 3 or 4 arguments; the directories must exist;
 * the count must be an int >= 3; the option before it must be -n.
 */
export function parseCleanupArgs(args: readonly string[], exists: (path: string) => boolean = existsSync): CleanupArgs {
  if (args.length < 3 || args.length > 4) return { kind: 'usage', error: null };
  const checkDir = (path: string): string | null => (exists(path) ? null : `Path '${resolve(path)}' does not exist. `);
  const dataLogDir = args[0] as string;
  const missingLogDir = checkDir(dataLogDir);
  if (missingLogDir !== null) return { kind: 'usage', error: missingLogDir };
  let snapDir = dataLogDir;
  let countOption: string;
  let countText: string;
  if (args.length === 3) {
    countOption = args[1] as string;
    countText = args[2] as string;
  } else {
    snapDir = args[1] as string;
    const missingSnapDir = checkDir(snapDir);
    if (missingSnapDir !== null) return { kind: 'usage', error: missingSnapDir };
    countOption = args[2] as string;
    countText = args[3] as string;
  }
  const count = javaParseInt(countText);
  if (count === null) return { kind: 'usage', error: `'${countText}' can not be parsed to integer.` };
  if (count < MIN_SNAP_RETAIN_COUNT) return { kind: 'usage', error: COUNT_ERROR };
  if (countOption !== '-n') return { kind: 'usage', error: null };
  return { kind: 'purge', dataLogDir, snapDir, count };
}

/** Warnings and errors to stderr as plain lines; the rest is what stdout already says. */
function stderrLogger(): Logger {
  const quiet: LogFn = () => undefined;
  const line =
    (level: string): LogFn =>
    (first: object | string, message?: string): void => {
      const text = typeof first === 'string' ? first : `${message ?? ''} ${JSON.stringify(first)}`;
      process.stderr.write(`${level} ${text}\n`);
    };
  const logger: Logger = { fatal: line('FATAL'), error: line('ERROR'), warn: line('WARN'), info: quiet, debug: quiet, trace: quiet, child: () => logger };
  return logger;
}

async function main(args: readonly string[]): Promise<number> {
  const parsed = parseCleanupArgs(args);
  if (parsed.kind === 'usage') {
    if (parsed.error !== null) process.stderr.write(`${parsed.error}\n`);
    process.stdout.write(USAGE);
    return 1;
  }
  const zone = defaultJavaTimeZone();
  try {
    const result = await purge(parsed.snapDir, parsed.dataLogDir, parsed.count, stderrLogger(), {
      onRemove: (path, mtimeMs) => process.stdout.write(`Removing file: ${javaMediumDateTime(mtimeMs, zone)}\t${path}\n`),
    });
    for (const path of result.failed) process.stderr.write(`Failed to remove ${path}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`zk-cleanup: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`zk-cleanup: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
