import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CLUSTER_NAMESPACE, type ServiceTier } from '../../lambda/cluster-metrics/contract';
import { securityLambda } from '../security/functions';

const HANDLER = path.join(__dirname, '..', '..', 'lambda', 'cluster-metrics', 'index.ts');

export interface ClusterMetricsProps {
  readonly environment: string;
  readonly vpc: ec2.IVpc;
  /** The security group that may reach Elasticsearch on 9200 (every node, and the load balancer). */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** https://<service name>:9200 */
  readonly esEndpoint: string;
  /** The `metrics_collector` user's secret. */
  readonly credentialsSecret: secretsmanager.ISecret;
  readonly grantCredentialsRead: (grantee: iam.IGrantable) => void;
  /** SSM parameter holding the cluster CA certificate. */
  readonly caParameterName: string;
  /** Minutes between two collections. */
  readonly everyMinutes: number;
  /**
   * The service tiers whose instances' certificates the collector reads from outside (TLS handshakes on 5601 and
   * 5044), the group that lets it reach them, and the issuer policy parameter that names their Auto Scaling groups.
   * @default no service tier probed
   */
  readonly serviceProbe?: {
    readonly tiers: readonly ServiceTier[];
    readonly securityGroup: ec2.ISecurityGroup;
    readonly issuerPolicyParameterName: string;
  };
}

/**
 * The collector of the cluster metrics (`elk-cdk/Cluster`): a Lambda in the VPC, started by an EventBridge schedule,
 * that reads the cluster with the `metrics_collector` user and publishes whatever it finds, an unreachable cluster
 * included. Its role may read that one secret and the CA parameter, and put metric data in that one namespace. With
 * `serviceProbe`, it also reads the certificate each Kibana and Logstash instance presents (a TLS handshake, from
 * outside: whatever the node publishes itself), listed through the issuer policy and `ec2:DescribeInstances`.
 *
 * Why a Lambda and not the CloudWatch agent on the nodes: the agent publishes only from a node that runs, so a dead
 * or partitioned cluster goes silent instead of red; the cluster-level figures (status, elected master, unassigned
 * shards) would come from every node at once; and the nodes would need the collector's credentials.
 */
export class ClusterMetrics extends Construct {
  readonly function: lambda.IFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: ClusterMetricsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const probe = props.serviceProbe && props.serviceProbe.tiers.length > 0 ? props.serviceProbe : undefined;
    const fn = securityLambda(this, 'Collector', {
      entry: HANDLER,
      description: `elk-cdk ${props.environment}: publishes the cluster's health, nodes, heap, disk and certificate metrics`,
      timeout: Duration.seconds(50),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [props.clientSecurityGroup, ...(probe ? [probe.securityGroup] : [])],
      environment: {
        ENVIRONMENT: props.environment,
        ES_ENDPOINT: props.esEndpoint,
        ES_SERVERNAME: new URL(props.esEndpoint).hostname,
        CA_PARAMETER_NAME: props.caParameterName,
        USER_SECRET_ARN: props.credentialsSecret.secretArn,
        REQUEST_TIMEOUT_MS: '10000',
        ...(probe
          ? { PROBE_TIERS: probe.tiers.join(','), ISSUER_POLICY_PARAMETER_NAME: probe.issuerPolicyParameterName }
          : {}),
      },
    });
    this.function = fn;
    const role = fn.role!;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PublishClusterMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': CLUSTER_NAMESPACE } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadClusterCa',
        actions: ['ssm:GetParameter'],
        resources: [
          stack.formatArn({
            service: 'ssm',
            resource: 'parameter',
            resourceName: props.caParameterName.replace(/^\//, ''),
          }),
        ],
      }),
    );
    props.grantCredentialsRead(role);
    if (probe) {
      // Which instances to probe: the groups named in the issuer policy (by name: no reference to the groups), and
      // their running instances' private IPs.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadIssuerPolicy',
          actions: ['ssm:GetParameter'],
          resources: [
            stack.formatArn({
              service: 'ssm',
              resource: 'parameter',
              resourceName: probe.issuerPolicyParameterName.replace(/^\//, ''),
            }),
          ],
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'ListServiceInstances', actions: ['ec2:DescribeInstances'], resources: ['*'] }),
      );
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'The EC2 network-interface actions a VPC Lambda needs and ec2:DescribeInstances (the service instances to probe) have no resource-level permissions.',
      });
    }

    this.schedule = new events.Rule(this, 'Schedule', {
      description: `elk-cdk ${props.environment}: collect the cluster metrics every ${props.everyMinutes} min`,
      schedule: events.Schedule.rate(Duration.minutes(props.everyMinutes)),
      // A late collection is worth nothing: the next one is the retry.
      targets: [
        new targets.LambdaFunction(fn, { retryAttempts: 0, maxEventAge: Duration.minutes(props.everyMinutes) }),
      ],
    });
  }
}
