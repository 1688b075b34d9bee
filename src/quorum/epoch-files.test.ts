import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCEPTED_EPOCH_FILE, clearEpochUpdating, CURRENT_EPOCH_FILE, EpochFileError, loadEpochs, markEpochUpdating, readEpoch, UPDATING_EPOCH_FILE, writeEpoch } from './epoch-files.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'zkts-epochs-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const zxid = (epoch: bigint, counter: bigint): bigint => (epoch << 32n) | counter;

describe('epoch files', () => {
  it('start from the last zxid\'s epoch when absent, as 3.8 does', () => {
    expect(loadEpochs(dir, zxid(3n, 7n))).toEqual({ acceptedEpoch: 3n, currentEpoch: 3n });
    expect(readEpoch(dir, CURRENT_EPOCH_FILE)).toBe(3n);
    expect(readEpoch(dir, ACCEPTED_EPOCH_FILE)).toBe(3n);
  });

  it('refuse a log in a newer epoch than currentEpoch without an epoch update in progress', () => {
    writeEpoch(dir, CURRENT_EPOCH_FILE, 2n);
    writeEpoch(dir, ACCEPTED_EPOCH_FILE, 3n);
    expect(() => loadEpochs(dir, zxid(3n, 1n))).toThrow(EpochFileError);
  });

  it('adopt the log\'s epoch after a crash between the sync\'s appends and the currentEpoch write', () => {
    writeEpoch(dir, CURRENT_EPOCH_FILE, 2n);
    writeEpoch(dir, ACCEPTED_EPOCH_FILE, 3n);
    markEpochUpdating(dir);
    expect(loadEpochs(dir, zxid(3n, 1n))).toEqual({ acceptedEpoch: 3n, currentEpoch: 3n });
    expect(readEpoch(dir, CURRENT_EPOCH_FILE)).toBe(3n);
    expect(existsSync(join(dir, UPDATING_EPOCH_FILE))).toBe(false);
  });

  it('keep currentEpoch when the marker is left but the log never reached the new epoch', () => {
    writeEpoch(dir, CURRENT_EPOCH_FILE, 2n);
    writeEpoch(dir, ACCEPTED_EPOCH_FILE, 3n);
    markEpochUpdating(dir);
    expect(loadEpochs(dir, zxid(2n, 9n))).toEqual({ acceptedEpoch: 3n, currentEpoch: 2n });
    expect(existsSync(join(dir, UPDATING_EPOCH_FILE))).toBe(false);
  });

  it('read 3.8\'s currentEpoch.tmp left by a crash before its rename; a torn one is ignored', () => {
    writeEpoch(dir, CURRENT_EPOCH_FILE, 2n);
    writeEpoch(dir, ACCEPTED_EPOCH_FILE, 3n);
    writeFileSync(join(dir, `${CURRENT_EPOCH_FILE}.tmp`), '3');
    expect(loadEpochs(dir, zxid(3n, 4n)).currentEpoch).toBe(3n);
    writeEpoch(dir, CURRENT_EPOCH_FILE, 2n);
    writeFileSync(join(dir, `${CURRENT_EPOCH_FILE}.tmp`), '');
    expect(() => loadEpochs(dir, zxid(3n, 4n))).toThrow(EpochFileError);
  });

  it('clearing the marker is idempotent', () => {
    clearEpochUpdating(dir);
    markEpochUpdating(dir);
    clearEpochUpdating(dir);
    clearEpochUpdating(dir);
    expect(existsSync(join(dir, UPDATING_EPOCH_FILE))).toBe(false);
  });
});
