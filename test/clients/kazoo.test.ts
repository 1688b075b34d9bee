// Python kazoo 2.8 (Debian python3-kazoo) recipes against our server and against Apache ZooKeeper
// 3.8.0. Each scenario is a small script under ./python that prints one JSON object; the test checks
// the values users rely on and that our server gives exactly what Java gives (timings under "info"
// excepted).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningZooKeeper } from '../support/java-zookeeper.js';
import { requireFile, runClient, startPair, SYSTEM_PYTHON, type ServerPair } from './support.js';

const PYTHON_DIR = join(dirname(fileURLToPath(import.meta.url)), 'python');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface ScenarioResult {
  name: 'java' | 'ours';
  result: { [key: string]: Json };
  stdout: string;
  stderr: string;
}

function isObject(v: unknown): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function runScenario(name: 'java' | 'ours', server: RunningZooKeeper, script: string): Promise<ScenarioResult> {
  const run = await runClient(SYSTEM_PYTHON, ['-u', join(PYTHON_DIR, script), `127.0.0.1:${String(server.port)}`], {
    timeoutMs: 45_000, // below vitest's 60 s test timeout, so a hung script is killed and reported
    env: { PYTHONDONTWRITEBYTECODE: '1' },
  });
  const context = `${name}: ${script} (exit ${String(run.code)}${run.timedOut ? ', timed out' : ''})\nstdout:\n${run.stdout}\nstderr:\n${run.stderr.slice(-4000)}`;
  const last = run.stdout.trim().split('\n').pop() ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(last);
  } catch {
    throw new Error(`no JSON result from ${context}`);
  }
  if (!isObject(parsed)) throw new Error(`result is not an object: ${context}`);
  expect(parsed['ok'], context).toBe(true);
  expect(run.timedOut, context).toBe(false);
  expect(run.code, context).toBe(0);
  return { name, result: parsed, stdout: run.stdout, stderr: run.stderr };
}

function withoutInfo(result: { [key: string]: Json }): { [key: string]: Json } {
  const { info: _info, ...rest } = result;
  return rest;
}

describe('Python kazoo 2.8 recipes against our server, compared with Apache ZooKeeper 3.8', () => {
  let pair: ServerPair | undefined;

  beforeAll(async () => {
    requireFile(SYSTEM_PYTHON, 'python3');
    requireFile('/usr/lib/python3/dist-packages/kazoo/__init__.py', 'python3-kazoo');
    pair = await startPair();
  });

  afterAll(async () => {
    await pair?.stop();
  });

  /**
   * Runs the script against Java first, then ours (both on fresh paths of their own server; they run
   * in parallel), checks `expected` on both and that ours equals Java's.
   */
  async function scenario(script: string, expected: { [key: string]: Json }): Promise<{ java: ScenarioResult; ours: ScenarioResult }> {
    if (pair === undefined) throw new Error('servers not started');
    const [java, ours] = await Promise.all([runScenario('java', pair.java, script), runScenario('ours', pair.ours, script)]);
    for (const r of [java, ours]) {
      expect(r.result, `${r.name}: ${script}\nstderr:\n${r.stderr.slice(-4000)}`).toMatchObject(expected);
    }
    expect(withoutInfo(ours.result), `${script}: our result differs from Java's`).toEqual(withoutInfo(java.result));
    return { java, ours };
  }

  it('Lock: mutual exclusion, hand-over on release and on the holder closing its session', async () => {
    await scenario('kz_lock.py', {
      first_acquire: true,
      order: ['one acquired', 'one releasing', 'two acquired', 'two closing its session', 'one acquired again'],
      contenders_while_held: ['one', 'two'],
      nodes_while_held: ['0000000000', '0000000001'],
      two_got_it_early: false,
      handed_over_on_release: true,
      contenders_after_release: ['two'],
      handed_over_on_session_close: true,
      nodes_after_close: ['0000000002'],
      nodes_at_end: [],
    });
  });

  it('Election: first contender leads, a cancelled one drops out, leadership passes on step-down', async () => {
    await scenario('kz_election.py', {
      leaders: ['id-1', 'id-3'],
      contenders_initial: ['id-1', 'id-2', 'id-3'],
      contenders_after_cancel: ['id-1', 'id-3'],
      id3_leading_before_step_down: false,
      id3_led_after_step_down: true,
      id2_thread_ended: true,
      contenders_after_step_down: ['id-3'],
      contenders_at_end: [],
    });
  });

  it('Queue and LockingQueue: priority order, held items, consume/release, a blocked consumer wakes up', async () => {
    await scenario('kz_queue.py', {
      queue_length: 4,
      queue_order: ['urgent', 'first', 'second', 'third'],
      queue_empty_get: null,
      queue_length_after: 0,
      locking_length: 4,
      locking_first: 'z',
      locking_holds_lock: true,
      locking_other_consumer_gets: 'a',
      locking_consumed: true,
      locking_released: true,
      locking_left_after_release: 3,
      locking_drained: ['a', 'b', 'c'],
      locking_length_drained: 0,
      locking_late: 'late',
      locking_late_consumed: true,
      entries_left: [],
      taken_left: [],
    });
  });

  it('DataWatch and ChildrenWatch see every change in order; one-shot watches fire once', async () => {
    await scenario('kz_watches.py', {
      data_seen: [
        ['v0', 0, null],
        ['v1', 1, 'CHANGED'],
        ['v2', 2, 'CHANGED'],
        ['v3', 3, 'CHANGED'],
        ['v4', 4, 'CHANGED'],
        ['v5', 5, 'CHANGED'],
        [null, null, 'DELETED'],
        ['reborn', 0, 'CREATED'],
      ],
      children_seen: [
        [[], null],
        [['a'], 'CHILD'],
        [['a', 'b'], 'CHILD'],
        [['b'], 'CHILD'],
        [['b', 'e'], 'CHILD'],
        [['e'], 'CHILD'],
      ],
      burst_last: 30,
      burst_increasing: true,
      one_shot_events: [
        ['CHANGED', '/once'],
        ['CHILD', '/once'],
        ['CREATED', '/not-yet'],
      ],
    });
  });

  it('ephemeral nodes go when the session closes, and when it expires after its owner died (not before)', async () => {
    await scenario('kz_ephemeral.py', {
      owned_by_owner: true,
      sequential_name: '/eph/s-0000000001',
      children_after_close: ['persistent'],
      close_events: [
        ['CHILD', '/eph'],
        ['DELETED', '/eph/a'],
        ['DELETED', '/eph/s-0000000001'],
      ],
      expiry_node_existed: true,
      expired: true,
      gone_after_expiry: true,
      expired_not_before_timeout: true,
      expired_within_limit: true,
    });
  });

  it('transactions: per-op results, per-op errors on failure and nothing applied', async () => {
    await scenario('kz_transaction.py', {
      committed: ['/tx/a', '/tx/b', { stat_version: 1, data_length: 2 }, true, '/tx/s-0000000002', '/tx/e', true],
      a_after_ok: ['1b', 1],
      bad_version: ['RolledBackError', 'BadVersionError', 'RuntimeInconsistency'],
      no_node: ['RolledBackError', 'NoNodeError', 'RuntimeInconsistency'],
      not_empty: ['RolledBackError', 'NotEmptyError'],
      ephemeral_parent: ['NoChildrenForEphemeralsError'],
      node_exists: ['NodeExistsError'],
      nothing_applied: [false, false, false, false],
      a_after_failures: ['1b', 1],
      children: ['a', 'e', 's-0000000002'],
    });
  });
});
