// ZooKeeper clients that log in with a JAAS username/password (Java's DigestLoginModule, the C
// client's Cyrus SASL, Kazoo) speak SASL DIGEST-MD5 (RFC 2831) to the server. This is the server half
// as a pure state machine: no sockets and no clock, randomness injected, so it can be tested against
// fixed vectors and real clients. It offers what 3.8's JDK-provided server offers — realm
// "zk-sasl-md5", charset utf-8, md5-sess, qop "auth" only (no integrity or privacy layer) — and
// applies the same checks to the client's response, so clients that work with 3.8 work here.

import { createHash } from 'node:crypto';
import { saslAuthorizedId } from './sasl-identity.js';

export const DEFAULT_SASL_REALM = 'zk-sasl-md5';
export const DEFAULT_SASL_PROTOCOL = 'zookeeper';
export const DEFAULT_SASL_SERVER_NAME = 'zk-sasl-md5';

/** Longest client response accepted (the JDK's limit). */
const MAX_RESPONSE_LENGTH = 4096;
/** Random bytes in a nonce; base64 of 30 bytes is the JDK's 40-character nonce. */
const RAW_NONCE_SIZE = 30;
/** Only initial authentication is supported, so the nonce count is always 1. */
const NONCE_COUNT_HEX = '00000001';

export interface SaslDigestMd5ServerOptions {
  /** user → password, e.g. from digestUsersFromJaas. */
  readonly users: ReadonlyMap<string, string>;
  /** Realm offered to clients (3.8: the server name, "zk-sasl-md5"). */
  readonly realm?: string;
  /** Source of nonce randomness, e.g. crypto.randomBytes. */
  readonly randomBytes: (n: number) => Buffer;
  /** Service part of the digest-uri the client must use (default "zookeeper"). */
  readonly protocol?: string;
  /** Host part of the digest-uri the client must use (default "zk-sasl-md5"). */
  readonly serverName?: string;
  /**
   * Maps the authenticated user and the authorization id it asked for to the id the session gets.
   * Default: saslAuthorizedId with 3.8's defaults.
   */
  readonly authorize?: (authenticationId: string, requestedAuthorizationId: string) => string;
}

export type SaslStepResult =
  | { readonly kind: 'challenge'; readonly token: Buffer }
  | { readonly kind: 'complete'; readonly token: Buffer; readonly authorizationId: string; readonly authenticationId: string }
  | { readonly kind: 'failed'; readonly reason: string };

/** Directive values of a digest-response, raw bytes, keyed by lower-case name. */
export type DigestDirectives = ReadonlyMap<string, Buffer>;

const RESPONSE_DIRECTIVES = new Set([
  'username', 'realm', 'nonce', 'cnonce', 'nc', 'nonce-count', 'qop', 'digest-uri', 'response', 'maxbuf',
  'charset', 'cipher', 'authzid', 'auth-param',
]);

class SaslFailure extends Error {}

const isLws = (b: number): boolean => b === 13 || b === 10 || b === 32 || b === 9;

function skipLws(buf: Buffer, start: number): number {
  let i = start;
  while (i < buf.length && isLws(buf[i] ?? 0)) i++;
  return i;
}

/**
 * Parses `key=value, key="quoted \"value\""` directives (RFC 2831 section 7.1) with the JDK's rules:
 * keys are case-insensitive, a known directive given twice is an error, unknown ones are ignored.
 * Throws an Error with the reason on malformed input.
 */
export function parseDigestDirectives(buf: Buffer, known: ReadonlySet<string> = RESPONSE_DIRECTIVES): DigestDirectives {
  const values = new Map<string, Buffer>();
  let key: number[] = [];
  let value: number[] = [];
  let gettingKey = true;
  let quoted = false;
  let expectSeparator = false;
  const keyText = (): string => Buffer.from(key).toString('latin1');
  const store = (): void => {
    const name = keyText().toLowerCase();
    if (known.has(name)) {
      if (values.has(name)) throw new SaslFailure(`DIGEST-MD5: peer sent more than one ${name} directive: ${Buffer.from(value).toString('utf8')}`);
      values.set(name, Buffer.from(value));
    }
  };

  let i = skipLws(buf, 0);
  while (i < buf.length) {
    const b = buf[i] ?? 0;
    if (gettingKey) {
      if (b === 0x2c) {
        if (key.length !== 0) throw new SaslFailure(`Directive key contains a ',': ${keyText()}`);
        i = skipLws(buf, i + 1);
      } else if (b === 0x3d) {
        if (key.length === 0) throw new SaslFailure('Empty directive key');
        gettingKey = false;
        i = skipLws(buf, i + 1);
        if (i >= buf.length) throw new SaslFailure(`Valueless directive found: ${keyText()}`);
        if (buf[i] === 0x22) {
          quoted = true;
          i++;
        }
      } else if (isLws(b)) {
        i = skipLws(buf, i + 1);
        if (i >= buf.length || buf[i] !== 0x3d) throw new SaslFailure(`'=' expected after key: ${keyText()}`);
      } else {
        key.push(b);
        i++;
      }
    } else if (quoted) {
      if (b === 0x5c) {
        i++;
        if (i >= buf.length) throw new SaslFailure(`Unmatched quote found for directive: ${keyText()}`);
        value.push(buf[i] ?? 0);
        i++;
      } else if (b === 0x22) {
        i++;
        quoted = false;
        expectSeparator = true;
      } else {
        value.push(b);
        i++;
      }
    } else if (isLws(b) || b === 0x2c) {
      store();
      key = [];
      value = [];
      gettingKey = true;
      quoted = false;
      expectSeparator = false;
      i = skipLws(buf, i + 1);
    } else if (expectSeparator) {
      throw new SaslFailure(`Expecting comma or linear whitespace after quoted string: "${Buffer.from(value).toString('utf8')}"`);
    } else {
      value.push(b);
      i++;
    }
  }
  if (quoted) throw new SaslFailure(`Unmatched quote found for directive: ${keyText()}`);
  if (key.length > 0) store();
  return values;
}

