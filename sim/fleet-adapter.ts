import type { FleetGroup, FleetPort } from '../lambda/rolling-replacement/core/fleet-port';
import type { World } from './model/world';

/**
 * FleetPort over the simulated Auto Scaling groups: the orchestrator's core runs against it unchanged. Errors are
 * thrown like the SDK's (an Error whose `name` is the AWS error code, e.g. "ValidationError").
 */
export class SimFleet implements FleetPort {
  constructor(private readonly world: World) {}

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
      });
    }
    return out;
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
