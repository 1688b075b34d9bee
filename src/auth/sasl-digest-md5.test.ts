import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SaslDigestMd5Server,
  digestMd5Bytes,
  digestMd5ResponseValue,
  parseDigestDirectives,
  quoteDirectiveValue,
  type SaslStepResult,
} from './sasl-digest-md5.js';

const CHALLENGE_DIRECTIVES = new Set(['realm', 'nonce', 'qop', 'charset', 'algorithm', 'maxbuf', 'cipher', 'stale']);

// ---- An RFC 2831 client, written independently of the server code ----

const md5hex = (...parts: (Buffer | string)[]): string => {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};

interface ClientOptions {
  readonly username: string;
  readonly password: string;
  readonly authzid?: string;
  readonly cnonce?: string;
  readonly digestUri?: string;
  /** Applied to the directive list before it is serialised (to produce malformed responses). */
  readonly mutate?: (directives: [string, string][]) => [string, string][];
  /** Password used for the hash, when it should differ from `password`. */
  readonly hashPassword?: string;
}

interface ClientState {
  readonly response: Buffer;
  readonly expectedRspauth: string;
}

function clientResponse(challenge: Buffer, options: ClientOptions): ClientState {
  const d = parseDigestDirectives(challenge, CHALLENGE_DIRECTIVES);
  const realm = d.get('realm')?.toString('utf8') ?? '';
  const nonce = d.get('nonce')?.toString('latin1') ?? '';
  const cnonce = options.cnonce ?? randomBytes(12).toString('base64');
  const uri = options.digestUri ?? 'zookeeper/zk-sasl-md5';
  const nc = '00000001';
  const userHash = createHash('md5')
    .update(Buffer.concat([digestMd5Bytes(options.username), Buffer.from(':'), digestMd5Bytes(realm), Buffer.from(':'), digestMd5Bytes(options.hashPassword ?? options.password)]))
    .digest();
  const a1 = options.authzid === undefined ? md5hex(userHash, `:${nonce}:${cnonce}`) : md5hex(userHash, `:${nonce}:${cnonce}:`, Buffer.from(options.authzid, 'utf8'));
  const response = md5hex(`${a1}:${nonce}:${nc}:${cnonce}:auth:${md5hex(`AUTHENTICATE:${uri}`)}`);
  const rspauth = md5hex(`${a1}:${nonce}:${nc}:${cnonce}:auth:${md5hex(`:${uri}`)}`);
  const quote = (value: string): string => `"${quoteDirectiveValue(Buffer.from(value, 'utf8')).toString('utf8')}"`;
  let directives: [string, string][] = [
    ['charset', 'utf-8'],
    ['username', quote(options.username)],
    ['realm', quote(realm)],
    ['nonce', quote(nonce)],
    ['nc', nc],
    ['cnonce', quote(cnonce)],
    ['digest-uri', quote(uri)],
    ['maxbuf', '65536'],
    ['response', response],
    ['qop', 'auth'],
  ];
  if (options.authzid !== undefined) directives.push(['authzid', quote(options.authzid)]);
  if (options.mutate !== undefined) directives = options.mutate(directives);
  return { response: Buffer.from(directives.map(([k, v]) => `${k}=${v}`).join(','), 'utf8'), expectedRspauth: `rspauth=${rspauth}` };
}

const without = (name: string) => (ds: [string, string][]): [string, string][] => ds.filter(([k]) => k !== name);
const replace = (name: string, value: string) => (ds: [string, string][]): [string, string][] => ds.map(([k, v]) => [k, k === name ? value : v]);
const add = (name: string, value: string) => (ds: [string, string][]): [string, string][] => [...ds, [name, value]];

// ---- Tests of the pieces ----

