import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/errors.js';
import { digestUsersFromJaas, jaasConfigFilePath, parseJaasFile, type JaasConfig } from './jaas.js';

// The layout of the JAAS file in ZooKeeper's SASL guide: a Server section for the server's users
// and a Client section for zkCli.
const ZK_JAAS = `
/* ZooKeeper server users */
Server {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       user_super="adminsecret"
       user_bob="bobsecret";
};
// what zkCli uses
Client {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       username="bob"
       password="bobsecret";
};
`;

const plain = (config: JaasConfig): Record<string, { className: string; flag: string; options: Record<string, string> }[]> =>
  Object.fromEntries(
    [...config.sections].map(([name, modules]) => [name, modules.map((m) => ({ className: m.className, flag: m.flag, options: Object.fromEntries(m.options) }))]),
  );

describe('parseJaasFile', () => {
  it('reads the sections of a ZooKeeper JAAS file', () => {
    expect(plain(parseJaasFile(ZK_JAAS))).toEqual({
      Server: [{ className: 'org.apache.zookeeper.server.auth.DigestLoginModule', flag: 'required', options: { user_super: 'adminsecret', user_bob: 'bobsecret' } }],
      Client: [{ className: 'org.apache.zookeeper.server.auth.DigestLoginModule', flag: 'required', options: { username: 'bob', password: 'bobsecret' } }],
    });
  });

  it('handles several modules, flags in any case, bare words, escapes and expansion', () => {
    const text = `Server { com.example.A Optional debug=true path="\${user.home}\${/}keytab" ; com.example.B SUFFICIENT user_x="tab\\there \\"q\\" \\101";};
"Quoted Name" { m requisite; };`;
    const config = parseJaasFile(text, { lookupProperty: (name) => ({ 'user.home': '/home/zk' })[name] });
    expect(plain(config)).toEqual({
      Server: [
        { className: 'com.example.A', flag: 'optional', options: { debug: 'true', path: '/home/zk/keytab' } },
        { className: 'com.example.B', flag: 'sufficient', options: { user_x: 'tab\there "q" A' } },
      ],
      'Quoted Name': [{ className: 'm', flag: 'requisite', options: {} }],
    });
  });

  it('leaves ${{...}} and unterminated ${ alone', () => {
    const config = parseJaasFile('S { m required a="${{x}}" b="${unclosed" c=""; };');
    expect(Object.fromEntries(config.sections.get('S')?.[0]?.options ?? [])).toEqual({ a: '${{x}}', b: '${unclosed', c: '' });
  });

  it.each([
    ['Server { m required a="1" }; ', /expected \[option key\], found \[}\]/],
    ['Server { m mandatory; };', /invalid control flag, mandatory/],
    ['Server { m required; }', /expected \[;\], read \[end of file\]/],
    ['Server { m required a=1; };', /expected \[option value\], found \[a number\]/],
    ["Server { m required a='x'; };", /expected \[option value\], found \['x'\]/],
    ['Server { m required a b; };', /expected \[=\], found \[b\]/],
    ['Server { m required; };\nServer { m required; };', /^JAAS configuration:2: can not specify multiple entries for Server/],
    ['{ m required; };', /expected \[application name\]/],
    ['S { m required p="${missing}"; };', /unable to expand property missing/],
    ['S { m required p="${empty}"; };', /expanded to empty value/],
  ])('rejects %j', (text, message) => {
    const attempt = (): unknown => parseJaasFile(text, { lookupProperty: (name) => (name === 'empty' ? '' : undefined) });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });

  it('names the file and line of an error', () => {
    expect(() => parseJaasFile('Server {\n  m required\n  a = "1"\n  b ;\n};', { source: '/etc/zk/jaas.conf' })).toThrow(
      '/etc/zk/jaas.conf:4: expected [=], found [;]',
    );
  });

  it('treats a lone slash as the start of a comment, like StreamTokenizer', () => {
    expect(plain(parseJaasFile('S { m required / anything here\n a="1"; };'))).toEqual({ S: [{ className: 'm', flag: 'required', options: { a: '1' } }] });
  });
});

describe('digestUsersFromJaas', () => {
  it('collects user_<name> options of every module of the section', () => {
    const config = parseJaasFile(`${ZK_JAAS}\nOther { a required user_carol="c"; b required user_dave="d" other="x"; };`);
    expect(digestUsersFromJaas(config.sections.get('Server') ?? [])).toEqual(
      new Map([
        ['super', 'adminsecret'],
        ['bob', 'bobsecret'],
      ]),
    );
    expect(digestUsersFromJaas(config.sections.get('Other') ?? [])).toEqual(
      new Map([
        ['carol', 'c'],
        ['dave', 'd'],
      ]),
    );
  });

  it('applies the super password setting to a declared super user only', () => {
    const server = parseJaasFile(ZK_JAAS).sections.get('Server') ?? [];
    expect(digestUsersFromJaas(server, { superPassword: 'override' }).get('super')).toBe('override');
    const noSuper = parseJaasFile('Server { m required user_bob="b"; };').sections.get('Server') ?? [];
    expect(digestUsersFromJaas(noSuper, { superPassword: 'override' }).has('super')).toBe(false);
  });
});

describe('jaasConfigFilePath', () => {
  it('accepts a path, an override path and a file: URL', () => {
    expect(jaasConfigFilePath('/etc/zk/jaas.conf')).toBe('/etc/zk/jaas.conf');
    expect(jaasConfigFilePath('=/etc/zk/jaas.conf')).toBe('/etc/zk/jaas.conf');
    expect(jaasConfigFilePath('file:///etc/zk/my%20jaas.conf')).toBe('/etc/zk/my jaas.conf');
  });
});

