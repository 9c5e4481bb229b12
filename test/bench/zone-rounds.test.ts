/**
 * The zone-rounds model behind docs/rollout.md's answer to issue 17 part 2 (why maxSurge 4 over 3 zones keeps 4
 * rounds for 12 data nodes): the claims the docs make, pinned.
 */
import { batchRounds, roundsNeeded } from '../../bench/zone-rounds';

describe('rounds of drains over Availability Zones (bench/zone-rounds.ts)', () => {
  test('12 data nodes over 3 zones, maxSurge 4: no schedule beats 4 rounds whatever Auto Scaling picks among ties', () => {
    expect(roundsNeeded([4, 4, 4], 4, 'worst')).toBe(4);
    // Today's batches of 3 take as many.
    expect(batchRounds([4, 4, 4], 4)).toBe(4);
  });

  test("the goal's 3 rounds exist only with the simulator's tie rule (first zone)", () => {
    expect(roundsNeeded([4, 4, 4], 4, 'first')).toBe(3);
  });

  test('a maxSurge that is a multiple of the zone count reaches ⌈nodes ÷ maxSurge⌉ rounds', () => {
    expect(roundsNeeded([4, 4, 4], 3, 'worst')).toBe(4);
    expect(roundsNeeded([4, 4, 4], 6, 'worst')).toBe(2);
    expect(batchRounds([4, 4, 4], 6)).toBe(2);
  });

  test('maxSurge 5 over 3 zones: any schedule could do 3 rounds in the worst case, batches of 3 take 4', () => {
    expect(roundsNeeded([4, 4, 4], 5, 'worst')).toBe(3);
    expect(batchRounds([4, 4, 4], 5)).toBe(4);
  });

  test('with two zones and an even maxSurge nothing is lost to ties', () => {
    expect(roundsNeeded([6, 6], 4, 'worst')).toBe(3);
  });

  test('one zone or one node: trivial answers', () => {
    expect(roundsNeeded([3], 1, 'worst')).toBe(3);
    expect(roundsNeeded([0, 0, 0], 4, 'worst')).toBe(0);
    expect(batchRounds([4, 4, 4], 2)).toBe(12);
  });
});

describe('rounds when the orchestrator chooses the zone of each launch (launch + attach, surgePlacement orchestrator)', () => {
  test('12 data nodes over 3 zones, maxSurge 4: 3 rounds, one fewer than any schedule can be sure of with Auto Scaling placing', () => {
    expect(roundsNeeded([4, 4, 4], 4, 'chosen')).toBe(3);
    expect(roundsNeeded([4, 4, 4], 4, 'worst')).toBe(4);
  });

  test('a chosen zone reaches ⌈nodes ÷ maxSurge⌉ rounds', () => {
    expect(roundsNeeded([5, 5, 5], 4, 'chosen')).toBe(4);
    expect(roundsNeeded([4, 4, 4], 5, 'chosen')).toBe(3);
    expect(roundsNeeded([4, 4, 4], 2, 'chosen')).toBe(6);
  });

  test('choosing the zone never needs more rounds than any rule of Auto Scaling', () => {
    for (const [perZone, surge] of [
      [[4, 4, 4], 3],
      [[4, 4, 4], 6],
      [[3, 3], 3],
      [[2, 3, 4], 4],
    ] as const) {
      const chosen = roundsNeeded(perZone, surge, 'chosen')!;
      expect(chosen).toBeLessThanOrEqual(roundsNeeded(perZone, surge, 'first')!);
      expect(chosen).toBeLessThanOrEqual(roundsNeeded(perZone, surge, 'worst')!);
    }
  });
});
