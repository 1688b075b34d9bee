// Keeps the architecture honest: the dependency rules of docs/ARCHITECTURE.md checked on the source
// text, so a violation fails CI instead of waiting for review.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const srcFiles = sourceFiles(join(root, 'src')).filter((f) => !f.endsWith('.test.ts'));
const testFiles = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'test'))].filter((f) => f.endsWith('.test.ts'));

/** Folders whose code must be deterministic and free of I/O (the pure core). */
const PURE_FOLDERS = ['lib', 'jute', 'protocol', 'txn', 'tree', 'watches', 'sessions', 'pipeline', 'zab', 'reconfig'];

function folderOf(file: string): string {
  return relative(join(root, 'src'), file).split('/')[0] ?? '';
}

function importsOf(text: string): string[] {
  return [...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gmu)].map((m) => m[1] ?? '');
}

function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//gu, '').replace(/(^|[^:'"`])\/\/.*$/gmu, '$1');
}

describe('tidy', () => {
  it('keeps the pure core free of Node built-ins, clocks, randomness, timers and the process', () => {
    const violations: string[] = [];
    for (const file of srcFiles.filter((f) => PURE_FOLDERS.includes(folderOf(f)))) {
      const text = withoutComments(readFileSync(file, 'utf8'));
      for (const spec of importsOf(text)) {
        if (spec.startsWith('node:') || spec === 'pino' || spec === 'prom-client') violations.push(`${relative(root, file)} imports ${spec}`);
      }
      for (const banned of [/\bDate\.now\b/u, /\bnew Date\b/u, /\bMath\.random\b/u, /\bsetTimeout\b/u, /\bsetInterval\b/u, /\bsetImmediate\b/u, /\bprocess\./u, /\bconsole\./u]) {
        if (banned.test(text)) violations.push(`${relative(root, file)} uses ${banned.source}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps jute-ts-codec self-contained', () => {
    const violations: string[] = [];
    for (const file of srcFiles.filter((f) => folderOf(f) === 'jute')) {
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('./') && !spec.startsWith('../') ) violations.push(`${relative(root, file)} imports ${spec}`);
        if (spec.startsWith('../') && !relative(join(root, 'src', 'jute'), join(file, '..', spec)).split('/').every((p) => p !== '..')) {
          violations.push(`${relative(root, file)} imports ${spec} from outside src/jute`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('reads process.argv and process.env only in cli/', () => {
    const violations = srcFiles
      .filter((f) => folderOf(f) !== 'cli')
      .filter((f) => /\bprocess\.(argv|env)\b/u.test(withoutComments(readFileSync(f, 'utf8'))))
      .map((f) => relative(root, f));
    expect(violations).toEqual([]);
  });

  it('never imports test code from src/', () => {
    const violations = srcFiles.filter((f) => importsOf(readFileSync(f, 'utf8')).some((s) => s.includes('/test/'))).map((f) => relative(root, f));
    expect(violations).toEqual([]);
  });

  it('has no focused tests, console.log in src, or FIXME markers', () => {
    const violations: string[] = [];
    for (const file of testFiles) {
      if (/\b(it|describe|test)\.only\(/u.test(readFileSync(file, 'utf8'))) violations.push(`${relative(root, file)} has .only(`);
    }
    for (const file of srcFiles) {
      const text = readFileSync(file, 'utf8');
      if (/\bconsole\.log\(/u.test(withoutComments(text))) violations.push(`${relative(root, file)} uses console.log`);
      if (/FIXME/u.test(text)) violations.push(`${relative(root, file)} has FIXME`);
    }
    expect(violations).toEqual([]);
  });
});
