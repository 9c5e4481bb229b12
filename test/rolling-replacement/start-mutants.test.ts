/**
 * Before the lock (start.ts), as decide() cases on the idle world of a default roll (3 data, 3 masters, every instance
 * outdated): an abort with nothing to clean up, the result tag of an earlier run of the same rollout, the refusals
 * before anything is changed (a red or hard-blocked cluster, a planned scale-in the replicas or the masters do not
 * fit, a group with no room for a surge). Each case is a world in which exactly that rule decides; they run in
 * milliseconds, for the mutation runs (issue 21).
 */
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import {
  DEFAULT_OPTIONS,
  type Decision,
  type UnassignedExplanation,
} from '../../lambda/rolling-replacement/core/types';
import { FakeWorld } from './fake-world';
import {
  type World,
  decideIn,
  ids,
  snapshot,
  stageWorld,
  started,
  withEs,
  withGroup,
  withHealth,
  withInstance,
  withShards,
} from './gate-worlds';
import { spec } from './helpers';

let idle: World;
beforeAll(async () => {
  idle = await snapshot(stageWorld('idle'));
});

const withResult = (w: World, result: string): World =>
  withGroup(w, 'data-asg', (g) => ({ ...g, tags: { ...g.tags, [TAG.result]: result } }));

const refused = (d: Decision, blockedBy: string): void => {
  expect(d.action).toEqual({ type: 'done', outcome: 'failed' });
  expect(d.blockedBy).toBe(blockedBy);
  expect(d.reason).toMatch(/^refusing to begin: .*nothing was changed/);
};

const begins = (d: Decision): void => expect(d.action).toMatchObject({ type: 'begin', group: 'data-asg' });

describe('an abort with no rollout in progress', () => {
  test('does not take the lock: done (aborted), with the abort reason', () => {
    const d = decideIn(idle, spec({ mode: 'abort', abortReason: 'stack deleted' }));
    expect(d.action).toEqual({ type: 'done', outcome: 'aborted' });
    expect(d.reason).toMatch(/^stack deleted: no rollout in progress, nothing to clean up$/);
  });

  test('without a reason, says "abort"', () => {
    const d = decideIn(idle, spec({ mode: 'abort' }));
    expect(d.action).toEqual({ type: 'done', outcome: 'aborted' });
    expect(d.reason).toMatch(/^abort: no rollout in progress/);
  });
});

describe('the result tag of an earlier run', () => {
  test('does not begin again a rollout that failed (no attempt on either side): done (failed)', () => {
    const d = decideIn(withResult(idle, 'failed:r1'), spec());
    expect(d.action).toEqual({ type: 'done', outcome: 'failed' });
    expect(d.reason).toMatch(/already finished: failed/);
  });

  test('does not take the result of another rollout for its own: begins', () => {
    begins(decideIn(withResult(idle, 'completed:r0'), spec()));
  });

  test('does not retry a completed rollout for a new attempt: done (completed)', () => {
    const d = decideIn(withResult(idle, 'completed:r1:a1'), spec({ attempt: 'a2' }));
    expect(d.action).toEqual({ type: 'done', outcome: 'completed' });
  });

  test('does not retry a failed rollout when the deployment carries no attempt: done (failed)', () => {
    const d = decideIn(withResult(idle, 'failed:r1:a1'), spec());
    expect(d.action).toEqual({ type: 'done', outcome: 'failed' });
  });

  test('retries a failed rollout for a new attempt (a redeploy of the same change), and not for the same one', () => {
    begins(decideIn(withResult(idle, 'failed:r1:a1'), spec({ attempt: 'a2' })));
    expect(decideIn(withResult(idle, 'failed:r1:a1'), spec({ attempt: 'a1' })).action).toEqual({
      type: 'done',
      outcome: 'failed',
    });
  });
});

describe('a result tag that is not "<outcome>:<rollout>[:<attempt>]" is not a result', () => {
  test.each([
    ['text before the outcome', 'was-completed:r1'],
    ['text after the rollout id', 'completed:r1 (by hand)'],
  ])('%s: the roll begins', (_, result) => {
    begins(decideIn(withResult(idle, result), spec()));
  });
});

describe('taking the lock', () => {
  test('the lock records the workflow start (attempt) that takes it, and no attempt without one', () => {
    const d = decideIn(idle, spec({ attempt: 'a7' }));
    expect(d.action).toMatchObject({ type: 'begin', tags: { [TAG.attempt]: 'a7' } });
    const without = decideIn(idle, spec());
    begins(without);
    expect(without.action.type === 'begin' && TAG.attempt in without.action.tags).toBe(false);
  });

  test('a planned scale-in with nothing outdated still takes the lock, and names the scale-in', async () => {
    const current = await snapshot(new FakeWorld({ lt: '2' }));
    const d = decideIn(current, spec({ counts: { data: 2, master: 3 } }));
    begins(d);
    expect(d.reason).toMatch(/^0 outdated instance\(s\), planned scale-in data-asg 3 → 2: taking the rollout lock/);
  });

  test('does not take the lock before the pre-roll snapshot (rollout.snapshotBeforeRoll) is taken', () => {
    const s = spec({ options: { ...DEFAULT_OPTIONS, snapshotBeforeRoll: 'backups' } });
    const d = decideIn(
      withEs(idle, (es) => ({ ...es, snapshots: [] })),
      s,
    );
    expect(d.action).toMatchObject({ type: 'create-snapshot', repository: 'backups' });
  });

  test('the setup after the lock protects an instance without scale-in protection before the first surge', async () => {
    const locked = await snapshot(stageWorld('dataSurge'));
    const id = ids(locked, 'data-asg')[1]!;
    const d = decideIn(withInstance(locked, id, { protectedFromScaleIn: false }), spec());
    expect(d.action).toEqual({ type: 'protect', group: 'data-asg', instanceIds: [id] });
  });
});

