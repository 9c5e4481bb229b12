import { Cluster, EsError, Index, Shard } from '../model/cluster';
import { parseTimeValue } from '../model/units';
import { compareCount, EsContext, isTrue, Json, PRIORITIES, Query } from './context';

/** `GET /_cluster/health[/<indices>]`: cluster, index and shard health, wait_for_* conditions (never blocking). */

export function pendingTasks(ctx: EsContext): boolean {
  return ctx.world.windows.isOpen('pending-tasks', ctx.world.now);
}

export function pendingMillis(ctx: EsContext): number {
  const open = ctx.world.windows.open('pending-tasks', ctx.world.now);
  return Math.round(1000 * Math.max(0, ...open.map((w) => ctx.world.now - w.from)));
}

export function health(ctx: EsContext, q: Query, indexExpr?: string): { status: number; body: Json } {
  for (const p of ['timeout', 'master_timeout']) {
    const v = q.get(p);
    if (v !== null && parseTimeValue(v) === undefined) {
      throw new EsError(
        400,
        'illegal_argument_exception',
        `failed to parse setting [${p}] with value [${v}] as a time value: unit is missing or unrecognized`,
      );
    }
  }
  const events = q.get('wait_for_events');
  if (events !== null && !PRIORITIES.includes(events.toLowerCase())) {
    throw new EsError(
      400,
      'illegal_argument_exception',
      `No enum constant org.elasticsearch.common.Priority.${events.toUpperCase()}`,
    );
  }
  const level = q.get('level') ?? 'cluster';
  if (!['cluster', 'indices', 'shards'].includes(level)) {
    throw new EsError(
      400,
      'illegal_argument_exception',
      `level must be one of [cluster, indices, shards], got [${level}]`,
    );
  }
  ctx.requireMaster();
  const indices = indexExpr ? ctx.resolveIndices(indexExpr) : ctx.cluster.indices;
  const body = healthBody(ctx, indices, level);
  let timedOut = false;
  const want = q.get('wait_for_status');
  if (want !== null) {
    const rank: Record<string, number> = { green: 0, yellow: 1, red: 2 };
    if (!(want in rank))
      throw new EsError(400, 'illegal_argument_exception', `unknown cluster health status [${want}]`);
    if (rank[body.status as string] > rank[want]) timedOut = true;
  }
  const nodes = q.get('wait_for_nodes');
  if (nodes !== null && nodes !== '' && !compareCount(body.number_of_nodes as number, nodes)) timedOut = true;
  if (isTrue(q.get('wait_for_no_relocating_shards')) && (body.relocating_shards as number) > 0) timedOut = true;
  if (isTrue(q.get('wait_for_no_initializing_shards')) && (body.initializing_shards as number) > 0) timedOut = true;
  const active = q.get('wait_for_active_shards');
  if (active !== null && active !== '0') {
    const total =
      (body.active_shards as number) + (body.unassigned_shards as number) + (body.initializing_shards as number);
    const need = active === 'all' ? total : Number(active);
    if ((body.active_shards as number) < need) timedOut = true;
  }
  // pending-tasks fault: a task of the lowest priority stays queued, so a wait_for_events wait never ends.
  if (events !== null && pendingTasks(ctx)) timedOut = true;
  body.timed_out = timedOut;
  const status = timedOut && !isTrue(q.get('return_200_for_cluster_health_timeout')) ? 408 : 200;
  return { status, body };
}

export function healthBody(ctx: EsContext, indices: readonly Index[], level: string): Json {
  const c = ctx.cluster;
  const counts = (shards: Iterable<Shard>) => {
    const r = {
      active_primary_shards: 0,
      active_shards: 0,
      relocating_shards: 0,
      initializing_shards: 0,
      unassigned_shards: 0,
      unassigned_primary_shards: 0,
      delayed_unassigned_shards: 0,
    };
    for (const s of shards) {
      for (const copy of s.copies) {
        if (Cluster.isActive(copy)) {
          r.active_shards++;
          if (copy.primary) r.active_primary_shards++;
          if (copy.state === 'RELOCATING') r.relocating_shards++;
        } else if (copy.state === 'INITIALIZING') r.initializing_shards++;
        else {
          r.unassigned_shards++;
          if (copy.primary) r.unassigned_primary_shards++;
          if (copy.unassigned?.delayedUntil !== undefined && copy.unassigned.delayedUntil > ctx.world.now)
            r.delayed_unassigned_shards++;
        }
      }
    }
    return r;
  };
  const shards = indices.flatMap((i) => i.shards);
  const all = counts(shards);
  const total = all.active_shards + all.initializing_shards + all.unassigned_shards;
  const statuses = indices.map((i) => c.indexHealth(i));
  const status = statuses.includes('red') ? 'red' : statuses.includes('yellow') ? 'yellow' : 'green';
  const joined = c.joinedNodes();
  const body: Json = {
    cluster_name: c.clusterName,
    status,
    timed_out: false,
    number_of_nodes: joined.length,
    number_of_data_nodes: joined.filter((n) => n.roles.includes('data')).length,
    active_primary_shards: all.active_primary_shards,
    active_shards: all.active_shards,
    relocating_shards: all.relocating_shards,
    initializing_shards: all.initializing_shards,
    unassigned_shards: all.unassigned_shards,
    unassigned_primary_shards: all.unassigned_primary_shards,
    delayed_unassigned_shards: all.delayed_unassigned_shards,
    number_of_pending_tasks: pendingTasks(ctx) ? 1 : 0,
    number_of_in_flight_fetch: 0,
    task_max_waiting_in_queue_millis: pendingTasks(ctx) ? pendingMillis(ctx) : 0,
    active_shards_percent_as_number: total === 0 ? 100.0 : (100 * all.active_shards) / total,
  };
  if (level !== 'cluster') {
    const out: Json = {};
    for (const ix of indices) {
      // ClusterIndexHealth / ClusterShardHealth have no delayed count (only the cluster level has one).
      const { delayed_unassigned_shards: _delayed, ...r } = counts(ix.shards);
      const entry: Json = {
        status: c.indexHealth(ix),
        number_of_shards: ix.shards.length,
        number_of_replicas: ix.replicas,
        ...r,
      };
      if (level === 'shards') {
        const sh: Json = {};
        for (const s of ix.shards) {
          const one = counts([s]);
          sh[String(s.num)] = { status: c.shardHealth(s), primary_active: one.active_primary_shards > 0, ...one };
          delete (sh[String(s.num)] as Json).active_primary_shards;
          delete (sh[String(s.num)] as Json).delayed_unassigned_shards;
        }
        entry.shards = sh;
      }
      out[ix.name] = entry;
    }
    body.indices = out;
  }
  return body;
}
