/**
 * The reconcile task of the Step Functions workflow: one reconcile step per call. The workflow carries the state
 * (terminated ids, step count); the Lambda keeps nothing. On the end of the rollout it signals the WaitCondition.
 */
import {
  EXECUTION_BUDGET_SECONDS,
  MAX_STEPS_PER_EXECUTION,
  resultData,
  specFromProperties,
  WorkflowStateSchema,
  type RolloutProperties,
  type WorkflowState,
} from '../contract';
import { nextWaitSeconds, reconcile } from '../reconcile';
import { isReadOnlyRequest, readOnly, type ReadOnlyRequest, type ReadOnlyResponse } from './read-only';
import { type Runtime, runtime } from './runtime';
import { leftInPlace } from '../core/unreachable';
import { TAG, tagValue } from '../core/tags';
import { isNodeHealthRequest, nodeHealthHandler } from './node-health';
import type { NodeHealthResult } from '../node-health';
import type { SignalTarget } from './signal-url';
import { afterStep } from './cleanup-retry';

/**
 * The task input is `{ state, stateMachineArn }` (the workflow adds its own ARN from the context object); an
 * invocation with `readOnly` (elkctl roll status|plan) only observes (read-only.ts); one with `nodeHealth` (the
 * EventBridge schedule) runs the node health check (node-health.ts).
 */
export async function handler(input: ReadOnlyRequest): Promise<ReadOnlyResponse>;
export async function handler(input: unknown): Promise<WorkflowState>;
export async function handler(input: unknown): Promise<WorkflowState | ReadOnlyResponse | NodeHealthResult> {
  if (isReadOnlyRequest(input)) return readOnly(input, runtime());
  if (isNodeHealthRequest(input)) return nodeHealthHandler(input, runtime());
  return workflowStep(input);
}

async function workflowStep(input: unknown): Promise<WorkflowState> {
  const wrapped = input as {
    state?: { error?: { Error?: string; Cause?: string } };
    stateMachineArn?: string;
    signalFailure?: boolean;
  };
  const raw =
    wrapped && typeof wrapped === 'object' && 'state' in wrapped
      ? { ...(wrapped.state as object), stateMachineArn: wrapped.stateMachineArn }
      : input;
  const parsed = WorkflowStateSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `reconcile task: invalid workflow state (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`,
    );
  }
  const state = parsed.data;
  const rt = runtime();
  const props = state.properties;
  if (wrapped.signalFailure) return afterErrors(state, wrapped.state?.error, rt);
  const executionStartedAt = state.executionStartedAt ?? rt.now();
  const budgetSpent = rt.now() - executionStartedAt >= EXECUTION_BUDGET_SECONDS;
  if ((state.steps >= MAX_STEPS_PER_EXECUTION || budgetSpent) && state.stateMachineArn) {
    // Continue as a new execution before the 25,000-event history limit and before the state machine's own timeout
    // (an execution that times out ends without any cleanup); progress lives in the world anyway.
    const { executionStartedAt: _old, ...rest } = state;
    const next: WorkflowState = { ...rest, steps: 0, status: 'running', reason: 'continued' };
    const name = `${props.RolloutId}-c${Math.floor(rt.now())}`.slice(0, 80);
    await rt.startExecution(state.stateMachineArn, name, JSON.stringify(next));
    return { ...state, status: 'continued', reason: `continued as ${name}` };
  }
  const { es, fleet } = await rt.ports({ data: props.DataGroupName, master: props.MasterGroupName });
  // One attempt per workflow start (continue-as-new keeps startedAt): a new deployment retries a failed rollout.
  // A cleanup execution started after a stack rollback runs in abort mode (cleanup-retry.ts).
  const abortReason = state.cleanup?.abortReason;
  const spec =
    abortReason !== undefined
      ? specFromProperties(props, 'abort', abortReason)
      : specFromProperties(props, 'roll', undefined, `a${Math.floor(state.startedAt)}`);
  const r = await reconcile({ es, fleet, spec, now: rt.now() });
  const terminated = r.terminated ? [...state.terminated, r.terminated] : state.terminated;
  // After a stop that left things in place for want of Elasticsearch, the cleanup is retried (cleanup-retry.ts).
  const { next, signal } = afterStep(
    state,
    {
      ...state,
      executionStartedAt,
      steps: state.steps + 1,
      terminated,
      status: r.outcome ?? 'running',
      reason: r.decision.reason,
      waitSeconds: nextWaitSeconds(r, Number(props.PollSeconds)),
    },
    r,
    rt.now(),
  );
  const a = r.decision.action;
  await rt
    .putMetrics(props.Environment, {
      RolloutSteps: 1,
      RolloutBlocked: r.decision.blockedBy ? 1 : 0,
      RolloutNodesReplaced: r.terminated ? 1 : 0,
      RolloutShardsLeftOnDrainingNode: a.type === 'wait-for-drain' ? a.shardsLeft : 0,
      RolloutBytesLeftOnDrainingNode: a.type === 'wait-for-drain' ? a.bytesLeft : 0,
    })
    .catch((e: unknown) => console.log(JSON.stringify({ warning: `metrics not published: ${String(e)}` })));
  // A superseded execution (a newer deployment holds the lock) does not answer for that deployment.
  const superseded = a.type === 'done' && a.supersededBy !== undefined;
  const target = signalTarget(props);
  if (signal && r.outcome && target && !superseded) {
    const data = resultData(next, rt.now() - state.startedAt);
    await rt.signal(target, {
      Status: r.outcome === 'completed' ? 'SUCCESS' : 'FAILURE',
      UniqueId: props.RolloutId,
      Reason: `${r.outcome}: ${r.decision.reason}`.slice(0, 1000),
      Data: JSON.stringify(data),
    });
  }
  return next;
}

