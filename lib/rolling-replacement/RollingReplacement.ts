import * as crypto from 'crypto';
import * as path from 'path';
import {
  Arn,
  ArnFormat,
  CfnElement,
  CfnOutput,
  CfnWaitCondition,
  CfnWaitConditionHandle,
  CustomResource,
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct, IDependable } from 'constructs';
import {
  EXECUTION_TIMEOUT_SECONDS,
  reconcileFunctionParameter,
  type RolloutProperties,
} from '../../lambda/rolling-replacement/contract';
import { prebundledCode } from '../bundling';
import { configuredDeployWaitSeconds } from '../diff/deploy-wait';

import { grantSurgePlacement, surgePlacementEnvironment } from './surge-placement-grants';
import { type DataVolumeHandoff, grantVolumeHandoff, handoffEnvironment } from './volume-handoff-grants';
const LAMBDA_DIR = path.join(__dirname, '..', '..', 'lambda', 'rolling-replacement', 'handlers');

/** Custom resource timeout: CloudFormation's hard maximum (1 h). */
export const SERVICE_TIMEOUT = Duration.hours(1);
/** Provider framework waiter budget, below the service timeout so the framework answers before CloudFormation gives up. */
export const PROVIDER_TOTAL_TIMEOUT = Duration.minutes(55);
export const PROVIDER_QUERY_INTERVAL = Duration.seconds(30);
export const METRICS_NAMESPACE = 'ElkCdk/Rollout';
/** rollout.nodeDownMinutes by default (15 min): written into the custom resource only when another value is set. */
const DEFAULT_NODE_DOWN_SECONDS = 900;
/** How often the node health check runs outside a roll. */
export const NODE_HEALTH_RATE = Duration.minutes(5);

export interface RolloutSettings {
  /** Make the deployment wait for the end of the roll (WaitCondition). */
  readonly waitForCompletion: boolean;
  /** The deployment's wait, hours (1-12: the WaitCondition maximum). */
  readonly timeoutHours: number;
  /** Seconds between reconcile steps. */
  readonly pollSeconds: number;
  /** How data nodes are replaced (docs/rollout.md, "Methods"). @default 'auto' */
  readonly method?: 'drain' | 'handoff' | 'auto';
  /** Data nodes drained at once; the data group's MaxSize must allow it. @default 1 */
  readonly maxSurge?: number;
  /**
   * Who picks the zones of a data surge of several instances (maxSurge > 1 only): `orchestrator` launches each one
   * from the data launch template into the zone its batch drains from and attaches it (with the grants of
   * surge-placement-grants.ts); `auto-scaling` raises the desired capacity. @default 'orchestrator'
   */
  readonly surgePlacement?: 'auto-scaling' | 'orchestrator';
  /** Minutes without drain progress before the wait is named drain-stalled. @default 30 */
  readonly stallMinutes?: number;
  /** Percent of each data node's disk kept free for growth when a drain is projected. @default 5 */
  readonly drainDiskMarginPercent?: number;
  /**
   * Minutes an InService, EC2-healthy instance may be out of the cluster before the node health check marks it
   * Unhealthy (a schedule every NODE_HEALTH_RATE outside a roll; the roll itself inside one); 0 turns it off.
   * @default 15
   */
  readonly nodeDownMinutes?: number;
}

/** rollout.snapshotBeforeRoll: the repository a verified snapshot goes into before a roll takes its lock. */
export interface PreRollSnapshot {
  readonly repository: string;
}

