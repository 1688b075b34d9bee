// What the server sends back: a ReplyHeader and, per op, a response record. Replies are values
// until the connection encodes them, so the pipeline stays free of I/O and tests can compare them.

import {
  encodeFrame,
  JuteWriter,
  writeConnectResponse,
  writeCreate2Response,
  writeCreateResponse,
  writeErrorResponse,
  writeGetACLResponse,
  writeGetAllChildrenNumberResponse,
  writeGetChildren2Response,
  writeGetChildrenResponse,
  writeGetDataResponse,
  writeGetEphemeralsResponse,
  writeMultiHeader,
  writeReplyHeader,
  writeSetDataResponse,
  writeSetSASLResponse,
  writeStat,
  writeSyncResponse,
  writeWatcherEvent,
  writeWhoAmIResponse,
  type ACL,
  type ClientInfo,
  type Stat,
} from '../jute/index.js';
import { OpCode, Xid } from '../protocol/op-code.js';
import { KeeperState } from '../protocol/constants.js';

export type MultiResult =
  | { readonly kind: 'create'; readonly path: string }
  | { readonly kind: 'create2'; readonly path: string; readonly stat: Stat }
  | { readonly kind: 'delete' }
  | { readonly kind: 'setData'; readonly stat: Stat }
  | { readonly kind: 'check' }
  | { readonly kind: 'getChildren'; readonly children: string[] }
  | { readonly kind: 'getData'; readonly data: Buffer | null; readonly stat: Stat }
  | { readonly kind: 'error'; readonly err: number };

export type ReplyBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'create'; readonly path: string }
  | { readonly kind: 'create2'; readonly path: string; readonly stat: Stat }
  | { readonly kind: 'stat'; readonly stat: Stat }
  | { readonly kind: 'getData'; readonly data: Buffer | null; readonly stat: Stat }
  | { readonly kind: 'getACL'; readonly acl: ACL[]; readonly stat: Stat }
  | { readonly kind: 'children'; readonly children: string[] }
  | { readonly kind: 'children2'; readonly children: string[]; readonly stat: Stat }
  | { readonly kind: 'count'; readonly count: number }
  | { readonly kind: 'ephemerals'; readonly paths: string[] }
  | { readonly kind: 'sync'; readonly path: string }
  | { readonly kind: 'multi'; readonly results: readonly MultiResult[] }
  | { readonly kind: 'errorResponse'; readonly err: number }
  | { readonly kind: 'whoAmI'; readonly clientInfo: ClientInfo[] }
  | { readonly kind: 'sasl'; readonly token: Buffer | null };

export interface Reply {
  readonly xid: number;
  readonly zxid: bigint;
  readonly err: number;
  readonly body: ReplyBody;
}

export const NO_BODY: ReplyBody = { kind: 'none' };

function multiResultType(result: MultiResult): number {
  switch (result.kind) {
    case 'create':
      return OpCode.create;
    case 'create2':
      return OpCode.create2;
    case 'delete':
      return OpCode.delete;
    case 'setData':
      return OpCode.setData;
    case 'check':
      return OpCode.check;
    case 'getChildren':
      return OpCode.getChildren;
    case 'getData':
      return OpCode.getData;
    case 'error':
      return OpCode.error;
  }
}

function writeMultiResults(writer: JuteWriter, results: readonly MultiResult[]): void {
  for (const result of results) {
    writeMultiHeader(writer, { type: multiResultType(result), done: false, err: result.kind === 'error' ? result.err : 0 });
    switch (result.kind) {
      case 'create':
        writeCreateResponse(writer, { path: result.path });
        break;
      case 'create2':
        writeCreate2Response(writer, { path: result.path, stat: result.stat });
        break;
      case 'setData':
        writeSetDataResponse(writer, { stat: result.stat });
        break;
      case 'getChildren':
        writeGetChildrenResponse(writer, { children: result.children });
        break;
      case 'getData':
        writeGetDataResponse(writer, { data: result.data, stat: result.stat });
        break;
      case 'error':
        writeErrorResponse(writer, { err: result.err });
        break;
      case 'delete':
      case 'check':
        break;
    }
  }
  writeMultiHeader(writer, { type: -1, done: true, err: -1 });
}

function writeBody(writer: JuteWriter, body: ReplyBody): void {
  switch (body.kind) {
    case 'none':
      return;
    case 'create':
      return writeCreateResponse(writer, { path: body.path });
    case 'create2':
      return writeCreate2Response(writer, { path: body.path, stat: body.stat });
    case 'stat':
      return writeStat(writer, body.stat);
    case 'getData':
      return writeGetDataResponse(writer, { data: body.data, stat: body.stat });
    case 'getACL':
      return writeGetACLResponse(writer, { acl: body.acl, stat: body.stat });
    case 'children':
      return writeGetChildrenResponse(writer, { children: body.children });
    case 'children2':
      return writeGetChildren2Response(writer, { children: body.children, stat: body.stat });
    case 'count':
      return writeGetAllChildrenNumberResponse(writer, { totalNumber: body.count });
    case 'ephemerals':
      return writeGetEphemeralsResponse(writer, { ephemerals: body.paths });
    case 'sync':
      return writeSyncResponse(writer, { path: body.path });
    case 'multi':
      return writeMultiResults(writer, body.results);
    case 'errorResponse':
      return writeErrorResponse(writer, { err: body.err });
    case 'whoAmI':
      return writeWhoAmIResponse(writer, { clientInfo: body.clientInfo });
    case 'sasl':
      return writeSetSASLResponse(writer, { token: body.token });
  }
}

/** The framed bytes of a reply: length, ReplyHeader, then the response record if any. */
export function encodeReply(reply: Reply): Buffer {
  return encodeFrame((writer) => {
    writeReplyHeader(writer, { xid: reply.xid, zxid: reply.zxid, err: reply.err });
    writeBody(writer, reply.body);
  });
}

/** A watch notification: xid -1, zxid -1 (as 3.8 sends it), then a WatcherEvent. */
export function encodeNotification(type: number, path: string): Buffer {
  return encodeFrame((writer) => {
    writeReplyHeader(writer, { xid: Xid.notification, zxid: -1n, err: 0 });
    writeWatcherEvent(writer, { type, state: KeeperState.syncConnected, path });
  });
}

/** The ConnectResponse, with the trailing readOnly flag only for clients that sent one. */
export function encodeConnectResponse(
  response: { timeOut: number; sessionId: bigint; passwd: Buffer },
  withReadOnlyFlag: boolean,
  readOnly: boolean,
): Buffer {
  return encodeFrame((writer) => {
    writeConnectResponse(writer, { protocolVersion: 0, timeOut: response.timeOut, sessionId: response.sessionId, passwd: response.passwd });
    if (withReadOnlyFlag) writer.writeBoolean(readOnly);
  });
}
