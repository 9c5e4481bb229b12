import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { caSecretString, createCa } from '../../lambda/cluster-ca/ca';
import { Deps, onEvent, PHYSICAL_ID } from '../../lambda/cluster-ca/index';
import {
  CaRotation,
  CaRotationError,
  CaRotationPhase,
  decideRotation,
  parseCaSecret,
  rotateCaSecret,
  rotationCommonName,
} from '../../lambda/cluster-ca/rotation';
import { checkRollFinished, GateGroup, needsFinishedRoll } from '../../lambda/cluster-ca/roll-gate';
import { TAG_ENVIRONMENT, TAG_ROLE } from '../../lib/cluster/contract';
import { ClusterSecurity } from '../../lib/security/ClusterSecurity';
import { testApp } from '../helpers/app';

const BASE = 'elk-cdk test cluster CA';
const CTX = { secretName: 'elk/test/security/cluster-ca', configFile: 'config/environments/test.yaml' };
const GATE_CTX = { ...CTX, environment: 'test' };
const NOW = new Date('2026-11-22T00:00:00Z');
const makeCa = (rotation: number) =>
  createCa({ commonName: rotationCommonName(BASE, rotation), organization: 'elk-cdk', validityDays: 3650, now: NOW });
const r = (rotation: number, phase: CaRotationPhase): CaRotation => ({ rotation, phase });

// The secret in each phase of rotation 1 (one CA generation each, made once for the file).
const secrets: Record<'none' | CaRotationPhase, string> = { none: caSecretString(makeCa(0)) } as never;
secrets['trust-new'] = rotateCaSecret(secrets.none, r(1, 'trust-new'), CTX, makeCa).secretString!;
secrets['sign-new'] = rotateCaSecret(secrets['trust-new'], r(1, 'sign-new'), CTX, makeCa).secretString!;
secrets['drop-old'] = rotateCaSecret(secrets['sign-new'], r(1, 'drop-old'), CTX, makeCa).secretString!;

/** Whether the handler's gate applies to moving the secret of `from` to the phase `to`. */
const gated = (from: keyof typeof secrets, to: CaRotation) =>
  needsFinishedRoll(decideRotation(parseCaSecret(secrets[from], CTX.secretName), to, CTX).action, to);

const group = (name: string, target: string, versions: Array<string | undefined>, state = 'InService'): GateGroup => ({
  name,
  targetVersion: target,
  instances: versions.map((v, i) => ({
    instanceId: `i-${name}-${i}`,
    lifecycleState: state,
    launchTemplateVersion: v,
  })),
});
const upToDate = (): GateGroup[] => [
  group('test-master', '4', ['4', '4', '4']),
  group('test-data', '7', ['7', '7']),
  group('test-kibana', '3', ['3', '3']),
  group('test-logstash', '2', ['2']),
];

