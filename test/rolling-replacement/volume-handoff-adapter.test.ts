/**
 * The AWS half of a volume handoff (adapters/volume-handoff.ts) and the Auto Scaling adapter's use of it: stop
 * Elasticsearch through SSM, detach the data volume, terminate without decrement; each part idempotent on retry.
 */
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateTagsCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  EC2Client,
  type Volume,
} from '@aws-sdk/client-ec2';
import {
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AutoScalingFleet } from '../../lambda/rolling-replacement/adapters/autoscaling';
import { stopComment, VolumeHandoff } from '../../lambda/rolling-replacement/adapters/volume-handoff';

const asg = mockClient(AutoScalingClient);
const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
beforeEach(() => {
  asg.reset();
  ec2.reset();
  ssm.reset();
});

const SPEC = 'gp3/200/key-1';
const volume = (
  id: string,
  o: { instance?: string; attachment?: string; state?: string; spec?: string } = {},
): Volume => ({
  VolumeId: id,
  State: (o.state ?? (o.instance ? 'in-use' : 'available')) as Volume['State'],
  Attachments: o.instance
    ? [{ InstanceId: o.instance, State: (o.attachment ?? 'attached') as 'attached', Device: '/dev/sdf' }]
    : [],
  Tags: [
    { Key: 'elk-cdk:environment', Value: 'dev' },
    { Key: 'elk-cdk:volume-group', Value: 'data' },
    { Key: 'elk-cdk:volume-spec', Value: o.spec ?? SPEC },
  ],
});
const handoff = (waitSeconds = 60) =>
  new VolumeHandoff(new EC2Client({ region: 'eu-west-1' }), new SSMClient({ region: 'eu-west-1' }), {
    environment: 'dev',
    dataPath: '/var/lib/elasticsearch-data',
    waitSeconds,
    sleep: async () => undefined,
    now: () => new Date('2026-01-01T10:00:00Z'),
  });
const fleet = (volumes?: VolumeHandoff) =>
  new AutoScalingFleet(new AutoScalingClient({ region: 'eu-west-1' }), { 'data-asg': 'data' }, volumes);

function group(tags: Array<{ Key: string; Value: string }>) {
  return {
    AutoScalingGroupName: 'data-asg',
    DesiredCapacity: 2,
    MinSize: 2,
    MaxSize: 3,
    DefaultCooldown: 0,
    AvailabilityZones: [],
    HealthCheckType: 'EC2',
    CreatedTime: new Date(0),
    LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '7' },
    Instances: ['i-1', 'i-2', 'i-3'].map((InstanceId) => ({
      InstanceId,
      LifecycleState: 'InService' as const,
      HealthStatus: 'Healthy',
      AvailabilityZone: 'eu-west-1a',
      ProtectedFromScaleIn: true,
      LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '6' },
    })),
    Tags: tags.map((t) => ({ ...t, ResourceId: 'data-asg' })),
  };
}

