/**
 * decide() cases for the step rules of steps.ts that only whole rolls exercised (issue 21): the records and wording of
 * a group's step, voting exclusions left by departed masters, parallel drains (maxSurge), a drain that stalls, a
 * zone-rebalance mark seen outside its cycle, and the planned scale-in. Each world is built directly (no roll runs).
 */
import { DRAIN_STALLED } from '../../lambda/rolling-replacement/core/stall';
import { stepGroup } from '../../lambda/rolling-replacement/core/steps';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { DEFAULT_OPTIONS, type Decision, type RolloutSpec } from '../../lambda/rolling-replacement/core/types';
import { FakeWorld } from './fake-world';
import {
  type World,
  ctxIn,
  decideIn,
  snapshot,
  stageWorld,
  withEs,
  withGroup,
  withHealth,
  withNode,
  withOwnedVoting,
} from './gate-worlds';
import { spec } from './helpers';
import { midRoll } from './worlds';

const gated = (d: Decision) => ({ type: d.action.type, blockedBy: d.blockedBy });
const hex = (n: number) => `i-${n.toString(16).padStart(8, '0')}`;
const at = async (s: Parameters<typeof stageWorld>[0]): Promise<World> => snapshot(stageWorld(s));
const withOptions = (o: Partial<RolloutSpec['options']>): RolloutSpec =>
  spec({ options: { ...DEFAULT_OPTIONS, ...o } });

/** The data group's desired capacity and MinSize. */
const withCapacity = (world: World, desired: number, minSize = 0): World =>
  withGroup(world, 'data-asg', (g) => ({ ...g, desiredCapacity: desired, minSize }));

describe('finishing an earlier termination', () => {
  test("clears the departed node's exclusion and drops it from the ownership record, adding nothing", async () => {
    // The first data node was terminated and has left: its exclusion is still set and recorded as ours.
    const w = stageWorld('dataTerminate');
    const data = w.group('data-asg');
    data.instances = data.instances.filter((i) => i.id !== hex(1));
    data.desired = 3;
    w.joined.delete(hex(1));
    const d = decideIn(await snapshot(w));
    expect(d.action).toEqual({
      type: 'clear-exclusion',
      nodes: [hex(1)],
      names: [],
      record: { group: 'data-asg', tag: TAG.excluded, value: '-' },
    });
  });
});

describe('voting exclusions left by departed masters', () => {
  /** The master stage after the voting-excluded i-5 was terminated (with decrement) and left the cluster. */
  const masterLeft = (): FakeWorld => {
    const w = stageWorld('masterTerminate');
    const m = w.group('master-asg');
    m.instances = m.instances.filter((i) => i.id !== hex(5));
    m.desired = 3;
    w.joined.delete(hex(5));
    return w;
  };

  test('clears them when the master has left (the reference for the cases below)', async () => {
    expect(decideIn(await snapshot(masterLeft())).action).toEqual({
      type: 'clear-voting-exclusions',
      record: { group: 'master-asg', tag: TAG.voting, value: '-' },
    });
  });

  test("clears them before the data group's next step, which would otherwise wait on them forever", async () => {
    // A redeploy changed the data launch template while the master was leaving: the data group steps first, and its
    // surge gate (previous-replacement-complete) waits until no voting exclusion is left.
    const w = masterLeft();
    w.group('data-asg').target = '3';
    const left = await snapshot(w);
    expect(decideIn(left).action.type).toBe('clear-voting-exclusions');
    // Once cleared, the data group's replacement goes on.
    expect(decideIn(withOwnedVoting(left, [])).action).toMatchObject({ type: 'surge', group: 'data-asg' });
  });

  test('does not clear them while one of them still names a live master: that master goes on leaving', async () => {
    // i-aa has left, i-5 (voting-excluded, about to be terminated) has not: clearing would return i-5 to the voting
    // configuration right before its termination.
    const w = withOwnedVoting(await at('masterTerminate'), [hex(0xaa), hex(5)]);
    expect(decideIn(w).action).toMatchObject({ type: 'terminate', group: 'master-asg', instanceId: hex(5) });
  });

  test('does not clear them while a voting exclusion the rollout did not write is set: waits, naming it', async () => {
    const w = withEs(await snapshot(masterLeft()), (es) => ({ ...es, votingExclusions: [hex(5), 'i-0000beef'] }));
    const d = decideIn(w);
    expect(gated(d)).toEqual({ type: 'wait', blockedBy: 'no-foreign-exclusions' });
    expect(d.reason).toMatch(
      /i-00000005 left the cluster, but .* together with i-0000beef, which this rollout did not/,
    );
  });
});

