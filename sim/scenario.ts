import * as fs from 'fs';
import { z } from 'zod';
import { FAULT_KINDS, FaultContext, FaultSchema, faultProblems } from './fault-schema';
import { clusterSettingProblem, indexSettingProblem } from './model/settings';
import { compareVersions, parseVersion } from './model/units';

/**
 * The scenario file of `elkctl sim run`: a cluster, a change, faults and limits. Strict: an unknown key is an error
 * that names the key and lists the allowed ones. Every optional key has a documented default (docs/sim.md).
 */

const MiB = 1024 * 1024;
const TiB = 1024 ** 4;

const versionString = z
  .string()
  .regex(/^\d+\.\d+\.\d+$/, 'must be an Elasticsearch version like "8.19.3"')
  .describe('Elasticsearch version');

const nonNegInt = z.number().int().nonnegative();
const posInt = z.number().int().positive();
const seconds = z.number().nonnegative();

export const ModelSchema = z.strictObject({
  /** indices.recovery.max_bytes_per_sec: per node, inbound and outbound together. */
  recoveryBytesPerSecond: z
    .number()
    .positive()
    .default(40 * MiB),
  /** node_concurrent_incoming_recoveries and node_concurrent_outgoing_recoveries. */
  nodeConcurrentRecoveries: posInt.default(2),
  /** cluster.routing.allocation.cluster_concurrent_rebalance */
  clusterConcurrentRebalance: nonNegInt.default(2),
  /** EC2 launch until the instance is InService and Elasticsearch starts. */
  bootSeconds: seconds.default(120),
  /** Random spread (±) added to every boot, drawn from the seeded generator. */
  bootJitterSeconds: seconds.default(15),
  /** Elasticsearch start until the node has joined the cluster. */
  joinSeconds: seconds.default(20),
  /**
   * An instance the orchestrator launched and attached joins no earlier than this long after its attach (the part of
   * its boot after the wait for its group tag). 0: it joins at the attach when its boot and join time have passed.
   */
  joinAfterAttachSeconds: seconds.default(0),
  /** How often the strategies poll. */
  pollSeconds: z.number().positive().default(30),
  /** CloudFormation PauseTime for cfn-rolling-update (at most 3600). */
  pauseSeconds: seconds.max(3600).default(300),
  /** A terminated instance's Elasticsearch process stops (and the node leaves) this long after the request. */
  shutdownSeconds: seconds.default(10),
  /** A terminating instance reaches Terminated this long after the request. */
  terminateSeconds: seconds.default(60),
  /** Time for the ASG health check to notice a dead or failed instance and replace it. */
  healthCheckSeconds: seconds.default(60),
  /** index.unassigned.node_left.delayed_timeout */
  delayedTimeoutSeconds: seconds.default(60),
  /**
   * A node whose instance dies stays in the cluster (its copies STARTED, health unchanged) this long: the master's
   * follower checks (1 s interval, 10 s timeout, 3 retries) must fail before it is removed. A process that stops
   * with its instance alive is noticed at once (its connections close).
   */
  detectionSeconds: seconds.default(30),
  /** Virtual seconds one Elasticsearch HTTP call of a strategy takes (time passes between its observations). */
  requestSeconds: seconds.default(0.05),
  /** Virtual seconds one fleet (Auto Scaling API) call of a strategy takes. */
  fleetCallSeconds: seconds.default(0.2),
  /** A new election after the elected master disappears without abdicating. */
  electionSeconds: seconds.default(3),
  /** index.allocation.max_retries */
  maxRetries: posInt.default(5),
  /** terminate-and-wait-green: how long to wait for green before accepting version-rule-only yellow. */
  greenTimeoutSeconds: seconds.default(3600),
  /** terminate-and-wait-green: give up after waiting this long for one node. */
  nodeTimeoutSeconds: z.number().positive().default(86400),
});

/** The environment config's `rollout.method` / `maxSurge` / `surgePlacement`, with the same names and defaults. */
export const RolloutSchema = z.strictObject({
  /** drain: surge and drain; handoff: the data volume moves to the replacement; auto: handoff where safe. */
  method: z.enum(['drain', 'handoff', 'auto']).default('auto'),
  /** Data nodes the drain method replaces at once (masters one at a time). */
  maxSurge: posInt.max(50).default(1),
  /**
   * Who picks the zones of a data surge of several instances: `orchestrator` launches each into the zone its batch
   * drains from and attaches it (the fleet's canLaunchIntoZones); `auto-scaling` raises the desired capacity.
   */
  surgePlacement: z.enum(['auto-scaling', 'orchestrator']).default('orchestrator'),
  /**
   * rollout.snapshotBeforeRoll: the stack's setup registers its snapshot repository and SLM policy before the roll
   * (sim/stack-setup.ts) and the orchestrator snapshots the whole cluster into it before it begins. Off by default
   * here (the environment config's default is on) so that scenarios without it keep their measured durations.
   */
  snapshotBeforeRoll: z.boolean().default(false),
});

const IndexSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._+-]*$/, 'must be a lower-case Elasticsearch index name (a-z, 0-9, . _ - +)'),
  shards: posInt.max(1024),
  replicas: nonNegInt.max(16),
  /** Documents in the primaries (one copy). */
  docs: nonNegInt,
  /** Bytes in the primaries (one copy); replicas add copies of the same size. */
  bytes: nonNegInt,
  /** Replica copies that are unassigned at the start (their node just left): a cluster that is not green at t=0. */
  unassignedReplicas: nonNegInt.default(0),
});

const HourlyIndexSchema = z.strictObject({
  prefix: z.string().regex(/^[a-z0-9][a-z0-9._+-]*$/, 'must be a lower-case index name prefix'),
  shards: posInt.max(1024),
  replicas: nonNegInt.max(16),
  docs: nonNegInt,
  bytes: nonNegInt,
});

export const ScenarioSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    seed: z.number().int().default(1),
    /** Wall-clock time of virtual second 0 (names hourly indices). */
    startTime: z.iso.datetime().default('2026-11-20T00:00:00Z'),
    model: ModelSchema.prefault({}),
    cluster: z.strictObject({
      version: versionString,
      clusterName: z.string().min(1).default('elk'),
      masters: posInt.max(15),
      dataNodes: posInt.max(200),
      diskBytesPerDataNode: z.number().positive().default(TiB),
      availabilityZones: z.array(z.string().min(1)).min(1).default(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']),
      /**
       * "launch-template": a data node's volume is deleted with its instance (what the stack deploys today), so no
       * node can be handed off. "own": each data volume is an EBS volume of its own that outlives its instance.
       */
      dataVolumes: z.enum(['launch-template', 'own']).default('launch-template'),
      indices: z.array(IndexSchema).default([]),
      hourlyIndex: HourlyIndexSchema.optional(),
    }),
    change: z
      .strictObject({
        version: versionString.optional(),
        ami: z.string().min(1).optional(),
        /**
         * A new cluster-CA generation in the user data (a phase of `security.caRotation`, docs/security.md): a new
         * launch template version with the same version and image, so every node is replaced. The simulator has no
         * TLS; the boot rehearsal's ca-rotation scenario checks the trust between nodes.
         */
        caGeneration: z.string().min(1).optional(),
        /**
         * New node counts, deployed as the construct does it (MinSize = count, MaxSize = count + 1; Auto Scaling
         * lowers the desired capacity to a lower MaxSize by itself): a lower count is a planned scale-in.
         */
        counts: z.strictObject({ masters: posInt.optional(), dataNodes: posInt.optional() }).optional(),
      })
      .refine((c) => c.version !== undefined || c.ami !== undefined || c.caGeneration !== undefined, {
        message:
          'needs "version" (a new Elasticsearch version), "ami" (a new image, same version) and/or "caGeneration" (a CA rotation phase)',
      }),
    /** How the orchestrator replaces nodes (`sim run --method/--max-surge/--surge-placement` override it). */
    rollout: RolloutSchema.prefault({}),
    faults: z.array(FaultSchema).default([]),
    limits: z.strictObject({ maxSimulatedSeconds: z.number().positive().default(172800) }).prefault({}),
  })
  .superRefine((s, ctx) => {
    if (s.rollout.maxSurge > s.cluster.dataNodes) {
      ctx.addIssue({
        code: 'custom',
        path: ['rollout', 'maxSurge'],
        message: `is ${s.rollout.maxSurge}: at most cluster.dataNodes (${s.cluster.dataNodes})`,
      });
    }
    const names = new Set<string>();
    s.cluster.indices.forEach((ix, i) => {
      if (names.has(ix.name)) {
        ctx.addIssue({ code: 'custom', path: ['cluster', 'indices', i, 'name'], message: `duplicate index name` });
      }
      names.add(ix.name);
      if (ix.replicas + 1 > s.cluster.dataNodes) {
        ctx.addIssue({
          code: 'custom',
          path: ['cluster', 'indices', i, 'replicas'],
          message: `${ix.replicas} replicas need ${ix.replicas + 1} data nodes, the cluster has ${s.cluster.dataNodes}: allowed 0..${s.cluster.dataNodes - 1}`,
        });
      }
    });
    if (s.cluster.hourlyIndex && s.cluster.hourlyIndex.replicas + 1 > s.cluster.dataNodes) {
      ctx.addIssue({
        code: 'custom',
        path: ['cluster', 'hourlyIndex', 'replicas'],
        message: `allowed 0..${s.cluster.dataNodes - 1} with ${s.cluster.dataNodes} data nodes`,
      });
    }
    const total = s.cluster.indices.reduce((a, ix) => a + ix.bytes * (1 + ix.replicas), 0);
    const capacity = s.cluster.dataNodes * s.cluster.diskBytesPerDataNode * 0.85;
    if (total > capacity) {
      ctx.addIssue({
        code: 'custom',
        path: ['cluster', 'indices'],
        message: `the indices need ${total} bytes with replicas, more than the ${Math.floor(capacity)} bytes below the 85 % low watermark of ${s.cluster.dataNodes} data nodes: raise cluster.diskBytesPerDataNode or cluster.dataNodes`,
      });
    }
    s.cluster.indices.forEach((ix, i) => {
      if (ix.unassignedReplicas > ix.shards * ix.replicas) {
        ctx.addIssue({
          code: 'custom',
          path: ['cluster', 'indices', i, 'unassignedReplicas'],
          message: `the index has ${ix.shards * ix.replicas} replica copies: allowed 0..${ix.shards * ix.replicas}`,
        });
      }
      const perCopy = ix.bytes / ix.shards;
      if (perCopy > s.cluster.diskBytesPerDataNode * 0.85) {
        ctx.addIssue({
          code: 'custom',
          path: ['cluster', 'indices', i, 'bytes'],
          message: `a shard of ${Math.round(perCopy)} bytes does not fit on one data node below the low watermark: use more shards`,
        });
      }
    });
    if (s.change.version !== undefined) {
      const from = parseVersion(s.cluster.version);
      const to = parseVersion(s.change.version);
      if (compareVersions(s.change.version, s.cluster.version) < 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['change', 'version'],
          message: `${s.change.version} is older than ${s.cluster.version}: Elasticsearch cannot be downgraded`,
        });
      } else if (to[0] > from[0] + 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['change', 'version'],
          message: `cannot skip a major version (${s.cluster.version} → ${s.change.version})`,
        });
      } else if (to[0] === from[0] + 1) {
        const lastMinor = from[0] === 7 ? 17 : 19;
        const ok = from[1] === lastMinor || (from[0] === 8 && from[1] === 18 && to[1] === 0);
        if (!ok) {
          ctx.addIssue({
            code: 'custom',
            path: ['change', 'version'],
            message: `a major upgrade to ${to[0]}.x must start from ${from[0]}.${lastMinor}.x (8.18.x may go to 9.0.x only)`,
          });
        }
      }
    }
    const faultContext: FaultContext = {
      masters: s.cluster.masters,
      dataNodes: s.cluster.dataNodes,
      indexNames: s.cluster.indices.map((ix) => ix.name),
      hourlyPrefix: s.cluster.hourlyIndex?.prefix,
      clusterSettingProblem: (key, value) => clusterSettingProblem('persistent', key, value),
      indexSettingProblem,
    };
    s.faults.forEach((f, i) => {
      for (const p of faultProblems(f, faultContext)) {
        ctx.addIssue({ code: 'custom', path: ['faults', i, ...p.path], message: p.message });
      }
    });
  });

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type ModelParams = Scenario['model'];
export type Fault = Scenario['faults'][number];
export type RolloutChoice = Scenario['rollout'];

