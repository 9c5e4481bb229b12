/**
 * Zone rebalance (zone-rebalance.ts) case by case, on a world taken at the end of a roll (every node at the target,
 * the lock and the setup in place) in which exactly one rule decides: which zones count, how the cycle tag is read
 * (an unreadable one stops rebalancing, never throws), when a cycle may start (the lock, nothing outdated, no surge in
 * flight, AZRebalance suspended, the bound, the setup, the surge gates), whether a surge landed where it helps, and
 * what the release reports. decide() and unit cases in milliseconds, for the mutation runs (issue 21); the whole-roll
 * behaviour is zone-rebalance.test.ts.
 */
import {
  landingProblem,
  rebalanceMark,
  rebalanceStopText,
  startZoneRebalance,
  zoneImbalance,
} from '../../lambda/rolling-replacement/core/zone-rebalance';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { DEFAULT_OPTIONS } from '../../lambda/rolling-replacement/core/types';
import { FakeWorld } from './fake-world';
import { type World, ctxIn, decideIn, snapshot, withEs, withGroup, withHealth } from './gate-worlds';
import { spec } from './helpers';

const A = 'eu-west-1a';
const B = 'eu-west-1b';
const C = 'eu-west-1c';

/** The end of a roll: every node at the target, the rollout lock and its setup in place on both groups. */
function endOfRollWorld(data: string[], master: string[]): FakeWorld {
  const w = new FakeWorld({ zones: [A, B, C], placement: { data, master }, lt: '2', data: data.length });
  for (const g of w.groups) {
    g.suspended = ['AZRebalance'];
    g.tags = { [TAG.rollout]: 'r1', [TAG.capacity]: String(g.desired), [TAG.suspended]: 'AZRebalance' };
  }
  w.group('data-asg').tags[TAG.rebalance] = '-';
  w.rebalance = 'none';
  return w;
}

const endOfRoll = (data: string[], master: string[] = [A, B, C]): Promise<World> =>
  snapshot(endOfRollWorld(data, master));

const withTag = (w: World, name: string, key: string, value: string | undefined): World =>
  withGroup(w, name, (g) => {
    const tags = { ...g.tags };
    if (value === undefined) delete tags[key];
    else tags[key] = value;
    return { ...g, tags };
  });

const withCycleTag = (w: World, value: string): World => withTag(w, 'data-asg', TAG.zoneRebalance, value);

let unbalanced: World;
beforeAll(async () => {
  unbalanced = await endOfRoll([A, A, B]);
});

describe('the zones a group is balanced over', () => {
  test('a group listing no zones counts every zone the cluster uses, an empty one too', () => {
    const w = withGroup(unbalanced, 'data-asg', (g) => {
      const { availabilityZones: _, ...rest } = g;
      return rest;
    });
    const ctx = ctxIn(w);
    // C holds only a master: for the data group it is an empty zone.
    expect(zoneImbalance(ctx, ctx.data)).toBe(`${A}:2, ${B}:1, ${C}:0`);
    expect(decideIn(w).action).toMatchObject({ type: 'surge', group: 'data-asg' });
  });

  test('zones are listed by name whatever order the group gives them (the cycle tag and the reason)', () => {
    const w = withGroup(unbalanced, 'data-asg', (g) => ({ ...g, availabilityZones: [C, A, B] }));
    const d = decideIn(w);
    expect(d.action).toMatchObject({
      type: 'surge',
      group: 'data-asg',
      desiredCapacity: 4,
      tags: { [TAG.zoneRebalance]: `1:${A}=2,${B}=1,${C}=0` },
    });
    expect(d.reason).toContain(`(${A}:2, ${B}:1, ${C}:0)`);
    expect(d.reason).toMatch(/cycle 1 of at most 3; desired 3 → 4\)$/);
  });
});

describe('the cycle tag', () => {
  test.each([
    ['empty', ''],
    ['"-"', '-'],
  ])('an %s tag is no cycle yet: the first cycle starts', (_, value) => {
    expect(decideIn(withCycleTag(unbalanced, value)).action).toMatchObject({
      type: 'surge',
      group: 'data-asg',
      tags: { [TAG.zoneRebalance]: `1:${A}=2,${B}=1,${C}=0` },
    });
  });

  const markOf = (value: string) => rebalanceMark(ctxIn(withCycleTag(unbalanced, value)).data);

  test('reads a cycle number of more than one digit', () => {
    expect(markOf(`12:${A}=1,${B}=1,${C}=1`)).toMatchObject({ kind: 'cycle', n: 12 });
  });

  test('skips empty parts between commas', () => {
    const mark = markOf(`1:${A}=2,,${B}=1,`);
    expect(mark.kind).toBe('cycle');
    if (mark.kind === 'cycle') {
      expect([...mark.before]).toEqual([
        [A, 2],
        [B, 1],
      ]);
    }
  });

  test.each([
    ['no cycle number', 'garbage'],
    ['text before the cycle number', `x1:${A}=1`],
    ['a line break', `1:${A}=1\n${B}=1`],
    ['a zone without a count', `1:${A}`],
    ['a count without a zone', '1:=2'],
    ['a count that is not a number', `1:${A}=x`],
    ['no zone at all', '1:'],
  ])('an unreadable tag (%s) stops rebalancing with its text, and does not throw', (_, value) => {
    expect(markOf(value)).toEqual({ kind: 'stopped', reason: `unreadable tag ${TAG.zoneRebalance}=${value}` });
    expect(decideIn(withCycleTag(unbalanced, value)).action.type).not.toBe('surge');
  });
});

