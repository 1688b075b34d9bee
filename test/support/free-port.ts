import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

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
 * A TCP port nobody listens on now, chosen at random below the ephemeral range. Another test may
 * still bind it before the caller does (rare: the range holds over 20,000 ports); callers that bind
 * it themselves should retry on EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST + 1));
    if (await bindable(port)) return port;
  }
  throw new Error(`freePort: no free port found between ${String(LOWEST)} and ${String(HIGHEST)}`);
}

/** Returns `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
