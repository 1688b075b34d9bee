// The Java CLI (Debian's zkCli.sh 3.8.0) driven over stdin against our server and against Apache
// ZooKeeper 3.8.0: the same script runs on both, and the printed lines must be identical once
// times, zxid values and session ids are replaced by tokens (equal values stay equal).

import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningZooKeeper } from '../support/java-zookeeper.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';
import {
  parseClientDate,
  requireFile,
  runClient,
  startPair,
  timesOutsideWindow,
  TokenMap,
  ZKCLI,
  type ServerPair,
} from './support.js';

interface ZkCliOutput {
  /** Output lines without banners, blank lines and watcher blocks; times/zxids/sessions tokenised. */
  lines: string[];
  /** `WatchedEvent ...` lines in the order they were printed. */
  events: string[];
  /** Every non-epoch ctime/mtime printed, as epoch ms. */
  times: number[];
  exitCode: number | null;
  timedOut: boolean;
  raw: string;
  stderr: string;
}

const SESSION_LIMIT = 0x8000000000000000n;

function normaliseZkCli(stdout: string): Pick<ZkCliOutput, 'lines' | 'events' | 'times'> {
  const zxids = new TokenMap('Z');
  const sessions = new TokenMap('S');
  const lines: string[] = [];
  const events: string[] = [];
  const times: number[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '' || line === 'WATCHER::' || line === 'Welcome to ZooKeeper!' || line === 'JLine support is disabled') continue;
    if (line.startsWith('Connecting to ') || line.startsWith('SLF4J:')) continue;
    const event = /^WatchedEvent (.*)$/.exec(line);
    if (event !== null) {
      events.push(event[1] ?? '');
      continue;
    }
    const zxid = /^(cZxid|mZxid|pZxid) = (0x[0-9a-f]+)$/.exec(line);
    if (zxid !== null) {
      const value = zxid[2] ?? '';
      lines.push(`${zxid[1] ?? ''} = ${value === '0x0' ? value : zxids.token(value)}`);
      continue;
    }
    const time = /^(ctime|mtime) = (.*)$/.exec(line);
    if (time !== null) {
      const ms = parseClientDate(time[2] ?? '');
      if (ms === undefined) {
        lines.push(line); // unparseable: kept verbatim so a difference shows
      } else {
        times.push(ms);
        lines.push(ms === 0 ? line : `${time[1] ?? ''} = <time>`);
      }
      continue;
    }
    const owner = /^ephemeralOwner = 0x([0-9a-f]+)$/.exec(line);
    if (owner !== null) {
      const value = BigInt(`0x${owner[1] ?? '0'}`);
      lines.push(value === 0n || value >= SESSION_LIMIT ? line : `ephemeralOwner = ${sessions.token(value.toString(16))}`);
      continue;
    }
    lines.push(line);
  }
  // zkCli prints the Closed event from its event thread while `quit` exits the JVM, so whether it
  // appears at all is a race in the client (seen with Java's server too): not compared.
  if (events[events.length - 1] === 'state:Closed type:None path:null') events.pop();
  return { lines, events, times };
}