export interface RollingReplacementProps {
  /** Environment name (metric dimension, names). */
  readonly environment: string;
  readonly vpc: ec2.IVpc;
  /** Subnets of the Lambdas. @default private subnets with egress */
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly dataGroup: autoscaling.IAutoScalingGroup;
  readonly masterGroup: autoscaling.IAutoScalingGroup;
  /** The groups' launch templates; their latest version numbers are the rollout's target. */
  readonly dataLaunchTemplate: ec2.LaunchTemplate;
  readonly masterLaunchTemplate: ec2.LaunchTemplate;
  /** Elasticsearch version the target launch templates run. */
  readonly targetVersion: string;
  /** https://host:9200 of the cluster. */
  readonly esEndpoint: string;
  /** Security group that may reach Elasticsearch on 9200 (attached to the Lambdas). */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** The orchestrator's Elasticsearch user: JSON {"username", "password"}. Only this secret is readable. */
  readonly credentialsSecret: secretsmanager.ISecret;
  /**
   * Grants read of the credentials secret (and its KMS key) to the handlers' role.
   * @default credentialsSecret.grantRead(role)
   */
  readonly grantCredentialsRead?: (grantee: iam.IGrantable) => void;
  /** SSM String parameter holding the cluster CA certificate (PEM). */
  readonly caParameterName: string;
  readonly rollout: RolloutSettings;
  /**
   * Take and verify a snapshot into this repository before a roll begins (the orchestrator waits for it; a failed or
   * partial one stops the roll before anything changed). @default - no snapshot
   */
  readonly snapshotBeforeRoll?: PreRollSnapshot;
  /**
   * The configured node counts: fewer than run is a planned scale-in through the drain (the groups must protect their
   * instances from scale in). @default - no planned scale-in (the running counts stay)
   */
  readonly counts?: { readonly data: number; readonly master: number };
  /** A replacement must join within this time or the rollout fails and cleans up. @default 30 minutes */
  readonly joinTimeout?: Duration;
  /**
   * Longest wait for long-running tasks (reindex, update/delete by query, force merge) on a node before the roll
   * terminates it; after it, the roll proceeds only for tasks Elasticsearch resumes by itself (in-flight-tasks).
   * @default 1 hour
   */
  readonly inFlightTaskTimeout?: Duration;
  /**
   * Identity of a rollout: a new value creates a new WaitCondition (a WaitCondition waits only when created).
   * @default a hash of both launch templates' data (as resolved when this construct is created), targetVersion and
   * rollout.timeoutHours
   */
  readonly rolloutKey?: string;
  /**
   * The data group's volumes outlive their instances: the orchestrator may hand them off (stop Elasticsearch by Run
   * Command, detach, terminate without decrement; volume-handoff-grants.ts). @default - no handoff (drain only)
   */
  readonly dataVolumes?: DataVolumeHandoff;
}

/**
 * Node-by-node replacement of the cluster when a launch template changes: a custom resource (Provider framework)
 * starts a Step Functions Standard workflow (reconcile Lambda → choice → wait) and returns; the workflow drives the
 * pure core one step per call and signals a WaitCondition (new logical id per rollout, up to 12 h) when the
 * deployment waits. See docs/rollout.md.
 */
/** A resolved CloudFormation value as cdk-nag prints it in finding ids: `<LogicalId>`, `<LogicalId.Attr>`. */
export function nagText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(nagText).join('');
  const o = v as Record<string, unknown>;
  if ('Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(nagText).join(sep);
  }
  if ('Ref' in o) return `<${String(o.Ref)}>`;
  if ('Fn::GetAtt' in o) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
  return JSON.stringify(v);
}

export class RollingReplacement extends Construct {
  /** Depend on this to update something (Kibana) only after the roll: the WaitCondition, or the custom resource. */
  readonly completion: IDependable;
  readonly stateMachine: sfn.StateMachine;
  readonly rolloutId: string;
  readonly customResource: CustomResource;
  readonly waitCondition?: CfnWaitCondition;
  private readonly groupArns: string[];
  private readonly executionsArn: string;

