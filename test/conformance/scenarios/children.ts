/** getChildren / getChildren2 / getAllChildrenNumber / getEphemerals, ephemerals. */
import { Flags, req } from '../requests.js';
import type { Scenario } from '../scenario.js';
import { close, rq } from './dsl.js';

export const childrenScenarios: Scenario[] = [
  {
    name: 'children-listing',
    steps: [
      rq('create /c', req.create('/c')),
      rq('create /c/b', req.create('/c/b')),
      rq('create /c/a', req.create('/c/a')),
      rq('create /c/a/x', req.create('/c/a/x')),
      rq('getChildren /c', req.getChildren('/c')),
      rq('getChildren2 /c', req.getChildren2('/c')),
      rq('getChildren /', req.getChildren('/')),
      rq('getChildren /zookeeper', req.getChildren('/zookeeper')),
      rq('getChildren /c/a/x (leaf)', req.getChildren('/c/a/x')),
      rq('getChildren /missing', req.getChildren('/missing')),
      rq('getChildren2 /missing', req.getChildren2('/missing')),
    ],
  },
  {
    name: 'getAllChildrenNumber',
    steps: [
      rq('create /t', req.create('/t')),
      rq('create /t/1', req.create('/t/1')),
      rq('create /t/1/2', req.create('/t/1/2')),
      rq('create /t/3', req.create('/t/3')),
      rq('getAllChildrenNumber /t', req.getAllChildrenNumber('/t')),
      rq('getAllChildrenNumber /t/3', req.getAllChildrenNumber('/t/3')),
      rq('getAllChildrenNumber /', req.getAllChildrenNumber('/')),
      rq('getAllChildrenNumber /zookeeper', req.getAllChildrenNumber('/zookeeper')),
      rq('getAllChildrenNumber /missing', req.getAllChildrenNumber('/missing')),
    ],
  },
  {
    name: 'ephemerals',
    steps: [
      rq('create /e', req.create('/e')),
      rq('create /e/one ephemeral', req.create('/e/one', 'x', { flags: Flags.ephemeral })),
      rq('create /e/seq- ephemeral seq', req.create('/e/seq-', '', { flags: Flags.ephemeralSequential })),
      rq('create /top ephemeral', req.create('/top', '', { flags: Flags.ephemeral })),
      rq('exists /e/one (ephemeralOwner)', req.exists('/e/one')),
      rq('create /e/one/child (NoChildrenForEphemerals)', req.create('/e/one/child')),
      rq('create2 /e/one/child seq', req.create2('/e/one/child', '', { flags: Flags.persistentSequential })),
      rq('getEphemerals /', req.getEphemerals('/')),
      rq('getEphemerals ""', req.getEphemerals('')),
      rq('getEphemerals /e', req.getEphemerals('/e')),
      rq('getEphemerals /e/o (prefix, not path)', req.getEphemerals('/e/o')),
      rq('getEphemerals /nothing', req.getEphemerals('/nothing')),
      rq('getEphemerals of other session', req.getEphemerals('/'), 'b'),
      close('a'),
      rq('exists /e/one after owner closed', req.exists('/e/one'), 'b'),
      rq('getChildren /e after owner closed', req.getChildren2('/e'), 'b'),
      rq('exists /e (cversion/pzxid after cleanup)', req.exists('/e'), 'b'),
    ],
  },
];
