import { World } from '../../sim/model/world';
import { createSimulation, OrchestratorCrashed, runScenario, timedStrategyWorld } from '../../sim/runner';
import type { StrategyFactory } from '../../sim/strategy';
import { EsApi } from '../../sim/es/api';
import { instanceIdOf as iid } from '../../sim/fault-schema';
import { GIB, scenario } from './builders';

/**
 * Model changes of issue #11 that make the simulator as hard as Elasticsearch: each test fails on the old behaviour.
 */

type Cluster = Parameters<typeof scenario>[0];

function sameVersionWorld(overrides: Cluster = {}): World {
  return new World(scenario({ change: { version: '8.18.2', ami: 'ami-next' }, ...overrides }));
}

const copies = (w: World, index?: string) =>
  w.cluster
    .allShards()
    .filter((s) => !index || s.index.name === index)
    .flatMap((s) => s.copies);

describe('recovery source (IndicesClusterStateService, ThrottlingAllocationDecider)', () => {
  it('a relocating replica copies from the primary, not from the node it leaves', () => {
    const w = sameVersionWorld({ cluster: { dataNodes: 4 } });
    w.advanceTo(1);
    const replica = copies(w).find((c) => !c.primary)!;
    const leaving = replica.node!;
    const primaryNode = replica.shard.copies.find((c) => c.primary)!.node!;
    w.cluster.applySettings('transient', new Map([['cluster.routing.allocation.exclude._name', leaving.name]]));
    const moving = copies(w).filter((c) => c.node === leaving && c.recovery);
    expect(moving.length).toBeGreaterThan(0);
    for (const c of moving) {
      const expected = c.primary ? leaving : c.shard.copies.find((o) => o.primary)!.node;
      expect(c.recovery!.source).toBe(expected);
    }
    if (replica.recovery) expect(replica.recovery.source).toBe(primaryNode);
  });

  it('counts outgoing recoveries on the node of the primary', () => {
    // One index, 2 shards x 1 replica; both primaries on one node. Its two outgoing recoveries throttle the second.
    const w = sameVersionWorld({
      cluster: { dataNodes: 4, indices: [{ name: 'x', shards: 3, replicas: 1, docs: 3, bytes: 30 * GIB }] },
      model: { nodeConcurrentRecoveries: 1 },
    });
    w.advanceTo(1);
    const byNode = new Map<string, number>();
    for (const r of w.cluster.recoveries) byNode.set(r.source!.name, (byNode.get(r.source!.name) ?? 0) + 1);
    // Exclude every node holding a replica only: all replicas move, reading from their primaries' nodes.
    const replicaNodes = [
      ...new Set(
        copies(w)
          .filter((c) => !c.primary)
          .map((c) => c.node!.name),
      ),
    ];
    const primaryNodes = new Set(
      copies(w)
        .filter((c) => c.primary)
        .map((c) => c.node!.name),
    );
    const onlyReplicas = replicaNodes.filter((n) => !primaryNodes.has(n));
    if (onlyReplicas.length === 0) return;
    w.cluster.applySettings(
      'transient',
      new Map([['cluster.routing.allocation.exclude._name', onlyReplicas.join(',')]]),
    );
    const out = new Map<string, number>();
    for (const r of w.cluster.recoveries) out.set(r.source!.name, (out.get(r.source!.name) ?? 0) + 1);
    expect([...out.keys()].every((n) => primaryNodes.has(n))).toBe(true);
    expect(Math.max(...out.values())).toBeLessThanOrEqual(1);
  });

  it('a completed primary relocation restarts the recoveries of its replicas', () => {
    // 1 shard, 1 replica, 4 data nodes. The primary relocates away from its node; meanwhile the replica's node dies
    // and the new replica recovers from the (still relocating) primary: when the hand-off completes, it starts over.
    const w = sameVersionWorld({
      cluster: { dataNodes: 4, indices: [{ name: 'x', shards: 1, replicas: 1, docs: 1, bytes: 10 * GIB }] },
      model: { delayedTimeoutSeconds: 0 },
    });
    w.advanceTo(1);
    const [p, r] = copies(w, 'x').sort((a, b) => Number(b.primary) - Number(a.primary));
    w.cluster.applySettings('transient', new Map([['cluster.routing.allocation.exclude._name', p.node!.name]]));
    expect(p.state).toBe('RELOCATING');
    w.advanceTo(60);
    w.cluster.leave(r.node!.name);
    w.advanceTo(61);
    const replica = copies(w, 'x').find((c) => !c.primary)!;
    expect(replica.state).toBe('INITIALIZING');
    w.advanceTo(3000);
    expect(w.notes.map((n) => n.action)).toContain('recovery-restarted');
    expect(w.cluster.status()).toBe('green');
    // 10 GiB for the primary, then the replica's bytes copied before the restart plus 10 GiB again.
    expect(w.cluster.bytesRecovered).toBeGreaterThan(20 * GIB);
  });

  it('a replica relocation whose primary fails fails its target; the relocating copy stays and is promoted', () => {
    const w = sameVersionWorld({
      cluster: { dataNodes: 4, indices: [{ name: 'x', shards: 1, replicas: 1, docs: 1, bytes: 10 * GIB }] },
    });
    w.advanceTo(1);
    const [p, r] = copies(w, 'x').sort((a, b) => Number(b.primary) - Number(a.primary));
    const replicaNode = r.node!;
    w.cluster.applySettings('transient', new Map([['cluster.routing.allocation.exclude._name', replicaNode.name]]));
    expect(r.state).toBe('RELOCATING');
    const before = r.recovery!;
    expect(before.source).toBe(p.node);
    w.cluster.leave(p.node!.name);
    // The relocation reading from the failed primary is gone; the copy was promoted where it was and, as a primary
    // on an excluded node, starts a new relocation from its own node.
    expect(w.cluster.recoveries.has(before)).toBe(false);
    expect(r.primary).toBe(true);
    expect(r.node).toBe(replicaNode);
    if (r.recovery) expect(r.recovery.source).toBe(replicaNode);
  });
});