describe('the roll gate of a CA rotation phase (pure)', () => {
  it('applies to the forward moves only: trust-new → sign-new and sign-new → drop-old', () => {
    expect(gated('trust-new', r(1, 'sign-new'))).toBe(true);
    expect(gated('sign-new', r(1, 'drop-old'))).toBe(true);
  });

  it('does not apply to a repeat, the first trust-new, or the undo a rollback asks for', () => {
    expect(gated('none', r(1, 'trust-new'))).toBe(false); // the start of a rotation
    expect(gated('trust-new', r(1, 'trust-new'))).toBe(false); // repeats
    expect(gated('sign-new', r(1, 'sign-new'))).toBe(false);
    expect(gated('drop-old', r(1, 'drop-old'))).toBe(false);
    expect(gated('sign-new', r(1, 'trust-new'))).toBe(false); // undo of sign-new (swap back)
    expect(gated('trust-new', r(0, 'drop-old'))).toBe(false); // undo of trust-new (remove-new)
    expect(gated('drop-old', r(2, 'trust-new'))).toBe(false); // the next rotation starts
  });

  it('passes when every InService instance runs its group’s current version (others are not counted)', () => {
    expect(() => checkRollFinished(upToDate(), r(1, 'sign-new'), GATE_CTX)).not.toThrow();
    const withLeaving = [...upToDate(), group('test-data-old', '7', ['6'], 'Terminating:Wait')];
    expect(() => checkRollFinished(withLeaving, r(1, 'sign-new'), GATE_CTX)).not.toThrow();
  });

  it.each([
    ['master', 0],
    ['data', 1],
    ['kibana', 2],
    ['logstash', 3],
  ])('refuses with one outdated %s instance, naming the group, the count and the fix', (role, index) => {
    const groups = upToDate();
    const g = groups[index]!;
    groups[index] = group(g.name, g.targetVersion, [
      String(Number(g.targetVersion) - 1),
      ...g.instances.slice(1).map((i) => i.launchTemplateVersion),
    ]);
    let error: unknown;
    try {
      checkRollFinished(groups, r(1, 'drop-old'), GATE_CTX);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CaRotationError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /^config\/environments\/test\.yaml: security\.caRotation: \{rotation: 1, phase: drop-old\} is refused: the previous phase's roll has not finished: 1 InService instance still runs an older launch template version in /,
    );
    expect(message).toContain(`test-${role} (1 not on version ${g.targetVersion})`);
    for (const other of groups.filter((_, i) => i !== index)) expect(message).not.toContain(other.name);
    expect(message).toMatch(/Fix: wait for the roll: elkctl roll status --env test .*; then deploy again\.$/);
  });

  it('counts every outdated instance, one without a launch template version too, and names each group', () => {
    const groups = [group('test-master', '4', ['3', '4', undefined]), group('test-data', '7', ['6', '6'])];
    expect(() => checkRollFinished(groups, r(1, 'sign-new'), GATE_CTX)).toThrow(
      /4 InService instances still run an older launch template version in test-data \(2 not on version 7\), test-master \(2 not on version 4\)/,
    );
  });

  it('refuses when no group is found: the check cannot run', () => {
    expect(() => checkRollFinished([], r(1, 'sign-new'), GATE_CTX)).toThrow(
      /no Auto Scaling group tagged elk-cdk:environment=test with elk-cdk:role master, data, kibana, logstash was found/,
    );
  });
});

