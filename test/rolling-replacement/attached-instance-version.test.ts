/**
 * docs/rollout.md "Methods" (launch + attach, not built): the roll tells new from outdated by the launch template
 * version Auto Scaling reports for each instance. Whether it reports one for an instance it did not launch (an
 * attached one) is not documented; when it reports none, the instance counts as outdated, so a replacement launched
 * by the orchestrator and then attached would be replaced again. Pinned here so the docs stay true.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { AutoScalingFleet } from '../../lambda/rolling-replacement/adapters/autoscaling';
import { groupState } from '../../lambda/rolling-replacement/core/context';

const asg = mockClient(AutoScalingClient);
beforeEach(() => asg.reset());

const instance = (id: string, version?: string) => ({
  InstanceId: id,
  LifecycleState: 'InService' as const,
  HealthStatus: 'Healthy',
  AvailabilityZone: 'eu-west-1a',
  ProtectedFromScaleIn: true,
  ...(version ? { LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: version } } : {}),
});

async function observe(instances: ReturnType<typeof instance>[]) {
  asg.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'data-asg',
        DesiredCapacity: instances.length,
        MinSize: 1,
        MaxSize: 6,
        DefaultCooldown: 0,
        AvailabilityZones: ['eu-west-1a'],
        HealthCheckType: 'EC2',
        CreatedTime: new Date(0),
        LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '7' },
        Instances: instances,
      },
    ],
  });
  const fleet = new AutoScalingFleet(new AutoScalingClient({ region: 'eu-west-1' }), { 'data-asg': 'data' });
  const [g] = await fleet.describeGroups(['data-asg']);
  return groupState(g!, 'data');
}

describe('an instance Auto Scaling reports without a launch template version', () => {
  test('counts as outdated, next to one launched by the group at the target version that does not', async () => {
    const g = await observe([instance('i-launched', '7'), instance('i-attached')]);
    expect(g.outdated.map((i) => i.instanceId)).toEqual(['i-attached']);
    expect(g.live.find((i) => i.instanceId === 'i-attached')!.launchTemplateVersion).toBe('');
  });
});
