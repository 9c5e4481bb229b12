/**
 * Order of replacement across Availability Zones: after each surge, the outdated node to remove is chosen so that the
 * roll ends balanced without zone-rebalance cycles, whatever zone Auto Scaling picks among the emptiest ones.
 */
import { bestRemovalZones, rebalanceCycles } from '../../lambda/rolling-replacement/core/zone-order';
import { FakeWorld } from './fake-world';
import { drive, spec } from './helpers';

const A = 'eu-west-1a';
const B = 'eu-west-1b';
const C = 'eu-west-1c';
const ZONES = [A, B, C];

type Group = Parameters<NonNullable<FakeWorld['launchZone']>>[0];

type Tie = 'first' | 'last' | 'rotating';

/** Auto Scaling's launch: an emptiest zone, ties broken by `tie`. */
function tieRule(tie: Tie): (g: Group) => string {
  let turn = 0;
  return (g) => {
    const live = g.instances.filter((i) => i.state !== 'Terminating');
    const count = (z: string) => live.filter((i) => i.az === z).length;
    const min = Math.min(...ZONES.map(count));
    const least = ZONES.filter((z) => count(z) === min);
    if (tie === 'first') return least[0]!;
    if (tie === 'last') return least.at(-1)!;
    return least[turn++ % least.length]!;
  };
}

const spread = (counts: Record<string, number>) =>
  Math.max(...Object.values(counts)) - Math.min(...Object.values(counts));

describe('zone order: rebalance cycles counted', () => {
  test.each([
    [0, 0, 0],
    [1, 1, 1],
    [2, 1, 0],
    [3, 1, 0],
    [4, 0, 1],
    [2, 2, 2],
    [3, 3, 0],
  ])('%p', (...c) => {
    const expected = { '0,0,0': 0, '1,1,1': 0, '2,1,0': 1, '3,1,0': 1, '4,0,1': 2, '2,2,2': 0, '3,3,0': 2 };
    expect(rebalanceCycles(c)).toBe(expected[c.join(',') as keyof typeof expected]);
  });
});

describe('zone order: which zone to remove from', () => {
  test('a surge into one of three equal zones: the plan keeps every tie choice balanced', () => {
    const best = bestRemovalZones(ZONES, [3, 2, 2], [2, 2, 2], [2, 2, 2]);
    expect(best).toBeDefined();
    expect(best!.worst).toBe(0);
  });

  test('the last outdated node: removed from the zone that leaves the group balanced', () => {
    // a:3 (all new), b:2 (one outdated), c:2 (new): removing from b leaves a:3 b:1 c:2 — the only choice.
    expect(bestRemovalZones(ZONES, [3, 2, 2], [0, 1, 0], [0, 1, 0])!.zones).toEqual([B]);
    // a:3 (one outdated) after the surge into a, b:2, c:2 (one outdated). Removing from a balances now (2-2-2) but the
    // last surge may then land in a or b, which hold nothing outdated: one cycle. Removing from c keeps the group off
    // balance by one (3-2-1): the last surge can only land in c, then a's outdated node leaves: 2-2-2 for sure.
    expect(bestRemovalZones(ZONES, [3, 2, 2], [1, 0, 1], [1, 0, 1])).toEqual({ zones: [C], worst: 0, mean: 0 });
    expect(bestRemovalZones(ZONES, [3, 2, 2], [1, 0, 1], [1, 0, 0])).toMatchObject({ zones: [A], worst: 1 });
  });

  test('no removable node: no preference', () => {
    expect(bestRemovalZones(ZONES, [3, 2, 2], [1, 0, 0], [0, 0, 0])).toBeUndefined();
  });
});

/** A whole roll in the fake world, with Auto Scaling's tie rule `tie`; every reconcile is run twice (duplicates). */
async function roll(data: number, tie: Tie, duplicate: boolean) {
  const w = new FakeWorld({ zones: ZONES, data, masters: 3, shards: data });
  w.launchZone = tieRule(tie);
  const r = await drive(w, spec(), { duplicate, maxSteps: 1500 });
  const cycles = r.decisions.filter((d) => d.action.type === 'surge' && /^zone-rebalance: /.test(d.reason)).length;
  return { w, r, cycles };
}

describe('zone order: a roll ends balanced without zone-rebalance cycles', () => {
  const cases = [6, 12].flatMap((data) =>
    (['first', 'last', 'rotating'] as const).flatMap((tie) =>
      [false, true].map((duplicate) => ({ data, tie, duplicate })),
    ),
  );
  test.each(cases)(
    '3 masters + $data data over 3 zones, ties to the $tie zone (duplicate calls: $duplicate): 0 cycles',
    async ({ data, tie, duplicate }) => {
      const { w, r, cycles } = await roll(data, tie, duplicate);
      expect(r.outcome).toBe('completed');
      expect(cycles).toBe(0);
      for (const g of ['data-asg', 'master-asg']) {
        expect(spread(w.zoneCounts(g))).toBeLessThanOrEqual(1);
        expect(w.group(g).instances.every((i) => i.lt === '2')).toBe(true);
      }
      // One surge and one termination per node, nothing more.
      expect(w.terminations).toHaveLength(data + 3);
      expect(new Set(w.terminations).size).toBe(data + 3);
      expect(w.lostCopies).toBe(0);
      expect(w.maxOut).toBeLessThanOrEqual(1);
    },
  );
});

describe('zone order: the search edges', () => {
  test('no zones: no rebalance cycle', () => {
    expect(rebalanceCycles([])).toBe(0);
  });

  test('equal worst cases: the zone with fewer cycles on average over the tie choices wins alone', () => {
    // a:1 b:2 c:4, outdated b:1 c:3 (b:1, c:2 removable now): removing from b or from c needs one cycle in the worst
    // case, but from c only a third of a cycle on average (b: two thirds).
    expect(bestRemovalZones(ZONES, [1, 2, 4], [0, 1, 3], [0, 1, 2])).toEqual({ zones: [C], worst: 1, mean: 1 / 3 });
    expect(bestRemovalZones(ZONES, [1, 2, 4], [0, 1, 3], [0, 1, 0])).toEqual({ zones: [B], worst: 1, mean: 2 / 3 });
  });

  test('options equal in worst case and mean are all returned', () => {
    // Removing from a or from c: one cycle, in the worst case and on average.
    expect(bestRemovalZones(ZONES, [3, 2, 5], [2, 2, 1], [2, 0, 1])).toEqual({ zones: [A, C], worst: 1, mean: 1 });
  });

  test('a zone with nothing outdated is never chosen, even when listed as removable', () => {
    expect(bestRemovalZones(ZONES, [3, 2, 2], [0, 1, 0], [1, 1, 1])!.zones).toEqual([B]);
  });

  test('a search too large to run (61 instances, all outdated) gives no preference, within the state budget', () => {
    const t = Date.now();
    expect(bestRemovalZones(ZONES, [21, 20, 20], [20, 20, 20], [20, 20, 20])).toBeUndefined();
    // The budget (50,000 states) keeps the decision to a few seconds even on a loaded machine.
    expect(Date.now() - t).toBeLessThan(20_000);
  });
});
