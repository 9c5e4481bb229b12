import { CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { resolveSignalUrl, signalUrlProblem } from '../../lambda/rolling-replacement/handlers/signal-url';

// Issue #13 (low): the WaitCondition's pre-signed URL is read from CloudFormation when the workflow signals (never a
// property or a log line) and PUT only to CloudFormation's wait-condition bucket of the stack's region.

const QUERY = '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=abc123';
const handle = (host: string) =>
  `https://${host}/arn%3Aaws%3Acloudformation%3Aeu-west-1%3A111%3Astack/x/y/WaitHandle${QUERY}`;

describe('signalUrlProblem', () => {
  test.each([
    ['the global endpoint of the region', 'cloudformation-waitcondition-eu-west-1.s3.amazonaws.com', 'eu-west-1'],
    ['the regional endpoint', 'cloudformation-waitcondition-eu-west-1.s3.eu-west-1.amazonaws.com', 'eu-west-1'],
    ['China', 'cloudformation-waitcondition-cn-north-1.s3.cn-north-1.amazonaws.com.cn', 'cn-north-1'],
  ])('accepts %s', (_name, host, region) => {
    expect(signalUrlProblem(handle(host), region)).toBeUndefined();
  });

  test.each([
    [
      'another region',
      handle('cloudformation-waitcondition-us-east-1.s3.amazonaws.com'),
      /us-east-1\.s3\.amazonaws\.com, not CloudFormation's bucket of eu-west-1/,
    ],
    ['another bucket', handle('attacker-bucket.s3.amazonaws.com'), /not CloudFormation's bucket/],
    [
      'a look-alike host',
      handle('cloudformation-waitcondition-eu-west-1.s3.amazonaws.com.evil.example'),
      /not CloudFormation's bucket/,
    ],
    [
      'plain http',
      handle('cloudformation-waitcondition-eu-west-1.s3.amazonaws.com').replace('https:', 'http:'),
      /http, not https/,
    ],
    [
      'credentials in the URL',
      handle('u:p@cloudformation-waitcondition-eu-west-1.s3.amazonaws.com'),
      /credentials or a port/,
    ],
    ['a port', handle('cloudformation-waitcondition-eu-west-1.s3.amazonaws.com:8443'), /credentials or a port/],
    ['no URL', 'not a url', /not a URL/],
  ])('refuses %s, without echoing the signature', (_name, url, reason) => {
    const problem = signalUrlProblem(url, 'eu-west-1');
    expect(problem).toMatch(reason);
    expect(problem).not.toContain('X-Amz-Signature');
  });

  test('refuses when the region is unknown (no AWS_REGION)', () => {
    expect(signalUrlProblem(handle('cloudformation-waitcondition-.s3.amazonaws.com'), '')).toMatch(/not an AWS region/);
  });
});

describe('resolveSignalUrl', () => {
  const cfn = mockClient(CloudFormationClient);
  beforeEach(() => cfn.reset());
  const stackId = 'arn:aws:cloudformation:eu-west-1:111111111111:stack/elk-prod-cluster/abc';

  test("reads the handle's URL (its physical id) from the stack and returns it when it is CloudFormation's", async () => {
    const url = handle('cloudformation-waitcondition-eu-west-1.s3.amazonaws.com');
    cfn.on(DescribeStackResourceCommand).resolves({ StackResourceDetail: { PhysicalResourceId: url } as never });
    await expect(
      resolveSignalUrl(new CloudFormationClient({}), { stackId, logicalId: 'RolloutWaitHandleAbc' }, 'eu-west-1'),
    ).resolves.toBe(url);
    expect(cfn.commandCalls(DescribeStackResourceCommand)[0]!.args[0].input).toEqual({
      StackName: stackId,
      LogicalResourceId: 'RolloutWaitHandleAbc',
    });
  });

  test('refuses a URL on another host, whether read from the stack or given by an older template', async () => {
    const bad = handle('attacker-bucket.s3.amazonaws.com');
    cfn.on(DescribeStackResourceCommand).resolves({ StackResourceDetail: { PhysicalResourceId: bad } as never });
    const client = new CloudFormationClient({});
    await expect(resolveSignalUrl(client, { stackId, logicalId: 'H' }, 'eu-west-1')).rejects.toThrow(
      /^refusing to signal: .*not CloudFormation's bucket of eu-west-1/,
    );
    await expect(resolveSignalUrl(client, { url: bad }, 'eu-west-1')).rejects.toThrow(/refusing to signal/);
    await expect(resolveSignalUrl(client, { url: bad }, 'eu-west-1')).rejects.not.toThrow(/X-Amz-Signature/);
  });
});
