import * as fs from 'fs';
import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ClusterSecurity } from '../../lib/security/ClusterSecurity';
import { NATIVE_USERS, ROLES, securityDefinitionsHash } from '../../lib/security/roles';
import { testApp } from '../helpers/app';
import { securityTestStack } from './helpers/stack';
import { filesUnder, scan } from './helpers/scan';
import { makeTestCa, tempDir } from './helpers/pki';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }>;

// One synth for the whole file, with real esbuild bundling (the project's test that bundles for real).
const tmp = tempDir('sec-assembly-');
afterAll(() => tmp.cleanup());
const outdir = path.join(tmp.dir, 'cdk.out');
const fixture = securityTestStack({ bundle: true, outdir });
fixture.app.synth();
const template = Template.fromJSON(
  JSON.parse(fs.readFileSync(path.join(outdir, `${fixture.stack.artifactId}.template.json`), 'utf8')),
);
const resources = template.toJSON().Resources as Resources;

function logicalIdOf(pathSuffix: string): string {
  const found = Object.entries(
    template.toJSON().Resources as Record<string, { Metadata?: Record<string, string> }>,
  ).find(([, r]) => r.Metadata?.['aws:cdk:path']?.endsWith(pathSuffix));
  if (found) return found[0];
  // Metadata is not always emitted in tests; fall back to the stack's own logical id allocation.
  const construct = fixture.stack.node.findAll().find((c) => c.node.path.endsWith(pathSuffix));
  if (!construct) throw new Error(`no construct at ${pathSuffix}`);
  return fixture.stack.resolve((construct as unknown as { logicalId: string }).logicalId);
}

/** Logical ids of the secrets a policy statement list grants GetSecretValue on. */
function secretsReadBy(statements: Array<Record<string, unknown>>): string[] {
  const ids: string[] = [];
  for (const st of statements) {
    const actions = ([] as string[]).concat(st.Action as string | string[]);
    if (!actions.some((a) => a === 'secretsmanager:GetSecretValue' || a === 'secretsmanager:*' || a === '*')) continue;
    for (const r of ([] as unknown[]).concat(st.Resource)) {
      if (typeof r === 'string')
        ids.push(r); // a literal: '*' or an ARN, both wrong here
      else if (r && typeof r === 'object' && 'Ref' in r) ids.push((r as { Ref: string }).Ref);
      else ids.push(JSON.stringify(r));
    }
  }
  return ids.sort();
}

/** role logical id -> secret logical ids it may read, from every AWS::IAM::Policy and inline role policy. */
function secretReadersByRole(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (role: string, ids: string[]) => {
    if (ids.length) out.set(role, [...(out.get(role) ?? []), ...ids].sort());
  };
  for (const r of Object.values(resources)) {
    if (r.Type === 'AWS::IAM::Policy') {
      const doc = r.Properties!.PolicyDocument as { Statement: Array<Record<string, unknown>> };
      for (const role of r.Properties!.Roles as Array<{ Ref: string }>) add(role.Ref, secretsReadBy(doc.Statement));
    }
  }
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::IAM::Role') {
      for (const p of (r.Properties!.Policies as Array<{
        PolicyDocument: { Statement: Array<Record<string, unknown>> };
      }>) ?? []) {
        add(id, secretsReadBy(p.PolicyDocument.Statement));
      }
    }
  }
  return out;
}

const id = {
  key: 'SecurityKeyDF37C26B',
  caSecret: 'SecurityCaSecretF98B306A',
  users: {
    elastic: 'SecurityUserElasticAF8D1E9A',
    kibana_system: 'SecurityUserKibanaSystem0B064F69',
    logstash_writer: 'SecurityUserLogstashWriter95445777',
    elastalert: 'SecurityUserElastalert6D5A0E92',
    orchestrator: 'SecurityUserOrchestratorDB82CBBE',
    node_monitor: 'SecurityUserNodeMonitor1FF8CAE3',
    index_manager: 'SecurityUserIndexManager5D553347',
    metrics_collector: 'SecurityUserMetricsCollector07208B57',
  },
  bootstrapPassword: 'SecurityBootstrapPassword0C7DD69C',
};
const secretIdWithPrefix = (lid: string) => lid;

