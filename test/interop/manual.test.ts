// An interactive scenario runner for debugging mixed ensembles; skipped unless ZK_INTEROP_STEPS is
// set. Example (taps on, logs kept):
//
//   ZK_INTEROP_MEMBERS=j1,j2,o3 ZK_INTEROP_TAP=1 ZK_INTEROP_KEEP=1 \
//   ZK_INTEROP_STEPS="start:1+2+3 wait:3 rw kill:3 wait rw start:3 wait probe:2" \
//     npx vitest run test/interop/manual.test.ts
//
// Steps: start:1+2 (spawn), kill:1 (SIGKILL), pause:1 (SIGSTOP), wipe:1 (empty its data dir),
// waitport:3 (its election port listens), wait[:leader] (a quorum of the running members),
// rw (a write through each running member, read back everywhere, Stats compared), bulk:via+count,
// check:id+count (member id holds the last bulk), eph:id (a session on id stays alive 12 s),
// move:from+to (a session moves), ghost:leader+f1+f2 (an uncommitted txn on leader),
// probe:id (ask every member for its vote as member id, which must be down), status, sleep:ms.
// ZK_INTEROP_DEBUG=1 logs both kinds' quorum code at DEBUG.

import { describe, it } from 'vitest';
import {
  bulkWrite,
  expectBulk,
  expectSameView,
  expectSessionKeptAlive,
  expectSessionMoves,
  leaveUncommittedTxn,
  syncModeOf,
  writeThroughEachReadEverywhere,
} from './checks.js';
import { describeVotes, probeVotes } from './election-probe.js';
import { describe as describeStatuses, MixedEnsemble } from './mixed-ensemble.js';
import { members } from './support.js';

const STEPS = process.env['ZK_INTEROP_STEPS'] ?? '';

describe.runIf(STEPS !== '')('manual mixed-ensemble scenario', () => {
  it(
    STEPS,
    async () => {
      const ensemble = await MixedEnsemble.create(members(process.env['ZK_INTEROP_MEMBERS'] ?? 'o1,j2,j3'), {
        tickTimeMs: 1000,
        tap: process.env['ZK_INTEROP_TAP'] === '1',
        debug: process.env['ZK_INTEROP_DEBUG'] === '1',
      });
      console.log(`ensemble in ${ensemble.dir}`);
      let rw = 0;
      let bulk = 0;
      try {
        for (const step of STEPS.split(/\s+/u).filter((s) => s !== '')) {
          const [command, argument = ''] = step.split(':');
          const ids = argument === '' ? [] : argument.split('+').map(Number);
          const first = ids[0] ?? 0;
          const started = Date.now();
          switch (command) {
            case 'start':
              for (const id of ids) await ensemble.start(id);
              break;
            case 'kill':
              for (const id of ids) await ensemble.kill(id);
              break;
            case 'pause':
              for (const id of ids) ensemble.pause(id);
              break;
            case 'wipe':
              for (const id of ids) await ensemble.wipe(id);
              break;
            case 'waitport':
              await ensemble.waitForElectionPort(first);
              break;
            case 'wait': {
              const leader = await ensemble.waitForQuorum(ids.length > 0 ? { leader: first } : {});
              const modes = await Promise.all(ensemble.running().map(async (id) => `${id}:${(await syncModeOf(ensemble, id)).join('/')}`));
              console.log(`leader ${leader}; sync modes since last start: ${modes.join(' ')}`);
              break;
            }
            case 'rw': {
              const tag = `rw${rw++}`;
              const running = ensemble.running();
              await writeThroughEachReadEverywhere(ensemble, running, tag);
              await expectSameView(ensemble, running, ['/', `/${tag}`, ...running.map((id) => `/${tag}/via-${id}`)]);
              break;
            }
            case 'bulk':
              await bulkWrite(ensemble, first, `bulk${++bulk}`, ids[1] ?? 600);
              break;
            case 'check':
              await expectBulk(ensemble, first, `bulk${bulk}`, ids[1] ?? 600);
              break;
            case 'eph':
              await expectSessionKeptAlive(ensemble, first, ensemble.running().filter((id) => id !== first), 12_000);
              break;
            case 'move':
              await expectSessionMoves(ensemble, first, ids[1] ?? first);
              break;
            case 'ghost':
              console.log(`uncommitted: ${await leaveUncommittedTxn(ensemble, first, ids.slice(1))}`);
              break;
            case 'probe':
              console.log(describeVotes(await probeVotes(ensemble, first)));
              break;
            case 'status':
              console.log(describeStatuses(await ensemble.statuses(ensemble.ids())));
              break;
            case 'sleep':
              await new Promise((resolve) => setTimeout(resolve, first));
              break;
            default:
              throw new Error(`unknown step ${step}`);
          }
          console.log(`step ${step}: ${Date.now() - started} ms`);
        }
      } finally {
        console.log(describeStatuses(await ensemble.statuses(ensemble.ids())));
        if (ensemble.tapped) console.log(ensemble.tapTimelines());
        await ensemble.close();
      }
    },
    3_600_000,
  );
});
