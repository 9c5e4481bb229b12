/**
 * rollout.snapshotBeforeRoll: before a roll takes its lock, a snapshot of the whole cluster into the environment's
 * repository, taken and verified (SUCCESS, no failed shard). The roll waits for it; a failed or partial snapshot
 * stops the roll before anything changed. Pure: reads the observed snapshots, returns a decision or undefined (go on).
 */
import type { Ctx } from './context';
import { act, wait } from './actions';
import type { Decision, SnapshotView } from './types';

export const PRE_ROLL_GATE = 'snapshot-before-roll';

/** The snapshot of one rollout: one per rollout id, so a retried deployment reuses a verified one. */
export const preRollSnapshotName = (rolloutId: string): string => `pre-roll-${rolloutId.toLowerCase()}`;

/** Prefix the Elasticsearch adapter lists (`GET _snapshot/<repository>/pre-roll-*`). */
export const PRE_ROLL_PREFIX = 'pre-roll-';

/** Whether a snapshot counts as verified: complete, every shard copied. */
export const verified = (s: SnapshotView): boolean => s.state === 'SUCCESS' && s.failedShards === 0;

export function preRollSnapshot(ctx: Ctx): Decision | undefined {
  const repository = ctx.spec.options.snapshotBeforeRoll;
  if (repository === undefined) return undefined;
  const name = preRollSnapshotName(ctx.spec.rolloutId);
  const snapshots = ctx.es.snapshots;
  if (snapshots === undefined) {
    return wait(PRE_ROLL_GATE, `before starting: the snapshots of repository ${repository} are not observed yet`);
  }
  const s = snapshots.find((x) => x.name === name);
  if (!s) {
    return act(
      { type: 'create-snapshot', repository, snapshot: name },
      `before starting: snapshot ${repository}/${name} of the whole cluster (rollout.snapshotBeforeRoll)`,
      PRE_ROLL_GATE,
    );
  }
  if (verified(s)) return undefined;
  if (s.state === 'IN_PROGRESS') {
    return wait(
      PRE_ROLL_GATE,
      `before starting: snapshot ${repository}/${name} in progress (${s.successfulShards}/${s.totalShards} shards)`,
    );
  }
  return act(
    { type: 'done', outcome: 'failed' },
    `refusing to begin: snapshot ${repository}/${name} is ${s.state}` +
      (s.failedShards > 0 ? ` with ${s.failedShards} of ${s.totalShards} shards failed` : '') +
      ` (${s.reason ?? 'no reason given'}); nothing was changed. Find the cause (GET _snapshot/${repository}/${name}), ` +
      `then DELETE _snapshot/${repository}/${name} and deploy again`,
    PRE_ROLL_GATE,
  );
}
