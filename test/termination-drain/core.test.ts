import { completeBy, decideDrain, DrainState, heartbeatDue } from '../../lambda/termination-drain/core';
import { FakeWorld } from '../rolling-replacement/fake-world';
import { ctxOf } from '../rolling-replacement/helpers';

const state = (world: FakeWorld, role: 'data' | 'master', k = 0, over: Partial<DrainState> = {}): DrainState => ({
  instanceId: world.group(role === 'data' ? 'data-asg' : 'master-asg').instances[k]!.id,
  groupName: role === 'data' ? 'data-asg' : 'master-asg',
  role,
  lifecycleActionToken: 'token',
  lifecycleHookName: 'drain',
  startedAt: 0,
  heartbeatTimeoutSeconds: 3600,
  lastHeartbeatAt: 0,
  pollSeconds: 60,
  ...over,
});

/**
 * Runs the hook's drain against the fake world: the instance stays in the cluster (held by the hook) until the core
 * completes the lifecycle action; each step is one poll.
 */
async function drive(world: FakeWorld, s0: DrainState, steps = 50) {
  let s = s0;
  const log: string[] = [];
  for (let i = 0; i < steps; i++) {
    const now = s.startedAt + i * s.pollSeconds;
    const ctx = await ctxOf(world);
    const d = decideDrain(ctx, s, now);
    log.push(d.action.kind + (d.blockedBy ? `:${d.blockedBy}` : ''));
    const a = d.action;
    if (a.kind === 'done') return { s, log };
    if (a.kind === 'exclude') await world.addAllocationExclusion(s.instanceId);
    if (a.kind === 'voting-exclusion') await world.addVotingExclusion(s.instanceId);
    if (a.kind === 'heartbeat') s = { ...s, lastHeartbeatAt: now };
    if (a.kind === 'complete') {
      await world.terminateInstance(s.instanceId, false);
      s = { ...s, completedAt: now, drained: a.drained };
    }
    if (a.kind === 'cleanup') {
      if (a.allocation) await world.removeAllocationExclusions([s.instanceId]);
      if (a.voting) await world.clearVotingExclusions();
    }
    world.tick();
  }
  throw new Error(`no end after ${steps} steps: ${log.join(' ')}`);
}

describe('the termination hook drains before it lets an instance go', () => {
  it('excludes a data node, waits until its copies moved, continues, then removes the exclusion once it left', async () => {
    const world = new FakeWorld({ data: 3, shards: 6 });
    const { s, log } = await drive(world, state(world, 'data'));
    expect(log[0]).toBe('exclude');
    expect(log).toContain('wait:strictly-drained');
    expect(log.indexOf('complete')).toBeGreaterThan(log.lastIndexOf('wait:strictly-drained'));
    expect(log.slice(-2)).toEqual(['cleanup', 'done']);
    expect(s.drained).toBe(true);
    expect(world.lostCopies).toBe(0);
    expect(world.exclude).toEqual([]);
  });

  it('takes a master out of the voting configuration first, and continues only once another master leads', async () => {
    const world = new FakeWorld();
    const elected = world.electedMaster!;
    const s0 = state(world, 'master');
    expect(s0.instanceId).toBe(elected);
    const { s, log } = await drive(world, s0);
    expect(log[0]).toBe('voting-exclusion');
    expect(log).toContain('complete');
    expect(world.electedMaster).not.toBe(elected);
    expect(s.drained).toBe(true);
    expect(world.voting).toEqual([]);
  });

  it('lets an instance the rolling replacement already drained go at once', async () => {
    const world = new FakeWorld({ data: 3, shards: 1 });
    const idle = world.group('data-asg').instances[2]!.id;
    expect(world.shards.some((c) => c.node === idle)).toBe(false);
    const d = decideDrain(await ctxOf(world), state(world, 'data', 2), 0);
    expect(d.action).toEqual({ kind: 'complete', drained: true });
  });

  it('never reports a drain for a node that is no longer in the cluster', async () => {
    const world = new FakeWorld();
    const s = state(world, 'data');
    world.joined.delete(s.instanceId);
    const d = decideDrain(await ctxOf(world), s, 0);
    expect(d).toMatchObject({ action: { kind: 'complete', drained: false }, impossible: 'not-in-cluster' });
  });

  it('holds the instance while Elasticsearch cannot be observed, heartbeating, and continues undrained at the limit', () => {
    const s: DrainState = { ...state(new FakeWorld(), 'data'), heartbeatTimeoutSeconds: 600, pollSeconds: 60 };
    expect(decideDrain('TimeoutError', s, 60)).toMatchObject({
      action: { kind: 'wait' },
      impossible: 'elasticsearch-unreachable',
    });
    expect(decideDrain('TimeoutError', s, 300).action.kind).toBe('heartbeat');
    const limit = completeBy(s);
    expect(limit).toBe(100 * 600 - 120);
    expect(decideDrain('TimeoutError', { ...s, lastHeartbeatAt: limit }, limit)).toMatchObject({
      action: { kind: 'complete', drained: false },
      impossible: 'lifecycle-limit',
    });
  });

  it('says the drain is impossible when the copies have nowhere to go, and keeps waiting', async () => {
    const world = new FakeWorld({ data: 2, shards: 2 });
    const s = state(world, 'data');
    await world.addAllocationExclusion(s.instanceId);
    const d = decideDrain(await ctxOf(world), s, 0);
    expect(d).toMatchObject({ action: { kind: 'wait' }, blockedBy: 'strictly-drained' });
    expect(d.impossible).toMatch(/copies cannot move: .*has 2 copies but only 1 data nodes remain/);
  });

  it('does not take a master out of the voting configuration while another master is missing', async () => {
    const world = new FakeWorld();
    const s = state(world, 'master', 1);
    world.joined.delete(world.group('master-asg').instances[2]!.id);
    const d = decideDrain(await ctxOf(world), s, 0);
    expect(d).toMatchObject({ action: { kind: 'wait' }, blockedBy: 'all-masters-healthy' });
  });

  it('never clears voting exclusions while a roll is active or another excluded master is still a member', async () => {
    const world = new FakeWorld();
    const gone = world.group('master-asg').instances[1]!.id;
    const other = world.group('master-asg').instances[2]!.id;
    world.voting = [gone, other];
    world.joined.delete(gone);
    const s = { ...state(world, 'master', 1), completedAt: 0 };
    expect(decideDrain(await ctxOf(world), s, 60).action).toEqual({ kind: 'done' });
    world.voting = [gone];
    await world.setTags('data-asg', { 'elk-cdk:rollout': 'r9' });
    const locked = await ctxOf(world);
    expect(locked.marks.active).toBe(true);
    expect(decideDrain(locked, s, 60).action).toEqual({ kind: 'done' });
    await world.deleteTags('data-asg', ['elk-cdk:rollout']);
    expect(decideDrain(await ctxOf(world), s, 60).action).toEqual({ kind: 'cleanup', allocation: false, voting: true });
  });

  it('heartbeats before half of the heartbeat timeout can pass between polls', () => {
    const s = { ...state(new FakeWorld(), 'data'), heartbeatTimeoutSeconds: 600, pollSeconds: 60, lastHeartbeatAt: 0 };
    expect(heartbeatDue(s, 239)).toBe(false);
    expect(heartbeatDue(s, 240)).toBe(true);
    expect(completeBy({ ...s, heartbeatTimeoutSeconds: 7200 })).toBe(48 * 3600 - 120);
  });
});
