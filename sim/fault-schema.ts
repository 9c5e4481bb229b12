import { z } from 'zod';
import { EC2_PENDING_SECONDS } from './model/fleet';
import type { SettingProblem } from './model/settings';

/**
 * The scenario's `faults[]`: one strict object per kind (docs/sim.md, "Faults"). Cross-checks that need the rest of
 * the scenario (instance ids that exist, indices that exist, windows that end after they start, known settings) are
 * in `faultProblems`, called by the scenario's superRefine.
 */

const seconds = z.number().nonnegative();
const posInt = z.number().int().positive();
const role = z.enum(['master', 'data']);
const instanceId = z
  .string()
  .regex(/^i-[0-9a-f]{8,17}$/, 'must be an EC2 instance id like "i-00000000000000004"')
  .describe('instance id');
const settingValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const FaultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('crash-orchestrator'), at: seconds }),
  z.strictObject({
    kind: z.literal('kill-node'),
    at: seconds,
    role: role.default('data'),
    /** Instance id of the node to kill; default: one of the role's joined nodes, picked with the seed. */
    node: instanceId.optional(),
  }),
  z.strictObject({
    kind: z.literal('fail-boot'),
    count: posInt.default(1),
    /** Applies to instances launched at or after this time. */
    at: seconds.default(0),
    role: role.optional(),
  }),
  z.strictObject({ kind: z.literal('es-timeouts'), from: seconds, to: seconds }),
  z.strictObject({ kind: z.literal('master-failover'), at: seconds }),
  /** Someone lowers the group's desired capacity by `count`; Auto Scaling picks the victims. */
  z.strictObject({ kind: z.literal('scale-in'), at: seconds, role, count: posInt }),
  /** Someone raises the group's desired capacity by `count` (and its MaxSize when needed); Auto Scaling launches. */
  z.strictObject({ kind: z.literal('scale-out'), at: seconds, role, count: posInt }),
  /** TerminateInstanceInAutoScalingGroup without decrement (the group launches a replacement). */
  z.strictObject({ kind: z.literal('terminate'), at: seconds, role: role.optional(), node: instanceId.optional() }),
  /** An operator writes a persistent cluster setting (`null` clears it). */
  z.strictObject({ kind: z.literal('cluster-setting'), at: seconds, key: z.string().min(1), value: settingValue }),
  /** An operator writes an index setting (`null` clears it). */
  z.strictObject({
    kind: z.literal('index-setting'),
    at: seconds,
    index: z.string().min(1),
    key: z.string().min(1),
    value: settingValue,
  }),
  /** Elasticsearch stops on one instance that stays EC2-healthy; back after `for` seconds when given. */
  z.strictObject({
    kind: z.literal('es-process-down'),
    at: seconds,
    role: role.optional(),
    node: instanceId.optional(),
    for: z.number().positive().optional(),
  }),
  /** Every HTTP answer takes `latencySeconds` virtual seconds. */
  z.strictObject({ kind: z.literal('slow-es'), from: seconds, to: seconds, latencySeconds: z.number().positive() }),
  /** The languid health wait times out (408, timed_out: true). */
  z.strictObject({ kind: z.literal('pending-tasks'), from: seconds, to: seconds }),
  /** `_nodes` omits one node and counts it in `_nodes.failed`. */
  z.strictObject({ kind: z.literal('nodes-info-partial'), from: seconds, to: seconds, node: instanceId.optional() }),
  /** POST _cluster/voting_config_exclusions times out; the voting configuration stays unchanged. */
  z.strictObject({ kind: z.literal('voting-exclusion-timeout'), from: seconds, to: seconds }),
  /** Documents are indexed at `docsPerSecond` (into `index`, default the newest index). */
  z.strictObject({
    kind: z.literal('write-load'),
    from: seconds,
    to: seconds,
    docsPerSecond: z.number().positive(),
    index: z.string().min(1).optional(),
  }),
  /** A long-running task on a node (issue #23), listed by `_tasks`, killed when the node goes away. */
  z.strictObject({
    kind: z.literal('task'),
    at: seconds,
    node: instanceId,
    /** A transport action (`indices:data/write/reindex`) or a persistent task's (`xpack/transform[c]`, no colon). */
    action: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]*(:|\/)[a-z0-9_/\][*-]+$/, 'must be a task action like "indices:data/write/reindex"'),
    seconds: z.number().positive(),
  }),
  /**
   * A snapshot starts (issue #23): each primary's shard snapshot runs on its node, one shard after the other per node
   * at `bytesPerSecond` (the repository's max_snapshot_bytes_per_sec); listed by `_snapshot/_status`.
   */
  z.strictObject({
    kind: z.literal('snapshot'),
    at: seconds,
    repository: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be a repository name')
      .default('backups'),
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be a lower-case snapshot name')
      .optional(),
    /** Indices to snapshot (default: every index). */
    indices: z.array(z.string().min(1)).min(1).optional(),
    bytesPerSecond: z.number().positive().default(41943040),
  }),
  /** The next `count` `_reindex` tasks started at or after `at` (from `index`) fail after `fraction` of each slice. */
  z.strictObject({
    kind: z.literal('reindex-failure'),
    at: seconds.default(0),
    fraction: z.number().gt(0).lt(1).default(0.5),
    count: posInt.default(1),
    index: z.string().min(1).optional(),
  }),
  /** Searches and counts see every index as it was `seconds` ago, even after a refresh. */
  z.strictObject({ kind: z.literal('count-lag'), from: seconds, to: seconds, seconds: z.number().positive() }),
  /** AttachInstances fails (ValidationError) while the window is open (surgePlacement orchestrator). */
  z.strictObject({ kind: z.literal('attach-refused'), from: seconds, to: seconds }),
  /** Every instance the orchestrator launched and has not attached yet is gone at `at` (failed, or killed). */
  z.strictObject({ kind: z.literal('unattached-dies'), at: seconds }),
  /** Instances launched in the window stay EC2 `pending` for `seconds` (instead of 30), their boot late by as much. */
  z.strictObject({
    kind: z.literal('launch-slow'),
    from: seconds,
    to: seconds,
    seconds: z.number().positive().max(3600),
  }),
]);

