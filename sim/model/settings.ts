import { parseByteSize, parseTimeValue } from './units';

/**
 * Cluster and index settings the simulator knows: defaults, allowed values, and the validation Elasticsearch applies
 * when they are written (a pure function, shared by the REST face and the scenario's setting faults).
 */

export interface SettingModel {
  readonly clusterConcurrentRebalance: number;
  readonly nodeConcurrentRecoveries: number;
  readonly recoveryBytesPerSecond: number;
}

export const SETTING_DEFAULTS = (model: SettingModel): Record<string, string> => ({
  'cluster.routing.allocation.enable': 'all',
  'cluster.routing.rebalance.enable': 'all',
  // ClusterRebalanceAllocationDecider: rebalance only when no shard is unassigned or initializing.
  'cluster.routing.allocation.allow_rebalance': 'indices_all_active',
  'cluster.routing.allocation.cluster_concurrent_rebalance': String(model.clusterConcurrentRebalance),
  'cluster.routing.allocation.node_concurrent_recoveries': String(model.nodeConcurrentRecoveries),
  'cluster.routing.allocation.node_concurrent_incoming_recoveries': String(model.nodeConcurrentRecoveries),
  'cluster.routing.allocation.node_concurrent_outgoing_recoveries': String(model.nodeConcurrentRecoveries),
  'cluster.routing.allocation.node_initial_primaries_recoveries': '4',
  'cluster.routing.allocation.type': 'desired_balance',
  'cluster.routing.allocation.balance.shard': '0.45',
  'cluster.routing.allocation.balance.index': '0.55',
  'cluster.routing.allocation.balance.disk_usage': '2.0E-11',
  'cluster.routing.allocation.balance.threshold': '1.0',
  'cluster.routing.allocation.disk.threshold_enabled': 'true',
  'cluster.routing.allocation.disk.watermark.low': '85%',
  'cluster.routing.allocation.disk.watermark.low.max_headroom': '200gb',
  'cluster.routing.allocation.disk.watermark.high': '90%',
  'cluster.routing.allocation.disk.watermark.high.max_headroom': '150gb',
  'cluster.routing.allocation.disk.watermark.flood_stage': '95%',
  'cluster.routing.allocation.disk.watermark.flood_stage.max_headroom': '100gb',
  'cluster.routing.allocation.awareness.attributes': '',
  'cluster.routing.allocation.total_shards_per_node': '-1',
  'cluster.max_voting_config_exclusions': '10',
  'cluster.max_shards_per_node': '1000',
  'cluster.info.update.interval': '30s',
  'cluster.auto_shrink_voting_configuration': 'true',
  'indices.recovery.max_bytes_per_sec': `${Math.round(model.recoveryBytesPerSecond)}b`,
  'indices.recovery.max_concurrent_file_chunks': '2',
  'indices.recovery.max_concurrent_operations': '1',
  'action.destructive_requires_name': 'true',
});

const CLUSTER_KEYS = Object.keys(
  SETTING_DEFAULTS({ clusterConcurrentRebalance: 2, nodeConcurrentRecoveries: 2, recoveryBytesPerSecond: 1 }),
);

export const ENUM_SETTINGS: Record<string, readonly string[]> = {
  'cluster.routing.allocation.enable': ['all', 'primaries', 'new_primaries', 'none'],
  'cluster.routing.rebalance.enable': ['all', 'primaries', 'replicas', 'none'],
  'cluster.routing.allocation.allow_rebalance': ['always', 'indices_primaries_active', 'indices_all_active'],
  'cluster.routing.allocation.disk.threshold_enabled': ['true', 'false'],
  'cluster.auto_shrink_voting_configuration': ['true', 'false'],
  'action.destructive_requires_name': ['true', 'false'],
  'cluster.routing.allocation.type': ['desired_balance', 'balanced'],
  'index.routing.allocation.enable': ['all', 'primaries', 'new_primaries', 'none'],
  'index.routing.rebalance.enable': ['all', 'primaries', 'replicas', 'none'],
};

