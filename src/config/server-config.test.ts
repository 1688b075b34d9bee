import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { buildServerConfig, versionFromFilename, ZK38_DEFAULTS, type BuildServerConfigInput, type ServerConfig } from './server-config.js';
import { parseZooCfg } from './zoo-cfg.js';

const PATH = '/etc/zk/zoo.cfg';

function build(text: string, extra: Partial<Omit<BuildServerConfigInput, 'zooCfg' | 'zooCfgPath'>> = {}): ServerConfig {
  return buildServerConfig({ zooCfg: parseZooCfg(text, PATH), zooCfgPath: PATH, ...extra });
}

function configError(text: string, extra: Partial<Omit<BuildServerConfigInput, 'zooCfg' | 'zooCfgPath'>> = {}): ConfigError {
  try {
    build(text, extra);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    if (error instanceof ConfigError) {
      expect(error.code).toBe('ZKS_CONFIG');
      return error;
    }
  }
  throw new Error(`expected a ConfigError for:\n${text}`);
}

// The settings of Debian's /etc/zookeeper/conf/zoo.cfg (its comments left out).
const DEBIAN_ZOO_CFG = `# sample standalone configuration
tickTime=2000
initLimit=10
syncLimit=5
dataDir=/tmp/zookeeper
clientPort=2181
#maxClientCnxns=60
#autopurge.snapRetainCount=3
#autopurge.purgeInterval=1
#metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
`;

// What the k8szk image's zkGenConfig.sh writes for a three-member StatefulSet.
const K8SZK_ZOO_CFG = `clientPort=2181
dataDir=/var/lib/zookeeper/data
dataLogDir=/var/lib/zookeeper/log
tickTime=2000
initLimit=10
syncLimit=5
maxClientCnxns=60
minSessionTimeout=4000
maxSessionTimeout=40000
autopurge.snapRetainCount=3
autopurge.purgeInterval=12
server.1=zk-0.zk-headless.default.svc.cluster.local:2888:3888
server.2=zk-1.zk-headless.default.svc.cluster.local:2888:3888
server.3=zk-2.zk-headless.default.svc.cluster.local:2888:3888
`;

