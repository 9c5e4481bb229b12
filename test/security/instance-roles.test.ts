/**
 * What an instance can do with its role, proven on the real app's templates (every instance role of the cluster and
 * alerter stacks of an environment with Kibana and Logstash): no instance role reads the CA key or elastic's
 * password, and the Elasticsearch nodes get certificates only through the issuer's function URL.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';
import { testApp } from '../helpers/app';
import { FIXED_VERSION } from '../cluster/helpers';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
type Resource = { Type: string; Properties?: Record<string, unknown> };

const app = testApp();
const [stage] = buildApp(app, { environments: ['staging'], version: FIXED_VERSION });
const stacks: Stack[] = [stage!.cluster, ...(stage!.alerter ? [stage!.alerter] : [])];
const templates = stacks.map((s) => ({
  stack: s,
  json: Template.fromStack(s).toJSON() as { Resources: Record<string, Resource> },
}));
const cluster = templates[0].json.Resources;
const logicalIdOf = (construct: { node: { defaultChild?: unknown } }) =>
  stage!.cluster.getLogicalId(construct.node.defaultChild as never);

const caSecretId = logicalIdOf(stage!.cluster.security.caSecret);
const elasticSecretId = logicalIdOf(stage!.cluster.security.userSecret('elastic') as never);

/** Does an IAM action pattern (with * wildcards) match this action? */
function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.?+^$()[\]{}|\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return re.test(action);
}

