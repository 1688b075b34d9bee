// The one place pino is configured: structured JSON on stdout, level from configuration. Znode data
// and credentials are never passed to a logger (modules log paths, ids and sizes only).

import { pino } from 'pino';
import type { Logger } from './logger.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export function createRootLogger(level: LogLevel, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { ...bindings }, timestamp: pino.stdTimeFunctions.isoTime });
}
