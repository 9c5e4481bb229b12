/**
 * Drain-before-terminate for every termination of an Elasticsearch instance, whoever starts it (a person, Auto
 * Scaling's rebalancing or health replacement, a capacity change). A termination lifecycle hook holds the instance;
 * this pure core decides, one step at a time, what to do next, with the rolling replacement's own predicates:
 * exclude the node from allocation, for a master add a voting exclusion once the other masters are present, wait
 * until it is strictly drained (and out of the committed voting configuration, not the elected master), then let
 * the termination continue and clean up once the node has left. No SDK, no clock: `now` arrives in seconds.
 *
 * Both CONTINUE and ABANDON end in termination for a terminating instance: the hook can delay, never refuse. So when
 * a drain is impossible (Elasticsearch unreachable, the node's copies cannot move) the core keeps the instance as long
 * as Auto Scaling allows, reports why, and never reports a drain that did not happen.
 */
import { type Ctx, isDataNode, isMasterEligible } from '../rolling-replacement/core/context';
import {
  type Predicate,
  type Subject,
  allMastersHealthy,
  noLastCopyOnNode,
  notElectedMaster,
  outOfVotingConfiguration,
  replicasFitRemainingNodes,
  strictlyDrained,
} from '../rolling-replacement/core/predicates';

/** Auto Scaling's limits for a lifecycle hook (documented quotas). */
export const HOOK_LIMITS = {
  /** HeartbeatTimeout may be at most two hours. */
  maxHeartbeatTimeoutSeconds: 7200,
  /** A lifecycle action lasts at most 48 hours or 100 × the heartbeat timeout, whichever is smaller. */
  maxLifetimeSeconds: 48 * 3600,
  lifetimeHeartbeats: 100,
};

export interface DrainState {
  readonly instanceId: string;
  readonly groupName: string;
  readonly role: 'master' | 'data';
  readonly lifecycleActionToken: string;
  readonly lifecycleHookName: string;
  /** When the lifecycle action started (seconds). */
  readonly startedAt: number;
  readonly heartbeatTimeoutSeconds: number;
  /** Last heartbeat sent, or the start. */
  readonly lastHeartbeatAt: number;
  /** Seconds between steps (the workflow's wait): used to heartbeat and to stop before the limit in time. */
  readonly pollSeconds: number;
  /** Set once CompleteLifecycleAction was sent. */
  readonly completedAt?: number;
  /** Whether the completion followed a real drain. */
  readonly drained?: boolean;
}

export type DrainAction =
  | { readonly kind: 'heartbeat' }
  | { readonly kind: 'exclude' }
  | { readonly kind: 'voting-exclusion' }
  | { readonly kind: 'wait' }
  | { readonly kind: 'complete'; readonly drained: boolean }
  | { readonly kind: 'cleanup'; readonly allocation: boolean; readonly voting: boolean }
  | { readonly kind: 'done' };

export interface DrainDecision {
  readonly action: DrainAction;
  readonly reason: string;
  /** The predicate that blocks, by name (as in the rolling replacement). */
  readonly blockedBy?: string;
  /** Set when draining is impossible: why (logged and counted as a metric). */
  readonly impossible?: string;
}

/** The last moment to complete: before Auto Scaling's own limit, with two polls to spare. */
export function completeBy(s: DrainState): number {
  const life = Math.min(HOOK_LIMITS.maxLifetimeSeconds, HOOK_LIMITS.lifetimeHeartbeats * s.heartbeatTimeoutSeconds);
  return s.startedAt + life - 2 * s.pollSeconds;
}

/** Heartbeat when the next poll could come after half of the timeout has passed. */
export const heartbeatDue = (s: DrainState, now: number): boolean =>
  now + s.pollSeconds - s.lastHeartbeatAt >= s.heartbeatTimeoutSeconds / 2;

const gate = (p: Predicate, ctx: Ctx, subject: Subject): string | undefined => {
  const r = p.evaluate(ctx, subject);
  return r.status === 'block' ? r.reason : undefined;
};

/**
 * One decision. `ctx` is the rolling replacement's context (Elasticsearch and the groups observed now), or a
 * string saying why it could not be observed (Elasticsearch or Auto Scaling unreachable).
 */
