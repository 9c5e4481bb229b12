/**
 * How long a deployment waits for the roll (issue 12, finding 12): with `rollout.waitForCompletion: true` the cluster
 * stack holds a WaitCondition whose `Timeout` is `rollout.timeoutHours` × 3600 s (at most 12 h). `elkctl diff`
 * compares the roll's estimate with it, so a roll longer than the deploy can wait is said before anyone deploys.
 * Pure.
 */
import type { Template } from './assembly';

const WAIT_CONDITION = 'AWS::CloudFormation::WaitCondition';

/** The deploy's wait for the roll, seconds; undefined when the template does not wait (no WaitCondition). */
export function deployWaitSeconds(template: Template): number | undefined {
  const timeouts = Object.values(template.Resources ?? {})
    .filter((r) => r.Type === WAIT_CONDITION)
    .map((r) => Number(r.Properties?.Timeout))
    .filter((n) => Number.isFinite(n) && n > 0);
  return timeouts.length > 0 ? Math.max(...timeouts) : undefined;
}

/** The warning when the estimate exceeds the deploy's wait; undefined when it fits or either is unknown. */
export function deployWaitWarning(
  estimateSeconds: number | undefined,
  waitSeconds: number | undefined,
  format: (seconds: number) => string,
): string | undefined {
  if (estimateSeconds === undefined || waitSeconds === undefined || estimateSeconds <= waitSeconds) return undefined;
  return (
    `LONGER THAN THE DEPLOY WAITS: the estimate (${format(estimateSeconds)}) exceeds rollout.timeoutHours ` +
    `(${format(waitSeconds)}): the WaitCondition times out, the deployment fails and its rollback ` +
    'aborts the roll part way (docs/rollout.md). Before deploying: set rollout.waitForCompletion: false (the roll goes on after ' +
    'the deploy; follow it with `elkctl roll wait`), or change fewer nodes per deployment (rollout.maxSurge, ' +
    'rollout.method); with waitForCompletion the job running `cdk deploy` must also be allowed to run, and its ' +
    'credentials to last, that long'
  );
}

/**
 * The deploy's wait as an environment's config sets it: the WaitCondition's `Timeout` (RollingReplacement writes
 * exactly this), for `elkctl roll plan` and the CI workflow's budget check (lib/ci), which read the config rather than
 * a template. Undefined when the deploy does not wait.
 */
export function configuredDeployWaitSeconds(rollout: {
  readonly waitForCompletion: boolean;
  readonly timeoutHours: number;
}): number | undefined {
  return rollout.waitForCompletion ? rollout.timeoutHours * 3600 : undefined;
}
