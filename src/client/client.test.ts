// The client's answers that the Jepsen harness relies on, against a scripted fake server (so the
// server's side can misbehave on purpose): close() resolves true only when the server answered the
// closeSession, false when it did not (silent, or the connection dropped), and every reply's zxid
// reaches onReply listeners before the request settles.

import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';

import { FrameDecoder, JuteReader, encodeFrame, readConnectRequest, readRequestHeader, writeConnectResponse, writeReplyHeader } from '../jute/index.js';
import { ErrorCode } from '../protocol/error-code.js';
import { OpCode, Xid } from '../protocol/op-code.js';
import { ZooKeeperClient, type ReplyInfo } from './index.js';

type CloseBehaviour = 'answer' | 'silent' | 'drop';

interface FakeServer {
  readonly server: Server;
  readonly port: number;
  readonly received: number[];
}

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/**
 * Answers the handshake, then every request with the next zxid (0x100, 0x101...): `exists` with
 * NoNode, anything else with an empty OK body, and closeSession as `onClose` says.
 */
async function fakeServer(onClose: CloseBehaviour): Promise<FakeServer> {
  const received: number[] = [];
  let zxid = 0x100n;
  const server = createServer((socket) => {
    sockets.push(socket);
    const decoder = new FrameDecoder({ maxFrameBytes: 1 << 20 });
    let handshaken = false;
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const reader = new JuteReader(frame, { maxBufferBytes: 1 << 20 });
        if (!handshaken) {
          readConnectRequest(reader);
          handshaken = true;
          socket.write(
            encodeFrame((w) => {
              writeConnectResponse(w, { protocolVersion: 0, timeOut: 10_000, sessionId: 0x1234n, passwd: Buffer.alloc(16, 1) });
              w.writeBoolean(false);
            }),
          );
          continue;
        }
        const header = readRequestHeader(reader);
        if (header.type === OpCode.ping) {
          socket.write(encodeFrame((w) => writeReplyHeader(w, { xid: Xid.ping, zxid: zxid - 1n, err: 0 })));
          continue;
        }
        received.push(header.type);
        if (header.type === OpCode.closeSession) {
          if (onClose === 'drop') socket.destroy();
          if (onClose !== 'answer') continue;
        }
        const err = header.type === OpCode.exists ? ErrorCode.noNode : 0;
        socket.write(encodeFrame((w) => writeReplyHeader(w, { xid: header.xid, zxid: zxid++, err })));
        if (header.type === OpCode.closeSession) socket.end();
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port, received };
}

describe('client: confirmed close', () => {
  it('resolves true once the server answered closeSession', async () => {
    const fake = await fakeServer('answer');
    const zk = await ZooKeeperClient.connect(`127.0.0.1:${String(fake.port)}`, { sessionTimeoutMs: 10_000 });
    expect(await zk.close()).toBe(true);
    expect(fake.received).toEqual([OpCode.closeSession]);
    expect(zk.state).toBe('CLOSED');
    // closing again answers what the first close found, and sends nothing
    expect(await zk.close()).toBe(true);
    expect(fake.received).toEqual([OpCode.closeSession]);
  });

  it('resolves false when the server never answers closeSession within the timeout', async () => {
    const fake = await fakeServer('silent');
    const zk = await ZooKeeperClient.connect(`127.0.0.1:${String(fake.port)}`, { sessionTimeoutMs: 10_000 });
    const started = Date.now();
    expect(await zk.close(300)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(zk.state).toBe('CLOSED');
  });

  it('resolves false when the connection drops before the answer', async () => {
    const fake = await fakeServer('drop');
    const zk = await ZooKeeperClient.connect(`127.0.0.1:${String(fake.port)}`, { sessionTimeoutMs: 10_000 });
    expect(await zk.close(5000)).toBe(false);
    expect(zk.state).toBe('CLOSED');
  });
});

describe('client: reply zxids', () => {
  it('gives every reply header to onReply listeners before the request settles', async () => {
    const fake = await fakeServer('answer');
    const zk = await ZooKeeperClient.connect(`127.0.0.1:${String(fake.port)}`, { sessionTimeoutMs: 10_000 });
    const replies: ReplyInfo[] = [];
    const off = zk.onReply((r) => replies.push(r));
    let seenBeforeSettled = -1;
    await zk.delete('/a').then(() => {
      seenBeforeSettled = replies.length;
    });
    expect(seenBeforeSettled).toBe(1);
    expect(await zk.exists('/b')).toBeNull();
    expect(replies.map((r) => [r.op, r.zxid, r.err])).toEqual([
      [OpCode.delete, 0x100n, 0],
      [OpCode.exists, 0x101n, ErrorCode.noNode],
    ]);
    expect(zk.lastZxid).toBe(0x101n);
    off();
    await zk.delete('/c');
    expect(replies).toHaveLength(2);
    await zk.close();
  });
});