describe('capacity someone else changed', () => {
  /** The data surge stage with the data group's desired capacity (and live instances) raised to `desired`. */
  const raisedTo = async (desired: number): Promise<World> => {
    const w = stageWorld('dataSurge');
    const data = w.group('data-asg');
    data.desired = desired;
    for (let k = data.instances.length; k < desired; k++) {
      data.instances.push({ id: hex(0x20 + k), lt: '1', state: 'InService', az: 'eu-west-1a' });
    }
    return snapshot(w);
  };

  test('adopts a raised capacity as its baseline and says it drains the extra node only below a lower count', async () => {
    const w = await raisedTo(5);
    // 5 instances, surge limit 1: the baseline becomes 4.
    const lower = decideIn(w, spec({ counts: { data: 3, master: 3 } }));
    expect(lower.action).toEqual({ type: 'raise-baseline', group: 'data-asg', baseline: 4 });
    expect(lower.reason).toMatch(/goes on with baseline 4 and drains the extra node\(s\) to the count 3 at the end$/);
    for (const count of [4, 5]) {
      const d = decideIn(w, spec({ counts: { data: count, master: 3 } }));
      expect(d.action).toEqual({ type: 'raise-baseline', group: 'data-asg', baseline: 4 });
      expect(d.reason).toMatch(/goes on with baseline 4$/);
    }
  });

  test('does not promise to drain a raised capacity when no count is configured (the baseline is the count)', async () => {
    const d = decideIn(await raisedTo(5));
    expect(d.action).toEqual({ type: 'raise-baseline', group: 'data-asg', baseline: 4 });
    expect(d.reason).toMatch(/goes on with baseline 4$/);
  });

  test('waits when the capacity fell below the baseline, naming the capacities it expects', async () => {
    const w = stageWorld('dataSurge');
    const data = w.group('data-asg');
    data.desired = 2;
    data.instances = data.instances.slice(0, 2);
    const lowered = await snapshot(w);
    const one = decideIn(lowered);
    expect(gated(one)).toEqual({ type: 'wait', blockedBy: 'capacity-as-expected' });
    expect(one.reason).toBe('data-asg desired capacity is 2, expected 3 or 4; someone else changed it');
    const two = decideIn(lowered, withOptions({ maxSurge: 2 }));
    expect(two.reason).toBe('data-asg desired capacity is 2, expected 3 to 5; someone else changed it');
  });
});

