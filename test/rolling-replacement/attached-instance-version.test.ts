/**
 * docs/rollout.md "Methods" (launch + attach): the roll tells new from outdated by the launch template version Auto
 * Scaling reports for each instance. Whether it reports one for an instance it did not launch (an attached one) is not
 * documented. A fleet that launches into chosen zones (rollout.surgePlacement orchestrator) reads the version of such
 * an instance from EC2's own tags (`aws:ec2launchtemplate:id`/`version`, on every instance launched from a template),
 * so an attached replacement is not replaced again; any other fleet still takes a missing version as '' (outdated).
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { AutoScalingFleet } from '../../lambda/rolling-replacement/adapters/autoscaling';
import { ZoneLaunches } from '../../lambda/rolling-replacement/adapters/zone-launch';
import { groupState } from '../../lambda/rolling-replacement/core/context';

const asg = mockClient(AutoScalingClient);
const ec2 = mockClient(EC2Client);
beforeEach(() => {
  asg.reset();
  ec2.reset();
});

const instance = (id: string, version?: string) => ({
  InstanceId: id,
  LifecycleState: 'InService' as const,
  HealthStatus: 'Healthy',
  AvailabilityZone: 'eu-west-1a',
  ProtectedFromScaleIn: true,
  ...(version ? { LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: version } } : {}),
});

async function observe(instances: ReturnType<typeof instance>[], zones = false) {
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
  const client = new AutoScalingClient({ region: 'eu-west-1' });
  const fleet = new AutoScalingFleet(
    client,
    { 'data-asg': 'data' },
    undefined,
    zones ? new ZoneLaunches(new EC2Client({ region: 'eu-west-1' }), client, 'data-asg') : undefined,
  );
  const [g] = await fleet.describeGroups(['data-asg']);
  return groupState(g!, 'data');
}

describe('an instance Auto Scaling reports without a launch template version', () => {
  test('without surges into chosen zones: counts as outdated, next to one launched by the group at the target version', async () => {
    const g = await observe([instance('i-launched', '7'), instance('i-attached')]);
    expect(g.outdated.map((i) => i.instanceId)).toEqual(['i-attached']);
    expect(g.live.find((i) => i.instanceId === 'i-attached')!.launchTemplateVersion).toBe('');
  });

  test("with them: takes the version EC2 tagged it with, and is not outdated at the group's target", async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: 'i-attached',
              Tags: [
                { Key: 'aws:ec2launchtemplate:id', Value: 'lt-1' },
                { Key: 'aws:ec2launchtemplate:version', Value: '7' },
              ],
            },
          ],
        },
      ],
    });
    const g = await observe([instance('i-launched', '7'), instance('i-attached')], true);
    expect(g.outdated).toEqual([]);
    expect(g.live.find((i) => i.instanceId === 'i-attached')!.launchTemplateVersion).toBe('7');
  });
});
