// Configuration text reaches 3.8's QuorumVerifier through java.util.Properties: reconfig's
// newMembers, the config string in notifications and NEWLEADER (QuorumPeer.configFromString),
// dynamic config files and zoo.cfg itself. Properties.load's syntax is src/config's parseZooCfg;
// what this adds is the map behaviour: one value per key (the last one), and iteration in the
// order of the ConcurrentHashMap behind Properties, which decides the order members are inserted in
// (and so, for colliding ids, the order toString writes them) and the order editStaticConfig writes
// zoo.cfg keys in.

import { ConfigError } from '../config/errors.js';
import { parseZooCfg } from '../config/zoo-cfg.js';
import { failed, parsed, type Parsed } from './java-failure.js';
import { javaPropertiesKeyOrder } from './java-hash-table.js';

export interface PropertyEntry {
  readonly key: string;
  readonly value: string;
}

/** A java.util.Properties filled by load/setProperty. Immutable: `with` returns a new one. */
export class JavaProperties {
  /** Values by key, keys in first-put order (a JS Map keeps a replaced key in its place, as the hash map does). */
  readonly #values: ReadonlyMap<string, string>;

  private constructor(values: ReadonlyMap<string, string>) {
    this.#values = values;
  }

  static empty(): JavaProperties {
    return new JavaProperties(new Map());
  }

  /** Properties.load(new StringReader(text)); a malformed \uXXXX escape is an IllegalArgumentException. */
  static load(text: string): Parsed<JavaProperties> {
    let entries;
    try {
      entries = parseZooCfg(text, '<properties>').entries;
    } catch (error) {
      if (error instanceof ConfigError) return failed('IllegalArgumentException', 'Malformed \\uxxxx encoding.');
      throw error;
    }
    const values = new Map<string, string>();
    for (const entry of entries) values.set(entry.key, entry.value);
    return parsed(new JavaProperties(values));
  }

  /** Properties.setProperty. */
  with(key: string, value: string): JavaProperties {
    const values = new Map(this.#values);
    values.set(key, value);
    return new JavaProperties(values);
  }

  get(key: string): string | undefined {
    return this.#values.get(key);
  }

  get size(): number {
    return this.#values.size;
  }

  /** entrySet() in the order 3.8 iterates it. */
  entries(): PropertyEntry[] {
    return javaPropertiesKeyOrder(this.#values.keys()).map((key) => ({ key, value: this.#values.get(key) ?? '' }));
  }
}
