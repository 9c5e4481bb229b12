import { EsError } from '../model/cluster';
import { initEmpty } from '../model/indices-data';
import {
  checkSlices,
  type ReindexTask,
  reindexResponse,
  reindexStatus,
  reindexTaskOf,
  settle,
  startReindex,
} from '../model/reindex-tasks';
import type { SimTask } from '../model/windows';
import type { World } from '../model/world';
import type { EsContext, Json, Query } from './context';
import { type Answer, resolve } from './indices';

/**
 * `POST _reindex` over the simulated task (sim/model/reindex-tasks.ts). With `wait_for_completion=false` it answers
 * `{task}` at once and the task's result is stored; with the default `true` the request holds the connection while
 * virtual time runs, and a load balancer between the client and the cluster cuts it after its idle timeout: the
 * caller sees a 504 while the task keeps running (an NLB resets the TCP connection instead; either way the answer is
 * not the task's). The task runs on the node that received the request.
 */

/** AWS Network Load Balancer's TCP idle timeout (the cluster's internal NLB on 9200), in seconds. */
export const LB_IDLE_TIMEOUT_SECONDS = 350;

export function reindex(ctx: EsContext, q: Query, body: string | undefined): Answer {
  ctx.requireMaster();
  let req: Json;
  try {
    req = JSON.parse(body ?? '{}') as Json;
  } catch {
    throw new EsError(400, 'parse_exception', 'request body is not valid JSON');
  }
  const source = (req.source ?? {}) as Json;
  const dest = (req.dest ?? {}) as Json;
  if (typeof source.index !== 'string' || typeof dest.index !== 'string') {
    throw new EsError(
      400,
      'action_request_validation_exception',
      'Validation Failed: 1: use _reindex with source.index and dest.index;',
    );
  }
  const [src, ...more] = resolve(ctx, source.index);
  if (!src || more.length > 0) {
    throw new EsError(400, 'illegal_argument_exception', 'the simulator reindexes from exactly one index');
  }
  if (src.name === dest.index) {
    throw new EsError(
      400,
      'action_request_validation_exception',
      `Validation Failed: 1: reindex cannot write into an index its reading from [${src.name}];`,
    );
  }
  // A missing destination is created (action.auto_create_index), without a template in the simulator.
  let dst = resolve(ctx, dest.index, true)[0];
  if (!dst) {
    dst = ctx.cluster.createIndex({ name: dest.index, shards: 1, replicas: 1, docs: 0, bytes: 0 });
    initEmpty(dst);
  }
  const node = ctx.coordinatingNode()!;
  const opType = dest.op_type === 'create' ? 'create' : 'index';
  const conflicts = req.conflicts === 'proceed' ? 'proceed' : 'abort';
  const wait = q.get('wait_for_completion') !== 'false';
  const task = startReindex(ctx.world, {
    source: src,
    dest: dst,
    slices: checkSlices(q.get('slices'), src),
    batchSize: typeof source.size === 'number' && source.size > 0 ? source.size : 1000,
    opType,
    conflicts,
    storeResult: !wait,
    node: node.name,
  });
  if (!wait) return { body: { task: `${node.id}:${task.sim.num}` } };
  const deadline = ctx.world.now + LB_IDLE_TIMEOUT_SECONDS;
  while (task.state === 'running' && ctx.world.now < deadline) {
    ctx.world.advanceTo(Math.min(deadline, Math.max(ctx.world.now + 1, task.sim.endsAt)));
    settle(ctx.world);
  }
  if (task.state === 'running') {
    return {
      status: 504,
      body: {
        message: `load balancer idle timeout after ${LB_IDLE_TIMEOUT_SECONDS} s (simulated); the task still runs`,
      },
    };
  }
  if (task.state === 'killed') {
    throw new EsError(500, 'node_closed_exception', `node [${node.name}] closed while the reindex ran`);
  }
  return { body: reindexResponse(task) };
}

/** `_tasks` description and status of a reindex task (undefined for other tasks). */
export function reindexTaskFields(world: World, t: SimTask): Json | undefined {
  const r = reindexTaskOf(world, t);
  if (!r) return undefined;
  return { description: `reindex from [${r.sourceName}] to [${r.destName}]`, status: reindexStatus(r) };
}

/** `GET _tasks/<id>` for a reindex task: running, completed with its stored result, or 404 once its node left. */
export function reindexTaskAnswer(world: World, t: SimTask, nodeId: string, id: string): Json | undefined {
  settle(world);
  const r: ReindexTask | undefined = reindexTaskOf(world, t);
  if (!r) return undefined;
  if (r.state === 'killed' || (r.state === 'completed' && !r.spec.storeResult)) {
    throw new EsError(404, 'resource_not_found_exception', `task [${id}] isn't running and hasn't stored its results`);
  }
  const task = {
    node: nodeId,
    id: t.num,
    type: 'transport',
    action: t.action,
    ...reindexTaskFields(world, t),
    start_time_in_millis: world.startEpochMs + Math.round(t.startedAt * 1000),
    running_time_in_nanos: Math.round(((r.finishedAt ?? world.now) - t.startedAt) * 1e9),
    cancellable: true,
    cancelled: false,
    headers: {},
  };
  return r.state === 'running' ? { completed: false, task } : { completed: true, task, response: reindexResponse(r) };
}
