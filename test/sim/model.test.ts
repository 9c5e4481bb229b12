import { Cluster } from '../../sim/model/cluster';
import { World } from '../../sim/model/world';
import { SimFleet } from '../../sim/fleet-adapter';
import { EsApi } from '../../sim/es/api';
import { GIB, scenario } from './builders';

const MiB = 1024 * 1024;
/** The n-th instance id the simulator hands out (masters first, then data nodes, then replacements). */
const iid = (n: number) => `i-${n.toString(16).padStart(17, '0')}`;
const RATE = 40 * MiB;

function copies(world: World, index?: string) {
  return [...world.cluster.allShards()].filter((s) => !index || s.index.name === index).flatMap((s) => s.copies);
}

function shardsOn(world: World, node: string): number {
  return copies(world).filter((c) => c.node?.name === node).length;
}

/** Advances in steps of `dt` until `cond` holds; returns the time it first held. */
function advanceUntil(world: World, cond: () => boolean, limit = 200_000, dt = 1): number {
  while (world.now < limit) {
    if (cond()) return world.now;
    world.advanceTo(world.now + dt);
  }
  throw new Error(`condition not reached before t=${limit}`);
}

describe('allocation: the node_version rule', () => {
  it('does not allocate a replica to a node older than its primary, and does not count it as under-replicated', () => {
    const world = new World(scenario({ cluster: { indices: [] } }));
    // Replace one data node: the replacement runs 8.19.3.
    world.terminateInstance(iid(4), false);
    world.advanceTo(300);
    const newNode = world.cluster.nodes.get(iid(7))!;
    expect(newNode).toMatchObject({ version: '8.19.3', state: 'joined' });
    // A new index on the new node only (the old ones are excluded while it is created).
    world.cluster.applySettings(
      'transient',
      new Map([['cluster.routing.allocation.exclude._name', 'i-00000000000000005,i-00000000000000006']]),
    );
    world.cluster.createIndex({ name: 'new', shards: 1, replicas: 1, docs: 100, bytes: 1000 });
    world.cluster.applySettings('transient', new Map([['cluster.routing.allocation.exclude._name', null]]));
    const under = world.secondsUnderReplicated;
    world.advanceTo(1000);
    const [primary, replica] = copies(world, 'new').sort((a, b) => Number(b.primary) - Number(a.primary));
    expect(primary.node?.name).toBe(iid(7));
    expect(replica.state).toBe('UNASSIGNED');
    expect(replica.unassigned?.versionBlocked).toBe(true);
    expect(world.cluster.status()).toBe('yellow');
    expect(world.secondsUnderReplicated).toBe(under);
  });

  it('never relocates a primary from a newer node to an older one', () => {
    const world = new World(scenario({ cluster: { indices: [] } }));
    world.terminateInstance(iid(4), false);
    world.advanceTo(300);
    world.cluster.applySettings(
      'transient',
      new Map([['cluster.routing.allocation.exclude._name', 'i-00000000000000005,i-00000000000000006']]),
    );
    world.cluster.createIndex({ name: 'new', shards: 1, replicas: 0, docs: 100, bytes: 1000 });
    // Now exclude the new node: its primary has nowhere to go.
    world.cluster.applySettings('transient', new Map([['cluster.routing.allocation.exclude._name', iid(7)]]));
    world.advanceTo(2000);
    const [p] = copies(world, 'new');
    expect(p).toMatchObject({ state: 'STARTED' });
    expect(p.node?.name).toBe(iid(7));
    const api = new EsApi(world);
    const e = api.request('POST', '/_cluster/allocation/explain', { index: 'new', shard: 0, primary: true }).body as {
      can_remain_on_current_node: string;
      can_move_to_other_node: string;
      node_allocation_decisions: { deciders?: { decider: string; decision: string }[] }[];
    };
    expect(e.can_remain_on_current_node).toBe('no');
    expect(e.can_move_to_other_node).toBe('no');
    expect(e.node_allocation_decisions.flatMap((d) => d.deciders ?? [])).toContainEqual(
      expect.objectContaining({ decider: 'node_version', decision: 'NO' }),
    );
  });
});

