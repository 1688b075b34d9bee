// Differential tests of src/reconfig against Apache ZooKeeper 3.8's own classes on the installed JDK
// (see java-probe.ts): hash iteration orders, QuorumServer and QuorumMaj parsing and toString,
// writeDynamicConfig and editStaticConfig. Random cases come from a seeded generator; the seed is
// printed and can be replayed with ZK_RECONFIG_SEED=<seed>.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  configFromString,
  dynamicConfigFileText,
  editedStaticConfigText,
  JavaHashMapKeys,
  JavaProperties,
  parseQuorumServer,
  formatQuorumServer,
  type JavaFailureKind,
} from '../../src/reconfig/index.js';
import { b64, compileJavaProbe, javaProbeAvailable, type JavaProbe, type ProbeResult } from './java-probe.js';

const available = javaProbeAvailable();
const SEED = Number(process.env['ZK_RECONFIG_SEED'] ?? Date.now() % 1_000_000);

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed from its seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function distinctIds(random: () => number, wanted: number, max: number): bigint[] {
  const count = Math.min(wanted, max);
  const ids = new Set<bigint>();
  while (ids.size < count) ids.add(BigInt(Math.floor(random() * max)) + (random() < 0.05 ? 2n ** 32n : 0n));
  return [...ids];
}

/** The Java exception each of our failure kinds stands for (the reconfig path maps on these). */
function javaExceptionMatches(kind: JavaFailureKind, exception: string): boolean {
  switch (kind) {
    case 'ConfigException':
      return exception === 'ConfigException';
    case 'NumberFormatException':
      return exception === 'NumberFormatException';
    case 'IllegalArgumentException':
      return exception === 'IllegalArgumentException';
    case 'RuntimeException':
      return exception.endsWith('Exception') && !['ConfigException', 'NumberFormatException', 'IllegalArgumentException'].includes(exception);
    case 'BadArgumentsException':
    case 'Unsupported':
      return false;
  }
}

