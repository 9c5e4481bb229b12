/**
 * The custom resource (Provider framework onEvent + isComplete). Thin: it starts the durable workflow and returns;
 * on a rollback or a stack delete it stops the workflow and cleans up with the same core, one step per poll.
 *
 * - Create / Update: stop any other running execution (one roll per cluster), start this rollout's execution,
 *   complete at once. The deployment waits (or not) on the rollout's WaitCondition, signalled by the workflow.
 * - Update during UPDATE_ROLLBACK_IN_PROGRESS (CloudFormation sends the old properties) and Delete: stop the
 *   execution, then isComplete runs reconcile in abort mode until cleanup is done. Never a reverse roll.
 * - isComplete never returns Data with IsComplete: false; only broken invariants (bad properties) throw.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { parseProperties, specFromProperties, type RolloutProperties, type WorkflowState } from '../contract';
import { ABORT_WITHOUT_ES_SECONDS } from '../core/unreachable';
import { type ReconcileResult, reconcile } from '../reconcile';
import { cleanupExecution } from './cleanup-retry';
import { runtime } from './runtime';

export interface OnEventResponse {
  PhysicalResourceId: string;
  /** Passed through to isComplete by the Provider framework. */
  Mode: 'roll' | 'abort';
  AbortReason?: string;
  /** Epoch seconds the abort began (its Elasticsearch wait is bounded from here). */
  AbortStartedAt?: string;
  ExecutionArn?: string;
}

export interface IsCompleteEvent extends Record<string, unknown> {
  RequestType: string;
  ResourceProperties: Record<string, unknown>;
  Mode?: 'roll' | 'abort';
  AbortReason?: string;
  AbortStartedAt?: string;
  ExecutionArn?: string;
}

export interface IsCompleteResponse {
  IsComplete: boolean;
  Data?: Record<string, string>;
}

export const ROLLBACK_STATUSES = new Set([
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
]);

export function physicalId(p: RolloutProperties): string {
  return `${p.Environment}-rolling-replacement`;
}

/** Execution name: the rollout id plus the request, so a retried request starts nothing twice. */
export function executionName(p: RolloutProperties, requestId: string): string {
  return `${p.RolloutId}-${requestId.replace(/[^A-Za-z0-9-]/g, '').slice(0, 12)}`.slice(0, 80);
}

async function stopAll(arn: string, cause: string, except?: string): Promise<void> {
  const rt = runtime();
  for (const e of await rt.runningExecutions(arn)) {
    if (except && e.endsWith(`:${except}`)) continue;
    await rt.stopExecution(e, cause);
  }
}

export async function onEvent(event: CloudFormationCustomResourceEvent): Promise<OnEventResponse> {
  const props = parseProperties(event.ResourceProperties, `${event.LogicalResourceId} (${event.RequestType})`);
  const rt = runtime();
  const log = (decision: string, reason: string) =>
    console.log(JSON.stringify({ decision, reason, blockedBy: null, requestType: event.RequestType }));
  if (event.RequestType === 'Delete') {
    await stopAll(props.StateMachineArn, 'stack delete');
    log('abort', 'stack delete: stopping the workflow and cleaning up');
    return {
      PhysicalResourceId: event.PhysicalResourceId,
      Mode: 'abort',
      AbortReason: 'stack delete',
      AbortStartedAt: String(Math.floor(rt.now())),
    };
  }
  if (event.RequestType === 'Update' && ROLLBACK_STATUSES.has((await rt.stackStatus(event.StackId)) ?? '')) {
    await stopAll(props.StateMachineArn, 'stack rollback');
    log('abort', 'stack rollback: stopping the workflow; a mixed cluster is never rolled back automatically');
    return {
      PhysicalResourceId: event.PhysicalResourceId,
      Mode: 'abort',
      AbortReason: 'stack rollback',
      AbortStartedAt: String(Math.floor(rt.now())),
    };
  }
  const name = executionName(props, event.RequestId);
  await stopAll(props.StateMachineArn, `superseded by ${name}`, name);
  const state: WorkflowState = {
    properties: props,
    startedAt: rt.now(),
    steps: 0,
    terminated: [],
    status: 'running',
    reason: 'started',
    waitSeconds: Number(props.PollSeconds),
  };
  let executionArn: string;
  try {
    executionArn = await rt.startExecution(props.StateMachineArn, name, JSON.stringify(state));
  } catch (e) {
    if ((e as { name?: string }).name !== 'ExecutionAlreadyExists') throw e;
    executionArn = `${props.StateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }
  log('start', `rollout ${props.RolloutId}: workflow ${name} started`);
  return { PhysicalResourceId: physicalId(props), Mode: 'roll', ExecutionArn: executionArn };
}

export async function isComplete(event: IsCompleteEvent): Promise<IsCompleteResponse> {
  const props = parseProperties(event.ResourceProperties, `isComplete (${event.RequestType})`);
  const rt = runtime();
  if (event.Mode === 'abort') {
    const { es, fleet } = await rt.ports({ data: props.DataGroupName, master: props.MasterGroupName });
    const started = Number(event.AbortStartedAt);
    const spec = {
      ...specFromProperties(props, 'abort', event.AbortReason ?? 'abort'),
      // Bounded: with Elasticsearch unreachable, stop (saying what is left) well before the 55-minute waiter limit.
      ...(Number.isFinite(started) && started > 0 ? { giveUpAt: started + ABORT_WITHOUT_ES_SECONDS } : {}),
    };
    const r = await reconcile({ es, fleet, spec, now: rt.now() });
    if (!r.outcome) return { IsComplete: false };
    const retry = await startCleanupRetry(event, props, r);
    // Same Data keys in every response: the template's GetAtt must resolve during a rollback too.
    return {
      IsComplete: true,
      Data: {
        ExecutionArn: event.ExecutionArn ?? '',
        ExecutionStatus: 'STOPPED',
        Outcome: r.outcome,
        Reason: `${retry}${r.decision.reason}`.slice(0, 400),
      },
    };
  }
  // The roll itself runs in the workflow; this only confirms it started.
  const status = event.ExecutionArn ? await rt.executionStatus(event.ExecutionArn) : undefined;
  if (status === undefined) return { IsComplete: false };
  return {
    IsComplete: true,
    Data: {
      ExecutionArn: event.ExecutionArn!,
      ExecutionStatus: status,
      Outcome: 'started',
      Reason: 'workflow running',
    },
  };
}

/**
 * After a stack rollback's abort gave up on Elasticsearch (left things in place), a workflow execution retries the
 * cleanup (cleanup-retry.ts); not after a stack delete (the groups go with the stack). Returns the note for the
 * result's reason; a failed start is said there, never thrown (the rollback must complete).
 */
async function startCleanupRetry(
  event: IsCompleteEvent,
  props: RolloutProperties,
  r: Pick<ReconcileResult, 'decision' | 'executed'>,
): Promise<string> {
  if (r.decision.action.type !== 'leave' || !r.executed || event.RequestType === 'Delete') return '';
  const rt = runtime();
  const c = cleanupExecution(props, event.AbortReason ?? 'abort', rt.now());
  try {
    await rt.startExecution(props.StateMachineArn, c.name, JSON.stringify(c.state));
  } catch (e) {
    if ((e as { name?: string }).name !== 'ExecutionAlreadyExists') {
      return `the cleanup retry could not be started (${e instanceof Error ? e.message : String(e)}); `;
    }
  }
  return `cleanup retried by ${c.name}: ${c.state.reason}; `;
}
