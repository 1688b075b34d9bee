// The bugs the simulator has found and that are not fixed yet, each with the switch that lets a
// run look past it (a shell behaviour changed in SimPeer, or a check relaxed) and the seeds that
// reproduce it when every other switch is on. `npm run vopr -- --assume-fixed all` runs with every
// switch; the CI test (vopr.test.ts) does so too, and checks that each bug still reproduces, so
// that fixing one in src/ makes that check fail with the instruction to delete its entry here.

import type { ShellFlags } from './sim-peer.js';
import type { SwarmOptions } from './swarm.js';

export interface KnownBug {
  /** Where the bug is: a core in src/zab, or the shell (src/quorum, src/storage). */
  readonly where: string;
  readonly summary: string;
  /** What the run changes to look past it. */
  readonly workaround: Partial<ShellFlags> & { readonly checkDurableQuorum?: boolean };
  /** Other bugs whose workarounds also hide this one, left off too when reproducing it. */
  readonly alsoWithout?: readonly string[];
  /** Seeds that fail with `check` when every other workaround is on (20000 steps). */
  readonly seeds: readonly number[];
  readonly check: string;
}

export const KNOWN_BUGS: Readonly<Record<string, KnownBug>> = {
  'epoch-before-log': {
    where: 'src/zab/follower.ts FollowerCore.#onNewLeader',
    summary: 'persistCurrentEpoch comes before the appends of the sync; a crash between them leaves the newest currentEpoch over a log without those txns, and that peer wins the next election and TRUNCs committed txns (ZOOKEEPER-4643)',
    workaround: { currentEpochAfterSyncLogged: true },
    seeds: [12, 426, 749],
    check: 'nothing committed is lost',
  },
  'ackepoch-minus-one': {
    where: 'src/zab/leader.ts LeaderCore.#ackEpoch',
    summary: 'an ACKEPOCH with currentEpoch -1 counts toward the epoch quorum and skips the "follower ahead" check (3.8 does not count it): a follower dropped for being ahead is accepted on its next attempt and TRUNCed below txns that were committed and acknowledged',
    workaround: { ackEpochReportsCurrentEpoch: true },
    alsoWithout: ['stale-vote'],
    seeds: [1358, 1569],
    check: 'nothing committed is lost',
  },
  'stale-vote': {
    where: 'src/quorum/quorum-peer.ts #abandon/#reloadThenLook (election core answering with the settled vote of the ended role)',
    summary: 'during the reload after a role ends, the election core still answers with the old FOLLOWING vote; a former leader that restarted with a shorter log counts those votes and leads again',
    workaround: { silentDuringReload: true },
    alsoWithout: ['ackepoch-minus-one'],
    seeds: [1358, 1569],
    check: 'nothing committed is lost',
  },
  'reload-flush': {
    where: 'src/quorum/quorum-peer.ts #reloadThenLook with src/storage/txn-log.ts flush',
    summary: 'the reload calls storage.flush() while the shell\'s own flush runs; FileTxnLog writes both batches concurrently (same file position, fsyncs finishing out of order), so a later batch can be durable before an earlier one and a crash leaves a hole that recovery refuses',
    workaround: { reloadFlushAfterInflight: true },
    seeds: [2, 25, 30],
    check: 'restart',
  },
  'reload-inflight': {
    where: 'src/quorum/quorum-peer.ts #abandon',
    summary: 'the reload after a role is decided on lastLoggedZxid, which an fsync still in flight raises later: the peer then votes and syncs from a zxid its tree does not reach, and a DIFF from there leaves those txns out of the tree for good',
    workaround: { reloadCountsInflightAppends: true },
    seeds: [2, 3, 6],
    check: 'agreement',
  },
  'stale-ack': {
    where: 'src/zab/leader.ts (acks kept across a learner reconnect) + follower.ts (no per-proposal ACK after NEWLEADER)',
    summary: 'a leader counts the ACK a learner gave before it reconnected and was TRUNCed below that proposal, so it commits what only a minority holds',
    workaround: { checkDurableQuorum: false },
    seeds: [19, 30, 34],
    check: 'commit needs a durable quorum',
  },
  'updating-epoch': {
    where: 'src/quorum/epoch-files.ts loadEpochs (with the follower core writing the sync snapshot before currentEpoch)',
    summary: 'a crash between the sync snapshot and the currentEpoch write leaves a snapshot in a newer epoch than currentEpoch: the server refuses to start (3.8 has the updatingEpoch file)',
    workaround: { updatingEpochFile: true },
    seeds: [2, 29, 39],
    check: 'restart',
  },
  'truncate-flush': {
    where: 'src/quorum/quorum-peer.ts #truncate with src/storage/txn-log.ts restartAfter',
    summary: 'a TRUNC while an fsync is in flight closes the file under it; the failed FileTxnLog refuses every later flush, so the peer can never follow again until restarted',
    workaround: { truncateWaitsForFlush: true },
    seeds: [],
    check: 'liveness',
  },
  'stale-flush': {
    where: 'src/quorum/quorum-peer.ts #scheduleFlush (and FollowerCore.logged trusting any zxid)',
    summary: 'logged(target) of a flush started by an earlier role reaches the new core; after a TRUNC below target it ACKs NEWLEADER before the re-appended txns are durable',
    workaround: { flushReportedToItsRole: true },
    seeds: [],
    check: 'ACK only what is logged',
  },
  'role-after-effects': {
    where: 'src/quorum/quorum-peer.ts #abandon',
    summary: 'the next election and role start while the old role\'s TRUNC is still running: the new vote and ACKEPOCH use a lastLoggedZxid the TRUNC then removes',
    workaround: { electAfterEffects: true },
    seeds: [47, 169],
    check: 'agreement',
  },
  'snap-durable': {
    where: 'src/quorum/quorum-peer.ts #loadLeaderSnapshot',
    summary: 'a sync that ends between SNAP and the sync snapshot keeps the loaded tree and lastLoggedZxid = SNAP zxid though nothing is durable; a later restart replays the old log with a hole',
    workaround: { reloadUndurableSnap: true },
    seeds: [37, 116, 318],
    check: 'agreement',
  },
  'trunc-verify': {
    where: 'src/quorum/quorum-peer.ts #truncate with src/storage/truncate.ts',
    summary: 'after a SNAP the history lives in the sync snapshot, not the log: a TRUNC deletes that snapshot and recovery silently falls back to an older, divergent history',
    workaround: { truncateVerifiesPoint: true },
    seeds: [],
    check: 'agreement',
  },
  'connect-timeout': {
    where: 'src/quorum/quorum-peer.ts #connectToLeader',
    summary: 'net.connect has no timeout: across a partition the peer waits for the OS (about 2 minutes) before initLimit is even looked at, and may then attach to a later incarnation of the leader',
    workaround: { leaderConnectTimeout: true },
    seeds: [],
    check: 'liveness',
  },
};

export type KnownBugName = keyof typeof KNOWN_BUGS;

/** The run options that look past the named bugs. */
export function assumeFixed(names: readonly string[], base: Pick<SwarmOptions, 'flags' | 'checkDurableQuorum'>): Pick<SwarmOptions, 'flags' | 'checkDurableQuorum'> {
  let flags = base.flags;
  let checkDurableQuorum = base.checkDurableQuorum;
  for (const name of names) {
    const bug = KNOWN_BUGS[name];
    if (bug === undefined) throw new RangeError(`unknown bug ${name}; known: ${Object.keys(KNOWN_BUGS).join(', ')}`);
    const { checkDurableQuorum: check, ...rest } = bug.workaround;
    flags = { ...flags, ...rest };
    if (check !== undefined) checkDurableQuorum = check;
  }
  return { flags, checkDurableQuorum };
}
