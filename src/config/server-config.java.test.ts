// Differential test: the same zoo.cfg files parsed by Apache ZooKeeper 3.8's QuorumPeerConfig (when
// a JDK and the Debian zookeeper.jar are installed) and by loadServerConfigFromFiles must agree on
// every effective setting, and on which files are rejected.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { loadServerConfigFromFiles } from './load.js';
import type { ServerConfig } from './server-config.js';

const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
const CLASSPATH = [ZOOKEEPER_JAR, '/usr/share/java/slf4j-api.jar', '/usr/share/java/slf4j-nop.jar'];
const available = spawnSync('javac', ['-version']).status === 0 && CLASSPATH.every((jar) => existsSync(jar));

const PROBE = `
import java.io.*;
import java.util.*;
import org.apache.zookeeper.server.quorum.QuorumPeerConfig;
import org.apache.zookeeper.server.quorum.QuorumPeer.QuorumServer;
public class ConfigProbe {
  public static void main(String[] args) throws Exception {
    Properties pristine = (Properties) System.getProperties().clone();
    for (String path : args) {
      Properties fresh = new Properties();
      fresh.putAll(pristine);
      System.setProperties(fresh);
      QuorumPeerConfig.setStandaloneEnabled(true);
      QuorumPeerConfig.setReconfigEnabled(false);
      StringBuilder o = new StringBuilder();
      try {
        QuorumPeerConfig c = new QuorumPeerConfig();
        c.parse(path);
        o.append("tickTime=").append(c.getTickTime()).append('\\n');
        o.append("minSessionTimeout=").append(c.getMinSessionTimeout()).append('\\n');
        o.append("maxSessionTimeout=").append(c.getMaxSessionTimeout()).append('\\n');
        o.append("maxClientCnxns=").append(c.getMaxClientCnxns()).append('\\n');
        o.append("initLimit=").append(c.getInitLimit()).append('\\n');
        o.append("syncLimit=").append(c.getSyncLimit()).append('\\n');
        o.append("dataDir=").append(c.getDataDir()).append('\\n');
        o.append("dataLogDir=").append(c.getDataLogDir()).append('\\n');
        o.append("client=").append(c.getClientPortAddress() == null ? "none" : c.getClientPortAddress().getHostString() + ":" + c.getClientPortAddress().getPort()).append('\\n');
        o.append("snapRetainCount=").append(c.getSnapRetainCount()).append('\\n');
        o.append("purgeInterval=").append(c.getPurgeInterval()).append('\\n');
        o.append("peerType=").append(c.getPeerType().toString().toLowerCase()).append('\\n');
        o.append("distributed=").append(c.isDistributed()).append('\\n');
        o.append("quorumListenOnAllIPs=").append(c.getQuorumListenOnAllIPs()).append('\\n');
        o.append("standaloneEnabled=").append(QuorumPeerConfig.isStandaloneEnabled()).append('\\n');
        o.append("reconfigEnabled=").append(QuorumPeerConfig.isReconfigEnabled()).append('\\n');
        o.append("serverId=").append(c.getServerId()).append('\\n');
        o.append("syncEnabled=").append(c.getSyncEnabled()).append('\\n');
        o.append("localSessions=").append(c.areLocalSessionsEnabled()).append('\\n');
        o.append("backlog=").append(c.getClientPortListenBacklog()).append('\\n');
        o.append("metrics=").append(c.getMetricsProviderClassName()).append('\\n');
        o.append("version=").append(Long.toHexString(c.getQuorumVerifier().getVersion())).append('\\n');
        TreeMap<Long, QuorumServer> servers = new TreeMap<>(c.getServers());
        for (QuorumServer s : servers.values()) {
          o.append("server.").append(s.id).append('=').append(s.hostname)
           .append(':').append(s.addr.getReachableOrOne().getPort())
           .append(':').append(s.electionAddr.getReachableOrOne().getPort())
           .append(':').append(s.type.toString().toLowerCase())
           .append(';').append(s.clientAddr == null ? "none" : s.clientAddr.getHostString() + ":" + s.clientAddr.getPort())
           .append('\\n');
        }
        TreeMap<String, String> props = new TreeMap<>();
        for (String k : System.getProperties().stringPropertyNames()) {
          if (k.startsWith("zookeeper.") && !Objects.equals(pristine.getProperty(k), System.getProperty(k))) props.put(k, System.getProperty(k));
        }
        for (Map.Entry<String, String> e : props.entrySet()) o.append("prop.").append(e.getKey()).append('=').append(e.getValue()).append('\\n');
      } catch (Exception e) {
        o = new StringBuilder("ERROR\\n");
      }
      try (Writer w = new FileWriter(path + ".out")) { w.write(o.toString()); }
    }
  }
}
`;

