import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { METRIC, type ServiceTier } from '../../lambda/cluster-metrics/contract';
import type { ClusterAlarms } from './ClusterAlarms';
import { EnvironmentMetrics } from './metrics';

export interface ClusterDashboardProps {
  readonly metrics: EnvironmentMetrics;
  readonly alarms: ClusterAlarms;
  /** The alarm thresholds, drawn on their graphs. */
  readonly thresholds: EnvironmentConfig['alarms'];
  /** The roles whose nodes report their own certificate (elk-cdk/Nodes). */
  readonly nodeRoles: readonly string[];
}

/** Elasticsearch's default disk watermarks, drawn beside the configured high one. */
const LOW_WATERMARK = 85;
const FLOOD_STAGE = 95;

/**
 * The environment's dashboard `elk-cdk-<env>`: alarm states, the cluster now (status, master, nodes per role,
 * unassigned shards), heap and disk per node against the watermarks, certificate days, the alerter's heartbeat, and
 * the roll's progress (steps blocked, nodes replaced, bytes left on the draining node, drains at termination).
 */
export class ClusterDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ClusterDashboardProps) {
    super(scope, id);
    const m = props.metrics;
    const env = m.environment;
    const rollPeriod = Duration.minutes(5);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `elk-cdk-${env}`,
      defaultInterval: Duration.hours(24),
    });
    const status = (label: string) => m.cluster(METRIC.status, 'Maximum', label);
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# elk-cdk ${env}\nCluster status: 0 green, 1 yellow, 2 red (or no master, or no answer). Alarms notify the environment's topic (docs/monitoring.md). Roll: \`elkctl roll status --env ${env}\`.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms.all, width: 24, height: 3 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.SingleValueWidget({
        title: 'Cluster now',
        metrics: [
          status('status (0 green, 1 yellow, 2 red)'),
          m.cluster(METRIC.masterPresent, 'Minimum', 'elected master'),
          m.cluster(METRIC.masterNodes, 'Minimum', 'master nodes'),
          m.cluster(METRIC.dataNodes, 'Minimum', 'data nodes'),
          m.cluster(METRIC.unassignedShards, 'Maximum', 'unassigned shards'),
          m.cluster(METRIC.certificateDays, 'Minimum', 'certificate days left'),
        ],
        width: 24,
        height: 4,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Cluster status and master',
        left: [status('status'), m.cluster(METRIC.masterPresent, 'Minimum', 'elected master')],
        leftYAxis: { min: 0, max: 2 },
        leftAnnotations: [{ value: 2, label: 'red', color: cloudwatch.Color.RED }],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Nodes per role',
        left: [m.cluster(METRIC.masterNodes, 'Minimum', 'master'), m.cluster(METRIC.dataNodes, 'Minimum', 'data')],
        leftYAxis: { min: 0 },
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Unassigned shards',
        left: [m.cluster(METRIC.unassignedShards, 'Maximum', 'unassigned')],
        leftYAxis: { min: 0 },
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'JVM heap used per node (%)',
        left: [m.perNode(METRIC.heapUsed, 'heap')],
        leftYAxis: { min: 0, max: 100 },
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Disk used per data node (%) and the watermarks',
        left: [m.perNode(METRIC.diskUsed, 'disk')],
        leftYAxis: { min: 0, max: 100 },
        leftAnnotations: [
          { value: LOW_WATERMARK, label: 'low watermark', color: cloudwatch.Color.ORANGE },
          {
            value: props.thresholds.diskHighWatermarkPercent,
            label: 'high watermark (alarm)',
            color: cloudwatch.Color.RED,
          },
          { value: FLOOD_STAGE, label: 'flood stage (read-only)', color: cloudwatch.Color.PURPLE },
        ],
        width: 12,
      }),
    );
    const rollout = (name: string, stat: string, label: string) => m.rollout(name, stat, rollPeriod, label);
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Roll: steps and blocked steps',
        left: [rollout('RolloutSteps', 'Sum', 'steps'), rollout('RolloutBlocked', 'Sum', 'blocked steps')],
        right: [rollout('RolloutNodesReplaced', 'Sum', 'nodes replaced')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Roll: data left on the draining node',
        left: [rollout('RolloutBytesLeftOnDrainingNode', 'Minimum', 'bytes left')],
        right: [rollout('RolloutShardsLeftOnDrainingNode', 'Minimum', 'shards left')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Terminations (drained first?)',
        left: [
          rollout('DrainedTerminations', 'Sum', 'drained'),
          rollout('UndrainedTerminations', 'Sum', 'undrained'),
          rollout('DrainImpossible', 'Sum', 'drain impossible'),
        ],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Certificate days to expiry (first to expire)',
        left: [
          m.cluster(METRIC.certificateDays, 'Minimum', 'days (collector)'),
          m.nodeCertificateDays(props.nodeRoles),
          m.cluster(METRIC.caCertificateDays, 'Minimum', 'CA days (collector)'),
          // every Kibana and Logstash instance's certificate, read from outside by the collector
          ...(Object.keys(props.alarms.tierCertificateExpiry) as ServiceTier[]).map((tier) =>
            m.tier(METRIC.tierCertificateDays, tier, 'Minimum', m.period, `${tier} days (collector)`),
          ),
        ],
        leftAnnotations: [
          { value: props.thresholds.nodeCertificateExpiryDays, label: 'node alarm', color: cloudwatch.Color.RED },
          { value: props.thresholds.certificateExpiryDays, label: 'CA alarm', color: cloudwatch.Color.ORANGE },
        ],
        leftYAxis: { min: 0 },
        width: 12,
      }),
      // always drawn: the cluster template must not depend on alerter.enabled (test/config-changes/stack-coupling)
      new cloudwatch.GraphWidget({
        title: 'Alerter: seconds since the last rule run',
        left: [m.alerterHeartbeat()],
        leftYAxis: { min: 0 },
        width: 12,
      }),
    );
  }
}
