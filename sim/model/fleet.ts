import type { AsgRole, LifecycleState } from '../../lambda/rolling-replacement/core/fleet-port';

/** Simulated EC2 Auto Scaling: groups and instances. Behaviour lives in the World; this file holds data and choices. */

export interface LaunchTemplateVersion {
  readonly esVersion: string;
  readonly ami: string;
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
  /** Launched by AZRebalance (one extra instance before one in a crowded zone is terminated). */
  rebalanceLaunch?: boolean;
}

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
 * Scale-in victims with the default termination policy: unprotected instances in the zone with the most instances,
 * then the oldest launch template version, then the oldest launch.
 */
export function scaleInVictim(g: Group): Instance | undefined {
  const counts = azCounts(g);
  const candidates = g.instances.filter((i) => isActive(i) && !i.protectedFromScaleIn);
  candidates.sort(
    (a, b) =>
      counts.get(b.az)! - counts.get(a.az)! ||
      Number(a.ltVersion) - Number(b.ltVersion) ||
      a.launchedAt - b.launchedAt ||
      a.id.localeCompare(b.id),
  );
  return candidates[0];
}
