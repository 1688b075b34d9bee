/**
 * Decoding of reply bodies per request opcode into plain comparable values (the response record of
 * each opcode as the 3.8 server's FinalRequestProcessor sends it), and value helpers.
 */
import {
  JuteReader,
  decodeRecord,
  readCreate2Response,
  readCreateResponse,
  readErrorResponse,
  readExistsResponse,
  readGetACLResponse,
  readGetAllChildrenNumberResponse,
  readGetChildren2Response,
  readGetChildrenResponse,
  readGetDataResponse,
  readGetEphemeralsResponse,
  readMultiHeader,
  readSetACLResponse,
  readSetDataResponse,
  readSetSASLResponse,
  readSyncResponse,
  readWhoAmIResponse,
} from '../../src/jute/index.js';
import { Op } from './requests.js';

/** A JSON-like value that normalisation and comparison work on. */
export type Value = null | boolean | number | string | bigint | readonly Value[] | { readonly [key: string]: Value };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Printable UTF-8 data is shown as `utf8:<text>`, anything else as `hex:<bytes>`. */
export function bytesValue(b: Uint8Array): string {
  const buf = Buffer.from(b);
  const text = buf.toString('utf8');
  const printable = Buffer.from(text, 'utf8').equals(buf) && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/.test(text);
  return printable ? `utf8:${text}` : `hex:${buf.toString('hex')}`;
}

/** Converts decoded records (bigints, Buffers, arrays, nested objects) into a Value. */
export function toValue(x: unknown): Value {
  if (x === null || x === undefined) return null;
  if (typeof x === 'boolean' || typeof x === 'number' || typeof x === 'string' || typeof x === 'bigint') return x;
  if (x instanceof Uint8Array) return bytesValue(x);
  if (Array.isArray(x)) return x.map((e: unknown) => toValue(e));
  if (isPlainObject(x)) {
    const out: Record<string, Value> = {};
    for (const [k, v] of Object.entries(x)) out[k] = toValue(v);
    return out;
  }
  return String(x);
}

type BodyDecoder = (body: Buffer) => Value;

function record<T>(read: (r: JuteReader) => T): BodyDecoder {
  return (body) => toValue(decodeRecord(read, body));
}

/** MultiResponse: repeated MultiHeader{type,done,err} + per-type record until done. */
export function decodeMultiResponse(body: Buffer): Value {
  const r = new JuteReader(body);
  const results: Value[] = [];
  for (;;) {
    const h = readMultiHeader(r);
    if (h.done) {
      results.push({ end: { type: h.type, done: h.done, err: h.err } });
      break;
    }
    let result: Value;
    switch (h.type) {
      case Op.create:
        result = toValue(readCreateResponse(r));
        break;
      case Op.create2:
        result = toValue(readCreate2Response(r));
        break;
      case Op.delete:
      case Op.check:
        result = null;
        break;
      case Op.setData:
        result = toValue(readSetDataResponse(r));
        break;
      case Op.getChildren:
        result = toValue(readGetChildrenResponse(r));
        break;
      case Op.getData:
        result = toValue(readGetDataResponse(r));
        break;
      case Op.error:
        result = toValue(readErrorResponse(r));
        break;
      default:
        throw new Error(`unknown multi result type ${String(h.type)}`);
    }
    results.push({ type: h.type, done: h.done, err: h.err, result });
  }
  r.expectEnd();
  return results;
}

/**
 * opcode → decoder of the reply body. Opcodes without an entry never carry a body (delete, ping,
 * closeSession, auth, setWatches, setWatches2, checkWatches, removeWatches, deleteContainer).
 */
export const RESPONSE_DECODERS: ReadonlyMap<number, BodyDecoder> = new Map<number, BodyDecoder>([
  [Op.create, record(readCreateResponse)],
  [Op.create2, record(readCreate2Response)],
  [Op.createContainer, record(readCreate2Response)],
  [Op.createTTL, record(readCreate2Response)],
  [Op.exists, record(readExistsResponse)],
  [Op.getData, record(readGetDataResponse)],
  [Op.setData, record(readSetDataResponse)],
  [Op.getACL, record(readGetACLResponse)],
  [Op.setACL, record(readSetACLResponse)],
  [Op.getChildren, record(readGetChildrenResponse)],
  [Op.getChildren2, record(readGetChildren2Response)],
  [Op.sync, record(readSyncResponse)],
  [Op.check, record(readSetDataResponse)],
  [Op.reconfig, record(readGetDataResponse)],
  [Op.multi, decodeMultiResponse],
  [Op.multiRead, decodeMultiResponse],
  [Op.getEphemerals, record(readGetEphemeralsResponse)],
  [Op.getAllChildrenNumber, record(readGetAllChildrenNumberResponse)],
  [Op.addWatch, record(readErrorResponse)],
  [Op.whoAmI, record(readWhoAmIResponse)],
  [Op.sasl, record(readSetSASLResponse)],
]);

/**
 * Decodes a reply body for `op`: null for an empty body, the decoded record, or, when the body
 * does not decode (or the opcode has no decoder), `{ undecodable: hex, reason }` so it still
 * takes part in the comparison.
 */
export function decodeReplyBody(op: number, body: Buffer): Value {
  if (body.length === 0) return null;
  const decoder = RESPONSE_DECODERS.get(op);
  if (decoder === undefined) return { undecodable: body.toString('hex'), reason: 'no response record for this opcode' };
  try {
    return decoder(body);
  } catch (err) {
    return { undecodable: body.toString('hex'), reason: err instanceof Error ? err.message : String(err) };
  }
}
