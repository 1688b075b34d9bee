// The AdminServer over real HTTP on a free port of 127.0.0.1, backed by a hand-made view: status
// codes, headers and bodies as 3.8.0's Jetty gives them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLinksPage, startAdminServer, type RunningAdminServer } from '../../src/admin-http/index.js';
import { silentLogger } from '../../src/logging/logger.js';
import { fakeView, type FakeViewCalls } from './fake-view.js';
import { httpGet, httpRequest } from './http-request.js';

describe('AdminServer over HTTP', () => {
  let server: RunningAdminServer;
  let calls: FakeViewCalls;
  let running = true;

  beforeAll(async () => {
    const fake = fakeView({ isRunning: () => running });
    calls = fake.calls;
    server = await startAdminServer({ address: '127.0.0.1', port: 0, commandUrl: '/commands', idleTimeoutMs: 30_000 }, fake.view, silentLogger);
  });
  afterAll(async () => {
    await server.close();
  });

  it('lists the commands at the command URL, with and without the slash, without a Content-Type', async () => {
    for (const path of ['/commands', '/commands/']) {
      const answer = await httpGet(server.port, path);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBeUndefined();
      expect(answer.body).toBe(commandLinksPage('/commands'));
      expect(answer.headers['content-length']).toBe('1424'); // what 3.8.0 sends for /commands
    }
    expect(commandLinksPage('/commands').split('\n').slice(0, 4)).toEqual([
      '<a href="/commands/configuration">configuration</a>',
      '<br/>',
      '<a href="/commands/connection_stat_reset">connection_stat_reset</a>',
      '<br/>',
    ]);
  });

  it('answers a command as application/json with a Content-Length', async () => {
    const answer = await httpGet(server.port, '/commands/ruok');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.headers['content-length']).toBe('42');
    expect(answer.body).toBe('{\n  "command" : "ruok",\n  "error" : null\n}');
  });

  it('answers an alias under the primary name and an unknown name with 200 and an error', async () => {
    expect(JSON.parse((await httpGet(server.port, '/commands/mntr')).body)).toMatchObject({ command: 'monitor', error: null, znode_count: 5 });
    const unknown = await httpGet(server.port, '/commands/nosuch');
    expect(unknown.status).toBe(200);
    expect(unknown.body).toBe('{\n  "command" : "nosuch",\n  "error" : "Unknown command: nosuch"\n}');
    expect(JSON.parse((await httpGet(server.port, '/commands/ruok/')).body)).toEqual({ command: 'ruok/', error: 'Unknown command: ruok/' });
    expect(JSON.parse((await httpGet(server.port, '/commands//ruok')).body)).toEqual({ command: '/ruok', error: 'Unknown command: /ruok' });
  });

  it('decodes the path and passes the first value of each query parameter', async () => {
    expect(JSON.parse((await httpGet(server.port, '/commands/%72uok')).body)).toEqual({ command: 'ruok', error: null });
    expect(JSON.parse((await httpGet(server.port, '/commands/ruok%2F')).body)).toEqual({ command: 'ruok/', error: 'Unknown command: ruok/' });
    const set = await httpGet(server.port, '/commands/set_trace_mask?traceMask=15&traceMask=16');
    expect(JSON.parse(set.body)).toEqual({ tracemask: 15, command: 'set_trace_mask', error: null });
    expect(calls.traceMasks.at(-1)).toBe(15n);
    await httpGet(server.port, '/commands/stmk?traceMask=306');
  });

  it('runs the command for HEAD and sends no body', async () => {
    const before = calls.resetConnectionStats;
    const answer = await httpRequest(server.port, 'HEAD', '/commands/crst');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.headers['content-length']).toBe('59');
    expect(answer.body).toBe('');
    expect(calls.resetConnectionStats).toBe(before + 1);
  });

  it('answers other methods as Jetty does', async () => {
    const options = await httpRequest(server.port, 'OPTIONS', '/commands/ruok');
    expect([options.status, options.headers['allow'], options.body]).toEqual([200, 'GET, HEAD, TRACE, OPTIONS', '']);
    expect((await httpRequest(server.port, 'TRACE', '/commands/ruok')).status).toBe(403);
    const post = await httpRequest(server.port, 'POST', '/commands/ruok');
    expect(post.status).toBe(405);
    expect(post.headers['content-type']).toBe('text/html;charset=iso-8859-1');
    expect(post.body).toContain('<h2>HTTP ERROR 405 HTTP method POST is not supported by this URL</h2>');
    expect((await httpRequest(server.port, 'PUT', '/commands/ruok')).status).toBe(405);
    expect((await httpRequest(server.port, 'DELETE', '/commands/ruok')).status).toBe(405);
    expect((await httpRequest(server.port, 'PATCH', '/commands/ruok')).status).toBe(501);
  });

  it('answers 404 with an HTML page outside the command URL', async () => {
    for (const path of ['/', '/other', '/commandsx', '/metrics']) {
      const answer = await httpGet(server.port, path);
      expect(answer.status).toBe(404);
      expect(answer.headers['content-type']).toBe('text/html;charset=iso-8859-1');
      expect(answer.headers['cache-control']).toBe('must-revalidate,no-cache,no-store');
      expect(answer.body).toContain(`<tr><th>URI:</th><td>${path}</td></tr>`);
    }
  });

  it('answers the server-bound commands with "not currently serving" while the server does not serve', async () => {
    running = false;
    try {
      expect(JSON.parse((await httpGet(server.port, '/commands/srvr')).body)).toEqual({
        command: 'srvr',
        error: 'This ZooKeeper instance is not currently serving requests',
      });
      expect(JSON.parse((await httpGet(server.port, '/commands/gtmk')).body)).toEqual({ tracemask: 306, command: 'get_trace_mask', error: null });
    } finally {
      running = true;
    }
  });
});

describe('AdminServer lifecycle', () => {
  it('honours another command URL', async () => {
    const server = await startAdminServer({ address: '127.0.0.1', port: 0, commandUrl: '/zk/admin' }, fakeView().view, silentLogger);
    try {
      expect((await httpGet(server.port, '/zk/admin/ruok')).body).toBe('{\n  "command" : "ruok",\n  "error" : null\n}');
      expect((await httpGet(server.port, '/zk/admin')).body).toContain('<a href="/zk/admin/monitor">monitor</a>');
      expect((await httpGet(server.port, '/commands/ruok')).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('answers 500 when the view throws, and keeps serving', async () => {
    const { view } = fakeView({
      stats: () => {
        throw new Error('replica gone');
      },
    });
    const server = await startAdminServer({ address: '127.0.0.1', port: 0, commandUrl: '/commands' }, view, silentLogger);
    try {
      expect((await httpGet(server.port, '/commands/srvr')).status).toBe(500);
      expect((await httpGet(server.port, '/commands/ruok')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('rejects with AdminServerStartError when the port is taken', async () => {
    const first = await startAdminServer({ address: '127.0.0.1', port: 0, commandUrl: '/commands' }, fakeView().view, silentLogger);
    try {
      await expect(startAdminServer({ address: '127.0.0.1', port: first.port, commandUrl: '/commands' }, fakeView().view, silentLogger)).rejects.toMatchObject({
        name: 'AdminServerStartError',
        code: 'ZKS_ADMIN_SERVER_START',
      });
    } finally {
      await first.close();
    }
  });
});
