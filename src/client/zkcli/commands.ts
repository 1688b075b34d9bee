// The commands of zkCli 3.8 (org.apache.zookeeper.cli.*Command): their option syntax, checks,
// output and error messages. Results go to stdout; "Created ...", errors and usage go to stderr.

import { IllegalArgumentError, ZooKeeperError } from '../errors.js';
import type { ZooKeeperClient } from '../client.js';
import type { ACL, CreateMode, Stat } from '../types.js';
import { OPEN_ACL_UNSAFE } from '../types.js';
import { TTL_MAX_MS } from '../../protocol/constants.js';
import { javaHashOrderBy, javaStringHashCode } from '../../lib/java-hash-order.js';
import { CliParseError, parseJavaInt, parseJavaLong, parseOptions, type OptionSpec, type ParsedOptions } from './command-line.js';
import { cliErrorMessage, idToString, javaList, parseAcl, permString, statLines } from './java-text.js';
import { delQuota, listQuota, setQuota } from './quota.js';
import { checkPath } from '../validate.js';
import { readFileSync } from 'node:fs';
import { JavaProperties, parseDynamicConfig } from '../../reconfig/index.js';

/** A CliException: zkCli prints the message on stderr and the command's exit code becomes `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** An exception zkCli does not catch: the JVM prints `Exception in thread "main" <message>` and exits 1. */
export class FatalError extends Error {
  override readonly name = 'FatalError';
}

export interface CommandContext {
  readonly zk: ZooKeeperClient;
  /** println on stdout. */
  out(line: string): void;
  /** print on stdout, no newline. */
  outRaw(text: string): void;
  /** println on stderr. */
  err(line: string): void;
  formatTime(epochMs: bigint): string;
  /** What `version` prints after "ZooKeeper CLI version: ". */
  readonly version: string;
}

export interface CliCommand {
  readonly name: string;
  readonly optionStr: string;
  /** Runs the command with its words (the command name first). */
  run(ctx: CommandContext, words: string[]): Promise<void>;
}

function usageOf(command: { name: string; optionStr: string }): string {
  return `${command.name} ${command.optionStr}`;
}

const flag = (name: string): OptionSpec => ({ name, hasArg: false });
const valued = (name: string): OptionSpec => ({ name, hasArg: true });

/** The server error or refused argument of a client call, as the command reports it. */
function wrap(error: unknown): Error {
  if (error instanceof ZooKeeperError) return new CliError(cliErrorMessage(error));
  if (error instanceof IllegalArgumentError) return new CliError(error.message);
  return error instanceof Error ? error : new Error(String(error));
}

async function attempt<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw wrap(error);
  }
}

function printStat(ctx: CommandContext, stat: Stat): void {
  for (const line of statLines(stat, ctx.formatTime)) ctx.out(line);
}

function dataText(data: Buffer | null): string {
  return data === null ? 'null' : data.toString('utf8');
}

/**
 * Parses a command's words; commands with a deprecated positional form (`get path watch`) are
 * re-parsed with the third word replaced by -w, after the deprecation notice, as 3.8 does.
 */
function parse(
  ctx: CommandContext,
  specs: readonly OptionSpec[],
  words: string[],
  minArgs: number,
  usage: string,
  deprecated?: { notice: string; rewrite: boolean },
): ParsedOptions {
  let parsed = parseOptions(specs, words);
  if (parsed.args.length < minArgs) throw new CliParseError(usage);
  if (deprecated !== undefined && parsed.args.length > 2) {
    const rewritten = [...words];
    if (deprecated.rewrite) rewritten[2] = '-w';
    ctx.err(deprecated.notice);
    parsed = parseOptions(specs, rewritten);
  }
  return parsed;
}