function describeOurs(config: ServerConfig): string {
  const lines = [
    `tickTime=${config.tickTimeMs}`,
    `minSessionTimeout=${config.minSessionTimeoutMs}`,
    `maxSessionTimeout=${config.maxSessionTimeoutMs}`,
    `maxClientCnxns=${config.maxClientCnxns}`,
    `initLimit=${config.initLimitTicks}`,
    `syncLimit=${config.syncLimitTicks}`,
    `dataDir=${config.dataDir}`,
    `dataLogDir=${config.dataLogDir}`,
    `client=${config.clientAddress === null ? 'none' : `${config.clientAddress.host ?? '0.0.0.0'}:${config.clientAddress.port}`}`,
    `snapRetainCount=${config.autopurge.snapRetainCount}`,
    `purgeInterval=${config.autopurge.purgeIntervalHours}`,
    `peerType=${config.peerType}`,
    `distributed=${config.distributed}`,
    `quorumListenOnAllIPs=${config.quorumListenOnAllIPs}`,
    `standaloneEnabled=${config.standaloneEnabled}`,
    `reconfigEnabled=${config.reconfigEnabled}`,
    `serverId=${config.serverId ?? -1}`,
    `syncEnabled=${config.syncEnabled}`,
    `localSessions=${config.localSessionsEnabled}`,
    `backlog=${config.clientPortListenBacklog}`,
    `metrics=${config.metrics.providerClassName}`,
    `version=${config.quorumConfigVersion.toString(16)}`,
  ];
  for (const s of config.servers) {
    const client = s.clientAddress === null ? 'none' : `${s.clientAddress.host ?? '0.0.0.0'}:${s.clientAddress.port}`;
    lines.push(`server.${s.id}=${s.host}:${s.quorumPort}:${s.electionPort}:${s.role};${client}`);
  }
  const zooCfgProps = Object.keys(config.systemProperties)
    .filter((k) => k.startsWith('zookeeper.'))
    .sort()
    .map((k) => `prop.${k}=${config.systemProperties[k] ?? ''}`);
  return [...lines, ...zooCfgProps].map((l) => `${l}\n`).join('');
}

interface Case {
  readonly name: string;
  /** zoo.cfg text; DATADIR is replaced with the case's data directory. */
  readonly cfg: string;
  readonly myid?: string;
  readonly dynamic?: { readonly name: string; readonly text: string };
}

const ENSEMBLE = 'server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.2:2888:3888\nserver.3=127.0.0.3:2888:3888\n';

