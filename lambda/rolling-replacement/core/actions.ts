/** Small builders shared by the decision modules: a decision, a wait, ownership records, a terminate action. */
import { type Ctx, type GroupState, ownedList, shardsOnNode, unprotected } from './context';
import type { FleetInstance } from './fleet-port';
import { NONE, TAG } from './tags';
import type { Action, Decision, OwnershipRecord } from './types';

export const act = (action: Action, reason: string, blockedBy?: string): Decision =>
  blockedBy ? { action, reason, blockedBy } : { action, reason };
export const wait = (blockedBy: string, reason: string): Decision => act({ type: 'wait' }, reason, blockedBy);

/** The allocation-exclusion record after adding or removing nodes. */
export const excludedRecord = (ctx: Ctx, add: readonly string[], remove: readonly string[] = []): OwnershipRecord => ({
  group: ctx.data.group.name,
  tag: TAG.excluded,
  value: ownedList(ctx.data.group.tags[TAG.excluded], add, remove),
});

/** The voting-exclusion record after adding a node, or emptied (every voting exclusion is cleared at once). */
export const votingRecord = (ctx: Ctx, add?: string): OwnershipRecord => ({
  group: ctx.master.group.name,
  tag: TAG.voting,
  value: add ? ownedList(ctx.master.group.tags[TAG.voting], [add]) : NONE,
});

/** Terminates a live instance of a group (the executor lifts its scale-in protection right before). */
export function terminate(g: GroupState, inst: FleetInstance): Extract<Action, { type: 'terminate' }> {
  return {
    type: 'terminate',
    group: g.group.name,
    instanceId: inst.instanceId,
    expectedLifecycleState: inst.lifecycleState,
    expectedLaunchTemplateVersion: inst.launchTemplateVersion,
    decrement: g.live.length <= g.group.desiredCapacity,
  };
}

/** Protects every live InService instance of the groups that lacks scale-in protection (setup and cleanup). */
export function protectAll(ctx: Ctx, why: string): Decision | undefined {
  for (const g of [ctx.data, ctx.master]) {
    const ids = unprotected(g);
    if (ids.length) {
      return act(
        { type: 'protect', group: g.group.name, instanceIds: ids },
        `${why}: protecting ${ids.join(', ')} from scale in, so Auto Scaling never picks a node by itself ` +
          '(only the drained node loses it, right before its termination)',
      );
    }
  }
  return undefined;
}

export function bytesOn(ctx: Ctx, node: string): number {
  return shardsOnNode(ctx.es, node).reduce((a, s) => a + s.bytes, 0);
}
