import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { METRIC, PROBE_BOOT_GRACE_MINUTES, type ServiceTier } from '../../lambda/cluster-metrics/contract';
import { EnvironmentMetrics } from './metrics';

export interface ClusterAlarmsProps {
  readonly metrics: EnvironmentMetrics;
  readonly thresholds: EnvironmentConfig['alarms'];
  /** The roles whose nodes renew a certificate and report on it (master, data, kibana, logstash when present). */
  readonly nodeRoles: readonly string[];
  /** Validity of an issued node certificate: nodes renew below half of it. */
  readonly nodeCertificateValidityDays: number;
  /** Notified when an alarm fires and when it clears. */
  readonly topic: sns.ITopic;
  /** The service tiers whose instances the collector probes (kibana, logstash when present). @default none */
  readonly serviceTiers?: readonly ServiceTier[];
}

/**
 * How long a tier may go without any certificate read, or an instance stay unreadable, before its alarm fires.
 * Certificates are renewed days before they end, so an hour costs nothing; it covers the first creation of an
 * environment (Kibana and Logstash start after the cluster) and a replacement's boot.
 */
export const CERTIFICATE_SILENCE_MINUTES = 60;
/** The evaluation period of the per-tier probe alarms: 6 periods make the hour. */
const TIER_PERIOD = Duration.minutes(10);

/** Periods needed to cover `minutes` at the collection period (at least one). */
export function periodsFor(minutes: number, period: Duration): number {
  return Math.max(1, Math.ceil((minutes * 60) / period.toSeconds()));
}

/**
 * The environment's alarms on the cluster and its roll (docs/monitoring.md). Each notifies the topic on ALARM and
 * on OK. An alarm whose collector metric stops arriving fires where silence itself is the danger (red, no master):
 * a cluster nobody can observe pages.
 */
