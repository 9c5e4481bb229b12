/** Which outdated node goes next (zone order, long tasks, fullest zone, not the elected master, fewest bytes). */
import { type Ctx, type GroupState, ownedExclusions } from './context';
import { strandedCopy } from './destination';
import type { FleetInstance } from './fleet-port';
import { bytesOn } from './actions';
import { inFlightWorkOn } from './in-flight-snapshots';
import { bestRemovalZones } from './zone-order';
import { zoneCounts } from './zone-rebalance';

/**
 * Next candidate: one whose every shard copy has a place to go (destination.ts); for outdated nodes, in a zone from which the roll ends balanced for any zone Auto Scaling picks
 * among the emptiest on the next surges (zone-order.ts; no zone-rebalance cycle, and AZRebalance has nothing to "fix"
 * by terminating a node that holds data); then one running no long task (in-flight-tasks); then in the Availability
 * Zone with the most live instances; then masters other than the elected one; then fewest bytes; then id.
 */
export function pickCandidate(ctx: Ctx, g: GroupState, candidates: readonly FleetInstance[]): string | undefined {
  const perZone = new Map<string, number>();
  for (const i of g.live) perZone.set(i.availabilityZone, (perZone.get(i.availabilityZone) ?? 0) + 1);
  const joined = candidates.filter((i) => ctx.nodesByName.has(i.instanceId));
  const preferred = candidates === g.outdated ? removalZones(ctx, g, joined) : undefined;
  const leaving = new Set(ownedExclusions(ctx));
  const key = (i: FleetInstance) => [
    // A node with a copy that could go nowhere would never drain (destination.ts): any other goes first.
    strandedCopy(ctx.es, i.instanceId, leaving) ? 1 : 0,
    preferred && !preferred.has(i.availabilityZone) ? 1 : 0,
    // A node running a long task goes later: the task may have ended by then (in-flight-tasks).
    inFlightWorkOn(ctx.es, i.instanceId).length > 0 ? 1 : 0,
    -(perZone.get(i.availabilityZone) ?? 0),
    i.instanceId === ctx.es.electedMaster ? 1 : 0,
    bytesOn(ctx, i.instanceId),
  ];
  return joined
    .map((i) => ({ i, k: key(i) }))
    .sort(
      (a, b) =>
        a.k[0]! - b.k[0]! ||
        a.k[1]! - b.k[1]! ||
        a.k[2]! - b.k[2]! ||
        a.k[3]! - b.k[3]! ||
        a.k[4]! - b.k[4]! ||
        a.k[5]! - b.k[5]! ||
        a.i.instanceId.localeCompare(b.i.instanceId),
    )[0]?.i.instanceId;
}

/**
 * The zones to take the outdated node from so that the roll ends with balanced zones (no zone-rebalance cycle) for any
 * zone Auto Scaling picks among the emptiest on the next surges (see zone-order.ts); undefined without zone data.
 */
function removalZones(ctx: Ctx, g: GroupState, removable: readonly FleetInstance[]): Set<string> | undefined {
  const counts = zoneCounts(ctx, g);
  const zones = [...counts.keys()];
  if (zones.length < 2) return undefined;
  const per = (list: readonly FleetInstance[]) => zones.map((z) => list.filter((i) => i.availabilityZone === z).length);
  const best = bestRemovalZones(
    zones,
    zones.map((z) => counts.get(z)!),
    per(g.outdated),
    per(removable),
  );
  return best ? new Set(best.zones) : undefined;
}
