// PrepRequestProcessor's reconfig rules, one case per rule. The error codes for the same requests
// were observed on a 3.8 ensemble (test/reconfig/java-ensemble.test.ts).

import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/error-code.js';
import { computeReconfig, CONFIG_NODE, isQuorumSynced, type ReconfigInput, type ReconfigOutcome, type ReconfigRequestFields } from './reconfig-request.js';
import { configFromString, type QuorumVerifier } from './quorum-verifier.js';

function config(text: string): QuorumVerifier {
  const parsed = configFromString(text, { standaloneEnabled: true, multiAddressEnabled: false });
  if (!parsed.ok) throw new Error(parsed.failure.message);
  return parsed.value;
}

const CURRENT = config(
  [
    'server.1=127.0.0.1:2888:3888:participant',
    'server.2=127.0.0.1:2889:3889:participant',
    'server.3=127.0.0.1:2890:3890:participant',
    'version=100000000',
  ].join('\n'),
);
const ZXID = 0x1_0000_0007n;

function reconfig(fields: Partial<ReconfigRequestFields>, overrides: Partial<ReconfigInput> = {}): ReconfigOutcome {
  return computeReconfig({
    request: { joiningServers: null, leavingServers: null, newMembers: null, curConfigId: -1n, ...fields },
    committed: CURRENT,
    lastSeen: CURRENT,
    zxid: ZXID,
    leaderId: 3n,
    syncedFollowers: new Set([1n, 2n]),
    standaloneEnabled: true,
    multiAddressEnabled: false,
    ...overrides,
  });
}

function errOf(outcome: ReconfigOutcome): number {
  return outcome.ok ? ErrorCode.ok : outcome.err;
}

function textOf(outcome: ReconfigOutcome): string {
  if (!outcome.ok) throw new Error(`refused: ${outcome.err} ${outcome.reason}`);
  return outcome.newConfig.toString();
}

describe('computeReconfig: checks before the new configuration', () => {
  it('refuses while a reconfig is proposed but not committed (ReconfigInProgress), before checking curConfigId', () => {
    const proposed = CURRENT.withVersion(0x1_0000_0005n);
    expect(errOf(reconfig({ leavingServers: '1', curConfigId: 12n }, { lastSeen: proposed }))).toBe(ErrorCode.reconfigInProgress);
  });

  it('refuses a curConfigId other than -1 and the last seen version (BadVersion)', () => {
    expect(errOf(reconfig({ leavingServers: '1', curConfigId: 0x1_0000_0001n }))).toBe(ErrorCode.badVersion);
    expect(errOf(reconfig({ joiningServers: 'server.4=127.0.0.1:1:2;3', curConfigId: 0x1_0000_0000n }))).toBe(ErrorCode.ok);
    expect(errOf(reconfig({ joiningServers: 'server.4=127.0.0.1:1:2;3', curConfigId: -1n }))).toBe(ErrorCode.ok);
  });
});

