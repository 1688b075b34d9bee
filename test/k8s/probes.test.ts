// zkOk.sh, zkReady.sh and zkMetrics.sh against our server and against scripted fake servers (answers
// a real server gives only in states we cannot reach standalone: not in quorum, read-only, a server
// that never answers, one that resets).

import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendFourLetterWord } from '../support/four-letter.js';
import { freePort } from '../support/free-port.js';
import type { RunningZooKeeper } from '../support/java-zookeeper.js';
import { startOurServer } from '../support/our-server.js';
import { spawnManaged, type ManagedProcess } from '../support/processes.js';
import { waitUntil } from '../support/zk-wait.js';
import { binDir, tempDir } from './harness.js';

interface ProbeResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs a probe script the way the kubelet's exec probe does: its own environment, no stdin. */
function probe(script: string, port: number, extraEnv: Readonly<Record<string, string>> = {}): Promise<ProbeResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(join(binDir, script), [], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ZK_CLIENT_PORT: String(port), ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, ms: Date.now() - started }));
  });
}

interface Seen {
  received: string;
  /** How the client ended the connection: 'end' is a FIN, 'error' a reset. */
  ending: 'end' | 'error' | 'open';
}

interface FakeServer {
  readonly port: number;
  readonly seen: Seen[];
  close(): Promise<void>;
}

