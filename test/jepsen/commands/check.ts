/**
 * `check`: decides whether a Jepsen history is linearizable under a model. Prints one JSON line
 * (at least {"valid": true|false|"unknown"}); exits 0 when valid, 1 when not, 2 when unknown.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import { checkHistory, type CheckOptions } from '../checker/check.js';
import { ModelError } from '../checker/model.js';
import { MODEL_NAMES, isModelName, makeModel, parseInitial, type ModelSpec } from '../checker/models.js';
import type { EdnValue } from '../history/edn.js';
import { HistoryError, parseHistory } from '../history/history.js';
import { UsageError, type Command, type CommandIO } from './command.js';

const USAGE = `usage: npm run -s jepsen -- check --model MODEL [options] <history.edn | ->

Checks a Jepsen history (history.edn: one op map per line) for linearizability and prints one JSON
line: {"valid": true|false|"unknown", ...}; when not valid, "failure" and "explanation" say which
operation cannot be linearized and in which states the model was. Exit code: 0 valid, 1 not
linearizable, 2 unknown (time or memory limit), 3 bad arguments or unreadable/malformed history.

options:
  --model MODEL          ${MODEL_NAMES.join(', ')}
  --initial EDN          initial value (per key for kv and --independent), e.g. 0, nil, '""', '#{}'
                         defaults: nil for registers, "" for kv, 0 for counter, #{} for set
  --independent          values are [key value] tuples (jepsen.independent); check each key on its
                         own with MODEL (kv always does this)
  --time-limit SECONDS   give up with "unknown" after this long (default: no limit)
  --memory-limit MB      memory for the search's configuration cache (default 1024)
  --fail-mode MODE       drop (default, as Knossos: a :fail op did not happen) or observe (as
                         Porcupine: a failed :cas happened and saw a different value)
  -h, --help             this text

models (ops by :f):
  cas-register  read, write v, cas [expected new]
  register      read, write v
  kv            get/read, put/write, append, cas on [key value] tuples, per key
  set           add e, read -> the whole set
  counter       add n, read -> the total
  unique-ids    generate -> an id never returned before
`;

async function readInput(path: string, stdin: CommandIO['stdin']): Promise<string> {
  try {
    if (path === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
      return Buffer.concat(chunks).toString('utf8');
    }
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function positiveNumber(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v <= 0) throw new UsageError(`${option} needs a positive number, got '${text}'`);
  return v;
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'check a history.edn for linearizability (models: cas-register, register, kv, set, counter, unique-ids)',
  usage: USAGE,
  async run(args, io) {
    let parsed;
    try {
      parsed = parseArgs({
        args: [...args],
        allowPositionals: true,
        strict: true,
        options: {
          model: { type: 'string' },
          initial: { type: 'string' },
          independent: { type: 'boolean' },
          'time-limit': { type: 'string' },
          'memory-limit': { type: 'string' },
          'fail-mode': { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
    const { values, positionals } = parsed;
    if (values.help === true) {
      io.stdout.write(USAGE);
      return 0;
    }
    const modelName = values.model;
    if (modelName === undefined) throw new UsageError('--model is required');
    if (!isModelName(modelName)) throw new UsageError(`unknown model '${modelName}' (models: ${MODEL_NAMES.join(', ')})`);
    if (positionals.length !== 1) {
      throw new UsageError(positionals.length === 0 ? 'no history file given' : `one history file expected, got ${positionals.length}`);
    }
    const file = positionals[0] ?? '';
    const failMode = values['fail-mode'] ?? 'drop';
    if (failMode !== 'drop' && failMode !== 'observe') throw new UsageError(`--fail-mode is drop or observe, got '${failMode}'`);
    const timeLimit = positiveNumber('--time-limit', values['time-limit']);
    const memoryLimit = positiveNumber('--memory-limit', values['memory-limit']);

    let initial: EdnValue | undefined;
    if (values.initial !== undefined) {
      try {
        initial = parseInitial(values.initial);
      } catch (e) {
        throw new UsageError(`--initial is not valid EDN: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const spec: ModelSpec = {
      name: modelName,
      ...(initial === undefined ? {} : { initial }),
      ...(values.independent === true ? { independent: true } : {}),
    };
    let model;
    try {
      model = makeModel(spec);
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }

    const text = await readInput(file, io.stdin);
    const options: CheckOptions = {
      failMode,
      ...(timeLimit === undefined ? {} : { timeLimitMs: timeLimit * 1000 }),
      ...(memoryLimit === undefined ? {} : { maxCacheBytes: memoryLimit * 1024 * 1024 }),
    };
    let result;
    try {
      result = checkHistory(parseHistory(text), model, options);
    } catch (e) {
      if (e instanceof HistoryError || e instanceof ModelError) throw new UsageError(`${file}: ${e.message}`);
      throw e;
    }
    io.stdout.write(`${JSON.stringify({ ...result, file })}\n`);
    return result.valid === true ? 0 : result.valid === false ? 1 : 2;
  },
};
