import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sendFourLetterWord } from './four-letter.js';
import { freePort } from './free-port.js';
import { spawnManaged, type ManagedProcess } from './processes.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';
import { sleep } from './zk-wait.js';

export const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
export const ZOOKEEPER_CONF_DIR = '/etc/zookeeper/conf';
/** slf4j binding that makes the server log to stderr (else slf4j falls back to NOP and logs nothing). */
const SLF4J_SIMPLE_JAR = '/usr/share/java/slf4j-simple.jar';

export interface ZooKeeperOptions {
  /** Extra zoo.cfg lines; unknown keys become `zookeeper.<key>` system properties in 3.8. */
  extraCfg?: Record<string, string>;
  /** Extra JVM flags, e.g. `-Dzookeeper.extendedTypesEnabled=true`. */
  jvmFlags?: string[];
  /** How long to wait for `ruok` → `imok` (default 60 s). */
  startTimeoutMs?: number;
}

export interface RunningZooKeeper {
  port: number;
  dataDir: string;
  pid: number;
  logPath: string;
  /** Milliseconds from spawn until `ruok` answered `imok` and `srvr` reported a serving server. */
  startupMs: number;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its temp dir, logs included. */
  stop(): Promise<void>;
  readLog(): string;
}

/** The zoo.cfg every test server starts from, Java's and ours alike (127.0.0.1, no AdminServer). */
export function testServerCfg(dataDir: string, port: number): Record<string, string> {
  return {
    tickTime: '2000',
    initLimit: '10',
    syncLimit: '5',
    dataDir,
    clientPort: String(port),
    clientPortAddress: '127.0.0.1',
    'admin.enableServer': 'false',
    '4lw.commands.whitelist': '*',
  };
}

export function javaZooKeeperAvailable(): boolean {
  return existsSync(ZOOKEEPER_JAR);
}

function classPath(): string {
  const parts = [ZOOKEEPER_CONF_DIR, ZOOKEEPER_JAR];
  if (existsSync(SLF4J_SIMPLE_JAR)) parts.push(SLF4J_SIMPLE_JAR);
  return parts.join(':');
}

/** zoo.cfg text from key/value pairs. */
export function renderCfg(entries: Record<string, string>): string {
  return `${Object.entries(entries)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

async function waitForImok(proc: ManagedProcess, port: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (proc.exitInfo() !== undefined) return false;
    try {
      // `ruok` answers `imok` as soon as the listener is up, before the database is loaded; `srvr`
      // says "This ZooKeeper instance is not currently serving requests" until it is. Wait for both.
      const answer = await sendFourLetterWord(port, 'ruok', '127.0.0.1', 1000);
      if (answer === 'imok') {
        const srvr = await sendFourLetterWord(port, 'srvr', '127.0.0.1', 1000);
        if (srvr.startsWith('Zookeeper version:')) return true;
      }
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  return false;
}

/**
 * Starts a fresh standalone Apache ZooKeeper 3.8 server (the Debian package) on a free port of
 * 127.0.0.1 with its own temp data dir, and waits until `ruok` answers `imok` and `srvr` shows the
 * server is serving (ruok alone answers before the database is loaded). Nothing is shared
 * between calls.
 */
export async function startJavaZooKeeper(options: ZooKeeperOptions = {}): Promise<RunningZooKeeper> {
  if (!javaZooKeeperAvailable()) throw new Error(`${ZOOKEEPER_JAR} not found: install the Debian package zookeeper`);
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  let lastError = '';
  // The port from freePort() may be taken by someone else before Java binds it: retry a few times.
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await makeTempDir('zk-java');
    const dataDir = join(dir, 'data');
    const cfgPath = join(dir, 'zoo.cfg');
    const logPath = join(dir, 'server.log');
    const port = await freePort();
    const cfg: Record<string, string> = { ...testServerCfg(dataDir, port), ...options.extraCfg };
    await writeFile(cfgPath, renderCfg(cfg));
    const args = [
      '-Xmx256m',
      '-XX:+UseSerialGC',
      `-Dzookeeper.log.dir=${dir}`,
      ...(options.jvmFlags ?? []),
      '-cp',
      classPath(),
      'org.apache.zookeeper.server.quorum.QuorumPeerMain',
      cfgPath,
    ];
    const started = Date.now();
    let proc: ManagedProcess;
    try {
      proc = spawnManaged('java', args, { cwd: dir, logPath });
    } catch (err) {
      await removeTempDir(dir);
      throw err;
    }
    const ok = await waitForImok(proc, port, started + timeoutMs);
    if (ok) {
      const startupMs = Date.now() - started;
      return {
        port,
        dataDir,
        pid: proc.pid,
        logPath,
        startupMs,
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
    lastError = `Java ZooKeeper did not answer ruok on port ${String(port)} within ${String(timeoutMs)} ms; log tail:\n${log.slice(-3000)}`;
    if (!/BindException|Address already in use/.test(log)) break;
  }
  throw new Error(lastError);
}
