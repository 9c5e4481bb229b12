import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';
import { FIXED_VERSION } from '../cluster/helpers';
import { testApp } from '../helpers/app';

// Issue #13: a password rotation reaches Kibana, Logstash and the alerter without a manual restart. The bootstrap's
// sync-passwords sends the reload document (lambda tests: security-bootstrap.test.ts); here, on the staging
// templates: who may send it, to which instances, and which groups reload.

interface Res {
  Type: string;
  Properties?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}
const [stage] = buildApp(testApp(), { environments: ['staging'], version: FIXED_VERSION, validate: false });
const cluster = Template.fromStack(stage!.cluster).toJSON().Resources as Record<string, Res>;
const alerter = Template.fromStack(stage!.alerter!).toJSON().Resources as Record<string, Res>;
const of = (rs: Record<string, Res>, type: string) => Object.entries(rs).filter(([, r]) => r.Type === type);
const tagOf = (r: Res, key: string) =>
  (r.Properties!.Tags as Array<{ Key: string; Value: string; PropagateAtLaunch?: boolean }>).find((t) => t.Key === key);

describe('password rotation reaching the clients (staging templates)', () => {
  const docs = of(cluster, 'AWS::SSM::Document');
  const [docId, doc] = docs[0]!;

  test('one Command document runs the node reload or the alerter reload, and fails anywhere else', () => {
    expect(docs).toHaveLength(1);
    expect(doc.Properties!.DocumentType).toBe('Command');
    const run = doc.Properties!.Content.mainSteps[0].inputs.runCommand as string[];
    expect(run).toEqual([
      'set -euo pipefail',
      'if [ -x /opt/elk-cdk/bin/elk-credentials-reload.sh ]; then exec /opt/elk-cdk/bin/elk-credentials-reload.sh; fi',
      'if [ -x /opt/elk-alerter/bin/reload-credentials.sh ]; then exec /opt/elk-alerter/bin/reload-credentials.sh; fi',
      'echo "elk-cdk: this instance has no credentials reload" >&2',
      'exit 1',
    ]);
  });

  test("only the bootstrap's onEvent may send it, and only to this environment's reloading instances", () => {
    const senders = of(cluster, 'AWS::IAM::Policy').filter(([, p]) =>
      JSON.stringify(p.Properties!.PolicyDocument).includes('ssm:SendCommand'),
    );
    const statements = senders.flatMap(
      ([, p]) => p.Properties!.PolicyDocument.Statement as Array<Record<string, unknown>>,
    );
    const send = statements.filter((s) => ([] as unknown[]).concat(s.Action).includes('ssm:SendCommand'));
    const bootstrapSenders = senders.filter(([id]) => id.startsWith('SecurityBootstrapOnEvent'));
    expect(bootstrapSenders).toHaveLength(1);
    const own = (bootstrapSenders[0]![1].Properties!.PolicyDocument.Statement as Array<Record<string, unknown>>).filter(
      (s) => ([] as unknown[]).concat(s.Action).includes('ssm:SendCommand'),
    );
    expect(own).toHaveLength(2);
    expect(JSON.stringify(own[0]!.Resource)).toContain(`:document/",{"Ref":"${docId}"}`);
    expect(JSON.stringify(own[1]!.Resource)).toContain(':instance/*');
    expect(own[1]!.Condition).toEqual({
      StringEquals: {
        'ssm:resourceTag/elk-cdk:environment': 'staging',
        'ssm:resourceTag/elk-cdk:reload-credentials': 'true',
      },
    });
    expect(send.length).toBeGreaterThanOrEqual(2);
    const onEvent = of(cluster, 'AWS::Lambda::Function').find(([id]) => id.startsWith('SecurityBootstrapOnEvent'))!;
    expect(onEvent[1].Properties!.Environment.Variables).toMatchObject({
      RELOAD_DOCUMENT_NAME: { Ref: docId },
      ENVIRONMENT_NAME: 'staging',
    });
  });

  test('Kibana, Logstash and the alerter reload (tag at launch); no Elasticsearch node does', () => {
    const groups = [
      ...of(cluster, 'AWS::AutoScaling::AutoScalingGroup'),
      ...of(alerter, 'AWS::AutoScaling::AutoScalingGroup'),
    ];
    const reloading = groups
      .filter(([, g]) => tagOf(g, 'elk-cdk:reload-credentials')?.Value === 'true')
      .map(([, g]) => tagOf(g, 'elk-cdk:role')?.Value ?? (tagOf(g, 'elk-cdk:alerter') ? 'alerter' : '?'))
      .sort();
    expect(reloading).toEqual(['alerter', 'kibana', 'logstash']);
    for (const [, g] of groups) {
      const t = tagOf(g, 'elk-cdk:reload-credentials');
      if (t) expect(t.PropagateAtLaunch).toBe(true);
    }
  });

  test("the alerter's reload deploys the recorded bundle again, bounded, without signalling CloudFormation", () => {
    const lt = of(alerter, 'AWS::EC2::LaunchTemplate')[0]![1];
    const ud = JSON.stringify(lt.Properties!.LaunchTemplateData.UserData);
    const line = /ELK_BOOT_MAX_ATTEMPTS=3 exec \\"\$\(dirname \\"\$0\\"\)\/boot.sh\\" --parameter [^\\]*/.exec(ud)?.[0];
    expect(line).toBeDefined();
    expect(ud).toContain('reload-credentials.sh');
    expect(line).toContain('--credentials-secret');
    expect(line).not.toContain('--signal');
  });
});
