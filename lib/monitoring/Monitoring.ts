import { Duration, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import type { ServiceTier } from '../../lambda/cluster-metrics/contract';
import { ClusterAlarms } from './ClusterAlarms';
import { ClusterDashboard } from './ClusterDashboard';
import { ClusterMetrics } from './ClusterMetrics';
import { EnvironmentMetrics } from './metrics';
import { alarmTopicName } from './topic';

export interface MonitoringProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** https://<service name>:9200 */
  readonly esEndpoint: string;
  /** The `metrics_collector` user's secret and the grant of its read. */
  readonly credentialsSecret: secretsmanager.ISecret;
  readonly grantCredentialsRead: (grantee: iam.IGrantable) => void;
  readonly caParameterName: string;
  /** The roles whose nodes renew a certificate and report on it (elk-cdk/Nodes). */
  readonly nodeRoles: readonly string[];
  /** Validity of an issued node certificate (the issuer's). */
  readonly nodeCertificateValidityDays: number;
  /** Kibana and Logstash when present: the collector probes their instances' certificates (ClusterMetrics). */
  readonly serviceProbe?: {
    readonly tiers: readonly ServiceTier[];
    readonly securityGroup: ec2.ISecurityGroup;
    readonly issuerPolicyParameterName: string;
  };
}

/**
 * What an operator watches for one environment: the metrics collector, the alarms and the dashboard, and the topic
 * the alarms notify (`alarms.topicArn`, or `elk-cdk-<env>-alarms` created here). See docs/monitoring.md.
 */
export class Monitoring extends Construct {
  readonly topic: sns.ITopic;
  readonly collector: ClusterMetrics;
  readonly alarms: ClusterAlarms;
  readonly dashboard: ClusterDashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { config } = props;
    const thresholds = config.alarms;
    if (thresholds.topicArn) {
      this.topic = sns.Topic.fromTopicArn(this, 'Topic', thresholds.topicArn);
    } else {
      const topic = new sns.Topic(this, 'Topic', {
        topicName: alarmTopicName(config.name),
        displayName: `elk-cdk ${config.name}: alarms`,
        enforceSSL: true,
      });
      Validations.of(topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason:
          'CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key; the messages carry only alarm states and descriptions.',
      });
      this.topic = topic;
    }
    this.collector = new ClusterMetrics(this, 'Collector', {
      environment: config.name,
      vpc: props.vpc,
      clientSecurityGroup: props.clientSecurityGroup,
      esEndpoint: props.esEndpoint,
      credentialsSecret: props.credentialsSecret,
      grantCredentialsRead: props.grantCredentialsRead,
      caParameterName: props.caParameterName,
      everyMinutes: thresholds.collectEveryMinutes,
      ...(props.serviceProbe ? { serviceProbe: props.serviceProbe } : {}),
    });
    const metrics = new EnvironmentMetrics(config.name, Duration.minutes(thresholds.collectEveryMinutes));
    this.alarms = new ClusterAlarms(this, 'Alarms', {
      metrics,
      thresholds,
      topic: this.topic,
      nodeRoles: props.nodeRoles,
      nodeCertificateValidityDays: props.nodeCertificateValidityDays,
      serviceTiers: props.serviceProbe?.tiers ?? [],
    });
    this.dashboard = new ClusterDashboard(this, 'Dashboard', {
      metrics,
      alarms: this.alarms,
      thresholds,
      nodeRoles: props.nodeRoles,
    });
  }
}
