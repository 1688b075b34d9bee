/** Containers and TTL nodes (TTL needs zookeeper.extendedTypesEnabled=true). */
import { Flags, req } from '../requests.js';
import type { Scenario } from '../scenario.js';
import { rq } from './dsl.js';

const EXTENDED = { extraCfg: { extendedTypesEnabled: 'true' } };

export const extendedScenarios: Scenario[] = [
  {
    name: 'createContainer',
    steps: [
      rq('createContainer /c', req.createContainer('/c', 'x')),
      rq('exists /c (ephemeralOwner)', req.exists('/c')),
      rq('create /c/child', req.create('/c/child')),
      rq('createContainer /c again', req.createContainer('/c')),
      rq('createContainer with flags 0', req.createContainer('/c0', '', { flags: 0 })),
      rq('createContainer with sequential flag', req.createContainer('/cs', '', { flags: Flags.persistentSequential })),
      rq('createContainer under missing parent', req.createContainer('/missing/c')),
      rq('getChildren /', req.getChildren('/')),
    ],
  },
  {
    name: 'createTTL-disabled',
    steps: [
      rq('createTTL /t ttl 1000 (extended types off)', req.createTTL('/t', 'x', 1000n)),
      rq('exists /t', req.exists('/t')),
    ],
  },
  {
    name: 'createTTL-enabled',
    server: EXTENDED,
    steps: [
      rq('createTTL /t ttl 60000', req.createTTL('/t', 'x', 60_000n)),
      rq('exists /t (ephemeralOwner encodes ttl)', req.exists('/t')),
      rq('createTTL /ts- seq ttl 60000', req.createTTL('/ts-', '', 60_000n, { flags: Flags.persistentSequentialWithTtl })),
      rq('createTTL ttl 0', req.createTTL('/t0', '', 0n)),
      rq('createTTL ttl -1', req.createTTL('/tm', '', -1n)),
      rq('createTTL ttl 2^40 (too big)', req.createTTL('/tb', '', 0x10000000000n)),
      rq('createTTL ttl 2^40-1 (max)', req.createTTL('/tmax', '', 0xffffffffffn)),
      rq('createTTL flags 0 (persistent)', req.createTTL('/tp', '', 1000n, { flags: 0 })),
      rq('createTTL flags 1 (ephemeral)', req.createTTL('/te', '', 1000n, { flags: 1 })),
      rq('create (op 1) with ttl flags', req.create('/tf', '', { flags: Flags.persistentWithTtl })),
      rq('create2 (op 15) with ttl flags', req.create2('/tf2', '', { flags: Flags.persistentWithTtl })),
      rq('createTTL existing', req.createTTL('/t', '', 1000n)),
      rq('createTTL missing parent', req.createTTL('/nope/t', '', 1000n)),
      rq('exists /tmax', req.exists('/tmax')),
      rq('getEphemerals /', req.getEphemerals('/')),
    ],
  },
];
