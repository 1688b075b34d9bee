// zkCli's main program (ZooKeeperMain of 3.8): `[-server host:port,...] [-timeout ms] [-r]
// [-waitforconnection] [cmd args]`. With a command it runs that one command and exits with its code;
// without, it reads commands line by line until EOF or quit. On a terminal it shows 3.8's JLine
// prompt `[zk: host:port(CONNECTED) 3] ` with line editing, completion of commands and znode paths
// and a history kept in a file; otherwise it reads stdin silently, as Debian's zkCli (no JLine) does.

import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { ZooKeeperClient } from '../client.js';
import { IllegalArgumentError, ZooKeeperError } from '../errors.js';
import type { WatchedEvent } from '../types.js';
import { CliParseError, JavaNumberFormatError, decodeJavaInt, parseJavaInt, splitCommandLine } from './command-line.js';
import { COMMANDS, CliError, FatalError, type CliCommand, type CommandContext } from './commands.js';

export interface ShellIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** stdin and stdout are a terminal: prompt, line editing, completion and the history file. */
  readonly terminal: boolean;
  /** Where the terminal's line history is kept (e.g. ~/.zk_ts_history); undefined keeps none. */
  readonly historyFile: string | undefined;
  /** Java's Date.toString of an epoch-milliseconds time, in the local time zone. */
  readonly formatTime: (epochMs: bigint) => string;
  /** What `version` prints after "ZooKeeper CLI version: ". */
  readonly version: string;
  /** Ends the process at once (Ctrl-C at the prompt). */
  readonly exit: (code: number) => void;
}

const SHELL_COMMANDS: ReadonlyMap<string, string> = new Map([
  ['connect', 'host:port'],
  ['history', ''],
  ['redo', 'cmdno'],
  ['printwatches', 'on|off'],
  ['quit', ''],
]);

const COMMANDS_BY_NAME: ReadonlyMap<string, CliCommand> = new Map(COMMANDS.map((c) => [c.name, c]));

/** Every command name with its option string, as `usage` lists them. */
const COMMAND_MAP: ReadonlyMap<string, string> = new Map([...SHELL_COMMANDS, ...COMMANDS.map((c): [string, string] => [c.name, c.optionStr])]);

const HISTORY_SIZE = 500;

/** `quit`: leave with this exit code. */
class Quit {
  constructor(readonly code: number) {}
}

/** Runs zkCli with these arguments; resolves with the exit code. */
export async function runZkCli(argv: readonly string[], io: ShellIo): Promise<number> {
  const shell = new Shell(io);
  try {
    return await shell.main(argv);
  } catch (error) {
    if (error instanceof Quit) return error.code;
    const message =
      error instanceof FatalError || error instanceof JavaNumberFormatError
        ? error.message
        : error instanceof Error
          ? `${error.name}: ${error.message}`
          : String(error);
    io.stderr.write(`Exception in thread "main" ${message}\n`);
    return 1;
  } finally {
    shell.dispose();
  }
}

