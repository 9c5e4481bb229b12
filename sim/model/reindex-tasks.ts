import { Cluster, EsError, type Index } from './cluster';
import { IdSet, type Piece, piecesSize } from './id-set';
import { addDocs, dataOf, visibleIds } from './indices-data';
import type { SimTask } from './windows';
import type { World } from './world';

/**
 * `_reindex` as a task of the simulated cluster: slices copy the ids a scroll saw when the task started, batch by
 * batch at a fixed rate, into the destination. Evaluated lazily (`settle`) at the time of each request, from the
 * task's start, so it needs no timer events. The task dies with its node (the world kills it, `killedAt`), fails
 * when its source or destination goes away or a destination primary is not active, and fails half-way under a
 * `reindex-failure` fault. A finished task keeps its result (Elasticsearch stores it in `.tasks` when it ran with
 * `wait_for_completion=false`); a killed one has none.
 *
 * Simplifications (docs/sim.md): slices split the ids by position, not by `_id` hash; every slice copies
 * `DOCS_PER_SECOND_PER_SLICE`; a failing batch fails whole (no partial bulk), and a failure stops every slice.
 */

export const REINDEX_ACTION = 'indices:data/write/reindex';
export const DOCS_PER_SECOND_PER_SLICE = 5000;

export interface ReindexRequestSpec {
  readonly source: Index;
  readonly dest: Index;
  readonly slices: number;
  readonly batchSize: number;
  readonly opType: 'index' | 'create';
  readonly conflicts: 'abort' | 'proceed';
  readonly storeResult: boolean;
  /** Node (name) that runs the task: the one that received the request. */
  readonly node: string;
}

interface Slice {
  readonly plan: readonly Piece[];
  readonly total: number;
  done: number;
  created: number;
  updated: number;
  conflicts: number;
  batches: number;
}

export interface ReindexTask {
  readonly sim: SimTask & { killedAt?: number };
  readonly spec: ReindexRequestSpec;
  readonly sourceName: string;
  readonly destName: string;
  readonly slices: Slice[];
  /** Fraction of each slice after which a reindex-failure fault fails the task. */
  readonly failAt?: number;
  failures: Record<string, unknown>[];
  state: 'running' | 'completed' | 'killed';
  finishedAt?: number;
}

interface ReindexState {
  readonly tasks: ReindexTask[];
  readonly faultUses: Map<object, number>;
}

const STATE = new WeakMap<World, ReindexState>();

function stateOf(world: World): ReindexState {
  let s = STATE.get(world);
  if (!s) {
    s = { tasks: [], faultUses: new Map() };
    STATE.set(world, s);
  }
  return s;
}

export function reindexTasks(world: World): readonly ReindexTask[] {
  return stateOf(world).tasks;
}

export function reindexTaskOf(world: World, sim: SimTask): ReindexTask | undefined {
  return stateOf(world).tasks.find((t) => t.sim === sim);
}

/** The count-lag fault's lag now (0 without one). */
export function lagSeconds(world: World): number {
  let l = 0;
  for (const w of world.windows.open('count-lag', world.now)) if (w.kind === 'count-lag') l = Math.max(l, w.seconds);
  return l;
}

