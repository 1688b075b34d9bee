/**
 * Scenarios: named lists of steps (raw requests over one or more raw sessions) and the executor
 * that runs one against a target and records what came back.
 */
import { decodeReplyBody, toValue, type Value } from './decoders.js';
import { ConnectionClosedError, RawSession, ReplyTimeoutError, type ConnectOptions, type RawReply, type Target } from './raw-session.js';
import { opName, type RawRequest } from './requests.js';

export interface ServerOptions {
  extraCfg?: Record<string, string>;
  jvmFlags?: string[];
}

export type Step =
  /** Opens session `session` with options (sessions also open on first use with defaults). */
  | { kind: 'connect'; session: string; options?: ConnectOptions; label?: string }
  /** Opens session `session` on a new connection, reattaching to the session of `from` (its id and password, or a wrong password). */
  | { kind: 'reattach'; session: string; from: string; label: string; wrongPassword?: boolean }
  /** Sends one request and waits for its reply. */
  | { kind: 'request'; session: string; label: string; request: RawRequest; xid?: number; timeoutMs?: number }
  /** Sends all requests back to back, then waits for all replies. */
  | { kind: 'pipeline'; session: string; label: string; requests: RawRequest[] }
  /** addAuth (xid -4). */
  | { kind: 'auth'; session: string; label: string; scheme: string; auth: string }
  | { kind: 'ping'; session: string; label: string }
  /** closeSession (type -11); records the reply and whether the server closed the connection. */
  | { kind: 'close'; session: string; label: string }
  /** Drops the TCP connection without closeSession. */
  | { kind: 'disconnect'; session: string; label: string }
  /** Waits until the session has received `count` notifications in total (or the timeout). */
  | { kind: 'notifications'; session: string; label: string; count: number; timeoutMs?: number }
  /** Writes raw bytes; records the reply (if any arrives within `waitMs`) and whether the connection closed. */
  | { kind: 'raw'; session: string; label: string; bytes: Buffer; waitMs?: number }
  | { kind: 'sleep'; ms: number; label?: string };

export interface Scenario {
  name: string;
  description?: string;
  /** Server settings both sides need (e.g. extendedTypesEnabled for TTL nodes). */
  server?: ServerOptions;
  steps: Step[];
}

/** What one step observed; `value` is what gets normalised and compared. */
export interface StepRecord {
  label: string;
  session: string;
  value: Value;
}

export interface SessionRecord {
  name: string;
  handshake: Value;
  /** Every inbound frame in arrival order, as compact strings (ordering is part of the contract). */
  arrivals: Value;
}

export interface Transcript {
  scenario: string;
  steps: StepRecord[];
  sessions: SessionRecord[];
  /** Set when the executor itself failed (e.g. could not connect). */
  error?: string;
}

const DEFAULT_REPLY_TIMEOUT_MS = 10_000;
/** How long to wait for stray frames (late notifications) once all steps ran. */
const SETTLE_MS = 150;

function replyValue(op: number, reply: RawReply): Value {
  return {
    op: opName(op),
    xid: reply.header.xid,
    zxid: reply.header.zxid,
    err: reply.header.err,
    response: decodeReplyBody(op, reply.body),
  };
}

