/**
 * The stop's wait for an unreachable Elasticsearch (unreachable.ts), per attempt: the data group's tag
 * `elk-cdk:rollout-stop-wait` is "<attempt>@<seconds>" (the workflow start that began this wait, "-" without one).
 * A mark of another attempt is stale: a later deployment of the same change that finds the stop still pending and
 * Elasticsearch still down waits its own ABORT_WITHOUT_ES_SECONDS instead of stopping at once on an old clock.
 * Writing the mark is one tag write, so a crash before or after it leaves either no mark for this attempt (written
 * again) or this attempt's (kept). A plain number (an older version's mark) belongs to no attempt. Pure.
 */
import type { FleetGroup } from './fleet-port';
import { TAG } from './tags';
import type { RolloutSpec } from './types';

const NO_ATTEMPT = '-';

/** The mark for a wait that begins now. */
export function stopWaitMark(spec: Pick<RolloutSpec, 'attempt'>, now: number): string {
  return `${spec.attempt ?? NO_ATTEMPT}@${Math.floor(now)}`;
}

/** When this attempt's wait began; undefined when there is no mark or it is another attempt's. */
export function stopWaitSince(data: FleetGroup, spec: Pick<RolloutSpec, 'attempt'>): number | undefined {
  const m = /^(.+)@(\d+)$/.exec(data.tags[TAG.stopWait] ?? '');
  if (!m || m[1] !== (spec.attempt ?? NO_ATTEMPT)) return undefined;
  return Number(m[2]);
}
