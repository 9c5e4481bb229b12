import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  PutParameterCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { DeploymentProperties, DeploymentPropertiesSchema } from './contract';
import { currentBundleValue, deployCommands, goneReason, InvocationView, judgeInvocations } from './core';

/**
 * Custom::AlerterRuleDeployment handlers (Provider framework). onEvent sends the deploy command to the alerter
 * instance(s) through SSM Run Command; isComplete polls GetCommandInvocation until every instance reports, records
 * the deployed bundle in an SSM parameter (read at boot by a replacement instance) or fails the deployment with the
 * script's output.
 */

const ssm = new SSMClient({});
const autoscaling = new AutoScalingClient({});

/** The clock and the wait, replaceable in tests. */
export const deps = {
  now: (): number => Date.now(),
  sleep: (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms)),
  pollMs: 15000,
};

type Event = CloudFormationCustomResourceEvent & { PhysicalResourceId?: string; Data?: Record<string, string> };

function log(fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ handler: 'alerter-deploy', ...fields }));
}

function parseProps(event: Event): DeploymentProperties {
  const parsed = DeploymentPropertiesSchema.safeParse(event.ResourceProperties);
  if (!parsed.success) {
    throw new Error(
      `invalid Custom::AlerterRuleDeployment properties: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

function region(): string {
  const r = process.env.AWS_REGION;
  if (!r) throw new Error('AWS_REGION is not set');
  return r;
}

async function onlineInstances(asgName: string): Promise<string[]> {
  const groups = await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName] }));
  const inService = (groups.AutoScalingGroups?.[0]?.Instances ?? [])
    .filter((i) => i.LifecycleState === 'InService' && i.InstanceId)
    .map((i) => i.InstanceId!);
  if (inService.length === 0) return [];
  const info = await ssm.send(
    new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: inService }] }),
  );
  return (info.InstanceInformationList ?? [])
    .filter((i) => i.PingStatus === 'Online' && i.InstanceId)
    .map((i) => i.InstanceId!)
    .sort();
}

export async function onEvent(event: Event): Promise<Record<string, unknown>> {
  const physicalId = event.PhysicalResourceId ?? `alerter-rules-${event.LogicalResourceId}`;
  if (event.RequestType === 'Delete') {
    log({ decision: 'nothing-to-delete', reason: 'the instance goes with its Auto Scaling group' });
    return { PhysicalResourceId: physicalId };
  }
  const props = parseProps(event);
  const deadline = deps.now() + props.InstanceWaitSeconds * 1000;
  let instances = await onlineInstances(props.AutoScalingGroupName);
  while (instances.length === 0) {
    if (deps.now() >= deadline) {
      throw new Error(
        `no InService instance of ${props.AutoScalingGroupName} is online in SSM after ${props.InstanceWaitSeconds}s: check the group's activity history and that the instance reaches SSM (role AmazonSSMManagedInstanceCore, egress 443)`,
      );
    }
    log({ decision: 'wait', reason: 'no alerter instance online in SSM yet' });
    await deps.sleep(deps.pollMs);
    instances = await onlineInstances(props.AutoScalingGroupName);
  }
  const sent = await ssm.send(
    new SendCommandCommand({
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: instances,
      Comment: `elk-cdk alerter rules ${props.BundleHash.slice(0, 16)}`,
      TimeoutSeconds: 600,
      Parameters: {
        commands: deployCommands(props, region()),
        executionTimeout: [String(props.CommandTimeoutSeconds)],
      },
      // the whole output (GetCommandInvocation keeps only its first 24,000 characters)
      ...(props.CommandLogGroupName
        ? {
            CloudWatchOutputConfig: {
              CloudWatchOutputEnabled: true,
              CloudWatchLogGroupName: props.CommandLogGroupName,
            },
          }
        : {}),
    }),
  );
  const commandId = sent.Command?.CommandId;
  if (!commandId) throw new Error('SSM SendCommand returned no CommandId');
  log({ decision: 'sent', reason: `bundle ${props.BundleHash}`, commandId, instances });
  return { PhysicalResourceId: physicalId, Data: { CommandId: commandId, InstanceIds: instances.join(',') } };
}

async function invocation(commandId: string, instanceId: string): Promise<InvocationView> {
  try {
    const r = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
    return {
      instanceId,
      status: r.Status,
      statusDetails: r.StatusDetails,
      stdout: r.StandardOutputContent,
      stderr: r.StandardErrorContent,
    };
  } catch (e) {
    // right after SendCommand the invocation may not be registered yet: wait, never fail
    if ((e as { name?: string }).name === 'InvocationDoesNotExist') return { instanceId };
    throw e;
  }
}

/** The reason a pending instance will never answer (left the group, or offline in SSM), if one did. */
async function goneInstance(group: string, pending: readonly InvocationView[]): Promise<string | undefined> {
  if (pending.length === 0) return undefined;
  const groups = await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }));
  const members = new Map(
    (groups.AutoScalingGroups?.[0]?.Instances ?? []).map((i) => [i.InstanceId ?? '', i.LifecycleState]),
  );
  const ids = pending.map((v) => v.instanceId);
  const info = await ssm.send(
    new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: ids }] }),
  );
  const pings = new Map((info.InstanceInformationList ?? []).map((i) => [i.InstanceId ?? '', i.PingStatus]));
  for (const id of ids) {
    const reason = goneReason(id, members.get(id), pings.get(id), group);
    if (reason) return reason;
  }
  return undefined;
}

export async function isComplete(event: Event): Promise<{ IsComplete: boolean; Data?: Record<string, string> }> {
  if (event.RequestType === 'Delete') return { IsComplete: true };
  const props = parseProps(event);
  const commandId = event.Data?.CommandId;
  const instanceIds = (event.Data?.InstanceIds ?? '').split(',').filter((s) => s !== '');
  if (!commandId) throw new Error('isComplete received no CommandId from onEvent');
  const views = await Promise.all(instanceIds.map((id) => invocation(commandId, id)));
  const verdict = judgeInvocations(views, props.CommandLogGroupName);
  if (verdict.kind === 'pending') {
    const gone = await goneInstance(
      props.AutoScalingGroupName,
      views.filter((v) => v.status !== 'Success'),
    );
    if (gone) {
      log({ decision: 'failed', reason: gone });
      throw new Error(gone);
    }
  }
  log({ decision: verdict.kind, reason: verdict.reason });
  if (verdict.kind === 'pending') return { IsComplete: false };
  if (verdict.kind === 'failed') throw new Error(verdict.reason);
  await ssm.send(
    new PutParameterCommand({
      Name: props.CurrentBundleParameter,
      Value: JSON.stringify(currentBundleValue(props)),
      Type: 'String',
      Overwrite: true,
    }),
  );
  return { IsComplete: true, Data: { BundleHash: props.BundleHash } };
}
