/**
 * A data surge into zones the orchestrator chooses (`rollout.surgePlacement: orchestrator`, issue 17 part 2). Pure.
 *
 * Through the desired capacity Auto Scaling picks each new instance's zone (the emptiest, ties broken by a rule AWS
 * does not document), so a balanced batch must be a multiple of the zone count (parallel.ts's surgeSize): with 3
 * zones, `maxSurge: 4` drains 3 at a time. Here the roll launches each instance of a batch itself into the zone it
 * will drain from and attaches the batch (FleetPort.launchIntoZones): k = min(maxSurge, MaxSize room, outdated
 * nodes) at once, and every zone ends with as many instances as it began with. Used only where it drains more at
 * once than Auto Scaling's placement would; otherwise the surge is the usual SetDesiredCapacity.
 *
 * Zones: each slot goes to the zone with the most outdated nodes not yet matched by a slot (ties: the zone with fewer
 * live instances, then the name), so the batch takes the zones' outdated nodes down evenly and ⌈outdated ÷ k⌉
 * batches finish the group (bench/zone-rounds.ts, "zone chosen"). The drains then take their nodes from the fullest
 * zone (parallel.ts's nextBatchMember), which are the zones the batch launched into.
 */
import type { Ctx, GroupState } from './context';
import type { UnattachedInstance, ZoneLaunch } from './fleet-port';
import { act } from './actions';
import { surgeLimit, surgeSize } from './parallel';
import { TAG, numberTag } from './tags';
import type { Decision } from './types';

/**
 * How long after the first launch of a batch its instances may still be attached. A launched instance boots at once
 * and waits for its group tag before asking for its certificate, for 900 s (the boot's `membership` step,
 * ELK_MEMBERSHIP_WAIT_SECONDS); one attached later never joins, and Auto Scaling's EC2 health check would not
 * replace it. Past this bound the roll fails and its cleanup terminates the instances it never attached; while a surge
 * gate holds the surge, they are terminated instead and launched afresh once it opens (overdueLaunches).
 */
export const ATTACH_WITHIN_SECONDS = 600;

/** Whether this group's surges may go into chosen zones. */
function placementByOrchestrator(ctx: Ctx, g: GroupState): boolean {
  return g.role === 'data' && ctx.spec.options.surgePlacement === 'orchestrator' && g.group.canLaunchIntoZones === true;
}

/** The instances of one surge into chosen zones, or undefined when the surge goes through the desired capacity. */
export function zoneLaunches(ctx: Ctx, g: GroupState): readonly ZoneLaunch[] | undefined {
  if (!placementByOrchestrator(ctx, g)) return undefined;
  const k = Math.min(surgeLimit(ctx, g), g.group.maxSize - g.baseline, g.outdated.length);
  if (k <= 1 || k <= surgeSize(ctx, g)) return undefined;
  const outdated = new Map<string, number>();
  const live = new Map<string, number>();
  for (const i of g.outdated) outdated.set(i.availabilityZone, (outdated.get(i.availabilityZone) ?? 0) + 1);
  for (const i of g.live) live.set(i.availabilityZone, (live.get(i.availabilityZone) ?? 0) + 1);
  const zones = [...outdated.keys()].sort();
  const slots = new Map<string, number>();
  const launches: ZoneLaunch[] = [];
  for (let n = 0; n < k; n++) {
    const left = (z: string) => (outdated.get(z) ?? 0) - (slots.get(z) ?? 0);
    const zone = zones.reduce((best, z) => {
      const d = left(z) - left(best);
      if (d !== 0) return d > 0 ? z : best;
      return (live.get(z) ?? 0) < (live.get(best) ?? 0) ? z : best;
    });
    const slot = slots.get(zone) ?? 0;
    slots.set(zone, slot + 1);
    // The key is stable while nothing is terminated (the outdated count only falls between batches), so a retried
    // step launches nothing twice; a zone or batch change gives new keys, and the old instances are stale.
    launches.push({ zone, key: `${ctx.spec.rolloutId}/${g.group.name}/b${g.outdated.length}/${zone}/${slot}` });
  }
  return launches;
}

