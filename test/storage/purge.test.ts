// Purge by ZooKeeper 3.8's rules: planPurge's decisions (keep the newest N valid snapshots and every
// log they need, read zxids from names as 3.8 does), and the zk-cleanup command against 3.8's own
// PurgeTxnLog on copies of the same directories, which must leave exactly the same files (3.8 reads
// only the names, and the last bytes of snapshot files to see whether they look complete).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logging/logger.js';
import { javaParseLong, javaZxidFromName, planPurge, purge, PurgeError, snapshotStreamMode } from '../../src/storage/purge.js';
import { javaZooKeeperAvailable, ZOOKEEPER_CONF_DIR, ZOOKEEPER_JAR } from '../support/java-zookeeper.js';
import { projectRoot } from '../support/our-server.js';
import { Cleanup } from './durability-helpers.js';

describe('javaZxidFromName', () => {
  it('reads the hex after the first dot as Long.parseLong does, -1 otherwise', () => {
    expect(javaZxidFromName('log.100000001', 'log')).toBe(0x100000001n);
    expect(javaZxidFromName('snapshot.1A', 'snapshot')).toBe(0x1an);
    expect(javaZxidFromName('snapshot.2a.gz', 'snapshot')).toBe(0x2an);
    expect(javaZxidFromName('log.1.fixed', 'log')).toBe(1n);
    expect(javaZxidFromName('log.+a', 'log')).toBe(10n);
    expect(javaZxidFromName('log.-5', 'log')).toBe(-5n);
    expect(javaZxidFromName('log.7fffffffffffffff', 'log')).toBe(0x7fffffffffffffffn);
    expect(javaZxidFromName('log.8000000000000000', 'log')).toBe(-1n);
    expect(javaZxidFromName('log.old', 'log')).toBe(-1n);
    expect(javaZxidFromName('snapshot.bad', 'snapshot')).toBe(0xbadn);
    expect(javaZxidFromName('log.', 'log')).toBe(-1n);
    expect(javaZxidFromName('log..5', 'log')).toBe(-1n);
    expect(javaZxidFromName('log', 'log')).toBe(-1n);
    expect(javaZxidFromName('snapshot.5', 'log')).toBe(-1n);
    expect(javaZxidFromName('acceptedEpoch', 'snapshot')).toBe(-1n);
  });

  it('parses like Long.parseLong', () => {
    expect(javaParseLong('-8000000000000000', 16)).toBe(-(1n << 63n));
    expect(javaParseLong('-8000000000000001', 16)).toBeNull();
    expect(javaParseLong('', 16)).toBeNull();
    expect(javaParseLong('+', 16)).toBeNull();
    expect(javaParseLong('g', 16)).toBeNull();
  });

  it('picks the snapshot stream by the last extension, as SnapStream does', () => {
    expect(snapshotStreamMode('snapshot.5')).toBe('checked');
    expect(snapshotStreamMode('snapshot.5.gz')).toBe('gz');
    expect(snapshotStreamMode('snapshot.5.GZ')).toBe('gz');
    expect(snapshotStreamMode('snapshot.5.snappy')).toBe('snappy');
    expect(snapshotStreamMode('snapshot.5.bak')).toBe('checked');
  });
});

