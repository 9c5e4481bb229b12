/**
 * decide()'s own rules between the gates: which node goes next, what a step's action carries, when the roll is
 * complete, adoption by a newer rollout, the join clock, setup and the restoring cleanup.
 */
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import type { Decision } from '../../lambda/rolling-replacement/core/types';
import { FakeWorld } from './fake-world';
import {
  type World,
  decideIn,
  snapshot,
  stage,
  started,
  withEs,
  withGroup,
  withInstance,
  withNode,
  withShards,
  withoutNode,
} from './gate-worlds';
import { drive, spec } from './helpers';

const at = async (s: Parameters<typeof stage>[0]) => (await stage(s)).world;
const gated = (d: Decision) => ({ type: d.action.type, blockedBy: d.blockedBy });

describe('which node goes next', () => {
  test('a master other than the elected one is voting-excluded first', async () => {
    const w = await at('voting');
    expect(decideIn(w).action).toMatchObject({ type: 'voting-exclusion', node: 'i-00000005' });
    const elected5 = withEs(w, (es) => ({ ...es, electedMaster: 'i-00000005' }));
    expect(decideIn(elected5).action).toMatchObject({ type: 'voting-exclusion', node: 'i-00000004' });
  });

  test('the data node holding the fewest bytes is drained first', async () => {
    const w = withShards(await at('exclude'), [started('big', 0, 'i-00000001', true, 5000)]);
    expect(decideIn(w).action).toMatchObject({ type: 'exclude', node: 'i-00000002', names: ['i-00000002'] });
  });

  test("an exclusion keeps the operator's own entries", async () => {
    const w = withEs(await at('exclude'), (es) => ({ ...es, allocationExcludeNames: ['hot-node-7'] }));
    expect(decideIn(w).action).toMatchObject({
      type: 'exclude',
      node: 'i-00000001',
      names: ['hot-node-7', 'i-00000001'],
    });
  });

  test('a master+data node is drained before its voting exclusion, and voting-excluded once drained', async () => {
    const w = withNode(await at('voting'), 'i-00000005', { roles: ['master', 'data'] });
    expect(decideIn(w).action).toMatchObject({ type: 'exclude', node: 'i-00000005', names: ['i-00000005'] });
    const excluded = withGroup(
      withEs(w, (es) => ({ ...es, allocationExcludeNames: ['i-00000005'] })),
      'data-asg',
      (g) => ({ ...g, tags: { ...g.tags, [TAG.excluded]: 'i-00000005' } }),
    );
    expect(decideIn(excluded).action).toMatchObject({ type: 'voting-exclusion', node: 'i-00000005' });
  });

  test('a voting-excluded master+data node that is not excluded yet is drained first', async () => {
    const w = withNode(await at('masterTerminate'), 'i-00000005', { roles: ['master', 'data'] });
    expect(decideIn(w).action).toMatchObject({ type: 'exclude', node: 'i-00000005', names: ['i-00000005'] });
  });
});

describe('what a step carries', () => {
  test('a surge raises the desired capacity by one and records when', async () => {
    const w = { ...(await at('dataSurge')), now: 1234 };
    expect(decideIn(w).action).toMatchObject({ type: 'surge', group: 'data-asg', desiredCapacity: 4, surgeAt: 1234 });
  });

  test('a drain in progress reports the copies and bytes left', async () => {
    const w = withShards(await at('dataTerminate'), [started('logs', 1, 'i-00000001', false, 700)]);
    expect(decideIn(w).action).toMatchObject({
      type: 'wait-for-drain',
      node: 'i-00000001',
      shardsLeft: 1,
      bytesLeft: 700,
    });
  });

  test('a termination names the instance and the lifecycle state it must still be in', async () => {
    expect(decideIn(await at('dataTerminate')).action).toMatchObject({
      type: 'terminate',
      group: 'data-asg',
      instanceId: 'i-00000001',
      expectedLifecycleState: 'InService',
    });
  });

  test('a step that nothing blocks carries no blockedBy at all', async () => {
    for (const s of ['dataSurge', 'exclude', 'dataTerminate', 'voting'] as const) {
      expect(Object.keys(decideIn(await at(s))).sort()).toEqual(['action', 'reason']);
    }
  });
});

