// Dynamic reconfiguration with real servers joining and leaving a running ensemble, as a user
// drives it: servers 1-3 start as the ensemble; server 4 is started with a zoo.cfg listing the three
// plus itself and is added by `joiningServers`; two voters die to show the quorum grew; a follower is
// removed with `leavingServers`; server 5 is started with the ensemble of the moment plus itself as
// an observer, added as an observer, then re-added as a participant; `newMembers` replaces the whole
// membership; and finally every member's zoo.cfg / zoo.cfg.dynamic.* must be what 3.8 writes.
//
// Apache ZooKeeper 3.8 (Debian's) is the oracle: the same scenarios run on all-Java, all-ours and
// mixed layouts and must pass on each. Each reconfig reply is also checked against src/reconfig's
// computeReconfig for the same inputs, and the files against its pure file functions.
// Where 3.8 surprises (what a removed or not-yet-added server reports, mntr counts), the assertion
// is 3.8's behaviour and the comment says why.
//
// The scenarios of a layout run in order on one ensemble (each builds on the previous one's state).
// Every process is stopped by pid and the temp dir removed in afterAll (MixedEnsemble.close), also
// on failure; ZK_INTEROP_KEEP=1 keeps the directory.

import { existsSync } from 'node:fs';
import { readdir, readFile, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZooKeeperClient } from '../../src/client/index.js';
import {
  activationConfigWrites,
  computeReconfig,
  configFromString,
  dynamicConfigFilename,
  dynamicConfigFileText,
  hexVersion,
  nextDynamicConfigFilename,
  type QuorumVerifier,
  type ReconfigRequestFields,
} from '../../src/reconfig/index.js';
import { reconfigRequest, sendReconfig, type ReconfigReply } from './reconfig-requests.js';
import { interopAvailable, MixedEnsemble, type MemberKind, type MemberSpec } from '../interop/mixed-ensemble.js';
import { freePorts } from '../support/free-port.js';
import { sendFourLetterWord } from '../support/four-letter.js';
import { ZOOKEEPER_JAR } from '../support/java-zookeeper.js';
import { sleep } from '../support/zk-wait.js';

interface Layout {
  readonly name: string;
  /** Kinds of servers 1..5: 1-3 form the ensemble, 4 joins as a participant, 5 as an observer. */
  readonly kinds: readonly [MemberKind, MemberKind, MemberKind, MemberKind, MemberKind];
  readonly enabled: boolean;
}

const JAVA_AVAILABLE = existsSync(ZOOKEEPER_JAR) && existsSync('/usr/share/java/slf4j-simple.jar');
const OURS_AVAILABLE = interopAvailable().ok;

const LAYOUTS: readonly Layout[] = [
  { name: 'java', kinds: ['java', 'java', 'java', 'java', 'java'], enabled: JAVA_AVAILABLE },
  // The ensemble of servers 1-3 is led by server 3; the joiners are 4 (participant) and 5 (observer).
  { name: 'ours', kinds: ['ours', 'ours', 'ours', 'ours', 'ours'], enabled: OURS_AVAILABLE },
  { name: 'java ensemble, our joiners', kinds: ['java', 'java', 'java', 'ours', 'ours'], enabled: OURS_AVAILABLE },
  { name: 'our ensemble, java joiners', kinds: ['ours', 'ours', 'ours', 'java', 'java'], enabled: OURS_AVAILABLE },
  { name: 'mixed', kinds: ['java', 'ours', 'java', 'ours', 'java'], enabled: OURS_AVAILABLE },
];

const ORIGINAL = [1, 2, 3] as const;
const JOINER = 4;
const OBSERVER = 5;
const PARSE_OPTIONS = { standaloneEnabled: true, multiAddressEnabled: false };
/** Long enough for a JVM start, an election and a sync on a loaded 2-core machine. */
const SERVE_TIMEOUT_MS = 90_000;

const request = reconfigRequest;

function parseMntr(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0) values.set(line.slice(0, tab), line.slice(tab + 1).trim());
  }
  return values;
}

