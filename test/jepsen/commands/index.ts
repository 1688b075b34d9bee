/**
 * The subcommand registry and dispatcher of `npm run -s jepsen -- <command> [options]`.
 * Exit code 3: bad arguments or unreadable input (message on stderr); other codes are the
 * command's own.
 */
import { calibrateCommand } from './calibrate.js';
import { checkCommand } from './check.js';
import { EXIT_USAGE, UsageError, type Command, type CommandIO } from './command.js';
import { testCommand } from './test.js';

/** The subcommands; add new ones here. */
export const COMMANDS: readonly Command[] = [checkCommand, testCommand, calibrateCommand];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: npm run -s jepsen -- <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "run 'npm run -s jepsen -- <command> --help' for a command's options",
  ].join('\n');
}

export async function runCli(args: readonly string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(`${help()}\n`);
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`jepsen: unknown command '${name}'\n\n${help()}\n`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`jepsen ${command.name}: ${e.message}\n(see 'npm run -s jepsen -- ${command.name} --help')\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}
