/**
 * The cleanup registry: everything a run creates (processes, network namespaces, firewall rules,
 * proxies, gateways) registers how to undo it here, and teardown undoes it in reverse order, also
 * after a failure or on Ctrl-C / SIGTERM (see {@link installSignalCleanup}). Each entry may give a
 * synchronous variant, used from the process 'exit' hook, where nothing asynchronous runs any more.
 */

export interface CleanupEntry {
  readonly name: string;
  readonly run: () => Promise<void>;
  readonly runSync?: () => void;
}

export class CleanupRegistry {
  private readonly entries: CleanupEntry[] = [];
  private running: Promise<string[]> | undefined;

  /** Registers an undo action; returns a function that unregisters it (when it was done by hand). */
  add(name: string, run: () => Promise<void>, runSync?: () => void): () => void {
    const entry: CleanupEntry = runSync === undefined ? { name, run } : { name, run, runSync };
    this.entries.push(entry);
    return () => {
      const i = this.entries.indexOf(entry);
      if (i >= 0) this.entries.splice(i, 1);
    };
  }

  get size(): number {
    return this.entries.length;
  }

  names(): string[] {
    return this.entries.map((e) => e.name);
  }

  /**
   * Runs every action, newest first, each bounded by `timeoutMs`; resolves to the errors (an action
   * that fails does not stop the others). Concurrent calls share one pass.
   */
  runAll(timeoutMs = 20_000): Promise<string[]> {
    if (this.running !== undefined) return this.running;
    this.running = (async () => {
      const errors: string[] = [];
      while (this.entries.length > 0) {
        const entry = this.entries.pop();
        if (entry === undefined) break;
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            entry.run(),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
        } catch (e) {
          errors.push(`${entry.name}: ${e instanceof Error ? e.message : String(e)}`);
          try {
            entry.runSync?.();
          } catch {
            // best effort
          }
        } finally {
          if (timer !== undefined) clearTimeout(timer);
        }
      }
      this.running = undefined;
      return errors;
    })();
    return this.running;
  }

  /** Runs the synchronous variants of what is left (from the 'exit' hook). */
  runAllSync(): void {
    while (this.entries.length > 0) {
      const entry = this.entries.pop();
      try {
        entry?.runSync?.();
      } catch {
        // best effort at exit
      }
    }
  }
}

/** The process-wide registry used by the launcher, the network layer and the runner. */
export const cleanups = new CleanupRegistry();

let installed = false;

/**
 * Makes SIGINT, SIGTERM and SIGHUP run every registered cleanup before the process exits (with
 * 128 + signal number), and the 'exit' hook run the synchronous variants of whatever is left. A
 * second signal while cleaning up exits at once (after the synchronous variants).
 */
export function installSignalCleanup(log: (message: string) => void = (m) => process.stderr.write(`${m}\n`)): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => cleanups.runAllSync());
  const codes: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
  let cleaning = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      const code = codes[signal] ?? 1;
      if (cleaning) {
        cleanups.runAllSync();
        process.exit(code);
      }
      cleaning = true;
      log(`jepsen: ${signal}: tearing down (${cleanups.size} cleanup actions)`);
      void cleanups.runAll(10_000).then(
        (errors) => {
          for (const e of errors) log(`jepsen: cleanup: ${e}`);
          process.exit(code);
        },
        () => process.exit(code),
      );
    });
  }
}