describe('allocation: exclusions, relocations and delayed allocation', () => {
  it('drains an excluded node completely, keeping every shard fully replicated', () => {
    const world = new World(scenario({ cluster: { dataNodes: 4 } }));
    const node = iid(4);
    expect(shardsOn(world, node)).toBeGreaterThan(0);
    world.cluster.applySettings('persistent', new Map([['cluster.routing.allocation.exclude._name', node]]));
    const under = world.secondsUnderReplicated;
    advanceUntil(world, () => shardsOn(world, node) === 0, 100_000, 10);
    expect(world.cluster.status()).toBe('green');
    expect(world.secondsUnderReplicated).toBe(under);
    expect(world.cluster.documentsLost).toBe(0);
  });

  it.each(['require', 'include'])('moves every copy onto the nodes a %s._name filter names', (kind) => {
    const world = new World(scenario({ cluster: { dataNodes: 4 } }));
    const keep = [iid(4), iid(5)];
    world.cluster.applySettings('transient', new Map([[`cluster.routing.allocation.${kind}._name`, keep.join(',')]]));
    advanceUntil(
      world,
      () => copies(world).every((c) => c.state === 'STARTED' && keep.includes(c.node!.name)),
      100_000,
      10,
    );
    expect(world.cluster.status()).toBe('green');
    expect(world.cluster.documentsLost).toBe(0);
  });

  it('with zone awareness, re-allocates a lost replica into a zone that holds no copy of its shard', () => {
    const world = new World(
      scenario({
        cluster: { dataNodes: 6, indices: [{ name: 'z', shards: 12, replicas: 1, docs: 12, bytes: 12 * GIB }] },
      }),
    );
    world.cluster.applySettings(
      'persistent',
      new Map([['cluster.routing.allocation.awareness.attributes', 'aws_availability_zone']]),
    );
    const victim = iid(4);
    const affected = new Set(
      copies(world)
        .filter((c) => c.node?.name === victim)
        .map((c) => c.shard),
    );
    world.group('elk-data').suspended.add('Launch');
    world.kill(victim);
    advanceUntil(world, () => world.cluster.status() === 'green', 100_000, 10);
    for (const shard of affected) {
      const zones = shard.copies.map((c) => c.node!.az);
      expect(new Set(zones).size).toBe(2);
    }
  });

  it('keeps the source copy started while a relocation runs, so losing the target loses nothing', () => {
    const world = new World(scenario({ cluster: { dataNodes: 4 } }));
    const node = iid(4);
    // No rebalancing: with the drained copies counted on their desired nodes, a rebalance would also start.
    world.cluster.applySettings('persistent', new Map([['cluster.routing.rebalance.enable', 'none']]));
    world.cluster.applySettings('persistent', new Map([['cluster.routing.allocation.exclude._name', node]]));
    world.advanceTo(10);
    const relocating = copies(world).filter((c) => c.state === 'RELOCATING');
    expect(relocating.length).toBeGreaterThan(0);
    for (const c of relocating) expect(c.node?.name).toBe(node);
    expect(world.cluster.status()).toBe('green');
    // Kill one relocation target: the relocation is cancelled, the source stays.
    const target = relocating[0].relocatingTo!.name;
    world.kill(target);
    // The source is still there (and, still excluded, starts relocating elsewhere).
    expect(['STARTED', 'RELOCATING']).toContain(relocating[0].state);
    expect(relocating[0].node?.name).toBe(node);
    expect(relocating[0].relocatingTo?.name).not.toBe(target);
    expect(world.cluster.documentsLost).toBe(0);
  });

  it('waits index.unassigned.node_left.delayed_timeout (60 s) before re-allocating replicas of a node that left', () => {
    const world = new World(scenario({ cluster: { dataNodes: 4 } }));
    world.kill(iid(4));
    world.advanceTo(59);
    const unassigned = copies(world).filter((c) => c.state === 'UNASSIGNED');
    expect(unassigned.length).toBeGreaterThan(0);
    expect(
      unassigned.every((c) => c.unassigned?.reason === 'NODE_LEFT' && c.unassigned.lastStatus === 'delayed_allocation'),
    ).toBe(true);
    const health = new EsApi(world).request('GET', '/_cluster/health').body as { delayed_unassigned_shards: number };
    expect(health.delayed_unassigned_shards).toBe(unassigned.length);
    world.advanceTo(61);
    // Re-allocation has begun; what is still unassigned waits for a recovery slot (throttled), not for the delay.
    expect(copies(world).filter((c) => c.state === 'INITIALIZING').length).toBeGreaterThan(0);
    expect(copies(world).filter((c) => c.unassigned?.lastStatus === 'delayed_allocation')).toHaveLength(0);
  });

  it('allocates no replica while cluster.routing.allocation.enable is "primaries"', () => {
    const world = new World(scenario({ cluster: { dataNodes: 4 }, change: { version: undefined, ami: 'ami-next' } }));
    world.cluster.applySettings('transient', new Map([['cluster.routing.allocation.enable', 'primaries']]));
    world.kill(iid(4));
    world.advanceTo(3600);
    expect(copies(world).filter((c) => c.state === 'UNASSIGNED').length).toBeGreaterThan(0);
    world.cluster.applySettings('transient', new Map([['cluster.routing.allocation.enable', null]]));
    world.advanceTo(3601);
    expect(copies(world).filter((c) => c.unassigned?.lastStatus === 'decider_no')).toHaveLength(0);
    expect(copies(world).filter((c) => c.state === 'INITIALIZING').length).toBeGreaterThan(0);
  });

  it('puts no replica on a node above the low disk watermark, but still places a new primary', () => {
    const world = new World(
      scenario({
        cluster: {
          dataNodes: 3,
          diskBytesPerDataNode: 100 * GIB,
          indices: [{ name: 'big', shards: 3, replicas: 1, docs: 3, bytes: 120 * GIB }],
        },
      }),
    );
    // Each node holds 2 × 40 GiB = 80 %: above a 50 % low watermark, with room below a 95 % high one.
    world.cluster.applySettings(
      'transient',
      new Map([
        ['cluster.routing.allocation.disk.watermark.low', '50%'],
        ['cluster.routing.allocation.disk.watermark.high', '95%'],
      ]),
    );
    world.cluster.createIndex({ name: 'more', shards: 1, replicas: 1, docs: 1, bytes: 10 * GIB });
    expect(copies(world, 'more').find((c) => c.primary)?.state).toBe('STARTED');
    world.advanceTo(10);
    const api = new EsApi(world);
    const e = api.request('POST', '/_cluster/allocation/explain', { index: 'more', shard: 0, primary: false }).body as {
      can_allocate: string;
      node_allocation_decisions: { deciders?: { decider: string }[] }[];
    };
    expect(e.can_allocate).toBe('no');
    expect(e.node_allocation_decisions.flatMap((d) => d.deciders ?? []).map((d) => d.decider)).toContain(
      'disk_threshold',
    );
  });

  it('rebalances onto a node that joins, at most cluster_concurrent_rebalance (2) relocations at a time', () => {
    const world = new World(
      scenario({
        cluster: { dataNodes: 3, indices: [{ name: 'logs', shards: 12, replicas: 1, docs: 12, bytes: 120 * GIB }] },
      }),
    );
    world.setDesiredCapacity('elk-data', 4);
    let maxConcurrent = 0;
    const newNode = iid(7);
    advanceUntil(
      world,
      () => {
        const n = copies(world).filter((c) => c.state === 'RELOCATING').length;
        maxConcurrent = Math.max(maxConcurrent, n);
        return world.now > 200 && n === 0 && shardsOn(world, newNode) > 0;
      },
      100_000,
      5,
    );
    expect(maxConcurrent).toBe(2);
    expect(shardsOn(world, newNode)).toBe(6);
  });
});