export type Fault = z.output<typeof FaultSchema>;

export const FAULT_KINDS: readonly string[] = FaultSchema.options.map((o) => o.shape.kind.value);

/** The n-th instance id the simulator hands out (1-based: masters first, then data nodes, then replacements). */
export function instanceIdOf(n: number): string {
  return `i-${n.toString(16).padStart(17, '0')}`;
}

export interface FaultContext {
  readonly masters: number;
  readonly dataNodes: number;
  readonly indexNames: readonly string[];
  readonly hourlyPrefix?: string;
  /** Why a cluster setting key/value would be refused (undefined when accepted). */
  readonly clusterSettingProblem: (key: string, value: string | null) => SettingProblem | undefined;
  /** Why an index setting key/value would be refused (undefined when accepted). */
  readonly indexSettingProblem: (key: string, value: string | null) => SettingProblem | undefined;
}

export interface FaultProblem {
  readonly path: (string | number)[];
  readonly message: string;
}

/** Setting values as Elasticsearch stores them: strings (numbers and booleans are written as text). */
export function settingText(v: string | number | boolean | null): string | null {
  return v === null ? null : String(v);
}

/** Problems with one fault that depend on the rest of the scenario. */
export function faultProblems(f: Fault, ctx: FaultContext): FaultProblem[] {
  const out: FaultProblem[] = [];
  const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => instanceIdOf(from + i));
  const masterIds = ids(1, ctx.masters);
  const dataIds = ids(ctx.masters + 1, ctx.dataNodes);
  if ('from' in f && 'to' in f && f.to <= f.from) {
    out.push({ path: ['to'], message: `must be greater than "from" (${f.from})` });
  }
  if ('node' in f && f.node !== undefined) {
    const role = 'role' in f ? f.role : undefined;
    const isMaster = masterIds.includes(f.node);
    const isData = dataIds.includes(f.node);
    const range = `masters ${masterIds[0]}..${masterIds.at(-1)}, data nodes ${dataIds[0]}..${dataIds.at(-1)}`;
    if (!isMaster && !isData) {
      out.push({ path: ['node'], message: `no instance "${f.node}" at the start of the scenario (${range})` });
    } else if (role !== undefined && f.kind !== 'kill-node' && (role === 'master') !== isMaster) {
      out.push({ path: ['role'], message: `"${role}" but ${f.node} is a ${isMaster ? 'master' : 'data'} node` });
    } else if (f.kind === 'kill-node' && (f.role === 'master') !== isMaster) {
      out.push({ path: ['role'], message: `"${f.role}" but ${f.node} is a ${isMaster ? 'master' : 'data'} node` });
    }
  }
  if (f.kind === 'scale-in') {
    const count = f.role === 'master' ? ctx.masters : ctx.dataNodes;
    if (f.count >= count) {
      out.push({ path: ['count'], message: `the ${f.role} group has ${count} instances: allowed 1..${count - 1}` });
    }
  }
  if (
    (f.kind === 'index-setting' || f.kind === 'write-load' || f.kind === 'reindex-failure') &&
    f.index !== undefined
  ) {
    const hourly = ctx.hourlyPrefix !== undefined && f.index.startsWith(ctx.hourlyPrefix);
    if (!ctx.indexNames.includes(f.index) && !hourly) {
      out.push({
        path: ['index'],
        message: `no index "${f.index}" in cluster.indices${ctx.hourlyPrefix ? ` (nor an hourly "${ctx.hourlyPrefix}…" index)` : ''}: known ${ctx.indexNames.join(', ') || 'none'}`,
      });
    }
  }
  if (f.kind === 'snapshot') {
    f.indices?.forEach((name, i) => {
      if (!ctx.indexNames.includes(name) && !(ctx.hourlyPrefix !== undefined && name.startsWith(ctx.hourlyPrefix))) {
        out.push({ path: ['indices', i], message: `no index "${name}" in cluster.indices` });
      }
    });
  }
  if (f.kind === 'launch-slow' && f.seconds <= EC2_PENDING_SECONDS) {
    out.push({
      path: ['seconds'],
      message: `${f.seconds} s is not slow: every launch stays pending ${EC2_PENDING_SECONDS} s; allowed ${EC2_PENDING_SECONDS + 1}..3600`,
    });
  }
  if (f.kind === 'cluster-setting') {
    const p = ctx.clusterSettingProblem(f.key, settingText(f.value));
    if (p) out.push({ path: [p.on], message: p.message });
  }
  if (f.kind === 'index-setting') {
    const p = ctx.indexSettingProblem(f.key, settingText(f.value));
    if (p) out.push({ path: [p.on], message: p.message });
  }
  return out;
}