/** A server that answers every connection with `answer(firstBytes)` and closes, as ZooKeeper does. */
function fakeServer(answer: ((word: string) => string | null) | null): Promise<FakeServer> {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    const record: Seen = { received: '', ending: 'open' };
    seen.push(record);
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      record.received += chunk.toString('latin1');
      if (answer === null || answered || record.received.length < 4) return;
      answered = true;
      const reply = answer(record.received.slice(0, 4));
      if (reply === null) socket.resetAndDestroy();
      else socket.end(reply);
    });
    socket.on('end', () => {
      if (record.ending === 'open') record.ending = 'end';
    });
    socket.on('error', () => {
      record.ending = 'error';
    });
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no address');
      resolve({
        port: address.port,
        seen,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

async function withFake<T>(answer: ((word: string) => string | null) | null, body: (fake: FakeServer) => Promise<T>): Promise<T> {
  const fake = await fakeServer(answer);
  try {
    return await body(fake);
  } finally {
    await fake.close();
  }
}

async function closedPort(): Promise<number> {
  const fake = await fakeServer(null);
  await fake.close();
  return fake.port;
}

const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests\n';

describe('against our server (standalone)', () => {
  let server: RunningZooKeeper;
  beforeAll(async () => {
    // The whitelist zkGenConfig.sh writes (3.4.10's default set).
    server = await startOurServer({ extraCfg: { '4lw.commands.whitelist': 'conf,cons,crst,dump,envi,gtmk,stmk,ruok,srst,srvr,stat,wchs,mntr,isro' } });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('zkOk.sh exits 0 and prints nothing', async () => {
    expect(await probe('zkOk.sh', server.port)).toMatchObject({ status: 0, stdout: '', stderr: '' });
  });

  it('zkReady.sh exits 0 (Mode: standalone)', async () => {
    expect(await probe('zkReady.sh', server.port)).toMatchObject({ status: 0, stdout: '' });
  });

  it('zkMetrics.sh prints mntr', async () => {
    const result = await probe('zkMetrics.sh', server.port);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^zk_version\t3\.8\.0-zk-ts-/m);
    expect(result.stdout).toMatch(/^zk_server_state\tstandalone$/m);
    expect(result.stdout).toMatch(/^zk_znode_count\t\d+$/m);
  });

  it('a hundred probes in a row all pass (no lost imok)', async () => {
    const results = await Promise.all(Array.from({ length: 100 }, () => probe('zkOk.sh', server.port)));
    expect(results.filter((r) => r.status !== 0)).toEqual([]);
  });
});

describe('against our server with 3.8\'s default whitelist (srvr only)', () => {
  let dir: string;
  let server: ManagedProcess;
  let port: number;
  beforeAll(async () => {
    // startOurServer waits for ruok, which this server refuses: wait for srvr instead.
    dir = tempDir('zk-probes');
    port = await freePort();
    const cfg = join(dir, 'zoo.cfg');
    writeFileSync(cfg, `tickTime=2000\ndataDir=${dir}/data\nclientPort=${String(port)}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n`);
    server = spawnManaged(join(binDir, 'zkServer.sh'), ['start-foreground', cfg], { cwd: dir, logPath: join(dir, 'server.log') });
    await waitUntil(
      async () => (await sendFourLetterWord(port, 'srvr', '127.0.0.1', 1000).catch(() => '')).includes('Mode: standalone'),
      'the server to answer srvr',
      { timeoutMs: 30_000, intervalMs: 50 },
    );
  });
  afterAll(async () => {
    await server.stop(5000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('zkOk.sh fails: the reason zkGenConfig.sh writes a whitelist', async () => {
    expect((await probe('zkOk.sh', port)).status).toBe(1);
  });

  it('zkReady.sh still works, since srvr is always enabled', async () => {
    expect((await probe('zkReady.sh', port)).status).toBe(0);
  });
});

describe('zkOk.sh', () => {
  it('sends exactly "ruok", reads to the end and closes with a FIN, never a reset', async () => {
    await withFake(
      () => 'imok',
      async (fake) => {
        expect((await probe('zkOk.sh', fake.port)).status).toBe(0);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(fake.seen).toEqual([{ received: 'ruok', ending: 'end' }]);
      },
    );
  });

  it('accepts imok with a trailing newline, as k8szk\'s $(...) did', async () => {
    await withFake(() => 'imok\n', async (fake) => expect((await probe('zkOk.sh', fake.port)).status).toBe(0));
  });

  for (const [what, reply] of [
    ['the whitelist refusal of 3.5+', 'ruok is not executed because it is not in the whitelist.\n'],
    ['an empty answer', ''],
    ['a different word', 'imnotok'],
  ] as const) {
    it(`fails on ${what}`, async () => {
      await withFake(() => reply, async (fake) => expect(await probe('zkOk.sh', fake.port)).toMatchObject({ status: 1, stdout: '', stderr: '' }));
    });
  }

  it('fails on a reset', async () => {
    await withFake(() => null, async (fake) => expect((await probe('zkOk.sh', fake.port)).status).toBe(1));
  });

  it('fails at once, silently, when nothing listens', async () => {
    expect(await probe('zkOk.sh', await closedPort())).toMatchObject({ status: 1, stdout: '', stderr: '' });
  });

  it('gives up after ZK_OK_TIMEOUT seconds on a server that never answers', async () => {
    await withFake(null, async (fake) => {
      const result = await probe('zkOk.sh', fake.port, { ZK_OK_TIMEOUT: '1' });
      expect(result.status).toBe(1);
      expect(result.ms).toBeGreaterThanOrEqual(900);
      expect(result.ms).toBeLessThan(4000);
    });
  });
});

describe('zkReady.sh', () => {
  for (const mode of ['leader', 'follower', 'observer', 'standalone']) {
    it(`passes on Mode: ${mode}`, async () => {
      const srvr = `Zookeeper version: 3.8.0\nLatency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 0\nConnections: 1\nOutstanding: 0\nZxid: 0x0\nMode: ${mode}\nNode count: 5\n`;
      await withFake((word) => (word === 'srvr' ? srvr : ''), async (fake) => {
        expect((await probe('zkReady.sh', fake.port)).status).toBe(0);
        expect(fake.seen.map((s) => s.received)).toEqual(['srvr']);
      });
    });
  }

  it('fails outside quorum and says why', async () => {
    await withFake(() => NOT_SERVING, async (fake) => {
      const result = await probe('zkReady.sh', fake.port);
      expect(result.status).toBe(1);
      expect(result.stdout).toBe(`not serving: ${NOT_SERVING}`);
    });
  });

  it('fails on a read-only server', async () => {
    await withFake(() => 'Zookeeper version: 3.8.0\nMode: read-only\n', async (fake) => {
      const result = await probe('zkReady.sh', fake.port);
      expect(result.status).toBe(1);
      expect(result.stdout).toMatch(/mode read-only/);
    });
  });

  it('fails when nothing listens', async () => {
    expect((await probe('zkReady.sh', await closedPort())).status).toBe(1);
  });
});

describe('zkMetrics.sh', () => {
  it('prints the answer as it came, outside quorum too', async () => {
    await withFake(() => NOT_SERVING, async (fake) => {
      expect(await probe('zkMetrics.sh', fake.port)).toMatchObject({ status: 0, stdout: NOT_SERVING });
      expect(fake.seen.map((s) => s.received)).toEqual(['mntr']);
    });
  });

  it('exits 1 with a message when nothing listens', async () => {
    const result = await probe('zkMetrics.sh', await closedPort());
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/no answer to mntr/);
  });
});
