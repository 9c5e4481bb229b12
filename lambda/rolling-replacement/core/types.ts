/**
 * Observed state, rollout spec and decisions of the rolling replacement. Pure data: the core imports no SDK, does no
 * I/O and never reads the clock (`now` arrives as a number of seconds).
 */
import type { FleetGroup } from './fleet-port';

/** An observation that failed for a transient reason (timeout, 503 during a master failover): the core waits. */
export interface Unknown {
  readonly unknown: string;
}

export function isUnknown<T>(value: T | Unknown): value is Unknown {
  return typeof value === 'object' && value !== null && 'unknown' in value;
}

export type HealthStatus = 'green' | 'yellow' | 'red';

export interface ClusterHealthView {
  readonly status: HealthStatus;
  /** True when `wait_for_events=languid` did not finish in time (pending cluster-state work). */
  readonly timedOut: boolean;
  readonly numberOfNodes: number;
  readonly numberOfDataNodes: number;
  readonly relocatingShards: number;
  readonly initializingShards: number;
  readonly unassignedShards: number;
  readonly delayedUnassignedShards: number;
  readonly inFlightFetch: number;
}

export interface EsNodeView {
  /** Node name = EC2 instance id. */
  readonly name: string;
  readonly id: string;
  readonly version: string;
  /** Elasticsearch roles, e.g. ["master"], ["data", "ingest"]. */
  readonly roles: readonly string[];
  readonly diskUsedBytes?: number;
  readonly diskTotalBytes?: number;
}

export type ShardState = 'STARTED' | 'INITIALIZING' | 'RELOCATING' | 'UNASSIGNED';

/** One row of `_cat/shards`. */
export interface ShardCopy {
  readonly index: string;
  readonly shard: number;
  readonly primary: boolean;
  readonly state: ShardState;
  /** Node name holding the copy (absent when unassigned). */
  readonly node?: string;
  /** For RELOCATING copies: the target node name. */
  readonly relocatingTo?: string;
  readonly bytes: number;
}

export interface NodeDecision {
  readonly nodeName: string;
  /** yes | no | throttled | worse_balance */
  readonly decision: string;
  /** Names of the deciders that said NO for this node (e.g. "node_version", "same_shard", "filter"). */
  readonly noDeciders: readonly string[];
}

/** `_cluster/allocation/explain` for one unassigned shard copy. */
export interface UnassignedExplanation {
  readonly index: string;
  readonly shard: number;
  readonly primary: boolean;
  /** Lower-cased AllocationDecision: yes, no, throttled, awaiting_info, allocation_delayed, no_valid_shard_copy, ... */
  readonly canAllocate: string;
  /** unassigned_info.reason, e.g. INDEX_CREATED, NODE_LEFT. */
  readonly reason?: string;
  readonly nodeDecisions: readonly NodeDecision[];
  /** Its index's `index.routing.allocation.*` settings (flat keys), the data-tier preference left out. */
  readonly indexRouting?: Readonly<Record<string, string>>;
}

/**
 * `_cluster/allocation/explain` of a copy that must leave a draining node and is not moving (current_node): why it
 * cannot go anywhere, by decider name per node.
 */
export interface StuckCopy {
  readonly index: string;
  readonly shard: number;
  readonly primary: boolean;
  /** The draining node holding it. */
  readonly node: string;
  /** can_move_to_other_node, lower-cased: yes, no, throttled, worse_balance. */
  readonly canMove: string;
  readonly nodeDecisions: readonly NodeDecision[];
  /** Its index's `index.routing.allocation.*` settings (flat keys), the data-tier preference left out. */
  readonly indexRouting?: Readonly<Record<string, string>>;
}

/** One running task from `_tasks` (issue #23): work a node's termination would kill. */
export interface EsTaskView {
  /** `<node id>:<number>`, as `_tasks` names it. */
  readonly id: string;
  /** Name of the node the task runs on (= instance id). */
  readonly node: string;
  /** Transport action, e.g. `indices:data/write/reindex`. */
  readonly action: string;
  readonly runningSeconds: number;
}

