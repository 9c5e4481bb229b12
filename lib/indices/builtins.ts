/**
 * What Elasticsearch 8.x/9.x installs by itself (the stack template registry of x-pack's `stack` plugin), so a
 * definition may refer to it, and must not collide with it.
 */

/** Built-in composable index templates: patterns and priority. A template of ours at the same priority whose
 * patterns overlap is refused by Elasticsearch. */
export const BUILTIN_INDEX_TEMPLATES: readonly { name: string; patterns: string[]; priority: number }[] = [
  { name: 'logs', patterns: ['logs-*-*'], priority: 100 },
  { name: 'metrics', patterns: ['metrics-*-*'], priority: 100 },
  { name: 'synthetics', patterns: ['synthetics-*-*'], priority: 100 },
];

/** Built-in component templates that `composed_of` may name. */
export const BUILTIN_COMPONENT_TEMPLATES: ReadonlySet<string> = new Set([
  'data-streams@mappings',
  'ecs@mappings',
  'logs@mappings',
  'logs@settings',
  'metrics@mappings',
  'metrics@settings',
  'metrics@tsdb-settings',
  'synthetics@mappings',
  'synthetics@settings',
]);

/** Built-in ILM policies that `index.lifecycle.name` may name. */
export const BUILTIN_ILM_POLICIES: ReadonlySet<string> = new Set([
  'logs',
  'logs@lifecycle',
  'metrics',
  'metrics@lifecycle',
  'synthetics',
  'synthetics@lifecycle',
  '7-days-default',
  '7-days@lifecycle',
  '30-days-default',
  '30-days@lifecycle',
  '90-days-default',
  '90-days@lifecycle',
  '180-days-default',
  '180-days@lifecycle',
  '365-days-default',
  '365-days@lifecycle',
]);

/**
 * ILM phases and the actions each allows (TimeseriesLifecycleType: ORDERED_VALID_*_ACTIONS), with the first
 * version that knows an action where it is younger than 8.0.
 */
export const ILM_PHASE_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  hot: [
    'set_priority',
    'unfollow',
    'rollover',
    'readonly',
    'downsample',
    'shrink',
    'forcemerge',
    'searchable_snapshot',
  ],
  warm: ['set_priority', 'unfollow', 'readonly', 'downsample', 'allocate', 'migrate', 'shrink', 'forcemerge'],
  cold: ['set_priority', 'unfollow', 'readonly', 'downsample', 'searchable_snapshot', 'allocate', 'migrate', 'freeze'],
  frozen: ['unfollow', 'searchable_snapshot'],
  delete: ['wait_for_snapshot', 'delete'],
};
export const ILM_ACTION_SINCE: Readonly<Record<string, [number, number]>> = { downsample: [8, 5] };
/** Hot-phase actions that need a rollover in the same phase (HOT_ACTIONS_THAT_REQUIRE_ROLLOVER). */
export const HOT_ACTIONS_NEEDING_ROLLOVER: readonly string[] = [
  'readonly',
  'shrink',
  'forcemerge',
  'downsample',
  'searchable_snapshot',
];
