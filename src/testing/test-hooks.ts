// TEST ONLY: the server side of the Jepsen-style harness's test hooks (the interface is specified
// in test/jepsen/nemesis/hooks.ts). The composition root starts this only when the command line
// passes a socket path (env ZK_TEST_HOOKS_SOCKET); production never has the socket. This is the only
// module that knows about it.
//
// One JSON object per line in, one per line out, on a unix socket:
//   {"op":"hello"}                       -> {"ok":true,"capabilities":["clock","lose-unsynced"]}
//   {"op":"clock","offsetMs":N,"rate":R} -> {"ok":true}   (see AdjustableClock)
//   {"op":"clock-reset"}                 -> {"ok":true}
//   {"op":"lose-unsynced"}               -> {"ok":true}, then a simulated power loss and exit 137

import { closeSync, ftruncateSync, lstatSync, openSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../logging/logger.js';
import type { AdjustableClock } from './adjustable-clock.js';

/** What a power loss would leave of the files the server is writing now. */
export interface UnsyncedFiles {
  /** Files to cut back to the length they had at their last successful fsync. */
  readonly truncate: readonly { readonly path: string; readonly durableBytes: number }[];
  /** Files whose contents or directory entry were never fsynced. */
  readonly remove: readonly string[];
}

export interface TestHooksParts {
  readonly clock: AdjustableClock;
  /** Read at the moment of the power loss, so it sees the files as they are then. */
  readonly unsyncedFiles: () => UnsyncedFiles;
  readonly logger: Logger;
  /** Ends the process at once; a parameter so that in-process tests can watch it instead. */
  readonly exit?: (code: number) => void;
}

export interface RunningTestHooks {
  close(): Promise<void>;
}

/** The exit code a shell reports for a SIGKILLed process: the harness treats both alike. */
export const POWER_LOSS_EXIT_CODE = 137;

type Reply = { ok: true; capabilities?: string[] } | { ok: false; error: string };

function numberField(request: Record<string, unknown>, name: string): number {
  const value = request[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${name} must be a finite number`);
  return value;
}

/**
 * Cuts every file back to what a power loss would leave. Synchronous on purpose: nothing else may
 * run between the cut and the exit, or a flush completing in between could acknowledge a txn whose
 * bytes were just cut. A log write already in the thread pool may still land after the cut; that is
 * a legitimate power-loss outcome (the disk got it first), and it was never acknowledged.
 */
function cutToDurable(files: UnsyncedFiles, logger: Logger): void {
  for (const { path, durableBytes } of files.truncate) {
    try {
      const fd = openSync(path, 'r+');
      try {
        ftruncateSync(fd, durableBytes);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      logger.error({ err: error, file: path }, 'lose-unsynced: cannot truncate');
    }
  }
  for (const path of files.remove) {
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger.error({ err: error, file: path }, 'lose-unsynced: cannot remove');
    }
  }
}

/** A socket left by a server that died without closing it (lose-unsynced itself does that). */
function removeStaleSocket(path: string): void {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  // Never delete something we did not create: a wrong path in the variable must not cost a file.
  if (!isSocket) throw new Error(`${path} exists and is not a socket: refusing to use it for test hooks`);
  unlinkSync(path);
}

export async function startTestHooks(socketPath: string, parts: TestHooksParts): Promise<RunningTestHooks> {
  const { clock, logger } = parts;
  const exit = parts.exit ?? ((code: number) => process.exit(code));
  const handle = (request: Record<string, unknown>, socket: Socket): Reply | null => {
    switch (request['op']) {
      case 'hello':
        return { ok: true, capabilities: ['clock', 'lose-unsynced'] };
      case 'clock': {
        const offsetMs = numberField(request, 'offsetMs');
        const rate = numberField(request, 'rate');
        clock.set(offsetMs, rate);
        logger.warn({ offsetMs, rate }, 'test hook: clock adjusted');
        return { ok: true };
      }
      case 'clock-reset':
        clock.reset();
        logger.warn({}, 'test hook: clock reset');
        return { ok: true };
      case 'lose-unsynced': {
        const files = parts.unsyncedFiles();
        // The answer goes first: a small write to an idle unix socket reaches the kernel within this
        // call, and after the cut nothing may wait for the event loop.
        socket.write(`${JSON.stringify({ ok: true })}\n`);
        cutToDurable(files, logger);
        exit(POWER_LOSS_EXIT_CODE);
        return null;
      }
      default:
        return { ok: false, error: 'unknown op' };
    }
  };
  const open = new Set<Socket>();
  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    let buffered = '';
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let reply: Reply | null;
        try {
          const parsed: unknown = JSON.parse(line);
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('a request is one JSON object');
          reply = handle(parsed as Record<string, unknown>, socket);
        } catch (error) {
          reply = { ok: false, error: error instanceof Error ? error.message : String(error) };
        }
        if (reply === null) return;
        socket.write(`${JSON.stringify(reply)}\n`);
      }
    });
  });
  removeStaleSocket(socketPath);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  logger.warn(
    { socket: socketPath },
    'TEST HOOKS ON: anyone who can open this socket can shift the server clock and make it drop unsynced writes and exit; never in production',
  );
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open hook connections would keep close waiting.
        for (const socket of open) socket.destroy();
      }),
  };
}
