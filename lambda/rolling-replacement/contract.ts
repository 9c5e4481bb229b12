/**
 * One contract shared by the construct (lib/rolling-replacement/RollingReplacement.ts) and the handlers: the custom
 * resource's properties, the workflow's state and the Lambda environment. Versioned: a rollback may send properties
 * written by an older template, so every handler accepts every schemaVersion it was ever created with.
 */
import { z } from 'zod';
import { DEFAULT_OPTIONS, type RolloutSpec } from './core/types';

const digits = z.string().regex(/^\d+$/, { message: 'must be a whole number as a string' });

/** Custom resource properties (CloudFormation passes every value as a string). */
export const RolloutPropertiesSchema = z
  .object({
    ServiceToken: z.string().optional(),
    SchemaVersion: z.literal('1'),
    /** Environment name, e.g. production (metrics dimension, execution names). */
    Environment: z.string().regex(/^[a-z0-9-]+$/),
    RolloutId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, { message: 'letters, digits and "-", at most 64' }),
    DataGroupName: z.string().min(1),
    MasterGroupName: z.string().min(1),
    TargetVersion: z.string().regex(/^\d+\.\d+\.\d+$/),
    /** Launch template versions the groups now launch (changes of these start a roll). */
    DataLaunchTemplateVersion: z.string().min(1),
    MasterLaunchTemplateVersion: z.string().min(1),
    StateMachineArn: z.string().startsWith('arn:'),
    /**
     * Pre-signed URL of the rollout's WaitCondition handle in templates written before WaitHandleLogicalId; "" now
     * (the URL is a credential: never a property, a workflow state or a log line).
     */
    WaitHandleUrl: z.string(),
    /** The rollout's WaitCondition handle (its physical id is the URL, read when signalling); absent: no wait. */
    WaitHandleLogicalId: z
      .string()
      .regex(/^[A-Za-z0-9]{1,255}$/)
      .optional(),
    /** The stack of that handle. */
    WaitHandleStackId: z.string().startsWith('arn:').optional(),
    PollSeconds: digits,
    JoinTimeoutSeconds: digits,
    /** rollout.method; absent in templates written before it existed (then auto). */
    Method: z.enum(['drain', 'handoff', 'auto']).optional(),
    /** rollout.maxSurge; absent in templates written before it existed (then 1). */
    MaxSurge: digits.optional(),
    /** rollout.surgePlacement; absent in templates written before it existed, and with maxSurge 1 (then auto-scaling). */
    SurgePlacement: z.enum(['auto-scaling', 'orchestrator']).optional(),
    /** Bound of the wait for long-running tasks on a node before it is terminated (in-flight-tasks); absent: 3600. */
    InFlightTaskTimeoutSeconds: digits.optional(),
    /** rollout.snapshotBeforeRoll: the repository of the pre-roll snapshot; absent = no snapshot. */
    SnapshotRepository: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/)
      .optional(),
    /**
     * dataNodes.count / masterNodes.count: a count below the running instances is a planned scale-in (drained like a
     * replacement); absent in templates written before it existed (then the running count stays).
     */
    DataCount: digits.optional(),
    MasterCount: digits.optional(),
    /** rollout.stallMinutes × 60; absent: DEFAULT_OPTIONS.stallSeconds. */
    StallSeconds: digits.optional(),
    /** rollout.drainDiskMarginPercent (0-50, decimals allowed); absent: DEFAULT_OPTIONS.drainDiskMargin × 100. */
    DrainDiskMarginPercent: z
      .string()
      .regex(/^\d+(\.\d+)?$/, { message: 'must be a percentage as a string, e.g. "5"' })
      .refine((v) => Number(v) <= 50, { message: 'must be at most 50' })
      .optional(),
    /** rollout.nodeDownMinutes in seconds (node health check; 0 = off); absent in older templates (then 900). */
    NodeDownSeconds: digits.optional(),
  })
  .strict();
export type RolloutProperties = z.infer<typeof RolloutPropertiesSchema>;

export function parseProperties(raw: unknown, origin: string): RolloutProperties {
  const r = RolloutPropertiesSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(
      `${origin}: invalid rolling replacement properties (${issues}); redeploy with the construct's output`,
    );
  }
  return r.data;
}

export function specFromProperties(
  p: RolloutProperties,
  mode: RolloutSpec['mode'],
  abortReason?: string,
  attempt?: string,
): RolloutSpec {
  return {
    rolloutId: p.RolloutId,
    ...(attempt ? { attempt } : {}),
    groups: { master: p.MasterGroupName, data: p.DataGroupName },
    targetVersion: p.TargetVersion,
    mode,
    ...(abortReason ? { abortReason } : {}),
    ...(p.DataCount && p.MasterCount ? { counts: { data: Number(p.DataCount), master: Number(p.MasterCount) } } : {}),
    options: {
      ...DEFAULT_OPTIONS,
      joinTimeoutSeconds: Number(p.JoinTimeoutSeconds),
      ...(p.Method ? { method: p.Method } : {}),
      ...(p.MaxSurge ? { maxSurge: Math.max(1, Number(p.MaxSurge)) } : {}),
      ...(p.SurgePlacement ? { surgePlacement: p.SurgePlacement } : {}),
      ...(p.InFlightTaskTimeoutSeconds !== undefined
        ? { inFlightTaskTimeoutSeconds: Number(p.InFlightTaskTimeoutSeconds) }
        : {}),
      ...(p.SnapshotRepository ? { snapshotBeforeRoll: p.SnapshotRepository } : {}),
      ...(p.StallSeconds !== undefined ? { stallSeconds: Number(p.StallSeconds) } : {}),
      ...(p.DrainDiskMarginPercent !== undefined ? { drainDiskMargin: Number(p.DrainDiskMarginPercent) / 100 } : {}),
      ...(p.NodeDownSeconds !== undefined ? { nodeDownSeconds: Number(p.NodeDownSeconds) } : {}),
    },
  };
}