function failureValue(err: unknown): Value {
  if (err instanceof ConnectionClosedError) return { outcome: 'connection closed by server' };
  if (err instanceof ReplyTimeoutError) return { outcome: 'no reply (timeout)' };
  return { outcome: `error: ${err instanceof Error ? err.message : String(err)}` };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs a scenario against a target and returns the transcript; never throws. */
export async function executeScenario(scenario: Scenario, target: Target): Promise<Transcript> {
  const sessions = new Map<string, RawSession>();
  const order: string[] = [];
  const steps: StepRecord[] = [];
  const notificationsSeen = new Map<string, number>();

  const open = async (name: string, options?: ConnectOptions): Promise<RawSession> => {
    const existing = sessions.get(name);
    if (existing !== undefined) return existing;
    const s = await RawSession.connect(target, options);
    sessions.set(name, s);
    order.push(name);
    return s;
  };

  let error: string | undefined;
  try {
    for (const step of scenario.steps) {
      if (step.kind === 'sleep') {
        await sleep(step.ms);
        continue;
      }
      if (step.kind === 'connect') {
        const s = await open(step.session, step.options);
        steps.push({ label: step.label ?? `connect ${step.session}`, session: step.session, value: { connected: true, timeOut: s.handshake.timeOut } });
        continue;
      }
      if (step.kind === 'reattach') {
        const from = sessions.get(step.from);
        if (from === undefined) throw new Error(`reattach: session ${step.from} was never opened`);
        const passwd = Buffer.from(from.passwd);
        if (step.wrongPassword === true) passwd[0] = (passwd[0] ?? 0) ^ 0xff;
        const s = await open(step.session, { sessionId: from.sessionId, passwd, timeOut: from.handshake.timeOut });
        // Let the server close the old connection if it does so.
        await Promise.race([from.closed, sleep(200)]);
        steps.push({
          label: step.label,
          session: step.session,
          value: toValue({ timeOut: s.handshake.timeOut, sessionId: s.sessionId, oldConnectionClosed: from.isClosed() }),
        });
        continue;
      }
      const s = await open(step.session);
      const record = (value: Value): void => {
        steps.push({ label: step.label, session: step.session, value });
      };
      switch (step.kind) {
        case 'request': {
          try {
            const reply = await s.request(step.request.op, step.request.body, {
              ...(step.xid === undefined ? {} : { xid: step.xid }),
              timeoutMs: step.timeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS,
            });
            record(replyValue(step.request.op, reply));
          } catch (err) {
            record(failureValue(err));
          }
          break;
        }
        case 'pipeline': {
          const pending = step.requests.map((r) => {
            const xid = s.nextXid();
            const p = s.waitForReply(xid, DEFAULT_REPLY_TIMEOUT_MS);
            s.send(r.op, r.body, xid);
            return { r, p };
          });
          const values: Value[] = [];
          for (const { r, p } of pending) {
            try {
              values.push(replyValue(r.op, await p));
            } catch (err) {
              values.push(failureValue(err));
            }
          }
          record(values);
          break;
        }
        case 'auth': {
          try {
            const reply = await s.auth(step.scheme, Buffer.from(step.auth, 'utf8'), DEFAULT_REPLY_TIMEOUT_MS);
            record({ xid: reply.header.xid, zxid: reply.header.zxid, err: reply.header.err, bodyLength: reply.body.length });
          } catch (err) {
            record(failureValue(err));
          }
          // A failed auth makes the server close the connection shortly after: let that be seen.
          await sleep(50);
          break;
        }
        case 'ping': {
          try {
            const reply = await s.ping(DEFAULT_REPLY_TIMEOUT_MS);
            record({ xid: reply.header.xid, zxid: reply.header.zxid, err: reply.header.err, bodyLength: reply.body.length });
          } catch (err) {
            record(failureValue(err));
          }
          break;
        }
        case 'close': {
          try {
            const reply = await s.close(DEFAULT_REPLY_TIMEOUT_MS);
            record(reply === undefined ? { outcome: 'closed without reply' } : { ...replyValueObj(reply), connectionClosed: s.isClosed() });
          } catch (err) {
            record(failureValue(err));
          }
          break;
        }
        case 'disconnect': {
          await s.disconnect();
          record({ disconnected: true });
          break;
        }
        case 'notifications': {
          const before = notificationsSeen.get(step.session) ?? 0;
          const all = await s.waitForNotifications(step.count, step.timeoutMs ?? 5000);
          notificationsSeen.set(step.session, all.length);
          record({ total: all.length, events: toValue(all.slice(before)) });
          break;
        }
        case 'raw': {
          const before = s.inbound.length;
          s.writeRaw(step.bytes);
          await s.waitUntil(() => s.isClosed() || s.inbound.length > before, step.waitMs ?? 1000);
          // Give the server a moment to close the connection after an answer, if it does.
          await Promise.race([s.closed, sleep(100)]);
          const got = s.inbound.slice(before).map((f) => ({ xid: f.header.xid, zxid: f.header.zxid, err: f.header.err, bodyHex: f.body.toString('hex') }));
          record({ frames: toValue(got), connectionClosed: s.isClosed() });
          break;
        }
      }
    }
    await sleep(SETTLE_MS);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }

  const sessionRecords: SessionRecord[] = order.map((name) => {
    const s = sessions.get(name);
    if (s === undefined) throw new Error('unreachable');
    const { raw: _raw, passwd, ...handshake } = s.handshake;
    return {
      name,
      handshake: toValue({ ...handshake, passwdLength: passwd?.length ?? -1 }),
      arrivals: s.inbound.map((f) =>
        f.kind === 'notification'
          ? `notification type=${String(f.event.type)} state=${String(f.event.state)} path=${f.event.path}`
          : `reply xid=${String(f.header.xid)} err=${String(f.header.err)}`,
      ),
    };
  });
  await Promise.all([...sessions.values()].map((s) => s.disconnect()));
  return { scenario: scenario.name, steps, sessions: sessionRecords, ...(error === undefined ? {} : { error }) };
}

function replyValueObj(reply: RawReply): { xid: number; zxid: bigint; err: number; bodyLength: number } {
  return { xid: reply.header.xid, zxid: reply.header.zxid, err: reply.header.err, bodyLength: reply.body.length };
}
