/**
 * The keys `mntr` prints on a standalone ZooKeeper 3.8.0 server, in the order
 * 3.8.0 prints them (captured from the real server: fixtures/idle.mntr.txt).
 * 3.8 iterates hash maps here, so the order is fixed but arbitrary-looking.
 *
 * Output layout (every line is `zk_<key>\t<value>\n`):
 *   1. version, server_state
 *   2. MNTR_GAUGES
 *   3. per-namespace quota gauges (only for namespaces with a quota)
 *   4. MNTR_COUNTERS
 *   5. per-namespace quota_exceeded_error counters (once they exist)
 *   6. MNTR_BASIC_SUMMARIES: avg_/min_/max_/cnt_/sum_<name>
 *   7. MNTR_PERCENTILE_SUMMARIES: the same + p50_/p95_/p99_/p999_<name>
 *   8. per-namespace read / write size summaries (once a namespace was read/written)
 */

/** Gauges, in 3.8.0 order. Those not in MNTR_EXTRA_GAUGES come from AdminView.stats(). */
export const MNTR_GAUGES = [
  'ephemerals_count',
  'num_alive_connections',
  'avg_latency',
  'outstanding_requests',
  'znode_count',
  'global_sessions',
  'non_mtls_remote_conn_count',
  'last_client_response_size',
  'packets_sent',
  'packets_received',
  'max_client_response_size',
  'connection_drop_probability',
  'watch_count',
  'auth_failed_count',
  'min_latency',
  'max_file_descriptor_count',
  'approximate_data_size',
  'open_file_descriptor_count',
  'local_sessions',
  'uptime',
  'max_latency',
  'outstanding_tls_handshake',
  'min_client_response_size',
  'non_mtls_local_conn_count',
] as const;
export type MntrGaugeName = (typeof MNTR_GAUGES)[number];

/**
 * Gauges not covered by ServerStatsSnapshot; the server supplies them through
 * MntrMetrics.gauges. Idle defaults: the client response sizes are -1,
 * connection_drop_probability is 0.0 (a double), the rest 0.
 */
export const MNTR_EXTRA_GAUGES = [
  'non_mtls_remote_conn_count',
  'last_client_response_size',
  'max_client_response_size',
  'connection_drop_probability',
  'auth_failed_count',
  'local_sessions',
  'outstanding_tls_handshake',
  'min_client_response_size',
  'non_mtls_local_conn_count',
] as const satisfies readonly MntrGaugeName[];
export type MntrExtraGaugeName = (typeof MNTR_EXTRA_GAUGES)[number];

/** Gauges only ensemble members register (QuorumZooKeeperServer, LeaderZooKeeperServer). */
export const MNTR_QUORUM_GAUGES = [
  'quorum_size',
  'min_proposal_size',
  'max_proposal_size',
  'last_proposal_size',
  'synced_followers',
  'synced_non_voting_followers',
  'synced_observers',
  'pending_syncs',
  'leader_uptime',
  'learners',
] as const;
export type MntrQuorumGaugeName = (typeof MNTR_QUORUM_GAUGES)[number];

/**
 * Every gauge of an ensemble member, in the order 3.8.0 prints them on a leader (captured from a
 * 3.8.0 ensemble of three voters and an observer). All gauges share one ConcurrentHashMap of 64
 * buckets, so a follower's and an observer's gauges come in the same relative order: each member
 * prints the subsequence of this list it registers (followers and observers: the standalone
 * gauges and quorum_size). MNTR_GAUGES is a subsequence of it too.
 */
export const MNTR_MEMBER_GAUGES = [
  'ephemerals_count',
  'num_alive_connections',
  'avg_latency',
  'min_proposal_size',
  'outstanding_requests',
  'znode_count',
  'global_sessions',
  'non_mtls_remote_conn_count',
  'last_client_response_size',
  'packets_sent',
  'packets_received',
  'max_proposal_size',
  'max_client_response_size',
  'synced_followers',
  'connection_drop_probability',
  'watch_count',
  'synced_non_voting_followers',
  'synced_observers',
  'auth_failed_count',
  'min_latency',
  'max_file_descriptor_count',
  'approximate_data_size',
  'open_file_descriptor_count',
  'last_proposal_size',
  'pending_syncs',
  'leader_uptime',
  'local_sessions',
  'uptime',
  'max_latency',
  'outstanding_tls_handshake',
  'learners',
  'min_client_response_size',
  'non_mtls_local_conn_count',
  'quorum_size',
] as const satisfies readonly (MntrGaugeName | MntrQuorumGaugeName)[];

/**
 * Metric sets keyed by a learner's server id, printed after every summary above (and the
 * per-namespace ones): first the basic summary sets, then the percentile summary sets, each group
 * in 3.8's ConcurrentHashMap order of the set names (learner_handler_qp_size comes before
 * read_per_namespace and write_per_namespace; ack_latency before learner_handler_qp_time_ms).
 */
