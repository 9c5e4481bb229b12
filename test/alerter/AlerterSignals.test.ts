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
