import type { WorkflowState } from '../../lambda/rolling-replacement/contract';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { isComplete, onEvent } from '../../lambda/rolling-replacement/handlers/provider';
import { setRuntime } from '../../lambda/rolling-replacement/handlers/runtime';
import { handler as reconcileTask } from '../../lambda/rolling-replacement/handlers/workflow';
import { FakeWorld } from './fake-world';
import { specFromProperties } from '../../lambda/rolling-replacement/contract';
import { rollStatus } from '../../lib/rolling-replacement/rollctl';
import { FakeRuntime, SM, event, props } from './fake-runtime';

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

/** Runs the workflow until a stop without Elasticsearch gives up (then it retries the cleanup: cleanup-retry.ts). */
async function runUntilGaveUp(first: WorkflowState, max = 100): Promise<WorkflowState> {
  let s = first;
  for (let i = 0; i < max && s.status === 'running' && !s.cleanup; i++) {
    s = await reconcileTask(s);
    world.tick();
    rt.clock += 30;
  }
  return s;
}

async function runWorkflow(first: WorkflowState, max = 300): Promise<WorkflowState> {
  let s = first;
  for (let i = 0; i < max && s.status === 'running'; i++) {
    s = await reconcileTask(s);
    world.tick();
    rt.clock += 30;
  }
  return s;
}

