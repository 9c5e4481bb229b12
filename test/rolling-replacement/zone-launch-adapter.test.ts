/**
 * Surges into chosen zones, the AWS side (adapters/zone-launch.ts through the Auto Scaling adapter): launch from the
 * group's template into a subnet of each zone, reuse by launch key, attach once every instance runs, list the
 * unattached launches, read an attached instance's version from EC2, terminate only our unattached instances.
 */
import {
  AttachInstancesCommand,
  AutoScalingClient,
  type AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  type Instance,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AutoScalingFleet } from '../../lambda/rolling-replacement/adapters/autoscaling';
import { launchToken, ZoneLaunches } from '../../lambda/rolling-replacement/adapters/zone-launch';
import { groupState } from '../../lambda/rolling-replacement/core/context';

const asg = mockClient(AutoScalingClient);
const ec2 = mockClient(EC2Client);

/** A small EC2: the instances, DescribeInstances with tag/state/id filters, RunInstances by client token. */
let world: Instance[];
let launched: number;
beforeEach(() => {
  asg.reset();
  ec2.reset();
  world = [];
  launched = 0;
  ec2.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
    const match = (i: Instance) =>
      (input.Filters ?? []).every((f) => {
        const values = f.Values ?? [];
        if (f.Name === 'instance-id') return values.includes(i.InstanceId!);
        if (f.Name === 'instance-state-name') return values.includes(i.State!.Name!);
        if (f.Name?.startsWith('tag:')) {
          const v = i.Tags?.find((t) => t.Key === f.Name!.slice(4))?.Value;
          return v !== undefined && values.includes(v);
        }
        throw new Error(`filter ${f.Name}`);
      });
    return { Reservations: [{ Instances: world.filter(match) }] };
  });
  ec2.on(RunInstancesCommand).callsFake((input: RunInstancesCommandInput) => {
    const same = world.find((i) => i.ClientToken === input.ClientToken);
    if (same) return { Instances: [same] };
    const subnet = input.SubnetId!;
    const i: Instance = {
      InstanceId: `i-new${++launched}`,
      ClientToken: input.ClientToken!,
      State: { Name: 'pending' },
      SubnetId: subnet,
      Placement: { AvailabilityZone: SUBNET_ZONE[subnet] },
      Tags: [
        ...(input.TagSpecifications?.find((s) => s.ResourceType === 'instance')?.Tags ?? []),
        { Key: 'aws:ec2launchtemplate:id', Value: input.LaunchTemplate!.LaunchTemplateId! },
        { Key: 'aws:ec2launchtemplate:version', Value: input.LaunchTemplate!.Version! },
      ],
    };
    world.push(i);
    return { Instances: [i] };
  });
  ec2.on(DescribeSubnetsCommand).resolves({
    Subnets: Object.entries(SUBNET_ZONE).map(([SubnetId, AvailabilityZone]) => ({ SubnetId, AvailabilityZone })),
  });
  ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({
    LaunchTemplateVersions: [
      {
        LaunchTemplateData: {
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'elk-cdk:role', Value: 'data' }] }],
        },
      },
    ],
  });
});

const SUBNET_ZONE: Record<string, string> = {
  'subnet-b2': 'eu-west-1b',
  'subnet-a': 'eu-west-1a',
  'subnet-b1': 'eu-west-1b',
  'subnet-c': 'eu-west-1c',
};
const GROUP = 'data-asg';

function group(members: { id: string; version?: string }[] = []): AutoScalingGroup {
  return {
    AutoScalingGroupName: GROUP,
    DesiredCapacity: members.length,
    MinSize: 0,
    MaxSize: 9,
    DefaultCooldown: 0,
    AvailabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    HealthCheckType: 'EC2',
    CreatedTime: new Date(0),
    VPCZoneIdentifier: 'subnet-b2,subnet-a,subnet-b1,subnet-c',
    LaunchTemplate: { LaunchTemplateId: 'lt-data', Version: '7' },
    Tags: [
      { Key: 'elk-cdk:environment', Value: 'dev', PropagateAtLaunch: true },
      { Key: 'elk-cdk:rollout', Value: 'r-1', PropagateAtLaunch: false },
    ],
    Instances: members.map((m) => ({
      InstanceId: m.id,
      LifecycleState: 'InService',
      HealthStatus: 'Healthy',
      AvailabilityZone: 'eu-west-1a',
      ProtectedFromScaleIn: true,
      ...(m.version ? { LaunchTemplate: { LaunchTemplateId: 'lt-data', Version: m.version } } : {}),
    })),
  };
}

function fleet(g: AutoScalingGroup = group()) {
  asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [g] });
  const client = new AutoScalingClient({ region: 'eu-west-1' });
  const zones = new ZoneLaunches(new EC2Client({ region: 'eu-west-1' }), client, GROUP);
  return new AutoScalingFleet(client, { [GROUP]: 'data' }, undefined, zones);
}

