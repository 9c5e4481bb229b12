import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  InvocationDoesNotExist,
  PutParameterCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { deps, isComplete, onEvent } from '../../lambda/alerter-deploy';
import { judgeInvocations, tail } from '../../lambda/alerter-deploy/core';

const ssm = mockClient(SSMClient);
const asg = mockClient(AutoScalingClient);

const HASH = 'a'.repeat(64);
const props = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:1:function:x',
  AutoScalingGroupName: 'elk-test-alerter',
  BundleS3Url: 's3://assets/bundle.tar',
  BundleHash: HASH,
  RuleHashes: { 'Error log spike': '0123456789abcdef' },
  ScriptS3Url: 's3://assets/deploy-rules.sh',
  ScriptSha256: 'c'.repeat(64),
  CurrentBundleParameter: '/elk/test/alerter/current-bundle',
  EsHost: 'es.test.internal',
  CredentialsSecretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:elastalert',
  CaParameterName: '/elk/test/ca/certificate',
  CommandTimeoutSeconds: '1500',
  InstanceWaitSeconds: '60',
};

function event(type: 'Create' | 'Update' | 'Delete', data?: Record<string, string>) {
  return {
    RequestType: type,
    ServiceToken: props.ServiceToken,
    ResponseURL: 'https://example.invalid',
    StackId: 'arn:aws:cloudformation:eu-west-1:1:stack/s/1',
    RequestId: 'r1',
    LogicalResourceId: 'RuleDeployment',
    ResourceType: 'Custom::AlerterRuleDeployment',
    ResourceProperties: props,
    ...(type !== 'Create' ? { PhysicalResourceId: 'alerter-rules-RuleDeployment', OldResourceProperties: props } : {}),
    ...(data ? { Data: data } : {}),
  } as never;
}

function groupWith(...instances: string[]) {
  asg.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'elk-test-alerter',
        Instances: instances.map((id) => ({ InstanceId: id, LifecycleState: 'InService' })),
      } as never,
    ],
  });
}