export const FILTER_ATTRIBUTES = ['_name', '_id', '_ip', '_host_ip', '_publish_ip', '_host'] as const;
export const FILTER_KINDS = ['require', 'include', 'exclude'] as const;
export type FilterKind = (typeof FILTER_KINDS)[number];

export const INDEX_SETTING_KEYS = [
  'index.routing.allocation.enable',
  'index.routing.rebalance.enable',
  'index.routing.allocation.total_shards_per_node',
  'index.unassigned.node_left.delayed_timeout',
] as const;

function isFilterKey(key: string, scope: 'cluster' | 'index'): boolean {
  const m = new RegExp(`^${scope}\\.routing\\.allocation\\.(require|include|exclude)\\.(.+)$`).exec(key);
  return m !== null && m[2].length > 0;
}

export interface SettingProblem {
  /** Which part of the update is wrong. */
  readonly on: 'key' | 'value';
  readonly message: string;
}

/** Why Elasticsearch would refuse writing `key: value` as a cluster setting (undefined when it accepts it). */
export function clusterSettingProblem(
  scope: 'persistent' | 'transient',
  key: string,
  value: string | null,
  current?: string,
): SettingProblem | undefined {
  if (!CLUSTER_KEYS.includes(key) && !isFilterKey(key, 'cluster')) {
    return { on: 'key', message: `${scope} setting [${key}], not recognized` };
  }
  return value === null ? undefined : valueProblem(key, value, current);
}

/** Why Elasticsearch would refuse writing `key: value` as an index setting of a simulated index. */
export function indexSettingProblem(key: string, value: string | null): SettingProblem | undefined {
  if (!(INDEX_SETTING_KEYS as readonly string[]).includes(key) && !isFilterKey(key, 'index')) {
    return {
      on: 'key',
      message: `unknown setting [${key}]; the simulator models ${INDEX_SETTING_KEYS.join(', ')} and index.routing.allocation.{require,include,exclude}.*`,
    };
  }
  return value === null ? undefined : valueProblem(key, value);
}

function valueProblem(key: string, value: string, current?: string): SettingProblem | undefined {
  const allowed = ENUM_SETTINGS[key];
  if (allowed && !allowed.includes(value.toLowerCase())) {
    return {
      on: 'value',
      message: `illegal value can't update [${key}] from [${current ?? ''}] to [${value}]: allowed values are [${allowed.join(', ')}]`,
    };
  }
  if ((key === 'indices.recovery.max_bytes_per_sec' || key.endsWith('.max_headroom')) && !validBytes(value)) {
    return {
      on: 'value',
      message: `failed to parse setting [${key}] with value [${value}] as a size in bytes: unit is missing or unrecognized`,
    };
  }
  if (/concurrent|max_voting|max_shards|initial_primaries/.test(key) && !/^\d+$/.test(value)) {
    return { on: 'value', message: `Failed to parse value [${value}] for setting [${key}]` };
  }
  if (key.endsWith('total_shards_per_node') && !/^-?\d+$/.test(value)) {
    return { on: 'value', message: `Failed to parse value [${value}] for setting [${key}]` };
  }
  if (key.endsWith('total_shards_per_node') && Number(value) < -1) {
    return { on: 'value', message: `Failed to parse value [${value}] for setting [${key}] must be >= -1` };
  }
  if (key === 'index.unassigned.node_left.delayed_timeout' && parseTimeValue(value) === undefined) {
    return {
      on: 'value',
      message: `failed to parse setting [${key}] with value [${value}] as a time value: unit is missing or unrecognized`,
    };
  }
  if (/watermark\.(low|high|flood_stage)$/.test(key) && watermarkFraction(value) === undefined && !validBytes(value)) {
    return { on: 'value', message: `unable to consider value [${value}] for setting [${key}]` };
  }
  return undefined;
}

function validBytes(v: string): boolean {
  return v === '-1' || parseByteSize(v) !== undefined;
}

/** A watermark given as a ratio or percentage ("85%", "0.85"), as the used fraction; undefined for byte values. */
export function watermarkFraction(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(v.trim());
  if (m) return Number(m[1]) / 100;
  if (/^0?\.\d+$|^1(\.0+)?$/.test(v.trim())) return Number(v);
  return undefined;
}
