/**
 * Data volumes that outlive their instances (issue 17): who may touch them. The orchestrator stops and detaches only
 * this environment's data nodes and data volumes; tags and conditions come from lambda/shared/data-volume.ts.
 */
import { resourcesOf, synthEnvironment } from './helpers';

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const s = synthEnvironment('dev');
const statementsOf = (prefix: string): Statement[] =>
  Object.entries(resourcesOf(s, 'AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(prefix))
    .flatMap(([, p]) => p.Properties!.PolicyDocument.Statement as Statement[]);
const actions = (st: Statement) => [st.Action].flat();
const json = (v: unknown) => JSON.stringify(v);

describe('the orchestrator and the data volumes', () => {
  const handler = statementsOf('RollingReplacementHandlerRoleDefaultPolicy');
  const bySid = (sid: string) => handler.find((st) => st.Sid === sid)!;

  test('detaches only volumes tagged with this environment and the data group, from its data instances', () => {
    const volumes = bySid('HandoffDetachDataVolumes');
    expect(actions(volumes)).toEqual(['ec2:DetachVolume']);
    expect(json(volumes.Resource)).toMatch(/:volume\/\*/);
    expect(volumes.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/elk-cdk:environment': 'dev', 'aws:ResourceTag/elk-cdk:volume-group': 'data' },
    });
    const instances = bySid('HandoffDetachFromDataNodes');
    expect(json(instances.Resource)).toMatch(/:instance\/\*/);
    expect(instances.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/elk-cdk:environment': 'dev', 'aws:ResourceTag/elk-cdk:role': 'data' },
    });
  });

  test('runs only AWS-RunShellScript, only on this environment data nodes; tags only when and whence detached', () => {
    expect(json(bySid('HandoffStopCommandDocument').Resource)).toMatch(/document\/AWS-RunShellScript"/);
    expect(bySid('HandoffStopCommandOnDataNodes').Condition).toEqual({
      StringEquals: { 'ssm:resourceTag/elk-cdk:environment': 'dev', 'ssm:resourceTag/elk-cdk:role': 'data' },
    });
    expect(bySid('HandoffTagDetachedVolumes').Condition!['ForAllValues:StringEquals']).toEqual({
      'aws:TagKeys': ['elk-cdk:detached-at', 'elk-cdk:detached-from'],
    });
    // No volume action outside these statements: nothing creates, attaches or deletes a volume.
    const volumeActions = handler.flatMap(actions).filter((a) => /Volume|SendCommand|CreateTags/.test(a));
    expect(volumeActions.sort()).toEqual(
      [
        'ec2:CreateTags',
        'ec2:DescribeVolumes',
        'ec2:DetachVolume',
        'ec2:DetachVolume',
        'ssm:SendCommand',
        'ssm:SendCommand',
      ].sort(),
    );
  });

  test('the reconcile functions know the environment and the mount point of the data volumes', () => {
    const fns = Object.values(resourcesOf(s, 'AWS::Lambda::Function')).filter(
      (f) => f.Properties?.Environment?.Variables?.DATA_VOLUME_PATH !== undefined,
    );
    expect(fns.length).toBeGreaterThan(0);
    for (const f of fns) {
      expect(f.Properties!.Environment.Variables).toMatchObject({
        DATA_VOLUME_ENVIRONMENT: 'dev',
        DATA_VOLUME_PATH: '/var/lib/elasticsearch-data',
      });
    }
  });
});
