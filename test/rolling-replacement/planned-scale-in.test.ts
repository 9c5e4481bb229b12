/**
 * A lowered count is a planned scale-in through the drain (issue 12, finding 1): choose the node, drain it (voting
 * exclusion for a master), terminate it with a decrement; refused below what the replicas need.
 */
import { parseProperties, specFromProperties } from '../../lambda/rolling-replacement/contract';
import { plan } from '../../lambda/rolling-replacement/core/plan';
import { FakeWorld } from './fake-world';
import { drive, spec } from './helpers';

const live = async (w: FakeWorld, name: string) =>
  (await w.describeGroups([name]))[0]!.instances.filter((i) => i.lifecycleState !== 'Terminating');

describe('planned scale-in', () => {
  test('a data group of 4 with dataNodes.count 3: one node drained and removed, nothing lost, no surge', async () => {
    const w = new FakeWorld({ data: 4, lt: '2', shards: 4 });
    const r = await drive(w, spec({ counts: { data: 3, master: 3 } }));
    expect(r.outcome).toBe('completed');
    expect(await live(w, 'data-asg')).toHaveLength(3);
    expect(w.group('data-asg').desired).toBe(3);
    expect(w.terminations).toHaveLength(1);
    expect(w.lostCopies).toBe(0);
    expect(w.writes.filter((x) => x.startsWith('desired '))).toEqual([]);
    const types = r.decisions.map((d) => d.action.type);
    expect(types.indexOf('scale-in')).toBeLessThan(types.indexOf('exclude'));
    expect(types.indexOf('exclude')).toBeLessThan(types.indexOf('terminate'));
    // The removed node was drained first: it held nothing when terminated.
    const victim = w.terminations[0]!;
    const excludeOf = r.decisions.find((d) => d.action.type === 'exclude')!.action;
    expect(excludeOf).toMatchObject({ node: victim });
  });

  test('masters 5 → 3: two leave one at a time, each voting-excluded first', async () => {
    const w = new FakeWorld({ masters: 5, lt: '2' });
    const r = await drive(w, spec({ counts: { data: 3, master: 3 } }));
    expect(r.outcome).toBe('completed');
    expect(await live(w, 'master-asg')).toHaveLength(3);
    const types = r.decisions.map((d) => d.action.type).filter((t) => t !== 'wait');
    expect(types.filter((t) => t === 'scale-in')).toHaveLength(2);
    expect(types.filter((t) => t === 'voting-exclusion')).toHaveLength(2);
    expect(w.maxOut).toBeLessThanOrEqual(1);
  });

  test('with a version change too: the scale-in goes first, then the remaining nodes are replaced', async () => {
    const w = new FakeWorld({ data: 4, shards: 4 });
    const r = await drive(w, spec({ counts: { data: 3, master: 3 } }));
    expect(r.outcome).toBe('completed');
    expect(await live(w, 'data-asg')).toHaveLength(3);
    expect(w.lostCopies).toBe(0);
    const types = r.decisions.map((d) => d.action.type);
    expect(types.indexOf('scale-in')).toBeLessThan(types.indexOf('surge'));
  });

  test('refused below what the replicas need: nothing is changed', async () => {
    const w = new FakeWorld({ data: 3, lt: '2' });
    const r = await drive(w, spec({ counts: { data: 1, master: 3 } }));
    expect(r.outcome).toBe('failed');
    expect(r.decisions.at(-1)!.reason).toMatch(/refusing to begin: .*to 1 data nodes .*2 copies/);
    expect(r.decisions.at(-1)!.blockedBy).toBe('replicas-fit-remaining-nodes');
    expect(w.writes).toEqual([]);
  });

  test('without counts (older templates) nothing is scaled in', async () => {
    const w = new FakeWorld({ data: 4, lt: '2' });
    const r = await drive(w, spec());
    expect(r.outcome).toBe('completed');
    expect(w.terminations).toEqual([]);
  });
});

describe('planned scale-in in roll plan and the custom resource', () => {
  test('roll plan lists the planned scale-in steps before the replacements', async () => {
    const w = new FakeWorld({ data: 4, masters: 5, lt: '2' });
    const s = spec({ counts: { data: 3, master: 3 } });
    const observed = { es: await w.observe(), fleet: await w.describeGroups(['data-asg', 'master-asg']), now: 0 };
    const steps = plan(observed, s, { recoveryBytesPerSecond: 1000, joinSeconds: 100, pollSeconds: 10 });
    if ('unknown' in steps) throw new Error(steps.unknown);
    expect(steps[0]!.detail).toMatch(/planned scale-in data-asg 4 → 3, master-asg 5 → 3/);
    const scaleIns = steps.filter((x) => x.action === 'scale-in');
    expect(scaleIns.map((x) => x.node)).toEqual(['data-asg', 'master-asg', 'master-asg']);
    expect(steps.filter((x) => x.action === 'voting-exclusion')).toHaveLength(2);
  });

  test('the counts reach the spec from the custom resource properties; older properties carry none', () => {
    const base = {
      SchemaVersion: '1',
      Environment: 'dev',
      RolloutId: 'r-1',
      DataGroupName: 'd',
      MasterGroupName: 'm',
      TargetVersion: '8.19.3',
      DataLaunchTemplateVersion: '2',
      MasterLaunchTemplateVersion: '2',
      StateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:x',
      WaitHandleUrl: '',
      PollSeconds: '30',
      JoinTimeoutSeconds: '1800',
    } as const;
    const withCounts = parseProperties({ ...base, DataCount: '3', MasterCount: '5' }, 'test');
    expect(specFromProperties(withCounts, 'roll').counts).toEqual({ data: 3, master: 5 });
    expect(specFromProperties(parseProperties(base, 'test'), 'roll').counts).toBeUndefined();
  });
});
