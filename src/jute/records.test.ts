import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JuteDecodeError } from './errors.js';
import { ZOOKEEPER_RECORDS } from './idl/zookeeper.jute.js';
import { parseRecords, type JuteFieldType, type ParsedRecord } from './idl/types.js';
import { JuteReader } from './reader.js';
import { JuteWriter } from './writer.js';
import * as records from './records.js';
import * as jute from './index.js';

type WriteFn = (writer: JuteWriter, value: unknown) => void;
type ReadFn = (reader: JuteReader) => unknown;

const PARSED = parseRecords(ZOOKEEPER_RECORDS);
const NAMESPACE: Readonly<Record<string, unknown>> = records;

function codecOf(name: string): { write: WriteFn; read: ReadFn } {
  const write = NAMESPACE[`write${name}`];
  const read = NAMESPACE[`read${name}`];
  if (typeof write !== 'function' || typeof read !== 'function') {
    throw new Error(`records.ts lacks write${name}/read${name}`);
  }
  return { write: write as WriteFn, read: read as ReadFn };
}

function parsed(name: string): ParsedRecord {
  const rec = PARSED.get(name);
  if (rec === undefined) {
    throw new Error(`unknown record ${name}`);
  }
  return rec;
}

// ---------------------------------------------------------------------------
// Arbitraries derived from the IDL.

const USTRING = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('/', '/zookeeper/quota', 'world', 'anyone', 'digest'),
);

function arbitraryOf(type: JuteFieldType, depth = 0): fc.Arbitrary<unknown> {
  switch (type.kind) {
    case 'int':
      return fc.oneof(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.constantFrom(0, -1, 1));
    case 'long':
      return fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.constantFrom(0n, -1n));
    case 'boolean':
      return fc.boolean();
    case 'ustring':
      return USTRING;
    case 'buffer':
      return fc.option(
        fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a)),
        { nil: null },
      );
    case 'vector':
      return fc.array(arbitraryOf(type.element, depth + 1), { maxLength: depth > 0 ? 2 : 4 });
    case 'record':
      return recordArbitrary(type.name, depth + 1);
  }
}

function recordArbitrary(name: string, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of parsed(name).fields) {
    model[field.name] = arbitraryOf(field.type, depth);
  }
  return fc.record(model);
}

// ---------------------------------------------------------------------------
// Reference encoder interpreting the IDL, independent of JuteWriter.

class RefBytes {
  readonly bytes: number[] = [];

  int(v: number): void {
    const dv = new DataView(new ArrayBuffer(4));
    dv.setInt32(0, v);
    this.raw(new Uint8Array(dv.buffer));
  }

  long(v: bigint): void {
    const dv = new DataView(new ArrayBuffer(8));
    dv.setBigInt64(0, v);
    this.raw(new Uint8Array(dv.buffer));
  }

  raw(b: Uint8Array): void {
    for (const x of b) {
      this.bytes.push(x);
    }
  }
}

function refEncode(out: RefBytes, type: JuteFieldType, value: unknown): void {
  switch (type.kind) {
    case 'int':
      out.int(value as number);
      return;
    case 'long':
      out.long(value as bigint);
      return;
    case 'boolean':
      out.bytes.push(value === true ? 1 : 0);
      return;
    case 'ustring': {
      const utf8 = new TextEncoder().encode(value as string);
      out.int(utf8.length);
      out.raw(utf8);
      return;
    }
    case 'buffer':
      if (value === null) {
        out.int(-1);
      } else {
        out.int((value as Uint8Array).length);
        out.raw(value as Uint8Array);
      }
      return;
    case 'vector': {
      const items = value as unknown[];
      out.int(items.length);
      for (const item of items) {
        refEncode(out, type.element, item);
      }
      return;
    }
    case 'record': {
      const obj = value as Record<string, unknown>;
      for (const field of parsed(type.name).fields) {
        refEncode(out, field.type, obj[field.name]);
      }
      return;
    }
  }
}

function encodeGenerated(name: string, value: unknown): Buffer {
  const w = new JuteWriter(8);
  codecOf(name).write(w, value);
  return Buffer.from(w.toBuffer());
}

function decodeGenerated(name: string, bytes: Uint8Array): unknown {
  const r = new JuteReader(bytes);
  const value = codecOf(name).read(r);
  r.expectEnd();
  return value;
}

