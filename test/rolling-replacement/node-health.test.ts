/**
 * The node health check's pure decision (core/node-health.ts, issue 12 finding 7): when an InService, EC2-healthy
 * instance that is out of the cluster is marked Unhealthy, and every case in which it is not.
 */
import type { FleetGroup, FleetInstance } from '../../lambda/rolling-replacement/core/fleet-port';
import { formatMissing, nodeHealth, parseMissing } from '../../lambda/rolling-replacement/core/node-health';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import type { EsNodeView, EsView, HealthStatus } from '../../lambda/rolling-replacement/core/types';
import { decideIn, ids, stage, withEs, withGroup, withoutNode } from './gate-worlds';
import { spec } from './helpers';

const inst = (id: string, o: Partial<FleetInstance> = {}): FleetInstance => ({
  instanceId: id,
  lifecycleState: 'InService',
  healthStatus: 'Healthy',
  launchTemplateVersion: '1',
  availabilityZone: 'eu-west-1a',
  protectedFromScaleIn: true,
  ...o,
});
const group = (
  name: string,
  role: 'master' | 'data',
  ids: FleetInstance[],
  tags: Record<string, string> = {},
): FleetGroup => ({
  name,
  role,
  desiredCapacity: ids.length,
  minSize: ids.length,
  maxSize: ids.length + 1,
  targetLaunchTemplateVersion: '1',
  instances: ids,
  suspendedProcesses: [],
  tags,
});
const node = (name: string, roles: string[]): EsNodeView => ({ name, id: `id-${name}`, version: '8.19.3', roles });
const MASTERS = ['i-m1', 'i-m2', 'i-m3'];
const DATA = ['i-d1', 'i-d2', 'i-d3'];

function es(missing: readonly string[], o: { status?: HealthStatus; master?: string | null } = {}): EsView {
  const nodes = [
    ...MASTERS.filter((m) => !missing.includes(m)).map((m) => node(m, ['master'])),
    ...DATA.filter((d) => !missing.includes(d)).map((d) => node(d, ['data', 'ingest'])),
  ];
  return {
    health: {
      status: o.status ?? 'yellow',
      timedOut: false,
      numberOfNodes: nodes.length,
      numberOfDataNodes: 0,
      relocatingShards: 0,
      initializingShards: 0,
      unassignedShards: 0,
      delayedUnassignedShards: 0,
      inFlightFetch: 0,
    },
    nodes,
    ...(o.master === null ? {} : { electedMaster: o.master ?? MASTERS.find((m) => !missing.includes(m)) }),
    shards: [],
    explanations: [],
    allocationExcludeNames: [],
    votingExclusions: [],
    rebalanceEnable: { persistent: null, transient: null },
    lowWatermark: 0.85,
  };
}

function groups(
  o: { dataTags?: Record<string, string>; masterTags?: Record<string, string>; data?: FleetInstance[] } = {},
) {
  return [
    group('data-asg', 'data', o.data ?? DATA.map((d) => inst(d)), o.dataTags),
    group(
      'master-asg',
      'master',
      MASTERS.map((m) => inst(m)),
      o.masterTags,
    ),
  ];
}

const run = (view: EsView, gs: FleetGroup[], now: number, o: { inRoll?: boolean; downSeconds?: number } = {}) =>
  nodeHealth({ es: view, groups: gs, now, downSeconds: o.downSeconds ?? 900, inRoll: o.inRoll ?? false });

test('every instance a member and nothing recorded: nothing to do', () => {
  expect(run(es([]), groups(), 1000)).toEqual({ kind: 'none' });
});

test('first seen out of the cluster: its clock starts in the group tag', () => {
  const d = run(es(['i-d2']), groups(), 1000);
  expect(d).toMatchObject({ kind: 'record', group: 'data-asg', value: 'i-d2@1000' });
});

