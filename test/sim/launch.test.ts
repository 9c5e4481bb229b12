import { EC2_PENDING_SECONDS } from '../../sim/model/fleet';
import { World } from '../../sim/model/world';
import { createSimulation, runScenario } from '../../sim/runner';
import { simSpec } from '../../sim/strategies/orchestrator';
import type { StrategyFactory } from '../../sim/strategy';
import { scenario } from './builders';

/**
 * Surge instances placed by the orchestrator (issue 17, `rollout.surgePlacement: orchestrator`): the model's
 * RunInstances into a chosen zone and AttachInstances (sim/model/world-launch.ts), and SimFleet's launchIntoZones.
 */

const DATA = 'elk-data';
const MASTER = 'elk-master';
type Faults = NonNullable<Parameters<typeof scenario>[0]>['faults'];

function world(faults: Faults = [], model: Record<string, number> = {}): World {
  return new World(scenario({ faults, model: { bootJitterSeconds: 0, detectionSeconds: 0, ...model } }));
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
}

async function rejected(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not reject');
}

describe('world: RunInstances into a chosen zone', () => {
  it('is idempotent on the key: the same instance, unattached, outside the group and its desired capacity', () => {
    const w = world();
    const a = w.launchIntoZone(DATA, 'eu-west-1b', 'sim/elk-data/b3/eu-west-1b/0', '2');
    w.advanceTo(10);
    const again = w.launchIntoZone(DATA, 'eu-west-1b', 'sim/elk-data/b3/eu-west-1b/0', '2');
    expect(again.id).toBe(a.id);
    expect(a).toMatchObject({ az: 'eu-west-1b', ltVersion: '2', unattached: true, launchKey: expect.any(String) });
    const g = w.group(DATA);
    expect(g.instances).not.toContain(a);
    expect(g.desired).toBe(3);
    expect(w.unattachedOf(DATA).map((i) => i.id)).toEqual([a.id]);
    expect(w.unattachedOf(MASTER)).toEqual([]);
    expect(w.ec2State(a)).toBe('pending');
    w.advanceTo(EC2_PENDING_SECONDS);
    expect(w.ec2State(a)).toBe('running');
  });

  it('launches a new instance for a key whose instance was terminated', () => {
    const w = world();
    const a = w.launchIntoZone(DATA, 'eu-west-1a', 'k1', '2');
    w.terminateUnattached(DATA, [a.id]);
    expect(w.ec2State(a)).toBe('terminated');
    expect(w.unattachedOf(DATA)).toEqual([]);
    expect(w.terminated).toEqual([a.id]);
    const b = w.launchIntoZone(DATA, 'eu-west-1a', 'k1', '2');
    expect(b.id).not.toBe(a.id);
    expect(w.unattachedOf(DATA).map((i) => i.id)).toEqual([b.id]);
  });

  it.each([
    ['the same key with another zone', () => ['eu-west-1b', 'k1', '2'], 'IdempotentParameterMismatch'],
    ['a zone of no subnet of the group', () => ['us-east-1a', 'k2', '2'], 'ValidationError'],
    [
      'a template version that does not exist',
      () => ['eu-west-1a', 'k3', '9'],
      'InvalidLaunchTemplateId.VersionNotFound',
    ],
  ])('refuses %s', (_what, args, name) => {
    const w = world();
    w.launchIntoZone(DATA, 'eu-west-1a', 'k1', '2');
    const [zone, key, version] = args();
    expect(thrown(() => w.launchIntoZone(DATA, zone, key, version)).name).toBe(name);
  });
});