/** Resolves 'ok', or the reason the write did not happen within `timeoutMs` (it is never left pending). */
async function attemptCreate(client: ZooKeeperClient, path: string, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no reply within ${timeoutMs} ms`), timeoutMs);
  });
  const attempt = client.create(path, Buffer.from('x')).then(
    () => 'ok',
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe.each(LAYOUTS)('reconfiguration with joining and leaving members: $name', (layout) => {
  describe.skipIf(!layout.enabled)('scenarios', () => {
    let ensemble: MixedEnsemble;
    let leader = 0;
    /** The committed configuration, as the leader holds it (its member order decides toString). */
    let committed: QuorumVerifier;
    /** The configurations each member has activated, in order (what its files were written from). */
    const activated = new Map<number, QuorumVerifier[]>();
    /** zoo.cfg of each member as it was first started (3.8 backs it up as zoo.cfg.bak). */
    const startedCfg = new Map<number, string>();
    /** The follower removed by `leavingServers` in scenario 3. */
    let removed = 0;
    /** What the servers answered and reported, printed at the end as a record of the run. */
    const transcript: string[] = [];
    let writes = 0;

    beforeAll(async () => {
      const specs: MemberSpec[] = layout.kinds.map((kind, i) => {
        const id = i + 1;
        if (id === JOINER) return { id, kind, joiner: true };
        if (id === OBSERVER) return { id, kind, joiner: true, observer: true };
        return { id, kind };
      });
      ensemble = await MixedEnsemble.create(specs, {
        tickTimeMs: 500,
        initLimit: 20,
        syncLimit: 10,
        extraCfg: { reconfigEnabled: 'true', skipACL: 'yes' },
      });
      for (const id of ORIGINAL) await startMember(id);
      leader = await ensemble.waitForQuorum({ ids: ORIGINAL, timeoutMs: SERVE_TIMEOUT_MS });
      const parsed = configFromString(await configOn(leader), PARSE_OPTIONS);
      if (!parsed.ok) throw new Error(parsed.failure.message);
      committed = parsed.value;
      // A fresh static ensemble activates its first dynamic config (version = NEWLEADER zxid) at once.
      expect(committed.version).not.toBe(0n);
      for (const id of ORIGINAL) activated.set(id, [committed]);
      note(`ensemble 1-3 formed, leader ${leader}, config version ${hexVersion(committed.version)}`);
    }, 180_000);

    afterAll(async () => {
      process.stdout.write(`[${layout.name}] what the servers did:\n${transcript.map((line) => `  ${line}`).join('\n')}\n`);
      await ensemble?.close();
    }, 60_000);

    function note(line: string): void {
      transcript.push(line);
    }

    async function startMember(id: number): Promise<void> {
      if (!startedCfg.has(id)) startedCfg.set(id, await readFile(ensemble.cfgPath(id), 'utf8'));
      await ensemble.start(id);
    }

    /** Polls until `done` holds or the time is up; the last value seen (undefined if no probe answered). */
    async function poll<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T | undefined> {
      const deadline = Date.now() + timeoutMs;
      let last: T | undefined;
      for (;;) {
        try {
          last = await probe();
          if (done(last)) return last;
        } catch {
          // A member still starting, or in an election, refuses connections: keep polling.
        }
        if (Date.now() > deadline) return last;
        await sleep(250);
      }
    }

    async function mode(id: number): Promise<string> {
      return (await ensemble.status(id)).mode;
    }

    async function waitForMode(id: number, expected: string): Promise<void> {
      const last = await poll(() => mode(id), (m) => m === expected, SERVE_TIMEOUT_MS);
      if (last !== expected) throw new Error(`member ${id} did not report ${expected} in time (last: ${String(last)})\n${ensemble.allLogTails(25)}`);
    }

    async function mntr(id: number): Promise<Map<string, string>> {
      return parseMntr(await sendFourLetterWord(ensemble.clientPort(id), 'mntr', '127.0.0.1', 5000));
    }

    /** What a member that is not the leader says about itself in mntr. */
    async function expectOwnMntr(id: number, expected: Readonly<Record<string, string>>): Promise<void> {
      const values = await mntr(id);
      const actual = Object.fromEntries(Object.keys(expected).map((k) => [k, values.get(k)]));
      note(`  member ${id} mntr: ${JSON.stringify(actual)}`);
      expect(actual, `member ${id} mntr`).toEqual(expected);
    }

    /** Polls for a few seconds: a member that should keep its mode must not drop out even briefly. */
    async function expectModeStays(id: number, expected: string, forMs = 3000): Promise<void> {
      const until = Date.now() + forMs;
      while (Date.now() < until) {
        expect(await mode(id), `member ${id} mode`).toBe(expected);
        await sleep(200);
      }
    }

    /** Waits until the leader's mntr shows these values (gauges follow activation, not the reply). */
    async function expectLeaderMntr(expected: Readonly<Record<string, string>>): Promise<void> {
      const keys = Object.keys(expected);
      const last = await poll(
        async () => {
          const values = await mntr(leader);
          return Object.fromEntries(keys.map((k) => [k, values.get(k)]));
        },
        (values) => keys.every((k) => values[k] === expected[k]),
        30_000,
      );
      note(`  leader ${leader} mntr: ${JSON.stringify(last)}`);
      expect(last, `leader ${leader} mntr`).toEqual(expected);
    }


    /** /zookeeper/config on a member after a sync (a read alone may lag the leader). */
    async function configOn(id: number): Promise<string> {
      return ensemble.withClient(id, async (client) => {
        await client.sync('/');
        return (await client.getConfig()).data?.toString('utf8') ?? '';
      });
    }

    async function expectConfigEverywhere(ids: readonly number[], text: string): Promise<void> {
      for (const id of ids) expect(await configOn(id), `/zookeeper/config on member ${id}`).toBe(text);
    }

    /** Creates a node through `via` and reads it back, after a sync, on every member of `readers`. */
    async function writeThroughAndReadOn(via: number, readers: readonly number[]): Promise<string> {
      writes++;
      const path = `/w${writes}-via-${via}`;
      const data = `written through ${via}`;
      await ensemble.withClient(via, (client) => client.create(path, Buffer.from(data)));
      for (const id of readers) {
        const read = await ensemble.withClient(id, async (client) => {
          await client.sync(path);
          return (await client.getData(path)).data?.toString('utf8');
        });
        expect(read, `${path} read on member ${id}`).toBe(data);
      }
      return path;
    }

    async function send(via: number, fields: ReconfigRequestFields): Promise<ReconfigReply> {
      return sendReconfig(ensemble.clientPort(via), fields);
    }

    /**
     * Sends a reconfig through `via`, expects it to commit with the configuration computeReconfig
     * gives for what the leader knew, makes that the committed one and records it as activated by
     * every running member (non-voting followers and observers get it too). Returns the text.
     */
    async function reconfig(label: string, via: number, fields: ReconfigRequestFields): Promise<string> {
      const reply = await send(via, fields);
      note(`${label} (through ${via}): err ${reply.err}, zxid 0x${reply.zxid.toString(16)}${reply.configText === null ? '' : `\n${reply.configText.replace(/^/gmu, '      ')}`}`);
      expect(reply.err, `${label}: error code`).toBe(0);
      const outcome = computeReconfig({
        request: fields,
        committed,
        lastSeen: committed,
        zxid: reply.zxid,
        leaderId: BigInt(leader),
        syncedFollowers: new Set(ensemble.running().filter((id) => id !== leader).map(BigInt)),
        ...PARSE_OPTIONS,
      });
      if (!outcome.ok) throw new Error(`${label}: computeReconfig refused what 3.8 accepted: ${outcome.reason}`);
      const text = outcome.newConfig.toString();
      expect(reply.configText, `${label}: the reply carries the new configuration, versioned by the reconfig's zxid`).toBe(text);
      expect(text.endsWith(`\nversion=${hexVersion(reply.zxid)}`)).toBe(true);
      committed = outcome.newConfig;
      for (const id of ensemble.running()) activated.set(id, [...(activated.get(id) ?? []), committed]);
      return text;
    }

    function followerOf(candidates: readonly number[]): number {
      const follower = candidates.find((id) => id !== leader && ensemble.isRunning(id));
      if (follower === undefined) throw new Error(`no running follower among ${candidates.join(',')}`);
      return follower;
    }

    it('1. a server started with the ensemble plus itself syncs as a non-voting follower; joiningServers makes it a voter', async () => {
      await startMember(JOINER);
      // 3.8 (docs "Adding servers"): the joiner finds the leader through the members it lists, adopts
      // the committed configuration although it is absent from it, and follows without a vote.
      await waitForMode(JOINER, 'follower');
      note(`joiner ${JOINER} before the reconfig: srvr Mode ${await mode(JOINER)}`);
      // Its own view is the committed one: three voters, of which it is not one.
      await expectOwnMntr(JOINER, { zk_server_state: 'follower', zk_peer_state: 'following - broadcast', zk_quorum_size: '3' });
      expect(await configOn(JOINER), 'the joiner adopted the committed configuration, without itself').toBe(committed.toString());
      activated.set(JOINER, [committed]);
      // ...and rewrote its zoo.cfg to that configuration (backing up the one it was started with):
      // restarted now, it would not find itself among the members and could not start.
      const joinerCfg = await readFile(ensemble.cfgPath(JOINER), 'utf8');
      expect(joinerCfg).toContain(`dynamicConfigFile=`);
      expect(joinerCfg.trimEnd().endsWith(`.dynamic.${hexVersion(committed.version)}`)).toBe(true);
      expect(joinerCfg).not.toMatch(/^server\./mu);
      // The leader counts the joiner as a synced follower that does not vote.
      await expectLeaderMntr({ zk_quorum_size: '3', zk_synced_followers: '3', zk_synced_non_voting_followers: '1' });

      const via = followerOf(ORIGINAL);
      const text = await reconfig('add server 4', via, request({ joiningServers: ensemble.reconfigSpec(JOINER, 'participant') }));
      expect(text.split('\n')).toContain(ensemble.reconfigSpec(JOINER, 'participant'));
      await expectConfigEverywhere([...ORIGINAL, JOINER], text);
      await writeThroughAndReadOn(leader, [JOINER]);
      await writeThroughAndReadOn(JOINER, ORIGINAL);
      // Becoming a voter is no role change for a follower: it stays connected to the same leader.
      await expectModeStays(JOINER, 'follower');
      await expectOwnMntr(JOINER, { zk_server_state: 'follower', zk_quorum_size: '4' });
      // zk_quorum_size is the voting view's size; zk_synced_followers counts every follower the leader
      // syncs, voting or not (Leader.getForwardingFollowers).
      await expectLeaderMntr({ zk_quorum_size: '4', zk_synced_followers: '3', zk_synced_non_voting_followers: '0' });
    }, 180_000);

    it('2. with four voters the quorum is three: two survivors cannot write, a third restores writes', async () => {
      // Keep the leader and the joiner: the survivors are one original voter and the new one.
      const victims = ORIGINAL.filter((id) => id !== leader);
      const survivors = [leader, JOINER];
      expect(victims).toHaveLength(2);
      const held = await ensemble.client(JOINER);
      try {
        for (const id of victims) await ensemble.kill(id);
        // The leader gives up once it has had no synced quorum for syncLimit ticks; neither survivor
        // can then win an election (2 of 4 votes), so both stay LOOKING and serve no client.
        for (const id of survivors) await waitForMode(id, 'not serving');
        note(`after killing ${victims.join(' and ')}: ${(await ensemble.statuses(survivors)).map((s) => `${s.id}=${s.mode}`).join(' ')}`);
        const outcome = await attemptCreate(held, '/during-outage', 8000);
        note(`  a write through ${JOINER} with two of four voters up: ${outcome}`);
        expect(outcome).not.toBe('ok');
      } finally {
        await held.close();
      }

      const [first, second] = victims as [number, number];
      await startMember(first);
      leader = await ensemble.waitForQuorum({ ids: [...survivors, first], timeoutMs: SERVE_TIMEOUT_MS });
      note(`after restarting ${first}: leader ${leader}`);
      // The restarted voter reads the four-voter configuration back from its dynamic file.
      await expectConfigEverywhere([...survivors, first], committed.toString());
      await writeThroughAndReadOn(JOINER, [...survivors, first]);
      await writeThroughAndReadOn(first, [JOINER]);
      const outageWrite = await ensemble.withClient(leader, (client) => client.exists('/during-outage'));
      expect(outageWrite, 'the write refused during the outage did not happen later').toBeNull();

      await startMember(second);
      leader = await ensemble.waitForQuorum({ ids: [...ORIGINAL, JOINER], timeoutMs: SERVE_TIMEOUT_MS });
      await writeThroughAndReadOn(second, [...ORIGINAL, JOINER]);
      await expectLeaderMntr({ zk_quorum_size: '4', zk_synced_followers: '3', zk_synced_non_voting_followers: '0' });
    }, 180_000);

    it('3. leavingServers removes a follower: it keeps following without a vote and still serves clients', async () => {
      removed = followerOf([...ORIGINAL, JOINER]);
      const remaining = [...ORIGINAL, JOINER].filter((id) => id !== removed);
      const text = await reconfig(`remove follower ${removed}`, leader, request({ leavingServers: String(removed) }));
      expect(text).not.toMatch(new RegExp(`^server\\.${removed}=`, 'mu'));
      await expectConfigEverywhere([...remaining, removed], text);
      // 3.8 (docs "Removing servers"): a removed server is not shut down; it becomes a non-voting
      // follower of the same leader (no role change: it was a participant and is in no role now, so
      // QuorumPeer.updateLearnerType keeps PARTICIPANT), so srvr still says follower, and it keeps
      // serving its clients, reads and forwarded writes, with the new configuration.
      note(`removed ${removed}: srvr Mode ${await mode(removed)}`);
      await expectModeStays(removed, 'follower');
      await expectOwnMntr(removed, { zk_server_state: 'follower', zk_quorum_size: '3' });
      await writeThroughAndReadOn(leader, [removed, ...remaining]);
      await writeThroughAndReadOn(removed, remaining);
      await writeThroughAndReadOn(followerOf(remaining), remaining);
      await expectLeaderMntr({ zk_quorum_size: '3', zk_synced_followers: '3', zk_synced_non_voting_followers: '1' });
    }, 180_000);

    it('4. a server added as an observer serves reads and forwards writes; re-added as a participant it votes', async () => {
      const members = committed.members.map((m) => Number(m.id));
      // The joiner's zoo.cfg lists the ensemble as it is now (the leader must be among them) and
      // itself as an observer, with peerType=observer (docs "Adding servers", option 1).
      await ensemble.writeCfgListing(OBSERVER, members);
      await startMember(OBSERVER);
      // 3.8: listing a joiner as an observer does not make it one; once it sees the committed
      // configuration it is absent from, it becomes a non-voting participant (QuorumPeer
      // updateLearnerType) and follows.
      await waitForMode(OBSERVER, 'follower');
      note(`observer-to-be ${OBSERVER} before the reconfig: srvr Mode ${await mode(OBSERVER)}`);
      expect(await configOn(OBSERVER)).toBe(committed.toString());
      activated.set(OBSERVER, [committed]);

      const asObserver = await reconfig('add server 5 as an observer', followerOf(members), request({ joiningServers: ensemble.reconfigSpec(OBSERVER, 'observer') }));
      expect(asObserver.split('\n')).toContain(ensemble.reconfigSpec(OBSERVER, 'observer'));
      // A role change makes the server leave its leader and connect again in its new role (3.8
      // skips the election then: reconfigFlag, and the designated leader is its vote).
      await waitForMode(OBSERVER, 'observer');
      await expectOwnMntr(OBSERVER, { zk_server_state: 'observer', zk_quorum_size: '3' });
      await expectConfigEverywhere([...members, OBSERVER, removed], asObserver);
      await writeThroughAndReadOn(leader, [OBSERVER]);
      await writeThroughAndReadOn(OBSERVER, members);
      await expectLeaderMntr({ zk_quorum_size: '3', zk_synced_observers: '1' });

      // Observers do not count as synced for NewConfigNoQuorum, but the three voters are all up, so
      // the new four-voter configuration has a synced quorum without server 5.
      const asParticipant = await reconfig('re-add server 5 as a participant', leader, request({ joiningServers: ensemble.reconfigSpec(OBSERVER, 'participant') }));
      expect(asParticipant.split('\n')).toContain(ensemble.reconfigSpec(OBSERVER, 'participant'));
      await waitForMode(OBSERVER, 'follower');
      await expectConfigEverywhere([...members, OBSERVER, removed], asParticipant);
      await writeThroughAndReadOn(OBSERVER, [...members, removed]);
      await expectLeaderMntr({ zk_quorum_size: '4', zk_synced_followers: '4', zk_synced_non_voting_followers: '1', zk_synced_observers: '0' });
    }, 180_000);

    it('5. newMembers replaces the whole membership: the removed follower is back, server 5 leaves', async () => {
      const members = [...ORIGINAL, JOINER];
      const newMembers = members.map((id) => ensemble.reconfigSpec(id, 'participant')).join(',');
      const text = await reconfig('newMembers 1-4', followerOf(members), request({ newMembers, curConfigId: committed.version }));
      for (const id of members) expect(text.split('\n')).toContain(ensemble.reconfigSpec(id, 'participant'));
      expect(text).not.toMatch(/^server\.5=/mu);
      await expectConfigEverywhere([...members, OBSERVER], text);
      // Both changes happen without a restart: the returning server just gets its vote back, and
      // server 5 stays a (now non-voting) follower, as in scenario 3.
      note(`after newMembers: ${(await ensemble.statuses()).map((s) => `${s.id}=${s.mode}`).join(' ')}`);
      await Promise.all([expectModeStays(removed, 'follower'), expectModeStays(OBSERVER, 'follower')]);
      await writeThroughAndReadOn(removed, [...members, OBSERVER]);
      await expectLeaderMntr({ zk_quorum_size: '4', zk_synced_followers: '4', zk_synced_non_voting_followers: '1' });
    }, 180_000);

    it('6. every zoo.cfg points to zoo.cfg.dynamic.<committed version>, written as 3.8 writes it', async () => {
      for (const id of ensemble.ids()) {
        const path = ensemble.cfgPath(id);
        const directory = await realpath(dirname(path));
        const history = activated.get(id) ?? [];
        expect(history.at(-1), `member ${id} has the committed configuration`).toBe(committed);
        const zooCfg = await readFile(path, 'utf8');
        const pointer = `dynamicConfigFile=${dynamicConfigFilename(join(directory, 'zoo.cfg'), committed.version)}`;
        expect(zooCfg.trimEnd().split('\n').at(-1), `member ${id} zoo.cfg`).toBe(pointer);
        expect(await readFile(dynamicConfigFilename(path, committed.version), 'utf8'), `member ${id} dynamic file`).toBe(dynamicConfigFileText(committed, false));

        // The whole zoo.cfg: each activation rewrote it from the previous one.
        let expectedCfg = startedCfg.get(id) ?? '';
        let lastSeen = 0n;
        for (const config of history) {
          lastSeen = config.version > lastSeen ? config.version : lastSeen;
          const fileWrites = activationConfigWrites({ zooCfgPath: path, zooCfgText: expectedCfg, zooCfgRealDirectory: directory, myId: BigInt(id), activated: config, lastSeenVersion: lastSeen });
          if (!fileWrites.ok) throw new Error(fileWrites.failure.message);
          for (const write of fileWrites.value) if (write.kind === 'write' && write.path === path) expectedCfg = write.text;
        }
        expect(zooCfg, `member ${id} zoo.cfg`).toBe(expectedCfg);
        expect(await readFile(`${path}.bak`, 'utf8'), `member ${id} zoo.cfg.bak is the zoo.cfg it was started with`).toBe(startedCfg.get(id));
        expect(existsSync(nextDynamicConfigFilename(path)), `member ${id}: no reconfig left pending`).toBe(false);
        const names = (await readdir(dirname(path))).filter((name) => name.startsWith('zoo.cfg.dynamic.')).sort();
        const expectedNames = [...new Set(history.map((c) => dynamicConfigFilename('zoo.cfg', c.version)))].sort();
        expect(names, `member ${id}: one dynamic file per activated configuration`).toEqual(expectedNames);
        note(`member ${id}: ${names.join(' ')}; zoo.cfg:\n${zooCfg.trimEnd().replace(/^/gmu, '      ')}`);
      }
    }, 60_000);

    it('7. re-adding a member with another client port moves its client port; its sessions stay', async () => {
      const [newPort] = await freePorts(1);
      if (newPort === undefined) throw new Error('no free port');
      const oldPort = ensemble.clientPort(JOINER);
      const spec = ensemble.reconfigSpec(JOINER, 'participant').replace(/:\d+$/u, `:${String(newPort)}`);
      await ensemble.withClient(JOINER, async (client) => {
        const text = await reconfig('move server 4 to another client port', followerOf([...ORIGINAL]), request({ joiningServers: spec }));
        expect(text.split('\n')).toContain(spec);
        // 3.8 closes the old listening socket and binds the new address; open connections stay.
        const answer = await poll(() => sendFourLetterWord(newPort, 'ruok', '127.0.0.1', 2000).catch((error: unknown) => String(error)), (r) => r === 'imok', 30_000);
        expect(answer, 'the new client port answers').toBe('imok');
        const refused = await sendFourLetterWord(oldPort, 'ruok', '127.0.0.1', 2000).then((r) => `answered ${r}`, (error: unknown) => String(error));
        expect(refused, 'the old client port is closed').toMatch(/ECONNREFUSED/u);
        await client.sync('/');
        expect((await client.getConfig()).data?.toString('utf8'), 'a session opened on the old port is still served').toBe(text);
      });
    }, 120_000);
  });
});