describe('planPurge', () => {
  const snaps = ['snapshot.0', 'snapshot.10', 'snapshot.20', 'snapshot.30', 'snapshot.40'];
  const logs = ['log.1', 'log.11', 'log.21', 'log.31', 'log.41'];

  it('keeps the newest N snapshots, the log holding the oldest one and every later log', () => {
    const plan = planPurge(snaps, logs, 3);
    expect(plan.retainedSnapshots).toEqual(['snapshot.40', 'snapshot.30', 'snapshot.20']);
    expect(plan.oldestRetainedZxid).toBe(0x20n);
    expect(plan.snapshotsToDelete).toEqual(['snapshot.0', 'snapshot.10']);
    // log.11 may hold the txns right after zxid 0x20: it stays.
    expect(plan.logsToDelete).toEqual(['log.1']);
    expect(plan.delete).toEqual(['log.1', 'snapshot.0', 'snapshot.10']);
    expect(plan.keep).toEqual(['snapshot.20', 'snapshot.30', 'snapshot.40', 'log.11', 'log.21', 'log.31', 'log.41']);
  });

  it('needs no older log when one starts exactly at the oldest kept snapshot', () => {
    const plan = planPurge(snaps, ['log.1', 'log.11', 'log.20', 'log.31'], 3);
    expect(plan.logsToDelete).toEqual(['log.1', 'log.11']);
  });

  it('keeps every log when none starts at or before the oldest kept snapshot', () => {
    const plan = planPurge(['snapshot.5', 'snapshot.6', 'snapshot.7'], ['log.8', 'log.9'], 3);
    expect(plan.logsToDelete).toEqual([]);
  });

  it('still purges with fewer snapshots than the count, counting from the oldest there is', () => {
    const plan = planPurge(['snapshot.20', 'snapshot.40'], logs, 5);
    expect(plan.oldestRetainedZxid).toBe(0x20n);
    expect(plan.logsToDelete).toEqual(['log.1']);
    expect(plan.snapshotsToDelete).toEqual([]);
  });

  it('deletes nothing without a valid snapshot', () => {
    const plan = planPurge(['snapshot.20', 'snapshot.x'], ['log.1', 'log.old'], 3, () => false);
    expect(plan.oldestRetainedZxid).toBeNull();
    expect(plan.delete).toEqual([]);
  });

  it('does not count snapshots that do not look complete, and deletes the old ones with the rest', () => {
    const invalid = new Set(['snapshot.40', 'snapshot.10']);
    const plan = planPurge(snaps, logs, 3, (name) => !invalid.has(name));
    expect(plan.retainedSnapshots).toEqual(['snapshot.30', 'snapshot.20', 'snapshot.0']);
    expect(plan.snapshotsToDelete).toEqual([]);
    expect(plan.keep).toContain('snapshot.40');
    const fewer = planPurge([...snaps, 'snapshot.50'], logs, 3, (name) => !invalid.has(name));
    expect(fewer.retainedSnapshots).toEqual(['snapshot.50', 'snapshot.30', 'snapshot.20']);
    expect(fewer.snapshotsToDelete).toEqual(['snapshot.0', 'snapshot.10']);
  });

  it('treats names as 3.8 does: unparsable log.* and snapshot.* go once anything is purged, other files stay', () => {
    const dir = ['acceptedEpoch', 'currentEpoch', 'log', 'snapshot', 'log.old', 'snapshot.old', 'log.', 'log.1.fixed', 'log.-5', ...snaps, ...logs];
    const plan = planPurge(dir, dir, 3);
    expect(plan.logsToDelete).toEqual(['log.old', 'log.', 'log.1.fixed', 'log.-5', 'log.1']);
    expect(plan.snapshotsToDelete).toEqual(['snapshot.old', 'snapshot.0', 'snapshot.10']);
    expect(plan.keep).toEqual(['acceptedEpoch', 'currentEpoch', 'log', 'snapshot', 'snapshot.20', 'snapshot.30', 'snapshot.40', 'log.11', 'log.21', 'log.31', 'log.41']);
  });

  it('orders by zxid, not by name', () => {
    const plan = planPurge(['snapshot.9', 'snapshot.a', 'snapshot.10', 'snapshot.100'], ['log.8', 'log.f', 'log.ff'], 3);
    expect(plan.retainedSnapshots).toEqual(['snapshot.100', 'snapshot.10', 'snapshot.a']);
    expect(plan.snapshotsToDelete).toEqual(['snapshot.9']);
    expect(plan.logsToDelete).toEqual([]);
  });

  it('refuses a count below 3', () => {
    expect(() => planPurge(snaps, logs, 2)).toThrow('count should be greater than or equal to 3');
    expect(() => planPurge(snaps, logs, 3.5)).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Against 3.8's PurgeTxnLog

const CLASSPATH = [ZOOKEEPER_CONF_DIR, ZOOKEEPER_JAR, '/usr/share/java/slf4j-simple.jar'].join(':');
const CLEANUP = join(projectRoot(), 'dist', 'src', 'cli', 'zk-cleanup.js');
const CLEANUP_SCRIPT = join(projectRoot(), 'bin', 'zkCleanup.sh');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: options.cwd, env: { ...process.env, LC_ALL: 'C.UTF-8', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function javaPurge(args: readonly string[], cwd: string): Promise<Run> {
  const flags = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Duser.language=en', '-Duser.country=US'];
  return run('java', [...flags, '-cp', CLASSPATH, 'org.apache.zookeeper.server.PurgeTxnLog', ...args], { cwd });
}

function ourPurge(args: readonly string[], cwd: string): Promise<Run> {
  if (!existsSync(CLEANUP)) throw new Error(`${CLEANUP} is missing: run 'npm run build' first`);
  return run(process.execPath, [CLEANUP, ...args], { cwd });
}

const COMPLETE_SNAPSHOT = Buffer.concat([Buffer.from('ZKSN fake snapshot body'), Buffer.from([0, 0, 0, 1, 0x2f])]);
const CUT_SNAPSHOT = Buffer.from('ZKSN cut short');
const GZIP_SNAPSHOT = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
const FIXED_MTIME = new Date('2026-03-01T12:34:56Z');

/** Creates the files of a version-2 directory: snapshots complete unless named in `cut`. */
async function populate(dir: string, names: readonly string[], cut: readonly string[] = []): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const name of names) {
    let bytes: Buffer;
    if (name.startsWith('snapshot.')) {
      if (cut.includes(name)) bytes = CUT_SNAPSHOT;
      else if (snapshotStreamMode(name) === 'gz') bytes = GZIP_SNAPSHOT;
      else bytes = COMPLETE_SNAPSHOT;
    } else {
      bytes = Buffer.from(`fake ${name}`);
    }
    await writeFile(join(dir, name), bytes);
    await utimes(join(dir, name), FIXED_MTIME, FIXED_MTIME);
  }
}

const sorted = (names: string[]): string[] => [...names].sort();

/** Lines that name a removed file, with the directory's root replaced so two copies compare. */
function removals(stdout: string, root: string): string[] {
  return sorted(
    stdout
      .split('\n')
      .filter((line) => line.startsWith('Removing file: '))
      .map((line) => line.replace(root, '<root>')),
  );
}

interface Scenario {
  readonly name: string;
  /** Files of the snapshot directory's version-2 (and of the log directory's when `logs` is absent). */
  readonly snaps: readonly string[];
  /** Files of a separate log directory's version-2. */
  readonly logs?: readonly string[];
  readonly cut?: readonly string[];
  readonly count: number;
}

const REALISTIC = ['snapshot.0', 'snapshot.2', 'snapshot.5', 'snapshot.9', 'snapshot.c', 'snapshot.10', 'snapshot.14', 'log.1', 'log.4', 'log.7', 'log.b', 'log.e', 'log.12', 'log.16'];
const EPOCHS = ['acceptedEpoch', 'currentEpoch'];

const SCENARIOS: readonly Scenario[] = [
  { name: 'one directory, keep 3', snaps: [...REALISTIC, ...EPOCHS], count: 3 },
  { name: 'one directory, keep 5', snaps: [...REALISTIC, ...EPOCHS], count: 5 },
  { name: 'one directory, keep more than there are', snaps: REALISTIC, count: 10 },
  {
    name: 'separate log directory',
    snaps: ['snapshot.100000000', 'snapshot.100000050', 'snapshot.200000000', 'snapshot.200000010', 'snapshot.200000020', ...EPOCHS],
    logs: ['log.100000001', 'log.100000040', 'log.100000090', 'log.200000001', 'log.200000015', 'log.200000021'],
    count: 3,
  },
  {
    name: 'odd names and incomplete or compressed snapshots',
    snaps: [
      ...REALISTIC,
      'log.old',
      'snapshot.old',
      'snapshot.bad',
      'log.',
      'log',
      'snapshot',
      'log.3.fixed',
      'log.-5',
      'log.+3',
      'log.ffffffffffffffff',
      'snapshot.A',
      'snapshot.11.gz',
      'snapshot.12.snappy',
      'snapshot.13',
      'snapshot.1.bak',
    ],
    cut: ['snapshot.13', 'snapshot.14'],
    count: 3,
  },
  {
    name: 'odd names, the newest snapshots incomplete',
    snaps: [...REALISTIC, 'log.old', 'snapshot.old', 'log.2.fixed', 'log.+3', 'snapshot.11.gz', 'snapshot.12.snappy', 'snapshot.13', 'snapshot.1.bak'],
    cut: ['snapshot.13', 'snapshot.14', 'snapshot.10'],
    count: 3,
  },
  { name: 'no snapshot looks complete', snaps: ['snapshot.5', 'snapshot.6', 'log.1', 'log.old'], cut: ['snapshot.5', 'snapshot.6'], count: 3 },
];

describe.skipIf(!javaZooKeeperAvailable())('zk-cleanup against 3.8 PurgeTxnLog on copies of the same directories', () => {
  const cleanup = new Cleanup();
  afterAll(async () => {
    await cleanup.run();
  });

  for (const scenario of SCENARIOS) {
    it(`leaves the same files: ${scenario.name}`, async () => {
      const root = await cleanup.tempDir('zk-purge');
      const results: { run: Run; snaps: string[]; logs: string[] }[] = [];
      for (const side of ['java', 'ours'] as const) {
        const base = join(root, side);
        const snapDir = join(base, 'data');
        const logDir = scenario.logs === undefined ? snapDir : join(base, 'log');
        await populate(join(snapDir, 'version-2'), scenario.snaps, scenario.cut);
        if (scenario.logs !== undefined) await populate(join(logDir, 'version-2'), scenario.logs, scenario.cut);
        const args = scenario.logs === undefined ? [snapDir, '-n', String(scenario.count)] : [logDir, snapDir, '-n', String(scenario.count)];
        const result = side === 'java' ? await javaPurge(args, base) : await ourPurge(args, base);
        results.push({
          run: { ...result, stdout: result.stdout.replaceAll(base, '<root>') },
          snaps: sorted(await readdir(join(snapDir, 'version-2'))),
          logs: scenario.logs === undefined ? [] : sorted(await readdir(join(logDir, 'version-2'))),
        });
      }
      const [java, ours] = results as [(typeof results)[0], (typeof results)[0]];
      expect(java.run.code, java.run.stderr).toBe(0);
      expect(ours.run.code, ours.run.stderr).toBe(0);
      expect(ours.snaps).toEqual(java.snaps);
      expect(ours.logs).toEqual(java.logs);
      expect(removals(ours.run.stdout, '<root>')).toEqual(removals(java.run.stdout, '<root>'));
    }, 30_000);
  }

  it('refuses, as 3.8 does, separate directories that hold each other’s files', async () => {
    const root = await cleanup.tempDir('zk-purge-mixed');
    const results: Run[] = [];
    for (const side of ['java', 'ours'] as const) {
      const base = join(root, side);
      await populate(join(base, 'data', 'version-2'), ['snapshot.1', 'snapshot.2', 'snapshot.3', 'snapshot.4']);
      await populate(join(base, 'log', 'version-2'), ['log.1', 'log.3', 'snapshot.0']);
      const args = [join(base, 'log'), join(base, 'data'), '-n', '3'];
      results.push(side === 'java' ? await javaPurge(args, base) : await ourPurge(args, base));
      expect(sorted(await readdir(join(base, 'data', 'version-2')))).toEqual(['snapshot.1', 'snapshot.2', 'snapshot.3', 'snapshot.4']);
      expect(sorted(await readdir(join(base, 'log', 'version-2')))).toEqual(['log.1', 'log.3', 'snapshot.0']);
    }
    const [java, ours] = results as [Run, Run];
    expect(java.code).toBe(1);
    expect(ours.code).toBe(1);
    expect(java.stderr).toContain('Log directory has snapshot files.');
    expect(ours.stderr).toContain('Log directory has snapshot files.');
  }, 30_000);

  it('takes the arguments 3.8 takes and refuses the others the same way', async () => {
    const root = await cleanup.tempDir('zk-purge-args');
    await populate(join(root, 'version-2'), REALISTIC);
    const cases = [
      [root, '-n'],
      [root, '-n', '3', 'x', 'y'],
      [root, '-x', '3'],
      [root, '-n', '2'],
      [root, '-n', 'three'],
      [join(root, 'missing'), '-n', '3'],
      [root, join(root, 'missing'), '-n', '3'],
    ];
    for (const args of cases) {
      const [java, ours] = await Promise.all([javaPurge(args, root), ourPurge(args, root)]);
      expect(ours.code, `${args.join(' ')}: ${ours.stderr}`).toBe(java.code);
      expect(ours.stdout, args.join(' ')).toBe(java.stdout);
      const ourMessage = ours.stderr.split('\n')[0] ?? '';
      if (ourMessage !== '') expect(java.stderr, args.join(' ')).toContain(ourMessage);
    }
    expect(sorted(await readdir(join(root, 'version-2')))).toEqual(sorted(REALISTIC));
  }, 60_000);
});

describe('purge on a data directory', () => {
  const cleanup = new Cleanup();
  afterAll(async () => {
    await cleanup.run();
  });

  it('deletes only what the plan says and reports each file', async () => {
    const root = await cleanup.tempDir('zk-purge-fs');
    await populate(join(root, 'version-2'), [...REALISTIC, ...EPOCHS, 'log.old']);
    const seen: string[] = [];
    const result = await purge(root, root, 3, silentLogger, { onRemove: (path, mtimeMs) => seen.push(`${path} ${String(mtimeMs)}`) });
    expect(sorted(result.removed)).toEqual(sorted(result.plan.delete.map((name) => join(root, 'version-2', name))));
    expect(sorted(await readdir(join(root, 'version-2')))).toEqual(sorted(result.plan.keep));
    expect(sorted(result.plan.keep)).toEqual(sorted(['snapshot.c', 'snapshot.10', 'snapshot.14', 'log.b', 'log.e', 'log.12', 'log.16', ...EPOCHS]));
    expect(seen).toHaveLength(result.removed.length);
    expect(seen[0]).toMatch(new RegExp(` ${String(FIXED_MTIME.getTime())}$`, 'u'));
  });

  it('treats a missing version-2 directory as empty and refuses mixed directories', async () => {
    const root = await cleanup.tempDir('zk-purge-missing');
    const result = await purge(join(root, 'data'), join(root, 'log'), 3, silentLogger);
    expect(result.plan.delete).toEqual([]);
    await populate(join(root, 'data', 'version-2'), ['snapshot.1', 'log.1']);
    await populate(join(root, 'log', 'version-2'), ['log.2']);
    await expect(purge(join(root, 'data'), join(root, 'log'), 3, silentLogger)).rejects.toBeInstanceOf(PurgeError);
    await expect(purge(root, root, 2, silentLogger)).rejects.toThrow('count should be greater than or equal to 3');
  });

  it('runs from bin/zkCleanup.sh with dataDir and dataLogDir read from zoo.cfg', async () => {
    if (!existsSync(CLEANUP)) throw new Error(`${CLEANUP} is missing: run 'npm run build' first`);
    const root = await cleanup.tempDir('zk-cleanup-script');
    const conf = join(root, 'conf');
    await mkdir(conf);
    await writeFile(join(conf, 'zoo.cfg'), `tickTime=2000\ndataDir=${join(root, 'data')}\ndataLogDir=${join(root, 'log')}\nclientPort=2181\n`);
    await populate(join(root, 'data', 'version-2'), ['snapshot.0', 'snapshot.2', 'snapshot.5', 'snapshot.9', ...EPOCHS]);
    await populate(join(root, 'log', 'version-2'), ['log.1', 'log.4', 'log.7', 'log.a']);
    const viaFlag = await run(CLEANUP_SCRIPT, ['--config', conf, '-n', '3']);
    expect(viaFlag.code, viaFlag.stderr).toBe(0);
    expect(sorted(await readdir(join(root, 'data', 'version-2')))).toEqual(sorted(['snapshot.2', 'snapshot.5', 'snapshot.9', ...EPOCHS]));
    expect(sorted(await readdir(join(root, 'log', 'version-2')))).toEqual(['log.1', 'log.4', 'log.7', 'log.a']);
    expect(viaFlag.stdout).toMatch(/^Removing file: .*\t.*\/data\/version-2\/snapshot\.0\n$/u);

    // One directory for both, found through ZOOCFGDIR and ZOOCFG.
    await writeFile(join(conf, 'other.cfg'), `dataDir=${join(root, 'log')}\n`);
    await populate(join(root, 'log', 'version-2'), ['snapshot.8', 'snapshot.9', 'snapshot.b']);
    const viaEnv = await run(CLEANUP_SCRIPT, ['-n', '3'], { env: { ZOOCFGDIR: conf, ZOOCFG: 'other.cfg' } });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(sorted(await readdir(join(root, 'log', 'version-2')))).toEqual(['log.7', 'log.a', 'snapshot.8', 'snapshot.9', 'snapshot.b']);

    const noCfg = await run(CLEANUP_SCRIPT, ['-n', '3'], { env: { ZOOCFGDIR: join(root, 'nowhere') } });
    expect(noCfg.code).toBe(1);
    expect(noCfg.stderr).toContain('cannot read');
  });
});
