/** Unit tests of the conformance framework itself (no server needed), plus RawSession against Java. */
import { afterEach, describe, expect, it } from 'vitest';
import { javaZooKeeperAvailable, startJavaZooKeeper, type RunningZooKeeper } from '../support/java-zookeeper.js';
import { compareTranscripts, flatten, formatDifference, normaliseTranscript } from './compare.js';
import { decodeMultiResponse, decodeReplyBody } from './decoders.js';
import { RawSession } from './raw-session.js';
import { Op, req } from './requests.js';
import type { Transcript } from './scenario.js';

function transcript(sessionId: bigint, zxids: bigint[], ctime: bigint, owner: bigint, children: string[]): Transcript {
  return {
    scenario: 's',
    sessions: [{ name: 'a', handshake: { sessionId, timeOut: 30000 }, arrivals: ['reply xid=1 err=0'] }],
    steps: zxids.map((z, i) => ({
      label: `step${String(i)}`,
      session: 'a',
      value: { zxid: z, response: { stat: { czxid: z, mzxid: z, pzxid: 0n, ctime, mtime: ctime + 5n, ephemeralOwner: owner }, children } },
    })),
  };
}

describe('normalisation and comparison', () => {
  it('maps zxids, times and session ids so equivalent runs compare equal', () => {
    const a = transcript(0x1000n, [5n, 7n, 5n], 111n, 0x1000n, ['x', 'y']);
    const b = transcript(0x2000n, [9n, 12n, 9n], 999n, 0x2000n, ['y', 'x']);
    expect(compareTranscripts(a, b)).toEqual([]);
    const n = normaliseTranscript(a);
    expect(flatten(n.steps[1]?.value ?? null).get('response.stat.mzxid')).toBe('"Z2"');
    expect(flatten(n.steps[1]?.value ?? null).get('response.stat.ctime')).toBe('"T"');
    expect(flatten(n.steps[1]?.value ?? null).get('response.stat.ephemeralOwner')).toBe('"S1"');
    expect(flatten(n.steps[1]?.value ?? null).get('response.stat.pzxid')).toBe('0');
  });

  it('reports a different zxid pattern, a foreign ephemeralOwner and child order with strictOrder', () => {
    const a = transcript(0x1000n, [5n, 7n, 5n], 1n, 0x1000n, ['x', 'y']);
    const b = transcript(0x2000n, [9n, 12n, 12n], 1n, 0x3000n, ['y', 'x']);
    const lines = compareTranscripts(a, b).map(formatDifference);
    expect(lines).toContain('s / #3 step2 / zxid: java="Z1" ours="Z2"');
    expect(lines).toContain('s / #1 step0 / response.stat.ephemeralOwner: java="S1" ours="0x3000"');
    expect(compareTranscripts(a, transcript(0x2000n, [9n, 12n, 9n], 1n, 0x2000n, ['y', 'x']), { strictOrder: true }).map((d) => d.field)).toContain(
      'response.children[0]',
    );
  });

  it('decodes multi responses and flags undecodable bodies', () => {
    // MultiHeader{1,false,0} CreateResponse{"/a"} MultiHeader{-1,true,-1}
    const body = Buffer.from('00000001' + '00' + '00000000' + '000000022f61' + 'ffffffff' + '01' + 'ffffffff', 'hex');
    expect(decodeMultiResponse(body)).toEqual([
      { type: 1, done: false, err: 0, result: { path: '/a' } },
      { end: { type: -1, done: true, err: -1 } },
    ]);
    expect(decodeReplyBody(Op.exists, Buffer.alloc(0))).toBeNull();
    expect(decodeReplyBody(Op.exists, Buffer.from('00', 'hex'))).toMatchObject({ undecodable: '00' });
  });
});

describe.skipIf(!javaZooKeeperAvailable())('RawSession against Java ZooKeeper 3.8', () => {
  let zk: RunningZooKeeper | undefined;
  afterEach(async () => {
    await zk?.stop();
    zk = undefined;
  });

  it('handshakes, sends requests, sees its own watch fire before the reply, pings and closes', async () => {
    zk = await startJavaZooKeeper();
    const target = { host: '127.0.0.1', port: zk.port };
    const s = await RawSession.connect(target);
    expect(s.handshake.timeOut).toBe(30000);
    expect(s.sessionId).not.toBe(0n);
    expect(s.handshake.readOnly).toBe(false);
    const created = await s.request(Op.create, req.create('/w', 'x').body);
    expect(created.header.err).toBe(0);
    expect(decodeReplyBody(Op.create, created.body)).toEqual({ path: '/w' });
    await s.request(Op.getData, req.getData('/w', true).body);
    const set = await s.request(Op.setData, req.setData('/w', 'y').body);
    expect(set.header.err).toBe(0);
    const kinds = s.inbound.slice(-2).map((f) => f.kind);
    expect(kinds).toEqual(['notification', 'reply']);
    expect(s.notifications()).toEqual([{ type: 3, state: 3, path: '/w' }]);
    const ping = await s.ping();
    expect(ping.header.xid).toBe(-2);
    const closed = await s.close();
    expect(closed?.header.err).toBe(0);
    expect(s.isClosed()).toBe(true);

    const old = await RawSession.connect(target, { readOnly: null });
    expect(old.handshake.readOnly).toBeUndefined();
    expect(old.handshake.raw.length).toBe(36);
    await old.close();
  });
});