const KEYS = [
  { zone: 'eu-west-1a', key: 'r-1/data-asg/b12/eu-west-1a/0' },
  { zone: 'eu-west-1b', key: 'r-1/data-asg/b12/eu-west-1b/0' },
];
const run = (id: string) => {
  world.find((i) => i.InstanceId === id)!.State = { Name: 'running' };
};
const runCalls = () => ec2.commandCalls(RunInstancesCommand).map((c) => c.args[0].input);

describe('launchIntoZones', () => {
  test('launches one instance per key from the group template at the target version, into the first subnet of its zone, tagged', async () => {
    const r = await fleet().launchIntoZones!(GROUP, KEYS, '8');
    expect(r).toEqual({ status: 'launched', instanceIds: ['i-new1', 'i-new2'] });
    const calls = runCalls();
    expect(calls.map((c) => c.SubnetId)).toEqual(['subnet-a', 'subnet-b1']);
    const [first] = calls;
    expect(first).toMatchObject({
      MinCount: 1,
      MaxCount: 1,
      LaunchTemplate: { LaunchTemplateId: 'lt-data', Version: '8' },
      ClientToken: launchToken(KEYS[0]!.key, 0),
    });
    expect(first!.ClientToken).toHaveLength(64);
    const tags = Object.fromEntries(
      first!.TagSpecifications!.find((s) => s.ResourceType === 'instance')!.Tags!.map((t) => [t.Key, t.Value]),
    );
    expect(tags).toEqual({
      'elk-cdk:role': 'data',
      'elk-cdk:environment': 'dev',
      'elk-cdk:launched-for': GROUP,
      'elk-cdk:launch-key': KEYS[0]!.key,
    });
    expect(first!.TagSpecifications!.map((s) => s.ResourceType)).toEqual(['instance', 'volume']);
    expect(asg).not.toHaveReceivedCommand(AttachInstancesCommand);
  });

  test('a second call with the same keys reuses the instances (no second RunInstances) and attaches only when all run, in one call', async () => {
    const f = fleet();
    await f.launchIntoZones!(GROUP, KEYS, '8');
    run('i-new1');
    expect(await f.launchIntoZones!(GROUP, KEYS, '8')).toEqual({
      status: 'launched',
      instanceIds: ['i-new1', 'i-new2'],
    });
    expect(asg).not.toHaveReceivedCommand(AttachInstancesCommand);
    run('i-new2');
    expect(await f.launchIntoZones!(GROUP, KEYS, '8')).toEqual({
      status: 'attached',
      instanceIds: ['i-new1', 'i-new2'],
    });
    expect(runCalls()).toHaveLength(2);
    expect(asg).toHaveReceivedCommandTimes(AttachInstancesCommand, 1);
    expect(asg).toHaveReceivedCommandWith(AttachInstancesCommand, {
      AutoScalingGroupName: GROUP,
      InstanceIds: ['i-new1', 'i-new2'],
    });
  });

  test('an instance already in the group is not attached again', async () => {
    await fleet().launchIntoZones!(GROUP, KEYS, '8');
    run('i-new1');
    run('i-new2');
    asg.reset();
    const f = fleet(group([{ id: 'i-new1' }]));
    expect(await f.launchIntoZones!(GROUP, KEYS, '8')).toMatchObject({ status: 'attached' });
    expect(asg).toHaveReceivedCommandWith(AttachInstancesCommand, { InstanceIds: ['i-new2'] });
    asg.reset();
    await fleet(group([{ id: 'i-new1' }, { id: 'i-new2' }])).launchIntoZones!(GROUP, KEYS, '8');
    expect(asg).not.toHaveReceivedCommand(AttachInstancesCommand);
  });

  test('a key whose instance was terminated launches again with a new token; a retry of that launch gets the same one', async () => {
    const f = fleet();
    await f.launchIntoZones!(GROUP, KEYS.slice(0, 1), '8');
    world[0]!.State = { Name: 'terminated' };
    const r = await f.launchIntoZones!(GROUP, KEYS.slice(0, 1), '8');
    expect(r.instanceIds).toEqual(['i-new2']);
    expect(runCalls().map((c) => c.ClientToken)).toEqual([launchToken(KEYS[0]!.key, 0), launchToken(KEYS[0]!.key, 1)]);
    expect(launchToken(KEYS[0]!.key, 1)).not.toBe(launchToken(KEYS[0]!.key, 0));
    // The tag lookup may not show a fresh launch yet (eventual consistency): the same token, the same instance.
    world[1]!.Tags = [];
    expect((await f.launchIntoZones!(GROUP, KEYS.slice(0, 1), '8')).instanceIds).toEqual(['i-new2']);
    expect(world).toHaveLength(2);
  });

  test('a zone without a subnet of the group is an error, not a launch elsewhere', async () => {
    await expect(fleet().launchIntoZones!(GROUP, [{ zone: 'eu-west-1d', key: 'k' }], '8')).rejects.toThrow(
      /no subnet in eu-west-1d/,
    );
    expect(runCalls()).toHaveLength(0);
  });

  test('only the group it was set up for', async () => {
    await expect(fleet().launchIntoZones!('master-asg', KEYS, '8')).rejects.toThrow(/does not launch/);
  });
});