/** State carried by the Step Functions workflow from one reconcile call to the next (the Lambda keeps none). */
export const WorkflowStateSchema = z.object({
  properties: RolloutPropertiesSchema,
  /** Epoch seconds the rollout started. */
  startedAt: z.number(),
  steps: z.number().int().min(0),
  terminated: z.array(z.string()),
  status: z.enum(['running', 'completed', 'failed', 'aborted', 'continued']),
  reason: z.string(),
  waitSeconds: z.number().int().min(1),
  /** The state machine's ARN (from the context object), for continue-as-new. */
  stateMachineArn: z.string().optional(),
  /**
   * Set once the reconcile task failed every retry: the roll is marked failed and the workflow goes on with the
   * cleanup; a second exhaustion ends it, naming what is left in place.
   */
  failedAfterErrors: z.boolean().optional(),
  /** Epoch seconds this execution started (continue-as-new resets it): it continues as new before its timeout. */
  executionStartedAt: z.number().optional(),
  /**
   * Set while the workflow retries the cleanup of a stop that found Elasticsearch unreachable (handlers/cleanup-retry.ts):
   * until when (epoch seconds), the outcome to end with, and, for an execution the provider started after a stack
   * rollback, the abort's reason (its steps run in abort mode). The deployment was answered already.
   */
  cleanup: z
    .object({ until: z.number(), outcome: z.enum(['failed', 'aborted']), abortReason: z.string().optional() })
    .strict()
    .optional(),
});
export type WorkflowState = z.infer<typeof WorkflowStateSchema>;

/** After a stop that left its cleanup undone (Elasticsearch unreachable), how long the workflow retries it. */
export const CLEANUP_RETRY_SECONDS = 24 * 3600;
/** Seconds between those retries. */
export const CLEANUP_POLL_SECONDS = 300;

/** Loops per execution before it continues as a new one (history limit 25,000 events; ~10 events a loop). */
export const MAX_STEPS_PER_EXECUTION = 2000;

/** The state machine's own timeout (an execution that reaches it ends without any cleanup). */
export const EXECUTION_TIMEOUT_SECONDS = 7 * 24 * 3600;
/** An execution older than this continues as a new one, so the timeout above is never reached. */
export const EXECUTION_BUDGET_SECONDS = 6 * 24 * 3600;

/** Lambda environment of the handlers. */
export const HandlerEnvSchema = z.object({
  ES_ENDPOINT: z.string().url(),
  ES_CREDENTIALS_SECRET_ARN: z.string().startsWith('arn:'),
  ES_CA_PARAMETER: z.string().startsWith('/'),
  METRICS_NAMESPACE: z.string().min(1),
  /** Volume handoff (both or neither): the environment of the data volumes and their mount point on the nodes. */
  DATA_VOLUME_ENVIRONMENT: z.string().min(1).optional(),
  DATA_VOLUME_PATH: z.string().startsWith('/').optional(),
  /**
   * rollout.surgePlacement `orchestrator` with maxSurge > 1: the data group's name, whose surges the fleet adapter may
   * launch into chosen zones and attach (its grants come with this variable; surge-placement-grants.ts). Absent: none.
   */
  SURGE_PLACEMENT_GROUP: z.string().min(1).optional(),
});
export type HandlerEnv = z.infer<typeof HandlerEnvSchema>;

export function parseEnv(env: NodeJS.ProcessEnv): HandlerEnv {
  const r = HandlerEnvSchema.safeParse(env);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`rolling replacement Lambda environment: ${issues} (set by the RollingReplacement construct)`);
  }
  return r.data;
}

/** The rollout result exposed as stack output (kept under 4 KB: instance ids are cut with a count when needed). */
export function resultData(
  state: Pick<WorkflowState, 'terminated' | 'status' | 'reason'>,
  durationSeconds: number,
): Record<string, string> {
  let ids = state.terminated;
  let text = ids.join(',');
  while (text.length > 3000) {
    ids = ids.slice(0, Math.floor(ids.length / 2));
    text = `${ids.join(',')},...(+${state.terminated.length - ids.length} more)`;
  }
  return {
    Outcome: state.status,
    Reason: state.reason.slice(0, 400),
    DurationSeconds: String(Math.round(durationSeconds)),
    TerminatedInstances: text,
  };
}

/**
 * SSM parameter holding the name of the environment's reconcile function, which `elkctl roll status|plan` invoke in
 * read-only mode from outside the VPC (handlers/read-only.ts).
 */
export function reconcileFunctionParameter(environment: string): string {
  return `/elk/${environment}/rollout/reconcile-function`;
}
