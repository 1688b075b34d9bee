/** check, multi, multiRead and their failure results. */
import { Flags, Op, READ_ACL_UNSAFE, req } from '../requests.js';
import type { Scenario } from '../scenario.js';
import { rq } from './dsl.js';

export const multiScenarios: Scenario[] = [
  {
    name: 'check-standalone',
    description: 'check (13) sent outside a multi: Java 3.8 never answers a successful one',
    steps: [
      rq('create /c', req.create('/c')),
      { kind: 'request', session: 'a', label: 'check /c version 0', request: req.check('/c', 0), timeoutMs: 2000 },
      rq('check /c version 3', req.check('/c', 3)),
      rq('check /missing', req.check('/missing', 0)),
      rq('exists /c (session still works)', req.exists('/c')),
    ],
  },
  {
    name: 'multi-success',
    steps: [
      rq(
        'multi create,create2,setData,check,delete',
        req.multi([
          req.create('/m', 'root'),
          req.create2('/m/a', 'a'),
          req.setData('/m', 'root2', 0),
          req.check('/m', 1),
          req.create('/m/seq-', '', { flags: Flags.persistentSequential }),
          req.delete('/m/a', 0),
        ]),
      ),
      rq('getChildren2 /m', req.getChildren2('/m')),
      rq('getData /m', req.getData('/m')),
    ],
  },
  {
    name: 'multi-failure-rolls-back',
    steps: [
      rq('create /m', req.create('/m')),
      rq(
        'multi create ok, create NodeExists, setData',
        req.multi([req.create('/m/new'), req.create('/m'), req.setData('/m', 'x')]),
      ),
      rq('exists /m/new (rolled back)', req.exists('/m/new')),
      rq('multi check bad version first', req.multi([req.check('/m', 9), req.create('/m/z')])),
      rq('multi delete missing last', req.multi([req.create('/m/y'), req.delete('/missing')])),
      rq('multi setData bad version', req.multi([req.setData('/m', 'v', 4)])),
      rq('multi delete not empty', req.multi([req.create('/m/k'), req.delete('/m')])),
      rq('multi create under ephemeral', req.multi([req.create('/eph', '', { flags: Flags.ephemeral }), req.create('/eph/x')])),
      rq('multi invalid ACL', req.multi([req.create('/acl', '', { acl: [] })])),
      rq('exists /m', req.exists('/m')),
    ],
  },
  {
    name: 'multi-noauth',
    steps: [
      rq('create /ro read-only', req.create('/ro', '', { acl: READ_ACL_UNSAFE })),
      rq('multi setData /ro', req.multi([req.check('/ro', 0), req.setData('/ro', 'x')])),
      rq('multi create under /ro', req.multi([req.create('/ro/c')])),
    ],
  },
  {
    name: 'multi-edge-cases',
    steps: [
      rq('empty multi', req.multi([])),
      rq('multi with a getData (read op in write multi)', req.multi([req.getData('/')])),
      rq('multi with invalid path', req.multi([req.create('bad')])),
      rq('multi create then delete same node', req.multi([req.create('/tmp'), req.delete('/tmp')])),
      rq('multi create same node twice', req.multi([req.create('/dup'), req.create('/dup')])),
      rq('multi with createTTL (extended types off)', req.multi([req.createTTL('/ttl', '', 1000n)])),
      rq('multi with createContainer', req.multi([req.createContainer('/cont', 'x')])),
      rq('exists /cont', req.exists('/cont')),
      rq('multi with op type 999', req.raw(Op.multi, Buffer.from('000003e700ffffffff000000012f', 'hex'))),
    ],
  },
  {
    name: 'multiRead',
    steps: [
      rq('create /r', req.create('/r', 'data')),
      rq('create /r/c', req.create('/r/c')),
      rq(
        'multiRead getChildren,getData,missing,getData',
        req.multiRead([req.getChildren('/r'), req.getData('/r'), req.getData('/missing'), req.getChildren('/missing'), req.getData('/r/c')]),
      ),
      rq('multiRead empty', req.multiRead([])),
      rq('multiRead with a write op', req.multiRead([req.create('/r/new')])),
      rq('exists /r/new', req.exists('/r/new')),
      rq('multiRead with exists', req.multiRead([req.exists('/r')])),
    ],
  },
];