/** One shard of a running snapshot (`GET _snapshot/_status`, issue #23): it runs on its primary's node. */
export interface EsSnapshotShardView {
  readonly repository: string;
  readonly snapshot: string;
  readonly index: string;
  readonly shard: number;
  /** Name of the node the shard snapshot runs on (= instance id). */
  readonly node: string;
  /** INIT, STARTED, FINALIZE, DONE or FAILURE. */
  readonly stage: string;
  readonly runningSeconds: number;
}

export interface EsView {
  readonly health: ClusterHealthView;
  readonly nodes: readonly EsNodeView[];
  /** Name of the elected master, absent while there is none. */
  readonly electedMaster?: string;
  readonly shards: readonly ShardCopy[];
  readonly explanations: readonly UnassignedExplanation[];
  /** `cluster.routing.allocation.exclude._name` (effective: transient over persistent), split on commas. */
  readonly allocationExcludeNames: readonly string[];
  /** Node names in the voting configuration exclusions. */
  readonly votingExclusions: readonly string[];
  /**
   * Node ids of the last committed voting configuration (`metadata.cluster_coordination.last_committed_config`);
   * absent when not reported. A master may leave only once its id is no longer in it.
   */
  readonly lastCommittedConfig?: readonly string[];
  /** `cluster.routing.rebalance.enable`; null when not set at that level. */
  readonly rebalanceEnable: { readonly persistent: string | null; readonly transient: string | null };
  /** Persistent `cluster.routing.allocation.enable` (null when unset); absent when not observed. */
  readonly allocationEnable?: string | null;
  /** Low disk watermark as a fraction (0.85 by default). */
  readonly lowWatermark: number;
  /**
   * Running long-running tasks (`_tasks` filtered to IN_FLIGHT_TASK_ACTIONS, see in-flight-tasks.ts); absent when not
   * observed (then the roll does not wait for tasks).
   */
  readonly tasks?: readonly EsTaskView[];
  /** Shards of running snapshots (`_snapshot/_status`); absent when not observed (then the roll does not wait). */
  readonly snapshotShards?: readonly EsSnapshotShardView[];
  /**
   * The pre-roll snapshots of the repository of rollout.snapshotBeforeRoll; absent when not observed (no such option,
   * or the listing failed: then a roll that needs one waits).
   */
  readonly snapshots?: readonly SnapshotView[];
  /** Explanations of copies on draining nodes that do not move (at most one per node); absent when not observed. */
  readonly stuck?: readonly StuckCopy[];
}

/** One snapshot of `GET _snapshot/<repository>/pre-roll-*` (rollout.snapshotBeforeRoll, pre-roll-snapshot.ts). */
export interface SnapshotView {
  readonly name: string;
  /** IN_PROGRESS, SUCCESS, FAILED, PARTIAL or INCOMPATIBLE. */
  readonly state: string;
  readonly totalShards: number;
  readonly successfulShards: number;
  readonly failedShards: number;
  readonly reason?: string;
}

export interface Observed {
  readonly es: EsView | Unknown;
  readonly fleet: readonly FleetGroup[] | Unknown;
  /** Seconds since the epoch (or virtual time in the simulator). */
  readonly now: number;
}