export function decideDrain(ctx: Ctx | string, s: DrainState, now: number): DrainDecision {
  if (s.completedAt !== undefined) return afterCompletion(ctx, s);
  if (now >= completeBy(s)) {
    return {
      action: { kind: 'complete', drained: false },
      reason: `the lifecycle action reaches Auto Scaling's limit; the instance terminates without a finished drain`,
      impossible: 'lifecycle-limit',
    };
  }
  if (heartbeatDue(s, now)) return { action: { kind: 'heartbeat' }, reason: 'keep the lifecycle action alive' };
  if (typeof ctx === 'string') {
    return {
      action: { kind: 'wait' },
      reason: `cannot observe (${ctx}): holding the instance until the cluster answers or the limit`,
      blockedBy: 'observed-state-known',
      impossible: 'elasticsearch-unreachable',
    };
  }
  const node = ctx.nodesByName.get(s.instanceId);
  if (!node) {
    return {
      action: { kind: 'complete', drained: false },
      reason: `${s.instanceId} is not a member of the cluster: nothing left to drain (its copies, if any, are gone already)`,
      impossible: 'not-in-cluster',
    };
  }
  const group = s.role === 'master' ? ctx.master : ctx.data;
  const subject: Subject = { step: 'terminate', group, node: s.instanceId };

  if (isDataNode(node)) {
    const held = ctx.es.shards.some((c) => c.node === s.instanceId || c.relocatingTo === s.instanceId);
    if (held && !ctx.es.allocationExcludeNames.includes(s.instanceId)) {
      return { action: { kind: 'exclude' }, reason: `exclude ${s.instanceId} from allocation so its copies move` };
    }
    const notDrained = gate(strictlyDrained, ctx, subject) ?? gate(noLastCopyOnNode, ctx, subject);
    if (notDrained) {
      const cannot = gate(replicasFitRemainingNodes, ctx, subject);
      return {
        action: { kind: 'wait' },
        reason: notDrained,
        blockedBy: strictlyDrained.name,
        impossible: cannot ? `copies cannot move: ${cannot}` : undefined,
      };
    }
  }
  if (isMasterEligible(node)) {
    const voter = gate(outOfVotingConfiguration, ctx, subject);
    if (!ctx.es.votingExclusions.includes(s.instanceId)) {
      const quorum = gate(allMastersHealthy, ctx, { ...subject, group: ctx.master });
      if (quorum) return { action: { kind: 'wait' }, reason: quorum, blockedBy: allMastersHealthy.name };
      return { action: { kind: 'voting-exclusion' }, reason: `take ${s.instanceId} out of the voting configuration` };
    }
    const leading = voter ?? gate(notElectedMaster, ctx, subject);
    if (leading) {
      return {
        action: { kind: 'wait' },
        reason: leading,
        blockedBy: voter ? outOfVotingConfiguration.name : notElectedMaster.name,
      };
    }
  }
  return {
    action: { kind: 'complete', drained: true },
    reason: `${s.instanceId} is drained: let the termination continue`,
  };
}

/** After CONTINUE: wait for the node to leave, then remove what the drain wrote. */
function afterCompletion(ctx: Ctx | string, s: DrainState): DrainDecision {
  if (typeof ctx === 'string') return { action: { kind: 'wait' }, reason: `cannot observe (${ctx}) to clean up` };
  if (ctx.nodesByName.has(s.instanceId)) {
    return { action: { kind: 'wait' }, reason: `${s.instanceId} is still a member; clean up once it has left` };
  }
  const allocation = ctx.es.allocationExcludeNames.includes(s.instanceId);
  // Voting exclusions can only be cleared all at once: only when every excluded node has left and no roll owns them.
  const voting =
    ctx.es.votingExclusions.includes(s.instanceId) &&
    !ctx.marks.active &&
    ctx.es.votingExclusions.every((n) => !ctx.nodesByName.has(n));
  if (allocation || voting) {
    return {
      action: { kind: 'cleanup', allocation, voting },
      reason: `${s.instanceId} has left: remove its exclusions`,
    };
  }
  return { action: { kind: 'done' }, reason: `${s.instanceId} has left and nothing of its drain remains` };
}