const CASES: readonly Case[] = [
  { name: 'debian', cfg: 'tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=DATADIR\nclientPort=2181\n' },
  { name: 'minimal', cfg: 'dataDir=DATADIR\n' },
  { name: 'no-tick', cfg: 'dataDir=DATADIR\nclientPort=2181\nclientPortAddress=127.0.0.1\n' },
  { name: 'timeouts', cfg: 'dataDir=DATADIR/\ndataLogDir=DATADIR//log/\ntickTime=500\nminSessionTimeout=-1\nmaxSessionTimeout=100000\n' },
  { name: 'min-above-max', cfg: 'dataDir=DATADIR\nminSessionTimeout=9000\nmaxSessionTimeout=8000\n' },
  { name: 'default-min-above-max', cfg: 'dataDir=DATADIR\ntickTime=10000\nmaxSessionTimeout=15000\n' },
  { name: 'no-datadir', cfg: 'clientPort=2181\n' },
  { name: 'bad-port', cfg: 'dataDir=DATADIR\nclientPort=21x81\n' },
  { name: 'port-range', cfg: 'dataDir=DATADIR\nclientPort=65536\n' },
  { name: 'tick-zero', cfg: 'dataDir=DATADIR\ntickTime=0\n' },
  { name: 'address-without-port', cfg: 'dataDir=DATADIR\nclientPortAddress=127.0.0.1\n' },
  { name: 'election-alg', cfg: 'dataDir=DATADIR\nelectionAlg=2\n' },
  { name: 'peer-type', cfg: 'dataDir=DATADIR\npeerType=boss\n' },
  { name: 'bad-boolean', cfg: 'dataDir=DATADIR\nsyncEnabled=no\n' },
  { name: 'booleans', cfg: 'dataDir=DATADIR\nsyncEnabled=FALSE\nlocalSessionsEnabled=True\nquorumListenOnAllIPs=true\nclientPortListenBacklog=77\n' },
  { name: 'purge', cfg: 'dataDir=DATADIR\nautopurge.snapRetainCount=1\nautopurge.purgeInterval=24\nmaxClientCnxns=0\n' },
  {
    name: 'unknown-keys',
    cfg: 'dataDir=DATADIR\nsnapCount=1000\n4lw.commands.whitelist=*\nskipACL=yes\nauthProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\nsome.thing = spaced value \njute.maxbuffer=100\n',
  },
  { name: 'metrics', cfg: 'dataDir=DATADIR\nmetricsProvider.className=org.apache.zookeeper.metrics.impl.DefaultMetricsProvider\nmetricsProvider.whatever=1\n' },
  { name: 'metrics-missing', cfg: 'dataDir=DATADIR\nmetricsProvider.className=com.example.Nope\n' },
  { name: 'ensemble', cfg: `dataDir=DATADIR\nclientPort=2181\ninitLimit=5\nsyncLimit=2\n${ENSEMBLE}`, myid: '2\n' },
  { name: 'ensemble-no-myid', cfg: `dataDir=DATADIR\ninitLimit=5\nsyncLimit=2\n${ENSEMBLE}` },
  { name: 'ensemble-no-init', cfg: `dataDir=DATADIR\nsyncLimit=2\n${ENSEMBLE}`, myid: '1' },
  { name: 'ensemble-bad-myid', cfg: `dataDir=DATADIR\ninitLimit=5\nsyncLimit=2\n${ENSEMBLE}`, myid: 'x' },
  {
    name: 'roles-and-clients',
    cfg: 'dataDir=DATADIR\ninitLimit=5\nsyncLimit=2\nserver.1=127.0.0.1:2888:3888:participant;2181\nserver.2=[::1]:2889:3889;[::1]:2182\nserver.3=localhost:2890:3890\nserver.4=127.0.0.4:2891:3891:observer;127.0.0.4:2184\n',
    myid: '4',
  },
  { name: 'client-conflict', cfg: 'dataDir=DATADIR\nclientPort=2000\ninitLimit=5\nsyncLimit=2\nserver.1=127.0.0.1:2888:3888;2181\nserver.2=127.0.0.2:2888:3888\nserver.3=127.0.0.3:2888:3888\n', myid: '1' },
  { name: 'single-server', cfg: 'dataDir=DATADIR\nclientPort=2181\nserver.1=127.0.0.1:2888:3888\n' },
  { name: 'single-server-not-standalone', cfg: 'dataDir=DATADIR\nstandaloneEnabled=false\ninitLimit=1\nsyncLimit=1\nserver.1=127.0.0.1:2888:3888\n', myid: '1' },
  { name: 'observers-only', cfg: 'dataDir=DATADIR\nserver.1=127.0.0.1:2888:3888:observer\n' },
  { name: 'observer-without-quorum', cfg: 'dataDir=DATADIR\nserver.1=127.0.0.1:2888:3888\nserver.2=127.0.0.2:2888:3888:observer\n' },
  { name: 'bad-server-id', cfg: 'dataDir=DATADIR\nserver.one=127.0.0.1:2888:3888\n' },
  { name: 'server-short', cfg: 'dataDir=DATADIR\nserver.1=127.0.0.1:2888\n' },
  { name: 'server-same-ports', cfg: 'dataDir=DATADIR\nserver.1=127.0.0.1:2888:2888\n' },
  { name: 'server-trailing-colon', cfg: 'dataDir=DATADIR\nserver.1=127.0.0.1:2888:3888:\nserver.2=127.0.0.2:2888:3888:\n', myid: '1' },
  { name: 'multi-address', cfg: 'dataDir=DATADIR\nserver.1=127.0.0.1:2888:3888|127.0.0.2:2888:3888\n' },
  {
    name: 'dynamic',
    cfg: 'dataDir=DATADIR\ninitLimit=5\nsyncLimit=2\ndynamicConfigFile=DATADIR/zoo.cfg.dynamic.200000000\n',
    myid: '3',
    dynamic: { name: 'zoo.cfg.dynamic.200000000', text: `${ENSEMBLE.replace('server.3=127.0.0.3:2888:3888', 'server.3=127.0.0.3:2888:3888;127.0.0.3:2183')}` },
  },
  {
    name: 'dynamic-extra-key',
    cfg: 'dataDir=DATADIR\ninitLimit=5\nsyncLimit=2\ndynamicConfigFile=DATADIR/zoo.cfg.dynamic\n',
    myid: '3',
    dynamic: { name: 'zoo.cfg.dynamic', text: `${ENSEMBLE}tickTime=3\n` },
  },
  {
    name: 'dynamic-and-static-servers',
    cfg: `dataDir=DATADIR\ninitLimit=5\nsyncLimit=2\ndynamicConfigFile=DATADIR/zoo.cfg.dynamic\n${ENSEMBLE}`,
    myid: '3',
    dynamic: { name: 'zoo.cfg.dynamic', text: ENSEMBLE },
  },
  { name: 'continuations', cfg: 'dataDir=DATADIR\ntickTime : 1500\nclientPort   2182\nserver.1=127.0.0.1:2888:\\\n   3888\n' },
];

