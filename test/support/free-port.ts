import { mkdirSync, openSync, closeSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidAlive } from './pid.js';

/**
 * The lowest port the kernel hands out as the local end of outgoing connections. A test server's
 * port is taken from below it: a port from the ephemeral range (what binding port 0 gives) can be
 * grabbed by any client socket on the machine while a member restarts, and then the restart fails
 * with EADDRINUSE (seen in CI with several test files running at once).
 */
function ephemeralLow(): number {
  try {
    const low = Number.parseInt(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0] ?? '', 10);
    if (Number.isInteger(low) && low > 12_000) return low;
  } catch {
    // not Linux, or no procfs: the IANA default
  }
  return 49_152;
}

const LOWEST = 10_000;
const HIGHEST = ephemeralLow() - 1;

/**
 * Ports handed out are reserved for the life of the process that got them, by a file named after
 * the port holding its pid: test files run in parallel worker processes, and a port free when one
 * of them looked may be about to be bound by another that picked it a moment earlier (two ensembles
 * started side by side collided so in CI). A reservation whose process is gone is taken over.
 */
const RESERVATIONS = join(tmpdir(), 'zkts-test-ports');
const reservedHere = new Set<number>();

function reserve(port: number): boolean {
  if (reservedHere.has(port)) return false;
  mkdirSync(RESERVATIONS, { recursive: true });
  const path = join(RESERVATIONS, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      reservedHere.add(port);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let owner = Number.NaN;
    try {
      owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
    } catch {
      // removed meanwhile, or not yet written: try again
    }
    if (Number.isInteger(owner) && pidAlive(owner)) return false;
    try {
      unlinkSync(path);
    } catch {
      // someone else took it over first
    }
  }
  return false;
}

function bindable(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    // All interfaces: a port in use on any loopback address (ensembles use 127.0.0.x) is refused.
    server.listen({ host: '0.0.0.0', port, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/**
 * A TCP port nobody listens on now and no other test process holds, chosen at random below the
 * ephemeral range and reserved for this process. Something outside the tests may still bind it
 * first; callers that bind it themselves should retry on EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST + 1));
    if (reserve(port) && (await bindable(port))) return port;
  }
  throw new Error(`freePort: no free port found between ${String(LOWEST)} and ${String(HIGHEST)}`);
}

/** Returns `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) ports.push(await freePort());
  return ports;
}
