// zkCli's interactive mode. On a terminal (a pty driven by pty-driver.py): the prompt
// `[zk: host:port(STATE) N] ` follows the connection state and the command count, the arrow keys
// recall earlier lines, also from the previous session (the history file), Tab completes commands
// and znode paths, a watch that fires while the prompt waits is printed and the prompt drawn
// again, Ctrl-C ends the CLI. With stdin a pipe it prints no prompt, as Debian's zkCli (no JLine).

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZooKeeperClient } from '../../src/client/index.js';
import { sendFourLetterWord } from '../support/four-letter.js';
import { startOurServer } from '../support/our-server.js';
import type { RunningZooKeeper } from '../support/java-zookeeper.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { OUR_ZKCLI, requireBuilt, runCli } from './support.js';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const DRIVER = join(import.meta.dirname, 'pty-driver.py');

interface Step {
  send?: string;
  expect: string | null;
  timeout?: number;
}

interface Conversation {
  output: string;
  status: number | null;
  failedStep: number | null;
}

function converse(argv: readonly string[], env: Record<string, string>, steps: readonly Step[]): Promise<Conversation> {
  return new Promise<Conversation>((resolve, reject) => {
    const child = spawn(PYTHON, [DRIVER, JSON.stringify({ argv, env: { TERM: 'xterm', TZ: 'UTC', ...env }, steps })], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.once('error', reject);
    child.once('close', () => {
      try {
        resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as Conversation);
      } catch {
        reject(new Error(`pty driver failed: ${Buffer.concat(err).toString('utf8')}`));
      }
    });
  });
}

/** The transcript without terminal control sequences. */
function plain(output: string): string {
  return output.replace(/\x1b\[[0-9;]*[A-Za-z]/gu, '').replace(/\r/gu, '');
}

let server: RunningZooKeeper | undefined;
let dir = '';

beforeAll(async () => {
  requireBuilt();
  [server, dir] = await Promise.all([startOurServer(), makeTempDir('zkcli-tty')]);
});

afterAll(async () => {
  await server?.stop();
  if (dir !== '') await removeTempDir(dir);
});

function hostPort(): string {
  if (server === undefined) throw new Error('server not started');
  return `127.0.0.1:${String(server.port)}`;
}

const esc = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');

describe('zkCli interactive mode', () => {
  it('on a terminal: prompt with state and count, history, recall, completion, close and connect', async () => {
    const hp = esc(hostPort());
    const prompt = (state: string, n: number): string => `\\[zk: ${hp}\\(${state}\\) ${String(n)}\\] `;
    const history = join(dir, 'history');
    const steps: Step[] = [
      { expect: `JLine support is enabled[\\s\\S]*${prompt('CONNECTED', 0)}` },
      { send: 'create /tty hello\r', expect: `Created /tty[\\s\\S]*${prompt('CONNECTED', 1)}` },
      { send: 'get /tty\r', expect: `hello[\\s\\S]*${prompt('CONNECTED', 2)}` },
      { send: '\x1b[A', expect: 'get /tty' },
      { send: '\r', expect: `hello[\\s\\S]*${prompt('CONNECTED', 3)}` },
      // Tab writes only the completed part: "y" of /tty, "emerals" of getEphemerals.
      { send: 'ls /tt', expect: 'ls /tt' },
      { send: '\t', expect: 'y' },
      { send: '\r', expect: `\\[\\][\\s\\S]*${prompt('CONNECTED', 4)}` },
      { send: 'getEph', expect: 'getEph' },
      { send: '\t', expect: 'emerals' },
      { send: '\r', expect: `\\[\\][\\s\\S]*${prompt('CONNECTED', 5)}` },
      { send: 'history\r', expect: `0 - create /tty hello[\\s\\S]*5 - history[\\s\\S]*${prompt('CONNECTED', 6)}` },
      { send: 'close\r', expect: `WatchedEvent state:Closed type:None path:null[\\s\\S]*${prompt('CLOSED', 7)}` },
      { send: 'ls /\r', expect: `Not connected[\\s\\S]*${prompt('CLOSED', 8)}` },
      { send: `connect ${hostPort()}\r`, expect: `WatchedEvent state:SyncConnected type:None path:null[\\s\\S]*${prompt('CONNECTED', 9)}` },
      { send: 'quit\r', expect: 'WatchedEvent state:Closed' },
    ];
    const result = await converse([OUR_ZKCLI, '-server', hostPort()], { ZK_TS_HISTORY: history }, steps);
    const text = plain(result.output);
    expect(result.failedStep, text).toBeNull();
    expect(result.status, text).toBe(0);
    expect(text).toContain('Welcome to ZooKeeper!');
    expect(readFileSync(history, 'utf8').split('\n').filter((l) => l !== '')).toEqual([
      'create /tty hello',
      'get /tty',
      'ls /tty',
      'getEphemerals ', // as completed: a command name is completed with a space
      'history',
      'close',
      'ls /',
      `connect ${hostPort()}`,
      'quit',
    ]);
  });

  it('on a terminal: the history file is read back, a watch firing at the prompt is shown and the prompt drawn again, Ctrl-C ends it', async () => {
    const hp = esc(hostPort());
    const history = join(dir, 'history-read');
    writeFileSync(history, 'ls /\nconnect somewhere:2181\nquit\n');
    const steps: Step[] = [
      { expect: `\\[zk: ${hp}\\(CONNECTED\\) 0\\] ` },
      { send: '\x1b[A', expect: 'quit' },
      { send: '\x1b[A', expect: 'connect somewhere:2181' },
      { send: '\x15get -w /tty\r', expect: `hello[\\s\\S]*\\(CONNECTED\\) 1\\] ` },
      // Another client changes /tty (below) once the watch is on the server.
      { expect: `WatchedEvent state:SyncConnected type:NodeDataChanged path:/tty[\\s\\S]*\\[zk: ${hp}\\(CONNECTED\\) 1\\] `, timeout: 20 },
      { send: '\x03', expect: null },
    ];
    const conversation = converse([OUR_ZKCLI, '-server', hostPort()], { ZK_TS_HISTORY: history }, steps);
    const other = await ZooKeeperClient.connect(hostPort());
    try {
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && !(await sendFourLetterWord(server?.port ?? 0, 'wchp')).includes('/tty')) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await other.setData('/tty', 'changed');
      const result = await conversation;
      const text = plain(result.output);
      expect(result.failedStep, text).toBeNull();
      expect(result.status, text).toBe(130);
    } finally {
      await other.close();
    }
  });

  it('with stdin a pipe: no prompt, commands read line by line, history numbered as in Java', async () => {
    const run = await runCli(OUR_ZKCLI, ['-server', hostPort()], { stdin: 'ls /tty\n\nhistory\nredo 0\n' });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('[zk:');
    expect(run.stdout.split('\n')).toEqual([
      `Connecting to ${hostPort()}`,
      'Welcome to ZooKeeper!',
      'JLine support is disabled',
      '',
      'WATCHER::',
      '',
      'WatchedEvent state:SyncConnected type:None path:null',
      '[]',
      '0 - ls /tty',
      '1 - history',
      '[]',
      '',
    ]);
  });
});
