import { describe, expect, it } from 'vitest';
import { javaDecodeInt, javaDecodeLong, javaFilePath, javaParseBoolean, javaParseInt, javaParseLong, javaSplit, javaTrim } from './java-values.js';

describe('JDK parsing rules', () => {
  it('String.trim strips control characters and spaces only', () => {
    expect(javaTrim(' \t\u0001a b\u0000\n')).toBe('a b');
    expect(javaTrim('\u00a0a\u00a0')).toBe('\u00a0a\u00a0');
  });

  it('String.split drops trailing empty strings', () => {
    expect(javaSplit('a:b::', ':')).toEqual(['a', 'b']);
    expect(javaSplit(':a', ':')).toEqual(['', 'a']);
    expect(javaSplit('', ':')).toEqual(['']);
    expect(javaSplit(':::', ':')).toEqual([]);
  });

  it('Integer.parseInt accepts a sign and leading zeros, within 32 bits', () => {
    expect(javaParseInt('+42')).toBe(42);
    expect(javaParseInt('-0')).toBe(0);
    expect(Object.is(javaParseInt('-0'), -0)).toBe(false);
    expect(javaParseInt('007')).toBe(7);
    expect(javaParseInt('2147483647')).toBe(2147483647);
    expect(javaParseInt('-2147483648')).toBe(-2147483648);
    expect(javaParseInt('2147483648')).toBeUndefined();
    for (const bad of ['', ' 1', '1 ', '0x10', '1.0', '1e3', '+', '--1']) expect(javaParseInt(bad)).toBeUndefined();
  });

  it('Long.parseLong works on 64 bits', () => {
    expect(javaParseLong('9223372036854775807')).toBe(9223372036854775807n);
    expect(javaParseLong('9223372036854775808')).toBeUndefined();
    expect(javaParseLong('ff', 16)).toBe(255n);
  });

  it('Integer.decode understands hex, # and octal', () => {
    expect(javaDecodeInt('0xfffff')).toBe(0xfffff);
    expect(javaDecodeInt('0X10')).toBe(16);
    expect(javaDecodeInt('#10')).toBe(16);
    expect(javaDecodeInt('010')).toBe(8);
    expect(javaDecodeInt('0')).toBe(0);
    expect(javaDecodeInt('-0x10')).toBe(-16);
    expect(javaDecodeInt('+10')).toBe(10);
    for (const bad of ['', '0x', '08', '0x-1', '-+1', '1MB', ' 1']) expect(javaDecodeInt(bad)).toBeUndefined();
    expect(javaDecodeLong('4194304')).toBe(4194304);
    expect(javaDecodeLong('0x100000000')).toBe(0x100000000);
    expect(javaDecodeLong('x')).toBeUndefined();
  });

  it('Boolean.parseBoolean is true only for "true" in any case', () => {
    expect(javaParseBoolean('TRUE')).toBe(true);
    expect(javaParseBoolean('yes')).toBe(false);
    expect(javaParseBoolean(undefined)).toBe(false);
  });

  it('java.io.File collapses slashes and drops a trailing one', () => {
    expect(javaFilePath('/a//b///c/')).toBe('/a/b/c');
    expect(javaFilePath('/')).toBe('/');
    expect(javaFilePath('//')).toBe('/');
    expect(javaFilePath('./x/../y')).toBe('./x/../y');
  });
});