  constructor(scope: Construct, id: string, props: RollingReplacementProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { rollout } = props;
    if (rollout.timeoutHours < 1 || rollout.timeoutHours > 12 || !Number.isInteger(rollout.timeoutHours)) {
      throw new Error(
        `RollingReplacement ${this.node.path}: rollout.timeoutHours is ${rollout.timeoutHours}; it must be a whole ` +
          'number from 1 to 12 (the WaitCondition maximum is 12 hours)',
      );
    }
    const key =
      props.rolloutKey ??
      crypto
        .createHash('sha256')
        .update(
          JSON.stringify([
            stack.resolve((props.dataLaunchTemplate.node.defaultChild as ec2.CfnLaunchTemplate).launchTemplateData),
            stack.resolve((props.masterLaunchTemplate.node.defaultChild as ec2.CfnLaunchTemplate).launchTemplateData),
            props.targetVersion,
            // A WaitCondition's timeout cannot be updated in place: a new timeout is a new WaitCondition (and a
            // rollout that finds nothing to replace and signals it at once).
            rollout.timeoutHours,
            // A lowered count is a planned scale-in: a new rollout (absent: the key of earlier templates).
            ...(props.counts ? [props.counts.data, props.counts.master] : []),
          ]),
        )
        .digest('hex')
        .slice(0, 10);
    if (!/^[A-Za-z0-9]{1,40}$/.test(key)) {
      throw new Error(`RollingReplacement ${this.node.path}: rolloutKey "${key}" must be 1-40 letters or digits`);
    }
    this.rolloutId = `r-${key}`;

    const role = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Rolling replacement of the ${props.environment} Elasticsearch cluster`,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'LambdaVpc',
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
        sid: 'ReadGroups',
        actions: ['autoscaling:DescribeAutoScalingGroups'],
        resources: ['*'], // Describe* has no resource-level permissions
      }),
    );
    const groupArns = (this.groupArns = [props.dataGroup, props.masterGroup].map((g) =>
      Arn.format(
        {
          service: 'autoscaling',
          resource: 'autoScalingGroup',
          resourceName: `*:autoScalingGroupName/${g.autoScalingGroupName}`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        },
        stack,
      ),
    ));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ChangeOnlyThisClustersGroups',
        actions: [
          'autoscaling:SetDesiredCapacity',
          'autoscaling:TerminateInstanceInAutoScalingGroup',
          'autoscaling:SetInstanceProtection',
          'autoscaling:SetInstanceHealth',
          'autoscaling:SuspendProcesses',
          'autoscaling:ResumeProcesses',
          'autoscaling:CreateOrUpdateTags',
          'autoscaling:DeleteTags',
        ],
        resources: groupArns,
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DetectRollback',
        // DescribeStackResource: the WaitCondition handle's URL, read when the workflow signals it.
        actions: ['cloudformation:DescribeStacks', 'cloudformation:DescribeStackResource'],
        resources: [stack.stackId],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PublishProgress',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
      }),
    );
    if (props.grantCredentialsRead) props.grantCredentialsRead(role);
    else props.credentialsSecret.grantRead(role);
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

    // Surges into chosen zones only where they can happen: data surges of several instances (masters and maxSurge 1
    // keep SetDesiredCapacity, and get no EC2 launch right at all).
    const maxSurge = rollout.maxSurge ?? 1;
    const surgePlacement = rollout.surgePlacement ?? 'orchestrator';
    const launchesIntoZones = maxSurge > 1 && surgePlacement === 'orchestrator';
    const surgeTarget = { group: props.dataGroup, launchTemplate: props.dataLaunchTemplate };
    const environment = {
      ES_ENDPOINT: props.esEndpoint,
      ES_CREDENTIALS_SECRET_ARN: props.credentialsSecret.secretArn,
      ES_CA_PARAMETER: props.caParameterName,
      METRICS_NAMESPACE,
      NODE_OPTIONS: '--enable-source-maps',
      ...(props.dataVolumes ? handoffEnvironment(props.environment, props.dataVolumes) : {}),
      ...(launchesIntoZones ? surgePlacementEnvironment(surgeTarget) : {}),
    };
    if (props.dataVolumes) grantVolumeHandoff(this, role, props.environment);
    if (launchesIntoZones) grantSurgePlacement(this, role, surgeTarget, groupArns[0]!);
    const fn = (name: string, entry: string, handler: string, timeout: Duration) =>
      new nodejs.NodejsFunction(this, name, {
        // Bundled once per process (same esbuild options as NodejsFunction's bundling), shared by every stack.
        code: prebundledCode(this, path.join(LAMBDA_DIR, entry), {
          minify: true,
          sourceMap: true,
          sourcesContent: false,
          target: 'node22',
          externalModules: ['@aws-sdk/*', '@smithy/*'],
        }),
        handler: `index.${handler}`,
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 512,
        timeout,
        role,
        vpc: props.vpc,
        vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [props.clientSecurityGroup],
        environment,
        logGroup: ownLog(`${name}Logs`),
      });
    // Each function writes its own log group only (issue #13: no logs:* on *); the groups exist before the functions.
    const ownLogGroups: logs.LogGroup[] = [];
    const ownLog = (id: string) => {
      const group = new logs.LogGroup(this, id, {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      ownLogGroups.push(group);
      return group;
    };
    const onEvent = fn('OnEvent', 'provider.ts', 'onEvent', Duration.minutes(2));
    const isComplete = fn('IsComplete', 'provider.ts', 'isComplete', Duration.minutes(5));
    const reconcile = fn('Reconcile', 'workflow.ts', 'handler', Duration.minutes(3));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'OwnLogGroups',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: ownLogGroups.map((g) => g.logGroupArn),
      }),
    );
    // elkctl roll status|plan invoke it read-only from outside the VPC ({"readOnly": "observe"}; read-only.ts).
    new ssm.StringParameter(this, 'ReconcileFunctionName', {
      parameterName: reconcileFunctionParameter(props.environment),
      stringValue: reconcile.functionName,
      description: `elk-cdk ${props.environment}: the rolling replacement's reconcile function (elkctl roll status|plan)`,
    });

    // The workflow: reconcile → choice → wait → reconcile ...; its state is the only memory between steps.
    const step = new tasks.LambdaInvoke(this, 'ReconcileStep', {
      lambdaFunction: reconcile,
      payload: sfn.TaskInput.fromObject({
        state: sfn.JsonPath.entirePayload,
        stateMachineArn: sfn.JsonPath.stringAt('$$.StateMachine.Id'),
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    step.addRetry({
      errors: ['States.ALL'],
      interval: Duration.seconds(30),
      maxAttempts: 10,
      backoffRate: 2,
      maxDelay: Duration.minutes(5),
    });
    const failed = new sfn.Fail(this, 'RolloutFailed', {
      error: 'RolloutFailed',
      causePath: sfn.JsonPath.stringAt('$.reason'),
    });
    // After the retries: signal FAILURE to a waiting deployment (same function, failure mode), then fail.
    const signalFailure = new tasks.LambdaInvoke(this, 'SignalFailure', {
      lambdaFunction: reconcile,
      payload: sfn.TaskInput.fromObject({
        state: sfn.JsonPath.entirePayload,
        stateMachineArn: sfn.JsonPath.stringAt('$$.StateMachine.Id'),
        signalFailure: true,
      }),
      payloadResponseOnly: true,
    });
    signalFailure.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(10), maxAttempts: 3, backoffRate: 2 });
    const broken = new sfn.Fail(this, 'ReconcileBroken', { error: 'ReconcileError' });
    signalFailure.addCatch(broken);
    const pause = new sfn.Wait(this, 'Poll', { time: sfn.WaitTime.secondsPath('$.waitSeconds') });
    // After the first exhaustion the roll is marked failed and the loop goes on with its cleanup (status running);
    // after a second one, or with no roll to clean up, the execution fails.
    step.addCatch(
      signalFailure.next(
        new sfn.Choice(this, 'CleanUpAfterErrors')
          .when(sfn.Condition.stringEquals('$.status', 'running'), pause)
          .otherwise(broken),
      ),
      { resultPath: '$.error' },
    );
    const definition = step.next(
      new sfn.Choice(this, 'RolloutOver')
        .when(sfn.Condition.stringEquals('$.status', 'running'), pause.next(step))
        .when(
          sfn.Condition.or(
            sfn.Condition.stringEquals('$.status', 'completed'),
            sfn.Condition.stringEquals('$.status', 'continued'),
          ),
          new sfn.Succeed(this, 'RolloutDone'),
        )
        .otherwise(failed),
    );
    this.stateMachine = new sfn.StateMachine(this, 'Workflow', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      // The roll may outlast the deployment's wait (a retry or a later deploy adopts it); bounded anyway. An execution
      // continues as a new one after EXECUTION_BUDGET_SECONDS, so it never reaches this timeout without its cleanup.
      timeout: Duration.seconds(EXECUTION_TIMEOUT_SECONDS),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'WorkflowLogs', {
          retention: logs.RetentionDays.THREE_MONTHS,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    // A separate policy (not the role's default policy) so the functions do not depend on the state machine: the
    // state machine depends on the reconcile function, and the handlers start, list and stop its executions.
    const executions = (this.executionsArn = Arn.format(
      {
        service: 'states',
        resource: 'execution',
        resourceName: `${this.stateMachine.stateMachineName}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      },
      stack,
    ));
    new iam.Policy(this, 'WorkflowControl', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          actions: ['states:StartExecution', 'states:ListExecutions'],
          resources: [this.stateMachine.stateMachineArn],
        }),
        new iam.PolicyStatement({
          actions: ['states:StopExecution', 'states:DescribeExecution'],
          resources: [executions],
        }),
      ],
    });

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: onEvent,
      isCompleteHandler: isComplete,
      queryInterval: PROVIDER_QUERY_INTERVAL,
      totalTimeout: PROVIDER_TOTAL_TIMEOUT,
      // The framework's own functions log to a group with a retention (not a never-expiring default group).
      logGroup: new logs.LogGroup(this, 'ProviderLogs', {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      disableWaiterStateMachineLogging: false,
      waiterStateMachineLogOptions: {
        destination: new logs.LogGroup(this, 'WaiterLogs', {
          retention: logs.RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: sfn.LogLevel.ALL,
      },
    });
    this.acknowledgeFindings(provider, [onEvent, isComplete, reconcile]);

    // Node health check (issue 12, finding 7): EC2 health checks cannot see a stopped Elasticsearch process.
    const nodeDownSeconds =
      rollout.nodeDownMinutes !== undefined ? rollout.nodeDownMinutes * 60 : DEFAULT_NODE_DOWN_SECONDS;
    if (nodeDownSeconds > 0) {
      new events.Rule(this, 'NodeHealthSchedule', {
        description: `elk-cdk ${props.environment}: replace an Elasticsearch instance whose node is out of the cluster`,
        schedule: events.Schedule.rate(NODE_HEALTH_RATE),
        targets: [
          new targets.LambdaFunction(reconcile, {
            event: events.RuleTargetInput.fromObject({
              nodeHealth: {
                dataGroup: props.dataGroup.autoScalingGroupName,
                masterGroup: props.masterGroup.autoScalingGroupName,
                downSeconds: nodeDownSeconds,
              },
            }),
            retryAttempts: 0,
          }),
        ],
      });
    }

    let handle: CfnWaitConditionHandle | undefined;
    // The deploy's wait (undefined: it does not wait): the one quantity `elkctl diff`, `roll plan` and the CI budget
    // check (lib/ci) read too.
    const waitSeconds = configuredDeployWaitSeconds(rollout);
    if (waitSeconds !== undefined) handle = new CfnWaitConditionHandle(this, `WaitHandle${key}`);
    const properties: Omit<RolloutProperties, 'ServiceToken'> = {
      SchemaVersion: '1',
      Environment: props.environment,
      RolloutId: this.rolloutId,
      DataGroupName: props.dataGroup.autoScalingGroupName,
      MasterGroupName: props.masterGroup.autoScalingGroupName,
      TargetVersion: props.targetVersion,
      DataLaunchTemplateVersion: props.dataLaunchTemplate.latestVersionNumber,
      MasterLaunchTemplateVersion: props.masterLaunchTemplate.latestVersionNumber,
      StateMachineArn: this.stateMachine.stateMachineArn,
      // The handle by logical id, never its URL (a credential the Provider framework would log): the workflow reads
      // the URL from CloudFormation when it signals and PUTs only to the region's wait-condition bucket.
      WaitHandleUrl: '',
      ...(handle ? { WaitHandleLogicalId: stack.getLogicalId(handle), WaitHandleStackId: stack.stackId } : {}),
      PollSeconds: String(rollout.pollSeconds),
      JoinTimeoutSeconds: String((props.joinTimeout ?? Duration.minutes(30)).toSeconds()),
      Method: rollout.method ?? 'auto',
      MaxSurge: String(maxSurge),
      // Only where it changes a roll (maxSurge > 1): environments with maxSurge 1 keep their properties unchanged.
      ...(maxSurge > 1 ? { SurgePlacement: surgePlacement } : {}),
      ...(props.snapshotBeforeRoll ? { SnapshotRepository: props.snapshotBeforeRoll.repository } : {}),
      InFlightTaskTimeoutSeconds: String((props.inFlightTaskTimeout ?? Duration.hours(1)).toSeconds()),
      // Written only when set: a template without them is unchanged (no update of the custom resource, no phantom diff).
      ...(rollout.stallMinutes !== undefined ? { StallSeconds: String(rollout.stallMinutes * 60) } : {}),
      ...(rollout.drainDiskMarginPercent !== undefined
        ? { DrainDiskMarginPercent: String(rollout.drainDiskMarginPercent) }
        : {}),
      ...(props.counts ? { DataCount: String(props.counts.data), MasterCount: String(props.counts.master) } : {}),
      ...(nodeDownSeconds !== DEFAULT_NODE_DOWN_SECONDS ? { NodeDownSeconds: String(nodeDownSeconds) } : {}),
    };
    this.customResource = new CustomResource(this, 'Rollout', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::RollingReplacement',
      serviceTimeout: SERVICE_TIMEOUT,
      properties,
    });
    // The groups (and their new template versions) exist before the roll starts.
    this.customResource.node.addDependency(props.dataGroup, props.masterGroup);

    if (handle && waitSeconds !== undefined) {
      this.waitCondition = new CfnWaitCondition(this, `Wait${key}`, {
        handle: handle.ref,
        count: 1,
        timeout: String(waitSeconds),
      });
      this.waitCondition.node.addDependency(this.customResource);
      this.completion = this.waitCondition;
      new CfnOutput(this, 'RolloutResult', {
        description: 'Result of the last rolling replacement (outcome, duration, terminated instance ids)',
        value: this.waitCondition.getAtt('Data').toString(),
      });
      // The validator reports this on the stack (not the output), so the acknowledgement has to be stack-wide.
      Validations.of(stack).acknowledge({
        id: 'CloudFormation-Validate::F6101',
        reason:
          'WaitCondition Data is a JSON-formatted string per the AWS::CloudFormation::WaitCondition reference, whose ' +
          'own example outputs !GetAtt <WaitCondition>.Data; the validator types it as an object',
      });
    } else {
      this.completion = this.customResource;
      new CfnOutput(this, 'RolloutExecution', {
        description: 'Step Functions execution of the last rolling replacement (the deployment did not wait)',
        value: this.customResource.getAttString('ExecutionArn'),
      });
    }
  }

  /**
   * cdk-nag findings this construct accepts, each with its reason. cdk-nag v3 matches granular findings by exact id,
   * so logical ids are computed, not hard-coded.
   */
  private acknowledgeFindings(provider: cr.Provider, handlers: lambda.IFunction[]): void {
    const v = Validations.of(this);
    const stack = Stack.of(this);
    const id = (c: IConstruct) => stack.getLogicalId(c as CfnElement);
    v.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'No resource-level permissions exist for the VPC network-interface actions, DescribeAutoScalingGroups, ' +
        'PutMetricData (limited by a cloudwatch:namespace condition), X-Ray and the log delivery of state machines.',
    });
    for (const arn of this.groupArns) {
      v.acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagText(stack.resolve(arn))}]`,
        reason:
          'The group ARN contains a generated UUID; the name pins the statement to this cluster group and nothing else.',
      });
    }
    v.acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagText(stack.resolve(this.executionsArn))}]`,
      reason: "Stop and describe executions of this rollout's own state machine only (execution names are generated).",
    });
    v.acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The Provider framework Lambdas use the CDK-managed AWSLambdaBasicExecutionRole (CloudWatch Logs only).',
    });
    const framework = provider.node.findAll().filter((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction);
    for (const fn of [...handlers.map((f) => f.node.defaultChild as lambda.CfnFunction), ...framework]) {
      v.acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${id(fn)}.Arn>:*]`,
        reason: 'Step Functions and the Provider framework may invoke any version of these functions (`<arn>:*`).',
      });
    }
    v.acknowledge({
      id: 'AwsSolutions-SF2',
      reason: 'The Provider framework waiter state machine has no X-Ray option; it only polls one Lambda.',
    });
  }

  /** Makes `construct` wait for the roll (Kibana: never update it before the cluster is single-version). */
  updateAfterRollout(construct: Construct): void {
    construct.node.addDependency(this.completion);
  }
}
