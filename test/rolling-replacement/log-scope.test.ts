import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { RollingReplacement } from '../../lib/rolling-replacement/RollingReplacement';
import { testApp } from '../helpers/app';

// Issue #13 (low): the orchestrator's role writes its own log groups only, and the Provider framework's functions
// log to a group with a retention.

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown };

const app = testApp();
const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
const machineImage = ec2.MachineImage.genericLinux({ 'eu-west-1': 'ami-0123456789abcdef0' });
const lt = (id: string) =>
  new ec2.LaunchTemplate(stack, id, { machineImage, instanceType: new ec2.InstanceType('r6i.large') });
const dataLt = lt('DataLt');
const masterLt = lt('MasterLt');
const asg = (id: string, launchTemplate: ec2.LaunchTemplate) =>
  new autoscaling.AutoScalingGroup(stack, id, { vpc, launchTemplate, minCapacity: 3, maxCapacity: 6 });
const rr = new RollingReplacement(stack, 'Rolling', {
  environment: 'dev',
  vpc,
  dataGroup: asg('Data', dataLt),
  masterGroup: asg('Master', masterLt),
  dataLaunchTemplate: dataLt,
  masterLaunchTemplate: masterLt,
  targetVersion: '8.19.3',
  esEndpoint: 'https://es.dev.elk.internal:9200',
  clientSecurityGroup: new ec2.SecurityGroup(stack, 'EsClients', { vpc }),
  credentialsSecret: new secretsmanager.Secret(stack, 'OrchestratorUser'),
  caParameterName: '/elk/dev/security/ca-cert',
  rollout: { waitForCompletion: true, timeoutHours: 12, pollSeconds: 30 },
});
const t = Template.fromStack(stack);
const json = t.toJSON() as { Resources: Record<string, { Type: string; Properties?: any }> }; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('rolling replacement logging permissions', () => {
  test('no statement of the orchestrator role grants a logs action on *', () => {
    expect(rr).toBeDefined();
    // the role of the orchestrator functions (state machines' log delivery needs * and is not this role)
    const reconcile = Object.entries(json.Resources).find(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('RollingReconcile'),
    )![1];
    const roleId = (reconcile.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const statements = Object.values(json.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(`"${roleId}"`))
      .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[]);
    const logs = statements.filter((s) => ([] as string[]).concat(s.Action).some((a) => a.startsWith('logs:')));
    expect(logs.length).toBeGreaterThan(0);
    for (const s of logs) expect(JSON.stringify(s.Resource)).not.toContain('"*"');
    const own = statements.find((s) => s.Sid === 'OwnLogGroups')!;
    expect(own.Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    // exactly the three function log groups
    const groups = JSON.stringify(own.Resource).match(/Rolling(OnEvent|IsComplete|Reconcile)Logs[0-9A-F]{8}/g);
    expect(new Set(groups)).toEqual(
      new Set([
        expect.stringMatching(/^RollingOnEventLogs/),
        expect.stringMatching(/^RollingIsCompleteLogs/),
        expect.stringMatching(/^RollingReconcileLogs/),
      ]),
    );
  });

  test('the Provider framework functions log to a group with a retention', () => {
    const groups = t.findResources('AWS::Logs::LogGroup');
    const provider = Object.entries(groups).find(([id]) => id.startsWith('RollingProviderLogs'));
    expect(provider).toBeDefined();
    expect(provider![1].Properties.RetentionInDays).toBe(30);
    const framework = Object.values(json.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r.Properties).includes('framework.onEvent'),
    );
    expect(framework.length).toBeGreaterThan(0);
    for (const f of framework) expect(JSON.stringify(f.Properties.LoggingConfig)).toContain('RollingProviderLogs');
  });
});
