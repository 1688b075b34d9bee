// The C client (Debian's cli_mt 3.8.0, zookeeper-bin) against our server and against Apache
// ZooKeeper 3.8.0. cli_mt runs every command asynchronously and prints the completion from its
// completion thread (watch events come through the same thread, in wire order), so the driver
// writes one command at a time and waits for that command's completion before the next: the
// transcript is then deterministic and is compared line by line after normalisation.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningZooKeeper } from '../support/java-zookeeper.js';
import { spawnManaged, type ExitInfo, type ManagedProcess } from '../support/processes.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { waitUntil } from '../support/zk-wait.js';
import { CLI_MT, parseClientDate, requireFile, startPair, timesOutsideWindow, TokenMap, type ServerPair } from './support.js';

const STEP_TIMEOUT_MS = 10_000;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A dumpStat() block: either `null` or the four stat lines ending with ephemeralOwner. */
const STAT_BLOCK = String.raw`(?:null\n|\tctime = [^\n]*\n\tczxid=[0-9a-f]+\n\tmtime=[^\n]*\n\tmzxid=[0-9a-f]+\n\tversion=[0-9a-f]+\taversion=[0-9a-f]+\n\tephemeralOwner = [0-9a-f]+\n)`;

/** What cli.c prints when the completion of `command` has run, as a regex over the output since the command was sent. */
function completionOf(command: string): RegExp | undefined {
  const [verb = '', ...rest] = command.split(' ');
  const arg = rest.filter((a) => !a.startsWith('+'))[0] ?? '';
  const p = escapeRegExp(arg);
  switch (verb) {
    case 'create':
      return new RegExp(String.raw`\[${p}\]: rc = (?:0\n\tname = [^\n]*\n|-\d+\n)`);
    case 'create2':
      return new RegExp(String.raw`\[${p}\]: rc = (?:0\n\tname = [^\n]*\n|-\d+\n)${STAT_BLOCK}`);
    case 'sync':
      return new RegExp(String.raw`\[${p}\]: rc = (?:0\n\tname = [^\n]*\n|-\d+\n)`);
    case 'get':
      return new RegExp(String.raw`\n${p}: rc = -?\d+\n[\s\S]*?\nStat:\n${STAT_BLOCK}`);
    case 'set':
      return new RegExp(String.raw`${p}: rc = -?\d+ Stat:\n${STAT_BLOCK}`);
    case 'ls':
      return new RegExp(String.raw`${p}: rc = -?\d+\n(?:\t[^\n]*\n)*time = \d+ msec\n`);
    case 'ls2':
      return new RegExp(String.raw`${p}: rc = -?\d+\n(?:\t[^\n]*\n)*time = \d+ msec\n${STAT_BLOCK}`);
    case 'delete':
      return new RegExp(String.raw`${p}: rc = -?\d+\n`);
    default:
      return undefined; // no completion printed (addauth)
  }
}

class CliMt {
  private constructor(
    private readonly proc: ManagedProcess,
    private readonly dir: string,
  ) {}

  static async start(port: number): Promise<CliMt> {
    const dir = await makeTempDir('zk-climt');
    let proc: ManagedProcess;
    try {
      proc = spawnManaged(CLI_MT, [`127.0.0.1:${String(port)}`], { cwd: dir, logPath: join(dir, 'cli.log'), keepStdinOpen: true, env: { ...process.env, TZ: 'UTC' } });
    } catch (err) {
      await removeTempDir(dir);
      throw err;
    }
    const cli = new CliMt(proc, dir);
    try {
      await cli.waitFor(0, /Got a new session id: 0x[0-9a-f]+\n/, 'the session to be established');
    } catch (err) {
      await cli.close();
      throw err;
    }
    return cli;
  }

  log(): string {
    return this.proc.readLog();
  }

