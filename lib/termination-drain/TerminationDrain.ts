import * as path from 'path';
import { Arn, ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { prebundledCode } from '../bundling';
import { METRICS_NAMESPACE, nagText } from '../rolling-replacement/RollingReplacement';

const HANDLER = path.join(__dirname, '..', '..', 'lambda', 'termination-drain', 'index.ts');
/** The lifecycle hook's name on both Elasticsearch groups. */
export const DRAIN_HOOK_NAME = 'elk-cdk-drain-before-terminate';

export interface TerminationDrainProps {
  readonly environment: string;
  readonly dataGroup: autoscaling.AutoScalingGroup;
  readonly masterGroup: autoscaling.AutoScalingGroup;
  readonly vpc: ec2.IVpc;
  /** @default private subnets with egress */
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** https://<service name>:9200 */
  readonly esEndpoint: string;
  /** The orchestrator user's secret: the drain writes the same exclusions as the rolling replacement. */
  readonly credentialsSecret: secretsmanager.ISecret;
  readonly grantCredentialsRead: (grantee: iam.IGrantable) => void;
  readonly caParameterName: string;
  /** Heartbeat timeout of the hook (at most 2 hours; the action may last 100 × this, at most 48 hours). @default 1 hour */
  readonly heartbeatTimeout?: Duration;
  /** Time between drain steps. @default 60 seconds */
  readonly pollInterval?: Duration;
}

/**
 * Every termination of an Elasticsearch instance drains it first, whoever starts it: a termination lifecycle hook on
 * the master and data groups holds the instance (Terminating:Wait, still in the cluster); EventBridge starts a Step
 * Functions workflow per lifecycle action (one execution, named after the instance and the action) that calls the drain step (lambda/termination-drain) until the node is
 * drained, continues the termination, and cleans up its exclusions once the node has left. Terminations by the
 * rolling replacement (already drained) pass at once. AZRebalance stays suspended on both groups: a rebalance would
 * terminate a node only to launch one in another zone.
 */
export class TerminationDrain extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly stepFunction: lambda.Function;

  constructor(scope: Construct, id: string, props: TerminationDrainProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const heartbeat = props.heartbeatTimeout ?? Duration.hours(1);
    if (heartbeat.toSeconds() > 7200 || heartbeat.toSeconds() < 30) {
      throw new Error(
        `TerminationDrain: heartbeatTimeout must be 30 s to 2 h (Auto Scaling's limit), got ${heartbeat.toSeconds()} s`,
      );
    }
    const poll = props.pollInterval ?? Duration.seconds(60);
    const groups = [props.dataGroup, props.masterGroup];
    for (const g of groups) {
      g.addLifecycleHook('DrainBeforeTerminate', {
        lifecycleHookName: DRAIN_HOOK_NAME,
        lifecycleTransition: autoscaling.LifecycleTransition.INSTANCE_TERMINATING,
        heartbeatTimeout: heartbeat,
        // After the limits the instance terminates anyway: for a terminating instance CONTINUE and ABANDON both end in
        // termination. The workflow completes before that, saying whether the node was drained.
        defaultResult: autoscaling.DefaultResult.CONTINUE,
      });
    }

    const role = new iam.Role(this, 'StepRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `elk-cdk ${props.environment}: drains an Elasticsearch instance before its termination`,
    });
    const groupArns = groups.map((g) =>
      Arn.format(
        {
          service: 'autoscaling',
          resource: 'autoScalingGroup',
          resourceName: `*:autoScalingGroupName/${g.autoScalingGroupName}`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        },
        stack,
      ),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'CompleteOwnLifecycleActions',
        actions: ['autoscaling:CompleteLifecycleAction', 'autoscaling:RecordLifecycleActionHeartbeat'],
        resources: groupArns,
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DescribeGroups',
        actions: ['autoscaling:DescribeAutoScalingGroups'],
        resources: ['*'],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PublishDrainMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'VpcNetworkInterfaces',
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
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

    const logGroup = new logs.LogGroup(this, 'StepLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    logGroup.grantWrite(role);
    this.stepFunction = new lambda.Function(this, 'Step', {
      code: prebundledCode(this, HANDLER, {
        minify: true,
        sourceMap: false,
        target: 'node22',
        externalModules: ['@aws-sdk/*'],
      }),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.minutes(2),
      role,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [props.clientSecurityGroup],
      logGroup,
      description: `elk-cdk ${props.environment}: one step of a drain before an Elasticsearch instance terminates`,
      environment: {
        DATA_GROUP: props.dataGroup.autoScalingGroupName,
        MASTER_GROUP: props.masterGroup.autoScalingGroupName,
        HEARTBEAT_TIMEOUT_SECONDS: String(heartbeat.toSeconds()),
        POLL_SECONDS: String(poll.toSeconds()),
        METRICS_NAMESPACE,
        ENVIRONMENT: props.environment,
        ES_ENDPOINT: props.esEndpoint,
        ES_CREDENTIALS_SECRET_ARN: props.credentialsSecret.secretArn,
        ES_CA_PARAMETER: props.caParameterName,
      },
    });

    // step → done? → end | wait → step: the state travels in the execution, so a crashed step is retried with it.
    const step = new tasks.LambdaInvoke(this, 'DrainStep', {
      lambdaFunction: this.stepFunction,
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    step.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(30), backoffRate: 2, maxAttempts: 6 });
    const loop = new sfn.Wait(this, 'WaitBetweenSteps', { time: sfn.WaitTime.duration(poll) }).next(step);
    const definition = step.next(
      new sfn.Choice(this, 'Done?')
        .when(sfn.Condition.booleanEquals('$.done', true), new sfn.Succeed(this, 'Drained'))
        .otherwise(loop),
    );
    this.stateMachine = new sfn.StateMachine(this, 'Workflow', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(49),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'WorkflowLogs', {
          retention: logs.RetentionDays.THREE_MONTHS,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: sfn.LogLevel.ALL,
      },
    });

    new events.Rule(this, 'OnTerminatingInstance', {
      description: `elk-cdk ${props.environment}: drain Elasticsearch instances before they terminate`,
      eventPattern: {
        source: ['aws.autoscaling'],
        detailType: ['EC2 Instance-terminate Lifecycle Action'],
        detail: {
          AutoScalingGroupName: groups.map((g) => g.autoScalingGroupName),
          LifecycleHookName: [DRAIN_HOOK_NAME],
        },
      },
      targets: [new targets.SfnStateMachine(this.starter(poll))],
    });

    // AZRebalance stays suspended (CloudFormation has no property for it): a rebalance terminates to relaunch.
    for (const [i, g] of groups.entries()) {
      const call = {
        service: 'AutoScaling',
        action: 'suspendProcesses',
        parameters: { AutoScalingGroupName: g.autoScalingGroupName, ScalingProcesses: ['AZRebalance'] },
        physicalResourceId: cr.PhysicalResourceId.of(`suspend-azrebalance-${i}`),
      };
      const suspend = new cr.AwsCustomResource(this, `SuspendAzRebalance${i}`, {
        onCreate: call,
        onUpdate: call,
        installLatestAwsSdk: false,
        policy: cr.AwsCustomResourcePolicy.fromStatements([
          new iam.PolicyStatement({ actions: ['autoscaling:SuspendProcesses'], resources: [groupArns[i]!] }),
        ]),
        logGroup: new logs.LogGroup(this, `SuspendAzRebalance${i}Logs`, {
          retention: logs.RetentionDays.THREE_MONTHS,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      });
      suspend.node.addDependency(g);
    }
    this.acknowledge(groupArns);
  }

  /**
   * One drain per lifecycle action: EventBridge delivers at least once, so its target is a one-step state machine
   * that starts the drain workflow under the name "<instance id>-<lifecycle action token>". A repeated delivery
   * finds that execution (running: the same one is returned; finished: ExecutionAlreadyExists, caught) and starts
   * nothing; a new lifecycle action of the same instance (a later termination) gets its own drain.
   */
  private starter(poll: Duration): sfn.StateMachine {
    const start = new tasks.StepFunctionsStartExecution(this, 'StartDrainOncePerAction', {
      stateMachine: this.stateMachine,
      name: sfn.JsonPath.format(
        '{}-{}',
        sfn.JsonPath.stringAt('$.detail.EC2InstanceId'),
        sfn.JsonPath.stringAt('$.detail.LifecycleActionToken'),
      ),
      input: sfn.TaskInput.fromJsonPathAt('$'),
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
    });
    start.addRetry({ errors: ['StepFunctions.SfnException'], interval: poll, maxAttempts: 3 });
    start.addCatch(new sfn.Succeed(this, 'AlreadyDraining'), {
      errors: ['StepFunctions.ExecutionAlreadyExistsException'],
    });
    return new sfn.StateMachine(this, 'Starter', {
      definitionBody: sfn.DefinitionBody.fromChainable(start),
      timeout: Duration.minutes(15),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'StarterLogs', {
          retention: logs.RetentionDays.THREE_MONTHS,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: sfn.LogLevel.ALL,
      },
    });
  }

  private acknowledge(groupArns: string[]): void {
    const v = Validations.of(this);
    const stack = Stack.of(this);
    for (const arn of groupArns) {
      v.acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagText(stack.resolve(arn))}]`,
        reason: 'The group ARN contains a generated UUID; the name pins the statement to this cluster group only.',
      });
    }
    v.acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.stepFunction.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
      reason: 'The workflow may invoke any version of its own step function (`<function arn>:*`).',
    });
    v.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'DescribeAutoScalingGroups, PutMetricData (limited by a cloudwatch:namespace condition), the VPC network-interface actions, X-Ray and the log delivery of the state machine have no resource-level permissions.',
    });
    // The AwsCustomResource provider is a stack-level singleton, so its finding is acknowledged on the stack.
    Validations.of(stack).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The AwsCustomResource Lambda (suspend AZRebalance) uses the CDK-managed AWSLambdaBasicExecutionRole.',
    });
  }
}
