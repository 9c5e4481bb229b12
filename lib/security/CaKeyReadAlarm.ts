import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface CaKeyReadAlarmProps {
  readonly environmentName: string;
  /** Name of the CA secret (`elk/<env>/security/cluster-ca`): matched in the CloudTrail event's secretId. */
  readonly caSecretName: string;
  /** Roles whose reads are expected (the CA Lambda, the issuer): every other principal's read alarms. */
  readonly expectedReaders: readonly iam.IRole[];
  /** @default RemovalPolicy.DESTROY for the topic's own key (it protects notifications, not data) */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Any read or change of the CA key secret by anyone but the CA Lambda and the issuer: an EventBridge rule on the
 * CloudTrail management events of Secrets Manager (rule state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, the only
 * way EventBridge sees read-only calls such as GetSecretValue) publishes the event to an SNS topic, and an alarm on
 * the rule's TriggeredRules metric makes it visible in CloudWatch. Subscribe people or a pager to `topic`.
 */
export class CaKeyReadAlarm extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  readonly rule: events.Rule;
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: CaKeyReadAlarmProps) {
    super(scope, id);
    // The topic's own key: EventBridge and CloudWatch must be in its key policy to publish, and the security key
    // (the CA and the passwords) keeps a policy that names no principal but the account.
    this.key = new kms.Key(this, 'TopicKey', {
      description: `elk-cdk ${props.environmentName}: encrypts the CA-key-read alarm topic`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    for (const service of ['events.amazonaws.com', 'cloudwatch.amazonaws.com']) {
      this.key.grant(new iam.ServicePrincipal(service), 'kms:Decrypt', 'kms:GenerateDataKey*');
    }
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: `elk-cdk ${props.environmentName}: CA key secret read`,
      masterKey: this.key,
      enforceSSL: true,
    });
    this.rule = new events.Rule(this, 'Rule', {
      description: `elk-cdk ${props.environmentName}: any access to the cluster CA key secret outside the CA and issuer Lambdas`,
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: caAccessPattern(
          props.caSecretName,
          props.expectedReaders.map((r) => r.roleArn),
        ),
      },
      targets: [new targets.SnsTopic(this.topic)],
    });
    // Read-only management events (GetSecretValue) reach only rules in this state.
    (this.rule.node.defaultChild as events.CfnRule).state = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmDescription: `The cluster CA key secret of ${props.environmentName} was accessed by an unexpected principal (see the SNS topic / CloudTrail).`,
      metric: new cloudwatch.Metric({
        namespace: 'AWS/Events',
        metricName: 'TriggeredRules',
        dimensionsMap: { RuleName: this.rule.ruleName },
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarm.addAlarmAction(new cwActions.SnsAction(this.topic));
  }
}

/**
 * The `detail` pattern: a Secrets Manager call that names the CA secret (by name or ARN) and that does not come
 * from one of the expected roles' sessions. An identity without a session issuer (an IAM user, the root user) always
 * matches: `anything-but` never matches a missing field, hence the `$or`.
 */
export function caAccessPattern(caSecretName: string, expectedRoleArns: readonly string[]): Record<string, unknown> {
  return {
    eventSource: ['secretsmanager.amazonaws.com'],
    eventName: [
      'GetSecretValue',
      'PutSecretValue',
      'UpdateSecret',
      'RestoreSecret',
      'DeleteSecret',
      'PutResourcePolicy',
    ],
    requestParameters: { secretId: [{ wildcard: `*${caSecretName}*` }] },
    $or: [
      { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [...expectedRoleArns] }] } } } },
      { userIdentity: { type: [{ 'anything-but': ['AssumedRole'] }] } },
    ],
  };
}
