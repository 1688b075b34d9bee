// The dynamic config files as 3.8 names and writes them (contents checked against 3.8's own
// writeDynamicConfig/editStaticConfig in test/reconfig/java-differential.test.ts, and against the
// files a real ensemble writes in test/reconfig/java-ensemble.test.ts).

import { describe, expect, it } from 'vitest';
import { buildServerConfig } from '../config/index.js';
import {
  activationConfigWrites,
  backsUpStaticConfig,
  backupConfigFilename,
  dynamicConfigFilename,
  dynamicConfigFileText,
  editedStaticConfigText,
  lastSeenConfigWrites,
  leaderEpochStartConfig,
  needEraseClientInfoFromStaticConfig,
  nextDynamicConfigFilename,
  parseDynamicConfigFile,
  parseNextDynamicConfigFile,
} from './dynamic-config-file.js';
import { configFromString, quorumVerifierFromServerConfig, type QuorumVerifier } from './quorum-verifier.js';

const OPTIONS = { standaloneEnabled: true, multiAddressEnabled: false };

function config(text: string): QuorumVerifier {
  const parsed = configFromString(text, OPTIONS);
  if (!parsed.ok) throw new Error(parsed.failure.message);
  return parsed.value;
}

const QV = config(
  [
    'server.1=127.0.0.1:2888:3888:participant',
    'server.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182',
    'server.10=127.0.0.1:2890:3890:observer;2183',
    'version=100000003',
  ].join('\n'),
);

const ZOO_CFG = [
  '# written by hand',
  'tickTime=2000',
  'initLimit=10',
  'syncLimit=5',
  'dataDir=/var/lib/zookeeper',
  'clientPort=2181',
  'clientPortAddress=127.0.0.1',
  'clientPortListenBacklog=50',
  'reconfigEnabled=true',
  'peerType=participant',
  'server.1=127.0.0.1:2888:3888',
  'server.2=127.0.0.1:2889:3889',
  '',
].join('\n');

describe('file names', () => {
  it('puts the dynamic files next to zoo.cfg, with the version in hex', () => {
    expect(dynamicConfigFilename('/etc/zk/zoo.cfg', 0x1_0000_0003n)).toBe('/etc/zk/zoo.cfg.dynamic.100000003');
    expect(dynamicConfigFilename('/etc/zk/zoo.cfg', 0n)).toBe('/etc/zk/zoo.cfg.dynamic.0');
    expect(nextDynamicConfigFilename('/etc/zk/zoo.cfg')).toBe('/etc/zk/zoo.cfg.dynamic.next');
    expect(backupConfigFilename('/etc/zk/zoo.cfg')).toBe('/etc/zk/zoo.cfg.bak');
  });

  it('backs zoo.cfg up only for a distributed, static configuration with reconfigEnabled', () => {
    const base = `dataDir=/tmp/zk\ninitLimit=5\nsyncLimit=2\nserver.1=h:1:2\nserver.2=h:3:4\n`;
    const build = (extra: string) => buildServerConfig({ zooCfg: `${base}${extra}`, zooCfgPath: '/tmp/zoo.cfg', myidFile: '1' });
    expect(backsUpStaticConfig(build('reconfigEnabled=true\n'))).toBe(true);
    expect(backsUpStaticConfig(build(''))).toBe(false);
  });
});

describe('dynamicConfigFileText', () => {
  it('sorts the whole `key=value` lines as strings ("server.10" before "server.1=", as \'0\' < \'=\'), no final newline', () => {
    expect(dynamicConfigFileText(QV, false)).toBe(
      [
        'server.10=127.0.0.1:2890:3890:observer;0.0.0.0:2183',
        'server.1=127.0.0.1:2888:3888:participant',
        'server.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182',
      ].join('\n'),
    );
  });

  it('keeps the version line for .dynamic.next', () => {
    expect(dynamicConfigFileText(QV, true).split('\n').at(-1)).toBe('version=100000003');
    expect(lastSeenConfigWrites('/z/zoo.cfg', QV)).toEqual([{ kind: 'write', path: '/z/zoo.cfg.dynamic.next', text: dynamicConfigFileText(QV, true) }]);
  });

  it('reads back to the same configuration, the version from the file name', () => {
    const parsed = parseDynamicConfigFile(dynamicConfigFileText(QV, false), '/z/zoo.cfg.dynamic.100000003', OPTIONS);
    expect(parsed.ok && parsed.value.toString()).toBe(QV.toString());
    const next = parseNextDynamicConfigFile(dynamicConfigFileText(QV, true), OPTIONS);
    expect(next.ok && next.value.toString()).toBe(QV.toString());
  });

  it('refuses a version inside a dynamic file and keys other than server.N; no hex suffix means version 0', () => {
    const inside = parseDynamicConfigFile(dynamicConfigFileText(QV, true), '/z/zoo.cfg.dynamic.100000003', OPTIONS);
    expect(!inside.ok && inside.failure.message).toBe("dynamic file shouldn't have version inside");
    const other = parseDynamicConfigFile('server.1=h:1:2\nserver.2=h:3:4\ntickTime=2000', '/z/zoo.cfg.dynamic.1', OPTIONS);
    expect(!other.ok && other.failure.kind).toBe('ConfigException');
    const noVersion = parseDynamicConfigFile('server.1=h:1:2\nserver.2=h:3:4', '/z/zoo.cfg.dynamic', OPTIONS);
    expect(noVersion.ok && noVersion.value.version).toBe(0n);
  });
});

