/**
 * The shape of a `npm run jepsen -- <command>` subcommand. To add one, export a Command from a
 * file in this folder and list it in COMMANDS in ./index.ts.
 */

/** Where a command reads and writes (the process's streams, or buffers in tests). */
export interface CommandIO {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly stdin: AsyncIterable<Buffer | string>;
}

export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Full usage text, printed for `<command> --help`. */
  readonly usage: string;
  /** Runs the command with the arguments after its name; resolves to the process exit code. */
  run(args: readonly string[], io: CommandIO): Promise<number>;
}

/** Bad arguments or unreadable input: the CLI prints the message on stderr and exits with 3. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT_USAGE = 3;
export const EXIT_INTERNAL = 4;
