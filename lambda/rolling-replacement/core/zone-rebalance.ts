/**
 * Zone rebalance: when every node runs the target but a group's Availability Zones differ by more than one instance,
 * one more cycle runs (surge, join, remove one node from the fullest zone). The cycle and the zone counts before its
 * surge are a group tag, so a retry recognises it; a surge that lands outside the emptiest zones stops rebalancing.
 */
import type { Ctx, GroupState } from './context';
import { runGates } from './predicates';
import { act, wait } from './actions';
import { ensureSetup } from './start';
import { NONE, TAG } from './tags';
import type { Decision } from './types';

/** Live instances per zone, sorted by zone name: the zones the group launches into (else every zone the cluster uses). */
export function zoneCounts(ctx: Ctx, g: GroupState): Map<string, number> {
  const counts = new Map<string, number>();
  const zones = g.group.availabilityZones?.length
    ? g.group.availabilityZones
    : [ctx.data, ctx.master].flatMap((x) => x.group.instances.map((i) => i.availabilityZone));
  for (const z of zones) counts.set(z, 0);
  for (const i of g.live) counts.set(i.availabilityZone, (counts.get(i.availabilityZone) ?? 0) + 1);
  return new Map([...counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export const zoneText = (counts: ReadonlyMap<string, number>): string =>
  [...counts.entries()].map(([z, n]) => `${z}:${n}`).join(', ');

/** "a:2, b:1, c:0" when the group's zones differ by more than one instance, else undefined. */
export function zoneImbalance(ctx: Ctx, g: GroupState): string | undefined {
  const counts = zoneCounts(ctx, g);
  const values = [...counts.values()];
  if (values.length === 0 || Math.max(...values) - Math.min(...values) <= 1) return undefined;
  return zoneText(counts);
}

/** The zone-rebalance tag of a group: no cycle yet, the last cycle with the zone counts before its surge, or stopped. */
type RebalanceMark =
  | { readonly kind: 'none' }
  | { readonly kind: 'cycle'; readonly n: number; readonly before: ReadonlyMap<string, number> }
  | { readonly kind: 'stopped'; readonly reason: string };

export function rebalanceMark(g: GroupState): RebalanceMark {
  const v = g.group.tags[TAG.zoneRebalance];
  if (v === undefined || v === '' || v === NONE) return { kind: 'none' };
  if (v.startsWith('stopped:')) return { kind: 'stopped', reason: v.slice('stopped:'.length) };
  const m = /^(\d+):(.*)$/.exec(v);
  const before = new Map<string, number>();
  for (const part of (m?.[2] ?? '').split(',').filter((x) => x.length > 0)) {
    const eq = part.lastIndexOf('=');
    const n = Number(part.slice(eq + 1));
    if (eq <= 0 || !Number.isInteger(n)) return { kind: 'stopped', reason: `unreadable tag ${TAG.zoneRebalance}=${v}` };
    before.set(part.slice(0, eq), n);
  }
  if (!m || before.size === 0) return { kind: 'stopped', reason: `unreadable tag ${TAG.zoneRebalance}=${v}` };
  return { kind: 'cycle', n: Number(m[1]), before };
}

const formatCycle = (n: number, counts: ReadonlyMap<string, number>): string =>
  `${n}:${[...counts.entries()].map(([z, c]) => `${z}=${c}`).join(',')}`;

/** At most one rebalance cycle per instance of the group. */
const rebalanceBound = (g: GroupState): number => Math.max(1, g.baseline);

function sameCounts(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  const zones = new Set([...a.keys(), ...b.keys()]);
  return [...zones].every((z) => (a.get(z) ?? 0) === (b.get(z) ?? 0));
}

/**
 * Why the surge of a rebalance cycle did not help: it must have added exactly one instance, in a zone that had the
 * fewest before the surge. Undefined when it did.
 */
export function landingProblem(ctx: Ctx, g: GroupState, before: ReadonlyMap<string, number>): string | undefined {
  const after = zoneCounts(ctx, g);
  const zones = [...new Set([...before.keys(), ...after.keys()])].sort();
  const delta = (z: string) => (after.get(z) ?? 0) - (before.get(z) ?? 0);
  const changed = zones.filter((z) => delta(z) !== 0);
  if (changed.length !== 1 || delta(changed[0]!) !== 1) {
    return `the zones of ${g.group.name} changed otherwise during the cycle (before the surge ${zoneText(before)}, now ${zoneText(after)})`;
  }
  const landed = changed[0]!;
  const min = Math.min(...before.values());
  const least = [...before.entries()].filter(([, n]) => n === min).map(([z]) => z);
  if (!least.includes(landed)) {
    return (
      `the surge instance of ${g.group.name} landed in ${landed}, not in an emptiest zone (${least.join(', ')}; ` +
      `before the surge ${zoneText(before)}): Auto Scaling did not balance`
    );
  }
  return undefined;
}

/**
 * Every node runs the target and nothing is in flight: when the group's zones differ by more than one instance, start
 * (or, after a crash between the tag and the capacity write, start again) a zone-rebalance cycle with a surge.
 */
export function startZoneRebalance(ctx: Ctx, g: GroupState): Decision | undefined {
  if (!g.locked || g.outdated.length > 0 || g.capacity !== g.baseline) return undefined;
  // With AZRebalance active, Auto Scaling balances the group itself; a surge of ours would race with it.
  if (!g.group.suspendedProcesses.includes('AZRebalance')) return undefined;
  const zones = zoneImbalance(ctx, g);
  if (!zones) return undefined;
  const mark = rebalanceMark(g);
  if (mark.kind === 'stopped') return undefined;
  const counts = zoneCounts(ctx, g);
  // Counts unchanged since the tag was written: that cycle's surge never happened (a good cycle changes two zones).
  const cycle = mark.kind === 'none' ? 1 : sameCounts(mark.before, counts) ? mark.n : mark.n + 1;
  const bound = rebalanceBound(g);
  if (cycle > bound) return undefined;
  // The roll's setup (lock, suspended processes, balancer off) holds for the cycle, even if a cleanup had begun.
  const setup = ensureSetup(ctx);
  if (setup) return setup;
  const name = g.group.name;
  const gate = runGates(ctx, { step: 'surge', group: g });
  if (gate) return wait(gate.blockedBy, `zone-rebalance: before surging ${name}: ${gate.reason}`);
  return act(
    {
      type: 'surge',
      group: name,
      desiredCapacity: g.baseline + 1,
      surgeAt: ctx.now,
      tags: { [TAG.zoneRebalance]: formatCycle(cycle, counts) },
    },
    `zone-rebalance: ${name} zones are unbalanced (${zones}): launching one instance (Auto Scaling picks the ` +
      `emptiest zone), then removing one from the fullest zone (cycle ${cycle} of at most ${bound}; ` +
      `desired ${g.baseline} → ${g.baseline + 1})`,
  );
}

export function rebalanceStopText(g: GroupState): string {
  const mark = rebalanceMark(g);
  if (mark.kind === 'stopped') return `; zone rebalancing stopped: ${mark.reason}`;
  if (mark.kind === 'cycle' && mark.n >= rebalanceBound(g)) {
    return `; zone rebalancing stopped after ${mark.n} cycle(s), the most allowed`;
  }
  return '';
}