describe('when a cycle starts', () => {
  test('does not start a cycle on a group without the rollout lock (the lock was released there)', async () => {
    const w = withTag(await endOfRoll([A, B, C], [A, A, C]), 'master-asg', TAG.rollout, undefined);
    const ctx = ctxIn(w);
    expect(startZoneRebalance(ctx, ctx.master)).toBeUndefined();
    const d = decideIn(w);
    expect(d.action.type).not.toBe('surge');
    expect(d.action).not.toMatchObject({ type: 'begin', group: 'master-asg' });
  });

  test('does not start a cycle on a group with an outdated instance', () => {
    const w = withGroup(unbalanced, 'data-asg', (g) => ({
      ...g,
      instances: g.instances.map((i, k) => (k === 0 ? { ...i, launchTemplateVersion: '1' } : i)),
    }));
    const ctx = ctxIn(w);
    expect(ctx.data.outdated).toHaveLength(1);
    expect(startZoneRebalance(ctx, ctx.data)).toBeUndefined();
  });

  test('does not start a cycle while a surge is in flight (capacity above the baseline)', () => {
    const w = withGroup(unbalanced, 'data-asg', (g) => ({ ...g, desiredCapacity: 4 }));
    const ctx = ctxIn(w);
    expect(ctx.data.capacity).toBe(ctx.data.baseline + 1);
    expect(startZoneRebalance(ctx, ctx.data)).toBeUndefined();
  });

  test('does not start a cycle while AZRebalance runs (Auto Scaling balances the group itself)', () => {
    const s = spec({ options: { ...DEFAULT_OPTIONS, suspendProcesses: [] } });
    const w = withTag(
      withGroup(unbalanced, 'data-asg', (g) => ({ ...g, suspendedProcesses: [] })),
      'data-asg',
      TAG.suspended,
      '-',
    );
    const ctx = ctxIn(w, s);
    expect(startZoneRebalance(ctx, ctx.data)).toBeUndefined();
    expect(decideIn(w, s).action.type).not.toBe('surge');
  });

  test('the last cycle the bound allows still runs (cycle 3 of a group of 3)', () => {
    // Two cycles ran: the counts differ from those before the second surge.
    const d = decideIn(withCycleTag(unbalanced, `2:${A}=1,${B}=1,${C}=1`));
    expect(d.action).toMatchObject({ type: 'surge', tags: { [TAG.zoneRebalance]: `3:${A}=2,${B}=1,${C}=0` } });
  });

  test('does not surge before the setup holds again: the balancer is switched off first', () => {
    const w = withEs(unbalanced, (es) => ({ ...es, rebalanceEnable: { persistent: 'all', transient: null } }));
    expect(decideIn(w).action).toEqual({ type: 'set-rebalance', value: 'none' });
  });

  test('does not surge while a surge gate blocks (cluster yellow): waits on it', () => {
    const w = withHealth(unbalanced, { status: 'yellow' });
    const d = decideIn(w);
    expect(d).toMatchObject({ action: { type: 'wait' }, blockedBy: 'cluster-green-or-version-yellow' });
    expect(d.reason).toMatch(/^zone-rebalance: before surging data-asg: /);
  });
});

describe('whether the surge landed where it helps', () => {
  const before = (a: number, b: number, c: number) =>
    new Map([
      [A, a],
      [B, b],
      [C, c],
    ]);
  const problem = async (now: string[], b: Map<string, number>) => {
    const ctx = ctxIn(await endOfRoll(now));
    return landingProblem(ctx, ctx.data, b);
  };

  test('one instance more, in an emptiest zone: no problem', async () => {
    expect(await problem([A, A, B, C], before(2, 1, 0))).toBeUndefined();
  });

  test('two instances more in the emptiest zone: the zones changed otherwise', async () => {
    expect(await problem([A, A, B, C, C], before(2, 1, 0))).toMatch(/changed otherwise during the cycle/);
  });

  test('one instance more in each of two emptiest zones: the zones changed otherwise', async () => {
    expect(await problem([A, A, B, C], before(2, 0, 0))).toMatch(/changed otherwise during the cycle/);
  });

  test('no change at all: the zones changed otherwise', async () => {
    expect(await problem([A, A, B], before(2, 1, 0))).toMatch(/changed otherwise during the cycle/);
  });

  test('one instance more in the fullest zone: not an emptiest zone', async () => {
    expect(await problem([A, A, A, B], before(2, 1, 0))).toMatch(new RegExp(`landed in ${A}, not in an emptiest zone`));
  });
});

describe('what the release reports', () => {
  const stopText = (value: string | undefined) =>
    rebalanceStopText(ctxIn(value === undefined ? unbalanced : withCycleTag(unbalanced, value)).data);

  test('nothing without a cycle tag, or below the bound', () => {
    expect(stopText(undefined)).toBe('');
    expect(stopText(`1:${A}=2,${B}=1,${C}=0`)).toBe('');
    expect(stopText(`2:${A}=2,${B}=1,${C}=0`)).toBe('');
  });

  test('the bound reached, or the reason rebalancing stopped', () => {
    expect(stopText(`3:${A}=2,${B}=1,${C}=0`)).toBe('; zone rebalancing stopped after 3 cycle(s), the most allowed');
    expect(stopText('stopped:the surge landed in a')).toBe('; zone rebalancing stopped: the surge landed in a');
  });
});
