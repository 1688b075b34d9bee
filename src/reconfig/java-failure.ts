// 3.8 parses configuration text with code that throws, and the reconfig path turns what it throws
// into an error code by exception class: a ConfigException (or a KeeperException.BadArguments) is
// caught and becomes BadArguments, while a NumberFormatException, IllegalArgumentException or
// another RuntimeException escapes to PrepRequestProcessor.pRequest's catch-all and becomes
// MarshallingError. The parsers here return the class as a value so callers can map it the same way.

export type JavaFailureKind =
  /** QuorumPeerConfig.ConfigException. */
  | 'ConfigException'
  /** KeeperException.BadArgumentsException thrown directly (e.g. checkAddressDuplicate). */
  | 'BadArgumentsException'
  /** Long.parseLong / Integer.parseInt outside a try that converts it. */
  | 'NumberFormatException'
  /** InetSocketAddress with a port out of range, parseDynamicConfig's participant checks, Properties' \uXXXX. */
  | 'IllegalArgumentException'
  /** Any other RuntimeException (e.g. ArrayIndexOutOfBoundsException on an empty server string). */
  | 'RuntimeException'
  /** Something 3.8 accepts that this server does not implement (hierarchical quorums). */
  | 'Unsupported';

export interface JavaFailure {
  readonly kind: JavaFailureKind;
  /** The exception's message as 3.8 words it (for logs; clients never see it). */
  readonly message: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: JavaFailure };

export function parsed<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function failed(kind: JavaFailureKind, message: string): { readonly ok: false; readonly failure: JavaFailure } {
  return { ok: false, failure: { kind, message } };
}