describe('a zone-rebalance mark outside its cycle', () => {
  // The mark of an earlier cycle stays on the group; its zone counts before the surge do not match today's, so a
  // cycle would stop (stop-zone-rebalance) instead of going on.
  const OLD_MARK = '1:eu-west-1a=2';

  test('does not treat a replacement of outdated nodes as a rebalance cycle', async () => {
    const w = stageWorld('exclude');
    w.group('data-asg').tags[TAG.zoneRebalance] = OLD_MARK;
    const d = decideIn(await snapshot(w));
    expect(d.action).toMatchObject({ type: 'exclude', node: hex(1) });
    expect(d.reason).toMatch(/^draining i-00000001 \(/);
  });

  test('does not treat a surge of two (maxSurge 2) with nothing outdated left as a rebalance cycle', async () => {
    // Every data node runs the target, two surge instances joined (the outdated nodes they were for died).
    const w = stageWorld('masterSurge');
    const data = w.group('data-asg');
    data.tags[TAG.zoneRebalance] = OLD_MARK;
    data.desired = 5;
    for (const n of [0x20, 0x21]) {
      data.instances.push({ id: hex(n), lt: '2', state: 'InService', az: 'eu-west-1a' });
      w.joined.set(hex(n), { version: '8.19.3', roles: ['data'] });
    }
    const d = decideIn(await snapshot(w), withOptions({ maxSurge: 2 }));
    expect(d.action.type).toBe('exclude');
    expect(d.reason).not.toMatch(/zone-rebalance/);
  });
});

/**
 * maxSurge 2 over 4 data nodes (one zone): a surge of two joined (i-11, i-12) and i-1 is draining. Shards (primary,
 * replica): logs 0 on i-1, i-2; 1 on i-2, i-3; 2 on i-3, i-4; 3 on i-4, i-1. So i-3 is the one outdated node that
 * shares no shard with i-1.
 */
function parallelWorld(): FakeWorld {
  const w = new FakeWorld({ data: 4, shards: 4 });
  for (const g of w.groups) {
    g.tags = {
      [TAG.rollout]: 'r1',
      [TAG.capacity]: String(g.desired),
      [TAG.suspended]: 'AZRebalance',
      ...(g.role === 'data' ? { [TAG.rebalance]: '-', [TAG.excluded]: hex(1) } : { [TAG.voting]: '-' }),
    };
    g.suspended = ['AZRebalance'];
  }
  w.rebalance = 'none';
  const data = w.group('data-asg');
  data.desired = 6;
  data.tags[TAG.surgeAt] = '150';
  for (const n of [0x11, 0x12]) {
    data.instances.push({ id: hex(n), lt: '2', state: 'InService', az: 'eu-west-1a' });
    w.joined.set(hex(n), { version: '8.19.3', roles: ['data'] });
  }
  w.exclude = [hex(1)];
  return w;
}
const SURGE2 = withOptions({ maxSurge: 2 });

describe('parallel drains (maxSurge)', () => {
  test('adds the outdated node that shares no shard with the running drain while that drain goes on', async () => {
    const d = decideIn(await snapshot(parallelWorld()), SURGE2);
    expect(d.action).toEqual({
      type: 'exclude',
      node: hex(3),
      names: [hex(1), hex(3)],
      record: { group: 'data-asg', tag: TAG.excluded, value: `${hex(1)},${hex(3)}` },
    });
    expect(d.reason).toMatch(/^draining i-00000003 \(eu-west-1a\) beside i-00000001 \(maxSurge 2\)/);
  });

  test('does not add a node while no surge slot is free: the running drain goes on', async () => {
    const w = parallelWorld();
    w.group('data-asg').desired = 5;
    w.group('data-asg').instances.pop();
    expect(decideIn(await snapshot(w), SURGE2).action).toMatchObject({ type: 'wait-for-drain', node: hex(1) });
  });

  test('does not add a node every outdated copy of which shares a shard with the running drain', async () => {
    const w = parallelWorld();
    w.shards.push({ index: 'other', shard: 0, primary: true, node: hex(1), bytes: 5 });
    w.shards.push({ index: 'other', shard: 0, primary: false, node: hex(3), bytes: 5 });
    expect(decideIn(await snapshot(w), SURGE2).action).toMatchObject({ type: 'wait-for-drain', node: hex(1) });
  });

  test('terminates a drained node rather than adding another one to the drains', async () => {
    const w = parallelWorld();
    for (const s of w.shards) if (s.node === hex(1)) s.node = s.shard === 0 ? hex(0x11) : hex(0x12);
    expect(decideIn(await snapshot(w), SURGE2).action).toMatchObject({
      type: 'terminate',
      group: 'data-asg',
      instanceId: hex(1),
    });
  });

  test('adds a node while a drained master+data node waits for its voting exclusion', async () => {
    const w = parallelWorld();
    w.joined.set(hex(1), { version: '8.18.2', roles: ['master', 'data'] });
    for (const s of w.shards) if (s.node === hex(1)) s.node = s.shard === 0 ? hex(0x11) : hex(0x12);
    // No room for another voting exclusion: the voting-exclusion step of i-1 waits. i-1 holds nothing any more, so
    // no outdated node shares a shard with the drains; i-3 shares shards with two other outdated nodes (i-2, i-4),
    // i-2 and i-4 with one each: i-3 goes first, before i-2 (first by bytes, then by name), so that the nodes left
    // share fewer shards and a later batch can drain side by side (parallel.ts).
    const s = withOptions({ maxSurge: 2, maxVotingExclusions: 0 });
    expect(decideIn(await snapshot(w), s).action).toMatchObject({ type: 'exclude', node: hex(3) });
  });
});

describe('what a step says and records', () => {
  test('a surge names how many replacements it launches', async () => {
    const one = decideIn(await at('dataSurge'));
    expect(one.reason).toBe('3 outdated in data-asg: launching one replacement first (desired 3 → 4)');
    // maxSurge 2 in one zone: a batch of two.
    const two = decideIn(await at('dataSurge'), withOptions({ maxSurge: 2 }));
    expect(two.action).toMatchObject({ type: 'surge', desiredCapacity: 5 });
    expect(two.reason).toBe(
      '3 outdated in data-asg: launching 2 replacements (maxSurge 2, balanced over the zones) first (desired 3 → 5)',
    );
  });

  test('a master+data node on its way out is drained and recorded as excluded by the rollout', async () => {
    const w = withNode(await at('masterTerminate'), hex(5), { roles: ['master', 'data'] });
    expect(decideIn(w).action).toEqual({
      type: 'exclude',
      node: hex(5),
      names: [hex(5)],
      record: { group: 'data-asg', tag: TAG.excluded, value: hex(5) },
    });
  });

  test('a termination says the desired capacity it leaves', async () => {
    const d = decideIn(await at('dataTerminate'));
    expect(d.action.type).toBe('terminate');
    expect(d.reason).toBe('i-00000001 holds no data and its replacement has joined: terminating it (desired 4 → 3)');
  });
});

describe('waits of a step', () => {
  test('starts the join clock at the first sight of a replacement that has not joined, and keeps it after', async () => {
    const w = stageWorld('waitJoin');
    const marked = { ...(await snapshot(w)), now: 500 };
    expect(decideIn(marked).action).toEqual({ type: 'wait-for-join', group: 'data-asg' });
    delete w.group('data-asg').tags[TAG.joinWait];
    const first = { ...(await snapshot(w)), now: 500 };
    expect(decideIn(first).action).toEqual({ type: 'wait-for-join', group: 'data-asg', since: 500 });
  });

  test('does not terminate a drained node while a long-running task runs on it', async () => {
    const task = { id: 'id-i-00000001:7', node: hex(1), action: 'indices:data/write/reindex', runningSeconds: 60 };
    const d = decideIn(withEs(await at('dataTerminate'), (es) => ({ ...es, tasks: [task] })));
    expect(gated(d)).toEqual({ type: 'wait-for-tasks', blockedBy: 'in-flight-tasks' });
  });
});

describe('a drain that stalls', () => {
  /** The data terminate stage with i-1 still holding a copy, and a progress record of `copies` left since 0. */
  const stalled = async (copies: number, now: number): Promise<World> => {
    const w = stageWorld('dataTerminate');
    if (copies > 0) w.shards.push({ index: 'big', shard: 0, primary: false, node: hex(1), bytes: 10 });
    w.group('data-asg').tags[TAG.drainProgress] = `${hex(1)}:${copies}:${copies * 10}:0`;
    return { ...(await snapshot(w)), now };
  };

  test('reports a drain with copies left and no progress for stallSeconds as stalled, and keeps waiting', async () => {
    const stall = DEFAULT_OPTIONS.stallSeconds;
    const late = decideIn(await stalled(1, stall));
    expect(gated(late)).toEqual({ type: 'wait-for-drain', blockedBy: DRAIN_STALLED });
    expect(late.action).toMatchObject({ node: hex(1), shardsLeft: 1, bytesLeft: 10 });
    expect(gated(decideIn(await stalled(1, stall + 600)))).toEqual({
      type: 'wait-for-drain',
      blockedBy: DRAIN_STALLED,
    });
  });

  test('does not report a drain as stalled before stallSeconds without progress', async () => {
    const d = decideIn(await stalled(1, DEFAULT_OPTIONS.stallSeconds - 1));
    expect(gated(d)).toEqual({ type: 'wait-for-drain', blockedBy: 'strictly-drained' });
  });

  test('does not report a drained node waiting for shard activity elsewhere as a stalled drain', async () => {
    // i-1 holds nothing any more; a recovery elsewhere holds its termination (strictly-drained ends with it).
    const w = withHealth(await stalled(0, 10 * DEFAULT_OPTIONS.stallSeconds), { inFlightFetch: 1 });
    const d = decideIn(w);
    expect(gated(d)).toEqual({ type: 'wait-for-drain', blockedBy: 'strictly-drained' });
    expect(d.action).toMatchObject({ node: hex(1), shardsLeft: 0 });
  });
});

describe('planned scale-in', () => {
  /** Every node at the target and the data count lowered to 2: the data group is scaled in. */
  const complete = async (minSize = 0): Promise<World> => withCapacity(await at('complete'), 3, minSize);
  const TO2 = spec({ counts: { data: 2, master: 3 } });

  test('lowers the baseline by one, saying so (the reference for the cases below)', async () => {
    const d = decideIn(await complete(), TO2);
    expect(d.action).toEqual({ type: 'scale-in', group: 'data-asg', baseline: 2, target: 2 });
    expect(d.reason).toBe(
      'planned scale-in of data-asg (3 → 2 instances): one node leaves through the drain (baseline 3 → 2)',
    );
    // MinSize one below the baseline allows it.
    expect(decideIn(await complete(2), TO2).action.type).toBe('scale-in');
  });

  test('fails the roll when the lower count leaves too few data nodes for the replicas', async () => {
    const d = decideIn(await complete(), spec({ counts: { data: 1, master: 3 } }));
    expect(gated(d)).toEqual({ type: 'mark-failed', blockedBy: 'replicas-fit-remaining-nodes' });
    expect(d.action).toEqual({ type: 'mark-failed', group: 'data-asg', reason: d.reason });
    expect(d.reason).toMatch(/to 1 data nodes leaves too few for the replicas/);
  });

  test('does not scale in while MinSize does not allow one instance fewer', async () => {
    const d = decideIn(await complete(3), TO2);
    expect(gated(d)).toEqual({ type: 'wait', blockedBy: 'capacity-as-expected' });
    expect(d.reason).toMatch(/its MinSize is 3 \(the deploy lowers it to the count\)/);
  });

  test('scales the masters in once every data node is replaced', async () => {
    const d = decideIn(await complete(), spec({ counts: { data: 3, master: 2 } }));
    expect(d.action).toEqual({ type: 'scale-in', group: 'master-asg', baseline: 2, target: 2 });
  });

  test('does not lower the baseline again while the node of the previous scale-in step is still there', async () => {
    // Masters 5 → 3: the first step lowered the baseline to 4; the fifth master has not been removed yet.
    const w = midRoll({ masters: 5, lt: '2' });
    w.group('master-asg').tags[TAG.capacity] = '4';
    const d = decideIn(await snapshot(w), spec({ counts: { data: 3, master: 3 } }));
    expect(d.action.type).toBe('voting-exclusion');
  });

  test('does not scale in while shards move', async () => {
    const d = decideIn(withHealth(await complete(), { relocatingShards: 1 }), TO2);
    expect(gated(d)).toEqual({ type: 'wait', blockedBy: 'no-shard-activity' });
  });
});

/**
 * stepGroup() for the master group on its own: rules decide() never reaches through it, because the data group's step
 * comes first and already covers them, kept as defence in depth (like the gates decide() never reaches).
 */
describe('the master group step on its own', () => {
  test('finishes the termination of a master+data node of its own group: clears its allocation exclusion', async () => {
    // i-5 (master+data) was drained, voting-excluded and terminated: still listed as Terminating, gone from the cluster.
    const w = stageWorld('masterTerminate');
    w.group('master-asg').instances.find((i) => i.id === hex(5))!.state = 'Terminating';
    w.group('master-asg').desired = 3;
    w.joined.delete(hex(5));
    w.exclude = [hex(5)];
    w.group('data-asg').tags[TAG.excluded] = hex(5);
    const ctx = ctxIn(await snapshot(w));
    expect(stepGroup(ctx, ctx.master)?.action).toMatchObject({ type: 'clear-exclusion', nodes: [hex(5)] });
  });

  test('does not begin a planned scale-in of the masters while a data node is outdated', async () => {
    const ctx = ctxIn(await at('dataSurge'), spec({ counts: { data: 3, master: 2 } }));
    const d = stepGroup(ctx, ctx.master)!;
    expect(gated(d)).toEqual({ type: 'wait', blockedBy: 'data-nodes-first' });
    expect(d.reason).toMatch(/^before the planned scale-in: 3 data node\(s\) still outdated/);
    // The data group's own planned scale-in is not held by it.
    const data = ctxIn(await at('complete'), spec({ counts: { data: 2, master: 3 } }));
    expect(stepGroup(data, data.data)?.action.type).toBe('scale-in');
  });
});
