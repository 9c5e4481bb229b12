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
      'ca-certificate-expiry',
      'node-certificate-expiry',
      'node-certificate-renewal-failing',
      'kibana-certificate-expiry',
      'certificate-unread',
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

  // Node certificates live 7 days and are renewed at 3.5 days left: an alarm at 14 days (the old threshold for
  // every certificate) was in ALARM from the first deployment on. Nodes and CA have their own thresholds now.
  it('certificates seen by the collector: the first node certificate (or the CA) within alarms.nodeCertificateExpiryDays', () => {
    expect(cfg.nodeCertificateExpiryDays).toBe(2);
    expect(alarm('elk-cdk-dev-certificate-expiry')).toMatchObject({
      MetricName: 'CertificateDaysToExpiry',
      Statistic: 'Minimum',
      Threshold: cfg.nodeCertificateExpiryDays,
      ComparisonOperator: 'LessThanOrEqualToThreshold',
    });
  });

  it('the CA: its own days to expiry within alarms.certificateExpiryDays', () => {
    expect(alarm('elk-cdk-dev-ca-certificate-expiry')).toMatchObject({
      Namespace: 'elk-cdk/Cluster',
      MetricName: 'CaCertificateDaysToExpiry',
      Dimensions: [{ Name: 'Environment', Value: 'dev' }],
      Statistic: 'Minimum',
      Threshold: 14,
      ComparisonOperator: 'LessThanOrEqualToThreshold',
    });
  });

  /** The MetricStat queries of an expression alarm, by id. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const statsOf = (a: Record<string, any>) =>
    Object.fromEntries(
      a.Metrics.filter((q: { MetricStat?: unknown }) => q.MetricStat).map((q: any) => [q.Id, q.MetricStat]), // eslint-disable-line @typescript-eslint/no-explicit-any
    );

  it("certificates, the nodes' own report: the lowest of every node group's renewal metric (Kibana too), 6-hour periods", () => {
    const a = alarm('elk-cdk-dev-node-certificate-expiry');
    expect(a).toMatchObject({
      Threshold: cfg.nodeCertificateExpiryDays,
      ComparisonOperator: 'LessThanOrEqualToThreshold',
    });
    // dev runs Kibana and no Logstash
    expect(a.Metrics.find((q: { Expression?: string }) => q.Expression).Expression).toBe('MIN([master, data, kibana])');
    const stats = statsOf(a);
    expect(Object.keys(stats).sort()).toEqual(['data', 'kibana', 'master']);
    for (const [role, st] of Object.entries(stats)) {
      expect(st).toMatchObject({
        Metric: {
          Namespace: 'elk-cdk/Nodes',
          MetricName: 'CertificateDaysToExpiry',
          Dimensions: expect.arrayContaining([{ Name: 'Role', Value: role }]),
        },
        Stat: 'Minimum',
        Period: 21600,
      });
    }
  });

  it('a renewal that failed in two 6-hour periods in a row, on any node group', () => {
    const a = alarm('elk-cdk-dev-node-certificate-renewal-failing');
    expect(a).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
    expect(a.Metrics.find((q: { Expression?: string }) => q.Expression).Expression).toBe('MAX([master, data, kibana])');
    for (const st of Object.values(statsOf(a))) {
      expect(st).toMatchObject({
        Metric: { Namespace: 'elk-cdk/Nodes', MetricName: 'CertificateRenewalFailed' },
        Stat: 'Maximum',
        Period: 21600,
      });
    }
  });

  // Issue #13: a Kibana or Logstash node that publishes nothing itself is still seen. The collector reads each
  // instance's certificate from outside; no certificate of a tier read for an hour is an alarm, not no news.
  it("kibana (dev has no Logstash): its instances' certificates, read by the collector, or none read for an hour", () => {
    const a = alarm('elk-cdk-dev-kibana-certificate-expiry');
    expect(a).toMatchObject({
      Namespace: 'elk-cdk/Cluster',
      MetricName: 'TierCertificateDaysToExpiry',
      Dimensions: [
        { Name: 'Environment', Value: 'dev' },
        { Name: 'Tier', Value: 'kibana' },
      ],
      Statistic: 'Minimum',
      Period: 600,
      Threshold: cfg.nodeCertificateExpiryDays,
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      EvaluationPeriods: 6,
      DatapointsToAlarm: 6,
      TreatMissingData: 'breaching',
    });
    expect(Object.values(alarms).map((x) => x.Properties!.AlarmName)).not.toContain(
      'elk-cdk-dev-logstash-certificate-expiry',
    );
  });

  it('an instance whose certificate stays unread for an hour, on any tier, Elasticsearch included', () => {
    const a = alarm('elk-cdk-dev-certificate-unread');
    expect(a).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 6,
      DatapointsToAlarm: 6,
      TreatMissingData: 'notBreaching',
    });
    expect(a.Metrics.find((q: { Expression?: string }) => q.Expression).Expression).toBe(
      'MAX([elasticsearch, kibana])',
    );
    for (const [tier, st] of Object.entries(statsOf(a))) {
      expect(st).toMatchObject({
        Metric: {
          Namespace: 'elk-cdk/Cluster',
          MetricName: 'TierCertificatesUnread',
          Dimensions: expect.arrayContaining([{ Name: 'Tier', Value: tier }]),
        },
        // unread in every collection of the period, six periods in a row: not a blip
        Stat: 'Minimum',
        Period: 600,
      });
    }
  });

  it('staging and production: a Logstash certificate alarm too, and both service tiers probed', () => {
    for (const env of ['staging', 'production']) {
      const st = synthEnvironment(env);
      const byName = Object.fromEntries(
        Object.values(resourcesOf(st, 'AWS::CloudWatch::Alarm')).map((x) => [x.Properties!.AlarmName, x.Properties!]),
      );
      expect(byName[`elk-cdk-${env}-logstash-certificate-expiry`]).toMatchObject({
        MetricName: 'TierCertificateDaysToExpiry',
        Dimensions: expect.arrayContaining([{ Name: 'Tier', Value: 'logstash' }]),
        TreatMissingData: 'breaching',
      });
      expect(byName[`elk-cdk-${env}-kibana-certificate-expiry`]).toBeDefined();
      const unread = byName[`elk-cdk-${env}-certificate-unread`]!;
      expect(unread.Metrics.find((q: { Expression?: string }) => q.Expression).Expression).toBe(
        'MAX([elasticsearch, kibana, logstash])',
      );
      const collector = Object.entries(resourcesOf(st, 'AWS::Lambda::Function')).find(([id]) =>
        id.startsWith('MonitoringCollector'),
      )![1];
      expect(collector.Properties!.Environment.Variables.PROBE_TIERS).toBe('kibana,logstash');
    }
  });

  it('staging and production watch their Logstash nodes too', () => {
    for (const env of ['staging', 'production']) {
      const st = synthEnvironment(env);
      const a = Object.values(resourcesOf(st, 'AWS::CloudWatch::Alarm')).find(
        (x) => x.Properties!.AlarmName === `elk-cdk-${env}-node-certificate-expiry`,
      )!.Properties!;
      expect(a.Metrics.find((q: { Expression?: string }) => q.Expression).Expression).toBe(
        'MIN([master, data, kibana, logstash])',
      );
    }
  });

  it('refuses a node threshold at or above half the validity (the alarm would fire while renewals work)', () => {
    const app = testApp();
    const config = loadEnvironment('dev');
    expect(
      () =>
        new ElkStage(app, 'dev', {
          config: { ...config, alarms: { ...config.alarms, nodeCertificateExpiryDays: 3.5 } },
        }),
    ).toThrow(
      /alarms\.nodeCertificateExpiryDays \(3\.5\) of environment dev must be below 3\.5: node certificates live 7 days .* Lower it in config\/environments\/dev\.yaml/,
    );
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
      // the certificate probe of each Kibana instance (dev has no Logstash)
      { 'Fn::GetAtt': [expect.stringMatching(/^SecurityGroupsCertificateProbe/), 'GroupId'] },
    ]);
    expect(collector.Properties!.Environment.Variables).toMatchObject({
      ENVIRONMENT: 'dev',
      ES_ENDPOINT: 'https://elasticsearch.dev.elk.internal:9200',
      CA_PARAMETER_NAME: '/elk/dev/security/ca-cert',
      PROBE_TIERS: 'kibana',
      ISSUER_POLICY_PARAMETER_NAME: '/elk/dev/security/issuer-policy',
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
        'ec2:DescribeInstances',
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
    // parameters: the CA certificate and the issuer policy (which groups are Kibana's and Logstash's), nothing else
    const parameterArns = statements
      .filter((st) => [st.Action].flat().includes('ssm:GetParameter'))
      .map((st) => JSON.stringify(st.Resource));
    expect(parameterArns).toHaveLength(2);
    expect(parameterArns.join(' ')).toMatch(/parameter\/elk\/dev\/security\/ca-cert"/);
    expect(parameterArns.join(' ')).toMatch(/parameter\/elk\/dev\/security\/issuer-policy"/);
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

describe('what the nodes publish (elk-cdk/Nodes): every instance role of the cluster may, in that namespace only', () => {
  const st = synthEnvironment('staging');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Json = Record<string, any>;
  const instanceRoles = Object.entries(resourcesOf(st, 'AWS::IAM::Role'))
    .filter(([, r]) => JSON.stringify(r.Properties!.AssumeRolePolicyDocument).includes('ec2.amazonaws.com'))
    .map(([id]) => id);
  const statementsOf = (role: string): Json[] =>
    Object.values(resourcesOf(st, 'AWS::IAM::Policy'))
      .filter((p) => (p.Properties!.Roles as Json[]).some((r) => r.Ref === role))
      .flatMap((p) => p.Properties!.PolicyDocument.Statement as Json[]);
  const cloudwatchWrites = (statements: Json[]) =>
    statements.filter((s) =>
      [s.Action].flat().some((a: string) => /^cloudwatch:(\*|Put\*|PutMetric\*|PutMetricData)$/.test(a) || a === '*'),
    );

  it('Elasticsearch (master and data), Kibana and Logstash each have one role, and each is checked', () => {
    // master, data, kibana, logstash (the data and master groups have their own roles)
    expect(instanceRoles.length).toBe(4);
  });

  it.each([0, 1, 2, 3])(
    'instance role %i: cloudwatch:PutMetricData on * only with cloudwatch:namespace elk-cdk/Nodes',
    (i) => {
      const role = instanceRoles[i]!;
      expect([role, cloudwatchWrites(statementsOf(role))]).toEqual([
        role,
        [
          {
            Action: 'cloudwatch:PutMetricData',
            Effect: 'Allow',
            Resource: '*',
            Condition: { StringEquals: { 'cloudwatch:namespace': 'elk-cdk/Nodes' } },
          },
        ],
      ]);
    },
  );

  it('the check sees a broader grant (negative control)', () => {
    expect(
      cloudwatchWrites([
        { Action: ['logs:PutLogEvents', 'cloudwatch:*'], Effect: 'Allow', Resource: '*' },
        { Action: 'cloudwatch:PutMetricData', Effect: 'Allow', Resource: '*' },
        { Action: 'cloudwatch:GetMetricData', Effect: 'Allow', Resource: '*' },
      ]),
    ).toHaveLength(2);
  });
});
