/** Time-dependent lifecycles: session expiry, reattaching, container and TTL cleanup, size limits. */
import { Flags, req } from '../requests.js';
import type { Scenario } from '../scenario.js';
import { connect, disconnect, notifications, reattach, rq, sleep } from './dsl.js';

/** Containers and TTL nodes are checked every znode.container.checkIntervalMs (a JVM property). */
const FAST_CONTAINER_CHECKS = { jvmFlags: ['-Dznode.container.checkIntervalMs=200'] };

export const lifecycleScenarios: Scenario[] = [
  {
    name: 'session-expiry-removes-ephemerals',
    description: 'a 4000 ms session dropped without closeSession expires; its ephemerals go and watchers hear it',
    steps: [
      connect('a', { timeOut: 4000 }),
      rq('create /eph ephemeral', req.create('/eph', 'x', { flags: Flags.ephemeral })),
      rq('exists /eph watch (b)', req.exists('/eph', true), 'b'),
      rq('getChildren / watch (b)', req.getChildren('/', true), 'b'),
      disconnect('a'),
      rq('exists /eph right after disconnect (b)', req.exists('/eph'), 'b'),
      notifications('b', 2, 15_000),
      rq('exists /eph after expiry (b)', req.exists('/eph'), 'b'),
    ],
  },
  {
    name: 'reattach-moves-session',
    steps: [
      rq('create /eph ephemeral', req.create('/eph', '', { flags: Flags.ephemeral })),
      reattach('a2', 'a'),
      rq('exists /eph via the new connection', req.exists('/eph'), 'a2'),
      rq('getEphemerals via the new connection', req.getEphemerals('/'), 'a2'),
      rq('request on the old connection', req.exists('/eph'), 'a'),
      reattach('bad', 'a2', true),
      rq('request on the wrong-password connection', req.exists('/'), 'bad'),
      rq('request on a2 after the wrong-password attempt', req.exists('/'), 'a2'),
      rq('exists /eph (c)', req.exists('/eph'), 'c'),
    ],
  },
  {
    name: 'container-cleanup',
    server: FAST_CONTAINER_CHECKS,
    steps: [
      rq('createContainer /c', req.createContainer('/c')),
      rq('createContainer /never-used', req.createContainer('/never-used')),
      rq('create /c/x', req.create('/c/x')),
      rq('exists /c watch', req.exists('/c', true)),
      rq('delete /c/x', req.delete('/c/x')),
      notifications('a', 1, 5000),
      rq('exists /c after cleanup', req.exists('/c')),
      rq('exists /never-used (containers that never had children stay)', req.exists('/never-used')),
    ],
  },
  {
    name: 'ttl-expiry',
    server: { extraCfg: { extendedTypesEnabled: 'true' }, ...FAST_CONTAINER_CHECKS },
    steps: [
      rq('createTTL /t ttl 300', req.createTTL('/t', '', 300n)),
      rq('createTTL /busy ttl 300', req.createTTL('/busy', '', 300n)),
      rq('create /busy/child', req.create('/busy/child')),
      rq('exists /t watch', req.exists('/t', true)),
      notifications('a', 1, 5000),
      sleep(500),
      rq('exists /t after ttl', req.exists('/t')),
      rq('exists /busy (has a child: stays)', req.exists('/busy')),
    ],
  },
  {
    name: 'data-over-jute-maxbuffer',
    description: 'a request larger than jute.maxbuffer (1 MiB by default)',
    steps: [
      { kind: 'request', session: 'a', label: 'create /big 1048577 bytes', request: req.create('/big', Buffer.alloc(1_048_577, 0x62)), timeoutMs: 3000 },
      rq('exists /big (b)', req.exists('/big'), 'b'),
    ],
  },
  {
    name: 'data-at-jute-maxbuffer-limit',
    steps: [
      { kind: 'request', session: 'a', label: 'create /big 1048000 bytes', request: req.create('/big', Buffer.alloc(1_048_000, 0x62)), timeoutMs: 3000 },
      rq('exists /big (b)', req.exists('/big'), 'b'),
    ],
  },
];
