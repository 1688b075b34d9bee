// A session's writes are taken only from where the session is (3.8's session owner): after a client
// resumes its session on another member, a write still arriving through its old connection is
// refused with SessionMoved and that connection is closed without a reply (ZOOKEEPER-710). Checked
// on an ensemble of Java 3.8 servers (the oracle) and one of ours, between two followers, from the
// leader's own client to a follower, and from a follower to the leader. The mixed-ensemble
// scenarios check it across kinds.

import { describe, it } from 'vitest';
import { expectStaleConnectionRefused } from './checks.js';
import { INTEROP, startAndWait, withEnsemble } from './support.js';

describe.skipIf(!INTEROP.ok)('SessionMoved: a write through a connection the session left', { retry: 1 }, () => {
  it.each(['j1,j2,j3', 'o1,o2,o3'])(
    'ensemble %s: refused and its connection closed, between followers, from the leader, to the leader',
    (spec) =>
      withEnsemble(spec, async (ensemble) => {
        const leader = await startAndWait(ensemble, [1, 2, 3]);
        const [first, second] = [1, 2, 3].filter((id) => id !== leader) as [number, number];
        await expectStaleConnectionRefused(ensemble, first, second);
        await expectStaleConnectionRefused(ensemble, leader, first);
        await expectStaleConnectionRefused(ensemble, second, leader);
      }),
    120_000,
  );
});
