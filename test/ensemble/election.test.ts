// Leader election across real processes: a 3-node and a 5-node ensemble each elect exactly one
// leader, every other member follows it, and the view stays the same over time.

import { afterEach, describe, expect, it } from 'vitest';
import { sleep } from '../support/zk-wait.js';
import { Ensemble, type Member } from './ensemble.js';

let ensemble: Ensemble | undefined;

afterEach(async () => {
  await ensemble?.destroy();
  ensemble = undefined;
});

/** The leader id each member's current incarnation last said it follows or leads (from its log). */
function believedLeader(member: Member): string | undefined {
  const lines = member.logLines().filter((l) => l.msg === 'FOLLOWING' || l.msg === 'LEADING');
  const last = lines[lines.length - 1];
  if (last === undefined) return undefined;
  return last.msg === 'LEADING' ? String(member.id) : String(last['leader']);
}

async function electsOneLeader(size: number): Promise<void> {
  const started = Date.now();
  const result = await Ensemble.start({ size, name: `zk-election-${String(size)}` });
  ensemble = result.ensemble;
  const { leader, followers } = result.quorum;
  console.info(`[ensemble timing] ${String(size)}-node ensemble: processes started to one leader + ${String(size - 1)} followers in ${String(Date.now() - started)} ms (leader ${String(leader.id)})`);
  expect(followers).toHaveLength(size - 1);

  // Every member names the same leader in its log.
  for (const member of ensemble.members) expect(believedLeader(member), `member ${String(member.id)}`).toBe(String(leader.id));

  // Over time: a few seconds of samples, each with the same single leader and no member dropping out.
  const until = Date.now() + 2000;
  let samples = 0;
  while (Date.now() < until) {
    const views = await ensemble.views();
    const modes = [...views.entries()].map(([id, v]) => `${String(id)}=${v.mode}`).join(' ');
    const leaders = [...views.entries()].filter(([, v]) => v.mode === 'leader').map(([id]) => id);
    expect(leaders, `sample ${String(samples)}: ${modes}\n${ensemble.logTails()}`).toEqual([leader.id]);
    expect([...views.values()].filter((v) => v.mode === 'follower')).toHaveLength(size - 1);
    samples++;
    await sleep(200);
  }
  expect(samples).toBeGreaterThan(3);
  for (const member of ensemble.members) {
    expect(member.logged('leaving the role; back to leader election'), `member ${String(member.id)} left its role`).toEqual([]);
    expect(believedLeader(member)).toBe(String(leader.id));
  }
}

describe('leader election', () => {
  it('a 3-node ensemble elects exactly one leader that every member follows', async () => {
    await electsOneLeader(3);
  }, 40_000);

  it('a 5-node ensemble elects exactly one leader that every member follows', async () => {
    await electsOneLeader(5);
  }, 40_000);
});
