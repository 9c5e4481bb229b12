/**
 * The reconcile task of the Step Functions workflow: one reconcile step per call. The workflow carries the state
 * (terminated ids, step count); the Lambda keeps nothing. On the end of the rollout it signals the WaitCondition.
 */
import {
  MAX_STEPS_PER_EXECUTION,
  resultData,
  specFromProperties,
  WorkflowStateSchema,
  type WorkflowState,
} from '../contract';
import { nextWaitSeconds, reconcile } from '../reconcile';
import { isReadOnlyRequest, readOnly, type ReadOnlyRequest, type ReadOnlyResponse } from './read-only';
import { runtime } from './runtime';
import { isNodeHealthRequest, nodeHealthHandler } from './node-health';
import type { NodeHealthResult } from '../node-health';

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
  if (wrapped.signalFailure) {
    // The reconcile task failed every retry: tell the waiting deployment now instead of at its timeout.
    const err = wrapped.state?.error;
    const failed: WorkflowState = {
      ...state,
      status: 'failed',
      reason: `reconcile kept failing: ${err?.Error ?? 'error'} ${err?.Cause ?? ''}`.trim().slice(0, 900),
    };
    if (props.WaitHandleUrl) {
      await rt.signal(props.WaitHandleUrl, {
        Status: 'FAILURE',
        UniqueId: props.RolloutId,
        Reason: failed.reason,
        Data: JSON.stringify(resultData(failed, rt.now() - state.startedAt)),
      });
    }
    return failed;
  }
  if (state.steps >= MAX_STEPS_PER_EXECUTION && state.stateMachineArn) {
    // Continue as a new execution before the 25,000-event history limit; progress lives in the world anyway.
    const next: WorkflowState = { ...state, steps: 0, status: 'running', reason: 'continued' };
    const name = `${props.RolloutId}-c${Math.floor(rt.now())}`.slice(0, 80);
    await rt.startExecution(state.stateMachineArn, name, JSON.stringify(next));
    return { ...state, status: 'continued', reason: `continued as ${name}` };
  }
  const { es, fleet } = await rt.ports({ data: props.DataGroupName, master: props.MasterGroupName });
  // One attempt per workflow start (continue-as-new keeps startedAt): a new deployment retries a failed rollout.
  const spec = specFromProperties(props, 'roll', undefined, `a${Math.floor(state.startedAt)}`);
  const r = await reconcile({ es, fleet, spec, now: rt.now() });
  const terminated = r.terminated ? [...state.terminated, r.terminated] : state.terminated;
  const next: WorkflowState = {
    ...state,
    steps: state.steps + 1,
    terminated,
    status: r.outcome ?? 'running',
    reason: r.decision.reason,
    waitSeconds: nextWaitSeconds(r, Number(props.PollSeconds)),
  };
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
  if (r.outcome && props.WaitHandleUrl) {
    const data = resultData(next, rt.now() - state.startedAt);
    await rt.signal(props.WaitHandleUrl, {
      Status: r.outcome === 'completed' ? 'SUCCESS' : 'FAILURE',
      UniqueId: props.RolloutId,
      Reason: `${r.outcome}: ${r.decision.reason}`.slice(0, 1000),
      Data: JSON.stringify(data),
    });
  }
  return next;
}
