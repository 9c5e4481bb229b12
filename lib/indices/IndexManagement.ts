import * as path from 'path';
import { CfnResource, CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { prebundledCode } from '../bundling';
import type { ClusterRequest } from '../../lambda/index-management/cluster';
import { IndexDefinition } from './types';

const HANDLER = path.join(__dirname, '..', '..', 'lambda', 'index-management', 'index.ts');

export interface IndexManagementProps {
  /** Environment name, for descriptions. */
  readonly environment: string;
  /** The compiled definitions of `indices/` (lib/indices compileIndexDefinitions). */
  readonly definitions: readonly IndexDefinition[];
  readonly vpc: ec2.IVpc;
  /** @default private subnets with egress */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** The security group that may reach Elasticsearch on 9200. */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** https://<service name>:9200 */
  readonly esEndpoint: string;
  /** The `index_manager` user's secret (JSON username/password). */
  readonly credentialsSecret: secretsmanager.ISecret;
  /** Grants read of exactly that secret (and its key through Secrets Manager). */
  readonly grantCredentialsRead: (grantee: iam.IGrantable) => void;
  /** SSM parameter holding the cluster CA certificate. */
  readonly caParameterName: string;
  /**
   * Cluster-level requests applied before the definitions: dynamic cluster settings, the snapshot repository and
   * the SLM policy (lambda/index-management/cluster.ts). @default - none
   */
  readonly clusterRequests?: readonly ClusterRequest[];
  /**
   * Metadata on the custom resource (e.g. the recovery bandwidth the diff's estimates read). @default - none
   */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** @default 50 minutes (CloudFormation stops waiting for a custom resource after one hour) */
  readonly timeout?: Duration;
}

/**
 * Applies the index definitions of `indices/` (ILM policies, component templates, index templates) once the
 * cluster is up, on every deploy where they change: a Provider-framework custom resource whose properties carry
 * the definitions (so `elkctl diff` shows them), handled in the VPC as the `index_manager` user, which may manage
 * templates and ILM policies and read cluster health, nothing else.
 */
export class IndexManagement extends Construct {
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: IndexManagementProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const timeout = props.timeout ?? Duration.minutes(50);
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `elk-cdk ${props.environment}: applies index templates and ILM policies`,
    });
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

    const fn = (name: string, handler: string) => {
      const logGroup = new logs.LogGroup(this, `${name}Logs`, {
        retention: logs.RetentionDays.THREE_MONTHS,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      logGroup.grantWrite(role);
      return new lambda.Function(this, name, {
        // Bundled once per process (same esbuild options as NodejsFunction's bundling), shared by every stack.
        code: prebundledCode(this, HANDLER, {
          minify: true,
          sourceMap: false,
          target: 'node22',
          externalModules: ['@aws-sdk/*'],
        }),
        handler: `index.${handler}`,
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 256,
        timeout: Duration.minutes(2),
        role,
        vpc: props.vpc,
        vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [props.clientSecurityGroup],
        environment: {
          ES_ENDPOINT: props.esEndpoint,
          ES_SERVERNAME: new URL(props.esEndpoint).hostname,
          CA_PARAMETER_NAME: props.caParameterName,
          USER_SECRET_ARN: props.credentialsSecret.secretArn,
          REQUEST_TIMEOUT_MS: '10000',
        },
        logGroup,
        description: `elk-cdk ${props.environment}: index templates and ILM policies (${name})`,
      });
    };
    const onEvent = fn('OnEvent', 'onEvent');
    const isComplete = fn('IsComplete', 'isComplete');

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: onEvent,
      isCompleteHandler: isComplete,
      queryInterval: Duration.seconds(30),
      totalTimeout: timeout,
      logGroup: new logs.LogGroup(this, 'ProviderLogs', {
        retention: logs.RetentionDays.THREE_MONTHS,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      waiterStateMachineLogOptions: {
        destination: new logs.LogGroup(this, 'WaiterLogs', {
          retention: logs.RetentionDays.THREE_MONTHS,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: sfn.LogLevel.ALL,
      },
      disableWaiterStateMachineLogging: false,
    });

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::ElkIndexDefinitions',
      properties: {
        DefinitionsJson: JSON.stringify(props.definitions.map(({ kind, name, body }) => ({ kind, name, body }))),
        ...(props.clusterRequests ? { ClusterJson: Stack.of(this).toJsonString(props.clusterRequests) } : {}),
      },
      serviceTimeout: timeout.plus(Duration.minutes(5)),
    });
    for (const [k, v] of Object.entries(props.metadata ?? {})) {
      (this.resource.node.defaultChild as CfnResource).addMetadata(k, v);
    }
    this.acknowledge(provider, [onEvent, isComplete]);
  }

  private acknowledge(provider: cr.Provider, handlers: lambda.Function[]): void {
    const v = Validations.of(this);
    const stack = Stack.of(this);
    v.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The VPC network-interface actions and the log delivery of the waiter state machine have no resource-level permissions.',
    });
    v.acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The Provider framework Lambdas use the CDK-managed AWSLambdaBasicExecutionRole (CloudWatch Logs only).',
    });
    const framework = provider.node.findAll().filter((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction);
    for (const f of [...handlers.map((h) => h.node.defaultChild as lambda.CfnFunction), ...framework]) {
      v.acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(f)}.Arn>:*]`,
        reason: 'The Provider framework may invoke any version of its own functions (`<function arn>:*`).',
      });
    }
    v.acknowledge({
      id: 'AwsSolutions-SF2',
      reason: 'The Provider framework waiter state machine has no X-Ray option; it only polls one Lambda.',
    });
  }
}
