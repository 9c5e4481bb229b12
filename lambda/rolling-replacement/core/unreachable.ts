/**
 * An abort (stack rollback or delete) while Elasticsearch is unreachable: after `spec.giveUpAt`, stop without the
 * Elasticsearch cleanup instead of waiting until CloudFormation gives up (55 minutes, then UPDATE_ROLLBACK_FAILED).
 * Nothing is undone that needs Elasticsearch to be safe; what is left in place is named, written to the data group's
 * tag `elk-cdk:rollout-left` and returned as the reason. The lock stays, so the next reconcile (the next deployment
 * takes the roll over, or another abort) cleans up once Elasticsearch answers. Pure.
 */
import type { FleetGroup } from './fleet-port';
import { TAG, listTag, numberTag } from './tags';
import type { Decision, RolloutSpec, Unknown } from './types';
import { stopWaitMark, stopWaitSince } from './stop-wait';

/** Seconds an abort waits for an unreachable Elasticsearch before it stops without its cleanup. */
export const ABORT_WITHOUT_ES_SECONDS = 900;

/** What a rollout left in place, read from its marks on the groups (no Elasticsearch needed). */
export function leftInPlace(data: FleetGroup, master: FleetGroup): string[] {
  const out: string[] = [];
  const excluded = listTag(data.tags[TAG.excluded]);
  if (excluded.length) out.push(`allocation exclusions of ${excluded.join(', ')}`);
  const voting = listTag(master.tags[TAG.voting]);
  if (voting.length) out.push(`voting config exclusions of ${voting.join(', ')}`);
  const rebalance = data.tags[TAG.rebalance];
  if (rebalance !== undefined) {
    out.push(`cluster.routing.rebalance.enable=none (was ${rebalance === '-' ? 'unset' : rebalance})`);
  }
  for (const g of [data, master]) {
    const suspended = listTag(g.tags[TAG.suspended]).filter((p) => g.suspendedProcesses.includes(p));
    if (suspended.length) out.push(`${suspended.join(', ')} suspended on ${g.name}`);
    const baseline = numberTag(g, TAG.capacity);
    if (baseline !== undefined && g.desiredCapacity > baseline) {
      out.push(`${g.name} at ${g.desiredCapacity} instances (baseline ${baseline})`);
    }
  }
  return out;
}

/** The decision of an abort past its deadline with Elasticsearch unreachable; undefined when it should wait. */
export function abortWithoutElasticsearch(
  es: Unknown,
  fleet: readonly FleetGroup[],
  spec: RolloutSpec,
  now: number,
): Decision | undefined {
  const data = fleet.find((g) => g.name === spec.groups.data);
  const master = fleet.find((g) => g.name === spec.groups.master);
  if (!data || !master) return undefined;
  if (spec.mode !== 'abort') return stopWithoutElasticsearch(es, data, master, spec, now);
  const why = spec.abortReason ?? 'abort';
  // No lock: no roll changed anything (a stack delete or rollback with no roll in progress), nothing to wait for.
  if (data.tags[TAG.rollout] === undefined && master.tags[TAG.rollout] === undefined) {
    return {
      action: { type: 'done', outcome: 'aborted' },
      reason: `${why}: no rollout in progress, nothing to clean up (Elasticsearch unreachable: ${es.unknown})`,
    };
  }
  if (spec.giveUpAt === undefined || now < spec.giveUpAt) return undefined;
  const left = leftInPlace(data, master);
  const reason =
    `${why}: Elasticsearch unreachable (${es.unknown}) past the abort's ${ABORT_WITHOUT_ES_SECONDS} s: stopped ` +
    `without the Elasticsearch cleanup; left in place: ${left.length ? left.join('; ') : 'nothing but the lock'}` +
    ' (undoing them without Elasticsearch is unsafe); the lock stays, so the next deployment or abort cleans up ' +
    'once Elasticsearch answers (elkctl roll status shows this)';
  return { action: { type: 'leave', group: data.name, reason }, reason, blockedBy: 'observed-state-known' };
}

/**
 * A roll asked to stop (an operator's `elkctl roll abort`, or a failure mark) while Elasticsearch is unreachable:
 * the cleanup needs Elasticsearch, so the roll waits for it, but at most ABORT_WITHOUT_ES_SECONDS from when this wait
 * began in this attempt (tag `elk-cdk:rollout-stop-wait`, written on the first sight, stop-wait.ts); then it stops like an abort past its deadline:
 * what is left in place is named in the data group's tag `elk-cdk:rollout-left` and in the result, the lock stays, and
 * the next deployment or abort cleans up once Elasticsearch answers. Undefined: no stop was asked (the roll waits).
 */
function stopWithoutElasticsearch(
  es: Unknown,
  data: FleetGroup,
  master: FleetGroup,
  spec: RolloutSpec,
  now: number,
): Decision | undefined {
  const tag = (k: string) => data.tags[k] ?? master.tags[k];
  if (tag(TAG.rollout) === undefined) return undefined;
  const failed = tag(TAG.failed);
  const abort = tag(TAG.abort);
  if (failed === undefined && abort === undefined) return undefined;
  const why = abort !== undefined ? 'abort requested by an operator (elkctl roll abort)' : `failed: ${failed}`;
  // This attempt's wait only (stop-wait.ts): an earlier attempt's clock would stop this one at once.
  const since = stopWaitSince(data, spec);
  if (since === undefined) {
    return {
      action: { type: 'stop-wait', group: data.name, since: now, mark: stopWaitMark(spec, now) },
      reason: `${why}: Elasticsearch unreachable (${es.unknown}); the cleanup waits for it at most ${ABORT_WITHOUT_ES_SECONDS} s`,
      blockedBy: 'observed-state-known',
    };
  }
  if (now < since + ABORT_WITHOUT_ES_SECONDS) return undefined;
  const left = leftInPlace(data, master);
  const reason =
    `${why}: Elasticsearch unreachable (${es.unknown}) for ${ABORT_WITHOUT_ES_SECONDS} s: stopped without the ` +
    `Elasticsearch cleanup; left in place: ${left.length ? left.join('; ') : 'nothing but the lock'} (undoing them ` +
    'without Elasticsearch is unsafe); the lock stays, so the next deployment or abort cleans up once ' +
    'Elasticsearch answers (elkctl roll status shows this)';
  return {
    action: { type: 'leave', group: data.name, reason, outcome: abort !== undefined ? 'aborted' : 'failed' },
    reason,
    blockedBy: 'observed-state-known',
  };
}
