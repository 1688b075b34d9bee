import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { jvmSizeToBytes, parseJvmFlags, splitShellWords } from './jvm-flags.js';

describe('splitShellWords', () => {
  it('splits on whitespace and honours quotes and escapes', () => {
    expect(splitShellWords('  -Xmx1g   -Da=b\t-Dc=d\n')).toEqual(['-Xmx1g', '-Da=b', '-Dc=d']);
    expect(splitShellWords(`-Dx="a b" -Dy='c "d" e' -Dz=f\\ g`)).toEqual(['-Dx=a b', '-Dy=c "d" e', '-Dz=f g']);
    expect(splitShellWords(`"-Dq=\\"quoted\\" \\$HOME \\n"`)).toEqual(['-Dq="quoted" $HOME \\n']);
    expect(splitShellWords(`-Dempty='' -Dalso=""`)).toEqual(['-Dempty=', '-Dalso=']);
    expect(splitShellWords(`''`)).toEqual(['']);
    expect(splitShellWords('a\\\nb')).toEqual(['ab']);
    expect(splitShellWords('')).toEqual([]);
  });

  it('rejects unterminated quotes', () => {
    expect(() => splitShellWords(`-Da="b`)).toThrow(ConfigError);
    expect(() => splitShellWords(`-Da='b`)).toThrow(/unterminated single quote/);
  });
});

describe('parseJvmFlags', () => {
  it('extracts -D properties, the heap and ignores other options', () => {
    const flags = parseJvmFlags(
      `-Xms512m -Xmx2G -XX:+UseG1GC -Dzookeeper.4lw.commands.whitelist="srvr, ruok" -Djava.security.auth.login.config='/etc/zk/jaas file.conf' -Dflag -cp /x`,
    );
    expect(flags.systemProperties).toEqual({
      'zookeeper.4lw.commands.whitelist': 'srvr, ruok',
      'java.security.auth.login.config': '/etc/zk/jaas file.conf',
      flag: '',
    });
    expect(flags.maxHeap).toBe('2G');
    expect(flags.otherOptions).toEqual(['-Xms512m', '-XX:+UseG1GC', '-cp', '/x']);
    expect(Object.isFrozen(flags.systemProperties)).toBe(true);
  });

  it('lets a later flag win and splits at the first =', () => {
    const flags = parseJvmFlags('-Xmx1000m -Da=1 -Db=x=y -Da=2 -Xmx4g');
    expect(flags.systemProperties).toEqual({ a: '2', b: 'x=y' });
    expect(flags.maxHeap).toBe('4g');
  });

  it('stores unusual keys as plain data', () => {
    const flags = parseJvmFlags('-D__proto__=x -Dconstructor=y');
    expect(Object.keys(flags.systemProperties)).toEqual(['__proto__', 'constructor']);
    expect(flags.systemProperties['__proto__']).toBe('x');
  });

  it('treats -D without a name as an ordinary option', () => {
    expect(parseJvmFlags('-D -D=x').otherOptions).toEqual(['-D', '-D=x']);
    expect(parseJvmFlags('').maxHeap).toBeNull();
  });
});

describe('jvmSizeToBytes', () => {
  it('understands the JVM size suffixes', () => {
    expect(jvmSizeToBytes('512m')).toBe(512 * 1024 * 1024);
    expect(jvmSizeToBytes('2G')).toBe(2 * 1024 ** 3);
    expect(jvmSizeToBytes('64k')).toBe(65536);
    expect(jvmSizeToBytes('1t')).toBe(1024 ** 4);
    expect(jvmSizeToBytes('1048576')).toBe(1048576);
    expect(jvmSizeToBytes('2GB')).toBeNull();
    expect(jvmSizeToBytes('')).toBeNull();
  });
});