/** Visits a subtree depth first, parents before children, siblings sorted (ZKUtil.visitSubTreeDFS). */
async function visitSubTree(zk: ZooKeeperClient, path: string, watch: boolean, visit: (path: string) => Promise<void> | void): Promise<void> {
  await zk.getData(path, { watch });
  await visit(path);
  const helper = async (node: string): Promise<void> => {
    let children: string[];
    try {
      children = (await zk.getChildren(node, { watch })).children.sort();
    } catch (error) {
      if (ZooKeeperError.is(error, 'noNode')) return;
      throw error;
    }
    const base = node === '/' ? '/' : `${node}/`;
    for (const child of children) await visit(base + child);
    for (const child of children) await helper(base + child);
  };
  await helper(path);
}

/** ZKUtil.deleteRecursive: lists the subtree breadth first, then deletes it leaves first in multis of batchSize, 10 at a time. */
async function deleteRecursive(zk: ZooKeeperClient, root: string, batchSize: number): Promise<boolean> {
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    const node = tree[i] ?? '/';
    for (const child of (await zk.getChildren(node)).children) tree.push(`${node === '/' ? '' : node}/${child}`);
  }
  const inFlight = new Set<Promise<void>>();
  let success = true;
  let ops: { type: 'delete'; path: string }[] = [];
  for (let i = tree.length - 1; i >= 0; i--) {
    ops.push({ type: 'delete', path: tree[i] ?? '/' });
    if (ops.length === batchSize || i === 0) {
      if (!success) break;
      while (inFlight.size >= 10) await Promise.race(inFlight);
      const batch = zk.multi(ops).then(
        () => undefined,
        () => {
          success = false;
        },
      );
      const tracked = batch.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      ops = [];
    }
  }
  await Promise.all(inFlight);
  return success;
}

/** ConfigUtils.getClientConfigStr: "<version> host:port,host:port" from the dynamic config's server lines. */
function clientConfigString(config: string): string {
  const props = new Map<string, string>();
  for (const raw of config.split(/\r?\n/u)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const match = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/u.exec(line);
    if (match !== null) props.set(match[1] ?? '', match[2] ?? '');
  }
  // java.util.Properties iterates in ConcurrentHashMap order.
  const keys = javaHashOrderBy([...props.keys()], javaStringHashCode);
  const addresses: string[] = [];
  let version = '';
  for (const key of keys) {
    const value = (props.get(key) ?? '').trim();
    if (key.trim() === 'version') version = value;
    if (!key.trim().startsWith('server.')) continue;
    const semicolon = value.indexOf(';');
    if (semicolon < 0) {
      addresses.push('');
      continue;
    }
    const client = value.slice(semicolon + 1).split(':');
    addresses.push(client.length >= 2 ? `${client[0] ?? ''}:${client[1] ?? ''}` : `0.0.0.0:${client[0] ?? ''}`);
  }
  return `${version} ${addresses.join(',')}`;
}

const create: CliCommand = {
  name: 'create',
  optionStr: '[-s] [-e] [-c] [-t ttl] path [data] [acl]',
  async run(ctx, words) {
    const cl = parse(ctx, [flag('e'), flag('s'), flag('c'), valued('t')], words, 2, usageOf(this));
    const [hasE, hasS, hasC, hasT] = [cl.has('e'), cl.has('s'), cl.has('c'), cl.has('t')];
    if (hasC && (hasE || hasS)) throw new CliError('-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.');
    let ttl = 0n;
    if (hasT) {
      try {
        ttl = parseJavaLong(cl.value('t') ?? '');
      } catch {
        throw new CliError('-t argument must be a long value');
      }
    }
    if (hasT && hasE) throw new CliError('TTLs cannot be used with Ephemeral znodes');
    if (hasT && hasC) throw new CliError('TTLs cannot be used with Container znodes');
    let mode: CreateMode;
    if (hasE && hasS) mode = 'ephemeralSequential';
    else if (hasE) mode = 'ephemeral';
    else if (hasS) mode = hasT ? 'persistentSequentialWithTtl' : 'persistentSequential';
    else if (hasC) mode = 'container';
    else mode = hasT ? 'persistentWithTtl' : 'persistent';
    if (hasT && (ttl <= 0n || ttl > TTL_MAX_MS)) throw new CliError(`ttl must be positive and cannot be larger than: ${TTL_MAX_MS.toString()}`);
    const path = cl.args[1] ?? '';
    const data = cl.args[2] ?? null;
    const aclText = cl.args[3];
    const acl: readonly ACL[] = aclText === undefined ? OPEN_ACL_UNSAFE : parseAcl(aclText, (line) => ctx.err(line));
    try {
      const created = await ctx.zk.create(path, data, { acl, mode, ...(hasT ? { ttlMs: Number(ttl) } : {}) });
      ctx.err(`Created ${created.path}`);
    } catch (error) {
      if (ZooKeeperError.is(error, 'ephemeralOnLocalSession')) ctx.err('Unable to create ephemeral node on a local session');
      else if (ZooKeeperError.is(error, 'invalidACL')) ctx.err(error.message);
      throw wrap(error);
    }
  },
};