test('before the bound it waits and says when it will mark', () => {
  const d = run(es(['i-d2']), groups({ dataTags: { [TAG.nodeMissing]: 'i-d2@1000' } }), 1899);
  expect(d.kind).toBe('wait');
  expect('reason' in d && d.reason).toMatch(
    /i-d2 \(data-asg\) out of the cluster for 899 s; marked Unhealthy after 900 s/,
  );
});

test('at the bound it marks that instance, and only that one', () => {
  const d = run(es(['i-d2']), groups({ dataTags: { [TAG.nodeMissing]: 'i-d2@1000' } }), 1900);
  expect(d).toMatchObject({ kind: 'mark', group: 'data-asg', instanceId: 'i-d2' });
});

test('a node back in the cluster loses its clock (a later stop starts a new one)', () => {
  const d = run(es([]), groups({ dataTags: { [TAG.nodeMissing]: 'i-d2@1000' } }), 5000);
  expect(d).toMatchObject({ kind: 'record', group: 'data-asg', value: '-' });
});

test('0 turns the check off', () => {
  expect(run(es(['i-d2']), groups({ dataTags: { [TAG.nodeMissing]: 'i-d2@1000' } }), 9000, { downSeconds: 0 })).toEqual(
    {
      kind: 'none',
    },
  );
});

