import { Intrinsic, Stack, Token, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { INSTANCE_TAG } from '../../lambda/rolling-replacement/core/tags';
import { nagText } from './RollingReplacement';

/** What the orchestrator launches into chosen zones and attaches (adapters/zone-launch.ts). */
export interface SurgePlacementTarget {
  /** The data group: its subnets are where the instances go, its ARN what they are attached to. */
  readonly group: autoscaling.IAutoScalingGroup;
  /** Its launch template: image, security groups, instance role and volumes of every launched instance. */
  readonly launchTemplate: ec2.LaunchTemplate;
}

/** The reconcile Lambdas' environment for surges into chosen zones (contract.ts: SURGE_PLACEMENT_GROUP). */
export const surgePlacementEnvironment = (t: SurgePlacementTarget): Record<string, string> => ({
  SURGE_PLACEMENT_GROUP: t.group.autoScalingGroupName,
});

/** The group's subnets as CloudFormation has them (VPCZoneIdentifier of the group this app defines). */
function groupSubnetIds(group: autoscaling.IAutoScalingGroup): string[] {
  const cfn = group.node.defaultChild;
  const ids = cfn instanceof autoscaling.CfnAutoScalingGroup ? cfn.vpcZoneIdentifier : undefined;
  if (!ids || Token.isUnresolved(ids) || ids.length === 0) {
    throw new Error(
      `${group.node.path}: rollout.surgePlacement orchestrator needs the data group's subnets (a group defined in ` +
        'this app with vpcSubnets); set rollout.surgePlacement: auto-scaling otherwise',
    );
  }
  return ids;
}

/** The launch template's security groups (none when it was built without one: CDK's `connections` throws then). */
function templateSecurityGroups(lt: ec2.LaunchTemplate): ec2.ISecurityGroup[] {
  try {
    return lt.connections.securityGroups;
  } catch {
    return [];
  }
}

/** Customer-managed keys the launch template names for its volumes (none: EBS's default key). */
function launchTemplateKeyIds(stack: Stack, lt: ec2.LaunchTemplate): string[] {
  const data = stack.resolve((lt.node.defaultChild as ec2.CfnLaunchTemplate).launchTemplateData) as {
    blockDeviceMappings?: { ebs?: { kmsKeyId?: unknown } }[];
  };
  const keys = (data?.blockDeviceMappings ?? []).map((m) => m.ebs?.kmsKeyId).filter((k) => k !== undefined);
  // Resolved to CloudFormation (a key ARN, or an intrinsic such as the key's GetAtt Arn): back into a token.
  return keys.map((k) => (typeof k === 'string' ? k : Token.asString(new Intrinsic(k))));
}

/**
 * What the orchestrator's role needs to launch data instances into chosen zones and attach them, and nothing more
 * (docs/rollout.md, "IAM (least privilege)"):
 * - `ec2:RunInstances` only from the data group's launch template (condition `ec2:LaunchTemplate` on every resource
 *   of the request: EC2 user guide, "Launch template permissions" / the RunInstances resource-level examples), into the
 *   group's subnets, with its security groups and image; the instance only when tagged `elk-cdk:launched-for` = the
 *   group (`aws:RequestTag`), so every instance it starts can be found and cleaned up.
 * - `ec2:CreateTags` only as part of that launch (`ec2:CreateAction: RunInstances`: tag on create).
 * - `iam:PassRole` on the data node role only, only to EC2 (its instance profile is in the launch template).
 * - `autoscaling:AttachInstances` on the data group only; `ec2:TerminateInstances` only on instances tagged
 *   `elk-cdk:launched-for` = the group (the adapter also refuses one that is in a group).
 * - Describe calls (instances, subnets, launch template versions) have no resource-level permissions: `*`.
 * - KMS: only when the launch template names a customer-managed key for a volume. Ours names none (its root volume is
 *   encrypted with the account's default EBS key, whose AWS-managed key policy lets the account's principals use it
 *   through EC2; the data volume is created by the booting node with its own grants, lib/cluster/data-volumes.ts).
 *   Relied on: Amazon EBS user guide, "Requirements for Amazon EBS encryption" (kms:CreateGrant,
 *   kms:GrantIsForAWSResource).
 */
export function grantSurgePlacement(
  scope: IConstruct,
  role: iam.Role,
  t: SurgePlacementTarget,
  /** The data group's ARN (matched by name; acknowledged by the construct). */
  groupArn: string,
): void {
  const stack = Stack.of(scope);
  const groupName = t.group.autoScalingGroupName;
  const ec2Arn = (resource: string, resourceName: string, account?: string) =>
    stack.formatArn({ service: 'ec2', resource, resourceName, ...(account !== undefined ? { account } : {}) });
  const launchTemplate = ec2Arn('launch-template', t.launchTemplate.launchTemplateId!);
  const fromTemplate = { ArnLike: { 'ec2:LaunchTemplate': launchTemplate } };
  const instances = ec2Arn('instance', '*');
  const volumes = ec2Arn('volume', '*');
  const interfaces = ec2Arn('network-interface', '*');
  const subnets = groupSubnetIds(t.group).map((id) => ec2Arn('subnet', id));
  const securityGroups = templateSecurityGroups(t.launchTemplate).map((sg) =>
    ec2Arn('security-group', sg.securityGroupId),
  );
  if (!t.launchTemplate.imageId)
    throw new Error(`${t.launchTemplate.node.path}: the data launch template has no image`);
  // AMIs are owned by whoever published them: no account in the ARN.
  const image = ec2Arn('image', t.launchTemplate.imageId, '');
  // A template without an instance profile passes no role.
  const nodeRole = t.launchTemplate.role;
  const statements = [
    new iam.PolicyStatement({
      sid: 'SurgeLaunchFromDataTemplate',
      actions: ['ec2:RunInstances'],
      resources: [launchTemplate, volumes, interfaces, ...subnets, ...securityGroups, image],
      conditions: fromTemplate,
    }),
    new iam.PolicyStatement({
      sid: 'SurgeLaunchTaggedInstance',
      actions: ['ec2:RunInstances'],
      resources: [instances],
      conditions: { ...fromTemplate, StringEquals: { [`aws:RequestTag/${INSTANCE_TAG.launchedFor}`]: groupName } },
    }),
    new iam.PolicyStatement({
      sid: 'SurgeTagOnLaunch',
      actions: ['ec2:CreateTags'],
      resources: [instances, volumes, interfaces],
      conditions: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
    }),
    ...(nodeRole
      ? [
          new iam.PolicyStatement({
            sid: 'SurgePassDataNodeRole',
            actions: ['iam:PassRole'],
            resources: [nodeRole.roleArn],
            conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
          }),
        ]
      : []),
    new iam.PolicyStatement({
      sid: 'SurgeAttachToDataGroup',
      actions: ['autoscaling:AttachInstances'],
      resources: [groupArn],
    }),
    new iam.PolicyStatement({
      sid: 'SurgeTerminateOwnLaunches',
      actions: ['ec2:TerminateInstances'],
      resources: [instances],
      conditions: { StringEquals: { [`ec2:ResourceTag/${INSTANCE_TAG.launchedFor}`]: groupName } },
    }),
    new iam.PolicyStatement({
      sid: 'SurgeReadInstancesAndSubnets',
      actions: ['ec2:DescribeInstances', 'ec2:DescribeSubnets', 'ec2:DescribeLaunchTemplateVersions'],
      resources: ['*'],
    }),
  ];
  const keys = launchTemplateKeyIds(stack, t.launchTemplate);
  if (keys.length > 0) {
    const viaEc2 = { 'kms:ViaService': `ec2.${stack.region}.amazonaws.com` };
    statements.push(
      new iam.PolicyStatement({
        sid: 'SurgeVolumeKeyGrants',
        actions: ['kms:CreateGrant'],
        resources: keys,
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' }, StringEquals: viaEc2 },
      }),
      new iam.PolicyStatement({
        sid: 'SurgeVolumeKeyUse',
        actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncrypt*'],
        resources: keys,
        conditions: { StringEquals: viaEc2 },
      }),
    );
  }
  for (const s of statements) role.addToPrincipalPolicy(s);
  const v = Validations.of(role);
  for (const arn of [instances, volumes, interfaces]) {
    v.acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagText(stack.resolve(arn))}]`,
      reason:
        'Surge into chosen zones: instances, volumes and network interfaces are created by the launch (ids unknown ' +
        'until then), limited to the data launch template, tag on create only, terminate only by the launched-for tag.',
    });
  }
  if (keys.length > 0) {
    v.acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      reason: 'EBS re-encrypts the launch template volumes with their own key, only through EC2 (kms:ViaService).',
    });
  }
}
