/**
 * The AdminServer of ZooKeeper 3.8 (JettyAdminServer) on node:http: admin.serverAddress:serverPort
 * (0.0.0.0:8080), commands under admin.commandURL (/commands).
 *
 * What 3.8.0's Jetty answers, and so do we:
 *   GET <url> or <url>/           200, the links to every command (HTML fragment, no Content-Type)
 *   GET <url>/<name>[?k=v...]     200, application/json, the command's response (commands.ts);
 *                                 also for an unknown name ({"command": name, "error": "Unknown
 *                                 command: name"}). The name is the rest of the decoded path.
 *   HEAD                          as GET, without the body (the command runs)
 *   OPTIONS                       200, `Allow: GET, HEAD, TRACE, OPTIONS`, empty
 *   TRACE                         403, empty
 *   POST                          405 with an HTML error page; PUT, DELETE 405 empty; others 501
 *   any other path                404 with an HTML error page (GET/HEAD)
 * Query parameters are the command's arguments (the first value of each), e.g.
 * /commands/set_trace_mask?traceMask=306. An idle connection is closed after admin.idleTimeout.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logging/logger.js';
import type { AdminHttpView } from './admin-http-view.js';
import { commandResponseJson, PRIMARY_COMMAND_NAMES, runAdminCommand } from './commands.js';
import { renderJacksonJson } from './java-json.js';

export interface AdminServerOptions {
  /** admin.serverAddress (3.8 default 0.0.0.0). */
  readonly address: string;
  /** admin.serverPort (3.8 default 8080); 0 picks a free port. */
  readonly port: number;
  /** admin.commandURL (3.8 default /commands). */
  readonly commandUrl: string;
  /** admin.idleTimeout in ms (3.8 default 30000). */
  readonly idleTimeoutMs?: number;
}

export interface RunningAdminServer {
  /** The bound port (useful when 0 was asked). */
  readonly port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** 3.8 exits with code 4 (ERROR_STARTING_ADMIN_SERVER) when this happens. */
export class AdminServerStartError extends Error {
  readonly code = 'ZKS_ADMIN_SERVER_START';
  constructor(options: AdminServerOptions, cause: unknown) {
    super(
      `Problem starting AdminServer on address ${options.address}, port ${options.port} and command URL ${options.commandUrl}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'AdminServerStartError';
  }
}

const JSON_CONTENT_TYPE = 'application/json';
const ALLOW = 'GET, HEAD, TRACE, OPTIONS';

/** The command list page: one link per primary name, each line followed by `<br/>` (println). */
export function commandLinksPage(commandUrl: string): string {
  return PRIMARY_COMMAND_NAMES.map((name) => `<a href="${commandUrl}/${name}">${name}</a>\n<br/>\n`).join('');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/gu, (c) => `&#${c.charCodeAt(0)};`);
}

/** An error page shaped like Jetty's (Jetty's footer left out). */
function errorPage(uri: string, status: number, message: string): string {
  return [
    '<html>',
    '<head>',
    '<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>',
    `<title>Error ${status} ${escapeHtml(message)}</title>`,
    '</head>',
    `<body><h2>HTTP ERROR ${status} ${escapeHtml(message)}</h2>`,
    '<table>',
    `<tr><th>URI:</th><td>${escapeHtml(uri)}</td></tr>`,
    `<tr><th>STATUS:</th><td>${status}</td></tr>`,
    `<tr><th>MESSAGE:</th><td>${escapeHtml(message)}</td></tr>`,
    '</table>',
    '',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

export interface AdminHttpReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

const empty = (status: number, headers: Record<string, string> = {}): AdminHttpReply => ({ status, headers, body: Buffer.alloc(0) });

function htmlError(uri: string, status: number, message: string): AdminHttpReply {
  return {
    status,
    headers: { 'Cache-Control': 'must-revalidate,no-cache,no-store', 'Content-Type': 'text/html;charset=iso-8859-1' },
    body: Buffer.from(errorPage(uri, status, message), 'latin1'),
  };
}

/** First value of each query parameter (HttpServletRequest.getParameterMap, value [0]). */
function commandArguments(query: string): Map<string, string> {
  const args = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(query)) if (!args.has(key)) args.set(key, value);
  return args;
}

/** The answer to a request whose method and target are given (pure apart from the view). */
export function answerAdminRequest(method: string, target: string, commandUrl: string, view: AdminHttpView): AdminHttpReply {
  const queryAt = target.indexOf('?');
  const rawPath = queryAt < 0 ? target : target.slice(0, queryAt);
  const query = queryAt < 0 ? '' : target.slice(queryAt + 1);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return htmlError(rawPath, 400, 'Bad Request');
  }
  if (method === 'TRACE') return empty(403);
  if (method === 'OPTIONS') return empty(200, { Allow: ALLOW });
  const inServlet = path === commandUrl || path.startsWith(`${commandUrl}/`);
  if (method === 'POST') return htmlError(path, 405, 'HTTP method POST is not supported by this URL');
  if (method === 'PUT' || method === 'DELETE') return empty(405);
  if (method !== 'GET' && method !== 'HEAD') return empty(501);
  if (!inServlet) return htmlError(path, 404, 'Not Found');
  const pathInfo = path.slice(commandUrl.length);
  if (pathInfo === '' || pathInfo === '/') {
    return { status: 200, headers: {}, body: Buffer.from(commandLinksPage(commandUrl), 'latin1') };
  }
  const response = runAdminCommand(pathInfo.slice(1), view, commandArguments(query));
  return {
    status: 200,
    headers: { 'Content-Type': JSON_CONTENT_TYPE },
    body: Buffer.from(renderJacksonJson(commandResponseJson(response)), 'utf8'),
  };
}

function handle(request: IncomingMessage, response: ServerResponse, options: AdminServerOptions, view: AdminHttpView, logger: Logger): void {
  const method = request.method ?? 'GET';
  const target = request.url ?? '/';
  let reply: AdminHttpReply;
  try {
    reply = answerAdminRequest(method, target, options.commandUrl, view);
  } catch (error) {
    logger.error({ err: error, method, target }, 'admin command failed');
    reply = htmlError(target, 500, 'Server Error');
  }
  response.writeHead(reply.status, { ...reply.headers, 'Content-Length': reply.body.length });
  response.end(method === 'HEAD' ? undefined : reply.body);
}

/** Starts the AdminServer; resolves once it listens. */
export function startAdminServer(options: AdminServerOptions, view: AdminHttpView, logger: Logger): Promise<RunningAdminServer> {
  const server = createServer((request, response) => handle(request, response, options, view, logger));
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  server.keepAliveTimeout = idleTimeoutMs;
  server.setTimeout(idleTimeoutMs, (socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(new AdminServerStartError(options, error));
    server.once('error', onError);
    server.listen({ host: options.address, port: options.port }, () => {
      server.off('error', onError);
      server.on('error', (error) => logger.error({ err: error }, 'admin server error'));
      const port = (server.address() as AddressInfo).port;
      logger.info({ address: options.address, port, commandUrl: options.commandUrl }, 'started AdminServer');
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
