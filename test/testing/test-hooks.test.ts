// The server side of the Jepsen-style harness's test hooks (src/testing/test-hooks.ts), driven
// through the harness's own client (test/jepsen/nemesis/hooks.ts) against our server as a real
// process: the hello handshake, clock shifts seen in stat mtime, and the simulated power loss,
// which must keep every acknowledged write of a healthy server and must lose some of a server
// broken on purpose (ack-before-fsync), or the harness's power-loss nemesis would have no teeth.
// Also: without the variable, the server holds no unix socket with a path.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HOOKS_ENV, SocketHooks, type NodeHooks } from '../jepsen/nemesis/hooks.js';
import { Cleanup, startServerOn, Zk, type ServerProcess, type ServerSpec } from '../storage/durability-helpers.js';
import { sleep } from '../support/zk-wait.js';

const cleanup = new Cleanup();
afterAll(async () => {
  await cleanup.run();
});

async function hookedSpec(prefix: string, jvmFlags: readonly string[] = []): Promise<{ spec: ServerSpec; socket: string; hooks: NodeHooks }> {
  const workDir = await cleanup.tempDir(prefix);
  const socket = join(workDir, 'hooks.sock');
  const spec: ServerSpec = { kind: 'ours', dataDir: join(workDir, 'data'), workDir, jvmFlags, env: { [HOOKS_ENV]: socket } };
  return { spec, socket, hooks: new SocketHooks(() => socket).forNode(1) };
}

/** One raw request, for answers the harness's client does not expose (errors). */
function rawRequest(socket: string, line: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const conn = connect({ path: socket });
    let buffered = '';
    conn.on('connect', () => conn.write(`${line}\n`));
    conn.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      conn.end();
      resolve(JSON.parse(buffered.slice(0, nl)));
    });
    conn.on('error', reject);
  });
}