describe('computeReconfig: incremental form', () => {
  it('adds a joiner; the txn sets /zookeeper/config to the new text, versioned by the zxid', () => {
    const outcome = reconfig({ joiningServers: 'server.4=127.0.0.1:2891:3891:observer;2184' });
    expect(outcome.ok && outcome.form).toBe('incremental');
    expect(textOf(outcome)).toBe(`${CURRENT.toString().replace(/version=.*/, '')}server.4=127.0.0.1:2891:3891:observer;0.0.0.0:2184\nversion=100000007`);
    if (outcome.ok) {
      expect(outcome.txnData.path).toBe(CONFIG_NODE);
      expect(outcome.txnData.version).toBe(-1);
      expect(outcome.txnData.data?.toString('utf8')).toBe(outcome.newConfig.toString());
      expect(outcome.newConfig.version).toBe(ZXID);
    }
  });

  it('writes a joiner where 3.8 HashMap copy puts it: server 9 right after server 1', () => {
    const text = textOf(reconfig({ joiningServers: 'server.9=127.0.0.1:1:2;3' }));
    expect(text.split('\n').map((line) => line.split('=')[0])).toEqual(['server.1', 'server.9', 'server.2', 'server.3', 'version']);
  });

  it('removes leavers first, then puts joiners (a server in both stays, with the joiner spec)', () => {
    const text = textOf(reconfig({ leavingServers: '2', joiningServers: 'server.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182' }));
    expect(text).toContain('server.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182');
    // Re-put after a remove moves it to the tail of its bucket; with small ids the order is unchanged.
    expect(text.split('\n').map((line) => line.split('=')[0])).toEqual(['server.1', 'server.2', 'server.3', 'version']);
  });

  it('splits on commas, trims and skips empty entries (StringUtils.split); ignores ids that are not members', () => {
    expect(textOf(reconfig({ leavingServers: ' 42 ,, ' }))).toBe(CURRENT.withVersion(ZXID).toString());
    expect(errOf(reconfig({ joiningServers: ' server.4 = 127.0.0.1:1:2;3 , ' }))).toBe(ErrorCode.ok);
  });

  it('reads the id after the last dot of the joiner name, whatever comes before', () => {
    expect(textOf(reconfig({ joiningServers: 'peer.4=127.0.0.1:1:2;3' }))).toContain('server.4=');
    expect(textOf(reconfig({ joiningServers: '4=127.0.0.1:1:2;3' }))).toContain('server.4=');
  });

  it.each([
    ['a role that is not participant or observer', { joiningServers: 'server.4=127.0.0.1:1:2:voter;3' }],
    ['a joiner without a client port', { joiningServers: 'server.4=127.0.0.1:1:2' }],
    ['a port that is not a number', { joiningServers: 'server.4=127.0.0.1:x:2;3' }],
    ['equal quorum and election ports', { joiningServers: 'server.4=127.0.0.1:1:1;3' }],
    ['a joiner with two =', { joiningServers: 'server.4=127.0.0.1:1:2;3=4' }],
    ['a joiner without =', { joiningServers: 'server.4' }],
    ['an address of another member', { joiningServers: 'server.4=10.0.0.9:1:2;10.0.0.1:2888' }],
  ])('refuses %s (BadArguments)', (_label, fields) => {
    const current = config(`server.1=10.0.0.1:2888:3888\nserver.2=10.0.0.2:2888:3888\nserver.3=10.0.0.3:2888:3888\nversion=100000000`);
    expect(errOf(reconfig(fields, { committed: current, lastSeen: current }))).toBe(ErrorCode.badArguments);
  });

  it.each([
    ['a leaving id that is not a number', { leavingServers: 'abc' }],
    ['a joiner id that is not a number', { joiningServers: 'server.x=127.0.0.1:1:2;3' }],
    ['a port out of range', { joiningServers: 'server.4=127.0.0.1:70000:2;3' }],
    ['an empty server spec', { joiningServers: 'server.4=;' }],
  ])('answers %s with MarshallingError (the exception escapes to pRequest)', (_label, fields) => {
    expect(errOf(reconfig(fields))).toBe(ErrorCode.marshallingError);
  });
});

