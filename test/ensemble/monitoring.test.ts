// What an ensemble member reports about itself, laid out as Apache ZooKeeper 3.8 lays it out: the
// same workload runs on an ensemble of ours and on a Java 3.8 one (three voters and an observer
// each, AdminServers on), and for the leader, a follower and the observer the keys of mntr (in
// order), the lines of srvr, stat and conf, and the JSON shape of the AdminServer's monitor, server_stats,
// stats, leader, voting_view, zabstate and observers answers must agree. Values differ (timings,
// sizes, ports); the keys, their order and the value types must not.
//
// Learner ids inside metric names (zk_avg_2_learner_handler_qp_size) are replaced by the learner's
// role, since the two ensembles may elect different leaders.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZooKeeperClient } from '../../src/client/index.js';
import { MixedEnsemble } from '../interop/mixed-ensemble.js';
import { ENSEMBLE_OPTIONS, INTEROP, members } from '../interop/support.js';
import { httpGet } from '../ops/http-request.js';
import { jsonShape, type JsonShape } from '../ops/json-shape.js';
import { sendFourLetterWord } from '../support/four-letter.js';
import { sleep } from '../support/zk-wait.js';

type Role = 'leader' | 'follower' | 'observer';

interface Side {
  readonly ensemble: MixedEnsemble;
  /** Member id by role (one follower). */
  readonly ids: Readonly<Record<Role, number>>;
  /** The role of every member id, for naming learner ids in metric names. */
  readonly roleOf: ReadonlyMap<number, string>;
}

const COMMANDS = ['monitor', 'server_stats', 'stats', 'leader', 'voting_view', 'zabstate', 'observers'] as const;

let java: Side | null = null;
let ours: Side | null = null;

