/**
 * The snapshot calls of the orchestrator (rollout.snapshotBeforeRoll, core/pre-roll-snapshot.ts): list the pre-roll
 * snapshots of a repository and start one. Over the same client as the Elasticsearch adapter.
 */
import type { Client } from '@elastic/elasticsearch';
import { PRE_ROLL_PREFIX } from '../core/pre-roll-snapshot';
import type { SnapshotView } from '../core/types';

type Json = Record<string, unknown>;

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** One entry of `GET _snapshot/<repository>/<pattern>`'s `snapshots`. */
export function snapshotView(s: Json): SnapshotView {
  const shards = (s.shards as Json | undefined) ?? {};
  const reason = typeof s.reason === 'string' ? s.reason : undefined;
  return {
    name: String(s.snapshot),
    state: String(s.state ?? 'UNKNOWN'),
    totalShards: num(shards.total),
    successfulShards: num(shards.successful),
    failedShards: num(shards.failed),
    ...(reason ? { reason } : {}),
  };
}

export async function listPreRollSnapshots(client: Client, repository: string): Promise<SnapshotView[]> {
  const res = (await client.transport.request({
    method: 'GET',
    path: `/_snapshot/${encodeURIComponent(repository)}/${PRE_ROLL_PREFIX}*`,
    querystring: { ignore_unavailable: true },
  })) as Json;
  return ((res.snapshots as Json[] | undefined) ?? []).map(snapshotView);
}

/** Starts a snapshot of every index and the cluster state; returns at once (the core polls its state). */
export async function createSnapshot(client: Client, repository: string, snapshot: string): Promise<void> {
  const res = (await client.transport.request(
    {
      method: 'PUT',
      path: `/_snapshot/${encodeURIComponent(repository)}/${encodeURIComponent(snapshot)}`,
      querystring: { wait_for_completion: false },
      body: { include_global_state: true, metadata: { taken_by: 'elk-cdk', purpose: 'before a rolling replacement' } },
    },
    { ignore: [400], meta: true },
  )) as { statusCode?: number | null; body?: { error?: { type?: string; reason?: string } } };
  // A snapshot of that name exists already or is running (a retry after a crash): 400
  // snapshot_name_already_in_use_exception (Elasticsearch 8.7+, a subclass of invalid_snapshot_name_exception, which
  // earlier versions answer), "... already exists" or "... already in-progress". Any other 400 is an error the
  // caller reports.
  const error = res.body?.error;
  if (res.statusCode === 400 && !nameInUse(error?.type, error?.reason)) {
    throw new Error(`PUT _snapshot/${repository}/${snapshot}: ${error?.type ?? 'HTTP 400'}: ${error?.reason ?? ''}`);
  }
}

const NAME_IN_USE_TYPES = ['snapshot_name_already_in_use_exception', 'invalid_snapshot_name_exception'];

/** Whether a 400 says the snapshot name is taken (rather than invalid). */
function nameInUse(type: string | undefined, reason: string | undefined): boolean {
  return NAME_IN_USE_TYPES.includes(type ?? '') && /already (exists|in-progress)/.test(reason ?? '');
}
