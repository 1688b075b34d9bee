// Our zkCli against Apache ZooKeeper 3.8's zkCli.sh: the same script (piped to stdin, or as a
// one-shot command line) runs through Java's CLI on one server and through ours on a twin server
// that has seen exactly the same requests; stdout, stderr (each apart) and the exit code must be
// the same once zxids, times and session ids are tokenised and Java's log noise is dropped. The
// twins are two Java servers, and then two of ours.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startJavaZooKeeper, type RunningZooKeeper } from '../support/java-zookeeper.js';
import { startOurServer } from '../support/our-server.js';
import { JAVA_ZKCLI, OUR_ZKCLI, normalise, requireBuilt, runCli, splitEvents, startServers, type CliRun, type StdinStep } from './support.js';

interface Twins {
  readonly kind: 'java' | 'ours';
  /** The server Java's CLI talks to. */
  readonly forJava: RunningZooKeeper;
  /** Its twin, for our CLI. */
  readonly forOurs: RunningZooKeeper;
}

let twins: Twins[] = [];

beforeAll(async () => {
  requireBuilt();
  const [a, b, c, d] = await startServers([startJavaZooKeeper, startJavaZooKeeper, startOurServer, startOurServer]);
  if (a === undefined || b === undefined || c === undefined || d === undefined) throw new Error('servers not started');
  twins = [
    { kind: 'java', forJava: a, forOurs: b },
    { kind: 'ours', forJava: c, forOurs: d },
  ];
});

afterAll(async () => {
  await Promise.allSettled(twins.flatMap((t) => [t.forJava.stop(), t.forOurs.stop()]));
});

const server = (s: RunningZooKeeper): string => `127.0.0.1:${String(s.port)}`;

/**
 * Compares two runs: stdout without the watcher notifications, the notifications in order (unless
 * `events` is false: when the CLI dies at once, whether Java's event thread printed the connection
 * first is a race), stderr and the exit code. Each CLI's own server address reads SERVER.
 */
function expectSame(kind: string, java: CliRun, ours: CliRun, addresses: { java: string; ours: string }, events = true): void {
  const context = `${kind} server\n--- java stdout:\n${java.stdout}\n--- java stderr:\n${java.stderr}\n--- our stdout:\n${ours.stdout}\n--- our stderr:\n${ours.stderr}`;
  const j = splitEvents(normalise(java.stdout, new Map([[addresses.java, 'SERVER']])));
  const o = splitEvents(normalise(ours.stdout, new Map([[addresses.ours, 'SERVER']])));
  expect(java.timedOut, context).toBe(false);
  expect(ours.timedOut, context).toBe(false);
  expect(java.unseen, context).toEqual([]);
  expect(ours.unseen, context).toEqual([]);
  expect(o.output, context).toEqual(j.output);
  if (events) expect(o.events, context).toEqual(j.events);
  expect(normalise(ours.stderr), context).toEqual(normalise(java.stderr));
  expect(ours.code, context).toBe(java.code);
}

/**
 * Pipes the script into both CLIs (each on its twin), for both server kinds; returns Java's runs.
 * A line is a command; `{ until }` holds back the rest of the script until the CLI has printed
 * that text.
 */
async function piped(script: readonly (string | { readonly until: string })[], events = true): Promise<Map<string, CliRun>> {
  const stdin: StdinStep[] = script.map((step) => (typeof step === 'string' ? { write: `${step}\n` } : step));
  const runs = await Promise.all(
    twins.map(async (t) => {
      const [java, ours] = await Promise.all([
        runCli(JAVA_ZKCLI, ['-server', server(t.forJava)], { stdin }),
        runCli(OUR_ZKCLI, ['-server', server(t.forOurs)], { stdin }),
      ]);
      return { kind: t.kind, java, ours, addresses: { java: server(t.forJava), ours: server(t.forOurs) } };
    }),
  );
  for (const r of runs) expectSame(r.kind, r.java, r.ours, r.addresses, events);
  return new Map(runs.map((r) => [r.kind, r.java]));
}

/** Runs each command line as `zkCli.sh -server host:port <words...>`, in order, on both CLIs. */
async function oneShots(commands: readonly (readonly string[])[], events = true): Promise<CliRun[]> {
  const javaRuns: CliRun[] = [];
  for (const words of commands) {
    const runs = await Promise.all(
      twins.map(async (t) => {
        const [java, ours] = await Promise.all([
          runCli(JAVA_ZKCLI, ['-server', server(t.forJava), ...words]),
          runCli(OUR_ZKCLI, ['-server', server(t.forOurs), ...words]),
        ]);
        return { kind: t.kind, java, ours, addresses: { java: server(t.forJava), ours: server(t.forOurs) } };
      }),
    );
    for (const r of runs) expectSame(`${r.kind} (${words.join(' ')})`, r.java, r.ours, r.addresses, events);
    const first = runs[0];
    if (first !== undefined) javaRuns.push(first.java);
  }
  return javaRuns;
}