describe('deciders and health', () => {
  it('allocation explain reports index_version next to node_version for a replica refused on an older node', () => {
    const w = new World(scenario({ cluster: { indices: [] } }));
    w.terminateInstance(iid(4), false);
    w.advanceTo(300);
    w.cluster.applySettings(
      'transient',
      new Map([['cluster.routing.allocation.exclude._name', `${iid(5)},${iid(6)}`]]),
    );
    w.cluster.createIndex({ name: 'new', shards: 1, replicas: 1, docs: 1, bytes: 1000 });
    w.cluster.applySettings('transient', new Map([['cluster.routing.allocation.exclude._name', null]]));
    const e = new EsApi(w).request('POST', '/_cluster/allocation/explain', { index: 'new', shard: 0, primary: false })
      .body as {
      node_allocation_decisions: { node_name: string; deciders?: { decider: string; decision: string }[] }[];
    };
    const old = e.node_allocation_decisions.find((d) => d.node_name === iid(5))!;
    const names = old.deciders!.filter((d) => d.decision === 'NO').map((d) => d.decider);
    expect(names).toEqual(expect.arrayContaining(['node_version', 'index_version']));
    expect(w.cluster.status()).toBe('yellow');
  });

  it('a new primary refused by the deciders is red (ClusterShardHealth: DECIDERS_NO), a throttled one yellow', () => {
    const w = sameVersionWorld({ cluster: { indices: [] } });
    w.cluster.applySettings('transient', new Map([['cluster.routing.allocation.require._name', 'nobody']]));
    w.cluster.createIndex({ name: 'new', shards: 1, replicas: 0, docs: 0, bytes: 0 });
    expect(copies(w, 'new')[0].unassigned?.lastStatus).toBe('decider_no');
    expect(w.cluster.status()).toBe('red');
  });

  it('allow_rebalance defaults to indices_all_active: nothing rebalances while a replica is unassigned', () => {
    const w = sameVersionWorld({ cluster: { dataNodes: 3 } });
    expect(w.cluster.setting('cluster.routing.allocation.allow_rebalance')).toBe('indices_all_active');
    // A replica kept unassigned by enable=primaries, then a new empty node joins: no rebalancing onto it.
    w.cluster.applySettings('transient', new Map([['cluster.routing.allocation.enable', 'primaries']]));
    w.kill(iid(4));
    w.advanceTo(2000);
    const replacement = [...w.cluster.nodes.values()].find((n) => n.state === 'joined' && n.name > iid(6))!;
    expect(replacement).toBeDefined();
    expect(copies(w).filter((c) => c.node === replacement || c.relocatingTo === replacement)).toHaveLength(0);
  });

  it('the low watermark leaves at most max_headroom (200gb) free on a large disk, not 15 %', () => {
    const w = sameVersionWorld({ cluster: { diskBytesPerDataNode: 4096 * GIB } });
    // 4 TiB: 15 % would be 614 GiB free; the headroom keeps only 200 GiB free.
    expect(w.cluster.usedLimit('low', 4096 * GIB)).toBe(3896 * GIB);
    expect(w.cluster.usedLimit('high', 4096 * GIB)).toBe(3946 * GIB);
    // A small disk keeps the percentage.
    expect(w.cluster.usedLimit('low', 100 * GIB)).toBeCloseTo(85 * GIB);
    // An explicit watermark drops the default headroom.
    w.cluster.applySettings('persistent', new Map([['cluster.routing.allocation.disk.watermark.low', '80%']]));
    expect(w.cluster.usedLimit('low', 4096 * GIB)).toBeCloseTo(0.8 * 4096 * GIB);
  });
});

