/**
 * The metrics the alarms and the dashboard read, as CDK Metric objects: the collector's (`elk-cdk/Cluster`), the
 * rolling replacement's (`ElkCdk/Rollout`), the termination drain's and the alerter's heartbeat. One place, so an
 * alarm and its dashboard graph always read the same series.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import {
  CLUSTER_NAMESPACE,
  ENVIRONMENT_DIMENSION,
  METRIC,
  NODE_DIMENSION,
  TIER_DIMENSION,
  type Tier,
} from '../../lambda/cluster-metrics/contract';
import { HEARTBEAT_METRIC, HEARTBEAT_NAMESPACE } from '../alerter/Heartbeat';
import { NODE_METRICS_NAMESPACE } from '../security/ClusterSecurity';
import { METRICS_NAMESPACE as ROLLOUT_NAMESPACE } from '../rolling-replacement/RollingReplacement';

export type ClusterMetricName = (typeof METRIC)[keyof typeof METRIC];

export class EnvironmentMetrics {
  constructor(
    readonly environment: string,
    /** The collection period: every alarm on the collector's metrics evaluates per period. */
    readonly period: Duration,
  ) {}

  cluster(name: ClusterMetricName, statistic: string, label?: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: CLUSTER_NAMESPACE,
      metricName: name,
      dimensionsMap: { [ENVIRONMENT_DIMENSION]: this.environment },
      statistic,
      period: this.period,
      label,
    });
  }

  /** A per-tier series of the collector's certificate probe ({Environment, Tier}). */
  tier(
    name: typeof METRIC.tierCertificateDays | typeof METRIC.tierCertificatesUnread,
    tier: Tier,
    statistic: string,
    period: Duration,
    label?: string,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: CLUSTER_NAMESPACE,
      metricName: name,
      dimensionsMap: { [ENVIRONMENT_DIMENSION]: this.environment, [TIER_DIMENSION]: tier },
      statistic,
      period,
      label,
    });
  }

  /** Every node's series of a per-node metric (a SEARCH: nodes come and go with each roll). */
  perNode(name: typeof METRIC.heapUsed | typeof METRIC.diskUsed, label: string): cloudwatch.MathExpression {
    const search = `SEARCH('{${CLUSTER_NAMESPACE},${ENVIRONMENT_DIMENSION},${NODE_DIMENSION}} MetricName="${name}" ${ENVIRONMENT_DIMENSION}="${this.environment}"', 'Maximum', ${this.period.toSeconds()})`;
    return new cloudwatch.MathExpression({ expression: search, label, usingMetrics: {}, period: this.period });
  }

  rollout(name: string, statistic: string, period: Duration, label?: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: ROLLOUT_NAMESPACE,
      metricName: name,
      dimensionsMap: { Environment: this.environment },
      statistic,
      period,
      label,
    });
  }

  /**
   * The lowest days-to-expiry the nodes of `roles` report themselves (elk-cdk/Nodes, {Environment, Role},
   * published by scripts/security/node-cert-renew.sh every 6 hours, hence the 6-hour period).
   */
  nodeCertificateDays(roles: readonly string[]): cloudwatch.MathExpression {
    return this.nodesReport('CertificateDaysToExpiry', 'Minimum', 'MIN', roles, 'days left (nodes)');
  }

  /** 1 when a node of `roles` reported a failed renewal (or its reload) in the 6-hour period, else 0. */
  nodeRenewalFailed(roles: readonly string[]): cloudwatch.MathExpression {
    return this.nodesReport('CertificateRenewalFailed', 'Maximum', 'MAX', roles, 'renewal failed (nodes)');
  }

  private nodesReport(
    name: string,
    statistic: string,
    fn: 'MIN' | 'MAX',
    roles: readonly string[],
    label: string,
  ): cloudwatch.MathExpression {
    if (roles.length === 0 || roles.some((r) => !/^[a-z][a-z0-9]*$/.test(r)))
      throw new Error(`EnvironmentMetrics: node roles must be lower-case words, got [${roles.join(', ')}]`);
    const usingMetrics = Object.fromEntries(
      roles.map((r) => [
        r,
        new cloudwatch.Metric({
          namespace: NODE_METRICS_NAMESPACE,
          metricName: name,
          dimensionsMap: { Environment: this.environment, Role: r },
          statistic,
          period: Duration.hours(6),
        }),
      ]),
    );
    return new cloudwatch.MathExpression({
      expression: `${fn}([${roles.join(', ')}])`,
      usingMetrics,
      period: Duration.hours(6),
      label,
    });
  }

  alerterHeartbeat(): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: HEARTBEAT_NAMESPACE,
      metricName: HEARTBEAT_METRIC,
      dimensionsMap: { Environment: this.environment },
      statistic: 'Maximum',
      period: Duration.minutes(1),
      label: 'seconds since the last rule run',
    });
  }
}
