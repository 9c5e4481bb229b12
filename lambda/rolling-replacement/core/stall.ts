/**
 * Stall detection of a drain (issue 12, finding 8). Progress is recorded in the data group's tag
 * `elk-cdk:rollout-drain-progress`: "moving" while a copy of a draining node relocates, else
 * "<draining nodes>:<copies left>:<bytes left>:<since>", rewritten when fewer copies or bytes are left (growth by writes is no
 * progress). When nothing moved and nothing left for `stallSeconds`, the wait is reported as `drain-stalled` with the
 * cause read from allocation explain by decider name, and what the operator can do. The roll keeps waiting: a stalled
 * drain never leads to a termination.
 */
import { type Ctx, type GroupState, ownedExclusions, shardsOnNode } from './context';
import { TAG } from './tags';
import type { StuckCopy } from './types';

export const DRAIN_STALLED = 'drain-stalled';

export interface DrainProgress {
  /** The tag value to write now (the progress changed), or undefined. */
  readonly record?: string;
  /** Seconds without progress, when the drain is not moving. */
  readonly stalledFor?: number;
}

/** Copies and bytes still on the draining nodes of a group, and whether any of them is moving. */
function drainState(ctx: Ctx, g: GroupState): { nodes: string; copies: number; bytes: number; moving: boolean } {
  const live = new Set(g.live.map((i) => i.instanceId));
  const draining = ownedExclusions(ctx).filter((n) => live.has(n));
  let copies = 0;
  let bytes = 0;
  let moving = false;
  for (const node of draining) {
    for (const s of shardsOnNode(ctx.es, node)) {
      copies++;
      bytes += s.bytes;
      if (s.state === 'RELOCATING' || s.state === 'INITIALIZING') moving = true;
    }
  }
  return { nodes: [...draining].sort().join('+'), copies, bytes, moving };
}

function parseRecord(
  v: string | undefined,
): { nodes: string; copies: number; bytes: number; since: number } | undefined {
  const m = /^([^:]+):(\d+):(\d+):(\d+)$/.exec(v ?? '');
  return m ? { nodes: m[1]!, copies: Number(m[2]), bytes: Number(m[3]), since: Number(m[4]) } : undefined;
}

/** The drain's progress record and, when it is not moving, for how long nothing has left the draining nodes. */
export function drainProgress(ctx: Ctx, g: GroupState): DrainProgress {
  const tag = g.group.tags[TAG.drainProgress];
  const now = Math.floor(ctx.now);
  const s = drainState(ctx, g);
  if (s.moving) return tag === 'moving' ? {} : { record: 'moving' };
  const prev = parseRecord(tag);
  // A record of other draining nodes (an earlier drain) starts a new clock.
  if (!prev || prev.nodes !== s.nodes || s.copies < prev.copies || s.bytes < prev.bytes) {
    return { record: `${s.nodes}:${s.copies}:${s.bytes}:${now}` };
  }
  return { stalledFor: now - prev.since };
}

export interface Cause {
  readonly cause: string;
  readonly remedy: string;
}

const STORE_FILTER =
  /^index\.routing\.allocation\.(require|include|exclude)\.(_name|_id|_host|_ip|_host_ip|_publish_ip)$/;

/**
 * What a decider's NO means for a copy that must leave (or be recovered, recovery-stall.ts), and what the operator can
 * do (by decider name).
 */