async function zkCli(server: RunningZooKeeper, script: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ZkCliOutput> {
  const run = await runClient(ZKCLI, ['-server', `127.0.0.1:${String(server.port)}`], {
    stdin: `${[...script, 'quit'].join('\n')}\n`,
    timeoutMs: 45_000,
    env,
    // zkCli 3.8 prints results of some commands ("Created /x") and all errors on stderr.
    mergeStderr: true,
  });
  return { ...normaliseZkCli(run.stdout), exitCode: run.code, timedOut: run.timedOut, raw: run.stdout, stderr: run.stderr };
}

/** One-shot mode: `zkCli.sh -server host:port cmd args...`. */
async function zkCliCommand(server: RunningZooKeeper, args: readonly string[]): Promise<ZkCliOutput> {
  const run = await runClient(ZKCLI, ['-server', `127.0.0.1:${String(server.port)}`, ...args], { timeoutMs: 45_000, mergeStderr: true });
  return { ...normaliseZkCli(run.stdout), exitCode: run.code, timedOut: run.timedOut, raw: run.stdout, stderr: run.stderr };
}

function digest(user: string, password: string): string {
  return `${user}:${createHash('sha1').update(`${user}:${password}`).digest('base64')}`;
}

describe('Java zkCli.sh 3.8 against our server, compared with Apache ZooKeeper 3.8', () => {
  let pair: ServerPair | undefined;

  beforeAll(async () => {
    requireFile(ZKCLI, 'zookeeper');
    pair = await startPair();
  });

  afterAll(async () => {
    await pair?.stop();
  });

  function servers(): ServerPair {
    if (pair === undefined) throw new Error('servers not started');
    return pair;
  }

  /** Runs the script against Java and ours in parallel; checks the run itself and the time stamps. */
  async function onBoth(script: readonly string[]): Promise<{ java: ZkCliOutput; ours: ZkCliOutput }> {
    const from = Date.now();
    const [java, ours] = await Promise.all([zkCli(servers().java, script), zkCli(servers().ours, script)]);
    const to = Date.now();
    for (const [name, out] of [
      ['java', java],
      ['ours', ours],
    ] as const) {
      expect(out.timedOut, `${name}: zkCli did not finish; output:\n${out.raw}\n${out.stderr}`).toBe(false);
      expect(timesOutsideWindow(out.times, from, to), `${name}: ctime/mtime outside the test run`).toEqual([]);
    }
    return { java, ours };
  }

  function expectSame(java: ZkCliOutput, ours: ZkCliOutput): void {
    expect(ours.lines, `our output differs from Java's; raw output from our server:\n${ours.raw}`).toEqual(java.lines);
    expect(ours.events, 'watcher events differ').toEqual(java.events);
    // zkCli exits with 1 when a command of the script failed, so this follows the error replies.
    expect(ours.exitCode, 'zkCli exit code differs').toBe(java.exitCode);
  }

  it('create (plain, -e, -s, -c), get -s, set -v, ls -s, ls -R, stat, delete -v and deleteall print what Java prints', async () => {
    const script = [
      'create /crud "root data"',
      'create /crud/plain hello',
      'create -e /crud/eph ephemeral',
      'create -s /crud/seq- s1',
      'create -s /crud/seq- s2',
      'create -e -s /crud/eseq- es',
      'create -c /crud/container',
      'create /crud/container/child c',
      'create /crud/plain again',
      'create /crud/missing/child x',
      'create /crud/eph/child x',
      'get -s /crud/plain',
      'set -v 0 /crud/plain v2',
      'set -v 0 /crud/plain v3',
      'set -s /crud/plain v3',
      'get -s /crud/plain',
      'ls /crud',
      'ls -s /crud',
      'ls -R /crud',
      'stat /crud/plain',
      'stat /crud/eph',
      'stat /crud/container',
      'stat /crud/missing',
      'get /crud/missing',
      'delete -v 5 /crud/plain',
      'delete /crud',
      'delete -v 2 /crud/plain',
      'delete /crud/missing',
      'ls /crud',
      'deleteall /crud',
      'ls /crud',
      'stat /crud',
    ];
    const { java, ours } = await onBoth(script);
    for (const [name, out] of [['java', java], ['ours', ours]] as const) {
      expect(out.lines, name).toEqual(
        expect.arrayContaining([
          'Created /crud',
          'Created /crud/seq-0000000002',
          'Created /crud/seq-0000000003',
          'Created /crud/eseq-0000000004',
          'Created /crud/container',
          'Node already exists: /crud/plain',
          'Node does not exist: /crud/missing/child',
          'Ephemerals cannot have children: /crud/eph/child',
          'version No is not valid : /crud/plain',
          'Node not empty: /crud',
          'Node does not exist: /crud',
          'hello',
          'v3',
          'dataVersion = 2',
          '[container, eph, eseq-0000000004, plain, seq-0000000002, seq-0000000003]',
          '/crud/container/child',
          'ephemeralOwner = S1',
        ]),
      );
      expect(out.events, name).toEqual(['state:SyncConnected type:None path:null']);
    }
    expectSame(java, ours);
  });

  it('create with an ACL, getAcl, setAcl and permission denials print what Java prints', async () => {
    const script = [
      'create /acl x',
      'create /acl/read data world:anyone:r',
      'create /acl/ip data ip:127.0.0.1:cdrwa',
      'create /acl/otherip data ip:10.9.8.7:cdrwa',
      'create /acl/multi data world:anyone:r,ip:127.0.0.1:cdrwa',
      'getAcl /acl',
      'getAcl /acl/read',
      'getAcl -s /acl/read',
      'getAcl /acl/ip',
      'getAcl /acl/multi',
      'getAcl /acl/missing',
      'get /acl/read',
      'set /acl/read nope',
      'create /acl/read/kid x',
      'get /acl/otherip',
      'get /acl/ip',
      'setAcl /acl/ip world:anyone:cdrwa',
      'setAcl -v 5 /acl/ip world:anyone:r',
      'setAcl -s /acl/ip world:anyone:cdrw',
      'getAcl -s /acl/ip',
      'setAcl /acl/ip world:anyone:r',
      'setAcl /acl/otherip world:anyone:cdrwa',
      'setAcl /acl/missing world:anyone:r',
      'delete /acl/otherip',
      'ls /acl',
    ];
    const { java, ours } = await onBoth(script);
    for (const [name, out] of [['java', java], ['ours', ours]] as const) {
      expect(out.lines, name).toEqual(
        expect.arrayContaining([
          "'world,'anyone",
          ': r',
          "'ip,'127.0.0.1",
          ': cdrwa',
          'Insufficient permission : /acl/read',
          'Insufficient permission : /acl/read/kid',
          'Insufficient permission : /acl/otherip',
          'version No is not valid : /acl/ip',
          'Insufficient permission : /acl/ip',
          'aclVersion = 2',
          ': cdrw',
          '[ip, multi, read]',
        ]),
      );
    }
    expectSame(java, ours);
  });

  it('addauth digest, whoami and auth/digest ACLs behave as in Java across sessions', async () => {
    const bob = digest('bob', 'pw');
    const first = [
      'whoami',
      'addauth digest alice:secret',
      'whoami',
      'create /auth x',
      'create /auth/secret s auth::cdrwa',
      `create /auth/bob b digest:${bob}:cdrwa`,
      'getAcl /auth/secret',
      'getAcl /auth/bob',
      'get /auth/secret',
      'get /auth/bob',
    ];
    const withoutAuth = [
      'whoami',
      'get /auth/secret',
      'getAcl /auth/secret',
      'create /auth/noauth x auth::cdrwa',
      'addauth digest alice:wrong',
      'get /auth/secret',
      'addauth digest alice:secret',
      'get /auth/secret',
      'whoami',
      'setAcl /auth/secret world:anyone:r',
      'get /auth/secret',
      'set /auth/secret nope',
    ];
    // By now /auth/secret is world-readable (setAcl above) but only alice may still write it.
    const asBob = ['addauth digest bob:pw', 'get /auth/bob', 'set /auth/bob b2', 'get /auth/bob', 'get /auth/secret', 'set /auth/secret bob'];

    const a = await onBoth(first);
    for (const [name, out] of [['java', a.java], ['ours', a.ours]] as const) {
      expect(out.lines, name).toEqual(
        expect.arrayContaining([
          'Auth scheme: User',
          'ip: 127.0.0.1',
          'digest: alice',
          `'digest,'${digest('alice', 'secret')}`,
          's',
          // getAcl needs READ or ADMIN since 3.5, so alice may not read bob's ACL.
          'Insufficient permission : /auth/bob',
        ]),
      );
    }
    expectSame(a.java, a.ours);

    const b = await onBoth(withoutAuth);
    for (const [name, out] of [['java', b.java], ['ours', b.ours]] as const) {
      expect(out.lines, name).toEqual(
        expect.arrayContaining(['Insufficient permission : /auth/secret', 'Acl is not valid : /auth/noauth', 's', 'digest: alice']),
      );
    }
    expectSame(b.java, b.ours);

    const c = await onBoth(asBob);
    for (const [name, out] of [['java', c.java], ['ours', c.ours]] as const) {
      expect(out.lines, name).toEqual(['b', 'b2', 's', 'Insufficient permission : /auth/secret']);
    }
    expectSame(c.java, c.ours);
  });

  it('sync, getEphemerals and getAllChildrenNumber print what Java prints; ephemerals go with the session', async () => {
    const script = [
      'create /eph x',
      'create -e /eph/a 1',
      'create -e /eph/b 2',
      'create -e -s /eph/s- 3',
      'create /eph/p x',
      'create /eph/p/q x',
      'create -e /eph/p/q/r x',
      'getEphemerals',
      'getEphemerals /eph',
      'getEphemerals /eph/p',
      'getEphemerals /none',
      'getAllChildrenNumber /eph',
      'getAllChildrenNumber /eph/p',
      'getAllChildrenNumber /eph/a',
      'getAllChildrenNumber /none',
      'sync /eph',
      'sync /none',
    ];
    const first = await onBoth(script);
    for (const [name, out] of [['java', first.java], ['ours', first.ours]] as const) {
      expect(out.lines, name).toEqual(expect.arrayContaining(['6', '2', '0', 'Sync is OK']));
      expect(out.lines.filter((l) => l.startsWith('[/eph')), name).toHaveLength(3);
    }
    expectSame(first.java, first.ours);

    // A new session: the previous session closed, so its ephemerals are gone and it owns none.
    const second = await onBoth(['getEphemerals', 'ls -R /eph', 'getAllChildrenNumber /eph']);
    for (const [name, out] of [['java', second.java], ['ours', second.ours]] as const) {
      expect(out.lines, name).toEqual(['[]', '/eph', '/eph/p', '/eph/p/q', '2']);
    }
    expectSame(second.java, second.ours);
  });

  it('config and the /zookeeper subtree look as in a standalone Java server', async () => {
    const script = [
      'config',
      'config -s',
      'get -s /zookeeper/config',
      'ls /zookeeper',
      'ls -s /zookeeper',
      'getAcl /zookeeper',
      'getAcl /zookeeper/config',
      'getAcl /zookeeper/quota',
      'get -s /zookeeper/quota',
      'set /zookeeper/config x',
      'create /zookeeper/x y',
      'delete /zookeeper/quota',
      'ls /zookeeper',
    ];
    const { java, ours } = await onBoth(script);
    for (const [name, out] of [['java', java], ['ours', ours]] as const) {
      expect(out.lines, name).toEqual(expect.arrayContaining(['[config, quota]']));
    }
    expectSame(java, ours);
  });

  it('setquota, listquota and delquota work on the /zookeeper/quota tree as in Java', async () => {
    const script = [
      'create /q x',
      'create /q/a x',
      'setquota -n 5 /q',
      'listquota /q',
      'ls -R /zookeeper/quota',
      'get /zookeeper/quota/q/zookeeper_limits',
      'get /zookeeper/quota/q/zookeeper_stats',
      'setquota -n 3 /q/a',
      'delquota -n /q',
      'listquota /q',
      'delquota /q',
      'listquota /q',
    ];
    const { java, ours } = await onBoth(script);
    for (const [name, out] of [['java', java], ['ours', ours]] as const) {
      expect(out.lines, name).toEqual(
        expect.arrayContaining([
          '/zookeeper/quota/q/zookeeper_limits',
          '/zookeeper/quota/q/zookeeper_stats',
          // StatsTrack.toString in 3.8 really prints this odd "=;" form.
          'Output quota for /q count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=-1',
          // the stats node is kept up to date by the server: /q and /q/a, one byte of data each
          'Output stat for /q count=2,bytes=2',
          '/q/a has a parent /q which has a quota',
          'quota for /q does not exist.',
        ]),
      );
    }
    expectSame(java, ours);
  });

  it('one-shot command mode: output and exit code as in Java', async () => {
    const results: { java: ZkCliOutput[]; ours: ZkCliOutput[] } = { java: [], ours: [] };
    const commands = [['create', '/oneshot', 'v'], ['get', '/oneshot'], ['stat', '/oneshot-missing'], ['create', '/oneshot', 'again'], ['delete', '/oneshot']];
    for (const args of commands) {
      const [java, ours] = await Promise.all([zkCliCommand(servers().java, args), zkCliCommand(servers().ours, args)]);
      results.java.push(java);
      results.ours.push(ours);
    }
    const summary = (outs: ZkCliOutput[]): { lines: string[]; exitCode: number | null; timedOut: boolean }[] =>
      outs.map((o) => ({ lines: o.lines, exitCode: o.exitCode, timedOut: o.timedOut }));
    expect(summary(results.java).map((s) => s.lines)).toEqual([['Created /oneshot'], ['v'], ['Node does not exist: /oneshot-missing'], ['Node already exists: /oneshot'], []]);
    expect(summary(results.ours)).toEqual(summary(results.java));
  });
});

describe('zkCli.sh with authentication configured on the server: superDigest and SASL DIGEST-MD5 (JAAS)', () => {
  let pair: ServerPair | undefined;
  let dir: string | undefined;
  let clientJaas = '';
  let wrongJaas = '';

  beforeAll(async () => {
    requireFile(ZKCLI, 'zookeeper');
    dir = await makeTempDir('zk-sasl');
    const serverJaas = join(dir, 'server.jaas');
    clientJaas = join(dir, 'client.jaas');
    wrongJaas = join(dir, 'wrong.jaas');
    await writeFile(
      serverJaas,
      'Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_alice="alicesecret"\n  user_bob="bobsecret";\n};\n',
    );
    const client = (password: string): string =>
      `Client {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  username="alice"\n  password="${password}";\n};\n`;
    await writeFile(clientJaas, client('alicesecret'));
    await writeFile(wrongJaas, client('not-the-password'));
    pair = await startPair({
      extraCfg: { 'authProvider.1': 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider' },
      jvmFlags: [`-Djava.security.auth.login.config=${serverJaas}`, `-Dzookeeper.DigestAuthenticationProvider.superDigest=${digest('super', 'superpw')}`],
    });
  });

  afterAll(async () => {
    await pair?.stop();
    if (dir !== undefined) await removeTempDir(dir);
  });

  async function onBoth(script: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ java: ZkCliOutput; ours: ZkCliOutput }> {
    if (pair === undefined) throw new Error('servers not started');
    const [java, ours] = await Promise.all([zkCli(pair.java, script, env), zkCli(pair.ours, script, env)]);
    for (const [name, out] of [
      ['java', java],
      ['ours', ours],
    ] as const) {
      expect(out.timedOut, `${name}: zkCli did not finish; output:\n${out.raw}`).toBe(false);
    }
    return { java, ours };
  }

  function expectSame(java: ZkCliOutput, ours: ZkCliOutput): void {
    expect(ours.lines, `our output differs from Java's; raw output from our server:\n${ours.raw}`).toEqual(java.lines);
    expect(ours.events, 'watcher events differ').toEqual(java.events);
    expect(ours.exitCode, 'zkCli exit code differs').toBe(java.exitCode);
  }

  it('the super user from superDigest may read and change any node', async () => {
    const script = [
      `create /locked x digest:${digest('carol', 'pw')}:cdrwa`,
      'get /locked',
      'addauth digest super:superpw',
      'whoami',
      'get /locked',
      'set /locked y',
      'getAcl /locked',
      'setAcl /locked world:anyone:r',
      'get /locked',
    ];
    const { java, ours } = await onBoth(script);
    for (const [name, out] of [['java', java], ['ours', ours]] as const) {
      expect(out.lines, name).toEqual(
        expect.arrayContaining(['Insufficient permission : /locked', 'digest: super', 'x', 'y', `'digest,'${digest('carol', 'pw')}`]),
      );
    }
    expectSame(java, ours);
  });

  it('a client logged in with SASL DIGEST-MD5 is identified as sasl:alice and can use sasl ACLs', async () => {
    const env = { CLIENT_JVMFLAGS: `-Djava.security.auth.login.config=${clientJaas}` };
    const { java, ours } = await onBoth(['whoami', 'create /sasl-owned s sasl:alice:cdrwa', 'getAcl /sasl-owned', 'get /sasl-owned'], env);
    for (const [name, out] of [['java', java], ['ours', ours]] as const) {
      expect(out.events, name).toContain('state:SaslAuthenticated type:None path:null');
      expect(out.lines, name).toEqual(expect.arrayContaining(['sasl: alice', "'sasl,'alice", 's']));
    }
    expectSame(java, ours);

    const anonymous = await onBoth(['whoami', 'get /sasl-owned']);
    for (const [name, out] of [['java', anonymous.java], ['ours', anonymous.ours]] as const) {
      expect(out.lines, name).toContain('Insufficient permission : /sasl-owned');
    }
    expectSame(anonymous.java, anonymous.ours);
  });

  it('a SASL login with a wrong password fails as in Java', async () => {
    const env = { CLIENT_JVMFLAGS: `-Djava.security.auth.login.config=${wrongJaas}` };
    const { java, ours } = await onBoth(['whoami', 'ls /'], env);
    for (const [name, out] of [['java', java], ['ours', ours]] as const) {
      expect(out.events, name).toContain('state:AuthFailed type:None path:null');
    }
    expectSame(java, ours);
  });
});
