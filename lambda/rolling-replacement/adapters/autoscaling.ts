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
  SetInstanceProtectionCommand,
  SuspendProcessesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import type { AsgRole, FleetGroup, FleetInstance, FleetPort, LifecycleState } from '../core/fleet-port';

function templateVersion(g: AutoScalingGroup): string {
  return (
    g.LaunchTemplate?.Version ?? g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification?.Version ?? ''
  );
}

export class AutoScalingFleet implements FleetPort {
  /** Calls sent (for metrics and the benchmark). */
  requests = 0;

  constructor(
    private readonly client: AutoScalingClient,
    /** Group name → role (the spec knows which group is which). */
    private readonly roles: Readonly<Record<string, AsgRole>>,
  ) {}

  async describeGroups(names: readonly string[]): Promise<FleetGroup[]> {
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
    return groups.map((g) => {
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
          launchTemplateVersion: i.LaunchTemplate?.Version ?? '',
          availabilityZone: i.AvailabilityZone ?? '',
          protectedFromScaleIn: i.ProtectedFromScaleIn ?? false,
        })),
        availabilityZones: g.AvailabilityZones ?? [],
        suspendedProcesses: (g.SuspendedProcesses ?? []).map((p) => p.ProcessName!),
        tags: Object.fromEntries((g.Tags ?? []).map((t) => [t.Key!, t.Value ?? ''])),
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