describe('custom resource and workflow handlers', () => {
  test('Create starts one workflow execution, stops any other, and completes at once', async () => {
    rt.running = [`${SM}:old-roll`];
    const r = await onEvent(event('Create'));
    expect(r).toMatchObject({ PhysicalResourceId: 'dev-rolling-replacement', Mode: 'roll' });
    expect(rt.stopped).toEqual([`${SM}:old-roll`]);
    expect(rt.started).toHaveLength(1);
    expect(rt.started[0]!.name).toBe('r-abc123-req-0001-aaa');
    expect(world.writes).toEqual([]);
    const c = await isComplete({ ...event('Create'), ...r } as never);
    expect(c).toEqual({
      IsComplete: true,
      Data: {
        ExecutionArn: r.ExecutionArn,
        ExecutionStatus: 'RUNNING',
        Outcome: 'started',
        Reason: 'workflow running',
      },
    });
  });

  test('the workflow replaces every node and signals the WaitCondition with the result', async () => {
    const r = await onEvent(event('Create'));
    expect(r.Mode).toBe('roll');
    const end = await runWorkflow(rt.started[0]!.input);
    expect(end.status).toBe('completed');
    expect(end.terminated).toHaveLength(6);
    expect(rt.signals).toHaveLength(1);
    expect(rt.signals[0]).toMatchObject({ Status: 'SUCCESS', UniqueId: 'r-abc123' });
    const data = JSON.parse(rt.signals[0]!.Data!) as Record<string, string>;
    expect(data.TerminatedInstances!.split(',')).toEqual(end.terminated);
    expect(JSON.stringify(rt.signals[0]).length).toBeLessThan(4096);
    expect(rt.metrics.some((m) => m.RolloutNodesReplaced === 1)).toBe(true);
  });

  test('a failed rollout signals FAILURE so the deployment fails and rolls back', async () => {
    world.failBoot = true;
    await onEvent(event('Create', props({ JoinTimeoutSeconds: '120' })));
    const end = await runWorkflow(rt.started[0]!.input);
    expect(end.status).toBe('failed');
    expect(rt.signals[0]).toMatchObject({ Status: 'FAILURE' });
    expect(world.group('data-asg').desired).toBe(3);
  });

  test('an Update during UPDATE_ROLLBACK_IN_PROGRESS stops the workflow and cleans up; it never starts a roll', async () => {
    await onEvent(event('Create'));
    const first = rt.started[0]!.input;
    // The roll gets as far as draining the first node.
    let s = first;
    for (let i = 0; i < 20 && world.exclude.length === 0; i++) {
      s = await reconcileTask(s);
      world.tick();
    }
    expect(world.exclude).toHaveLength(1);
    rt.running = [`${SM}:r-abc123-req-0001-aaa`];
    rt.status = 'UPDATE_ROLLBACK_IN_PROGRESS';
    const r = await onEvent(event('Update', props({ RolloutId: 'r-old000', TargetVersion: '8.18.2' })));
    expect(r).toMatchObject({ Mode: 'abort', AbortReason: 'stack rollback' });
    expect(rt.stopped).toEqual([`${SM}:r-abc123-req-0001-aaa`]);
    expect(rt.started).toHaveLength(1);
    const polls: Array<{ IsComplete: boolean; Data?: unknown }> = [];
    for (let i = 0; i < 20; i++) {
      const c = await isComplete({ ...event('Update', props({ RolloutId: 'r-old000' })), ...r } as never);
      polls.push(c);
      if (c.IsComplete) break;
      world.tick();
    }
    const last = polls.at(-1)!;
    expect(last.IsComplete).toBe(true);
    expect(last.Data).toMatchObject({ Outcome: 'aborted' });
    expect(polls.filter((p) => !p.IsComplete).every((p) => p.Data === undefined)).toBe(true);
    expect(world.terminations).toEqual([]);
    expect(world.exclude).toEqual([]);
    expect(world.group('data-asg').tags[TAG.rollout]).toBeUndefined();
  });

  test('Delete stops the workflow and cleans up the same way', async () => {
    rt.running = [`${SM}:x`];
    const r = await onEvent(event('Delete'));
    expect(r).toMatchObject({
      Mode: 'abort',
      AbortReason: 'stack delete',
      PhysicalResourceId: 'dev-rolling-replacement',
    });
    expect(rt.stopped).toEqual([`${SM}:x`]);
    const c = await isComplete({ ...event('Delete'), ...r } as never);
    expect(c.IsComplete).toBe(true);
    // Every completed response carries the same keys (GetAtt in the template must resolve on rollback and delete).
    expect(Object.keys(c.Data!).sort()).toEqual(['ExecutionArn', 'ExecutionStatus', 'Outcome', 'Reason']);
  });

  test('a rollback while Elasticsearch is unreachable stops after 15 minutes, not at the 55-minute limit, naming what it left; the next abort cleans up', async () => {
    await onEvent(event('Create'));
    let s = rt.started[0]!.input;
    for (let i = 0; i < 20 && world.exclude.length === 0; i++) {
      s = await reconcileTask(s);
      world.tick();
    }
    expect(world.exclude).toHaveLength(1);
    const draining = world.exclude[0]!;
    rt.status = 'UPDATE_ROLLBACK_IN_PROGRESS';
    const r = await onEvent(event('Update', props({ RolloutId: 'r-old000' })));
    expect(r.AbortStartedAt).toBe(String(rt.clock));
    world.esDown = true;
    const poll = () => isComplete({ ...event('Update', props({ RolloutId: 'r-old000' })), ...r } as never);
    rt.clock += 899;
    expect(await poll()).toEqual({ IsComplete: false });
    rt.clock += 1;
    const c = await poll();
    expect(c.IsComplete).toBe(true);
    expect(c.Data).toMatchObject({ Outcome: 'aborted' });
    expect(c.Data!.Reason).toMatch(
      /Elasticsearch unreachable .* stopped without the Elasticsearch cleanup; left in place: /,
    );
    expect(c.Data!.Reason).toContain(`allocation exclusions of ${draining}`);
    const tags = world.group('data-asg').tags;
    expect(tags[TAG.left]).toContain('cluster.routing.rebalance.enable=none');
    expect(tags[TAG.rollout]).toBeDefined();
    expect(world.exclude).toEqual([draining]);
    expect(world.terminations).toEqual([]);
    // Elasticsearch is back: the next abort (a delete, or another rollback) cleans up and releases.
    world.esDown = false;
    const again = await onEvent(event('Delete'));
    let last = { IsComplete: false } as Awaited<ReturnType<typeof isComplete>>;
    for (let i = 0; i < 20 && !last.IsComplete; i++) {
      last = await isComplete({ ...event('Delete'), ...again } as never);
      world.tick();
    }
    expect(last.Data).toMatchObject({ Outcome: 'aborted' });
    expect(world.exclude).toEqual([]);
    expect(world.group('data-asg').tags[TAG.left]).toBeUndefined();
    expect(world.group('data-asg').tags[TAG.rollout]).toBeUndefined();
  });

  test('an Elasticsearch outage during the abort of a roll keeps polling without Data', async () => {
    world.group('data-asg').tags[TAG.rollout] = 'r1';
    world.esDown = true;
    const c = await isComplete({ ...event('Delete'), Mode: 'abort', AbortReason: 'stack delete' } as never);
    expect(c).toEqual({ IsComplete: false });
  });

  test('an Elasticsearch outage during a stack delete with no roll in progress: complete at once', async () => {
    world.esDown = true;
    const c = await isComplete({ ...event('Delete'), Mode: 'abort', AbortReason: 'stack delete' } as never);
    expect(c).toMatchObject({ IsComplete: true, Data: { Outcome: 'aborted' } });
  });

  test('invalid properties are a broken invariant: they throw with the field name', async () => {
    const bad = event('Create', props({ PollSeconds: 'soon' }));
    await expect(onEvent(bad)).rejects.toThrow(/PollSeconds/);
  });

  test('the reconcile task continues as a new execution before the history limit', async () => {
    const s = await reconcileTask({
      ...(await onEvent(event('Create')), rt.started[0]!.input),
      steps: 5000,
      stateMachineArn: SM,
    });
    expect(s.status).toBe('continued');
    expect(rt.started).toHaveLength(2);
    expect(rt.started[1]!.input.steps).toBe(0);
  });

  test('after the reconcile task failed every retry, the failure mode signals FAILURE at once', async () => {
    await onEvent(event('Create'));
    const s = await reconcileTask({
      state: { ...rt.started[0]!.input, error: { Error: 'EsClientConfigError', Cause: 'secret has no SecretString' } },
      stateMachineArn: SM,
      signalFailure: true,
    });
    expect(s.status).toBe('failed');
    expect(rt.signals).toEqual([expect.objectContaining({ Status: 'FAILURE', UniqueId: 'r-abc123' })]);
    expect(rt.signals[0]!.Reason).toContain('EsClientConfigError');
    expect(world.writes).toEqual([]);
  });
});

