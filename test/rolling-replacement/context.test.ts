/**
 * The derived view decide() reads (context.ts), on worlds taken in the middle of a roll: which instances are live,
 * the capacity, baseline and target of a group, the marks, node roles, and which exclusions are the rollout's own
 * (with and without the ownership record of earlier rollouts).
 */
import {
  foreignExclusions,
  groupState,
  isDataNode,
  isMasterEligible,
  ownedExclusions,
  ownedList,
  ownedVotingExclusions,
  shardsOnNode,
  suspendedByUs,
  unprotected,
} from '../../lambda/rolling-replacement/core/context';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import type { EsNodeView } from '../../lambda/rolling-replacement/core/types';
import {
  type World,
  ctxIn,
  group,
  snapshot,
  stageWorld,
  started,
  withEs,
  withGroup,
  withInstance,
} from './gate-worlds';

let idle: World;
let exclude: World;
beforeAll(async () => {
  idle = await snapshot(stageWorld('idle'));
  exclude = await snapshot(stageWorld('exclude'));
});

const node = (roles: string[]): EsNodeView => ({ name: 'n', id: 'n', version: '8.19.3', roles });

const withoutTag = (w: World, name: string, tag: string): World =>
  withGroup(w, name, (g) => {
    const tags: Record<string, string> = { ...g.tags };
    delete tags[tag];
    return { ...g, tags };
  });

describe('a group', () => {
  test.each(['Terminating', 'Terminating:Wait', 'Terminating:Proceed', 'Terminated'] as const)(
    'an instance %s is not live',
    (state) => {
      const w = withInstance(exclude, 'i-00000001', { lifecycleState: state });
      const g = groupState(group(w, 'data-asg'), 'data');
      expect(g.live.map((i) => i.instanceId)).toEqual(['i-00000002', 'i-00000003', 'i-00000007']);
      expect(ctxIn(w).liveInstanceIds.has('i-00000001')).toBe(false);
      expect(ctxIn(w).liveInstanceIds.has('i-00000002')).toBe(true);
      expect(ctxIn(w).allInstanceIds.has('i-00000001')).toBe(true);
    },
  );

  test('its capacity is the desired capacity, or the live instances when someone lowered it below them', () => {
    expect(groupState(group(exclude, 'data-asg'), 'data').capacity).toBe(4);
    const lowered = withGroup(exclude, 'data-asg', (g) => ({ ...g, desiredCapacity: 2 }));
    expect(groupState(group(lowered, 'data-asg'), 'data').capacity).toBe(4);
    const raised = withGroup(exclude, 'data-asg', (g) => ({ ...g, desiredCapacity: 6 }));
    expect(groupState(group(raised, 'data-asg'), 'data').capacity).toBe(6);
  });

  test('its baseline is the recorded capacity while locked, its capacity otherwise (a stale record is ignored)', () => {
    expect(groupState(group(exclude, 'data-asg'), 'data')).toMatchObject({ baseline: 3, locked: true, target: 3 });
    const unlocked = withoutTag(exclude, 'data-asg', TAG.rollout);
    expect(groupState(group(unlocked, 'data-asg'), 'data')).toMatchObject({ baseline: 4, locked: false });
    const noRecord = withoutTag(exclude, 'data-asg', TAG.capacity);
    expect(groupState(group(noRecord, 'data-asg'), 'data').baseline).toBe(4);
    expect(groupState(group(exclude, 'data-asg'), 'data', 2).target).toBe(2);
  });

  test('its outdated instances are the live ones from another launch template version', () => {
    const w = withInstance(exclude, 'i-00000002', { lifecycleState: 'Terminating' });
    const g = groupState(group(w, 'data-asg'), 'data');
    expect(g.outdated.map((i) => i.instanceId)).toEqual(['i-00000001', 'i-00000003']);
  });

  test('its unprotected instances are the InService ones without scale-in protection', () => {
    const w = withInstance(withInstance(exclude, 'i-00000001', { protectedFromScaleIn: false }), 'i-00000007', {
      protectedFromScaleIn: false,
      lifecycleState: 'Pending',
    });
    expect(unprotected(groupState(group(w, 'data-asg'), 'data'))).toEqual(['i-00000001']);
  });
});