export interface RolloutOptions {
  /** Seconds a surge instance may take to join with the target version before the rollout fails. Default 1800. */
  readonly joinTimeoutSeconds: number;
  /** Auto Scaling processes suspended during the roll. Default ["AZRebalance"]. */
  readonly suspendProcesses: readonly string[];
  /** Set cluster.routing.rebalance.enable=none during the roll (restored after). Default true. */
  readonly controlRebalance: boolean;
  /** cluster.max_voting_config_exclusions. Default 10. */
  readonly maxVotingExclusions: number;
  /**
   * rollout.method: how a data node is replaced. `auto` and `handoff` fall back to drain for a node where handoff is
   * not safe (see method.ts). Default auto.
   */
  readonly method: 'drain' | 'handoff' | 'auto';
  /** rollout.maxSurge: data nodes surged and drained at once (masters always one). Default 1. */
  readonly maxSurge: number;
  /**
   * rollout.surgePlacement: who picks the zones of a data surge of several instances. `auto-scaling`: the desired
   * capacity rises and Auto Scaling launches into its emptiest zones. `orchestrator`: the roll launches each instance
   * into the zone its batch drains from and attaches it (where the fleet can: FleetGroup.canLaunchIntoZones).
   * Default (absent in older templates) auto-scaling.
   */
  readonly surgePlacement: 'auto-scaling' | 'orchestrator';
  /**
   * Seconds the roll waits for long-running tasks on a node before terminating it (in-flight-tasks); after that it
   * proceeds only when every task left is one Elasticsearch resumes or retries by itself. Default 3600.
   */
  readonly inFlightTaskTimeoutSeconds: number;
  /**
   * rollout.snapshotBeforeRoll: the repository a verified snapshot of the whole cluster is taken into before the roll
   * takes its lock (pre-roll-snapshot.ts). Absent: no snapshot.
   */
  readonly snapshotBeforeRoll?: string;
  /**
   * Seconds a drain may go without progress (no copy moving, none left) before the wait is reported as
   * `drain-stalled` with a diagnosis; the roll keeps waiting. Default 1800.
   */
  readonly stallSeconds: number;
  /**
   * Share of each data node's disk kept free below the low watermark when a drain is projected onto the others
   * (growth by writes during the drain). Default 0.05.
   */
  readonly drainDiskMargin: number;
  /**
   * rollout.nodeDownMinutes in seconds: an InService, EC2-healthy instance out of the cluster this long is marked
   * Unhealthy so that Auto Scaling replaces it (node-health.ts); 0 turns it off. Default 900.
   */
  readonly nodeDownSeconds: number;
}

export const DEFAULT_OPTIONS: RolloutOptions = {
  joinTimeoutSeconds: 1800,
  suspendProcesses: ['AZRebalance'],
  controlRebalance: true,
  maxVotingExclusions: 10,
  method: 'auto',
  maxSurge: 1,
  surgePlacement: 'auto-scaling',
  inFlightTaskTimeoutSeconds: 3600,
  stallSeconds: 1800,
  drainDiskMargin: 0.05,
  nodeDownSeconds: 900,
};

export interface RolloutSpec {
  /** Identifies one rollout (a deployment); the lock and the result tag carry it. */
  readonly rolloutId: string;
  readonly groups: { readonly master: string; readonly data: string };
  /**
   * The configured node counts (dataNodes.count, masterNodes.count). A group running more instances is scaled in
   * through the same drain, one node at a time (planned scale-in). Absent: the running count stays.
   */
  readonly counts?: { readonly master: number; readonly data: number };
  /** The Elasticsearch version the target launch templates run. */
  readonly targetVersion: string;
  /** roll: replace outdated nodes. abort: stop safely and clean up (rollback, stack delete, operator abort). */
  readonly mode: 'roll' | 'abort';
  /** Why the mode is abort (reported), e.g. "stack rollback". */
  readonly abortReason?: string;
  /**
   * Abort mode: when Elasticsearch is still unreachable at this time (seconds), stop without the Elasticsearch
   * cleanup and say what is left in place (a rollback must not wait until CloudFormation gives up). Absent: wait.
   */
  readonly giveUpAt?: number;
  /**
   * Identifies one attempt of the rollout (the workflow's start time). A rollout that failed or was aborted in another
   * attempt starts again from where the cluster is; a retry within the same attempt does nothing. Absent: the result
   * of any attempt counts (elkctl).
   */
  readonly attempt?: string;
  readonly options: RolloutOptions;
}

export type Outcome = 'completed' | 'failed' | 'aborted';

/** What this rollout wrote into Elasticsearch, recorded as a group tag (see tags.ts `excluded`, `voting`). */
export interface OwnershipRecord {
  readonly group: string;
  readonly tag: string;
  readonly value: string;
}

