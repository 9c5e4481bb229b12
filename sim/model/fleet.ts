import type { AsgRole, LifecycleState } from '../../lambda/rolling-replacement/core/fleet-port';

/** Simulated EC2 Auto Scaling: groups and instances. Behaviour lives in the World; this file holds data and choices. */

export interface LaunchTemplateVersion {
  readonly esVersion: string;
  readonly ami: string;
  /** The cluster-CA generation of the user data (a CA rotation phase). @default - none */
  readonly caGeneration?: string;
}

export interface Instance {
  readonly id: string;
  readonly group: Group;
  readonly ltVersion: string;
  readonly az: string;
  readonly launchedAt: number;
  readonly initial: boolean;
  readonly failBoot: boolean;
  lifecycle: LifecycleState;
  health: 'Healthy' | 'Unhealthy';
  protectedFromScaleIn: boolean;
  terminatedAt?: number;
  /** Terminated by a volume handoff: Elasticsearch stops, its data volume is detached and left free in its zone. */
  handoff?: boolean;
  /** Launched by AZRebalance (one extra instance before one in a crowded zone is terminated). */
  rebalanceLaunch?: boolean;
  /** While a termination hook holds the instance: when its lifecycle action began and when it times out. */
  hookAction?: { readonly startedAt: number; timeoutAt: number };
  /** EC2 state `running` from this time (`pending` before: EC2_PENDING_SECONDS, or a launch-slow fault's). */
  readonly runningAt: number;
  /**
   * Launched by the orchestrator into a chosen zone (EC2 RunInstances, world-launch.ts) with this key (its client
   * token and `elk-cdk:launch-key` tag); `group` is the group it was launched for (`elk-cdk:launched-for`).
   */
  readonly launchKey?: string;
  /** Launched by the orchestrator and not attached: not in `group.instances`, not counted in its desired capacity. */
  unattached?: boolean;
  /** When AttachInstances made it a member of its group. */
  attachedAt?: number;
  /** Its boot reached the wait for its group tag while unattached (the boot event came first): since when. */
  waitingForGroupSince?: number;
}

/**
 * EC2 `pending` until `running` for an instance launched outside a launch-slow fault: a modelling choice (EC2 documents
 * no duration; instances are typically running well within a minute), kept inside `bootSeconds` for every launch.
 */
export const EC2_PENDING_SECONDS = 30;
/** AttachInstances takes up to 20 instance ids per call (API reference, AttachInstances, InstanceIds). */
export const ATTACH_MAX_INSTANCES = 20;

export interface Group {
  readonly name: string;
  readonly role: AsgRole;
  desired: number;
  minSize: number;
  maxSize: number;
  targetLtVersion: string;
  readonly ltVersions: Map<string, LaunchTemplateVersion>;
  readonly instances: Instance[];
  readonly suspended: Set<string>;
  readonly tags: Map<string, string>;
  readonly availabilityZones: readonly string[];
  newInstancesProtectedFromScaleIn: boolean;
  /**
   * A termination lifecycle hook (autoscaling:EC2_INSTANCE_TERMINATING): a terminating instance waits in
   * Terminating:Wait, still running, until CompleteLifecycleAction or the heartbeat timeout. None by default.
   */
  terminationHook?: { readonly heartbeatTimeoutSeconds: number };
}

/** The Auto Scaling process names SuspendProcesses accepts. */
export const SCALING_PROCESSES = [
  'Launch',
  'Terminate',
  'AddToLoadBalancer',
  'AlarmNotification',
  'AZRebalance',
  'HealthCheck',
  'InstanceRefresh',
  'ReplaceUnhealthy',
  'ScheduledActions',
] as const;

export function isActive(i: Instance): boolean {
  return i.lifecycle === 'Pending' || i.lifecycle === 'Pending:Wait' || i.lifecycle === 'InService';
}

export function azCounts(g: Group): Map<string, number> {
  const m = new Map<string, number>(g.availabilityZones.map((az) => [az, 0]));
  for (const i of g.instances) if (isActive(i)) m.set(i.az, (m.get(i.az) ?? 0) + 1);
  return m;
}

/** The zone a new instance goes to: the one with the fewest active instances (zone order breaks ties). */
export function zoneForLaunch(g: Group): string {
  const counts = azCounts(g);
  let best = g.availabilityZones[0];
  for (const az of g.availabilityZones) if (counts.get(az)! < counts.get(best)!) best = az;
  return best;
}

/**
 * The scale-in victim of Auto Scaling's default termination policy, as AWS documents it: the zone *or zones* with the
 * most instances and at least one not protected from scale in, whose unprotected instances are then evaluated
 * together (tied zones are not ordered); among them the oldest launch template version; then the instance closest to
 * its next billing hour; then one at random (`pick`: the world's seeded generator, so runs stay reproducible).
 */
export function scaleInVictim(g: Group, now: number, pick: <T>(items: readonly T[]) => T): Instance | undefined {
  const counts = azCounts(g);
  const candidates = g.instances.filter((i) => isActive(i) && !i.protectedFromScaleIn);
  if (candidates.length === 0) return undefined;
  const intoHour = (i: Instance) => (now - i.launchedAt) % 3600;
  const key = (i: Instance): [number, number, number] => [-counts.get(i.az)!, Number(i.ltVersion), -intoHour(i)];
  let best: Instance[] = [];
  let bestKey: [number, number, number] | undefined;
  for (const i of candidates) {
    const k = key(i);
    const cmp = bestKey === undefined ? -1 : k[0] - bestKey[0] || k[1] - bestKey[1] || k[2] - bestKey[2];
    if (cmp < 0) {
      best = [i];
      bestKey = k;
    } else if (cmp === 0) best.push(i);
  }
  best.sort((a, b) => a.id.localeCompare(b.id));
  return best.length === 1 ? best[0] : pick(best);
}
