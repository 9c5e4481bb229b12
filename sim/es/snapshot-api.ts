import { EsError, wildcardMatch } from '../model/cluster';
import type { Index } from '../model/cluster';
import { SimSnapshot, Snapshots } from '../model/snapshots';
import { type EsContext, type Json, type Query, isTrue } from './context';
import type { Answer } from './indices';
import { parseBody } from './json';
import { LB_IDLE_TIMEOUT_SECONDS } from './reindex';
import { requireRepository } from './repositories';

/**
 * Create and get snapshots (`PUT|POST _snapshot/<repository>/<snapshot>`, `GET _snapshot/<repository>/<snapshot>`)
 * over the world's snapshots (sim/model/snapshots.ts), as Elasticsearch's `SnapshotsService` and
 * `TransportGetSnapshotsAction` answer them: the repository must be registered (404 `repository_missing_exception`),
 * a name already taken, running or done, is a 400 `snapshot_name_already_in_use_exception` (a subclass of
 * `invalid_snapshot_name_exception` since 8.7), a primary that is not allocated refuses a non-`partial` snapshot
 * (500 `snapshot_exception`). `GET` answers `SnapshotInfo` as `toXContentExternal` writes it (verbose: every field,
 * an in-progress snapshot with `end_time_in_millis` 0).
 */

const CREATE_BODY_KEYS = [
  'indices',
  'ignore_unavailable',
  'allow_no_indices',
  'expand_wildcards',
  'include_global_state',
  'feature_states',
  'metadata',
  'partial',
];

