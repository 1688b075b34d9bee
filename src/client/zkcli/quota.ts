// setquota, listquota and delquota of zkCli 3.8: quotas live in ordinary nodes under
// /zookeeper/quota/<path>/zookeeper_limits (set by the client) and .../zookeeper_stats (kept up to
// date by the server), as StatsTrack text ("count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=-1").

import { IllegalArgumentError, ZooKeeperError } from '../errors.js';
import type { ZooKeeperClient } from '../client.js';
import { CliParseError, parseOptions, type ParsedOptions } from './command-line.js';
import type { CommandContext } from './commands.js';
import { javaSplit } from './java-text.js';

const QUOTA_ROOT = '/zookeeper/quota';
const LIMIT_NODE = 'zookeeper_limits';
const STAT_NODE = 'zookeeper_stats';

const quotaPath = (path: string): string => QUOTA_ROOT + path;
const limitPath = (path: string): string => `${QUOTA_ROOT}${path}/${LIMIT_NODE}`;
const statPath = (path: string): string => `${QUOTA_ROOT}${path}/${STAT_NODE}`;

/** StatsTrack: a map of counters; a missing one reads as -1. */
class StatsTrack {
  readonly #stats = new Map<string, bigint>();

  constructor(text = '') {
    if (text === '') return;
    for (const pair of text.split(/[,;]+/u)) {
      const kv = javaSplit(pair, '=');
      const value = kv[1];
      if (value === undefined) throw new Error(`java.lang.ArrayIndexOutOfBoundsException: Index 1 out of bounds for length ${String(kv.length)}`);
      this.#stats.set(kv[0] ?? '', value === '' ? -1n : BigInt(value));
    }
  }

  get(key: string): bigint {
    return this.#stats.get(key) ?? -1n;
  }

  set(key: string, value: bigint): void {
    this.#stats.set(key, value);
  }