describe('recoveries: throttling', () => {
  it('recovers a replica at indices.recovery.max_bytes_per_sec (40 MiB/s): expected time within 5 %', () => {
    const bytes = 20 * GIB;
    const world = new World(
      scenario({ cluster: { dataNodes: 3, indices: [{ name: 'one', shards: 1, replicas: 1, docs: 1, bytes }] } }),
    );
    const replica = copies(world).find((c) => !c.primary)!;
    world.kill(replica.node!.name);
    const started = advanceUntil(world, () => replica.state === 'INITIALIZING', 1000, 0.5);
    const done = advanceUntil(world, () => replica.state === 'STARTED', 100_000, 1);
    const expected = bytes / RATE;
    expect(Math.abs(done - started - expected) / expected).toBeLessThan(0.05);
  });

  it('shares one node bandwidth between its recoveries (in and out together): a drain takes bytes / rate', () => {
    const world = new World(
      scenario({
        cluster: { dataNodes: 4, indices: [{ name: 'x', shards: 4, replicas: 0, docs: 4, bytes: 40 * GIB }] },
      }),
    );
    const node = copies(world).find((c) => c.primary)!.node!.name;
    const onNode = copies(world).filter((c) => c.node?.name === node).length;
    world.cluster.applySettings('persistent', new Map([['cluster.routing.allocation.exclude._name', node]]));
    const done = advanceUntil(world, () => shardsOn(world, node) === 0, 100_000, 1);
    const expected = (onNode * 10 * GIB) / RATE;
    expect(Math.abs(done - expected) / expected).toBeLessThan(0.05);
    expect(world.cluster.bytesRecovered).toBe(onNode * 10 * GIB);
  });

  it("starts a new index's replicas without copying bytes (they fill by write replication), but copies a shard whose replica is allocated later", () => {
    const world = new World(scenario({ cluster: { dataNodes: 3, indices: [] } }));
    const before = world.cluster.bytesRecovered;
    world.cluster.createIndex({ name: 'fresh', shards: 2, replicas: 1, docs: 2, bytes: 4 * GIB });
    world.advanceTo(world.now + 1);
    expect(copies(world, 'fresh').map((c) => c.state)).toEqual(['STARTED', 'STARTED', 'STARTED', 'STARTED']);
    expect(world.cluster.bytesRecovered).toBe(before);
    expect(world.cluster.underReplicated()).toBe(false);

    // A replica held back past the 60 s window (allocation disabled for replicas) must copy its whole shard.
    world.cluster.applySettings('transient', new Map([['cluster.routing.allocation.enable', 'primaries']]));
    world.cluster.createIndex({ name: 'late', shards: 1, replicas: 1, docs: 1, bytes: 2 * GIB });
    world.advanceTo(world.now + 120);
    expect(copies(world, 'late').find((c) => !c.primary)?.state).toBe('UNASSIGNED');
    world.cluster.applySettings('transient', new Map([['cluster.routing.allocation.enable', null]]));
    advanceUntil(world, () => copies(world, 'late').every((c) => c.state === 'STARTED'), world.now + 10_000, 1);
    expect(world.cluster.bytesRecovered - before).toBe(2 * GIB);
  });

  it('limits a node to 2 concurrent incoming recoveries', () => {
    const world = new World(
      scenario({
        cluster: { dataNodes: 4, indices: [{ name: 'x', shards: 8, replicas: 1, docs: 8, bytes: 80 * GIB }] },
      }),
    );
    world.kill(iid(4));
    world.advanceTo(70);
    const incoming = new Map<string, number>();
    for (const r of world.cluster.recoveries) incoming.set(r.target.name, (incoming.get(r.target.name) ?? 0) + 1);
    expect(Math.max(...incoming.values())).toBeLessThanOrEqual(2);
    expect([...world.cluster.recoveries].length).toBeGreaterThan(0);
  });
});

