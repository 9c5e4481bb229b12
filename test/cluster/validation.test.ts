import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, IPolicyValidationContext, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp } from '../../lib/app';
import { projectValidatePlugin } from '../../lib/guard';
import { testApp } from '../helpers/app';
import { FIXED_VERSION } from './helpers';

interface Finding {
  plugin: string;
  rule: string;
  severity: string;
  paths: string[];
}

/** Findings of the synth-time plugins, from the report CDK writes next to the assembly. */
function report(outdir: string): Finding[] {
  const file = path.join(outdir, 'validation-report.json');
  if (!fs.existsSync(file)) return [];
  const r = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    pluginReports: Array<{
      pluginName: string;
      violations: Array<{ ruleName: string; severity: string; violatingConstructs: Array<{ constructPath: string }> }>;
    }>;
  };
  return r.pluginReports.flatMap((p) =>
    p.violations.map((v) => ({
      plugin: p.pluginName,
      rule: v.ruleName,
      severity: v.severity,
      paths: v.violatingConstructs.map((c) => c.constructPath),
    })),
  );
}

let outdir: string;
beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-validate-'));
});
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

describe('synth-time gates on the real app', () => {
  test('every environment synthesizes with zero unacknowledged cdk-nag, CloudFormation validator or Guard findings', () => {
    const app = testApp({ outdir });
    buildApp(app, { version: FIXED_VERSION });
    // In-memory synth throws on any error-level finding (unacknowledged cdk-nag findings are errors).
    expect(() => app.synth()).not.toThrow();
    // Warnings too: an unacknowledged warning is a finding nobody looked at.
    expect(report(outdir)).toEqual([]);
  });
});

describe('cdk-nag AwsSolutions', () => {
  /** A small stage with only cdk-nag (the slow WebAssembly validator is exercised above). */
  function nagged(build: (stack: Stack) => void): App {
    const app = testApp({ context: { '@aws-cdk/core:validateAgainstDefaultRules': false } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    build(new Stack(app, 'Nagged'));
    return app;
  }
  const previous = process.env.CDK_VALIDATION;
  beforeAll(() => (process.env.CDK_VALIDATION = 'false')); // no default CloudFormation validator in these apps
  afterAll(() =>
    previous === undefined ? delete process.env.CDK_VALIDATION : (process.env.CDK_VALIDATION = previous),
  );

  test('an unacknowledged finding fails synth', () => {
    const app = nagged((stack) => new s3.Bucket(stack, 'Careless', { enforceSSL: true }));
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });

  test('the same finding acknowledged with a reason on the construct passes', () => {
    const app = nagged((stack) => {
      const bucket = new s3.Bucket(stack, 'Careless', { enforceSSL: true });
      Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: 'test bucket without access logs' });
    });
    expect(() => app.synth()).not.toThrow();
  });
});

describe('Guard rules in lib/guard (evaluated by the same plugin the app registers)', () => {
  /** Runs the project's validator plugin on one small stack's template; returns the rule ids that fired. */
  function guardFindings(build: (stack: Stack, vpc: ec2.IVpc) => void): string[] {
    const app = new App();
    const stack = new Stack(app, 'G');
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a'],
      privateSubnetIds: ['subnet-0123456789abcdef0'],
    });
    build(stack, vpc);
    const file = path.join(outdir, `guard-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, JSON.stringify(Template.fromStack(stack).toJSON()));
    const context = { templatePaths: [file], stackTemplates: [{ templatePath: file, stackConstructPath: 'G' }] };
    const result = projectValidatePlugin().validate(context as unknown as IPolicyValidationContext);
    return result.violations.map((v) => v.ruleName).filter((r) => r.startsWith('ELK_'));
  }
  const lt = (stack: Stack, id: string, o: Partial<ec2.LaunchTemplateProps> = {}) =>
    new ec2.LaunchTemplate(stack, id, {
      machineImage: ec2.MachineImage.genericLinux({ 'eu-west-1': 'ami-0123456789abcdef0' }),
      instanceType: new ec2.InstanceType('r6i.large'),
      requireImdsv2: true,
      associatePublicIpAddress: false,
      blockDevices: [{ deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(20, { encrypted: true }) }],
      ...o,
    });
  const esGroup = (stack: Stack, vpc: ec2.IVpc, role: string, updatePolicy?: autoscaling.UpdatePolicy) => {
    const g = new autoscaling.AutoScalingGroup(stack, `Es${role}`, {
      vpc,
      launchTemplate: lt(stack, `Lt${role}`),
      updatePolicy,
    });
    (g.node.defaultChild as autoscaling.CfnAutoScalingGroup).tags.setTag('elk-cdk:role', role);
  };

  test('an Elasticsearch group without an update policy and a compliant launch template pass', () => {
    expect(guardFindings((stack, vpc) => esGroup(stack, vpc, 'data'))).toEqual([]);
  });

  test.each([
    ['rolling update', autoscaling.UpdatePolicy.rollingUpdate()],
    ['replacing update', autoscaling.UpdatePolicy.replacingUpdate()],
  ])('an Elasticsearch group with a %s policy is refused', (_name, policy) => {
    expect(guardFindings((stack, vpc) => esGroup(stack, vpc, 'master', policy))).toContain(
      'ELK_ES_GROUP_NO_REPLACING_POLICY',
    );
  });

  test('a Kibana group may roll (the rule is about Elasticsearch groups only)', () => {
    expect(
      guardFindings((stack, vpc) => esGroup(stack, vpc, 'kibana', autoscaling.UpdatePolicy.rollingUpdate())),
    ).toEqual([]);
  });

  test.each([
    ['without IMDSv2', { requireImdsv2: false }, 'ELK_IMDSV2_REQUIRED'],
    [
      'with an unencrypted volume',
      { blockDevices: [{ deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(20, { encrypted: false }) }] },
      'ELK_VOLUMES_ENCRYPTED',
    ],
    ['with a public IP', { associatePublicIpAddress: true }, 'ELK_NO_PUBLIC_IP_NO_SSH_KEY'],
  ] as Array<[string, Partial<ec2.LaunchTemplateProps>, string]>)(
    'a launch template %s is refused',
    (_n, props, rule) => {
      expect(guardFindings((stack) => lt(stack, 'Bad', props))).toContain(rule);
    },
  );
});
