/**
 * Regenerates the golden wire transcripts in test/compat/golden/ by putting a recording proxy
 * between the real clients (Java zkCli.sh, Python kazoo, the C cli_mt, node-zookeeper-client) and a
 * real Apache ZooKeeper 3.8.0 server. Each capture gets a fresh server.
 *
 *   npx tsc -p test/compat/tsconfig.capture.json && node dist/test/compat/capture-golden.js [name...]
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendFourLetterWord } from '../support/four-letter.js';
import { startJavaZooKeeper, type RunningZooKeeper } from '../support/java-zookeeper.js';
import { runToCompletion, spawnManaged } from '../support/processes.js';
import { chunksToJsonLines, startRecordingProxy, type RecordingProxy } from '../support/recording-proxy.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import { waitUntil } from '../support/zk-wait.js';

const here = dirname(fileURLToPath(import.meta.url));
// Works both from the source tree and from dist/test/compat.
const projectRoot = here.includes(`${'/dist/'}`) ? resolve(here, '../../..') : resolve(here, '../..');
const compatDir = join(projectRoot, 'test', 'compat');
const goldenDir = join(compatDir, 'golden');

const ZKCLI = '/usr/share/zookeeper/bin/zkCli.sh';
const CLI_MT = '/usr/lib/zookeeper/bin/cli_mt';
const SYSTEM_PYTHON = '/usr/bin/python3'; // Debian's python3-kazoo lives here, not in a pyenv python

interface CaptureContext {
  zk: RunningZooKeeper;
  proxy: RecordingProxy;
  workDir: string;
}

interface Capture {
  name: string;
  description: string;
  command: (proxyPort: number) => string;
  run: (ctx: CaptureContext) => Promise<void>;
}

function expectOk(what: string, result: { code: number | null; timedOut: boolean; log: string }): void {
  if (result.code !== 0 || result.timedOut) {
    throw new Error(`${what} failed (code ${String(result.code)}, timedOut ${String(result.timedOut)}):\n${result.log}`);
  }
}

const ZKCLI_SCRIPT = ['create /g "hello"', 'get -s /g', 'ls /', 'set /g x', 'delete /g', 'stat /missing', 'quit', ''].join('\n');

const captures: Capture[] = [
  {
    name: 'zkcli',
    description: 'Java zkCli.sh (3.8.0) in interactive mode, commands on stdin: ' + JSON.stringify(ZKCLI_SCRIPT),
    command: (p) => `printf '${ZKCLI_SCRIPT.replace(/\n/g, '\\n')}' | ${ZKCLI} -server 127.0.0.1:${String(p)}`,
    run: async ({ proxy, workDir }) => {
      const result = await runToCompletion(ZKCLI, ['-server', `127.0.0.1:${String(proxy.port)}`], {
        logPath: join(workDir, 'zkcli.log'),
        stdin: ZKCLI_SCRIPT,
        cwd: workDir,
        env: { ...process.env, ZOO_LOG_DIR: workDir },
        timeoutMs: 60_000,
      });
      // zkCli.sh exits with the status of the last command, and `stat /missing` fails: expect 1.
      expectOk('zkCli.sh', { ...result, code: result.code === 1 ? 0 : result.code });
      for (const expected of ['Created /g', '[g, zookeeper]', 'Node does not exist: /missing']) {
        if (!result.log.includes(expected)) throw new Error(`zkCli output lacks ${expected}:\n${result.log}`);
      }
    },
  },
  {
    name: 'kazoo',
    description:
      'Python kazoo 2.8.0: connect, create /kz, create /kz/e- ephemeral+sequence, get_children /kz with a watch, create /kz/trigger (fires the watch), close',
    command: (p) => `${SYSTEM_PYTHON} test/compat/clients/kazoo_client.py 127.0.0.1:${String(p)}`,
    run: async ({ proxy, workDir }) => {
      const result = await runToCompletion(
        SYSTEM_PYTHON,
        [join(compatDir, 'clients', 'kazoo_client.py'), `127.0.0.1:${String(proxy.port)}`],
        { logPath: join(workDir, 'kazoo.log'), cwd: workDir, timeoutMs: 60_000 },
      );
      expectOk('kazoo', result);
    },
  },
  {
    name: 'cli_mt',
    description:
      'C client cli_mt (3.8.0): connect, "ls /" written on stdin, stdin closed once the reply was seen (cli_mt then says bye and closes)',
    command: (p) => `(echo 'ls /'; sleep 2) | ${CLI_MT} -h 127.0.0.1:${String(p)}`,
    run: async ({ proxy, workDir }) => {
      const proc = spawnManaged(CLI_MT, ['-h', `127.0.0.1:${String(proxy.port)}`], {
        logPath: join(workDir, 'cli_mt.log'),
        cwd: workDir,
        keepStdinOpen: true,
      });
      try {
        // Wait for the ConnectResponse, then send the command, then wait for its reply.
        await waitUntil(() => proxy.chunks.some((c) => c.direction === 's2c'), 'cli_mt to connect', { timeoutMs: 20_000 });
        proc.child.stdin?.write('ls /\n');
        await waitUntil(() => proxy.chunks.filter((c) => c.direction === 's2c').length >= 2, 'the ls / reply', {
          timeoutMs: 20_000,
        });
        proc.child.stdin?.end();
        const exited = await Promise.race([proc.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000))]);
        if (exited === undefined) throw new Error(`cli_mt did not exit:\n${proc.readLog()}`);
      } finally {
        await proc.stop(2000);
      }
    },
  },
  {
    name: 'node-zookeeper-client',
    description: 'npm node-zookeeper-client 1.1.3: connect, create /nzc "node-data", getData /nzc, close',
    command: (p) => `node test/compat/clients/nzc-client.cjs 127.0.0.1:${String(p)}`,
    run: async ({ proxy, workDir }) => {
      const result = await runToCompletion(
        process.execPath,
        [join(compatDir, 'clients', 'nzc-client.cjs'), `127.0.0.1:${String(proxy.port)}`],
        { logPath: join(workDir, 'nzc.log'), cwd: projectRoot, timeoutMs: 60_000 },
      );
      expectOk('node-zookeeper-client', result);
    },
  },
  {
    name: 'four-letter-words',
    description: 'Two connections: "ruok" then "srvr" (recorded raw, not framed)',
    command: (p) => `echo ruok | nc 127.0.0.1 ${String(p)}; echo srvr | nc 127.0.0.1 ${String(p)}`,
    run: async ({ proxy }) => {
      const ruok = await sendFourLetterWord(proxy.port, 'ruok');
      if (ruok !== 'imok') throw new Error(`ruok answered ${ruok}`);
      await proxy.idle();
      await sendFourLetterWord(proxy.port, 'srvr');
    },
  },
];

async function capture(c: Capture): Promise<void> {
  const workDir = await makeTempDir(`golden-${c.name}`);
  const zk = await startJavaZooKeeper();
  let proxy: RecordingProxy | undefined;
  try {
    proxy = await startRecordingProxy(zk.port);
    await c.run({ zk, proxy, workDir });
    await Promise.race([proxy.idle(), new Promise((r) => setTimeout(r, 10_000))]);
    const header = {
      capture: c.name,
      description: c.description,
      command: c.command(proxy.port),
      server: 'Apache ZooKeeper 3.8.0 (Debian zookeeper 3.8.0), standalone, fresh data dir',
      capturedAt: new Date().toISOString(),
    };
    const body = chunksToJsonLines(proxy.chunks);
    await writeFile(join(goldenDir, `${c.name}.jsonl`), `${JSON.stringify({ header })}\n${body}`);
    console.log(`${c.name}: ${String(proxy.chunks.length)} chunks over ${String(proxy.connectionCount())} connection(s)`);
  } finally {
    await proxy?.close();
    await zk.stop();
    await removeTempDir(workDir);
  }
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const selected = wanted.length === 0 ? captures : captures.filter((c) => wanted.includes(c.name));
  if (selected.length === 0) throw new Error(`unknown capture(s): ${wanted.join(', ')}; known: ${captures.map((c) => c.name).join(', ')}`);
  for (const c of selected) await capture(c);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
