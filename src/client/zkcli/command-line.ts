// How zkCli 3.8 reads a command: the line split into words (ZooKeeperMain's pattern: a word, or a
// "double" or 'single' quoted string whose quotes are dropped), then each command's options parsed
// with the rules of Apache Commons CLI 1.5's DefaultParser (clustered flags -sw, values attached
// -v5 or separate -v 5, "--" ending the options, options allowed after arguments), with its error
// messages. Numbers are parsed as Java's Integer.parseInt / Long.parseLong / Integer.decode do.

/** Java's \s and \S (ASCII whitespace only). */
const WS = '[ \\t\\n\\x0B\\f\\r]';
const NON_WS = '[^ \\t\\n\\x0B\\f\\r]';
const ARGS_PATTERN = new RegExp(`${WS}*([^"']${NON_WS}*|"[^"]*"|'[^']*')${WS}*`, 'gu');
const QUOTED_PATTERN = /^(['"])(.*)\1$/u;

/** The words of an interactive line, or an empty list when there are none. */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(ARGS_PATTERN)) {
    let word = match[1] ?? '';
    if (QUOTED_PATTERN.test(word)) word = word.slice(1, -1);
    words.push(word);
  }
  return words;
}

export interface OptionSpec {
  /** The option's name without the dash ("s", "v", "file"). */
  readonly name: string;
  readonly hasArg: boolean;
}

export interface ParsedOptions {
  /** Non-option words, the command name first. */
  readonly args: readonly string[];
  has(name: string): boolean;
  /** The first value given for the option. */
  value(name: string): string | undefined;
}

/** A ParseException of Commons CLI; `message` is what zkCli prints (the exception's toString()). */
export class CliParseError extends Error {
  override readonly name = 'CliParseError';
}

function unrecognized(token: string): CliParseError {
  return new CliParseError(`org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: ${token}`);
}

function missingArgument(name: string): CliParseError {
  return new CliParseError(`org.apache.commons.cli.MissingArgumentException: Missing argument for option: ${name}`);
}

/** DefaultParser.parse(options, tokens) for options without long names. */
export function parseOptions(specs: readonly OptionSpec[], tokens: readonly string[]): ParsedOptions {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map<string, string[]>();
  const args: string[] = [];
  /** The option waiting for its value. */
  let current: OptionSpec | undefined;
  let currentValues: string[] = [];
  let skipRest = false;

  const isShortOption = (token: string): boolean => {
    if (!token.startsWith('-') || token.length === 1) return false;
    const eq = token.indexOf('=');
    const name = eq === -1 ? token.slice(1) : token.slice(1, eq);
    return byName.has(name) || (name.length > 0 && byName.has(name.charAt(0)));
  };
  const isNegativeNumber = (token: string): boolean => /^-(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?)$/u.test(token);
  const isArgument = (token: string): boolean => !isShortOption(token) || isNegativeNumber(token);
  const checkRequiredArgs = (): void => {
    if (current !== undefined && current.hasArg && currentValues.length === 0) throw missingArgument(current.name);
  };
  const handleOption = (spec: OptionSpec): void => {
    checkRequiredArgs();
    if (!values.has(spec.name)) values.set(spec.name, []);
    current = spec.hasArg ? spec : undefined;
    currentValues = [];
  };
  const addValue = (value: string): void => {
    if (current === undefined) return;
    currentValues.push(value);
    const list = values.get(current.name) ?? [];
    list.push(value);
    values.set(current.name, list);
    // An option takes one value: once it has it, later words are arguments again.
    current = undefined;
  };
  const handleUnknown = (token: string): void => {
    if (token.startsWith('-') && token.length > 1) throw unrecognized(token);
    args.push(token);
  };

  for (const token of tokens) {
    if (skipRest) {
      args.push(token);
    } else if (token === '--') {
      skipRest = true;
    } else if (current !== undefined && isArgument(token)) {
      addValue(stripQuotes(token));
    } else if (token.startsWith('--')) {
      // No command has long options: any "--x" is unknown.
      handleUnknown(token);
    } else if (token.startsWith('-') && token !== '-') {
      const t = token.slice(1);
      const eq = t.indexOf('=');
      if (t.length === 1) {
        const spec = byName.get(t);
        if (spec === undefined) handleUnknown(token);
        else handleOption(spec);
      } else if (eq === -1) {
        const spec = byName.get(t);
        if (spec !== undefined) {
          handleOption(spec);
        } else {
          // -S1S2S3 or -S1S2V: flags run together, the first option taking a value ends the cluster.
          for (let i = 1; i < token.length; i++) {
            const s = byName.get(token.charAt(i));
            if (s === undefined) {
              handleUnknown(token);
              break;
            }
            handleOption(s);
            if (current !== undefined && token.length !== i + 1) {
              addValue(token.slice(i + 1));
              break;
            }
          }
        }
      } else {
        const name = t.slice(0, eq);
        const spec = name.length === 1 ? byName.get(name) : undefined;
        if (spec?.hasArg === true) {
          handleOption(spec);
          addValue(t.slice(eq + 1));
        } else {
          handleUnknown(token);
        }
      }
    } else {
      handleUnknown(token);
    }
    if (current !== undefined && !current.hasArg) current = undefined;
  }
  checkRequiredArgs();
  return {
    args,
    has: (name) => values.has(name),
    value: (name) => values.get(name)?.[0],
  };
}

