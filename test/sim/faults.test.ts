import { createSimulation } from '../../sim/runner';
import { World } from '../../sim/model/world';
import { parseScenario, ScenarioError } from '../../sim/scenario';
import { instanceIdOf as iid } from '../../sim/fault-schema';
import { GIB, scenario } from './builders';

/** The fault kinds of issue #11 (and `task` of #23): each one's effect on the world, and its strict validation. */

type Faults = NonNullable<Parameters<typeof scenario>[0]>['faults'];

/** A world whose replacements run the same version (a new image only), so that no version rule interferes. */
function world(faults: Faults, cluster: Record<string, unknown> = {}): World {
  return new World(scenario({ faults, cluster, change: { version: '8.18.2', ami: 'ami-next' } }));
}

describe('fault scale-in', () => {
  it('lowers desired capacity and Auto Scaling terminates by its default policy, skipping protected instances', () => {
    // 6 data nodes in 3 zones (2 each): i-4..i-9. Zones: 4→a, 5→b, 6→c, 7→a, 8→b, 9→c.
    const w = world([{ kind: 'scale-in', at: 100, role: 'data', count: 2 }], { dataNodes: 6 });
    const g = w.group(w.groupNames.data);
    // Protect every data node in zone a: the victims come from b and c (one each, zone balance).
    for (const i of g.instances) if (i.az === 'eu-west-1a') i.protectedFromScaleIn = true;
    w.advanceTo(101);
    expect(g.desired).toBe(4);
    const terminating = g.instances.filter((i) => i.lifecycle === 'Terminating');
    expect(terminating).toHaveLength(2);
    expect(terminating.map((i) => i.az).sort()).toEqual(['eu-west-1b', 'eu-west-1c']);
    expect(terminating.every((i) => !i.protectedFromScaleIn)).toBe(true);
  });

  it('terminates the oldest launch template version first, then the instance closest to its billing hour', () => {
    const w = world([], { dataNodes: 3 });
    const g = w.group(w.groupNames.data);
    // Replace i-6 (zone c): its replacement runs template version 2, launched at t=10.
    w.advanceTo(10);
    w.terminateInstance(iid(6), false);
    w.advanceTo(400);
    const fresh = g.instances.find((i) => i.ltVersion === '2')!;
    expect(fresh.az).toBe('eu-west-1c');
    // Scale in by 1 at t=1800: all zones hold one instance; the two old ones (version 1) go before the new one,
    // and both are 1800 s into their hour, so the seeded pick decides between them.
    w.setDesiredCapacity(g.name, 3);
    g.minSize = 0;
    w.advanceTo(1800);
    w.setDesiredCapacity(g.name, 2);
    const victim = g.instances.find((i) => i.lifecycle === 'Terminating' && i.id !== iid(6))!;
    expect(victim.ltVersion).toBe('1');
  });
});

describe('scale-in victims when zones tie (AWS: "the Availability Zone (or zones)" with the most instances)', () => {
  // 6 data nodes, 2 per zone, all launched at t=0 with template version 1: every criterion ties.
  const victimZone = (seed: number, protect: string[] = []) => {
    const w = new World(
      scenario({
        seed,
        faults: [{ kind: 'scale-in', at: 100, role: 'data', count: 1 }],
        cluster: { dataNodes: 6 },
        change: { version: '8.18.2', ami: 'ami-next' },
      }),
    );
    const g = w.group(w.groupNames.data);
    for (const i of g.instances) if (protect.includes(i.az)) i.protectedFromScaleIn = true;
    w.advanceTo(101);
    return g.instances.filter((i) => i.lifecycle === 'Terminating').map((i) => i.az);
  };

  it('evaluates the tied zones together and breaks the last tie with the seeded random: every zone can lose one', () => {
    const zones = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      const v = victimZone(seed);
      expect(v).toHaveLength(1);
      zones.add(v[0]!);
      // Reproducible: the same seed picks the same victim.
      expect(victimZone(seed)).toEqual(v);
    }
    expect([...zones].sort()).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
  });

  it('a zone whose instances are all protected is not among the tied zones; the others still tie', () => {
    const zones = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) zones.add(victimZone(seed, ['eu-west-1c'])[0]!);
    expect([...zones].sort()).toEqual(['eu-west-1a', 'eu-west-1b']);
  });
});

