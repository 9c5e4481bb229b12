import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * Exactly what the SSM agent needs for Session Manager (ssmmessages) and Run Command (ec2messages, and ssmmessages
 * for agents that use it for commands), instead of AmazonSSMManagedInstanceCore, which also grants
 * `ssm:GetParameter*` on every parameter of the account (other environments' alert webhooks included), inventory,
 * patching and associations. None of these actions supports resource-level permissions.
 */
export function ssmAgentStatements(): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'SsmAgentRegistration',
      actions: ['ssm:UpdateInstanceInformation'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'SessionManagerAndRunCommandChannels',
      actions: [
        'ssmmessages:CreateControlChannel',
        'ssmmessages:CreateDataChannel',
        'ssmmessages:OpenControlChannel',
        'ssmmessages:OpenDataChannel',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'RunCommandMessages',
      actions: [
        'ec2messages:AcknowledgeMessage',
        'ec2messages:DeleteMessage',
        'ec2messages:FailMessage',
        'ec2messages:GetEndpoint',
        'ec2messages:GetMessages',
        'ec2messages:SendReply',
      ],
      resources: ['*'],
    }),
  ];
}

/** Adds the SSM agent statements to a role, with the cdk-nag acknowledgement of their `*` resource. */
export function grantSsmAgent(role: iam.Role): void {
  for (const statement of ssmAgentStatements()) role.addToPolicy(statement);
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'The SSM agent actions (ssm:UpdateInstanceInformation, ssmmessages:*Channel, ec2messages:*) support no resource-level permissions; they reach no data. ec2:DescribeInstances (Elasticsearch nodes: discovery, bootstrap decision) has none either.',
  });
}

/**
 * An instance role for one node role: Session Manager and Run Command (ssmAgentStatements) and nothing else; each
 * construct grants what its boot scripts need, resource by resource. No managed policy.
 */
export function nodeInstanceRole(scope: Construct, id: string, description: string): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    description,
  });
  grantSsmAgent(role);
  return role;
}