describe('health and lost primaries', () => {
  it('counts the documents of a primary with no other copy as lost and turns red', () => {
    const world = new World(
      scenario({
        cluster: {
          dataNodes: 3,
          indices: [{ name: 'noreplica', shards: 3, replicas: 0, docs: 3_000, bytes: 3 * GIB }],
        },
      }),
    );
    const victim = copies(world)[0].node!.name;
    const onVictim = copies(world).filter((c) => c.node?.name === victim).length;
    world.kill(victim);
    expect(world.cluster.primariesLost).toBe(onVictim);
    expect(world.cluster.documentsLost).toBe(onVictim * 1000);
    expect(world.cluster.status()).toBe('red');
    const api = new EsApi(world);
    expect((api.request('GET', '/_count').body as { count: number }).count).toBe(3000 - onVictim * 1000);
    world.advanceTo(100);
    expect(world.secondsRed).toBe(100);
  });

  it('promotes a started replica when a primary leaves: no loss, yellow until recovered', () => {
    const world = new World(scenario());
    const primary = copies(world).find((c) => c.primary)!;
    const node = primary.node!.name;
    world.kill(node);
    expect(world.cluster.documentsLost).toBe(0);
    expect(primary.primary).toBe(false);
    expect(world.cluster.status()).toBe('yellow');
    const shard = primary.shard;
    expect(Cluster.isActive(world.cluster.primaryOf(shard))).toBe(true);
  });
});

