import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EnvironmentConfig } from '../config';

export interface ClusterNetwork {
  readonly vpc: ec2.IVpc;
  /** The VPC's IPv4 CIDR (a token for an imported VPC is never needed: the lookup returns it). */
  readonly cidr: string;
}

/**
 * The environment's VPC: imported by id (`vpc.vpcId`, through `Vpc.fromLookup`, cached in cdk.context.json so
 * synth stays offline), or created: public subnets for the NAT gateways, private subnets with egress for every
 * node and load balancer, and VPC flow logs to CloudWatch Logs.
 */
export function clusterNetwork(scope: Construct, config: EnvironmentConfig): ClusterNetwork {
  if (config.vpc.vpcId !== undefined) {
    const vpc = ec2.Vpc.fromLookup(scope, 'Vpc', { vpcId: config.vpc.vpcId });
    return { vpc, cidr: vpc.vpcCidrBlock };
  }
  const flowLogGroup = new logs.LogGroup(scope, 'VpcFlowLogs', {
    retention: logs.RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    ipAddresses: ec2.IpAddresses.cidr(config.vpc.cidr),
    maxAzs: config.vpc.maxAzs,
    natGateways: config.vpc.natGateways,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
      { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
    ],
    flowLogs: {
      all: {
        destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
        trafficType: ec2.FlowLogTrafficType.ALL,
      },
    },
  });
  if (config.vpc.availabilityZones) {
    Validations.of(vpc).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason:
        'The AZ names come from the environment config (vpc.availabilityZones) on purpose: synth needs no AZ lookup, stays offline and deterministic, and masters spread over exactly these three zones.',
    });
  }
  return { vpc, cidr: config.vpc.cidr };
}
