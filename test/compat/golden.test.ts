/**
 * Well-formedness checks of the golden wire transcripts captured from real clients talking to a
 * real ZooKeeper 3.8.0 (see README.md). Parses the first fields by hand with DataView, on purpose
 * independent of src/jute; decode checks through the codec belong next to it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), 'golden');

interface Chunk {
  conn: number;
  dir: 'c2s' | 's2c';
  raw: boolean;
  bytes: Uint8Array;
}

interface Transcript {
  name: string;
  header: { capture: string; description: string; command: string; server: string };
  chunks: Chunk[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function loadTranscript(file: string): Transcript {
  const lines = readFileSync(join(goldenDir, file), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const first: unknown = JSON.parse(lines[0] ?? '{}');
  if (!isRecord(first) || !isRecord(first['header'])) throw new Error(`${file}: first line is not a header`);
  const h = first['header'];
  const str = (k: string): string => {
    const v = h[k];
    if (typeof v !== 'string') throw new Error(`${file}: header.${k} missing`);
    return v;
  };
  const chunks = lines.slice(1).map((line, i): Chunk => {
    const v: unknown = JSON.parse(line);
    if (!isRecord(v)) throw new Error(`${file}:${String(i + 2)} not an object`);
    const { conn, dir, raw, hex } = v;
    if (typeof conn !== 'number' || (dir !== 'c2s' && dir !== 's2c') || typeof raw !== 'boolean' || typeof hex !== 'string') {
      throw new Error(`${file}:${String(i + 2)} malformed chunk ${line}`);
    }
    if (!/^([0-9a-f]{2})*$/.test(hex)) throw new Error(`${file}:${String(i + 2)} bad hex`);
    return { conn, dir, raw, bytes: Uint8Array.from(Buffer.from(hex, 'hex')) };
  });
  return {
    name: file,
    header: { capture: str('capture'), description: str('description'), command: str('command'), server: str('server') },
    chunks,
  };
}

const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Hand-parsed ConnectRequest body (after the length prefix). */
function parseConnectRequest(body: DataView): {
  protocolVersion: number;
  lastZxidSeen: bigint;
  timeOut: number;
  sessionId: bigint;
  passwdLen: number;
  readOnly: boolean | undefined;
} {
  const passwdLen = body.getInt32(24);
  const end = 28 + Math.max(passwdLen, 0);
  return {
    protocolVersion: body.getInt32(0),
    lastZxidSeen: body.getBigInt64(4),
    timeOut: body.getInt32(12),
    sessionId: body.getBigInt64(16),
    passwdLen,
    readOnly: body.byteLength > end ? body.getUint8(end) !== 0 : undefined,
  };
}

function parseConnectResponse(body: DataView): {
  protocolVersion: number;
  timeOut: number;
  sessionId: bigint;
  passwdLen: number;
  readOnly: boolean | undefined;
} {
  const passwdLen = body.getInt32(16);
  const end = 20 + Math.max(passwdLen, 0);
  return {
    protocolVersion: body.getInt32(0),
    timeOut: body.getInt32(4),
    sessionId: body.getBigInt64(8),
    passwdLen,
    readOnly: body.byteLength > end ? body.getUint8(end) !== 0 : undefined,
  };
}

const files = readdirSync(goldenDir).filter((f) => f.endsWith('.jsonl')).sort();
const framedFiles = files.filter((f) => f !== 'four-letter-words.jsonl');