// ---------------------------------------------------------------------------

const EXPECTED_RECORDS = [
  'Id', 'ACL', 'Stat', 'StatPersisted', 'ClientInfo',
  'ConnectRequest', 'ConnectResponse', 'SetWatches', 'SetWatches2', 'RequestHeader', 'MultiHeader', 'AuthPacket',
  'ReplyHeader', 'GetDataRequest', 'SetDataRequest', 'ReconfigRequest', 'SetDataResponse', 'GetSASLRequest',
  'SetSASLRequest', 'SetSASLResponse', 'CreateRequest', 'CreateTTLRequest', 'DeleteRequest', 'GetChildrenRequest',
  'GetAllChildrenNumberRequest', 'GetChildren2Request', 'CheckVersionRequest', 'GetMaxChildrenRequest',
  'GetMaxChildrenResponse', 'SetMaxChildrenRequest', 'SyncRequest', 'SyncResponse', 'GetACLRequest', 'SetACLRequest',
  'SetACLResponse', 'AddWatchRequest', 'WatcherEvent', 'ErrorResponse', 'CreateResponse', 'Create2Response',
  'ExistsRequest', 'ExistsResponse', 'GetDataResponse', 'GetChildrenResponse', 'GetAllChildrenNumberResponse',
  'GetChildren2Response', 'GetACLResponse', 'CheckWatchesRequest', 'RemoveWatchesRequest', 'GetEphemeralsRequest',
  'GetEphemeralsResponse', 'WhoAmIResponse',
  'LearnerInfo', 'QuorumPacket', 'QuorumAuthPacket',
  'FileHeader',
  'TxnDigest', 'TxnHeader', 'CreateTxnV0', 'CreateTxn', 'CreateTTLTxn', 'CreateContainerTxn', 'DeleteTxn',
  'SetDataTxn', 'CheckVersionTxn', 'SetACLTxn', 'SetMaxChildrenTxn', 'CreateSessionTxn', 'CloseSessionTxn',
  'ErrorTxn', 'Txn', 'MultiTxn',
];

describe('generated records', () => {
  it('cover every record of zookeeper.jute (3.8), each with read/write exported from index', () => {
    expect(ZOOKEEPER_RECORDS.map((r) => r.name)).toEqual(EXPECTED_RECORDS);
    const index: Readonly<Record<string, unknown>> = jute;
    for (const name of EXPECTED_RECORDS) {
      codecOf(name);
      expect(typeof index[`write${name}`]).toBe('function');
      expect(typeof index[`read${name}`]).toBe('function');
    }
  });

  describe.each(ZOOKEEPER_RECORDS.map((r) => r.name))('%s', (name) => {
    const arb = recordArbitrary(name);
    const recordType: JuteFieldType = { kind: 'record', name };

    it('round-trips and matches the IDL reference encoding', () => {
      fc.assert(
        fc.property(arb, (value) => {
          const bytes = encodeGenerated(name, value);
          const ref = new RefBytes();
          refEncode(ref, recordType, value);
          expect(bytes.toString('hex')).toBe(Buffer.from(ref.bytes).toString('hex'));
          expect(decodeGenerated(name, bytes)).toEqual(value);
        }),
        { numRuns: 100 },
      );
    });

    it('rejects every truncation with JuteDecodeError', () => {
      fc.assert(
        fc.property(arb, fc.nat(), (value, cut) => {
          const bytes = encodeGenerated(name, value);
          const prefix = bytes.subarray(0, cut % bytes.length);
          expect(() => codecOf(name).read(new JuteReader(prefix))).toThrow(JuteDecodeError);
        }),
        { numRuns: 40 },
      );
    });

    it('decodes random bytes or throws JuteDecodeError, nothing else', () => {
      const byte = fc.oneof(fc.constantFrom(0, 0xff), fc.integer({ min: 0, max: 255 }));
      fc.assert(
        fc.property(fc.array(byte, { maxLength: 96 }), (bytes) => {
          try {
            decodeGenerated(name, Uint8Array.from(bytes));
          } catch (err) {
            expect(err).toBeInstanceOf(JuteDecodeError);
          }
        }),
        { numRuns: 100 },
      );
    });
  });
});