describe('digestMd5ResponseValue', () => {
  it('reproduces the RFC 2831 section 4 example', () => {
    const input = {
      digestUri: 'imap/elwood.innosoft.com',
      qop: 'auth',
      username: 'chris',
      realm: 'elwood.innosoft.com',
      password: 'secret',
      nonce: Buffer.from('OA6MG9tEQGm2hh'),
      cnonce: Buffer.from('OA6MHXh6VqTrRk'),
      nonceCountHex: '00000001',
      authzid: null,
    };
    expect(digestMd5ResponseValue({ ...input, method: 'AUTHENTICATE' }).toString()).toBe('d388dad90d4bbd760a152321f2143af7');
    expect(digestMd5ResponseValue({ ...input, method: '' }).toString()).toBe('ea40f60335c427b5527b84dbabcdfffd');
  });
});

describe('parseDigestDirectives', () => {
  it('parses quoted and unquoted values with escapes, ignoring unknown directives', () => {
    const d = parseDigestDirectives(Buffer.from(' Username = "a\\"b\\\\c" ,, realm="r",nc=00000001 , other="x"\r\n,qop=auth'));
    expect(d.get('username')?.toString()).toBe('a"b\\c');
    expect(d.get('realm')?.toString()).toBe('r');
    expect(d.get('nc')?.toString()).toBe('00000001');
    expect(d.get('qop')?.toString()).toBe('auth');
    expect(d.has('other')).toBe(false);
  });

  it.each([
    ['username="a",username="b"', /more than one username/],
    ['=x', /Empty directive key/],
    ['username', /.*/],
    ['user name="a"', /'=' expected after key/],
    ['username=', /Valueless directive/],
    ['username="a', /Unmatched quote/],
    ['username="a"b', /Expecting comma or linear whitespace/],
    ['user,name="a"', /Directive key contains a ','/],
  ])('rejects %j', (text, message) => {
    if (text === 'username') {
      // A key without '=' at the very end is stored with an empty value, as the JDK does.
      expect(parseDigestDirectives(Buffer.from(text)).get('username')?.toString()).toBe('');
      return;
    }
    expect(() => parseDigestDirectives(Buffer.from(text))).toThrow(message);
  });
});

// ---- The server state machine ----

const USERS = new Map([
  ['bob', 'bobsecret'],
  ['super', 'adminsecret'],
  ['j\u00fcrgen', 'pa\u00df'],
  ['\u6771\u4eac', '\u5bc6\u7801'],
  ['we"ird\\name', 'p w'],
]);

function fixedRandom(n: number): Buffer {
  return Buffer.alloc(n, 7);
}

function newServer(): SaslDigestMd5Server {
  return new SaslDigestMd5Server({ users: USERS, randomBytes: randomBytes });
}

function exchange(options: ClientOptions, server = newServer()): { result: SaslStepResult; client: ClientState } {
  const challenge = server.evaluateResponse(Buffer.alloc(0));
  expect(challenge.kind).toBe('challenge');
  if (challenge.kind !== 'challenge') throw new Error('no challenge');
  const client = clientResponse(challenge.token, options);
  return { result: server.evaluateResponse(client.response), client };
}

