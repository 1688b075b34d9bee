// docker/Dockerfile and docker/install.sh without a Docker engine: the Dockerfile is parsed and
// checked against the repository (base image, user, every COPY source, the install script), and
// install.sh, which holds every install step of the image, is run into a directory whose layout,
// owners and links are then checked.

import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyArgs, imageEnv, parseDockerfile, runMounts, type Instruction, type Stage } from './dockerfile.js';
import { repoRoot, tempDir } from './harness.js';

const stages = parseDockerfile(readFileSync(join(repoRoot, 'docker', 'Dockerfile'), 'utf8'));
const finalStage = stages[stages.length - 1];
if (finalStage === undefined) throw new Error('no stage in docker/Dockerfile');
const all = (stage: Stage, keyword: string): Instruction[] => stage.instructions.filter((x) => x.keyword === keyword);

describe('docker/Dockerfile', () => {
  it('every stage is built on the official Node 20 slim image', () => {
    const names = new Set(stages.map((s) => s.name).filter((n) => n !== null));
    for (const stage of stages) {
      if (names.has(stage.image)) continue;
      expect(stage.image).toMatch(/^node:20(\.\d+){0,2}-([a-z]+-)?slim(@sha256:[0-9a-f]{64})?$/);
    }
    expect(finalStage.image).toMatch(/^node:20/);
    expect(stages.length).toBeGreaterThanOrEqual(2);
  });

  it('builds with npm ci && npm run build, and ships production dependencies only', () => {
    const runs = stages.flatMap((s) => all(s, 'RUN').map((r) => ({ stage: s, run: r.args })));
    const build = runs.find((r) => /npm run build/.test(r.run));
    expect(build).toBeDefined();
    expect(runs.some((r) => r.stage === build?.stage && /npm ci\b/.test(r.run) && !/--omit=dev/.test(r.run))).toBe(true);
    const deps = runs.find((r) => /npm ci\b.*--omit=dev/.test(r.run));
    expect(deps).toBeDefined();
    // The final stage takes node_modules from the --omit=dev stage and nothing from the build's.
    const mounts = all(finalStage, 'RUN').flatMap((r) => runMounts(r.args));
    const modules = mounts.find((m) => (m['source'] ?? '').endsWith('node_modules'));
    expect(modules?.['from']).toBe(deps?.stage.name);
    expect(all(finalStage, 'COPY').filter((c) => /node_modules/.test(c.args))).toEqual([]);
  });

  it('the build stage copies every directory tsconfig.build.json compiles', () => {
    const tsconfig = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.build.json'), 'utf8')) as { include: string[]; extends?: string };
    const buildStage = stages.find((s) => all(s, 'RUN').some((r) => /npm run build/.test(r.args)));
    if (buildStage === undefined) throw new Error('no build stage');
    const copied = all(buildStage, 'COPY').flatMap((c) => copyArgs(c.args).sources.map((s) => posix.normalize(s)));
    for (const include of tsconfig.include) {
      const top = include.split('/')[0] ?? include;
      expect(copied.some((c) => c === top || include.startsWith(`${c}/`) || c === include), `${include} is compiled but not copied`).toBe(true);
    }
    for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) expect(copied).toContain(file);
  });

  it('every COPY source and bind mount from the build context exists, and no stage name is unknown', () => {
    const names = new Set(stages.map((s) => s.name));
    const ignored = readFileSync(join(repoRoot, 'docker', 'Dockerfile.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const stage of stages) {
      for (const copy of [...all(stage, 'COPY'), ...all(stage, 'ADD')]) {
        const { flags, sources } = copyArgs(copy.args);
        expect(sources.length, `line ${String(copy.line)}`).toBeGreaterThan(0);
        if (flags['from'] !== undefined) {
          expect(names.has(flags['from']), `line ${String(copy.line)}: stage ${flags['from']}`).toBe(true);
          continue;
        }
        for (const source of sources) {
          expect(existsSync(join(repoRoot, source)), `line ${String(copy.line)}: ${source} is not in the repository`).toBe(true);
          expect(ignored.includes(posix.normalize(source)), `${source} is excluded by Dockerfile.dockerignore`).toBe(false);
        }
      }
      for (const run of all(stage, 'RUN')) {
        for (const mount of runMounts(run.args)) {
          if (mount['type'] !== 'bind') continue;
          if (mount['from'] !== undefined) expect(names.has(mount['from']), `line ${String(run.line)}: stage ${mount['from']}`).toBe(true);
          else expect(existsSync(join(repoRoot, mount['source'] ?? '.'))).toBe(true);
        }
      }
    }
  });

  it('the final stage runs docker/install.sh, then runs as uid 1000', () => {
    const runs = all(finalStage, 'RUN');
    expect(runs.some((r) => /\bbash \S*docker\/install\.sh\b/.test(r.args))).toBe(true);
    // The build stage is where install.sh comes from: it must copy it.
    const buildStage = stages.find((s) => all(s, 'RUN').some((r) => /npm run build/.test(r.args)));
    expect(all(buildStage as Stage, 'COPY').some((c) => copyArgs(c.args).sources.includes('docker/install.sh'))).toBe(true);
    const users = all(finalStage, 'USER');
    expect(users.map((u) => u.args)).toEqual([expect.stringMatching(/^1000(:1000)?$/)]);
    const userIndex = finalStage.instructions.findIndex((x) => x.keyword === 'USER');
    const lastRun = finalStage.instructions.map((x) => x.keyword).lastIndexOf('RUN');
    expect(userIndex).toBeGreaterThan(lastRun);
  });

  it('sets k8szk\'s image ENV and runs the manifest\'s command by default', () => {
    expect(imageEnv()).toMatchObject({
      ZK_USER: 'zookeeper',
      ZK_DATA_DIR: '/var/lib/zookeeper/data',
      ZK_DATA_LOG_DIR: '/var/lib/zookeeper/log',
      ZK_LOG_DIR: '/var/log/zookeeper',
    });
    expect(all(finalStage, 'CMD').map((c) => JSON.parse(c.args) as unknown)).toEqual([['sh', '-c', 'zkGenConfig.sh && zkServer.sh start-foreground']]);
    expect(all(finalStage, 'ENTRYPOINT').map((c) => JSON.parse(c.args) as unknown)).toEqual([[]]);
  });
});

