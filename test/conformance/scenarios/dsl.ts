/** Small helpers to write scenarios tersely. */
import { createHash } from 'node:crypto';
import type { ConnectOptions } from '../raw-session.js';
import type { RawRequest } from '../requests.js';
import type { Step } from '../scenario.js';

/** A request on session `a` (or the given one), labelled. */
export function rq(label: string, request: RawRequest, session = 'a'): Step {
  return { kind: 'request', session, label, request };
}

export function pipeline(label: string, requests: RawRequest[], session = 'a'): Step {
  return { kind: 'pipeline', session, label, requests };
}

export function connect(session: string, options?: ConnectOptions): Step {
  return options === undefined ? { kind: 'connect', session } : { kind: 'connect', session, options };
}

export function auth(session: string, scheme: string, credentials: string): Step {
  return { kind: 'auth', session, label: `addAuth ${scheme} ${credentials} (${session})`, scheme, auth: credentials };
}

export function close(session: string): Step {
  return { kind: 'close', session, label: `closeSession ${session}` };
}

export function disconnect(session: string): Step {
  return { kind: 'disconnect', session, label: `disconnect ${session}` };
}

export function ping(session = 'a'): Step {
  return { kind: 'ping', session, label: `ping ${session}` };
}

export function notifications(session: string, count: number, timeoutMs?: number): Step {
  return {
    kind: 'notifications',
    session,
    label: `notifications of ${session} (total ${String(count)})`,
    count,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
}

export function raw(label: string, bytes: Buffer, session = 'a', waitMs?: number): Step {
  return { kind: 'raw', session, label, bytes, ...(waitMs === undefined ? {} : { waitMs }) };
}

export function sleep(ms: number): Step {
  return { kind: 'sleep', ms };
}

/** The id of a digest ACL for user:password, as DigestAuthenticationProvider computes it. */
export function digestId(user: string, password: string): string {
  const hash = createHash('sha1').update(`${user}:${password}`, 'utf8').digest('base64');
  return `${user}:${hash}`;
}

export function reattach(session: string, from: string, wrongPassword = false): Step {
  return { kind: 'reattach', session, from, label: `reattach ${session} to the session of ${from}${wrongPassword ? ' (wrong password)' : ''}`, wrongPassword };
}
