import { Duration, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';

export interface ClusterLoadBalancerProps {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  /** The data nodes' group: the targets. */
  readonly dataGroup: autoscaling.AutoScalingGroup;
  /** Private DNS name clients use (and node certificates carry), e.g. elasticsearch.dev.elk.internal. */
  readonly serviceName: string;
}

/**
 * The clients' way in: an internal Network Load Balancer, TCP 9200 passed through to the data nodes (TLS ends on
 * the nodes, whose certificates carry `serviceName`), and a private hosted zone record `serviceName` -> NLB.
 */
export class ClusterLoadBalancer extends Construct {
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  /** DNS name of the NLB. */
  readonly dnsName: string;
  /** The private DNS name (verified by TLS clients). */
  readonly serviceName: string;
  /** The private hosted zone `<env>.elk.internal` (Kibana and Logstash get their names there too). */
  readonly zone: route53.IPrivateHostedZone;

  constructor(scope: Construct, id: string, props: ClusterLoadBalancerProps) {
    super(scope, id);
    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'Nlb', {
      vpc: props.vpc,
      internetFacing: false,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [props.securityGroup],
      crossZoneEnabled: true,
    });
    const listener = this.loadBalancer.addListener('Https', { port: 9200, protocol: elbv2.Protocol.TCP });
    listener.addTargets('DataNodes', {
      port: 9200,
      protocol: elbv2.Protocol.TCP,
      targets: [props.dataGroup],
      deregistrationDelay: Duration.seconds(30),
      // HTTPS, not TCP: a node whose JVM stalls or whose TLS is broken leaves rotation. Without credentials every
      // node answers 401 (security on), so 401 counts as alive.
      healthCheck: {
        protocol: elbv2.Protocol.HTTPS,
        path: '/',
        healthyHttpCodes: '200,401',
        interval: Duration.seconds(10),
        healthyThresholdCount: 2,
      },
    });
    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason:
        'TCP passthrough: NLB access logs are written only for TLS listeners, and TLS deliberately ends on the Elasticsearch nodes (end-to-end encryption, node certificates), so the NLB never sees a request.',
    });
    this.dnsName = this.loadBalancer.loadBalancerDnsName;
    this.serviceName = props.serviceName;

    const dot = props.serviceName.indexOf('.');
    const zone = (this.zone = new route53.PrivateHostedZone(this, 'Zone', {
      zoneName: props.serviceName.slice(dot + 1),
      vpc: props.vpc,
      comment: 'elk-cdk: private names of the cluster',
    }));
    new route53.ARecord(this, 'Record', {
      zone,
      recordName: props.serviceName.slice(0, dot),
      target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(this.loadBalancer)),
    });
  }
}
