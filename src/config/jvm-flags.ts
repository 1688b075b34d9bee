// Many 3.8 settings exist only as Java system properties, set with -Dkey=value in SERVER_JVMFLAGS or
// JVMFLAGS (zkServer.sh runs `java ... $SERVER_JVMFLAGS $JVMFLAGS`). Deployments carry those variables
// over unchanged, so we read the same strings: the -D properties become our settings, the heap limit
// is kept for sizing decisions, and every other JVM option is accepted and ignored.

import { ConfigError } from './errors.js';

export interface JvmFlags {
  /** -Dkey=value pairs; a later flag overrides an earlier one, as with `java`. `-Dkey` gives "". */
  readonly systemProperties: Readonly<Record<string, string>>;
  /** The last -Xmx value as written (e.g. "2G", "512m"), or null when there is none. */
  readonly maxHeap: string | null;
  /** Everything that is neither -D nor -Xmx, in order. */
  readonly otherOptions: readonly string[];
}

/**
 * Splits a flags string into words the way a shell does for quoting: whitespace separates words,
 * single quotes keep everything literally, double quotes keep everything but `\"`, `\\`, `\$` and
 * `` \` `` escapes, and outside quotes a backslash escapes the next character. No expansion happens.
 */
export function splitShellWords(flags: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let i = 0;
  while (i < flags.length) {
    const c = flags.charAt(i);
    if (c === "'") {
      const end = flags.indexOf("'", i + 1);
      if (end < 0) throw new ConfigError(`unterminated single quote in JVM flags: ${flags}`, { origin: { kind: 'jvmFlags' } });
      current += flags.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < flags.length) {
        const d = flags.charAt(i);
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < flags.length && '"\\$`\n'.includes(flags.charAt(i + 1))) {
          const escaped = flags.charAt(i + 1);
          if (escaped !== '\n') current += escaped;
          i += 2;
          continue;
        }
        current += d;
        i++;
      }
      if (!closed) throw new ConfigError(`unterminated double quote in JVM flags: ${flags}`, { origin: { kind: 'jvmFlags' } });
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 < flags.length) {
        const escaped = flags.charAt(i + 1);
        // A backslash-newline is a line continuation, not a character.
        if (escaped !== '\n') {
          current += escaped;
          inWord = true;
        }
        i += 2;
      } else {
        current += '\\';
        inWord = true;
        i++;
      }
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
      i++;
    } else {
      current += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/** Extracts -D system properties and the -Xmx heap size from a SERVER_JVMFLAGS / JVMFLAGS string. */
export function parseJvmFlags(flags: string): JvmFlags {
  // A Map, not an object literal, so that a key such as "__proto__" is stored like any other.
  const systemProperties = new Map<string, string>();
  let maxHeap: string | null = null;
  const otherOptions: string[] = [];
  for (const word of splitShellWords(flags)) {
    if (word.startsWith('-D') && word.length > 2 && !word.startsWith('-D=')) {
      const eq = word.indexOf('=');
      const key = eq < 0 ? word.slice(2) : word.slice(2, eq);
      systemProperties.delete(key); // keep "last one wins" visible in iteration order too
      systemProperties.set(key, eq < 0 ? '' : word.slice(eq + 1));
    } else if (word.startsWith('-Xmx') && word.length > 4) {
      maxHeap = word.slice(4);
    } else {
      otherOptions.push(word);
    }
  }
  return Object.freeze({
    systemProperties: Object.freeze(Object.fromEntries(systemProperties)),
    maxHeap,
    otherOptions: Object.freeze(otherOptions),
  });
}

/** Converts a JVM size such as "512m", "2G" or "1048576" to bytes; null when it is not one. */
export function jvmSizeToBytes(size: string): number | null {
  const match = /^(\d+)([kKmMgGtT]?)$/.exec(size);
  if (match === null) return null;
  const digits = match[1] ?? '';
  const unit = (match[2] ?? '').toLowerCase();
  const multiplier = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : unit === 't' ? 1024 ** 4 : 1;
  const bytes = Number(digits) * multiplier;
  return Number.isSafeInteger(bytes) ? bytes : null;
}
