import { createHash } from 'crypto';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { isComplete, onEvent } from '../../lambda/alerter-deploy';
import { DeploymentPropertiesSchema } from '../../lambda/alerter-deploy/contract';
import { deployCommands, failureReason, MAX_REASON_BYTES } from '../../lambda/alerter-deploy/core';

/** What the operator sees when a deployment fails (issue #22): one short line, the final state, never a hang. */

const ssm = mockClient(SSMClient);
const asg = mockClient(AutoScalingClient);
const HASH = 'b'.repeat(64);
const props = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:1:function:x',
  AutoScalingGroupName: 'elk-test-alerter',
  BundleS3Url: 's3://assets/bundle.tar',
  BundleHash: HASH,
  RuleHashes: {},
  ScriptS3Url: 's3://assets/deploy-rules.sh',
  ScriptSha256: 'c'.repeat(64),
  CurrentBundleParameter: '/elk/test/alerter/current-bundle',
  EsHost: 'es.test.internal',
  CredentialsSecretArn: '',
  CaParameterName: '/elk/test/ca',
  CommandTimeoutSeconds: '1500',
  CommandLogGroupName: '/elk/test/alerter/deploy-commands',
  InstanceWaitSeconds: '60',
};
const event = (data?: Record<string, string>) =>
  ({
    RequestType: 'Update',
    ResourceProperties: props,
    PhysicalResourceId: 'p',
    LogicalResourceId: 'RuleDeployment',
    ...(data ? { Data: data } : {}),
  }) as never;
const data = { CommandId: 'cmd-1', InstanceIds: 'i-1' };

function instance(lifecycle: string | undefined, ping: string) {
  asg.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'elk-test-alerter',
        Instances: lifecycle ? [{ InstanceId: 'i-1', LifecycleState: lifecycle }] : [],
      } as never,
    ],
  });
  ssm
    .on(DescribeInstanceInformationCommand)
    .resolves({ InstanceInformationList: [{ InstanceId: 'i-1', PingStatus: ping as never }] });
}