describe('record golden bytes (hand-encoded from the jute layout)', () => {
  it('ConnectRequest', () => {
    const req: records.ConnectRequest = {
      protocolVersion: 0,
      lastZxidSeen: 0x1_0000_0002n,
      timeOut: 30000,
      sessionId: 0n,
      passwd: Buffer.alloc(16),
    };
    const expected =
      '00000000' + // protocolVersion
      '0000000100000002' + // lastZxidSeen
      '00007530' + // timeOut = 30000
      '0000000000000000' + // sessionId
      '00000010' + '00'.repeat(16); // passwd: length 16 + bytes
    const bytes = encodeGenerated('ConnectRequest', req);
    expect(bytes.toString('hex')).toBe(expected);
    expect(bytes.length).toBe(44);
    expect(records.readConnectRequest(new JuteReader(Buffer.from(expected, 'hex')))).toEqual(req);
  });

  it('ReplyHeader', () => {
    const h: records.ReplyHeader = { xid: -2, zxid: 0x1234n, err: -101 };
    const expected = 'fffffffe' + '0000000000001234' + 'ffffff9b';
    expect(encodeGenerated('ReplyHeader', h).toString('hex')).toBe(expected);
    expect(records.readReplyHeader(new JuteReader(Buffer.from(expected, 'hex')))).toEqual(h);
  });

  it('RequestHeader + CreateRequest with a world:anyone ACL', () => {
    const w = new JuteWriter();
    records.writeRequestHeader(w, { xid: 1, type: 1 });
    records.writeCreateRequest(w, {
      path: '/a',
      data: Buffer.from('hi'),
      acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }],
      flags: 1,
    });
    const expected =
      '00000001' + '00000001' + // xid, type
      '00000002' + '2f61' + // path "/a"
      '00000002' + '6869' + // data "hi"
      '00000001' + // acl count
      '0000001f' + // perms
      '00000005' + '776f726c64' + // scheme "world"
      '00000006' + '616e796f6e65' + // id "anyone"
      '00000001'; // flags
    expect(w.toBuffer().toString('hex')).toBe(expected);
  });

  it('Stat', () => {
    const stat: records.Stat = {
      czxid: 1n,
      mzxid: 2n,
      ctime: 3n,
      mtime: 4n,
      version: 5,
      cversion: 6,
      aversion: 7,
      ephemeralOwner: 8n,
      dataLength: 9,
      numChildren: 10,
      pzxid: 11n,
    };
    const l = (n: number): string => n.toString(16).padStart(16, '0');
    const i = (n: number): string => n.toString(16).padStart(8, '0');
    const expected = l(1) + l(2) + l(3) + l(4) + i(5) + i(6) + i(7) + l(8) + i(9) + i(10) + l(11);
    const bytes = encodeGenerated('Stat', stat);
    expect(bytes.length).toBe(68);
    expect(bytes.toString('hex')).toBe(expected);
  });

  it('maps null ustrings to "" and null vectors to [], but keeps null buffers', () => {
    const bytes = Buffer.from('ffffffff' + 'ffffffff' + 'ffffffff' + '00000000', 'hex');
    expect(decodeGenerated('CreateRequest', bytes)).toEqual({ path: '', data: null, acl: [], flags: 0 });
    expect(decodeGenerated('SetWatches', Buffer.from('00'.repeat(8) + 'ff'.repeat(12), 'hex'))).toEqual({
      relativeZxid: 0n,
      dataWatches: [],
      existWatches: [],
      childWatches: [],
    });
    expect(decodeGenerated('GetChildrenResponse', Buffer.from('00000001ffffffff', 'hex'))).toEqual({
      children: [''],
    });
  });

  it('rejects an ACL vector count that cannot fit (min 12 bytes per ACL) before decoding items', () => {
    // path "", data null, acl count 2 with only 16 bytes left.
    const bytes = Buffer.from('00000000' + 'ffffffff' + '00000002' + '00'.repeat(16), 'hex');
    expect(() => decodeGenerated('CreateRequest', bytes)).toThrow(/vector count 2 needs at least 24 bytes/);
  });

  it('decoded buffers are views into the input', () => {
    const bytes = encodeGenerated('GetDataResponse', {
      data: Buffer.from('payload'),
      stat: records.readStat(new JuteReader(Buffer.alloc(68))),
    });
    const decoded = records.readGetDataResponse(new JuteReader(bytes));
    expect(decoded.data?.buffer).toBe(bytes.buffer);
    expect(decoded.data?.toString()).toBe('payload');
  });
});
