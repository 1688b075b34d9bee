// TRUNC from a leader: this server logged txns the new leader never committed. Everything logged
// after `zxid` goes: later log files are removed, the file holding `zxid` is cut right after its
// entry, and snapshots taken after `zxid` are removed (they would hold the dropped txns). Recovery
// then rebuilds the tree from what is left, as 3.8's truncateLog does.

import { open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logging/logger.js';
import { decodeTxn } from '../txn/txn.js';
import { scanLog, zxidOfFileName } from './txn-log-format.js';

export async function truncateAfter(snapDirectory: string, logDirectory: string, zxid: bigint, logger: Logger): Promise<void> {
  const logs = (await readdir(logDirectory))
    .map((name) => ({ name, start: zxidOfFileName(name, 'log') }))
    .filter((f): f is { name: string; start: bigint } => f.start !== null)
    .sort((a, b) => (a.start < b.start ? -1 : 1));
  for (const file of logs) {
    const path = join(logDirectory, file.name);
    if (file.start > zxid) {
      await rm(path);
      logger.info({ file: path }, 'removed txn log after the truncation point');
      continue;
    }
    const scan = scanLog(await readFile(path), 0x7ffffff0);
    if ('headerError' in scan) continue;
    const cut = scan.entries.find((entry) => decodeTxn(entry.txnBytes).header.zxid > zxid);
    if (cut === undefined) continue;
    const handle = await open(path, 'r+');
    try {
      await handle.truncate(cut.offset);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    logger.info({ file: path, offset: cut.offset }, 'cut txn log at the truncation point');
  }
  for (const name of await readdir(snapDirectory)) {
    const snapZxid = zxidOfFileName(name, 'snapshot');
    if (snapZxid !== null && snapZxid > zxid) {
      await rm(join(snapDirectory, name));
      logger.info({ file: join(snapDirectory, name) }, 'removed snapshot after the truncation point');
    }
  }
}
