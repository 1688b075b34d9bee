// The server's command line, and the only reader of process.argv and process.env. Usage:
//   zk-server <zoo.cfg>             as `zkServer.sh start-foreground <zoo.cfg>` runs it
//   zk-server --standalone-default  127.0.0.1:2181, data in ./data (the README's quick start)
// Settings that 3.8 takes as Java system properties come from -D options in SERVER_JVMFLAGS and
// JVMFLAGS, as zkServer.sh passes them.

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, defaultStandaloneConfig, loadServerConfigFromFiles, type ServerConfig } from '../config/index.js';
import { createRootLogger } from '../logging/root-logger.js';
import { startServer } from '../main.js';

function usage(): never {
  process.stderr.write('usage: zk-server <zoo.cfg> | zk-server --standalone-default\n');
  process.exit(2);
}

function loadConfig(args: readonly string[]): ServerConfig {
  if (args.length === 1 && args[0] === '--standalone-default') {
    const dataDir = resolve('data');
    mkdirSync(dataDir, { recursive: true });
    return defaultStandaloneConfig(dataDir);
  }
  const cfgPath = args[args.length - 1];
  if (cfgPath === undefined || cfgPath.startsWith('-')) usage();
  return loadServerConfigFromFiles(cfgPath, process.env);
}

/**
 * zkServer.sh sets ZK_PROCESS_NAME=java: the process then shows as `java` (its comm and argv[0]),
 * so that the Kubernetes tutorial's `pkill java` and scripts written for the JVM find the server;
 * the rest of its command line still names zk-server.js and the config.
 */
function nameProcess(): void {
  const name = process.env['ZK_PROCESS_NAME'];
  if (name !== undefined && name !== '') process.title = [name, ...process.argv.slice(1)].join(' ');
}

async function main(): Promise<void> {
  nameProcess();
  let config: ServerConfig;
  try {
    config = loadConfig(process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Invalid config, exiting abnormally: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createRootLogger(config.logging.level, { name: 'zk-ts' });
  for (const warning of config.warnings) logger.warn({ config: config.zooCfgPath }, warning);
  if (config.unknownKeys.length > 0) logger.info({ keys: config.unknownKeys }, 'zoo.cfg keys kept as zookeeper.* system properties');
  // TEST ONLY: the Jepsen-style harness sets it; see src/testing/test-hooks.ts.
  const testHooksSocket = process.env['ZK_TEST_HOOKS_SOCKET'];
  const server = await startServer(config, {
    logger,
    ...(testHooksSocket === undefined || testHooksSocket === '' ? {} : { testHooksSocket }),
    onFatal: (reason) => {
      logger.fatal({ reason }, 'stopping: the server cannot go on safely');
      process.exit(1);
    },
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  // Data directory, recovery and port errors end here with the reason, never with a stack dump.
  process.stderr.write(`zk-server failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  // 3.8 exits with 4 when its AdminServer cannot start (ExitCode.ERROR_STARTING_ADMIN_SERVER).
  const code = typeof error === 'object' && error !== null && 'code' in error && error.code === 'ZKS_ADMIN_SERVER_START' ? 4 : 1;
  process.exit(code);
});
