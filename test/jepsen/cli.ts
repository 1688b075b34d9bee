/**
 * Entry point of `npm run -s jepsen -- <command> [options]` (see commands/index.ts for the
 * commands). Exit code 3: bad arguments or unreadable input, 4: internal error.
 */
import process from 'node:process';

import { EXIT_INTERNAL } from './commands/command.js';
import { runCli } from './commands/index.js';

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }).then(
  (code) => {
    process.exitCode = code;
    // a client socket left half-closed by a partitioned server must not keep the process alive
    setTimeout(() => process.exit(code), 3000).unref();
  },
  (e: unknown) => {
    process.stderr.write(`jepsen: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = EXIT_INTERNAL;
  },
);
