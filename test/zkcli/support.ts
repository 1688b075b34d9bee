// Helpers for the zkCli tests: run Java's zkCli.sh or ours with arguments and a stdin script,
// normalise what legitimately differs between two runs (zxid values, times, session ids, the
// version string, Java's log noise and stack frames), and a TCP proxy that can cut or stall
// client connections.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { RunningZooKeeper } from '../support/java-zookeeper.js';
import { projectRoot } from '../support/our-server.js';

export const JAVA_ZKCLI = '/usr/share/zookeeper/bin/zkCli.sh';
export const OUR_ZKCLI = join(projectRoot(), 'bin', 'zkCli.sh');

export function requireBuilt(): void {
  if (!existsSync(JAVA_ZKCLI)) throw new Error(`${JAVA_ZKCLI} not found: install the Debian package zookeeper`);
  if (!existsSync(join(projectRoot(), 'dist', 'src', 'cli', 'zk-cli.js'))) throw new Error('zk-ts is not built: run npm run build');
}

/**
 * Starts servers concurrently. Two started at the same moment can be handed the same free port
 * (the second then finds the first answering on it): any that share a port are stopped and started
 * again one after the other.
 */
export async function startServers(starters: readonly (() => Promise<RunningZooKeeper>)[]): Promise<RunningZooKeeper[]> {
  const servers = await Promise.all(starters.map((start) => start()));
  for (;;) {
    const clashing = servers.map((_, i) => i).filter((i) => servers.filter((o) => o.port === servers[i]?.port).length > 1);
    if (clashing.length === 0) return servers;
    await Promise.all(clashing.map((i) => servers[i]?.stop()));
    for (const i of clashing) {
      const start = starters[i];
      if (start !== undefined) servers[i] = await start();
    }
  }
}

export interface CliRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
  readonly timedOut: boolean;
  /** The `until` steps of the stdin script whose text never appeared on stdout in time. */
  readonly unseen: readonly string[];
}

/**
 * A piece of a CLI's stdin script: text to write, or a pause until stdout shows `until` (counted
 * from the last write). A pause orders the script after something the CLI does on its own, such as
 * an event its event thread prints, where piping everything at once would leave that to a race.
 */
export type StdinStep = { readonly write: string } | { readonly until: string };

/** How long a script waits for an `until` text before it writes the rest anyway. */
const UNTIL_WAIT_MS = 20_000;

/** Runs a CLI to completion (killing its process group after timeoutMs), stdout and stderr apart. */
export function runCli(
  cli: string,
  args: readonly string[],
  options: { stdin?: string | readonly StdinStep[]; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  return new Promise<CliRun>((resolve, reject) => {
    const child = spawn(cli, [...args], {
      env: { ...process.env, TZ: 'UTC', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const unseen: string[] = [];
    // Registered before any `until` listener, so a listener sees the chunk that woke it.
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => undefined);
    const stdoutBytes = (): number => out.reduce((n, c) => n + c.length, 0);
    // Resolves when stdout past `from` bytes shows `text`, or the CLI is gone, or the wait is over.
    const printed = (text: string, from: number): Promise<void> =>
      new Promise<void>((done) => {
        // Decoded whole each time: a line can arrive split across chunks, even mid-character.
        const seen = (): boolean => Buffer.concat(out).subarray(from).toString('utf8').includes(text);
        if (seen()) {
          done();
          return;
        }
        const finish = (found: boolean): void => {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          child.off('close', onClose);
          if (!found) unseen.push(text);
          done();
        };
        const onData = (): void => {
          if (seen()) finish(true);
        };
        const onClose = (): void => finish(seen());
        const timer = setTimeout(() => finish(false), UNTIL_WAIT_MS);
        child.stdout.on('data', onData);
        child.once('close', onClose);
      });
    const feed = async (steps: readonly StdinStep[]): Promise<void> => {
      let mark = 0;
      for (const step of steps) {
        if ('write' in step) {
          mark = stdoutBytes();
          child.stdin.write(step.write);
        } else {
          await printed(step.until, mark);
        }
      }
      child.stdin.end();
    };
    const stdin = options.stdin ?? '';
    void feed(typeof stdin === 'string' ? [{ write: stdin }] : stdin);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }, options.timeoutMs ?? 60_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code, timedOut, unseen });
    });
  });
}

class Tokens {
  readonly #map = new Map<string, string>();
  constructor(readonly prefix: string) {}
  of(value: string): string {
    let t = this.#map.get(value);
    if (t === undefined) {
      t = `${this.prefix}${String(this.#map.size + 1)}`;
      this.#map.set(value, t);
    }
    return t;
  }
}