describe('high disk watermark (DiskThresholdDecider.canRemain)', () => {
  it('moves copies off a node above the high watermark, even with rebalancing off, until it is below', () => {
    // 3 data nodes of 100 GiB, 6 shards × 2 copies × 10 GiB. Rebalancing off: the replacement of i-4 stays empty.
    const w = sameVersionWorld({
      cluster: {
        diskBytesPerDataNode: 100 * GIB,
        indices: [{ name: 'logs', shards: 6, replicas: 1, docs: 6, bytes: 60 * GIB }],
      },
    });
    w.cluster.applySettings('persistent', new Map([['cluster.routing.rebalance.enable', 'none']]));
    w.terminateInstance(iid(4), false);
    w.advanceTo(3600);
    const used = (name: string) =>
      copies(w)
        .filter((c) => c.node?.name === name && c.state === 'STARTED')
        .reduce((n, c) => n + c.shard.bytes, 0);
    const fresh = [...w.cluster.nodes.values()].find((n) => n.state === 'joined' && n.name > iid(6))!;
    expect([used(iid(5)), used(iid(6)), used(fresh.name)]).toEqual([60 * GIB, 60 * GIB, 0]);
    // High watermark at 55 %: 60 GiB is above it on i-5 and i-6; each sheds one 10 GiB copy to the empty node.
    w.cluster.applySettings(
      'persistent',
      new Map([
        ['cluster.routing.allocation.disk.watermark.low', '50%'],
        ['cluster.routing.allocation.disk.watermark.high', '55%'],
      ]),
    );
    w.advanceTo(7200);
    expect([used(iid(5)), used(iid(6)), used(fresh.name)]).toEqual([50 * GIB, 50 * GIB, 20 * GIB]);
  });
});

describe('balancer weight (BalancedShardsAllocator.WeightFunction)', () => {
  it('weighs total copies against copies of the index: an emptier node may lose to one with fewer copies of it', () => {
    // Node weights for index "b": 0.45 × copies + 0.55 × copies of "b". A node with 3 copies of "a" and none of
    // "b" (0.45×3 = 1.35) loses to one with 1 copy of each (0.45×2 + 0.55 = 1.45)? No: it wins. Check the order
    // the model uses against the formula on the live cluster.
    const w = sameVersionWorld({
      cluster: {
        dataNodes: 3,
        indices: [
          { name: 'a', shards: 4, replicas: 0, docs: 4, bytes: 4 * GIB },
          { name: 'b', shards: 2, replicas: 0, docs: 2, bytes: 2 * GIB },
        ],
      },
    });
    w.cluster.createIndex({ name: 'c', shards: 1, replicas: 0, docs: 0, bytes: 0 });
    const target = copies(w, 'c')[0].node!;
    const weight = (name: string) => {
      const on = copies(w).filter((c) => c.node?.name === name && c.shard.index.name !== 'c');
      const bytes = on.reduce((n, c) => n + c.shard.bytes, 0);
      return 0.45 * on.length + 2e-11 * bytes;
    };
    const best = [iid(4), iid(5), iid(6)].sort((a, b) => weight(a) - weight(b) || a.localeCompare(b))[0];
    expect(target.name).toBe(best);
  });
});

