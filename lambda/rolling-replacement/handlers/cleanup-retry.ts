/**
 * Retrying the cleanup of a stop that found Elasticsearch unreachable (issue 12, finding 9). Such a stop (an
 * operator's abort or a failure, in the workflow; a stack rollback, in the provider) ends its bounded wait by leaving
 * things in place (core/unreachable.ts) and keeps the lock; nothing else would run the cleanup until the next
 * deployment. So the workflow retries it: the deployment is answered at once, then one reconcile step every
 * CLEANUP_POLL_SECONDS for as long as Elasticsearch stays unreachable, at most CLEANUP_RETRY_SECONDS. Once it answers,
 * the steps are the ordinary cleanup, which ends with the release. Still one actor at a time: a new deployment, a
 * rollback or a delete stops this execution like any other.
 */
import { CLEANUP_POLL_SECONDS, CLEANUP_RETRY_SECONDS, type RolloutProperties, type WorkflowState } from '../contract';
import type { ReconcileResult } from '../reconcile';

const RETRY = `Elasticsearch is retried every ${CLEANUP_POLL_SECONDS / 60} min for up to ${CLEANUP_RETRY_SECONDS / 3600} h, and the cleanup runs once it answers`;

/** What to do after a step: the state to return and whether to answer the deployment (signal its WaitCondition). */
export interface AfterStep {
  readonly next: WorkflowState;
  readonly signal: boolean;
}

/** The step left things in place for want of Elasticsearch (a `leave` that was written). */
const leftWithoutEs = (r: Pick<ReconcileResult, 'decision' | 'executed'>): boolean =>
  r.decision.action.type === 'leave' && r.executed;

export function afterStep(
  state: WorkflowState,
  next: WorkflowState,
  r: Pick<ReconcileResult, 'decision' | 'executed' | 'outcome'>,
  now: number,
): AfterStep {
  const left = leftWithoutEs(r);
  const retrying = state.cleanup;
  if (!retrying) {
    if (!left || (r.outcome !== 'aborted' && r.outcome !== 'failed')) return { next, signal: r.outcome !== undefined };
    // The first give-up: answer the deployment now, keep the execution for the cleanup.
    return {
      next: {
        ...next,
        status: 'running',
        cleanup: { until: now + CLEANUP_RETRY_SECONDS, outcome: r.outcome },
        waitSeconds: CLEANUP_POLL_SECONDS,
        reason: `${next.reason}; ${RETRY}`.slice(0, 900),
      },
      signal: true,
    };
  }
  // Retrying: the deployment was answered already.
  const unreachable = left || r.decision.blockedBy === 'observed-state-known';
  // Elasticsearch answers: the ordinary cleanup, to its release.
  if (!unreachable) return { next, signal: false };
  if (now >= retrying.until) {
    return {
      next: {
        ...next,
        status: retrying.outcome,
        reason: (
          `${r.decision.reason}; the cleanup was retried for ${CLEANUP_RETRY_SECONDS / 3600} h without ` +
          'Elasticsearch: the lock stays, the next deployment or abort cleans up'
        ).slice(0, 900),
      },
      signal: false,
    };
  }
  return { next: { ...next, status: 'running', waitSeconds: CLEANUP_POLL_SECONDS }, signal: false };
}

/**
 * The execution that retries the cleanup after the provider's abort (a stack rollback) gave up on Elasticsearch: its
 * steps run in abort mode. Its name is unique per give-up.
 */
export function cleanupExecution(
  props: RolloutProperties,
  abortReason: string,
  now: number,
): { name: string; state: WorkflowState } {
  return {
    name: `${props.RolloutId}-cleanup-${Math.floor(now)}`.slice(0, 80),
    state: {
      properties: props,
      startedAt: now,
      steps: 0,
      terminated: [],
      status: 'running',
      reason: `${abortReason}: ${RETRY}`,
      waitSeconds: CLEANUP_POLL_SECONDS,
      cleanup: { until: now + CLEANUP_RETRY_SECONDS, outcome: 'aborted', abortReason },
    },
  };
}