export function startReindex(world: World, spec: ReindexRequestSpec): ReindexTask {
  settle(world);
  const seen = visibleIds(dataOf(spec.source), world.now, lagSeconds(world));
  const n = seen.size;
  const slices: Slice[] = [];
  for (let k = 0; k < spec.slices; k++) {
    const a = Math.floor((k * n) / spec.slices);
    const b = Math.floor(((k + 1) * n) / spec.slices);
    slices.push({ plan: seen.piecesAt(a, b), total: b - a, done: 0, created: 0, updated: 0, conflicts: 0, batches: 0 });
  }
  const st = stateOf(world);
  const fault = world.scenario.faults.find(
    (f) =>
      f.kind === 'reindex-failure' &&
      f.at <= world.now &&
      (f.index === undefined || f.index === spec.source.name) &&
      (st.faultUses.get(f) ?? 0) < f.count,
  );
  if (fault) st.faultUses.set(fault, (st.faultUses.get(fault) ?? 0) + 1);
  const longest = Math.max(0, ...slices.map((s) => s.total));
  const sim: SimTask = {
    num: 1000 + world.tasks.length,
    node: spec.node,
    action: REINDEX_ACTION,
    startedAt: world.now,
    endsAt: world.now + Math.ceil(longest / spec.batchSize) * (spec.batchSize / DOCS_PER_SECOND_PER_SLICE),
    state: 'running',
  };
  world.tasks.push(sim);
  const task: ReindexTask = {
    sim,
    spec,
    sourceName: spec.source.name,
    destName: spec.dest.name,
    slices,
    failAt: fault && fault.kind === 'reindex-failure' ? fault.fraction : undefined,
    failures: [],
    state: 'running',
  };
  st.tasks.push(task);
  world.note(
    'reindex',
    spec.node,
    `_reindex ${spec.source.name} → ${spec.dest.name}: ${n} documents, ${spec.slices} slices`,
  );
  if (n === 0) finish(world, task, world.now);
  return task;
}

/** Brings every running task up to the world's current time. */
export function settle(world: World): void {
  for (const t of stateOf(world).tasks) if (t.state === 'running') settleTask(world, t);
}

function settleTask(world: World, t: ReindexTask): void {
  const killedAt = (t.sim as { killedAt?: number }).killedAt;
  const end = Math.min(world.now, t.sim.state === 'killed' ? (killedAt ?? world.now) : Infinity);
  const batch = t.spec.batchSize;
  const batchesBy = Math.floor(((end - t.sim.startedAt) * DOCS_PER_SECOND_PER_SLICE) / batch + 1e-9);
  for (const s of t.slices) {
    const limit = t.failAt !== undefined ? Math.floor(s.total * t.failAt) : s.total;
    while (s.done < Math.min(s.total, batchesBy * batch)) {
      const at = t.sim.startedAt + ((s.batches + 1) * batch) / DOCS_PER_SECOND_PER_SLICE;
      if (s.done >= limit) {
        fail(
          world,
          t,
          at,
          bulkFailure(
            t,
            s,
            429,
            'es_rejected_execution_exception',
            'rejected execution of bulk (fault reindex-failure)',
          ),
        );
        return;
      }
      const problem = copyProblem(world, t);
      if (problem) {
        fail(world, t, at, problem(s));
        return;
      }
      const next = Math.min(s.total, s.done + batch);
      copy(world, t, s, t.spec.dest, s.done, next, at);
      if (t.state !== 'running') return;
      s.done = next;
      s.batches++;
    }
  }
  if (t.sim.state === 'killed') {
    t.state = 'killed';
    t.finishedAt = killedAt ?? world.now;
    return;
  }
  if (t.slices.every((s) => s.done >= s.total)) {
    const last = Math.max(...t.slices.map((s) => t.sim.startedAt + (s.batches * batch) / DOCS_PER_SECOND_PER_SLICE));
    finish(world, t, last);
  }
}

type FailureOf = (s: Slice) => Record<string, unknown>;

function copyProblem(world: World, t: ReindexTask): FailureOf | undefined {
  const c = world.cluster;
  if (!c.indices.includes(t.spec.source)) {
    return () => ({
      index: t.sourceName,
      shard: 0,
      node: c.nodes.get(t.sim.node)?.id ?? t.sim.node,
      reason: { type: 'index_not_found_exception', reason: `no such index [${t.sourceName}]` },
      status: 404,
    });
  }
  const dest = t.spec.dest;
  const inactive = !c.indices.includes(dest) || dest.shards.some((sh) => sh.lost || !Cluster.isActive(c.primaryOf(sh)));
  if (inactive) {
    return (s) => bulkFailure(t, s, 503, 'unavailable_shards_exception', `[${t.destName}] primary shard is not active`);
  }
  return undefined;
}