/**
 * The reconcile task failed every retry (issue 12, finding 9). First time: the roll is marked failed (a group tag, no
 * Elasticsearch needed), a waiting deployment is told at once, and the workflow goes on: the next steps run the
 * cleanup of a failed roll (surge capacity, exclusions, settings, processes, protection, lock). If the task fails every
 * retry again, the workflow ends, and what is left in place is named in the data group's tag `elk-cdk:rollout-left`
 * (`elkctl roll status`) and in the result; the lock stays, so the next deployment or abort cleans up.
 */
async function afterErrors(
  state: WorkflowState,
  err: { Error?: string; Cause?: string } | undefined,
  rt: Runtime,
): Promise<WorkflowState> {
  const props = state.properties;
  const cause = `${err?.Error ?? 'error'} ${err?.Cause ?? ''}`.trim().slice(0, 600);
  const groupNames = { data: props.DataGroupName, master: props.MasterGroupName };
  const log = (l: Record<string, unknown>) => console.log(JSON.stringify(l));
  const groups = await rt
    .ports(groupNames)
    .then(({ fleet }) => fleet.describeGroups([groupNames.data, groupNames.master]).then((g) => ({ fleet, g })))
    .catch((e: unknown) => {
      log({ warning: `after the reconcile errors, Auto Scaling could not be read: ${String(e)}` });
      return undefined;
    });
  const data = groups?.g.find((g) => g.name === groupNames.data);
  const master = groups?.g.find((g) => g.name === groupNames.master);
  const locked = [data, master].some((g) => g?.tags[TAG.rollout] !== undefined);
  if (!state.failedAfterErrors) {
    const reason = `reconcile kept failing: ${cause}`.slice(0, 900);
    if (groups && data && locked && data.tags[TAG.failed] === undefined) {
      await groups.fleet
        .setTags(data.name, { [TAG.failed]: tagValue(reason) })
        .catch((e: unknown) => log({ warning: `failure mark not written: ${String(e)}` }));
    }
    const failed: WorkflowState = { ...state, status: 'failed', reason };
    // A cleanup retry (cleanup-retry.ts) answered its deployment already.
    const target = state.cleanup ? undefined : signalTarget(props);
    if (target) {
      await rt.signal(target, {
        Status: 'FAILURE',
        UniqueId: props.RolloutId,
        Reason: failed.reason,
        Data: JSON.stringify(resultData(failed, rt.now() - state.startedAt)),
      });
    }
    if (!locked) return failed;
    // The cleanup of a failed roll runs in the next steps.
    return {
      ...state,
      status: 'running',
      failedAfterErrors: true,
      reason: `${reason}; cleaning up`,
      waitSeconds: Number(props.PollSeconds),
    };
  }
  const left = data && master ? leftInPlace(data, master) : [];
  // What is left first: an Auto Scaling tag value keeps 256 characters.
  const reason =
    `left in place: ${left.length ? left.join('; ') : groups ? 'nothing but the lock' : 'unknown (Auto Scaling unreadable)'}; ` +
    `reconcile kept failing during the cleanup of a failed roll (${cause}); the lock stays, so the next ` +
    'deployment or abort cleans up';
  if (groups && data && locked) {
    await groups.fleet
      .setTags(data.name, { [TAG.left]: tagValue(reason) })
      .catch((e: unknown) => log({ warning: `left-in-place tag not written: ${String(e)}` }));
  }
  return { ...state, status: 'failed', reason: reason.slice(0, 900) };
}

/** The rollout's WaitCondition handle, by logical id (or by URL in templates written before), or none. */
function signalTarget(props: RolloutProperties): SignalTarget | undefined {
  if (props.WaitHandleLogicalId && props.WaitHandleStackId)
    return { stackId: props.WaitHandleStackId, logicalId: props.WaitHandleLogicalId };
  return props.WaitHandleUrl ? { url: props.WaitHandleUrl } : undefined;
}
