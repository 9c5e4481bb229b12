import { World } from '../../sim/model/world';
import type { Copy, EsNode } from '../../sim/model/cluster-types';
import { instanceIdOf as iid } from '../../sim/fault-schema';
import { GIB, scenario } from './builders';

/**
 * Where the copies of a drained node go (issue #11, balancer). Elasticsearch 8.x allocates with the desired-balance
 * allocator: DesiredBalanceComputer runs BalancedShardsAllocator as if every move had completed, so each copy that
 * must leave an excluded node is assigned the lowest-weight node that may take it (weight = balance.shard 0.45 ×
 * copies on the node + balance.index 0.55 × copies of the index on the node + balance.disk_usage 2e-11 × bytes);
 * DesiredBalanceReconciler.moveShards then relocates it only to that node, and waits while that node is throttled.
 */

type Cluster = Parameters<typeof scenario>[0];

function worldWithSurge(dataNodes: number, overrides: Cluster): { w: World; surge: EsNode } {
  const w = new World(scenario({ change: { version: '8.18.2', ami: 'ami-next' }, ...overrides }));
  w.advanceTo(1);
  // As the orchestrator does: no rebalancing during the roll, then one surge node.
  w.cluster.applySettings('persistent', new Map([['cluster.routing.rebalance.enable', 'none']]));
  w.setDesiredCapacity('elk-data', dataNodes + 1);
  w.advanceTo(600);
  const surge = [...w.cluster.nodes.values()].find((n) => n.state === 'joined' && n.name > iid(3 + dataNodes))!;
  expect(surge).toBeDefined();
  return { w, surge };
}

const copiesOn = (w: World, node: string): Copy[] =>
  w.cluster
    .allShards()
    .flatMap((s) => s.copies)
    .filter((c) => c.node?.name === node);

const label = (c: Copy) => `${c.shard.index.name}[${c.shard.num}]${c.primary ? 'p' : 'r'}`;

/**
 * The targets Elasticsearch's weight function gives the copies of `drained`, computed here independently of the
 * model: greedily, in shard order, each copy counted on its target before the next is placed (ties: node name).
 */
function expectedTargets(w: World, drained: string): Map<string, string> {
  const nodes = [...w.cluster.nodes.values()].filter(
    (n) => n.state === 'joined' && n.roles.includes('data') && n.name !== drained,
  );
  const held = new Map<string, Copy[]>(nodes.map((n) => [n.name, copiesOn(w, n.name)]));
  const out = new Map<string, string>();
  for (const c of copiesOn(w, drained)) {
    const weight = (name: string) => {
      const on = held.get(name)!;
      const ofIndex = on.filter((o) => o.shard.index === c.shard.index).length;
      const bytes = on.reduce((n, o) => n + o.shard.bytes, 0);
      return 0.45 * on.length + 0.55 * ofIndex + 2e-11 * bytes;
    };
    const allowed = nodes.filter((n) => !held.get(n.name)!.some((o) => o.shard === c.shard)).map((n) => n.name);
    const best = allowed.sort((a, b) => weight(a) - weight(b) || a.localeCompare(b))[0];
    held.get(best)!.push(c);
    out.set(label(c), best);
  }
  return out;
}

/** Excludes `drained` and records where each of its copies relocates to, until it is empty. */
function drain(w: World, drained: string): Map<string, string> {
  w.cluster.applySettings('transient', new Map([['cluster.routing.allocation.exclude._name', drained]]));
  const seen = new Map<string, string>();
  for (let t = w.now + 5; copiesOn(w, drained).length > 0 && t < 100_000; t += 5) {
    for (const c of copiesOn(w, drained))
      if (c.relocatingTo && !seen.has(label(c))) seen.set(label(c), c.relocatingTo.name);
    w.advanceTo(t);
  }
  expect(copiesOn(w, drained)).toHaveLength(0);
  return seen;
}

describe("a drained node's copies (DesiredBalanceComputer + DesiredBalanceReconciler)", () => {
  it('go to the nodes the weight function prefers: most to the empty surge node, not all of them', () => {
    // 12 data nodes, 86 copies: the drained node holds 7, some nodes only 6. Once the surge node holds 6, the
    // seventh copy weighs less on a 6-copy node without a copy of its index than on the surge node.
    const { w, surge } = worldWithSurge(12, {
      cluster: {
        dataNodes: 12,
        indices: [
          { name: 'a', shards: 12, replicas: 1, docs: 12, bytes: 60 * GIB },
          { name: 'b', shards: 12, replicas: 1, docs: 12, bytes: 60 * GIB },
          { name: 'c', shards: 12, replicas: 1, docs: 12, bytes: 60 * GIB },
          { name: 'h', shards: 2, replicas: 1, docs: 2, bytes: 6 * GIB },
        ],
      },
    });
    const drained = iid(4);
    const expected = expectedTargets(w, drained);
    const actual = drain(w, drained);
    expect(actual).toEqual(expected);
    const toSurge = [...actual.values()].filter((n) => n === surge.name).length;
    expect(toSurge).toBeGreaterThan(actual.size / 2);
    expect(toSurge).toBeLessThan(actual.size);
  });

  it('wait for their desired node while it is throttled instead of going to the next node', () => {
    // 4 data nodes, a[0..3] with one replica each. Rearranged so that the drained node i-5 holds the replicas of
    // a[0] (primary on i-4) and a[1] (primary on i-6): two different sources, so only the surge node's incoming
    // limit (1) throttles the second copy. Both belong on the empty surge node; the second waits for it.
    const { w, surge } = worldWithSurge(4, {
      model: { nodeConcurrentRecoveries: 1 },
      cluster: { dataNodes: 4, indices: [{ name: 'a', shards: 4, replicas: 1, docs: 4, bytes: 40 * GIB }] },
    });
    const replica = (n: number) => w.cluster.allShards()[n].copies.find((c) => !c.primary)!;
    const primaryNode = (n: number) => w.cluster.allShards()[n].copies.find((c) => c.primary)!.node!.name;
    const [r1, r2] = [replica(1), replica(2)];
    [r1.node, r2.node] = [r2.node, r1.node];
    expect(copiesOn(w, iid(5)).map(label)).toEqual(['a[0]r', 'a[1]r']);
    expect(new Set([primaryNode(0), primaryNode(1)]).size).toBe(2);
    const actual = drain(w, iid(5));
    expect(actual).toEqual(
      new Map([
        ['a[0]r', surge.name],
        ['a[1]r', surge.name],
      ]),
    );
  });
});
