/**
 * The network between the nodes of an ensemble, and how faults are put on it. Two implementations:
 * {@link ProxyNetwork} (no root: a userspace proxy on every directed peer link, nodes on 127.0.0.1
 * with their own ports) and `NetnsNetwork` in ./netns.ts (root: a network namespace per node on a
 * bridge, 127.0.1.x addresses, nftables rules).
 *
 * Faults are policies of directed links: `from -> to` governs the bytes node `from` sends to node
 * `to` (whichever side opened the connection). Node ids are 1-based.
 */
import { createServer, type Server } from 'node:net';

import { Rng } from '../runner/rng.js';
import { HEALTHY, TcpProxy, isHealthy, type LinkPolicy } from './proxy.js';

export type NetMode = 'proxy' | 'root';

/** What a network can do; nemeses that need a capability the network lacks are skipped with a reason. */
export type NetCapability = 'partition' | 'one-way' | 'loss' | 'delay' | 'bandwidth' | 'duplicate' | 'reset';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Where a node listens and how it sees its peers (its zoo.cfg), and where the harness reaches it. */
export interface NodePlacement {
  readonly id: number;
  /** clientPortAddress and clientPort. */
  readonly client: HostPort;
  /** Its own server.N line. */
  readonly quorum: HostPort;
  readonly election: HostPort;
  /** The server.M lines for every other node M, as this node must dial them. */
  readonly peers: ReadonlyMap<number, { readonly quorum: HostPort; readonly election: HostPort }>;
  /** Where the harness (clients, four-letter words) connects to reach the node's client port. */
  readonly clientAccess: HostPort;
  /** Network namespace to run the node in, when any. */
  readonly netns?: string;
}

export type LinkPolicies = ReadonlyMap<string, LinkPolicy>;

export function linkKey(from: number, to: number): string {
  return `${from}->${to}`;
}

export function parseLinkKey(key: string): { from: number; to: number } {
  const m = /^(\d+)->(\d+)$/.exec(key);
  if (m === null) throw new Error(`bad link key ${key}`);
  return { from: Number(m[1]), to: Number(m[2]) };
}

export interface Network {
  readonly mode: NetMode;
  readonly capabilities: ReadonlySet<NetCapability>;
  readonly placements: readonly NodePlacement[];
  /** Replaces every link's policy: links not in the map become healthy. */
  apply(policies: LinkPolicies): Promise<void>;
  heal(): Promise<void>;
  /** The policies in force. */
  current(): LinkPolicies;
  /** A one-line description of the network, for the report. */
  describe(): string;
  /** Removes everything the network created. Idempotent. */
  teardown(): Promise<void>;
}