describe('SaslDigestMd5Server', () => {
  it('sends the challenge 3.8 sends', () => {
    const server = new SaslDigestMd5Server({ users: USERS, realm: 'zk-sasl-md5', randomBytes: fixedRandom });
    expect(server.start().toString()).toBe(`realm="zk-sasl-md5",nonce="${Buffer.alloc(30, 7).toString('base64')}",charset=utf-8,algorithm=md5-sess`);
    expect(() => server.start()).toThrow(/twice/);
  });

  it.each([...USERS.keys()])('authenticates %j and answers with rspauth', (username) => {
    const { result, client } = exchange({ username, password: USERS.get(username) ?? '' });
    expect(result).toEqual({ kind: 'complete', token: Buffer.from(client.expectedRspauth), authorizationId: username, authenticationId: username });
  });

  it('gives the authenticated user as the id even when another authzid is requested (3.8 behaviour)', () => {
    const { result } = exchange({ username: 'bob', password: 'bobsecret', authzid: 'super' });
    expect(result).toMatchObject({ kind: 'complete', authorizationId: 'bob' });
    const asItself = exchange({ username: 'bob', password: 'bobsecret', authzid: 'bob' });
    expect(asItself.result).toMatchObject({ kind: 'complete', authorizationId: 'bob' });
  });

  it('uses the authorize hook', () => {
    const server = new SaslDigestMd5Server({ users: USERS, randomBytes, authorize: (authcid, authzid) => `${authcid}->${authzid}` });
    expect(exchange({ username: 'bob', password: 'bobsecret', authzid: 'x' }, server).result).toMatchObject({ authorizationId: 'bob->x' });
  });

  it.each<[string, ClientOptions, RegExp]>([
    ['a wrong password', { username: 'bob', password: 'bobsecret', hashPassword: 'nope' }, /Mismatched response/],
    ['an unknown user', { username: 'mallory', password: 'x' }, /cannot acquire password for mallory/],
    ['a missing realm', { username: 'bob', password: 'bobsecret', mutate: without('realm') }, /Nonexistent realm: $/],
    ['another realm', { username: 'bob', password: 'bobsecret', mutate: replace('realm', '"other"') }, /Nonexistent realm: other/],
    ['a missing username', { username: 'bob', password: 'bobsecret', mutate: without('username') }, /Missing username/],
    ['a missing nonce', { username: 'bob', password: 'bobsecret', mutate: without('nonce') }, /Missing nonce/],
    ['a different nonce', { username: 'bob', password: 'bobsecret', mutate: replace('nonce', '"abc"') }, /Mismatched nonce/],
    ['a missing cnonce', { username: 'bob', password: 'bobsecret', mutate: without('cnonce') }, /Missing cnonce/],
    ['nonce count 2', { username: 'bob', password: 'bobsecret', mutate: replace('nc', '00000002') }, /Nonce count does not match: 00000002/],
    ['a bad nonce count', { username: 'bob', password: 'bobsecret', mutate: replace('nc', 'xyz') }, /Nonce count does not match/],
    ['nonce-count 2', { username: 'bob', password: 'bobsecret', mutate: add('nonce-count', '2') }, /Nonce count does not match/],
    ['qop auth-int', { username: 'bob', password: 'bobsecret', mutate: replace('qop', 'auth-int') }, /does not support qop: auth-int/],
    ['qop auth-conf', { username: 'bob', password: 'bobsecret', mutate: replace('qop', 'auth-conf') }, /does not support qop: auth-conf/],
    ['an unknown qop', { username: 'bob', password: 'bobsecret', mutate: replace('qop', 'best') }, /Invalid QOP: best/],
    ['another digest-uri', { username: 'bob', password: 'bobsecret', digestUri: 'zookeeper/elsewhere' }, /Mismatched URI: zookeeper\/elsewhere/],
    ['no digest-uri', { username: 'bob', password: 'bobsecret', mutate: without('digest-uri') }, /Mismatched URI: null/],
    ['no response', { username: 'bob', password: 'bobsecret', mutate: without('response') }, /Missing response/],
    ['an upper-case response', { username: 'bob', password: 'bobsecret', mutate: (ds) => ds.map(([k, v]) => [k, k === 'response' ? v.toUpperCase() : v]) }, /Mismatched response/],
    ['charset UTF-8 in upper case', { username: 'bob', password: 'bobsecret', mutate: replace('charset', 'UTF-8') }, /Incompatible charset value: UTF-8/],
    ['a bad maxbuf', { username: 'bob', password: 'bobsecret', mutate: replace('maxbuf', 'big') }, /Invalid maxbuf/],
    ['a repeated directive', { username: 'bob', password: 'bobsecret', mutate: add('username', '"bob"') }, /more than one username/],
    ['a changed authzid', { username: 'bob', password: 'bobsecret', authzid: 'bob', mutate: replace('authzid', '"super"') }, /Mismatched response/],
  ])('fails for %s', (_name, options, reason) => {
    const { result } = exchange(options);
    expect(result.kind).toBe('failed');
    if (result.kind === 'failed') expect(result.reason).toMatch(reason);
  });

  it('accepts what the RFC allows the client to leave out or vary', () => {
    const variants: ((ds: [string, string][]) => [string, string][])[] = [
      without('charset'),
      without('nc'),
      without('qop'),
      without('maxbuf'),
      add('auth-param', 'x'),
      add('unknown', '"y"'),
      (ds) => [...ds].reverse(),
    ];
    for (const mutate of variants) {
      const { result } = exchange({ username: 'bob', password: 'bobsecret', mutate });
      expect(result.kind).toBe('complete');
    }
  });

  it('computes the response with the client\'s spelling of digest-uri', () => {
    const { result } = exchange({ username: 'bob', password: 'bobsecret', digestUri: 'ZOOKEEPER/zk-sasl-md5' });
    expect(result.kind).toBe('complete');
  });

  it('rejects overlong responses and anything after the end', () => {
    const server = newServer();
    server.start();
    const result = server.evaluateResponse(Buffer.alloc(4097, 0x61));
    expect(result).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/Invalid digest response length/) });
    expect(server.finished).toBe(true);
    expect(server.evaluateResponse(Buffer.alloc(0))).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/illegal state/) });
  });

  it('does not allow a second attempt after a failure', () => {
    const server = newServer();
    const challenge = server.evaluateResponse(Buffer.alloc(0));
    if (challenge.kind !== 'challenge') throw new Error('no challenge');
    expect(server.evaluateResponse(clientResponse(challenge.token, { username: 'bob', password: 'x' }).response).kind).toBe('failed');
    expect(server.evaluateResponse(clientResponse(challenge.token, { username: 'bob', password: 'bobsecret' }).response).kind).toBe('failed');
  });

  it('rejects a nonce source that returns the wrong size', () => {
    const server = new SaslDigestMd5Server({ users: USERS, randomBytes: () => Buffer.alloc(3) });
    expect(() => server.start()).toThrow(/returned 3 bytes/);
  });
});

