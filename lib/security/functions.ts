import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { prebundledCode } from '../bundling';

/** A log group with three months' retention, deleted with the stack. */
export function securityLogGroup(scope: Construct, id: string): logs.LogGroup {
  return new logs.LogGroup(scope, id, {
    retention: logs.RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.DESTROY,
  });
}

/**
 * A NodejsFunction of lib/security with its own role that may only write its own log group (no managed policy);
 * Node.js 24, arm64, bundled once per process.
 */
export function securityLambda(scope: Construct, id: string, props: NodejsFunctionProps): NodejsFunction {
  const logGroup = securityLogGroup(scope, `${id}Logs`);
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `${props.description ?? id}`.slice(0, 1000),
  });
  if (props.vpc) {
    // ENI management for a VPC Lambda; these EC2 actions do not support resource-level permissions.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    );
  }
  const fn = new NodejsFunction(scope, id, {
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    role,
    logGroup,
    ...props,
    // Bundled once per process (same esbuild options as NodejsFunction's bundling), shared by every stack.
    entry: undefined,
    code: prebundledCode(scope, props.entry!, {
      minify: true,
      sourceMap: false,
      target: 'node22',
      externalModules: ['@aws-sdk/*'],
    }),
    handler: `index.${props.handler ?? 'handler'}`,
  });
  logGroup.grantWrite(role);
  if (props.vpc) {
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'The EC2 network-interface actions a VPC Lambda needs have no resource-level permissions.',
    });
  }
  return fn;
}
