/**
 * Where a WaitCondition signal goes (issue #13): the handle's pre-signed URL is never a property, a workflow state or a
 * log line; the workflow reads it from CloudFormation (the handle's physical id) when it signals, and PUTs only to
 * the CloudFormation wait-condition bucket of the stack's own region.
 */
import { CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';

/** What the rollout properties name: the handle by stack and logical id (or, in older templates, its URL). */
export type SignalTarget = { readonly stackId: string; readonly logicalId: string } | { readonly url: string };

/**
 * Why `url` is not a WaitCondition handle URL of `region`, or undefined when it is: https, no port or credentials, on
 * `cloudformation-waitcondition-<region>.s3.amazonaws.com` or `….s3.<region>.amazonaws.com` (`.com.cn` in China).
 * Never echoes the URL (its query is a credential).
 */
export function signalUrlProblem(url: string, region: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'the WaitCondition handle is not a URL';
  }
  if (!/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/.test(region)) return `"${region}" is not an AWS region`;
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  const bucket = `cloudformation-waitcondition-${region}`;
  const hosts = [`${bucket}.s3.${suffix}`, `${bucket}.s3.${region}.${suffix}`];
  if (u.protocol !== 'https:') return `the WaitCondition handle is ${u.protocol.replace(':', '')}, not https`;
  if (u.username || u.password || u.port) return 'the WaitCondition handle URL carries credentials or a port';
  if (!hosts.includes(u.hostname))
    return `the WaitCondition handle is on ${u.hostname}, not CloudFormation's bucket of ${region} (${hosts[0]})`;
  return undefined;
}

/** The URL to PUT the signal to, checked; throws (without the URL) when it is not CloudFormation's of `region`. */
export async function resolveSignalUrl(
  cfn: Pick<CloudFormationClient, 'send'>,
  target: SignalTarget,
  region: string,
): Promise<string> {
  let url: string | undefined;
  if ('url' in target) url = target.url;
  else {
    const r = await cfn.send(
      new DescribeStackResourceCommand({ StackName: target.stackId, LogicalResourceId: target.logicalId }),
    );
    url = r.StackResourceDetail?.PhysicalResourceId;
    if (!url) throw new Error(`WaitCondition handle ${target.logicalId} has no URL (not created yet?)`);
  }
  const problem = signalUrlProblem(url, region);
  if (problem) throw new Error(`refusing to signal: ${problem}`);
  return url;
}
