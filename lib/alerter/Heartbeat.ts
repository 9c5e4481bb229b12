import * as fs from 'fs';
import * as path from 'path';
import { ArnFormat, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Namespace and name of the metric published by scripts/alerter/heartbeat.sh. */
export const HEARTBEAT_NAMESPACE = 'elk-cdk/Alerter';
export const HEARTBEAT_METRIC = 'SecondsSinceLastRuleRun';

export interface HeartbeatProps {
  readonly environment: string;
  readonly role: iam.IRole;
  /** Name of the alerter's Auto Scaling group (the instance may mark itself unhealthy in it). */
  readonly groupName: string;
  /** No rule run for this long = not evaluating: the instance marks itself unhealthy and the alarm fires. */
  readonly staleAfter: Duration;
  /** Topic notified by the alarm. Default: a new topic (subscribe to it). */
  readonly topic?: sns.ITopic;
}

/**
 * "Alive but not evaluating": the instance publishes the age of ElastAlert's newest writeback status document every
 * minute (systemd timer, scripts/alerter/heartbeat.sh) and marks itself unhealthy when no rule has run for
 * `staleAfter` while Elasticsearch answers (Auto Scaling replaces it; the replacement deploys the last verified
 * rules at boot). An alarm that does not depend on ElastAlert or on the instance (missing data breaches) notifies.
 */
export class Heartbeat extends Construct {
  readonly alarm: cloudwatch.Alarm;
  readonly topic: sns.ITopic;
  /** User-data lines that install and start the timer (before boot.sh, which may retry for a long time). */
  readonly userDataCommands: string[];

  constructor(scope: Construct, id: string, props: HeartbeatProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const stale = props.staleAfter.toSeconds();

    props.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PublishEvaluationHeartbeat',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': HEARTBEAT_NAMESPACE } },
      }),
    );
    props.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'MarkItselfUnhealthy',
        actions: ['autoscaling:SetInstanceHealth'],
        resources: [
          stack.formatArn({
            service: 'autoscaling',
            resource: 'autoScalingGroup',
            resourceName: `*:autoScalingGroupName/${props.groupName}`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    // cdk-nag names the finding by the ARN as rendered: pseudo parameters, or literal account and region
    const pseudo = (value: string, name: string) => (Token.isUnresolved(value) ? `<AWS::${name}>` : value);
    Validations.of(props.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:${pseudo(stack.partition, 'Partition')}:autoscaling:${pseudo(stack.region, 'Region')}:${pseudo(stack.account, 'AccountId')}:autoScalingGroup:*:autoScalingGroupName/${props.groupName}]`,
      reason:
        'The group id in an Auto Scaling group ARN is a random UUID: the instance may set the health of its own group, named here.',
    });

    this.topic =
      props.topic ??
      new sns.Topic(this, 'Topic', {
        displayName: `elk-cdk ${props.environment}: alerter not evaluating`,
        enforceSSL: true,
      });
    if (!props.topic) {
      Validations.of(this.topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason:
          'CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key; the messages carry only the alarm state.',
      });
    }
    this.alarm = new cloudwatch.Alarm(this, 'NotEvaluating', {
      alarmName: `elk-cdk-${props.environment}-alerter-not-evaluating`,
      alarmDescription: `elk-cdk ${props.environment}: no ElastAlert rule has run for ${stale}s (or the alerter publishes no heartbeat): alerts are not being evaluated. The instance marks itself unhealthy and is replaced; check the alerter if this stays.`,
      metric: new cloudwatch.Metric({
        namespace: HEARTBEAT_NAMESPACE,
        metricName: HEARTBEAT_METRIC,
        dimensionsMap: { Environment: props.environment },
        statistic: 'Maximum',
        period: Duration.minutes(1),
      }),
      threshold: stale,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      // no heartbeat at all (instance gone, hung, publisher broken, Elasticsearch unreachable) is not evaluating either
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.alarm.addAlarmAction(new actions.SnsAction(this.topic));
    this.alarm.addOkAction(new actions.SnsAction(this.topic));

    const script = fs.readFileSync(path.join(__dirname, '..', '..', 'scripts', 'alerter', 'heartbeat.sh'), 'utf8');
    if (script.includes('ELK_HEARTBEAT_EOF')) throw new Error('heartbeat.sh must not contain ELK_HEARTBEAT_EOF');
    const args = `--environment ${props.environment} --region ${stack.region} --stale-seconds ${stale}`;
    this.userDataCommands = [
      // ${ELK_ROOT:-}: empty on the instance, the node's sandbox in the boot rehearsal (lib/boot).
      `cat > "\${ELK_ROOT:-}/opt/elk-alerter/bin/heartbeat.sh" <<'ELK_HEARTBEAT_EOF'`,
      script.trimEnd(),
      'ELK_HEARTBEAT_EOF',
      'chmod 755 "${ELK_ROOT:-}/opt/elk-alerter/bin/heartbeat.sh"',
      `cat > "\${ELK_ROOT:-}/etc/systemd/system/elk-alerter-heartbeat.service" <<'ELK_HEARTBEAT_EOF'`,
      '[Unit]',
      'Description=elk-cdk alerter evaluation heartbeat',
      '[Service]',
      'Type=oneshot',
      `ExecStart=/opt/elk-alerter/bin/heartbeat.sh ${args}`,
      'ELK_HEARTBEAT_EOF',
      `cat > "\${ELK_ROOT:-}/etc/systemd/system/elk-alerter-heartbeat.timer" <<'ELK_HEARTBEAT_EOF'`,
      '[Unit]',
      'Description=elk-cdk alerter evaluation heartbeat, every minute',
      '[Timer]',
      'OnBootSec=2min',
      'OnUnitActiveSec=1min',
      '[Install]',
      'WantedBy=timers.target',
      'ELK_HEARTBEAT_EOF',
      'systemctl daemon-reload',
      'systemctl enable --now elk-alerter-heartbeat.timer',
    ];
  }
}
