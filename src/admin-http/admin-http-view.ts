/**
 * What the AdminServer commands read: the four-letter words' {@link AdminView} plus the few facts
 * that only the HTTP commands of 3.8 show.
 *
 * The view given to the AdminServer must describe the server as a client would see it, without a
 * connection of its own: unlike a four-letter word, an HTTP command is not a client connection, so
 * connections() lists the client connections only and stats() counts no extra connection or packet.
 */

import type { AdminView } from '../admin/index.js';

/** The newest snapshot the server finished writing (or, until then, the one it started from). */
export interface LastSnapshotInfo {
  /** The zxid in the snapshot's name. */
  readonly zxid: bigint;
  /** Wall-clock epoch ms when the file was last modified (3.8 shows it in whole seconds). */
  readonly modifiedAtMs: number;
}

export interface AdminHttpView extends AdminView {
  /** `initial_configuration`: zoo.cfg as it was read at start (ServerConfig.initialConfig). */
  initialConfig(): string;
  /**
   * `system_properties`: 3.8 prints every JVM system property, sorted by name. Any order here; the
   * command sorts them.
   */
  systemProperties(): Readonly<Record<string, string>>;
  /** `last_snapshot`; null before any snapshot exists (3.8 then shows zxid ffffffffffffffff, -1). */
  lastSnapshot(): LastSnapshotInfo | null;
  /** ServerStats fsync_threshold_exceed_count: fsyncs slower than fsync.warningthresholdms; 0 if absent. */
  fsyncThresholdExceedCount?(): number;
}
