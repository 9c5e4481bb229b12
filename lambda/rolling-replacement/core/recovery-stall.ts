/**
 * Stall detection of a recovery (issue 12, finding 8), the counterpart of a drain's (stall.ts): while the roll waits
 * at a health gate (cluster-green-or-version-yellow, no-shard-activity) for unassigned copies to be recovered, the
 * progress is recorded in the data group's tag `elk-cdk:rollout-recovery-progress`: "moving" while a copy initializes,
 * else "<copies left>:<first copy left>:<since>", rewritten when the copies left change (fewer: progress; more or
 * others: a new recovery, a new clock). When nothing initialized and nothing was recovered for `stallSeconds`, the wait
 * is reported as `drain-stalled` with the cause read from allocation explain by decider name (filter, shards_limit,
 * enable, same_shard, …) and what the operator can do. The roll keeps waiting. Replicas the version deciders refuse
 * (a primary on an upgraded node) are not a recovery to wait for: the surge settles them. Pure.
 */
import { type Ctx, ownedExclusions } from './context';
import { classifyUnassigned, clusterGreenOrVersionYellow, noShardActivity } from './predicates';
import { DRAIN_STALLED, causeOf } from './stall';
import { TAG } from './tags';
import type { Action, Decision, ShardCopy } from './types';

/** The gates whose wait is a wait for recoveries. */
const HEALTH_GATES: ReadonlySet<string> = new Set([clusterGreenOrVersionYellow.name, noShardActivity.name]);

const key = (s: ShardCopy) => `${s.index}/${s.shard}/${s.primary ? 'p' : 'r'}`;
const label = (s: ShardCopy) => `[${s.index}][${s.shard}] ${s.primary ? 'primary' : 'replica'}`;

function parseRecord(v: string | undefined): { copies: number; first: string; since: number } | undefined {
  const m = /^(\d+):(.+):(\d+)$/.exec(v ?? '');
  return m ? { copies: Number(m[1]), first: m[2]!, since: Number(m[3]) } : undefined;
}

/**
 * The recovery's progress while the roll waits at a health gate: the record to write (when it changed), and for how
 * long nothing was recovered. Undefined when no copy waits to be recovered.
 */
export function recoveryProgress(
  ctx: Ctx,
  tag: string | undefined,
): { record?: string; stalledFor?: number; left: ShardCopy[] } | undefined {
  const left = classifyUnassigned(ctx)
    .filter((c) => c.klass !== 'version-blocked')
    .map((c) => c.shard)
    .sort((a, b) => key(a).localeCompare(key(b)));
  const moving = ctx.es.shards.some((s) => s.state === 'INITIALIZING');
  if (left.length === 0 && !moving) return undefined;
  if (moving) return tag === 'moving' ? { left } : { record: 'moving', left };
  const first = key(left[0]!).slice(0, 180);
  const prev = parseRecord(tag);
  if (!prev || prev.copies !== left.length || prev.first !== first) {
    return { record: `${left.length}:${first}:${Math.floor(ctx.now)}`, left };
  }
  return { stalledFor: Math.floor(ctx.now) - prev.since, left };
}

/** Why the first copy left cannot be recovered, from its allocation explanation by decider name. */
export function diagnoseRecovery(ctx: Ctx, left: readonly ShardCopy[], stalledFor: number): string {
  const more = left.length > 1 ? ` (and ${left.length - 1} more cop${left.length === 2 ? 'y' : 'ies'})` : '';
  const head = `the recovery of ${label(left[0]!)}${more} made no progress for ${stalledFor} s (nothing initializing, nothing recovered)`;
  const draining = new Set(ownedExclusions(ctx));
  const explained = left
    .map((s) => ({
      s,
      e: ctx.es.explanations.find((x) => x.index === s.index && x.shard === s.shard && x.primary === s.primary),
    }))
    .find((x) => x.e !== undefined);
  if (!explained) {
    return (
      `${head}; no allocation explanation of it (POST _cluster/allocation/explain with its index, shard and primary ` +
      'tells why); still waiting'
    );
  }
  const { s, e } = explained as { s: ShardCopy; e: NonNullable<typeof explained.e> };
  if (e.canAllocate !== 'no') {
    return `${head}; ${label(s)} may be allocated (can_allocate=${e.canAllocate}) but was not; still waiting`;
  }
  const counts = new Map<string, number>();
  for (const d of e.nodeDecisions.filter((x) => !draining.has(x.nodeName))) {
    for (const name of new Set(d.noDeciders)) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  // same_shard on the node holding the primary is inherent to every replica: a cause only when it is the only one.
  if (counts.size > 1) counts.delete('same_shard');
  const names = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([n]) => n);
  if (names.length === 0) return `${head}; ${label(s)} cannot be allocated and no node says why; still waiting`;
  const parts = names.slice(0, 2).map((n) => {
    const c = causeOf(n, { index: s.index, ...(e.indexRouting ? { indexRouting: e.indexRouting } : {}) });
    return `${n}: ${c.cause}; what to do: ${c.remedy}`;
  });
  return `${head}; ${label(s)} cannot be allocated: ${parts.join(' | ')}; still waiting`;
}

/**
 * A roll's wait at a health gate, with the recovery's progress recorded and, past stallSeconds, named drain-stalled
 * with its diagnosis. Any other decision is returned as it is.
 */
export function withRecoveryStall(ctx: Ctx, d: Decision): Decision {
  if (d.action.type !== 'wait' || d.blockedBy === undefined || !HEALTH_GATES.has(d.blockedBy)) return d;
  const group = ctx.data.group.name;
  const p = recoveryProgress(ctx, ctx.data.group.tags[TAG.recoveryProgress]);
  if (!p) return d;
  const action: Action = p.record ? { type: 'wait', recoveryProgress: { group, value: p.record } } : d.action;
  if (p.stalledFor !== undefined && p.stalledFor >= ctx.spec.options.stallSeconds && p.left.length > 0) {
    return { action, reason: diagnoseRecovery(ctx, p.left, p.stalledFor), blockedBy: DRAIN_STALLED };
  }
  return { ...d, action };
}