describe('computeReconfig: non-incremental form', () => {
  const three = 'server.1=127.0.0.1:2888:3888;2181\nserver.2=127.0.0.1:2889:3889;2182\nserver.3=127.0.0.1:2890:3890;2183';

  it('takes newMembers as the whole configuration, commas or newlines between members', () => {
    const outcome = reconfig({ newMembers: three.replaceAll('\n', ','), joiningServers: 'ignored', leavingServers: 'ignored' });
    expect(outcome.ok && outcome.form).toBe('nonIncremental');
    expect(textOf(outcome)).toBe(
      [
        'server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181',
        'server.2=127.0.0.1:2889:3889:participant;0.0.0.0:2182',
        'server.3=127.0.0.1:2890:3890:participant;0.0.0.0:2183',
        'version=100000007',
      ].join('\n'),
    );
  });

  it('does not require client ports, and takes a version key but replaces it by the zxid', () => {
    expect(textOf(reconfig({ newMembers: 'server.1=127.0.0.1:1:2\nserver.3=127.0.0.1:3:4\nversion=5' }))).toBe(
      'server.1=127.0.0.1:1:2:participant\nserver.3=127.0.0.1:3:4:participant\nversion=100000007',
    );
  });

  it('keeps a space before a comma in the value (a bad port), drops one after it (next line)', () => {
    expect(errOf(reconfig({ newMembers: three.replaceAll('\n', ', ') }))).toBe(ErrorCode.ok);
    expect(errOf(reconfig({ newMembers: three.replaceAll('\n', ' ,') }))).toBe(ErrorCode.badArguments);
  });

  it.each([
    ['an empty newMembers (not null): no voters', ''],
    ['a key other than server.N and version', `${three}\nfoo=bar`],
    ['a bad role', 'server.1=127.0.0.1:1:2:voter\nserver.2=127.0.0.1:3:4'],
  ])('refuses %s (BadArguments)', (_label, newMembers) => {
    expect(errOf(reconfig({ newMembers }))).toBe(ErrorCode.badArguments);
  });

  it.each([
    ['a server id that is not a number', 'server.a=127.0.0.1:1:2'],
    ['a version that is not hex', `${three}\nversion=xyz`],
    ['observers with a single participant', 'server.1=127.0.0.1:1:2\nserver.2=127.0.0.1:3:4:observer'],
    ['a malformed \\u escape', 'server.1=127.0.0.1:1:2;\\u12'],
  ])('answers %s with MarshallingError', (_label, newMembers) => {
    expect(errOf(reconfig({ newMembers }))).toBe(ErrorCode.marshallingError);
  });
});

describe('computeReconfig: checks on the new configuration', () => {
  it('needs 2 voters, or 1 with standaloneEnabled=false', () => {
    expect(errOf(reconfig({ leavingServers: '1,2' }))).toBe(ErrorCode.badArguments);
    expect(errOf(reconfig({ leavingServers: '1,2,3' }))).toBe(ErrorCode.badArguments);
    expect(errOf(reconfig({ leavingServers: '1,2' }, { standaloneEnabled: false }))).toBe(ErrorCode.ok);
    expect(errOf(reconfig({ leavingServers: '1,2,3' }, { standaloneEnabled: false }))).toBe(ErrorCode.badArguments);
  });

  it('needs a quorum of new voters among the leader and its synced followers (NewConfigNoQuorum)', () => {
    const joinTwo = { joiningServers: 'server.4=127.0.0.1:1:2;3,server.5=127.0.0.1:4:5;6' };
    expect(errOf(reconfig(joinTwo))).toBe(ErrorCode.ok);
    expect(errOf(reconfig(joinTwo, { syncedFollowers: new Set([1n]) }))).toBe(ErrorCode.newConfigNoQuorum);
    // Observers and unsynced followers do not help.
    const joinThree = { joiningServers: 'server.4=127.0.0.1:1:2;3,server.5=127.0.0.1:4:5;6,server.6=127.0.0.1:7:8;9' };
    expect(errOf(reconfig(joinThree))).toBe(ErrorCode.newConfigNoQuorum);
  });

  it('lets the leader remove itself when the remaining voters are synced', () => {
    expect(textOf(reconfig({ leavingServers: '3' }))).not.toContain('server.3=');
    expect(errOf(reconfig({ leavingServers: '3' }, { syncedFollowers: new Set([1n]) }))).toBe(ErrorCode.newConfigNoQuorum);
  });

  it('counts the leader only if it votes in the new configuration', () => {
    const demoted = config('server.1=h:1:2\nserver.2=h:3:4\nserver.3=h:5:6:observer');
    expect(isQuorumSynced(demoted, 3n, new Set([1n]))).toBe(false);
    expect(isQuorumSynced(demoted, 3n, new Set([1n, 2n]))).toBe(true);
  });
});
