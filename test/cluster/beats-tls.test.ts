import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';
import { loadEnvironment } from '../../lib/config';
import type { ClusterStack } from '../../lib/cluster/ClusterStack';
import { append, ConfigWorkspace } from '../config-changes/synth';
import { testApp } from '../helpers/app';
import { FIXED_VERSION } from './helpers';

// Issue #13 (Logstash): Beats over TLS with client certificates from the environment's issuer, and the producers
// who may reach 5044 (logstash.producers) instead of the whole VPC.

const ws = new ConfigWorkspace();
afterAll(() => ws.cleanup());

interface Res {
  Type: string;
  Properties?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function synth(configDir?: string): { stack: ClusterStack; resources: Record<string, Res> } {
  const [stage] = buildApp(testApp(), {
    environments: ['staging'],
    ...(configDir ? { configDir } : {}),
    version: FIXED_VERSION,
    validate: false,
  });
  const stack = stage!.cluster;
  return { stack, resources: Template.fromStack(stack).toJSON().Resources as Record<string, Res> };
}

const id = (stack: Stack, c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);

/** The ingress rules of the Logstash NLB's group as "<peer> <port>". */
function beatsIngress(stack: ClusterStack, resources: Record<string, Res>): string[] {
  const sgId = id(stack, stack.securityGroups.logstashLoadBalancer!);
  const separate = Object.values(resources)
    .filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress')
    .filter((r) => JSON.stringify(r.Properties!.GroupId) === JSON.stringify({ 'Fn::GetAtt': [sgId, 'GroupId'] }))
    .map((r) => r.Properties as Record<string, unknown>);
  return [...(resources[sgId]!.Properties!.SecurityGroupIngress as Array<Record<string, unknown>>), ...separate].map(
    (r) => `${String(r.CidrIp ?? r.SourceSecurityGroupId)} ${String(r.FromPort)}`,
  );
}

function logstashUserData(stack: ClusterStack, resources: Record<string, Res>): string {
  return JSON.stringify(resources[id(stack, stack.logstash!.launchTemplate)]!.Properties!.LaunchTemplateData);
}

function issuerPolicy(resources: Record<string, Res>): string {
  const p = Object.values(resources).find(
    (r) => r.Type === 'AWS::SSM::Parameter' && r.Properties!.Name === '/elk/staging/security/issuer-policy',
  )!;
  return JSON.stringify(p.Properties!.Value);
}

describe('Beats over TLS (staging defaults)', () => {
  const { stack, resources } = synth();

  test('Logstash boots with the issuer URL, its service name and required client certificates', () => {
    const ud = logstashUserData(stack, resources);
    expect(ud).toContain('ELK_CERT_ISSUER_URL=');
    expect(ud).toContain("ELK_SERVICE_NAME='logstash.staging.elk.internal'");
    expect(ud).toContain("ELK_BEATS_TLS='required'");
  });

  test('the issuer serves the Logstash group with its role and the Logstash service name only', () => {
    const policy = issuerPolicy(resources);
    const entry = new RegExp(
      `\\{\\\\"autoScalingGroup\\\\":\\\\"",\\{"Ref":"${id(stack, stack.logstash!.autoScalingGroup)}"\\},` +
        `"\\\\",\\\\"profile\\\\":\\\\"logstash\\\\",\\\\"roleArn\\\\":\\\\"",\\{"Fn::GetAtt":\\["${id(
          stack,
          stack.logstash!.instanceRole,
        )}","Arn"\\]\\},"\\\\",\\\\"dnsNames\\\\":\\[\\\\"logstash.staging.elk.internal\\\\"\\]\\}`,
    );
    expect(policy).toMatch(entry);
  });

  test('the Logstash role may call the issuer URL and publish its certificate metric, nothing of the CA', () => {
    const roleId = id(stack, stack.logstash!.instanceRole);
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties!.Roles).includes(roleId))
      .flatMap((r) => r.Properties!.PolicyDocument.Statement as Array<{ Action: string | string[] }>);
    const actions = statements.flatMap((s) => ([] as string[]).concat(s.Action));
    expect(actions).toEqual(expect.arrayContaining(['lambda:InvokeFunctionUrl', 'cloudwatch:PutMetricData']));
    expect(JSON.stringify(statements)).not.toContain(id(stack, stack.security.caSecret));
  });