  toString(): string {
    const others = [...this.#stats.keys()].filter((k) => k !== 'count' && k !== 'bytes').sort();
    let text = `count=${this.get('count').toString()},bytes=${this.get('bytes').toString()}`;
    if (others.length > 0) {
      text += '=';
      for (const key of others) text += `;${key}=${(this.#stats.get(key) ?? -1n).toString()}`;
    }
    return text;
  }
}

const GROUP = [
  { name: 'n', key: 'count', description: 'num soft quota' },
  { name: 'b', key: 'bytes', description: 'bytes soft quota' },
  { name: 'N', key: 'countHardLimit', description: 'num hard quota' },
  { name: 'B', key: 'byteHardLimit', description: 'bytes hard quota' },
] as const;

/** Parses with -n/-b/-N/-B as one Commons CLI option group: at most one of them. */
function parseGroup(words: string[], hasArg: boolean, required: boolean): ParsedOptions {
  const cl = parseOptions(
    GROUP.map((g) => ({ name: g.name, hasArg })),
    words,
  );
  // The group refuses a second member as soon as it is parsed: report the first two in word order.
  const seen: string[] = [];
  for (const word of words) {
    if (word === '--') break;
    const g = GROUP.find((o) => word === `-${o.name}` || word.startsWith(`-${o.name}`));
    if (g === undefined || seen.includes(g.name)) continue;
    seen.push(g.name);
    if (seen.length === 2) {
      throw new CliParseError(
        `org.apache.commons.cli.AlreadySelectedException: The option '${g.name}' was specified but an option from this group has already been selected: '${seen[0] ?? ''}'`,
      );
    }
  }
  if (required && !GROUP.some((g) => cl.has(g.name))) {
    throw new CliParseError(
      `org.apache.commons.cli.MissingOptionException: Missing required option: [${GROUP.map((g) => `-${g.name} ${g.description}`).join(', ')}]`,
    );
  }
  return cl;
}

async function exists(zk: ZooKeeperClient, path: string): Promise<boolean> {
  return (await zk.exists(path)) !== null;
}

async function readTrack(zk: ZooKeeperClient, path: string): Promise<StatsTrack> {
  const { data } = await zk.getData(path);
  return new StatsTrack(data === null ? '' : data.toString('utf8'));
}

async function createIgnoringExisting(zk: ZooKeeperClient, path: string): Promise<void> {
  try {
    await zk.create(path, null);
  } catch (error) {
    if (!ZooKeeperError.is(error, 'nodeExists')) throw error;
  }
}

/** Refuses a quota below or above an existing one (SetQuotaCommand.checkIfChildQuota / checkIfParentQuota). */
async function checkNoNestedQuota(zk: ZooKeeperClient, path: string): Promise<void> {
  const own = quotaPath(path);
  const visit = async (node: string): Promise<void> => {
    let children: string[];
    try {
      children = (await zk.getChildren(node)).children;
    } catch (error) {
      if (ZooKeeperError.is(error, 'noNode')) return;
      throw error;
    }
    if (node !== own && children.includes(LIMIT_NODE)) {
      throw new IllegalArgumentError(`${path} has a child ${node.slice(QUOTA_ROOT.length)} which has a quota`);
    }
  };
  try {
    await zk.getData(own);
    await visit(own);
    const walk = async (node: string): Promise<void> => {
      let children: string[];
      try {
        children = (await zk.getChildren(node)).children.sort();
      } catch (error) {
        if (ZooKeeperError.is(error, 'noNode')) return;
        throw error;
      }
      const base = node === '/' ? '/' : `${node}/`;
      for (const child of children) await visit(base + child);
      for (const child of children) await walk(base + child);
    };
    await walk(own);
  } catch (error) {
    if (!ZooKeeperError.is(error, 'noNode')) throw error;
  }
  const parts = javaSplit(path, '/');
  let prefix = QUOTA_ROOT;
  for (let i = 1; i < parts.length - 1; i++) {
    prefix = `${prefix}/${parts[i] ?? ''}`;
    let children: string[];
    try {
      children = (await zk.getChildren(prefix)).children;
    } catch (error) {
      if (ZooKeeperError.is(error, 'noNode')) return;
      throw error;
    }
    if (children.length === 0) return;
    if (prefix !== own && children.includes(LIMIT_NODE)) {
      throw new IllegalArgumentError(`${path} has a parent ${prefix.slice(QUOTA_ROOT.length)} which has a quota`);
    }
  }
}

function warnIfExceeded(ctx: CommandContext, quota: StatsTrack, stats: StatsTrack): void {
  const over = (limit: bigint, used: bigint): boolean => limit > -1n && limit < used;
  if (over(quota.get('count'), stats.get('count')) || over(quota.get('countHardLimit'), stats.get('count'))) {
    ctx.out(`[Warning]: the count quota you create is less than the existing count:${stats.get('count').toString()}`);
  }
  if (over(quota.get('bytes'), stats.get('bytes')) || over(quota.get('byteHardLimit'), stats.get('bytes'))) {
    ctx.out(`[Warning]: the bytes quota you create is less than the existing bytes:${stats.get('bytes').toString()}`);
  }
}

async function createQuota(ctx: CommandContext, path: string, quota: StatsTrack): Promise<void> {
  const zk = ctx.zk;
  if (!(await exists(zk, path))) throw new IllegalArgumentError(`${path} does not exist.`);
  await checkNoNestedQuota(zk, path);
  if (!(await exists(zk, QUOTA_ROOT))) {
    try {
      await zk.create('/zookeeper', null);
      await zk.create(QUOTA_ROOT, null);
    } catch (error) {
      if (!ZooKeeperError.is(error, 'nodeExists')) throw error;
    }
  }
  let node = QUOTA_ROOT;
  const parts = javaSplit(path, '/');
  for (let i = 1; i < parts.length; i++) {
    node = `${node}/${parts[i] ?? ''}`;
    if (!(await exists(zk, node))) await createIgnoringExisting(zk, node);
  }
  const limit = `${node}/${LIMIT_NODE}`;
  const stat = `${node}/${STAT_NODE}`;
  if (!(await exists(zk, limit))) {
    await zk.create(limit, quota.toString());
    const zero = new StatsTrack();
    zero.set('count', 0n);
    zero.set('bytes', 0n);
    await zk.create(stat, zero.toString());
    warnIfExceeded(ctx, await readTrack(zk, limit), await readTrack(zk, stat));
    return;
  }
  const current = await readTrack(zk, limit);
  for (const g of GROUP) if (quota.get(g.key) > -1n) current.set(g.key, quota.get(g.key));
  warnIfExceeded(ctx, current, await readTrack(zk, stat));
  await zk.setData(limit, current.toString());
}

type Wrap = (error: unknown) => Error;

export async function setQuota(ctx: CommandContext, words: string[], usage: string, wrap: Wrap): Promise<void> {
  const cl = parseGroup(words, true, true);
  if (cl.args.length < 2) throw new CliParseError(usage);
  const path = cl.args[1] ?? '';
  if (path.startsWith(QUOTA_ROOT)) {
    ctx.err(`cannot set a quota under the path: ${QUOTA_ROOT}`);
    return;
  }
  const quota = new StatsTrack();
  for (const g of GROUP) quota.set(g.key, -1n);
  for (const g of GROUP) {
    if (!cl.has(g.name)) continue;
    const text = cl.value(g.name) ?? '';
    const isCount = g.key === 'count' || g.key === 'countHardLimit';
    const range = isCount ? 31n : 63n;
    if (!/^[+-]?\d+$/u.test(text) || BigInt(text) < -(2n ** range) || BigInt(text) >= 2n ** range) {
      ctx.err('NumberFormatException happens when parsing the option value');
      return;
    }
    const value = BigInt(text);
    if (isCount ? value <= 0n : value < 0n) {
      ctx.err(isCount ? 'the num quota must be greater than zero' : 'the bytes quota must be greater than or equal to zero');
      return;
    }
    quota.set(g.key, value);
  }
  try {
    await createQuota(ctx, path, quota);
  } catch (error) {
    throw wrap(error);
  }
}

export async function listQuota(ctx: CommandContext, words: string[], usage: string, wrap: Wrap): Promise<void> {
  const cl = parseOptions([], words);
  if (cl.args.length < 2) throw new CliParseError(usage);
  const path = cl.args[1] ?? '';
  ctx.err(`absolute path is ${limitPath(path)}`);
  try {
    const quota = await readTrack(ctx.zk, limitPath(path));
    const stats = await readTrack(ctx.zk, statPath(path));
    ctx.out(`Output quota for ${path} ${quota.toString()}`);
    ctx.out(`Output stat for ${path} ${stats.toString()}`);
  } catch (error) {
    if (ZooKeeperError.is(error, 'noNode')) {
      ctx.err(`quota for ${path} does not exist.`);
      return;
    }
    throw wrap(error);
  }
}

async function trimQuotaTree(zk: ZooKeeperClient, path: string): Promise<void> {
  if (path === QUOTA_ROOT) return;
  const { children } = await zk.getChildren(path);
  if (children.length > 0) return;
  await zk.delete(path);
  await trimQuotaTree(zk, path.slice(0, path.lastIndexOf('/')));
}

export async function delQuota(ctx: CommandContext, words: string[], usage: string, wrap: Wrap): Promise<void> {
  const cl = parseGroup(words, false, false);
  if (cl.args.length < 2) throw new CliParseError(usage);
  const path = cl.args[1] ?? '';
  const zk = ctx.zk;
  try {
    const parent = quotaPath(path);
    const limit = limitPath(path);
    if (!(await exists(zk, limit))) {
      ctx.out(`Quota does not exist for ${path}`);
      return;
    }
    const current = await readTrack(zk, limit);
    const chosen = GROUP.filter((g) => cl.has(g.name));
    if (chosen.length === 0) {
      for (const child of (await zk.getChildren(parent)).children) await zk.delete(`${parent}/${child}`);
      await trimQuotaTree(zk, parent);
    } else {
      for (const g of chosen) current.set(g.key, -1n);
      await zk.setData(limit, current.toString());
    }
  } catch (error) {
    if (ZooKeeperError.is(error, 'noNode')) {
      ctx.err(`quota for ${path} does not exist.`);
      return;
    }
    throw wrap(error);
  }
}
