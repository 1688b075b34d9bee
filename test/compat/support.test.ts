import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { sendFourLetterWord } from '../support/four-letter.js';
import { freePort } from '../support/free-port.js';
import { javaZooKeeperAvailable, startJavaZooKeeper, type RunningZooKeeper } from '../support/java-zookeeper.js';
import { livePids } from '../support/processes.js';
import { canConnect } from '../support/zk-wait.js';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!javaZooKeeperAvailable())('test/support helpers against Java ZooKeeper 3.8', () => {
  let zk: RunningZooKeeper | undefined;
  afterEach(async () => {
    await zk?.stop();
    zk = undefined;
  });

  it('freePort returns a bindable port', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await canConnect(port, '127.0.0.1', 300)).toBe(false);
  });

  it('starts a fresh server that answers four-letter words, and stops it completely', async () => {
    zk = await startJavaZooKeeper();
    expect(await sendFourLetterWord(zk.port, 'ruok')).toBe('imok');
    const srvr = await sendFourLetterWord(zk.port, 'srvr');
    expect(srvr).toMatch(/^Zookeeper version: 3\.8\.0/);
    expect(srvr).toContain('Mode: standalone');
    expect(livePids()).toContain(zk.pid);
    const { pid, dataDir, port } = zk;
    await zk.stop();
    zk = undefined;
    expect(pidAlive(pid)).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
    expect(await canConnect(port, '127.0.0.1', 300)).toBe(false);
  });

  it('passes extraCfg through to the server', async () => {
    zk = await startJavaZooKeeper({ extraCfg: { maxClientCnxns: '7' } });
    const conf = await sendFourLetterWord(zk.port, 'conf');
    expect(conf).toContain('maxClientCnxns=7');
  });
});
