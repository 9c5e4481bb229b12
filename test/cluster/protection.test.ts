import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';
import { testApp } from '../helpers/app';
import { ConfigWorkspace } from '../config-changes/synth';
import { FIXED_VERSION } from './helpers';

type Resources = Record<string, { Type: string; Properties?: Record<string, any> }>; // eslint-disable-line @typescript-eslint/no-explicit-any

function stage(environment: string, configDir?: string) {
  const [s] = buildApp(testApp(), { environments: [environment], configDir, version: FIXED_VERSION, validate: false });
  const resources = (stack: 'cluster' | 'alerter') =>
    (Template.fromStack(stack === 'cluster' ? s!.cluster : s!.alerter!).toJSON() as { Resources: Resources }).Resources;
  return { stage: s!, resources };
}
const ofType = (r: Resources, type: string) => Object.values(r).filter((x) => x.Type === type);
const esGroups = (r: Resources) =>
  ofType(r, 'AWS::AutoScaling::AutoScalingGroup').filter((g) =>
    (g.Properties!.Tags as Array<{ Key: string; Value: string }>).some(
      (t) => t.Key === 'elk-cdk:role' && ['master', 'data'].includes(t.Value),
    ),
  );

describe('production (account-pinned): one cdk destroy or one stray deletion cannot remove the cluster', () => {
  const p = stage('production');
  const cluster = p.resources('cluster');

  test('the cluster stack has termination protection and both Elasticsearch groups deletion protection', () => {
    expect(p.stage.cluster.terminationProtection).toBe(true);
    const groups = esGroups(cluster);
    expect(groups).toHaveLength(2);
    for (const g of groups) expect(g.Properties!.DeletionProtection).toBe('prevent-all-deletion');
  });

  test('the Elasticsearch NLB checks nodes over HTTPS (a stalled JVM or broken TLS leaves rotation)', () => {
    const tgs = ofType(cluster, 'AWS::ElasticLoadBalancingV2::TargetGroup').filter((t) => t.Properties!.Port === 9200);
    expect(tgs).toHaveLength(1);
    expect(tgs[0]!.Properties).toMatchObject({ HealthCheckProtocol: 'HTTPS', HealthCheckPath: '/' });
  });

  test('kibana.<env> and logstash.<env> names exist in the private zone (the alerter links to Kibana by name)', () => {
    const names = ofType(cluster, 'AWS::Route53::RecordSet').map((r) => r.Properties!.Name);
    expect(names.sort()).toEqual([
      'elasticsearch.production.elk.internal.',
      'kibana.production.elk.internal.',
      'logstash.production.elk.internal.',
    ]);
  });

  test('the alerter instance allows two IMDS hops (ElastAlert runs on Docker’s bridge network)', () => {
    const lts = ofType(p.resources('alerter'), 'AWS::EC2::LaunchTemplate');
    expect(lts).toHaveLength(1);
    expect(lts[0]!.Properties!.LaunchTemplateData.MetadataOptions).toMatchObject({
      HttpTokens: 'required',
      HttpPutResponseHopLimit: 2,
    });
  });
});

test('dev (environment-agnostic) is not protected, so it can be thrown away', () => {
  const d = stage('dev');
  expect(d.stage.cluster.terminationProtection).toBe(false);
  for (const g of esGroups(d.resources('cluster'))) expect(g.Properties!.DeletionProtection).toBeUndefined();
});

describe('deploy.protect overrides the default', () => {
  const ws = new ConfigWorkspace();
  afterAll(() => ws.cleanup());

  test('false on production turns both protections off; true on dev turns them on', () => {
    const off = stage(
      'production',
      ws.configDir({ 'production.yaml': (t) => t.replace(/^deploy:\n/m, 'deploy:\n  protect: false\n') }),
    );
    expect(off.stage.cluster.terminationProtection).toBe(false);
    for (const g of esGroups(off.resources('cluster'))) expect(g.Properties!.DeletionProtection).toBeUndefined();

    const on = stage('dev', ws.configDir({ 'dev.yaml': (t) => `${t.trimEnd()}\ndeploy:\n  protect: true\n` }));
    expect(on.stage.cluster.terminationProtection).toBe(true);
    const groups = esGroups(on.resources('cluster'));
    expect(groups).toHaveLength(2);
    for (const g of groups) expect(g.Properties!.DeletionProtection).toBe('prevent-all-deletion');
  });
});