const get: CliCommand = {
  name: 'get',
  optionStr: '[-s] [-w] path',
  async run(ctx, words) {
    const cl = parse(ctx, [flag('s'), flag('w')], words, 2, usageOf(this), {
      notice: "'get path [watch]' has been deprecated. Please use 'get [-s] [-w] path' instead.",
      rewrite: true,
    });
    const { data, stat } = await attempt(() => ctx.zk.getData(cl.args[1] ?? '', { watch: cl.has('w') }));
    ctx.out(dataText(data));
    if (cl.has('s')) printStat(ctx, stat);
  },
};

const set: CliCommand = {
  name: 'set',
  optionStr: '[-s] [-v version] path data',
  async run(ctx, words) {
    const cl = parse(ctx, [flag('s'), valued('v')], words, 3, usageOf(this));
    const versionText = cl.value('v');
    const version = cl.has('v') ? parseJavaInt(versionText ?? '') : -1;
    const stat = await attempt(() => ctx.zk.setData(cl.args[1] ?? '', cl.args[2] ?? '', version));
    if (cl.has('s')) printStat(ctx, stat);
  },
};

const LS_HELP = ['usage: ls [options] path', ' -?   help', ' -R   recurse', ' -s   stat', ' -w   watch'];

const ls: CliCommand = {
  name: 'ls',
  optionStr: '[-s] [-w] [-R] path',
  async run(ctx, words) {
    const cl = parse(ctx, [flag('?'), flag('s'), flag('w'), flag('R')], words, 0, usageOf(this), {
      notice: "'ls path [watch]' has been deprecated. Please use 'ls [-w] path' instead.",
      rewrite: true,
    });
    if (cl.has('?')) for (const line of LS_HELP) ctx.out(line);
    if (cl.args.length < 2) throw new CliError(usageOf(this));
    const path = cl.args[1] ?? '';
    const watch = cl.has('w');
    if (cl.has('R')) {
      await attempt(() => visitSubTree(ctx.zk, path, watch, (p) => ctx.out(p)));
      return;
    }
    const { children, stat } = await attempt(() => ctx.zk.getChildren(path, { watch }));
    ctx.out(javaList(children.sort()));
    if (cl.has('s')) printStat(ctx, stat);
  },
};

const stat: CliCommand = {
  name: 'stat',
  optionStr: '[-w] path',
  async run(ctx, words) {
    const cl = parse(ctx, [flag('w')], words, 2, usageOf(this), {
      notice: "'stat path [watch]' has been deprecated. Please use 'stat [-w] path' instead.",
      rewrite: true,
    });
    const path = cl.args[1] ?? '';
    const result = await attempt(() => ctx.zk.exists(path, { watch: cl.has('w') }));
    if (result === null) throw new CliError(`Node does not exist: ${path}`);
    printStat(ctx, result);
  },
};

