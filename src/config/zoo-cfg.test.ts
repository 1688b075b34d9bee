import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { parseZooCfg } from './zoo-cfg.js';

const pairs = (text: string): [string, string, number][] => parseZooCfg(text, 'zoo.cfg').entries.map((e) => [e.key, e.value, e.line]);

describe('parseZooCfg', () => {
  it('accepts =, : and whitespace as separators, trimming around them', () => {
    expect(pairs('a=1\nb 2\nc:3\nd = 4\ne\t:\t5\n   f=6\ng  =  seven eight  \n')).toEqual([
      ['a', '1', 1],
      ['b', '2', 2],
      ['c', '3', 3],
      ['d', '4', 4],
      ['e', '5', 5],
      ['f', '6', 6],
      ['g', 'seven eight  ', 7],
    ]);
  });

  it('treats # and ! as comments only at the start of a line', () => {
    expect(pairs('# comment\n! also\n  # indented comment\nkey=value # not a comment\n')).toEqual([['key', 'value # not a comment', 4]]);
  });

  it('keeps keys without a value and empty values', () => {
    expect(pairs('lonely\nempty=\nspaces=   \n')).toEqual([
      ['lonely', '', 1],
      ['empty', '', 2],
      ['spaces', '', 3],
    ]);
  });

  it('joins continuation lines and drops the next line\'s leading whitespace', () => {
    expect(pairs('server.1=zk1:2888:\\\n      3888\nnext=1\n')).toEqual([
      ['server.1', 'zk1:2888:3888', 1],
      ['next', '1', 3],
    ]);
    // An even number of backslashes is an escaped backslash, not a continuation.
    expect(pairs('path=C:\\\\\nnext=1')).toEqual([
      ['path', 'C:\\', 1],
      ['next', '1', 2],
    ]);
    // A '#' at the start of a continuation line is data.
    expect(pairs('a=1,\\\n#2\n')).toEqual([['a', '1,#2', 1]]);
    // A trailing backslash at the end of the input is dropped.
    expect(pairs('a=b\\')).toEqual([['a', 'b', 1]]);
  });

  it('handles CRLF and lone CR line ends', () => {
    expect(pairs('a=1\r\nb=2\rc=3\r\n\r\nd=4')).toEqual([
      ['a', '1', 1],
      ['b', '2', 2],
      ['c', '3', 3],
      ['d', '4', 5],
    ]);
    expect(pairs('a=x\\\r\n  y\r\nb=2')).toEqual([
      ['a', 'xy', 1],
      ['b', '2', 3],
    ]);
  });

  it('decodes backslash escapes', () => {
    expect(pairs('k\\=ey=v\\u00e9\\t\\n\\q\nsp\\ ace=1\n')).toEqual([
      ['k=ey', 'v\u00e9\t\nq', 1],
      ['sp ace', '1', 2],
    ]);
  });

  it('reports a malformed \\u escape with file and line', () => {
    const attempt = (): unknown => parseZooCfg('ok=1\n\nbad=\\u12G4\n', '/etc/zk/zoo.cfg');
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow('/etc/zk/zoo.cfg:3: malformed \\uxxxx escape');
    expect(() => parseZooCfg('bad=\\u12', 'zoo.cfg')).toThrow('zoo.cfg:1');
  });

  it('keeps every occurrence of a repeated key, in order', () => {
    expect(pairs('a=1\na=2\n')).toEqual([
      ['a', '1', 1],
      ['a', '2', 2],
    ]);
  });

  it('returns a frozen result that keeps the text', () => {
    const parsed = parseZooCfg('a=1\n', 'x');
    expect(parsed.text).toBe('a=1\n');
    expect(parsed.source).toBe('x');
    expect(Object.isFrozen(parsed)).toBe(true);
    expect(Object.isFrozen(parsed.entries)).toBe(true);
  });
});

// Differential test against java.util.Properties itself, when a JDK is installed.
const javacAvailable = spawnSync('javac', ['-version']).status === 0;

const PROPERTIES_PROBE = `
import java.io.*;
import java.util.*;
public class PropertiesProbe {
  static String hex(String s) { StringBuilder b = new StringBuilder(); for (char c : s.toCharArray()) b.append(String.format("%04x", (int) c)); return b.toString(); }
  public static void main(String[] args) throws Exception {
    for (String path : args) {
      StringBuilder out = new StringBuilder();
      try (FileInputStream in = new FileInputStream(path)) {
        Properties p = new Properties();
        p.load(in);
        TreeMap<String, String> sorted = new TreeMap<>();
        for (String k : p.stringPropertyNames()) sorted.put(hex(k), hex(p.getProperty(k)));
        for (Map.Entry<String, String> e : sorted.entrySet()) out.append(e.getKey()).append('=').append(e.getValue()).append('\\n');
      } catch (IllegalArgumentException e) {
        out.append("ERROR\\n");
      }
      try (Writer w = new FileWriter(path + ".out")) { w.write(out.toString()); }
    }
  }
}
`;

const hex16 = (s: string): string => [...s].map((c) => (c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')).join('');

describe.skipIf(!javacAvailable)('parseZooCfg against java.util.Properties', () => {
  it('parses random property texts exactly like Properties.load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zk-props-'));
    try {
      writeFileSync(join(dir, 'PropertiesProbe.java'), PROPERTIES_PROBE);
      const compiled = spawnSync('javac', ['-d', dir, join(dir, 'PropertiesProbe.java')], { encoding: 'utf8' });
      expect(compiled.status, compiled.stderr).toBe(0);

      const alphabet = ['a', 'b', 'k', '=', ':', ' ', '\t', '\f', '\\', '\n', '\r', '#', '!', 'u', '0', 'F', 'n', 't', '\u00e9'];
      const texts = fc.sample(
        fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((chars) => chars.join('')),
        { numRuns: 400, seed: 2831 },
      );
      texts.push('a=1\nb 2\nc:3', 'x\\u0041y=\\u00', 'k\\\n  v', '\\\n', ' \\\r\n a=b');
      const paths = texts.map((text, i) => {
        const path = join(dir, `case${i}.properties`);
        writeFileSync(path, Buffer.from(text, 'latin1'));
        return path;
      });
      const run = spawnSync('java', ['-cp', dir, 'PropertiesProbe', ...paths], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);

      texts.forEach((text, i) => {
        const javaOut = readFileSync(`${paths[i] ?? ''}.out`, 'utf8');
        let ours: string;
        try {
          const map = new Map<string, string>();
          for (const entry of parseZooCfg(text, 'fuzz').entries) map.set(hex16(entry.key), hex16(entry.value));
          ours = [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}\n`).join('');
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          ours = 'ERROR\n';
        }
        expect(ours, `input ${JSON.stringify(text)}`).toBe(javaOut);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
