// Starts our server as a real process, the way users and tools start it (`zkServer.sh
// start-foreground <zoo.cfg>`, -D settings in SERVER_JVMFLAGS), with the same options and result as
// startJavaZooKeeper so a test can run the same scenario against both.

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendFourLetterWord } from './four-letter.js';
import { freePort } from './free-port.js';
import { renderCfg, testServerCfg, type RunningZooKeeper, type ZooKeeperOptions } from './java-zookeeper.js';
import { spawnManaged, type ManagedProcess } from './processes.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';
import { sleep } from './zk-wait.js';

/** The repository root, from either test/support (vitest) or dist/test/support (compiled). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above test/support');
    dir = parent;
  }
  return dir;
}

export function zkServerScript(): string {
  return resolve(projectRoot(), 'bin', 'zkServer.sh');
}

async function waitForServing(proc: ManagedProcess, port: number, deadline: number): Promise<boolean> {
  // Two launchers can be handed the same free port: only trust an answer once THIS process says it
  // listens on it (its own log line), or we could be talking to another test's server.
  const listening = new RegExp(`"port":${port},[^\n]*"msg":"serving clients"`, 'u');
  while (Date.now() < deadline) {
    if (proc.exitInfo() !== undefined) return false;
    if (!listening.test(proc.readLog())) {
      await sleep(25);
      continue;
    }
    try {
      if ((await sendFourLetterWord(port, 'ruok', '127.0.0.1', 1000)) === 'imok') return true;
    } catch {
      // not listening yet
    }
    await sleep(25);
  }
  return false;
}

export async function startOurServer(options: ZooKeeperOptions = {}): Promise<RunningZooKeeper> {
  const entry = join(projectRoot(), 'dist', 'src', 'cli', 'zk-server.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`);
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await makeTempDir('zk-ours');
    const dataDir = join(dir, 'data');
    const cfgPath = join(dir, 'zoo.cfg');
    const logPath = join(dir, 'server.log');
    const port = await freePort();
    await writeFile(cfgPath, renderCfg({ ...testServerCfg(dataDir, port), ...options.extraCfg }));
    const started = Date.now();
    const proc = spawnManaged(zkServerScript(), ['start-foreground', cfgPath], {
      cwd: dir,
      logPath,
      env: { ...process.env, SERVER_JVMFLAGS: (options.jvmFlags ?? []).join(' ') },
    });
    if (await waitForServing(proc, port, started + timeoutMs)) {
      return {
        port,
        dataDir,
        pid: proc.pid,
        logPath,
        startupMs: Date.now() - started,
        readLog: () => proc.readLog(),
        stop: async () => {
          await proc.stop(5000);
          await removeTempDir(dir);
        },
      };
    }
    const log = proc.readLog();
    await proc.stop(2000);
    await removeTempDir(dir);
    lastError = `our server did not answer ruok on port ${String(port)} within ${String(timeoutMs)} ms; log tail:\n${log.slice(-3000)}`;
    if (!/EADDRINUSE/.test(log)) break;
  }
  throw new Error(lastError);
}
