import type {
  FleetGroup,
  FleetPort,
  LaunchResult,
  UnattachedInstance,
  ZoneLaunch,
} from '../lambda/rolling-replacement/core/fleet-port';
import { FleetError, type World } from './model/world';
import type { RolloutChoice } from './scenario';

/**
 * FleetPort over the simulated Auto Scaling groups: the orchestrator's core runs against it unchanged. Errors are
 * thrown like the SDK's (an Error whose `name` is the AWS error code, e.g. "ValidationError").
 */
export class SimFleet implements FleetPort {
  /** rollout.surgePlacement: `orchestrator` lets the data group launch into chosen zones (default: the scenario's). */
  readonly surgePlacement: RolloutChoice['surgePlacement'];

  constructor(
    private readonly world: World,
    options: { readonly surgePlacement?: RolloutChoice['surgePlacement'] } = {},
  ) {
    this.surgePlacement = options.surgePlacement ?? world.scenario.rollout.surgePlacement;
  }

  async describeGroups(names: readonly string[]): Promise<FleetGroup[]> {
    const out: FleetGroup[] = [];
    for (const name of names) {
      const g = this.world.groups.get(name);
      if (!g) continue;
      out.push({
        name: g.name,
        role: g.role,
        desiredCapacity: g.desired,
        minSize: g.minSize,
        maxSize: g.maxSize,
        targetLaunchTemplateVersion: g.targetLtVersion,
        availabilityZones: [...g.availabilityZones],
        instances: g.instances
          .filter((i) => i.lifecycle !== 'Terminated')
          .map((i) => ({
            instanceId: i.id,
            lifecycleState: i.lifecycle,
            healthStatus: i.health,
            launchTemplateVersion: i.ltVersion,
            availabilityZone: i.az,
            protectedFromScaleIn: i.protectedFromScaleIn,
          })),
        suspendedProcesses: [...g.suspended].sort(),
        tags: Object.fromEntries([...g.tags.entries()].sort(([a], [b]) => a.localeCompare(b))),
        ...(g.role === 'data' && this.world.scenario.cluster.dataVolumes === 'own'
          ? { volumesOutliveInstances: true }
          : {}),
        ...this.launchFields(g.name, g.role),
      });
    }
    return out;
  }

  /**
   * `canLaunchIntoZones` on the data group when the placement is the orchestrator's; `unattached` on a group that can,
   * or that has unattached instances left (so that a roll with the other placement still sees and ends them).
   */
  private launchFields(groupName: string, role: 'master' | 'data'): Partial<FleetGroup> {
    const can = role === 'data' && this.surgePlacement === 'orchestrator';
    const unattached: UnattachedInstance[] = this.world.unattachedOf(groupName).map((i) => ({
      instanceId: i.id,
      availabilityZone: i.az,
      state: this.world.ec2State(i) === 'running' ? 'running' : 'pending',
      launchKey: i.launchKey!,
    }));
    return {
      ...(can ? { canLaunchIntoZones: true } : {}),
      ...(can || unattached.length > 0 ? { unattached } : {}),
    };
  }

  /**
   * Launches one instance per entry (the same key gives the same instance), then, once none is `pending`, attaches
   * the unattached ones in one AttachInstances call. A refused attach (MaxSize, the attach-refused fault) throws like
   * the SDK and leaves them launched: the next call with the same keys finds them.
   */
  async launchIntoZones(
    groupName: string,
    launches: readonly ZoneLaunch[],
    launchTemplateVersion: string,
  ): Promise<LaunchResult> {
    const g = this.world.group(groupName);
    if (g.role !== 'data' || this.surgePlacement !== 'orchestrator') {
      throw new FleetError('ValidationError', `${groupName} does not launch into chosen zones (canLaunchIntoZones)`);
    }
    const instances = launches.map((l) => this.world.launchIntoZone(groupName, l.zone, l.key, launchTemplateVersion));
    const instanceIds = instances.map((i) => i.id);
    const toAttach = instances.filter((i) => i.unattached);
    if (toAttach.some((i) => this.world.ec2State(i) !== 'running')) return { status: 'launched', instanceIds };
    if (toAttach.length > 0) this.world.attachInstances(groupName, [...new Set(toAttach.map((i) => i.id))]);
    return { status: 'attached', instanceIds };
  }

  async terminateUnattached(groupName: string, instanceIds: readonly string[]): Promise<void> {
    this.world.group(groupName);
    this.world.terminateUnattached(groupName, instanceIds);
  }

  async setDesiredCapacity(groupName: string, desiredCapacity: number): Promise<void> {
    this.world.setDesiredCapacity(groupName, desiredCapacity);
  }

  async terminateInstance(instanceId: string, shouldDecrementDesiredCapacity: boolean): Promise<void> {
    this.world.terminateInstance(instanceId, shouldDecrementDesiredCapacity);
  }

  async handOffInstance(instanceId: string): Promise<void> {
    this.world.handOff(instanceId);
  }

  async suspendProcesses(groupName: string, processes: readonly string[]): Promise<void> {
    this.world.suspendProcesses(groupName, processes);
  }

  async resumeProcesses(groupName: string, processes: readonly string[]): Promise<void> {
    this.world.resumeProcesses(groupName, processes);
  }

  async setInstanceProtection(groupName: string, instanceIds: readonly string[], protect: boolean): Promise<void> {
    this.world.setInstanceProtection(instanceIds, groupName, protect);
  }

  async setInstanceHealth(instanceId: string, health: 'Unhealthy'): Promise<void> {
    this.world.setInstanceHealth(instanceId, health);
  }

  async setTags(groupName: string, tags: Readonly<Record<string, string>>): Promise<void> {
    const g = this.world.group(groupName);
    for (const [k, v] of Object.entries(tags)) g.tags.set(k, v);
  }

  async deleteTags(groupName: string, keys: readonly string[]): Promise<void> {
    const g = this.world.group(groupName);
    for (const k of keys) g.tags.delete(k);
  }
}
