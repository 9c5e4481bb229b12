import { Fn } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { EnvironmentConfig } from '../config';

/**
 * Names of the SSM parameters through which the cluster stack hands values to the other stacks of its environment.
 * Fixed before anyone deploys, so no CloudFormation export ties the stacks: `alerter.enabled: false` deletes the
 * alerter stack without blocking the cluster, and a replaced resource never fails with "in use by another stack".
 */
export function clusterParameterNames(environment: string) {
  const p = `/elk/${environment}/cluster`;
  return {
    vpcId: `${p}/vpc-id`,
    privateSubnetIds: `${p}/private-subnet-ids`,
    clientSecurityGroupId: `${p}/client-security-group-id`,
    esLoadBalancerSecurityGroupId: `${p}/es-load-balancer-security-group-id`,
    securityKeyArn: `${p}/security-key-arn`,
    elastalertSecretArn: `${p}/elastalert-secret-arn`,
  } as const;
}

export interface ClusterParametersProps {
  readonly environment: string;
  readonly vpc: ec2.IVpc;
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** The Elasticsearch NLB's group: what a client's own group may name as its 9200 destination. */
  readonly esLoadBalancerSecurityGroup: ec2.ISecurityGroup;
  readonly securityKey: kms.IKey;
  readonly elastalertSecret: secretsmanager.ISecret;
}

/** The cluster side: writes the parameters (String / StringList, standard tier). */
export class ClusterParameters extends Construct {
  constructor(scope: Construct, id: string, props: ClusterParametersProps) {
    super(scope, id);
    const names = clusterParameterNames(props.environment);
    const subnets = props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds;
    const put = (cid: string, parameterName: string, stringValue: string, description: string) =>
      new ssm.StringParameter(this, cid, { parameterName, stringValue, description: `elk-cdk: ${description}` });
    put('VpcId', names.vpcId, props.vpc.vpcId, 'VPC of the cluster');
    new ssm.StringListParameter(this, 'PrivateSubnetIds', {
      parameterName: names.privateSubnetIds,
      stringListValue: subnets,
      description: 'elk-cdk: private subnets (with egress) of the cluster, in AZ order',
    });
    put(
      'ClientSecurityGroupId',
      names.clientSecurityGroupId,
      props.clientSecurityGroup.securityGroupId,
      'join to reach 9200',
    );
    put(
      'EsLoadBalancerSecurityGroupId',
      names.esLoadBalancerSecurityGroupId,
      props.esLoadBalancerSecurityGroup.securityGroupId,
      'the Elasticsearch NLB: the destination of clients on 9200',
    );
    put('SecurityKeyArn', names.securityKeyArn, props.securityKey.keyArn, 'KMS key of the cluster secrets');
    put('ElastalertSecretArn', names.elastalertSecretArn, props.elastalertSecret.secretArn, 'elastalert user secret');
  }
}

/** What another stack of the environment gets from the cluster, resolved at deploy time from the parameters. */
export interface ClusterReferences {
  readonly vpc: ec2.IVpc;
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** The Elasticsearch NLB's security group (clients connect to the NLB, by the service name). */
  readonly esLoadBalancerSecurityGroup: ec2.ISecurityGroup;
  readonly elastalertSecret: secretsmanager.ISecret;
}

/**
 * The reading side, in `scope`'s stack: CloudFormation parameters of type `AWS::SSM::Parameter::Value<...>` (resolved
 * at each deployment, no export). An imported VPC is looked up again (the same cached lookup as the cluster's).
 * The stack must be deployed after the cluster stack (`addDependency`: an order, not an export).
 */
export function clusterReferences(scope: Construct, config: EnvironmentConfig): ClusterReferences {
  const names = clusterParameterNames(config.name);
  const value = (name: string) => ssm.StringParameter.valueForStringParameter(scope, name);
  let vpc: ec2.IVpc;
  if (config.vpc.vpcId !== undefined) {
    vpc = ec2.Vpc.fromLookup(scope, 'ClusterVpc', { vpcId: config.vpc.vpcId });
  } else {
    const azCount = config.vpc.availabilityZones?.length ?? config.vpc.maxAzs;
    const subnets = ssm.StringListParameter.valueForTypedListParameter(scope, names.privateSubnetIds);
    vpc = ec2.Vpc.fromVpcAttributes(scope, 'ClusterVpc', {
      vpcId: value(names.vpcId),
      // Environment-agnostic: the first AZs of the region at deploy time, as the cluster stack chose them.
      availabilityZones:
        config.vpc.availabilityZones !== undefined
          ? [...config.vpc.availabilityZones]
          : Array.from({ length: azCount }, (_, i) => Fn.select(i, Fn.getAzs())),
      privateSubnetIds: Array.from({ length: azCount }, (_, i) => Fn.select(i, subnets)),
    });
  }
  const key = kms.Key.fromKeyArn(scope, 'ClusterSecurityKey', value(names.securityKeyArn));
  return {
    vpc,
    clientSecurityGroup: ec2.SecurityGroup.fromSecurityGroupId(
      scope,
      'ClusterClientSecurityGroup',
      value(names.clientSecurityGroupId),
      { allowAllOutbound: true, mutable: false },
    ),
    esLoadBalancerSecurityGroup: ec2.SecurityGroup.fromSecurityGroupId(
      scope,
      'ClusterEsLoadBalancerSecurityGroup',
      value(names.esLoadBalancerSecurityGroupId),
      { mutable: false },
    ),
    elastalertSecret: secretsmanager.Secret.fromSecretAttributes(scope, 'ElastalertSecret', {
      secretCompleteArn: value(names.elastalertSecretArn),
      encryptionKey: key,
    }),
  };
}