let clock = 0;
beforeEach(() => {
  ssm.reset();
  asg.reset();
  process.env.AWS_REGION = 'eu-west-1';
  clock = 0;
  deps.now = () => clock;
  deps.sleep = async (ms) => {
    clock += ms;
  };
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

describe('onEvent', () => {
  test('sends the deploy command to the online instance with the bundle, hash and secrets locations', async () => {
    groupWith('i-1');
    ssm
      .on(DescribeInstanceInformationCommand)
      .resolves({ InstanceInformationList: [{ InstanceId: 'i-1', PingStatus: 'Online' }] });
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
    const r = await onEvent(event('Update'));
    expect(r).toEqual({
      PhysicalResourceId: 'alerter-rules-RuleDeployment',
      Data: { CommandId: 'cmd-1', InstanceIds: 'i-1' },
    });
    const sent = ssm.commandCalls(SendCommandCommand)[0]!.args[0].input;
    expect(sent.DocumentName).toBe('AWS-RunShellScript');
    expect(sent.InstanceIds).toEqual(['i-1']);
    expect(sent.Parameters!.executionTimeout).toEqual(['1500']);
    const script = sent.Parameters!.commands!.join('\n');
    expect(script).toContain(
      `/opt/elk-alerter/bin/deploy-rules.sh --bundle 's3://assets/bundle.tar' --sha256 ${HASH} --es-host 'es.test.internal' --ca-parameter '/elk/test/ca/certificate' --region 'eu-west-1' --credentials-secret 'arn:aws:secretsmanager:eu-west-1:1:secret:elastalert'`,
    );
    expect(script).toContain("s3 cp --only-show-errors 's3://assets/deploy-rules.sh'");
  });

  test('waits for an instance to come online in SSM, then sends', async () => {
    groupWith('i-2');
    ssm
      .on(DescribeInstanceInformationCommand)
      .resolvesOnce({ InstanceInformationList: [] })
      .resolvesOnce({ InstanceInformationList: [{ InstanceId: 'i-2', PingStatus: 'ConnectionLost' }] })
      .resolves({ InstanceInformationList: [{ InstanceId: 'i-2', PingStatus: 'Online' }] });
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-2' } });
    await onEvent(event('Create'));
    expect(ssm).toHaveReceivedCommandTimes(DescribeInstanceInformationCommand, 3);
    expect(ssm).toHaveReceivedCommandWith(SendCommandCommand, { InstanceIds: ['i-2'] });
  });

  test('fails with a clear message when no instance comes online in time', async () => {
    groupWith();
    await expect(onEvent(event('Create'))).rejects.toThrow(
      'no InService instance of elk-test-alerter is online in SSM after 60s',
    );
    expect(ssm).not.toHaveReceivedCommand(SendCommandCommand);
  });

  test('Delete does nothing', async () => {
    expect(await onEvent(event('Delete'))).toEqual({ PhysicalResourceId: 'alerter-rules-RuleDeployment' });
    expect(ssm).not.toHaveReceivedAnyCommand();
  });
});

describe('isComplete', () => {
  const data = { CommandId: 'cmd-1', InstanceIds: 'i-1' };

  test('pending while the invocation is not registered yet or in progress', async () => {
    groupWith('i-1');
    ssm
      .on(DescribeInstanceInformationCommand)
      .resolves({ InstanceInformationList: [{ InstanceId: 'i-1', PingStatus: 'Online' }] });
    ssm.on(GetCommandInvocationCommand).rejectsOnce(new InvocationDoesNotExist({ message: 'x', $metadata: {} }));
    expect(await isComplete(event('Update', data))).toEqual({ IsComplete: false });
    ssm.on(GetCommandInvocationCommand).resolves({ Status: 'InProgress' });
    expect(await isComplete(event('Update', data))).toEqual({ IsComplete: false });
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand);
  });

  test('success records the deployed bundle for instances that boot later', async () => {
    ssm.on(GetCommandInvocationCommand).resolves({ Status: 'Success', StandardOutputContent: 'DEPLOYED' });
    expect(await isComplete(event('Update', data))).toEqual({ IsComplete: true, Data: { BundleHash: HASH } });
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: '/elk/test/alerter/current-bundle',
      Overwrite: true,
      Value: JSON.stringify({
        bundle: 's3://assets/bundle.tar',
        sha256: HASH,
        script: 's3://assets/deploy-rules.sh',
        scriptSha256: 'c'.repeat(64),
        esHost: 'es.test.internal',
      }),
    });
  });

  test('failure fails the deployment with the end of the output, within the response limit', async () => {
    const long = Array.from({ length: 400 }, (_, i) => `line ${i} of verbose output`).join('\n');
    ssm.on(GetCommandInvocationCommand).resolves({
      Status: 'Failed',
      StatusDetails: 'Failed',
      StandardOutputContent: `${long}\n[deploy-rules] DEPLOY FAILED: the log does not say "3 rules loaded"`,
      StandardErrorContent: '',
    });
    const err = (await isComplete(event('Update', data)).catch((e: Error) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(
      /^rule deployment on i-1 ended Failed: DEPLOY FAILED: the log does not say "3 rules loaded"/,
    );
    expect(err.message).toContain('STATE unknown');
    expect(err.message).not.toContain('line 0 of');
    expect(err.message).not.toContain('\n');
    expect(Buffer.byteLength(err.message)).toBeLessThanOrEqual(1500);
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand);
  });

  test('a command that timed out fails the deployment', async () => {
    ssm.on(GetCommandInvocationCommand).resolves({ Status: 'TimedOut', StandardOutputContent: 'waiting for status' });
    await expect(isComplete(event('Create', data))).rejects.toThrow(/^rule deployment on i-1 timed out/);
  });

  test('Delete completes at once', async () => {
    expect(await isComplete(event('Delete'))).toEqual({ IsComplete: true });
  });
});

describe('judgeInvocations', () => {
  test.each<[string, Array<{ instanceId: string; status?: string }>, string]>([
    ['all succeeded: success', [{ instanceId: 'a', status: 'Success' }], 'success'],
    [
      'one still running: pending',
      [
        { instanceId: 'a', status: 'Success' },
        { instanceId: 'b', status: 'InProgress' },
      ],
      'pending',
    ],
    [
      'one failed while another runs: failed',
      [
        { instanceId: 'a', status: 'Failed' },
        { instanceId: 'b', status: 'InProgress' },
      ],
      'failed',
    ],
    ['cancelled: failed', [{ instanceId: 'a', status: 'Cancelled' }], 'failed'],
    ['not registered yet: pending', [{ instanceId: 'a' }], 'pending'],
    ['no instance: failed', [], 'failed'],
  ])('%s', (_l, views, kind) => {
    expect(judgeInvocations(views).kind).toBe(kind);
  });

  test('tail keeps short text as is', () => {
    expect(tail('short', 100)).toBe('short');
  });
});

describe('the handler bundle', () => {
  test('bundles with the local esbuild like NodejsFunction does (SDK external, everything else inside)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as typeof import('esbuild');
    const out = esbuild.buildSync({
      entryPoints: [require.resolve('../../lambda/alerter-deploy/index.ts')],
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      minify: true,
      external: ['@aws-sdk/*'],
      write: false,
    });
    const code = out.outputFiles[0]!.text;
    expect(code).toMatch(/onEvent/);
    expect(code).toMatch(/isComplete/);
    expect(code).not.toMatch(/require\("zod"\)/);
    expect(code).toMatch(/require\("@aws-sdk\/client-ssm"\)/);
  });
});
