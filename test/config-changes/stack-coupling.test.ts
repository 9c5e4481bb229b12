import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';
import { FIXED_VERSION } from '../cluster/helpers';
import { testApp } from '../helpers/app';
import { ConfigWorkspace } from './synth';

const ws = new ConfigWorkspace();
afterAll(() => ws.cleanup());

type Json = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> } & Record<
  string,
  Record<string, { Type?: string; Default?: string; Export?: unknown }> | undefined
>;

function stacks(environment: string, configDir?: string) {
  const [stage] = buildApp(testApp(), {
    environments: [environment],
    configDir,
    version: FIXED_VERSION,
    validate: false,
  });
  return {
    cluster: Template.fromStack(stage!.cluster).toJSON() as Json,
    alerter: stage!.alerter ? (Template.fromStack(stage!.alerter).toJSON() as Json) : undefined,
    stage: stage!,
  };
}

describe('no CloudFormation export ties the cluster and alerter stacks', () => {
  test.each(['dev', 'staging'])('%s: the alerter imports nothing, the cluster exports nothing', (env) => {
    const { cluster, alerter } = stacks(env);
    expect(JSON.stringify(alerter)).not.toContain('Fn::ImportValue');
    expect(Object.values(cluster.Outputs ?? {}).filter((o) => o.Export !== undefined)).toEqual([]);
  });

  test('every SSM parameter the alerter reads is written by the cluster stack, and the order is a stack dependency', () => {
    const { cluster, alerter, stage } = stacks('staging');
    const written = new Set(
      Object.values(cluster.Resources)
        .filter((r) => r.Type === 'AWS::SSM::Parameter')
        .map((r) => r.Properties?.Name),
    );
    const read = Object.values(alerter!.Parameters ?? {})
      .filter((p) => p.Type?.startsWith('AWS::SSM::Parameter::Value') && p.Default?.startsWith('/elk/'))
      .map((p) => p.Default);
    expect(read.length).toBeGreaterThanOrEqual(4);
    for (const name of read) expect(written).toContain(name);
    expect(stage.alerter!.dependencies).toContain(stage.cluster);
  });

  test('alerter.enabled: false leaves the cluster template unchanged (its deploy cannot be blocked by the alerter)', () => {
    const off = ws.configDir({ 'staging.yaml': (t) => t.replace(/^alerter:\n/m, 'alerter:\n  enabled: false\n') });
    const without = stacks('staging', off);
    expect(without.alerter).toBeUndefined();
    expect(without.cluster).toEqual(stacks('staging').cluster);
  });
});

describe('tags', () => {
  test('a tags change modifies no launch template and keeps the rollout id (instances get tags from their groups)', () => {
    const retagged = ws.configDir({ 'staging.yaml': (t) => t.replace(/^tags:\n/m, 'tags:\n  cost-centre: logs-42\n') });
    const a = stacks('staging');
    const b = stacks('staging', retagged);
    const lts = (j: Json) =>
      Object.entries(j.Resources).filter(
        ([, r]) => r.Type === 'AWS::EC2::LaunchTemplate' || r.Type === 'Custom::RollingReplacement',
      );
    expect(lts(b.cluster)).toEqual(lts(a.cluster));
    expect(b.stage.cluster.rollingReplacement.rolloutId).toBe(a.stage.cluster.rollingReplacement.rolloutId);
    const dataGroup = Object.values(b.cluster.Resources).find(
      (r) => r.Type === 'AWS::AutoScaling::AutoScalingGroup' && JSON.stringify(r.Properties?.Tags).includes('"data"'),
    );
    expect(dataGroup?.Properties?.Tags).toContainEqual({
      Key: 'cost-centre',
      PropagateAtLaunch: true,
      Value: 'logs-42',
    });
  });
});
