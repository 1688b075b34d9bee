import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { defaultStandaloneConfig, loadServerConfigFromFiles } from './load.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'zk-load-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeCfg(text: string): string {
  const path = join(dir, 'zoo.cfg');
  writeFileSync(path, text);
  return path;
}

describe('loadServerConfigFromFiles', () => {
  it('reads zoo.cfg and the JVM flags from the given environment', () => {
    const path = writeCfg(`tickTime=2000\ndataDir=${dir}\nclientPort=2181\nsnapCount=10\n`);
    const config = loadServerConfigFromFiles(path, {
      SERVER_JVMFLAGS: `-Xmx512m -Dzookeeper.snapCount=20 -Dzookeeper.4lw.commands.whitelist="ruok, stat" -Da=server`,
      JVMFLAGS: '-Da=later -Djute.maxbuffer=2097152',
    });
    expect(config.zooCfgPath).toBe(path);
    expect(config.dataDir).toBe(dir);
    expect(config.snapCount).toBe(10); // zoo.cfg's copy overrides the -D flag, as in 3.8
    expect(config.fourLetterWords).toEqual(['ruok', 'srvr', 'stat']);
    expect(config.systemProperties['a']).toBe('later'); // JVMFLAGS come after SERVER_JVMFLAGS
    expect(config.juteMaxBuffer).toBe(2097152);
    expect(config.jvm).toEqual({ maxHeap: '512m', maxHeapBytes: 512 * 1024 * 1024 });
  });

  it('applies zkEnv.sh\'s default heap of ZK_SERVER_HEAP (1000) MB', () => {
    const path = writeCfg(`dataDir=${dir}\n`);
    expect(loadServerConfigFromFiles(path, {}).jvm.maxHeap).toBe('1000m');
    expect(loadServerConfigFromFiles(path, { ZK_SERVER_HEAP: '4096' }).jvm.maxHeap).toBe('4096m');
  });

  it('reads myid from dataDir', () => {
    writeFileSync(join(dir, 'myid'), '3\n');
    const path = writeCfg(
      `dataDir=${dir}\ninitLimit=5\nsyncLimit=2\nserver.1=127.0.0.1:2888:3888\nserver.2=127.0.0.2:2888:3888\nserver.3=127.0.0.3:2888:3888\n`,
    );
    const config = loadServerConfigFromFiles(path, {});
    expect(config.serverId).toBe(3);
    expect(config.distributed).toBe(true);
  });

  it('reads the dynamic config file zoo.cfg points to', () => {
    const dynamicPath = join(dir, 'zoo.cfg.dynamic.100000000');
    writeFileSync(dynamicPath, 'server.1=127.0.0.1:2888:3888;2181\nserver.2=127.0.0.2:2888:3888;2181\nserver.3=127.0.0.3:2888:3888;2181\n');
    writeFileSync(join(dir, 'myid'), '1');
    const path = writeCfg(`dataDir=${dir}\ninitLimit=5\nsyncLimit=2\ndynamicConfigFile=${dynamicPath}\n`);
    const config = loadServerConfigFromFiles(path, {});
    expect(config.servers).toHaveLength(3);
    expect(config.quorumConfigVersion).toBe(0x100000000n);
    expect(config.clientAddress).toEqual({ host: null, port: 2181 });
  });

  it('decodes zoo.cfg as ISO-8859-1, like Properties.load(InputStream)', () => {
    const path = join(dir, 'zoo.cfg');
    writeFileSync(path, Buffer.concat([Buffer.from(`dataDir=${dir}/d`), Buffer.from([0xe9]), Buffer.from('\n')]));
    expect(loadServerConfigFromFiles(path, {}).dataDir).toBe(`${dir}/d\u00e9`);
  });

  it('fails clearly for missing files', () => {
    expect(() => loadServerConfigFromFiles(join(dir, 'nope.cfg'), {})).toThrow(ConfigError);
    expect(() => loadServerConfigFromFiles(join(dir, 'nope.cfg'), {})).toThrow(/nope.cfg file is missing/);
    const path = writeCfg(`dataDir=${dir}\ndynamicConfigFile=${dir}/missing.dynamic\n`);
    expect(() => loadServerConfigFromFiles(path, {})).toThrow(/cannot read dynamic config file .*missing.dynamic/);
  });

  it('rejects bad JVM flags', () => {
    const path = writeCfg(`dataDir=${dir}\n`);
    expect(() => loadServerConfigFromFiles(path, { JVMFLAGS: '-Dx="unterminated' })).toThrow(/unterminated double quote/);
  });
});

describe('defaultStandaloneConfig', () => {
  it('is a minimal standalone server on 127.0.0.1:2181', () => {
    const config = defaultStandaloneConfig('/var/lib/zk-ts');
    expect(config).toMatchObject({
      tickTimeMs: 2000,
      minSessionTimeoutMs: 4000,
      maxSessionTimeoutMs: 40000,
      clientPort: 2181,
      clientPortAddress: '127.0.0.1',
      clientAddress: { host: '127.0.0.1', port: 2181 },
      dataDir: '/var/lib/zk-ts',
      dataLogDir: '/var/lib/zk-ts',
      distributed: false,
      servers: [],
      fourLetterWords: ['srvr'],
      warnings: [],
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('keeps unusual directory names intact', () => {
    expect(defaultStandaloneConfig('/tmp/a\\b c#d').dataDir).toBe('/tmp/a\\b c#d');
  });
});
