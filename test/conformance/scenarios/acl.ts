/** getACL / setACL, InvalidACL, NoAuth with digest ACLs, auth scheme handling. */
import { CREATOR_ALL_ACL, Perms, READ_ACL_UNSAFE, acl, req } from '../requests.js';
import type { Scenario } from '../scenario.js';
import { auth, digestId, rq } from './dsl.js';

const alice = digestId('alice', 'secret');

export const aclScenarios: Scenario[] = [
  {
    name: 'getACL-defaults',
    steps: [
      rq('getACL /', req.getACL('/')),
      rq('getACL /zookeeper', req.getACL('/zookeeper')),
      rq('getACL /zookeeper/config', req.getACL('/zookeeper/config')),
      rq('create /a', req.create('/a')),
      rq('getACL /a', req.getACL('/a')),
      rq('getACL /missing', req.getACL('/missing')),
    ],
  },
  {
    name: 'setACL-versions',
    steps: [
      rq('create /a', req.create('/a')),
      rq('setACL /a read-only version 0', req.setACL('/a', READ_ACL_UNSAFE, 0)),
      rq('setACL /a version 0 again (bad)', req.setACL('/a', READ_ACL_UNSAFE, 0)),
      rq('getACL /a', req.getACL('/a')),
      rq('setData /a (no WRITE)', req.setData('/a', 'x')),
      rq('getData /a (READ ok)', req.getData('/a')),
      rq('create /a/b (no CREATE)', req.create('/a/b')),
      rq('setACL /a again (no ADMIN needed? world has only READ)', req.setACL('/a', [acl('world', 'anyone', Perms.all)], -1)),
      rq('setACL /missing', req.setACL('/missing', READ_ACL_UNSAFE)),
    ],
  },
  {
    name: 'invalid-acls',
    steps: [
      rq('create empty ACL list', req.create('/e', '', { acl: [] })),
      rq('create unknown scheme', req.create('/u', '', { acl: [acl('nosuch', 'x', Perms.all)] })),
      rq('create auth scheme without auth', req.create('/au', '', { acl: CREATOR_ALL_ACL })),
      rq('create digest id without hash', req.create('/d1', '', { acl: [acl('digest', 'alice', Perms.all)] })),
      rq('create ip ACL bad address', req.create('/ip1', '', { acl: [acl('ip', 'not-an-ip', Perms.all)] })),
      rq('create ip ACL good', req.create('/ip2', '', { acl: [acl('ip', '127.0.0.1', Perms.all)] })),
      rq('create ip ACL cidr', req.create('/ip3', '', { acl: [acl('ip', '10.0.0.0/8', Perms.read)] })),
      rq('create world non-anyone', req.create('/w', '', { acl: [acl('world', 'someone', Perms.all)] })),
      rq('create perms 0', req.create('/p0', '', { acl: [acl('world', 'anyone', 0)] })),
      rq('create perms 255', req.create('/p255', '', { acl: [acl('world', 'anyone', 255)] })),
      rq('getACL /p255', req.getACL('/p255')),
      rq('getACL /ip3', req.getACL('/ip3')),
      rq('getData /ip3 (127.0.0.1 not in 10/8)', req.getData('/ip3')),
      rq('setACL / empty list', req.setACL('/', [])),
      rq('create super scheme', req.create('/su', '', { acl: [acl('super', 'x', Perms.all)] })),
    ],
  },
  {
    name: 'digest-acl-noauth',
    steps: [
      rq('create /secure digest alice', req.create('/secure', 'top', { acl: [acl('digest', alice, Perms.all)] })),
      rq('getACL /secure (world may read ACLs)', req.getACL('/secure')),
      rq('getData /secure without auth', req.getData('/secure')),
      rq('exists /secure without auth', req.exists('/secure')),
      rq('getChildren /secure without auth', req.getChildren('/secure')),
      rq('setData /secure without auth', req.setData('/secure', 'x')),
      rq('create /secure/c without auth', req.create('/secure/c')),
      rq('delete /secure (parent / allows)', req.delete('/secure', 5)),
      auth('a', 'digest', 'alice:wrong'),
      rq('getData /secure with wrong password', req.getData('/secure')),
      auth('b', 'digest', 'alice:secret'),
      rq('getData /secure as alice', req.getData('/secure'), 'b'),
      rq('create /secure/c as alice', req.create('/secure/c'), 'b'),
      rq('setACL /secure/c as alice, auth scheme', req.setACL('/secure/c', CREATOR_ALL_ACL), 'b'),
      rq('getACL /secure/c', req.getACL('/secure/c'), 'b'),
      rq('create /mine auth scheme as alice', req.create('/mine', '', { acl: CREATOR_ALL_ACL }), 'b'),
      rq('getACL /mine', req.getACL('/mine'), 'b'),
    ],
  },
  {
    name: 'auth-schemes',
    steps: [
      auth('a', 'digest', 'bob:pw'),
      rq('whoAmI after digest', req.whoAmI()),
      auth('a', 'digest', 'carol:pw'),
      rq('whoAmI after 2nd digest', req.whoAmI()),
      auth('b', 'nosuchscheme', 'x'),
      rq('request after unknown-scheme auth', req.exists('/'), 'b'),
      auth('c', 'digest', 'no-colon'),
      rq('request after malformed digest', req.exists('/'), 'c'),
      auth('d', 'ip', '127.0.0.1'),
      rq('whoAmI after ip auth', req.whoAmI(), 'd'),
      auth('e', 'world', 'anyone'),
      rq('request after world auth', req.whoAmI(), 'e'),
    ],
  },
  {
    name: 'delete-needs-parent-delete-perm',
    steps: [
      rq('create /p with READ|CREATE', req.create('/p', '', { acl: [acl('world', 'anyone', Perms.read | Perms.create)] })),
      rq('create /p/c', req.create('/p/c')),
      rq('delete /p/c (parent lacks DELETE)', req.delete('/p/c')),
      rq('delete /p/missing (parent lacks DELETE)', req.delete('/p/missing')),
      rq('getAllChildrenNumber /p', req.getAllChildrenNumber('/p')),
    ],
  },
];