export function causeOf(decider: string, stuck: Pick<StuckCopy, 'index' | 'indexRouting'>): Cause {
  const idx = stuck.index;
  switch (decider) {
    case 'filter': {
      const pins = Object.entries(stuck.indexRouting ?? {}).filter(([k]) => STORE_FILTER.test(k));
      if (pins.length) {
        const text = pins.map(([k, v]) => `${k}=${v}`).join(', ');
        return {
          cause: `index ${idx} is pinned to nodes by ${text} (ILM's shrink action writes require._id; or an operator)`,
          remedy:
            `let the ILM shrink step finish (GET ${idx}/_ilm/explain), or remove the pin: PUT ${idx}/_settings ` +
            `{"${pins[0]![0]}": null}`,
        };
      }
      return {
        cause: 'allocation filters refuse every other node (cluster.routing.allocation.require/include/exclude)',
        remedy: 'GET _cluster/settings and remove the filter this roll did not write',
      };
    }
    case 'awareness':
      return {
        cause:
          'shard allocation awareness refuses every other node (cluster.routing.allocation.awareness.*): the ' +
          "copies must stay spread over the zones and the draining node's zone has no other node that may take it",
        remedy:
          'add a data node in that zone (the surge may have landed elsewhere), or relax cluster.routing.allocation.awareness.force.*',
      };
    case 'disk_threshold':
      return {
        cause: 'every node that could take the copy is above the low disk watermark',
        remedy:
          'free disk (delete or shrink old indices), add data nodes, or raise cluster.routing.allocation.disk.watermark.low for the roll',
      };
    case 'shards_limit':
      return {
        cause:
          `a shards-per-node limit (index.routing.allocation.total_shards_per_node of ${idx}, or ` +
          'cluster.routing.allocation.total_shards_per_node) is reached on every other node',
        remedy: `raise the limit: PUT ${idx}/_settings {"index.routing.allocation.total_shards_per_node": <higher>}`,
      };
    case 'max_retry':
      return {
        cause: 'allocating this copy failed index.allocation.max_retries times; Elasticsearch stopped trying',
        remedy: 'fix the failure (GET _cluster/allocation/explain), then POST _cluster/reroute?retry_failed=true',
      };
    case 'enable':
      return {
        cause: `allocation is disabled (cluster.routing.allocation.enable, or index.routing.allocation.enable of ${idx})`,
        remedy: 'set it back: PUT _cluster/settings {"persistent": {"cluster.routing.allocation.enable": null}}',
      };
    case 'same_shard':
      return {
        cause: 'every other data node already holds a copy of this shard',
        remedy: `lower number_of_replicas of ${idx}, or add a data node`,
      };
    case 'node_version':
    case 'index_version':
      return {
        cause: 'its primary runs on a newer node, and every node without a copy is older (node_version, index_version)',
        remedy: 'add a node of the target version without a copy (a surge), or wait for one',
      };
    case 'snapshot_in_progress':
      return { cause: 'a snapshot of this shard is running', remedy: 'wait for the snapshot to finish' };
    case 'resize':
      return { cause: `a resize (shrink, split, clone) of ${idx} is in progress`, remedy: 'wait for it to finish' };
    case 'throttling':
      return {
        cause: 'Elasticsearch throttles recoveries (other recoveries use the per-node slots)',
        remedy: 'wait, or raise cluster.routing.allocation.node_concurrent_recoveries',
      };
    default:
      return {
        cause: `the ${decider} decider refuses every other node`,
        remedy: 'read POST _cluster/allocation/explain',
      };
  }
}

/** The diagnosis of a stalled drain of `node`, from the explanations of its stuck copies. */
export function diagnose(ctx: Ctx, node: string, stalledFor: number): string {
  const head = `the drain of ${node} made no progress for ${stalledFor} s (nothing moving, nothing left)`;
  const draining = new Set(ownedExclusions(ctx));
  const stuck = (ctx.es.stuck ?? []).find((s) => s.node === node);
  if (!stuck) {
    return (
      `${head}; no allocation explanation of its copies (POST _cluster/allocation/explain with its index, shard, ` +
      'primary and current_node tells why); still waiting, never terminating a node that holds data'
    );
  }
  const label = `[${stuck.index}][${stuck.shard}] ${stuck.primary ? 'primary' : 'replica'}`;
  if (stuck.canMove === 'yes' || stuck.canMove === 'throttled') {
    const c = causeOf('throttling', stuck);
    return `${head}; ${label} may move but has not: ${c.cause}; what to do: ${c.remedy}; still waiting`;
  }
  // Deciders that refused each other node, most common first; nodes this roll drains refuse because of our exclusion.
  const counts = new Map<string, number>();
  for (const d of stuck.nodeDecisions.filter((x) => !draining.has(x.nodeName))) {
    for (const name of new Set(d.noDeciders)) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const names = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([n]) => n);
  if (names.length === 0) {
    return `${head}; ${label} cannot move and no other node says why (no other data node?); still waiting`;
  }
  const parts = names.slice(0, 2).map((n) => {
    const c = causeOf(n, stuck);
    return `${n}: ${c.cause}; what to do: ${c.remedy}`;
  });
  return `${head}; ${label} cannot move: ${parts.join(' | ')}; still waiting, never terminating a node that holds data`;
}