describe('never marks when that is not safe', () => {
  const due = { dataTags: { [TAG.nodeMissing]: 'i-d2@1000' } };
  test('no elected master: the cluster cannot be observed', () => {
    const d = run(es(['i-d2'], { master: null }), groups(due), 5000);
    expect(d).toMatchObject({ kind: 'wait' });
    expect('reason' in d && d.reason).toMatch(/no elected master/);
  });
  test('another instance is Unhealthy, launching or terminating: one replacement at a time', () => {
    for (const other of [
      inst('i-d3', { healthStatus: 'Unhealthy' }),
      inst('i-d3', { lifecycleState: 'Pending' }),
      inst('i-d3', { lifecycleState: 'Terminating:Wait' }),
    ]) {
      const d = run(es(['i-d2']), groups({ ...due, data: [inst('i-d1'), inst('i-d2'), other] }), 5000);
      expect(d).toMatchObject({ kind: 'wait' });
      expect('reason' in d && d.reason).toMatch(/one replacement at a time \(i-d3 is /);
    }
  });
  test('another instance out of the cluster for less than the bound (maybe a booting replacement)', () => {
    const d = run(es(['i-d2', 'i-d3']), groups({ dataTags: { [TAG.nodeMissing]: 'i-d2@1000,i-d3@4800' } }), 5000);
    expect(d).toMatchObject({ kind: 'wait' });
    expect('reason' in d && d.reason).toMatch(/i-d3 is out of the cluster too, for 200 s/);
  });
  test('two past the bound: the one out the longest first', () => {
    const d = run(es(['i-d2', 'i-d3']), groups({ dataTags: { [TAG.nodeMissing]: 'i-d2@2000,i-d3@1000' } }), 5000);
    expect(d).toMatchObject({ kind: 'mark', instanceId: 'i-d3' });
  });
  test('a data node while the cluster is red: its volume may hold the only copy of a primary', () => {
    const d = run(es(['i-d2'], { status: 'red' }), groups(due), 5000);
    expect(d).toMatchObject({ kind: 'wait' });
    expect('reason' in d && d.reason).toMatch(/the cluster is red/);
  });
  test('a master while red is marked (masters hold no shard copies)', () => {
    const d = run(es(['i-m3'], { status: 'red' }), groups({ masterTags: { [TAG.nodeMissing]: 'i-m3@1000' } }), 5000);
    expect(d).toMatchObject({ kind: 'mark', group: 'master-asg', instanceId: 'i-m3' });
  });
  test('a master when the other master-eligible members are not a majority of the group', () => {
    // Two of three masters out past the bound (a master is still reported elected: defence in depth).
    const d = run(es(['i-m2', 'i-m3']), groups({ masterTags: { [TAG.nodeMissing]: 'i-m2@1000,i-m3@1000' } }), 5000);
    expect(d).toMatchObject({ kind: 'wait' });
    expect('reason' in d && d.reason).toMatch(/1 master-eligible members, fewer than a majority of 3/);
  });
  test('inside a roll, a new instance the roll waits for (join-wait mark) is left to the join timeout', () => {
    const data = [inst('i-d1'), inst('i-d2'), inst('i-d3'), inst('i-d4', { launchTemplateVersion: '2' })];
    const gs = groups({ data, dataTags: { [TAG.joinWait]: '100' } }).map((g) =>
      g.role === 'data' ? { ...g, targetLaunchTemplateVersion: '2' } : g,
    );
    expect(run(es(['i-d4']), gs, 5000, { inRoll: true })).toEqual({ kind: 'none' });
    // Outside a roll the same instance is recorded.
    expect(run(es(['i-d4']), gs, 5000, { inRoll: false })).toMatchObject({ kind: 'record', value: 'i-d4@5000' });
  });
});

test('the record round-trips and stays under the tag limit', () => {
  const many = new Map(Array.from({ length: 12 }, (_, k) => [`i-0000000000000000${k.toString(16)}`, 1000 + k]));
  const text = formatMissing(many);
  expect(text.length).toBeLessThanOrEqual(256);
  expect(parseMissing(text).size).toBe(7);
  expect(parseMissing('i-d2@1000,garbage,i-d3@x')).toEqual(new Map([['i-d2', 1000]]));
});

describe('inside a roll: decide() treats Elasticsearch down on an EC2-healthy instance like a killed node', () => {
  // Worlds taken from a roll (gate-worlds.ts) at the moment decide() is about to exclude a data node.
  const atExclude = () => stage('exclude');

  test('first sight: the clock is written instead of a silent wait', async () => {
    const { world } = await atExclude();
    const victim = ids(world, 'master-asg')[1]!;
    const left = withEs(world, (es) => ({ ...es, nodes: es.nodes.filter((n) => n.name !== victim) }));
    const d = decideIn(left);
    expect(d.action).toEqual({ type: 'node-missing', group: 'master-asg', value: `${victim}@${world.now}` });
  });

  test('before the bound the roll waits on its own gate; at the bound it marks the instance Unhealthy', async () => {
    const { world } = await atExclude();
    const victim = ids(world, 'master-asg')[1]!;
    const left = withoutNode(world, victim); // clock started at world.now
    expect(decideIn({ ...left, now: world.now + 899 })).toMatchObject({
      action: { type: 'wait' },
      blockedBy: 'every-expected-node-present',
    });
    const d = decideIn({ ...left, now: world.now + 900 });
    expect(d).toMatchObject({
      action: { type: 'mark-unhealthy', group: 'master-asg', instanceId: victim },
      blockedBy: 'node-down',
    });
  });

  test('rollout.nodeDownMinutes 0: the roll only waits', async () => {
    const { world } = await atExclude();
    const victim = ids(world, 'master-asg')[1]!;
    const off = spec({ options: { ...spec().options, nodeDownSeconds: 0 } });
    const d = decideIn({ ...withoutNode(world, victim), now: world.now + 5000 }, off);
    expect(d).toMatchObject({ action: { type: 'wait' }, blockedBy: 'every-expected-node-present' });
  });

  test('a step that acts is never replaced by the check (only a wait is)', async () => {
    const { world, decision } = await atExclude();
    expect(decision.action.type).toBe('exclude');
    // A recorded clock of an instance that is a member again: the roll's own step goes first.
    const member = ids(world, 'data-asg')[0]!;
    const stale = withGroup(world, 'data-asg', (g) => ({
      ...g,
      tags: { ...g.tags, [TAG.nodeMissing]: `${member}@0` },
    }));
    expect(decideIn(stale).action.type).toBe('exclude');
  });
});
