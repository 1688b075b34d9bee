/** create / create2 / delete / exists / getData / setData and their error paths. */
import { Flags, req } from '../requests.js';
import type { Scenario } from '../scenario.js';
import { rq } from './dsl.js';

export const crudScenarios: Scenario[] = [
  {
    name: 'create-then-read',
    steps: [
      rq('create /a', req.create('/a', 'hello')),
      rq('exists /a', req.exists('/a')),
      rq('getData /a', req.getData('/a')),
      rq('getData / (root)', req.getData('/')),
      rq('exists /zookeeper', req.exists('/zookeeper')),
    ],
  },
  {
    name: 'create2-returns-stat',
    steps: [rq('create2 /a', req.create2('/a', 'x')), rq('create2 /a/b', req.create2('/a/b', '')), rq('exists /a', req.exists('/a'))],
  },
  {
    name: 'create-null-vs-empty-data',
    description: 'data buffer sent as null (length -1) versus empty',
    steps: [
      rq('create /n data=null', req.create('/n', null)),
      rq('create /e data=empty', req.create('/e', '')),
      rq('getData /n', req.getData('/n')),
      rq('getData /e', req.getData('/e')),
      rq('setData /e data=null', req.setData('/e', null)),
      rq('getData /e after null set', req.getData('/e')),
    ],
  },
  {
    name: 'create-node-exists',
    steps: [rq('create /a', req.create('/a')), rq('create /a again', req.create('/a')), rq('create2 /a again', req.create2('/a'))],
  },
  {
    name: 'create-parent-missing',
    steps: [rq('create /x/y', req.create('/x/y')), rq('create2 /x/y', req.create2('/x/y'))],
  },
  {
    name: 'create-sequential',
    steps: [
      rq('create /s', req.create('/s')),
      rq('create /s/n- seq', req.create('/s/n-', 'a', { flags: Flags.persistentSequential })),
      rq('create /s/n- seq again', req.create('/s/n-', 'b', { flags: Flags.persistentSequential })),
      rq('create /s/other plain', req.create('/s/other')),
      rq('create /s/ seq (empty suffix)', req.create('/s/', '', { flags: Flags.persistentSequential })),
      rq('create2 /s/m- seq', req.create2('/s/m-', '', { flags: Flags.persistentSequential })),
      rq('delete /s/n-0000000000', req.delete('/s/n-0000000000')),
      rq('create /s/n- seq after delete', req.create('/s/n-', 'c', { flags: Flags.persistentSequential })),
      rq('getChildren2 /s', req.getChildren2('/s')),
    ],
  },
  {
    name: 'create-sequential-at-root',
    steps: [rq('create / seq', req.create('/', '', { flags: Flags.persistentSequential })), rq('create /r- seq', req.create('/r-', '', { flags: Flags.persistentSequential }))],
  },
  {
    name: 'create-bad-flags',
    steps: [
      rq('create flags=7', req.create('/f7', '', { flags: 7 })),
      rq('create flags=-1', req.create('/fm1', '', { flags: -1 })),
      rq('create flags=99', req.create('/f99', '', { flags: 99 })),
      rq('create flags=4 (container) via create', req.create('/fc', '', { flags: Flags.container })),
      rq('create flags=5 (ttl) via create', req.create('/ft', '', { flags: Flags.persistentWithTtl })),
      rq('exists /fc', req.exists('/fc')),
    ],
  },
  {
    name: 'delete-paths',
    steps: [
      rq('create /d', req.create('/d')),
      rq('create /d/c', req.create('/d/c')),
      rq('delete /d (not empty)', req.delete('/d')),
      rq('delete /d/c bad version', req.delete('/d/c', 5)),
      rq('delete /d/c version 0', req.delete('/d/c', 0)),
      rq('delete /d/c again', req.delete('/d/c')),
      rq('delete /d', req.delete('/d')),
      rq('delete /missing', req.delete('/missing')),
      rq('delete /missing bad version', req.delete('/missing', 3)),
    ],
  },
  {
    name: 'delete-reserved',
    steps: [
      rq('delete /', req.delete('/')),
      rq('delete /zookeeper', req.delete('/zookeeper')),
      rq('delete /zookeeper/quota', req.delete('/zookeeper/quota')),
      rq('delete /zookeeper/config', req.delete('/zookeeper/config')),
    ],
  },
  {
    name: 'setData-versions',
    steps: [
      rq('create /v', req.create('/v', 'one')),
      rq('setData /v version 0', req.setData('/v', 'two', 0)),
      rq('setData /v version 0 again (bad)', req.setData('/v', 'three', 0)),
      rq('setData /v version -1', req.setData('/v', 'four', -1)),
      rq('setData /v version 2', req.setData('/v', 'five', 2)),
      rq('setData /v version -2', req.setData('/v', 'six', -2)),
      rq('getData /v', req.getData('/v')),
      rq('setData /missing', req.setData('/missing', 'x')),
      rq('setData /missing bad version', req.setData('/missing', 'x', 7)),
    ],
  },
  {
    name: 'setData-reserved',
    steps: [
      rq('setData /', req.setData('/', 'root')),
      rq('getData /', req.getData('/')),
      rq('setData /zookeeper', req.setData('/zookeeper', 'zk')),
      rq('setData /zookeeper/config', req.setData('/zookeeper/config', 'cfg')),
      rq('create /zookeeper/mine', req.create('/zookeeper/mine')),
      rq('create /zookeeper/quota/q', req.create('/zookeeper/quota/q')),
    ],
  },
  {
    name: 'exists-missing-and-stat-fields',
    steps: [
      rq('exists /missing', req.exists('/missing')),
      rq('create /p', req.create('/p')),
      rq('create /p/c1', req.create('/p/c1')),
      rq('create /p/c2', req.create('/p/c2')),
      rq('delete /p/c1', req.delete('/p/c1')),
      rq('exists /p (cversion, pzxid, numChildren)', req.exists('/p')),
      rq('getData /missing', req.getData('/missing')),
    ],
  },
  {
    name: 'data-sizes',
    steps: [
      rq('create /big 100000 bytes', req.create('/big', Buffer.alloc(100_000, 0x61))),
      rq('exists /big', req.exists('/big')),
      rq('create /bin binary', req.create('/bin', Buffer.from([0, 1, 2, 255, 254]))),
      rq('getData /bin', req.getData('/bin')),
      rq('create /utf8 unicode name', req.create('/ünïcødé-名前', 'ü')),
      rq('getChildren /', req.getChildren('/')),
    ],
  },
];
