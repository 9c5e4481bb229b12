import { Duration, Tags, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EnvironmentConfig } from '../config';
import type { ClusterSecurity } from '../security/ClusterSecurity';
import { NodeScripts } from './NodeScripts';
import { TAG_ROLE } from './contract';
import { serviceGroup } from './service-group';

export interface LogstashServiceProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  /** Logstash's own group (5044 from the VPC CIDR). */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The Elasticsearch client group Logstash joins. */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  readonly scripts: NodeScripts;
  readonly elasticsearchUrl: string;
  /** @default - no TLS to Elasticsearch, no logstash_writer password (tests only) */
  readonly security?: ClusterSecurity;
}

/**
 * Logstash on its own Auto Scaling group behind an internal Network Load Balancer on the Beats port 5044
 * (created only when `logstash.count > 0`). The NLB preserves client IPs, so the nodes' group admits 5044 from the
 * VPC CIDR.
 */
export class LogstashService extends Construct {
  readonly launchTemplate: ec2.LaunchTemplate;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  readonly instanceRole: iam.Role;

  constructor(scope: Construct, id: string, props: LogstashServiceProps) {
    super(scope, id);
    const { config } = props;
    const logstash = config.logstash;
    ({
      instanceRole: this.instanceRole,
      launchTemplate: this.launchTemplate,
      autoScalingGroup: this.autoScalingGroup,
    } = serviceGroup(this, {
      config,
      vpc: props.vpc,
      role: 'logstash',
      user: 'logstash_writer',
      secretEnv: 'ELK_LOGSTASH_SECRET_ID',
      count: logstash.count,
      instanceType: logstash.instanceType,
      securityGroup: props.securityGroup,
      clientSecurityGroup: props.clientSecurityGroup,
      scripts: props.scripts,
      elasticsearchUrl: props.elasticsearchUrl,
      security: props.security,
      healthCheckReason:
        'Logstash nodes are interchangeable behind their NLB; NLB target health is the signal operators watch.',
    }));
    Tags.of(this).add(TAG_ROLE, 'logstash');

    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'Nlb', {
      vpc: props.vpc,
      internetFacing: false,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      crossZoneEnabled: true,
    });
    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason: 'TCP (Beats) load balancer: NLB access logs exist only for TLS listeners.',
    });
    this.loadBalancer.addListener('Beats', { port: 5044, protocol: elbv2.Protocol.TCP }).addTargets('Logstash', {
      port: 5044,
      protocol: elbv2.Protocol.TCP,
      targets: [this.autoScalingGroup],
      deregistrationDelay: Duration.seconds(60),
    });
  }
}
