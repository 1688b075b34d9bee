// zkCli: our command-line ZooKeeper client, used as Apache ZooKeeper 3.8's zkCli.sh is:
//   zkCli.sh [-server host:port[,host:port...][/chroot]] [-timeout ms] [-r] [-waitforconnection] [cmd args...]
// The program is src/client/zkcli/shell.ts; this file only hands it the process: arguments,
// streams, the terminal, the history file (ZK_TS_HISTORY, default ~/.zk_ts_history), the local
// time zone and the version.

import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatServerVersion } from '../admin/four-letter-words.js';
import { runZkCli } from '../client/zkcli/shell.js';
import { defaultJavaTimeZone, javaDateToString } from './java-dates.js';

/** "3.8.0-zk-ts-<package version>, built on <date>", as the server's version strings read. */
function cliVersion(): string {
  const here = fileURLToPath(import.meta.url);
  let dir = dirname(here);
  for (let i = 0; i < 6; i++) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') {
        return formatServerVersion('3.8.0', `zk-ts-${pkg.version}`, statSync(here).mtimeMs);
      }
    } catch {
      // not here: look higher
    }
    dir = dirname(dir);
  }
  return formatServerVersion('3.8.0', 'zk-ts-0.0.0', 0);
}

// Like Java's PrintStream, keep going when the reader of our output has gone (`zkCli.sh ls / | head -1`).
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

const zone = defaultJavaTimeZone();
const code = await runZkCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  terminal: process.stdin.isTTY === true && process.stdout.isTTY === true,
  historyFile: process.env['ZK_TS_HISTORY'] ?? join(homedir(), '.zk_ts_history'),
  formatTime: (epochMs) => javaDateToString(epochMs, zone),
  version: cliVersion(),
  exit: (status) => process.exit(status),
});
// Like zkCli, leave without closing the session (it expires on the server) unless `quit`/`close` did.
process.exit(code);