describe('world: AttachInstances', () => {
  it('puts running instances into the group in their zones, desired capacity + their number, InService', () => {
    const w = world();
    // The roll suspends AZRebalance (below: what it does otherwise).
    w.suspendProcesses(DATA, ['AZRebalance']);
    const ids = ['eu-west-1c', 'eu-west-1c', 'eu-west-1a'].map((z, n) => w.launchIntoZone(DATA, z, `k${n}`, '2').id);
    w.advanceTo(200);
    w.attachInstances(DATA, ids);
    const g = w.group(DATA);
    expect(g.desired).toBe(6);
    const attached = g.instances.filter((i) => ids.includes(i.id));
    expect(attached.map((i) => [i.az, i.lifecycle, i.ltVersion, i.unattached])).toEqual([
      ['eu-west-1c', 'InService', '2', false],
      ['eu-west-1c', 'InService', '2', false],
      ['eu-west-1a', 'InService', '2', false],
    ]);
    // Auto Scaling launched nothing of its own: the group is at its desired capacity.
    expect(g.instances).toHaveLength(6);
    expect(w.unattachedOf(DATA)).toEqual([]);
    expect(w.unattachedLeft()).toBe(0);
  });

  it('unbalanced zones after an attach are rebalanced by AZRebalance unless it is suspended', () => {
    const w = world();
    const ids = [0, 1].map((n) => w.launchIntoZone(DATA, 'eu-west-1c', `k${n}`, '2').id);
    w.advanceTo(60);
    w.attachInstances(DATA, ids);
    w.advanceTo(1000);
    expect(w.notes.filter((n) => n.action === 'asg-az-rebalance').length).toBeGreaterThan(0);
    const zones = w
      .group(DATA)
      .instances.filter((i) => i.lifecycle === 'InService')
      .map((i) => i.az);
    expect(zones.filter((z) => z === 'eu-west-1c').length).toBeLessThan(3);
  });

  it('refuses past MaxSize with a ValidationError and attaches none of them', () => {
    const w = world();
    const g = w.group(DATA);
    expect(g.maxSize).toBe(6);
    const ids = [0, 1, 2, 3].map((n) => w.launchIntoZone(DATA, 'eu-west-1a', `k${n}`, '2').id);
    w.advanceTo(60);
    const e = thrown(() => w.attachInstances(DATA, ids));
    expect(e.name).toBe('ValidationError');
    expect(e.message).toMatch(/New SetDesiredCapacity value 7 is above max value 6/);
    expect(g.desired).toBe(3);
    expect(w.unattachedOf(DATA)).toHaveLength(4);
    w.attachInstances(DATA, ids.slice(0, 3));
    expect(g.desired).toBe(6);
  });

  it('refuses a pending instance, one already in a group, and a terminated one', () => {
    const w = world();
    const a = w.launchIntoZone(DATA, 'eu-west-1a', 'k1', '2');
    expect(thrown(() => w.attachInstances(DATA, [a.id])).message).toMatch(/pending/);
    w.advanceTo(EC2_PENDING_SECONDS);
    w.attachInstances(DATA, [a.id]);
    expect(thrown(() => w.attachInstances(DATA, [a.id])).message).toMatch(/already part of Auto Scaling group/);
    expect(thrown(() => w.attachInstances(DATA, ['i-00000000000000004'])).name).toBe('ValidationError');
    const b = w.launchIntoZone(DATA, 'eu-west-1a', 'k2', '2');
    w.terminateUnattached(DATA, [b.id]);
    w.advanceTo(100);
    expect(thrown(() => w.attachInstances(DATA, [b.id])).message).toMatch(/terminated/);
    expect(w.group(DATA).desired).toBe(4);
  });

  it('Elasticsearch joins only once the instance is attached, however long its boot was done before', () => {
    const w = world();
    const a = w.launchIntoZone(DATA, 'eu-west-1a', 'k1', '2');
    w.advanceTo(1000);
    const node = w.cluster.nodes.get(a.id)!;
    expect(node.state).toBe('pending');
    expect(node.joinedAt).toBeUndefined();
    w.attachInstances(DATA, [a.id]);
    w.advanceTo(1000);
    // Boot (120 s) and join (20 s) were long done: it joins at the attach.
    expect(node).toMatchObject({ state: 'joined', joinedAt: 1000, version: '8.19.3' });
  });

  it('an instance attached early joins after its usual boot and join; joinAfterAttachSeconds delays a late one', () => {
    const early = world();
    const a = early.launchIntoZone(DATA, 'eu-west-1a', 'k1', '2');
    early.advanceTo(40);
    early.attachInstances(DATA, [a.id]);
    expect(early.group(DATA).instances.find((i) => i.id === a.id)!.lifecycle).toBe('Pending');
    early.advanceTo(1000);
    expect(early.cluster.nodes.get(a.id)!.joinedAt).toBe(140);

    const late = world([], { joinAfterAttachSeconds: 90 });
    const b = late.launchIntoZone(DATA, 'eu-west-1a', 'k1', '2');
    late.advanceTo(300);
    late.attachInstances(DATA, [b.id]);
    late.advanceTo(1000);
    expect(late.cluster.nodes.get(b.id)!.joinedAt).toBe(390);
  });

  it('an unattached instance is no Auto Scaling member: TerminateInstanceInAutoScalingGroup refuses it', () => {
    const w = world();
    const a = w.launchIntoZone(DATA, 'eu-west-1a', 'k1', '2');
    expect(thrown(() => w.terminateInstance(a.id, false)).message).toMatch(/No managed instance/);
    w.terminateUnattached(MASTER, [a.id]);
    expect(w.ec2State(a)).toBe('pending');
    expect(w.notes.at(-1)).toMatchObject({ action: 'terminate-unattached-skipped', node: a.id });
  });
});

