import { EsError, EsNode, wildcardMatch } from '../model/cluster';
import type { World } from '../model/world';
import type { SimTask } from '../model/windows';
import { settle } from '../model/reindex-tasks';
import { reindexTaskAnswer, reindexTaskFields } from './reindex';

/**
 * The task management API (`GET /_tasks`, `GET /_tasks/<node_id>:<num>`), over the world's long-running tasks
 * (`task` faults). Running tasks only, as Elasticsearch lists them; `group_by` nodes (default), parents or none.
 */

type Json = Record<string, unknown>;

function matchesNode(spec: string, n: EsNode): boolean {
  return (
    spec === '_all' ||
    spec === '*' ||
    spec === n.id ||
    spec === n.ip ||
    wildcardMatch(spec, n.name) ||
    (spec === 'master:true' && n.roles.includes('master')) ||
    (spec === 'data:true' && n.roles.includes('data'))
  );
}

function taskInfo(world: World, t: SimTask, node: EsNode, detailed: boolean): Json {
  const running = world.now - t.startedAt;
  return {
    node: node.id,
    id: t.num,
    type: 'transport',
    action: t.action,
    ...(detailed
      ? (reindexTaskFields(world, t) ?? {
          status: { total: 0, updated: 0, created: 0, deleted: 0, batches: 0 },
          description: `simulated ${t.action} (fault "task")`,
        })
      : {}),
    start_time_in_millis: world.startEpochMs + Math.round(t.startedAt * 1000),
    running_time_in_nanos: Math.round(running * 1e9),
    cancellable: true,
    cancelled: false,
    headers: {},
  };
}

/** GET /_tasks */
export function listTasks(world: World, q: URLSearchParams): Json {
  settle(world);
  const nodeSpecs = (q.get('nodes') ?? '_all')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const actions = (q.get('actions') ?? '*')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const detailed = q.has('detailed') && q.get('detailed') !== 'false';
  const groupBy = q.get('group_by') ?? 'nodes';
  if (!['nodes', 'parents', 'none'].includes(groupBy)) {
    throw new EsError(400, 'illegal_argument_exception', `unknown group_by value [${groupBy}]`);
  }
  const nodes = world.cluster
    .joinedNodes()
    .filter((n) => nodeSpecs.some((s) => matchesNode(s, n)))
    .sort((a, b) => a.name.localeCompare(b.name));
  const running = world.tasks.filter((t) => t.state === 'running' && actions.some((a) => wildcardMatch(a, t.action)));
  const entries: { node: EsNode; task: SimTask }[] = [];
  for (const n of nodes) for (const t of running) if (t.node === n.name) entries.push({ node: n, task: t });
  if (groupBy === 'none') return { tasks: entries.map((e) => taskInfo(world, e.task, e.node, detailed)) };
  if (groupBy === 'parents') {
    return {
      tasks: Object.fromEntries(
        entries.map((e) => [`${e.node.id}:${e.task.num}`, taskInfo(world, e.task, e.node, detailed)]),
      ),
    };
  }
  const out: Json = {};
  for (const n of nodes) {
    const mine = entries.filter((e) => e.node === n);
    if (mine.length === 0) continue;
    out[n.id] = {
      name: n.name,
      transport_address: `${n.ip}:9300`,
      host: n.ip,
      ip: `${n.ip}:9300`,
      roles: [...n.roles].sort(),
      attributes: { 'xpack.installed': 'true', aws_availability_zone: n.az, instance_id: n.name },
      tasks: Object.fromEntries(mine.map((e) => [`${n.id}:${e.task.num}`, taskInfo(world, e.task, n, detailed)])),
    };
  }
  return { nodes: out };
}

/** GET /_tasks/<node_id>:<num> */
export function getTask(world: World, id: string): Json {
  const m = /^([^:]+):(\d+)$/.exec(id);
  if (!m) throw new EsError(400, 'illegal_argument_exception', `malformed task id ${id}`);
  const node = [...world.cluster.nodes.values()].find((n) => n.id === m[1]);
  const task = node ? world.tasks.find((t) => t.node === node.name && t.num === Number(m[2])) : undefined;
  if (!node || !task) {
    throw new EsError(404, 'resource_not_found_exception', `task [${id}] isn't running and hasn't stored its results`);
  }
  const reindexAnswer = reindexTaskAnswer(world, task, node.id, id);
  if (reindexAnswer) return reindexAnswer;
  return { completed: task.state !== 'running', task: taskInfo(world, task, node, true) };
}
