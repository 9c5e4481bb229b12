/** The end of a roll (completed, failed, aborted): remove surge capacity, undo what the roll set, release the lock. */
import {
  type Ctx,
  type GroupState,
  foreignExclusions,
  isDataNode,
  isMasterEligible,
  ownedExclusions,
  ownedVotingExclusions,
  shardsOnNode,
  suspendedByUs,
} from './context';
import type { FleetInstance } from './fleet-port';
import { inFlightTasks } from './in-flight-tasks';
import { cleanupHandoff } from './handoff';
import { act, excludedRecord, protectAll, terminate, votingRecord, wait } from './actions';
import { formatResult } from './start';
import { rebalanceStopText, zoneImbalance } from './zone-rebalance';
import { NONE, tagValue } from './tags';
import type { Decision, Outcome } from './types';

/** An instance whose termination cannot lose data: never joined, drained, or an empty data-only node. */
function safeVictim(ctx: Ctx, g: GroupState): FleetInstance | undefined {
  const red = ctx.es.health.status === 'red';
  const notJoined = g.live.find((i) => !ctx.nodesByName.has(i.instanceId));
  if (notJoined && !red) return notJoined;
  const owned = ownedExclusions(ctx);
  for (const i of g.live) {
    const view = ctx.nodesByName.get(i.instanceId);
    if (!view || i.instanceId === ctx.es.electedMaster) continue;
    const empty = shardsOnNode(ctx.es, i.instanceId).length === 0;
    if (!empty || ctx.es.health.relocatingShards > 0 || ctx.es.health.initializingShards > 0) continue;
    if (isMasterEligible(view)) {
      if (ownedVotingExclusions(ctx).includes(i.instanceId)) return i;
      continue;
    }
    if (owned.includes(i.instanceId) || isDataNode(view)) return i;
  }
  return undefined;
}

export function cleanup(ctx: Ctx, outcome: Outcome, why: string): Decision {
  // Instances launched into chosen zones and never attached (zone-launch.ts): no group's, no data, billed.
  for (const g of [ctx.data, ctx.master]) {
    const ids = (g.group.unattached ?? []).map((u) => u.instanceId);
    if (ids.length) {
      return act(
        { type: 'terminate-unattached', group: g.group.name, instanceIds: ids },
        `${outcome === 'completed' ? 'finishing' : `stopping (${why})`}: terminating ${ids.join(', ')}, launched for ` +
          `${g.group.name} and never attached (they hold no data)`,
      );
    }
  }
  const handoff = cleanupHandoff(ctx, ctx.data, outcome);
  if (handoff) return handoff;
  const leftovers: string[] = [];
  for (const g of [ctx.data, ctx.master]) {
    if (g.locked && g.capacity > g.baseline) {
      const victim = safeVictim(ctx, g);
      const t = victim ? terminate(g, victim) : undefined;
      if (victim && t?.decrement && g.group.desiredCapacity - 1 < g.group.minSize) {
        // Someone raised MinSize (a deploy of a higher count): the decrement would fail, and without it Auto Scaling
        // would launch a replacement. The capacity stays, and the result says why.
        leftovers.push(
          `${g.group.name} left at ${g.capacity} instances (baseline ${g.baseline}): its MinSize ${g.group.minSize} ` +
            'does not allow removing the surge instance',
        );
        continue;
      }
      if (victim && t) {
        const tasks = inFlightTasks(ctx, g, victim.instanceId);
        if (tasks.decision) return tasks.decision;
        return act(
          t,
          `${outcome === 'completed' ? 'finishing' : `stopping (${why})`}: removing surge capacity of ${g.group.name} ` +
            `with ${victim.instanceId}, which holds no data${tasks.note ?? ''}`,
        );
      }
      leftovers.push(`${g.group.name} left at ${g.capacity} instances (baseline ${g.baseline}): every node holds data`);
    }
  }
  const owned = ownedExclusions(ctx);
  const ownVoting = ownedVotingExclusions(ctx);
  const leaving = [...owned, ...ownVoting].find(
    (n) => ctx.allInstanceIds.has(n) && !ctx.liveInstanceIds.has(n) && ctx.nodesByName.has(n),
  );
  if (leaving) return wait('previous-replacement-complete', `cleanup: ${leaving} was terminated and is still leaving`);
  if (owned.length) {
    return act(
      {
        type: 'clear-exclusion',
        nodes: owned,
        names: ctx.es.allocationExcludeNames.filter((n) => !owned.includes(n)),
        record: excludedRecord(ctx, [], owned),
      },
      `cleanup (${outcome}): removing allocation exclusions of ${owned.join(', ')}`,
    );
  }
  if (ownVoting.length) {
    // Voting exclusions are cleared all at once: someone else's would go with ours. Then ours stay, with the reason.
    const foreign = foreignExclusions(ctx).voting;
    if (foreign.length === 0) {
      return act(
        { type: 'clear-voting-exclusions', record: votingRecord(ctx) },
        `cleanup (${outcome}): clearing voting config exclusions`,
      );
    }
    leftovers.push(
      `voting config exclusions of ${ownVoting.join(', ')} left in place: clearing them would also clear ` +
        `${foreign.join(', ')}, which this rollout did not write (DELETE _cluster/voting_config_exclusions once both may go)`,
    );
  }
  const prev = ctx.marks.rebalancePrev;
  if (prev !== undefined) {
    const value = prev === NONE ? null : prev;
    if (ctx.es.rebalanceEnable.persistent !== value) {
      return act(
        { type: 'set-rebalance', value },
        `cleanup (${outcome}): restoring cluster.routing.rebalance.enable to ${value ?? 'its default (unset)'}`,
      );
    }
  }
  for (const g of [ctx.data, ctx.master]) {
    let ours = suspendedByUs(g).filter((p) => g.group.suspendedProcesses.includes(p));
    const zones = zoneImbalance(ctx, g);
    if (ours.includes('AZRebalance') && zones) {
      // Resuming it now would make Auto Scaling launch one instance and terminate another, undrained, with data.
      ours = ours.filter((p) => p !== 'AZRebalance');
      leftovers.push(
        `AZRebalance left suspended on ${g.group.name}: zones are unbalanced (${zones})` +
          (outcome === 'completed' ? rebalanceStopText(g) : ''),
      );
    }
    if (ours.length) {
      return act(
        { type: 'resume-processes', group: g.group.name, processes: ours },
        `cleanup (${outcome}): resuming ${ours.join(', ')} on ${g.group.name}`,
      );
    }
  }
  const protect = protectAll(ctx, `cleanup (${outcome})`);
  if (protect) return protect;
  const groups = [ctx.master, ctx.data].filter((g) => g.locked).map((g) => g.group.name);
  const result = tagValue(formatResult(outcome, ctx.spec));
  const note = leftovers.length ? `; ${leftovers.join('; ')}` : '';
  const left = leftovers.length ? { left: tagValue(leftovers.join('; ')) } : {};
  return act({ type: 'release', groups, outcome, result, ...left }, `${outcome}: ${why}${note}`);
}