async function waitForAdmin(port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await httpGet(port, '/commands/ruok')).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no AdminServer on port ${port}`);
    await sleep(200);
  }
}

/** Three voters, then the observer; the same few writes, an ephemeral and a sync; every client closed again. */
async function startSide(spec: string): Promise<Side> {
  const ensemble = await MixedEnsemble.create(members(spec), { ...ENSEMBLE_OPTIONS, adminServer: true });
  try {
    for (const id of [1, 2, 3]) await ensemble.start(id);
    const leader = await ensemble.waitForQuorum({ ids: [1, 2, 3] });
    await ensemble.start(4);
    await ensemble.waitForQuorum({ leader });
    for (const id of ensemble.ids()) await waitForAdmin(ensemble.adminPort(id));
    const follower = [1, 2, 3].find((id) => id !== leader) as number;
    const client = await ZooKeeperClient.connect(`127.0.0.1:${ensemble.clientPort(follower)}`, { sessionTimeoutMs: 10_000, connectTimeoutMs: 15_000 });
    try {
      await client.create('/m', Buffer.from('m'));
      for (const name of ['a', 'b', 'c']) await client.create(`/m/${name}`, Buffer.from(name.repeat(10)));
      await client.setData('/m/a', Buffer.from('changed'));
      await client.create('/m/eph', Buffer.from('e'), { mode: 'ephemeral' });
      await client.sync('/');
    } finally {
      await client.close();
    }
    const observerClient = await ensemble.client(4);
    try {
      await observerClient.create('/m/through-observer', Buffer.from('o'));
      await observerClient.sync('/');
    } finally {
      await observerClient.close();
    }
    // Let the closes reach every member, so that no side lists a connection the other does not.
    await sleep(1500);
    const roleOf = new Map<number, string>([
      [leader, 'leader'],
      [4, 'observer'],
    ]);
    for (const id of [1, 2, 3]) if (id !== leader) roleOf.set(id, 'follower');
    return { ensemble, ids: { leader, follower, observer: 4 }, roleOf };
  } catch (error) {
    await ensemble.close();
    throw error;
  }
}

beforeAll(async () => {
  if (!INTEROP.ok) return;
  [java, ours] = await Promise.all([startSide('j1,j2,j3,j4:obs'), startSide('o1,o2,o3,o4:obs')]);
}, 180_000);

afterAll(async () => {
  await Promise.all([java?.ensemble.close(), ours?.ensemble.close()]);
});

function side(which: 'java' | 'ours'): Side {
  const s = which === 'java' ? java : ours;
  if (s === null) throw new Error(`the ${which} ensemble did not start`);
  return s;
}

/** A metric name with the learner id in it named by the learner's role instead. */
function metricKey(s: Side, key: string): string {
  return key.replace(/^((?:zk_)?(?:avg|min|max|cnt|sum|p50|p95|p99|p999)_)(\d+)(_(?:learner_handler_qp_size|learner_handler_qp_time_ms|ack_latency))$/u, (_m, head: string, sid: string, tail: string) => `${head}<${s.roleOf.get(Number(sid)) ?? sid}>${tail}`);
}

function mntrKeys(s: Side, text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t')[0] ?? '')
    .map((key) => metricKey(s, key));
}

function mntrValue(text: string, key: string): string | undefined {
  return text
    .split('\n')
    .find((line) => line.startsWith(`${key}\t`))
    ?.split('\t')[1];
}

/** The labels of srvr/stat lines (before the colon), leaving out the client connection lines. */
function statLabels(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => !line.startsWith(' '))
    .map((line) => line.split(':')[0] ?? '');
}

async function word(s: Side, role: Role, w: string): Promise<string> {
  return sendFourLetterWord(s.ensemble.clientPort(s.ids[role]), w, '127.0.0.1', 3000);
}

function sortedObject(shape: JsonShape): JsonShape {
  if (typeof shape === 'string' || !('object' in shape)) return shape;
  return { object: [...shape.object].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) };
}

/**
 * The comparable shape of an AdminServer answer: Java beans (server_stats, the MultipleAddresses of
 * zabstate) are written in an order that changes between JVM runs, so their keys are compared as
 * sets; metric names are normalised as in mntr.
 */
function httpShape(s: Side, command: string, body: string): JsonShape {
  const shape = jsonShape(body);
  if (typeof shape === 'string' || !('object' in shape)) return shape;
  const entries = shape.object.map(([key, value]): readonly [string, JsonShape] => {
      if (command === 'monitor') return [metricKey(s, key), value];
      if (key === 'server_stats' || key === 'quorum_address' || key === 'election_address') return [key, sortedObject(value)];
      return [key, value];
    });
  return { object: entries };
}

describe.skipIf(!INTEROP.ok)('monitoring an ensemble member: ours against Apache ZooKeeper 3.8', () => {
  const roles: Role[] = ['leader', 'follower', 'observer'];

  it.each(roles)('mntr on the %s: the same keys in the same order, the same states', async (role) => {
    const j = await word(side('java'), role, 'mntr');
    const o = await word(side('ours'), role, 'mntr');
    const javaKeys = mntrKeys(side('java'), j);
    expect(javaKeys.length).toBeGreaterThan(400);
    expect(javaKeys.includes('zk_learners')).toBe(role === 'leader');
    expect(javaKeys.includes('zk_avg_<observer>_learner_handler_qp_size')).toBe(role === 'leader');
    expect(mntrKeys(side('ours'), o)).toEqual(javaKeys);
    for (const key of ['zk_server_state', 'zk_peer_state', 'zk_quorum_size', 'zk_synced_followers', 'zk_synced_non_voting_followers', 'zk_synced_observers', 'zk_learners', 'zk_pending_syncs']) {
      expect(mntrValue(o, key), key).toBe(mntrValue(j, key));
    }
    if (role === 'observer') {
      // Each names its own leader's id.
      expect(mntrValue(o, 'zk_observer_master_id')).toBe(String(side('ours').ids.leader));
      expect(mntrValue(j, 'zk_observer_master_id')).toBe(String(side('java').ids.leader));
    }
    if (role === 'leader') {
      // Proposal sizes are the leader's serialized txns (with their digest, on both sides).
      for (const key of ['zk_min_proposal_size', 'zk_max_proposal_size', 'zk_last_proposal_size']) expect(Number(mntrValue(o, key)), key).toBeGreaterThan(0);
    }
  });

  it.each(roles)('srvr and stat on the %s: the same lines', async (role) => {
    for (const w of ['srvr', 'stat']) {
      const j = await word(side('java'), role, w);
      const o = await word(side('ours'), role, w);
      expect(statLabels(o), w).toEqual(statLabels(j));
      expect(/^Mode: (.*)$/mu.exec(o)?.[1], w).toBe(/^Mode: (.*)$/mu.exec(j)?.[1]);
    }
    if (role === 'leader') expect(await word(side('ours'), role, 'srvr')).toMatch(/^Proposal sizes last\/min\/max: \d+\/\d+\/\d+$/mu);
  });

  it.each(roles)('conf on the %s: the same lines, the quorum part (limits, ports, peerType, membership) included', async (role) => {
    // Ports, directories, sizes and ids differ between the two ensembles; everything else must not.
    const normalise = (text: string): string[] =>
      text.split('\n').map((line) => line.replace(/^(dataDir|dataLogDir|dataDirSize|dataLogSize|serverId)=.*$/u, '$1=…').replace(/\d{4,5}/gu, 'P'));
    const j = await word(side('java'), role, 'conf');
    const o = await word(side('ours'), role, 'conf');
    expect(j).toMatch(/\nmembership: \nserver\.1=/u);
    expect(normalise(o)).toEqual(normalise(j));
    expect(/^peerType=(\d)$/mu.exec(o)?.[1]).toBe(role === 'observer' ? '1' : '0');
  });

  it.each(roles.flatMap((role) => COMMANDS.map((command) => [role, command] as const)))('AdminServer on the %s, %s: the same JSON shape', async (role, command) => {
    const answer = async (s: Side): Promise<JsonShape> => {
      const reply = await httpGet(s.ensemble.adminPort(s.ids[role]), `/commands/${command}`);
      expect(reply.status).toBe(200);
      return httpShape(s, command, reply.body);
    };
    expect(await answer(side('ours'))).toEqual(await answer(side('java')));
  });

  it('AdminServer values that do not depend on timing agree', async () => {
    const json = async (s: Side, role: Role, command: string): Promise<Record<string, unknown>> =>
      JSON.parse((await httpGet(s.ensemble.adminPort(s.ids[role]), `/commands/${command}`)).body) as Record<string, unknown>;
    for (const which of ['java', 'ours'] as const) {
      const s = side(which);
      for (const role of roles) {
        const leader = await json(s, role, 'leader');
        expect([which, role, leader['is_leader'], leader['leader_id'], leader['leader_ip']]).toEqual([which, role, role === 'leader', s.ids.leader, '127.0.0.1']);
        const zab = await json(s, role, 'zabstate');
        expect([which, role, zab['myid'], zab['voting'], zab['zabstate']]).toEqual([which, role, s.ids[role], role !== 'observer', 'broadcast']);
      }
      const observers = await json(s, 'leader', 'observers');
      expect([which, observers['synced_observers']]).toEqual([which, 1]);
      const voting = await json(s, 'follower', 'voting_view');
      expect([which, Object.keys(voting['current_config'] as object)]).toEqual([which, ['1', '2', '3']]);
    }
  });

  it.each(roles)('/zookeeper/config on the %s holds the ensemble configuration, as on 3.8', async (role) => {
    const config = async (s: Side): Promise<{ text: string; version: number; mzxid: bigint; numChildren: number }> => {
      const client = await s.ensemble.client(s.ids[role]);
      try {
        const { data, stat } = await client.getConfig();
        // Ports differ between the two ensembles; the layout must not.
        return { text: (data ?? Buffer.alloc(0)).toString('utf8').replace(/\d+/gu, 'N'), version: stat.version, mzxid: stat.mzxid, numChildren: stat.numChildren };
      } finally {
        await client.close();
      }
    };
    const javaConfig = await config(side('java'));
    expect(javaConfig.text).toMatch(/^server\.N=/u);
    expect(await config(side('ours'))).toEqual(javaConfig);
  });
});