class Shell {
  readonly #io: ShellIo;
  readonly #options = new Map<string, string>([
    ['server', 'localhost:2181'],
    ['timeout', '30000'],
  ]);
  /** The last command parsed (ZooKeeperMain's `cl`): a line without words runs it again, as in 3.8. */
  #command: string | undefined;
  #cmdArgs: string[] | undefined;
  readonly #history = new Map<number, string>();
  #commandCount = 0;
  #printWatches = true;
  #exitCode = 0;
  #host = '';
  #zk: ZooKeeperClient | undefined;
  #rl: Interface | undefined;
  /** Waiting at the prompt: output that arrives now must redraw the prompt. */
  #idle = false;

  constructor(io: ShellIo) {
    this.#io = io;
  }

  dispose(): void {
    this.#rl?.close();
  }

  async main(argv: readonly string[]): Promise<number> {
    this.#parseArguments(argv);
    this.#out(`Connecting to ${this.#options.get('server') ?? ''}`);
    await this.#connect(this.#options.get('server') ?? '');
    if (this.#command === undefined) {
      this.#out('Welcome to ZooKeeper!');
      if (this.#io.terminal) {
        this.#out('JLine support is enabled');
        await this.#terminalLoop();
      } else {
        this.#out('JLine support is disabled');
        await this.#pipeLoop();
      }
    } else {
      await this.#processCmd(this.#cmdArgs ?? []);
    }
    return this.#exitCode;
  }

  // ---- output -----------------------------------------------------------------------------------

  #out(line: string): void {
    this.#io.stdout.write(`${line}\n`);
  }

  #err(line: string): void {
    this.#io.stderr.write(`${line}\n`);
  }

  #context(zk: ZooKeeperClient): CommandContext {
    return {
      zk,
      out: (line) => this.#out(line),
      outRaw: (text) => this.#io.stdout.write(text),
      err: (line) => this.#err(line),
      formatTime: this.#io.formatTime,
      version: this.#io.version,
    };
  }

  #usage(): void {
    this.#err('ZooKeeper -server host:port -client-configuration properties-file cmd args');
    for (const name of [...COMMAND_MAP.keys()].sort()) this.#err(`\t${name} ${COMMAND_MAP.get(name) ?? ''}`);
  }

  #onEvent(event: WatchedEvent): void {
    if (!this.#printWatches) return;
    const text = `\nWATCHER::\n\nWatchedEvent state:${event.state} type:${event.type} path:${event.path ?? 'null'}\n`;
    const rl = this.#rl;
    if (this.#idle && rl !== undefined) {
      // Print above the line being edited, then draw the prompt (with its new state) again.
      this.#io.stdout.write(`\r\x1b[K${text}`);
      rl.setPrompt(this.#prompt());
      rl.prompt(true);
      return;
    }
    this.#io.stdout.write(text);
  }

  #prompt(): string {
    return `[zk: ${this.#host}(${this.#zk?.state ?? 'CLOSED'}) ${String(this.#commandCount)}] `;
  }

  // ---- arguments and connection -----------------------------------------------------------------

  #parseArguments(argv: readonly string[]): void {
    const withValue = new Map([
      ['-server', 'server'],
      ['-timeout', 'timeout'],
      ['-client-configuration', 'client-configuration'],
    ]);
    for (let i = 0; i < argv.length; i++) {
      const opt = argv[i] ?? '';
      const key = withValue.get(opt);
      if (key !== undefined) {
        const value = argv[i + 1];
        if (value === undefined) {
          this.#err(`Error: no argument found for option ${opt}`);
          return;
        }
        this.#options.set(key, value);
        i++;
      } else if (opt === '-r') {
        this.#options.set('readonly', 'true');
      } else if (opt === '-waitforconnection') {
        this.#options.set('waitforconnection', 'true');
      }
      if (!opt.startsWith('-')) {
        this.#command = opt;
        this.#cmdArgs = argv.slice(i);
        return;
      }
    }
  }

  async #connect(host: string): Promise<void> {
    if (this.#zk?.isAlive() === true) await this.#zk.close();
    this.#host = host;
    const timeout = parseJavaInt(this.#options.get('timeout') ?? '');
    let zk: ZooKeeperClient;
    try {
      zk = new ZooKeeperClient(host, {
        sessionTimeoutMs: timeout,
        readOnly: this.#options.has('readonly'),
        watcher: (event) => this.#onEvent(event),
      });
    } catch (error) {
      if (error instanceof IllegalArgumentError) throw new FatalError(`java.lang.IllegalArgumentException: ${error.message}`);
      throw error;
    }
    this.#zk = zk;
    if (this.#options.has('waitforconnection')) {
      try {
        await zk.waitConnected(timeout);
      } catch {
        await zk.close();
        throw new FatalError('java.io.IOException: org.apache.zookeeper.KeeperException$ConnectionLossException: KeeperErrorCode = ConnectionLoss');
      }
    }
  }

  // ---- commands ---------------------------------------------------------------------------------

  /** ZooKeeperMain.MyCommandOptions.parseCommand: keeps the previous command when the line has no word. */
  #parseCommand(line: string): boolean {
    const words = splitCommandLine(line);
    if (words.length === 0) return false;
    this.#command = words[0];
    this.#cmdArgs = words;
    return true;
  }

  async #executeLine(line: string): Promise<void> {
    if (line === '') return;
    this.#parseCommand(line);
    this.#history.set(this.#commandCount, line);
    await this.#processCmd(this.#cmdArgs ?? []);
    this.#commandCount++;
  }

  async #processCmd(words: readonly string[]): Promise<void> {
    try {
      await this.#processZKCmd([...words]);
      this.#exitCode = 0;
    } catch (error) {
      if (error instanceof CliError) {
        this.#exitCode = error.exitCode;
        this.#err(error.message);
      } else if (error instanceof CliParseError) {
        this.#exitCode = 1;
        this.#err(error.message);
      } else {
        throw error;
      }
    }
  }

  async #processZKCmd(words: string[]): Promise<void> {
    const cmd = words[0];
    if (cmd === undefined) {
      this.#usage();
      throw new CliError('No command entered');
    }
    if (!COMMAND_MAP.has(cmd)) {
      this.#usage();
      throw new CliError(`Command not found: Command not found ${cmd}`, 127);
    }
    if (cmd === 'quit') {
      await this.#zk?.close();
      throw new Quit(this.#exitCode);
    } else if (cmd === 'redo' && words.length >= 2) {
      const index = decodeJavaInt(words[1] ?? '');
      if (this.#commandCount <= index || index < 0) throw new CliError('Command index out of range');
      const line = this.#history.get(index) ?? '';
      this.#parseCommand(line);
      if (this.#command === 'redo') throw new CliError('No redoing redos');
      this.#history.set(this.#commandCount, line);
      await this.#processCmd(this.#cmdArgs ?? []);
    } else if (cmd === 'history') {
      for (let i = this.#commandCount - 10; i <= this.#commandCount; i++) {
        if (i >= 0) this.#out(`${String(i)} - ${this.#history.get(i) ?? 'null'}`);
      }
    } else if (cmd === 'printwatches') {
      if (words.length === 1) this.#out(`printwatches is ${this.#printWatches ? 'on' : 'off'}`);
      else this.#printWatches = words[1] === 'on';
    } else if (cmd === 'connect') {
      await this.#connect(words.length >= 2 ? (words[1] ?? '') : this.#host);
    }
    const zk = this.#zk;
    if (zk?.isAlive() !== true) {
      this.#out('Not connected');
      return;
    }
    await COMMANDS_BY_NAME.get(cmd)?.run(this.#context(zk), words);
  }

  // ---- input loops ------------------------------------------------------------------------------

  async #pipeLoop(): Promise<void> {
    const rl = createInterface({ input: this.#io.stdin, terminal: false, crlfDelay: Infinity });
    this.#rl = rl;
    for await (const line of rl) await this.#executeLine(line);
  }

  async #terminalLoop(): Promise<void> {
    const history = this.#loadHistory();
    const rl = createInterface({
      input: this.#io.stdin,
      output: this.#io.stdout,
      terminal: true,
      history,
      historySize: HISTORY_SIZE,
      completer: (line: string, callback: (err: null, result: [string[], string]) => void) => this.#complete(line, callback),
    });
    this.#rl = rl;
    rl.on('history', (lines: string[]) => this.#saveHistory(lines));
    rl.on('SIGINT', () => this.#io.exit(130));
    // Give the first connection a moment, so the first prompt shows where we stand.
    await this.#zk?.waitConnected(Math.min(2000, parseJavaInt(this.#options.get('timeout') ?? '30000'))).catch(() => undefined);
    rl.setPrompt(this.#prompt());
    rl.prompt();
    this.#idle = true;
    for await (const line of rl) {
      this.#idle = false;
      await this.#executeLine(line);
      rl.setPrompt(this.#prompt());
      rl.prompt();
      this.#idle = true;
    }
  }

  #complete(line: string, callback: (err: null, result: [string[], string]) => void): void {
    const words = line.split(' ');
    const token = words[words.length - 1] ?? '';
    if (words.length === 1) {
      callback(null, [[...COMMAND_MAP.keys()].sort().filter((c) => c.startsWith(token)).map((c) => `${c} `), token]);
      return;
    }
    const zk = this.#zk;
    if (!token.startsWith('/') || zk?.isConnected() !== true) {
      callback(null, [[], token]);
      return;
    }
    const slash = token.lastIndexOf('/');
    const dir = slash === 0 ? '/' : token.slice(0, slash);
    const prefix = token.slice(slash + 1);
    zk.getChildren(dir).then(
      ({ children }) => {
        const base = dir === '/' ? '/' : `${dir}/`;
        callback(null, [children.filter((c) => c.startsWith(prefix)).sort().map((c) => base + c), token]);
      },
      (error: unknown) => {
        if (!(error instanceof ZooKeeperError) && !(error instanceof IllegalArgumentError)) throw error;
        callback(null, [[], token]);
      },
    );
  }

  #loadHistory(): string[] {
    const file = this.#io.historyFile;
    if (file === undefined) return [];
    try {
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .slice(-HISTORY_SIZE)
        .reverse();
    } catch {
      return [];
    }
  }

  #saveHistory(lines: readonly string[]): void {
    const file = this.#io.historyFile;
    if (file === undefined) return;
    try {
      writeFileSync(file, `${[...lines].reverse().join('\n')}\n`, { mode: 0o600 });
    } catch {
      // A history that cannot be saved is not worth failing a command for.
    }
  }
}