describe('buildServerConfig: defaults', () => {
  it('gives 3.8 defaults for the Debian sample zoo.cfg', () => {
    const config = build(DEBIAN_ZOO_CFG);
    expect(config).toMatchObject({
      tickTimeMs: 2000,
      minSessionTimeoutMs: 4000,
      maxSessionTimeoutMs: 40000,
      initLimitTicks: 10,
      syncLimitTicks: 5,
      initLimitMs: 20000,
      syncLimitMs: 10000,
      clientPort: 2181,
      clientPortAddress: null,
      clientAddress: { host: null, port: 2181 },
      clientPortListenBacklog: -1,
      maxClientCnxns: 60,
      maxCnxns: 0,
      globalOutstandingLimit: 1000,
      dataDir: '/tmp/zookeeper',
      dataLogDir: '/tmp/zookeeper',
      datadirAutocreate: true,
      snapCount: 100000,
      snapSizeLimitKb: 4194304,
      preAllocSizeKb: 65536,
      preAllocSizeBytes: 65536 * 1024,
      forceSync: true,
      autopurge: { snapRetainCount: 3, purgeIntervalHours: 0 },
      serverId: null,
      servers: [],
      quorumConfigVersion: 0n,
      distributed: false,
      peerType: 'participant',
      electionAlg: 3,
      quorumListenOnAllIPs: false,
      standaloneEnabled: true,
      reconfigEnabled: false,
      observerMasterPort: null,
      syncEnabled: true,
      localSessionsEnabled: false,
      readOnlyModeEnabled: false,
      extendedTypesEnabled: false,
      emulate353TTLNodes: false,
      juteMaxBuffer: 0xfffff,
      juteMaxBufferExtraSize: 0xfffff,
      fourLetterWords: ['srvr'],
      admin: { enabled: true, address: '0.0.0.0', port: 8080, commandUrl: '/commands', idleTimeoutMs: 30000 },
      metrics: {
        providerClassName: 'org.apache.zookeeper.metrics.impl.DefaultMetricsProvider',
        prometheus: false,
        httpHost: '0.0.0.0',
        httpPort: 7000,
        exportJvmInfo: true,
        configuration: {},
      },
      logging: { rootLogger: 'INFO,CONSOLE', level: 'info', logDir: null, logFile: null },
      jvm: { maxHeap: null, maxHeapBytes: null },
      unknownKeys: [],
      warnings: [],
      dynamicConfigFile: null,
      initialConfig: DEBIAN_ZOO_CFG,
    });
    expect(config.auth).toEqual({
      skipACL: false,
      superDigest: null,
      digestAuthEnabled: true,
      digestAlgorithm: 'SHA1',
      authProviders: [],
      jaasConfigPath: null,
      saslLoginContext: 'Server',
      saslLoginContextExplicit: false,
      saslSuperUsers: [],
      saslSuperPassword: null,
      kerberosRemoveHostFromPrincipal: false,
      kerberosRemoveRealmFromPrincipal: false,
      allowSaslFailedClients: false,
      enforceAuthEnabled: false,
      enforceAuthSchemes: [],
      saslAuthRequired: false,
      letAnySaslUserDoX: null,
    });
  });

  it.skipIf(!existsSync('/etc/zookeeper/conf/zoo.cfg'))('reads the installed Debian zoo.cfg the same way', () => {
    const text = readFileSync('/etc/zookeeper/conf/zoo.cfg', 'latin1');
    const config = buildServerConfig({ zooCfg: parseZooCfg(text, '/etc/zookeeper/conf/zoo.cfg'), zooCfgPath: '/etc/zookeeper/conf/zoo.cfg' });
    expect(config.tickTimeMs).toBe(2000);
    expect(config.clientAddress).toEqual({ host: null, port: 2181 });
    expect(config.dataDir).toBe('/tmp/zookeeper');
    expect(config.maxClientCnxns).toBe(60);
    expect(config.autopurge).toEqual({ snapRetainCount: 3, purgeIntervalHours: 0 });
  });

  it('uses 3.8\'s tickTime of 3000 ms when none is given, and derives the session bounds from it', () => {
    const config = build('dataDir=/d\nclientPort=2181\n');
    expect(config.tickTimeMs).toBe(ZK38_DEFAULTS.tickTime);
    expect(config.tickTimeMs).toBe(3000);
    expect(config.minSessionTimeoutMs).toBe(6000);
    expect(config.maxSessionTimeoutMs).toBe(60000);
  });

  it('also takes zoo.cfg as text', () => {
    expect(buildServerConfig({ zooCfg: 'dataDir=/d\nclientPort=2182\n', zooCfgPath: '/x/zoo.cfg' }).clientPort).toBe(2182);
    expect(() => buildServerConfig({ zooCfg: 'dataDir=/d\nclientPort=x\n', zooCfgPath: '/x/zoo.cfg' })).toThrow('/x/zoo.cfg:2: clientPort:');
  });

  it('allows a server without a client port', () => {
    expect(build('dataDir=/d\n').clientAddress).toBeNull();
  });

  it('keeps explicit session bounds, -1 meaning the default', () => {
    expect(build('dataDir=/d\ntickTime=1000\nminSessionTimeout=-1\nmaxSessionTimeout=5000\n')).toMatchObject({
      minSessionTimeoutMs: 2000,
      maxSessionTimeoutMs: 5000,
    });
  });

  it('trims keys and values and lets the last duplicate win', () => {
    const config = build('dataDir = /d/ \nclientPort=1\nclientPort=2181\t\n');
    expect(config.dataDir).toBe('/d');
    expect(config.clientPort).toBe(2181);
  });

  it('normalises directories like java.io.File', () => {
    expect(build('dataDir=/var//lib/zk/\ndataLogDir=/logs/\n')).toMatchObject({ dataDir: '/var/lib/zk', dataLogDir: '/logs' });
  });

  it('warns about relative directories like 3.8', () => {
    expect(build('dataDir=data\n').warnings).toContain("dataDir data is relative. Prepend ./ to indicate that you're sure!");
    expect(build('dataDir=./data\n').warnings).toEqual([]);
  });

  it('resets snapRetainCount below 3 and snapCount below 2, with warnings', () => {
    const config = build('dataDir=/d\nautopurge.snapRetainCount=1\nsnapCount=1\n');
    expect(config.autopurge.snapRetainCount).toBe(3);
    expect(config.snapCount).toBe(2);
    expect(config.warnings).toEqual(expect.arrayContaining([expect.stringContaining('snapRetainCount'), expect.stringContaining('SnapCount')]));
  });

  it('returns a deeply frozen object', () => {
    const config = build(K8SZK_ZOO_CFG, { myidFile: '1\n' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.servers)).toBe(true);
    expect(Object.isFrozen(config.servers[0])).toBe(true);
    expect(Object.isFrozen(config.servers[0]?.addresses[0])).toBe(true);
    expect(Object.isFrozen(config.auth.authProviders)).toBe(true);
    expect(Object.isFrozen(config.systemProperties)).toBe(true);
    expect(() => {
      (config.autopurge as { snapRetainCount: number }).snapRetainCount = 9;
    }).toThrow(TypeError);
  });
});