export class ClusterAlarms extends Construct {
  readonly red: cloudwatch.Alarm;
  readonly yellow: cloudwatch.Alarm;
  readonly noMaster: cloudwatch.Alarm;
  readonly diskHighWatermark: cloudwatch.Alarm;
  /** A node certificate (or the CA) seen in a TLS handshake by the collector, within the node threshold. */
  readonly certificateExpiry: cloudwatch.Alarm;
  /** The cluster CA within `certificateExpiryDays`. */
  readonly caCertificateExpiry: cloudwatch.Alarm;
  /** The nodes' own renewal metric (elk-cdk/Nodes, published every 6 h by node-cert-renew.sh). */
  readonly nodeCertificateExpiry: cloudwatch.Alarm;
  /** Renewals (or the reload after one) failing on some node in two 6-hour periods in a row. */
  readonly nodeCertificateRenewalFailing: cloudwatch.Alarm;
  /**
   * Per service tier (Kibana, Logstash): the certificates the collector read from its instances within the node
   * threshold, or no certificate of the tier read for an hour (missing data breaching).
   */
  readonly tierCertificateExpiry: Partial<Record<ServiceTier, cloudwatch.Alarm>> = {};
  /** Some instance of any tier past its boot whose certificate the collector could not read, for an hour. */
  readonly certificateUnread: cloudwatch.Alarm;
  readonly rollBlocked: cloudwatch.Alarm;
  readonly all: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: ClusterAlarmsProps) {
    super(scope, id);
    const { metrics: m, thresholds: t } = props;
    const env = m.environment;
    const period = m.period;
    const renewAt = props.nodeCertificateValidityDays / 2;
    if (t.nodeCertificateExpiryDays >= renewAt)
      throw new Error(
        `alarms.nodeCertificateExpiryDays (${t.nodeCertificateExpiryDays}) of environment ${env} must be below ${renewAt}: node certificates live ${props.nodeCertificateValidityDays} days and are renewed when less than half is left, so the alarm would fire while renewals work. Lower it in config/environments/${env}.yaml (default 2).`,
      );

    this.red = new cloudwatch.Alarm(this, 'ClusterRed', {
      alarmName: `elk-cdk-${env}-cluster-red`,
      alarmDescription: `elk-cdk ${env}: the cluster is red (a primary shard is unassigned), has no elected master, does not answer, or the collector publishes nothing. Check _cluster/health and the collector's log.`,
      metric: m.cluster(METRIC.status, 'Maximum'),
      threshold: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const yellowPeriods = periodsFor(t.yellowMinutes, period);
    this.yellow = new cloudwatch.Alarm(this, 'ClusterYellow', {
      alarmName: `elk-cdk-${env}-cluster-yellow`,
      alarmDescription: `elk-cdk ${env}: the cluster has not been green for ${t.yellowMinutes} minutes (replicas unassigned: one more node loss can lose data). During a roll, replicas of upgraded primaries may stay unassigned by design (docs/rollout.md).`,
      metric: m.cluster(METRIC.status, 'Minimum'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: yellowPeriods,
      datapointsToAlarm: yellowPeriods,
      // silence is the red alarm's business
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const masterPeriods = periodsFor(2, period);
    this.noMaster = new cloudwatch.Alarm(this, 'NoMaster', {
      alarmName: `elk-cdk-${env}-no-master`,
      alarmDescription: `elk-cdk ${env}: no elected master for ${masterPeriods * period.toMinutes()} minutes (an election takes seconds): the cluster accepts no change. Check the master group and the master nodes' logs.`,
      metric: m.cluster(METRIC.masterPresent, 'Maximum'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: masterPeriods,
      datapointsToAlarm: masterPeriods,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const diskPeriods = periodsFor(5, period);
    this.diskHighWatermark = new cloudwatch.Alarm(this, 'DiskHighWatermark', {
      alarmName: `elk-cdk-${env}-disk-high-watermark`,
      alarmDescription: `elk-cdk ${env}: a data node's disk is above ${t.diskHighWatermarkPercent}% used (the high watermark: Elasticsearch moves shards away, and at 95% makes indices read-only). Add data nodes or volume, or delete old indices.`,
      metric: m.cluster(METRIC.diskUsedMax, 'Maximum'),
      threshold: t.diskHighWatermarkPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: diskPeriods,
      datapointsToAlarm: diskPeriods,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const nodeDays = t.nodeCertificateExpiryDays;
    this.certificateExpiry = new cloudwatch.Alarm(this, 'CertificateExpiry', {
      alarmName: `elk-cdk-${env}-certificate-expiry`,
      alarmDescription: `elk-cdk ${env}: an Elasticsearch node presents (TLS handshake, read by the collector) a certificate that expires within ${nodeDays} days, or the CA does. Nodes renew at ${renewAt} days left: that node's renewals are failing; see the collector's log line for which, and the node's journal for elk-cdk-cert-renew.`,
      metric: m.cluster(METRIC.certificateDays, 'Minimum'),
      threshold: nodeDays,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
    this.caCertificateExpiry = new cloudwatch.Alarm(this, 'CaCertificateExpiry', {
      alarmName: `elk-cdk-${env}-ca-certificate-expiry`,
      alarmDescription: `elk-cdk ${env}: the cluster CA expires within ${t.certificateExpiryDays} days. Rotate it (two phases, docs/security.md) before then: no node certificate outlives it.`,
      metric: m.cluster(METRIC.caCertificateDays, 'Minimum'),
      threshold: t.certificateExpiryDays,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
    this.nodeCertificateExpiry = new cloudwatch.Alarm(this, 'NodeCertificateExpiry', {
      alarmName: `elk-cdk-${env}-node-certificate-expiry`,
      alarmDescription: `elk-cdk ${env}: a node (${props.nodeRoles.join(', ')}) reports its own certificate expiring within ${nodeDays} days (node-cert-renew.sh renews at ${renewAt} days left: its renewals are failing; the Role dimension says which group, the node's journal for elk-cdk-cert-renew says why).`,
      metric: m.nodeCertificateDays(props.nodeRoles),
      threshold: nodeDays,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
    this.nodeCertificateRenewalFailing = new cloudwatch.Alarm(this, 'NodeCertificateRenewalFailing', {
      alarmName: `elk-cdk-${env}-node-certificate-renewal-failing`,
      alarmDescription: `elk-cdk ${env}: certificate renewals (or the reload of Kibana or Logstash after one) failed on a node (${props.nodeRoles.join(', ')}) in two 6-hour periods in a row. The certificate still works until it expires (node-certificate-expiry fires at ${nodeDays} days left); see the node's journal for elk-cdk-cert-renew (the issuer's reason is in it).`,
      metric: m.nodeRenewalFailed(props.nodeRoles),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      // a 6-hour period without a report: the expiry alarms and the collector speak for the node
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const silence = periodsFor(CERTIFICATE_SILENCE_MINUTES, TIER_PERIOD);
    for (const tier of props.serviceTiers ?? []) {
      this.tierCertificateExpiry[tier] = new cloudwatch.Alarm(
        this,
        `${tier === 'kibana' ? 'Kibana' : 'Logstash'}CertificateExpiry`,
        {
          alarmName: `elk-cdk-${env}-${tier}-certificate-expiry`,
          alarmDescription: `elk-cdk ${env}: a ${tier} instance presents (TLS handshake on port ${tier === 'kibana' ? 5601 : 5044}, read by the collector) a certificate that expires within ${nodeDays} days or that clients refuse (expired, not of the cluster CA, not naming its IP); or for ${CERTIFICATE_SILENCE_MINUTES} minutes no ${tier} certificate was read at all (no instance running, none answering, the collector cannot list them or does not run). Whatever the nodes publish themselves: the collector's log line names the instance and the reason.`,
          metric: m.tier(METRIC.tierCertificateDays, tier, 'Minimum', TIER_PERIOD),
          threshold: nodeDays,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: silence,
          datapointsToAlarm: silence,
          // a tier whose certificates nobody can read is a tier whose expiry nobody sees
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        },
      );
    }
    const probedTiers = ['elasticsearch', ...(props.serviceTiers ?? [])] as const;
    this.certificateUnread = new cloudwatch.Alarm(this, 'CertificateUnread', {
      alarmName: `elk-cdk-${env}-certificate-unread`,
      alarmDescription: `elk-cdk ${env}: for ${CERTIFICATE_SILENCE_MINUTES} minutes the collector could not read the certificate of some instance (${probedTiers.join(', ')}) running for more than ${PROBE_BOOT_GRACE_MINUTES} minutes (Elasticsearch: a node in the cluster): its service does not answer TLS on its port, or the network between them is broken. Its expiry is then seen by nobody but the node itself. The collector's log line names the instance.`,
      metric: new cloudwatch.MathExpression({
        expression: `MAX([${probedTiers.join(', ')}])`,
        usingMetrics: Object.fromEntries(
          probedTiers.map((tier) => [tier, m.tier(METRIC.tierCertificatesUnread, tier, 'Minimum', TIER_PERIOD)]),
        ),
        period: TIER_PERIOD,
        label: 'instances whose certificate is unread',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: silence,
      datapointsToAlarm: silence,
      // no data: the collector does not run (cluster-red) or cannot list the tiers (the tier alarms above)
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.rollBlocked = rollBlockedAlarm(this, m, t.rollBlockedMinutes);

    this.all = [
      this.red,
      this.yellow,
      this.noMaster,
      this.diskHighWatermark,
      this.certificateExpiry,
      this.caCertificateExpiry,
      this.nodeCertificateExpiry,
      this.nodeCertificateRenewalFailing,
      ...Object.values(this.tierCertificateExpiry),
      this.certificateUnread,
      this.rollBlocked,
    ];
    for (const a of this.all) {
      a.addAlarmAction(new actions.SnsAction(props.topic));
      a.addOkAction(new actions.SnsAction(props.topic));
    }
  }
}

/**
 * A roll that makes no progress for `minutes`: every reconcile step of the window was blocked by a gate
 * (`RolloutBlocked` minimum 1) and the draining node's bytes did not change (a drain that moves data is progress,
 * even though its step reports `strictly-drained`). Evaluated over one window of `minutes` (CloudWatch aligns it to
 * the clock, so it fires between `minutes` and twice that after the roll stops moving). No roll, no data: OK.
 */
function rollBlockedAlarm(scope: Construct, m: EnvironmentMetrics, minutes: number): cloudwatch.Alarm {
  const window = Duration.minutes(minutes);
  const expression = new cloudwatch.MathExpression({
    expression: 'IF(blocked >= 1 AND (bytesMax - bytesMin) == 0, 1, 0)',
    usingMetrics: {
      blocked: m.rollout('RolloutBlocked', 'Minimum', window),
      bytesMax: m.rollout('RolloutBytesLeftOnDrainingNode', 'Maximum', window),
      bytesMin: m.rollout('RolloutBytesLeftOnDrainingNode', 'Minimum', window),
    },
    period: window,
    label: 'roll without progress',
  });
  return new cloudwatch.Alarm(scope, 'RollBlocked', {
    alarmName: `elk-cdk-${m.environment}-roll-blocked`,
    alarmDescription: `elk-cdk ${m.environment}: the rolling replacement has made no progress for ${minutes} minutes (blocked by a safety gate, or a drain that moves no data). \`elkctl roll status --env ${m.environment}\` names the blocking predicate (README, safety predicates catalogue).`,
    metric: expression,
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}