// ---------------------------------------------------------------------------------------------------

const isRoot = process.getuid?.() === 0;
const cleanup: string[] = [];
afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

interface Installed {
  readonly prefix: string;
  readonly status: number | null;
  readonly output: string;
}

/**
 * A base image's /etc (node:20-*-slim has root and node, uid and gid 1000) and a tiny stand-in for
 * the production node_modules, then install.sh into the prefix.
 */
function install(baseUsers: 'node-image' | 'no-uid-1000', prefix = tempDir('zk-install')): Installed {
  if (!cleanup.includes(prefix)) cleanup.push(prefix);
  if (!existsSync(join(prefix, 'etc', 'passwd'))) {
    mkdirSync(join(prefix, 'etc'), { recursive: true });
    const users = baseUsers === 'node-image' ? [['node', '1000']] : [['other', '1001']];
    writeFileSync(join(prefix, 'etc/passwd'), ['root:x:0:0:root:/root:/bin/bash', ...users.map(([n, id]) => `${n ?? ''}:x:${id ?? ''}:${id ?? ''}::/home/${n ?? ''}:/bin/bash`), ''].join('\n'));
    writeFileSync(join(prefix, 'etc/group'), ['root:x:0:', ...users.map(([n, id]) => `${n ?? ''}:x:${id ?? ''}:`), ''].join('\n'));
    writeFileSync(join(prefix, 'etc/shadow'), ['root:*:19000:0:99999:7:::', ...users.map(([n]) => `${n ?? ''}:!:19000:0:99999:7:::`), ''].join('\n'));
    writeFileSync(join(prefix, 'etc/gshadow'), ['root:*::', ...users.map(([n]) => `${n ?? ''}:!::`), ''].join('\n'));
    for (const [n] of users) mkdirSync(join(prefix, 'home', n ?? ''), { recursive: true });
  }
  const modules = tempDir('zk-install-modules');
  cleanup.push(modules);
  mkdirSync(join(modules, 'pino'));
  writeFileSync(join(modules, 'pino', 'package.json'), '{"name":"pino"}\n');
  const result = spawnSync('bash', [join(repoRoot, 'docker', 'install.sh')], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ZK_INSTALL_PREFIX: prefix, ZK_INSTALL_NODE_MODULES: modules },
    encoding: 'utf8',
  });
  return { prefix, status: result.status, output: result.stdout + result.stderr };
}

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const built = existsSync(join(repoRoot, 'dist', 'src', 'cli', 'zk-server.js'));
// useradd and chown need root, as in a docker build.
const installSkip = !built ? 'the server is not built (npm run build)' : !isRoot ? 'needs root (useradd, chown)' : null;
if (installSkip !== null) console.log(`docker/install.sh tests skipped: ${installSkip}`);