describe('ClusterSecurity', () => {
  // With the construct at id "Security" directly under its stack (as ClusterStack places it), these ids are the
  // contract: a change replaces the KMS key, the CA (every node certificate) or a password.
  it('keeps the logical ids of its stateful resources (renaming them would replace the CA and every password)', () => {
    expect(resources[id.key]?.Type).toBe('AWS::KMS::Key');
    for (const lid of [id.caSecret, id.bootstrapPassword, ...Object.values(id.users)]) {
      expect([lid, resources[lid]?.Type]).toEqual([lid, 'AWS::SecretsManager::Secret']);
    }
    expect(Object.keys(template.findResources('Custom::ElkClusterCa'))).toEqual(['SecurityClusterCaC749B2E5']);
    expect(Object.keys(template.findResources('AWS::SSM::Parameter')).sort()).toEqual([
      'SecurityCaCertificate07D29BFE',
      'SecurityIssuerPolicyB2DAC247',
    ]);
  });

  it('turns on rotation for the KMS key and retains it, the CA secret and every user secret on update and delete, not on a rolled-back first create', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const policies = (r: { DeletionPolicy?: string; UpdateReplacePolicy?: string }) => [
      r.DeletionPolicy,
      r.UpdateReplacePolicy,
    ];
    expect(policies(resources[id.key])).toEqual(['RetainExceptOnCreate', 'Retain']);
    for (const [lid, r] of Object.entries(resources)) {
      if (r.Type === 'AWS::SecretsManager::Secret') {
        expect([lid, ...policies(r)]).toEqual([lid, 'RetainExceptOnCreate', 'Retain']);
      }
    }
  });

  it('encrypts every Secrets Manager secret with the security KMS key', () => {
    const secrets = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(10);
    for (const [lid, r] of secrets) {
      expect([lid, r.Properties?.KmsKeyId]).toEqual([lid, { 'Fn::GetAtt': [id.key, 'Arn'] }]);
    }
  });

  it('generates every password in Secrets Manager: no SecretString in the template', () => {
    for (const r of Object.values(resources)) {
      if (r.Type !== 'AWS::SecretsManager::Secret') continue;
      expect(r.Properties).not.toHaveProperty('SecretString');
      expect(r.Properties).toHaveProperty('GenerateSecretString');
    }
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'elk/test/users/orchestrator',
      GenerateSecretString: {
        SecretStringTemplate: '{"username":"orchestrator"}',
        GenerateStringKey: 'password',
        PasswordLength: 32,
        ExcludePunctuation: true,
      },
    });
  });

  it('grants secretsmanager:GetSecretValue to each role on exactly the secrets it needs', () => {
    const readers = secretReadersByRole();
    const u = (name: keyof typeof id.users) => secretIdWithPrefix(id.users[name]);
    const ca = secretIdWithPrefix(id.caSecret);
    const expected: Record<string, string[]> = {
      // Elasticsearch nodes: the one-time bootstrap password and node_monitor; never the CA key, never elastic.
      [logicalIdOf('NodeRole/Resource')]: [id.bootstrapPassword, u('node_monitor')].sort(),
      [logicalIdOf('OrchestratorRole/Resource')]: [u('orchestrator')],
      [logicalIdOf('AlerterRole/Resource')]: [u('elastalert')],
      [logicalIdOf('LogstashRole/Resource')]: [u('logstash_writer')],
      [logicalIdOf('KibanaRole/Resource')]: [u('kibana_system')],
      [logicalIdOf('Security/CaFunctionRole/Resource')]: [ca],
      [logicalIdOf('Security/Issuer/FunctionRole/Resource')]: [ca],
      [logicalIdOf('SecurityBootstrap/OnEventRole/Resource')]: [
        id.bootstrapPassword,
        ...Object.keys(id.users).map((n) => u(n as keyof typeof id.users)),
      ].sort(),
      [logicalIdOf('SecurityBootstrap/IsCompleteRole/Resource')]: [
        id.bootstrapPassword,
        ...Object.keys(id.users).map((n) => u(n as keyof typeof id.users)),
      ].sort(),
    };
    expect(Object.fromEntries(readers)).toEqual(expected);
  });

  it('grants kms:Decrypt on the grantee policies, only through Secrets Manager; the key policy names no role', () => {
    // The security key (CA, passwords); the alarm topic has its own key.
    const key = resources[id.key].Properties as { KeyPolicy: { Statement: Array<{ Principal: unknown }> } };
    for (const st of key.KeyPolicy.Statement) expect(JSON.stringify(st.Principal)).toContain(':root');
    for (const r of Object.values(resources)) {
      if (r.Type !== 'AWS::IAM::Policy') continue;
      const doc = r.Properties!.PolicyDocument as {
        Statement: Array<{ Action: string | string[]; Condition?: Record<string, Record<string, unknown>> }>;
      };
      for (const st of doc.Statement) {
        if (!([] as string[]).concat(st.Action).includes('kms:Decrypt')) continue;
        expect(JSON.stringify(st.Condition?.StringEquals?.['kms:ViaService'])).toMatch(/secretsmanager\./);
      }
    }
  });

  it('lets only the CA Lambda write the CA secret', () => {
    const writers: string[] = [];
    for (const r of Object.values(resources)) {
      if (r.Type !== 'AWS::IAM::Policy') continue;
      const doc = r.Properties!.PolicyDocument as { Statement: Array<{ Action: string | string[] }> };
      if (doc.Statement.some((s) => ([] as string[]).concat(s.Action).includes('secretsmanager:PutSecretValue'))) {
        writers.push(...(r.Properties!.Roles as Array<{ Ref: string }>).map((x) => x.Ref));
      }
    }
    expect(writers).toEqual([logicalIdOf('Security/CaFunctionRole/Resource')]);
  });

  it('publishes the CA certificate from the custom resource attribute into SSM, never a literal', () => {
    const caId = Object.keys(template.findResources('Custom::ElkClusterCa'))[0];
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/elk/test/security/ca-cert',
      Type: 'String',
      Value: { 'Fn::GetAtt': [caId, 'CertificatePem'] },
    });
    template.hasResourceProperties('Custom::ElkClusterCa', {
      CommonName: 'elk-cdk test cluster CA',
      ValidityDays: '3650',
    });
  });

  it('runs the Lambdas on Node.js 24 with the CA secret ARN in the CA and issuer function environments only', () => {
    const fns = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    const ours = fns.filter((f) => String(f.Properties?.Description ?? '').startsWith('elk-cdk'));
    expect(ours).toHaveLength(4);
    for (const f of ours) expect(f.Properties?.Runtime).toBe('nodejs24.x');
    const withCa = ours.filter((f) => JSON.stringify(f.Properties?.Environment ?? {}).includes('CA_SECRET_ARN'));
    expect(withCa.map((f) => f.Properties?.Description).sort()).toEqual([
      'elk-cdk test: creates the cluster CA once',
      "elk-cdk test: issues short-lived node certificates to this environment's instances",
    ]);
  });

  it('alarms on any access to the CA key secret except by the CA and issuer Lambdas (CloudTrail through EventBridge)', () => {
    const [rule] = Object.values(resources).filter((r) => r.Type === 'AWS::Events::Rule');
    expect(rule.Properties?.State).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    const pattern = rule.Properties?.EventPattern as {
      source: string[];
      detail: {
        eventName: string[];
        requestParameters: { secretId: unknown };
        $or: Array<{ userIdentity: Record<string, unknown> }>;
      };
    };
    expect(pattern.source).toEqual(['aws.secretsmanager']);
    expect(pattern.detail.eventName).toContain('GetSecretValue');
    expect(pattern.detail.requestParameters.secretId).toEqual([{ wildcard: '*elk/test/security/cluster-ca*' }]);
    const excluded = JSON.stringify(pattern.detail.$or[0]);
    for (const role of ['Security/CaFunctionRole/Resource', 'Security/Issuer/FunctionRole/Resource']) {
      expect(excluded).toContain(logicalIdOf(role));
    }
    // A node role never appears as an expected reader.
    expect(excluded).not.toContain(logicalIdOf('NodeRole/Resource'));
    expect(JSON.stringify(pattern.detail.$or[1])).toBe('{"userIdentity":{"type":[{"anything-but":["AssumedRole"]}]}}');
    const topicId = Object.entries(resources).find(([, r]) => r.Type === 'AWS::SNS::Topic')![0];
    expect(JSON.stringify(rule.Properties?.Targets)).toContain(topicId);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'TriggeredRules',
      Namespace: 'AWS/Events',
      Threshold: 1,
      AlarmActions: [{ Ref: topicId }],
    });
  });

  it('puts the issuer behind a function URL with AWS_IAM auth (never NONE)', () => {
    const urls = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Url');
    expect(urls.map((r) => r.Properties?.AuthType)).toEqual(['AWS_IAM']);
  });

  it('sends the role definitions and their hash to the bootstrap, within the 1 h custom-resource limit', () => {
    const [cr] = Object.values(template.findResources('Custom::ElkSecurityBootstrap')) as Array<{
      Properties: Record<string, unknown>;
    }>;
    expect(JSON.parse(cr.Properties.RolesJson as string)).toEqual(ROLES);
    expect(JSON.parse(cr.Properties.UsersJson as string)).toEqual(NATIVE_USERS);
    expect(cr.Properties.DefinitionsHash).toBe(securityDefinitionsHash());
    expect(Number(cr.Properties.ServiceTimeout)).toBeLessThanOrEqual(3600);
    // The waiter gives up (FAILED "Operation timed out") before CloudFormation's own timeout.
    const sm = Object.values(resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!;
    const def = JSON.stringify(sm.Properties?.DefinitionString);
    const attempts = Number(/\\"MaxAttempts\\":(\d+)/.exec(def)![1]);
    const interval = Number(/\\"IntervalSeconds\\":(\d+)/.exec(def)![1]);
    expect(attempts * interval).toBeLessThan(Number(cr.Properties.ServiceTimeout));
  });

  it('places the bootstrap Lambdas in the VPC with the endpoint and service name in their environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.isComplete',
      VpcConfig: Match.objectLike({ SecurityGroupIds: Match.anyValue() }),
      Environment: {
        Variables: Match.objectLike({
          ES_ENDPOINT: 'https://elasticsearch.test.elk.internal:9200',
          ES_SERVERNAME: 'elasticsearch.test.elk.internal',
          CA_PARAMETER_NAME: '/elk/test/security/ca-cert',
        }),
      },
    });
  });

  it('has zero unacknowledged cdk-nag AwsSolutions findings', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(fixture.stack);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath)}`)).toEqual(
      [],
    );
  });

  it('exposes the node scripts and the per-user secrets', () => {
    expect(ClusterSecurity.nodeCertificateScriptPath).toMatch(/scripts\/security\/node-certs\.sh$/);
    expect(fixture.stack.resolve(fixture.security.userSecret('elastalert').secretArn)).toEqual({
      Ref: secretIdWithPrefix(id.users.elastalert),
    });
    expect(() => fixture.security.userSecret('root' as never)).toThrow(/unknown user "root"/);
  });
});

describe('ClusterSecurity input checks', () => {
  const make = () => {
    const stack = new Stack(testApp(), 'S');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
    const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc });
    return { stack, vpc, sg };
  };

  it('grants a role in another stack (the alerter) without a dependency cycle', () => {
    const app = testApp();
    const cluster = new Stack(app, 'Cluster');
    const alerter = new Stack(app, 'Alerter');
    const sec = new ClusterSecurity(cluster, 'Security', { environmentName: 'x' });
    const role = new iam.Role(alerter, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    sec.grantClient('elastalert', role);
    const asm = app.synth();
    expect(asm.getStackByName('Alerter').dependencies.map((d) => d.id)).toContain('Cluster');
    expect(asm.getStackByName('Cluster').dependencies.map((d) => d.id)).not.toContain('Alerter');
    expect(JSON.stringify(asm.getStackByName('Cluster').template)).not.toContain('Alerter');
  });

  it('rejects an environment name that cannot name a secret or a DNS label', () => {
    const { stack } = make();
    expect(() => new ClusterSecurity(stack, 'Sec', { environmentName: 'Prod_1' })).toThrow(
      /environmentName "Prod_1" must be lowercase/,
    );
  });

  it('rejects a bootstrap timeout beyond what CloudFormation waits for', () => {
    const { stack, vpc, sg } = make();
    const sec = new ClusterSecurity(stack, 'Sec', { environmentName: 'x' });
    expect(() =>
      sec.bootstrap(stack, { vpc, securityGroups: [sg], endpoint: 'https://h:9200', timeout: Duration.minutes(70) }),
    ).toThrow(/exceeds 55 min/);
  });

  it('rejects a plain-http bootstrap endpoint', () => {
    const { stack, vpc, sg } = make();
    const sec = new ClusterSecurity(stack, 'Sec', { environmentName: 'x' });
    expect(() => sec.bootstrap(stack, { vpc, securityGroups: [sg], endpoint: 'http://h:9200' })).toThrow(
      /must be https/,
    );
  });
});

describe('the synthesized cloud assembly (bundling for real)', () => {
  it('bundles the CA and bootstrap handlers with the local esbuild', () => {
    const bundles = filesUnder(outdir).filter((f) => /asset\.[0-9a-f]+\/index\.js$/.test(f));
    const texts = bundles.map((f) => fs.readFileSync(f, 'utf8'));
    expect(texts.some((t) => t.includes('elk-cdk-cluster-ca'))).toBe(true);
    expect(texts.some((t) => t.includes('elk-cdk-security-bootstrap'))).toBe(true);
  });

  it('passes the CloudFormation validator that runs at synth without findings', () => {
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const violations = (report.pluginReports as Array<{ violations?: unknown[] }>).flatMap((r) => r.violations ?? []);
    expect(violations).toEqual([]);
  });

  it('contains no private key material and no literal password in any template or asset', () => {
    expect(scan(outdir)).toEqual([]);
  });

  it('gives the Lambdas secret ARNs and parameter names, never values', () => {
    const template = JSON.parse(fs.readFileSync(path.join(outdir, 'SecurityTest.template.json'), 'utf8'));
    for (const r of Object.values(template.Resources) as Array<{ Type: string; Properties: Record<string, never> }>) {
      if (r.Type !== 'AWS::Lambda::Function') continue;
      const vars = (r.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      for (const [k, v] of Object.entries(vars)) {
        if (/SECRET/.test(k)) expect(JSON.stringify(v)).toMatch(/Ref|secretsmanager/);
      }
    }
  });
});

describe('the assembly scan itself (negative controls)', () => {
  it('finds a private key hidden in an asset', () => {
    const dir = path.join(tmp.dir, 'a');
    fs.mkdirSync(path.join(dir, 'asset.abc'), { recursive: true });
    const ca = makeTestCa(tmp.dir);
    fs.writeFileSync(path.join(dir, 'asset.abc', 'index.js'), `const k = ${JSON.stringify(ca.keyPem)};`);
    // JSON.stringify turns newlines into "\n": the pattern must still see the body.
    fs.writeFileSync(path.join(dir, 'asset.abc', 'raw.pem'), ca.keyPem);
    expect(scan(dir).sort()).toEqual(['asset.abc/index.js: PEM private key', 'asset.abc/raw.pem: PEM private key']);
  });

  it('finds a literal password in a template and ignores a code regex that only names the header', () => {
    const dir = path.join(tmp.dir, 'b');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'S.template.json'),
      JSON.stringify({
        Resources: { U: { Type: 'AWS::SecretsManager::Secret', Properties: { SecretString: 'abc' } } },
      }),
    );
    fs.writeFileSync(path.join(dir, 'code.js'), 'const re = /-----BEGIN (?:EC )?PRIVATE KEY-----/;');
    fs.writeFileSync(path.join(dir, 'conf.json'), '{"username":"x","password":"Sup3rSecret!"}');
    expect(scan(dir).sort()).toEqual([
      'S.template.json: literal value at $.Resources.U.Properties.SecretString',
      'conf.json: literal password near ""password":"Sup3rSecret!"',
    ]);
  });
});