describe('masters', () => {
  it('elects a new master after the elected one dies, with electionSeconds without master', () => {
    const world = new World(scenario({ model: { electionSeconds: 3 } }));
    const first = world.cluster.master!.name;
    world.kill(first);
    expect(world.cluster.master).toBeUndefined();
    world.advanceTo(10);
    expect(world.cluster.master?.name).not.toBe(first);
    expect(world.secondsWithoutMaster).toBe(3);
  });

  it('has no master while a majority of the voting configuration is gone, even when new masters boot', () => {
    const world = new World(scenario());
    world.kill(iid(1));
    world.kill(iid(2));
    world.advanceTo(3600);
    expect(world.cluster.master).toBeUndefined();
    expect(world.secondsWithoutMaster).toBe(3600);
    // The ASG replaced both; the new nodes cannot join without a master.
    const booted = [...world.cluster.nodes.values()].filter((n) => n.group === 'master' && n.state === 'booting');
    expect(booted).toHaveLength(2);
    expect(booted[0].joinBlocked).toBe('master_not_discovered');
  });

  it('moves the voting configuration to new masters as old ones are replaced one at a time', () => {
    const world = new World(scenario());
    for (const id of [iid(1), iid(2), iid(3)]) {
      world.terminateInstance(id, false);
      world.advanceTo(world.now + 400);
      expect(world.cluster.master).toBeDefined();
    }
    const liveIds = world.cluster
      .joinedNodes()
      .filter((n) => n.group === 'master')
      .map((n) => n.id)
      .sort();
    expect(world.cluster.votingConfig).toEqual(liveIds);
    expect(
      world.cluster
        .joinedNodes()
        .filter((n) => n.group === 'master')
        .every((n) => n.version === '8.19.3'),
    ).toBe(true);
  });

  it('refuses to let an older node join a cluster whose nodes are all newer', () => {
    const world = new World(scenario({ cluster: { masters: 3, dataNodes: 1, indices: [] } }));
    // Replace every node with 8.19.3, then make the data group launch the old template version again.
    for (const n of [1, 2, 3, 4]) {
      world.terminateInstance(iid(n), false);
      world.advanceTo(world.now + 400);
    }
    const g = world.group('elk-data');
    g.targetLtVersion = '1';
    world.setDesiredCapacity('elk-data', 2);
    world.advanceTo(world.now + 400);
    const old = [...world.cluster.nodes.values()].find((n) => n.version === '8.18.2' && n.state === 'booting');
    expect(old?.joinBlocked).toMatch(/may not join a cluster comprising only nodes of version \[8\.19\.3\] or greater/);
  });
});

