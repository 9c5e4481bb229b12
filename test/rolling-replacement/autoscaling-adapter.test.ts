import {
  AutoScalingClient,
  CreateOrUpdateTagsCommand,
  DeleteTagsCommand,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  SuspendProcessesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AutoScalingFleet } from '../../lambda/rolling-replacement/adapters/autoscaling';

const asg = mockClient(AutoScalingClient);
beforeEach(() => asg.reset());
const fleet = () => new AutoScalingFleet(new AutoScalingClient({ region: 'eu-west-1' }), { 'data-asg': 'data' });

describe('Auto Scaling adapter', () => {
  test('maps groups, instances, launch template versions, suspended processes and tags', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: 'data-asg',
          DesiredCapacity: 3,
          MinSize: 3,
          MaxSize: 6,
          DefaultCooldown: 0,
          AvailabilityZones: [],
          HealthCheckType: 'EC2',
          CreatedTime: new Date(0),
          LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '7' },
          Instances: [
            {
              InstanceId: 'i-1',
              LifecycleState: 'InService',
              HealthStatus: 'Healthy',
              AvailabilityZone: 'eu-west-1a',
              ProtectedFromScaleIn: false,
              LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '6' },
            },
          ],
          SuspendedProcesses: [{ ProcessName: 'AZRebalance' }],
          Tags: [{ Key: 'elk-cdk:rollout', Value: 'r1' }],
        },
      ],
    });
    const [g] = await fleet().describeGroups(['data-asg']);
    expect(g).toMatchObject({
      name: 'data-asg',
      role: 'data',
      desiredCapacity: 3,
      maxSize: 6,
      targetLaunchTemplateVersion: '7',
      suspendedProcesses: ['AZRebalance'],
      tags: { 'elk-cdk:rollout': 'r1' },
    });
    expect(g!.instances[0]).toMatchObject({
      instanceId: 'i-1',
      launchTemplateVersion: '6',
      lifecycleState: 'InService',
    });
  });

  test('refuses a group pinned to $Latest (outdated instances cannot be told apart)', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: 'data-asg',
          DesiredCapacity: 3,
          MinSize: 3,
          MaxSize: 6,
          DefaultCooldown: 0,
          AvailabilityZones: [],
          HealthCheckType: 'EC2',
          CreatedTime: new Date(0),
          LaunchTemplate: { Version: '$Latest' },
        },
      ],
    });
    await expect(fleet().describeGroups(['data-asg'])).rejects.toThrow(/pin an explicit version number/);
  });

  test('terminates exactly one instance with ShouldDecrementDesiredCapacity', async () => {
    asg.on(TerminateInstanceInAutoScalingGroupCommand).resolves({});
    await fleet().terminateInstance('i-9', true);
    expect(asg).toHaveReceivedCommandTimes(TerminateInstanceInAutoScalingGroupCommand, 1);
    expect(asg).toHaveReceivedCommandWith(TerminateInstanceInAutoScalingGroupCommand, {
      InstanceId: 'i-9',
      ShouldDecrementDesiredCapacity: true,
    });
  });

  test('terminating an instance that is already gone is not an error', async () => {
    asg
      .on(TerminateInstanceInAutoScalingGroupCommand)
      .rejects(
        Object.assign(new Error('Instance Id not found - No managed instance found'), { name: 'ValidationError' }),
      );
    await expect(fleet().terminateInstance('i-9', true)).resolves.toBeUndefined();
  });

  test('scale-in protection is set in calls of at most 50 instances', async () => {
    asg.onAnyCommand().resolves({});
    const ids = Array.from({ length: 51 }, (_, k) => `i-${k}`);
    await fleet().setInstanceProtection('data-asg', ids, true);
    expect(asg).toHaveReceivedCommandTimes(SetInstanceProtectionCommand, 2);
    expect(asg).toHaveReceivedNthCommandWith(1, SetInstanceProtectionCommand, {
      AutoScalingGroupName: 'data-asg',
      InstanceIds: ids.slice(0, 50),
      ProtectedFromScaleIn: true,
    });
    expect(asg).toHaveReceivedNthCommandWith(2, SetInstanceProtectionCommand, {
      AutoScalingGroupName: 'data-asg',
      InstanceIds: ['i-50'],
      ProtectedFromScaleIn: true,
    });
  });

  test('other termination errors propagate', async () => {
    asg
      .on(TerminateInstanceInAutoScalingGroupCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    await expect(fleet().terminateInstance('i-9', true)).rejects.toThrow('denied');
  });

  test('sets capacity without honouring cooldowns, suspends processes, writes and deletes group tags', async () => {
    asg.onAnyCommand().resolves({});
    const f = fleet();
    await f.setDesiredCapacity('data-asg', 4);
    await f.suspendProcesses('data-asg', ['AZRebalance']);
    await f.setTags('data-asg', { 'elk-cdk:rollout': 'r1' });
    await f.deleteTags('data-asg', ['elk-cdk:rollout']);
    expect(asg).toHaveReceivedCommandWith(SetDesiredCapacityCommand, {
      AutoScalingGroupName: 'data-asg',
      DesiredCapacity: 4,
      HonorCooldown: false,
    });
    expect(asg).toHaveReceivedCommandWith(SuspendProcessesCommand, { ScalingProcesses: ['AZRebalance'] });
    expect(asg).toHaveReceivedCommandWith(CreateOrUpdateTagsCommand, {
      Tags: [
        {
          ResourceId: 'data-asg',
          ResourceType: 'auto-scaling-group',
          Key: 'elk-cdk:rollout',
          Value: 'r1',
          PropagateAtLaunch: false,
        },
      ],
    });
    expect(asg).toHaveReceivedCommandWith(DeleteTagsCommand, {
      Tags: [{ ResourceId: 'data-asg', ResourceType: 'auto-scaling-group', Key: 'elk-cdk:rollout' }],
    });
    expect(f.requests).toBe(4);
  });
});
