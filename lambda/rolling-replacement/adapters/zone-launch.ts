/**
 * Surges into chosen zones (`rollout.surgePlacement: orchestrator`), SDK v3: the EC2 and Auto Scaling half of
 * FleetPort.launchIntoZones / terminateUnattached, and what describeGroups adds for them (the group's unattached
 * launches, the launch template version of an attached instance). Only for the one group the construct granted it
 * (surge-placement-grants.ts); every call is idempotent, so a retried or repeated step finds what the last one did.
 *
 * What this relies on (docs corpus, checked while building it; nothing here has run against real AWS):
 * - RunInstances `ClientToken`: at most 64 ASCII characters; the same token with the same parameters returns the same
 *   instance (EC2 API reference, RunInstances; "Ensuring idempotency").
 * - EC2 tags every instance launched from a launch template with `aws:ec2launchtemplate:id` and
 *   `aws:ec2launchtemplate:version` (EC2 user guide, "Launch EC2 instances using a launch template").
 * - AttachInstances: only `running` instances, in the group's zones, at most 20 per call; the desired capacity rises by
 *   one per instance and the call is refused past MaxSize (Auto Scaling API reference, AttachInstances).
 * - Auto Scaling adds `aws:autoscaling:groupName` when it launches or attaches an instance (user guide, "Tagging").
 */