describe('buildServerConfig: ensembles', () => {
  it('parses the k8szk configuration', () => {
    const config = build(K8SZK_ZOO_CFG, { myidFile: '1\n' });
    expect(config).toMatchObject({
      distributed: true,
      serverId: 1,
      dataLogDir: '/var/lib/zookeeper/log',
      minSessionTimeoutMs: 4000,
      maxSessionTimeoutMs: 40000,
      initLimitMs: 20000,
      syncLimitMs: 10000,
      autopurge: { snapRetainCount: 3, purgeIntervalHours: 12 },
      clientAddress: { host: null, port: 2181 },
    });
    expect(config.servers).toEqual([1, 2, 3].map((id) => ({
      id,
      host: `zk-${id - 1}.zk-headless.default.svc.cluster.local`,
      quorumPort: 2888,
      electionPort: 3888,
      addresses: [{ host: `zk-${id - 1}.zk-headless.default.svc.cluster.local`, quorumPort: 2888, electionPort: 3888 }],
      role: 'participant',
      // 3.8 gives this member (myid 1) the static client address.
      clientAddress: id === 1 ? { host: null, port: 2181 } : null,
      clientAddressFromStatic: id === 1,
      spec: `zk-${id - 1}.zk-headless.default.svc.cluster.local:2888:3888`,
    })));
    // server.N keys are not "unknown" even though 3.8 also copies them to zookeeper.server.N.
    expect(config.unknownKeys).toEqual([]);
    expect(config.systemProperties['zookeeper.server.1']).toBe('zk-0.zk-headless.default.svc.cluster.local:2888:3888');
  });

  it('requires myid, initLimit and syncLimit in an ensemble', () => {
    expect(configError(K8SZK_ZOO_CFG).message).toMatch(/myid file is missing/);
    expect(configError(K8SZK_ZOO_CFG.replace('initLimit=10\n', ''), { myidFile: '2' }).message).toMatch(/initLimit is not set/);
    expect(configError(K8SZK_ZOO_CFG.replace('syncLimit=5\n', ''), { myidFile: '2' }).message).toMatch(/syncLimit is not set/);
    expect(configError(K8SZK_ZOO_CFG, { myidFile: 'one' }).message).toMatch(/serverid one is not a number/);
    expect(configError(K8SZK_ZOO_CFG, { myidFile: '' }).message).toMatch(/serverid null is not a number/);
    expect(configError(K8SZK_ZOO_CFG, { myidFile: '1 \n' }).message).toMatch(/serverid 1  is not a number/);
  });

  it('parses roles, client addresses and IPv6 literals', () => {
    const config = build(
      'dataDir=/d\ninitLimit=5\nsyncLimit=2\n' +
        'server.1=10.0.0.1:2888:3888;2181\n' +
        'server.2=[::1]:2889:3889:participant;[::1]:2182\n' +
        'server.3=zk3:2890:3890:PARTICIPANT\n' +
        'server.4=zk4:2891:3891:observer;zk4:2183\n',
      { myidFile: '4' },
    );
    expect(config.servers.map((s) => [s.id, s.host, s.quorumPort, s.electionPort, s.role, s.clientAddress])).toEqual([
      [1, '10.0.0.1', 2888, 3888, 'participant', { host: null, port: 2181 }],
      [2, '::1', 2889, 3889, 'participant', { host: '::1', port: 2182 }],
      [3, 'zk3', 2890, 3890, 'participant', null],
      [4, 'zk4', 2891, 3891, 'observer', { host: 'zk4', port: 2183 }],
    ]);
    expect(config.peerType).toBe('observer');
    expect(config.clientAddress).toEqual({ host: 'zk4', port: 2183 });
    expect(config.warnings).toContain("peer type from servers list (observer) doesn't match peerType (participant); defaulting to servers list");
  });

  it('accepts a trailing colon as 3.8 does (Java drops trailing empty fields)', () => {
    expect(build('dataDir=/d\nserver.1=h:1:2:\n').servers[0]).toMatchObject({ quorumPort: 1, electionPort: 2 });
  });

  it('takes the client address from this member\'s server line and checks it against clientPort', () => {
    const lines = 'dataDir=/d\ninitLimit=5\nsyncLimit=2\nserver.1=127.0.0.1:2888:3888;127.0.0.1:2281\nserver.2=127.0.0.2:2888:3888\nserver.3=127.0.0.3:2888:3888\n';
    expect(build(lines, { myidFile: '1' }).clientAddress).toEqual({ host: '127.0.0.1', port: 2281 });
    expect(build(`${lines}clientPort=2281\n`, { myidFile: '1' }).clientAddress).toEqual({ host: '127.0.0.1', port: 2281 });
    expect(configError(`${lines}clientPort=2181\n`, { myidFile: '1' }).message).toMatch(/different from client address/);
    expect(configError(`${lines}clientPort=2281\nclientPortAddress=127.0.0.9\n`, { myidFile: '1' }).message).toMatch(/different from client address/);
    // A member without a client part keeps the static one.
    expect(build(`${lines}clientPort=2181\n`, { myidFile: '2' }).clientAddress).toEqual({ host: null, port: 2181 });
  });

  it('runs a single listed server standalone unless standaloneEnabled=false', () => {
    const single = 'dataDir=/d\nclientPort=2181\nserver.1=127.0.0.1:2888:3888\n';
    const standalone = build(single);
    expect(standalone.distributed).toBe(false);
    expect(standalone.warnings).toContain('invalid configuration, only one server specified (ignoring): running standalone');
    const quorumOfOne = build(`${single}standaloneEnabled=false\ninitLimit=5\nsyncLimit=2\n`, { myidFile: '1' });
    expect(quorumOfOne.distributed).toBe(true);
    expect(quorumOfOne.standaloneEnabled).toBe(false);
    expect(configError('dataDir=/d\nstandaloneEnabled=false\n').message).toMatch(/number of participants should be > 0/);
  });

  it('rejects observers without enough participants', () => {
    expect(configError('dataDir=/d\nserver.1=h:1:2:observer\n').message).toMatch(/observers w\/o participants/);
    expect(configError('dataDir=/d\nserver.1=h:1:2\nserver.2=h:3:4:observer\n').message).toMatch(/observers w\/o quorum/);
  });

  it('warns about ensembles that tolerate no failure or have an even size', () => {
    const two = build('dataDir=/d\ninitLimit=5\nsyncLimit=2\nserver.1=a:1:2\nserver.2=b:1:2\n', { myidFile: '1' });
    expect(two.warnings).toContain('no server failure will be tolerated: you need at least 3 servers');
    const four = build('dataDir=/d\ninitLimit=5\nsyncLimit=2\nserver.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\nserver.4=d:1:2\n', { myidFile: '1' });
    expect(four.warnings).toContain('non-optimal configuration: consider an odd number of servers');
  });

  it('rejects malformed server lines with the key and line', () => {
    expect(configError('dataDir=/d\nserver.x=h:1:2\n').message).toBe(`${PATH}:2: server.x: "x" is not a server id (a number is expected)`);
    expect(configError('dataDir=/d\nserver.1=h:1\n').message).toMatch(/^\/etc\/zk\/zoo.cfg:2: server\.1: h:1 does not have the form/);
    expect(configError('dataDir=/d\nserver.1=h:1:2:3:4\n').message).toMatch(/does not have the form/);
    expect(configError('dataDir=/d\nserver.1=h:1:2;3;4\n').message).toMatch(/does not have the form/);
    expect(configError('dataDir=/d\nserver.1=h:1:2;a:b:3\n').message).toMatch(/does not have the form/);
    expect(configError('dataDir=/d\nserver.1=h:x:2\n').message).toMatch(/address unresolved: h:x/);
    expect(configError('dataDir=/d\nserver.1=h:1:2;x\n').message).toMatch(/address unresolved: null:x/);
    expect(configError('dataDir=/d\nserver.1=h:70000:2\n').message).toMatch(/port out of range: 70000/);
    expect(configError('dataDir=/d\nserver.1=h:1:1\n').message).toMatch(/client and election port must be different/);
    expect(configError('dataDir=/d\nserver.1=h:1:2:boss\n').message).toMatch(/unrecognised peer type: boss/);
    expect(configError('dataDir=/d\nserver.1=[::1:1:2\n').message).toMatch(/has no matching/);
    expect(configError('dataDir=/d\nserver.1=[::1]:\n').message).toMatch(/doesn't have a port after colon/);
  });

  it('needs -Dzookeeper.multiAddress.enabled=true for several addresses per member', () => {
    const text = 'dataDir=/d\nserver.1=a:1:2|b:3:4\n';
    expect(configError(text).message).toMatch(/multiple address feature is disabled/);
    // The zoo.cfg key does not switch it on in 3.8 (only the system property does).
    expect(configError(`${text}multiAddress.enabled=true\n`).message).toMatch(/multiple address feature is disabled/);
    const config = build(text, { systemProperties: { 'zookeeper.multiAddress.enabled': 'true' } });
    expect(config.multiAddressEnabled).toBe(true);
    expect(config.servers[0]).toMatchObject({
      host: 'b',
      addresses: [
        { host: 'a', quorumPort: 1, electionPort: 2 },
        { host: 'b', quorumPort: 3, electionPort: 4 },
      ],
    });
    expect(configError('dataDir=/d\nserver.1=a:1:2:observer|b:3:4:participant\n', { systemProperties: { 'zookeeper.multiAddress.enabled': 'true' } }).message).toMatch(
      /similar roles/,
    );
  });

  it('reads membership from a dynamic config file', () => {
    const dynamicPath = '/etc/zk/zoo.cfg.dynamic.100000000';
    const text = `dataDir=/d\ninitLimit=5\nsyncLimit=2\nreconfigEnabled=true\ndynamicConfigFile=${dynamicPath}\n`;
    const dynamicCfg = parseZooCfg('server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\nserver.2=127.0.0.2:2888:3888;2181\nserver.3=127.0.0.3:2888:3888;2181\n', dynamicPath);
    const config = build(text, { dynamicCfg, myidFile: '1' });
    expect(config).toMatchObject({ dynamicConfigFile: dynamicPath, reconfigEnabled: true, distributed: true, quorumConfigVersion: 0x100000000n });
    expect(config.servers.map((s) => s.id)).toEqual([1, 2, 3]);
    expect(config.clientAddress).toEqual({ host: '127.0.0.1', port: 2181 });

    expect(configError(text, { myidFile: '1' }).message).toMatch(/dynamic config file .* was not read/);
    expect(configError(`${text}server.1=127.0.0.1:2888:3888\n`, { dynamicCfg, myidFile: '1' }).message).toMatch(
      /server\.1: must be in a separate dynamic config file/,
    );
    expect(configError(text, { dynamicCfg: parseZooCfg('server.1=a:1:2\ntickTime=5\n', dynamicPath), myidFile: '1' }).message).toBe(
      `${dynamicPath}:2: tickTime: unrecognised parameter in a dynamic config file`,
    );
    expect(configError(text, { dynamicCfg: parseZooCfg('server.1=a:1:2\nversion=5\n', dynamicPath), myidFile: '1' }).message).toMatch(
      /must not contain 'version'/,
    );
  });

  it('takes the version of a static file\'s members from its version key', () => {
    expect(build('dataDir=/d\nversion=1f\n').quorumConfigVersion).toBe(0x1fn);
  });

  it('reads the version from dynamic file names like 3.8', () => {
    expect(versionFromFilename('zoo.cfg.dynamic.100000000')).toBe('100000000');
    expect(versionFromFilename('zoo.cfg.dynamic.0')).toBe('0');
    expect(versionFromFilename('zoo.cfg.dynamic')).toBeNull();
    expect(versionFromFilename('nodot')).toBeNull();
  });
});

describe('buildServerConfig: system properties', () => {
  it('copies unknown zoo.cfg keys to zookeeper.<key>, overriding -D flags', () => {
    const config = build(
      'dataDir=/d\n' +
        'snapCount=5000\n' +
        '4lw.commands.whitelist=stat, ruok ,conf\n' +
        'DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=\n' +
        'authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n' +
        'skipACL=yes\n' +
        'extendedTypesEnabled=true\n' +
        'emulate353TTLNodes=true\n' +
        'forceSync=no\n' +
        'preAllocSize=1024\n' +
        'globalOutstandingLimit=5\n' +
        'admin.enableServer=false\n' +
        'admin.serverPort=9090\n' +
        'maxCnxns=100\n' +
        'snapshot.trust.empty=true\n',
      { systemProperties: { 'zookeeper.snapCount': '7', 'zookeeper.admin.serverAddress': '127.0.0.1' } },
    );
    expect(config).toMatchObject({
      snapCount: 5000,
      fourLetterWords: ['conf', 'ruok', 'srvr', 'stat'],
      extendedTypesEnabled: true,
      emulate353TTLNodes: true,
      forceSync: false,
      preAllocSizeKb: 1024,
      preAllocSizeBytes: 1024 * 1024,
      globalOutstandingLimit: 5,
      maxCnxns: 100,
      admin: { enabled: false, address: '127.0.0.1', port: 9090 },
    });
    expect(config.auth).toMatchObject({
      skipACL: true,
      superDigest: 'super:D/InIHSb7yEEbrWz8b9l71RjZJU=',
      authProviders: [{ property: 'zookeeper.authProvider.1', className: 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider' }],
    });
    expect(config.systemProperties['zookeeper.snapCount']).toBe('5000');
    expect(config.systemProperties['zookeeper.snapshot.trust.empty']).toBe('true');
    expect(config.unknownKeys).toEqual([
      'snapCount', '4lw.commands.whitelist', 'DigestAuthenticationProvider.superDigest', 'authProvider.1', 'skipACL',
      'extendedTypesEnabled', 'emulate353TTLNodes', 'forceSync', 'preAllocSize', 'globalOutstandingLimit',
      'admin.enableServer', 'admin.serverPort', 'maxCnxns', 'snapshot.trust.empty',
    ]);
  });

  it('reads the same settings from -D flags', () => {
    const config = build('dataDir=/d\n', {
      systemProperties: {
        'zookeeper.snapCount': '42',
        'jute.maxbuffer': '0x200000',
        'zookeeper.jute.maxbuffer.extrasize': '1024',
        'readonlymode.enabled': 'true',
        'java.security.auth.login.config': '/etc/zk/jaas.conf',
        'zookeeper.sasl.serverconfig': 'ZkServer',
        'zookeeper.superUser': 'admin',
        'zookeeper.superUser.2': 'root',
        'zookeeper.SASLAuthenticationProvider.superPassword': 'pw',
        'zookeeper.kerberos.removeHostFromPrincipal': 'true',
        'zookeeper.allowSaslFailedClients': 'TRUE',
        'zookeeper.DigestAuthenticationProvider.digestAlg': 'SHA-256',
        'zookeeper.DigestAuthenticationProvider.enabled': 'false',
        'zookeeper.datadir.autocreate': 'false',
        'zookeeper.skipACL': 'YES',
        'zookeeper.root.logger': 'DEBUG,ROLLINGFILE',
        'zookeeper.log.dir': '/var/log/zk',
      },
      jvmMaxHeap: '2G',
    });
    expect(config).toMatchObject({
      snapCount: 42,
      juteMaxBuffer: 0x200000,
      juteMaxBufferExtraSize: 1024,
      readOnlyModeEnabled: true,
      fourLetterWords: ['isro', 'srvr'],
      datadirAutocreate: false,
      logging: { rootLogger: 'DEBUG,ROLLINGFILE', level: 'debug', logDir: '/var/log/zk' },
      jvm: { maxHeap: '2G', maxHeapBytes: 2 * 1024 ** 3 },
    });
    expect(config.auth).toMatchObject({
      jaasConfigPath: '/etc/zk/jaas.conf',
      saslLoginContext: 'ZkServer',
      saslLoginContextExplicit: true,
      saslSuperUsers: ['admin', 'root'],
      saslSuperPassword: 'pw',
      kerberosRemoveHostFromPrincipal: true,
      kerberosRemoveRealmFromPrincipal: false,
      allowSaslFailedClients: true,
      digestAlgorithm: 'SHA-256',
      digestAuthEnabled: false,
      skipACL: false, // only exactly "yes" counts
    });
  });

  it('warns about zoo.cfg keys that 3.8 turns into properties nobody reads', () => {
    const config = build('dataDir=/d\njute.maxbuffer=4194304\nreadonlymode.enabled=true\nzookeeper.snapCount=5\n');
    expect(config.juteMaxBuffer).toBe(0xfffff);
    expect(config.readOnlyModeEnabled).toBe(false);
    expect(config.snapCount).toBe(100000);
    expect(config.warnings).toEqual([
      `${PATH}:2: jute.maxbuffer in zoo.cfg becomes zookeeper.jute.maxbuffer, which 3.8 never reads; pass -Djute.maxbuffer=... in SERVER_JVMFLAGS instead`,
      `${PATH}:3: readonlymode.enabled in zoo.cfg becomes zookeeper.readonlymode.enabled, which 3.8 never reads; pass -Dreadonlymode.enabled=true in SERVER_JVMFLAGS instead`,
      `${PATH}:4: zookeeper.snapCount in zoo.cfg becomes zookeeper.zookeeper.snapCount; write it without the "zookeeper." prefix`,
    ]);
  });

  it('applies 3.8\'s four letter word whitelist rules', () => {
    const words = (value: string, props: Record<string, string> = {}): readonly string[] =>
      build(`dataDir=/d\n4lw.commands.whitelist=${value}\n`, { systemProperties: props }).fourLetterWords;
    expect(words('*')).toEqual(['conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'hash', 'isro', 'mntr', 'ruok', 'srst', 'srvr', 'stat', 'stmk', 'telnet close', 'wchc', 'wchp', 'wchs']);
    expect(words('ruok, *')).toHaveLength(19);
    expect(words('')).toEqual(['srvr']);
    expect(words(' , ruok,,')).toEqual(['ruok', 'srvr']);
    // readonlymode.enabled must be exactly "true" for isro here (3.8 compares case-sensitively).
    expect(words('ruok', { 'readonlymode.enabled': 'TRUE' })).toEqual(['ruok', 'srvr']);
    expect(build('dataDir=/d\n', { systemProperties: { 'zookeeper.4lw.commands.whitelist': 'mntr' } }).fourLetterWords).toEqual(['mntr', 'srvr']);
  });

  it('falls back to the default for a non-numeric numeric property, as Integer.getInteger does', () => {
    const config = build('dataDir=/d\nadmin.serverPort=eighty\nsnapCount=0x10\n', { systemProperties: { 'jute.maxbuffer': '1MB' } });
    expect(config.admin.port).toBe(8080);
    expect(config.snapCount).toBe(16);
    expect(config.juteMaxBuffer).toBe(0xfffff);
    expect(config.warnings).toEqual([
      'SERVER_JVMFLAGS/JVMFLAGS: jute.maxbuffer: "1MB" is not a number; using 1048575 as 3.8 does',
      `${PATH}:2: zookeeper.admin.serverPort: "eighty" is not a number; using 8080 as 3.8 does`,
    ]);
  });

  it('configures the Prometheus metrics provider', () => {
    const config = build(
      'dataDir=/d\nmetricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider\nmetricsProvider.httpPort=7001\nmetricsProvider.httpHost=127.0.0.1\nmetricsProvider.exportJvmInfo=false\n',
    );
    expect(config.metrics).toEqual({
      providerClassName: 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider',
      prometheus: true,
      httpHost: '127.0.0.1',
      httpPort: 7001,
      exportJvmInfo: false,
      configuration: { httpPort: '7001', httpHost: '127.0.0.1', exportJvmInfo: 'false' },
    });
    expect(config.unknownKeys).toEqual([]);
  });

  it('takes the log settings from the environment when no property gives them', () => {
    expect(build('dataDir=/d\n', { env: { ZOO_LOG4J_PROP: 'WARN,ROLLINGFILE', ZOO_LOG_DIR: '/var/log/zookeeper' } }).logging).toEqual({
      rootLogger: 'WARN,ROLLINGFILE',
      level: 'warn',
      logDir: '/var/log/zookeeper',
      logFile: null,
    });
    expect(build('dataDir=/d\n', { env: { ZOO_LOG4J_PROP: 'off' } }).logging.level).toBe('silent');
  });

  it('turns on enforced authentication like AuthenticationHelper', () => {
    const sasl = 'authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n';
    expect(build(`dataDir=/d\n${sasl}sessionRequireClientSASLAuth=true\n`).auth).toMatchObject({
      enforceAuthEnabled: true,
      enforceAuthSchemes: ['sasl'],
      saslAuthRequired: true,
    });
    expect(build('dataDir=/d\nenforce.auth.enabled=true\nenforce.auth.schemes=digest, ip\n').auth).toMatchObject({
      enforceAuthEnabled: true,
      enforceAuthSchemes: ['digest', 'ip'],
      saslAuthRequired: false,
    });
    expect(configError('dataDir=/d\nenforce.auth.enabled=true\n').message).toMatch(/enforce.auth.schemes must be configured/);
    expect(configError('dataDir=/d\nenforce.auth.enabled=true\nenforce.auth.schemes=sasl\n').message).toMatch(/scheme sasl is not available/);
    expect(configError('dataDir=/d\nDigestAuthenticationProvider.enabled=false\nenforce.auth.enabled=true\nenforce.auth.schemes=digest\n').message).toMatch(
      /scheme digest is not available/,
    );
  });

  it('keeps unknown authentication provider classes but warns, as 3.8 skips what it cannot load', () => {
    const config = build('dataDir=/d\nauthProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider\n');
    expect(config.auth.authProviders).toHaveLength(1);
    expect(config.warnings[0]).toMatch(/X509AuthenticationProvider: not an authentication provider this server has; ignored/);
  });
});

describe('buildServerConfig: errors', () => {
  it('names the key, the file and the line', () => {
    expect(configError('dataDir=/d\nclientPort=abc\n').message).toBe(`${PATH}:2: clientPort: "abc" is not a number (an integer is expected)`);
    expect(configError('dataDir=/d\nclientPort=70000\n').message).toBe(`${PATH}:2: clientPort: port out of range: 70000 (0 to 65535)`);
    expect(configError('dataDir=/d\nclientPort=-1\n').message).toMatch(/port out of range: -1/);
    expect(configError('dataDir=/d\ntickTime=-2000\n').message).toBe(`${PATH}:2: tickTime: must be a positive number of milliseconds, not -2000`);
    expect(configError('dataDir=/d\ntickTime=2000ms\n').message).toMatch(/tickTime: "2000ms" is not a number/);
    const error = configError('dataDir=/d\n\nmaxClientCnxns=lots\n');
    expect(error.key).toBe('maxClientCnxns');
    expect(error.origin).toEqual({ kind: 'file', path: PATH, line: 3 });
  });

  it('requires dataDir and a tick', () => {
    expect(configError('clientPort=2181\n').message).toBe(`dataDir: dataDir is not set in ${PATH}`);
    expect(configError('dataDir=\n').message).toBe(`${PATH}:1: dataDir: dataDir is empty`);
    expect(configError('dataDir=/d\ntickTime=0\n').message).toMatch(/tickTime is not set/);
  });

  it('rejects a minimum session timeout above the maximum', () => {
    expect(configError('dataDir=/d\nminSessionTimeout=10000\nmaxSessionTimeout=5000\n').message).toMatch(
      /^\/etc\/zk\/zoo.cfg:2: minSessionTimeout: minSessionTimeout \(10000 ms\) must not be larger than maxSessionTimeout \(5000 ms\)/,
    );
    // With tickTime=10000 the default minimum (20000) exceeds an explicit maximum of 15000.
    expect(configError('dataDir=/d\ntickTime=10000\nmaxSessionTimeout=15000\n').message).toMatch(/must not be larger/);
  });

  it('rejects values 3.8 rejects', () => {
    expect(configError('dataDir=/d\nelectionAlg=1\n').message).toMatch(/electionAlg: invalid electionAlg value 1: only 3 is supported/);
    expect(configError('dataDir=/d\npeerType=leader\n').message).toMatch(/peerType: unrecognised peer type: leader/);
    expect(configError('dataDir=/d\nstandaloneEnabled=yes\n').message).toMatch(/standaloneEnabled: invalid option "yes": choose 'true' or 'false'/);
    expect(configError('dataDir=/d\nquorumListenOnAllIPs=1\n').message).toMatch(/quorumListenOnAllIPs: invalid option/);
    expect(configError('dataDir=/d\nclientPortAddress=127.0.0.1\n').message).toMatch(/clientPortAddress is set but clientPort is not set/);
    expect(configError('dataDir=/d\nmetricsProvider.className=com.example.Metrics\n').message).toMatch(/metrics provider class com.example.Metrics was not found/);
    expect(configError('dataDir=/d\nmetricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider\nmetricsProvider.httpPort=x\n').message).toMatch(
      /metricsProvider.httpPort: "x" is not a number/,
    );
    expect(configError('dataDir=/d\ninitLimit=-1\n').message).toMatch(/initLimit: must not be negative/);
    expect(configError('dataDir=/d\nquorum.auth.serverRequireSasl=true\n').message).toMatch(/quorum.auth.enableSasl is disabled/);
    expect(configError('dataDir=/d\n', { systemProperties: { 'zookeeper.DigestAuthenticationProvider.digestAlg': 'WHIRLPOOL' } }).message).toBe(
      "SERVER_JVMFLAGS/JVMFLAGS: zookeeper.DigestAuthenticationProvider.digestAlg: don't support this ACL digest algorithm: WHIRLPOOL",
    );
    expect(configError('dataDir=/d\n', { systemProperties: { 'zookeeper.admin.serverPort': '99999' } }).message).toMatch(
      /SERVER_JVMFLAGS\/JVMFLAGS: zookeeper.admin.serverPort: port out of range: 99999/,
    );
    expect(configError('dataDir=/d\n', { env: { ZOO_LOG4J_PROP: 'CONSOLE' } }).message).toMatch(/ZOO_LOG4J_PROP: "CONSOLE" does not start with a log level/);
  });

  it('refuses features this server does not implement', () => {
    expect(configError('dataDir=/d\nsecureClientPort=2281\n').message).toBe(
      `${PATH}:2: secureClientPort: TLS for clients (secureClientPort) is not supported by this server; remove the setting`,
    );
    expect(configError('dataDir=/d\nclientPort=2181\nsecureClientPortAddress=0.0.0.0\n').message).toMatch(/secureClientPortAddress: TLS for clients/);
    expect(configError('dataDir=/d\nsslQuorum=true\n').message).toMatch(/sslQuorum: TLS between servers/);
    expect(configError('dataDir=/d\nportUnification=true\n').message).toMatch(/portUnification/);
    expect(configError('dataDir=/d\nquorum.auth.enableSasl=true\n').message).toMatch(/SASL between servers/);
    expect(configError('dataDir=/d\noraclePath=/x\n').message).toMatch(/oracle quorum/);
    expect(configError('dataDir=/d\nserver.1=a:1:2\ngroup.1=1\n').message).toMatch(/hierarchical quorums/);
    // Off is fine.
    expect(build('dataDir=/d\nsecureClientPort=0\nsslQuorum=false\n').clientAddress).toBeNull();
  });

  it('accepts and ignores keys that only tune the JVM', () => {
    const config = build('dataDir=/d\njvm.pause.monitor=true\nquorum.cnxn.threads.size=20\n');
    expect(config.unknownKeys).toEqual([]);
    expect(config.warnings).toHaveLength(2);
    expect(config.systemProperties['zookeeper.jvm.pause.monitor']).toBeUndefined();
  });
});
