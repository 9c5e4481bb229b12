import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AlerterStack } from '../../lib/alerter/AlerterStack';
import { loadEnvironment } from '../../lib/config';
import { PROJECT_ROOT, testApp } from '../helpers/app';

const config = loadEnvironment('dev');

function copyRules(edit?: (dir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alerter-rules-'));
  for (const f of fs.readdirSync(path.join(PROJECT_ROOT, 'rules'))) {
    fs.copyFileSync(path.join(PROJECT_ROOT, 'rules', f), path.join(dir, f));
  }
  edit?.(dir);
  return dir;
}

function synth(opts: { rulesDir?: string; withSecurity?: boolean } = {}) {
  const app = testApp();
  const net = new Stack(app, 'Net');
  const vpc = new ec2.Vpc(net, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const clientSg = new ec2.SecurityGroup(net, 'EsClients', { vpc });
  const secret = new secretsmanager.Secret(net, 'ElastalertUser');
  const stack = new AlerterStack(app, 'Alerter', {
    config,
    vpc,
    esEndpoint: 'es.dev.elk.internal',
    rulesDir: opts.rulesDir,
    ...(opts.withSecurity === false ? {} : { clientSecurityGroup: clientSg, credentialsSecret: secret }),
  });
  return { app, stack, template: Template.fromStack(stack) };
}

function deploymentProps(t: Template): Record<string, unknown> {
  const crs = t.findResources('Custom::AlerterRuleDeployment');
  expect(Object.keys(crs)).toHaveLength(1);
  return Object.values(crs)[0]!.Properties as Record<string, unknown>;
}

describe('AlerterStack', () => {
  const base = synth();
  const t = base.template;

  test('runs ElastAlert on an Auto Scaling group of exactly one instance that heals itself', () => {
    t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      AutoScalingGroupName: 'elk-dev-alerter',
      MinSize: '1',
      MaxSize: '1',
      HealthCheckType: 'EC2',
    });
    t.hasResource('AWS::AutoScaling::AutoScalingGroup', {
      UpdatePolicy: { AutoScalingRollingUpdate: Match.objectLike({ MinInstancesInService: 0, MaxBatchSize: 1 }) },
    });
  });

  test('the instance: IMDSv2, no SSH key, encrypted volume, pinned AMI, Docker and the boot script in user data', () => {
    const lts = Object.values(t.findResources('AWS::EC2::LaunchTemplate'));
    expect(lts).toHaveLength(1);
    const data = (lts[0]!.Properties as { LaunchTemplateData: Record<string, unknown> }).LaunchTemplateData;
    expect(data.MetadataOptions).toMatchObject({ HttpTokens: 'required' });
    expect(data.KeyName).toBeUndefined();
    expect(JSON.stringify(data.BlockDeviceMappings)).toContain('"Encrypted":true');
    expect(JSON.stringify(data.ImageId)).toContain('Fn::FindInMap');
    const userData = JSON.stringify(data.UserData);
    expect(userData).toContain('dnf install -y docker jq');
    expect(userData).toContain('/opt/elk-alerter/bin/boot.sh\\" --parameter /elk/dev/alerter/current-bundle');
    expect(JSON.stringify(t.findMappings('*'))).toContain(config.ami.images['eu-west-1']!);
  });

  test('no inbound rule; the alerter joins the client security group for port 9200', () => {
    const sgs = t.findResources('AWS::EC2::SecurityGroup');
    for (const sg of Object.values(sgs)) expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    t.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    const lt = Object.values(t.findResources('AWS::EC2::LaunchTemplate'))[0]!;
    expect(JSON.stringify(lt.Properties.LaunchTemplateData.SecurityGroupIds)).toContain('EsClients');
  });

  test('the custom resource carries the bundle hash, rule hashes and where to find bundle, CA and user secret', () => {
    const p = deploymentProps(t);
    expect(p.BundleHash).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(p.RuleHashes as object).sort()).toEqual([
      'Error log spike',
      'Log ingestion stopped',
      'Repeated authentication failures',
    ]);
    expect(p).toMatchObject({
      CurrentBundleParameter: '/elk/dev/alerter/current-bundle',
      CaParameterName: '/elk/dev/security/ca-cert',
      EsHost: 'es.dev.elk.internal',
      CommandTimeoutSeconds: 1500,
      ServiceTimeout: '2700',
    });
    expect(JSON.stringify(p.CredentialsSecretArn)).toContain('ElastalertUser');
  });

  test('the deployment resource keeps its logical id (renaming it would redeploy through a replacement)', () => {
    expect(Object.keys(t.findResources('Custom::AlerterRuleDeployment'))).toEqual([
      expect.stringMatching(/^AlerterRuleDeployment[0-9A-F]{8}$/),
    ]);
  });

  test('changing nothing changes nothing; changing one rule changes the bundle hash and that rule hash only', () => {
    // (also synthesized without the security inputs: no client group, no password)
    const same = deploymentProps(synth({ rulesDir: copyRules(), withSecurity: false }).template);
    expect(same.CredentialsSecretArn).toBe('');
    const before = deploymentProps(t);
    expect(same.BundleHash).toBe(before.BundleHash);
    expect(same.RuleHashes).toEqual(before.RuleHashes);
    const changed = deploymentProps(
      synth({
        rulesDir: copyRules((d) => {
          const f = path.join(d, 'error-spike.yaml');
          fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('spike_height: 3', 'spike_height: 4'));
        }),
      }).template,
    );
    expect(changed.BundleHash).not.toBe(before.BundleHash);
    const b = before.RuleHashes as Record<string, string>;
    const c = changed.RuleHashes as Record<string, string>;
    expect(c['Error log spike']).not.toBe(b['Error log spike']);
    expect(c['Repeated authentication failures']).toBe(b['Repeated authentication failures']);
    expect(c['Log ingestion stopped']).toBe(b['Log ingestion stopped']);
  });

  test('a bad rule fails synth for the environment, naming file, rule, key and fix', () => {
    const dir = copyRules((d) =>
      fs.writeFileSync(path.join(d, 'bad.yaml'), 'name: Bad\ntype: any\nindex: x\nalert: [slack]\n'),
    );
    expect(() => synth({ rulesDir: dir })).toThrow(
      /alert rules of environment "dev" are invalid[\s\S]*bad\.yaml: Bad: slack_webhook_url: is required by the slack alerter/,
    );
  });

  test('instance role: reads exactly its bundle and script objects, its own parameters, the CA and one secret', () => {
    const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes('InstanceRole'),
    );
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
    const text = JSON.stringify(statements);
    const s3 = statements.find((s) => s.Sid === 'ReadRuleBundleAndDeployScript')!;
    expect(s3.Action).toBe('s3:GetObject');
    expect(JSON.stringify(s3.Resource)).toMatch(/\.tar"/);
    expect(JSON.stringify(s3.Resource)).toMatch(/\.sh"/);
    expect(JSON.stringify(s3.Resource)).not.toMatch(/\/\*"/);
    const params = statements.find((s) => s.Sid === 'ReadAlerterParameters')!;
    expect(params.Action).toBe('ssm:GetParameter');
    expect(JSON.stringify(params.Resource)).toContain(':parameter/elk/dev/alerter/*');
    expect(JSON.stringify(params.Resource)).toContain(':parameter/elk/dev/security/ca-cert');
    const kms = statements.find((s) => s.Sid === 'DecryptAlerterSecureStrings')!;
    expect(JSON.stringify(kms.Condition)).toContain('kms:EncryptionContext:PARAMETER_ARN');
    expect(JSON.stringify(kms.Condition)).toContain('kms:ViaService');
    expect(text).toContain('secretsmanager:GetSecretValue');
    expect(text).not.toMatch(/"(s3|ssm|secretsmanager|kms):\*"/);
    expect(text).not.toContain('ssm:PutParameter');
  });

  test("the deploy handler may run commands only on instances tagged as this environment's alerter", () => {
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>,
    );
    const send = statements.filter((s) => JSON.stringify(s.Action).includes('ssm:SendCommand'));
    expect(send.length).toBeGreaterThan(0);
    for (const s of send) {
      const onInstances = JSON.stringify(s.Resource).includes(':instance/');
      if (onInstances) expect(s.Condition).toEqual({ StringEquals: { 'ssm:resourceTag/elk-cdk:alerter': 'dev' } });
      else expect(JSON.stringify(s.Resource)).toContain('document/AWS-RunShellScript');
    }
    t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      Tags: Match.arrayWith([{ Key: 'elk-cdk:alerter', PropagateAtLaunch: true, Value: 'dev' }]),
    });
    const put = statements.filter((s) => JSON.stringify(s.Action).includes('ssm:PutParameter'));
    expect(put).toHaveLength(1);
    expect(JSON.stringify(put[0]!.Resource)).toContain(':parameter/elk/dev/alerter/current-bundle');
  });

  test('has zero unacknowledged cdk-nag AwsSolutions findings', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(base.stack);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath)}`)).toEqual(
      [],
    );
  });

  test('an environment with account and region (staging) is cdk-nag clean too (findings name literal ARNs there)', () => {
    const staging = loadEnvironment('staging');
    const app = testApp();
    const env = { account: staging.account, region: staging.region };
    const net = new Stack(app, 'NetStaging', { env });
    const vpc = new ec2.Vpc(net, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const stack = new AlerterStack(app, 'AlerterStaging', { env, config: staging, vpc, esEndpoint: 'es.staging' });
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
    const params = JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    expect(params).toContain(`arn:aws:ssm:eu-west-1:${staging.account}:parameter/elk/staging/alerter/*`);
  });
});
