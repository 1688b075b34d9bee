// Bad data directories: missing (created, as 3.8 does), a regular file instead of a directory,
// directories the server's user cannot read or write (the server runs as nobody against root-owned
// directories), files in them it cannot read, and a full disk under dataLogDir (a 2 MiB tmpfs): the
// server keeps serving reads, answers writes with an error (NotReadOnly, -119), says why, and never
// acknowledges a write that is not in the log (checked by restarting on a copy with enough space).

import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Cleanup,
  copyDir,
  fingerprintDir,
  runExpectingExit,
  startServerOn,
  Zk,
  ZkError,
  type ServerSpec,
} from './durability-helpers.js';

const run = promisify(execFile);
const NOBODY = 65534;
const NOT_READ_ONLY = -119;

const verbose = process.env['DURABILITY_VERBOSE'] !== undefined;
const cleanup = new Cleanup();
afterEach(async () => {
  await cleanup.run();
});

/** A temp dir the unprivileged server user can traverse (mkdtemp makes them 0700). */
async function workDir(prefix: string): Promise<string> {
  const dir = await cleanup.tempDir(prefix);
  await chmod(dir, 0o755);
  return dir;
}

async function expectStartsAndKeeps(spec: ServerSpec): Promise<void> {
  let server = await startServerOn(spec, cleanup);
  let zk = await Zk.connect(server.port);
  await zk.create('/kept', 'across a restart');
  await zk.close();
  await server.stop();
  server = await startServerOn(spec, cleanup);
  zk = await Zk.connect(server.port);
  expect((await zk.getData('/kept')).data?.toString()).toBe('across a restart');
  await zk.close();
  await server.stop();
}

describe('data directories that are missing or unusable', () => {
  it('creates a missing dataDir and dataLogDir (with missing parents) and keeps data in them', async () => {
    const dir = await workDir('durability-missing');
    const spec: ServerSpec = { kind: 'ours', dataDir: join(dir, 'a', 'b', 'data'), dataLogDir: join(dir, 'c', 'logs'), workDir: dir };
    await expectStartsAndKeeps(spec);
    expect((await stat(join(spec.dataDir, 'version-2'))).isDirectory()).toBe(true);
    expect((await stat(join(spec.dataLogDir ?? '', 'version-2'))).isDirectory()).toBe(true);
  });

  it.each([
    ['dataDir', 'data'],
    ['dataLogDir', 'logs'],
  ])('%s is a regular file: refuses to start, names it, leaves it alone', async (which) => {
    const dir = await workDir('durability-file');
    const filePath = join(dir, 'not-a-directory');
    await writeFile(filePath, 'precious bytes');
    const spec: ServerSpec =
      which === 'dataDir'
        ? { kind: 'ours', dataDir: filePath, workDir: dir }
        : { kind: 'ours', dataDir: join(dir, 'data'), dataLogDir: filePath, workDir: dir };
    const result = await runExpectingExit(spec, cleanup);
    if (verbose) console.log(`exit ${String(result.code)}: ${result.log}`);
    expect(result.served).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.log).toContain(filePath);
    expect(result.log).toMatch(/not a directory/i);
    expect(await readFile(filePath, 'utf8')).toBe('precious bytes');
  });

  it('runs as another user: starts on a dataDir that user owns (the control case)', async () => {
    const dir = await workDir('durability-owner-ok');
    const dataDir = join(dir, 'data');
    await mkdir(dataDir);
    await chown(dataDir, NOBODY, NOBODY);
    await expectStartsAndKeeps({ kind: 'ours', dataDir, workDir: dir, runAsUid: NOBODY });
  });

  it.each([
    ['dataDir owned by root, mode 700', 'data', 0o700, false],
    ['dataDir owned by root, mode 755, version-2 inside it too', 'data', 0o755, true],
    ['dataLogDir owned by root, mode 700 (dataDir is fine)', 'logs', 0o700, false],
  ] as const)('runs as nobody with a %s: a clear error and a non-zero exit', async (_name, which, mode, withVersionDir) => {
    const dir = await workDir('durability-perm');
    const dataDir = join(dir, 'data');
    const logsDir = join(dir, 'logs');
    await mkdir(dataDir);
    await mkdir(logsDir);
    const bad = which === 'data' ? dataDir : logsDir;
    const good = which === 'data' ? logsDir : dataDir;
    await chown(good, NOBODY, NOBODY);
    if (withVersionDir) await mkdir(join(bad, 'version-2'), { mode: 0o755 });
    await chmod(bad, mode);
    const before = await fingerprintDir(bad);
    const result = await runExpectingExit({ kind: 'ours', dataDir, dataLogDir: logsDir, workDir: dir, runAsUid: NOBODY }, cleanup);
    if (verbose) console.log(`exit ${String(result.code)}: ${result.log}`);
    expect(result.served).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.log).toContain(bad);
    expect(result.log).toMatch(/permission|EACCES|owner/i);
    expect(await fingerprintDir(bad)).toEqual(before);
  });

  it('a snapshot and a log the server user cannot read: refuses to start rather than start empty', async () => {
    const dir = await workDir('durability-unreadable');
    const dataDir = join(dir, 'data');
    await mkdir(dataDir);
    await chown(dataDir, NOBODY, NOBODY);
    const spec: ServerSpec = { kind: 'ours', dataDir, workDir: dir, runAsUid: NOBODY };
    await expectStartsAndKeeps(spec);
    const versionDir = join(dataDir, 'version-2');
    const names = (await fingerprintDir(versionDir)) as Record<string, unknown>;
    for (const name of Object.keys(names)) {
      await chown(join(versionDir, name), 0, 0);
      await chmod(join(versionDir, name), 0o600);
    }
    const before = await fingerprintDir(versionDir);
    const result = await runExpectingExit(spec, cleanup);
    if (verbose) console.log(`exit ${String(result.code)}: ${result.log}`);
    expect(result.served).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.log).toMatch(/EACCES|permission/i);
    expect(result.log).toContain(versionDir);
    expect(await fingerprintDir(versionDir)).toEqual(before);
  });
});