describe('failure detection (FollowersChecker: model.detectionSeconds)', () => {
  it('a killed node stays in the cluster, its copies started and health green, until the follower checks fail', () => {
    const w = new World(scenario({ model: { detectionSeconds: 30 }, change: { version: '8.18.2', ami: 'ami-next' } }));
    w.advanceTo(10);
    w.kill(iid(4));
    w.advanceTo(39);
    expect(w.cluster.nodes.get(iid(4))!.state).toBe('joined');
    expect(w.cluster.status()).toBe('green');
    expect(copies(w).filter((c) => c.node?.name === iid(4) && c.state === 'STARTED').length).toBeGreaterThan(0);
    w.advanceTo(40);
    expect(w.cluster.nodes.get(iid(4))!.state).toBe('gone');
    expect(w.cluster.status()).toBe('yellow');
  });

  it('a killed master: no usable master until detection, counted as time without master', () => {
    const w = new World(scenario({ model: { detectionSeconds: 30 }, change: { version: '8.18.2', ami: 'ami-next' } }));
    const master = w.cluster.master!;
    w.kill(master.name);
    const api = new EsApi(w);
    expect(api.request('GET', '/_cat/nodes?format=json').status).toBe(503);
    w.advanceTo(100);
    expect(w.secondsWithoutMaster).toBeGreaterThanOrEqual(30);
    expect(w.cluster.master).toBeDefined();
    expect(w.cluster.master).not.toBe(master);
  });
});

describe('time between a strategy observation and its action', () => {
  it('each Elasticsearch call takes requestSeconds and each fleet call fleetCallSeconds of virtual time', async () => {
    const sc = scenario({ model: { requestSeconds: 0.5, fleetCallSeconds: 2 } });
    const sim = createSimulation(sc);
    const sw = timedStrategyWorld(sim.strategyWorld(), sim.world, { request: 0.5, fleetCall: 2 });
    sw.es!.request('GET', '/_cluster/health');
    sw.es!.request('GET', '/_cat/shards?format=json');
    await sw.fleet.describeGroups([sw.groups.data]);
    expect(sim.world.now).toBe(3);
  });

  it('a crash between two calls of one action leaves it half done: the first call happened, the second never', async () => {
    const sim = createSimulation(scenario());
    const sw = timedStrategyWorld(sim.strategyWorld(), sim.world, { request: 1, fleetCall: 1 }, () => 0.5);
    await sw.fleet.setDesiredCapacity(sw.groups.data, 4);
    await expect(sw.fleet.terminateInstance(iid(4), true)).rejects.toBeInstanceOf(OrchestratorCrashed);
    expect(sim.world.group(sw.groups.data).desired).toBe(4);
    expect(sim.world.instances.get(iid(4))!.lifecycle).toBe('InService');
  });

  it('the runner plays a crash that falls inside a step: the new strategy finds the half-done state', async () => {
    const calls: string[] = [];
    const factory: StrategyFactory = {
      name: 'two-calls',
      description: 'raises desired capacity, then terminates an old instance, in one step',
      create: () => ({
        step: async (world) => {
          const [g] = await world.fleet.describeGroups([world.groups.data]);
          calls.push(`desired=${g.desiredCapacity}`);
          if (g.desiredCapacity === 3) {
            await world.fleet.setDesiredCapacity(world.groups.data, 4);
            await world.fleet.terminateInstance(iid(4), true);
            return { wakeAfterSeconds: 30 };
          }
          return { wakeAfterSeconds: 0, done: { outcome: 'completed', reason: 'saw the half-done surge' } };
        },
      }),
    };
    const r = await runScenario(
      scenario({ faults: [{ kind: 'crash-orchestrator', at: 0.3 }], model: { fleetCallSeconds: 0.2 } }),
      { strategy: factory, http: false },
    );
    expect(r.outcome).toBe('completed');
    expect(calls).toEqual(['desired=3', 'desired=4']);
    expect(r.steps.map((s) => s.action)).toContain('sim:crash-orchestrator');
    expect(r.terminatedInstances).toEqual([]);
  });
});