/** Elasticsearch's `SnapshotsService.validate` (and `InvalidSnapshotNameException`'s message). */
function validateName(repository: string, name: string): void {
  const bad = (why: string) =>
    new EsError(
      400,
      'invalid_snapshot_name_exception',
      `[${repository}:${name}] Invalid snapshot name [${name}], ${why}`,
    );
  if (name.length === 0) throw bad('cannot be empty');
  if (/\s/.test(name)) throw bad('must not contain whitespace');
  if (name.includes(',')) throw bad("must not contain ','");
  if (name.includes('#')) throw bad("must not contain '#'");
  if (name.startsWith('_')) throw bad("must not start with '_'");
  if (name.toLowerCase() !== name) throw bad('must be lowercase');
  if (/[\\/*?"<>|]/.test(name)) throw bad('must not contain the following characters [\\, /, *, ?, ", <, >, |, ,]');
}

function inUse(repository: string, name: string, why: string): EsError {
  return new EsError(
    400,
    'snapshot_name_already_in_use_exception',
    `[${repository}:${name}] Invalid snapshot name [${name}], ${why}`,
  );
}

/** `PUT|POST _snapshot/<repository>/<snapshot>[?wait_for_completion]`. */
export function createSnapshot(ctx: EsContext, repository: string, name: string, q: Query, raw?: string): Answer {
  ctx.requireMaster();
  const body = (parseBody(raw) ?? {}) as Json;
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new EsError(400, 'parse_exception', 'request body must be an object');
  }
  for (const key of Object.keys(body)) {
    if (!CREATE_BODY_KEYS.includes(key)) {
      throw new EsError(400, 'illegal_argument_exception', `Unknown parameter ${key}`);
    }
  }
  if (body.metadata !== undefined) {
    const size = Buffer.byteLength(JSON.stringify(body.metadata));
    if (size > 1024) {
      throw new EsError(
        400,
        'action_request_validation_exception',
        `Validation Failed: 1: metadata must be smaller than 1024 bytes, but was [${size}];`,
      );
    }
  }
  validateName(repository, name);
  requireRepository(ctx, repository);
  const snapshots = ctx.world.snapshots;
  const same = snapshots.list.find((s) => s.repository === repository && s.name === name);
  if (same) {
    throw inUse(
      repository,
      name,
      Snapshots.running(same, ctx.world.now)
        ? 'snapshot with the same name is already in-progress'
        : 'snapshot with the same name already exists',
    );
  }
  const indices = snapshotIndices(ctx, body);
  const uuidSoon = `${repository}:${name}`;
  if (body.partial !== true) {
    const missing = indices.filter((ix) => ix.shards.some((sh) => !ctx.world.snapshotSource(ix, sh.num)));
    if (missing.length > 0) {
      throw new EsError(
        500,
        'snapshot_exception',
        `[${uuidSoon}] Indices don't have primary shards [${missing.map((i) => i.name).join(', ')}]`,
      );
    }
  }
  const snap = ctx.world.takeSnapshot(
    {
      repository,
      name,
      indices,
      bytesPerSecond: maxSnapshotBytesPerSec(ctx, repository),
      includeGlobalState: body.include_global_state !== false,
      ...(body.metadata && typeof body.metadata === 'object' ? { metadata: body.metadata as Json } : {}),
    },
    `PUT _snapshot/${repository}/${name}`,
  );
  if (!isTrue(q.get('wait_for_completion'))) return { body: { accepted: true } };
  const deadline = ctx.world.now + LB_IDLE_TIMEOUT_SECONDS;
  while (Snapshots.running(snap, ctx.world.now) && ctx.world.now < deadline) {
    const next = Math.min(...snap.shards.filter((s) => s.failedAt === undefined).map((s) => s.endAt));
    ctx.world.advanceTo(Math.min(deadline, Math.max(ctx.world.now + 1, next)));
  }
  if (Snapshots.running(snap, ctx.world.now)) {
    return {
      status: 504,
      body: {
        message: `load balancer idle timeout after ${LB_IDLE_TIMEOUT_SECONDS} s (simulated); the snapshot still runs`,
      },
    };
  }
  return { body: { snapshot: snapshotInfo(ctx, snap, new URLSearchParams()) } };
}

function snapshotIndices(ctx: EsContext, body: Json): Index[] {
  const expr = Array.isArray(body.indices)
    ? body.indices.join(',')
    : typeof body.indices === 'string'
      ? body.indices
      : undefined;
  if (expr === undefined || expr === '' || expr === '_all' || expr === '*') return [...ctx.cluster.indices];
  if (body.ignore_unavailable === true) {
    return expr
      .split(',')
      .flatMap((p) => ctx.cluster.indices.filter((i) => wildcardMatch(p.trim(), i.name)))
      .filter((i, n, all) => all.indexOf(i) === n);
  }
  return ctx.resolveIndices(expr);
}

/** The repository's `max_snapshot_bytes_per_sec` (default 40mb), in bytes per second. */
function maxSnapshotBytesPerSec(ctx: EsContext, repository: string): number {
  const v = ctx.world.snapshots.repositories.get(repository)?.settings.max_snapshot_bytes_per_sec;
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)(b|kb|mb|gb)$/i.exec(v.trim()) : null;
  if (!m) return 40 * 1024 * 1024;
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[m[2].toLowerCase() as 'b' | 'kb' | 'mb' | 'gb'];
  return Number(m[1]) * unit;
}

const EPOCH_ISO = new Date(0).toISOString();

/** `SnapshotInfo.toXContentExternal`, verbose. */
export function snapshotInfo(ctx: EsContext, snap: SimSnapshot, q: Query): Json {
  const w = ctx.world;
  const running = Snapshots.running(snap, w.now);
  const ms = (t: number) => w.startEpochMs + Math.round(t * 1000);
  const start = ms(snap.startedAt);
  const end = running ? 0 : ms(Snapshots.endedAt(snap));
  const failed = running ? [] : snap.shards.filter((s) => s.failedAt !== undefined);
  const successful = running ? 0 : snap.shards.length - failed.length;
  const version = ctx.coordinatingNode()?.version ?? '8.19.0';
  const [major, minor, patch] = version.split('.').map(Number);
  const info: Json = {
    snapshot: snap.name,
    uuid: snap.uuid,
    ...(q.get('include_repository') === 'false' ? {} : { repository: snap.repository }),
    version_id: major * 1_000_000 + minor * 10_000 + patch * 100 + 99,
    version,
    ...(q.get('index_names') === 'false' ? {} : { indices: [...snap.indices] }),
    data_streams: [],
    include_global_state: snap.includeGlobalState,
    ...(snap.metadata ? { metadata: snap.metadata } : {}),
    state: running ? 'IN_PROGRESS' : Snapshots.state(snap, w.now),
    start_time: new Date(start).toISOString(),
    start_time_in_millis: start,
    end_time: end === 0 ? EPOCH_ISO : new Date(end).toISOString(),
    end_time_in_millis: end,
    duration_in_millis: Math.max(0, end - start),
    failures: failed.map((s) => ({
      index: s.index,
      index_uuid: ctx.cluster.indices.find((i) => i.name === s.index)?.uuid ?? s.index,
      shard_id: s.shard,
      reason: s.reason ?? 'failed',
      ...(s.nodeId ? { node_id: s.nodeId } : {}),
      status: 'INTERNAL_SERVER_ERROR',
    })),
    shards: { total: snap.shards.length, failed: failed.length, successful },
    feature_states: [],
  };
  return info;
}

/** Repository expression (`_all`, `*`, names, wildcards, comma list) → registered names; a missing name is a 404. */
function resolveRepositories(ctx: EsContext, expr: string): string[] {
  const all = [...ctx.world.snapshots.repositories.keys()].sort();
  if (expr === '_all' || expr === '*') return all;
  const out = new Set<string>();
  for (const p of expr.split(',')) {
    if (p.includes('*')) all.filter((r) => wildcardMatch(p, r)).forEach((r) => out.add(r));
    else if (all.includes(p)) out.add(p);
    else throw new EsError(404, 'repository_missing_exception', `[${p}] missing`);
  }
  return all.filter((r) => out.has(r));
}

/** `GET _snapshot/<repositories>/<snapshots>`: names, wildcards, `_all`, `_current`, `-exclusions` after a wildcard. */
export function getSnapshots(ctx: EsContext, repositories: string, names: string, q: Query): Answer {
  ctx.requireMaster();
  const now = ctx.world.now;
  const ignoreUnavailable = isTrue(q.get('ignore_unavailable'));
  const patterns = names.split(',');
  const found: SimSnapshot[] = [];
  for (const repo of resolveRepositories(ctx, repositories)) {
    const inRepo = ctx.world.snapshots.list.filter((s) => s.repository === repo);
    if (patterns.length === 1 && (patterns[0] === '_all' || patterns[0] === '*')) {
      found.push(...inRepo);
      continue;
    }
    const includes: string[] = [];
    const excludes: string[] = [];
    let current = false;
    let wildcard = false;
    for (const p of patterns) {
      if (wildcard && p.length > 1 && p.startsWith('-')) excludes.push(p.slice(1));
      else if (p.includes('*')) {
        wildcard = true;
        includes.push(p);
      } else if (p.toLowerCase() === '_current') {
        current = true;
        wildcard = true;
      } else {
        if (!ignoreUnavailable && !inRepo.some((s) => s.name === p)) {
          throw new EsError(404, 'snapshot_missing_exception', `[${repo}:${p}] is missing`);
        }
        includes.push(p);
      }
    }
    const excluded = (s: SimSnapshot) => excludes.some((e) => wildcardMatch(e, s.name));
    const picked = inRepo.filter(
      (s) => !excluded(s) && (includes.some((p) => wildcardMatch(p, s.name)) || (current && Snapshots.running(s, now))),
    );
    const currentOnly = patterns.length === 1 && patterns[0].toLowerCase() === '_current';
    if (picked.length === 0 && !ignoreUnavailable && !currentOnly) {
      throw new EsError(404, 'snapshot_missing_exception', `[${repo}:${patterns[0]}] is missing`);
    }
    found.push(...picked);
  }
  return { body: page(ctx, found, q) };
}

/** Sorting (`sort`, `order`) and paging (`offset`, `size`) of the matched snapshots. */
function page(ctx: EsContext, found: SimSnapshot[], q: Query): Json {
  const sort = q.get('sort') ?? 'start_time';
  const key: Record<string, (s: SimSnapshot) => number | string> = {
    start_time: (s) => s.startedAt,
    name: (s) => s.name,
    repository: (s) => s.repository,
    index_count: (s) => s.indices.length,
    shard_count: (s) => s.shards.length,
    duration: (s) => (Snapshots.running(s, ctx.world.now) ? 0 : Snapshots.endedAt(s) - s.startedAt),
    failed_shard_count: (s) => s.shards.filter((x) => x.failedAt !== undefined).length,
  };
  const by = key[sort];
  if (!by) throw new EsError(400, 'illegal_argument_exception', `unknown sort order [${sort}]`);
  const order = q.get('order') ?? 'asc';
  if (order !== 'asc' && order !== 'desc') {
    throw new EsError(400, 'illegal_argument_exception', `unknown order [${order}]`);
  }
  const cmp = (a: SimSnapshot, b: SimSnapshot): number => {
    const x = by(a);
    const y = by(b);
    const c = x < y ? -1 : x > y ? 1 : a.name.localeCompare(b.name) || a.uuid.localeCompare(b.uuid);
    return order === 'desc' ? -c : c;
  };
  const sorted = [...found].sort(cmp);
  const offset = Number(q.get('offset') ?? 0);
  const size = Number(q.get('size') ?? -1);
  const rest = sorted.slice(offset);
  const shown = size < 0 ? rest : rest.slice(0, size);
  return {
    snapshots: shown.map((s) => snapshotInfo(ctx, s, q)),
    total: sorted.length,
    remaining: rest.length - shown.length,
  };
}