describe('golden transcripts', () => {
  it('has the expected captures', () => {
    expect(files).toEqual(
      expect.arrayContaining(['zkcli.jsonl', 'kazoo.jsonl', 'cli_mt.jsonl', 'node-zookeeper-client.jsonl', 'four-letter-words.jsonl']),
    );
  });

  describe.each(framedFiles)('%s', (file) => {
    const t = loadTranscript(file);
    const framed = t.chunks.filter((c) => !c.raw);
    const connections = [...new Set(t.chunks.map((c) => c.conn))];

    it('has a header and only framed chunks', () => {
      expect(t.header.capture).toBe(file.replace(/\.jsonl$/, ''));
      expect(t.header.server).toContain('3.8.0');
      expect(t.chunks.length).toBeGreaterThanOrEqual(4);
      expect(t.chunks.filter((c) => c.raw)).toEqual([]);
    });

    it("every frame's length prefix matches its bytes", () => {
      for (const c of framed) {
        expect(c.bytes.byteLength).toBeGreaterThanOrEqual(4);
        const len = view(c.bytes).getInt32(0);
        expect(len).toBe(c.bytes.byteLength - 4);
      }
    });

    it.each(connections)('connection %i starts with a ConnectRequest/ConnectResponse handshake', (conn) => {
      const mine = framed.filter((c) => c.conn === conn);
      const req = mine.find((c) => c.dir === 'c2s');
      const resp = mine.find((c) => c.dir === 's2c');
      if (req === undefined || resp === undefined) throw new Error('no handshake');
      expect(mine[0]).toBe(req);
      // protocolVersion int, lastZxidSeen long, timeOut int, sessionId long, passwd buffer, [readOnly bool]
      const cr = parseConnectRequest(view(req.bytes.subarray(4)));
      expect(cr.protocolVersion).toBe(0);
      expect(cr.lastZxidSeen).toBe(0n);
      expect(cr.timeOut).toBeGreaterThan(0);
      expect(cr.sessionId).toBe(0n);
      expect(cr.passwdLen).toBe(16);
      expect(req.bytes.byteLength - 4).toBe(44 + (cr.readOnly === undefined ? 0 : 1));
      if (cr.readOnly !== undefined) expect(cr.readOnly).toBe(false);

      const rs = parseConnectResponse(view(resp.bytes.subarray(4)));
      expect(rs.protocolVersion).toBe(0);
      expect(rs.timeOut).toBeGreaterThan(0);
      expect(rs.timeOut).toBeLessThanOrEqual(Math.max(cr.timeOut, 40_000));
      expect(rs.sessionId).not.toBe(0n);
      expect(rs.passwdLen).toBe(16);
      // The server appends the readOnly flag only when the client sent one (old clients get 36 bytes).
      expect(rs.readOnly === undefined).toBe(cr.readOnly === undefined);
      expect(resp.bytes.byteLength - 4).toBe(36 + (rs.readOnly === undefined ? 0 : 1));
      if (rs.readOnly !== undefined) expect(rs.readOnly).toBe(false);
    });

    it.each(connections)('connection %i: every request gets one reply with its xid, in order; notifications have xid -1', (conn) => {
      const mine = framed.filter((c) => c.conn === conn).slice(2);
      const pending: number[] = [];
      let lastZxid = 0n;
      let sawClose = false;
      for (const c of mine) {
        const dv = view(c.bytes);
        if (c.dir === 'c2s') {
          const xid = dv.getInt32(4);
          const type = dv.getInt32(8);
          expect(sawClose).toBe(false);
          if (type === -11) sawClose = true;
          // ping is xid -2 / type 11; auth is xid -4 / type 100; set watches xid -8 / type 101 or 105
          if (xid === -2) expect(type).toBe(11);
          pending.push(xid);
        } else {
          expect(c.bytes.byteLength).toBeGreaterThanOrEqual(4 + 16); // ReplyHeader: int xid, long zxid, int err
          const xid = dv.getInt32(4);
          const zxid = dv.getBigInt64(8);
          const err = dv.getInt32(16);
          if (xid === -1) {
            // WatcherEvent: int type, int state, ustring path
            expect(zxid).toBe(-1n);
            expect(err).toBe(0);
            const type = dv.getInt32(20);
            const state = dv.getInt32(24);
            const pathLen = dv.getInt32(28);
            expect(type).toBeGreaterThanOrEqual(1);
            expect(type).toBeLessThanOrEqual(7);
            expect(state).toBe(3); // SyncConnected
            expect(c.bytes.byteLength).toBe(32 + pathLen);
            continue;
          }
          expect(pending.shift()).toBe(xid);
          if (xid !== -2) {
            expect(zxid).toBeGreaterThanOrEqual(lastZxid);
            lastZxid = zxid;
          }
        }
      }
      expect(pending).toEqual([]);
      expect(sawClose).toBe(true);
    });
  });

  it('four-letter-words: ruok answers imok, srvr reports version 3.8.0, each on its own raw connection', () => {
    const t = loadTranscript('four-letter-words.jsonl');
    expect(t.chunks.every((c) => c.raw)).toBe(true);
    const text = (conn: number, dir: 'c2s' | 's2c'): string =>
      Buffer.concat(t.chunks.filter((c) => c.conn === conn && c.dir === dir).map((c) => c.bytes)).toString('utf8');
    expect(text(0, 'c2s')).toBe('ruok');
    expect(text(0, 's2c')).toBe('imok');
    expect(text(1, 'c2s')).toBe('srvr');
    expect(text(1, 's2c')).toMatch(/^Zookeeper version: 3\.8\.0/);
    expect(text(1, 's2c')).toContain('Mode: standalone');
  });

  it('zkcli: the create carries path /g and data "hello", stat /missing fails with NoNode (-101)', () => {
    const t = loadTranscript('zkcli.jsonl');
    const c2s = t.chunks.filter((c) => c.dir === 'c2s').slice(1);
    const create = c2s.find((c) => view(c.bytes).getInt32(8) === 1);
    if (create === undefined) throw new Error('no create');
    const dv = view(create.bytes);
    expect(dv.getInt32(12)).toBe(2);
    expect(Buffer.from(create.bytes.subarray(16, 18)).toString()).toBe('/g');
    expect(dv.getInt32(18)).toBe(5);
    expect(Buffer.from(create.bytes.subarray(22, 27)).toString()).toBe('hello');
    const exists = c2s.filter((c) => view(c.bytes).getInt32(8) === 3).at(-1);
    if (exists === undefined) throw new Error('no exists');
    const xid = view(exists.bytes).getInt32(4);
    const reply = t.chunks.find((c) => c.dir === 's2c' && view(c.bytes).getInt32(4) === xid);
    if (reply === undefined) throw new Error('no reply');
    expect(view(reply.bytes).getInt32(16)).toBe(-101);
    expect(reply.bytes.byteLength).toBe(20); // error replies carry no body
  });
});