const del: CliCommand = {
  name: 'delete',
  optionStr: '[-v version] path',
  async run(ctx, words) {
    const cl = parse(ctx, [valued('v')], words, 2, usageOf(this), {
      notice: "'delete path [version]' has been deprecated. Please use 'delete [-v version] path' instead.",
      rewrite: false,
    });
    const version = cl.has('v') ? parseJavaInt(cl.value('v') ?? '') : -1;
    await attempt(() => ctx.zk.delete(cl.args[1] ?? '', version));
  },
};

const deleteall: CliCommand = {
  name: 'deleteall',
  optionStr: 'path [-b batch size]',
  async run(ctx, words) {
    const cl = parse(ctx, [valued('b')], words, 2, usageOf(this));
    let batchSize = 1000;
    if (cl.has('b')) {
      try {
        batchSize = parseJavaInt(cl.value('b') ?? '');
      } catch {
        throw new CliError('-b argument must be an int value');
      }
    }
    const path = cl.args[1] ?? '';
    const ok = await attempt(async () => {
      checkPath(path);
      return deleteRecursive(ctx.zk, path, batchSize);
    });
    if (!ok) ctx.err('Failed to delete some node(s) in the subtree!');
  },
};

const getAcl: CliCommand = {
  name: 'getAcl',
  optionStr: '[-s] path',
  async run(ctx, words) {
    const cl = parse(ctx, [flag('s')], words, 2, usageOf(this));
    const { acl, stat: aclStat } = await attempt(() => ctx.zk.getACL(cl.args[1] ?? ''));
    for (const entry of acl) ctx.out(`${idToString(entry.id)}: ${permString(entry.perms)}`);
    if (cl.has('s')) printStat(ctx, aclStat);
  },
};

const setAcl: CliCommand = {
  name: 'setAcl',
  optionStr: '[-s] [-v version] [-R] path acl',
  async run(ctx, words) {
    const cl = parse(ctx, [flag('s'), valued('v'), flag('R')], words, 3, usageOf(this));
    const path = cl.args[1] ?? '';
    const acl = parseAcl(cl.args[2] ?? '', (line) => ctx.err(line));
    const version = cl.has('v') ? parseJavaInt(cl.value('v') ?? '') : -1;
    if (cl.has('R')) {
      await attempt(() =>
        visitSubTree(ctx.zk, path, false, async (p) => {
          try {
            await ctx.zk.setACL(p, acl, version);
          } catch (error) {
            // 3.8 prints these messages with print, not println.
            if (error instanceof ZooKeeperError) ctx.outRaw(error.message);
            else throw error;
          }
        }),
      );
      return;
    }
    const result = await attempt(() => ctx.zk.setACL(path, acl, version));
    if (cl.has('s')) printStat(ctx, result);
  },
};

const addauth: CliCommand = {
  name: 'addauth',
  optionStr: 'scheme auth',
  run(ctx, words) {
    const cl = parse(ctx, [], words, 2, usageOf(this));
    // Like Java's addAuthInfo, the command does not wait for the server's answer; a refusal shows as an AuthFailed event.
    ctx.zk.addAuth(cl.args[1] ?? '', cl.args[2] ?? null).catch(() => undefined);
    return Promise.resolve();
  },
};

const sync: CliCommand = {
  name: 'sync',
  optionStr: 'path',
  async run(ctx, words) {
    const cl = parse(ctx, [], words, 2, usageOf(this));
    const path = cl.args[1] ?? '';
    let rc = 0;
    try {
      await withTimeout(ctx.zk.sync(path), 30_000);
    } catch (error) {
      if (error instanceof ZooKeeperError) rc = error.code;
      else if (error instanceof IllegalArgumentError) throw new CliError(error.message);
      else throw new CliError('null');
    }
    ctx.out(rc === 0 ? 'Sync is OK' : `Sync has failed. rc=${String(rc)}`);
  },
};

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