import { createHash } from 'crypto';
import { AttachInstancesCommand, type AutoScalingClient, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import {
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSubnetsCommand,
  type EC2Client,
  type Filter,
  type Instance,
  RunInstancesCommand,
  type Tag,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { LaunchResult, UnattachedInstance, ZoneLaunch } from '../core/fleet-port';
import { INSTANCE_TAG } from '../core/tags';

/** Tags EC2 and Auto Scaling write themselves. */
export const EC2_TAG = {
  launchTemplateId: 'aws:ec2launchtemplate:id',
  launchTemplateVersion: 'aws:ec2launchtemplate:version',
  groupName: 'aws:autoscaling:groupName',
} as const;

/** Instances in these states are gone (or going): a launch key held by one is launched again. */
const GONE = new Set(['shutting-down', 'terminated']);
/** AttachInstances takes at most 20 instance ids per call. */
const ATTACH_BATCH = 20;
/** EC2 takes at most 50 tags per resource. */
const MAX_TAGS = 50;

const tagsOf = (i: Instance): Record<string, string> =>
  Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/** The group's launch template id (LaunchTemplate or MixedInstancesPolicy), if it has one. */
export function groupLaunchTemplateId(g: AutoScalingGroup): string | undefined {
  return (
    g.LaunchTemplate?.LaunchTemplateId ??
    g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification?.LaunchTemplateId
  );
}

/**
 * The idempotency token of the launch of `key` after `relaunches` earlier instances with that key were terminated:
 * hex SHA-256 of `<key>#<relaunches>` (64 characters, EC2's limit). The same key gives the same instance until it is
 * gone; then the next token launches a new one.
 */
export function launchToken(key: string, relaunches: number): string {
  return createHash('sha256').update(`${key}#${relaunches}`).digest('hex');
}

export class ZoneLaunches {
  /** Calls sent (for metrics and the benchmark). */
  requests = 0;

  constructor(
    private readonly ec2: EC2Client,
    private readonly autoscaling: AutoScalingClient,
    /** The one group whose surges go into chosen zones (the data group). */
    readonly groupName: string,
  ) {}

  private async instances(filters: Filter[]): Promise<Instance[]> {
    const out: Instance[] = [];
    let token: string | undefined;
    do {
      this.requests++;
      const r = await this.ec2.send(new DescribeInstancesCommand({ Filters: filters, NextToken: token }));
      for (const res of r.Reservations ?? []) out.push(...(res.Instances ?? []));
      token = r.NextToken;
    } while (token);
    return out;
  }

  /**
   * Instances launched for the group (tag `elk-cdk:launched-for`), `pending` or `running`, that are not in it: not
   * among `members`, and without the tag Auto Scaling writes when it attaches one (an attach the group's description
   * does not show yet is not an unattached instance).
   */
  async unattached(groupName: string, members: ReadonlySet<string>): Promise<UnattachedInstance[]> {
    const found = await this.instances([
      { Name: `tag:${INSTANCE_TAG.launchedFor}`, Values: [groupName] },
      { Name: 'instance-state-name', Values: ['pending', 'running'] },
    ]);
    return found
      .filter((i) => !members.has(i.InstanceId!) && tagsOf(i)[EC2_TAG.groupName] === undefined)
      .map((i) => ({
        instanceId: i.InstanceId!,
        availabilityZone: i.Placement?.AvailabilityZone ?? '',
        state: i.State?.Name === 'running' ? 'running' : 'pending',
        launchKey: tagsOf(i)[INSTANCE_TAG.launchKey] ?? '',
      }));
  }

  /**
   * The launch template version of each instance Auto Scaling reports none for (an attached one), read from EC2's own
   * tags, when the instance was launched from `launchTemplateId`; an instance of another template is left out.
   */
  async versionsFromEc2(instanceIds: readonly string[], launchTemplateId: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (instanceIds.length === 0) return out;
    for (const i of await this.instances([{ Name: 'instance-id', Values: [...instanceIds] }])) {
      const tags = tagsOf(i);
      const version = tags[EC2_TAG.launchTemplateVersion];
      if (tags[EC2_TAG.launchTemplateId] === launchTemplateId && version) out.set(i.InstanceId!, version);
    }
    return out;
  }

  /** FleetPort.launchIntoZones for `group` (described by the caller just before). */
  async launch(group: AutoScalingGroup, launches: readonly ZoneLaunch[], version: string): Promise<LaunchResult> {
    const groupName = group.AutoScalingGroupName!;
    const templateId = groupLaunchTemplateId(group);
    if (!templateId) throw new Error(`${groupName} has no launch template to launch surge instances from`);
    const keys = launches.map((l) => l.key);
    const earlier = keys.length
      ? await this.instances([
          { Name: `tag:${INSTANCE_TAG.launchedFor}`, Values: [groupName] },
          { Name: `tag:${INSTANCE_TAG.launchKey}`, Values: keys },
        ])
      : [];
    const withKey = (key: string) => earlier.filter((i) => tagsOf(i)[INSTANCE_TAG.launchKey] === key);
    const missing = launches.filter((l) => !withKey(l.key).some((i) => !GONE.has(i.State?.Name ?? '')));
    let subnets = new Map<string, string>();
    let tags: Tag[] = [];
    if (missing.length > 0) {
      subnets = await this.subnetsByZone(group);
      tags = await this.launchTags(group, templateId, version);
    }
    const live: Instance[] = [];
    for (const l of launches) {
      const existing = withKey(l.key).find((i) => !GONE.has(i.State?.Name ?? ''));
      if (existing) {
        live.push(existing);
        continue;
      }
      const subnet = subnets.get(l.zone);
      if (!subnet) throw new Error(`${groupName} has no subnet in ${l.zone} (VPCZoneIdentifier)`);
      const relaunches = withKey(l.key).length;
      const own = [
        ...tags,
        { Key: INSTANCE_TAG.launchedFor, Value: groupName },
        { Key: INSTANCE_TAG.launchKey, Value: l.key },
      ];
      this.requests++;
      const r = await this.ec2.send(
        new RunInstancesCommand({
          MinCount: 1,
          MaxCount: 1,
          LaunchTemplate: { LaunchTemplateId: templateId, Version: version },
          SubnetId: subnet,
          ClientToken: launchToken(l.key, relaunches),
          TagSpecifications: [
            { ResourceType: 'instance', Tags: own },
            { ResourceType: 'volume', Tags: own },
          ],
        }),
      );
      const started = r.Instances?.[0];
      if (!started?.InstanceId) throw new Error(`RunInstances for ${l.key} returned no instance`);
      live.push(started);
    }
    const instanceIds = live.map((i) => i.InstanceId!);
    if (!live.every((i) => i.State?.Name === 'running')) return { status: 'launched', instanceIds };
    const members = new Set((group.Instances ?? []).map((i) => i.InstanceId));
    const toAttach = instanceIds.filter((id) => !members.has(id));
    for (let k = 0; k < toAttach.length; k += ATTACH_BATCH) {
      this.requests++;
      await this.autoscaling.send(
        new AttachInstancesCommand({
          AutoScalingGroupName: groupName,
          InstanceIds: toAttach.slice(k, k + ATTACH_BATCH),
        }),
      );
    }
    return { status: 'attached', instanceIds };
  }

  /** Zone → the group's first subnet in it (subnet ids sorted, so every call picks the same one). */
  private async subnetsByZone(group: AutoScalingGroup): Promise<Map<string, string>> {
    const ids = (group.VPCZoneIdentifier ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .sort();
    const out = new Map<string, string>();
    if (ids.length === 0) return out;
    this.requests++;
    const r = await this.ec2.send(new DescribeSubnetsCommand({ SubnetIds: ids }));
    const zoneOf = new Map((r.Subnets ?? []).map((s) => [s.SubnetId!, s.AvailabilityZone ?? '']));
    for (const id of ids) {
      const zone = zoneOf.get(id);
      if (zone && !out.has(zone)) out.set(zone, id);
    }
    return out;
  }

  /**
   * The tags of a launched instance and its volumes before its own two: the launch template version's own instance
   * tags (role, discovery tag: read, because whether EC2 merges request tags with the template's is not stated where
   * we looked), then the group's propagate-at-launch tags (environment, component, cluster), as Auto Scaling would
   * write them. Never `aws:` tags (reserved).
   */
  private async launchTags(group: AutoScalingGroup, templateId: string, version: string): Promise<Tag[]> {
    const tags = new Map<string, string>();
    this.requests++;
    const r = await this.ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: [version] }),
    );
    const specs = r.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.TagSpecifications ?? [];
    for (const s of specs.filter((x) => x.ResourceType === 'instance')) {
      for (const t of s.Tags ?? []) tags.set(t.Key!, t.Value ?? '');
    }
    for (const t of group.Tags ?? []) if (t.PropagateAtLaunch) tags.set(t.Key!, t.Value ?? '');
    for (const k of [...tags.keys()]) if (k.startsWith('aws:')) tags.delete(k);
    tags.delete(INSTANCE_TAG.launchedFor);
    tags.delete(INSTANCE_TAG.launchKey);
    return [...tags].slice(0, MAX_TAGS - 2).map(([Key, Value]) => ({ Key, Value }));
  }

  /**
   * FleetPort.terminateUnattached: each instance read again, terminated only when it is tagged launched-for this group
   * and carries no Auto Scaling group tag (never a member, never someone else's); a gone one is skipped.
   */
  async terminate(groupName: string, instanceIds: readonly string[]): Promise<void> {
    if (instanceIds.length === 0) return;
    const found = await this.instances([{ Name: 'instance-id', Values: [...instanceIds] }]);
    const ours = found
      .filter((i) => {
        const tags = tagsOf(i);
        return (
          tags[INSTANCE_TAG.launchedFor] === groupName &&
          tags[EC2_TAG.groupName] === undefined &&
          !GONE.has(i.State?.Name ?? '')
        );
      })
      .map((i) => i.InstanceId!);
    if (ours.length === 0) return;
    this.requests++;
    try {
      await this.ec2.send(new TerminateInstancesCommand({ InstanceIds: ours }));
    } catch (e) {
      // Gone between the read and the call: the goal is met.
      if ((e as { name?: string }).name === 'InvalidInstanceID.NotFound') return;
      throw e;
    }
  }
}