describe('volume handoff adapter', () => {
  test('stops Elasticsearch, detaches the volume, tags it, then terminates without decrement', async () => {
    ec2.on(DescribeVolumesCommand).resolvesOnce({ Volumes: [volume('vol-1', { instance: 'i-1' })] });
    ec2.on(DescribeVolumesCommand, { VolumeIds: ['vol-1'] }).resolves({ Volumes: [volume('vol-1')] });
    ec2.on(DetachVolumeCommand).resolves({});
    ec2.on(CreateTagsCommand).resolves({});
    ssm.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [] });
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'c-1' } });
    ssm.on(GetCommandInvocationCommand).resolvesOnce({ Status: 'InProgress' }).resolves({ Status: 'Success' });
    asg.on(TerminateInstanceInAutoScalingGroupCommand).resolves({});

    await fleet(handoff()).handOffInstance!('i-1');

    expect(ssm).toHaveReceivedCommandWith(SendCommandCommand, {
      InstanceIds: ['i-1'],
      DocumentName: 'AWS-RunShellScript',
      Comment: stopComment('i-1'),
    });
    const commands = ssm.commandCalls(SendCommandCommand)[0]!.args[0].input.Parameters!.commands!.join('\n');
    expect(commands).toMatch(/systemctl stop elasticsearch/);
    expect(commands).toMatch(/umount '\/var\/lib\/elasticsearch-data'/);
    expect(ec2).toHaveReceivedCommandWith(DetachVolumeCommand, { VolumeId: 'vol-1', InstanceId: 'i-1' });
    expect(ec2.commandCalls(DetachVolumeCommand)[0]!.args[0].input.Force).toBeUndefined();
    expect(ec2).toHaveReceivedCommandWith(CreateTagsCommand, {
      Resources: ['vol-1'],
      Tags: [
        { Key: 'elk-cdk:detached-at', Value: '2026-01-01T10:00:00.000Z' },
        { Key: 'elk-cdk:detached-from', Value: 'i-1' },
      ],
    });
    expect(asg).toHaveReceivedCommandWith(TerminateInstanceInAutoScalingGroupCommand, {
      InstanceId: 'i-1',
      ShouldDecrementDesiredCapacity: false,
    });
    // The order: stopped (the command's Success) before detached, detached before terminated.
    const success = ssm.commandCalls(GetCommandInvocationCommand)[1]!;
    const detach = ec2.commandCalls(DetachVolumeCommand)[0]!;
    const terminate = asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand)[0]!;
    expect(detach.calledAfter(success)).toBe(true);
    expect(terminate.calledAfter(detach)).toBe(true);
  });

  test('never detaches or terminates while the stop command fails, and says why', async () => {
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [volume('vol-1', { instance: 'i-1' })] });
    ssm.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [] });
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'c-1' } });
    ssm.on(GetCommandInvocationCommand).resolves({ Status: 'Failed', StandardErrorContent: 'umount: target is busy' });
    await expect(fleet(handoff()).handOffInstance!('i-1')).rejects.toThrow(/Failed: umount: target is busy/);
    expect(ec2).not.toHaveReceivedCommand(DetachVolumeCommand);
    expect(asg).not.toHaveReceivedCommand(TerminateInstanceInAutoScalingGroupCommand);
  });

  test('a retry finds the stop command already sent instead of sending another', async () => {
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [volume('vol-1', { instance: 'i-1' })] });
    ssm.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [{ CommandId: 'c-0', Comment: stopComment('i-1'), Status: 'InProgress' }],
    });
    ssm.on(GetCommandInvocationCommand).resolves({ Status: 'InProgress' });
    await expect(handoff(0).stopAndDetach('i-1')).rejects.toThrow(/still stopping/);
    expect(ssm).not.toHaveReceivedCommand(SendCommandCommand);
    expect(ssm).toHaveReceivedCommandWith(GetCommandInvocationCommand, { CommandId: 'c-0', InstanceId: 'i-1' });
    expect(ec2).not.toHaveReceivedCommand(DetachVolumeCommand);
  });

  test('a volume already detaching is waited for, not detached again; Elasticsearch is not stopped again', async () => {
    ec2
      .on(DescribeVolumesCommand)
      .resolves({ Volumes: [volume('vol-1', { instance: 'i-1', attachment: 'detaching', state: 'in-use' })] });
    await expect(handoff(0).stopAndDetach('i-1')).rejects.toThrow(/vol-1 is still in-use/);
    expect(ec2).not.toHaveReceivedCommand(DetachVolumeCommand);
    expect(ssm).not.toHaveReceivedCommand(SendCommandCommand);
  });

  test('without volume support the adapter offers no handoff and reports no volumes that outlive instances', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [group([{ Key: 'elk-cdk:data-volumes', Value: `persistent:${SPEC}` }])],
    });
    const f = fleet();
    expect(f.handOffInstance).toBeUndefined();
    const [g] = await f.describeGroups(['data-asg']);
    expect(g!.volumesOutliveInstances).toBeUndefined();
  });

  test('reports per instance why its volume cannot be handed off: none of its own, or a storage change', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [group([{ Key: 'elk-cdk:data-volumes', Value: `persistent:${SPEC}` }])],
    });
    ec2.on(DescribeVolumesCommand).resolves({
      Volumes: [volume('vol-1', { instance: 'i-1' }), volume('vol-2', { instance: 'i-2', spec: 'gp3/100/key-1' })],
    });
    const [g] = await fleet(handoff()).describeGroups(['data-asg']);
    expect(g!.volumesOutliveInstances).toBe(true);
    const why = Object.fromEntries(g!.instances.map((i) => [i.instanceId, i.volumeHandoffBlocked]));
    expect(why['i-1']).toBeUndefined();
    expect(why['i-2']).toMatch(/storage change: its data volume vol-2 is gp3\/100\/key-1, the group asks for gp3\/200/);
    expect(why['i-3']).toMatch(/no data volume of its own/);
    expect(ec2).toHaveReceivedCommandWith(DescribeVolumesCommand, {
      Filters: [
        { Name: 'tag:elk-cdk:environment', Values: ['dev'] },
        { Name: 'tag:elk-cdk:volume-group', Values: ['data'] },
      ],
    });
  });

  test('a group without the persistent tag reads no volumes', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group([])] });
    const [g] = await fleet(handoff()).describeGroups(['data-asg']);
    expect(g!.volumesOutliveInstances).toBeUndefined();
    expect(ec2).not.toHaveReceivedCommand(DescribeVolumesCommand);
  });
});
