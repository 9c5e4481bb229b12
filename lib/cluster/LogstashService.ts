import { Arn, ArnFormat, Duration, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EnvironmentConfig } from '../config';
import type { ClusterSecurity } from '../security/ClusterSecurity';
import { NodeScripts } from './NodeScripts';
import { TAG_ROLE } from './contract';
import { nagText } from '../rolling-replacement/RollingReplacement';
import { serviceGroup } from './service-group';

export interface LogstashServiceProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  /** Logstash's own group (5044 from its load balancer). */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The load balancer's group (5044 from the producers). */
  readonly loadBalancerSecurityGroup: ec2.ISecurityGroup;
  /** The Elasticsearch client group Logstash joins. */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  readonly scripts: NodeScripts;
  readonly elasticsearchUrl: string;
  /** @default - no TLS to Elasticsearch, no logstash_writer password (tests only) */
  readonly security?: ClusterSecurity;
}

/** The termination lifecycle hook of the Logstash group (scripts/node/logstash-drain.sh completes it). */
export const LOGSTASH_DRAIN_HOOK = 'elk-cdk-logstash-drain';
/** Heartbeat timeout of that hook; the node heartbeats every LOGSTASH_HEARTBEAT_EVERY seconds. */
export const LOGSTASH_HOOK_HEARTBEAT = Duration.minutes(10);
const LOGSTASH_HEARTBEAT_EVERY = 240;
/** Root volume of a Logstash node without its queue, GiB. */
const LOGSTASH_BASE_ROOT_GB = 20;

/**
 * Logstash on its own Auto Scaling group behind an internal Network Load Balancer on the Beats port 5044
 * (created only when `logstash.count > 0`). The NLB has its own security group (5044 from the VPC CIDR) and the
 * nodes' group admits 5044 from that group only, which AWS honours with client IP preservation too.
 *
 * A replaced node loses no events (issue #23): the pipeline uses a persistent queue on the node's root volume
 * (`queue.type: persisted`, `queue.max_bytes` = logstash.queueMaxGb, `queue.drain: true`). On any termination the NLB
 * deregisters the node (new Beats connections go elsewhere; after the deregistration delay the open ones are closed
 * and reconnect to another node), and a termination lifecycle hook holds the instance while the node itself
 * (elk-logstash-drain.service) waits for the queue to drain, heartbeating, bounded by logstash.drainTimeoutMinutes.
 */
export class LogstashService extends Construct {
  readonly launchTemplate: ec2.LaunchTemplate;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  readonly instanceRole: iam.Role;
  /**
   * The name producers connect to (`logstash.<env>.elk.internal`, the private zone's alias of the NLB); every
   * Logstash certificate carries it.
   */
  readonly serviceName: string;
  /** Beats over TLS with required client certificates (not `logstash.allowPlainBeats`, and with ClusterSecurity). */
  readonly beatsTls: boolean;

