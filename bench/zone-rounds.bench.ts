/**
 * Rounds of drains a maxSurge roll needs over Availability Zones (issue 17 part 2): batches with Auto Scaling placing, the best schedule
 * of any kind in the worst case over Auto Scaling's choice among the emptiest zones, the same with the simulator's
 * tie rule (first zone), the same with the zone of every launch chosen by the orchestrator (launch + attach,
 * `rollout.surgePlacement: orchestrator`: docs/rollout.md "Methods"), and the ⌈nodes ÷ maxSurge⌉ of the goal. The model is in zone-rounds.ts. Nothing is asserted.
 */
import { batchRounds, roundsNeeded } from './zone-rounds';

const CASES: ReadonlyArray<{ perZone: number[]; maxSurge: number }> = [
  { perZone: [4, 4, 4], maxSurge: 3 },
  { perZone: [4, 4, 4], maxSurge: 4 },
  { perZone: [4, 4, 4], maxSurge: 5 },
  { perZone: [4, 4, 4], maxSurge: 6 },
  { perZone: [5, 5, 5], maxSurge: 4 },
  { perZone: [6, 6, 6], maxSurge: 4 },
  { perZone: [8, 8, 8], maxSurge: 4 },
  { perZone: [10, 10, 10], maxSurge: 4 },
  { perZone: [6, 6], maxSurge: 3 },
];

const rows: string[][] = [
  [
    'data nodes per zone',
    'maxSurge',
    '⌈nodes ÷ maxSurge⌉',
    'batches (Auto Scaling placing)',
    'any schedule, worst case',
    'any schedule, first-zone ties',
    'any schedule, zone chosen',
    'wall s',
  ],
];
for (const c of CASES) {
  const t0 = performance.now();
  const nodes = c.perZone.reduce((a, b) => a + b, 0);
  rows.push([
    c.perZone.join('/'),
    String(c.maxSurge),
    String(Math.ceil(nodes / c.maxSurge)),
    String(batchRounds(c.perZone, c.maxSurge)),
    String(roundsNeeded(c.perZone, c.maxSurge, 'worst') ?? '> 40'),
    String(roundsNeeded(c.perZone, c.maxSurge, 'first') ?? '> 40'),
    String(roundsNeeded(c.perZone, c.maxSurge, 'chosen') ?? '> 40'),
    ((performance.now() - t0) / 1000).toFixed(1),
  ]);
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) process.stdout.write(r.map((c, i) => c.padEnd(widths[i]!)).join('  ') + '\n');
