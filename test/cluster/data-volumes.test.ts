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

describe('a data node and its own data volume', () => {
  const data = statementsOf('DataInstanceRoleDefaultPolicy');
  const master = statementsOf('MasterInstanceRoleDefaultPolicy');
  const bySid = (sid: string) => data.find((st) => st.Sid === sid)!;
  const lt = (role: string) =>
    Object.entries(resourcesOf(s, 'AWS::EC2::LaunchTemplate')).find(([id]) => id.startsWith(role))![1].Properties!
      .LaunchTemplateData;

  test('is not a launch-template block device (only the root volume); the master keeps its volume', () => {
    expect(lt('Data').BlockDeviceMappings.map((b: { DeviceName: string }) => b.DeviceName)).toEqual(['/dev/xvda']);
    expect(lt('Master').BlockDeviceMappings.map((b: { DeviceName: string }) => b.DeviceName)).toEqual([
      '/dev/xvda',
      '/dev/sdf',
    ]);
  });

  test('the node creates volumes only tagged for its environment and group, encrypted, with the known tag keys', () => {
    const create = bySid('DataVolumesCreateOwnEnvironmentEncrypted');
    expect(actions(create)).toEqual(['ec2:CreateVolume']);
    expect(create.Condition).toMatchObject({
      StringEquals: { 'aws:RequestTag/elk-cdk:environment': 'dev', 'aws:RequestTag/elk-cdk:volume-group': 'data' },
      Bool: { 'ec2:Encrypted': 'true' },
    });
    expect(bySid('DataVolumesTagOnCreate').Condition).toEqual({ StringEquals: { 'ec2:CreateAction': 'CreateVolume' } });
  });

  test('attaches, detaches and tags only volumes of its environment and group, on data instances of its environment', () => {
    const own = { 'aws:ResourceTag/elk-cdk:environment': 'dev', 'aws:ResourceTag/elk-cdk:volume-group': 'data' };
    expect(actions(bySid('DataVolumesAttachOwn')).sort()).toEqual(['ec2:AttachVolume', 'ec2:DetachVolume']);
    expect(bySid('DataVolumesAttachOwn').Condition).toEqual({ StringEquals: own });
    expect(json(bySid('DataVolumesAttachOwn').Resource)).toMatch(/:volume\/\*/);
    expect(bySid('DataVolumesToOwnEnvironmentDataNodes').Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/elk-cdk:environment': 'dev', 'aws:ResourceTag/elk-cdk:role': 'data' },
    });
    expect(bySid('DataVolumesTagOwn').Condition).toEqual({
      StringEquals: own,
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['elk-cdk:formatted', 'elk-cdk:attached-to'] },
    });
    // Every volume-changing statement carries a condition; none deletes a volume.
    const changing = data.filter((st) =>
      actions(st).some((a) => /Volume$|CreateTags/.test(a) && a !== 'ec2:DescribeVolumes'),
    );
    expect(changing.length).toBe(5);
    for (const st of changing) expect(st.Condition).toBeDefined();
    expect([...data, ...master].flatMap(actions).filter((a) => /Delete(Volume|Snapshot)/.test(a))).toEqual([]);
    // Masters get none of it.
    expect(master.flatMap(actions).filter((a) => /Volume/.test(a))).toEqual([]);
  });

  test('uses the environment key only through EC2, and volumes are encrypted with it', () => {
    const key = bySid('DataVolumesKeyThroughEc2');
    expect(json(key.Resource)).toMatch(/SecurityKey/);
    expect(Object.keys(key.Condition!.StringEquals!)).toEqual(['kms:ViaService']);
    expect(json(key.Condition!.StringEquals!['kms:ViaService'])).toMatch(
      /"ec2\.",\{"Ref":"AWS::Region"\},"\.amazonaws\.com"/,
    );
    const userData = json(lt('Data').UserData);
    expect(userData).toMatch(/ELK_DATA_VOLUME='persistent'/);
    expect(userData).toMatch(/ELK_VOLUME_KMS_KEY='/);
    expect(userData).toMatch(/SecurityKey/);
  });

  test('the data group tells the orchestrator its volumes outlive their instances, with the spec', () => {
    const groups = Object.entries(resourcesOf(s, 'AWS::AutoScaling::AutoScalingGroup'));
    const tag = (prefix: string) =>
      (
        groups.find(([id]) => id.startsWith(prefix))![1].Properties!.Tags as Array<{
          Key: string;
          Value: unknown;
          PropagateAtLaunch: boolean;
        }>
      ).find((t) => t.Key === 'elk-cdk:data-volumes');
    const t = tag('DataGroup');
    expect(json(t!.Value)).toMatch(/persistent:gp3\/20\//);
    expect(t!.PropagateAtLaunch).toBe(false);
    expect(tag('MasterGroup')).toBeUndefined();
  });
});
