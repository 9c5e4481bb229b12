import { AutoScalingClient, CompleteLifecycleActionCommand } from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import type { DrainState } from '../../lambda/termination-drain/core';
import { autoScalingHook, initialState, LifecycleEventSchema } from '../../lambda/termination-drain/index';
import { drainStep, type HookPort, type StepPorts } from '../../lambda/termination-drain/step';
import { FakeWorld } from '../rolling-replacement/fake-world';

class FakeHook implements HookPort {
  heartbeats = 0;
  completions: string[] = [];
  constructor(private readonly world: FakeWorld) {}
  async heartbeat(): Promise<void> {
    this.heartbeats++;
  }
  async complete(s: DrainState): Promise<void> {
    this.completions.push(s.instanceId);
    await this.world.terminateInstance(s.instanceId, false);
  }
}

const env = {
  DATA_GROUP: 'data-asg',
  MASTER_GROUP: 'master-asg',
  HEARTBEAT_TIMEOUT_SECONDS: 600,
  POLL_SECONDS: 60,
  METRICS_NAMESPACE: 'ElkCdk',
  ENVIRONMENT: 'dev',
  ES_ENDPOINT: 'https://es:9200',
  ES_CREDENTIALS_SECRET_ARN: 'arn',
  ES_CA_PARAMETER: '/ca',
};

function ports(world: FakeWorld, hook: HookPort, metrics: string[], lines: Record<string, unknown>[]): StepPorts {
  return {
    es: world,
    fleet: world,
    hook,
    groups: { data: 'data-asg', master: 'master-asg' },
    putMetric: async (n) => void metrics.push(n),
    log: (l) => void lines.push(l),
  };
}

const event = (id: string, group = 'data-asg') =>
  LifecycleEventSchema.parse({
    time: '2026-12-01T10:00:00Z',
    detail: {
      AutoScalingGroupName: group,
      EC2InstanceId: id,
      LifecycleActionToken: 'tok',
      LifecycleHookName: 'drain',
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
    },
  });

describe('drainStep', () => {
  it('drains a data node whose termination someone else started, one action per step, with a log line each', async () => {
    const world = new FakeWorld({ data: 3, shards: 6 });
    const inst = world.group('data-asg').instances[0]!;
    let s = { ...initialState(event('i-0abc'), env), instanceId: inst.id };
    const hook = new FakeHook(world);
    const metrics: string[] = [];
    const lines: Record<string, unknown>[] = [];
    let now = s.startedAt;
    for (let i = 0; i < 40; i++) {
      const r = await drainStep(s, ports(world, hook, metrics, lines), now);
      s = r.state;
      if (r.done) break;
      world.tick();
      now += 60;
    }
    expect(hook.completions).toEqual([inst.id]);
    expect(world.lostCopies).toBe(0);
    expect(metrics).toContain('DrainedTerminations');
    expect(metrics).not.toContain('UndrainedTerminations');
    expect(lines.every((l) => l.component === 'termination-drain' && l.instanceId === inst.id)).toBe(true);
    expect(lines.map((l) => l.decision)).toContain('exclude');
    expect(hook.heartbeats).toBeGreaterThan(0);
  });

  it('a repeated step (a retried Lambda) repeats an idempotent action and nothing more', async () => {
    const world = new FakeWorld({ data: 3, shards: 6 });
    const inst = world.group('data-asg').instances[0]!;
    const s = { ...initialState(event('i-0abc'), env), instanceId: inst.id };
    const hook = new FakeHook(world);
    await drainStep(s, ports(world, hook, [], []), s.startedAt);
    await drainStep(s, ports(world, hook, [], []), s.startedAt);
    expect(world.exclude).toEqual([inst.id]);
    expect(hook.completions).toEqual([]);
  });

  it('counts and logs an impossible drain when Elasticsearch does not answer', async () => {
    const world = new FakeWorld();
    world.esDown = true;
    const s = { ...initialState(event('i-0abc'), env), instanceId: world.group('data-asg').instances[0]!.id };
    const metrics: string[] = [];
    const lines: Record<string, unknown>[] = [];
    const r = await drainStep(s, ports(world, new FakeHook(world), metrics, lines), s.startedAt + 10);
    expect(r.decision.action.kind).toBe('wait');
    expect(metrics).toEqual(['DrainImpossible']);
    expect(lines[0]).toMatchObject({ drainImpossible: 'elasticsearch-unreachable', blockedBy: 'observed-state-known' });
  });
});

describe('the lifecycle event and Auto Scaling', () => {
  it('starts from the event: role from the group, start time from the event', () => {
    const s = initialState(event('i-0abc', 'master-asg'), env);
    expect(s).toMatchObject({
      role: 'master',
      instanceId: 'i-0abc',
      startedAt: Date.parse('2026-12-01T10:00:00Z') / 1000,
    });
    expect(() => initialState(event('i-0abc', 'other-asg'), env)).toThrow(/not one of this cluster's groups/);
  });

  it('completes with CONTINUE, and treats an action that is already gone as completed', async () => {
    const asg = mockClient(AutoScalingClient);
    const s = initialState(event('i-0abc'), env);
    asg
      .on(CompleteLifecycleActionCommand)
      .resolvesOnce({})
      .rejectsOnce(new Error('No active Lifecycle Action found with instance ID i-0abc'));
    const hook = autoScalingHook(new AutoScalingClient({ region: 'eu-west-1' }));
    await hook.complete(s);
    await expect(hook.complete(s)).resolves.toBeUndefined();
    expect(asg.commandCalls(CompleteLifecycleActionCommand)[0]!.args[0].input).toEqual({
      AutoScalingGroupName: 'data-asg',
      LifecycleHookName: 'drain',
      LifecycleActionToken: 'tok',
      InstanceId: 'i-0abc',
      LifecycleActionResult: 'CONTINUE',
    });
    asg.on(CompleteLifecycleActionCommand).rejects(new Error('Rate exceeded'));
    await expect(hook.complete(s)).rejects.toThrow(/Rate exceeded/);
    asg.restore();
  });
});