  private async waitFor(offset: number, pattern: RegExp, what: string): Promise<string> {
    let found = '';
    try {
      await waitUntil(
        () => {
          const text = this.log().slice(offset);
          const m = pattern.exec(text);
          if (m === null) return false;
          found = text.slice(0, m.index + m[0].length);
          return true;
        },
        what,
        {
          timeoutMs: STEP_TIMEOUT_MS,
          intervalMs: 20,
          abortCheck: () => (this.proc.exitInfo() !== undefined ? 'cli_mt exited' : undefined),
        },
      );
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\ncli_mt output so far:\n${this.log()}`);
    }
    return found;
  }

  /** Sends one command line and waits for its completion to be printed. */
  async send(command: string): Promise<string> {
    const offset = this.log().length;
    const stdin = this.proc.child.stdin;
    if (stdin === null) throw new Error('cli_mt stdin is not a pipe');
    stdin.write(`${command}\n`);
    const done = completionOf(command);
    if (done === undefined) return '';
    return this.waitFor(offset, done, `the completion of "${command}"`);
  }

  /** `quit`, then waits for the process to exit. */
  async quit(): Promise<ExitInfo> {
    this.proc.child.stdin?.end('quit\n');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), STEP_TIMEOUT_MS);
    });
    const first = await Promise.race([this.proc.exited, timeout]);
    if (timer !== undefined) clearTimeout(timer);
    if (first === 'timeout') throw new Error(`cli_mt did not exit after quit; output:\n${this.log()}`);
    return first;
  }

  async close(): Promise<void> {
    await this.proc.stop(2000);
    await removeTempDir(this.dir);
  }
}

interface Transcript {
  lines: string[];
  times: number[];
  raw: string;
  exit: ExitInfo;
}

function normalise(raw: string): Pick<Transcript, 'lines' | 'times'> {
  const zxids = new TokenMap('Z');
  const sessions = new TokenMap('S');
  const lines: string[] = [];
  const times: number[] = [];
  for (const line of raw.split('\n')) {
    if (line === '' || line.includes(':ZOO_') || /^time = \d+ msec$/.test(line)) continue; // log lines, timings
    const session = /^Got a new session id: 0x([0-9a-f]+)$/.exec(line);
    if (session !== null) {
      lines.push(`Got a new session id: ${sessions.token(session[1] ?? '')}`);
      continue;
    }
    const time = /^\t(ctime = |mtime=)(.*)$/.exec(line);
    if (time !== null) {
      const ms = parseClientDate(time[2] ?? '');
      if (ms !== undefined) times.push(ms);
      lines.push(ms === undefined ? line : `\t${time[1] ?? ''}<time>`);
      continue;
    }
    const zxid = /^\t(czxid|mzxid)=([0-9a-f]+)$/.exec(line);
    if (zxid !== null) {
      const v = zxid[2] ?? '';
      lines.push(`\t${zxid[1] ?? ''}=${v === '0' ? v : zxids.token(v)}`);
      continue;
    }
    const owner = /^\tephemeralOwner = ([0-9a-f]+)$/.exec(line);
    if (owner !== null) {
      const v = owner[1] ?? '';
      lines.push(`\tephemeralOwner = ${v === '0' ? v : sessions.token(v)}`);
      continue;
    }
    lines.push(line);
  }
  return { lines, times };
}

async function runScript(server: RunningZooKeeper, script: readonly string[]): Promise<Transcript> {
  const cli = await CliMt.start(server.port);
  try {
    for (const command of script) await cli.send(command);
    const exit = await cli.quit();
    const raw = cli.log();
    return { ...normalise(raw), raw, exit };
  } finally {
    await cli.close();
  }
}

describe('C client cli_mt 3.8 against our server, compared with Apache ZooKeeper 3.8', () => {
  let pair: ServerPair | undefined;

  beforeAll(async () => {
    requireFile(CLI_MT, 'zookeeper-bin');
    pair = await startPair();
  });

  afterAll(async () => {
    await pair?.stop();
  });

  function servers(): ServerPair {
    if (pair === undefined) throw new Error('servers not started');
    return pair;
  }

  it('connects, creates, gets, lists, sets and deletes with the same output and watch events as Java', async () => {
    const script = [
      'create /cmt',
      'create /cmt/child',
      'create +e /cmt/eph',
      'create +s /cmt/seq-',
      'create +es /cmt/eseq-',
      'create /cmt',
      'create /nope/x',
      'create /cmt/eph/x',
      'get /cmt',
      'set /cmt hello',
      'get /cmt',
      'ls /cmt',
      'ls2 /cmt',
      'sync /cmt',
      'create2 /cmt/c2',
      'delete /cmt',
      'delete /cmt/child',
      'delete /cmt/eph',
      'delete /cmt/seq-0000000002',
      'delete /cmt/eseq-0000000003',
      'delete /cmt/c2',
      'get /cmt',
      'delete /cmt',
      'get /cmt',
      'ls /cmt',
      'set /cmt x',
      'delete /cmt',
      'create /cmt-after',
      'get /cmt-after',
    ];
    const from = Date.now();
    const [java, ours] = await Promise.all([runScript(servers().java, script), runScript(servers().ours, script)]);
    const to = Date.now();

    for (const [name, t] of [
      ['java', java],
      ['ours', ours],
    ] as const) {
      expect(t.exit, `${name}: cli_mt exit`).toEqual({ code: 0, signal: null });
      expect(timesOutsideWindow(t.times, from, to), `${name}: ctime/mtime outside the test run`).toEqual([]);
      expect(t.lines, name).toEqual(
        expect.arrayContaining([
          '[/cmt]: rc = 0',
          '\tname = /cmt/seq-0000000002',
          '\tname = /cmt/eseq-0000000003',
          '[/cmt]: rc = -110',
          '[/nope/x]: rc = -101',
          '[/cmt/eph/x]: rc = -108',
          'hello',
          '/cmt: rc = -111',
          '/cmt: rc = -101',
          'Watcher CHANGED_EVENT state = CONNECTED_STATE for path /cmt',
          'Watcher CHILD_EVENT state = CONNECTED_STATE for path /cmt',
          'Watcher DELETED_EVENT state = CONNECTED_STATE for path /cmt',
        ]),
      );
      // The ordering guarantee: the watch event comes before the reply to the change that fired it.
      const changed = t.lines.indexOf('Watcher CHANGED_EVENT state = CONNECTED_STATE for path /cmt');
      const setReply = t.lines.indexOf('/cmt: rc = 0 Stat:');
      expect(changed, `${name}: CHANGED_EVENT before the set reply`).toBeGreaterThanOrEqual(0);
      expect(changed, `${name}: CHANGED_EVENT before the set reply`).toBeLessThan(setReply);
    }
    expect(ours.lines, `our transcript differs from Java's; raw:\n${ours.raw}`).toEqual(java.lines);
  });

  it('a session that ends takes its ephemeral nodes with it, seen by another cli_mt', async () => {
    for (const [name, server] of servers().both) {
      const owner = await CliMt.start(server.port);
      try {
        await owner.send('create /cmt-eph');
        const created = await owner.send('create +e /cmt-eph/mine');
        expect(created, name).toContain('[/cmt-eph/mine]: rc = 0');
        const exit = await owner.quit();
        expect(exit, name).toEqual({ code: 0, signal: null });
      } finally {
        await owner.close();
      }
      const other = await CliMt.start(server.port);
      try {
        const listing = await other.send('ls /cmt-eph');
        expect(listing, name).toMatch(/\/cmt-eph: rc = 0\ntime = \d+ msec\n$/);
        const gone = await other.send('get /cmt-eph/mine');
        expect(gone, name).toContain('/cmt-eph/mine: rc = -101');
        await other.quit();
      } finally {
        await other.close();
      }
    }
  });
});
