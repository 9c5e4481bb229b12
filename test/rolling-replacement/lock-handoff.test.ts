/**
 * Issue 12, finding 13: the lock between two executions, and what is verified right before a termination.
 * - Two executions of different deployments (a newer one adopted the lock while the older continued as a new
 *   execution): the newer keeps the lock, the older stops and touches nothing, instead of adopting it back and forth.
 * - The executor terminates only the instance evaluated: still in that group, in that lifecycle state, from that launch
 *   template version.
 * - A raised MinSize never makes the cleanup's terminate-with-decrement fail: the capacity stays, with the reason.
 */
import { execute, reconcile } from '../../lambda/rolling-replacement/reconcile';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import type { Decision, RolloutSpec } from '../../lambda/rolling-replacement/core/types';
import { FakeWorld } from './fake-world';
import { spec } from './helpers';

const step = async (world: FakeWorld, s: RolloutSpec, now: number) =>
  reconcile({ es: world, fleet: world, spec: s, now, log: () => undefined });

describe('lock handoff after continue-as-new', () => {
  test('the older execution never adopts the lock back; it stops, and the newer one completes the roll', async () => {
    const world = new FakeWorld();
    const older = spec({ rolloutId: 'r-old', attempt: 'a1000' });
    const newer = spec({ rolloutId: 'r-new', attempt: 'a2000' });
    // The older rollout takes the lock and surges.
    for (let i = 0; i < 8; i++) {
      await step(world, older, i * 30);
      world.tick();
    }
    expect(world.group('data-asg').tags[TAG.rollout]).toBe('r-old');
    expect(world.group('data-asg').tags[TAG.attempt]).toBe('a1000');
    // Both executions now run, one step each in turn.
    const adopts: string[] = [];
    let olderDone: Decision | undefined;
    let outcome: string | undefined;
    for (let i = 0; i < 200 && !outcome; i++) {
      for (const s of [newer, older]) {
        if (s === older && olderDone) continue;
        const r = await step(world, s, 300 + i * 30);
        if (r.decision.action.type === 'adopt') adopts.push(s.rolloutId);
        if (s === older && r.outcome) olderDone = r.decision;
        if (s === newer && r.outcome) outcome = r.outcome;
      }
      world.tick();
    }
    expect(adopts).toEqual(['r-new']);
    expect(olderDone).toMatchObject({
      action: { type: 'done', outcome: 'aborted', supersededBy: 'r-new' },
      blockedBy: 'one-rollout-at-a-time',
    });
    expect(outcome).toBe('completed');
    expect(world.group('data-asg').tags[TAG.result]).toMatch(/^completed:r-new/);
  });

  test('a redeploy of the same change (a newer attempt of one rollout) takes the lock over; the older attempt stops', async () => {
    const world = new FakeWorld();
    const first = spec({ rolloutId: 'r-same', attempt: 'a1000' });
    const again = spec({ rolloutId: 'r-same', attempt: 'a2000' });
    for (let i = 0; i < 4; i++) {
      await step(world, first, i * 30);
      world.tick();
    }
    const r = await step(world, again, 200);
    expect(r.decision.action).toMatchObject({ type: 'adopt', attempt: 'a2000' });
    expect(world.group('data-asg').tags[TAG.attempt]).toBe('a2000');
    const old = await step(world, first, 230);
    expect(old.decision.action).toMatchObject({ type: 'done', supersededBy: 'r-same' });
    expect(old.executed).toBe(false);
  });

  test('without attempts (elkctl, the simulator) nothing changes: a newer rollout adopts as before', async () => {
    const world = new FakeWorld();
    for (let i = 0; i < 4; i++) {
      await step(world, spec({ rolloutId: 'r-a' }), i * 30);
      world.tick();
    }
    const r = await step(world, spec({ rolloutId: 'r-b' }), 200);
    expect(r.decision.action.type).toBe('adopt');
  });
});

describe('right before terminating, the executor checks the instance is the one evaluated', () => {
  const terminateOf = (_world: FakeWorld, id: string, lt = '1') => ({
    type: 'terminate' as const,
    group: 'data-asg',
    instanceId: id,
    expectedLifecycleState: 'InService',
    expectedLaunchTemplateVersion: lt,
    decrement: false,
  });

  test('another launch template version than evaluated: not terminated', async () => {
    const world = new FakeWorld();
    const id = world.group('data-asg').instances[0]!.id;
    const r = await execute(terminateOf(world, id, '2'), world, world);
    expect(r.skipped).toMatch(/launch template version 1, evaluated 2/);
    expect(world.terminations).toEqual([]);
  });

  test('an instance of another group than evaluated: not terminated', async () => {
    const world = new FakeWorld();
    const master = world.group('master-asg').instances[0]!.id;
    const r = await execute(terminateOf(world, master), world, world);
    expect(r.skipped).toMatch(/not in data-asg/);
    expect(world.terminations).toEqual([]);
  });

  test('the same instance, state and version: terminated', async () => {
    const world = new FakeWorld();
    const id = world.group('data-asg').instances[0]!.id;
    expect(await execute(terminateOf(world, id), world, world)).toEqual({ terminated: id });
  });
});

test('a MinSize raised during the cleanup: the surge instance stays and the result says why (no failing decrement)', async () => {
  const world = new FakeWorld();
  const s = spec();
  for (let i = 0; i < 30 && world.group('data-asg').desired < 4; i++) {
    await step(world, s, i * 30);
    world.tick();
  }
  expect(world.group('data-asg').desired).toBe(4);
  // The roll is aborted before the new node took data, and a deploy raises MinSize to 4.
  world.group('data-asg').tags[TAG.abort] = 'requested';
  world.group('data-asg').minSize = 4;
  let last: Decision | undefined;
  for (let i = 0; i < 40; i++) {
    const r = await step(world, s, 2000 + i * 30);
    last = r.decision;
    expect(r.error).toBeUndefined();
    if (r.outcome) break;
    world.tick();
  }
  expect(last!.action.type).toBe('release');
  expect(last!.reason).toMatch(/data-asg left at 4 instances \(baseline 3\): its MinSize 4 does not allow removing/);
  expect(world.terminations).toEqual([]);
});