export const MNTR_LEARNER_BASIC_SUMMARY_SET = 'learner_handler_qp_size';
export const MNTR_LEARNER_PERCENTILE_SUMMARY_SETS = ['ack_latency', 'learner_handler_qp_time_ms'] as const;

/** Counters (printed as integers), in 3.8.0 order. */
export const MNTR_COUNTERS = [
  'proposal_count',
  'watch_bytes',
  'outstanding_changes_removed',
  'throttled_ops',
  'stale_requests_dropped',
  'large_requests_rejected',
  'insecure_admin_count',
  'connection_rejected',
  'cnxn_closed_without_zk_server_running',
  'sessionless_connections_expired',
  'looking_count',
  'dead_watchers_queued',
  'stale_requests',
  'connection_drop_count',
  'learner_proposal_received_count',
  'digest_mismatches_count',
  'dead_watchers_cleared',
  'response_packet_cache_hits',
  'bytes_received_count',
  'add_dead_watcher_stall_time',
  'request_throttle_wait_count',
  'requests_not_forwarded_to_commit_processor',
  'response_packet_cache_misses',
  'ensemble_auth_success',
  'prep_processor_request_queued',
  'learner_commit_received_count',
  'stale_replies',
  'connection_request_count',
  'response_bytes',
  'ensemble_auth_fail',
  'diff_count',
  'response_packet_get_children_cache_misses',
  'connection_revalidate_count',
  'quit_leading_due_to_disloyal_voter',
  'snap_count',
  'unrecoverable_error_count',
  'unsuccessful_handshake',
  'commit_count',
  'stale_sessions_expired',
  'response_packet_get_children_cache_hits',
  'sync_processor_request_queued',
  'outstanding_changes_queued',
  'request_commit_queued',
  'ensemble_auth_skip',
  'skip_learner_request_to_next_processor_count',
  'tls_handshake_exceeded',
  'revalidate_count',
] as const;
export type MntrCounterName = (typeof MNTR_COUNTERS)[number];

/** Summaries printed as avg/min/max/cnt/sum, in 3.8.0 order. */
export const MNTR_BASIC_SUMMARIES = [
  'socket_closing_time',
  'proposal_process_time',
  'leader_unavailable_time',
  'node_created_watch_count',
  'session_queues_drained',
  'write_commit_proc_req_queued',
  'connection_token_deficit',
  'read_commit_proc_req_queued',
  'node_deleted_watch_count',
  'startup_txns_load_time',
  'sync_processor_queue_size',
  'follower_sync_time',
  'prep_processor_queue_size',
  'fsynctime',
  'inflight_snap_count',
  'reads_issued_from_session_queue',
  'learner_request_processor_queue_size',
  'snapshottime',
  'unavailable_time',
  'startup_txns_loaded',
  'reads_after_write_in_session_queue',
  'requests_in_session_queue',
  'write_commit_proc_issued',
  'prep_process_time',
  'pending_session_queue_size',
  'time_waiting_empty_pool_in_commit_processor_read_ms',
  'commit_process_time',
  'dbinittime',
  'inflight_diff_count',
  'netty_queued_buffer_capacity',
  'election_time',
  'commit_commit_proc_req_queued',
  'sync_processor_batch_size',
  'node_children_watch_count',
  'write_batch_time_in_commit_processor',
  'read_commit_proc_issued',
  'concurrent_request_processing_in_commit_processor',
  'observer_sync_time',
  'node_changed_watch_count',
  'sync_process_time',
  'startup_snap_load_time',
] as const;
export type MntrBasicSummaryName = (typeof MNTR_BASIC_SUMMARIES)[number];

/** Summaries printed as avg/min/max/cnt/sum/p50/p95/p99/p999, in 3.8.0 order. */
export const MNTR_PERCENTILE_SUMMARIES = [
  'prep_processor_queue_time_ms',
  'jvm_pause_time_ms',
  'close_session_prep_time',
  'read_commitproc_time_ms',
  'updatelatency',
  'local_write_committed_time_ms',
  'request_throttle_queue_time_ms',
  'readlatency',
  'quorum_ack_latency',
  'om_commit_process_time_ms',
  'read_final_proc_time_ms',
  'commit_propagation_latency',
  'dead_watchers_cleaner_latency',
  'write_final_proc_time_ms',
  'proposal_ack_creation_latency',
  'proposal_latency',
  'om_proposal_process_time_ms',
  'sync_processor_queue_and_flush_time_ms',
  'propagation_latency',
  'server_write_committed_time_ms',
  'sync_processor_queue_time_ms',
  'sync_processor_queue_flush_time_ms',
  'write_commitproc_time_ms',
] as const;
export type MntrPercentileSummaryName = (typeof MNTR_PERCENTILE_SUMMARIES)[number];