describe('fleet', () => {
  it('replaces a terminated instance with one from the target launch template version', async () => {
    const world = new World(scenario());
    const fleet = new SimFleet(world);
    await fleet.terminateInstance(iid(4), false);
    const [g] = await fleet.describeGroups(['elk-data']);
    expect(g.instances.find((i) => i.instanceId === iid(4))?.lifecycleState).toBe('Terminating');
    const launched = g.instances.find((i) => i.lifecycleState === 'Pending')!;
    expect(launched.launchTemplateVersion).toBe(g.targetLaunchTemplateVersion);
    world.advanceTo(400);
    expect(world.cluster.nodes.get(launched.instanceId)).toMatchObject({ state: 'joined', version: '8.19.3' });
    expect(shardsOn(world, launched.instanceId)).toBeGreaterThanOrEqual(0);
  });

  it('does not replace an instance terminated with decrement; SetDesiredCapacity outside min..max is a ValidationError', async () => {
    const world = new World(scenario());
    world.group('elk-data').minSize = 2;
    const fleet = new SimFleet(world);
    await fleet.suspendProcesses('elk-data', ['AZRebalance']);
    await fleet.terminateInstance(iid(4), true);
    const [g] = await fleet.describeGroups(['elk-data']);
    expect(g.desiredCapacity).toBe(2);
    expect(g.instances.filter((i) => i.lifecycleState === 'Pending')).toHaveLength(0);
    await expect(fleet.setDesiredCapacity('elk-data', 1)).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(fleet.setDesiredCapacity('elk-data', 99)).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('does not launch while Launch is suspended, and catches up when resumed', async () => {
    const world = new World(scenario());
    const fleet = new SimFleet(world);
    await fleet.suspendProcesses('elk-data', ['Launch']);
    await fleet.terminateInstance(iid(4), false);
    world.advanceTo(600);
    let [g] = await fleet.describeGroups(['elk-data']);
    expect(g.instances).toHaveLength(2);
    await fleet.resumeProcesses('elk-data', ['Launch']);
    [g] = await fleet.describeGroups(['elk-data']);
    expect(g.instances).toHaveLength(3);
  });

  it('replaces a dead instance after the health check unless ReplaceUnhealthy is suspended', async () => {
    const world = new World(scenario());
    const fleet = new SimFleet(world);
    await fleet.suspendProcesses('elk-data', ['ReplaceUnhealthy']);
    world.kill(iid(4));
    world.advanceTo(600);
    let [g] = await fleet.describeGroups(['elk-data']);
    expect(g.instances.find((i) => i.instanceId === iid(4))).toMatchObject({
      lifecycleState: 'InService',
      healthStatus: 'Unhealthy',
    });
    await fleet.resumeProcesses('elk-data', ['ReplaceUnhealthy']);
    world.advanceTo(800);
    [g] = await fleet.describeGroups(['elk-data']);
    expect(g.instances.find((i) => i.instanceId === iid(4))).toBeUndefined();
    expect(g.instances.filter((i) => i.launchTemplateVersion === '2')).toHaveLength(1);
  });

  it('scales in unprotected instances only', async () => {
    const world = new World(scenario());
    const fleet = new SimFleet(world);
    await fleet.setDesiredCapacity('elk-data', 4);
    world.advanceTo(400);
    world.setInstanceProtection([iid(4), iid(5), iid(6)], 'elk-data', true);
    await fleet.setDesiredCapacity('elk-data', 3);
    const [g] = await fleet.describeGroups(['elk-data']);
    expect(g.instances.find((i) => i.lifecycleState === 'Terminating')?.instanceId).toBe(iid(7));
  });

  it('an AZ imbalance after a decrement makes the group launch in the empty zone and terminate in the full one', async () => {
    const world = new World(scenario({ cluster: { dataNodes: 6, indices: [] } }));
    world.group('elk-data').minSize = 1;
    const fleet = new SimFleet(world);
    // Two per zone; remove both of zone a.
    const [g0] = await fleet.describeGroups(['elk-data']);
    const zoneA = g0.instances.filter((i) => i.availabilityZone === 'eu-west-1a').map((i) => i.instanceId);
    for (const id of zoneA) await fleet.terminateInstance(id, true);
    world.advanceTo(1000);
    const notes = world.notes.map((n) => n.action);
    expect(notes).toContain('asg-az-rebalance');
    expect(notes).toContain('asg-scale-in');
  });
});

describe('faults', () => {
  it('fail-boot: the replacement never joins, turns unhealthy and is replaced by the ASG', () => {
    const world = new World(scenario({ faults: [{ kind: 'fail-boot', count: 1, role: 'data' }] }));
    world.terminateInstance(iid(4), false);
    world.advanceTo(1000);
    const actions = world.notes.map((n) => `${n.action} ${n.node ?? ''}`);
    expect(actions).toContain(`boot-failed ${iid(7)}`);
    expect(actions).toContain(`asg-replace-unhealthy ${iid(7)}`);
    expect(world.cluster.nodes.get(iid(7))?.joinedAt).toBeUndefined();
    expect(world.cluster.nodes.get(iid(8))).toMatchObject({ state: 'joined', version: '8.19.3' });
  });

  it('master-failover: a new master after electionSeconds, delayed allocation restarts its clock', () => {
    const world = new World(
      scenario({ model: { electionSeconds: 5 }, faults: [{ kind: 'master-failover', at: 100 }] }),
    );
    const first = world.cluster.master!.name;
    world.advanceTo(90);
    world.kill(iid(4));
    world.advanceTo(99);
    const delayed = copies(world).filter((c) => c.unassigned?.delayedUntil !== undefined);
    expect(delayed.length).toBeGreaterThan(0);
    world.advanceTo(110);
    expect(world.secondsWithoutMaster).toBe(5);
    expect(world.cluster.master?.name).not.toBe(first);
    // The 60 s delay counts again from the election at 105 s, not from the node leaving at 90 s.
    expect(delayed.every((c) => c.unassigned?.delayedUntil === 165)).toBe(true);
  });

  it('kill-node without a node picks one with the seed, the same one for the same seed', () => {
    const pick = (seed: number) => {
      const world = new World(
        scenario({ cluster: { dataNodes: 6 }, faults: [{ kind: 'kill-node', at: 10, role: 'data' }] }),
        seed,
      );
      world.advanceTo(11);
      return world.notes.find((n) => n.action === 'node-killed')!.node;
    };
    expect(pick(1)).toBe(pick(1));
    expect(new Set([1, 2, 3, 4, 5, 6].map(pick)).size).toBeGreaterThan(1);
  });
});

describe('hourly indices', () => {
  it('creates an index at every hour boundary', () => {
    const world = new World(
      scenario({ cluster: { hourlyIndex: { prefix: 'logs-hourly-', shards: 2, replicas: 1, docs: 10, bytes: 1000 } } }),
    );
    world.advanceTo(3 * 3600 + 1);
    expect(world.cluster.indices.map((i) => i.name)).toEqual([
      'logs',
      'logs-hourly-2026.11.20.01',
      'logs-hourly-2026.11.20.02',
      'logs-hourly-2026.11.20.03',
    ]);
    expect(world.cluster.status()).toBe('green');
  });
});