function copy(world: World, t: ReindexTask, s: Slice, dest: Index, a: number, b: number, at: number): void {
  const pieces = IdSet.of(s.plan).piecesAt(a, b);
  const d = dataOf(dest);
  const fresh = d.ids.without(pieces);
  const existing = piecesSize(pieces) - piecesSize(fresh);
  if (t.spec.opType === 'create' && existing > 0 && t.spec.conflicts === 'abort') {
    fail(world, t, at, bulkFailure(t, s, 409, 'version_conflict_engine_exception', 'document already exists'));
    return;
  }
  const written = t.spec.opType === 'create' ? fresh : pieces;
  world.cluster.write(dest, piecesSize(fresh));
  addDocs(d, written, at);
  s.created += piecesSize(fresh);
  if (t.spec.opType === 'create') s.conflicts += existing;
  else s.updated += existing;
}

function bulkFailure(t: ReindexTask, s: Slice, status: number, type: string, reason: string): Record<string, unknown> {
  const [p] = IdSet.of(s.plan).piecesAt(s.done, s.done + 1);
  return { index: t.destName, id: p ? `${p.origin}#${p.from}` : '', cause: { type, reason }, status };
}

function fail(world: World, t: ReindexTask, at: number, failure: Record<string, unknown>): void {
  t.failures.push(failure);
  finish(world, t, Math.min(at, world.now));
}

function finish(world: World, t: ReindexTask, at: number): void {
  t.state = 'completed';
  t.finishedAt = at;
  t.sim.state = 'completed';
  world.note(
    'reindex-end',
    t.sim.node,
    `_reindex ${t.sourceName} → ${t.destName}: ${t.failures.length > 0 ? 'failed' : 'completed'}`,
  );
}

/** The task's counters as Elasticsearch's BulkByScrollTask.Status (sliced: with per-slice statuses). */
export function reindexStatus(t: ReindexTask): Record<string, unknown> {
  const sum = (f: (s: Slice) => number) => t.slices.reduce((n, s) => n + f(s), 0);
  const one = (s: Slice, i?: number) => ({
    ...(i !== undefined ? { slice_id: i } : {}),
    total: s.total,
    updated: s.updated,
    created: s.created,
    deleted: 0,
    batches: s.batches,
    version_conflicts: s.conflicts,
    noops: 0,
    retries: { bulk: 0, search: 0 },
    throttled_millis: 0,
    requests_per_second: -1,
    throttled_until_millis: 0,
  });
  return {
    total: sum((s) => s.total),
    updated: sum((s) => s.updated),
    created: sum((s) => s.created),
    deleted: 0,
    batches: sum((s) => s.batches),
    version_conflicts: sum((s) => s.conflicts),
    noops: 0,
    retries: { bulk: 0, search: 0 },
    throttled_millis: 0,
    requests_per_second: -1,
    throttled_until_millis: 0,
    ...(t.slices.length > 1 ? { slices: t.slices.map((s, i) => one(s, i)) } : {}),
  };
}

/** The stored result of a finished task (Elasticsearch's BulkByScrollResponse as `GET _tasks/<id>` shows it). */
export function reindexResponse(t: ReindexTask): Record<string, unknown> {
  const { slices: _slices, ...status } = reindexStatus(t);
  return {
    took: Math.round(((t.finishedAt ?? t.sim.startedAt) - t.sim.startedAt) * 1000),
    timed_out: false,
    ...status,
    failures: t.failures,
  };
}

export function checkSlices(v: string | null, source: Index): number {
  if (v === null || v === '') return 1;
  if (v === 'auto') return source.shards.length;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new EsError(400, 'illegal_argument_exception', `[slices] must be at least 1 or auto, was [${v}]`);
  }
  return n;
}
