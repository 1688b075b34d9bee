// Root network mode: namespaces on a bridge, nftables rules that really cut a directed link, and a
// teardown that leaves no namespace behind. Skipped without root, ip or nft.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { NetnsNetwork, rootModeUnavailable } from './net/netns.js';

const unavailable = await rootModeUnavailable();
const dir = mkdtempSync(join(tmpdir(), 'jepsen-netns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a node script inside a namespace; resolves to its stdout. */
function inNs(ns: string, script: string, timeoutMs = 8000): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out.trim());
    });
  });
}

function listNamespaces(): string[] {
  return execFileSync('ip', ['netns', 'list']).toString().split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n !== '');
}

describe.skipIf(unavailable !== undefined)('root network mode (namespaces + nftables)', () => {
  it('cuts a directed link with nftables and removes everything at teardown', { timeout: 60_000 }, async () => {
    const net = await NetnsNetwork.create(2, dir);
    const server = spawn('ip', ['netns', 'exec', net.nodeNamespace(2), process.execPath, '-e', `require('net').createServer((s) => s.end('pong')).listen(5000, '${NetnsNetwork.address(2)}')`], { stdio: 'ignore' });
    try {
      const probe = `const s = require('net').connect({ host: '${NetnsNetwork.address(2)}', port: 5000 }); s.setTimeout(1500, () => { console.log('timeout'); process.exit(0); }); s.on('data', (d) => { console.log(String(d)); process.exit(0); }); s.on('error', (e) => { console.log('error ' + e.code); process.exit(0); });`;
      let answer = '';
      for (let i = 0; i < 20 && answer !== 'pong'; i++) answer = await inNs(net.nodeNamespace(1), probe);
      expect(answer).toBe('pong');
      await net.apply(new Map([['1->2', { cut: true }]]));
      expect(await net.ruleset(2)).toContain(`ip saddr ${NetnsNetwork.address(1)} drop`);
      expect(await inNs(net.nodeNamespace(1), probe)).toBe('timeout');
      await net.heal();
      expect(await inNs(net.nodeNamespace(1), probe)).toBe('pong');
      expect(listNamespaces().filter((n) => n.startsWith(net.prefix))).toHaveLength(3);
    } finally {
      server.kill('SIGKILL');
      await net.teardown();
    }
    expect(listNamespaces().filter((n) => n.startsWith(net.prefix))).toHaveLength(0);
  });
});