describe('describeGroups with surges into chosen zones', () => {
  test('the data group can launch into zones and lists its unattached launches (not members, not gone, not attached elsewhere)', async () => {
    const tag = (k: string, v: string) => ({ Key: k, Value: v });
    const ours = (id: string, state: string, extra: { Key: string; Value: string }[] = []): Instance => ({
      InstanceId: id,
      State: { Name: state as 'running' },
      Placement: { AvailabilityZone: 'eu-west-1c' },
      Tags: [tag('elk-cdk:launched-for', GROUP), tag('elk-cdk:launch-key', `key-${id}`), ...extra],
    });
    world = [
      ours('i-pending', 'pending'),
      ours('i-running', 'running'),
      ours('i-member', 'running'),
      ours('i-gone', 'terminated'),
      ours('i-attaching', 'running', [tag('aws:autoscaling:groupName', GROUP)]),
    ];
    const [g] = await fleet(group([{ id: 'i-member', version: '8' }])).describeGroups([GROUP]);
    expect(g!.canLaunchIntoZones).toBe(true);
    expect(g!.unattached).toEqual([
      { instanceId: 'i-pending', availabilityZone: 'eu-west-1c', state: 'pending', launchKey: 'key-i-pending' },
      { instanceId: 'i-running', availabilityZone: 'eu-west-1c', state: 'running', launchKey: 'key-i-running' },
    ]);
  });

  test('without the option no group can, and EC2 is not asked', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group()] });
    const [g] = await new AutoScalingFleet(new AutoScalingClient({ region: 'eu-west-1' }), {
      [GROUP]: 'data',
    }).describeGroups([GROUP]);
    expect(g!.canLaunchIntoZones).toBeUndefined();
    expect(g!.unattached).toBeUndefined();
    expect(ec2).not.toHaveReceivedCommand(DescribeInstancesCommand);
  });
});

describe('terminateUnattached', () => {
  test('terminates our unattached instance, skips one in a group, a foreign one and a gone one', async () => {
    const t = (id: string, tags: Record<string, string>, state = 'running'): Instance => ({
      InstanceId: id,
      State: { Name: state as 'running' },
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    });
    world = [
      t('i-ours', { 'elk-cdk:launched-for': GROUP }),
      t('i-grouped', { 'elk-cdk:launched-for': GROUP, 'aws:autoscaling:groupName': GROUP }),
      t('i-foreign', { 'elk-cdk:launched-for': 'other-asg' }),
      t('i-untagged', {}),
      t('i-gone', { 'elk-cdk:launched-for': GROUP }, 'terminated'),
    ];
    ec2.on(TerminateInstancesCommand).resolves({});
    await fleet().terminateUnattached!(GROUP, ['i-ours', 'i-grouped', 'i-foreign', 'i-untagged', 'i-gone', 'i-x']);
    expect(ec2).toHaveReceivedCommandTimes(TerminateInstancesCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(TerminateInstancesCommand, { InstanceIds: ['i-ours'] });
  });

  test('nothing of ours left: no call (idempotent)', async () => {
    await fleet().terminateUnattached!(GROUP, ['i-x']);
    expect(ec2).not.toHaveReceivedCommand(TerminateInstancesCommand);
  });
});

describe('the launch template version of an attached instance', () => {
  test("read from EC2's own tags when Auto Scaling reports none and the template is the group's; another template stays ''", async () => {
    world = [
      {
        InstanceId: 'i-attached',
        State: { Name: 'running' },
        Tags: [
          { Key: 'aws:ec2launchtemplate:id', Value: 'lt-data' },
          { Key: 'aws:ec2launchtemplate:version', Value: '7' },
        ],
      },
      {
        InstanceId: 'i-foreign',
        State: { Name: 'running' },
        Tags: [
          { Key: 'aws:ec2launchtemplate:id', Value: 'lt-other' },
          { Key: 'aws:ec2launchtemplate:version', Value: '7' },
        ],
      },
    ];
    const [g] = await fleet(
      group([{ id: 'i-launched', version: '7' }, { id: 'i-attached' }, { id: 'i-foreign' }]),
    ).describeGroups([GROUP]);
    const version = (id: string) => g!.instances.find((i) => i.instanceId === id)!.launchTemplateVersion;
    expect(version('i-attached')).toBe('7');
    expect(version('i-foreign')).toBe('');
    expect(groupState(g!, 'data').outdated.map((i) => i.instanceId)).toEqual(['i-foreign']);
  });
});
