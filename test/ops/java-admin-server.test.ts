// Our AdminServer next to Apache ZooKeeper 3.8.0's (Debian package, Jetty): for every command name
// of 3.8, an idle standalone Java server and our server on an idle hand-made view must answer with
// the same status, Content-Type and JSON shape (keys in order, value types, integers vs doubles);
// where an idle answer does not depend on the machine, with the same bytes.
//
// Debian's classpath has Jetty but not the servlet API it needs, so the Java server gets
// servlet-api.jar on its boot class path (see fixtures/capture.sh).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_COMMANDS, startAdminServer, type RunningAdminServer } from '../../src/admin-http/index.js';
import { silentLogger } from '../../src/logging/logger.js';
import { freePort } from '../support/free-port.js';
import { javaZooKeeperAvailable, startJavaZooKeeper, type RunningZooKeeper } from '../support/java-zookeeper.js';
import { sleep } from '../support/zk-wait.js';
import { fakeView } from './fake-view.js';
import { httpGet, httpRequest, type HttpAnswer } from './http-request.js';
import { jsonShape, type JsonShape } from './json-shape.js';

const SERVLET_API_JAR = '/usr/share/java/servlet-api.jar';

/** Every name 3.8 knows, primary names and aliases. */
const ALL_NAMES = ADMIN_COMMANDS.flatMap((c) => c.names);

/** Answers that do not depend on the machine or the clock on an idle server: compared byte for byte. */
const EXACT_PATHS = [
  '/commands',
  '/commands/',
  '/commands/ruok',
  '/commands/nosuch',
  '/commands/ruok/',
  '/commands/%72uok',
  '/commands/crst',
  '/commands/srst',
  '/commands/orst',
  '/commands/leader',
  '/commands/isro',
  '/commands/observers',
  '/commands/voting_view',
  '/commands/zabstate',
  '/commands/cons',
  '/commands/dump',
  '/commands/hash',
  '/commands/wchs',
  '/commands/wchc',
  '/commands/wchp',
  '/commands/stmk',
  '/commands/set_trace_mask?traceMask=abc',
  '/commands/set_trace_mask?traceMask=306',
  '/commands/gtmk',
];

/**
 * What may legitimately differ between two servers:
 *   - system_properties lists the runtime's properties: only their value types are compared;
 *   - server_stats is a Java bean, and Jackson orders bean properties as reflection lists the
 *     getters, which changes from one JVM run to the next: its keys are compared as a set.
 */
function normalise(name: string, shape: JsonShape): JsonShape {
  if (typeof shape === 'string' || !('object' in shape)) return shape;
  if (name === 'system_properties' || name === 'sysp') {
    const types = new Set(shape.object.slice(0, -2).map(([, s]) => JSON.stringify(s)));
    return { object: [['<properties>', types.size === 1 ? (JSON.parse([...types][0] ?? '"null"') as JsonShape) : 'null'], ...shape.object.slice(-2)] };
  }
  return {
    object: shape.object.map(([key, value]): readonly [string, JsonShape] =>
      key === 'server_stats' && typeof value !== 'string' && 'object' in value
        ? [key, { object: [...value.object].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) }]
        : [key, value],
    ),
  };
}

async function waitForAdmin(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await httpGet(port, '/commands/ruok')).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the Java AdminServer did not answer on port ${port}`);
    await sleep(100);
  }
}

describe('AdminServer: ours vs Apache ZooKeeper 3.8.0', () => {
  let java: RunningZooKeeper | null = null;
  let javaAdminPort = 0;
  let ours: RunningAdminServer | null = null;

  beforeAll(async () => {
    javaAdminPort = await freePort();
    java = await startJavaZooKeeper({
      extraCfg: { 'admin.enableServer': 'true', 'admin.serverAddress': '127.0.0.1', 'admin.serverPort': String(javaAdminPort) },
      jvmFlags: [`-Xbootclasspath/a:${SERVLET_API_JAR}`],
    });
    await waitForAdmin(javaAdminPort);
    ours = await startAdminServer({ address: '127.0.0.1', port: 0, commandUrl: '/commands' }, fakeView().view, silentLogger);
  });
  afterAll(async () => {
    await ours?.close();
    await java?.stop();
  });

  const both = async (method: string, path: string): Promise<{ java: HttpAnswer; ours: HttpAnswer }> => ({
    java: await httpRequest(javaAdminPort, method, path),
    ours: await httpRequest(ours?.port ?? 0, method, path),
  });

  it('has Apache ZooKeeper 3.8 to compare with', () => {
    expect(javaZooKeeperAvailable(), 'install the Debian package zookeeper (.ci/run does)').toBe(true);
  });

  it.each(ALL_NAMES)('%s: same status, Content-Type and JSON shape', async (name) => {
    const answers = await both('GET', `/commands/${name}`);
    expect(answers.ours.status).toBe(answers.java.status);
    expect(answers.ours.headers['content-type']).toBe(answers.java.headers['content-type']);
    expect(normalise(name, jsonShape(answers.ours.body))).toEqual(normalise(name, jsonShape(answers.java.body)));
  });

  it.each(EXACT_PATHS)('GET %s: the same bytes', async (path) => {
    const answers = await both('GET', path);
    expect(answers.ours.status).toBe(answers.java.status);
    expect(answers.ours.headers['content-type']).toBe(answers.java.headers['content-type']);
    expect(answers.ours.headers['content-length']).toBe(answers.java.headers['content-length']);
    expect(answers.ours.body).toBe(answers.java.body);
  });

  it.each([
    ['HEAD', '/commands/ruok'],
    ['OPTIONS', '/commands/ruok'],
    ['TRACE', '/commands/ruok'],
    ['POST', '/commands/ruok'],
    ['PUT', '/commands/ruok'],
    ['DELETE', '/commands/ruok'],
    ['PATCH', '/commands/ruok'],
    ['GET', '/'],
    ['GET', '/other'],
    ['GET', '/commandsx'],
  ])('%s %s: the same status', async (method, path) => {
    const answers = await both(method, path);
    expect(answers.ours.status).toBe(answers.java.status);
    expect(answers.ours.headers['content-type']).toBe(answers.java.headers['content-type']);
    if (method === 'OPTIONS') expect(answers.ours.headers['allow']).toBe(answers.java.headers['allow']);
  });
});