  constructor(scope: Construct, id: string, props: LogstashServiceProps) {
    super(scope, id);
    const { config } = props;
    const logstash = config.logstash;
    this.serviceName = `logstash.${config.name}.elk.internal`;
    const security = props.security;
    this.beatsTls = !!security && !logstash.allowPlainBeats;
    const tlsEnv: Record<string, string> =
      security && this.beatsTls
        ? {
            // Its certificate comes from the issuer like a node's; Beats must present one of the same CA.
            ELK_CERT_ISSUER_URL: security.issuer.url,
            ELK_SERVICE_NAME: this.serviceName,
            ELK_BEATS_TLS: 'required',
          }
        : {};
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
      rootVolumeGb: LOGSTASH_BASE_ROOT_GB + logstash.queueMaxGb,
      env: {
        ELK_LS_QUEUE_MAX_BYTES: `${logstash.queueMaxGb}gb`,
        ELK_LS_DRAIN_TIMEOUT: String(logstash.drainTimeoutMinutes * 60),
        ELK_LS_HEARTBEAT_EVERY: String(LOGSTASH_HEARTBEAT_EVERY),
        ELK_LS_HOOK: LOGSTASH_DRAIN_HOOK,
        ...tlsEnv,
      },
    }));
    if (security && this.beatsTls) this.allowCertificates(security, logstash.producers?.certificateGroups ?? []);
    this.holdTerminationsUntilDrained();
    Tags.of(this).add(TAG_ROLE, 'logstash');

    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'Nlb', {
      vpc: props.vpc,
      internetFacing: false,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [props.loadBalancerSecurityGroup],
      crossZoneEnabled: true,
    });
    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason: 'TCP (Beats) load balancer: NLB access logs exist only for TLS listeners.',
    });
    const targets = this.loadBalancer
      .addListener('Beats', { port: 5044, protocol: elbv2.Protocol.TCP })
      .addTargets('Logstash', {
        port: 5044,
        protocol: elbv2.Protocol.TCP,
        targets: [this.autoScalingGroup],
        // Beats keep one connection open: during the delay it still delivers (and acknowledges) its batches, then
        // the NLB closes it and Beats reconnect through the NLB to a registered node.
        deregistrationDelay: Duration.seconds(60),
      });
    targets.setAttribute('deregistration_delay.connection_termination.enabled', 'true');
  }

  /**
   * Logstash nodes get their server certificate from the issuer (its own IP/DNS and the service name), renew it and
   * publish its days to expiry like Elasticsearch nodes. Producer groups (logstash.producers.certificateGroups) get
   * client certificates with their own IP and DNS name only; their roles get the function URL invocation through the
   * function's resource policy (the roles are not this stack's).
   */
  private allowCertificates(
    security: ClusterSecurity,
    producers: ReadonlyArray<{ readonly autoScalingGroupName: string; readonly roleArn: string }>,
  ): void {
    security.allowNodeCertificates({
      profile: 'logstash',
      group: this.autoScalingGroup,
      role: this.instanceRole,
      dnsNames: [this.serviceName],
    });
    security.grantNodeCertificateMetric(this.instanceRole);
    producers.forEach((p, i) =>
      security.allowNodeCertificates({
        profile: 'beats-producer',
        group: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(this, `Producer${i}`, p.autoScalingGroupName),
        role: iam.Role.fromRoleArn(this, `ProducerRole${i}`, p.roleArn, { mutable: false }),
        dnsNames: [],
      }),
    );
  }

  /** The termination hook, and the instance's right to heartbeat and complete it on this group only. */
  private holdTerminationsUntilDrained(): void {
    const stack = Stack.of(this);
    this.autoScalingGroup.addLifecycleHook('DrainQueue', {
      lifecycleHookName: LOGSTASH_DRAIN_HOOK,
      lifecycleTransition: autoscaling.LifecycleTransition.INSTANCE_TERMINATING,
      heartbeatTimeout: LOGSTASH_HOOK_HEARTBEAT,
      defaultResult: autoscaling.DefaultResult.CONTINUE,
    });
    const groupArn = Arn.format(
      {
        service: 'autoscaling',
        resource: 'autoScalingGroup',
        resourceName: `*:autoScalingGroupName/${this.autoScalingGroup.autoScalingGroupName}`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      },
      stack,
    );
    // A policy of its own: the role's default policy comes before the launch template, which comes before the group
    // this one names.
    const policy = new iam.Policy(this, 'DrainHookPolicy', {
      roles: [this.instanceRole],
      statements: [
        new iam.PolicyStatement({
          actions: ['autoscaling:RecordLifecycleActionHeartbeat', 'autoscaling:CompleteLifecycleAction'],
          resources: [groupArn],
        }),
        // The drain reads its group's name from the stack (the launch template cannot name its own group).
        new iam.PolicyStatement({ actions: ['cloudformation:DescribeStackResource'], resources: [stack.stackId] }),
      ],
    });
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagText(stack.resolve(groupArn))}]`,
      reason: 'The group ARN contains a generated UUID; the name pins the statement to the Logstash group only.',
    });
  }
}
