import { Duration, Tags, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IDependable } from 'constructs';
import { EnvironmentConfig } from '../config';
import type { ClusterSecurity } from '../security/ClusterSecurity';
import { NodeScripts } from './NodeScripts';
import { TAG_ROLE } from './contract';
import { serviceGroup } from './service-group';

/** Deregistration delay of the Kibana target group (equal to the ALB's default idle timeout). */
export const KIBANA_DEREGISTRATION_DELAY = Duration.seconds(60);

export interface KibanaServiceProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly vpcCidr: string;
  /** Kibana's own group (5601 from the ALB). */
  readonly securityGroup: ec2.ISecurityGroup;
  readonly loadBalancerSecurityGroup: ec2.ISecurityGroup;
  /** The Elasticsearch client group Kibana joins. */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  readonly scripts: NodeScripts;
  /** `https://<service name>:9200`. */
  readonly elasticsearchUrl: string;
  /** @default - no TLS to Elasticsearch, no kibana_system password (tests only) */
  readonly security?: ClusterSecurity;
}

/**
 * Kibana on its own Auto Scaling group behind an internal Application Load Balancer: HTTPS with
 * `kibana.certificateArn`, or plain HTTP only when the environment sets `kibana.allowPlainHttp`.
 * Kibana is stateless, so its group may roll on its own (rolling update, one at a time), but only after the
 * Elasticsearch rolling replacement has finished: see `waitFor`.
 */
export class KibanaService extends Construct {
  readonly launchTemplate: ec2.LaunchTemplate;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly instanceRole: iam.Role;
  /** `https://...` or `http://...` of the internal ALB. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: KibanaServiceProps) {
    super(scope, id);
    const { config } = props;
    const kibana = config.kibana;
    const security = props.security;
    // TLS from the ALB to Kibana: Kibana serves a certificate of the issuer (its IP, DNS name, instance id and
    // kibana.<env>.elk.internal), renewed like a node's; without the security construct (tests only), plain HTTP.
    const serviceName = `kibana.${config.name}.elk.internal`;
    const tlsEnv: Record<string, string> = security
      ? { ELK_CERT_ISSUER_URL: security.issuer.url, ELK_SERVICE_NAME: serviceName }
      : {};
    ({
      instanceRole: this.instanceRole,
      launchTemplate: this.launchTemplate,
      autoScalingGroup: this.autoScalingGroup,
    } = serviceGroup(this, {
      config,
      vpc: props.vpc,
      role: 'kibana',
      user: 'kibana_system',
      secretEnv: 'ELK_KIBANA_SECRET_ID',
      count: kibana.count,
      instanceType: kibana.instanceType,
      securityGroup: props.securityGroup,
      clientSecurityGroup: props.clientSecurityGroup,
      scripts: props.scripts,
      elasticsearchUrl: props.elasticsearchUrl,
      security: props.security,
      healthCheckReason: 'Kibana is stateless behind its ALB; the ALB target health is the signal operators watch.',
      env: tlsEnv,
    }));
    if (security) {
      security.allowNodeCertificates({
        profile: 'kibana',
        group: this.autoScalingGroup,
        role: this.instanceRole,
        dnsNames: [serviceName],
      });
      security.grantNodeCertificateMetric(this.instanceRole);
    }

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc: props.vpc,
      internetFacing: false,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroup: props.loadBalancerSecurityGroup,
      dropInvalidHeaderFields: true,
    });
    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason:
        'Internal-only ALB in front of Kibana. Access logs need a per-environment log bucket with its own logging and lifecycle; that is a known gap listed in docs/cluster.md (Limits), not an oversight.',
    });
    const https = kibana.certificateArn !== undefined;
    const port = https ? 443 : 80;
    const listener = this.loadBalancer.addListener(https ? 'Https' : 'Http', {
      port,
      protocol: https ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP,
      certificates: https ? [acm.Certificate.fromCertificateArn(this, 'Certificate', kibana.certificateArn!)] : [],
      sslPolicy: https ? elbv2.SslPolicy.RECOMMENDED_TLS : undefined,
      open: false,
    });
    props.loadBalancerSecurityGroup.addIngressRule(
      ec2.Peer.ipv4(props.vpcCidr),
      ec2.Port.tcp(port),
      `Kibana (${https ? 'HTTPS' : 'plain HTTP, kibana.allowPlainHttp'}) from the VPC`,
    );
    const targetProtocol = security ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP;
    const targetGroup = listener.addTargets('Kibana', {
      port: 5601,
      protocol: targetProtocol,
      // Unauthenticated, with status.allowAnonymous false (kibana-boot.sh): Kibana 8.9+ answers the redacted
      // {"status":{"overall":{"level"}}} with 200 while its core services (Elasticsearch, saved objects) are
      // available and 503 when not. 401 is not a success code: Kibana does not send it here, and a 401 would only say
      // that something answers HTTP on 5601. The ALB does not verify the target's certificate (AWS documents that
      // it accepts any): the TLS hop encrypts, it does not authenticate Kibana to the ALB.
      healthCheck: {
        protocol: security ? elbv2.Protocol.HTTPS : elbv2.Protocol.HTTP,
        path: '/api/status',
        healthyHttpCodes: '200',
        interval: Duration.seconds(30),
      },
      // In-flight requests finish before the instance goes (issue #23): Auto Scaling terminates an instance of an
      // attached target group only after its deregistration, which waits this long for open requests. 60 s = the
      // ALB's idle timeout, the longest a request can go without a byte before the ALB cuts it anyway.
      deregistrationDelay: KIBANA_DEREGISTRATION_DELAY,
    });
    // Attached on the L1 instead of `targets: [group]`: CDK would open 5601 from the ALB on every security group of
    // the instances, the Elasticsearch client group included. The one 5601 rule lives in ClusterSecurityGroups.
    (this.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup).targetGroupArns = [
      targetGroup.targetGroupArn,
    ];
    this.autoScalingGroup.node.addDependency(listener);
    this.url = `${https ? 'https' : 'http'}://${this.loadBalancer.loadBalancerDnsName}`;
    this.node.addMetadata('elk-cdk:kibanaTls', https);
    Tags.of(this).add(TAG_ROLE, 'kibana');
  }

  /**
   * Kibana must not be upgraded while the cluster is mixed-version: its launch template and group are created and
   * updated only after `dependency` (the rolling replacement of the Elasticsearch groups) has completed.
   */
  waitFor(dependency: IDependable): void {
    this.launchTemplate.node.addDependency(dependency);
    this.autoScalingGroup.node.addDependency(dependency);
  }
}