// ---- Interoperability with the JDK's DIGEST-MD5 client and server (what 3.8 uses) ----

const javacAvailable = spawnSync('javac', ['-version']).status === 0;

const SASL_PROBE = `
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import javax.security.auth.callback.*;
import javax.security.sasl.*;
public class SaslProbe {
  static String hex(byte[] b) { StringBuilder s = new StringBuilder(); for (byte x : b) s.append(String.format("%02x", x & 0xff)); return s.toString(); }
  static byte[] unhex(String h) { byte[] b = new byte[h.length() / 2]; for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16); return b; }
  static String str(String h) { return new String(unhex(h), StandardCharsets.UTF_8); }
  public static void main(String[] a) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(System.out, true, "UTF-8");
    SaslClient client = null;
    SaslServer server = null;
    String line;
    while ((line = in.readLine()) != null) {
      String[] f = line.split(" ", -1);
      try {
        switch (f[0]) {
          case "CLIENT": {
            final String user = str(f[1]); final String pass = str(f[2]);
            String authzid = f[3].equals("-") ? null : str(f[3]);
            CallbackHandler cbh = cbs -> { for (Callback cb : cbs) {
              if (cb instanceof NameCallback) ((NameCallback) cb).setName(user);
              else if (cb instanceof PasswordCallback) ((PasswordCallback) cb).setPassword(pass.toCharArray());
              else if (cb instanceof RealmCallback) ((RealmCallback) cb).setText(((RealmCallback) cb).getDefaultText());
            } };
            client = Sasl.createSaslClient(new String[] {"DIGEST-MD5"}, authzid, "zookeeper", "zk-sasl-md5", null, cbh);
            out.println("RESP " + hex(client.evaluateChallenge(unhex(f[4]))));
            break;
          }
          case "FINAL": {
            client.evaluateChallenge(unhex(f[1]));
            out.println("OK " + client.isComplete());
            break;
          }
          case "SERVER": {
            final String user = str(f[1]); final String pass = str(f[2]);
            CallbackHandler cbh = cbs -> { String name = null; for (Callback cb : cbs) {
              if (cb instanceof NameCallback) { NameCallback nc = (NameCallback) cb; if (nc.getDefaultName().equals(user)) nc.setName(user); name = nc.getDefaultName(); }
              else if (cb instanceof PasswordCallback) { if (user.equals(name)) ((PasswordCallback) cb).setPassword(pass.toCharArray()); }
              else if (cb instanceof RealmCallback) ((RealmCallback) cb).setText(((RealmCallback) cb).getDefaultText());
              else if (cb instanceof AuthorizeCallback) { AuthorizeCallback ac = (AuthorizeCallback) cb; ac.setAuthorized(true); ac.setAuthorizedID(ac.getAuthenticationID()); }
            } };
            server = Sasl.createSaslServer("DIGEST-MD5", "zookeeper", "zk-sasl-md5", null, cbh);
            out.println("CHAL " + hex(server.evaluateResponse(new byte[0])));
            break;
          }
          case "RESP": {
            byte[] rsp = server.evaluateResponse(unhex(f[1]));
            out.println("DONE " + hex(server.getAuthorizationID().getBytes(StandardCharsets.UTF_8)) + " " + hex(rsp));
            break;
          }
          default: out.println("ERR unknown command");
        }
      } catch (Exception e) {
        out.println("ERR " + e.getClass().getSimpleName() + ": " + e.getMessage());
      }
    }
  }
}
`;

