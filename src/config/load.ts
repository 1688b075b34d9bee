// The entry points the CLI uses: read zoo.cfg (and the files it points to) the way zkServer.sh plus
// 3.8 would, and a ready-made standalone config for the README's quick start. File access lives here
// so that parsing and validation stay pure and testable with strings.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './errors.js';
import { parseJvmFlags } from './jvm-flags.js';
import { buildServerConfig, zooCfgDataDir, type ServerConfig } from './server-config.js';
import { javaTrim } from './java-values.js';
import { parseZooCfg, type ParsedZooCfg } from './zoo-cfg.js';

function readConfigFile(path: string, what: string): string {
  try {
    // Properties.load(InputStream) decodes ISO-8859-1, so we do too: any non-ASCII path in the file
    // then names the same directory 3.8 would use.
    return readFileSync(path, 'latin1');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`cannot read ${what} ${path}: ${reason}`);
  }
}

function readOptionalFile(path: string): string | null {
  try {
    if (!statSync(path).isFile()) return null;
  } catch {
    return null;
  }
  return readFileSync(path, 'utf8');
}

/**
 * Reads `cfgPath` and builds the server configuration. JVM flags come from SERVER_JVMFLAGS and then
 * JVMFLAGS of `env`, after the -Xmx${ZK_SERVER_HEAP:-1000}m that zkEnv.sh puts first.
 */
export function loadServerConfigFromFiles(cfgPath: string, env: Readonly<Record<string, string | undefined>>): ServerConfig {
  if (!existsSync(cfgPath)) throw new ConfigError(`${cfgPath} file is missing`);
  const zooCfg = parseZooCfg(readConfigFile(cfgPath, 'config file'), cfgPath);

  const heap = env['ZK_SERVER_HEAP'] ?? '1000';
  const flags = parseJvmFlags(`-Xmx${heap}m ${env['SERVER_JVMFLAGS'] ?? ''} ${env['JVMFLAGS'] ?? ''}`);

  const dataDir = zooCfgDataDir(zooCfg);
  const myidFile = dataDir === null ? null : readOptionalFile(join(dataDir, 'myid'));

  let dynamicCfg: ParsedZooCfg | null = null;
  const dynamicEntry = [...zooCfg.entries].reverse().find((e) => javaTrim(e.key) === 'dynamicConfigFile');
  if (dynamicEntry !== undefined) {
    const dynamicPath = javaTrim(dynamicEntry.value);
    dynamicCfg = parseZooCfg(readConfigFile(dynamicPath, 'dynamic config file'), dynamicPath);
  }

  return buildServerConfig({
    zooCfg,
    zooCfgPath: cfgPath,
    systemProperties: flags.systemProperties,
    env,
    jvmMaxHeap: flags.maxHeap,
    myidFile,
    dynamicCfg,
  });
}

/** What a minimal zoo.cfg (tickTime=2000, clientPort=2181 on 127.0.0.1, dataDir) gives. */
export function defaultStandaloneConfig(dataDir: string): ServerConfig {
  const text = `tickTime=2000\nclientPort=2181\nclientPortAddress=127.0.0.1\ndataDir=${dataDir.replace(/\\/g, '\\\\')}\n`;
  return buildServerConfig({ zooCfg: parseZooCfg(text, '(built-in standalone config)'), zooCfgPath: '(built-in standalone config)' });
}
