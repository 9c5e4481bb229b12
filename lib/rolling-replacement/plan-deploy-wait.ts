/**
 * `elkctl roll plan` against the deploy's wait (issue 12, finding 12): the plan's estimate compared with
 * `rollout.timeoutHours`, with the same warning as `elkctl diff` (lib/diff/deploy-wait.ts). For a roll in progress the
 * time since its attempt began counts too: the deployment's WaitCondition has been waiting since about then. Pure.
 */
import { deployWaitWarning } from '../diff/deploy-wait';

/** The attempt's start, seconds, from the lock's attempt tag ("a<seconds>", the workflow's start); else undefined. */
export function attemptStartSeconds(attempt: string | undefined): number | undefined {
  const m = /^a(\d+)$/.exec(attempt ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * The lines `roll plan` adds after its total: how long the roll has run (when in progress) and the warning when
 * the whole roll is longer than the deploy waits. Empty when it fits or the deploy does not wait.
 */
export function planDeployWaitLines(
  remainingSeconds: number,
  waitSeconds: number | undefined,
  startedAt: number | undefined,
  now: number,
  format: (seconds: number) => string,
): string[] {
  const elapsed = startedAt !== undefined && startedAt <= now ? now - startedAt : 0;
  const warning = deployWaitWarning(remainingSeconds + elapsed, waitSeconds, format);
  if (!warning) return [];
  return [
    ...(elapsed > 0
      ? [
          `this attempt began ${format(elapsed)} ago: with ${format(remainingSeconds)} left, about ${format(remainingSeconds + elapsed)} in all`,
        ]
      : []),
    warning,
  ];
}
