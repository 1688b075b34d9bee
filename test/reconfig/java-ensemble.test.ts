// src/reconfig against a real Apache ZooKeeper 3.8 ensemble of three (Debian's, all Java members,
// reconfigEnabled=true, skipACL=yes so reconfig needs no super user). Raw reconfig requests go to
// the leader; for each one, computeReconfig is given what the leader knew (its configuration, the
// txn's zxid from the reply, its synced followers) and must give the same error code, or the same
// new configuration text as the reply and /zookeeper/config on every member. At the end every
// member's zoo.cfg, zoo.cfg.bak and zoo.cfg.dynamic.* files must be what the pure file functions
// produce for the same sequence of activations, and after a reconfig that removes the leader, the
// new leader must be the one designatedLeader picks.
//
// Every process is stopped by pid and the temp dir removed (MixedEnsemble.close), also on failure;
// ZK_INTEROP_KEEP=1 keeps the directory.

import { existsSync } from 'node:fs';
import { readdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServerConfig } from '../../src/config/index.js';
import { ErrorCode } from '../../src/protocol/error-code.js';
import { OpCode } from '../../src/protocol/op-code.js';
import {
  activationConfigWrites,
  computeReconfig,
  designatedLeader,
  dynamicConfigFilename,
  formatQuorumServer,
  dynamicConfigFileText,
  leaderEpochStartConfig,
  quorumAddresses,
  quorumVerifierFromServerConfig,
  type QuorumVerifier,
  type ReconfigOutcome,
  type ReconfigRequestFields,
} from '../../src/reconfig/index.js';
import { RawSession } from '../conformance/raw-session.js';
import { reconfigReplyOf, reconfigRequest, reconfigRequestBody, sendReconfig, type ReconfigReply } from './reconfig-requests.js';
import { MixedEnsemble, type MemberKind } from '../interop/mixed-ensemble.js';
import { freePorts } from '../support/free-port.js';
import { ZOOKEEPER_JAR } from '../support/java-zookeeper.js';
import { sleep } from '../support/zk-wait.js';
import { JAVA_ZKCLI, OUR_ZKCLI, runCli } from '../zkcli/support.js';

const available = existsSync(ZOOKEEPER_JAR) && existsSync('/usr/share/java/slf4j-simple.jar');
const IDS = [1, 2, 3];
const READ_OPTIONS = { standaloneEnabled: true, multiAddressEnabled: false };

type JavaReply = ReconfigReply;
const request = reconfigRequest;

function describeOutcome(outcome: ReconfigOutcome): string {
  return outcome.ok ? `ok:\n${outcome.newConfig.toString()}` : `err ${outcome.err} (${outcome.reason})`;
}

/**
 * Who runs each member: all Java (the oracle), all ours, and ours leading Java followers and the
 * reverse. A fresh ensemble elects the highest id of the first quorum to start: `startFirst` is
 * that quorum (server 3 leads in every layout), the other member joins once it leads.
 */
const LAYOUTS: readonly { readonly name: string; readonly kinds: readonly MemberKind[]; readonly startFirst: readonly number[] }[] = [
  { name: 'Java 3.8 members', kinds: ['java', 'java', 'java'], startFirst: [1, 2, 3] },
  { name: 'our members', kinds: ['ours', 'ours', 'ours'], startFirst: [1, 2, 3] },
  { name: 'our leader, Java followers', kinds: ['java', 'java', 'ours'], startFirst: [2, 3] },
  { name: 'Java leader, our followers', kinds: ['ours', 'ours', 'java'], startFirst: [1, 3] },
];
const ONLY = process.env['ZK_RECONFIG_LAYOUT'];