/** Commons CLI drops the double quotes around an option value that has no other double quote. */
function stripQuotes(token: string): string {
  if (token.length > 1 && token.startsWith('"') && token.endsWith('"') && !token.slice(1, -1).includes('"')) return token.slice(1, -1);
  return token;
}

/** A java.lang.NumberFormatException, which zkCli does not catch in most places. */
export class JavaNumberFormatError extends Error {
  override readonly name = 'JavaNumberFormatError';
  constructor(message: string) {
    super(`java.lang.NumberFormatException: ${message}`);
  }
}

const forInput = (text: string): JavaNumberFormatError => new JavaNumberFormatError(`For input string: "${text}"`);

/** Long.parseLong: an optional sign and decimal digits, within 64 bits. */
export function parseJavaLong(text: string): bigint {
  if (!/^[+-]?\d+$/u.test(text)) throw forInput(text);
  const value = BigInt(text);
  if (value < -(2n ** 63n) || value >= 2n ** 63n) throw forInput(text);
  return value;
}

/** Integer.parseInt: an optional sign and decimal digits, within 32 bits. */
export function parseJavaInt(text: string): number {
  if (!/^[+-]?\d+$/u.test(text)) throw forInput(text);
  const value = BigInt(text);
  if (value < -(2n ** 31n) || value >= 2n ** 31n) throw forInput(text);
  return Number(value);
}

/** Integer.decode: decimal, 0x/0X/# hex or 0 octal, with an optional sign. */
export function decodeJavaInt(text: string): number {
  if (text.length === 0) throw new JavaNumberFormatError('Zero length string');
  let i = 0;
  let negative = false;
  if (text[0] === '-' || text[0] === '+') {
    negative = text[0] === '-';
    i = 1;
  }
  let radix = 10;
  if (text.startsWith('0x', i) || text.startsWith('0X', i)) {
    radix = 16;
    i += 2;
  } else if (text.startsWith('#', i)) {
    radix = 16;
    i += 1;
  } else if (text.startsWith('0', i) && text.length > i + 1) {
    radix = 8;
    i += 1;
  }
  const digits = text.slice(i);
  if (digits.startsWith('-') || digits.startsWith('+')) throw new JavaNumberFormatError('Sign character in wrong position');
  const pattern = radix === 16 ? /^[0-9a-fA-F]+$/u : radix === 8 ? /^[0-7]+$/u : /^\d+$/u;
  if (!pattern.test(digits)) throw new JavaNumberFormatError(`For input string: "${digits}"${radix === 10 ? '' : ` under radix ${String(radix)}`}`);
  const magnitude = BigInt(radix === 16 ? `0x${digits}` : radix === 8 ? `0o${digits}` : digits);
  const value = negative ? -magnitude : magnitude;
  if (value < -(2n ** 31n) || value >= 2n ** 31n) {
    throw new JavaNumberFormatError(`For input string: "${negative ? '-' : ''}${digits}"${radix === 10 ? '' : ` under radix ${String(radix)}`}`);
  }
  return Number(value);
}
