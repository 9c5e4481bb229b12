/**
 * decide()'s lock handoff between workflow executions (lock-handoff.ts), case by case on a world taken in the middle
 * of a roll: an execution of an older workflow start than the lock's stops and touches nothing; a newer rollout, or a
 * newer start of the same rollout, adopts the lock and records its own start in it. The whole-roll version of these
 * cases is lock-handoff.test.ts; these run in milliseconds, so the quick mutation run reaches the handoff's lines.
 */
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { type World, decideIn, snapshot, stageWorld, withGroup } from './gate-worlds';
import { spec } from './helpers';

let exclude: World;
beforeAll(async () => {
  exclude = await snapshot(stageWorld('exclude'));
});

/** The world with the lock (both groups) held by `rolloutId`, started at `attempt` (none: no attempt recorded). */
const heldBy = (w: World, rolloutId: string, attempt?: string): World =>
  ['data-asg', 'master-asg'].reduce(
    (acc, name) =>
      withGroup(acc, name, (g) => {
        const tags: Record<string, string> = { ...g.tags, [TAG.rollout]: rolloutId };
        delete tags[TAG.attempt];
        return { ...g, tags: attempt ? { ...tags, [TAG.attempt]: attempt } : tags };
      }),
    w,
  );

describe('an execution of an older workflow start than the lock stops and touches nothing', () => {
  test('another rollout holds the lock, started later: done (aborted, superseded by it), not an adopt', () => {
    const w = heldBy(exclude, 'r-new', 'a2000');
    const d = decideIn(w, spec({ rolloutId: 'r-old', attempt: 'a1000' }));
    expect(d).toMatchObject({
      action: { type: 'done', outcome: 'aborted', supersededBy: 'r-new' },
      blockedBy: 'one-rollout-at-a-time',
    });
  });

  test('the same rollout, an older start than the lock (a redeploy took it over): done, not a step of the roll', () => {
    const w = heldBy(exclude, 'r1', 'a2000');
    const d = decideIn(w, spec({ rolloutId: 'r1', attempt: 'a1000' }));
    expect(d.action).toEqual({ type: 'done', outcome: 'aborted', supersededBy: 'r1' });
  });

  test('the stop comes before an abort or failure mark: the older execution never cleans up the newer one’s roll', () => {
    const failed = withGroup(heldBy(exclude, 'r-new', 'a2000'), 'data-asg', (g) => ({
      ...g,
      tags: { ...g.tags, [TAG.failed]: 'join timeout', [TAG.abort]: 'operator' },
    }));
    const d = decideIn(failed, spec({ rolloutId: 'r-old', attempt: 'a1000' }));
    expect(d.action).toMatchObject({ type: 'done', supersededBy: 'r-new' });
  });

  test('an execution started at the same time as the lock, or with no attempt on either side, is not superseded', () => {
    const same = heldBy(exclude, 'r1', 'a2000');
    expect(decideIn(same, spec({ rolloutId: 'r1', attempt: 'a2000' })).action.type).toBe('exclude');
    const noRecord = heldBy(exclude, 'r1');
    expect(decideIn(noRecord, spec({ rolloutId: 'r1', attempt: 'a1000' })).action.type).toBe('exclude');
    const noAttempt = heldBy(exclude, 'r1', 'a2000');
    expect(decideIn(noAttempt, spec({ rolloutId: 'r1' })).action.type).toBe('exclude');
  });
});

describe('adopting the lock records the adopting execution’s start', () => {
  test('a newer rollout adopts with its own attempt, so an older execution seeing the lock afterwards stops', () => {
    const w = heldBy(exclude, 'r-old', 'a1000');
    expect(decideIn(w, spec({ rolloutId: 'r-new', attempt: 'a2000' })).action).toEqual({
      type: 'adopt',
      groups: ['data-asg', 'master-asg'],
      rolloutId: 'r-new',
      attempt: 'a2000',
    });
  });

  test('a newer start of the same rollout (a redeploy of the same change) adopts, with its attempt', () => {
    const w = heldBy(exclude, 'r1', 'a1000');
    expect(decideIn(w, spec({ rolloutId: 'r1', attempt: 'a2000' })).action).toEqual({
      type: 'adopt',
      groups: ['data-asg', 'master-asg'],
      rolloutId: 'r1',
      attempt: 'a2000',
    });
  });

  test('an execution without an attempt adopts without writing one (no attempt key, not an undefined one)', () => {
    const w = heldBy(exclude, 'r-old', 'a1000');
    expect(decideIn(w, spec({ rolloutId: 'r-new' })).action).toStrictEqual({
      type: 'adopt',
      groups: ['data-asg', 'master-asg'],
      rolloutId: 'r-new',
    });
  });
});
