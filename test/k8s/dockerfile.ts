// A small Dockerfile reader for the tests (no Docker engine runs here): stages, instructions with
// continuations joined, COPY arguments, RUN bind mounts, ENV pairs.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './harness.js';

export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

export interface Stage {
  readonly image: string;
  readonly name: string | null;
  readonly instructions: Instruction[];
}

/** Dockerfile syntax: comments, parser directives, backslash continuations, one instruction a line. */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length) {
    const start = i;
    let logical = lines[i] ?? '';
    i++;
    if (/^\s*(#|$)/.test(logical)) continue;
    while (/\\\s*$/.test(logical) && i < lines.length) {
      const next = lines[i] ?? '';
      i++;
      if (/^\s*#/.test(next)) continue;
      logical = logical.replace(/\\\s*$/, ' ') + next;
    }
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(logical);
    if (match === null) throw new Error(`line ${String(start + 1)}: cannot parse ${JSON.stringify(logical)}`);
    const keyword = (match[1] ?? '').toUpperCase();
    const args = (match[2] ?? '').trim();
    if (keyword === 'FROM') {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (from === null) throw new Error(`line ${String(start + 1)}: bad FROM ${args}`);
      stages.push({ image: from[1] ?? '', name: from[2] ?? null, instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (stage === undefined) throw new Error(`line ${String(start + 1)}: ${keyword} before FROM`);
    stage.instructions.push({ keyword, args, line: start + 1 });
  }
  return stages;
}

/** Splits COPY/ADD arguments into flags, sources and destination (JSON or shell form). */
export function copyArgs(args: string): { flags: Record<string, string>; sources: string[]; dest: string } {
  const words: string[] = args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith('--') === true) {
    const flag = words.shift() ?? '';
    const eq = flag.indexOf('=');
    flags[flag.slice(2, eq < 0 ? undefined : eq)] = eq < 0 ? '' : flag.slice(eq + 1);
  }
  const dest = words.pop() ?? '';
  return { flags, sources: words, dest };
}

/** The --mount=type=bind,... options of a RUN. */
export function runMounts(args: string): Record<string, string>[] {
  return [...args.matchAll(/--mount=(\S+)/g)].map((m) =>
    Object.fromEntries((m[1] ?? '').split(',').map((kv) => {
      const eq = kv.indexOf('=');
      return eq < 0 ? [kv, ''] : [kv.slice(0, eq), kv.slice(eq + 1)];
    })),
  );
}

/** ENV key=value pairs (the form the Dockerfile uses). */
export function envPairs(args: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const m of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) pairs[m[1] ?? ''] = (m[2] ?? '').replace(/^"(.*)"$/, '$1');
  return pairs;
}

/** The ENV of the image (the final stage of docker/Dockerfile), which the rehearsal gives its pods. */
export function imageEnv(): Record<string, string> {
  const stages = parseDockerfile(readFileSync(join(repoRoot, 'docker', 'Dockerfile'), 'utf8'));
  const env: Record<string, string> = {};
  for (const instruction of stages[stages.length - 1]?.instructions ?? []) {
    if (instruction.keyword === 'ENV') Object.assign(env, envPairs(instruction.args));
  }
  return env;
}

