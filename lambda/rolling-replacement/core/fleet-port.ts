/**
 * The fleet port: what the orchestrator needs from EC2 Auto Scaling. Implemented by the AWS adapter
 * (lambda/rolling-replacement/adapters, SDK v3) and by the simulator (sim/), so the core runs unchanged on both.
 * Types only: the core imports this file, never an SDK.
 */

export type AsgRole = 'master' | 'data';

/** Auto Scaling lifecycle states the orchestrator distinguishes (the AWS names). */
export type LifecycleState =
  | 'Pending'
  | 'Pending:Wait'
  | 'Pending:Proceed'
  | 'InService'
  | 'Terminating'
  | 'Terminating:Wait'
  | 'Terminating:Proceed'
  | 'Terminated'
  | 'Standby';

export interface FleetInstance {
  readonly instanceId: string;
  readonly lifecycleState: LifecycleState;
  readonly healthStatus: 'Healthy' | 'Unhealthy';
  /** Launch template version the instance was launched with (a number as a string, e.g. "3"). */
  readonly launchTemplateVersion: string;
  readonly availabilityZone: string;
  readonly protectedFromScaleIn: boolean;
  /**
   * Why this instance's data volume cannot be handed off (no volume of its own attached, or a storage change), set
   * by a fleet whose group's volumes outlive their instances; the node is drained instead. Absent: it can.
   */
  readonly volumeHandoffBlocked?: string;
}

export interface FleetGroup {
  readonly name: string;
  readonly role: AsgRole;
  readonly desiredCapacity: number;
  readonly minSize: number;
  readonly maxSize: number;
  /** The launch template version the group launches now (the rollout's target). */
  readonly targetLaunchTemplateVersion: string;
  readonly instances: readonly FleetInstance[];
  /** Names of suspended scaling processes, e.g. "AZRebalance". */
  readonly suspendedProcesses: readonly string[];
  /** Availability Zones the group launches into (optional: the zones of its instances are used when absent). */
  readonly availabilityZones?: readonly string[];
  /** Group tags (progress marks of the orchestrator live here, e.g. "elk-cdk:rollout"). */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * Whether the group's data volumes outlive their instances (own EBS volumes a booting node attaches), so a node can
   * be replaced by a volume handoff. Absent: they do not (launch-template volumes deleted with the instance).
   */
  readonly volumesOutliveInstances?: boolean;
  /**
   * Set by a fleet that can launch an instance of this group into a zone of the orchestrator's choice and attach it
   * (`launchIntoZones`), when the environment allows it (`rollout.surgePlacement: orchestrator`). Absent: surges go
   * through the desired capacity and Auto Scaling picks the zones.
   */
  readonly canLaunchIntoZones?: boolean;
  /**
   * Instances the orchestrator launched for this group (EC2 tag `elk-cdk:launched-for` = the group's name) that are
   * not in it: `pending` or `running`, never attached yet (attached ones are in `instances`; terminated ones are
   * omitted). Absent or empty for a fleet without `launchIntoZones`.
   */
  readonly unattached?: readonly UnattachedInstance[];
}

/** An instance launched by the orchestrator for a group and not (yet) attached to it. */
export interface UnattachedInstance {
  readonly instanceId: string;
  readonly availabilityZone: string;
  readonly state: 'pending' | 'running';
  /** The launch key it was started with (EC2 tag `elk-cdk:launch-key`). */
  readonly launchKey: string;
}

/** One instance to launch into a zone; `key` is unique per rollout, group, batch, zone and slot (idempotency). */
export interface ZoneLaunch {
  readonly zone: string;
  readonly key: string;
}

/** `launched`: every instance was launched, some are not `running` yet, none attached; call again with the same keys. */
export type LaunchResult =
  | { readonly status: 'attached'; readonly instanceIds: readonly string[] }
  | { readonly status: 'launched'; readonly instanceIds: readonly string[] };

export interface FleetPort {
  /** Current state of the named groups (missing groups are omitted). */
  describeGroups(names: readonly string[]): Promise<FleetGroup[]>;
  /** SetDesiredCapacity with HonorCooldown=false. Idempotent. */
  setDesiredCapacity(groupName: string, desiredCapacity: number): Promise<void>;
  /** TerminateInstanceInAutoScalingGroup. Idempotent: terminating a gone instance is not an error. */
  terminateInstance(instanceId: string, shouldDecrementDesiredCapacity: boolean): Promise<void>;
  suspendProcesses(groupName: string, processes: readonly string[]): Promise<void>;
  resumeProcesses(groupName: string, processes: readonly string[]): Promise<void>;
  /**
   * SetInstanceProtection (scale-in protection) on instances of one group. The Elasticsearch groups protect every
   * instance; the orchestrator lifts it only on the instance it is about to terminate. Idempotent.
   */
  setInstanceProtection(groupName: string, instanceIds: readonly string[], protect: boolean): Promise<void>;
  /**
   * SetInstanceHealth Unhealthy (without the health check grace period): Auto Scaling replaces the instance. Optional:
   * a fleet without it never gets a node marked (node-health.ts).
   */
  setInstanceHealth?(instanceId: string, health: 'Unhealthy'): Promise<void>;
  /** Create or overwrite group tags. */
  setTags(groupName: string, tags: Readonly<Record<string, string>>): Promise<void>;
  deleteTags(groupName: string, keys: readonly string[]): Promise<void>;
  /**
   * Volume handoff: stop Elasticsearch, detach the data volume (kept free in its zone), terminate the instance without
   * decrement. Optional: a fleet without it never gets a handoff.
   */
  handOffInstance?(instanceId: string): Promise<void>;
  /**
   * A surge into chosen zones (`rollout.surgePlacement: orchestrator`): for each entry, launch one instance from the
   * group's launch template at `launchTemplateVersion` into a subnet of the group in that zone (EC2 RunInstances, with
   * the group's propagate-at-launch tags plus `elk-cdk:launched-for` and `elk-cdk:launch-key`), then, once every one
   * of them is `running`, attach them all in one AttachInstances call (the desired capacity rises by their number).
   * Idempotent on the keys: an instance already launched with a key is reused (a terminated one is launched again),
   * one already in the group is not attached again. Optional: only a fleet whose groups report `canLaunchIntoZones`.
   */
  launchIntoZones?(
    groupName: string,
    launches: readonly ZoneLaunch[],
    launchTemplateVersion: string,
  ): Promise<LaunchResult>;
  /**
   * Terminate instances the orchestrator launched for a group and never attached (EC2 TerminateInstances; only an
   * instance tagged `elk-cdk:launched-for` = that group and in no Auto Scaling group). Idempotent: a gone one is skipped.
   */
  terminateUnattached?(groupName: string, instanceIds: readonly string[]): Promise<void>;
}