describe.skipIf(!available)('src/reconfig against 3.8 on the JDK', () => {
  let probe: JavaProbe;

  beforeAll(async () => {
    process.stdout.write(`java-differential seed: ${SEED}\n`);
    probe = await compileJavaProbe();
  });

  afterAll(async () => {
    await probe?.close();
  });

  function okText(result: ProbeResult | undefined): string {
    if (result === undefined || !result.ok) throw new Error(`probe failed: ${JSON.stringify(result)}`);
    return result.text;
  }

  it('orders HashMap<Long> keys as the JDK does: default maps, copies with removes and puts, sized maps', () => {
    const random = prng(SEED);
    const cases: { command: string; expected: bigint[] }[] = [];
    for (let i = 0; i < 300; i++) {
      const ids = distinctIds(random, 1 + Math.floor(random() * 40), pick(random, [16, 40, 100, 1000]));
      const kind = pick(random, ['default', 'copy', 'cap']);
      const capacity = 1 + Math.floor(random() * 20);
      const ops: string[] = [];
      for (let j = Math.floor(random() * 6); j > 0; j--) ops.push(`${random() < 0.5 ? '+' : '-'}${pick(random, [...ids, ...distinctIds(random, 2, 100)])}`);
      let map: JavaHashMapKeys<bigint>;
      if (kind === 'default') {
        map = JavaHashMapKeys.empty();
        for (const id of ids) map.put(id);
      } else if (kind === 'copy') {
        const source = JavaHashMapKeys.empty<bigint>();
        for (const id of ids) source.put(id);
        map = JavaHashMapKeys.copyOf(source.keys());
      } else {
        map = JavaHashMapKeys.withInitialCapacity(capacity);
        for (const id of ids) map.put(id);
      }
      for (const op of ops) {
        const id = BigInt(op.slice(1));
        map.remove(id);
        if (op.startsWith('+')) map.put(id);
      }
      const mode = kind === 'cap' ? `cap:${capacity}` : kind;
      cases.push({ command: `hashmap ${mode} ${ids.join(',')} ${ops.length === 0 ? '-' : ops.join(',')}`, expected: map.keys() });
    }
    const results = probe.run(cases.map((c) => c.command));
    cases.forEach((c, i) => {
      const java = okText(results[i]);
      expect(java === '' ? [] : java.split(' ').map(BigInt), `seed ${SEED}: ${c.command}`).toEqual(c.expected);
    });
  });

  it('orders a HashSet copied from an ack set as the JDK does', () => {
    const random = prng(SEED + 1);
    const cases: { command: string; expected: bigint[] }[] = [];
    for (let i = 0; i < 100; i++) {
      const acks = distinctIds(random, 1 + Math.floor(random() * 12), pick(random, [10, 40, 300]));
      const voters = acks.length + Math.floor(random() * 5);
      const set = JavaHashMapKeys.withInitialCapacity<bigint>(voters);
      for (const id of acks) set.put(id);
      cases.push({ command: `hashset-copy ${voters} ${acks.join(',')}`, expected: JavaHashMapKeys.hashSetCopyOf(set.keys()).keys() });
    }
    const results = probe.run(cases.map((c) => c.command));
    cases.forEach((c, i) => expect(okText(results[i]).split(' ').map(BigInt), `seed ${SEED}: ${c.command}`).toEqual(c.expected));
  });

  it('orders Properties keys as the JDK does, through ConcurrentHashMap resizes', () => {
    const random = prng(SEED + 2);
    const vocabulary = ['tickTime', 'initLimit', 'syncLimit', 'dataDir', 'clientPort', 'clientPortAddress', 'admin.enableServer',
      '4lw.commands.whitelist', 'reconfigEnabled', 'standaloneEnabled', 'dynamicConfigFile', 'version', 'peerType', 'skipACL',
      'autopurge.purgeInterval', 'metricsProvider.className', 'dataLogDir', 'maxClientCnxns', 'electionAlg'];
    const cases: { text: string; expected: string[] }[] = [];
    for (let i = 0; i < 150; i++) {
      const keys: string[] = [];
      for (let j = Math.floor(random() * 45); j > 0; j--) {
        keys.push(random() < 0.5 ? `server.${Math.floor(random() * 300)}` : random() < 0.7 ? pick(random, vocabulary) : `k${Math.floor(random() * 1e6)}`);
      }
      const text = keys.map((k) => `${k}=v`).join('\n');
      const props = JavaProperties.load(text);
      if (!props.ok) throw new Error('unreachable');
      cases.push({ text, expected: props.value.entries().map((e) => e.key) });
    }
    const results = probe.run(cases.map((c) => `props ${b64(c.text)}`));
    cases.forEach((c, i) => {
      const java = okText(results[i]);
      expect(java === '' ? [] : java.split('\n'), `seed ${SEED}: ${c.text.replaceAll('\n', ' ')}`).toEqual(c.expected);
    });
  });

  it('parses and formats member specs as QuorumServer does, raising the same exception class', () => {
    const specs = [
      '127.0.0.1:2888:3888',
      '127.0.0.1:2888:3888:observer',
      '127.0.0.1:2888:3888:PARTICIPANT;2181',
      'zk1:2888:3888;127.0.0.1:2181',
      '[::1]:2888:3888;[::1]:2181',
      '[2001:db8::1]:2888:3888:observer;2181',
      'h:1:2;0.0.0.0:3',
      'h:1:2: observer ;3',
      'h:1:2;',
      ':1:2',
      'h:1:1',
      'h:1',
      'h:1:2:3:4',
      'h:x:2',
      'h:1:2;x',
      'h:1:2;a:b:c',
      'h:1:70000',
      'h:1:2;70000',
      'h:-1:2',
      'h:1:2:voter',
      'h:1:2;3;4',
      'h:1:2 ',
      'h:1:2;3 ',
      '[::1:2888:3888',
      '[::1]:',
      '[::1]',
      ';',
      '',
      'a:1:2|b:3:4',
      '127.1:1:2',
      '1234:1:2;5',
      '010.0.0.1:1:2',
      '::ffff:10.0.0.1:1:2',
      '[::ffff:10.0.0.1]:1:2;[fe80::1]:3',
      'Zk1.Example:1:2;ZK1.example:3',
      'localhost:1:2;localhost:3',
      '[2001:DB8::1]:1:2',
      '256.1.1.1:1:2',
    ];
    const results = probe.run(specs.map((spec) => `server 7 ${b64(spec)}`));
    specs.forEach((spec, i) => {
      const ours = parseQuorumServer(7n, spec, { multiAddressEnabled: false });
      const java = results[i];
      if (java === undefined) throw new Error('missing result');
      if (java.ok) {
        expect(ours.ok, `${spec}: 3.8 accepts it as ${java.text}`).toBe(true);
        if (ours.ok) expect(formatQuorumServer(ours.value), spec).toBe(java.text);
      } else {
        expect(ours.ok, `${spec}: 3.8 throws ${java.exception}: ${java.message}`).toBe(false);
        if (!ours.ok) expect(javaExceptionMatches(ours.failure.kind, java.exception), `${spec}: ours ${ours.failure.kind}, 3.8 ${java.exception}`).toBe(true);
      }
    });
  });

  it('parses configuration text and writes it back as QuorumMaj.toString does', () => {
    const random = prng(SEED + 3);
    const texts: string[] = [
      'server.1=127.0.0.1:2888:3888:participant\nserver.2=127.0.0.1:2889:3889:participant\nversion=100000000',
      'server.20=a:1:2\nserver.10=b:1:2\nserver.30=c:1:2:observer;2181\nserver.17=d:1:2\nserver.1=e:3:4',
      'server.1=a:1:2\nserver.01=b:1:2',
      'server.1=a:1:2\nversion=zz',
      'server.x=a:1:2',
      'server.1=a:1:2:observer',
      'server.1=a:1:2\nserver.2=b:1:2:observer',
      'server.1=a:1:2\nserver.2=b:1:70000',
      'server.1=a:1:2\nfoo=bar',
      'server.1=a:1:2\nserver.2=b:1:2;\\u00zz',
      '',
    ];
    for (let i = 0; i < 150; i++) {
      const ids = distinctIds(random, 1 + Math.floor(random() * 20), pick(random, [10, 64, 500]));
      const lines = ids.map((id) => {
        const client = random() < 0.5 ? '' : random() < 0.5 ? `;${2000 + Number(id % 1000n)}` : `;10.0.0.${Number(id % 250n)}:2181`;
        const role = random() < 0.2 ? ':observer' : random() < 0.5 ? ':participant' : '';
        return `server.${id}=10.1.${Number(id % 200n)}.1:2888:3888${role}${client}`;
      });
      if (random() < 0.5) lines.push(`version=${Math.floor(random() * 2 ** 40).toString(16)}`);
      texts.push(lines.join(random() < 0.5 ? '\n' : '\r\n'));
    }
    for (const standaloneEnabled of [true, false]) {
      const results = probe.run(texts.map((text) => `config ${String(standaloneEnabled)} ${b64(text)}`));
      texts.forEach((text, i) => {
        const ours = configFromString(text, { standaloneEnabled, multiAddressEnabled: false });
        const java = results[i];
        if (java === undefined) throw new Error('missing result');
        const label = `seed ${SEED}, standaloneEnabled=${String(standaloneEnabled)}: ${JSON.stringify(text)}`;
        if (java.ok) {
          expect(ours.ok, `${label}: 3.8 accepts it`).toBe(true);
          if (ours.ok) expect(ours.value.toString(), label).toBe(java.text);
        } else {
          expect(ours.ok, `${label}: 3.8 throws ${java.exception}: ${java.message}`).toBe(false);
          if (!ours.ok) expect(javaExceptionMatches(ours.failure.kind, java.exception), `${label}: ours ${ours.failure.kind}, 3.8 ${java.exception}`).toBe(true);
        }
      });
    }
  });

  it('writes dynamic config files as QuorumPeerConfig.writeDynamicConfig does', () => {
    const texts = [
      'server.1=127.0.0.1:2888:3888:participant\nserver.2=127.0.0.1:2889:3889:participant\nserver.10=127.0.0.1:2890:3890:observer;2181\nversion=100000003',
      'server.3=h:1:2:participant;[::1]:2181\nversion=0',
    ];
    const commands = texts.flatMap((text) => [true, false].map((keep) => `write-dynamic ${b64(probe.dir)} ${String(keep)} ${b64(text)}`));
    const results = probe.run(commands);
    let i = 0;
    for (const text of texts) {
      for (const keep of [true, false]) {
        const qv = configFromString(text, { standaloneEnabled: true, multiAddressEnabled: false });
        if (!qv.ok) throw new Error(qv.failure.message);
        expect(dynamicConfigFileText(qv.value, keep), `${text} keep=${String(keep)}`).toBe(okText(results[i++]));
      }
    }
  });

  it('rewrites zoo.cfg as QuorumPeerConfig.editStaticConfig does', () => {
    const cfgs = [
      'tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/var/lib/zk\nclientPort=2181\nclientPortAddress=127.0.0.1\n' +
        'clientPortListenBacklog=50\nreconfigEnabled=true\n4lw.commands.whitelist=*\nserver.1=127.0.0.1:2888:3888\n' +
        'server.2=127.0.0.1:2889:3889\npeerType=participant\n# a comment\nskipACL = yes \n',
      'dataDir=/d\ndynamicConfigFile=/old/zoo.cfg.dynamic.1\nweight.1=1\ngroup.1=1:2\nsecureClientPort=0\nstandaloneEnabled=false\n',
    ];
    const commands = cfgs.flatMap((cfg) => [false, true].map((erase) => `edit-static ${b64(probe.dir)} ${String(erase)} ${b64(cfg)}`));
    const results = probe.run(commands);
    let i = 0;
    for (const cfg of cfgs) {
      for (const erase of [false, true]) {
        const ours = editedStaticConfigText(cfg, `${probe.dir}/zoo.cfg.dynamic.100000000`, erase);
        expect(ours.ok).toBe(true);
        if (ours.ok) expect(ours.value, `erase=${String(erase)}`).toBe(okText(results[i++]));
      }
    }
  });
});
