// Operators move zoo.cfg files and JVM flags between Apache ZooKeeper and this server, so a value must
// mean the same thing to both. These helpers reproduce the few JDK parsing rules 3.8 relies on
// (String.trim, String.split, Integer.parseInt, Integer.decode, java.io.File path normalisation),
// including their edge cases, instead of JavaScript's more lenient conversions.

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/** String.trim: strips every char <= U+0020 from both ends. */
export function javaTrim(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) <= 0x20) start++;
  while (end > start && value.charCodeAt(end - 1) <= 0x20) end--;
  return value.slice(start, end);
}

/**
 * String.split(literal) with limit 0: trailing empty strings are removed; an empty input gives [""].
 * The separator is a literal (all of 3.8's separators used here are).
 */
export function javaSplit(value: string, separator: string): string[] {
  if (value === '') return [''];
  const parts = value.split(separator);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Integer.parseInt(s, radix) for ASCII digits; undefined where Java throws NumberFormatException. */
export function javaParseInt(value: string, radix = 10): number | undefined {
  const parsed = parseSignedDigits(value, radix);
  if (parsed === undefined || parsed < INT_MIN || parsed > INT_MAX) return undefined;
  return parsed;
}

/** Long.parseLong(s) as a bigint; undefined where Java throws NumberFormatException. */
export function javaParseLong(value: string, radix = 10): bigint | undefined {
  const pattern = radix === 16 ? /^[+-]?[0-9a-fA-F]+$/ : /^[+-]?[0-9]+$/;
  if (!pattern.test(value)) return undefined;
  const negative = value.startsWith('-');
  const digits = value.replace(/^[+-]/, '');
  const magnitude = BigInt(radix === 16 ? `0x${digits}` : digits);
  const result = negative ? -magnitude : magnitude;
  if (result < -(2n ** 63n) || result > 2n ** 63n - 1n) return undefined;
  return result;
}

function parseSignedDigits(value: string, radix: number): number | undefined {
  const pattern = radix === 16 ? /^[+-]?[0-9a-fA-F]+$/ : radix === 8 ? /^[+-]?[0-7]+$/ : /^[+-]?[0-9]+$/;
  if (!pattern.test(value)) return undefined;
  const negative = value.startsWith('-');
  const digits = value.replace(/^[+-]/, '');
  const magnitude = Number.parseInt(digits, radix);
  if (!Number.isFinite(magnitude)) return undefined;
  return negative ? 0 - magnitude : magnitude;
}

/** Sign, radix and digits of a number in Integer.decode / Long.decode syntax; undefined if malformed. */
function decodeParts(value: string): { negative: boolean; radix: number; digits: string } | undefined {
  if (value === '') return undefined;
  let index = 0;
  let negative = false;
  if (value[0] === '-') {
    negative = true;
    index = 1;
  } else if (value[0] === '+') {
    index = 1;
  }
  let radix = 10;
  if (value.startsWith('0x', index) || value.startsWith('0X', index)) {
    index += 2;
    radix = 16;
  } else if (value.startsWith('#', index)) {
    index += 1;
    radix = 16;
  } else if (value.startsWith('0', index) && value.length > index + 1) {
    index += 1;
    radix = 8;
  }
  const digits = value.slice(index);
  const pattern = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  return pattern.test(digits) ? { negative, radix, digits } : undefined;
}

/**
 * Integer.decode, which Integer.getInteger uses for numeric system properties: optional sign, then
 * `0x`/`0X`/`#` for hex, a leading `0` for octal, else decimal. Undefined where Java throws.
 */
export function javaDecodeInt(value: string): number | undefined {
  const parts = decodeParts(value);
  return parts === undefined ? undefined : javaParseInt(`${parts.negative ? '-' : ''}${parts.digits}`, parts.radix);
}

/** Long.decode (used by Long.getLong), as a number; undefined where Java throws or beyond 2^53. */
export function javaDecodeLong(value: string): number | undefined {
  const parts = decodeParts(value);
  if (parts === undefined) return undefined;
  const prefix = parts.radix === 16 ? '0x' : parts.radix === 8 ? '0o' : '';
  const magnitude = BigInt(`${prefix}${parts.digits}`);
  const result = parts.negative ? -magnitude : magnitude;
  if (result < -(2n ** 63n) || result > 2n ** 63n - 1n) return undefined;
  if (result < BigInt(Number.MIN_SAFE_INTEGER) || result > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return Number(result);
}

/** Boolean.parseBoolean: true only for "true", ignoring case. */
export function javaParseBoolean(value: string | undefined): boolean {
  return value !== undefined && value.toLowerCase() === 'true';
}

/**
 * java.io.File's normalisation of a Unix path string, which is what 3.8 prints and uses: repeated
 * slashes collapse and a trailing slash goes; `.` and `..` stay.
 */
export function javaFilePath(value: string): string {
  const collapsed = value.replace(/\/{2,}/g, '/');
  return collapsed.length > 1 && collapsed.endsWith('/') ? collapsed.slice(0, -1) : collapsed;
}