/** Exactly one action per decision. */
export type Action =
  | {
      readonly type: 'wait';
      /** A recovery's new progress record (recovery-stall.ts), written to the group tag `elk-cdk:rollout-recovery-progress`. */
      readonly recoveryProgress?: { readonly group: string; readonly value: string };
    }
  | { readonly type: 'begin'; readonly group: string; readonly tags: Readonly<Record<string, string>> }
  /** Before the lock (rollout.snapshotBeforeRoll): start a snapshot of the cluster; the core polls its state. */
  | { readonly type: 'create-snapshot'; readonly repository: string; readonly snapshot: string }
  | { readonly type: 'suspend-processes'; readonly group: string; readonly processes: readonly string[] }
  | { readonly type: 'set-rebalance'; readonly value: string | null }
  | {
      readonly type: 'surge';
      readonly group: string;
      readonly desiredCapacity: number;
      readonly surgeAt: number;
      /** Group tags written together with the surge mark, before the capacity (the zone-rebalance cycle). */
      readonly tags?: Readonly<Record<string, string>>;
      /**
       * `rollout.surgePlacement: orchestrator`: launch one instance per entry into its zone and attach them
       * (FleetPort.launchIntoZones) instead of raising the desired capacity; `desiredCapacity` is what attaching them
       * makes it. Absent: SetDesiredCapacity.
       */
      readonly launches?: readonly { readonly zone: string; readonly key: string }[];
      /** The launch template version the launches use (the group's target). */
      readonly launchTemplateVersion?: string;
    }
  /** Instances launched for a group and never attached, no longer wanted (an earlier batch, a failed or ended roll). */
  | { readonly type: 'terminate-unattached'; readonly group: string; readonly instanceIds: readonly string[] }
  | {
      readonly type: 'wait-for-join';
      readonly group: string;
      /** Set when this wait just began: written as the group's join-wait mark (the join timeout counts from it). */
      readonly since?: number;
    }
  /** Every instance of the group has joined: the join-wait mark is removed, so a later loss starts a new clock. */
  | { readonly type: 'joined'; readonly group: string }
  | {
      readonly type: 'exclude';
      readonly node: string;
      readonly names: readonly string[];
      /** The ownership record written first: the group tag `elk-cdk:rollout-excluded` and its new value. */
      readonly record: OwnershipRecord;
    }
  | {
      readonly type: 'wait-for-drain';
      readonly node: string;
      readonly shardsLeft: number;
      readonly bytesLeft: number;
      /** The drain's new progress record (stall.ts), written to the group tag `elk-cdk:rollout-drain-progress`. */
      readonly progress?: { readonly group: string; readonly value: string };
    }
  | {
      readonly type: 'wait-for-tasks';
      readonly group: string;
      readonly node: string;
      /** The tasks waited for, e.g. "indices:data/write/reindex (i-…:1001, running 120 s)". */
      readonly tasks: readonly string[];
      /** Set when this wait just began: written as the group's task-wait mark (the bound counts from it). */
      readonly since?: number;
    }
  | { readonly type: 'voting-exclusion'; readonly node: string; readonly record: OwnershipRecord }
  | {
      readonly type: 'terminate';
      readonly group: string;
      readonly instanceId: string;
      /** The executor re-reads the instance and terminates only if it is still in this state. */
      readonly expectedLifecycleState: string;
      /**
       * ... and still launched from this launch template version (the evaluation was about this instance as it was;
       * absent in decisions made before this field existed).
       */
      readonly expectedLaunchTemplateVersion?: string;
      /**
       * Lower the desired capacity with it (ShouldDecrementDesiredCapacity). False when the group already runs more
       * instances than it desires (someone lowered it; protection kept Auto Scaling from picking one): Auto Scaling
       * then launches no replacement, and the decrement would go below what the group desires. Default true.
       */
      readonly decrement?: boolean;
    }
  /**
   * Planned scale-in: one node of the group leaves through the drain. Writes the group's baseline tag one lower, so
   * the group runs one instance above its baseline and that node goes like a surge's old node (with a decrement).
   */
  | { readonly type: 'scale-in'; readonly group: string; readonly baseline: number; readonly target: number }
  /**
   * Capacity above what the roll planned (someone raised the desired capacity or MinSize mid-roll): the group's
   * baseline tag is raised to it, so the roll goes on from there (with a count below it, a planned scale-in at the end
   * drains the extra node) instead of waiting for a capacity that never comes back.
   */
  | { readonly type: 'raise-baseline'; readonly group: string; readonly baseline: number }
  /** Node health (node-health.ts): the group's record of instances out of the cluster, rewritten. */
  | { readonly type: 'node-missing'; readonly group: string; readonly value: string }
  /**
   * Node health: Elasticsearch has been down on this InService, EC2-healthy instance past the bound: SetInstanceHealth
   * Unhealthy, so that Auto Scaling replaces it. The executor re-reads it and marks it only if it is still InService
   * and Healthy.
   */
  | { readonly type: 'mark-unhealthy'; readonly group: string; readonly instanceId: string }
  /** Scale-in protection on live instances that lack it (the executor lifts it only on an instance it terminates). */
  | { readonly type: 'protect'; readonly group: string; readonly instanceIds: readonly string[] }
  | {
      readonly type: 'clear-exclusion';
      readonly nodes: readonly string[];
      readonly names: readonly string[];
      /** The ownership record written after the exclusion is removed. */
      readonly record: OwnershipRecord;
    }
  | { readonly type: 'clear-voting-exclusions'; readonly record: OwnershipRecord }
  | { readonly type: 'resume-processes'; readonly group: string; readonly processes: readonly string[] }
  | { readonly type: 'mark-failed'; readonly group: string; readonly reason: string }
  /** Volume handoff (handoff.ts): record the node in the group tag, then allocation limited to primaries. */
  | { readonly type: 'handoff-begin'; readonly group: string; readonly node: string }
  /** Stop Elasticsearch, detach the volume, terminate without decrement (the fleet port's handOffInstance). */
  | {
      readonly type: 'handoff-stop';
      readonly group: string;
      readonly instanceId: string;
      readonly expectedLifecycleState: string;
    }
  /** The replacement joined: allocation enabled again (null = the default, all). */
  | { readonly type: 'handoff-rejoined'; readonly node: string }
  /** The node's copies are started again: the handoff mark is removed. */
  | { readonly type: 'handoff-done'; readonly group: string; readonly node: string }
  /** No further zone-rebalance cycle on this group (Auto Scaling did not launch into an emptiest zone). */
  | { readonly type: 'stop-zone-rebalance'; readonly group: string; readonly reason: string }
  | {
      readonly type: 'adopt';
      readonly groups: readonly string[];
      readonly rolloutId: string;
      /** The adopting workflow start, written as the lock's attempt (lock-handoff.ts). */
      readonly attempt?: string;
    }
  | {
      readonly type: 'release';
      /** Groups in release order (the data group, which holds the failure/abort marks, last). */
      readonly groups: readonly string[];
      readonly outcome: Outcome;
      readonly result: string;
      /**
       * What the cleanup left in place and why (surge capacity on nodes that all hold data, voting exclusions shared
       * with someone else's, AZRebalance on unbalanced zones): written to the data group's tag
       * `elk-cdk:rollout-result-left` after the release, so `elkctl roll status` shows it. Absent: nothing left.
       */
      readonly left?: string;
    }
  | {
      readonly type: 'done';
      readonly outcome: Outcome;
      /**
       * Set when a newer workflow start holds the lock (lock-handoff.ts): this execution ends without touching
       * anything and without signalling its deployment's WaitCondition.
       */
      readonly supersededBy?: string;
    }
  /**
   * A stop (abort, failure) without Elasticsearch: the reason and what is left in place go into the data group's tag;
   * the lock stays. The outcome reported (default aborted).
   */
  | { readonly type: 'leave'; readonly group: string; readonly reason: string; readonly outcome?: Outcome }
  /**
   * A stop (an operator's abort, a failure) found Elasticsearch unreachable: when this wait began, written to the data
   * group's tag `elk-cdk:rollout-stop-wait` as `mark` ("<attempt>@<seconds>", stop-wait.ts; the bound of the wait
   * counts from it).
   */
  | { readonly type: 'stop-wait'; readonly group: string; readonly since: number; readonly mark: string };

export type ActionType = Action['type'];

export interface Decision {
  readonly action: Action;
  readonly reason: string;
  /** Name of the safety predicate that blocked progress (absent when nothing blocks). */
  readonly blockedBy?: string;
}
