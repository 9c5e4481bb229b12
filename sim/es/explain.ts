import { Copy, DeciderResult, EsError } from '../model/cluster';
import { formatDuration } from './cat-columns';
import { EsContext, isTrue, Json, Query } from './context';
import { indexNotFound, isObject } from './json';

/** `_cluster/allocation/explain`: the deciders' verdicts for one copy, shaped like Elasticsearch's answer. */

export function explain(ctx: EsContext, q: Query, body: unknown): Json {
  let copy: Copy | undefined;
  if (body === undefined) {
    const all = [...ctx.cluster.allShards()].flatMap((s) => s.copies).filter((c) => c.state === 'UNASSIGNED');
    copy = all.find((c) => c.primary) ?? all[0];
    if (!copy) {
      throw new EsError(
        400,
        'illegal_argument_exception',
        'No shard was specified in the request which means the response should explain a randomly-chosen unassigned shard, but there are no unassigned shards in this cluster. To explain the allocation of an assigned shard you must specify the target shard in the request. See https://www.elastic.co/guide/en/elasticsearch/reference/8.19/cluster-allocation-explain.html for more information.',
      );
    }
  } else {
    if (!isObject(body)) throw new EsError(400, 'parse_exception', 'request body must be an object');
    for (const k of Object.keys(body)) {
      if (!['index', 'shard', 'primary', 'current_node'].includes(k)) {
        throw new EsError(400, 'x_content_parse_exception', `[1:2] [cluster/allocation/explain] unknown field [${k}]`);
      }
    }
    const { index, shard, primary } = body as { index?: unknown; shard?: unknown; primary?: unknown };
    if (typeof index !== 'string' || typeof shard !== 'number' || typeof primary !== 'boolean') {
      throw new EsError(
        400,
        'action_request_validation_exception',
        'Validation Failed: 1: index must be specified;2: shard must be specified;3: primary must be specified;',
      );
    }
    const ix = ctx.cluster.indices.find((i) => i.name === index);
    if (!ix) throw indexNotFound(index);
    const s = ix.shards[shard];
    if (!s) throw new EsError(400, 'illegal_argument_exception', `No shard was found for [${index}][${shard}]`);
    const currentNode = (body as { current_node?: unknown }).current_node;
    const copies = s.copies.filter((c) => c.primary === primary);
    copy =
      copies.find(
        (c) => typeof currentNode === 'string' && (c.node?.name === currentNode || c.node?.id === currentNode),
      ) ??
      copies.find((c) => c.state === 'UNASSIGNED') ??
      copies[0];
    if (!copy)
      throw new EsError(
        400,
        'illegal_argument_exception',
        `unable to find a shard copy for [${index}][${shard}] primary [${primary}]`,
      );
  }
  const includeYes = isTrue(q.get('include_yes_decisions'));
  const includeDisk = isTrue(q.get('include_disk_info'));
  const shard = copy.shard;
  const base: Json = {
    index: shard.index.name,
    shard: shard.num,
    primary: copy.primary,
    current_state: copy.state.toLowerCase(),
  };
  const decisions = (mode: 'allocate' | 'move' | 'rebalance') =>
    ctx.cluster
      .dataNodes()
      .filter((n) => n.state === 'joined')
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((n, i) => {
        const results: DeciderResult[] = [];
        const d = ctx.cluster.evaluate(copy!, n, mode, undefined, results);
        return {
          node_id: n.id,
          node_name: n.name,
          transport_address: `${n.ip}:9300`,
          node_attributes: { 'xpack.installed': 'true', aws_availability_zone: n.az, instance_id: n.name },
          roles: [...n.roles].sort(),
          node_decision: d === 'YES' ? 'yes' : d === 'THROTTLE' ? 'throttled' : 'no',
          weight_ranking: i + 1,
          deciders: (includeYes ? results : results.filter((r) => r.decision !== 'YES')).map((r) => ({ ...r })),
        };
      })
      .map((d) => (d.deciders.length === 0 ? { ...d, deciders: undefined } : d))
      .map((d) => JSON.parse(JSON.stringify(d)) as Json);
  if (includeDisk) {
    base.cluster_info = {
      nodes: Object.fromEntries(
        ctx.cluster.dataNodes().map((n) => {
          const used = ctx.cluster.usedBytes(n);
          return [
            n.id,
            {
              node_name: n.name,
              least_available: {
                path: '/var/lib/elasticsearch',
                total_bytes: n.diskTotal,
                used_bytes: used,
                free_bytes: n.diskTotal - used,
                free_disk_percent: 100 * (1 - used / n.diskTotal),
                used_disk_percent: (100 * used) / n.diskTotal,
              },
              most_available: {
                path: '/var/lib/elasticsearch',
                total_bytes: n.diskTotal,
                used_bytes: used,
                free_bytes: n.diskTotal - used,
                free_disk_percent: 100 * (1 - used / n.diskTotal),
                used_disk_percent: (100 * used) / n.diskTotal,
              },
            },
          ];
        }),
      ),
      shard_sizes: {},
      shard_paths: {},
      reserved_sizes: [],
    };
  }
  if (copy.state === 'UNASSIGNED') {
    const info = copy.unassigned!;
    const delayed = info.delayedUntil !== undefined && info.delayedUntil > ctx.world.now;
    const nodeDecisions = decisions('allocate');
    let canAllocate: string;
    let explanation: string;
    if (shard.lost && copy.primary) {
      canAllocate = 'no_valid_shard_copy';
      explanation =
        "Elasticsearch can't allocate this shard because there are no copies of its data in the cluster. Elasticsearch will allocate this shard when a node holding a good copy of its data joins the cluster. If no such node is available, restore this index from a recent snapshot.";
    } else if (delayed) {
      canAllocate = 'allocation_delayed';
      explanation = `The node containing this shard copy recently left the cluster. Elasticsearch is waiting for it to return. If the node does not return, Elasticsearch will allocate this shard to another node in [${formatDuration(info.delayedUntil! - ctx.world.now)}]. If the node does not return, restore this shard from a recent snapshot.`;
    } else if (nodeDecisions.some((d) => d.node_decision === 'yes')) {
      canAllocate = 'yes';
      explanation = 'Elasticsearch can allocate the shard.';
    } else if (nodeDecisions.some((d) => d.node_decision === 'throttled')) {
      canAllocate = 'throttled';
      explanation =
        'Elasticsearch is currently busy with other activities. It expects to be able to allocate this shard when those activities finish. Please wait.';
    } else {
      canAllocate = 'no';
      explanation =
        "Elasticsearch isn't allowed to allocate this shard to any of the nodes in the cluster. Choose a node to which you expect this shard to be allocated, find this node in the node-by-node explanation, and address the reasons which prevent Elasticsearch from allocating this shard there.";
    }
    const ui: Json = {
      reason: info.reason,
      at: ctx.world.isoTime(info.at),
      ...(info.failedAttempts > 0 ? { failed_allocation_attempts: info.failedAttempts } : {}),
      ...(info.details ? { details: info.details } : {}),
      last_allocation_status: info.lastStatus,
    };
    const out: Json = { ...base, unassigned_info: ui, can_allocate: canAllocate, allocate_explanation: explanation };
    if (canAllocate === 'allocation_delayed') {
      const conf = ctx.world.scenario.model.delayedTimeoutSeconds;
      const remaining = delayed ? info.delayedUntil! - ctx.world.now : 0;
      out.configured_delay = formatDuration(conf);
      out.configured_delay_in_millis = Math.round(conf * 1000);
      out.remaining_delay = formatDuration(remaining);
      out.remaining_delay_in_millis = Math.round(remaining * 1000);
    }
    out.node_allocation_decisions = nodeDecisions;
    return out;
  }
  const node = copy.node!;
  const current = {
    id: node.id,
    name: node.name,
    transport_address: `${node.ip}:9300`,
    attributes: { 'xpack.installed': 'true', aws_availability_zone: node.az, instance_id: node.name },
    roles: [...node.roles].sort(),
    weight_ranking: 1,
  };
  if (copy.state !== 'STARTED') {
    return {
      ...base,
      current_node: current,
      explanation: `the shard is in the process of ${copy.state === 'RELOCATING' ? 'relocating' : 'initializing'} on node [${node.name}], wait until ${copy.state === 'RELOCATING' ? 'relocation' : 'initialization'} has completed`,
    };
  }
  const refusal = ctx.cluster.filterRefusal(node);
  if (refusal) {
    const moves = decisions('move').filter((d) => d.node_name !== node.name);
    const canMove = moves.some((d) => d.node_decision === 'yes');
    // A move every node only throttles (recovery limits, snapshot_in_progress) is "throttled", as in Elasticsearch.
    const throttled = !canMove && moves.some((d) => d.node_decision === 'throttled');
    return {
      ...base,
      current_node: current,
      can_remain_on_current_node: 'no',
      can_remain_decisions: [
        {
          decider: 'filter',
          decision: 'NO',
          explanation: refusal,
        },
      ],
      can_move_to_other_node: canMove ? 'yes' : throttled ? 'throttled' : 'no',
      move_explanation: canMove
        ? 'This shard may not remain on its current node, but Elasticsearch is able to move it to another node.'
        : throttled
          ? 'This shard may not remain on its current node. Elasticsearch is currently busy with other activities. It expects to be able to move this shard to another node once this busy activity ends.'
          : "This shard may not remain on its current node, but Elasticsearch isn't allowed to move it to another node. Choose a node to which you expect this shard to be allocated, find this node in the node-by-node explanation, and address the reasons which prevent Elasticsearch from allocating this shard there.",
      node_allocation_decisions: moves,
    };
  }
  const rebal = decisions('rebalance').filter((d) => d.node_name !== node.name);
  const canRebalance = ctx.cluster.setting('cluster.routing.rebalance.enable') !== 'none';
  return {
    ...base,
    current_node: current,
    can_remain_on_current_node: 'yes',
    can_rebalance_cluster: canRebalance ? 'yes' : 'no',
    ...(canRebalance
      ? {}
      : {
          can_rebalance_cluster_decisions: [
            {
              decider: 'enable',
              decision: 'NO',
              explanation: 'no rebalancing is allowed due to cluster setting [cluster.routing.rebalance.enable=none]',
            },
          ],
        }),
    can_rebalance_to_other_node: 'no',
    rebalance_explanation:
      'Elasticsearch cannot rebalance this shard to another node since there is no node to which allocation is permitted which would improve the cluster balance. If you expect this shard to be rebalanced to another node, find this node in the node-by-node explanation and address the reasons which prevent Elasticsearch from rebalancing this shard there.',
    node_allocation_decisions: rebal,
  };
}
