/**
 * Elasticsearch roles and users as data. The security bootstrap custom resource PUTs exactly these on every
 * deploy where they change (the custom resource carries a hash of this file's output), and the tests read them.
 * The shapes follow the `PUT _security/role/<name>` and `PUT _security/user/<name>` request bodies.
 */
import { createHash } from 'crypto';

export interface IndexPrivilege {
  readonly names: readonly string[];
  readonly privileges: readonly string[];
  /** Whether the grant also covers restricted indices such as `.security-7`. @default false */
  readonly allow_restricted_indices?: boolean;
}

export interface RoleDescriptor {
  /** Named cluster privileges or cluster action patterns (`cluster:admin/...`). */
  readonly cluster: readonly string[];
  readonly indices: readonly IndexPrivilege[];
  readonly metadata?: Record<string, string>;
}

/** Users whose passwords the stack generates, one Secrets Manager secret each. */
export const SERVICE_USERS = [
  'elastic',
  'kibana_system',
  'logstash_writer',
  'elastalert',
  'orchestrator',
  'node_monitor',
  'index_manager',
  'metrics_collector',
] as const;
export type ServiceUser = (typeof SERVICE_USERS)[number];

/** Built-in users of Elasticsearch: only their password is set, never their roles. */
export const RESERVED_USERS: readonly ServiceUser[] = ['elastic', 'kibana_system'];

const MANAGED = { managed_by: 'elk-cdk' };

/** Index privileges that read or change documents. No role may hold one it does not need. */
export const DOCUMENT_PRIVILEGES: readonly string[] = [
  'all',
  'read',
  'read_cross_cluster',
  'write',
  'index',
  'create',
  'create_doc',
  'delete',
  'manage',
  'manage_follow_index',
  'manage_leader_index',
];

export const ROLES: Readonly<Record<string, RoleDescriptor>> = {
  /**
   * Logstash ships events into logs-* data streams (`data_stream => true`): a bulk `create` per event, the data
   * stream auto-created from its index template on the first event. In data stream mode the output installs no
   * template and no ILM policy (index_manager does, lib/indices), so no `manage_index_templates`/`manage_ilm`;
   * `monitor` for its version and license checks. The same as Fleet's output keys: `auto_configure` + `create_doc`.
   */
  logstash_writer: {
    cluster: ['monitor'],
    indices: [{ names: ['logs-*'], privileges: ['create_doc', 'auto_configure'] }],
    metadata: MANAGED,
  },
  /**
   * ElastAlert queries the log indices and keeps its state in its own writeback indices (`elastalert`,
   * `elastalert_status`, `_silence`, `_error`, `_past`), which `elastalert-create-index` creates with mappings.
   */
  elastalert: {
    cluster: ['monitor'],
    indices: [
      { names: ['logs-*'], privileges: ['read', 'view_index_metadata'] },
      {
        names: ['elastalert', 'elastalert_*'],
        privileges: ['create_index', 'read', 'write', 'view_index_metadata', 'manage'],
      },
    ],
    metadata: MANAGED,
  },
  /**
   * The rolling-replacement orchestrator: cluster health, state, nodes, allocation explain, tasks (all `monitor`),
   * running snapshots (`monitor_snapshot`), allocation exclusions (cluster settings) and voting exclusions. It holds no document privilege. Nothing more:
   * the adapter (lambda/rolling-replacement/adapters/elasticsearch.ts) uses neither the node shutdown API nor
   * reroute; add `cluster:admin/shutdown/*` or `cluster:admin/reroute` here if it ever does.
   * It does hold the index `monitor` privilege on every index, restricted ones included: `_cat/shards` and
   * index stats only list the shards of indices the user may monitor, and a filtered view would make a node
   * holding the last copy of `.security-7` look empty. `monitor` reads shard metadata and stats, never documents.
   */
  orchestrator: {
    cluster: [
      'monitor',
      'cluster:admin/settings/update',
      'cluster:admin/voting_config/add_exclusions',
      'cluster:admin/voting_config/clear_exclusions',
      // GET _snapshot/_status (running snapshots' shards on a node about to be terminated): not part of `monitor`.
      'monitor_snapshot',
      // rollout.snapshotBeforeRoll: PUT and GET _snapshot/<repository>/pre-roll-* (create, list; no delete, no restore).
      'create_snapshot',
    ],
    indices: [{ names: ['*'], privileges: ['monitor'], allow_restricted_indices: true }],
    metadata: MANAGED,
  },
  /**
   * What an Elasticsearch node's own boot scripts may do over HTTP: `GET /` (cluster uuid, to write the formation
   * marker) and nothing else. Nodes hold this user's password instead of elastic's.
   */
  node_monitor: {
    cluster: ['cluster:monitor/main'],
    indices: [],
    metadata: MANAGED,
  },
  /**
   * Index definitions as code (lib/indices, lambda/index-management): puts and deletes index templates, component
   * templates and ILM policies, and reads cluster health to know the cluster is up. It also applies the cluster-level
   * definitions (lambda/index-management/cluster.ts): the dynamic cluster settings, the snapshot repository (put
   * only) and the SLM policy. No index privilege: it never reads, writes or deletes an index or a document.
   */
  index_manager: {
    cluster: [
      'monitor',
      'manage_index_templates',
      'manage_ilm',
      'manage_slm',
      'cluster:admin/repository/put',
      'cluster:admin/settings/update',
    ],
    indices: [],
    metadata: MANAGED,
  },
  /**
   * The cluster metrics collector (lambda/cluster-metrics, every minute): cluster health, node stats (heap, disk)
   * and node info (HTTP addresses, to read each node's certificate dates). Three read-only cluster actions, no
   * index privilege: it never sees a document, a setting or a mapping.
   */
  metrics_collector: {
    cluster: ['cluster:monitor/health', 'cluster:monitor/nodes/stats', 'cluster:monitor/nodes/info'],
    indices: [],
    metadata: MANAGED,
  },
};

export interface NativeUser {
  readonly roles: readonly string[];
  readonly full_name: string;
}

/** Native-realm users the bootstrap creates (reserved users only get their password set). */
export const NATIVE_USERS: Readonly<Record<Exclude<ServiceUser, 'elastic' | 'kibana_system'>, NativeUser>> = {
  logstash_writer: { roles: ['logstash_writer'], full_name: 'Logstash writer (elk-cdk)' },
  elastalert: { roles: ['elastalert'], full_name: 'ElastAlert (elk-cdk)' },
  orchestrator: { roles: ['orchestrator'], full_name: 'Rolling-replacement orchestrator (elk-cdk)' },
  node_monitor: { roles: ['node_monitor'], full_name: 'Elasticsearch node boot scripts (elk-cdk)' },
  index_manager: { roles: ['index_manager'], full_name: 'Index templates and ILM policies (elk-cdk)' },
  metrics_collector: { roles: ['metrics_collector'], full_name: 'Cluster metrics collector (elk-cdk)' },
};

/** Stable JSON (sorted keys) so the hash only changes when a definition does. */
function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 of the roles and users: a custom-resource property, so a changed definition triggers an Update. */
export function securityDefinitionsHash(
  roles: Readonly<Record<string, RoleDescriptor>> = ROLES,
  users: Readonly<Record<string, NativeUser>> = NATIVE_USERS,
): string {
  return createHash('sha256').update(stableStringify({ roles, users })).digest('hex');
}