/** Holds free ports of 127.0.0.1 until released, so that proxies started meanwhile cannot take them. */
async function reservePorts(count: number): Promise<{ ports: number[]; release: () => Promise<void> }> {
  const servers: Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve());
    });
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('reservePorts: no address');
    servers.push(server);
    ports.push(addr.port);
  }
  return {
    ports,
    release: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

/** How long a quorum-link proxy tries a refused leader again (a learner would, for initLimit). */
const QUORUM_CONNECT_RETRY_MS = 2000;

const PROXY_CAPABILITIES: ReadonlySet<NetCapability> = new Set(['partition', 'one-way', 'loss', 'delay', 'bandwidth', 'duplicate', 'reset']);

/**
 * No-root mode: node i listens on 127.0.0.1 on its own client, quorum and election ports; its
 * zoo.cfg names every peer j by the address of the proxy of link i -> j (one for quorum, one for
 * election traffic), so every byte between two nodes crosses a proxy that the nemesis controls.
 * Clients reach the nodes directly.
 */
export class ProxyNetwork implements Network {
  readonly mode = 'proxy' as const;
  readonly capabilities = PROXY_CAPABILITIES;
  private policies = new Map<string, LinkPolicy>();
  private readonly proxies: TcpProxy[] = [];
  private torn = false;

  placements: readonly NodePlacement[] = [];

  private constructor() {}

  /** Allocates ports for `n` nodes and starts the 2·n·(n-1) link proxies. */
  static async create(n: number, rng: Rng): Promise<ProxyNetwork> {
    const reserved = await reservePorts(3 * n);
    const host = '127.0.0.1';
    const real = (id: number) => ({
      client: reserved.ports[3 * (id - 1)] ?? 0,
      quorum: reserved.ports[3 * (id - 1) + 1] ?? 0,
      election: reserved.ports[3 * (id - 1) + 2] ?? 0,
    });
    const net = new ProxyNetwork();
    const quorumProxies = new Map<string, TcpProxy>();
    const electionProxies = new Map<string, TcpProxy>();
    try {
      for (let i = 1; i <= n; i++) {
        for (let j = 1; j <= n; j++) {
          if (i === j) continue;
          const up = () => net.policy(i, j);
          const down = () => net.policy(j, i);
          const q = new TcpProxy({
            name: `quorum ${i}->${j}`,
            listen: { host, port: 0 },
            target: { host, port: real(j).quorum },
            upstream: up,
            downstream: down,
            rng: rng.fork(`q${i}-${j}`),
            // A node listens on its quorum port only while it leads, and a follower often connects
            // the moment both decided, before the leader listens: without the proxy it is refused
            // and tries again; through it, it would see a closed connection and give up the round.
            connectRetryMs: QUORUM_CONNECT_RETRY_MS,
          });
          const e = new TcpProxy({
            name: `election ${i}->${j}`,
            listen: { host, port: 0 },
            target: { host, port: real(j).election },
            upstream: up,
            downstream: down,
            framing: 'zk-election',
            // j connects back to i through the proxy of link j -> i
            electionAddress: () => {
              const back = electionProxies.get(linkKey(j, i));
              return back === undefined ? undefined : `${host}:${back.port}`;
            },
            rng: rng.fork(`e${i}-${j}`),
          });
          net.proxies.push(q, e);
          await q.start();
          await e.start();
          quorumProxies.set(linkKey(i, j), q);
          electionProxies.set(linkKey(i, j), e);
        }
      }
    } catch (err) {
      await net.teardown();
      await reserved.release();
      throw err;
    }
    const placements: NodePlacement[] = [];
    for (let i = 1; i <= n; i++) {
      const peers = new Map<number, { quorum: HostPort; election: HostPort }>();
      for (let j = 1; j <= n; j++) {
        if (i === j) continue;
        peers.set(j, {
          quorum: { host, port: quorumProxies.get(linkKey(i, j))?.port ?? 0 },
          election: { host, port: electionProxies.get(linkKey(i, j))?.port ?? 0 },
        });
      }
      const r = real(i);
      placements.push({
        id: i,
        client: { host, port: r.client },
        quorum: { host, port: r.quorum },
        election: { host, port: r.election },
        peers,
        clientAccess: { host, port: r.client },
      });
    }
    net.placements = placements;
    await reserved.release();
    return net;
  }

  private policy(from: number, to: number): LinkPolicy {
    return this.policies.get(linkKey(from, to)) ?? HEALTHY;
  }

  async apply(policies: LinkPolicies): Promise<void> {
    const next = new Map<string, LinkPolicy>();
    for (const [k, p] of policies) if (!isHealthy(p)) next.set(k, p);
    this.policies = next;
    for (const p of this.proxies) p.kick();
    // reset-only policies act at once on open connections
    for (const [k, p] of next) {
      if ((p.resetPct ?? 0) >= 100) {
        const { from, to } = parseLinkKey(k);
        for (const proxy of this.proxies) if (proxy.name.endsWith(` ${from}->${to}`) || proxy.name.endsWith(` ${to}->${from}`)) proxy.resetAll();
      }
    }
    await Promise.resolve();
  }

  heal(): Promise<void> {
    return this.apply(new Map());
  }

  current(): LinkPolicies {
    return this.policies;
  }

  stats(): { name: string; connections: number; resets: number; duplicated: number; rewrites: number }[] {
    return this.proxies.map((p) => ({
      name: p.name,
      connections: p.stats.connections,
      resets: p.stats.resets,
      duplicated: p.stats.duplicated,
      rewrites: p.stats.rewrittenInitialMessages,
    }));
  }

  describe(): string {
    return `proxy: nodes on 127.0.0.1, ${this.proxies.length} userspace link proxies (quorum and election, one per directed link)`;
  }

  async teardown(): Promise<void> {
    if (this.torn) return;
    this.torn = true;
    await Promise.all(this.proxies.map((p) => p.close()));
  }
}
