/**
 * The Prometheus endpoint, as ZooKeeper 3.8's PrometheusMetricsProvider serves it: an HTTP server
 * on metricsProvider.httpHost:httpPort (0.0.0.0:7000) answering GET /metrics with the text
 * exposition format 0.0.4 of one registry.
 *
 * As the Java client's MetricsServlet: `?name[]=a&name[]=b` restricts the answer to those metric
 * names; POST answers like GET; HEAD answers the headers. Any other path is 404, any other method
 * 405.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logging/logger.js';
import { METRICS_PATH } from './names.js';

export interface MetricsServerOptions {
  /** metricsProvider.httpHost (3.8 default 0.0.0.0). */
  readonly host: string;
  /** metricsProvider.httpPort (3.8 default 7000); 0 picks a free port. */
  readonly port: number;
  /** Runs before each scrape (ZkMetrics.refreshRegistrations: the ensemble gauges follow the role). */
  readonly beforeScrape?: () => void;
}

export interface RunningMetricsServer {
  /** The bound port (useful when 0 was asked). */
  readonly port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** The endpoint could not start (3.8: "Cannot boot MetricsProvider", and the server exits). */
export class MetricsServerStartError extends Error {
  readonly code = 'ZKS_METRICS_SERVER_START';
  constructor(host: string, port: number, cause: unknown) {
    super(`cannot start the /metrics endpoint on ${host}:${port}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'MetricsServerStartError';
  }
}

async function exposition(registry: Registry, names: readonly string[]): Promise<string> {
  if (names.length === 0) return registry.metrics();
  const wanted = new Set(names);
  const parts: string[] = [];
  for (const metric of registry.getMetricsAsArray()) {
    if (wanted.has(metric.name)) parts.push(await registry.getSingleMetricAsString(metric.name));
  }
  return parts.length === 0 ? '' : `${parts.join('\n\n')}\n`;
}

function plain(response: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...extra });
  response.end(text);
}

async function handle(request: IncomingMessage, response: ServerResponse, registry: Registry, options: MetricsServerOptions, logger: Logger): Promise<void> {
  let url: URL;
  try {
    url = new URL(request.url ?? '/', 'http://localhost');
  } catch {
    plain(response, 400, 'Bad Request\n');
    return;
  }
  if (url.pathname !== METRICS_PATH) {
    plain(response, 404, 'Not Found\n');
    return;
  }
  const method = request.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
    plain(response, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD, POST' });
    return;
  }
  try {
    options.beforeScrape?.();
    const body = Buffer.from(await exposition(registry, url.searchParams.getAll('name[]')), 'utf8');
    response.writeHead(200, { 'Content-Type': registry.contentType, 'Content-Length': body.length });
    response.end(method === 'HEAD' ? undefined : body);
  } catch (error) {
    logger.error({ err: error }, 'cannot render /metrics');
    plain(response, 500, 'Internal Server Error\n');
  }
}

/** Starts the endpoint; resolves once it listens. */
export function startMetricsServer(options: MetricsServerOptions, registry: Registry, logger: Logger): Promise<RunningMetricsServer> {
  const server = createServer((request, response) => {
    handle(request, response, registry, options, logger).catch((error: unknown) => {
      logger.error({ err: error }, 'metrics request failed');
      response.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(new MetricsServerStartError(options.host, options.port, error));
    server.once('error', onError);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', onError);
      server.on('error', (error) => logger.error({ err: error }, 'metrics server error'));
      const port = (server.address() as AddressInfo).port;
      logger.info({ host: options.host, port, path: METRICS_PATH }, 'serving Prometheus metrics');
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
