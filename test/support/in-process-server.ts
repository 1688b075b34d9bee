// Starts our server inside the test process on a free port of 127.0.0.1, for tests that drive it
// with real clients over real sockets but do not need a separate process.

import { buildServerConfig, parseZooCfg } from '../../src/config/index.js';
import { silentLogger, type Logger } from '../../src/logging/logger.js';
import { startServer, type RunningServer } from '../../src/main.js';
import type { TxnStorage } from '../../src/replica/ports.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

export interface InProcessServer extends RunningServer {
  readonly connectString: string;
  readonly dataDir: string;
}

export async function startInProcessServer(
  options: { extraCfg?: Record<string, string>; systemProperties?: Record<string, string>; logger?: Logger; storage?: TxnStorage } = {},
): Promise<InProcessServer> {
  const dir = await makeTempDir('zk-inproc');
  const cfg: Record<string, string> = {
    tickTime: '2000',
    dataDir: dir,
    clientPort: '2181',
    clientPortAddress: '127.0.0.1',
    'admin.enableServer': 'false',
    ...options.extraCfg,
  };
  const text = `${Object.entries(cfg).map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
  const config = buildServerConfig({
    zooCfg: parseZooCfg(text, 'test zoo.cfg'),
    zooCfgPath: 'test zoo.cfg',
    systemProperties: options.systemProperties ?? {},
  });
  const server = await startServer(config, {
    logger: options.logger ?? silentLogger,
    clientPortOverride: 0,
    ...(options.storage === undefined ? {} : { storage: options.storage }),
  });
  return {
    ...server,
    connectString: `127.0.0.1:${String(server.port)}`,
    dataDir: dir,
    stop: async () => {
      await server.stop();
      await removeTempDir(dir);
    },
  };
}
