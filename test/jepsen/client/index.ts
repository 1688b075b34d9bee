/**
 * The clients workloads can run with: node-zookeeper-client (npm) and zk-ts's own src/client.
 * Two independent implementations, so that a client bug cannot hide a server bug.
 */
import type { ClientFactory } from './client.js';
import { nzkFactory } from './nzk.js';
import { oursFactory } from './ours.js';

export const CLIENT_NAMES = ['nzk', 'ours'] as const;
export type ClientName = (typeof CLIENT_NAMES)[number];

export function isClientName(s: string): s is ClientName {
  return (CLIENT_NAMES as readonly string[]).includes(s);
}

export function clientFactory(name: ClientName): Promise<ClientFactory> {
  return Promise.resolve(name === 'nzk' ? nzkFactory : oursFactory);
}