test('the processes suspended by the roll are the ones its tag lists', () => {
  expect(suspendedByUs(groupState(group(exclude, 'data-asg'), 'data'))).toEqual(['AZRebalance']);
  const two = withGroup(exclude, 'data-asg', (g) => ({
    ...g,
    tags: { ...g.tags, [TAG.suspended]: 'AZRebalance,Launch' },
  }));
  expect(suspendedByUs(groupState(group(two, 'data-asg'), 'data'))).toEqual(['AZRebalance', 'Launch']);
});

describe('the marks', () => {
  test('abort, pause and the failure come from either group; the balancer setting from the data group only', () => {
    const marked = withGroup(exclude, 'master-asg', (g) => ({
      ...g,
      tags: { ...g.tags, [TAG.abort]: 'x', [TAG.paused]: 'x', [TAG.failed]: 'why', [TAG.rebalance]: 'all' },
    }));
    expect(ctxIn(marked).marks).toMatchObject({
      active: true,
      id: 'r1',
      abortRequested: true,
      paused: true,
      failed: 'why',
      rebalancePrev: '-',
    });
    expect(ctxIn(exclude).marks).toMatchObject({ abortRequested: false, paused: false, failed: undefined });
    expect(ctxIn(withoutTag(exclude, 'data-asg', TAG.rebalance)).marks.rebalancePrev).toBeUndefined();
    expect(ctxIn(idle).marks.active).toBe(false);
    const masterOnly = withoutTag(exclude, 'data-asg', TAG.rollout);
    expect(ctxIn(masterOnly).marks).toMatchObject({ active: true, id: 'r1' });
  });

  test('a missing group is named', async () => {
    const w = { ...exclude, fleet: exclude.fleet.filter((g) => g.name !== 'master-asg') };
    expect(() => ctxIn(w)).toThrow('missing master-asg');
    const noData = { ...exclude, fleet: exclude.fleet.filter((g) => g.name !== 'data-asg') };
    expect(() => ctxIn(noData)).toThrow('missing data-asg');
  });
});

describe('node roles and copies', () => {
  test('a data node has the data role or a data tier role; a master-eligible node the master role', () => {
    expect(isDataNode(node(['data_hot', 'ingest']))).toBe(true);
    expect(isDataNode(node(['data']))).toBe(true);
    expect(isDataNode(node(['master', 'ingest', 'hot_data']))).toBe(false);
    expect(isDataNode(undefined)).toBe(false);
    expect(isMasterEligible(node(['master']))).toBe(true);
    expect(isMasterEligible(node(['data']))).toBe(false);
    expect(isMasterEligible(undefined)).toBe(false);
  });

  test("a node's copies are the ones it holds and the ones relocating to it", () => {
    const w = withEs(exclude, (es) => ({
      ...es,
      shards: [
        started('a', 0, 'i-00000001'),
        { ...started('b', 0, 'i-00000002'), state: 'RELOCATING' as const, relocatingTo: 'i-00000001' },
        started('c', 0, 'i-00000002'),
      ],
    }));
    expect(shardsOnNode(w.es, 'i-00000001').map((s) => s.index)).toEqual(['a', 'b']);
  });
});