describe.skipIf(!available).each(LAYOUTS.filter((layout) => ONLY === undefined || layout.name === ONLY))('reconfig on an ensemble of $name', ({ kinds, startFirst }) => {
  let ensemble: MixedEnsemble;
  /** zoo.cfg of each member as MixedEnsemble wrote it. */
  const originalCfg = new Map<number, string>();
  let leader = 0;
  let committed: QuorumVerifier;
  /** Every configuration activated so far, in order (the epoch-start one first). */
  const activations: QuorumVerifier[] = [];
  let spare: number[] = [];
  /** What 3.8 answered to each request, printed at the end as a record of the run. */
  const transcript: string[] = [];

  beforeAll(async () => {
    ensemble = await MixedEnsemble.create(
      IDS.map((id, i) => ({ id, kind: kinds[i] ?? 'java' })),
      { tickTimeMs: 1000, initLimit: 10, syncLimit: 5, extraCfg: { reconfigEnabled: 'true', skipACL: 'yes' } },
    );
    for (const id of IDS) originalCfg.set(id, await readFile(cfgPath(id), 'utf8'));
    await ensemble.startAll(startFirst);
    leader = await ensemble.waitForQuorum({ ids: startFirst, timeoutMs: 90_000 });
    const rest = IDS.filter((id) => !startFirst.includes(id));
    if (rest.length > 0) {
      await ensemble.startAll(rest);
      leader = await ensemble.waitForQuorum({ timeoutMs: 90_000 });
    }
    expect(leader, 'server 3 leads').toBe(3);
    // Ports for members that never run: nothing binds them, so clashes with the members' are harmless.
    spare = await freePorts(20);
  }, 180_000);

  afterAll(async () => {
    process.stdout.write(`3.8 answers (leader ${leader}):\n${transcript.join('\n')}\n`);
    await ensemble?.close();
  }, 60_000);

  function cfgPath(id: number): string {
    return join(ensemble.dir, `member-${id}`, 'zoo.cfg');
  }

  function followers(): Set<bigint> {
    return new Set(ensemble.running().filter((id) => id !== leader).map(BigInt));
  }

  function port(): number {
    const next = spare.shift();
    if (next === undefined) throw new Error('out of spare ports');
    return next;
  }

  async function configOn(id: number): Promise<string> {
    const client = await ensemble.client(id);
    try {
      await client.sync('/');
      return (await client.getConfig()).data?.toString('utf8') ?? '';
    } finally {
      await client.close();
    }
  }

  async function send(fields: ReconfigRequestFields): Promise<JavaReply> {
    return sendReconfig(ensemble.clientPort(leader), fields);
  }

  function ours(fields: ReconfigRequestFields, zxid: bigint, lastSeen: QuorumVerifier = committed): ReconfigOutcome {
    return computeReconfig({
      request: fields,
      committed,
      lastSeen,
      zxid,
      leaderId: BigInt(leader),
      syncedFollowers: followers(),
      standaloneEnabled: true,
      multiAddressEnabled: false,
    });
  }

  /** The same error code, or the same new configuration text in the reply and on every member. */
  async function expectSame(label: string, java: JavaReply, outcome: ReconfigOutcome): Promise<void> {
    transcript.push(`  ${label}: ${java.err === 0 ? `ok, version ${java.zxid.toString(16)}` : `err ${java.err}`}${outcome.ok ? '' : ` (ours: ${outcome.reason})`}`);
    const context = `${label}: 3.8 answered ${java.err}${java.configText === null ? '' : `:\n${java.configText}`}\nours: ${describeOutcome(outcome)}`;
    expect(outcome.ok ? 0 : outcome.err, context).toBe(java.err);
    if (!outcome.ok) return;
    expect(outcome.txnData.data?.toString('utf8'), context).toBe(java.configText);
    for (const id of ensemble.running()) expect(await configOn(id), `${context}\n/zookeeper/config on member ${id}`).toBe(java.configText);
    committed = outcome.newConfig;
    activations.push(outcome.newConfig);
  }

  async function step(label: string, fields: ReconfigRequestFields): Promise<JavaReply> {
    const java = await send(fields);
    await expectSame(label, java, ours(fields, java.zxid));
    return java;
  }

  it('agrees with 3.8 on the configuration the first leader establishes (version = NEWLEADER zxid)', async () => {
    const text = await configOn(leader);
    const zooCfg = originalCfg.get(leader) ?? '';
    const config = buildServerConfig({ zooCfg, zooCfgPath: cfgPath(leader), myidFile: String(leader) });
    const staticConfig = quorumVerifierFromServerConfig(config, null);
    expect(staticConfig.version).toBe(0n);
    const epoch = await ensemble.currentEpoch(leader);
    expect(epoch).not.toBeNull();
    const started = leaderEpochStartConfig(staticConfig, staticConfig, (epoch ?? 0n) << 32n, READ_OPTIONS);
    expect(started?.toString()).toBe(text);
    for (const id of ensemble.running()) expect(await configOn(id)).toBe(text);
    if (started === null) throw new Error('unreachable');
    committed = started;
    activations.push(started);
  }, 60_000);

  it('agrees on refused requests: curConfigId mismatch, bad specs, too few voters, no synced quorum', async () => {
    const [q, e, c] = [port(), port(), port()];
    const ninth = `server.9=127.0.0.1:${q}:${e}:participant;127.0.0.1:${c}`;
    await step('curConfigId mismatch', request({ joiningServers: ninth, curConfigId: committed.version + 1n }));
    await step('bad role', request({ joiningServers: `server.9=127.0.0.1:${q}:${e}:voter;${c}` }));
    await step('no client port', request({ joiningServers: `server.9=127.0.0.1:${q}:${e}` }));
    await step('unparsable port', request({ joiningServers: `server.9=127.0.0.1:x:${e};${c}` }));
    await step('port out of range', request({ joiningServers: `server.9=127.0.0.1:70000:${e};${c}` }));
    await step('leaving id not a number', request({ leavingServers: 'abc' }));
    await step('joiner id not a number', request({ joiningServers: `server.x=127.0.0.1:${q}:${e};${c}` }));
    await step('two = in a joiner', request({ joiningServers: `server.9=127.0.0.1:${q}:${e};${c}=1` }));
    const others = IDS.filter((id) => id !== leader);
    await step('only one voter left', request({ leavingServers: others.join(',') }));
    await step('everyone leaves', request({ leavingServers: IDS.join(',') }));
    await step('empty newMembers', request({ newMembers: '' }));
    await step('unknown key in newMembers', request({ newMembers: `${ninth}\nfoo=bar` }));
    const self = committed.member(BigInt(leader));
    const selfAddress = self?.addresses[0];
    if (selfAddress === undefined) throw new Error('the leader is a member');
    const leaderSpec = `server.${leader}=127.0.0.1:${selfAddress.quorumPort}:${selfAddress.electionPort};${ensemble.clientPort(leader)}`;
    const [q7, e7, c7, q8, e8, c8] = [port(), port(), port(), port(), port(), port()];
    await step(
      'new voters not connected',
      request({ newMembers: `${leaderSpec},server.7=127.0.0.1:${q7}:${e7};${c7},server.8=127.0.0.1:${q8}:${e8};${c8}` }),
    );
    // ',' becomes a newline: a space after it starts the next line (dropped), a space before it ends a value (kept).
    await step('space after a comma in newMembers', request({ newMembers: `${leaderSpec}, server.7=127.0.0.1:${q7}:${e7};${c7}` }));
    await step('space before a comma in newMembers', request({ newMembers: `${leaderSpec} ,server.7=127.0.0.1:${q7}:${e7};${c7}` }));
    await step('observers without a quorum', request({ newMembers: `${leaderSpec}\nserver.7=127.0.0.1:${q7}:${e7}:observer;${c7}` }));
    expect(activations).toHaveLength(1);
  }, 120_000);

  it('agrees on committed reconfigs: incremental adds and removes, ids that collide in the HashMap, non-incremental', async () => {
    const [q, e, c] = [port(), port(), port()];
    // Server 9 shares a bucket with server 1 in the 8-bucket copy of a 3-member map: 3.8 writes it second.
    const nine = await step('add voter 9 (curConfigId matching)', request({ joiningServers: `server.9=127.0.0.1:${q}:${e}:participant;127.0.0.1:${c}`, curConfigId: committed.version }));
    expect(nine.configText?.split('\n').map((line) => line.split('=')[0])).toEqual(['server.1', 'server.9', 'server.2', 'server.3', 'version']);

    // Two reconfigs sent back to back: the second usually finds the first proposed but not committed.
    const before = committed;
    const [q4, e4, c4] = [port(), port(), port()];
    const first = request({ leavingServers: '9' });
    const second = request({ joiningServers: `server.4=127.0.0.1:${q4}:${e4}:observer;${c4}` });
    const session = await RawSession.connect({ host: '127.0.0.1', port: ensemble.clientPort(leader) });
    let replies: [JavaReply, JavaReply];
    try {
      const pending = [
        session.request(OpCode.reconfig, reconfigRequestBody(first), { timeoutMs: 30_000 }),
        session.request(OpCode.reconfig, reconfigRequestBody(second), { timeoutMs: 30_000 }),
      ];
      const [a, b] = await Promise.all(pending);
      if (a === undefined || b === undefined) throw new Error('missing reply');
      replies = [reconfigReplyOf(a), reconfigReplyOf(b)];
    } finally {
      await session.close();
    }
    const firstOutcome = ours(first, replies[0].zxid);
    await expectSame('leave 9', replies[0], firstOutcome);
    transcript.push(`  second of two back-to-back requests: err ${replies[1].err}`);
    if (replies[1].err === ErrorCode.reconfigInProgress) {
      // What the leader saw when it prepared the second request: the first proposed, not committed.
      if (!firstOutcome.ok) throw new Error('unreachable');
      const inProgress = computeReconfig({
        request: second,
        committed: before,
        lastSeen: firstOutcome.newConfig,
        zxid: replies[1].zxid,
        leaderId: BigInt(leader),
        syncedFollowers: followers(),
        standaloneEnabled: true,
        multiAddressEnabled: false,
      });
      expect(inProgress.ok ? 0 : inProgress.err).toBe(ErrorCode.reconfigInProgress);
      await step('add observer 4 again', second);
    } else {
      await expectSame('add observer 4 right after', replies[1], ours(second, replies[1].zxid));
    }

    await step('remove a server that is not a member', request({ leavingServers: '42' }));
    const two = committed.member(2n)?.addresses[0];
    if (two === undefined) throw new Error('server 2 is a member');
    await step(
      'remove and re-add server 2 with its client address',
      request({ leavingServers: '2', joiningServers: `server.2=127.0.0.1:${two.quorumPort}:${two.electionPort}:participant;127.0.0.1:${ensemble.clientPort(2)}` }),
    );
    const members = IDS.map((id) => {
      const address = committed.member(BigInt(id))?.addresses[0];
      if (address === undefined) throw new Error(`server ${id} is a member`);
      return `server.${id}=127.0.0.1:${address.quorumPort}:${address.electionPort}:participant;127.0.0.1:${ensemble.clientPort(id)}`;
    });
    await step('non-incremental: back to the three voters', request({ newMembers: members.join('\n'), curConfigId: committed.version }));
  }, 180_000);

  it('writes the same zoo.cfg, zoo.cfg.bak and zoo.cfg.dynamic.* files as the pure functions', async () => {
    for (const id of IDS) {
      const path = cfgPath(id);
      const dir = join(ensemble.dir, `member-${id}`);
      const realDir = await realpath(dir);
      expect(await readFile(`${path}.bak`, 'utf8'), `member ${id} zoo.cfg.bak`).toBe(originalCfg.get(id));
      let zooCfg = originalCfg.get(id) ?? '';
      let lastSeenVersion = 0n;
      for (const config of activations) {
        lastSeenVersion = config.version > lastSeenVersion ? config.version : lastSeenVersion;
        const writes = activationConfigWrites({ zooCfgPath: path, zooCfgText: zooCfg, zooCfgRealDirectory: realDir, myId: BigInt(id), activated: config, lastSeenVersion });
        if (!writes.ok) throw new Error(writes.failure.message);
        for (const write of writes.value) if (write.kind === 'write' && write.path === path) zooCfg = write.text;
        expect(await readFile(dynamicConfigFilename(path, config.version), 'utf8'), `member ${id} ${dynamicConfigFilename('zoo.cfg', config.version)}`).toBe(
          dynamicConfigFileText(config, false),
        );
      }
      expect(await readFile(path, 'utf8'), `member ${id} zoo.cfg`).toBe(zooCfg);
      const names = (await readdir(dir)).filter((name) => name.startsWith('zoo.cfg')).sort();
      const expected = ['zoo.cfg', 'zoo.cfg.bak', ...activations.map((c) => dynamicConfigFilename('zoo.cfg', c.version))].sort();
      expect(names, `member ${id}: no zoo.cfg.dynamic.next left, one file per activation`).toEqual(expected);
    }
  }, 60_000);

  it("takes reconfigs from Java's zkCli.sh and ours (reconfig -add, -remove, -s, -v) through a follower, with the same output", async () => {
    const via = IDS.find((id) => id !== leader) ?? leader;
    const [q, e, c] = [port(), port(), port()];
    const spec = `server.6=127.0.0.1:${q}:${e}:observer;127.0.0.1:${c}`;
    const server = ['-server', `127.0.0.1:${ensemble.clientPort(via)}`];
    const steps: [string, string[], ReconfigRequestFields][] = [
      [JAVA_ZKCLI, ['-add', spec], request({ joiningServers: spec })],
      [OUR_ZKCLI, ['-remove', '6'], request({ leavingServers: '6' })],
      [OUR_ZKCLI, ['-s', '-add', spec], request({ joiningServers: spec })],
      [JAVA_ZKCLI, ['-s', '-remove', '6'], request({ leavingServers: '6' })],
    ];
    for (const [cli, args, fields] of steps) {
      const label = `${cli === OUR_ZKCLI ? 'our' : "Java's"} zkCli reconfig ${args.join(' ')}`;
      const run = await runCli(cli, [...server, 'reconfig', ...args], { timeoutMs: 60_000 });
      const text = /^Committed new configuration:\n([^]*?version=[0-9a-f]+)$/mu.exec(run.stdout)?.[1];
      if (text === undefined) throw new Error(`${label} printed no committed configuration:\n${run.stdout}\n${run.stderr}`);
      const version = BigInt(`0x${/version=([0-9a-f]+)$/u.exec(text)?.[1] ?? '0'}`);
      await expectSame(label, { err: 0, zxid: version, configText: text }, ours(fields, version));
      // -s prints the stat of /zookeeper/config: its mzxid is the reconfig's zxid.
      if (args.includes('-s')) expect(run.stdout, label).toMatch(new RegExp(`^mZxid = 0x${version.toString(16)}$`, 'mu'));
    }
    // -file: a dynamic config file with the three voters, sent as the whole membership (the CLI
    // checks it and sends it in QuorumVerifier form, `version=0` included).
    const file = join(ensemble.dir, 'members.cfg');
    const voters = committed.votingMembers.map((m) => `server.${m.id}=${formatQuorumServer(m)}`);
    await writeFile(file, `${voters.join('\n')}\n`);
    const sent = `${voters.join('\n')}\nversion=0`;
    for (const cli of [OUR_ZKCLI, JAVA_ZKCLI]) {
      const label = `${cli === OUR_ZKCLI ? 'our' : "Java's"} zkCli reconfig -file`;
      const run = await runCli(cli, [...server, 'reconfig', '-file', file], { timeoutMs: 60_000 });
      const text = /^Committed new configuration:\n([^]*?version=[0-9a-f]+)$/mu.exec(run.stdout)?.[1];
      if (text === undefined) throw new Error(`${label} printed no committed configuration:\n${run.stdout}\n${run.stderr}`);
      const version = BigInt(`0x${/version=([0-9a-f]+)$/u.exec(text)?.[1] ?? '0'}`);
      await expectSame(label, { err: 0, zxid: version, configText: text }, ours(request({ newMembers: sent }), version));
    }
    // Refusals print the same message and exit code from both CLIs.
    for (const args of [['-v', '1', '-remove', '6'], ['-v', 'xyz', '-remove', '6'], ['-members', spec, '-add', spec], []]) {
      const [java, our] = await Promise.all([JAVA_ZKCLI, OUR_ZKCLI].map((cli) => runCli(cli, [...server, 'reconfig', ...args], { timeoutMs: 60_000 })));
      const lastLine = (text: string): string => text.trimEnd().split('\n').filter((line) => !/^(SLF4J|log4j|\d{4}-\d\d-\d\d )/u.test(line)).at(-1) ?? '';
      expect([lastLine(our?.stderr ?? ''), our?.code], `reconfig ${args.join(' ')}: ours\n${our?.stdout ?? ''}${our?.stderr ?? ''}`).toEqual([lastLine(java?.stderr ?? ''), java?.code]);
    }
  }, 180_000);

  it('hands leadership to the designated leader when the leader removes itself', async () => {
    const old = leader;
    const self = committed.member(BigInt(old));
    if (self === undefined) throw new Error('the leader is a member');
    const selfAddresses = quorumAddresses(self);
    const fields = request({ leavingServers: String(old) });
    const java = await send(fields);
    const outcome = ours(fields, java.zxid);
    expect(outcome.ok ? 0 : outcome.err, describeOutcome(outcome)).toBe(java.err);
    if (!outcome.ok) return;
    expect(outcome.txnData.data?.toString('utf8')).toBe(java.configText);
    const remaining = IDS.filter((id) => id !== old);
    const designated = designatedLeader({
      leaderId: BigInt(old),
      leaderQuorumAddresses: selfAddresses,
      newConfig: outcome.newConfig,
      newConfigAcks: remaining.map(BigInt),
      laterProposals: [],
    });
    expect(remaining.map(BigInt)).toContain(designated);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const statuses = await ensemble.statuses(remaining);
      const leaders = statuses.filter((s) => s.mode === 'leader').map((s) => BigInt(s.id));
      if (leaders.length === 1 && statuses.every((s) => s.mode === 'leader' || s.mode === 'follower')) {
        expect(leaders[0]).toBe(designated);
        break;
      }
      if (Date.now() > deadline) throw new Error(`no leader among ${remaining.join(', ')}: ${JSON.stringify(statuses, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
      await sleep(250);
    }
    for (const id of remaining) expect(await configOn(id)).toBe(java.configText);
  }, 120_000);
});