describe.skipIf(!available)('buildServerConfig against Apache ZooKeeper 3.8 QuorumPeerConfig', () => {
  let dir = '';
  const javaOut = new Map<string, string>();
  const cfgPaths = new Map<string, string>();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'zk-cfg-java-'));
    writeFileSync(join(dir, 'ConfigProbe.java'), PROBE);
    const compiled = spawnSync('javac', ['-d', dir, '-cp', CLASSPATH.join(':'), join(dir, 'ConfigProbe.java')], { encoding: 'utf8' });
    expect(compiled.status, compiled.stderr).toBe(0);
    for (const c of CASES) {
      const caseDir = join(dir, c.name);
      mkdirSync(caseDir);
      const cfgPath = join(caseDir, 'zoo.cfg');
      writeFileSync(cfgPath, c.cfg.replaceAll('DATADIR', caseDir));
      if (c.myid !== undefined) writeFileSync(join(caseDir, 'myid'), c.myid);
      if (c.dynamic !== undefined) writeFileSync(join(caseDir, c.dynamic.name), c.dynamic.text);
      cfgPaths.set(c.name, cfgPath);
    }
    const run = spawnSync('java', ['-cp', [dir, ...CLASSPATH].join(':'), 'ConfigProbe', ...cfgPaths.values()], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    for (const [name, path] of cfgPaths) javaOut.set(name, readFileSync(`${path}.out`, 'utf8'));
  });

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it.each(CASES.map((c) => c.name))('%s', (name) => {
    let ours: string;
    try {
      ours = describeOurs(loadServerConfigFromFiles(cfgPaths.get(name) ?? '', {}));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      ours = 'ERROR\n';
    }
    // Java prints an IPv6 literal it resolved in full; the address is the same.
    expect(ours).toBe(javaOut.get(name)?.replaceAll('0:0:0:0:0:0:0:1', '::1'));
  });
});