describe('editedStaticConfigText', () => {
  it('drops membership keys, adds dynamicConfigFile, writes keys in Properties order', () => {
    const edited = editedStaticConfigText(ZOO_CFG, '/etc/zk/zoo.cfg.dynamic.100000003', false);
    expect(edited.ok).toBe(true);
    if (!edited.ok) return;
    const lines = edited.value.split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.at(-2)).toBe('dynamicConfigFile=/etc/zk/zoo.cfg.dynamic.100000003');
    expect(lines.slice(0, -2).sort()).toEqual(
      ['tickTime=2000', 'initLimit=10', 'syncLimit=5', 'dataDir=/var/lib/zookeeper', 'clientPort=2181', 'clientPortAddress=127.0.0.1',
        'clientPortListenBacklog=50', 'reconfigEnabled=true'].sort(),
    );
    expect(edited.value).not.toContain('#');
  });

  it('erases clientPort* (clientPortListenBacklog too) when the client address is in the dynamic file', () => {
    const edited = editedStaticConfigText(ZOO_CFG, '/d', true);
    expect(edited.ok && edited.value).not.toMatch(/clientPort/);
    expect(needEraseClientInfoFromStaticConfig(QV, 2n)).toBe(true);
    expect(needEraseClientInfoFromStaticConfig(QV, 1n)).toBe(false);
    expect(needEraseClientInfoFromStaticConfig(QV, 7n)).toBe(false);
  });

  it('replaces an earlier dynamicConfigFile line', () => {
    const once = editedStaticConfigText(ZOO_CFG, '/a/zoo.cfg.dynamic.1', false);
    if (!once.ok) throw new Error('unreachable');
    const twice = editedStaticConfigText(once.value, '/a/zoo.cfg.dynamic.2', false);
    expect(twice.ok && twice.value.match(/dynamicConfigFile=.*/g)).toEqual(['dynamicConfigFile=/a/zoo.cfg.dynamic.2']);
  });
});

describe('activationConfigWrites', () => {
  it('writes the dynamic file, rewrites zoo.cfg, deletes .dynamic.next when it held this version', () => {
    const writes = activationConfigWrites({
      zooCfgPath: 'conf/zoo.cfg',
      zooCfgText: ZOO_CFG,
      zooCfgRealDirectory: '/srv/zk/conf',
      myId: 2n,
      activated: QV,
      lastSeenVersion: QV.version,
    });
    expect(writes.ok).toBe(true);
    if (!writes.ok) return;
    expect(writes.value.map((w) => `${w.kind} ${w.path}`)).toEqual([
      'write conf/zoo.cfg.dynamic.100000003',
      'write conf/zoo.cfg',
      'delete conf/zoo.cfg.dynamic.next',
    ]);
    const zooCfg = writes.value[1];
    expect(zooCfg?.kind === 'write' && zooCfg.text).toMatch(/dynamicConfigFile=\/srv\/zk\/conf\/zoo\.cfg\.dynamic\.100000003\n$/);
    // Server 2's client address is in the configuration now: zoo.cfg loses clientPort.
    expect(zooCfg?.kind === 'write' && zooCfg.text).not.toMatch(/clientPort=/);
    const later = activationConfigWrites({ zooCfgPath: 'conf/zoo.cfg', zooCfgText: ZOO_CFG, zooCfgRealDirectory: '/srv/zk/conf', myId: 1n, activated: QV, lastSeenVersion: QV.version + 1n });
    expect(later.ok && later.value.map((w) => w.kind)).toEqual(['write', 'write']);
  });
});

describe('leaderEpochStartConfig (ZOOKEEPER-1783)', () => {
  it('re-versions an unversioned configuration with the NEWLEADER zxid, dropping the static client address', () => {
    const zooCfg = 'dataDir=/tmp/zk\ninitLimit=5\nsyncLimit=2\nclientPort=2181\nserver.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889\n';
    const committed = quorumVerifierFromServerConfig(buildServerConfig({ zooCfg, zooCfgPath: '/tmp/zoo.cfg', myidFile: '1' }), null);
    const started = leaderEpochStartConfig(committed, committed, 0x1_0000_0000n, OPTIONS);
    expect(started?.toString()).toBe('server.1=127.0.0.1:2888:3888:participant\nserver.2=127.0.0.1:2889:3889:participant\nversion=100000000');
    expect(started?.member(1n)?.clientAddress).toBeNull();
    expect(leaderEpochStartConfig(QV, QV, 0x2_0000_0000n, OPTIONS)).toBeNull();
  });
});
