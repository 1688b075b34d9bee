import { connect } from 'node:net';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves true if a TCP connection to host:port succeeds within `timeoutMs`. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface WaitOptions {
  host?: string;
  /** Absolute deadline as a Date.now() value, or use timeoutMs. */
  deadline?: number;
  timeoutMs?: number;
  intervalMs?: number;
  /** Checked between attempts; if it returns a message the wait fails at once (e.g. the process died). */
  abortCheck?: () => string | undefined;
}

/** Polls until a TCP connection to the port succeeds, or throws after the deadline. */
export async function waitForPort(port: number, options: WaitOptions = {}): Promise<void> {
  const host = options.host ?? '127.0.0.1';
  await waitUntil(() => canConnect(port, host, 500), `port ${host}:${String(port)} to accept connections`, options);
}

/** Polls `check` until it resolves true, or throws after the deadline. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  what: string,
  options: WaitOptions = {},
): Promise<void> {
  const deadline = options.deadline ?? Date.now() + (options.timeoutMs ?? 30_000);
  const interval = options.intervalMs ?? 50;
  for (;;) {
    const aborted = options.abortCheck?.();
    if (aborted !== undefined) throw new Error(`gave up waiting for ${what}: ${aborted}`);
    let ok = false;
    try {
      ok = await check();
    } catch {
      ok = false;
    }
    if (ok) return;
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(interval);
  }
}