/** Unix sockets with a path that the process holds (Linux: its fds matched against /proc/net/unix). */
function unixSocketPathsOf(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${String(pid)}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${String(pid)}/fd/${fd}`));
      if (match?.[1] !== undefined) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  const paths: string[] = [];
  for (const row of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const fields = row.trim().split(/\s+/);
    const inode = fields[6];
    const path = fields[7];
    if (inode !== undefined && path !== undefined && inodes.has(inode)) paths.push(path);
  }
  // An accepted connection shows the listener's path too.
  return [...new Set(paths)];
}

interface Load {
  readonly acked: string[];
  stop(): Promise<void>;
}

/** Concurrent creates from several sessions, each sequential, until the connection dies or stop. */
async function startLoad(port: number, sessions: number): Promise<Load> {
  const acked: string[] = [];
  let stopping = false;
  const clients = await Promise.all(Array.from({ length: sessions }, () => Zk.connect(port)));
  await clients[0]?.create('/load', null);
  const workers = clients.flatMap((zk, s) =>
    [0, 1, 2, 3].map(async (w) => {
      for (let n = 0; !stopping; n++) {
        const path = `/load/s${String(s)}-w${String(w)}-${String(n)}`;
        try {
          await zk.create(path, path);
        } catch {
          return; // the server went away (or refused): this worker is done
        }
        acked.push(path);
      }
    }),
  );
  return {
    acked,
    stop: async () => {
      stopping = true;
      await Promise.all(workers);
      await Promise.all(clients.map((zk) => zk.drop().catch(() => undefined)));
    },
  };
}

/** Load for a while, power loss, restart on the same directories; which acknowledged creates survived. */
async function powerLossUnderLoad(prefix: string, jvmFlags: readonly string[]): Promise<{ acked: number; missing: string[]; exit: unknown }> {
  const { spec, hooks } = await hookedSpec(prefix, jvmFlags);
  const server = await startServerOn(spec, cleanup);
  expect(await hooks.capabilities()).toContain('lose-unsynced');
  const load = await startLoad(server.port, 3);
  await sleep(1500);
  expect(load.acked.length).toBeGreaterThan(50);
  await hooks.loseUnsyncedWrites();
  const exit = await server.proc.exited;
  await load.stop();
  const restarted: ServerProcess = await startServerOn(spec, cleanup);
  const zk = await Zk.connect(restarted.port);
  const present = await Promise.all(load.acked.map((path) => zk.getDataOrNull(path)));
  const missing = load.acked.filter((_, i) => present[i] === null);
  await zk.close();
  await restarted.stop();
  return { acked: load.acked.length, missing, exit };
}

describe('server test hooks', () => {
  it('without ZK_TEST_HOOKS_SOCKET the server holds no unix socket with a path', async () => {
    const workDir = await cleanup.tempDir('zk-nohooks');
    const server = await startServerOn({ kind: 'ours', dataDir: join(workDir, 'data'), workDir }, cleanup);
    expect(unixSocketPathsOf(server.pid)).toEqual([]);
    expect(readdirSync(workDir).filter((name) => name.endsWith('.sock'))).toEqual([]);
    await server.stop();
  });

  it('answers hello with its capabilities, and errors as the interface says', async () => {
    const { spec, socket, hooks } = await hookedSpec('zk-hooks-hello');
    const server = await startServerOn(spec, cleanup);
    expect([...(await hooks.capabilities())].sort()).toEqual(['clock', 'lose-unsynced']);
    expect(unixSocketPathsOf(server.pid)).toEqual([socket]);
    expect(await rawRequest(socket, '{"op":"nope"}')).toEqual({ ok: false, error: 'unknown op' });
    expect(await rawRequest(socket, '{"op":"clock","offsetMs":"x","rate":1}')).toMatchObject({ ok: false });
    expect(await rawRequest(socket, '{"op":"clock","offsetMs":0,"rate":0}')).toMatchObject({ ok: false });
    expect(await rawRequest(socket, 'not json')).toMatchObject({ ok: false });
    expect(server.readLog()).toMatch(/TEST HOOKS ON/);
    await server.stop();
  });

  it('a clock jump of +1 h shows in the mtime of a write, and reset brings it back', async () => {
    const { spec, hooks } = await hookedSpec('zk-hooks-clock');
    const server = await startServerOn(spec, cleanup);
    const hourMs = 3_600_000;
    const before = await Zk.connect(server.port);
    await before.create('/before', 'x');
    const beforeMtime = Number((await before.getData('/before')).stat.mtime);
    expect(Math.abs(beforeMtime - Date.now())).toBeLessThan(10_000);
    await hooks.setClock(hourMs, 1);
    // A fresh session: the monotonic jump may expire older ones, as a JVM paused for an hour would.
    const during = await Zk.connect(server.port);
    await during.create('/during', 'x');
    const duringMtime = Number((await during.getData('/during')).stat.mtime);
    expect(duringMtime - Date.now()).toBeGreaterThan(hourMs - 10_000);
    expect(duringMtime - Date.now()).toBeLessThan(hourMs + 10_000);
    await hooks.resetClock();
    await during.setData('/during', 'y');
    const afterMtime = Number((await during.getData('/during')).stat.mtime);
    expect(Math.abs(afterMtime - Date.now())).toBeLessThan(10_000);
    await before.drop();
    await during.close();
    await server.stop();
  });

  it('lose-unsynced on a healthy server keeps every acknowledged write', async () => {
    const result = await powerLossUnderLoad('zk-hooks-healthy', []);
    expect(result.exit).toEqual({ code: 137, signal: null });
    expect(result.missing).toEqual([]);
    if (process.env['HOOKS_DEBUG'] !== undefined) process.stderr.write(`healthy: ${String(result.acked)} acked kept\n`);
  });

  it('lose-unsynced on a server that acknowledges before fsync loses acknowledged writes', async () => {
    const result = await powerLossUnderLoad('zk-hooks-broken', ['-Dzkts.test.fault=ack-before-fsync']);
    expect(result.exit).toEqual({ code: 137, signal: null });
    expect(result.missing.length).toBeGreaterThan(0);
    if (process.env['HOOKS_DEBUG'] !== undefined) process.stderr.write(`broken: ${String(result.missing.length)} of ${String(result.acked)} acked lost\n`);
  });
});
