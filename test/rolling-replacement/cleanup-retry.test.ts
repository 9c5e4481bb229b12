/**
 * After a stop that found Elasticsearch unreachable (issue 12, finding 9), the cleanup is retried until Elasticsearch
 * answers (bounded), instead of waiting for the next deployment: in the workflow after an abort or a failure, and in a
 * cleanup execution the provider starts after a stack rollback gave up.
 */
import {
  CLEANUP_POLL_SECONDS,
  CLEANUP_RETRY_SECONDS,
  type WorkflowState,
} from '../../lambda/rolling-replacement/contract';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { isComplete, onEvent } from '../../lambda/rolling-replacement/handlers/provider';
import { setRuntime } from '../../lambda/rolling-replacement/handlers/runtime';
import { handler as reconcileTask } from '../../lambda/rolling-replacement/handlers/workflow';
import { FakeWorld } from './fake-world';
import { FakeRuntime, event, props } from './fake-runtime';

let rt: FakeRuntime;
let world: FakeWorld;
beforeEach(() => {
  world = new FakeWorld();
  rt = new FakeRuntime(world);
  setRuntime(rt);
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => {
  setRuntime(undefined);
  jest.restoreAllMocks();
});

/** Steps the workflow as Step Functions would (waiting waitSeconds) until it ends or `until` holds. */
async function run(first: WorkflowState, until: (s: WorkflowState) => boolean = () => false, max = 400) {
  let s = first;
  for (let i = 0; i < max && s.status === 'running' && !until(s); i++) {
    s = await reconcileTask(s);
    world.tick();
    rt.clock += s.waitSeconds;
  }
  return s;
}

/** A roll driven until its first node drains (surge capacity up, an exclusion of ours, rebalancing off). */
async function midDrain(): Promise<WorkflowState> {
  await onEvent(event('Create'));
  let s = rt.started[0]!.input;
  for (let i = 0; i < 20 && world.exclude.length === 0; i++) {
    s = await reconcileTask(s);
    world.tick();
    rt.clock += 30;
  }
  expect(world.exclude).toHaveLength(1);
  return s;
}

describe('the cleanup after a stop without Elasticsearch is retried', () => {
  test('roll abort while Elasticsearch is down: the deployment is answered after 15 min, the cleanup runs once it is back', async () => {
    const s = await midDrain();
    world.group('data-asg').tags[TAG.abort] = 'requested';
    world.esDown = true;
    const gaveUp = await run(s, () => rt.signals.length > 0);
    expect(rt.signals).toEqual([expect.objectContaining({ Status: 'FAILURE' })]);
    expect(rt.signals[0]!.Reason).toMatch(/aborted: .*left in place: allocation exclusions of i-/);
    // The execution goes on, slowly, instead of ending with the lock and its leftovers.
    expect(gaveUp).toMatchObject({
      status: 'running',
      waitSeconds: CLEANUP_POLL_SECONDS,
      cleanup: { outcome: 'aborted' },
    });
    expect(gaveUp.reason).toMatch(/retried every 5 min for up to 24 h/);
    expect(world.group('data-asg').tags[TAG.left]).toMatch(/left in place/);
    // Still down for two hours: nothing is undone without Elasticsearch.
    const later = await run(gaveUp, () => rt.clock >= gaveUp.startedAt + 3 * 3600);
    expect(later.status).toBe('running');
    expect(world.exclude).toHaveLength(1);
    expect(world.group('data-asg').desired).toBe(4);
    // Back: the ordinary cleanup, to the release; the deployment is not answered twice.
    world.esDown = false;
    const end = await run(later);
    expect(end.status).toBe('aborted');
    expect(rt.signals).toHaveLength(1);
    expect(world.exclude).toEqual([]);
    expect(world.rebalance).toBeNull();
    expect(world.group('data-asg').desired).toBe(3);
    expect(world.group('data-asg').tags[TAG.rollout]).toBeUndefined();
    expect(world.group('data-asg').tags[TAG.left]).toBeUndefined();
    expect(world.group('data-asg').tags[TAG.result]).toMatch(/^aborted:r-abc123/);
  });

  test('a failure while Elasticsearch is down ends as failed once cleaned up', async () => {
    const s = await midDrain();
    world.group('data-asg').tags[TAG.failed] = 'replacement did not join';
    world.esDown = true;
    const gaveUp = await run(s, () => rt.signals.length > 0);
    expect(gaveUp.cleanup).toMatchObject({ outcome: 'failed' });
    world.esDown = false;
    const end = await run(gaveUp);
    expect(end.status).toBe('failed');
    expect(world.exclude).toEqual([]);
    expect(world.group('data-asg').tags[TAG.result]).toMatch(/^failed:r-abc123/);
  });

  test('Elasticsearch down for good: the retries end after 24 h, naming what is left; the lock stays', async () => {
    const s = await midDrain();
    world.group('data-asg').tags[TAG.abort] = 'requested';
    world.esDown = true;
    const gaveUp = await run(s, () => rt.signals.length > 0);
    const since = rt.clock;
    const end = await run(gaveUp);
    expect(end.status).toBe('aborted');
    expect(rt.clock - since).toBeGreaterThanOrEqual(CLEANUP_RETRY_SECONDS - CLEANUP_POLL_SECONDS);
    expect(rt.clock - since).toBeLessThanOrEqual(CLEANUP_RETRY_SECONDS + 2 * CLEANUP_POLL_SECONDS);
    expect(end.reason).toMatch(/left in place: .*the cleanup was retried for 24 h without Elasticsearch/);
    expect(rt.signals).toHaveLength(1);
    expect(world.group('data-asg').tags[TAG.rollout]).toBe('r-abc123');
    expect(world.exclude).toHaveLength(1);
  });

  test('a stack rollback that gave up on Elasticsearch starts a cleanup execution, which cleans up once it answers', async () => {
    await midDrain();
    rt.status = 'UPDATE_ROLLBACK_IN_PROGRESS';
    const old = props({ RolloutId: 'r-old000' });
    const r = await onEvent(event('Update', old));
    world.esDown = true;
    rt.clock += 900;
    const c = await isComplete({ ...event('Update', old), ...r } as never);
    expect(c.IsComplete).toBe(true);
    expect(c.Data!.Reason).toMatch(/^cleanup retried by r-old000-cleanup-\d+: .*retried every 5 min.*left in place: /);
    const started = rt.started.at(-1)!;
    expect(started.name).toMatch(/^r-old000-cleanup-\d+$/);
    expect(started.input.cleanup).toMatchObject({ abortReason: 'stack rollback', outcome: 'aborted' });
    // Still down: the execution waits, touching nothing; then Elasticsearch answers.
    const waiting = await run(started.input, () => rt.clock >= started.input.startedAt + 3600);
    expect(waiting.status).toBe('running');
    expect(world.exclude).toHaveLength(1);
    world.esDown = false;
    const end = await run(waiting);
    expect(end.status).toBe('aborted');
    expect(world.exclude).toEqual([]);
    expect(world.rebalance).toBeNull();
    expect(world.group('data-asg').tags[TAG.rollout]).toBeUndefined();
    // The rollback's deployment was answered by the provider: the cleanup execution signals nothing.
    expect(rt.signals).toEqual([]);
  });

  test('a stack delete that gave up starts no cleanup execution (the groups go with the stack)', async () => {
    await midDrain();
    const r = await onEvent(event('Delete'));
    const before = rt.started.length;
    world.esDown = true;
    rt.clock += 900;
    const c = await isComplete({ ...event('Delete'), ...r } as never);
    expect(c.IsComplete).toBe(true);
    expect(rt.started).toHaveLength(before);
  });
});

test('reconcile errors exhausted during the retries: the deployment, answered already, is not signalled again', async () => {
  const s = await midDrain();
  world.group('data-asg').tags[TAG.abort] = 'requested';
  world.esDown = true;
  const gaveUp = await run(s, () => rt.signals.length > 0);
  expect(rt.signals).toHaveLength(1);
  const after: WorkflowState = await reconcileTask({
    state: { ...gaveUp, error: { Error: 'Lambda.Unknown', Cause: 'boom' } },
    stateMachineArn: 'arn:aws:states:eu-west-1:111111111111:stateMachine:elk-dev-rollout',
    signalFailure: true,
  } as unknown);
  expect(after.status).toBe('running');
  expect(rt.signals).toHaveLength(1);
});