describe('faults of the launch and attach', () => {
  it('attach-refused: AttachInstances fails with a ValidationError in the window, and works after it', () => {
    const w = world([{ kind: 'attach-refused', from: 0, to: 300 }]);
    const a = w.launchIntoZone(DATA, 'eu-west-1a', 'k1', '2');
    w.advanceTo(100);
    const e = thrown(() => w.attachInstances(DATA, [a.id]));
    expect(e.name).toBe('ValidationError');
    expect(e.message).toMatch(/attach-refused/);
    w.advanceTo(300);
    w.attachInstances(DATA, [a.id]);
    expect(w.group(DATA).desired).toBe(4);
  });

  it('unattached-dies: every unattached instance is terminated at that time; attached ones stay', () => {
    const w = world([{ kind: 'unattached-dies', at: 100 }]);
    const a = w.launchIntoZone(DATA, 'eu-west-1a', 'k1', '2');
    const b = w.launchIntoZone(DATA, 'eu-west-1b', 'k2', '2');
    w.advanceTo(50);
    w.attachInstances(DATA, [a.id]);
    w.advanceTo(100);
    expect(w.ec2State(b)).toBe('terminated');
    expect(w.ec2State(a)).toBe('running');
    expect(w.unattachedLeft()).toBe(0);
    expect(w.notes.some((n) => n.action === 'ec2-terminate' && n.node === b.id)).toBe(true);
    // The same key launches a new one.
    expect(w.launchIntoZone(DATA, 'eu-west-1b', 'k2', '2').id).not.toBe(b.id);
  });

  it('launch-slow: an instance launched in the window stays pending that long and boots as much later', () => {
    const w = world([{ kind: 'launch-slow', from: 0, to: 50, seconds: 200 }]);
    const slow = w.launchIntoZone(DATA, 'eu-west-1a', 'k1', '2');
    w.advanceTo(199);
    expect(w.ec2State(slow)).toBe('pending');
    const fast = w.launchIntoZone(DATA, 'eu-west-1a', 'k2', '2');
    w.advanceTo(200);
    expect(w.ec2State(slow)).toBe('running');
    w.advanceTo(199 + EC2_PENDING_SECONDS);
    expect(w.ec2State(fast)).toBe('running');
    w.attachInstances(DATA, [slow.id, fast.id]);
    w.advanceTo(1000);
    // Boot 120 s + 170 s late, join 20 s.
    expect(w.cluster.nodes.get(slow.id)!.joinedAt).toBe(310);
  });
});

