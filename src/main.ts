// Composition root: the only module that knows the concrete adapters. It turns a validated
// ServerConfig into a running server (client port, replica, timers) and hands each part only the
// slice of configuration it needs.

import { performance } from 'node:perf_hooks';
import type { ServerConfig } from './config/index.js';
import type { Logger } from './logging/logger.js';
import { ClientServer, type FourLetterWords } from './net/client-server.js';
import { InMemoryTxnStorage, type Clock, type TxnStorage } from './replica/ports.js';
import { Replica, type Authentication } from './replica/replica.js';
import { createAuthentication } from './replica/authentication.js';
import { createFourLetterWords } from './replica/admin-view.js';

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  readonly replica: Replica;
  stop(): Promise<void>;
}

export const systemClock: Clock = {
  wallMs: () => Date.now(),
  monotonicMs: () => Math.floor(performance.timeOrigin + performance.now()),
};

function numberProperty(config: ServerConfig, name: string, fallback: number): number {
  const raw = config.systemProperties[name];
  if (raw === undefined) return fallback;
  const value = Number.parseInt(raw.trim(), 10);
  return Number.isFinite(value) ? value : fallback;
}

export interface StartOptions {
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly storage?: TxnStorage;
  readonly authentication?: Authentication;
  /** Overrides the configured client port (tests pass 0 for a free one). */
  readonly clientPortOverride?: number;
}

export async function startServer(config: ServerConfig, options: StartOptions): Promise<RunningServer> {
  const logger = options.logger;
  const clock = options.clock ?? systemClock;
  const authentication = options.authentication ?? createAuthentication(config, logger.child({ component: 'auth' }));
  const startedAtMs = clock.monotonicMs();
  const replica = new Replica(
    {
      serverId: 1n,
      tickTimeMs: config.tickTimeMs,
      minSessionTimeoutMs: config.minSessionTimeoutMs,
      maxSessionTimeoutMs: config.maxSessionTimeoutMs,
      maxBufferBytes: config.juteMaxBuffer + config.juteMaxBufferExtraSize,
      extendedTypesEnabled: config.extendedTypesEnabled,
      reconfigEnabled: config.reconfigEnabled,
      skipAcl: config.auth.skipACL,
      containerCheckIntervalMs: numberProperty(config, 'znode.container.checkIntervalMs', 60_000),
      containerMaxPerMinute: numberProperty(config, 'znode.container.maxPerMinute', 10_000),
    },
    { storage: options.storage ?? new InMemoryTxnStorage(), clock, auth: authentication, logger: logger.child({ component: 'replica' }) },
  );
  const words: FourLetterWords = createFourLetterWords(config, replica, clock, startedAtMs);
  const address = config.clientAddress;
  const clientServer = new ClientServer(
    {
      host: address?.host ?? null,
      port: options.clientPortOverride ?? address?.port ?? config.clientPort,
      maxClientCnxns: config.maxClientCnxns,
      maxFrameBytes: config.juteMaxBuffer,
      maxPendingWriteBytes: 16 * 1024 * 1024,
    },
    replica,
    words,
    logger.child({ component: 'client-port' }),
  );
  const listening = await clientServer.listen();
  const tickIntervalMs = Math.max(10, Math.min(config.tickTimeMs, 500));
  const ticker = setInterval(() => replica.tick(), tickIntervalMs);
  logger.info({ host: listening.host, port: listening.port, tickTimeMs: config.tickTimeMs }, 'serving clients');
  return {
    host: listening.host,
    port: listening.port,
    replica,
    stop: async () => {
      clearInterval(ticker);
      replica.closeAllConnections();
      await clientServer.close();
    },
  };
}
