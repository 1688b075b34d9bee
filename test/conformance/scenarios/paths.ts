/** Invalid paths: what error (or connection drop) each request type gives. */
import { Flags, Op, req, ustringBody } from '../requests.js';
import type { Scenario, Step } from '../scenario.js';
import { rq } from './dsl.js';

const BAD_PATHS = ['', 'a', '/a/', '//a', '/a//b', '/a/./b', '/a/../b', '/.', '/..', '/a\u0000b', '/a\u0001b', '/zookeeper/'];

function eachBadPath(make: (p: string) => Parameters<typeof rq>[1]): Step[] {
  return BAD_PATHS.map((p) => rq(`${JSON.stringify(p)}`, make(p)));
}

export const pathScenarios: Scenario[] = [
  { name: 'invalid-paths-create', steps: eachBadPath((p) => req.create(p)) },
  { name: 'invalid-paths-create-sequential', steps: eachBadPath((p) => req.create(p, '', { flags: Flags.persistentSequential })) },
  { name: 'invalid-paths-delete', steps: eachBadPath((p) => req.delete(p)) },
  { name: 'invalid-paths-exists', steps: eachBadPath((p) => req.exists(p)) },
  { name: 'invalid-paths-getData', steps: eachBadPath((p) => req.getData(p)) },
  { name: 'invalid-paths-setData', steps: eachBadPath((p) => req.setData(p, 'x')) },
  { name: 'invalid-paths-getChildren', steps: eachBadPath((p) => req.getChildren(p)) },
  { name: 'invalid-paths-getACL', steps: eachBadPath((p) => req.getACL(p)) },
  { name: 'invalid-paths-sync', steps: eachBadPath((p) => req.sync(p)) },
  {
    name: 'null-path',
    description: 'path sent as a null ustring (length -1)',
    steps: [
      rq('exists null', req.raw(Op.exists, Buffer.concat([ustringBody(null), Buffer.from([0])]))),
      rq('getData null', req.raw(Op.getData, Buffer.concat([ustringBody(null), Buffer.from([0])]))),
    ],
  },
  {
    name: 'null-path-create',
    steps: [rq('create null path', req.raw(Op.create, Buffer.concat([ustringBody(null), req.create('/x').body.subarray(6)])))],
  },
];
