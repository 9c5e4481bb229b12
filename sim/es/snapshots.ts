import { EsError } from '../model/cluster';
import { ShardSnapshot, SimSnapshot, Snapshots } from '../model/snapshots';
import type { World } from '../model/world';

/**
 * The snapshot status API (`GET /_snapshot/_status`, `/_snapshot/<repository>/_status`,
 * `/_snapshot/<repository>/<snapshot>[,…]/_status`) over the world's snapshots (`snapshot` faults): without a
 * snapshot name only running snapshots, with one the named snapshots whether running or done. Each shard says its
 * `stage` and, as `SnapshotIndexShardStatus` writes it, the `node` (node id) it runs on and a failure's `reason`
 * (the 8.19 client's type omits both).
 */

type Json = Record<string, unknown>;

const FILE_BYTES = 1024 ** 3;

interface Totals {
  files: number;
  bytes: number;
  doneFiles: number;
  doneBytes: number;
  start: number;
  end: number;
}

function shardTotals(s: ShardSnapshot, now: number): Totals {
  const files = Math.max(1, Math.ceil(s.bytes / FILE_BYTES));
  const until = Math.min(now, s.failedAt ?? s.endAt);
  const span = s.endAt - s.startAt;
  const fraction = now < s.startAt ? 0 : span <= 0 ? 1 : Math.min(1, Math.max(0, (until - s.startAt) / span));
  return {
    files,
    bytes: s.bytes,
    doneFiles: Math.floor(files * fraction),
    doneBytes: Math.round(s.bytes * fraction),
    start: s.startAt,
    end: Math.max(s.startAt, until),
  };
}

function sum(list: Totals[]): Totals {
  return list.reduce(
    (a, t) => ({
      files: a.files + t.files,
      bytes: a.bytes + t.bytes,
      doneFiles: a.doneFiles + t.doneFiles,
      doneBytes: a.doneBytes + t.doneBytes,
      start: Math.min(a.start, t.start),
      end: Math.max(a.end, t.end),
    }),
    { files: 0, bytes: 0, doneFiles: 0, doneBytes: 0, start: Infinity, end: -Infinity },
  );
}

function stats(world: World, t: Totals): Json {
  const start = Number.isFinite(t.start) ? t.start : world.now;
  const end = Number.isFinite(t.end) ? t.end : start;
  return {
    incremental: { file_count: t.files, size_in_bytes: t.bytes },
    ...(t.doneFiles !== t.files ? { processed: { file_count: t.doneFiles, size_in_bytes: t.doneBytes } } : {}),
    total: { file_count: t.files, size_in_bytes: t.bytes },
    start_time_in_millis: world.startEpochMs + Math.round(start * 1000),
    time_in_millis: Math.round((end - start) * 1000),
  };
}

function shardsStats(shards: readonly ShardSnapshot[], now: number): Json {
  const count = (stage: string) => shards.filter((s) => Snapshots.stage(s, now) === stage).length;
  return {
    initializing: count('INIT'),
    started: count('STARTED'),
    finalizing: 0,
    done: count('DONE'),
    failed: count('FAILURE'),
    total: shards.length,
  };
}

function snapshotStatus(world: World, snap: SimSnapshot): Json {
  const now = world.now;
  const indices: Json = {};
  for (const name of [...new Set(snap.shards.map((s) => s.index))]) {
    const shards = snap.shards.filter((s) => s.index === name);
    const perShard: Json = {};
    for (const s of shards) {
      perShard[String(s.shard)] = {
        stage: Snapshots.stage(s, now),
        stats: stats(world, shardTotals(s, now)),
        ...(s.nodeId ? { node: s.nodeId } : {}),
        ...(s.reason ? { reason: s.reason } : {}),
      };
    }
    indices[name] = {
      shards_stats: shardsStats(shards, now),
      stats: stats(world, sum(shards.map((s) => shardTotals(s, now)))),
      shards: perShard,
    };
  }
  return {
    snapshot: snap.name,
    repository: snap.repository,
    uuid: snap.uuid,
    state: Snapshots.state(snap, now),
    include_global_state: true,
    shards_stats: shardsStats(snap.shards, now),
    stats: stats(world, sum(snap.shards.map((s) => shardTotals(s, now)))),
    indices,
  };
}

/** GET /_snapshot[/<repository>[/<snapshot>]]/_status */
export function snapshotsStatus(world: World, repository?: string, names?: string): Json {
  const list = world.snapshots.list;
  if (repository !== undefined && repository !== '_all' && !world.snapshots.repositories.has(repository)) {
    throw new EsError(404, 'repository_missing_exception', `[${repository}] missing`);
  }
  const inRepo = list.filter((s) => repository === undefined || repository === '_all' || s.repository === repository);
  if (names === undefined) {
    return { snapshots: inRepo.filter((s) => Snapshots.running(s, world.now)).map((s) => snapshotStatus(world, s)) };
  }
  const out: Json[] = [];
  for (const name of names.split(',')) {
    const snap = inRepo.find((s) => s.name === name);
    if (!snap) throw new EsError(404, 'snapshot_missing_exception', `[${repository}:${name}] is missing`);
    out.push(snapshotStatus(world, snap));
  }
  return { snapshots: out };
}