describe('cluster health before the lock', () => {
  const explained = (
    index: string,
    shard: number,
    canAllocate: string,
    noDeciders: string[],
  ): UnassignedExplanation => ({
    index,
    shard,
    primary: false,
    canAllocate,
    nodeDecisions: noDeciders.length ? [{ nodeName: 'i-00000002', decision: 'no', noDeciders }] : [],
  });
  const unassigned = (index: string, shard: number) => ({
    index,
    shard,
    primary: false,
    state: 'UNASSIGNED' as const,
    bytes: 0,
  });

  test('refuses to begin on a red cluster even when no unassigned primary is listed', () => {
    refused(decideIn(withHealth(idle, { status: 'red' }), spec()), 'cluster-green-or-version-yellow');
  });

  test('refuses to begin when one unassigned replica is refused, even beside one still being allocated', () => {
    const w = withEs(withHealth(idle, { status: 'yellow', unassignedShards: 2 }), (es) => ({
      ...es,
      shards: [...es.shards, unassigned('a', 0), unassigned('b', 0)],
      explanations: [explained('a', 0, 'allocation_delayed', []), explained('b', 0, 'no', ['filter'])],
    }));
    refused(decideIn(w, spec()), 'cluster-green-or-version-yellow');
  });

  test('does not refuse (waits) while replicas are only still being allocated', () => {
    const w = withEs(withHealth(idle, { status: 'yellow', unassignedShards: 1 }), (es) => ({
      ...es,
      shards: [...es.shards, unassigned('a', 0)],
      explanations: [explained('a', 0, 'allocation_delayed', [])],
    }));
    expect(decideIn(w, spec())).toMatchObject({
      action: { type: 'wait' },
      blockedBy: 'cluster-green-or-version-yellow',
    });
  });
});

describe('a planned scale-in before the lock', () => {
  const counts = (data: number, master: number) => spec({ counts: { data, master } });

  test('refuses a data scale-in below the copies of the most replicated shard, wherever it is listed', () => {
    // The default index has 2 copies per shard (fits 2 nodes); "zz" (listed last, named last) has 3.
    const data = ids(idle, 'data-asg');
    const w = withShards(
      idle,
      data.map((n, k) => started('zz', 0, n, k === 0)),
    );
    const d = decideIn(w, counts(2, 3));
    refused(d, 'replicas-fit-remaining-nodes');
    expect(d.reason).toMatch(/to 2 data nodes .*zz\/0 has 3 copies/);
    // Without "zz", the same scale-in fits.
    begins(decideIn(idle, counts(2, 3)));
  });

  test('does not refuse a roll without a planned scale-in when a shard has more copies than the data group has nodes', () => {
    // A master+data node holds the fourth copy: the data group's 3 nodes are not all the data nodes.
    const master = ids(idle, 'master-asg')[0]!;
    const holders = [...ids(idle, 'data-asg'), master];
    const w = withShards(
      withEs(idle, (es) => ({
        ...es,
        nodes: es.nodes.map((n) => (n.name === master ? { ...n, roles: ['master', 'data'] } : n)),
      })),
      holders.map((n, k) => started('wide', 0, n, k === 0)),
    );
    begins(decideIn(w, spec()));
  });

  test('refuses a planned scale-in of the master group to zero', () => {
    const d = decideIn(idle, counts(3, 0));
    refused(d, 'replicas-fit-remaining-nodes');
    expect(d.reason).toMatch(/master-asg to 0 leaves no master-eligible node/);
  });

  test('does not refuse a master scale-in that leaves a master (3 → 1: one voting exclusion at a time)', () => {
    begins(decideIn(idle, counts(3, 1)));
  });

  test('does not refuse a roll whose master group is empty and stays so (the masters are master+data nodes)', () => {
    const w = withEs(
      withGroup(idle, 'master-asg', (g) => ({ ...g, desiredCapacity: 0, instances: [] })),
      (es) => ({
        ...es,
        nodes: es.nodes.filter((n) => n.roles.includes('data')).map((n) => ({ ...n, roles: ['master', 'data'] })),
      }),
    );
    const d = decideIn(w, counts(3, 0));
    expect(d.blockedBy).not.toBe('replicas-fit-remaining-nodes');
    expect(d.action).not.toEqual({ type: 'done', outcome: 'failed' });
  });
});

describe('no room for a surge before the lock', () => {
  const full = (w: World, name: string): World => withGroup(w, name, (g) => ({ ...g, maxSize: g.desiredCapacity }));

  test('refuses to begin when the data group is at its MaxSize', () => {
    const d = decideIn(full(idle, 'data-asg'), spec());
    refused(d, 'surge-capacity-available');
    expect(d.reason).toMatch(/data-asg MaxSize 3 leaves no room/);
  });

  test('refuses to begin when the master group is at its MaxSize, though the data group has room', () => {
    const d = decideIn(full(idle, 'master-asg'), spec());
    refused(d, 'surge-capacity-available');
    expect(d.reason).toMatch(/master-asg MaxSize 3 leaves no room/);
  });

  test('does not refuse a full group that has nothing outdated (it needs no surge)', () => {
    const current = withGroup(full(idle, 'master-asg'), 'master-asg', (g) => ({
      ...g,
      targetLaunchTemplateVersion: g.instances[0]!.launchTemplateVersion,
    }));
    begins(decideIn(current, spec()));
  });
});
