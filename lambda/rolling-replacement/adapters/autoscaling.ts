/**
 * Auto Scaling adapter: the FleetPort over the AWS SDK v3 AutoScaling client.
 */
import {
  AutoScalingClient,
  type AutoScalingGroup,
  CreateOrUpdateTagsCommand,
  DeleteTagsCommand,
  DescribeAutoScalingGroupsCommand,
  ResumeProcessesCommand,
  SetDesiredCapacityCommand,
  SetInstanceHealthCommand,
  SetInstanceProtectionCommand,
  SuspendProcessesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { GROUP_TAG_DATA_VOLUMES, persistentSpec } from '../../shared/data-volume';
import type {
  AsgRole,
  FleetGroup,
  FleetInstance,
  FleetPort,
  LaunchResult,
  LifecycleState,
  ZoneLaunch,
} from '../core/fleet-port';
import { type DataVolume, handoffBlocked, type VolumeHandoff } from './volume-handoff';
import { groupLaunchTemplateId, type ZoneLaunches } from './zone-launch';

function templateVersion(g: AutoScalingGroup): string {
  return (
    g.LaunchTemplate?.Version ?? g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification?.Version ?? ''
  );
}

const tagOf = (g: AutoScalingGroup, key: string): string | undefined => g.Tags?.find((t) => t.Key === key)?.Value;
const blockedField = (why: string | undefined) => (why ? { volumeHandoffBlocked: why } : {});

export class AutoScalingFleet implements FleetPort {
  /** Calls sent (for metrics and the benchmark). */
  requests = 0;
  /** Volume handoff (only with `volumes`): stop, detach, terminate without decrement. */
  readonly handOffInstance?: (instanceId: string) => Promise<void>;
  /** Surges into chosen zones (only with `zones`, for its group): launch, then attach (zone-launch.ts). */
  readonly launchIntoZones?: (
    groupName: string,
    launches: readonly ZoneLaunch[],
    launchTemplateVersion: string,
  ) => Promise<LaunchResult>;
  readonly terminateUnattached?: (groupName: string, instanceIds: readonly string[]) => Promise<void>;

  constructor(
    private readonly client: AutoScalingClient,
    /** Group name → role (the spec knows which group is which). */
    private readonly roles: Readonly<Record<string, AsgRole>>,
    /**
     * The EC2/SSM half of a volume handoff. Without it no group reports volumes that outlive their instances, so the
     * core never picks the handoff method. @default - none
     */
    private readonly volumes?: VolumeHandoff,
    /**
     * `rollout.surgePlacement: orchestrator` with maxSurge > 1: the EC2 half of a surge into chosen zones, for one
     * group. Without it no group reports `canLaunchIntoZones`, so every surge raises the desired capacity.
     * @default - none
     */
    private readonly zones?: ZoneLaunches,
  ) {
    const v = volumes;
    if (v) {
      this.handOffInstance = async (instanceId) => {
        await v.stopAndDetach(instanceId);
        await this.terminateInstance(instanceId, false);
      };
    }
    const z = zones;
    if (z) {
      this.launchIntoZones = async (groupName, launches, version) => {
        if (groupName !== z.groupName) throw new Error(`${groupName} does not launch into chosen zones`);
        const [g] = await this.describeRaw([groupName]);
        if (!g) throw new Error(`${groupName}: no such Auto Scaling group`);
        return z.launch(g, launches, version);
      };
      this.terminateUnattached = async (groupName, instanceIds) => {
        if (groupName !== z.groupName) throw new Error(`${groupName} does not launch into chosen zones`);
        await z.terminate(groupName, instanceIds);
      };
    }
  }

  private async describeRaw(names: readonly string[]): Promise<AutoScalingGroup[]> {
    const groups: AutoScalingGroup[] = [];
    let token: string | undefined;
    do {
      this.requests++;
      const r = await this.client.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [...names], NextToken: token }),
      );
      groups.push(...(r.AutoScalingGroups ?? []));
      token = r.NextToken;
    } while (token);
    return groups;
  }

  /**
   * Surges into chosen zones: the group's unattached launches, and the version of each instance Auto Scaling reports
   * without one (an attached instance: not documented either way) read from EC2's own launch template tags.
   */
  private async zoneFields(g: AutoScalingGroup): Promise<{
    fields: Pick<FleetGroup, 'canLaunchIntoZones' | 'unattached'>;
    versions: Map<string, string>;
  }> {
    const z = this.zones;
    if (!z || g.AutoScalingGroupName !== z.groupName) return { fields: {}, versions: new Map() };
    const members = g.Instances ?? [];
    const templateId = groupLaunchTemplateId(g);
    const unknown = members.filter((i) => !i.LaunchTemplate?.Version).map((i) => i.InstanceId!);
    const versions =
      templateId && unknown.length > 0 ? await z.versionsFromEc2(unknown, templateId) : new Map<string, string>();
    const unattached = await z.unattached(z.groupName, new Set(members.map((i) => i.InstanceId!)));
    return { fields: { canLaunchIntoZones: true, unattached }, versions };
  }

  async describeGroups(names: readonly string[]): Promise<FleetGroup[]> {
    const groups = await this.describeRaw(names);
    const persistent = groups.some((g) => persistentSpec(tagOf(g, GROUP_TAG_DATA_VOLUMES)) !== undefined);
    // One DescribeVolumes for every group whose data volumes outlive their instances.
    const volumes = persistent && this.volumes ? await this.volumes.dataVolumes() : [];
    const zoneFields = await Promise.all(groups.map((g) => this.zoneFields(g)));
    return groups.map((g, k) => {
      const zone = zoneFields[k]!;
      const spec = this.volumes ? persistentSpec(tagOf(g, GROUP_TAG_DATA_VOLUMES)) : undefined;
      const attached = (id: string): DataVolume | undefined =>
        volumes.find((v) => v.instanceId === id && v.attachment === 'attached');
      const target = templateVersion(g);
      if (!/^\d+$/.test(target)) {
        // Outdated instances cannot be told apart with $Latest / $Default (checklist 2): a broken invariant.
        throw new Error(
          `${g.AutoScalingGroupName}: launch template version is "${target}"; pin an explicit version number`,
        );
      }
      return {
        name: g.AutoScalingGroupName!,
        role: this.roles[g.AutoScalingGroupName!] ?? 'data',
        desiredCapacity: g.DesiredCapacity ?? 0,
        minSize: g.MinSize ?? 0,
        maxSize: g.MaxSize ?? 0,
        targetLaunchTemplateVersion: target,
        instances: (g.Instances ?? []).map((i): FleetInstance => ({
          instanceId: i.InstanceId!,
          lifecycleState: i.LifecycleState as LifecycleState,
          healthStatus: i.HealthStatus === 'Unhealthy' ? 'Unhealthy' : 'Healthy',
          launchTemplateVersion: i.LaunchTemplate?.Version ?? zone.versions.get(i.InstanceId!) ?? '',
          availabilityZone: i.AvailabilityZone ?? '',
          protectedFromScaleIn: i.ProtectedFromScaleIn ?? false,
          ...(spec !== undefined ? blockedField(handoffBlocked(attached(i.InstanceId!), spec)) : {}),
        })),
        availabilityZones: g.AvailabilityZones ?? [],
        suspendedProcesses: (g.SuspendedProcesses ?? []).map((p) => p.ProcessName!),
        tags: Object.fromEntries((g.Tags ?? []).map((t) => [t.Key!, t.Value ?? ''])),
        ...(spec !== undefined ? { volumesOutliveInstances: true } : {}),
        ...zone.fields,
      };
    });
  }

  async setDesiredCapacity(groupName: string, desiredCapacity: number): Promise<void> {
    this.requests++;
    await this.client.send(
      new SetDesiredCapacityCommand({
        AutoScalingGroupName: groupName,
        DesiredCapacity: desiredCapacity,
        HonorCooldown: false,
      }),
    );
  }

  async terminateInstance(instanceId: string, shouldDecrementDesiredCapacity: boolean): Promise<void> {
    this.requests++;
    try {
      await this.client.send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: instanceId,
          ShouldDecrementDesiredCapacity: shouldDecrementDesiredCapacity,
        }),
      );
    } catch (e) {
      // Already terminating or gone: the request's goal is met (idempotent).
      const err = e as { name?: string; message?: string };
      if (err.name === 'ValidationError' && /not found|terminat|not part of/i.test(err.message ?? '')) return;
      throw e;
    }
  }

  async suspendProcesses(groupName: string, processes: readonly string[]): Promise<void> {
    this.requests++;
    await this.client.send(
      new SuspendProcessesCommand({ AutoScalingGroupName: groupName, ScalingProcesses: [...processes] }),
    );
  }

  async resumeProcesses(groupName: string, processes: readonly string[]): Promise<void> {
    this.requests++;
    await this.client.send(
      new ResumeProcessesCommand({ AutoScalingGroupName: groupName, ScalingProcesses: [...processes] }),
    );
  }

  async setInstanceProtection(groupName: string, instanceIds: readonly string[], protect: boolean): Promise<void> {
    // At most 50 instance ids per call.
    for (let k = 0; k < instanceIds.length; k += 50) {
      this.requests++;
      await this.client.send(
        new SetInstanceProtectionCommand({
          AutoScalingGroupName: groupName,
          InstanceIds: instanceIds.slice(k, k + 50),
          ProtectedFromScaleIn: protect,
        }),
      );
    }
  }

  async setInstanceHealth(instanceId: string, health: 'Unhealthy'): Promise<void> {
    this.requests++;
    // Without the grace period: the node health check already waited its own bound (rollout.nodeDownMinutes).
    await this.client.send(
      new SetInstanceHealthCommand({ InstanceId: instanceId, HealthStatus: health, ShouldRespectGracePeriod: false }),
    );
  }

  async setTags(groupName: string, tags: Readonly<Record<string, string>>): Promise<void> {
    this.requests++;
    await this.client.send(
      new CreateOrUpdateTagsCommand({
        Tags: Object.entries(tags).map(([Key, Value]) => ({
          ResourceId: groupName,
          ResourceType: 'auto-scaling-group',
          Key,
          Value,
          PropagateAtLaunch: false,
        })),
      }),
    );
  }

  async deleteTags(groupName: string, keys: readonly string[]): Promise<void> {
    this.requests++;
    await this.client.send(
      new DeleteTagsCommand({
        Tags: keys.map((Key) => ({ ResourceId: groupName, ResourceType: 'auto-scaling-group', Key })),
      }),
    );
  }
}