/** Every statement on an instance role (assumed by ec2.amazonaws.com), per role, from both stacks. */
function instanceRoleStatements(): Map<string, Statement[]> {
  const out = new Map<string, Statement[]>();
  for (const { stack, json } of templates) {
    const roles = Object.entries(json.Resources).filter(
      ([, r]) =>
        r.Type === 'AWS::IAM::Role' &&
        JSON.stringify(r.Properties?.AssumeRolePolicyDocument).includes('ec2.amazonaws.com'),
    );
    for (const [id, role] of roles) {
      const key = `${stack.stackName}/${id}`;
      const statements: Statement[] = [];
      for (const p of (role.Properties?.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>) ?? []) {
        statements.push(...p.PolicyDocument.Statement);
      }
      for (const r of Object.values(json.Resources)) {
        if (r.Type !== 'AWS::IAM::Policy') continue;
        if (!JSON.stringify(r.Properties?.Roles).includes(`"${id}"`)) continue;
        statements.push(...(r.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
      }
      out.set(key, statements);
    }
  }
  return out;
}

const roles = instanceRoleStatements();

describe('instance roles (staging: Elasticsearch, Kibana, Logstash, alerter)', () => {
  it('finds every instance role of the environment', () => {
    // master, data, Kibana, Logstash, alerter
    expect(roles.size).toBe(5);
  });

  it('no instance role can read the CA key secret or the elastic secret (nor any secret by wildcard)', () => {
    const offending: string[] = [];
    for (const [role, statements] of roles) {
      for (const st of statements) {
        if (st.Effect !== 'Allow') continue;
        const actions = ([] as string[]).concat(st.Action);
        if (!actions.some((a) => actionMatches(a, 'secretsmanager:GetSecretValue'))) continue;
        const resources = JSON.stringify(st.Resource);
        if (resources.includes(caSecretId) || resources.includes(elasticSecretId) || resources.includes('"*"')) {
          offending.push(`${role}: ${actions.join(',')} on ${resources}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });

  it('the scanner above sees a grant when there is one (negative control)', () => {
    const statements: Statement[] = [{ Effect: 'Allow', Action: 'secretsmanager:Get*', Resource: { Ref: caSecretId } }];
    const hit = statements.some(
      (st) =>
        ([] as string[]).concat(st.Action).some((a) => actionMatches(a, 'secretsmanager:GetSecretValue')) &&
        JSON.stringify(st.Resource).includes(caSecretId),
    );
    expect(hit).toBe(true);
  });

  it('no instance role has a managed policy (AmazonSSMManagedInstanceCore reads every parameter of the account)', () => {
    for (const { json } of templates) {
      for (const r of Object.values(json.Resources)) {
        if (r.Type !== 'AWS::IAM::Role') continue;
        if (!JSON.stringify(r.Properties?.AssumeRolePolicyDocument).includes('ec2.amazonaws.com')) continue;
        expect(r.Properties?.ManagedPolicyArns).toBeUndefined();
      }
    }
  });

  it("no instance role reads an SSM parameter outside its environment's path /elk/staging/", () => {
    const reads: string[] = [];
    for (const [role, statements] of roles) {
      for (const st of statements) {
        const actions = ([] as string[]).concat(st.Action);
        const readsParameters = ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'].some((a) =>
          actions.some((p) => actionMatches(p, a)),
        );
        if (!readsParameters) continue;
        for (const resource of ([] as unknown[]).concat(st.Resource)) {
          const text = JSON.stringify(resource);
          reads.push(`${role}: ${text.includes(':parameter/elk/staging/') ? 'own path' : text}`);
        }
      }
    }
    expect(reads.length).toBeGreaterThanOrEqual(5);
    expect(reads.filter((r) => !r.endsWith(': own path'))).toEqual([]);
  });

  it('every instance role can still register with SSM and serve Session Manager and Run Command', () => {
    for (const [role, statements] of roles) {
      const actions = statements.flatMap((s) => ([] as string[]).concat(s.Action));
      for (const needed of [
        'ssm:UpdateInstanceInformation',
        'ssmmessages:CreateControlChannel',
        'ssmmessages:OpenDataChannel',
        'ec2messages:GetMessages',
        'ec2messages:SendReply',
      ]) {
        expect([role, actions.includes(needed)]).toEqual([role, true]);
      }
    }
  });

  it('only the CA Lambda and the issuer read the CA secret', () => {
    const readers: string[] = [];
    for (const [id, r] of Object.entries(cluster)) {
      if (r.Type !== 'AWS::IAM::Policy') continue;
      const sts = (r.Properties!.PolicyDocument as { Statement: Statement[] }).Statement;
      if (sts.some((s) => JSON.stringify(s.Resource).includes(caSecretId))) readers.push(id);
    }
    expect(readers.sort()).toEqual(
      [
        logicalIdOf(
          stage!.cluster.node.findChild('Security').node.findChild('CaFunctionRole').node.findChild('DefaultPolicy'),
        ),
        logicalIdOf(stage!.cluster.security.issuer.function.role!.node.findChild('DefaultPolicy')),
      ].sort(),
    );
  });

  it('Elasticsearch nodes may invoke the issuer through its function URL with IAM auth, and nothing else of it', () => {
    const issuerFn = logicalIdOf(stage!.cluster.security.issuer.function);
    for (const group of [stage!.cluster.master, stage!.cluster.data]) {
      const key = `${stage!.cluster.stackName}/${logicalIdOf(group.instanceRole)}`;
      const invoke = roles.get(key)!.filter((s) => JSON.stringify(s.Resource).includes(issuerFn));
      expect(invoke.map((s) => [s.Action, s.Condition])).toEqual([
        ['lambda:InvokeFunctionUrl', { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } }],
        ['lambda:InvokeFunction', { Bool: { 'lambda:InvokedViaFunctionUrl': true } }],
      ]);
    }
  });

  it('the issuer policy lists exactly the environment groups with their own role and the service name', () => {
    const param = Object.values(cluster).find(
      (r) => r.Type === 'AWS::SSM::Parameter' && r.Properties?.Name === '/elk/staging/security/issuer-policy',
    )!;
    const value = JSON.stringify(param.Properties!.Value);
    for (const group of [stage!.cluster.master, stage!.cluster.data]) {
      expect(value).toContain(logicalIdOf(group.autoScalingGroup));
      expect(value).toContain(logicalIdOf(group.instanceRole));
    }
    expect(value).toContain('elasticsearch.staging.elk.internal');
  });

  it('the node user data carries the issuer URL, the one-time bootstrap secret and node_monitor, never the CA secret or elastic', () => {
    for (const group of [stage!.cluster.master, stage!.cluster.data]) {
      const lt = cluster[logicalIdOf(group.launchTemplate)];
      const userData = JSON.stringify(lt.Properties!.LaunchTemplateData);
      expect(userData).toContain('ELK_CERT_ISSUER_URL');
      expect(userData).toContain('ELK_BOOTSTRAP_SECRET_ID');
      expect(userData).toContain('ELK_MONITOR_SECRET_ID');
      expect(userData).not.toContain(caSecretId);
      expect(userData).not.toContain(elasticSecretId);
    }
  });

  it("Kibana's shared encryption keys: a generated, retained secret only Kibana's role reads, by ARN in its user data", () => {
    const ids = Object.entries(cluster)
      .filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret')
      .filter(([, r]) => r.Properties!.Name === 'elk/staging/kibana/encryption-keys')
      .map(([id]) => id);
    expect(ids).toHaveLength(1);
    const secret = cluster[ids[0]!]!;
    expect(secret.Properties!.GenerateSecretString).toMatchObject({ GenerateStringKey: 'keys', PasswordLength: 96 });
    expect(secret.Properties!.SecretString).toBeUndefined();
    const readers = [...roles]
      .filter(([, statements]) =>
        statements.some(
          (st) =>
            ([] as string[]).concat(st.Action).includes('secretsmanager:GetSecretValue') &&
            JSON.stringify(st.Resource).includes(ids[0]!),
        ),
      )
      .map(([role]) => role);
    expect(readers).toEqual([expect.stringMatching(/\/KibanaInstanceRole/)]);
    const lt = JSON.stringify(cluster[logicalIdOf(stage!.cluster.kibana!.launchTemplate)]!.Properties);
    expect(lt).toContain(`ELK_KIBANA_KEYS_SECRET_ID='",{"Ref":"${ids[0]}"}`);
  });
});