describe('fault terminate', () => {
  it('terminates the named instance without decrement: the group launches a replacement', () => {
    const w = world([{ kind: 'terminate', at: 50, node: iid(5) }]);
    w.advanceTo(51);
    const g = w.group(w.groupNames.data);
    expect(g.desired).toBe(3);
    expect(w.instances.get(iid(5))!.lifecycle).toBe('Terminating');
    expect(g.instances.filter((i) => i.lifecycle === 'Pending')).toHaveLength(1);
  });

  it('waits in Terminating:Wait while a termination hook holds the instance (the seam for lifecycle hooks)', () => {
    const w = world([{ kind: 'terminate', at: 50, node: iid(5) }]);
    w.group(w.groupNames.data).terminationHook = { heartbeatTimeoutSeconds: 600 };
    w.advanceTo(100);
    expect(w.instances.get(iid(5))!.lifecycle).toBe('Terminating:Wait');
    expect(w.cluster.nodes.get(iid(5))!.state).toBe('joined');
    w.completeLifecycleAction(iid(5));
    w.advanceTo(200);
    expect(w.cluster.nodes.get(iid(5))!.state).toBe('gone');
  });
});

describe('faults cluster-setting and index-setting', () => {
  it('an operator excludes a live node: its copies move away', () => {
    const w = world([
      { kind: 'cluster-setting', at: 10, key: 'cluster.routing.allocation.exclude._name', value: iid(4) },
    ]);
    w.advanceTo(5000);
    expect(w.cluster.persistent.get('cluster.routing.allocation.exclude._name')).toBe(iid(4));
    expect(
      w.cluster
        .allShards()
        .flatMap((s) => s.copies)
        .filter((c) => c.node?.name === iid(4)),
    ).toHaveLength(0);
  });

  it('allocation.enable: primaries keeps a lost replica unassigned; null clears it', () => {
    const w = world([
      { kind: 'cluster-setting', at: 10, key: 'cluster.routing.allocation.enable', value: 'primaries' },
      { kind: 'kill-node', at: 20, node: iid(4) },
      { kind: 'cluster-setting', at: 3000, key: 'cluster.routing.allocation.enable', value: null },
    ]);
    w.advanceTo(2000);
    expect(w.cluster.status()).toBe('yellow');
    w.advanceTo(9000);
    expect(w.cluster.status()).toBe('green');
  });

  it('index require._name pins an index to one node; total_shards_per_node caps copies per node', () => {
    const w = world(
      [{ kind: 'index-setting', at: 10, index: 'logs', key: 'index.routing.allocation.require._name', value: iid(4) }],
      { indices: [{ name: 'logs', shards: 3, replicas: 0, docs: 3, bytes: 3 * GIB }] },
    );
    w.advanceTo(5000);
    expect(w.cluster.allShards().every((s) => s.copies[0].node?.name === iid(4))).toBe(true);

    // 3 shards x 2 copies on 3 nodes: 2 per node. With a limit of 2, the copies of a killed node cannot go to the
    // two others (each would hold 3) and wait for its replacement.
    const limited = (limit: number | null) =>
      world(
        [
          {
            kind: 'index-setting',
            at: 5,
            index: 'logs',
            key: 'index.routing.allocation.total_shards_per_node',
            value: limit,
          },
          { kind: 'kill-node', at: 10, node: iid(4) },
        ],
        { indices: [{ name: 'logs', shards: 3, replicas: 1, docs: 3, bytes: 3 * GIB }] },
      );
    const unassignedAt100 = (w: World) => {
      w.advanceTo(100);
      return w.cluster
        .allShards()
        .flatMap((s) => s.copies)
        .filter((c) => c.state === 'UNASSIGNED').length;
    };
    expect(unassignedAt100(limited(2))).toBe(2);
    expect(unassignedAt100(limited(null))).toBe(0);
  });
});

describe('fault es-process-down', () => {
  it('the node leaves, the instance stays healthy and InService (no replacement); back after `for` with its data', () => {
    const w = world([{ kind: 'es-process-down', at: 100, node: iid(4), for: 30 }], {
      indices: [{ name: 'logs', shards: 6, replicas: 1, docs: 6_000_000, bytes: 60 * GIB }],
    });
    w.advanceTo(101);
    expect(w.cluster.nodes.get(iid(4))!.state).toBe('gone');
    expect(w.instances.get(iid(4))).toMatchObject({ lifecycle: 'InService', health: 'Healthy' });
    expect(w.cluster.status()).toBe('yellow');
    w.advanceTo(400);
    expect(w.group(w.groupNames.data).instances).toHaveLength(3);
    expect(w.cluster.nodes.get(iid(4))!.state).toBe('joined');
    expect(w.cluster.status()).toBe('green');
    // It recovered from its own files: nothing copied (no writes while it was away).
    expect(w.cluster.bytesRecovered).toBe(0);
  });

  it('an only copy on a stopped node is red, not lost; lost when the instance is then terminated', () => {
    const w = world([{ kind: 'es-process-down', at: 100, node: iid(4) }], {
      indices: [{ name: 'solo', shards: 3, replicas: 0, docs: 3000, bytes: 3 * GIB }],
    });
    w.advanceTo(200);
    expect(w.cluster.status()).toBe('red');
    expect(w.cluster.documentsLost).toBe(0);
    w.terminateInstance(iid(4), false);
    w.advanceTo(400);
    expect(w.cluster.documentsLost).toBe(1000);
  });
});

