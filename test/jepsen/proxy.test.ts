// The userspace link proxy: pass-through, cut (held, then delivered), delay, reset, and the
// election-link framing (initial message rewrite, duplicated frames).
import { connect, createServer, type Server, type Socket } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { freePort } from '../support/free-port.js';
import { HEALTHY, TcpProxy, type LinkPolicy } from './net/proxy.js';
import { Rng } from './runner/rng.js';

const servers: Server[] = [];
const proxies: TcpProxy[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const p of proxies.splice(0)) await p.close();
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
});

/** A server that records what it receives and echoes it back. */
async function echoServer(): Promise<{ port: number; received: () => Buffer }> {
  const chunks: Buffer[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      s.write(d);
    });
    s.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  return { port: addr.port, received: () => Buffer.concat(chunks) };
}

async function startProxy(port: number, policy: () => LinkPolicy, extra: Partial<ConstructorParameters<typeof TcpProxy>[0]> = {}): Promise<TcpProxy> {
  const p = new TcpProxy({ name: 'test', listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port }, upstream: policy, downstream: policy, rng: new Rng(1), ...extra });
  proxies.push(p);
  await p.start();
  return p;
}

function client(port: number): Promise<{ socket: Socket; data: () => Buffer; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, data: () => Buffer.concat(chunks), closed }));
    socket.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TcpProxy', () => {
  it('passes bytes both ways when healthy', async () => {
    const echo = await echoServer();
    const p = await startProxy(echo.port, () => HEALTHY);
    const c = await client(p.port);
    c.socket.write('hello');
    for (let i = 0; i < 100 && c.data().length < 5; i++) await sleep(10);
    expect(c.data().toString()).toBe('hello');
    expect(echo.received().toString()).toBe('hello');
  });

  it('holds bytes while cut and delivers them, in order, once healed', async () => {
    const echo = await echoServer();
    let policy: LinkPolicy = { cut: true };
    const p = await startProxy(echo.port, () => policy);
    const c = await client(p.port);
    c.socket.write('abc');
    c.socket.write('def');
    await sleep(150);
    expect(echo.received().length).toBe(0);
    policy = HEALTHY;
    p.kick();
    for (let i = 0; i < 100 && c.data().length < 6; i++) await sleep(10);
    expect(echo.received().toString()).toBe('abcdef');
    expect(c.data().toString()).toBe('abcdef');
  });

  it('delays delivery', async () => {
    const echo = await echoServer();
    const p = await startProxy(echo.port, () => ({ delayMs: 100 }));
    const c = await client(p.port);
    const t0 = Date.now();
    c.socket.write('x');
    for (let i = 0; i < 200 && c.data().length < 1; i++) await sleep(5);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190); // 100 ms each way
  });

  it('resets connections', async () => {
    const echo = await echoServer();
    const p = await startProxy(echo.port, () => HEALTHY);
    const c = await client(p.port);
    c.socket.write('x');
    await sleep(50);
    p.resetAll();
    await c.closed;
    expect(p.stats.resets).toBe(1);
  });

  it('with connectRetryMs, tries a target that is not listening yet again, the client waiting', async () => {
    const port = await freePort();
    const p = await startProxy(port, () => HEALTHY, { connectRetryMs: 2000 });
    const c = await client(p.port);
    c.socket.write('early');
    await sleep(300);
    const chunks: Buffer[] = [];
    const late = createServer((s) => {
      sockets.push(s);
      s.on('data', (d: Buffer) => {
        chunks.push(d);
        s.write(d);
      });
      s.on('error', () => undefined);
    });
    servers.push(late);
    await new Promise<void>((resolve) => late.listen(port, '127.0.0.1', () => resolve()));
    for (let i = 0; i < 200 && c.data().length < 5; i++) await sleep(10);
    expect(Buffer.concat(chunks).toString()).toBe('early');
    expect(c.data().toString()).toBe('early');
  });

  it('without connectRetryMs, or once it ran out, closes a client whose target refuses it', async () => {
    const port = await freePort();
    const at = Date.now();
    const p = await startProxy(port, () => HEALTHY);
    await (await client(p.port)).closed;
    const q = await startProxy(port, () => HEALTHY, { connectRetryMs: 300 });
    await (await client(q.port)).closed;
    expect(Date.now() - at).toBeGreaterThanOrEqual(250);
    expect(p.stats.open + q.stats.open).toBe(0);
  });

  it('rewrites the election initial message and duplicates frames on election links', async () => {
    const echo = await echoServer();
    const p = await startProxy(echo.port, () => ({ duplicatePct: 100 }), { framing: 'zk-election', electionAddress: () => '127.0.0.1:4242', downstream: () => HEALTHY });
    const c = await client(p.port);
    const addr = Buffer.from('127.0.0.1:3888');
    const init = Buffer.alloc(20);
    init.writeBigInt64BE(-65536n, 0);
    init.writeBigInt64BE(2n, 8);
    init.writeInt32BE(addr.length, 16);
    const frame = Buffer.alloc(8);
    frame.writeInt32BE(4, 0);
    frame.write('vote', 4);
    // split across writes to exercise reassembly
    const all = Buffer.concat([init, addr, frame]);
    c.socket.write(all.subarray(0, 7));
    await sleep(20);
    c.socket.write(all.subarray(7));
    const expectedAddr = Buffer.from('127.0.0.1:4242');
    const expectedLen = 20 + expectedAddr.length + 2 * frame.length;
    for (let i = 0; i < 100 && echo.received().length < expectedLen; i++) await sleep(10);
    const got = echo.received();
    expect(got.readBigInt64BE(0)).toBe(-65536n);
    expect(got.readBigInt64BE(8)).toBe(2n);
    expect(got.readInt32BE(16)).toBe(expectedAddr.length);
    expect(got.subarray(20, 20 + expectedAddr.length).toString()).toBe('127.0.0.1:4242');
    expect(got.subarray(20 + expectedAddr.length)).toEqual(Buffer.concat([frame, frame]));
    expect(p.stats.rewrittenInitialMessages).toBe(1);
    expect(p.stats.duplicated).toBe(1);
  });
});
