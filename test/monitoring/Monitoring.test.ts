import { Match, Template } from 'aws-cdk-lib/assertions';
import { ElkStage } from '../../lib/ElkStage';
import { loadEnvironment } from '../../lib/config';
import { ROLES } from '../../lib/security/roles';
import { resourcesOf, synthEnvironment } from '../cluster/helpers';
import { testApp } from '../helpers/app';

const s = synthEnvironment('dev');
const alarms = resourcesOf(s, 'AWS::CloudWatch::Alarm');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function alarm(name: string): Record<string, any> {
  const found = Object.values(alarms).find((a) => a.Properties!.AlarmName === name);
  if (!found) throw new Error(`no alarm ${name}; have ${Object.values(alarms).map((a) => a.Properties!.AlarmName)}`);
  return found.Properties!;
}
const topicRef = { Ref: Object.keys(resourcesOf(s, 'AWS::SNS::Topic')).find((id) => id.startsWith('MonitoringTopic')) };
const cfg = loadEnvironment('dev').alarms;

describe('alarms of an environment (dev, default thresholds)', () => {
  it('creates the topic elk-cdk-dev-alarms, TLS only, and every alarm notifies it on ALARM and on OK', () => {
    expect(topicRef.Ref).toBeDefined();
    s.template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'elk-cdk-dev-alarms' });
    for (const name of [
      'cluster-red',
      'cluster-yellow',
      'no-master',
      'disk-high-watermark',
      'certificate-expiry',
      'node-certificate-expiry',
      'roll-blocked',
    ]) {
      const a = alarm(`elk-cdk-dev-${name}`);
      expect([name, a.AlarmActions]).toEqual([name, [topicRef]]);
      expect([name, a.OKActions]).toEqual([name, [topicRef]]);
    }
  });

  it('red: at once (one collection), and silence is red too (missing data breaching)', () => {
    expect(alarm('elk-cdk-dev-cluster-red')).toMatchObject({
      Namespace: 'elk-cdk/Cluster',
      MetricName: 'ClusterStatus',
      Dimensions: [{ Name: 'Environment', Value: 'dev' }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 2,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'breaching',
    });
  });

  it('yellow: not green at every collection of alarms.yellowMinutes', () => {
    expect(alarm('elk-cdk-dev-cluster-yellow')).toMatchObject({
      MetricName: 'ClusterStatus',
      Statistic: 'Minimum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: cfg.yellowMinutes,
      DatapointsToAlarm: cfg.yellowMinutes,
      TreatMissingData: 'notBreaching',
    });
  });

  it('no master: two collections in a row without an elected master, silence breaching', () => {
    expect(alarm('elk-cdk-dev-no-master')).toMatchObject({
      MetricName: 'MasterPresent',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'breaching',
    });
  });

  it('disk: the fullest data node above alarms.diskHighWatermarkPercent for 5 minutes', () => {
    expect(alarm('elk-cdk-dev-disk-high-watermark')).toMatchObject({
      MetricName: 'DiskUsedPercentMax',
      Statistic: 'Maximum',
      Threshold: cfg.diskHighWatermarkPercent,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 5,
    });
    expect(cfg.diskHighWatermarkPercent).toBe(90);
  });

  it('certificates: the first node certificate or CA to expire within alarms.certificateExpiryDays', () => {
    expect(alarm('elk-cdk-dev-certificate-expiry')).toMatchObject({
      MetricName: 'CertificateDaysToExpiry',
      Statistic: 'Minimum',
      Threshold: 14,
      ComparisonOperator: 'LessThanOrEqualToThreshold',
    });
  });

  it("certificates, the nodes' own report: the lowest of the master and data nodes' renewal metric, 6-hour periods", () => {
    const a = alarm('elk-cdk-dev-node-certificate-expiry');
    expect(a).toMatchObject({ Threshold: 14, ComparisonOperator: 'LessThanOrEqualToThreshold' });
    expect(a.Metrics.find((q: { Expression?: string }) => q.Expression).Expression).toBe('MIN([master, data])');
    const stats = a.Metrics.filter((q: { MetricStat?: unknown }) => q.MetricStat).map(
      (q: { MetricStat: { Metric: { Namespace: string; Dimensions: unknown }; Period: number } }) => q.MetricStat,
    );
    expect(stats).toHaveLength(2);
    for (const st of stats) {
      expect(st.Metric.Namespace).toBe('elk-cdk/Nodes');
      expect(st.Period).toBe(21600);
    }
  });

  it('roll blocked: every step of an alarms.rollBlockedMinutes window blocked and no byte drained', () => {
    const a = alarm('elk-cdk-dev-roll-blocked');
    expect(a).toMatchObject({ Threshold: 1, EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
    const expr = a.Metrics.find((q: { Expression?: string }) => q.Expression);
    expect(expr).toMatchObject({
      Expression: 'IF(blocked >= 1 AND (bytesMax - bytesMin) == 0, 1, 0)',
      ReturnData: true,
    });
    const byId = Object.fromEntries(
      a.Metrics.filter((q: { MetricStat?: unknown }) => q.MetricStat).map((q: any) => [q.Id, q.MetricStat]), // eslint-disable-line @typescript-eslint/no-explicit-any
    );
    expect(byId.blocked).toMatchObject({
      Metric: { Namespace: 'ElkCdk/Rollout', MetricName: 'RolloutBlocked' },
      Stat: 'Minimum',
      Period: cfg.rollBlockedMinutes * 60,
    });
    expect(byId.bytesMax).toMatchObject({ Metric: { MetricName: 'RolloutBytesLeftOnDrainingNode' }, Stat: 'Maximum' });
    expect(byId.bytesMin).toMatchObject({ Metric: { MetricName: 'RolloutBytesLeftOnDrainingNode' }, Stat: 'Minimum' });
  });
});

describe('metrics collector', () => {
  const fns = resourcesOf(s, 'AWS::Lambda::Function');
  const [collectorId, collector] = Object.entries(fns).find(([id]) => id.startsWith('MonitoringCollector'))!;

  it('runs in the VPC in the Elasticsearch client group, every alarms.collectEveryMinutes, without retries', () => {
    expect(collector.Properties!.VpcConfig.SecurityGroupIds).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^SecurityGroupsClient/), 'GroupId'] },
    ]);
    expect(collector.Properties!.Environment.Variables).toMatchObject({
      ENVIRONMENT: 'dev',
      ES_ENDPOINT: 'https://elasticsearch.dev.elk.internal:9200',
      CA_PARAMETER_NAME: '/elk/dev/security/ca-cert',
    });
    s.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [collectorId, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        }),
      ],
    });
  });

  it('may put metric data in elk-cdk/Cluster only, read the CA parameter and the metrics_collector secret only', () => {
    const roleId = (collector.Properties!.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    const statements = Object.values(resourcesOf(s, 'AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties!.Roles).includes(roleId))
      .flatMap((p) => p.Properties!.PolicyDocument.Statement as Array<Record<string, any>>); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(statements.find((st) => st.Sid === 'PublishClusterMetrics')).toMatchObject({
      Action: 'cloudwatch:PutMetricData',
      Condition: { StringEquals: { 'cloudwatch:namespace': 'elk-cdk/Cluster' } },
    });
    const secretReads = statements.filter((st) => [st.Action].flat().includes('secretsmanager:GetSecretValue'));
    expect(secretReads).toHaveLength(1);
    expect(JSON.stringify(secretReads[0]!.Resource)).toMatch(/SecurityUserMetricsCollector/);
    const actions = new Set(statements.flatMap((st) => [st.Action].flat()));
    expect([...actions].sort()).toEqual(
      [
        'cloudwatch:PutMetricData',
        'ec2:AssignPrivateIpAddresses',
        'ec2:CreateNetworkInterface',
        'ec2:DeleteNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:UnassignPrivateIpAddresses',
        'kms:Decrypt',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'ssm:GetParameter',
      ].filter((x) => actions.has(x) || !x.startsWith('secretsmanager:Describe')),
    );
  });

  it('reads the cluster with a role of three read-only cluster actions and no index privilege', () => {
    expect(ROLES.metrics_collector).toEqual({
      cluster: ['cluster:monitor/health', 'cluster:monitor/nodes/stats', 'cluster:monitor/nodes/info'],
      indices: [],
      metadata: { managed_by: 'elk-cdk' },
    });
  });
});

describe('dashboard', () => {
  const dashboards = resourcesOf(s, 'AWS::CloudWatch::Dashboard');
  const [d] = Object.values(dashboards);
  const body = JSON.stringify(s.stack.resolve(d!.Properties!.DashboardBody));

  it('one dashboard elk-cdk-<env> with the cluster, per-node heap and disk, certificates, alerter and the roll', () => {
    expect(Object.keys(dashboards)).toHaveLength(1);
    expect(d!.Properties!.DashboardName).toBe('elk-cdk-dev');
    for (const needle of [
      'ClusterStatus',
      'MasterPresent',
      'MasterNodes',
      'DataNodes',
      'UnassignedShards',
      'MetricName=\\\\\\"HeapUsedPercent\\\\\\"',
      'MetricName=\\\\\\"DiskUsedPercent\\\\\\"',
      'CertificateDaysToExpiry',
      'SecondsSinceLastRuleRun',
      'RolloutBlocked',
      'RolloutNodesReplaced',
      'RolloutBytesLeftOnDrainingNode',
      'high watermark (alarm)',
    ]) {
      expect([needle, body.includes(needle)]).toEqual([needle, true]);
    }
  });
});

describe('alarms.topicArn', () => {
  it('uses the given topic in both stacks and creates none', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:111111111111:pager';
    const app = testApp();
    const staging = loadEnvironment('staging');
    const stage = new ElkStage(app, 'staging', { config: { ...staging, alarms: { ...staging.alarms, topicArn } } });
    const cluster = Template.fromStack(stage.cluster);
    expect(Object.keys(cluster.findResources('AWS::SNS::Topic'))).toEqual([
      expect.stringMatching(/^SecurityCaKeyReadAlarmTopic/),
    ]);
    const red = Object.values(cluster.findResources('AWS::CloudWatch::Alarm')).find(
      (a) => a.Properties.AlarmName === 'elk-cdk-staging-cluster-red',
    )!;
    expect(red.Properties.AlarmActions).toEqual([topicArn]);
    const alerter = Template.fromStack(stage.alerter!);
    alerter.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'SecondsSinceLastRuleRun',
      AlarmActions: [topicArn],
    });
  });
});