const getEphemerals: CliCommand = {
  name: 'getEphemerals',
  optionStr: 'path',
  async run(ctx, words) {
    const cl = parse(ctx, [], words, 0, usageOf(this));
    const path = cl.args[1];
    const list = await attempt(() => (path === undefined ? ctx.zk.getEphemerals() : ctx.zk.getEphemerals(path)));
    ctx.out(javaList(list));
  },
};

const getAllChildrenNumber: CliCommand = {
  name: 'getAllChildrenNumber',
  optionStr: 'path',
  async run(ctx, words) {
    const cl = parse(ctx, [], words, 0, usageOf(this));
    if (cl.args.length < 2) throw new CliError(usageOf(this));
    const count = await attempt(() => ctx.zk.getAllChildrenNumber(cl.args[1] ?? ''));
    ctx.out(String(count));
  },
};

const whoami: CliCommand = {
  name: 'whoami',
  optionStr: '',
  async run(ctx) {
    let infos: { authScheme: string; user: string }[] = [];
    try {
      infos = await ctx.zk.whoAmI();
    } catch (error) {
      // 3.8 does not look at the reply's error: a failed whoAmI prints no identity.
      if (!(error instanceof ZooKeeperError)) throw error;
    }
    ctx.out('Auth scheme: User');
    for (const info of infos) ctx.out(`${info.authScheme}: ${info.user}`);
  },
};

const config: CliCommand = {
  name: 'config',
  optionStr: '[-c] [-w] [-s]',
  async run(ctx, words) {
    const cl = parse(ctx, [flag('s'), flag('w'), flag('c')], words, 1, usageOf(this));
    const { data, stat: configStat } = await attempt(() => ctx.zk.getConfig({ watch: cl.has('w') }));
    const text = dataText(data);
    ctx.out(cl.has('c') ? clientConfigString(text) : text);
    if (cl.has('s')) printStat(ctx, configStat);
  },
};

/** ReconfigCommand: -add/-remove (incremental) or -members/-file (the whole membership), -v version, -s. */
const reconfig: CliCommand = {
  name: 'reconfig',
  optionStr:
    '[-s] [-v version] [[-file path] | [-members serverID=host:port1:port2;port3[,...]*]] | [-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]',
  async run(ctx, words) {
    const cl = parse(ctx, [flag('s'), valued('v'), valued('file'), valued('members'), valued('add'), valued('remove')], words, 0, usageOf(this));
    if (!(cl.has('file') || cl.has('members')) && !cl.has('add') && !cl.has('remove')) throw new CliParseError(usageOf(this));
    let fromConfig = -1n;
    const versionText = cl.value('v');
    if (versionText !== undefined) {
      const version = parseHexLong(versionText);
      if (version === null) throw new CliParseError('-v must be followed by a long (configuration version)');
      fromConfig = version;
    }
    if ((cl.has('file') || cl.has('members')) && (cl.has('add') || cl.has('remove'))) {
      throw new CliParseError('Can\'t use -file or -members together with -add or -remove (mixing incremental and non-incremental modes is not allowed)');
    }
    if (cl.has('file') && cl.has('members')) throw new CliParseError("Can't use -file and -members together (conflicting non-incremental modes)");
    // 3.8 lower-cases what it is given (host names included).
    const joiningServers = cl.value('add')?.toLowerCase() ?? null;
    const leavingServers = cl.value('remove')?.toLowerCase() ?? null;
    let newMembers = cl.value('members')?.toLowerCase() ?? null;
    const file = cl.value('file');
    if (file !== undefined) newMembers = membersFromFile(file);
    const { data, stat: configStat } = await attempt(() => ctx.zk.reconfig({ joiningServers, leavingServers, newMembers, fromConfig }));
    ctx.out(`Committed new configuration:\n${dataText(data)}`);
    if (cl.has('s')) printStat(ctx, configStat);
  },
};

/** Long.parseLong(text, 16): an optional sign and hex digits, within 64 bits; null where Java throws. */
function parseHexLong(text: string): bigint | null {
  const match = /^([+-]?)([0-9a-fA-F]+)$/u.exec(text);
  if (match === null) return null;
  const value = BigInt(`0x${match[2] ?? ''}`) * (match[1] === '-' ? -1n : 1n);
  return value < -(2n ** 63n) || value >= 2n ** 63n ? null : value;
}