describe('faults on the HTTP face', () => {
  it('slow-es: every answer takes latencySeconds of virtual time', () => {
    const sim = createSimulation(scenario({ faults: [{ kind: 'slow-es', from: 10, to: 100, latencySeconds: 7 }] }));
    sim.world.advanceTo(5);
    sim.api.request('GET', '/_cluster/health');
    expect(sim.world.now).toBe(5);
    sim.world.advanceTo(20);
    sim.api.request('GET', '/_cluster/health');
    sim.api.request('GET', '/_cat/nodes?format=json');
    expect(sim.world.now).toBe(34);
  });

  it('pending-tasks: a wait_for_events health call answers 408 timed_out; a plain one answers 200', () => {
    const sim = createSimulation(scenario({ faults: [{ kind: 'pending-tasks', from: 10, to: 100 }] }));
    sim.world.advanceTo(50);
    const r = sim.api.request('GET', '/_cluster/health?wait_for_events=languid&timeout=30s');
    expect(r.status).toBe(408);
    expect(r.body).toMatchObject({ timed_out: true, status: 'green', number_of_pending_tasks: 1 });
    expect(sim.api.request('GET', '/_cluster/health').status).toBe(200);
    sim.world.advanceTo(100);
    expect(sim.api.request('GET', '/_cluster/health?wait_for_events=languid').status).toBe(200);
  });

  it('nodes-info-partial: _nodes omits the node and counts it in _nodes.failed', () => {
    const sim = createSimulation(
      scenario({ faults: [{ kind: 'nodes-info-partial', from: 10, to: 100, node: iid(5) }] }),
    );
    sim.world.advanceTo(20);
    const body = sim.api.request('GET', '/_nodes').body as {
      _nodes: { total: number; successful: number; failed: number; failures: { node_id: string }[] };
      nodes: Record<string, { name: string }>;
    };
    expect(body._nodes).toMatchObject({ total: 6, successful: 5, failed: 1 });
    expect(Object.values(body.nodes).map((n) => n.name)).not.toContain(iid(5));
    expect(body._nodes.failures[0].node_id).toBe(sim.world.cluster.nodes.get(iid(5))!.id);
    sim.world.advanceTo(100);
    expect((sim.api.request('GET', '/_nodes').body as { _nodes: { failed: number } })._nodes.failed).toBe(0);
  });

  it('voting-exclusion-timeout: the POST times out and the voting configuration is unchanged until the window ends', () => {
    const sim = createSimulation(scenario({ faults: [{ kind: 'voting-exclusion-timeout', from: 10, to: 100 }] }));
    sim.world.advanceTo(20);
    const before = [...sim.world.cluster.votingConfig];
    const masterId = sim.world.cluster.master!.id;
    const r = sim.api.request('POST', `/_cluster/voting_config_exclusions?node_names=${iid(1)}`);
    expect(r.status).toBe(500);
    expect(JSON.stringify(r.body)).toContain('elasticsearch_timeout_exception');
    expect(sim.world.cluster.votingConfig).toEqual(before);
    expect(sim.world.cluster.master!.id).toBe(masterId);
    sim.world.advanceTo(100);
    expect(sim.world.cluster.votingConfig).not.toContain(sim.world.cluster.nodes.get(iid(1))!.id);
  });

  it('task: a long-running task is listed by _tasks?nodes=…&detailed, and killed when its node goes away', () => {
    const sim = createSimulation(
      scenario({
        faults: [
          { kind: 'task', at: 10, node: iid(4), action: 'indices:data/write/reindex', seconds: 3600 },
          { kind: 'task', at: 10, node: iid(5), action: 'indices:data/write/reindex', seconds: 60 },
        ],
      }),
    );
    sim.world.advanceTo(20);
    const id4 = sim.world.cluster.nodes.get(iid(4))!.id;
    const r = sim.api.request('GET', `/_tasks?nodes=${id4}&detailed&actions=indices:data/write/*`).body as {
      nodes: Record<string, { name: string; tasks: Record<string, { action: string; running_time_in_nanos: number }> }>;
    };
    expect(Object.keys(r.nodes)).toEqual([id4]);
    const tasks = Object.values(r.nodes[id4].tasks);
    expect(tasks).toEqual([
      expect.objectContaining({ action: 'indices:data/write/reindex', running_time_in_nanos: 10e9 }),
    ]);
    sim.world.advanceTo(100);
    // The 60 s task on i-5 completed: no longer listed.
    const all = sim.api.request('GET', '/_tasks?group_by=none').body as { tasks: unknown[] };
    expect(all.tasks).toHaveLength(1);
    sim.world.terminateInstance(iid(4), false);
    sim.world.advanceTo(200);
    expect(sim.world.tasksKilled).toBe(1);
    expect((sim.api.request('GET', '/_tasks?group_by=none').body as { tasks: unknown[] }).tasks).toHaveLength(0);
  });
});