describe('zkCli: ours prints what Java 3.8 prints', () => {
  it('create, get, set, ls, stat, delete, deleteall and their errors', async () => {
    const java = await piped([
      'create /crud x',
      'create /crud/a hello',
      'create -e /crud/e eph',
      'create -s /crud/s- 1',
      'create -s /crud/s- 2',
      'create -e -s /crud/es- 3',
      'create -c /crud/c',
      'create /crud/c/child x',
      'create /crud/nodata',
      'create /crud/a again',
      'create /crud/missing/x y',
      'create /crud/e/child x',
      'get /crud/a',
      'get -s /crud/a',
      'get /crud/nodata',
      'get /crud/nope',
      'set /crud/a v2',
      'set -s -v 1 /crud/a v3',
      'set -v 9 /crud/a v4',
      'set /crud/nope v',
      'ls /crud',
      'ls -s /crud',
      'ls -R /crud',
      'ls -R /',
      'ls /crud/nope',
      'ls -R /crud/nope',
      'stat /crud/a',
      'stat /crud/e',
      'stat /crud/c',
      'stat /crud/nope',
      'delete -v 7 /crud/a',
      'delete /crud',
      'delete /crud/a',
      'delete /crud/nope',
      'create "/crud/q 1" "hello world"',
      "get '/crud/q 1'",
      'create /crud/u héllo wörld',
      'get /crud/u',
      'deleteall /crud -b 2',
      'ls /crud',
      'deleteall /crud',
      'stat /crud',
    ]);
    expect(normalise(java.get('java')?.stdout ?? '')).toEqual(expect.arrayContaining(['hello', 'null', '[a, c, e, es-0000000004, nodata, s-0000000002, s-0000000003]']));
    expect(normalise(java.get('java')?.stderr ?? '')).toEqual(expect.arrayContaining(['Created /crud', 'Node already exists: /crud/a', 'Node does not exist: /crud/nope']));
  });

  it('ACLs, authentication and identities', async () => {
    await piped([
      'create /acl x',
      'getAcl /acl',
      'getAcl -s /acl',
      'getAcl /nope',
      'setAcl /acl world:anyone:cdrw',
      'getAcl /acl',
      'setAcl -s -v 1 /acl world:anyone:cdrwa',
      'setAcl -v 7 /acl world:anyone:r',
      'setAcl /acl bad',
      'setAcl /acl world:anyone:xyz',
      'create /acl/a x world:anyone:q',
      'create /acl/b x bogus',
      'create /acl/c x digest:u:p:rw,ip:1.2.3.4:a,bad',
      'getAcl /acl/c',
      'create /acl/d x digest:carol:bogushash:cdrwa',
      'get /acl/d',
      'setAcl -R /acl world:anyone:cdr',
      'getAcl /acl/a',
      'whoami',
      'addauth digest alice:secret',
      'whoami',
      'create /acl/mine x auth::cdrwa',
      'getAcl /acl/mine',
      'get /acl/mine',
    ]);
  });

  // Java's addauth does not wait for the server's answer, so whether the next command runs while
  // the session still looks alive (whoami then fails and prints a bare "Auth scheme: User") or
  // after the AuthFailed reply has landed ("Not connected") is a race between Java's main and I/O
  // threads, against either server (about one run in ten goes the second way). Java's event thread
  // prints the AuthFailed event only once the session is AUTH_FAILED: waiting for it makes every
  // later command meet the dead session.
  it('a refused addauth ends the session with AuthFailed; later commands print "Not connected"', async () => {
    for (const [node, refused] of [['/refused1', 'addauth digest'], ['/refused2', 'addauth nosuchscheme x']] as const) {
      const java = await piped([
        `create ${node} x`,
        'addauth digest alice:secret',
        'whoami',
        refused,
        { until: 'state:AuthFailed' },
        'whoami',
        'ls /',
        `get ${node}`,
        'addauth digest bob:x',
        'quit',
      ]);
      for (const run of java.values()) {
        const stdout = normalise(run.stdout);
        expect(stdout).toContain('WatchedEvent state:AuthFailed type:None path:null');
        expect(stdout.slice(stdout.lastIndexOf('digest: alice') + 1).filter((line) => line === 'Not connected')).toHaveLength(4);
      }
    }
  });

  it('sync, getEphemerals, getAllChildrenNumber, whoami, config, version', async () => {
    await piped([
      'create /eph x',
      'create -e /eph/a 1',
      'create -e /eph/b 2',
      'create -e -s /eph/s- 3',
      'create /eph/p x',
      'create -e /eph/p/q x',
      'getEphemerals',
      'getEphemerals /eph',
      'getEphemerals /eph/p',
      'getEphemerals /none',
      'getEphemerals bad',
      'getAllChildrenNumber /eph',
      'getAllChildrenNumber /eph/a',
      'getAllChildrenNumber /none',
      'getAllChildrenNumber',
      'sync /eph',
      'sync /none',
      'sync bad',
      'whoami',
      'config',
      'config -s',
      'config -c',
      'version',
      'ls /zookeeper',
      'getAcl /zookeeper/config',
    ]);
  });

  it('watches: get -w, ls -w, stat -w, ls -R -w, addWatch and the deprecated forms', async () => {
    await piped([
      'create /w x',
      'create /w/a 1',
      'get -w /w/a',
      'set /w/a 2',
      'ls -w /w',
      'create /w/b 2',
      'stat -w /w/new',
      'create /w/new 3',
      'ls -R -w /w',
      'delete /w/new',
      'addWatch /w',
      'set /w/a 4',
      'create /w/a/deep x',
      'addWatch -m persistent /w/b',
      'set /w/b 5',
      'addWatch -m bogus /w',
      'addWatch /w/nope extra',
      'get /w/a watch',
      'ls /w watch',
      'stat /w watch',
      'ls /w',
      'ls /w',
    ]);
  });

  it('printwatches on and off', async () => {
    // When Java's event thread prints an event queued just before "printwatches off" is a race, so
    // only the command output is compared here.
    await piped(['create /pw x', 'printwatches', 'get -w /pw', 'printwatches off', 'printwatches', 'set /pw 2', 'get -w /pw', 'printwatches on', 'printwatches', 'printwatches maybe', 'printwatches'], false);
  });

  it('quotas: setquota, listquota, delquota', async () => {
    await piped([
      'create /q x',
      'create /q/a x',
      'setquota /q',
      'setquota -n 1 -b 2 /q',
      'delquota -n -b /q',
      'setquota -n 0 /q',
      'setquota -n x /q',
      'setquota -b -1 /q',
      'setquota -n 5 /nope',
      'setquota -n 5 /zookeeper/quota/x',
      'setquota -n 5 /q',
      'setquota -N 1 /q',
      'listquota /q',
      'setquota -n 3 /q/a',
      'setquota -n 2 /',
      'listquota /nope',
      'delquota /nope',
      'delquota -b /q',
      'listquota /q',
      'delquota /q',
      'ls /zookeeper/quota',
      'setquota -B 1 /q/a',
      'setquota -n 1 /q',
      'delquota -n /q/a',
      'delquota /q/a',
      'ls -R /zookeeper/quota',
    ]);
  });

  it('option parsing, usage and malformed commands', async () => {
    await piped([
      'create /p x',
      'ls',
      'get',
      'set /p',
      'create',
      'delete',
      'setAcl /p',
      'getAcl',
      'stat',
      'addauth',
      'sync',
      'deleteall',
      'version extra',
      'foo',
      'help',
      'set /p -1',
      'delete -v',
      'create -t',
      'get -x /p',
      'ls -sw /p',
      'ls -?',
      'create -es /p/q- x',
      'set -v5 /p x',
      'set -v 0 /p x',
      'get -s /p watch',
      'create -- -x y',
      'create /p/n1 -- -x',
      'get /p/n1',
      'set /p --v',
      'ls --s /p',
      'set -v=1 /p y',
      'create -t 1000 -c /p/tc',
      'create -c -e /p/x',
      'create -t abc /p/x',
      'create -t 1000 -e /p/x',
      'create -t -5 /p/x',
      'create -t 0 /p/x',
      'create -t 10 /p/ttl x',
      'deleteall /p -b x',
      'create x',
      'create /p/ x',
      'get a',
      'ls //',
      'stat /p/..',
      'get /p/./x',
      'create /p/s/ x',
      'create "/p/q 3" "unclosed data',
      '   ',
      '"',
      'history',
      'redo 99',
      'redo 0x2',
      'redo 1',
    ]);
  });

  it('history, redo, printwatches, close, connect and "Not connected"', async () => {
    for (const t of twins) {
      // connect needs each CLI's own server address in the script.
      const script = (s: RunningZooKeeper): string =>
        `${['create /s x', 'get /s', 'history', 'redo 1', 'close', 'ls /', 'history', 'printwatches', 'connect', 'ls /s', `connect ${server(s)}`, 'ls /s', 'close', 'close', 'quit'].join('\n')}\n`;
      const [java, ours] = await Promise.all([
        runCli(JAVA_ZKCLI, ['-server', server(t.forJava)], { stdin: script(t.forJava) }),
        runCli(OUR_ZKCLI, ['-server', server(t.forOurs)], { stdin: script(t.forOurs) }),
      ]);
      expectSame(t.kind, java, ours, { java: server(t.forJava), ours: server(t.forOurs) });
      expect(normalise(ours.stdout)).toEqual(expect.arrayContaining(['Not connected', '0 - create /s x', 'WatchedEvent state:Closed type:None path:null']));
    }
  });

  it('the exit code is that of the last command (before quit), as in Java', async () => {
    await piped(['create /x1 x', 'create /x1 x']);
    await piped(['create /x2 x', 'create /x2 x', 'quit']);
    await piped(['create /x3 x', 'create /x3 x', 'ls /x3']);
    // No server round trip: whether Java prints the connection before it exits is a race.
    await piped(['foo'], false);
  });

  // Java's zkCli races its event thread against a fast exit in one-shot mode (a line sometimes
  // appears, sometimes not, on Java's side); a retry keeps that race of the oracle out of CI.
  it('one-shot commands: output and exit codes', { retry: 2 }, async () => {
    const runs = await oneShots([
      ['create', '/one', 'v'],
      ['create', '/one', 'v'],
      ['get', '-s', '/one'],
      ['stat', '/missing'],
      ['set', '-v', '0', '/one', 'w'],
      ['getAcl', '/one'],
      ['-timeout', '5000', 'whoami'],
      ['-r', 'ls', '/zookeeper'],
      ['-waitforconnection', 'delete', '/one'],
    ]);
    expect(runs.map((r) => r.code)).toEqual([0, 1, 0, 1, 0, 0, 0, 0, 0]);
    // Commands that need no server: whether Java's event thread prints the connection (or the
    // close) before the JVM exits is a race, so only their own output is compared.
    const local = await Promise.all([['ls'], ['foo'], ['history'], ['redo', '0'], ['printwatches'], ['quit'], ['close'], ['version']].map((c) => oneShots([c], false)));
    expect(local.map(([r]) => r?.code)).toEqual([1, 127, 0, 1, 0, 0, 0, 0]);
  });

  // The JVM dies at once: whether its event thread printed the connection first is a race.
  it('fatal errors end the CLI with Java\'s exception line and exit code 1', async () => {
    await oneShots([['delete', '-v', 'x', '/one'], ['-timeout', 'abc', 'ls', '/']], false);
    await piped(['create /f x', 'redo abc', 'ls /f'], false);
    await piped(['create /g x', 'set -v x /g y', 'ls /g'], false);
  });

  it('without a server: ConnectionLoss, as Java reports it', async () => {
    const port = await freePort();
    const args = ['-server', `127.0.0.1:${String(port)}`];
    const [javaOne, oursOne] = await Promise.all([runCli(JAVA_ZKCLI, [...args, 'ls', '/']), runCli(OUR_ZKCLI, [...args, 'ls', '/'])]);
    const address = `127.0.0.1:${String(port)}`;
    const none = { java: address, ours: address };
    expectSame('no server (one-shot)', javaOne, oursOne, none);
    expect(normalise(oursOne.stderr)).toEqual(['KeeperErrorCode = ConnectionLoss for /']);
    const stdin = 'ls /\nget /a\nquit\n';
    const [javaPiped, oursPiped] = await Promise.all([runCli(JAVA_ZKCLI, args, { stdin }), runCli(OUR_ZKCLI, args, { stdin })]);
    expectSame('no server (piped)', javaPiped, oursPiped, none);
    const wait = ['-timeout', '1500', '-waitforconnection', 'ls', '/'];
    const [javaWait, oursWait] = await Promise.all([runCli(JAVA_ZKCLI, [...args, ...wait]), runCli(OUR_ZKCLI, [...args, ...wait])]);
    expectSame('no server (-waitforconnection)', javaWait, oursWait, none);
  });
});
