/**
 * The derived view decide() and the predicates read: groups with their baseline, live and outdated instances,
 * the rollout marks from the tags, and Elasticsearch lookups. Built once per decision, pure.
 */
import type { FleetGroup, FleetInstance, AsgRole } from './fleet-port';
import type { EsNodeView, EsView, RolloutSpec, ShardCopy } from './types';
import { TAG, formatListTag, listTag, numberTag } from './tags';

const GONE_STATES = new Set(['Terminating', 'Terminating:Wait', 'Terminating:Proceed', 'Terminated']);

export interface GroupState {
  readonly group: FleetGroup;
  readonly role: AsgRole;
  /** Desired capacity before the rollout (from the tag), or the current one when no rollout holds the group. */
  readonly baseline: number;
  /** Instances not terminating or terminated. */
  readonly live: readonly FleetInstance[];
  /**
   * How many instances the group runs or is about to run: the desired capacity, or more live instances when someone
   * lowered it below them (every instance is protected from scale in, so Auto Scaling cannot remove one by itself).
   */
  readonly capacity: number;
  /** The configured count (spec.counts), or the baseline when none is given: below the baseline, a planned scale-in. */
  readonly target: number;
  /** Live instances launched from another launch template version than the group's target. */
  readonly outdated: readonly FleetInstance[];
  readonly surgeAt?: number;
  readonly locked: boolean;
}

export interface RolloutMarks {
  /** Any group carries the lock tag. */
  readonly active: boolean;
  readonly id?: string;
  readonly failed?: string;
  readonly abortRequested: boolean;
  readonly paused: boolean;
  /** "<outcome>:<rolloutId>" left by the last release. */
  readonly result?: string;
  /** Persistent rebalance value before the rollout ("-" = unset); undefined when not recorded. */
  readonly rebalancePrev?: string;
}

export interface Ctx {
  readonly spec: RolloutSpec;
  readonly es: EsView;
  readonly now: number;
  readonly data: GroupState;
  readonly master: GroupState;
  readonly marks: RolloutMarks;
  readonly nodesByName: ReadonlyMap<string, EsNodeView>;
  /** Every instance id of the cluster's groups, including terminating ones. */
  readonly allInstanceIds: ReadonlySet<string>;
  readonly liveInstanceIds: ReadonlySet<string>;
}

export function groupState(group: FleetGroup, role: AsgRole, count?: number): GroupState {
  const live = group.instances.filter((i) => !GONE_STATES.has(i.lifecycleState));
  const locked = group.tags[TAG.rollout] !== undefined;
  const capacity = Math.max(group.desiredCapacity, live.length);
  const baseline = (locked ? numberTag(group, TAG.capacity) : undefined) ?? capacity;
  return {
    group,
    role,
    baseline,
    target: count ?? baseline,
    live,
    capacity,
    outdated: live.filter((i) => i.launchTemplateVersion !== group.targetLaunchTemplateVersion),
    surgeAt: numberTag(group, TAG.surgeAt),
    locked,
  };
}

export function buildContext(
  spec: RolloutSpec,
  es: EsView,
  fleet: readonly FleetGroup[],
  now: number,
): Ctx | { missing: string } {
  const dataGroup = fleet.find((g) => g.name === spec.groups.data);
  const masterGroup = fleet.find((g) => g.name === spec.groups.master);
  if (!dataGroup) return { missing: spec.groups.data };
  if (!masterGroup) return { missing: spec.groups.master };
  const data = groupState(dataGroup, 'data', spec.counts?.data);
  const master = groupState(masterGroup, 'master', spec.counts?.master);
  const tagsOf = (key: string) => dataGroup.tags[key] ?? masterGroup.tags[key];
  const marks: RolloutMarks = {
    active: data.locked || master.locked,
    id: tagsOf(TAG.rollout),
    failed: tagsOf(TAG.failed),
    abortRequested: tagsOf(TAG.abort) !== undefined,
    paused: tagsOf(TAG.paused) !== undefined,
    result: tagsOf(TAG.result),
    rebalancePrev: dataGroup.tags[TAG.rebalance],
  };
  const allInstanceIds = new Set([...dataGroup.instances, ...masterGroup.instances].map((i) => i.instanceId));
  const liveInstanceIds = new Set([...data.live, ...master.live].map((i) => i.instanceId));
  return {
    spec,
    es,
    now,
    data,
    master,
    marks,
    nodesByName: new Map(es.nodes.map((n) => [n.name, n])),
    allInstanceIds,
    liveInstanceIds,
  };
}