/** -file: the membership of a dynamic config file, checked and written back as 3.8's parseDynamicConfig(...).toString(). */
function membersFromFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (error) {
    throw new CliParseError(`Error processing ${path}${error instanceof Error ? error.message : String(error)}`);
  }
  const properties = JavaProperties.load(text);
  if (!properties.ok) throw new CliParseError(`Error processing ${path}${properties.failure.message}`);
  const config = parseDynamicConfig(properties.value.entries(), { multiAddressEnabled: false, standaloneEnabled: true, configBackwardCompatibilityMode: false });
  if (!config.ok) throw new CliParseError(`Error processing ${path}${config.failure.message}`);
  return config.value.toString();
}

const close: CliCommand = {
  name: 'close',
  optionStr: '',
  async run(ctx) {
    await ctx.zk.close();
  },
};

const version: CliCommand = {
  name: 'version',
  optionStr: '',
  run(ctx, words) {
    const cl = parse(ctx, [], words, 0, usageOf(this));
    if (cl.args.length > 1) throw new CliParseError(usageOf(this));
    ctx.out(`ZooKeeper CLI version: ${ctx.version}`);
    return Promise.resolve();
  },
};

const ADD_WATCH_MODES = new Map<string, 'persistent' | 'persistentRecursive'>([
  ['PERSISTENT', 'persistent'],
  ['PERSISTENT_RECURSIVE', 'persistentRecursive'],
]);

const addWatch: CliCommand = {
  name: 'addWatch',
  optionStr: '[-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE',
  async run(ctx, words) {
    const cl = parseOptions([valued('m')], words);
    if (cl.args.length !== 2) throw new CliParseError(usageOf(this));
    let mode: 'persistent' | 'persistentRecursive' = 'persistentRecursive';
    if (cl.has('m')) {
      const chosen = ADD_WATCH_MODES.get((cl.value('m') ?? '').toUpperCase());
      if (chosen === undefined) throw new CliParseError(usageOf(this));
      mode = chosen;
    }
    try {
      await ctx.zk.addWatch(cl.args[1] ?? '', mode);
    } catch (error) {
      // 3.8 does not catch a bad path here: the exception ends the JVM.
      if (error instanceof IllegalArgumentError) throw new FatalError(`java.lang.IllegalArgumentException: ${error.message}`);
      throw wrap(error);
    }
  },
};

const setquota: CliCommand = {
  name: 'setquota',
  optionStr: '-n|-b|-N|-B val path',
  async run(ctx, words) {
    await setQuota(ctx, words, usageOf(this), wrap);
  },
};

const listquota: CliCommand = {
  name: 'listquota',
  optionStr: 'path',
  async run(ctx, words) {
    await listQuota(ctx, words, usageOf(this), wrap);
  },
};

const delquota: CliCommand = {
  name: 'delquota',
  optionStr: '[-n|-b|-N|-B] path',
  async run(ctx, words) {
    await delQuota(ctx, words, usageOf(this), wrap);
  },
};

/** Commands of 3.8 we list (so usage reads the same) but do not run. */
function unsupported(name: string, optionStr: string): CliCommand {
  return {
    name,
    optionStr,
    run() {
      return Promise.reject(new CliError(`${name} is not supported by zk-ts's zkCli`));
    },
  };
}

export const COMMANDS: readonly CliCommand[] = [
  addWatch,
  addauth,
  close,
  config,
  create,
  del,
  deleteall,
  delquota,
  get,
  getAcl,
  getAllChildrenNumber,
  getEphemerals,
  listquota,
  ls,
  reconfig,
  unsupported('removewatches', 'path [-c|-d|-a] [-l]'),
  set,
  setAcl,
  setquota,
  stat,
  sync,
  version,
  whoami,
];