const EPOCH_TEXT = 'Thu Jan 01 00:00:00 UTC 1970';

/**
 * The lines of a zkCli output with zxids and session ids replaced by tokens in order of first
 * appearance (equal values stay equal), times by <time> (the epoch kept), the version by
 * <version>, `replacements` applied (e.g. a server address), and Java's SLF4J warnings and stack
 * frames dropped.
 */
export function normalise(text: string, replacements: ReadonlyMap<string, string> = new Map()): string[] {
  const zxids = new Tokens('Z');
  const sessions = new Tokens('S');
  const lines: string[] = [];
  // Java's logger warnings come from another thread, sometimes in the middle of a line.
  let cleaned = text.replace(/SLF4J: [^\n]*\n/gu, '');
  for (const [from, to] of replacements) cleaned = cleaned.replaceAll(from, to);
  for (const line of cleaned.split('\n')) {
    if (/^\tat /u.test(line) || /^\t\.\.\. \d+ more$/u.test(line) || line.startsWith('Caused by: ')) continue;
    const zxid = /^(cZxid|mZxid|pZxid) = 0x([0-9a-f]+)$/u.exec(line);
    if (zxid !== null) {
      lines.push(`${zxid[1] ?? ''} = ${zxid[2] === '0' ? '0x0' : zxids.of(zxid[2] ?? '')}`);
      continue;
    }
    const time = /^(ctime|mtime) = (.*)$/u.exec(line);
    if (time !== null) {
      lines.push(time[2] === EPOCH_TEXT ? line : `${time[1] ?? ''} = <time>`);
      continue;
    }
    const owner = /^ephemeralOwner = 0x([0-9a-f]+)$/u.exec(line);
    if (owner !== null) {
      const value = BigInt(`0x${owner[1] ?? '0'}`);
      lines.push(value === 0n || value >= 0x8000000000000000n ? line : `ephemeralOwner = ${sessions.of(owner[1] ?? '')}`);
      continue;
    }
    if (line.startsWith('ZooKeeper CLI version: ')) {
      lines.push('ZooKeeper CLI version: <version>');
      continue;
    }
    lines.push(line);
  }
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Splits normalised stdout lines into the command output and the watcher notifications ("\nWATCHER::"
 * and "\nWatchedEvent ..." as zkCli prints them): where Java's event thread prints an event among
 * the main thread's lines is a race, the events and their order are not.
 */
export function splitEvents(lines: readonly string[]): { output: string[]; events: string[] } {
  const output: string[] = [];
  const events: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const next = lines[i + 1];
    if (line === '' && next === 'WATCHER::') {
      i++;
    } else if (line === '' && next?.startsWith('WatchedEvent ') === true) {
      events.push(next);
      i++;
    } else {
      output.push(line);
    }
  }
  return { output, events };
}

/** A TCP proxy to one server port: it can cut every client connection, or stall replies. */
export class TcpProxy {
  readonly #targetPort: number;
  readonly #pairs = new Set<{ client: Socket; server: Socket; stalled: boolean }>();
  #server: Server | undefined;
  port = 0;

  constructor(targetPort: number) {
    this.#targetPort = targetPort;
  }

  /** Listens on 127.0.0.1 at `port` (a free one by default). */
  async start(port = 0): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect({ host: '127.0.0.1', port: this.#targetPort });
      const pair = { client, server: upstream, stalled: false };
      this.#pairs.add(pair);
      client.on('data', (chunk: Buffer) => upstream.write(chunk));
      upstream.on('data', (chunk: Buffer) => {
        if (!pair.stalled) client.write(chunk);
      });
      const end = (): void => {
        this.#pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end);
      upstream.on('error', end);
      client.on('close', end);
      upstream.on('close', end);
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port }, () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy: no port');
    this.port = address.port;
  }

  get connections(): number {
    return this.#pairs.size;
  }

  /** On the open connections, drops what the server sends from now on (requests still reach it). */
  stall(): void {
    for (const pair of this.#pairs) pair.stalled = true;
  }

  /** Cuts every open connection (the proxy keeps listening). */
  cut(): void {
    for (const pair of [...this.#pairs]) {
      pair.client.destroy();
      pair.server.destroy();
    }
    this.#pairs.clear();
  }

  /** Stops listening and cuts every connection: clients find nothing at this port any more. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.cut();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