export const isMasterEligible = (n: EsNodeView | undefined): boolean => !!n && n.roles.includes('master');
export const isDataNode = (n: EsNodeView | undefined): boolean =>
  !!n && n.roles.some((r) => r === 'data' || r.startsWith('data_'));

/** Shard copies held by a node (as holder or as relocation target). */
export function shardsOnNode(es: EsView, node: string): ShardCopy[] {
  return es.shards.filter((s) => s.node === node || s.relocatingTo === node);
}

/**
 * Allocation exclusions this rollout owns: the entries it recorded in the data group's tag when it wrote them. Other
 * entries (an operator's, ILM's, another tool's) are never cleared and never taken for a drain of ours.
 */
export function ownedExclusions(ctx: Ctx): string[] {
  const tag = ctx.data.group.tags[TAG.excluded];
  if (tag === undefined) {
    // No record (a rollout begun before ownership was recorded): instance-id names of the cluster's groups, or gone
    // ones. Every rollout records from its first step (begin), and before it nothing is ours (foreignExclusions).
    return ctx.es.allocationExcludeNames.filter(
      (n) => /^i-[0-9a-z]+$/.test(n) && (ctx.allInstanceIds.has(n) || !ctx.nodesByName.has(n)),
    );
  }
  const ours = listTag(tag);
  return ctx.es.allocationExcludeNames.filter((n) => ours.includes(n));
}

/** Voting config exclusions this rollout owns (recorded in the master group's tag). */
export function ownedVotingExclusions(ctx: Ctx): string[] {
  const tag = ctx.master.group.tags[TAG.voting];
  // No record (a rollout begun before ownership was recorded): every voting exclusion was taken for ours.
  if (tag === undefined) return [...ctx.es.votingExclusions];
  const ours = listTag(tag);
  return ctx.es.votingExclusions.filter((n) => ours.includes(n));
}

/** Whether a name is a cluster member or a live instance of the cluster's groups. */
const isLive = (ctx: Ctx, n: string): boolean => ctx.nodesByName.has(n) || ctx.liveInstanceIds.has(n);

/**
 * Exclusions this rollout did not write: allocation exclusions that name a live node, and every voting exclusion
 * (they can only be cleared all together, so one of someone else's would be cleared with ours).
 */
export function foreignExclusions(ctx: Ctx): { readonly allocation: string[]; readonly voting: string[] } {
  // Before the lock nothing is ours.
  const ownA = new Set(ctx.marks.active ? ownedExclusions(ctx) : []);
  const ownV = new Set(ctx.marks.active ? ownedVotingExclusions(ctx) : []);
  return {
    allocation: ctx.es.allocationExcludeNames.filter((n) => !ownA.has(n) && isLive(ctx, n)),
    voting: ctx.es.votingExclusions.filter((n) => !ownV.has(n)),
  };
}

/** The tag value listing `current` plus `add`, minus `remove`. */
export function ownedList(current: string | undefined, add: readonly string[], remove: readonly string[] = []): string {
  const next = [...new Set([...listTag(current), ...add])].filter((n) => !remove.includes(n));
  return formatListTag(next);
}

/** Live InService instances of a group that Auto Scaling could pick for a scale-in by itself. */
export function unprotected(g: GroupState): string[] {
  return g.live.filter((i) => i.lifecycleState === 'InService' && !i.protectedFromScaleIn).map((i) => i.instanceId);
}

export function suspendedByUs(g: GroupState): string[] {
  return listTag(g.group.tags[TAG.suspended]);
}
