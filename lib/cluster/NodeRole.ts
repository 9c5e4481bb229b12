import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * An instance role for one node role: Session Manager access (AmazonSSMManagedInstanceCore) and nothing else;
 * each construct grants what its boot scripts need, resource by resource.
 */
export function nodeInstanceRole(scope: Construct, id: string, description: string): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    description,
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
  });
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
    reason:
      'Access to the nodes is through SSM Session Manager only (no SSH key, no public IP); AWS maintains this policy for exactly that agent.',
  });
  return role;
}