describe.skipIf(installSkip !== null)('docker/install.sh into a prefix', () => {
  let image: Installed = { prefix: '', status: null, output: '' };
  beforeAll(() => {
    image = install('node-image');
  });
  const p = (path: string): string => join(image.prefix, path);

  it('runs, and installs no packages into a prefix', () => {
    expect(image.status, image.output).toBe(0);
    expect(image.output).toMatch(/not installing packages \(bash netcat-openbsd procps hostname\)/);
  });

  it('renames the base image\'s uid 1000 (node) to zookeeper, uid and gid 1000', () => {
    const passwd = readFileSync(p('etc/passwd'), 'utf8');
    expect(passwd).toMatch(/^zookeeper:x:1000:1000::\/home\/zookeeper:\/bin\/bash$/m);
    expect(passwd).not.toMatch(/^node:/m);
    expect(readFileSync(p('etc/group'), 'utf8')).toMatch(/^zookeeper:x:1000:$/m);
    expect(readFileSync(p('etc/shadow'), 'utf8')).toMatch(/^zookeeper:/m);
    expect(existsSync(p('home/zookeeper'))).toBe(true);
    expect(existsSync(p('home/node'))).toBe(false);
  });

  it('lays out /opt/zookeeper -> /opt/zk-ts-<version> with the built server', () => {
    expect(readlinkSync(p('opt/zookeeper'))).toBe(`/opt/zk-ts-${version}`);
    const home = p(`opt/zk-ts-${version}`);
    expect(existsSync(join(home, 'dist/src/cli/zk-server.js'))).toBe(true);
    expect((JSON.parse(readFileSync(join(home, 'package.json'), 'utf8')) as { type: string }).type).toBe('module');
    expect(existsSync(join(home, 'node_modules/pino/package.json'))).toBe(true);
    expect(existsSync(join(home, 'dist/test'))).toBe(false);
    expect(existsSync(join(home, 'dist/bench'))).toBe(false);
    expect(statSync(join(home, 'conf')).isDirectory()).toBe(true);
  });

  it('installs every bin/ script, executable, with a link in /usr/bin, as k8szk linked them', () => {
    const scripts = readdirSync(join(repoRoot, 'bin')).filter((f) => statSync(join(repoRoot, 'bin', f)).isFile());
    for (const needed of ['zkServer.sh', 'zkGenConfig.sh', 'zkOk.sh', 'zkMetrics.sh', 'zkReady.sh']) expect(scripts).toContain(needed);
    for (const script of scripts) {
      const installed = p(`opt/zk-ts-${version}/bin/${script}`);
      expect(statSync(installed).mode & 0o111, script).toBe(0o111);
      expect(readFileSync(installed)).toEqual(readFileSync(join(repoRoot, 'bin', script)));
      expect(lstatSync(p(`usr/bin/${script}`)).isSymbolicLink()).toBe(true);
      expect(readlinkSync(p(`usr/bin/${script}`))).toBe(`/opt/zookeeper/bin/${script}`);
    }
  });

  it('links /usr/etc/zookeeper to the conf dir', () => {
    expect(readlinkSync(p('usr/etc/zookeeper'))).toBe('/opt/zookeeper/conf');
  });

  it('creates the directories of the image ENV', () => {
    const env = imageEnv();
    for (const name of ['ZK_DATA_DIR', 'ZK_DATA_LOG_DIR', 'ZK_LOG_DIR']) {
      const dir = env[name];
      expect(dir, name).toBeDefined();
      expect(statSync(p(dir ?? '')).isDirectory(), `${name}=${dir ?? ''}`).toBe(true);
    }
  });

  it('gives uid 1000 what it writes, and keeps the server code root\'s', () => {
    const owner = (path: string): string => {
      const s = statSync(p(path));
      return `${String(s.uid)}:${String(s.gid)}`;
    };
    const home = `opt/zk-ts-${version}`;
    for (const path of [`${home}/conf`, `${home}/bin`, `${home}/bin/zkOk.sh`, 'var/lib/zookeeper', 'var/lib/zookeeper/data', 'var/lib/zookeeper/log', 'var/log/zookeeper', 'home/zookeeper']) {
      expect(owner(path), path).toBe('1000:1000');
    }
    for (const path of [home, `${home}/dist`, `${home}/dist/src/cli/zk-server.js`, `${home}/node_modules`, `${home}/package.json`]) {
      expect(owner(path), path).toBe('0:0');
    }
  });

  it('can run again over its own result (the user already exists)', () => {
    const again = install('node-image', image.prefix);
    expect(again.status, again.output).toBe(0);
    expect(readFileSync(p('etc/passwd'), 'utf8').match(/^zookeeper:/gm)).toHaveLength(1);
  });

  it('creates the user on a base without uid 1000', () => {
    const bare = install('no-uid-1000');
    expect(bare.status, bare.output).toBe(0);
    expect(readFileSync(join(bare.prefix, 'etc/passwd'), 'utf8')).toMatch(/^zookeeper:x:1000:1000:/m);
    expect(readFileSync(join(bare.prefix, 'etc/group'), 'utf8')).toMatch(/^zookeeper:x:1000:$/m);
  });

  it('refuses a prefix without a base /etc/passwd', () => {
    const empty = tempDir('zk-install-empty');
    cleanup.push(empty);
    const result = spawnSync('bash', [join(repoRoot, 'docker', 'install.sh')], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ZK_INSTALL_PREFIX: empty },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/etc\/passwd and .*etc\/group must exist/);
  });
});