describe('waiting for a replacement to join', () => {
  test('waits while the surge instance has not launched, has not joined, or joined with another version', async () => {
    const w = await at('exclude');
    const fewer = withGroup(w, 'data-asg', (g) => ({ ...g, instances: g.instances.slice(0, 3) }));
    expect(gated(decideIn(fewer))).toEqual({ type: 'wait-for-join', blockedBy: 'replacement-joins-in-time' });
    expect(decideIn(withoutNode(w, 'i-00000007')).action.type).toBe('wait-for-join');
    const old = withNode(w, 'i-00000007', { version: '8.18.2' });
    expect(decideIn(old).action.type).toBe('wait-for-join');
    expect(decideIn(old).reason).toMatch(/joined with 8\.18\.2, expected 8\.19\.3/);
    expect(decideIn(withInstance(w, 'i-00000007', { lifecycleState: 'Pending:Wait' })).action.type).toBe(
      'wait-for-join',
    );
  });

  test('fails the roll only after the join timeout has passed since the wait began', async () => {
    const w = await at('waitJoin');
    // The join-wait mark says 150; the timeout is 1800 s.
    expect(decideIn({ ...w, now: 150 + 1800 }).action.type).toBe('wait-for-join');
    const late = decideIn({ ...w, now: 150 + 1801 });
    expect(gated(late)).toEqual({ type: 'mark-failed', blockedBy: 'replacement-joins-in-time' });
    expect(late.action).toMatchObject({ group: 'data-asg' });
  });
});

describe('completion', () => {
  test('cleanup first restores the balancer setting it found (unset)', async () => {
    expect(decideIn(await at('complete')).action).toMatchObject({ type: 'set-rebalance', value: null });
  });

  test('restores the rebalance value it found before the roll', async () => {
    const w = withGroup(await at('complete'), 'data-asg', (g) => ({
      ...g,
      tags: { ...g.tags, [TAG.rebalance]: 'primaries' },
    }));
    expect(decideIn(w).action).toMatchObject({ type: 'set-rebalance', value: 'primaries' });
    const restored = withEs(w, (es) => ({ ...es, rebalanceEnable: { persistent: 'primaries', transient: null } }));
    expect(decideIn(restored).action).toMatchObject({
      type: 'resume-processes',
      group: 'data-asg',
      processes: ['AZRebalance'],
    });
  });

  test('releases the master group before the data group, with the result', async () => {
    let w = withEs(await at('complete'), (es) => ({ ...es, rebalanceEnable: { persistent: null, transient: null } }));
    w = { ...w, fleet: w.fleet.map((g) => ({ ...g, suspendedProcesses: [] })) };
    const d = decideIn(w);
    expect(d.action).toMatchObject({
      type: 'release',
      groups: ['master-asg', 'data-asg'],
      outcome: 'completed',
      result: 'completed:r1',
    });
  });

  test('does not complete while a node is missing from the cluster', async () => {
    const d = decideIn(withoutNode(await at('complete'), 'i-00000008'));
    expect(gated(d)).toEqual({ type: 'wait', blockedBy: 'every-expected-node-present' });
  });

  test('does not complete while a node still runs another version', async () => {
    const d = decideIn(withNode(await at('complete'), 'i-00000008', { version: '8.18.2' }));
    expect(gated(d)).toEqual({ type: 'wait', blockedBy: 'joined-with-target-version' });
  });

  test('does not complete while one of its data nodes is still excluded and holds data', async () => {
    const w = withGroup(
      withEs(await at('complete'), (es) => ({ ...es, allocationExcludeNames: ['i-00000008'] })),
      'data-asg',
      (g) => ({ ...g, tags: { ...g.tags, [TAG.excluded]: 'i-00000008' } }),
    );
    expect(decideIn(w).action.type).toBe('wait-for-drain');
  });

  test('does not complete while a live master is still voting-excluded', async () => {
    const w = withGroup(
      withEs(await at('complete'), (es) => ({ ...es, votingExclusions: ['i-0000000b'] })),
      'master-asg',
      (g) => ({ ...g, tags: { ...g.tags, [TAG.voting]: 'i-0000000b' } }),
    );
    expect(gated(decideIn(w))).toEqual({ type: 'wait', blockedBy: 'capacity-as-expected' });
  });

  test('with nothing outdated but a node on another version, an idle roll waits instead of finishing', async () => {
    const w = new FakeWorld();
    for (const g of w.groups) g.target = '1';
    const d = decideIn(await snapshot(w));
    expect(gated(d)).toEqual({ type: 'wait', blockedBy: 'joined-with-target-version' });
  });
});

