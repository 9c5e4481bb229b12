import { Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { buildApp } from '../../lib/app';
import {
  ALLOW_PRERELEASE_OUTPUT_ID,
  ALLOW_PRERELEASE_PARAMETER,
  BuildVersion,
  computeVersion,
  RELEASE_RULE_ID,
  stampVersion,
  VERSION_OUTPUT_ID,
} from '../../lib/version';
import { testApp } from '../helpers/app';

const release: BuildVersion = computeVersion(
  '0.1.0',
  { sha: 'abc1234', branch: 'main', dirty: false, commitCount: 3 },
  {},
);
const branch: BuildVersion = computeVersion('0.1.0', { sha: 'abc1234', branch: 'feature/x', dirty: false }, {});

function stacksOf(stage: Stage): Stack[] {
  return stage.node.findAll().filter((c): c is Stack => Stack.isStack(c));
}

describe('version stamp on the real app', () => {
  test('every stack of every environment outputs the build version', () => {
    const app = testApp();
    const stages = buildApp(app, { version: branch });
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      for (const stack of stacksOf(stage)) {
        Template.fromStack(stack).hasOutput(VERSION_OUTPUT_ID, { Value: '0.1.0-feature-x.abc1234' });
      }
    }
  });

  test('production refuses a pre-release at deploy time with a rule that names the forcing command', () => {
    const app = testApp();
    const [production] = buildApp(app, { version: branch, environments: ['production'] });
    for (const stack of stacksOf(production!)) {
      const t = Template.fromStack(stack);
      t.hasParameter(ALLOW_PRERELEASE_PARAMETER, { Type: 'String', Default: 'false' });
      const rule = t.toJSON().Rules[RELEASE_RULE_ID];
      expect(rule.Assertions).toEqual([
        {
          Assert: { 'Fn::Equals': [{ Ref: ALLOW_PRERELEASE_PARAMETER }, '0.1.0-feature-x.abc1234'] },
          AssertDescription: expect.stringContaining(
            "cdk deploy 'production/*' --parameters AllowPrerelease=0.1.0-feature-x.abc1234",
          ),
        },
      ]);
      expect(rule.Assertions[0].AssertDescription).toContain('built from branch feature/x');
    }
  });

  test('production accepts a release build: the parameter stays declared, the rule is absent', () => {
    const app = testApp();
    const [production] = buildApp(app, { version: release, environments: ['production'] });
    for (const stack of stacksOf(production!)) {
      const t = Template.fromStack(stack).toJSON();
      expect(t.Parameters[ALLOW_PRERELEASE_PARAMETER]).toBeDefined();
      expect(t.Rules?.[RELEASE_RULE_ID]).toBeUndefined();
      expect(t.Outputs[VERSION_OUTPUT_ID].Value).toBe('0.1.0+3.abc1234');
      // The parameter is still referenced (by an output recording its value): no unused-parameter warning.
      expect(t.Outputs[ALLOW_PRERELEASE_OUTPUT_ID].Value).toEqual({ Ref: ALLOW_PRERELEASE_PARAMETER });
    }
  });

  test('environments without requireRelease get neither the parameter nor the rule', () => {
    const app = testApp();
    const [staging] = buildApp(app, { version: branch, environments: ['staging'] });
    for (const stack of stacksOf(staging!)) {
      const t = Template.fromStack(stack).toJSON();
      expect(t.Parameters?.[ALLOW_PRERELEASE_PARAMETER]).toBeUndefined();
      expect(t.Rules?.[RELEASE_RULE_ID]).toBeUndefined();
    }
  });
});

describe('release guard on a fixture stage', () => {
  test('a pre-release still synthesizes a requireRelease environment: the refusal happens at deploy', () => {
    const app = testApp();
    const stage = new Stage(app, 'production');
    const stack = new Stack(stage, 'cluster');
    new sns.Topic(stack, 'Topic');
    stampVersion(stage, branch, { requireRelease: true });
    const template = stage.synth().stacks[0]!.template;
    expect(Object.keys(template.Rules)).toContain(RELEASE_RULE_ID);
  });
});

describe('version tag placement', () => {
  test('tags Lambda functions but never launch templates, instances or the stack', () => {
    const app = testApp();
    const stage = new Stage(app, 'staging');
    const stack = new Stack(stage, 'cluster');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0 });
    new ec2.LaunchTemplate(stack, 'DataLaunchTemplate', {
      machineImage: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' }),
      instanceType: new ec2.InstanceType('r6i.large'),
    });
    new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => 1;'),
    });
    void vpc;
    stampVersion(stage, branch, { requireRelease: false });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Tags: [{ Key: 'elk-cdk:version', Value: '0.1.0-feature-x.abc1234' }],
    });
    expect(JSON.stringify(t.findResources('AWS::EC2::LaunchTemplate'))).not.toContain('elk-cdk:version');
    expect(JSON.stringify(t.findResources('AWS::EC2::VPC'))).not.toContain('elk-cdk:version');
    expect(stack.tags.tagValues()['elk-cdk:version']).toBeUndefined();
  });
});