describe('ownership of exclusions', () => {
  test('with the record: exactly the recorded entries that are set', () => {
    const w = withGroup(
      withEs(exclude, (es) => ({ ...es, allocationExcludeNames: ['i-00000001', 'i-00000002'] })),
      'data-asg',
      (g) => ({ ...g, tags: { ...g.tags, [TAG.excluded]: 'i-00000001,i-00000009' } }),
    );
    expect(ownedExclusions(ctxIn(w))).toEqual(['i-00000001']);
  });

  test("without a record (an earlier rollout): instance ids of the cluster's groups or of gone nodes, nothing else", () => {
    const w = withoutTag(
      withEs(exclude, (es) => ({
        ...es,
        nodes: [...es.nodes, { ...node(['data']), name: 'i-0000beef' }],
        allocationExcludeNames: [
          'i-00000001',
          'i-0000dead',
          'i-0000beef',
          'es-hot-1',
          'x-i-00000002',
          'i-0000dead_old',
        ],
      })),
      'data-asg',
      TAG.excluded,
    );
    // i-0000beef is a live member outside the groups (someone else's node); es-hot-1 and x-i-… are not instance ids.
    expect(ownedExclusions(ctxIn(w))).toEqual(['i-00000001', 'i-0000dead']);
  });

  test('voting exclusions: the recorded ones; without a record, every one', () => {
    const set = withEs(exclude, (es) => ({ ...es, votingExclusions: ['i-00000004', 'i-0000beef'] }));
    const recorded = withGroup(set, 'master-asg', (g) => ({ ...g, tags: { ...g.tags, [TAG.voting]: 'i-00000004' } }));
    expect(ownedVotingExclusions(ctxIn(recorded))).toEqual(['i-00000004']);
    expect(ownedVotingExclusions(ctxIn(withoutTag(set, 'master-asg', TAG.voting)))).toEqual([
      'i-00000004',
      'i-0000beef',
    ]);
  });

  test("someone else's: allocation exclusions naming a live node that are not ours, every voting exclusion not ours", () => {
    const w = withEs(exclude, (es) => ({
      ...es,
      allocationExcludeNames: ['i-00000001', 'i-00000002', 'i-0000dead'],
      votingExclusions: ['i-00000004'],
    }));
    const ours = withGroup(w, 'data-asg', (g) => ({ ...g, tags: { ...g.tags, [TAG.excluded]: 'i-00000001' } }));
    // i-0000dead names no live node: a leftover, not someone draining a node now.
    expect(foreignExclusions(ctxIn(ours))).toEqual({ allocation: ['i-00000002'], voting: ['i-00000004'] });
    // A member outside the groups, and an instance of the groups that has not joined yet, are live too.
    const others = withInstance(
      withEs(ours, (es) => ({
        ...es,
        nodes: [...es.nodes.filter((n) => n.name !== 'i-00000007'), { ...node(['data']), name: 'i-0000beef' }],
        allocationExcludeNames: ['i-0000beef', 'i-00000007'],
      })),
      'i-00000007',
      { lifecycleState: 'Pending' },
    );
    expect(foreignExclusions(ctxIn(others)).allocation).toEqual(['i-0000beef', 'i-00000007']);
    // Our own voting exclusion is not someone else's.
    const ownVoting = withGroup(ours, 'master-asg', (g) => ({ ...g, tags: { ...g.tags, [TAG.voting]: 'i-00000004' } }));
    expect(foreignExclusions(ctxIn(ownVoting)).voting).toEqual([]);
    // Before the lock nothing is ours, whatever the tags say.
    const before = withEs(
      withGroup(idle, 'data-asg', (g) => ({ ...g, tags: { ...g.tags, [TAG.excluded]: 'i-00000001' } })),
      (es) => ({ ...es, allocationExcludeNames: ['i-00000001'], votingExclusions: ['i-00000004'] }),
    );
    const m = withGroup(before, 'master-asg', (g) => ({ ...g, tags: { ...g.tags, [TAG.voting]: 'i-00000004' } }));
    expect(foreignExclusions(ctxIn(m))).toEqual({ allocation: ['i-00000001'], voting: ['i-00000004'] });
  });

  test('an ownership list adds without duplicates and removes', () => {
    expect(ownedList('i-1,i-2', ['i-2', 'i-3'])).toBe('i-1,i-2,i-3');
    expect(ownedList('i-1,i-2', [], ['i-1'])).toBe('i-2');
    expect(ownedList(undefined, ['i-1'])).toBe('i-1');
  });
});