/** Escapes '"', '\\', DEL and control characters other than CR, LF and HT for a quoted-string. */
export function quoteDirectiveValue(bytes: Buffer): Buffer {
  const out: number[] = [];
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c || b === 127 || (b <= 31 && b !== 13 && b !== 9 && b !== 10)) out.push(0x5c);
    out.push(b);
  }
  return Buffer.from(out);
}

/** The JDK's "ISO-8859-1 if every char fits, else UTF-8" rule for user, realm and password (RFC 2831 2.1.2.1). */
export function digestMd5Bytes(text: string): Buffer {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return Buffer.from(text, 'utf8');
  return Buffer.from(text, 'latin1');
}

const md5 = (...parts: (Buffer | string)[]): Buffer => {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

export interface DigestMd5ResponseInput {
  /** "AUTHENTICATE" for the client's response, "" for the server's rspauth. */
  readonly method: string;
  readonly digestUri: string;
  readonly qop: string;
  readonly username: string;
  readonly realm: string;
  readonly password: string;
  readonly nonce: Buffer;
  readonly cnonce: Buffer;
  readonly nonceCountHex: string;
  readonly authzid: Buffer | null;
}

/** RFC 2831 response-value (md5-sess), as lower-case hex bytes. */
export function digestMd5ResponseValue(input: DigestMd5ResponseInput): Buffer {
  const a2 = `${input.method}:${input.digestUri}${input.qop === 'auth-int' || input.qop === 'auth-conf' ? ':00000000000000000000000000000000' : ''}`;
  const hexA2 = md5(Buffer.from(a2, 'utf8')).toString('hex');
  const userHash = md5(digestMd5Bytes(input.username), ':', digestMd5Bytes(input.realm), ':', digestMd5Bytes(input.password));
  const a1Parts: Buffer[] = [userHash, Buffer.from(':'), input.nonce, Buffer.from(':'), input.cnonce];
  if (input.authzid !== null) a1Parts.push(Buffer.from(':'), input.authzid);
  const hexA1 = md5(...a1Parts).toString('hex');
  const kd = md5(hexA1, ':', input.nonce, ':', input.nonceCountHex, ':', input.cnonce, ':', input.qop, ':', hexA2);
  return Buffer.from(kd.toString('hex'), 'latin1');
}

type State = 'initial' | 'challenged' | 'done';

/** One DIGEST-MD5 exchange with one client (create one per connection). */
export class SaslDigestMd5Server {
  readonly #users: ReadonlyMap<string, string>;
  readonly #realm: string;
  readonly #randomBytes: (n: number) => Buffer;
  readonly #digestUri: string;
  readonly #authorize: (authenticationId: string, requestedAuthorizationId: string) => string;
  #state: State = 'initial';
  #nonce: Buffer = Buffer.alloc(0);

  constructor(options: SaslDigestMd5ServerOptions) {
    this.#users = options.users;
    this.#realm = options.realm ?? DEFAULT_SASL_REALM;
    this.#randomBytes = options.randomBytes;
    this.#digestUri = `${options.protocol ?? DEFAULT_SASL_PROTOCOL}/${options.serverName ?? DEFAULT_SASL_SERVER_NAME}`;
    this.#authorize = options.authorize ?? ((authcid, authzid) => saslAuthorizedId(authcid, authzid));
  }

  /** Whether the exchange ended (successfully or not). */
  get finished(): boolean {
    return this.#state === 'done';
  }

  /** The digest-challenge: `realm="…",nonce="…",charset=utf-8,algorithm=md5-sess`. */
  start(): Buffer {
    if (this.#state !== 'initial') throw new Error('SaslDigestMd5Server.start called twice');
    const random = this.#randomBytes(RAW_NONCE_SIZE);
    if (random.length !== RAW_NONCE_SIZE) throw new Error(`randomBytes(${RAW_NONCE_SIZE}) returned ${random.length} bytes`);
    this.#nonce = Buffer.from(random.toString('base64'), 'latin1');
    this.#state = 'challenged';
    return Buffer.concat([
      Buffer.from('realm="'),
      quoteDirectiveValue(Buffer.from(this.#realm, 'utf8')),
      Buffer.from('",nonce="'),
      quoteDirectiveValue(this.#nonce),
      Buffer.from('",charset=utf-8,algorithm=md5-sess'),
    ]);
  }

  /**
   * Feeds the client's next token. Before start(), any token (3.8 clients send an empty one) gets
   * the challenge. Then the digest-response is checked and the result is final either way.
   */
  evaluateResponse(token: Buffer): SaslStepResult {
    switch (this.#state) {
      case 'initial':
        return { kind: 'challenge', token: this.start() };
      case 'done':
        return { kind: 'failed', reason: 'DIGEST-MD5: server at illegal state' };
      case 'challenged':
        this.#state = 'done';
        try {
          return this.#validate(token);
        } catch (error) {
          return { kind: 'failed', reason: error instanceof Error ? error.message : String(error) };
        }
    }
  }

  #validate(token: Buffer): SaslStepResult {
    if (token.length > MAX_RESPONSE_LENGTH) {
      throw new SaslFailure(`DIGEST-MD5: Invalid digest response length. Got: ${token.length} Expected < ${MAX_RESPONSE_LENGTH}`);
    }
    const d = parseDigestDirectives(token);
    const text = (name: string): string | undefined => d.get(name)?.toString('utf8');
    const violation = (what: string): SaslFailure => new SaslFailure(`DIGEST-MD5: digest response format violation. ${what}`);

    const charset = text('charset');
    if (charset !== undefined && charset !== 'utf-8') throw violation(`Incompatible charset value: ${charset}`);
    const maxbuf = text('maxbuf');
    if (maxbuf !== undefined && !/^[+-]?\d+$/.test(maxbuf)) throw violation(`Invalid maxbuf: ${maxbuf}`);

    const username = text('username');
    if (username === undefined) throw violation('Missing username.');
    const realm = text('realm') ?? '';
    if (realm !== this.#realm) throw violation(`Nonexistent realm: ${realm}`);
    const nonce = d.get('nonce');
    if (nonce === undefined) throw violation('Missing nonce.');
    if (!nonce.equals(this.#nonce)) throw violation('Mismatched nonce.');
    const cnonce = d.get('cnonce');
    if (cnonce === undefined) throw violation('Missing cnonce.');
    for (const name of ['nc', 'nonce-count']) {
      const count = text(name);
      if (count !== undefined && (!/^[0-9a-fA-F]+$/.test(count) || Number.parseInt(count, 16) !== 1)) {
        throw violation(`Nonce count does not match: ${count}`);
      }
    }
    const qop = text('qop') ?? 'auth';
    if (qop === 'auth-int' || qop === 'auth-conf') throw new SaslFailure(`DIGEST-MD5: server does not support qop: ${qop}`);
    if (qop !== 'auth') throw violation(`Invalid QOP: ${qop}`);
    const digestUri = text('digest-uri');
    if (digestUri === undefined || digestUri.toLowerCase() !== this.#digestUri.toLowerCase()) {
      throw violation(`Mismatched URI: ${digestUri ?? 'null'}; expecting: ${this.#digestUri}`);
    }
    const response = d.get('response');
    if (response === undefined) throw violation('Missing response.');
    const authzidBytes = d.get('authzid') ?? null;
    const requestedAuthzid = authzidBytes === null ? username : authzidBytes.toString('utf8');

    const password = this.#users.get(username);
    if (password === undefined) throw new SaslFailure(`DIGEST-MD5: cannot acquire password for ${username} in realm : ${realm}`);

    const common = { digestUri, qop, username, realm, password, nonce: this.#nonce, cnonce, nonceCountHex: NONCE_COUNT_HEX, authzid: authzidBytes };
    const expected = digestMd5ResponseValue({ ...common, method: 'AUTHENTICATE' });
    if (!response.equals(expected)) throw violation('Mismatched response.');

    const authorizationId = this.#authorize(username, requestedAuthzid);
    const rspauth = Buffer.concat([Buffer.from('rspauth='), digestMd5ResponseValue({ ...common, method: '' })]);
    return { kind: 'complete', token: rspauth, authorizationId, authenticationId: username };
  }
}