export class ScenarioError extends Error {
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(message);
    this.name = 'ScenarioError';
  }
}

function pathString(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? String(p) : `.${String(p)}`;
  return s || '(top level)';
}

/** The keys a strict object at `path` allows, for error messages. */
function allowedKeysAt(path: readonly PropertyKey[], input: unknown): string[] | undefined {
  let schema: z.ZodType = ScenarioSchema;
  let value: unknown = input;
  for (const p of path) {
    const inner = unwrap(schema);
    if (inner instanceof z.ZodObject) schema = inner.shape[String(p)] as z.ZodType;
    else if (inner instanceof z.ZodArray) schema = inner.element as z.ZodType;
    else return undefined;
    value = (value as Record<string | number, unknown> | undefined)?.[p as string];
    if (!schema) return undefined;
  }
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) return Object.keys(inner.shape);
  if (inner instanceof z.ZodDiscriminatedUnion) {
    const kind = (value as { kind?: unknown } | undefined)?.kind;
    for (const o of inner.options as z.ZodObject[]) {
      const lit = o.shape.kind as z.ZodLiteral;
      if (lit.value === kind) return Object.keys(o.shape);
    }
  }
  return undefined;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (let i = 0; i < 10; i++) {
    const def = (s as unknown as { _zod: { def: { innerType?: z.ZodType; in?: z.ZodType } } })._zod.def;
    if (def.innerType) s = def.innerType;
    else if (def.in) s = def.in;
    else break;
  }
  return s;
}

/** Validates a parsed scenario; throws ScenarioError naming every bad key. `source` names the file in messages. */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const r = ScenarioSchema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((issue) => {
    const where = pathString(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeysAt(issue.path, input);
      return `${source}: ${issue.keys.map((k) => `unknown key "${pathString([...issue.path, k])}"`).join(', ')}${
        allowed ? `; allowed keys here: ${allowed.join(', ')}` : ''
      }`;
    }
    if (issue.code === 'invalid_union' && issue.path.at(-1) !== undefined) {
      const at = issue.path.at(-1) === 'kind' ? where : `${where}.kind`;
      return `${source}: ${at}: must be one of ${FAULT_KINDS.join(', ')}`;
    }
    return `${source}: ${where}: ${issue.message}`;
  });
  throw new ScenarioError(`invalid scenario ${source}:\n  ${problems.join('\n  ')}`, problems);
}

/** Reads and validates a scenario JSON file. */
export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(`cannot read scenario ${file}: ${(e as Error).message}`, []);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(`${file}: not valid JSON: ${(e as Error).message}`, []);
  }
  return parseScenario(json, file);
}
