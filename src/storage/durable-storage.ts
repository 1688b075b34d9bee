// The storage the replica writes through: the txn log plus the policy of when to roll it and take a
// snapshot (3.8's SyncRequestProcessor: after snapCount/2 + a random share of snapCount/2 txns, or
// once the log passes half of snapSizeLimitInKb plus a random share, so that the servers of an
// ensemble do not all snapshot at once).

import type { Logger } from '../logging/logger.js';
import type { TxnStorage } from '../replica/ports.js';
import { encodeTxn, type Txn } from '../txn/txn.js';
import type { FileTxnLog } from './txn-log.js';

export interface SnapshotPolicyOptions {
  readonly snapCount: number;
  /** zookeeper.snapSizeLimitInKb in bytes; 0 or less disables the size rule. */
  readonly snapSizeLimitBytes: number;
  /** Uniform random integer in [0, bound): injected so the policy can be replayed in tests. */
  readonly randomBelow: (bound: number) => number;
}

export class DurableStorage implements TxnStorage {
  readonly #log: FileTxnLog;
  readonly #policy: SnapshotPolicyOptions;
  readonly #logger: Logger;
  readonly #startSnapshot: () => void;
  #txnsSinceRoll = 0;
  #bytesSinceRoll = 0;
  #randomRoll: number;
  #randomSize: number;

  constructor(log: FileTxnLog, policy: SnapshotPolicyOptions, startSnapshot: () => void, logger: Logger) {
    this.#log = log;
    this.#policy = policy;
    this.#startSnapshot = startSnapshot;
    this.#logger = logger;
    this.#randomRoll = this.#drawRoll();
    this.#randomSize = this.#drawSize();
  }

  #drawRoll(): number {
    const half = Math.floor(this.#policy.snapCount / 2);
    return half > 0 ? this.#policy.randomBelow(half) : 0;
  }

  #drawSize(): number {
    const half = Math.floor(this.#policy.snapSizeLimitBytes / 2);
    return half > 0 ? this.#policy.randomBelow(half) : 0;
  }

  append(txn: Txn): void {
    this.appendEncoded(txn.header.zxid, encodeTxn(txn));
  }

  /** Appends a serialized txn (a proposal), under the same roll and snapshot policy. */
  appendEncoded(zxid: bigint, txnBytes: Buffer): void {
    const before = this.#log.appendedBytes;
    this.#log.appendEncoded(zxid, txnBytes);
    this.#txnsSinceRoll++;
    this.#bytesSinceRoll += this.#log.appendedBytes - before;
    if (this.#shouldSnapshot()) {
      this.#txnsSinceRoll = 0;
      this.#bytesSinceRoll = 0;
      this.#randomRoll = this.#drawRoll();
      this.#randomSize = this.#drawSize();
      this.#log.roll();
      this.#logger.debug({}, 'rolling the txn log and starting a snapshot');
      this.#startSnapshot();
    }
  }

  #shouldSnapshot(): boolean {
    const half = Math.floor(this.#policy.snapCount / 2);
    if (this.#txnsSinceRoll > half + this.#randomRoll) return true;
    const sizeLimit = this.#policy.snapSizeLimitBytes;
    return sizeLimit > 0 && this.#bytesSinceRoll > Math.floor(sizeLimit / 2) + this.#randomSize;
  }

  flush(): Promise<void> {
    return this.#log.flush();
  }

  abandonUnflushed(): Promise<bigint | null> {
    return this.#log.abandonUnflushed();
  }
}
