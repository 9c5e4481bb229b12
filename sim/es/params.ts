import { EsError } from '../model/cluster';

/**
 * Query parameters each endpoint accepts, from Elasticsearch's REST API specification (rest-api-spec/api/*.json,
 * 8.19), plus the parameters every endpoint accepts. Elasticsearch answers an unknown one with 400
 * `illegal_argument_exception` ("request [/path] contains unrecognized parameter: [x]"); so does the simulator.
 */

const COMMON = ['pretty', 'human', 'error_trace', 'source', 'filter_path'];
const INDEX_OPTS = ['allow_no_indices', 'expand_wildcards', 'ignore_unavailable'];
const CAT = ['format', 'h', 'help', 's', 'v', 'local', 'master_timeout'];

export const ENDPOINT_PARAMS: Readonly<Record<string, readonly string[]>> = {
  info: [],
  'cluster.health': [
    'expand_wildcards',
    'level',
    'local',
    'master_timeout',
    'timeout',
    'wait_for_active_shards',
    'wait_for_nodes',
    'wait_for_events',
    'wait_for_no_relocating_shards',
    'wait_for_no_initializing_shards',
    'wait_for_status',
    'return_200_for_cluster_health_timeout',
  ],
  'cat.nodes': [...CAT, 'bytes', 'full_id', 'include_unloaded_segments', 'time'],
  'cat.shards': [...CAT, 'bytes', 'time'],
  'cat.allocation': [...CAT, 'bytes'],
  'cat.recovery': [...CAT, 'active_only', 'bytes', 'detailed', 'index', 'time'],
  'cat.indices': [...CAT, 'bytes', 'expand_wildcards', 'health', 'include_unloaded_segments', 'pri', 'time'],
  'cat.health': [...CAT, 'time', 'ts'],
  'nodes.info': ['flat_settings', 'timeout', 'master_timeout'],
  'cluster.get_settings': ['flat_settings', 'include_defaults', 'master_timeout', 'timeout'],
  'cluster.put_settings': ['flat_settings', 'master_timeout', 'timeout'],
  'cluster.allocation_explain': ['include_disk_info', 'include_yes_decisions', 'master_timeout'],
  'cluster.post_voting_config_exclusions': ['node_ids', 'node_names', 'timeout', 'master_timeout'],
  'cluster.delete_voting_config_exclusions': ['wait_for_removal', 'master_timeout'],
  'cluster.state': [
    'allow_no_indices',
    'expand_wildcards',
    'flat_settings',
    'ignore_unavailable',
    'local',
    'master_timeout',
    'wait_for_metadata_version',
    'wait_for_timeout',
  ],
  'cluster.reroute': ['dry_run', 'explain', 'metric', 'retry_failed', 'master_timeout', 'timeout'],
  'tasks.list': [
    'actions',
    'detailed',
    'group_by',
    'nodes',
    'parent_task_id',
    'master_timeout',
    'timeout',
    'wait_for_completion',
  ],
  'tasks.get': ['timeout', 'wait_for_completion'],
  'snapshot.status': ['ignore_unavailable', 'master_timeout'],
  count: [
    'allow_no_indices',
    'analyzer',
    'analyze_wildcard',
    'default_operator',
    'df',
    'expand_wildcards',
    'ignore_throttled',
    'ignore_unavailable',
    'lenient',
    'min_score',
    'preference',
    'q',
    'routing',
    'terminate_after',
  ],
  'indices.flush': ['allow_no_indices', 'expand_wildcards', 'force', 'ignore_unavailable', 'wait_if_ongoing'],
  // elkctl reindex (sim/es/indices.ts, aliases.ts, reindex.ts)
  reindex: [
    'refresh',
    'requests_per_second',
    'scroll',
    'slices',
    'max_docs',
    'timeout',
    'wait_for_active_shards',
    'wait_for_completion',
    'require_alias',
  ],
  'indices.create': ['master_timeout', 'timeout', 'wait_for_active_shards'],
  'indices.get': [...INDEX_OPTS, 'features', 'flat_settings', 'include_defaults', 'local', 'master_timeout'],
  'indices.exists': [...INDEX_OPTS, 'flat_settings', 'include_defaults', 'local'],
  'indices.delete': [...INDEX_OPTS, 'master_timeout', 'timeout'],
  'indices.put_settings': [...INDEX_OPTS, 'flat_settings', 'master_timeout', 'preserve_existing', 'reopen', 'timeout'],
  'indices.put_mapping': [...INDEX_OPTS, 'master_timeout', 'timeout', 'write_index_only'],
  'indices.stats': [
    'completion_fields',
    'expand_wildcards',
    'fielddata_fields',
    'fields',
    'forbid_closed_indices',
    'groups',
    'include_segment_file_sizes',
    'include_unloaded_segments',
    'level',
  ],
  'indices.refresh': INDEX_OPTS,
  'indices.resolve_index': ['expand_wildcards', 'ignore_unavailable', 'allow_no_indices', 'mode'],
  'indices.update_aliases': ['master_timeout', 'timeout'],
  'indices.get_alias': [...INDEX_OPTS, 'local', 'master_timeout'],
  search: [
    ...INDEX_OPTS,
    'allow_partial_search_results',
    'preference',
    'request_cache',
    'routing',
    'scroll',
    'search_type',
    'seq_no_primary_term',
    'size',
    'from',
    'sort',
    '_source',
    'timeout',
    'track_total_hits',
    'typed_keys',
    'version',
  ],
  mget: [
    'preference',
    'realtime',
    'refresh',
    'routing',
    'stored_fields',
    '_source',
    '_source_excludes',
    '_source_includes',
  ],
};

/** Throws Elasticsearch's 400 when the query has a parameter the endpoint does not know. */
export function checkParams(endpoint: string, path: string, q: URLSearchParams): void {
  const allowed = ENDPOINT_PARAMS[endpoint];
  if (!allowed) throw new Error(`no parameter list for endpoint ${endpoint}`);
  const unknown = [...new Set(q.keys())].filter((k) => !allowed.includes(k) && !COMMON.includes(k));
  if (unknown.length === 0) return;
  const list = unknown.map((u) => `[${u}]`).join(', ');
  throw new EsError(
    400,
    'illegal_argument_exception',
    `request [${path}] contains unrecognized parameter${unknown.length > 1 ? 's' : ''}: ${list}`,
  );
}
