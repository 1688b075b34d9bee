import type { Scenario } from '../scenario.js';
import { aclScenarios } from './acl.js';
import { childrenScenarios } from './children.js';
import { crudScenarios } from './crud.js';
import { extendedScenarios } from './extended.js';
import { lifecycleScenarios } from './lifecycle.js';
import { multiScenarios } from './multi.js';
import { pathScenarios } from './paths.js';
import { sessionScenarios } from './session.js';
import { watchScenarios } from './watches.js';

export const allScenarios: Scenario[] = [
  ...crudScenarios,
  ...pathScenarios,
  ...aclScenarios,
  ...childrenScenarios,
  ...multiScenarios,
  ...watchScenarios,
  ...sessionScenarios,
  ...extendedScenarios,
  ...lifecycleScenarios,
];

const names = new Set<string>();
for (const s of allScenarios) {
  if (names.has(s.name)) throw new Error(`duplicate scenario name ${s.name}`);
  names.add(s.name);
}