describe('SimFleet: launchIntoZones', () => {
  const sim = (surgePlacement?: 'orchestrator' | 'auto-scaling', faults: Faults = []) =>
    createSimulation(
      scenario({ faults, model: { bootJitterSeconds: 0 } }),
      undefined,
      surgePlacement ? { surgePlacement } : undefined,
    );

  it('reports canLaunchIntoZones and the unattached instances on the data group with the orchestrator placement', async () => {
    const { fleet, world: w } = sim();
    await fleet.launchIntoZones(DATA, [{ zone: 'eu-west-1b', key: 'k1' }], '2');
    const [data, master] = await fleet.describeGroups([DATA, MASTER]);
    expect(data.canLaunchIntoZones).toBe(true);
    expect(data.unattached).toEqual([
      { instanceId: w.unattachedOf(DATA)[0].id, availabilityZone: 'eu-west-1b', state: 'pending', launchKey: 'k1' },
    ]);
    expect(master.canLaunchIntoZones).toBeUndefined();
    expect(master.unattached).toBeUndefined();
    const other = await sim('auto-scaling').fleet.describeGroups([DATA]);
    expect(other[0].canLaunchIntoZones).toBeUndefined();
    expect(other[0].unattached).toBeUndefined();
    await expect(
      sim('auto-scaling').fleet.launchIntoZones(DATA, [{ zone: 'eu-west-1a', key: 'k' }], '2'),
    ).rejects.toThrow(/does not launch into chosen zones/);
    await expect(fleet.launchIntoZones(MASTER, [{ zone: 'eu-west-1a', key: 'k' }], '2')).rejects.toThrow(
      /does not launch into chosen zones/,
    );
  });

  it('launches, answers launched while any is pending, then attaches all in one call and reports them', async () => {
    const { fleet, world: w } = sim();
    const launches = [
      { zone: 'eu-west-1a', key: 'k1' },
      { zone: 'eu-west-1a', key: 'k2' },
      { zone: 'eu-west-1c', key: 'k3' },
    ];
    const first = await fleet.launchIntoZones(DATA, launches, '2');
    expect(first.status).toBe('launched');
    expect(w.group(DATA).desired).toBe(3);
    w.advanceTo(EC2_PENDING_SECONDS);
    const second = await fleet.launchIntoZones(DATA, launches, '2');
    expect(second).toEqual({ status: 'attached', instanceIds: first.instanceIds });
    expect(w.notes.filter((n) => n.action === 'asg-attach')).toHaveLength(3);
    // Idempotent: called again, nothing is attached twice.
    expect(await fleet.launchIntoZones(DATA, launches, '2')).toEqual(second);
    const [data] = await fleet.describeGroups([DATA]);
    expect(data.desiredCapacity).toBe(6);
    expect(data.unattached).toEqual([]);
    const mine = data.instances.filter((i) => first.instanceIds.includes(i.instanceId));
    expect(mine.map((i) => [i.availabilityZone, i.launchTemplateVersion])).toEqual([
      ['eu-west-1a', '2'],
      ['eu-west-1a', '2'],
      ['eu-west-1c', '2'],
    ]);
  });

  it('throws the ValidationError of a refused attach and leaves the instances launched for the next call', async () => {
    const { fleet, world: w } = sim('orchestrator', [{ kind: 'attach-refused', from: 0, to: 100 }]);
    const launches = [{ zone: 'eu-west-1a', key: 'k1' }];
    await fleet.launchIntoZones(DATA, launches, '2');
    w.advanceTo(50);
    const e = await rejected(fleet.launchIntoZones(DATA, launches, '2'));
    expect(e.name).toBe('ValidationError');
    expect((await fleet.describeGroups([DATA]))[0].unattached).toHaveLength(1);
    w.advanceTo(100);
    expect((await fleet.launchIntoZones(DATA, launches, '2')).status).toBe('attached');
  });

  it('terminateUnattached ends the listed unattached instances and skips gone ones', async () => {
    const { fleet, world: w } = sim();
    const r = await fleet.launchIntoZones(
      DATA,
      [
        { zone: 'eu-west-1a', key: 'k1' },
        { zone: 'eu-west-1b', key: 'k2' },
      ],
      '2',
    );
    await fleet.terminateUnattached(DATA, [r.instanceIds[0], 'i-000000000000000ff']);
    expect((await fleet.describeGroups([DATA]))[0].unattached!.map((u) => u.instanceId)).toEqual([r.instanceIds[1]]);
    await fleet.terminateUnattached(DATA, [r.instanceIds[0]]);
    expect(w.unattachedLeft()).toBe(1);
  });
});

describe('rollout.surgePlacement of a run', () => {
  /** A strategy that records what it was given and what the fleet says, then finishes. */
  function probe(seen: { placement?: string; can?: boolean; spec?: string }): StrategyFactory {
    return {
      name: 'probe',
      description: 'records the rollout options and the data group',
      create: (options) => ({
        step: async (sw) => {
          seen.placement = options.rollout?.surgePlacement;
          seen.can = (await sw.fleet.describeGroups([sw.groups.data]))[0].canLaunchIntoZones ?? false;
          // As the orchestrator strategy builds its spec from the run's rollout.
          const { snapshotBeforeRoll: _snapshot, ...rollout } = options.rollout ?? {};
          seen.spec = simSpec(sw, rollout).options.surgePlacement;
          return { wakeAfterSeconds: 1, done: { outcome: 'completed', reason: 'probed' } };
        },
      }),
    };
  }

  it.each([
    [{}, undefined, 'orchestrator', true],
    [{ surgePlacement: 'auto-scaling' }, undefined, 'auto-scaling', false],
    [{ surgePlacement: 'auto-scaling' }, 'orchestrator', 'orchestrator', true],
    [{}, 'auto-scaling', 'auto-scaling', false],
  ] as const)(
    'scenario %j with override %s: the strategy, its spec and the fleet get %s',
    async (rollout, override, placement, can) => {
      const seen: { placement?: string; can?: boolean; spec?: string } = {};
      await runScenario(scenario({ rollout }), {
        http: false,
        strategy: probe(seen),
        ...(override ? { rollout: { surgePlacement: override } } : {}),
      });
      expect(seen).toEqual({ placement, can, spec: placement });
    },
  );
});
