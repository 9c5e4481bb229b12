import { Stack, Tags, Validations } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import {
  DATA_VOLUME_GROUP,
  GROUP_TAG_DATA_VOLUMES,
  VOLUME_TAG_ATTACHED_TO,
  VOLUME_TAG_ENVIRONMENT,
  VOLUME_TAG_FORMATTED,
  VOLUME_TAG_GROUP,
  VOLUME_TAG_SPEC,
  VOLUME_TAG_ZONE,
  volumeSpec,
} from '../../lambda/shared/data-volume';
import { nagText } from '../rolling-replacement/RollingReplacement';
import { TAG_ROLE } from './contract';

/**
 * Data volumes that outlive their instances (issue 17, volume handoff). A data node's volume is its own EBS volume:
 * not a launch-template block device (deleted with the instance), and not a CloudFormation resource either (a fixed
 * count per zone in the template would have to follow every scaling and every zone Auto Scaling picks). The booting
 * node attaches a free volume of its environment, group, zone and spec, or creates one
 * (scripts/node/es-data-volume-attach.sh); the orchestrator detaches it on a handoff (adapters/volume-handoff.ts).
 * Tags and values: lambda/shared/data-volume.ts.
 */
export interface DataVolumeSettings {
  readonly environment: string;
  readonly sizeGb: number;
  /** @default gp3 */
  readonly type?: string;
  /** The environment's key; every data volume is encrypted with it. @default - the account's default EBS key */
  readonly key?: kms.IKey;
}

/** `<type>/<size>/<key id>`: a volume with another spec is a storage change (its node is drained, not handed off). */
export function dataVolumeSpec(s: DataVolumeSettings): string {
  return volumeSpec(s.type ?? 'gp3', s.sizeGb, s.key?.keyId ?? 'aws-ebs-default');
}

/** What the boot step needs (node.env of the data launch template). */
export function dataVolumeEnv(s: DataVolumeSettings): Record<string, string> {
  return {
    ELK_DATA_VOLUME: 'persistent',
    ELK_VOLUME_SIZE_GB: String(s.sizeGb),
    ELK_VOLUME_TYPE: s.type ?? 'gp3',
    ELK_VOLUME_SPEC: dataVolumeSpec(s),
    ...(s.key ? { ELK_VOLUME_KMS_KEY: s.key.keyArn } : {}),
  };
}

/** The group tag the orchestrator's adapter reads (volumes outlive instances, with the spec new volumes get). */
export function tagDataVolumeGroup(group: autoscaling.AutoScalingGroup, s: DataVolumeSettings): void {
  Tags.of(group).add(GROUP_TAG_DATA_VOLUMES, `persistent:${dataVolumeSpec(s)}`, { applyToLaunchedInstances: false });
}

/**
 * The data node role may create, tag, attach and detach data volumes of its own environment only (tag conditions),
 * attach them only to data instances of its environment, and use the environment's key only through EC2.
 */
export function grantDataVolumes(role: iam.Role, s: DataVolumeSettings): void {
  const stack = Stack.of(role);
  const volumes = stack.formatArn({ service: 'ec2', resource: 'volume', resourceName: '*' });
  const instances = stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' });
  const ours = {
    [`aws:ResourceTag/${VOLUME_TAG_ENVIRONMENT}`]: s.environment,
    [`aws:ResourceTag/${VOLUME_TAG_GROUP}`]: DATA_VOLUME_GROUP,
  };
  const createTags = [
    VOLUME_TAG_ENVIRONMENT,
    VOLUME_TAG_GROUP,
    VOLUME_TAG_ZONE,
    VOLUME_TAG_SPEC,
    VOLUME_TAG_ATTACHED_TO,
    'Name',
  ];
  const statements = [
    new iam.PolicyStatement({
      sid: 'DataVolumesDescribe',
      actions: ['ec2:DescribeVolumes'],
      resources: ['*'], // no resource-level permissions
    }),
    new iam.PolicyStatement({
      sid: 'DataVolumesCreateOwnEnvironmentEncrypted',
      actions: ['ec2:CreateVolume'],
      resources: [volumes],
      conditions: {
        StringEquals: {
          [`aws:RequestTag/${VOLUME_TAG_ENVIRONMENT}`]: s.environment,
          [`aws:RequestTag/${VOLUME_TAG_GROUP}`]: DATA_VOLUME_GROUP,
        },
        Bool: { 'ec2:Encrypted': 'true' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': createTags },
      },
    }),
    new iam.PolicyStatement({
      sid: 'DataVolumesTagOnCreate',
      actions: ['ec2:CreateTags'],
      resources: [volumes],
      conditions: { StringEquals: { 'ec2:CreateAction': 'CreateVolume' } },
    }),
    new iam.PolicyStatement({
      sid: 'DataVolumesTagOwn',
      actions: ['ec2:CreateTags'],
      resources: [volumes],
      conditions: {
        StringEquals: ours,
        'ForAllValues:StringEquals': { 'aws:TagKeys': [VOLUME_TAG_FORMATTED, VOLUME_TAG_ATTACHED_TO] },
      },
    }),
    new iam.PolicyStatement({
      sid: 'DataVolumesAttachOwn',
      actions: ['ec2:AttachVolume', 'ec2:DetachVolume'],
      resources: [volumes],
      conditions: { StringEquals: ours },
    }),
    new iam.PolicyStatement({
      sid: 'DataVolumesToOwnEnvironmentDataNodes',
      actions: ['ec2:AttachVolume', 'ec2:DetachVolume'],
      resources: [instances],
      conditions: {
        StringEquals: {
          [`aws:ResourceTag/${VOLUME_TAG_ENVIRONMENT}`]: s.environment,
          [`aws:ResourceTag/${TAG_ROLE}`]: 'data',
        },
      },
    }),
  ];
  if (s.key) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'DataVolumesKeyThroughEc2',
        actions: [
          'kms:CreateGrant',
          'kms:Decrypt',
          'kms:DescribeKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
        ],
        resources: [s.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `ec2.${stack.region}.amazonaws.com` } },
      }),
    );
  }
  for (const st of statements) role.addToPolicy(st);
  for (const arn of [volumes, instances]) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagText(stack.resolve(arn))}]`,
      reason:
        "Data volumes are created by the booting node (ids unknown at synth); tag conditions limit every action to this environment's data volumes and data instances.",
    });
  }
}
