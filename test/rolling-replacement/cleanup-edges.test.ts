/**
 * Cleanup (cleanup.ts) cases the quick mutation run (npm run test:mutation:unit) found uncovered: a handoff left by
 * the roll, a MinSize that forbids the decrement, a long task on the surge node, someone else's exclusions, and the
 * scale-in protection restored before the lock is released.
 */
import { NONE, TAG } from '../../lambda/rolling-replacement/core/tags';
import {
  type World,
  decideIn,
  snapshot,
  stageWorld,
  withEs,
  withGroup,
  withInstance,
  withOwnedExclusions,
  withOwnedVoting,
} from './gate-worlds';
import { spec } from './helpers';

const abort = spec({ mode: 'abort', abortReason: 'stack rollback' });
const SURGE = 'i-00000007';

let complete: World;
let exclude: World;
beforeAll(async () => {
  complete = await snapshot(stageWorld('complete'));
  exclude = await snapshot(stageWorld('exclude'));
});

/** The complete world with the balancer setting restored and the processes resumed: next come protection and release. */
const restored = (w: World): World =>
  withEs(
    w.fleet.reduce((acc, g) => withGroup(acc, g.name, (x) => ({ ...x, suspendedProcesses: [] })), w),
    (es) => ({ ...es, rebalanceEnable: { persistent: null, transient: null } }),
  );

describe('cleanup undoes a volume handoff first', () => {
  test('an abort during a handoff enables allocation again before anything else', () => {
    const w = withEs(
      withGroup(complete, 'data-asg', (g) => ({ ...g, tags: { ...g.tags, [TAG.handoff]: 'i-00000003' } })),
      (es) => ({ ...es, allocationEnable: 'primaries' }),
    );
    expect(decideIn(w, abort).action).toEqual({ type: 'handoff-rejoined', node: 'i-00000003' });
  });
});

describe('cleanup removes the surge node only as Auto Scaling allows', () => {
  test('with MinSize at the baseline, the empty surge node is terminated with a decrement', () => {
    const w = withGroup(exclude, 'data-asg', (g) => ({ ...g, minSize: 3 }));
    const d = decideIn(w, abort);
    expect(d.action).toMatchObject({ type: 'terminate', instanceId: SURGE, decrement: true });
  });

  test('with MinSize raised above the baseline, the surge node stays (a decrement would fail)', () => {
    const w = withGroup(exclude, 'data-asg', (g) => ({ ...g, minSize: 4 }));
    expect(decideIn(w, abort).action.type).not.toBe('terminate');
  });

  test('the surge node kept for MinSize is named in the released lock (elkctl roll status shows it)', () => {
    const w = restored(withGroup(exclude, 'data-asg', (g) => ({ ...g, minSize: 4 })));
    const d = decideIn(w, abort);
    expect(d.action).toMatchObject({ type: 'release', left: expect.stringContaining('MinSize 4') });
  });

  test('a long task on the surge node holds its termination', () => {
    const w = withEs(exclude, (es) => ({
      ...es,
      tasks: [{ id: 'n7:9', node: SURGE, action: 'indices:data/write/reindex', runningSeconds: 60 }],
    }));
    const d = decideIn(w, abort);
    expect(d.action.type).toBe('wait-for-tasks');
    expect(d.blockedBy).toBe('in-flight-tasks');
  });
});

describe("cleanup never clears someone else's exclusions", () => {
  test("clearing ours keeps an operator's allocation exclusion in the setting", () => {
    const w = withEs(withOwnedExclusions(complete, ['i-00000001']), (es) => ({
      ...es,
      allocationExcludeNames: ['i-00000001', 'i-0000beef'],
    }));
    const d = decideIn(w, abort);
    expect(d.action).toMatchObject({
      type: 'clear-exclusion',
      nodes: ['i-00000001'],
      names: ['i-0000beef'],
      // The ownership record is emptied: the operator's exclusion never becomes ours.
      record: { group: 'data-asg', tag: TAG.excluded, value: NONE },
    });
  });

  test('voting exclusions are not cleared while one of them is not ours (they clear all at once)', () => {
    const ours = withOwnedVoting(complete, ['i-00000004']);
    expect(decideIn(ours, abort).action.type).toBe('clear-voting-exclusions');
    const mixed = withEs(ours, (es) => ({ ...es, votingExclusions: ['i-00000004', 'i-0000beef'] }));
    expect(decideIn(mixed, abort).action.type).not.toBe('clear-voting-exclusions');
  });
});

describe('cleanup with unbalanced zones', () => {
  test('AZRebalance stays suspended, the other processes the roll suspended are resumed', () => {
    const w = withGroup(restored(complete), 'data-asg', (g) => ({
      ...g,
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      suspendedProcesses: ['AZRebalance', 'ScheduledActions'],
      tags: { ...g.tags, [TAG.suspended]: 'AZRebalance,ScheduledActions' },
    }));
    expect(decideIn(w, abort).action).toEqual({
      type: 'resume-processes',
      group: 'data-asg',
      processes: ['ScheduledActions'],
    });
  });
});

describe('cleanup restores scale-in protection before releasing the lock', () => {
  test('an unprotected instance is protected, then the lock is released', () => {
    const w = restored(complete);
    expect(decideIn(w, abort).action.type).toBe('release');
    const open = withInstance(w, 'i-00000008', { protectedFromScaleIn: false });
    expect(decideIn(open, abort).action).toEqual({
      type: 'protect',
      group: 'data-asg',
      instanceIds: ['i-00000008'],
    });
  });
});

describe('the MinSize rule holds only a termination with a decrement', () => {
  test('someone lowered the desired capacity: the surge node goes without a decrement, whatever MinSize is', () => {
    // 4 live data instances, desired 3 (lowered by someone), MinSize 3: terminating without a decrement brings the
    // group to its desired capacity, so MinSize does not stand in the way (a decrement to 2 would).
    const w = withGroup(exclude, 'data-asg', (g) => ({ ...g, desiredCapacity: 3, minSize: 3 }));
    expect(decideIn(w, abort).action).toMatchObject({ type: 'terminate', instanceId: SURGE, decrement: false });
  });
});

describe('the released lock names only the groups that held it', () => {
  test('a roll that never locked the master group releases the data group alone', () => {
    const dataOnly = withGroup(restored(complete), 'master-asg', (g) => {
      const tags: Record<string, string> = { ...g.tags };
      delete tags[TAG.rollout];
      return { ...g, tags };
    });
    expect(decideIn(dataOnly, abort).action).toMatchObject({ type: 'release', groups: ['data-asg'] });
    expect(decideIn(restored(complete), abort).action).toMatchObject({
      type: 'release',
      groups: ['master-asg', 'data-asg'],
    });
  });
});
