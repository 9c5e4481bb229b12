import {
  AutoScalingClient,
  CreateOrUpdateTagsCommand,
  DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import * as fs from 'fs';
import * as path from 'path';
import {
  awsTarget,
  orchestratorSecretId,
  regionOf,
  rollMark,
  rollWait,
  type RollTarget,
} from '../../lib/rolling-replacement/rollctl';
import { PROJECT_ROOT } from '../helpers/app';

const asg = mockClient(AutoScalingClient);
const sm = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
afterAll(() => [asg, sm, ssm].forEach((m) => m.restore()));
beforeEach(() => [asg, sm, ssm].forEach((m) => m.reset()));

const group = (name: string, role: string, tags: Record<string, string>, versions: string[] = ['2']) => ({
  AutoScalingGroupName: name,
  MinSize: 0,
  MaxSize: 9,
  DesiredCapacity: versions.length,
  AvailabilityZones: ['eu-west-1a'],
  LaunchTemplate: { LaunchTemplateId: `lt-${role}`, Version: '2' },
  Tags: [{ Key: 'elk-cdk:role', Value: role }, ...Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))],
  Instances: versions.map((v, i) => ({
    InstanceId: `i-${role}${i}`,
    AvailabilityZone: 'eu-west-1a',
    LifecycleState: 'InService',
    HealthStatus: 'Healthy',
    ProtectedFromScaleIn: false,
    LaunchTemplate: { LaunchTemplateId: `lt-${role}`, Version: v },
  })),
});

describe('elkctl roll against AWS', () => {
  test('pause writes a tag on the data group and needs no Elasticsearch credentials', async () => {
    asg
      .on(DescribeAutoScalingGroupsCommand)
      .resolves({ AutoScalingGroups: [group('data-g', 'data', { 'elk-cdk:rollout': 'r1' })] as never });
    asg.on(CreateOrUpdateTagsCommand).resolves({});
    const t = await awsTarget({ env: 'staging', dataGroup: 'data-g', masterGroup: 'master-g', elasticsearch: false });
    try {
      expect(await rollMark(t, 'pause')).toMatch(/data-g: paused/);
    } finally {
      await t.close();
    }
    expect(asg).toHaveReceivedCommandWith(CreateOrUpdateTagsCommand, {
      Tags: [expect.objectContaining({ ResourceId: 'data-g', Key: 'elk-cdk:rollout-paused', Value: 'true' })],
    });
    expect(sm).not.toHaveReceivedAnyCommand();
    expect(ssm).not.toHaveReceivedAnyCommand();
  });

  test("status reads the orchestrator's secret by the stack's name, in the environment's region", async () => {
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'pem' } });
    // Direct (--es-url, from inside the VPC); without it the command reads through the reconcile function.
    await expect(
      awsTarget({
        env: 'staging',
        dataGroup: 'd',
        masterGroup: 'm',
        esUrl: 'https://elasticsearch.staging.elk.internal:9200',
      }),
    ).rejects.toThrow();
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: 'elk/staging/users/orchestrator' });
    expect(await sm.call(0).thisValue.config.region()).toBe('eu-west-1');
  });

  test('the default secret id is the name the cluster stack gives the user secret', () => {
    expect(orchestratorSecretId('staging')).toBe('elk/staging/users/orchestrator');
    const security = fs.readFileSync(path.join(PROJECT_ROOT, 'lib', 'security', 'ClusterSecurity.ts'), 'utf8');
    expect(security).toContain('secretName: `elk/${env}/users/${user}`');
  });

  test('region: the configured one, else AWS_REGION, else a clear error', () => {
    expect(regionOf('staging', 'eu-west-1', { AWS_REGION: 'us-east-1' })).toBe('eu-west-1');
    expect(regionOf('dev', undefined, { AWS_REGION: 'us-east-1' })).toBe('us-east-1');
    expect(() => regionOf('dev', undefined, {})).toThrow(/environment dev has no region.*AWS_REGION/);
  });
});