describe('fault write-load', () => {
  it('indexes documents; a replica recovering meanwhile replays them; nothing acknowledged is lost', () => {
    const w = world(
      [
        { kind: 'write-load', from: 0, to: 3000, docsPerSecond: 100, index: 'logs' },
        { kind: 'kill-node', at: 100, node: iid(4) },
      ],
      {},
    );
    w.advanceTo(3000);
    expect(w.documentsIndexed).toBe(300_000);
    expect(w.cluster.documentCount()).toBe(6_000_000 + 300_000);
    expect(w.cluster.documentsLost).toBe(0);
    expect(w.cluster.status()).toBe('green');
    // The replicas rebuilt after the kill copied more than the shard size at the kill: the writes in between.
    const killed = 2 * 10 * GIB; // two 10 GiB copies were on i-4
    expect(w.cluster.bytesRecovered).toBeGreaterThan(killed);
  });

  it('counts acknowledged writes that disappear with a lost shard', () => {
    const w = world(
      [
        { kind: 'write-load', from: 0, to: 1000, docsPerSecond: 30, index: 'solo' },
        { kind: 'kill-node', at: 500, node: iid(4) },
      ],
      { indices: [{ name: 'solo', shards: 3, replicas: 0, docs: 3000, bytes: 3 * GIB }] },
    );
    w.advanceTo(1000);
    // One shard in three lived on i-4: its 1000 initial documents and the 10/s written to it for 500 s.
    expect(w.cluster.documentsLost).toBe(1000 + 5000);
    expect(w.writesRejected).toBe(10 * 500);
  });
});

