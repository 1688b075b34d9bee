// Raw reconfig requests as a client sends them (a jute ReconfigRequest with its null strings: Java
// clients send null for the fields a form does not use), and the reply read back: the error code,
// the txn's zxid and, on success, the new configuration's text.

import { JuteReader, JuteWriter, readGetDataResponse } from '../../src/jute/index.js';
import { OpCode } from '../../src/protocol/op-code.js';
import type { ReconfigRequestFields } from '../../src/reconfig/index.js';
import { RawSession } from '../conformance/raw-session.js';

export interface ReconfigReply {
  readonly err: number;
  readonly zxid: bigint;
  readonly configText: string | null;
}

/** A request with every field unset (null strings, curConfigId -1) but those given. */
export function reconfigRequest(fields: Partial<ReconfigRequestFields>): ReconfigRequestFields {
  return { joiningServers: null, leavingServers: null, newMembers: null, curConfigId: -1n, ...fields };
}

export function reconfigRequestBody(request: ReconfigRequestFields): Buffer {
  const writer = new JuteWriter();
  writer.writeUstring(request.joiningServers);
  writer.writeUstring(request.leavingServers);
  writer.writeUstring(request.newMembers);
  writer.writeLong(request.curConfigId);
  return writer.toBuffer();
}

export function reconfigReplyOf(reply: { header: { err: number; zxid: bigint }; body: Buffer }): ReconfigReply {
  const configText = reply.header.err === 0 ? (readGetDataResponse(new JuteReader(reply.body)).data?.toString('utf8') ?? '') : null;
  return { err: reply.header.err, zxid: reply.header.zxid, configText };
}

/** Sends one reconfig on a fresh session to the client port `port` of 127.0.0.1. */
export async function sendReconfig(port: number, request: ReconfigRequestFields): Promise<ReconfigReply> {
  const session = await RawSession.connect({ host: '127.0.0.1', port });
  try {
    return reconfigReplyOf(await session.request(OpCode.reconfig, reconfigRequestBody(request), { timeoutMs: 30_000 }));
  } finally {
    await session.close();
  }
}
