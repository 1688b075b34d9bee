// Recovery's own tables against the code they mirror. Recovery on real files is tested under
// test/storage (durability-*.test.ts).

import { describe, expect, it } from 'vitest';
import { JuteWriter, writeTxnHeader } from '../jute/index.js';
import { OpCode } from '../protocol/op-code.js';
import { decodeTxn, TxnDecodeError } from '../txn/txn.js';
import { LOGGED_TXN_TYPES } from './recovery.js';

/** Whether decodeTxn knows the type: a header alone fails on the missing record, not on the type. */
function decoderReads(type: number): boolean {
  const writer = new JuteWriter(64);
  writeTxnHeader(writer, { clientId: 1n, cxid: 1, zxid: 1n, time: 0n, type });
  try {
    decodeTxn(writer.toBuffer());
    return true;
  } catch (error) {
    return !(error instanceof TxnDecodeError && /unknown txn type/.test(error.message));
  }
}

describe('LOGGED_TXN_TYPES', () => {
  it('holds exactly the TxnHeader types decodeTxn reads', () => {
    const candidates = [...new Set([...Object.values(OpCode), -2, 10, 23, 999])];
    const readable = candidates.filter(decoderReads).sort((a, b) => a - b);
    expect([...LOGGED_TXN_TYPES].sort((a, b) => a - b)).toEqual(readable);
  });
});
