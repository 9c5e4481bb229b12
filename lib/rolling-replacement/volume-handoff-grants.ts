import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import {
  DATA_VOLUME_GROUP,
  VOLUME_TAG_DETACHED_AT,
  VOLUME_TAG_DETACHED_FROM,
  VOLUME_TAG_ENVIRONMENT,
  VOLUME_TAG_GROUP,
} from '../../lambda/shared/data-volume';
import { nagText } from './RollingReplacement';

/** The data volume handoff the orchestrator performs (adapters/volume-handoff.ts). */
export interface DataVolumeHandoff {
  /** Mount point of the data volume on the nodes (the stop command unmounts it). */
  readonly dataPath: string;
}

/** The reconcile Lambdas' environment for the handoff (contract.ts: DATA_VOLUME_*). */
export const handoffEnvironment = (environment: string, v: DataVolumeHandoff): Record<string, string> => ({
  DATA_VOLUME_ENVIRONMENT: environment,
  DATA_VOLUME_PATH: v.dataPath,
});

/**
 * What the orchestrator's role needs for a volume handoff, and nothing of another environment: Run Command's
 * AWS-RunShellScript on this environment's data instances only (by tag), detach of this environment's data volumes
 * from those instances, two tags on those volumes (when and from where they were detached). DescribeVolumes and the
 * command status reads support no resource-level permissions.
 */
export function grantVolumeHandoff(scope: IConstruct, role: iam.Role, environment: string): void {
  const stack = Stack.of(scope);
  const instances = stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' });
  const volumes = stack.formatArn({ service: 'ec2', resource: 'volume', resourceName: '*' });
  const dataInstance = {
    [`aws:ResourceTag/${VOLUME_TAG_ENVIRONMENT}`]: environment,
    'aws:ResourceTag/elk-cdk:role': 'data',
  };
  const dataVolume = {
    [`aws:ResourceTag/${VOLUME_TAG_ENVIRONMENT}`]: environment,
    [`aws:ResourceTag/${VOLUME_TAG_GROUP}`]: DATA_VOLUME_GROUP,
  };
  const runShellScript = stack.formatArn({
    service: 'ssm',
    account: '',
    resource: 'document',
    resourceName: 'AWS-RunShellScript',
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
  const statements = [
    new iam.PolicyStatement({
      sid: 'HandoffReadVolumesAndCommands',
      actions: ['ec2:DescribeVolumes', 'ssm:ListCommandInvocations', 'ssm:GetCommandInvocation'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'HandoffStopCommandDocument',
      actions: ['ssm:SendCommand'],
      resources: [runShellScript],
    }),
    new iam.PolicyStatement({
      sid: 'HandoffStopCommandOnDataNodes',
      actions: ['ssm:SendCommand'],
      resources: [instances],
      conditions: {
        StringEquals: {
          [`ssm:resourceTag/${VOLUME_TAG_ENVIRONMENT}`]: environment,
          'ssm:resourceTag/elk-cdk:role': 'data',
        },
      },
    }),
    new iam.PolicyStatement({
      sid: 'HandoffDetachFromDataNodes',
      actions: ['ec2:DetachVolume'],
      resources: [instances],
      conditions: { StringEquals: dataInstance },
    }),
    new iam.PolicyStatement({
      sid: 'HandoffDetachDataVolumes',
      actions: ['ec2:DetachVolume'],
      resources: [volumes],
      conditions: { StringEquals: dataVolume },
    }),
    new iam.PolicyStatement({
      sid: 'HandoffTagDetachedVolumes',
      actions: ['ec2:CreateTags'],
      resources: [volumes],
      conditions: {
        StringEquals: dataVolume,
        'ForAllValues:StringEquals': { 'aws:TagKeys': [VOLUME_TAG_DETACHED_AT, VOLUME_TAG_DETACHED_FROM] },
      },
    }),
  ];
  for (const s of statements) role.addToPrincipalPolicy(s);
  const v = Validations.of(role);
  for (const arn of [instances, volumes, runShellScript]) {
    v.acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagText(stack.resolve(arn))}]`,
      reason:
        "Volume handoff: instances and volumes are limited by tag conditions to this environment's data nodes and data volumes (ids are not known at synth).",
    });
  }
}