describe('a full disk under dataLogDir', () => {
  it('keeps serving reads, refuses writes with -119, and never acknowledges a write it did not log', async (context) => {
    const dir = await cleanup.tempDir('durability-full');
    const small = join(dir, 'small');
    await mkdir(small);
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', small]);
    } catch (error) {
      context.skip(`cannot mount a tmpfs here: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    cleanup.add(async () => {
      await run('umount', [small]);
    });
    const spec: ServerSpec = { kind: 'ours', dataDir: join(dir, 'data'), dataLogDir: small, workDir: dir };
    const server = await startServerOn(spec, cleanup);

    type Outcome = 'acked' | 'refused' | 'unknown';
    const outcomes = new Map<string, { outcome: Outcome; code?: number }>();
    const payload = Buffer.alloc(16 * 1024, 0x5a);
    const setup = await Zk.connect(server.port);
    await setup.create('/full', null);
    // Four sessions write concurrently until each has had three refusals in a row.
    const writers = await Promise.all(Array.from({ length: 4 }, () => Zk.connect(server.port)));
    await Promise.all(
      writers.map(async (zk, w) => {
        let refusals = 0;
        for (let i = 0; refusals < 3 && i < 1000; i++) {
          const path = `/full/w${String(w)}-${String(i)}`;
          try {
            await zk.create(path, payload);
            outcomes.set(path, { outcome: 'acked' });
            refusals = 0;
          } catch (error) {
            if (error instanceof ZkError) {
              outcomes.set(path, { outcome: 'refused', code: error.code });
              refusals++;
            } else {
              outcomes.set(path, { outcome: 'unknown' });
              return;
            }
          }
        }
      }),
    );
    const acked = [...outcomes].filter(([, o]) => o.outcome === 'acked').map(([p]) => p);
    const refused = [...outcomes].filter(([, o]) => o.outcome === 'refused');
    if (verbose) console.log(`${String(acked.length)} acked, ${String(refused.length)} refused\n${server.readLog().split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(0, 5).join('\n')}`);
    expect(acked.length).toBeGreaterThan(20);
    expect(refused.length).toBeGreaterThanOrEqual(12);
    expect([...new Set(refused.map(([, o]) => o.code))]).toEqual([NOT_READ_ONLY]);
    expect([...outcomes.values()].filter((o) => o.outcome === 'unknown')).toEqual([]);

    // Still up, still serving reads to the sessions it has; a setData is refused too.
    expect(server.proc.exitInfo()).toBeUndefined();
    const reader = writers[0] as Zk;
    const sample = acked[acked.length - 1] as string;
    expect((await reader.getData(sample)).data?.length).toBe(payload.length);
    expect((await setup.getChildren('/full')).length).toBe(acked.length);
    await expect(setup.setData('/full', 'x')).rejects.toMatchObject({ code: NOT_READ_ONLY });
    expect(server.readLog()).toMatch(/ENOSPC|no space/i);

    for (const zk of [setup, ...writers]) await zk.drop();
    await server.stop();

    // On a disk with room: every acknowledged write is there, no refused one is, and writes work.
    const big = join(dir, 'big');
    await copyDir(join(dir, 'data'), join(big, 'data'));
    await copyDir(small, join(big, 'logs'));
    const moved = await startServerOn({ kind: 'ours', dataDir: join(big, 'data'), dataLogDir: join(big, 'logs'), workDir: big }, cleanup);
    const check = await Zk.connect(moved.port);
    const present = new Set((await check.getChildren('/full')).map((name) => `/full/${name}`));
    expect(acked.filter((p) => !present.has(p))).toEqual([]);
    expect(refused.map(([p]) => p).filter((p) => present.has(p))).toEqual([]);
    expect((await check.getData(sample)).data?.equals(payload)).toBe(true);
    await check.create('/full/after-move', 'ok');
    await check.close();
    await moved.stop();
  });
});
