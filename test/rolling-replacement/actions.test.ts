/**
 * The small builders of the decision modules (actions.ts), on worlds taken in the middle of a roll: a decision carries
 * blockedBy only when a gate blocks, the ownership records add and remove exactly the named nodes, a termination
 * decrements the desired capacity only when the group does not already run more instances than desired, protection is
 * asked for the unprotected InService instances of the first group that has any, and a node's bytes are the sum of its
 * copies'.
 */
import {
  act,
  bytesOn,
  excludedRecord,
  protectAll,
  terminate,
  votingRecord,
  wait,
} from '../../lambda/rolling-replacement/core/actions';
import { NONE, TAG } from '../../lambda/rolling-replacement/core/tags';
import {
  type World,
  ctxIn,
  snapshot,
  stageWorld,
  started,
  withEs,
  withGroup,
  withInstance,
  withOwnedExclusions,
} from './gate-worlds';

let exclude: World;
let voting: World;
beforeAll(async () => {
  exclude = await snapshot(stageWorld('exclude'));
  voting = await snapshot(stageWorld('masterTerminate'));
});

describe('a decision', () => {
  test('names the blocking gate only when there is one (no blockedBy key otherwise)', () => {
    expect(act({ type: 'wait' }, 'why')).toStrictEqual({ action: { type: 'wait' }, reason: 'why' });
    expect(act({ type: 'wait' }, 'why', 'not-paused')).toStrictEqual({
      action: { type: 'wait' },
      reason: 'why',
      blockedBy: 'not-paused',
    });
    expect(wait('not-paused', 'paused')).toStrictEqual({
      action: { type: 'wait' },
      reason: 'paused',
      blockedBy: 'not-paused',
    });
  });
});

describe('ownership records', () => {
  test('the allocation-exclusion record adds and removes exactly the named nodes, on the data group', () => {
    const ctx = ctxIn(withOwnedExclusions(exclude, ['i-00000001', 'i-00000002']));
    expect(excludedRecord(ctx, ['i-00000003'])).toEqual({
      group: 'data-asg',
      tag: TAG.excluded,
      value: 'i-00000001,i-00000002,i-00000003',
    });
    expect(excludedRecord(ctx, [], ['i-00000001'])).toEqual({
      group: 'data-asg',
      tag: TAG.excluded,
      value: 'i-00000002',
    });
  });

  test('the voting record adds a node to the master group’s list, or is emptied (all cleared at once)', () => {
    const ctx = ctxIn(voting);
    expect(votingRecord(ctx, 'i-0000000a')).toEqual({
      group: 'master-asg',
      tag: TAG.voting,
      value: 'i-00000005,i-0000000a',
    });
    expect(votingRecord(ctx)).toEqual({ group: 'master-asg', tag: TAG.voting, value: NONE });
  });
});

describe('a termination', () => {
  test('decrements the desired capacity while the group runs no more instances than desired', () => {
    const ctx = ctxIn(exclude);
    const surge = ctx.data.live.find((i) => i.instanceId === 'i-00000007')!;
    expect(terminate(ctx.data, surge)).toEqual({
      type: 'terminate',
      group: 'data-asg',
      instanceId: 'i-00000007',
      expectedLifecycleState: 'InService',
      expectedLaunchTemplateVersion: '2',
      decrement: true,
    });
  });

  test('does not decrement when someone lowered the desired capacity below the live instances', () => {
    const ctx = ctxIn(withGroup(exclude, 'data-asg', (g) => ({ ...g, desiredCapacity: 3 })));
    const surge = ctx.data.live.find((i) => i.instanceId === 'i-00000007')!;
    expect(terminate(ctx.data, surge).decrement).toBe(false);
  });
});

describe('scale-in protection', () => {
  test('asks for the unprotected InService instances of the first group that has any; nothing when all are', () => {
    expect(protectAll(ctxIn(exclude), 'setup')).toBeUndefined();
    const open = withInstance(
      withInstance(withInstance(exclude, 'i-00000002', { protectedFromScaleIn: false }), 'i-00000004', {
        protectedFromScaleIn: false,
      }),
      'i-00000007',
      { protectedFromScaleIn: false, lifecycleState: 'Pending' },
    );
    expect(protectAll(ctxIn(open), 'setup')?.action).toEqual({
      type: 'protect',
      group: 'data-asg',
      instanceIds: ['i-00000002'],
    });
    const masterOnly = withInstance(exclude, 'i-00000004', { protectedFromScaleIn: false });
    expect(protectAll(ctxIn(masterOnly), 'setup')?.action).toEqual({
      type: 'protect',
      group: 'master-asg',
      instanceIds: ['i-00000004'],
    });
  });
});

describe("a node's bytes", () => {
  test('are the sum of the copies it holds or receives', () => {
    const w = withEs(exclude, (es) => ({
      ...es,
      shards: [
        started('a', 0, 'i-00000001', true, 100),
        started('b', 0, 'i-00000001', false, 20),
        { ...started('c', 0, 'i-00000002', true, 7), state: 'RELOCATING' as const, relocatingTo: 'i-00000001' },
        started('a', 0, 'i-00000002', false, 1000),
      ],
    }));
    expect(bytesOn(ctxIn(w), 'i-00000001')).toBe(127);
    expect(bytesOn(ctxIn(w), 'i-00000003')).toBe(0);
  });
});
