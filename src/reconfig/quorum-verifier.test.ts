// QuorumMaj as 3.8 has it: parse, toString (member order included), majority, equality.

import { describe, expect, it } from 'vitest';
import { buildServerConfig, parseZooCfg } from '../config/index.js';
import { configFromString, parseDynamicConfig, quorumVerifierFromServerConfig, type QuorumVerifier } from './quorum-verifier.js';
import { JavaProperties } from './java-properties.js';

const OPTIONS = { standaloneEnabled: true, multiAddressEnabled: false };

function config(text: string, options = OPTIONS): QuorumVerifier {
  const parsed = configFromString(text, options);
  if (!parsed.ok) throw new Error(`${parsed.failure.kind}: ${parsed.failure.message}`);
  return parsed.value;
}

const THREE = [
  'server.1=127.0.0.1:2888:3888:participant',
  'server.2=127.0.0.1:2889:3889:participant',
  'server.3=127.0.0.1:2890:3890:participant',
  'version=100000000',
].join('\n');

describe('QuorumVerifier', () => {
  it('reads back the text it writes (QuorumMaj.toString, no final newline)', () => {
    const qv = config(THREE);
    expect(qv.toString()).toBe(THREE);
    expect(qv.version).toBe(0x1_0000_0000n);
    expect(qv.votingMembers.map((m) => m.id)).toEqual([1n, 2n, 3n]);
  });

  it('writes members in HashMap order: ids colliding mod 16 stay in Properties order, larger ids by bucket', () => {
    const qv = config('server.20=a:1:2\nserver.10=b:1:2\nserver.30=c:1:2:observer;2181\nserver.17=d:1:2\nserver.1=e:3:4');
    expect(qv.toString()).toBe(
      [
        'server.1=e:3:4:participant',
        'server.17=d:1:2:participant',
        'server.20=a:1:2:participant',
        'server.10=b:1:2:participant',
        'server.30=c:1:2:observer;0.0.0.0:2181',
        'version=0',
      ].join('\n'),
    );
  });

  it('counts a majority of voters only', () => {
    const qv = config(`${THREE}\nserver.4=127.0.0.1:2891:3891:observer`);
    expect(qv.half).toBe(1);
    expect(qv.containsQuorum([1n])).toBe(false);
    expect(qv.containsQuorum([1n, 4n])).toBe(false);
    expect(qv.containsQuorum([1n, 3n])).toBe(true);
    expect(qv.observingMembers.map((m) => m.id)).toEqual([4n]);
    const four = config('server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\nserver.4=d:1:2');
    expect(four.containsQuorum([1n, 2n])).toBe(false);
    expect(four.containsQuorum([1n, 2n, 4n])).toBe(true);
  });

  it('equals another configuration of the same version, or with the same members (QuorumMaj.equals)', () => {
    const qv = config(THREE);
    expect(qv.equals(config('server.9=h:1:2\nversion=100000000'))).toBe(true);
    expect(qv.equals(qv.withVersion(5n))).toBe(true);
    expect(qv.equals(config(THREE.replace('2890:3890', '2890:3891')).withVersion(5n))).toBe(false);
  });

  it('refuses what parseDynamicConfig refuses, with the exception class 3.8 throws', () => {
    const kind = (text: string, standaloneEnabled = true): string => {
      const parsed = configFromString(text, { standaloneEnabled, multiAddressEnabled: false });
      return parsed.ok ? 'ok' : parsed.failure.kind;
    };
    expect(kind('server.1=a:1:2\nfoo=bar')).toBe('ConfigException');
    expect(kind('server.x=a:1:2')).toBe('NumberFormatException');
    expect(kind('server.1=a:1:2\nversion=zz')).toBe('NumberFormatException');
    expect(kind('server.1=a:1:2:observer')).toBe('IllegalArgumentException');
    expect(kind('server.1=a:1:2\nserver.2=b:1:2:observer')).toBe('IllegalArgumentException');
    expect(kind('server.1=a:1:2\nserver.2=b:1:2:observer', false)).toBe('ok');
    expect(kind('', false)).toBe('IllegalArgumentException');
    expect(kind('')).toBe('ok');
    expect(kind('group.1=1:2\nserver.1=a:1:2\nserver.2=b:1:2')).toBe('Unsupported');
  });

  it('keeps zoo.cfg keys in a static configuration (configBackwardCompatibilityMode)', () => {
    const props = JavaProperties.load('tickTime=2000\nserver.1=a:1:2\nserver.2=b:1:2');
    if (!props.ok) throw new Error('unreachable');
    const parsed = parseDynamicConfig(props.value.entries(), { ...OPTIONS, configBackwardCompatibilityMode: true });
    expect(parsed.ok && parsed.value.toString()).toBe('server.1=a:1:2:participant\nserver.2=b:1:2:participant\nversion=0');
  });

  it('builds the startup configuration from src/config as src/main.ts formats it (ids under 16)', () => {
    const zooCfg = [
      'tickTime=2000',
      'initLimit=10',
      'syncLimit=5',
      'dataDir=/tmp/zk',
      'clientPort=2181',
      'server.1=127.0.0.1:2888:3888',
      'server.2=127.0.0.1:2889:3889;2182',
      'server.3=127.0.0.1:2890:3890:observer',
    ].join('\n');
    const serverConfig = buildServerConfig({ zooCfg, zooCfgPath: '/tmp/zoo.cfg', myidFile: '1' });
    const qv = quorumVerifierFromServerConfig(serverConfig, null);
    // Server 1's client address comes from clientPort, so toString leaves it out.
    expect(qv.toString()).toBe(
      [
        'server.1=127.0.0.1:2888:3888:participant',
        'server.2=127.0.0.1:2889:3889:participant;0.0.0.0:2182',
        'server.3=127.0.0.1:2890:3890:observer',
        'version=0',
      ].join('\n'),
    );
    expect(qv.member(1n)?.clientAddressFromStatic).toBe(true);
  });

  it('orders the startup configuration by the file it was read from, where src/main.ts sorts by id', () => {
    // Buckets of 16: 17 → 1, 2 → 2, 20 → 4.
    const zooCfg = ['dataDir=/tmp/zk', 'initLimit=5', 'syncLimit=2', 'server.2=h:1:2', 'server.17=h:3:4', 'server.20=h:5:6'].join('\n');
    const qv = quorumVerifierFromServerConfig(buildServerConfig({ zooCfg, zooCfgPath: '/tmp/zoo.cfg', myidFile: '2' }), null);
    expect(qv.members.map((m) => m.id)).toEqual([17n, 2n, 20n]);
    const dynamic = 'server.2=h:1:2\nserver.17=h:3:4\nserver.20=h:5:6\n';
    const withFile = buildServerConfig({
      zooCfg: 'dataDir=/tmp/zk\ninitLimit=5\nsyncLimit=2\ndynamicConfigFile=/tmp/zoo.cfg.dynamic.100000000\n',
      zooCfgPath: '/tmp/zoo.cfg',
      myidFile: '2',
      dynamicCfg: parseZooCfg(dynamic, '/tmp/zoo.cfg.dynamic.100000000'),
    });
    expect(quorumVerifierFromServerConfig(withFile, dynamic).toString()).toBe(
      'server.17=h:3:4:participant\nserver.2=h:1:2:participant\nserver.20=h:5:6:participant\nversion=100000000',
    );
  });
});
