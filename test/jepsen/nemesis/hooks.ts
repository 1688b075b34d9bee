/**
 * Test hooks a server under test may expose, for the faults that cannot be injected from outside
 * the process: clock jumps and skew, and losing the writes it has not fsynced (a power loss).
 * Apache ZooKeeper has none; a server without them gets those nemeses skipped, with the reason in
 * the history and the report. Ours has them (src/testing/test-hooks.ts), on this interface:
 *
 * When the environment variable `ZK_TEST_HOOKS_SOCKET` is set (the launcher sets it to
 * `<node dir>/hooks.sock` for every node), the server listens on that unix socket and answers
 * requests of one JSON object per line with one JSON object per line:
 *
 *   {"op":"hello"}                          -> {"ok":true,"capabilities":["clock","lose-unsynced"]}
 *   {"op":"clock","offsetMs":N,"rate":R}    -> {"ok":true}
 *       from now on the server's notion of time (wall clock for stat mtime/ctime and logs, and the
 *       monotonic clock that drives tickTime, session expiry, sync/init limits, election timeouts)
 *       is shifted by N ms (a jump, may be negative) and advances R times as fast (skew; 1 = normal)
 *   {"op":"clock-reset"}                    -> {"ok":true}   back to the real clocks
 *   {"op":"lose-unsynced"}                  -> {"ok":true}
 *       simulates a power loss: the server truncates every file it wrote to the length it had at
 *       the last successful fsync (fdatasync) of that file, deletes files created since the last
 *       fsync of their directory, then exits at once (exit code 137, as if SIGKILLed) without
 *       flushing anything. The harness restarts it later from what is left.
 *
 * Errors: {"ok":false,"error":"..."}. Unknown ops: {"ok":false,"error":"unknown op"}. The socket
 * must only exist when the variable is set (never in production).
 */
import { connect } from 'node:net';
import { existsSync } from 'node:fs';

export type HookCapability = 'clock' | 'lose-unsynced';

export const HOOKS_ENV = 'ZK_TEST_HOOKS_SOCKET';

export interface NodeHooks {
  /** What the node's server supports; empty when it exposes no hooks (or is down). */
  capabilities(): Promise<ReadonlySet<HookCapability>>;
  /** Shifts the node's clocks by offsetMs and makes them run `rate` times as fast. */
  setClock(offsetMs: number, rate: number): Promise<void>;
  resetClock(): Promise<void>;
  /** The node drops what it did not fsync and exits at once (a power loss). */
  loseUnsyncedWrites(): Promise<void>;
}

export interface ServerHooks {
  forNode(id: number): NodeHooks;
  /** Why hooks are absent for this server, when they always are (e.g. Java ZooKeeper). */
  readonly absentReason?: string;
}

function request(path: string, body: Record<string, unknown>, timeoutMs = 3000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    let buf = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`test hook ${String(body['op'])} on ${path} timed out`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(`${JSON.stringify(body)}\n`));
    socket.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      socket.end();
      try {
        const parsed: unknown = JSON.parse(buf.slice(0, nl));
        if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
        resolve(parsed as Record<string, unknown>);
      } catch (e) {
        reject(new Error(`bad test hook answer: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

async function call(path: string, body: Record<string, unknown>): Promise<void> {
  const r = await request(path, body);
  if (r['ok'] !== true) throw new Error(`test hook ${String(body['op'])} failed: ${String(r['error'] ?? 'no reason given')}`);
}

/** Hooks over the JSON-lines unix socket described above. */
export class SocketHooks implements ServerHooks {
  constructor(private readonly socketPath: (id: number) => string) {}

  forNode(id: number): NodeHooks {
    const path = this.socketPath(id);
    return {
      async capabilities() {
        if (!existsSync(path)) return new Set();
        try {
          const r = await request(path, { op: 'hello' });
          const caps = Array.isArray(r['capabilities']) ? r['capabilities'] : [];
          return new Set(caps.filter((c): c is HookCapability => c === 'clock' || c === 'lose-unsynced'));
        } catch {
          return new Set();
        }
      },
      setClock: (offsetMs, rate) => call(path, { op: 'clock', offsetMs, rate }),
      resetClock: () => call(path, { op: 'clock-reset' }),
      loseUnsyncedWrites: () => call(path, { op: 'lose-unsynced' }),
    };
  }
}

/** For servers that have no hooks at all. */
export class NoHooks implements ServerHooks {
  constructor(readonly absentReason: string) {}
  forNode(): NodeHooks {
    const reason = this.absentReason;
    return {
      capabilities: () => Promise.resolve(new Set()),
      setClock: () => Promise.reject(new Error(reason)),
      resetClock: () => Promise.resolve(),
      loseUnsyncedWrites: () => Promise.reject(new Error(reason)),
    };
  }
}
