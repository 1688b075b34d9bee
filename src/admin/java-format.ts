/**
 * Pure helpers reproducing how ZooKeeper 3.8 (a Java program) renders values:
 * Double.toString, Long.toHexString, Date.toString, InetSocketAddress.toString,
 * AvgMinMaxCounter's rounded average and the iteration order of Java hash maps.
 * No clocks, no I/O.
 */

import { javaHostAddress } from '../lib/ip-address.js';
import type { SummaryStats } from './admin-view.js';

/** Integer rendering of a Java long/int value (truncates a stray fraction). */
export function javaLong(value: number): string {
  if (!Number.isFinite(value)) return '0';
  const t = Math.trunc(value);
  return (Object.is(t, -0) ? 0 : t).toString();
}

/** Java's `Long.toHexString`: lowercase, no padding, negative values in 64-bit two's complement. */
export function javaHexLong(value: bigint): string {
  return BigInt.asUintN(64, value).toString(16);
}

/** Java's `Long.toString` for a bigint (signed 64-bit). */
export function javaSignedLong(value: bigint): string {
  return BigInt.asIntN(64, value).toString();
}

/**
 * Java's `Double.toString`: at least one digit after the point, plain
 * notation for 1e-3 <= |d| < 1e7, otherwise `<mantissa>E<exponent>`.
 * Uses the shortest round-trip digits (as JavaScript does); Java 17 agrees for
 * the values the four-letter words print.
 */
export function javaDouble(d: number): string {
  if (Number.isNaN(d)) return 'NaN';
  if (d === Infinity) return 'Infinity';
  if (d === -Infinity) return '-Infinity';
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(d);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = d.toString();
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa = '', exponent = ''] = d.toExponential().split('e');
  const m = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  return `${m}E${exponent.startsWith('+') ? exponent.slice(1) : exponent}`;
}

/**
 * `new BigDecimal(x).setScale(4, RoundingMode.HALF_UP).doubleValue()`: rounds
 * the exact binary value of `x` to 4 decimals, halves away from zero.
 */
export function roundHalfUp4(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exponent: number;
  if (biased === 0) {
    exponent = -1074;
  } else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  // |x| * 10^4 = mantissa * 10^4 * 2^exponent = num / den, exactly
  let num = mantissa * 10_000n;
  let den = 1n;
  if (exponent >= 0) num <<= BigInt(exponent);
  else den <<= BigInt(-exponent);
  const rounded = (2n * num + den) / (2n * den);
  const result = Number(rounded) / 10_000;
  return x < 0 ? -result : result;
}

/** 3.8's AvgMinMaxCounter average: sum / count rounded half-up to 4 decimals; 0 when empty. */
export function summaryAverage(s: SummaryStats): number {
  if (s.count <= 0) return 0;
  return roundHalfUp4(s.sum / s.count);
}

/** Min as 3.8 reports it: 0 while empty. */
export function summaryMin(s: SummaryStats): number {
  return s.count > 0 ? s.min : 0;
}

/** Max as 3.8 reports it: 0 while empty. */
export function summaryMax(s: SummaryStats): number {
  return s.count > 0 ? s.max : 0;
}

/** An empty summary. */
export const EMPTY_SUMMARY: SummaryStats = { count: 0, sum: 0, min: 0, max: 0 };

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

interface CivilTime {
  readonly year: number;
  readonly month: number; // 1..12
  readonly day: number; // 1..31
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly weekday: number; // 0 = Sunday
}

/** Splits epoch milliseconds into UTC calendar fields (proleptic Gregorian), without Date. */
export function civilFromEpochMs(epochMs: number): CivilTime {
  const totalSeconds = Math.floor(epochMs / 1000);
  const days = Math.floor(totalSeconds / 86_400);
  const secondsOfDay = totalSeconds - days * 86_400;
  // Howard Hinnant's civil_from_days
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return {
    year,
    month,
    day,
    hour: Math.floor(secondsOfDay / 3600),
    minute: Math.floor((secondsOfDay % 3600) / 60),
    second: secondsOfDay % 60,
    weekday: (((days + 4) % 7) + 7) % 7, // 1970-01-01 was a Thursday
  };
}

const pad2 = (n: number): string => n.toString().padStart(2, '0');

/** Java's `Date.toString()` on a JVM whose zone is UTC: `Thu Nov 26 07:34:38 UTC 2026`. */
export function javaDateUtc(epochMs: number): string {
  const c = civilFromEpochMs(epochMs);
  const dayName = DAY_NAMES[c.weekday] ?? 'Sun';
  const monthName = MONTH_NAMES[c.month - 1] ?? 'Jan';
  return `${dayName} ${monthName} ${pad2(c.day)} ${pad2(c.hour)}:${pad2(c.minute)}:${pad2(c.second)} UTC ${c.year}`;
}

/** ZooKeeper's build-date format, `yyyy-MM-dd HH:mm UTC`. */
export function buildDateUtc(epochMs: number): string {
  const c = civilFromEpochMs(epochMs);
  return `${c.year}-${pad2(c.month)}-${pad2(c.day)} ${pad2(c.hour)}:${pad2(c.minute)} UTC`;
}

/**
 * Java 17's `InetSocketAddress.toString()` for an accepted client socket
 * (no host name): `/127.0.0.1:40444`, `/[0:0:0:0:0:0:0:1]:40444`.
 * IPv4-mapped IPv6 addresses are shown as IPv4, as Java does.
 */
export function javaSocketAddress(address: string, port: number): string {
  const host = javaHostAddress(address);
  return host.includes(':') ? `/[${host}]:${port}` : `/${host}:${port}`;
}

/** Java's `String.hashCode()` (over UTF-16 code units). */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Java's `Long.hashCode()`. */
export function javaLongHash(v: bigint): number {
  const u = BigInt.asUintN(64, v);
  return Number(BigInt.asIntN(32, u ^ (u >> 32n)));
}

/** `HashMap`/`HashSet` (resize when size > 0.75 n) or `ConcurrentHashMap` (resize when size >= 0.75 n). */
export type JavaMapKind = 'HashMap' | 'ConcurrentHashMap';

function javaTableSize(count: number, kind: JavaMapKind): number {
  let n = 16;
  while (kind === 'HashMap' ? count > n * 0.75 : count >= n * 0.75) n *= 2;
  return n;
}

/**
 * Orders entries the way a default-sized Java hash map that grew by insertion
 * iterates them: by bucket index `(h ^ h >>> 16) & (n - 1)`, ties in the given
 * order. Exact for the small maps the four-letter words print; a map that
 * shrank after many removals (Java tables never shrink) may iterate differently.
 */
export function javaHashOrder<T>(items: readonly T[], hash: (item: T) => number, kind: JavaMapKind): T[] {
  const n = javaTableSize(items.length, kind);
  return items
    .map((item, index) => {
      const h = hash(item);
      return { item, index, bucket: (h ^ (h >>> 16)) & (n - 1) };
    })
    .sort((a, b) => a.bucket - b.bucket || a.index - b.index)
    .map((e) => e.item);
}