describe('rollout ownership and setup', () => {
  test('a newer rollout adopts the unfinished roll, naming every locked group', async () => {
    const w = await at('exclude');
    expect(decideIn(w, spec({ rolloutId: 'r2' })).action).toMatchObject({
      type: 'adopt',
      groups: ['data-asg', 'master-asg'],
      rolloutId: 'r2',
    });
    const dataOnly = withGroup(w, 'master-asg', (g) => ({ ...g, tags: {} }));
    expect(decideIn(dataOnly, spec({ rolloutId: 'r2' })).action).toMatchObject({
      type: 'adopt',
      groups: ['data-asg'],
      rolloutId: 'r2',
    });
  });

  test('takes the lock of the master group too, then suspends, then turns the balancer off', async () => {
    const unlockedMaster = withGroup(await at('dataSurge'), 'master-asg', (g) => ({ ...g, tags: {} }));
    expect(decideIn(unlockedMaster).action).toMatchObject({ type: 'begin', group: 'master-asg' });
    const notSuspended = withGroup(await at('dataSurge'), 'master-asg', (g) => ({ ...g, suspendedProcesses: [] }));
    expect(decideIn(notSuspended).action).toMatchObject({
      type: 'suspend-processes',
      group: 'master-asg',
      processes: ['AZRebalance'],
    });
    const balancing = withEs(await at('dataSurge'), (es) => ({
      ...es,
      rebalanceEnable: { persistent: null, transient: null },
    }));
    expect(decideIn(balancing).action).toMatchObject({ type: 'set-rebalance', value: 'none' });
  });

  test('with controlRebalance off the roll never touches the balancer', async () => {
    const s = spec({ options: { ...spec().options, controlRebalance: false } });
    const idle = decideIn(await at('idle'), s);
    expect(idle.action.type).toBe('begin');
    expect(idle.action.type === 'begin' && idle.action.tags[TAG.rebalance]).toBeUndefined();
    const balancing = withEs(await at('dataSurge'), (es) => ({
      ...es,
      rebalanceEnable: { persistent: null, transient: null },
    }));
    expect(decideIn(balancing, s).action.type).toBe('surge');
    const w = new FakeWorld();
    const r = await drive(w, s);
    expect(r.outcome).toBe('completed');
    expect(r.decisions.some((d) => d.action.type === 'set-rebalance')).toBe(false);
  });

  test('the lock records the capacity, the processes it suspends and the balancer setting it found', async () => {
    const w = withGroup(await at('idle'), 'data-asg', (g) => ({ ...g, suspendedProcesses: ['Launch'] }));
    const s = spec({ options: { ...spec().options, suspendProcesses: ['Launch', 'AZRebalance'] } });
    const d = decideIn(
      withEs(w, (es) => ({ ...es, rebalanceEnable: { persistent: 'replicas', transient: null } })),
      s,
    );
    expect(d.action).toMatchObject({
      type: 'begin',
      group: 'data-asg',
      tags: {
        [TAG.rollout]: 'r1',
        [TAG.capacity]: '3',
        [TAG.suspended]: 'AZRebalance',
        [TAG.rebalance]: 'replicas',
      },
    });
  });
});

describe('observation', () => {
  test('waits while a group is not found', async () => {
    const w: World = await at('dataSurge');
    const d = decideIn({ ...w, fleet: w.fleet.filter((g) => g.name !== 'master-asg') });
    expect(gated(d)).toEqual({ type: 'wait', blockedBy: 'observed-state-known' });
    expect(d.reason).toMatch(/master-asg not found/);
  });
});
