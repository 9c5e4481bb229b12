/**
 * Where a rollout keeps its progress: tags on the cluster's Auto Scaling groups. Everything else is observed, so a
 * crash, a retry or a duplicate invocation resumes from the world, never from memory.
 */
import type { FleetGroup } from './fleet-port';

/**
 * EC2 tags on an instance the orchestrator launched itself (`rollout.surgePlacement: orchestrator`), before Auto
 * Scaling's own: the group it is for, and its launch key (rollout, group, batch, zone, slot), which makes the launch
 * idempotent and lets any later step (or the cleanup) find it while it belongs to no group.
 */
export const INSTANCE_TAG = {
  launchedFor: 'elk-cdk:launched-for',
  launchKey: 'elk-cdk:launch-key',
} as const;

export const TAG = {
  /** The lock: the id of the rollout in progress (on every group of the cluster). */
  rollout: 'elk-cdk:rollout',
  /**
   * The workflow start ("a<seconds>") that holds the lock: written with the lock and on adoption. An execution of an
   * older start (a continue-as-new that raced a newer deployment) stops instead of adopting the lock back.
   */
  attempt: 'elk-cdk:rollout-attempt',
  /** Desired capacity of the group before the rollout (surge capacity is restored to it). */
  capacity: 'elk-cdk:rollout-capacity',
  /** Processes this rollout suspended (comma-separated, "-" for none); only these are resumed. */
  suspended: 'elk-cdk:rollout-suspended',
  /** Persistent cluster.routing.rebalance.enable before the rollout ("-" when unset). Data group only. */
  rebalance: 'elk-cdk:rollout-rebalance',
  /** Virtual or epoch seconds of the last surge. */
  surgeAt: 'elk-cdk:rollout-surge-at',
  /**
   * When the group's current wait for a joining instance began (join timeout): written by the surge, or when a
   * replacement of a node lost mid-cycle is first seen; removed once every instance has joined.
   */
  joinWait: 'elk-cdk:rollout-join-wait',
  /**
   * Zone rebalancing of this group after the last replacement: "<cycle>:<zone>=<count>,..." (the zone counts just
   * before that cycle's surge), or "stopped:<reason>" once rebalancing was given up.
   */
  zoneRebalance: 'elk-cdk:rollout-zone-rebalance',
  /**
   * When the wait for long-running tasks on the node about to be terminated began: "<node>@<seconds>" (in-flight-tasks;
   * a mark naming another node is stale, so each node gets its own bound).
   */
  tasksWait: 'elk-cdk:rollout-tasks-wait',
  /**
   * Allocation exclusions this rollout wrote (data group; node names, comma-separated, "-" for none). Only these are
   * ever cleared; any other entry is an operator's (or another tool's) and is left alone.
   */
  excluded: 'elk-cdk:rollout-excluded',
  /**
   * The data node being replaced by a volume handoff (data group): written before allocation is limited to
   * primaries, removed once the replacement's copies are started again (handoff.ts).
   */
  handoff: 'elk-cdk:rollout-handoff',
  /** Voting config exclusions this rollout wrote (master group), like `excluded`. */
  voting: 'elk-cdk:rollout-voting',
  /** Set when the rollout failed: the reason. Cleanup follows, then release. */
  failed: 'elk-cdk:rollout-failed',
  /**
   * Set when an abort (stack rollback or delete) stopped without the Elasticsearch cleanup because Elasticsearch
   * stayed unreachable: the reason and what was left in place. The lock stays, so the next reconcile cleans up.
   */
  left: 'elk-cdk:rollout-left',
  /**
   * When a stop (an operator's abort, a failure) found Elasticsearch unreachable: "<attempt>@<seconds>"; after
   * ABORT_WITHOUT_ES_SECONDS from it the roll stops without the Elasticsearch cleanup (unreachable.ts). Another
   * attempt's mark is stale (stop-wait.ts).
   */
  stopWait: 'elk-cdk:rollout-stop-wait',
  /**
   * Left after a release whose cleanup could not undo everything: what was left in place and why (data group; removed
   * when the next roll begins). `elkctl roll status` prints it.
   */
  resultLeft: 'elk-cdk:rollout-result-left',
  /** Set by `elkctl roll abort`: clean up and stop. */
  abort: 'elk-cdk:rollout-abort',
  /** Set by `elkctl roll pause`, removed by `resume`. */
  paused: 'elk-cdk:rollout-paused',
  /** Drain progress (stall.ts): "moving", or "<nodes>:<copies left>:<bytes left>:<since>" while nothing moves. */
  drainProgress: 'elk-cdk:rollout-drain-progress',
  /**
   * Recovery progress while the roll waits at a health gate (recovery-stall.ts): "moving", or "<copies left>:<first
   * copy left>:<since>" while nothing is recovered.
   */
  recoveryProgress: 'elk-cdk:rollout-recovery-progress',
  /**
   * Instances of the group seen out of the cluster while InService and Healthy: "<instance>@<seconds>,..." (when each
   * was first seen missing; node-health.ts). Kept by the periodic node health check and, during a roll, by the roll;
   * not a rollout tag (it outlives rolls).
   */
  nodeMissing: 'elk-cdk:node-missing',
  /** Left after release: "<outcome>:<rolloutId>", so a retry of a finished rollout does nothing. */
  result: 'elk-cdk:rollout-result',
} as const;

/** Tags removed on release (everything but the result). */
export const ROLLOUT_TAGS: readonly string[] = [
  TAG.rollout,
  TAG.attempt,
  TAG.capacity,
  TAG.suspended,
  TAG.rebalance,
  TAG.surgeAt,
  TAG.joinWait,
  TAG.zoneRebalance,
  TAG.tasksWait,
  TAG.excluded,
  TAG.handoff,
  TAG.voting,
  TAG.failed,
  TAG.left,
  TAG.stopWait,
  TAG.abort,
  TAG.paused,
  TAG.drainProgress,
  TAG.recoveryProgress,
];

export const NONE = '-';

export function listTag(value: string | undefined): string[] {
  if (value === undefined || value === NONE || value === '') return [];
  return value.split(',').filter((s) => s.length > 0);
}

export function formatListTag(values: readonly string[]): string {
  return values.length === 0 ? NONE : values.join(',');
}

/** AWS tag values are at most 256 characters. */
export function tagValue(text: string): string {
  return text.length <= 256 ? text : `${text.slice(0, 253)}...`;
}

export function numberTag(group: FleetGroup, key: string): number | undefined {
  const v = group.tags[key];
  if (v === undefined || v.trim() === '' || !Number.isFinite(Number(v))) return undefined;
  return Number(v);
}
