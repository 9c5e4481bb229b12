import type * as T from '@elastic/elasticsearch/lib/api/types';

/**
 * `GET /_snapshot/.../_status` as Elasticsearch 8.19 writes it: the official client's type (generated from the REST
 * specification, `specification/snapshot/_types/`) plus what the server writes and the specification leaves out:
 * - `processed` in every `stats` object while it differs from `incremental` (`SnapshotStats.toXContent`);
 * - a shard's `node` (the node id running it) and, for a failed shard, `reason` (`SnapshotIndexShardStatus.toXContent`).
 * Everything else comes from the client's types, so the generated schema still refuses keys and types neither has.
 */
type WithProcessed<S> = S & { processed?: T.SnapshotFileCountSnapshotStats };

export type SnapshotShardStatus = Omit<T.SnapshotSnapshotShardsStatus, 'stats'> & {
  stats: WithProcessed<T.SnapshotShardsStatsSummary>;
  node?: string;
  reason?: string;
};

export type SnapshotIndexStatus = Omit<T.SnapshotSnapshotIndexStats, 'shards' | 'stats'> & {
  shards: Record<string, SnapshotShardStatus>;
  stats: WithProcessed<T.SnapshotSnapshotStats>;
};

export type SnapshotStatusAsWritten = Omit<T.SnapshotStatus, 'indices' | 'stats'> & {
  indices: Record<string, SnapshotIndexStatus>;
  stats: WithProcessed<T.SnapshotSnapshotStats>;
};

export interface SnapshotStatusResponse {
  snapshots: SnapshotStatusAsWritten[];
}