class JavaSasl {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting: ((line: string) => void)[] = [];

  constructor(dir: string) {
    this.#child = spawn('java', ['-cp', dir, 'SaslProbe'], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.#child.stdout }).on('line', (line) => this.#waiting.shift()?.(line));
  }

  ask(command: string): Promise<string> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#child.stdin.write(`${command}\n`);
    });
  }

  close(): void {
    this.#child.stdin.end();
    this.#child.kill();
  }
}

const hex = (text: string): string => Buffer.from(text, 'utf8').toString('hex');

describe.skipIf(!javacAvailable)('DIGEST-MD5 interoperability with the JDK', () => {
  let dir = '';
  let java: JavaSasl;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'zk-sasl-'));
    writeFileSync(join(dir, 'SaslProbe.java'), SASL_PROBE);
    const compiled = spawnSync('javac', ['-d', dir, join(dir, 'SaslProbe.java')], { encoding: 'utf8' });
    expect(compiled.status, compiled.stderr).toBe(0);
    java = new JavaSasl(dir);
  });

  afterAll(() => {
    java.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // 3.8's client passes its user name as the authorization id; plain SASL clients pass none.
  it.each([...[...USERS.keys()].map((u): [string, string | null] => [u, u]), ['bob', null], ['bob', 'someone-else']])(
    'a JDK client (as %j, authzid %j) authenticates to our server',
    async (username, authzid) => {
      const server = newServer();
      const challenge = server.evaluateResponse(Buffer.alloc(0));
      if (challenge.kind !== 'challenge') throw new Error('no challenge');
      const answer = await java.ask(`CLIENT ${hex(username)} ${hex(USERS.get(username) ?? '')} ${authzid === null ? '-' : hex(authzid)} ${challenge.token.toString('hex')}`);
      expect(answer).toMatch(/^RESP /);
      const result = server.evaluateResponse(Buffer.from(answer.slice(5), 'hex'));
      expect(result).toMatchObject({ kind: 'complete', authorizationId: username, authenticationId: username });
      if (result.kind !== 'complete') return;
      expect(await java.ask(`FINAL ${result.token.toString('hex')}`)).toBe('OK true');
    },
  );

  it('a JDK client with a wrong password is refused', async () => {
    const server = newServer();
    const challenge = server.start();
    const answer = await java.ask(`CLIENT ${hex('bob')} ${hex('wrong')} ${hex('bob')} ${challenge.toString('hex')}`);
    expect(server.evaluateResponse(Buffer.from(answer.slice(5), 'hex'))).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/Mismatched response/) });
  });

  // Our verdict on each (mal)formed response must be the JDK server's verdict.
  const cases: [string, ClientOptions][] = [
    ['valid', { username: 'bob', password: 'bobsecret' }],
    ['valid with authzid', { username: 'bob', password: 'bobsecret', authzid: 'bob' }],
    ['valid, non-ASCII user', { username: 'j\u00fcrgen', password: 'pa\u00df' }],
    ['valid, CJK user', { username: '\u6771\u4eac', password: '\u5bc6\u7801' }],
    ['wrong password', { username: 'bob', password: 'bobsecret', hashPassword: 'x' }],
    ['unknown user', { username: 'eve', password: 'bobsecret' }],
    ['no realm', { username: 'bob', password: 'bobsecret', mutate: without('realm') }],
    ['no username', { username: 'bob', password: 'bobsecret', mutate: without('username') }],
    ['no cnonce', { username: 'bob', password: 'bobsecret', mutate: without('cnonce') }],
    ['nonce-count 2', { username: 'bob', password: 'bobsecret', mutate: add('nonce-count', '00000002') }],
    ['nonce-count 1', { username: 'bob', password: 'bobsecret', mutate: add('nonce-count', '1') }],
    ['qop auth-int', { username: 'bob', password: 'bobsecret', mutate: replace('qop', 'auth-int') }],
    ['qop bogus', { username: 'bob', password: 'bobsecret', mutate: replace('qop', 'bogus') }],
    ['no qop', { username: 'bob', password: 'bobsecret', mutate: without('qop') }],
    ['no charset', { username: 'bob', password: 'bobsecret', mutate: without('charset') }],
    ['charset UTF-8', { username: 'bob', password: 'bobsecret', mutate: replace('charset', 'UTF-8') }],
    ['upper-case digest-uri', { username: 'bob', password: 'bobsecret', digestUri: 'ZOOKEEPER/ZK-SASL-MD5' }],
    ['other digest-uri', { username: 'bob', password: 'bobsecret', digestUri: 'zookeeper/other' }],
    ['no digest-uri', { username: 'bob', password: 'bobsecret', mutate: without('digest-uri') }],
    ['upper-case response', { username: 'bob', password: 'bobsecret', mutate: (ds) => ds.map(([k, v]) => [k, k === 'response' ? v.toUpperCase() : v]) }],
    ['repeated username', { username: 'bob', password: 'bobsecret', mutate: add('username', '"bob"') }],
    ['bad maxbuf', { username: 'bob', password: 'bobsecret', mutate: replace('maxbuf', 'lots') }],
    ['unknown directive', { username: 'bob', password: 'bobsecret', mutate: add('foo', 'bar') }],
    ['other authzid', { username: 'bob', password: 'bobsecret', authzid: 'super' }],
  ];

  it.each(cases)('agrees with the JDK server on: %s', async (_name, options) => {
    const javaChallenge = await java.ask(`SERVER ${hex('bob')} ${hex('bobsecret')}`);
    expect(javaChallenge).toMatch(/^CHAL /);
    const javaClient = clientResponse(Buffer.from(javaChallenge.slice(5), 'hex'), options);
    const javaVerdict = await java.ask(`RESP ${javaClient.response.toString('hex')}`);

    // Same single user on our side, for a like-for-like comparison.
    const server = new SaslDigestMd5Server({ users: new Map([['bob', 'bobsecret']]), randomBytes });
    const ourChallenge = server.start();
    const ourClient = clientResponse(ourChallenge, options);
    const ours = server.evaluateResponse(ourClient.response);

    if (javaVerdict.startsWith('DONE ')) {
      const [, authzidHex, rspauthHex] = javaVerdict.split(' ');
      expect(ours).toMatchObject({ kind: 'complete', authorizationId: Buffer.from(authzidHex ?? '', 'hex').toString('utf8') });
      expect(Buffer.from(rspauthHex ?? '', 'hex').toString()).toBe(javaClient.expectedRspauth);
    } else {
      expect(javaVerdict).toMatch(/^ERR /);
      expect(ours.kind, `JDK said: ${javaVerdict}`).toBe('failed');
    }
  });

  it('sends a challenge of the same shape as the JDK server', async () => {
    const javaChallenge = Buffer.from((await java.ask(`SERVER ${hex('bob')} ${hex('x')}`)).slice(5), 'hex').toString();
    const ours = newServer().start().toString();
    const shape = (c: string): string => c.replace(/nonce="[^"]*"/, 'nonce="…"');
    expect(shape(ours)).toBe(shape(javaChallenge));
  });
});
