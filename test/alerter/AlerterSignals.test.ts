import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AlerterStack } from '../../lib/alerter/AlerterStack';
import { loadEnvironment } from '../../lib/config';
import { testApp } from '../helpers/app';

/** Issue #22: CloudFormation waits for verified rules on the alerter group, and sees the whole command output. */

const app = testApp();
const net = new Stack(app, 'Net');
const vpc = new ec2.Vpc(net, 'Vpc', { maxAzs: 2, natGateways: 1 });
const stack = new AlerterStack(app, 'Alerter', {
  config: loadEnvironment('dev'),
  vpc,
  esEndpoint: 'es.dev.elk.internal',
});
const t = Template.fromStack(stack);
const groupId = Object.keys(t.findResources('AWS::AutoScaling::AutoScalingGroup'))[0]!;

test('creation and rolling replacement of the alerter group wait for the boot signal', () => {
  t.hasResource('AWS::AutoScaling::AutoScalingGroup', {
    CreationPolicy: { ResourceSignal: { Count: 1, Timeout: 'PT30M' } },
    UpdatePolicy: {
      AutoScalingRollingUpdate: Match.objectLike({
        MinInstancesInService: 0,
        WaitOnResourceSignals: true,
        PauseTime: 'PT30M',
      }),
    },
  });
});

test('the boot script signals this stack and this group after verification', () => {
  const lts = t.findResources('AWS::EC2::LaunchTemplate');
  const userData = JSON.stringify(Object.values(lts)[0]!.Properties.LaunchTemplateData.UserData);
  expect(userData).toContain(`--signal-stack ${stack.stackName} `);
  expect(userData).toContain(`--signal-resource ${groupId}`);
  t.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Sid: 'SignalRulesVerifiedAtBoot',
          Action: 'cloudformation:SignalResource',
          Resource: { Ref: 'AWS::StackId' },
        }),
      ]),
    },
  });
});

test('the deploy command writes its whole output to a log group of the stack', () => {
  const cr = Object.values(t.findResources('Custom::AlerterRuleDeployment'))[0]!.Properties;
  const ref = (cr.CommandLogGroupName as { Ref: string }).Ref;
  expect(t.findResources('AWS::Logs::LogGroup')[ref]).toBeDefined();
});

describe('evaluation heartbeat (issue #15, part 3)', () => {
  test("an alarm on the heartbeat metric, missing data breaching, notifying the environment's alarm topic", () => {
    const alarms = t.findResources('AWS::CloudWatch::Alarm', {
      Properties: { MetricName: 'SecondsSinceLastRuleRun' },
    });
    const alarm = Object.values(alarms)[0]!.Properties;
    // the topic the cluster stack creates under a fixed name (lib/monitoring/topic.ts), reached without an export
    expect(JSON.stringify(alarm.AlarmActions)).toContain(':elk-cdk-dev-alarms');
    expect(t.findResources('AWS::SNS::Topic')).toEqual({});
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'elk-cdk/Alerter',
      MetricName: 'SecondsSinceLastRuleRun',
      Dimensions: [{ Name: 'Environment', Value: 'dev' }],
      Statistic: 'Maximum',
      Threshold: 600,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
    });
  });

  test('the instance publishes the metric and may mark itself unhealthy in its own group only', () => {
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement,
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'PublishEvaluationHeartbeat',
        Action: 'cloudwatch:PutMetricData',
        Condition: { StringEquals: { 'cloudwatch:namespace': 'elk-cdk/Alerter' } },
      }),
    );
    const health = statements.find((s) => s.Sid === 'MarkItselfUnhealthy')!;
    expect(health.Action).toBe('autoscaling:SetInstanceHealth');
    expect(JSON.stringify(health.Resource)).toContain(':autoScalingGroup:*:autoScalingGroupName/elk-dev-alerter');
  });

  test('user data installs the heartbeat timer before the boot script (which may retry for long)', () => {
    const userData = JSON.stringify(Object.values(t.findResources('AWS::EC2::LaunchTemplate'))[0]!.Properties);
    const timer = userData.indexOf('systemctl enable --now elk-alerter-heartbeat.timer');
    expect(timer).toBeGreaterThan(0);
    expect(timer).toBeLessThan(userData.indexOf('/opt/elk-alerter/bin/boot.sh\\" --parameter'));
    expect(userData).toContain('ExecStart=/opt/elk-alerter/bin/heartbeat.sh --environment dev --region ');
    expect(userData).toContain('--stale-seconds 600');
  });
});
