import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  PROVIDER_QUERY_INTERVAL,
  PROVIDER_TOTAL_TIMEOUT,
  RollingReplacement,
  type RolloutSettings,
} from '../../lib/rolling-replacement/RollingReplacement';
import { parseProperties, specFromProperties } from '../../lambda/rolling-replacement/contract';
import { configuredDeployWaitSeconds, deployWaitSeconds } from '../../lib/diff/deploy-wait';
import { testApp } from '../helpers/app';

function build(o: { version?: string; rollout?: Partial<RolloutSettings>; ami?: string } = {}) {
  const app = testApp();
  const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const machineImage = ec2.MachineImage.genericLinux({ 'eu-west-1': o.ami ?? 'ami-0123456789abcdef0' });
  const lt = (id: string) =>
    new ec2.LaunchTemplate(stack, id, { machineImage, instanceType: new ec2.InstanceType('r6i.large') });
  const dataLt = lt('DataLt');
  const masterLt = lt('MasterLt');
  const asg = (id: string, launchTemplate: ec2.LaunchTemplate) =>
    new autoscaling.AutoScalingGroup(stack, id, { vpc, launchTemplate, minCapacity: 3, maxCapacity: 6 });
  const sg = new ec2.SecurityGroup(stack, 'EsClients', { vpc });
  const rr = new RollingReplacement(stack, 'Rolling', {
    environment: 'dev',
    vpc,
    dataGroup: asg('Data', dataLt),
    masterGroup: asg('Master', masterLt),
    dataLaunchTemplate: dataLt,
    masterLaunchTemplate: masterLt,
    targetVersion: o.version ?? '8.19.3',
    esEndpoint: 'https://es.dev.elk.internal:9200',
    clientSecurityGroup: sg,
    credentialsSecret: new secretsmanager.Secret(stack, 'OrchestratorUser'),
    caParameterName: '/elk/dev/security/ca-cert',
    rollout: { waitForCompletion: true, timeoutHours: 12, pollSeconds: 30, ...o.rollout },
  });
  return { stack, rr, template: Template.fromStack(stack) };
}

const logicalIdsOf = (t: Template, type: string) => Object.keys(t.findResources(type));

