import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import {
  Annotations,
  ArnFormat,
  CfnOutput,
  CustomResource,
  Duration,
  Lazy,
  RemovalPolicy,
  Stack,
  Tags,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { grantSsmAgent } from '../cluster/NodeRole';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { prebundledCode, processTempDir } from '../bundling';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import * as sns from 'aws-cdk-lib/aws-sns';
import { caGenerationOf } from '../../lambda/cluster-ca/rotation';
import { Construct } from 'constructs';
import { ALERTER_RELOAD_SCRIPT, RELOAD_TAG } from '../security/CredentialsReload';
import { DeploymentPropertiesInput } from '../../lambda/alerter-deploy/contract';
import { EnvironmentConfig, tagOnlyWarning } from '../config';
import { Bundle, bundleTar, environmentBundle } from '../rules';
import { Heartbeat } from './Heartbeat';
import { alerterParameterKey, restrictAlerterEgress } from './hardening';
import { grantImagePull } from './image-pull';

const PROJECT_ROOT = path.join(__dirname, '..', '..');

export interface AlerterProps {
  /** The validated environment (alerter section, AMIs, name). */
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  /** Elasticsearch host name ElastAlert connects to on 9200 (may be a token, e.g. the cluster NLB's DNS name). */
  readonly esEndpoint: string;
  /** Security group that may reach Elasticsearch on 9200; the alerter joins it. Default: none (own group only). */
  readonly clientSecurityGroup?: ec2.ISecurityGroup;
  /** SSM parameter with the cluster CA certificate (PEM). Default: `/elk/<env>/security/ca-cert` (ClusterSecurity). */
  readonly caCertificateParameterName?: string;
  /** Secret of the `elastalert` Elasticsearch user (JSON {username, password}). Default: none (no password sent). */
  readonly credentialsSecret?: secretsmanager.ISecret;
  /** Folder of the rule files. Default: the project's rules/. */
  readonly rulesDir?: string;
  /**
   * Security group of what ElastAlert connects to on 9200 (the cluster's Elasticsearch NLB, behind the service name):
   * the only 9200 destination of the alerter's own group. Default: none, and the alerter's own group opens no 9200
   * (the client group it joins carries it); with neither, synth warns (`elk-cdk:alerter-no-elasticsearch-path`).
   */
  readonly elasticsearchSecurityGroup?: ec2.ISecurityGroup;
  /** Subnets of the alerter instance. Default: private subnets with egress. */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * No ElastAlert rule run for this long = not evaluating: the instance marks itself unhealthy (replaced) and the
   * heartbeat alarm fires. Default: 10 minutes.
   */
  readonly heartbeatStaleAfter?: Duration;
  /** Topic the heartbeat alarm notifies. Default: a new topic of this stack. */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * ElastAlert on an Auto Scaling group of one instance (Amazon Linux 2023, Docker, IMDSv2, no SSH, SSM agent), the
 * environment's rule bundle as an S3 asset, and a custom resource that deploys the bundle through SSM Run Command
 * and waits for proof that every rule runs. A replacement instance deploys, at boot, the bundle recorded by the last
 * successful deployment (SSM parameter `/elk/<env>/alerter/current-bundle`).
 */
export class Alerter extends Construct {
  readonly group: autoscaling.AutoScalingGroup;
  readonly role: iam.Role;
  readonly securityGroup: ec2.SecurityGroup;
  readonly bundle: Bundle;
  readonly deployment: CustomResource;
  /** Name of the SSM parameter holding the last deployed bundle. */
  readonly currentBundleParameterName: string;
  /** The evaluation heartbeat: metric, alarm, topic. */
  readonly heartbeat: Heartbeat;
  /** Customer-managed key of the alerter's SecureString parameters (`alias/elk/<env>/alerter`). */
  readonly parameterKey: kms.Key;

  constructor(scope: Construct, id: string, props: AlerterProps) {
    super(scope, id);
    const { config } = props;
    const env = config.name;
    const stack = Stack.of(this);
    const secretPrefix = `/elk/${env}/alerter/`;
    this.currentBundleParameterName = `${secretPrefix}current-bundle`;
    const caParameterName = props.caCertificateParameterName ?? `/elk/${env}/security/ca-cert`;
    // A tag-only image: a warning at every synth (alerter.requireImageDigest turns it into a config error).
    const tagOnly = tagOnlyWarning(config.alerter.image);
    if (tagOnly) Annotations.of(this).addWarningV2('elk-cdk:alerter-image-tag-only', tagOnly);

    // ---- the bundle: rules compiled and validated here, so a bad rule fails synth for this environment ----
    this.bundle = environmentBundle(config, {
      rulesDir: props.rulesDir,
      esHost: Token.isUnresolved(props.esEndpoint) ? undefined : props.esEndpoint,
    });
    if (this.bundle.rules.length === 0) {
      throw new Error(
        `environment ${env}: alerter.enabled is true but ${props.rulesDir ?? 'rules/'} has no rule (ElastAlert exits without rules): add a rule or set alerter.enabled: false`,
      );
    }
    const bundleDir = processTempDir('elk-alerter-bundle-');
    const bundleFile = path.join(bundleDir, `rules-${this.bundle.hash.slice(0, 16)}.tar`);
    fs.writeFileSync(bundleFile, bundleTar(this.bundle));
    const bundleAsset = new s3assets.Asset(this, 'RuleBundle', { path: bundleFile });
    const scriptPath = path.join(PROJECT_ROOT, 'scripts', 'alerter', 'deploy-rules.sh');
    const scriptAsset = new s3assets.Asset(this, 'DeployScript', { path: scriptPath });

    // ---- instance role: this environment's bundle, secrets, CA and user secret; nothing else ----
    this.role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `elk-cdk ${env}: ElastAlert instance`,
    });
    // Run Command and Session Manager only (no AmazonSSMManagedInstanceCore: it reads every parameter of the account).
    grantSsmAgent(this.role);
    const objectArn = (a: s3assets.Asset) =>
      stack.formatArn({
        service: 's3',
        region: '',
        account: '',
        resource: a.s3BucketName,
        resourceName: a.s3ObjectKey,
      });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadRuleBundleAndDeployScript',
        actions: ['s3:GetObject'],
        resources: [objectArn(bundleAsset), objectArn(scriptAsset)],
      }),
    );
    const parameterArn = (name: string) =>
      stack.formatArn({
        service: 'ssm',
        resource: 'parameter',
        resourceName: name.replace(/^\//, ''),
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    const secretParametersArn = parameterArn(`${secretPrefix}*`);
    this.parameterKey = alerterParameterKey(this, 'ParameterKey', env);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadAlerterParameters',
        actions: ['ssm:GetParameter'],
        resources: [secretParametersArn, parameterArn(caParameterName)],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DecryptAlerterSecureStrings',
        actions: ['kms:Decrypt'],
        resources: [this.parameterKey.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `ssm.${stack.region}.${stack.urlSuffix}` },
          StringLike: { 'kms:EncryptionContext:PARAMETER_ARN': secretParametersArn },
        },
      }),
    );
    if (props.credentialsSecret) {
      // Written on the role only (not secret.grantRead): the secret and its key live in the cluster stack, and a
      // key-policy statement naming this role would make that stack depend on this one.
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ReadElastalertUserSecret',
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          resources: [props.credentialsSecret.secretArn],
        }),
      );
      if (props.credentialsSecret.encryptionKey) {
        this.role.addToPolicy(
          new iam.PolicyStatement({
            sid: 'DecryptElastalertUserSecret',
            actions: ['kms:Decrypt'],
            resources: [props.credentialsSecret.encryptionKey.keyArn],
            conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.${stack.urlSuffix}` } },
          }),
        );
      }
    }
    // A private ECR mirror of the image: the login and that one repository (nothing for a public registry).
    grantImagePull(this.role, config.alerter.image);
    // cdk-nag names a finding by the resource as rendered: pseudo parameters in an environment-agnostic stack,
    // literal values in a stack with account and region.
    const pseudo = (value: string, name: string) => (Token.isUnresolved(value) ? `<AWS::${name}>` : value);
    const arnPrefix = (service: string) =>
      `arn:${pseudo(stack.partition, 'Partition')}:${service}:${pseudo(stack.region, 'Region')}:${pseudo(stack.account, 'AccountId')}`;
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${arnPrefix('ssm')}:parameter/elk/${env}/alerter/*]`,
      reason: `The alerter reads the rule secrets of its environment only: every SecureString under /elk/${env}/alerter/ (names come from alerter.secrets).`,
    });

    // ---- the full output of every deploy command (SSM CloudWatchOutputConfig, written by the instance's agent) ----
    const commandLogs = this.logGroup('DeployCommandLogs');
    commandLogs.grantWrite(this.role);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'SsmAgentFindsTheCommandLogGroup',
        actions: ['logs:DescribeLogGroups', 'logs:DescribeLogStreams'],
        resources: ['*'],
      }),
    );
    // ---- boot.sh tells CloudFormation when the rules run and are verified (creation and rolling update wait) ----
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'SignalRulesVerifiedAtBoot',
        actions: ['cloudformation:SignalResource'],
        resources: [stack.stackId],
      }),
    );

    // ---- network ----
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `elk-cdk ${env}: ElastAlert (no inbound; outbound to Elasticsearch, SSM, S3 and alert targets)`,
      allowAllOutbound: false,
    });
    if (!props.elasticsearchSecurityGroup && !props.clientSecurityGroup) {
      // a construct used without a cluster (tests, a VPC of its own): it builds, but says it cannot reach 9200
      Annotations.of(this).addWarningV2(
        'elk-cdk:alerter-no-elasticsearch-path',
        `environment ${env}: the alerter has no way to Elasticsearch on 9200: pass elasticsearchSecurityGroup (the group of the Elasticsearch load balancer) or clientSecurityGroup (a group with 9200 egress to it)`,
      );
    }
    restrictAlerterEgress(this.securityGroup, {
      elasticsearch: props.elasticsearchSecurityGroup,
      extraPorts: config.alerter.egressPorts,
    });

    // ---- instance ----
    const bootScript = fs.readFileSync(path.join(PROJECT_ROOT, 'scripts', 'alerter', 'boot.sh'), 'utf8');
    if (bootScript.includes('ELK_BOOT_EOF'))
      throw new Error('boot.sh must not contain the heredoc marker ELK_BOOT_EOF');
    const userData = ec2.UserData.forLinux();
    const bootArgs = [
      `--parameter ${this.currentBundleParameterName}`,
      `--region ${stack.region}`,
      `--ca-parameter ${caParameterName}`,
      ...(props.credentialsSecret ? [`--credentials-secret ${props.credentialsSecret.secretArn}`] : []),
      `--signal-stack ${stack.stackName}`,
      // the group's logical id, known once the group exists (below)
      `--signal-resource ${Lazy.string({ produce: () => stack.getLogicalId(this.group.node.defaultChild as autoscaling.CfnAutoScalingGroup) })}`,
    ];
    this.heartbeat = new Heartbeat(this, 'Heartbeat', {
      environment: env,
      role: this.role,
      groupName: `elk-${env}-alerter`,
      staleAfter: props.heartbeatStaleAfter ?? Duration.minutes(10),
      topic: props.alarmTopic,
    });
    userData.addCommands(
      'set -euo pipefail',
      'dnf install -y docker jq',
      'systemctl enable --now docker',
      // ${ELK_ROOT:-} is empty on the instance and a sandbox folder in the boot rehearsal (lib/boot).
      'mkdir -p "${ELK_ROOT:-}/opt/elk-alerter/bin"',
      ...this.heartbeat.userDataCommands,
      `cat > "\${ELK_ROOT:-}/opt/elk-alerter/bin/boot.sh" <<'ELK_BOOT_EOF'`,
      bootScript.trimEnd(),
      'ELK_BOOT_EOF',
      'chmod 755 "${ELK_ROOT:-}/opt/elk-alerter/bin/boot.sh"',
      // A password rotation (lib/security/CredentialsReload.ts): the recorded bundle deployed again, which recreates
      // the container when the resolved secrets (the elastalert password) changed; bounded, no signal.
      `cat > "\${ELK_ROOT:-}${ALERTER_RELOAD_SCRIPT}" <<'ELK_RELOAD_EOF'`,
      '#!/usr/bin/env bash',
      `ELK_BOOT_MAX_ATTEMPTS=3 exec "$(dirname "$0")/boot.sh" ${bootArgs.filter((a) => !a.startsWith('--signal')).join(' ')}`,
      'ELK_RELOAD_EOF',
      `chmod 755 "\${ELK_ROOT:-}${ALERTER_RELOAD_SCRIPT}"`,
      `"\${ELK_ROOT:-}/opt/elk-alerter/bin/boot.sh" ${bootArgs.join(' ')}`,
    );
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ec2.MachineImage.genericLinux(config.ami.images),
      instanceType: new ec2.InstanceType(config.alerter.instanceType),
      requireImdsv2: true,
      // 2, not 1: ElastAlert runs in a container on Docker's bridge network (one more hop), and the alerters that
      // call AWS (SNS, SES, SQS) need the instance role's credentials from IMDSv2.
      httpPutResponseHopLimit: 2,
      role: this.role,
      securityGroup: this.securityGroup,
      userData,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(20, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
        },
      ],
    });
    if (props.clientSecurityGroup) launchTemplate.connections.addSecurityGroup(props.clientSecurityGroup);

    this.group = new autoscaling.AutoScalingGroup(this, 'Group', {
      // creation and every replacement wait until boot.sh has verified the rules (or found none recorded yet)
      signals: autoscaling.Signals.waitForAll({ timeout: Duration.minutes(30) }),
      autoScalingGroupName: `elk-${env}-alerter`,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate,
      minCapacity: 1,
      maxCapacity: 1,
      healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(10) }),
      // Never two ElastAlerts at once (duplicate alerts): a new launch template replaces the instance in place.
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({ minInstancesInService: 0, maxBatchSize: 1 }),
    });
    Tags.of(this.group).add('elk-cdk:alerter', env);
    if (props.credentialsSecret) Tags.of(this.group).add(RELOAD_TAG, 'true');
    Tags.of(this.group).add('Name', `elk-${env}-alerter`);
    Validations.of(this.group).acknowledge({
      id: 'AwsSolutions-AS3',
      reason:
        'Scaling notifications are not used: the group has one instance; a failed rule deployment fails the CloudFormation deployment instead.',
    });

    // ---- the rule deployment custom resource ----
    const handler = (hid: string, handlerName: string, timeout: Duration) =>
      this.handlerFunction(hid, {
        entry: path.join(PROJECT_ROOT, 'lambda', 'alerter-deploy', 'index.ts'),
        handler: handlerName,
        timeout,
        description: `elk-cdk ${env}: alerter rule deployment (${handlerName})`,
      });
    const onEvent = handler('OnEvent', 'onEvent', Duration.minutes(14));
    const isComplete = handler('IsComplete', 'isComplete', Duration.minutes(1));
    const region = stack.region;
    const account = stack.account;
    for (const fn of [onEvent, isComplete]) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'ObserveAlerter',
          actions: [
            'autoscaling:DescribeAutoScalingGroups',
            'ssm:DescribeInstanceInformation',
            'ssm:GetCommandInvocation',
          ],
          resources: ['*'],
        }),
      );
      Validations.of(fn.role!).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'DescribeAutoScalingGroups, DescribeInstanceInformation and GetCommandInvocation have no resource-level permissions.',
      });
    }
    onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'RunDeployScriptOnAlerterOnly',
        actions: ['ssm:SendCommand'],
        resources: [`arn:${stack.partition}:ec2:${region}:${account}:instance/*`],
        conditions: { StringEquals: { 'ssm:resourceTag/elk-cdk:alerter': env } },
      }),
    );
    onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'WithRunShellScript',
        actions: ['ssm:SendCommand'],
        resources: [`arn:${stack.partition}:ssm:${region}::document/AWS-RunShellScript`],
      }),
    );
    Validations.of(onEvent.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${arnPrefix('ec2')}:instance/*]`,
      reason: `SendCommand is limited by condition to instances tagged elk-cdk:alerter=${env} (the alerter group's instances, whose ids change on replacement).`,
    });
    isComplete.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'RecordCurrentBundle',
        actions: ['ssm:PutParameter'],
        resources: [parameterArn(this.currentBundleParameterName)],
      }),
    );

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: onEvent,
      isCompleteHandler: isComplete,
      queryInterval: Duration.seconds(20),
      totalTimeout: Duration.minutes(30),
      logGroup: this.logGroup('ProviderLogs'),
      waiterStateMachineLogOptions: { destination: this.logGroup('WaiterLogs'), level: sfn.LogLevel.ALL },
      disableWaiterStateMachineLogging: false,
    });
    this.acknowledgeProvider(provider, [onEvent, isComplete]);

    const properties: DeploymentPropertiesInput = {
      AutoScalingGroupName: this.group.autoScalingGroupName,
      BundleS3Url: bundleAsset.s3ObjectUrl,
      BundleHash: this.bundle.hash,
      RuleHashes: { ...this.bundle.ruleHashes },
      ScriptS3Url: scriptAsset.s3ObjectUrl,
      ScriptSha256: createHash('sha256').update(fs.readFileSync(scriptPath)).digest('hex'),
      CurrentBundleParameter: this.currentBundleParameterName,
      EsHost: props.esEndpoint,
      CredentialsSecretArn: props.credentialsSecret?.secretArn ?? '',
      CaParameterName: caParameterName,
      // Each CA rotation phase deploys again: the container then trusts what the CA parameter holds now.
      ...(props.config.security.caRotation ? { CaGeneration: caGenerationOf(props.config.security.caRotation) } : {}),
      CommandTimeoutSeconds: 1500,
      CommandLogGroupName: commandLogs.logGroupName,
      InstanceWaitSeconds: 600,
    };
    this.deployment = new CustomResource(this, 'RuleDeployment', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::AlerterRuleDeployment',
      properties,
      // onEvent may wait 10 min for the instance, then the waiter polls up to 30 min.
      serviceTimeout: Duration.minutes(45),
    });
    this.deployment.node.addDependency(this.group);
    this.deployment.node.addDependency(this.role);

    new CfnOutput(this, 'RuleBundleHash', {
      value: this.bundle.hash,
      description: 'sha256 of the deployed rule bundle (SHA256SUMS)',
    });
    new CfnOutput(this, 'AlerterGroupName', { value: this.group.autoScalingGroupName });
  }

  private logGroup(id: string): logs.LogGroup {
    return new logs.LogGroup(this, id, {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** A handler with its own role that may only write its own log group (no managed policy). */
  private handlerFunction(id: string, props: NodejsFunctionProps): NodejsFunction {
    const logGroup = this.logGroup(`${id}Logs`);
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    const fn = new NodejsFunction(this, id, {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      role,
      logGroup,
      ...props,
      // Bundled once per process (same esbuild options as NodejsFunction's bundling), shared by every stack.
      entry: undefined,
      code: prebundledCode(this, props.entry!, {
        minify: true,
        sourceMap: false,
        target: 'node22',
        externalModules: ['@aws-sdk/*'],
      }),
      handler: `index.${props.handler ?? 'handler'}`,
    });
    logGroup.grantWrite(role);
    return fn;
  }

  /** cdk-nag acknowledgements for the Provider framework's own functions and waiter. */
  private acknowledgeProvider(provider: cr.Provider, handlers: lambda.IFunction[]): void {
    const v = Validations.of(provider);
    const stack = Stack.of(provider);
    v.acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The Provider framework functions use the CDK-managed AWSLambdaBasicExecutionRole (logs only).',
    });
    const fns = [
      ...handlers.map((f) => f.node.defaultChild as lambda.CfnFunction),
      ...provider.node.findAll().filter((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction),
    ];
    for (const fn of fns) {
      v.acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn)}.Arn>:*]`,
        reason: 'The Provider framework may invoke any version of its own functions.',
      });
    }
    v.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Log delivery of the waiter state machine needs `*` (no resource-level permissions).',
    });
    v.acknowledge({
      id: 'AwsSolutions-SF2',
      reason: 'The waiter state machine of the Provider framework has no X-Ray option; it only polls one function.',
    });
  }
}