describe('node health mode (the 5-minute schedule, issue 12 finding 7)', () => {
  const request = () => ({ nodeHealth: { dataGroup: 'data-asg', masterGroup: 'master-asg', downSeconds: 900 } });
  const dataId = () => world.groups[0]!.instances[1]!.id;

  test('a node out of the cluster: clock first, marked Unhealthy once past the bound, never twice', async () => {
    world.joined.delete(dataId());
    world.shards = world.shards.filter((s) => s.primary); // its replicas are unassigned: yellow, never red
    const first = await reconcileTask(request() as never);
    expect(first).toMatchObject({ decision: { kind: 'record' }, executed: true });
    expect(world.groups[0]!.tags[TAG.nodeMissing]).toBe(`${dataId()}@${rt.clock}`);
    rt.clock += 600;
    expect(await reconcileTask(request() as never)).toMatchObject({ decision: { kind: 'wait' }, executed: false });
    rt.clock += 300;
    expect(await reconcileTask(request() as never)).toMatchObject({
      decision: { kind: 'mark', instanceId: dataId() },
      executed: true,
    });
    expect(world.writes.filter((w) => w.startsWith('health'))).toEqual([`health ${dataId()} Unhealthy`]);
    // Unhealthy now: a replacement is under way; nothing more is marked.
    rt.clock += 300;
    expect(await reconcileTask(request() as never)).toMatchObject({ executed: true, decision: { kind: 'record' } });
    expect(world.writes.filter((w) => w.startsWith('health'))).toHaveLength(1);
  });

  test('Elasticsearch unreachable: nothing is marked, and the function does not fail', async () => {
    world.esDown = true;
    const r = await reconcileTask(request() as never);
    expect(r).toMatchObject({ decision: { kind: 'unobservable' }, executed: false });
    expect(world.writes).toEqual([]);
  });

  test('while a roll holds the lock, the schedule leaves it to the roll', async () => {
    world.joined.delete(dataId());
    world.groups[0]!.tags[TAG.rollout] = 'r-other';
    const r = await reconcileTask(request() as never);
    expect(r).toMatchObject({ decision: { kind: 'roll-in-progress' }, executed: false });
    expect(world.groups[0]!.tags[TAG.nodeMissing]).toBeUndefined();
  });

  test('a malformed request fails with what is expected', async () => {
    await expect(reconcileTask({ nodeHealth: { dataGroup: 'd' } } as never)).rejects.toThrow(/node health request: /);
  });
});

