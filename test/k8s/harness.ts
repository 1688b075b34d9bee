// Helpers shared by the tests of the k8szk drop-in: where things are, running the bin/ scripts with a
// controlled environment, and a fake `hostname` that answers -s and -d as a pod's would.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const binDir = join(repoRoot, 'bin');

export interface ScriptResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

/**
 * Writes a `hostname` script into `dir` that prints `host` for -s (and no option), `domain` for -d and
 * host.domain for -f, as the real one does in a StatefulSet pod (from the kubelet's /etc/hosts).
 */
export function fakeHostname(dir: string, host: string, domain: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'hostname');
  const fqdn = domain === '' ? host : `${host}.${domain}`;
  writeFileSync(
    path,
    `#!/bin/sh\ncase "$1" in\n  -d) echo '${domain}' ;;\n  -f) echo '${fqdn}' ;;\n  *) echo '${host}' ;;\nesac\n`,
  );
  chmodSync(path, 0o755);
  return dir;
}

/** Runs a bin/ script with bash and exactly `env` (plus PATH), as a container would. */
export function runScript(script: string, env: Readonly<Record<string, string>>, pathDirs: readonly string[] = []): ScriptResult {
  const path = [...pathDirs, process.env['PATH'] ?? '/usr/bin:/bin'].join(':');
  const result = spawnSync('bash', [join(binDir, script)], {
    env: { ...env, PATH: path },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
