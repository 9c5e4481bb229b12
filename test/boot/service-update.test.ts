import { Template } from 'aws-cdk-lib/assertions';
import { loadEnvironment } from '../../lib/config';
import { ElkStage } from '../../lib/ElkStage';
import { testApp } from '../helpers/app';

// The stateless tiers roll health-gated: never below their count, one surge instance, a signal per new instance.
describe.each([
  ['Kibana', 'kibana', (c: ReturnType<typeof loadEnvironment>) => c.kibana.count],
  ['Logstash', 'logstash', (c: ReturnType<typeof loadEnvironment>) => c.logstash.count],
])('%s group of production', (_label, role, count) => {
  const config = loadEnvironment('production');
  const stage = new ElkStage(testApp(), 'production', { config });
  const t = Template.fromStack(stage.cluster);
  const [logicalId, group] = Object.entries(t.findResources('AWS::AutoScaling::AutoScalingGroup')).find(([, g]) =>
    (g.Properties.Tags as Array<{ Key: string; Value: string }>).some(
      (x) => x.Key === 'elk-cdk:role' && x.Value === role,
    ),
  )!;

  test('keeps every instance in service during an update and waits for each new instance to signal', () => {
    expect(group.UpdatePolicy.AutoScalingRollingUpdate).toMatchObject({
      MaxBatchSize: 1,
      MinInstancesInService: count(config),
      WaitOnResourceSignals: true,
      PauseTime: 'PT15M',
    });
  });

  test('has room for one surge instance', () => {
    expect(Number(group.Properties.MaxSize)).toBe(count(config) + 1);
    expect(Number(group.Properties.MinSize)).toBe(count(config));
  });

  test('tells the boot script which stack and group to signal, and lets the instance signal it', () => {
    const lts = t.findResources('AWS::EC2::LaunchTemplate');
    const userData = JSON.stringify(
      Object.values(lts).find((lt) => JSON.stringify(lt).includes(`ELK_ROLE='${role}'`))!.Properties,
    );
    expect(userData).toContain(`ELK_SIGNAL_RESOURCE='${logicalId}'`);
    expect(userData).toContain("ELK_STACK_NAME='elk-production-cluster'");
    expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).toContain('cloudformation:SignalResource');
  });
});