describe('roll wait', () => {
  /** A target whose fleet answers from a script of describe results (or errors), one per poll. */
  function scripted(steps: Array<Array<ReturnType<typeof group>> | Error>): { t: RollTarget; sleeps: number[] } {
    let now = 0;
    let i = 0;
    const sleeps: number[] = [];
    const t = {
      spec: { groups: { data: 'data-g', master: 'master-g' } },
      model: { pollSeconds: 60 },
      fleet: {
        describeGroups: async () => {
          const step = steps[Math.min(i++, steps.length - 1)]!;
          if (step instanceof Error) throw step;
          return step.map((g) => ({
            name: g.AutoScalingGroupName,
            tags: Object.fromEntries(g.Tags.map((x) => [x.Key, x.Value])),
            targetLaunchTemplateVersion: '2',
            instances: g.Instances.map((x) => ({
              lifecycleState: x.LifecycleState,
              launchTemplateVersion: x.LaunchTemplate.Version,
            })),
          }));
        },
      },
      now: () => now,
      sleep: async (s: number) => {
        sleeps.push(s);
        now += s;
      },
    } as unknown as RollTarget;
    return { t, sleeps };
  }
  const running = (id: string, versions: string[]) => [
    group('data-g', 'data', { 'elk-cdk:rollout': id }, versions),
    group('master-g', 'master', { 'elk-cdk:rollout': id }),
  ];
  const done = (result: string) => [
    group('data-g', 'data', { 'elk-cdk:rollout-result': result }),
    group('master-g', 'master', {}),
  ];

  test('prints progress while it waits and ends with the result of the rollout it waited for', async () => {
    const out: string[] = [];
    const { t } = scripted([running('r7', ['1', '1']), running('r7', ['2', '1']), done('completed:r7')]);
    expect(await rollWait(t, { timeoutSeconds: 3600, out: (s) => out.push(s) })).toBe(0);
    expect(out).toEqual([
      '+0 min  rollout r7: 1/3 nodes on the new launch template\n',
      '+1 min  rollout r7: 2/3 nodes on the new launch template\n',
      'rollout completed (completed:r7)\n',
    ]);
  });

  test("another rollout's result does not count: --rollout-id waits for its own", async () => {
    const out: string[] = [];
    const { t } = scripted([done('completed:r6'), running('r7', ['1']), done('failed:r7')]);
    expect(await rollWait(t, { timeoutSeconds: 3600, rolloutId: 'r7', out: (s) => out.push(s) })).toBe(1);
    expect(out[0]).toContain('waiting for rollout r7 (no rollout in progress; last result: completed:r6)');
    expect(out.at(-1)).toBe('rollout failed (failed:r7)\n');
  });

  test('after the deploy (--cdk-out): no lock and every node on the new launch template ends the wait of a rollout that wrote no result', async () => {
    // A rollout that finds nothing to replace ends without a result tag: the wait must not run to its timeout.
    const out: string[] = [];
    const { t } = scripted([done('completed:r6')]);
    expect(
      await rollWait(t, { timeoutSeconds: 3600, rolloutId: 'r7', afterDeploy: true, out: (s) => out.push(s) }),
    ).toBe(0);
    expect(out).toEqual(['rollout r7 completed (nothing left to replace: every node on the new launch template)\n']);
    // Nodes still on the old launch template before the lock is taken (the pre-roll snapshot): it keeps waiting.
    const outdated = [
      group('data-g', 'data', { 'elk-cdk:rollout-result': 'completed:r6' }, ['1', '2']),
      group('master-g', 'master', {}),
    ];
    const later = scripted([outdated, running('r7', ['1', '2']), done('failed:r7')]);
    const lines: string[] = [];
    expect(
      await rollWait(later.t, { timeoutSeconds: 3600, rolloutId: 'r7', afterDeploy: true, out: (s) => lines.push(s) }),
    ).toBe(1);
    expect(lines[0]).toContain('waiting for rollout r7 (no rollout in progress; last result: completed:r6)');
    expect(lines.at(-1)).toBe('rollout failed (failed:r7)\n');
    // Without afterDeploy (a --rollout-id given before the deploy), only the rollout's result counts.
    const strict = scripted([done('completed:r6')]);
    expect(await rollWait(strict.t, { timeoutSeconds: 120, rolloutId: 'r7', out: () => undefined })).toBe(3);
  });

  test('describe errors are not "still running": expired credentials end the wait at once, others after retries', async () => {
    const expired = Object.assign(new Error('The security token included in the request is expired'), {
      name: 'ExpiredTokenException',
    });
    await expect(
      rollWait(scripted([running('r7', ['1']), expired]).t, { timeoutSeconds: 43200, out: () => undefined }),
    ).rejects.toThrow(/expired/);
    const flaky = scripted([running('r7', ['1']), new Error('socket hang up')]);
    await expect(rollWait(flaky.t, { timeoutSeconds: 43200, out: () => undefined })).rejects.toThrow(/socket hang up/);
    expect(flaky.sleeps).toHaveLength(3);
  });
});