/** Data nodes one batch drains at once: a surge into chosen zones where it applies, else surgeSize. */
export function batchSize(ctx: Ctx, g: GroupState): number {
  return zoneLaunches(ctx, g)?.length ?? surgeSize(ctx, g);
}

/** Instances launched for the group and never attached that the next surge does not want (all when none is next). */
export function staleUnattached(g: GroupState, wanted?: readonly ZoneLaunch[]): readonly UnattachedInstance[] {
  const keys = new Set((wanted ?? []).map((l) => l.key));
  return (g.group.unattached ?? []).filter((u) => !keys.has(u.launchKey));
}

/** Describes a batch's zones, e.g. "eu-west-1a ×2, eu-west-1b, eu-west-1c". */
export function launchText(launches: readonly ZoneLaunch[]): string {
  const n = new Map<string, number>();
  for (const l of launches) n.set(l.zone, (n.get(l.zone) ?? 0) + 1);
  return [...n.entries()].map(([z, c]) => (c > 1 ? `${z} ×${c}` : z)).join(', ');
}

/** Unattached launches of the group past ATTACH_WITHIN_SECONDS since the first launch of their batch (join-wait mark). */
export function overdueLaunches(ctx: Ctx, g: GroupState): string[] {
  const ids = (g.group.unattached ?? []).map((u) => u.instanceId);
  const since = ids.length ? numberTag(g.group, TAG.joinWait) : undefined;
  return since !== undefined && ctx.now - since > ATTACH_WITHIN_SECONDS ? ids : [];
}

export function removeUnattached(g: GroupState, ids: readonly string[], why: string): Decision {
  return act(
    { type: 'terminate-unattached', group: g.group.name, instanceIds: ids },
    `${ids.join(', ')} launched for ${g.group.name} and never attached: terminating (${why}; they hold no data)`,
  );
}

/**
 * The surge of a batch into chosen zones: launched, then attached once all run (the executor). Until the attach the
 * desired capacity stays at the baseline, so each step decides this same surge with the same keys; the join clock
 * starts at the first launch, and the attach must come within ATTACH_WITHIN_SECONDS of it.
 */
export function surgeIntoZones(ctx: Ctx, g: GroupState, launches: readonly { zone: string; key: string }[]): Decision {
  const name = g.group.name;
  const since = g.group.unattached?.length ? numberTag(g.group, TAG.joinWait) : undefined;
  const timeout = Math.min(ctx.spec.options.joinTimeoutSeconds, ATTACH_WITHIN_SECONDS);
  if (since !== undefined && ctx.now - since > timeout) {
    const reason =
      `the ${launches.length} instances launched for ${name} (${launchText(launches)}) were not all running and ` +
      `attached within ${timeout} s (each boot waits 900 s for its group, then fails)`;
    return act({ type: 'mark-failed', group: ctx.data.group.name, reason }, reason, 'replacement-joins-in-time');
  }
  const k = launches.length;
  const pending = (g.group.unattached ?? []).length;
  return act(
    {
      type: 'surge',
      group: name,
      desiredCapacity: g.baseline + k,
      surgeAt: since ?? ctx.now,
      launches,
      launchTemplateVersion: g.group.targetLaunchTemplateVersion,
    },
    `${g.outdated.length} outdated in ${name}: ` +
      (pending
        ? `${pending} of ${k} replacements launched; attaching them once all run`
        : `launching ${k} replacements into the zones their drains come from (${launchText(launches)}), then ` +
          `attaching them (maxSurge ${surgeLimit(ctx, g)}, rollout.surgePlacement orchestrator; desired ` +
          `${g.baseline} → ${g.baseline + k})`),
  );
}
