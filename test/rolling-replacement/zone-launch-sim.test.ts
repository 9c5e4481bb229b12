/**
 * Surges into chosen zones end to end (issue 17, `rollout.surgePlacement: orchestrator`): the real orchestrator against
 * the simulator's launch and attach (sim/model/world-launch.ts), 3 masters + 12 data nodes over 3 zones with
 * `maxSurge: 4`, without and with the launch/attach faults. Small data, so each run takes well under a second.
 */
import { parseScenario, runScenario } from '../../sim';
import type { Report } from '../../sim';
import type { World } from '../../sim/model/world';

const GiB = 1024 ** 3;

function scenario(faults: unknown[] = [], surgePlacement = 'orchestrator') {
  return parseScenario(
    {
      name: 'zone-launch',
      seed: 3,
      model: { bootSeconds: 120, joinSeconds: 20, pollSeconds: 30 },
      cluster: {
        version: '8.18.2',
        masters: 3,
        dataNodes: 12,
        diskBytesPerDataNode: 200 * GiB,
        indices: [
          { name: 'logs-a', shards: 12, replicas: 1, docs: 12_000_000, bytes: 48 * GiB },
          { name: 'logs-b', shards: 6, replicas: 1, docs: 3_000_000, bytes: 12 * GiB },
        ],
      },
      change: { version: '8.19.3' },
      rollout: { method: 'drain', maxSurge: 4, surgePlacement },
      faults,
    },
    'zone-launch',
  );
}

interface Run {
  readonly report: Report;
  readonly world: World;
}

async function run(faults: unknown[] = [], surgePlacement = 'orchestrator'): Promise<Run> {
  let world: World | undefined;
  const report = await runScenario(scenario(faults, surgePlacement), { http: false, onStep: (w) => (world = w) });
  return { report, world: world! };
}

/** What must hold after any run: nothing lost, never red, no instance left launched and unattached. */
function safety(r: Report) {
  return {
    documentsLost: r.documentsLost,
    secondsRed: r.secondsRed,
    secondsWithoutMaster: r.secondsWithoutMaster,
    unattachedLeft: r.unattachedLeft,
  };
}
const SAFE = { documentsLost: 0, secondsRed: 0, secondsWithoutMaster: 0, unattachedLeft: 0 };

/** The data group at the end: zones of its live instances, and whether any initial or outdated one is left. */
function dataGroupAtEnd(world: World) {
  const g = world.group(world.groupNames.data);
  const live = g.instances.filter((i) => i.lifecycle === 'InService');
  const zones: Record<string, number> = {};
  for (const i of live) zones[i.az] = (zones[i.az] ?? 0) + 1;
  return {
    desired: g.desired,
    zones,
    initialLeft: live.filter((i) => i.initial).length,
    outdated: live.filter((i) => i.ltVersion !== g.targetLtVersion).length,
  };
}

/** Batches of launches (the launch key's `b<outdated>` part) and their zones, from the world's notes. */
function launchBatches(world: World): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const n of world.notes) {
    if (n.action !== 'ec2-launch') continue;
    const m = / in (\S+), unattached \(key [^/]+\/[^/]+\/(b\d+)\//.exec(n.reason);
    if (m) (out[m[2]] ??= []).push(m[1]);
  }
  return out;
}

const BALANCED = {
  desired: 12,
  zones: { 'eu-west-1a': 4, 'eu-west-1b': 4, 'eu-west-1c': 4 },
  initialLeft: 0,
  outdated: 0,
};

describe('surge into chosen zones (rollout.surgePlacement orchestrator), 3 + 12 nodes over 3 zones, maxSurge 4', () => {
  test('replaces every node in batches of 4 launched into the zones they drain from: 0 lost, zones balanced', async () => {
    const { report, world } = await run();
    expect(safety(report)).toEqual(SAFE);
    expect(report.outcome).toBe('completed');
    expect(report.finalVersions).toEqual({ '8.19.3': 15 });
    expect(report.nodesReplaced).toEqual({ master: 3, data: 12 });
    expect(dataGroupAtEnd(world)).toEqual(BALANCED);
    // Three batches of four (12 ÷ 4), each launched into the zones of the nodes it replaces, all attached.
    const batches = launchBatches(world);
    expect(Object.keys(batches)).toEqual(['b12', 'b8', 'b4']);
    for (const zones of Object.values(batches)) expect(zones).toHaveLength(4);
    expect(world.notes.filter((n) => n.action === 'asg-attach')).toHaveLength(12);
    // Auto Scaling launched no data instance itself (only the masters' surge goes through the desired capacity).
    const asgLaunches = world.notes.filter((n) => n.action === 'asg-launch' && /^elk-data /.test(n.reason));
    expect(asgLaunches).toEqual([]);
  });

  test('with Auto Scaling placing the surge, no instance is launched by the orchestrator', async () => {
    const { report, world } = await run([], 'auto-scaling');
    expect(safety(report)).toEqual(SAFE);
    expect(report.outcome).toBe('completed');
    expect(launchBatches(world)).toEqual({});
    expect(dataGroupAtEnd(world)).toEqual(BALANCED);
  });

  test.each([
    [
      'attach-refused for a while: the attach is retried after the window',
      [{ kind: 'attach-refused', from: 40, to: 400 }],
    ],
    ['unattached-dies before the attach: the same keys launch new instances', [{ kind: 'unattached-dies', at: 50 }]],
    [
      'launch-slow: the batch attaches once every instance runs',
      [{ kind: 'launch-slow', from: 0, to: 700, seconds: 300 }],
    ],
    [
      'crash-orchestrator between the launch and the attach: the same instances are attached',
      [{ kind: 'crash-orchestrator', at: 50 }],
    ],
  ])('survives %s', async (_what, faults) => {
    const { report, world } = await run(faults);
    expect(safety(report)).toEqual(SAFE);
    expect(report.outcome).toBe('completed');
    expect(report.finalVersions).toEqual({ '8.19.3': 15 });
    expect(dataGroupAtEnd(world)).toEqual(BALANCED);
  });

  test('the crash loses no launch: the first batch attaches the four instances launched before it', async () => {
    const { world } = await run([{ kind: 'crash-orchestrator', at: 50 }]);
    expect(launchBatches(world).b12).toHaveLength(4);
  });

  test('unattached-dies: the dead instances are replaced by new launches with the same keys, none left', async () => {
    const { report, world } = await run([{ kind: 'unattached-dies', at: 50 }]);
    expect(launchBatches(world).b12).toHaveLength(8);
    expect(world.notes.filter((n) => n.action === 'ec2-terminate')).toHaveLength(4);
    expect(report.unattachedLeft).toBe(0);
  });

  test('an attach refused for good fails the roll cleanly: its launched instances terminated, the group as before', async () => {
    const { report, world } = await run([{ kind: 'attach-refused', from: 40, to: 100000 }]);
    expect(safety(report)).toEqual(SAFE);
    expect(report.outcome).toBe('failed');
    expect(report.reason).toMatch(/not all running and attached/);
    expect(report.steps.some((s) => s.action === 'terminate-unattached')).toBe(true);
    const g = world.group(world.groupNames.data);
    expect(g.desired).toBe(12);
    expect(g.instances.filter((i) => i.lifecycle === 'InService')).toHaveLength(12);
    expect(report.finalHealth).toBe('green');
  });
});
