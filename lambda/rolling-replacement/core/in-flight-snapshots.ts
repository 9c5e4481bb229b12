/**
 * Snapshot shards in progress (issue #23, part of in-flight-tasks): a shard snapshot is not a `_tasks` entry; it runs
 * on the node of the shard's primary and `GET _snapshot/_status` names that node per shard. A node that leaves while
 * one of its shard snapshots has not finished makes that shard FAILED and the snapshot PARTIAL; Elasticsearch does not
 * redo it (a snapshot lifecycle policy takes the next snapshot at its next schedule), so the roll waits for them like
 * for a reindex, bounded by the same `inFlightTaskTimeoutSeconds`. Pure: the shards come from the observation.
 */
import type { EsTaskView, EsView } from './types';

/** The `action` a snapshot shard gets among the node's in-flight work (not a transport action: no task exists). */
export const SNAPSHOT_SHARD = 'snapshot shard';

/** Stages of a shard snapshot that is still running (INIT waits for its turn on the node). */
const RUNNING_STAGES: readonly string[] = ['INIT', 'STARTED', 'FINALIZE'];

/** The node's shard snapshots that have not finished, as in-flight work entries. */
export function snapshotShardsOn(es: Pick<EsView, 'snapshotShards'>, node: string): EsTaskView[] {
  return (es.snapshotShards ?? [])
    .filter((s) => s.node === node && RUNNING_STAGES.includes(s.stage))
    .map((s) => ({
      id: `${s.repository}:${s.snapshot}[${s.index}][${s.shard}] ${s.stage}`,
      node,
      action: SNAPSHOT_SHARD,
      runningSeconds: s.runningSeconds,
    }));
}

/** The node's long-running work: `_tasks` entries and unfinished shard snapshots. */
export function inFlightWorkOn(es: Pick<EsView, 'tasks' | 'snapshotShards'>, node: string): EsTaskView[] {
  return [...(es.tasks ?? []).filter((t) => t.node === node), ...snapshotShardsOn(es, node)];
}

/** How an operator ends the work early: cancel a task, or delete (abort) a running snapshot. */
export function cancelHint(t: EsTaskView): string {
  if (t.action !== SNAPSHOT_SHARD) return `cancel it (POST _tasks/${t.id}/_cancel)`;
  const [repository, snapshot] = t.id.replace(/\[.*$/, '').split(':');
  return `abort the snapshot (DELETE _snapshot/${repository}/${snapshot})`;
}
