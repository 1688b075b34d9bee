// Ground truth from Apache ZooKeeper 3.8 itself, for the differential tests of src/reconfig: a
// small Java program, compiled once against the Debian zookeeper.jar, that answers commands on
// stdin with what the JDK's collections and 3.8's public classes do (iteration orders,
// QuorumMaj.toString, QuorumServer parsing, writeDynamicConfig, editStaticConfig). One JVM serves a
// whole batch. Text arguments and results travel base64-encoded, one command per line.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const JARS = ['/usr/share/java/zookeeper.jar', '/usr/share/java/slf4j-api.jar', '/usr/share/java/slf4j-nop.jar'];

export function javaProbeAvailable(): boolean {
  return spawnSync('javac', ['-version']).status === 0 && JARS.every((jar) => existsSync(jar));
}

const SOURCE = String.raw`
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import org.apache.zookeeper.server.quorum.QuorumPeer.QuorumServer;
import org.apache.zookeeper.server.quorum.QuorumPeerConfig;
import org.apache.zookeeper.server.quorum.flexible.QuorumMaj;
import org.apache.zookeeper.server.quorum.flexible.QuorumVerifier;

public class ReconfigProbe {
  static String dec(String s) { return new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8); }
  static String enc(String s) { return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)); }
  static String join(Iterable<?> items) { StringBuilder b = new StringBuilder(); for (Object o : items) { if (b.length() > 0) b.append(' '); b.append(o); } return b.toString(); }
  static List<Long> longs(String csv) { List<Long> out = new ArrayList<>(); if (csv.equals("-")) return out; for (String p : csv.split(",")) out.add(Long.parseLong(p)); return out; }

  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
    String line;
    while ((line = in.readLine()) != null) {
      String[] a = line.split(" ", -1);
      try {
        out.println("OK " + enc(run(a)));
      } catch (Throwable e) {
        out.println("ERR " + e.getClass().getSimpleName() + " " + enc(String.valueOf(e.getMessage())));
      }
    }
  }

  static String run(String[] a) throws Exception {
    switch (a[0]) {
      case "hashmap": {
        // hashmap <default|copy|cap:N> <ids put into the source, default map> <ops on the result: +id/-id>
        Map<Long, Boolean> source = new HashMap<>();
        for (Long id : longs(a[2])) source.put(id, true);
        Map<Long, Boolean> m;
        if (a[1].equals("default")) m = source;
        else if (a[1].equals("copy")) m = new HashMap<>(source);
        else m = new HashMap<>(Integer.parseInt(a[1].substring(4)));
        if (a[1].startsWith("cap:")) for (Long id : longs(a[2])) m.put(id, true);
        if (a.length > 3 && !a[3].equals("-")) for (String op : a[3].split(",")) {
          long id = Long.parseLong(op.substring(1));
          if (op.charAt(0) == '+') { m.remove(id); m.put(id, true); } else m.remove(id);
        }
        return join(m.keySet());
      }
      case "hashset-copy": {
        // hashset-copy <initial capacity of the ack set> <acks in order> -> order of new HashSet<>(ackset)
        HashSet<Long> acks = new HashSet<>(Integer.parseInt(a[1]));
        acks.addAll(longs(a[2]));
        return join(new HashSet<Long>(acks));
      }
      case "props": {
        Properties p = new Properties();
        p.load(new StringReader(dec(a[1])));
        List<String> keys = new ArrayList<>();
        for (Map.Entry<Object, Object> e : p.entrySet()) keys.add(e.getKey().toString());
        return String.join("\n", keys);
      }
      case "config": {
        // config <standaloneEnabled> <text>: QuorumPeer.configFromString's parse, then toString
        QuorumPeerConfig.setStandaloneEnabled(Boolean.parseBoolean(a[1]));
        Properties p = new Properties();
        p.load(new StringReader(dec(a[2])));
        return QuorumPeerConfig.parseDynamicConfig(p, 3, false, false, null).toString();
      }
      case "server": {
        return new QuorumServer(Long.parseLong(a[1]), dec(a[2])).toString();
      }
      case "write-dynamic": {
        // write-dynamic <dir> <keepVersion> <config text>
        Properties p = new Properties();
        p.load(new StringReader(dec(a[3])));
        QuorumVerifier qv = new QuorumMaj(p);
        String file = dec(a[1]) + "/probe.cfg.dynamic";
        QuorumPeerConfig.writeDynamicConfig(file, qv, Boolean.parseBoolean(a[2]));
        return new String(Files.readAllBytes(Paths.get(file)), StandardCharsets.UTF_8);
      }
      case "edit-static": {
        // edit-static <dir> <erase> <zoo.cfg text>
        String dir = dec(a[1]);
        Files.write(Paths.get(dir, "zoo.cfg"), dec(a[3]).getBytes(StandardCharsets.UTF_8));
        Files.write(Paths.get(dir, "zoo.cfg.dynamic.100000000"), new byte[0]);
        QuorumPeerConfig.editStaticConfig(dir + "/zoo.cfg", dir + "/zoo.cfg.dynamic.100000000", Boolean.parseBoolean(a[2]));
        return new String(Files.readAllBytes(Paths.get(dir, "zoo.cfg")), StandardCharsets.UTF_8);
      }
      default:
        throw new IllegalStateException("unknown command " + a[0]);
    }
  }
}
`;

export type ProbeResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly exception: string; readonly message: string };

export interface JavaProbe {
  /** A scratch directory the probe may write files in. */
  readonly dir: string;
  run(commands: readonly string[]): ProbeResult[];
  close(): Promise<void>;
}

export function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** Compiles the probe into a fresh temp dir. Call close() to remove it. */
export async function compileJavaProbe(): Promise<JavaProbe> {
  const dir = await makeTempDir('zk-reconfig-probe');
  try {
    await mkdir(join(dir, 'scratch'));
    await writeFile(join(dir, 'ReconfigProbe.java'), SOURCE);
    const javac = spawnSync('javac', ['-nowarn', '-cp', JARS.join(':'), '-d', dir, join(dir, 'ReconfigProbe.java')], { encoding: 'utf8' });
    if (javac.status !== 0) throw new Error(`javac failed: ${javac.stderr}`);
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
  const classPath = [dir, ...JARS].join(':');
  return {
    dir: join(dir, 'scratch'),
    run(commands) {
      const java = spawnSync('java', ['-Xmx128m', '-XX:+UseSerialGC', '-cp', classPath, 'ReconfigProbe'], {
        input: `${commands.join('\n')}\n`,
        encoding: 'utf8',
        timeout: 60_000,
      });
      if (java.status !== 0) throw new Error(`probe failed (${String(java.status)}): ${java.stderr}`);
      const lines = java.stdout.split('\n').filter((l) => l !== '');
      if (lines.length !== commands.length) throw new Error(`probe answered ${lines.length} of ${commands.length} commands: ${java.stderr}`);
      return lines.map((line): ProbeResult => {
        const [status, first, second] = line.split(' ');
        if (status === 'OK') return { ok: true, text: Buffer.from(first ?? '', 'base64').toString('utf8') };
        return { ok: false, exception: first ?? '', message: Buffer.from(second ?? '', 'base64').toString('utf8') };
      });
    },
    close: () => removeTempDir(dir),
  };
}