// Differential test against the JDK's own parser (sun.security.provider.ConfigFile).
const javacAvailable = spawnSync('javac', ['-version']).status === 0;

const JAAS_PROBE = `
import java.io.*;
import java.security.URIParameter;
import java.util.*;
import javax.security.auth.login.*;
public class JaasProbe {
  static String hex(String s) { StringBuilder b = new StringBuilder(); for (char c : s.toCharArray()) b.append(String.format("%04x", (int) c)); return b.toString(); }
  public static void main(String[] args) throws Exception {
    for (String path : args) {
      StringBuilder out = new StringBuilder();
      try {
        Configuration c = Configuration.getInstance("JavaLoginConfig", new URIParameter(new File(path).toURI()));
        for (String app : new String[] {"Server", "Client", "S", "T"}) {
          AppConfigurationEntry[] entries = c.getAppConfigurationEntry(app);
          if (entries == null) continue;
          out.append("app ").append(app).append('\\n');
          for (AppConfigurationEntry e : entries) {
            out.append("module ").append(hex(e.getLoginModuleName())).append(' ').append(e.getControlFlag().toString().replace("LoginModuleControlFlag: ", "")).append('\\n');
            TreeMap<String, String> opts = new TreeMap<>();
            for (Map.Entry<String, ?> o : e.getOptions().entrySet()) opts.put(hex(o.getKey()), hex((String) o.getValue()));
            for (Map.Entry<String, String> o : opts.entrySet()) out.append("option ").append(o.getKey()).append('=').append(o.getValue()).append('\\n');
          }
        }
      } catch (Exception e) {
        out = new StringBuilder("ERROR\\n");
      }
      try (Writer w = new OutputStreamWriter(new FileOutputStream(path + ".out"), "UTF-8")) { w.write(out.toString()); }
    }
  }
}
`;

const hex16 = (s: string): string => [...s].map((c) => (c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')).join('');

function describeOurs(text: string): string {
  let config: JaasConfig;
  try {
    config = parseJaasFile(text);
  } catch (error) {
    if (error instanceof ConfigError) return 'ERROR\n';
    throw error;
  }
  let out = '';
  for (const app of ['Server', 'Client', 'S', 'T']) {
    const modules = config.sections.get(app);
    if (modules === undefined) continue;
    out += `app ${app}\n`;
    for (const m of modules) {
      out += `module ${hex16(m.className)} ${m.flag}\n`;
      const options = [...m.options].map(([k, v]) => [hex16(k), hex16(v)] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [k, v] of options) out += `option ${k}=${v}\n`;
    }
  }
  return out;
}

describe.skipIf(!javacAvailable)('parseJaasFile against the JDK ConfigFile', () => {
  it('agrees on handwritten and random files', () => {
    const handwritten = [
      ZK_JAAS,
      'S { a.b.C required x="1" y=z; };',
      'S { a required x = "multi\nline"; };',
      'S { a required x="oct \\101\\7\\477"; };',
      'S { a required x="esc \\a\\b\\f\\n\\r\\t\\v\\q"; };',
      'S { a required x="unterminated\n; };',
      'S { a required x="1" x="2"; };',
      'S { a required; }; T { b optional k=v; };',
      'S { -a required; };',
      'S { a required x=-1; };',
      'S { a required x=*$_-; };',
      'S { a required /* c */ x="1" // d\n y="2"; };',
      'S { a required x="1"; } /* unterminated',
      'S { a required x="1";\n/\nT { b required; }; };',
      '"S" { "a" "required" "x"="1"; };',
      'S { \u00e9t\u00e9 required k\u00e9="\u00fc"; };',
      'S { a required x=1.5; };',
      'S{a required;};T{b required;};',
    ];
    const token = fc.constantFrom('S', 'T', '{', '}', ';', '=', ' ', '\n', 'required', 'optional', 'a.B', 'user_x', '"v"', '"a b"', '1', '/', '*', '-', '"', "'", 'x-y');
    const random = fc.sample(fc.array(token, { maxLength: 25 }).map((t) => t.join('')), { numRuns: 300, seed: 42 });
    // Random token soup is mostly invalid; also mutate valid files by dropping one token.
    const valid = 'S { a required x="1" y=z; }; T { b optional; };';
    const dropped = valid.split(' ').map((_, i, parts) => parts.filter((__, j) => j !== i).join(' '));
    const texts = [...handwritten, ...random, ...dropped];

    const dir = mkdtempSync(join(tmpdir(), 'zk-jaas-'));
    try {
      writeFileSync(join(dir, 'JaasProbe.java'), JAAS_PROBE);
      const compiled = spawnSync('javac', ['-d', dir, join(dir, 'JaasProbe.java')], { encoding: 'utf8' });
      expect(compiled.status, compiled.stderr).toBe(0);
      const paths = texts.map((text, i) => {
        const path = join(dir, `case${i}.conf`);
        writeFileSync(path, text, 'utf8');
        return path;
      });
      const run = spawnSync('java', ['-Dfile.encoding=UTF-8', '-cp', dir, 'JaasProbe', ...paths], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      texts.forEach((text, i) => {
        expect(describeOurs(text), `input ${JSON.stringify(text)}`).toBe(readFileSync(`${paths[i] ?? ''}.out`, 'utf8'));
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