describe('every failure path cleans up (issue 12, finding 9)', () => {
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
    expect(world.group('data-asg').desired).toBe(4);
    return s;
  }
  const exhausted = (s: WorkflowState) =>
    reconcileTask({
      state: { ...s, error: { Error: 'Lambda.Unknown', Cause: 'boom' } },
      stateMachineArn: SM,
      signalFailure: true,
    });

  test('reconcile errors exhausted mid-roll: FAILURE at once, then the loop cleans up (capacity, exclusion, setting, lock)', async () => {
    const s = await midDrain();
    const after = await exhausted(s);
    expect(after).toMatchObject({ status: 'running', failedAfterErrors: true });
    expect(world.group('data-asg').tags[TAG.failed]).toMatch(/reconcile kept failing: Lambda.Unknown boom/);
    expect(rt.signals).toEqual([expect.objectContaining({ Status: 'FAILURE' })]);
    const end = await runWorkflow(after);
    expect(end.status).toBe('failed');
    // The surge node took copies during the drain: capacity stays at baseline + 1, with the reason, in the result
    // and in the tag roll status prints.
    expect(world.group('data-asg').desired).toBe(4);
    expect(end.reason).toMatch(/data-asg left at 4 instances \(baseline 3\): every node holds data/);
    expect(world.group('data-asg').tags[TAG.resultLeft]).toMatch(/data-asg left at 4 instances/);
    // elkctl roll status says it too.
    const status = await rollStatus({
      es: world,
      fleet: world,
      spec: specFromProperties(props(), 'roll'),
      model: { recoveryBytesPerSecond: 40 * 1024 * 1024, joinSeconds: 140, pollSeconds: 30 },
      now: () => rt.clock,
      sleep: async () => undefined,
      close: async () => undefined,
    });
    expect(status).toMatch(
      /left in place by the last roll: data-asg left at 4 instances \(baseline 3\): every node holds data/,
    );
    expect(world.exclude).toEqual([]);
    expect(world.rebalance).toBeNull();
    expect(world.group('data-asg').tags[TAG.rollout]).toBeUndefined();
    expect(world.group('data-asg').tags[TAG.result]).toMatch(/^failed:r-abc123/);
  });

  test('errors exhausted again during that cleanup: the execution ends, naming what is left in place (roll status)', async () => {
    const s = await midDrain();
    const after = await exhausted(s);
    const end = await exhausted(after as WorkflowState);
    expect(end.status).toBe('failed');
    const left = world.group('data-asg').tags[TAG.left]!;
    expect(left).toMatch(/^left in place: /);
    expect(left).toMatch(/allocation exclusions of i-/);
    expect(left).toMatch(/data-asg at 4 instances \(baseline 3\)/);
    expect(world.group('data-asg').tags[TAG.rollout]).toBe('r-abc123');
    expect(rt.signals).toHaveLength(1);
  });

  test('an execution near its own timeout continues as a new one (it never times out without its cleanup)', async () => {
    const s = await midDrain();
    const old = await reconcileTask({ ...s, stateMachineArn: SM, executionStartedAt: rt.clock - 6 * 24 * 3600 });
    expect(old.status).toBe('continued');
    expect(rt.started).toHaveLength(2);
    expect(rt.started[1]!.input.executionStartedAt).toBeUndefined();
    const fresh = await reconcileTask(rt.started[1]!.input);
    expect(fresh).toMatchObject({ status: 'running', executionStartedAt: rt.clock });
  });

  test.each([
    ['elkctl roll abort', TAG.abort, 'requested', 'aborted', /abort requested by an operator/],
    ['a failure mark', TAG.failed, 'replacement did not join', 'failed', /failed: replacement did not join/],
  ])(
    '%s while Elasticsearch is down: waits 15 min for it, then stops naming what it left (not for ever)',
    async (_what, tag, value, outcome, why) => {
      const s = await midDrain();
      world.group('data-asg').tags[tag] = value;
      world.esDown = true;
      const first = await reconcileTask(s);
      expect(first.status).toBe('running');
      expect(world.group('data-asg').tags[TAG.stopWait]).toBe(`a${s.startedAt}@${rt.clock}`);
      const end = await runUntilGaveUp(first);
      // The deployment is answered with the outcome; the execution goes on retrying the cleanup (cleanup-retry.ts).
      expect(end).toMatchObject({ status: 'running', cleanup: { outcome } });
      expect(rt.signals).toEqual([expect.objectContaining({ Status: 'FAILURE' })]);
      expect(rt.signals[0]!.Reason).toMatch(new RegExp(`^${outcome}: `));
      const since = Number(world.group('data-asg').tags[TAG.stopWait]!.split('@')[1]);
      expect(rt.clock - since).toBeLessThanOrEqual(900 + 60);
      const left = world.group('data-asg').tags[TAG.left]!;
      expect(left).toMatch(why);
      expect(left).toMatch(/left in place: allocation exclusions of i-/);
      expect(end.reason).toMatch(/rebalance.enable=none/);
      // The lock stays: the retries, the next deployment or an abort clean up once Elasticsearch answers.
      expect(world.group('data-asg').tags[TAG.rollout]).toBe('r-abc123');
      world.esDown = false;
      await onEvent(event('Create', props({ RolloutId: 'r-next00' })));
      const again = await runWorkflow(rt.started.at(-1)!.input);
      expect(again.status).toBe(outcome);
      expect(world.exclude).toEqual([]);
      expect(world.rebalance).toBeNull();
      expect(world.group('data-asg').tags[TAG.rollout]).toBeUndefined();
    },
  );

  test("a later attempt that finds the stop pending and Elasticsearch still down waits its own 15 min, not the last attempt's", async () => {
    const s = await midDrain();
    world.group('data-asg').tags[TAG.abort] = 'requested';
    world.esDown = true;
    const end = await runUntilGaveUp(await reconcileTask(s));
    expect(end.cleanup).toMatchObject({ outcome: 'aborted' });
    const stale = world.group('data-asg').tags[TAG.stopWait]!;
    // An hour later the same change is deployed again; Elasticsearch is still down.
    rt.clock += 3600;
    await onEvent(event('Create'));
    const next = rt.started.at(-1)!.input;
    expect(next.startedAt).not.toBe(s.startedAt);
    const first = await reconcileTask(next);
    expect(first.status).toBe('running');
    expect(first.reason).toMatch(/the cleanup waits for it at most 900 s/);
    const mark = world.group('data-asg').tags[TAG.stopWait]!;
    expect(mark).not.toBe(stale);
    expect(mark).toBe(`a${next.startedAt}@${rt.clock}`);
    // Idempotent: the next step keeps this attempt's mark (no rewrite), and the wait ends 900 s after it.
    const begun = rt.clock;
    const again = await runUntilGaveUp(first);
    expect(world.group('data-asg').tags[TAG.stopWait]).toBe(mark);
    expect(again.cleanup).toMatchObject({ outcome: 'aborted' });
    expect(rt.clock - begun).toBeGreaterThanOrEqual(900);
    expect(rt.clock - begun).toBeLessThanOrEqual(900 + 60);
    // Once Elasticsearch answers, the deployment after that cleans up.
    world.esDown = false;
    await onEvent(event('Create', props({ RolloutId: 'r-next00' })));
    await runWorkflow(rt.started.at(-1)!.input);
    expect(world.exclude).toEqual([]);
    expect(world.group('data-asg').tags[TAG.rollout]).toBeUndefined();
  });

  test('an execution superseded by a newer deployment ends without touching anything or signalling (finding 13)', async () => {
    const s = await midDrain();
    world.group('data-asg').tags[TAG.rollout] = 'r-newer0';
    world.group('data-asg').tags[TAG.attempt] = `a${rt.clock + 1000}`;
    const writes = world.writes.length;
    const end = await reconcileTask(s);
    expect(end).toMatchObject({ status: 'aborted' });
    expect(end.reason).toMatch(/superseded: the lock is held by r-newer0/);
    expect(rt.signals).toEqual([]);
    expect(world.writes).toHaveLength(writes);
    expect(world.group('data-asg').tags[TAG.rollout]).toBe('r-newer0');
  });
});