  test('without logstash.producers, 5044 is open to the VPC CIDR only', () => {
    expect(beatsIngress(stack, resources)).toEqual([`${loadEnvironment('staging').vpc.cidr} 5044`]);
  });
});

describe('logstash.producers', () => {
  const producers = [
    'logstash:',
    '  count: 2',
    '  producers:',
    '    securityGroupIds: [sg-0123456789abcdef0]',
    '    cidrs: [10.41.8.0/24, 192.168.4.7/32]',
    '    certificateGroups:',
    '      - autoScalingGroupName: web-frontend',
    '        roleArn: arn:aws:iam::111111111111:role/web-frontend-node',
  ].join('\n');
  const { stack, resources } = synth(
    ws.configDir({ 'staging.yaml': (t) => append(producers)(t.replace(/^logstash:\n {2}count: 2\n/m, '')) }),
  );

  test('5044 from exactly the producer groups and CIDRs, no longer from the VPC', () => {
    expect(beatsIngress(stack, resources).sort()).toEqual(
      ['sg-0123456789abcdef0 5044', '10.41.8.0/24 5044', '192.168.4.7/32 5044'].sort(),
    );
  });

  test('a producer group may get client certificates for its own names only, through the URL with IAM auth', () => {
    const policy = issuerPolicy(resources);
    expect(policy).toContain(
      '{\\"autoScalingGroup\\":\\"web-frontend\\",\\"profile\\":\\"beats-producer\\",' +
        '\\"roleArn\\":\\"arn:aws:iam::111111111111:role/web-frontend-node\\",\\"dnsNames\\":[]}',
    );
    const permissions = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::Lambda::Permission' &&
        r.Properties!.Principal === 'arn:aws:iam::111111111111:role/web-frontend-node',
    );
    expect(
      permissions.map((p) => [
        p.Properties!.Action,
        p.Properties!.FunctionUrlAuthType,
        p.Properties!.InvokedViaFunctionUrl,
      ]),
    ).toEqual([
      ['lambda:InvokeFunctionUrl', 'AWS_IAM', undefined],
      ['lambda:InvokeFunction', undefined, true],
    ]);
    expect(JSON.stringify(permissions[0]!.Properties!.FunctionName)).toContain(
      id(stack, stack.security.issuer.function),
    );
  });
});

describe('logstash.allowPlainBeats', () => {
  test('the deliberate opt-out boots Logstash without certificates', () => {
    const { stack, resources } = synth(
      ws.configDir({ 'staging.yaml': (t) => t.replace(/^logstash:\n/m, 'logstash:\n  allowPlainBeats: true\n') }),
    );
    const ud = logstashUserData(stack, resources);
    expect(ud).not.toContain('ELK_CERT_ISSUER_URL');
    expect(ud).not.toContain('ELK_BEATS_TLS');
    expect(issuerPolicy(resources)).not.toContain('logstash.staging.elk.internal');
  });

  test('client certificate groups without TLS, or of another account, are refused with the key', () => {
    const group = [
      '  producers:',
      '    certificateGroups:',
      '      - autoScalingGroupName: web',
      '        roleArn: arn:aws:iam::999999999999:role/web',
    ].join('\n');
    const dir = ws.configDir({
      'staging.yaml': (t) => t.replace(/^logstash:\n/m, `logstash:\n  allowPlainBeats: true\n${group}\n`),
    });
    let message = '';
    try {
      loadEnvironment('staging', dir);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('logstash.producers.certificateGroups.0.roleArn');
    expect(message).toContain('belongs to account 999999999999');
    expect(message).toMatch(/logstash\.producers\.certificateGroups\b.*client certificates need Beats over TLS/);
  });
});
