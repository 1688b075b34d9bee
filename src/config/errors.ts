// A bad configuration must stop the server before it touches a data directory or a port, with a
// message an operator can act on without reading code: which setting, where it came from (file and
// line, or the JVM flags) and what is wrong with it. One error class with a stable code lets the CLI
// tell configuration mistakes apart from crashes.

/** Where a setting was read from, for error messages. */
export type SettingOrigin =
  | { readonly kind: 'file'; readonly path: string; readonly line: number }
  | { readonly kind: 'jvmFlags' }
  | { readonly kind: 'default' };

export interface ConfigErrorDetails {
  /** The setting (zoo.cfg key or system property) the problem is about, when there is one. */
  readonly key?: string | undefined;
  readonly origin?: SettingOrigin | undefined;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'ZKS_CONFIG' as const;
  readonly key: string | undefined;
  readonly origin: SettingOrigin | undefined;

  constructor(problem: string, details: ConfigErrorDetails = {}) {
    super(formatConfigProblem(problem, details));
    this.key = details.key;
    this.origin = details.origin;
  }
}

export function describeOrigin(origin: SettingOrigin): string {
  switch (origin.kind) {
    case 'file':
      return `${origin.path}:${origin.line}`;
    case 'jvmFlags':
      return 'SERVER_JVMFLAGS/JVMFLAGS';
    case 'default':
      return 'built-in default';
  }
}

function formatConfigProblem(problem: string, details: ConfigErrorDetails): string {
  const where = details.origin === undefined ? '' : `${describeOrigin(details.origin)}: `;
  const what = details.key === undefined ? '' : `${details.key}: `;
  return `${where}${what}${problem}`;
}