describe('the cluster-CA handler’s roll gate', () => {
  const ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:elk/test/security/cluster-ca-AbCdEf';
  const sm = mockClient(SecretsManagerClient);
  const asg = mockClient(AutoScalingClient);
  const deps = (): Deps => ({
    secretsManager: new SecretsManagerClient({}),
    autoScaling: new AutoScalingClient({}),
    env: { CA_SECRET_ARN: ARN },
    now: () => NOW,
    log: () => undefined,
  });
  const update = (phase: CaRotationPhase): CloudFormationCustomResourceEvent => ({
    RequestType: 'Update',
    ServiceToken: 'x',
    ResponseURL: 'https://example.invalid',
    StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/s/1',
    RequestId: 'r-1',
    LogicalResourceId: 'ClusterCa',
    ResourceType: 'Custom::ElkClusterCa',
    PhysicalResourceId: PHYSICAL_ID,
    ResourceProperties: {
      ServiceToken: 'x',
      CommonName: BASE,
      Organization: 'elk-cdk',
      ValidityDays: '3650',
      Rotation: '1',
      Phase: phase,
      ConfigFile: 'config/environments/test.yaml',
      Environment: 'test',
    },
    OldResourceProperties: { ServiceToken: 'x' },
  });
  const asgGroup = (name: string, role: string, target: string, versions: string[]): AutoScalingGroup =>
    ({
      AutoScalingGroupName: name,
      LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: target },
      Tags: [{ Key: 'elk-cdk:role', Value: role }],
      Instances: versions.map((v, i) => ({
        InstanceId: `i-${name}-${i}`,
        LifecycleState: 'InService',
        HealthStatus: 'Healthy',
        AvailabilityZone: 'eu-west-1a',
        ProtectedFromScaleIn: false,
        LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: v },
      })),
    }) as AutoScalingGroup;
  beforeEach(() => {
    sm.reset();
    asg.reset();
    sm.on(PutSecretValueCommand).resolves({});
  });

  it('refuses sign-new while a Kibana instance still runs the previous version, and leaves the secret unchanged', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: secrets['trust-new'] });
    asg.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        asgGroup('test-master', 'master', '4', ['4', '4', '4']),
        asgGroup('test-data', 'data', '7', ['7', '7']),
        asgGroup('test-kibana', 'kibana', '3', ['2', '3']),
      ],
    });
    await expect(onEvent(update('sign-new'), deps())).rejects.toThrow(
      /is refused: the previous phase's roll has not finished: 1 InService instance still runs an older launch template version in test-kibana \(1 not on version 3\).*Fix: wait for the roll: elkctl roll status --env test/,
    );
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 0);
    // The groups are found by the environment and role tags, as `elkctl roll` finds them.
    expect(asg).toHaveReceivedCommandWith(DescribeAutoScalingGroupsCommand, {
      Filters: [
        { Name: `tag:${TAG_ENVIRONMENT}`, Values: ['test'] },
        { Name: `tag:${TAG_ROLE}`, Values: ['master', 'data', 'kibana', 'logstash'] },
      ],
    });
  });

  it('reads every page of groups: an outdated instance on the second page refuses drop-old', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: secrets['sign-new'] });
    asg
      .on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce({ AutoScalingGroups: [asgGroup('test-master', 'master', '5', ['5'])], NextToken: 'p2' })
      .resolvesOnce({ AutoScalingGroups: [asgGroup('test-data', 'data', '8', ['7', '8'])] });
    await expect(onEvent(update('drop-old'), deps())).rejects.toThrow(/test-data \(1 not on version 8\)/);
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 0);
  });

  it('moves forward once the roll is done: writes the phase change', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: secrets['trust-new'] });
    asg.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [asgGroup('test-master', 'master', '4', ['4']), asgGroup('test-data', 'data', '7', ['7'])],
    });
    await onEvent(update('sign-new'), deps());
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 1);
    expect(sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input.SecretString).toBe(secrets['sign-new']);
  });

  it('does not ask Auto Scaling for a first trust-new, a repeat or an undo', async () => {
    for (const [secret, phase] of [
      [secrets.none, 'trust-new'],
      [secrets['sign-new'], 'sign-new'],
      [secrets['sign-new'], 'trust-new'],
    ] as const) {
      sm.on(GetSecretValueCommand).resolves({ SecretString: secret });
      await onEvent(update(phase), deps());
    }
    expect(asg).toHaveReceivedCommandTimes(DescribeAutoScalingGroupsCommand, 0);
  });
});

describe('the CA function’s permission for the roll gate', () => {
  const statementsOf = (rotation?: CaRotation) => {
    const stack = new Stack(testApp(), 'S');
    new ClusterSecurity(stack, 'Security', { environmentName: 'test', ...(rotation ? { caRotation: rotation } : {}) });
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    return { stack, statements: Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement) };
  };

  it('with a rotation: DescribeAutoScalingGroups only (no resource scoping exists), acknowledged for cdk-nag', () => {
    const { stack, statements } = statementsOf(r(1, 'sign-new'));
    const autoscaling = statements.filter((s: { Action: string | string[] }) =>
      [s.Action].flat().some((a) => a.startsWith('autoscaling:')),
    );
    expect(autoscaling).toEqual([
      { Sid: 'CheckRollFinished', Effect: 'Allow', Action: 'autoscaling:DescribeAutoScalingGroups', Resource: '*' },
    ]);
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
    expect(report.violations.filter((v) => /IAM5/.test(v.ruleName) && /CaFunction/.test(JSON.stringify(v)))).toEqual(
      [],
    );
    const ca = Object.values(Template.fromStack(stack).findResources('Custom::ElkClusterCa'))[0]!;
    expect(ca.Properties).toMatchObject({ Rotation: '1', Phase: 'sign-new', Environment: 'test' });
  });

  it('without a rotation: no Auto Scaling permission, no Environment property', () => {
    const { stack, statements } = statementsOf();
    expect(JSON.stringify(statements)).not.toContain('autoscaling:');
    const ca = Object.values(Template.fromStack(stack).findResources('Custom::ElkClusterCa'))[0]!;
    expect(ca.Properties.Environment).toBeUndefined();
  });
});