describe('fault validation', () => {
  function problems(faults: unknown[], cluster: Record<string, unknown> = {}): string {
    try {
      parseScenario(
        {
          name: 'x',
          cluster: {
            version: '8.18.2',
            masters: 3,
            dataNodes: 3,
            indices: [{ name: 'logs', shards: 3, replicas: 1, docs: 3, bytes: 3000 }],
            ...cluster,
          },
          change: { version: '8.19.3' },
          faults,
        },
        'f.json',
      );
    } catch (e) {
      if (e instanceof ScenarioError) return e.problems.join('\n');
      throw e;
    }
    return '';
  }

  it.each([
    [
      { kind: 'scale-in', at: 1, role: 'data', count: 1, extra: 1 },
      /f\.json: unknown key "faults\[0\]\.extra"; allowed keys here: kind, at, role, count/,
    ],
    [
      { kind: 'scale-in', at: 1, role: 'data', count: 3 },
      /faults\[0\]\.count: the data group has 3 instances: allowed 1\.\.2/,
    ],
    [{ kind: 'terminate', at: 1, node: 'i-00000000000000099' }, /faults\[0\]\.node: no instance "i-00000000000000099"/],
    [
      { kind: 'terminate', at: 1, role: 'master', node: iid(4) },
      /faults\[0\]\.role: "master" but i-0+4 is a data node/,
    ],
    [{ kind: 'es-process-down', at: 1, node: 'i-00000000000000007' }, /faults\[0\]\.node: no instance/],
    [
      { kind: 'task', at: 1, node: iid(9), action: 'indices:data/write/reindex', seconds: 5 },
      /faults\[0\]\.node: no instance/,
    ],
    [
      { kind: 'task', at: 1, node: iid(4), action: 'reindex', seconds: 5 },
      /faults\[0\]\.action: must be a task action/,
    ],
    [{ kind: 'slow-es', from: 10, to: 5, latencySeconds: 1 }, /faults\[0\]\.to: must be greater than "from"/],
    [{ kind: 'pending-tasks', from: 10, to: 10 }, /faults\[0\]\.to: must be greater than "from"/],
    [{ kind: 'nodes-info-partial', from: 10, to: 9 }, /faults\[0\]\.to: must be greater/],
    [{ kind: 'voting-exclusion-timeout', from: 10, to: 1 }, /faults\[0\]\.to: must be greater/],
    [{ kind: 'write-load', from: 0, to: 10, docsPerSecond: 5, index: 'nope' }, /faults\[0\]\.index: no index "nope"/],
    [
      { kind: 'cluster-setting', at: 1, key: 'cluster.routing.allocation.enabel', value: 'all' },
      /faults\[0\]\.key: persistent setting \[cluster\.routing\.allocation\.enabel\], not recognized/,
    ],
    [
      { kind: 'cluster-setting', at: 1, key: 'cluster.routing.allocation.enable', value: 'some' },
      /faults\[0\]\.value: illegal value/,
    ],
    [
      { kind: 'index-setting', at: 1, index: 'logs', key: 'index.number_of_shards', value: 2 },
      /faults\[0\]\.key: unknown setting/,
    ],
    [
      { kind: 'index-setting', at: 1, index: 'gone', key: 'index.routing.allocation.require._name', value: 'x' },
      /faults\[0\]\.index: no index "gone"/,
    ],
    [{ kind: 'attach-refused', from: 10, to: 10 }, /faults\[0\]\.to: must be greater than "from"/],
    [
      { kind: 'attach-refused', from: 1, to: 10, count: 2 },
      /unknown key "faults\[0\]\.count"; allowed keys here: kind, from, to/,
    ],
    [{ kind: 'unattached-dies', from: 1 }, /unknown key "faults\[0\]\.from"; allowed keys here: kind, at/],
    [{ kind: 'unattached-dies' }, /faults\[0\]\.at: /],
    [{ kind: 'launch-slow', from: 0, to: 10 }, /faults\[0\]\.seconds: /],
    [
      { kind: 'launch-slow', from: 0, to: 10, seconds: 30 },
      /faults\[0\]\.seconds: 30 s is not slow: every launch stays pending 30 s; allowed 31\.\.3600/,
    ],
    [{ kind: 'launch-slow', from: 0, to: 10, seconds: 7200 }, /faults\[0\]\.seconds: /],
    [{ kind: 'launch-slow', from: 9, to: 3, seconds: 60 }, /faults\[0\]\.to: must be greater than "from"/],
    [
      { kind: 'meteor', at: 1 },
      /faults\[0\]\.kind: must be one of .*scale-in, scale-out, terminate, cluster-setting, index-setting, es-process-down, slow-es, pending-tasks, nodes-info-partial, voting-exclusion-timeout, write-load, task/,
    ],
  ])('refuses %j naming the file and key', (fault, message) => {
    expect(problems([fault])).toMatch(message);
  });

  it('accepts every new kind in the shapes of the issue', () => {
    expect(
      problems([
        { kind: 'scale-in', at: 1, role: 'data', count: 1 },
        { kind: 'terminate', at: 1, role: 'master' },
        { kind: 'terminate', at: 1, role: 'data', node: iid(4) },
        { kind: 'cluster-setting', at: 1, key: 'cluster.routing.allocation.exclude._name', value: iid(4) },
        { kind: 'cluster-setting', at: 2, key: 'cluster.routing.allocation.exclude._name', value: null },
        {
          kind: 'index-setting',
          at: 1,
          index: 'logs',
          key: 'index.routing.allocation.total_shards_per_node',
          value: 2,
        },
        { kind: 'es-process-down', at: 1, role: 'data', node: iid(5), for: 60 },
        { kind: 'slow-es', from: 0, to: 10, latencySeconds: 2 },
        { kind: 'pending-tasks', from: 0, to: 10 },
        { kind: 'nodes-info-partial', from: 0, to: 10, node: iid(6) },
        { kind: 'voting-exclusion-timeout', from: 0, to: 10 },
        { kind: 'write-load', from: 0, to: 10, docsPerSecond: 100, index: 'logs' },
        { kind: 'write-load', from: 0, to: 10, docsPerSecond: 100 },
        { kind: 'task', at: 1, node: iid(4), action: 'indices:data/write/reindex', seconds: 600 },
        { kind: 'attach-refused', from: 0, to: 600 },
        { kind: 'unattached-dies', at: 300 },
        { kind: 'launch-slow', from: 0, to: 600, seconds: 240 },
      ]),
    ).toBe('');
  });
});
