/**
 * rollout.surgePlacement on the template (RollingReplacement + surge-placement-grants.ts): the property the handlers
 * read, the variable that turns the adapter on, and the orchestrator's extra rights, each scoped, only for data surges
 * of several instances placed by the orchestrator.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { parseProperties, specFromProperties } from '../../lambda/rolling-replacement/contract';
import { RollingReplacement, type RolloutSettings } from '../../lib/rolling-replacement/RollingReplacement';
import { testApp } from '../helpers/app';

function build(rollout: Partial<RolloutSettings>, o: { key?: boolean } = {}) {
  const app = testApp();
  const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 3, natGateways: 1 });
  const machineImage = ec2.MachineImage.genericLinux({ 'eu-west-1': 'ami-0123456789abcdef0' });
  const securityGroup = new ec2.SecurityGroup(stack, 'NodeSg', { vpc });
  const role = new iam.Role(stack, 'DataNodeRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
  const key = o.key ? new kms.Key(stack, 'RootKey') : undefined;
  const lt = (id: string, r?: iam.Role) =>
    new ec2.LaunchTemplate(stack, id, {
      machineImage,
      instanceType: new ec2.InstanceType('r6i.large'),
      securityGroup,
      ...(r ? { role: r } : {}),
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(20, { encrypted: true, ...(key ? { kmsKey: key } : {}) }),
        },
      ],
    });
  const dataLt = lt('DataLt', role);
  const masterLt = lt('MasterLt');
  const asg = (id: string, launchTemplate: ec2.LaunchTemplate) =>
    new autoscaling.AutoScalingGroup(stack, id, {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate,
      minCapacity: 3,
      maxCapacity: 7,
    });
  const data = asg('Data', dataLt);
  new RollingReplacement(stack, 'Rolling', {
    environment: 'dev',
    vpc,
    dataGroup: data,
    masterGroup: asg('Master', masterLt),
    dataLaunchTemplate: dataLt,
    masterLaunchTemplate: masterLt,
    targetVersion: '8.19.3',
    esEndpoint: 'https://es.dev.elk.internal:9200',
    clientSecurityGroup: new ec2.SecurityGroup(stack, 'EsClients', { vpc }),
    credentialsSecret: new secretsmanager.Secret(stack, 'OrchestratorUser'),
    caParameterName: '/elk/dev/security/ca-cert',
    rollout: { waitForCompletion: true, timeoutHours: 12, pollSeconds: 30, ...rollout },
  });
  const template = Template.fromStack(stack);
  const id = (c: unknown) => stack.getLogicalId((c as { node: { defaultChild: unknown } }).node.defaultChild as never);
  return {
    template,
    ids: { data: id(data), lt: id(dataLt), sg: id(securityGroup), role: id(role), key: key && id(key) },
  };
}

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
function statements(template: Template): Statement[] {
  const role = Object.entries(template.findResources('AWS::IAM::Role')).find(([, r]) =>
    JSON.stringify(r).includes('Rolling replacement'),
  )![0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}
const bySid = (t: Template, sid: string) => statements(t).find((s) => s.Sid === sid);
const actions = (t: Template) => statements(t).flatMap((s) => [s.Action].flat());
const customResource = (t: Template) =>
  Object.values(t.findResources('Custom::RollingReplacement'))[0]!.Properties as Record<string, unknown>;
const functionEnv = (t: Template) =>
  Object.values(t.findResources('AWS::Lambda::Function'))
    .map((f) => f.Properties.Environment?.Variables as Record<string, unknown> | undefined)
    .filter((v) => v?.ES_ENDPOINT !== undefined);

const NEW_ACTIONS = [
  'ec2:RunInstances',
  'ec2:CreateTags',
  'iam:PassRole',
  'autoscaling:AttachInstances',
  'ec2:TerminateInstances',
  'ec2:DescribeInstances',
  'ec2:DescribeSubnets',
];

describe('rollout.surgePlacement orchestrator with maxSurge > 1 (the default placement)', () => {
  const { template, ids } = build({ maxSurge: 4 });
  const ltArn = { 'Fn::Join': ['', ['arn:aws:ec2:eu-west-1:111111111111:launch-template/', { Ref: ids.lt }]] };
  const fromTemplate = { ArnLike: { 'ec2:LaunchTemplate': ltArn } };

  test('the custom resource carries SurgePlacement and the handler reads it back; older properties mean auto-scaling', () => {
    const props = customResource(template);
    expect(props.SurgePlacement).toBe('orchestrator');
    const base = {
      SchemaVersion: '1',
      Environment: 'dev',
      RolloutId: 'r-1',
      DataGroupName: 'data',
      MasterGroupName: 'master',
      TargetVersion: '8.19.3',
      DataLaunchTemplateVersion: '2',
      MasterLaunchTemplateVersion: '2',
      StateMachineArn: 'arn:aws:states:eu-west-1:111111111111:stateMachine:x',
      WaitHandleUrl: '',
      PollSeconds: '30',
      JoinTimeoutSeconds: '1800',
      MaxSurge: '4',
    };
    const options = (p: object) => specFromProperties(parseProperties(p, 'test'), 'roll').options;
    expect(options({ ...base, SurgePlacement: props.SurgePlacement }).surgePlacement).toBe('orchestrator');
    expect(options({ ...base, SurgePlacement: 'auto-scaling' }).surgePlacement).toBe('auto-scaling');
    expect(options(base).surgePlacement).toBe('auto-scaling');
    expect(() => parseProperties({ ...base, SurgePlacement: 'zones' }, 'test')).toThrow(/SurgePlacement/);
  });

  test('every handler gets SURGE_PLACEMENT_GROUP = the data group (the adapter is on only with it)', () => {
    const envs = functionEnv(template);
    expect(envs.length).toBeGreaterThanOrEqual(3);
    for (const env of envs) expect(env!.SURGE_PLACEMENT_GROUP).toEqual({ Ref: ids.data });
  });

  test('RunInstances only from the data launch template, into its subnets, with its security group and image', () => {
    const s = bySid(template, 'SurgeLaunchFromDataTemplate')!;
    expect(s.Action).toBe('ec2:RunInstances');
    expect(s.Condition).toEqual(fromTemplate);
    const resources = JSON.stringify(s.Resource);
    expect(resources).toContain(`launch-template/",{"Ref":"${ids.lt}"}`);
    expect(resources).toContain(`security-group/",{"Fn::GetAtt":["${ids.sg}","GroupId"]}`);
    expect(resources).toContain(':ec2:eu-west-1::image/ami-0123456789abcdef0');
    expect(resources).toContain(':volume/*');
    expect(resources).toContain(':network-interface/*');
    const subnets = resources.match(/subnet\/",\{"Ref":"([^"]+)"/g) ?? [];
    expect(subnets).toHaveLength(3);
    expect(resources).not.toContain(':instance/*');
    expect(resources).not.toContain('subnet/*');
  });

  test('the instance itself only from that template and only tagged launched-for = the data group', () => {
    const s = bySid(template, 'SurgeLaunchTaggedInstance')!;
    expect(s.Action).toBe('ec2:RunInstances');
    expect(JSON.stringify(s.Resource)).toMatch(/:instance\/\*"/);
    expect(s.Condition).toEqual({
      ...fromTemplate,
      StringEquals: { 'aws:RequestTag/elk-cdk:launched-for': { Ref: ids.data } },
    });
  });

  test('CreateTags only on create by RunInstances', () => {
    const s = bySid(template, 'SurgeTagOnLaunch')!;
    expect(s.Action).toBe('ec2:CreateTags');
    expect(s.Condition).toEqual({ StringEquals: { 'ec2:CreateAction': 'RunInstances' } });
  });

  test('PassRole only on the data node role, only to EC2', () => {
    const s = bySid(template, 'SurgePassDataNodeRole')!;
    expect(s.Action).toBe('iam:PassRole');
    expect(s.Resource).toEqual({ 'Fn::GetAtt': [ids.role, 'Arn'] });
    expect(s.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
  });

  test('AttachInstances on the data group only', () => {
    const s = bySid(template, 'SurgeAttachToDataGroup')!;
    expect(s.Action).toBe('autoscaling:AttachInstances');
    const r = JSON.stringify(s.Resource);
    expect(r).toContain(`autoScalingGroupName/",{"Ref":"${ids.data}"}`);
    expect(statements(template).filter((x) => [x.Action].flat().includes('autoscaling:AttachInstances'))).toHaveLength(
      1,
    );
  });

  test('TerminateInstances only on instances tagged launched-for = the data group', () => {
    const s = bySid(template, 'SurgeTerminateOwnLaunches')!;
    expect(s.Action).toBe('ec2:TerminateInstances');
    expect(JSON.stringify(s.Resource)).toMatch(/:instance\/\*"/);
    expect(s.Condition).toEqual({ StringEquals: { 'ec2:ResourceTag/elk-cdk:launched-for': { Ref: ids.data } } });
  });

  test('describe calls on * (no resource-level permissions), nothing else on *', () => {
    const s = bySid(template, 'SurgeReadInstancesAndSubnets')!;
    expect(s.Resource).toBe('*');
    expect(s.Action).toEqual(['ec2:DescribeInstances', 'ec2:DescribeLaunchTemplateVersions', 'ec2:DescribeSubnets']);
  });

  test('no KMS statement: the launch template names no customer-managed key', () => {
    expect(bySid(template, 'SurgeVolumeKeyGrants')).toBeUndefined();
    expect(actions(template).filter((a) => a.startsWith('kms:'))).toEqual(
      actions(build({ maxSurge: 1 }).template).filter((a) => a.startsWith('kms:')),
    );
  });
});

test('a customer-managed key on a launch template volume: CreateGrant only for AWS resources, only through EC2', () => {
  const { template, ids } = build({ maxSurge: 2 }, { key: true });
  const grant = bySid(template, 'SurgeVolumeKeyGrants')!;
  expect(grant.Action).toBe('kms:CreateGrant');
  expect(grant.Resource).toEqual({ 'Fn::GetAtt': [ids.key, 'Arn'] });
  expect(grant.Condition).toEqual({
    Bool: { 'kms:GrantIsForAWSResource': 'true' },
    StringEquals: { 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' },
  });
  expect(bySid(template, 'SurgeVolumeKeyUse')!.Condition).toEqual({
    StringEquals: { 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' },
  });
});

describe.each([
  ['auto-scaling with maxSurge 4', { maxSurge: 4, surgePlacement: 'auto-scaling' as const }, 'auto-scaling'],
  ['orchestrator with maxSurge 1', { maxSurge: 1, surgePlacement: 'orchestrator' as const }, undefined],
  ['maxSurge 1 by default', {}, undefined],
])('%s: nothing new', (_name, rollout, property) => {
  const { template } = build(rollout);
  test('no launch, tag, pass-role, attach, terminate or describe-instances right', () => {
    for (const a of NEW_ACTIONS) expect(actions(template)).not.toContain(a);
    expect(statements(template).filter((s) => s.Sid?.startsWith('Surge'))).toEqual([]);
  });
  test('no SURGE_PLACEMENT_GROUP; SurgePlacement written only with maxSurge > 1', () => {
    for (const env of functionEnv(template)) expect(env).not.toHaveProperty('SURGE_PLACEMENT_GROUP');
    expect(customResource(template).SurgePlacement).toBe(property);
  });
});
