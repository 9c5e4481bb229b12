/**
 * The disk gate of a drain (issue 12, finding 8): the copies of every draining node are projected onto the data nodes
 * that stay, one copy at a time, largest first, each to the node Elasticsearch's balancer would favour among those
 * allowed to take it (no copy of that shard; the least full afterwards). Every node must stay below the low
 * watermark less a margin for growth during the drain. A cluster average hides the node that fills up: there,
 * above the low watermark, nothing more is allocated and the drain stalls.
 */
import { type Ctx, isDataNode, ownedExclusions, shardsOnNode } from './context';
import type { Predicate, PredicateResult } from './predicates';

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export const diskHeadroom: Predicate = {
  name: 'disk-headroom',
  checks:
    "each remaining data node stays under the low watermark, less rollout.drainDiskMargin (5 %) for growth, after the draining nodes' copies " +
    'are projected onto the nodes allowed to take them (per node, not a cluster average)',
  why: 'above the low watermark (85 %) no shard is allocated to a node, so the drain stalls',
  source: 'checklist 24 [DOC, AOS FORBIDDEN/8 reports]; issue 12 finding 8',
  evaluate(ctx: Ctx, subject): PredicateResult {
    const node = subject.node;
    if (!node || !isDataNode(ctx.nodesByName.get(node)))
      return { status: 'not-applicable', reason: 'the node holds no data role' };
    // Every node this rollout drains (one, or several with maxSurge) gives its bytes to the others.
    const leaving = new Set([...ownedExclusions(ctx), node]);
    const others = ctx.es.nodes.filter((n) => isDataNode(n) && !leaving.has(n.name));
    if (others.some((n) => n.diskTotalBytes === undefined || n.diskUsedBytes === undefined)) {
      return { status: 'not-applicable', reason: 'disk usage not reported' };
    }
    // Rounded: 0.85 - 0.05 is 0.7999… in floating point.
    const limit = Math.round((ctx.es.lowWatermark - ctx.spec.options.drainDiskMargin) * 1e9) / 1e9;
    const used = new Map(others.map((n) => [n.name, n.diskUsedBytes!]));
    const total = new Map(others.map((n) => [n.name, n.diskTotalBytes!]));
    const moving = [...leaving].flatMap((n) => shardsOnNode(ctx.es, n)).sort((a, b) => b.bytes - a.bytes);
    for (const copy of moving) {
      const holders = new Set(
        ctx.es.shards
          .filter((o) => o.index === copy.index && o.shard === copy.shard)
          .flatMap((o) => [o.node, o.relocatingTo].filter((x): x is string => !!x)),
      );
      const fill = (n: string) => (used.get(n)! + copy.bytes) / Math.max(1, total.get(n)!);
      const target = others
        .map((n) => n.name)
        .filter((n) => !holders.has(n))
        .sort((a, b) => fill(a) - fill(b) || a.localeCompare(b))[0];
      // No node may take it: drain-has-destination names that.
      if (target) used.set(target, used.get(target)! + copy.bytes);
    }
    const worst = others
      .map((n) => ({ name: n.name, fill: used.get(n.name)! / Math.max(1, total.get(n.name)!) }))
      .sort((a, b) => b.fill - a.fill)[0];
    if (!worst || worst.fill <= limit) return { status: 'pass' };
    return {
      status: 'block',
      reason:
        `${worst.name} would be ${pct(worst.fill)} full after the drain (low watermark ${pct(ctx.es.lowWatermark)} ` +
        `less ${pct(ctx.spec.options.drainDiskMargin)} kept for growth)`,
    };
  },
};