describe('RollingReplacement construct', () => {
  const { template, rr } = build();

  test("the WaitCondition handle's URL is no property (the Provider framework logs properties): its logical id is", () => {
    const [cr] = Object.values(template.findResources('Custom::RollingReplacement'));
    const handles = logicalIdsOf(template, 'AWS::CloudFormation::WaitConditionHandle');
    expect(handles).toHaveLength(1);
    expect(cr!.Properties.WaitHandleLogicalId).toBe(handles[0]);
    expect(JSON.stringify(cr!.Properties)).not.toContain(`{"Ref":"${handles[0]}"}`);
  });

  test('the custom resource times out at the 1 h CloudFormation limit and the waiter answers before it', () => {
    template.hasResourceProperties('Custom::RollingReplacement', {
      ServiceTimeout: '3600',
      SchemaVersion: '1',
      RolloutId: rr.rolloutId,
      DataLaunchTemplateVersion: { 'Fn::GetAtt': [Match.stringLikeRegexp('DataLt'), 'LatestVersionNumber'] },
      WaitHandleUrl: '',
      WaitHandleLogicalId: Match.stringLikeRegexp('WaitHandle'),
      WaitHandleStackId: { Ref: 'AWS::StackId' },
    });
    expect(PROVIDER_TOTAL_TIMEOUT.toSeconds()).toBeLessThan(3600);
    const waiter = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).find((r) =>
      JSON.stringify(r).includes('framework-isComplete-task'),
    );
    const def = JSON.stringify(waiter);
    const attempts = Number(/MaxAttempts\\":(\d+)/.exec(def)?.[1]);
    expect(attempts * PROVIDER_QUERY_INTERVAL.toSeconds()).toBe(PROVIDER_TOTAL_TIMEOUT.toSeconds());
  });

  test('rollout.method and rollout.maxSurge reach the custom resource, and the handler reads them back', () => {
    template.hasResourceProperties('Custom::RollingReplacement', { Method: 'auto', MaxSurge: '1' });
    const t = build({ rollout: { method: 'drain', maxSurge: 3 } }).template;
    const [cr] = Object.values(t.findResources('Custom::RollingReplacement'));
    expect(cr!.Properties).toMatchObject({ Method: 'drain', MaxSurge: '3' });
    const p = parseProperties(
      {
        SchemaVersion: '1',
        Environment: 'dev',
        RolloutId: 'r-1',
        DataGroupName: 'data',
        MasterGroupName: 'master',
        TargetVersion: '8.19.3',
        DataLaunchTemplateVersion: '2',
        MasterLaunchTemplateVersion: '2',
        StateMachineArn: 'arn:aws:states:eu-west-1:111111111111:stateMachine:x',
        WaitHandleUrl: '',
        PollSeconds: '30',
        JoinTimeoutSeconds: '1800',
        Method: cr!.Properties.Method as string,
        MaxSurge: cr!.Properties.MaxSurge as string,
      },
      'test',
    );
    expect(specFromProperties(p, 'roll').options).toMatchObject({ method: 'drain', maxSurge: 3 });
    // A template written before these keys existed still parses, with the defaults.
    const { Method: _m, MaxSurge: _s, ...old } = p;
    expect(specFromProperties(parseProperties(old, 'test'), 'roll').options).toMatchObject({
      method: 'auto',
      maxSurge: 1,
    });
  });

  test('the in-flight task bound reaches the handlers (1 h by default), and older properties without it still parse', () => {
    template.hasResourceProperties('Custom::RollingReplacement', { InFlightTaskTimeoutSeconds: '3600' });
    const props = Object.values(template.findResources('Custom::RollingReplacement'))[0]!.Properties as Record<
      string,
      unknown
    >;
    // As CloudFormation passes them: tokens resolved, every value a string.
    const { ServiceToken: _token, ServiceTimeout: _timeout, ...own } = props;
    const plain: Record<string, unknown> = {
      ...own,
      StateMachineArn: 'arn:aws:states:x',
      WaitHandleUrl: '',
      WaitHandleStackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/s/1',
      DataGroupName: 'data-asg',
      MasterGroupName: 'master-asg',
      DataLaunchTemplateVersion: '2',
    };
    const parse = (p: Record<string, unknown>) =>
      specFromProperties(parseProperties({ ...p, MasterLaunchTemplateVersion: '2' }, 'test'), 'roll').options;
    expect(parse({ ...plain, InFlightTaskTimeoutSeconds: '600' }).inFlightTaskTimeoutSeconds).toBe(600);
    const { InFlightTaskTimeoutSeconds: _omitted, ...older } = plain;
    expect(parse(older).inFlightTaskTimeoutSeconds).toBe(3600);
  });

  test('rollout.stallMinutes and drainDiskMarginPercent reach the handlers only when set (no change to older templates)', () => {
    const cr = (t: Template) => Object.values(t.findResources('Custom::RollingReplacement'))[0]!.Properties;
    expect(cr(template)).not.toHaveProperty('StallSeconds');
    expect(cr(template)).not.toHaveProperty('DrainDiskMarginPercent');
    const props = cr(build({ rollout: { stallMinutes: 45, drainDiskMarginPercent: 12.5 } }).template) as Record<
      string,
      unknown
    >;
    expect(props).toMatchObject({ StallSeconds: '2700', DrainDiskMarginPercent: '12.5' });
    const { ServiceToken: _token, ServiceTimeout: _timeout, ...own } = props;
    const plain: Record<string, unknown> = {
      ...own,
      StateMachineArn: 'arn:aws:states:x',
      WaitHandleUrl: '',
      WaitHandleStackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/s/1',
      DataGroupName: 'data-asg',
      MasterGroupName: 'master-asg',
      DataLaunchTemplateVersion: '2',
      MasterLaunchTemplateVersion: '2',
    };
    const options = (p: Record<string, unknown>) => specFromProperties(parseProperties(p, 'test'), 'roll').options;
    expect(options(plain)).toMatchObject({ stallSeconds: 2700, drainDiskMargin: 0.125 });
    const { StallSeconds: _s, DrainDiskMarginPercent: _d, ...older } = plain;
    expect(options(older)).toMatchObject({ stallSeconds: 1800, drainDiskMargin: 0.05 });
    expect(() => options({ ...plain, DrainDiskMarginPercent: '80' })).toThrow(
      /DrainDiskMarginPercent: must be at most 50/,
    );
  });

  test('the workflow is a Standard state machine: reconcile → choice → wait loop', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine', {
      Properties: { StateMachineType: 'STANDARD' },
    });
    const workflow = Object.entries(machines).find(([id]) => id.includes('Workflow'));
    expect(workflow).toBeDefined();
    const def = JSON.stringify(workflow![1].Properties.DefinitionString);
    for (const s of [
      'ReconcileStep',
      'RolloutOver',
      'Poll',
      'SecondsPath',
      'RolloutFailed',
      'SignalFailure',
      '$$.StateMachine.Id',
    ]) {
      expect(def).toContain(s);
    }
  });

  test('after the reconcile retries, the failure call loops back to Poll while it cleans up, and fails after', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    const workflow = Object.entries(machines).find(([id]) => id.includes('Workflow'))![1];
    // The definition is a Fn::Join of JSON text around the function ARNs: join the literal parts.
    const parts = (workflow.Properties.DefinitionString['Fn::Join'] as [string, unknown[]])[1];
    const text = parts.map((p) => (typeof p === 'string' ? p : 'ARN')).join('');
    const states = (JSON.parse(text) as { States: Record<string, Record<string, unknown>> }).States;
    expect(states.SignalFailure!.Next).toBe('CleanUpAfterErrors');
    expect(states.CleanUpAfterErrors).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.status', StringEquals: 'running', Next: 'Poll' }],
      Default: 'ReconcileBroken',
    });
    expect((states.ReconcileStep!.Catch as { Next: string }[])[0]!.Next).toBe('SignalFailure');
    // The state machine's own timeout (7 days); executions continue as new ones before it (handlers test).
    expect(text).toContain('"TimeoutSeconds":604800');
  });

  test('the WaitCondition waits up to 12 hours, after the custom resource', () => {
    const waits = template.findResources('AWS::CloudFormation::WaitCondition');
    const [id, wc] = Object.entries(waits)[0]!;
    expect(wc.Properties).toMatchObject({ Timeout: '43200', Count: 1 });
    expect(wc.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/Rollout/)]));
    expect(id).toMatch(/Wait[0-9a-f]{10}/);
    template.hasOutput('*', { Value: { 'Fn::GetAtt': [id, 'Data'] } });
  });

  test("the WaitCondition's Timeout is configuredDeployWaitSeconds, the wait diff, roll plan and the CI check read", () => {
    for (const rollout of [
      { waitForCompletion: true, timeoutHours: 3 },
      { waitForCompletion: true, timeoutHours: 12 },
      { waitForCompletion: false, timeoutHours: 5 },
    ]) {
      const t = build({ rollout }).template;
      const configured = configuredDeployWaitSeconds(rollout);
      expect({ rollout, wait: deployWaitSeconds(t.toJSON()) }).toEqual({ rollout, wait: configured });
      const timeouts = Object.values(t.findResources('AWS::CloudFormation::WaitCondition')).map(
        (r) => r.Properties.Timeout,
      );
      expect(timeouts).toEqual(configured === undefined ? [] : [String(configured)]);
    }
  });

  test('a new launch template content gives a new WaitCondition (a WaitCondition waits only when created)', () => {
    const a = logicalIdsOf(template, 'AWS::CloudFormation::WaitCondition');
    const b = logicalIdsOf(build({ ami: 'ami-0fedcba9876543210' }).template, 'AWS::CloudFormation::WaitCondition');
    expect(a).toEqual([expect.stringContaining(rr.rolloutId.slice(2))]);
    expect(b).not.toEqual(a);
  });

  test('without waitForCompletion there is no WaitCondition and Kibana depends on the custom resource', () => {
    const { template: t, rr: r } = build({ rollout: { waitForCompletion: false } });
    expect(logicalIdsOf(t, 'AWS::CloudFormation::WaitCondition')).toEqual([]);
    expect(r.completion).toBe(r.customResource);
  });

  test('capacity, termination and tags can change only on the two cluster groups', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<{ Sid?: string; Action: unknown; Resource: unknown }>,
    );
    const change = statements.find((s) => s.Sid === 'ChangeOnlyThisClustersGroups')!;
    expect(change.Action).toEqual(
      expect.arrayContaining([
        'autoscaling:TerminateInstanceInAutoScalingGroup',
        'autoscaling:SetDesiredCapacity',
        'autoscaling:SetInstanceProtection',
        'autoscaling:SetInstanceHealth',
      ]),
    );
    const resources = JSON.stringify(change.Resource);
    expect(change.Resource).toHaveLength(2);
    expect(resources).toContain('autoScalingGroupName/');
    expect(resources).not.toContain('"*"');
    // No other statement grants a mutating Auto Scaling action.
    const others = statements.filter((s) => s !== change && JSON.stringify(s.Action).includes('autoscaling:'));
    expect(others.map((s) => s.Action)).toEqual(['autoscaling:DescribeAutoScalingGroups']);
  });

  test('reads only the orchestrator secret and the CA parameter; metrics only in its namespace', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>,
    );
    const secret = statements.filter((s) => JSON.stringify(s.Action).includes('secretsmanager:GetSecretValue'));
    expect(secret).toHaveLength(1);
    expect(JSON.stringify(secret[0]!.Resource)).toContain('OrchestratorUser');
    const metrics = statements.find((s) => s.Sid === 'PublishProgress')!;
    expect(metrics.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'ElkCdk/Rollout' } });
  });

  test('handlers run Node.js 24 in the VPC with the Elasticsearch client security group', () => {
    const fns = template.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs24.x' } });
    const ours = Object.entries(fns).filter(
      ([id]) => /OnEvent|IsComplete|Reconcile/.test(id) && !/framework/i.test(id),
    );
    expect(ours.length).toBe(3);
    for (const [, f] of ours) {
      expect(f.Properties.VpcConfig.SecurityGroupIds).toEqual([
        { 'Fn::GetAtt': [expect.stringMatching(/EsClients/), 'GroupId'] },
      ]);
      expect(f.Properties.Environment.Variables.ES_ENDPOINT).toBe('https://es.dev.elk.internal:9200');
    }
  });

  test('node health check: a 5-minute schedule invokes the reconcile function in its nodeHealth mode (finding 7)', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(1);
    const rule = rules[0]!.Properties;
    expect(rule.ScheduleExpression).toBe('rate(5 minutes)');
    // The input names the groups (references, so a Fn::Join of JSON text).
    const input = JSON.stringify(rule.Targets[0].Input);
    expect(input).toMatch(/\{\\"nodeHealth\\":\{\\"dataGroup\\":\\"",\{"Ref":"Data/);
    expect(input).toContain('\\"downSeconds\\":900}}');
    const reconcile = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.includes('Reconcile'),
    )![0];
    expect(JSON.stringify(rule.Targets[0].Arn)).toContain(reconcile);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [reconcile, 'Arn'] },
    });
    // The roll knows the bound too (it does the check itself while it holds the lock); the default is not written
    // (an unchanged template for stacks deployed before it).
    template.hasResourceProperties('Custom::RollingReplacement', { NodeDownSeconds: Match.absent() });
    const off = build({ rollout: { nodeDownMinutes: 0 } }).template;
    expect(off.findResources('AWS::Events::Rule')).toEqual({});
    off.hasResourceProperties('Custom::RollingReplacement', { NodeDownSeconds: '0' });
  });

  test('refuses a timeout beyond the WaitCondition maximum with a clear error', () => {
    expect(() => build({ rollout: { timeoutHours: 13 } })).toThrow(/timeoutHours is 13.*1 to 12/);
  });
});

describe('handler bundles', () => {
  test('both handler entries bundle with esbuild for Node.js (AWS SDK external, as NodejsFunction does)', async () => {
    const esbuild = await import('esbuild');
    const r = await esbuild.build({
      entryPoints: ['provider.ts', 'workflow.ts'].map((f) =>
        path.join(__dirname, '..', '..', 'lambda', 'rolling-replacement', 'handlers', f),
      ),
      bundle: true,
      platform: 'node',
      target: 'node22',
      external: ['@aws-sdk/*'],
      write: false,
      outdir: 'out',
      logLevel: 'silent',
    });
    expect(r.errors).toEqual([]);
    const provider = r.outputFiles.find((f) => f.path.endsWith('provider.js'))!.text;
    expect(provider).toContain('isComplete');
    expect(provider).not.toContain('aws-cdk-lib');
  });
});