beforeEach(() => {
  ssm.reset();
  asg.reset();
  process.env.AWS_REGION = 'eu-west-1';
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

describe('the failure reason', () => {
  test('a long failure output gives one line of at most 1.5 KB that quotes the final STATE line', async () => {
    const noise = Array.from({ length: 3000 }, (_, i) => `[deploy-rules 10:00:00] step ${i} ${'x'.repeat(50)}`).join(
      '\n',
    );
    const stdout =
      '[deploy-rules 10:09:59] DEPLOY FAILED: no new elastalert_status document within 180s for: "A"\n' +
      'STATE: rolled back: the previous release /opt/elk-alerter/releases/abc runs (bundle 123)\n' +
      `--- full output ---\n${noise}`;
    ssm
      .on(GetCommandInvocationCommand)
      .resolves({ Status: 'Failed', StatusDetails: 'Failed', StandardOutputContent: stdout });
    const err = (await isComplete(event(data)).catch((e: Error) => e)) as Error;
    expect(err.message).not.toContain('\n');
    expect(Buffer.byteLength(err.message)).toBeLessThanOrEqual(MAX_REASON_BYTES);
    expect(err.message).toBe(
      'rule deployment on i-1 ended Failed: DEPLOY FAILED: no new elastalert_status document within 180s for: "A" ' +
        '"STATE: rolled back: the previous release /opt/elk-alerter/releases/abc runs (bundle 123)". ' +
        'Full output: CloudWatch Logs /elk/test/alerter/deploy-commands.',
    );
  });

  test('a huge reason is cut, the STATE line is kept', () => {
    const r = failureReason({
      instanceId: 'i-1',
      status: 'Failed',
      stdout: `DEPLOY FAILED: ${'y'.repeat(5000)}\nSTATE: ALERTER STOPPED: first deployment failed`,
    });
    expect(Buffer.byteLength(r)).toBeLessThanOrEqual(MAX_REASON_BYTES);
    expect(r).toContain('"STATE: ALERTER STOPPED: first deployment failed"');
    expect(r).toContain('[…]');
  });

  test('a timeout without a STATE line never claims the previous rules run', () => {
    const r = failureReason({ instanceId: 'i-1', status: 'TimedOut', stdout: 'waiting for status' });
    expect(r).toMatch(/^rule deployment on i-1 timed out: no DEPLOY FAILED line .*STATE unknown/);
    expect(r).not.toMatch(/previous rules/);
  });
});

describe('an instance gone mid-command fails at once', () => {
  test.each([
    ['Terminating', 'Online', /the instance is Terminating in elk-test-alerter/],
    [undefined, 'ConnectionLost', /the instance is no longer in elk-test-alerter/],
    ['InService', 'ConnectionLost', /is ConnectionLost in SSM/],
  ])('lifecycle %s, ping %s', async (lifecycle, ping, message) => {
    instance(lifecycle, ping);
    ssm.on(GetCommandInvocationCommand).resolves({ Status: 'InProgress' });
    await expect(isComplete(event(data))).rejects.toThrow(message);
  });

  test('still InService and online: pending', async () => {
    instance('InService', 'Online');
    ssm.on(GetCommandInvocationCommand).resolves({ Status: 'InProgress' });
    expect(await isComplete(event(data))).toEqual({ IsComplete: false });
  });
});

test('the command sends its whole output to CloudWatch Logs', async () => {
  instance('InService', 'Online');
  ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
  await onEvent({ ...(event() as object), RequestType: 'Create' } as never);
  expect(ssm).toHaveReceivedCommandWith(SendCommandCommand, {
    CloudWatchOutputConfig: {
      CloudWatchOutputEnabled: true,
      CloudWatchLogGroupName: '/elk/test/alerter/deploy-commands',
    },
  });
});

describe('the command lines on the instance (run with a stubbed aws)', () => {
  function run(scriptInS3: string | undefined, installed: boolean, pinned = scriptInS3) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-cmd-'));
    const root = path.join(dir, 'root');
    const s3 = path.join(dir, 's3', 'assets');
    const state = path.join(dir, 'state');
    for (const d of [path.join(root, 'bin'), s3, state]) fs.mkdirSync(d, { recursive: true });
    if (scriptInS3) fs.writeFileSync(path.join(s3, 'deploy-rules.sh'), scriptInS3);
    if (installed)
      fs.writeFileSync(path.join(root, 'bin', 'deploy-rules.sh'), '#!/bin/sh\necho old\n', { mode: 0o755 });
    const sha = createHash('sha256')
      .update(pinned ?? '')
      .digest('hex');
    const lines = deployCommands(DeploymentPropertiesSchema.parse({ ...props, ScriptSha256: sha }), 'eu-west-1').map(
      (l) => l.replaceAll('/opt/elk-alerter', root),
    );
    const r = spawnSync('bash', ['-c', lines.join('\n')], {
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: `${path.join(__dirname, 'stubs')}:${process.env.PATH}`,
        STUB_STATE: state,
        STUB_S3: path.join(dir, 's3'),
      },
    });
    fs.rmSync(dir, { recursive: true, force: true });
    return r;
  }

  test('a failed first download of the script: DEPLOY FAILED, state unchanged', () => {
    const r = run(undefined, false);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      'DEPLOY FAILED: the deploy script s3://assets/deploy-rules.sh could not be downloaded or does not match its pinned sha256',
    );
    expect(r.stdout.trim().split('\n').pop()).toBe('STATE: unchanged: nothing was changed on the instance');
  });

  test('the final DEPLOY FAILED and STATE lines come first, the whole output after them', () => {
    const script = [
      '#!/bin/bash',
      'for i in $(seq 1 2000); do echo "[deploy-rules] step $i"; done',
      'echo "[deploy-rules 10:00:00] DEPLOY FAILED: boom"',
      'echo "STATE: rolled back: previous runs"',
      'echo "deadline=$ELK_DEADLINE_SECONDS"',
      'exit 1',
    ].join('\n');
    const r = run(script, false);
    expect(r.status).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      '[deploy-rules 10:00:00] DEPLOY FAILED: boom',
      'STATE: rolled back: previous runs',
      '--- full output ---',
    ]);
    expect(r.stdout).toContain('[deploy-rules] step 2000');
    expect(r.stdout).toContain('deadline=1380');
  });

  test('a failed download never falls back to the installed script', () => {
    const r = run(undefined, true, '#!/bin/sh\necho old\n');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('DEPLOY FAILED: the deploy script');
    expect(r.stdout).not.toContain('old');
  });

  test('a downloaded script that does not match its pinned sha256 is not run (and not installed)', () => {
    const r = run('#!/bin/sh\necho altered\n', true, '#!/bin/sh\necho the reviewed one\n');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('does not match its pinned sha256');
    expect(r.stdout).not.toContain('altered');
    expect(r.stdout.trim().split('\n').pop()).toBe('STATE: unchanged: nothing was changed on the instance');
  });

  test('a script matching its pin runs', () => {
    const r = run('#!/bin/sh\necho "STATE: deployed"\n', false);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('STATE: deployed');
  });
});
