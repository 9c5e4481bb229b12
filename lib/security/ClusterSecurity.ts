import * as path from 'path';
import { CustomResource, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IDependable } from 'constructs';
import type { ClusterCaProperties } from '../../lambda/cluster-ca/contract';
import { caGenerationOf, type CaRotation } from '../../lambda/cluster-ca/rotation';
import { AllowGroupProps, CertificateIssuer } from './CertificateIssuer';
import { CaKeyReadAlarm } from './CaKeyReadAlarm';
import { CredentialsReload } from './CredentialsReload';
import { kibanaKeysSecret } from './kibana-keys';
import { securityLambda, securityLogGroup } from './functions';
import { NATIVE_USERS, ROLES, securityDefinitionsHash, SERVICE_USERS, ServiceUser } from './roles';

const PROJECT_ROOT = path.join(__dirname, '..', '..');
const LAMBDA_DIR = path.join(PROJECT_ROOT, 'lambda');

/**
 * CloudWatch namespace of what the nodes publish themselves: `CertificateDaysToExpiry` {Environment, Role} from
 * node-cert-renew.sh (the certificate renewal timer).
 */
export const NODE_METRICS_NAMESPACE = 'elk-cdk/Nodes';

export interface ClusterSecurityProps {
  /** Environment name (dev, staging, ...): part of every secret, parameter and DNS name. */
  readonly environmentName: string;
  /**
   * Stable DNS name every node certificate carries in its SANs, and the name clients verify when they connect
   * through a load balancer or by IP.
   * @default `elasticsearch.<environmentName>.elk.internal`
   */
  readonly serviceName?: string;
  /**
   * What happens to the KMS key, the CA secret and the user secrets when the stack is deleted.
   * With the default the CA and passwords survive an update that replaces them and a stack deletion (delete or
   * restore the retained secrets before re-creating the environment, or the fixed secret names collide), but a first
   * create that rolls back deletes them (CloudFormation `RetainExceptOnCreate`), so the next create does not fail
   * with "already exists".
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy;
  /** Validity of a newly created cluster CA. @default 3650 days */
  readonly caValidityDays?: number;
  /**
   * Change after editing the CA secret by hand (CA rotation, docs/security.md) so the custom resource re-reads it
   * and republishes the trusted certificates. It never makes a new CA by itself.
   * @default '1'
   */
  readonly caRevision?: string;
  /** Validity of an issued node certificate (nodes renew well before it ends). @default 7 days */
  readonly nodeCertificateValidityDays?: number;
  /**
   * The CA rotation phase of the environment (`security.caRotation`): the CA custom resource makes the phase's change
   * of the CA secret itself (lambda/cluster-ca/rotation.ts), and `caGeneration` names it for the launch templates.
   * @default - no rotation: the CA is created once and then used as the secret holds it
   */
  readonly caRotation?: CaRotation;
  /** The environment file that sets `security.caRotation`, named in the refusals. @default `config/environments/<env>.yaml` */
  readonly configFile?: string;
}

export interface SecurityBootstrapProps {
  /** VPC the bootstrap Lambdas run in; they need a route to Secrets Manager and SSM (NAT or VPC endpoints). */
  readonly vpc: ec2.IVpc;
  /** @default private subnets with egress */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Security group(s) of the Lambdas; the cluster's 9200 ingress must allow them. */
  readonly securityGroups: ec2.ISecurityGroup[];
  /** `https://<host>:9200` of the cluster (internal load balancer or DNS name). */
  readonly endpoint: string;
  /**
   * Name checked against the node certificates. @default the construct's serviceName
   */
  readonly servername?: string;
  /** How long the bootstrap waits for the cluster to form (CloudFormation's cap is 1 h). @default 50 minutes */
  readonly timeout?: Duration;
}

/** What a bootstrap() call creates; ClusterStack can add dependencies on `resource` (e.g. on the ASGs). */
export interface SecurityBootstrap {
  readonly resource: CustomResource;
  readonly onEventFunction: lambda.IFunction;
  readonly isCompleteFunction: lambda.IFunction;
}

/**
 * Cluster security of one environment: a KMS key, the cluster CA (created once by a custom resource, private key in
 * Secrets Manager only, certificate in SSM), one generated password secret per service user, grant helpers that
 * give each role exactly its own secret, the node-certificate script, and the roles-and-users bootstrap.
 */
export class ClusterSecurity extends Construct {
  /** Path of the boot script that issues a node its certificate (see docs/security.md). */
  static readonly nodeCertificateScriptPath = path.join(PROJECT_ROOT, 'scripts', 'security', 'node-certs.sh');
  /** Path of the boot script that puts elastic's bootstrap.password into the node keystore. */
  static readonly bootstrapPasswordScriptPath = path.join(
    PROJECT_ROOT,
    'scripts',
    'security',
    'es-bootstrap-password.sh',
  );

  readonly key: kms.Key;
  /** Holds the CA certificate PEM followed by the CA private key PEM. Only nodes (and the CA Lambda) read it. */
  readonly caSecret: secretsmanager.Secret;
  /** Public CA certificate for clients. */
  readonly caCertificateParameter: ssm.StringParameter;
  readonly caCertificateParameterName: string;
  readonly serviceName: string;
  readonly environmentName: string;
  /** Signs node certificates for this environment's instances; the only reader of the CA key besides the CA Lambda. */
  readonly issuer: CertificateIssuer;
  /** Alarm and SNS topic on any access to the CA key secret by anyone but the CA and issuer Lambdas. */
  readonly caKeyReadAlarm: CaKeyReadAlarm;
  /**
   * One-time first-boot password of `elastic` (JSON {"username":"elastic","password"}): what Elasticsearch nodes put
   * into their keystore as `bootstrap.password`. Useless once the security bootstrap has set elastic's real
   * password in `.security`. Nodes never read elastic's real secret.
   */
  readonly bootstrapPasswordSecret: secretsmanager.Secret;
  /**
   * `rotation-<n>-<phase>` while `caRotation` is set: goes into the user data of every group that holds CA-issued
   * certificates (`nodeCaEnv()`), so a phase change is a new launch template version of each and the rolling
   * replacement replaces every node. Undefined without a rotation (no template changes).
   */
  readonly caGeneration?: string;
  /** The CA custom resource, the issuer function and the CA parameter: what a launch template waits for. */
  private readonly caChanged: IDependable[];
  private readonly users: Record<ServiceUser, secretsmanager.Secret>;
  private readonly removalPolicy: RemovalPolicy;
  private kibanaKeys?: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: ClusterSecurityProps) {
    super(scope, id);
    const env = props.environmentName;
    if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(env)) {
      throw new Error(
        `ClusterSecurity: environmentName "${env}" must be lowercase letters, digits and "-" (it names secrets and DNS).`,
      );
    }
    this.environmentName = env;
    this.serviceName = props.serviceName ?? `elasticsearch.${env}.elk.internal`;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
    this.removalPolicy = removalPolicy;

    this.key = new kms.Key(this, 'Key', {
      description: `elk-cdk ${env}: encrypts the cluster CA key and the Elasticsearch user passwords`,
      enableKeyRotation: true,
      alias: `alias/elk/${env}/security`,
      removalPolicy,
    });

    // ---- cluster CA ----
    this.caSecret = new secretsmanager.Secret(this, 'CaSecret', {
      secretName: `elk/${env}/security/cluster-ca`,
      description: `elk-cdk ${env}: cluster CA certificate + private key (PEM). Written once by the cluster-CA custom resource.`,
      encryptionKey: this.key,
      // A random placeholder until the custom resource writes the CA; the template never holds a value.
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
      removalPolicy,
    });
    Validations.of(this.caSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The CA key is not rotated on a schedule: a new CA means re-issuing every node certificate and updating every client trust store, a planned operation documented in docs/security.md.',
    });

    const caFn = this.lambda(this, 'CaFunction', {
      entry: path.join(LAMBDA_DIR, 'cluster-ca', 'index.ts'),
      handler: 'handler',
      description: `elk-cdk ${env}: creates the cluster CA once`,
      timeout: Duration.minutes(1),
      environment: { CA_SECRET_ARN: this.caSecret.secretArn },
    });
    this.grantSecret(
      this.caSecret,
      caFn,
      ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      ['kms:Decrypt'],
    );
    this.grantSecret(
      this.caSecret,
      caFn,
      ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecret'],
      ['kms:Encrypt', 'kms:GenerateDataKey'],
    );

    const caProvider = new cr.Provider(this, 'CaProvider', {
      onEventHandler: caFn,
      logGroup: this.logGroup(this, 'CaProviderLogs'),
    });
    acknowledgeProvider(caProvider, [caFn]);

    const caProps: Record<keyof ClusterCaProperties, string | undefined> = {
      CommonName: `elk-cdk ${env} cluster CA`,
      Organization: 'elk-cdk',
      ValidityDays: String(props.caValidityDays ?? 3650),
      Revision: props.caRevision ?? '1',
      Rotation: undefined,
      Phase: undefined,
      ConfigFile: undefined,
      Environment: undefined,
    };
    const rotation = props.caRotation;
    if (rotation) {
      caProps.Rotation = String(rotation.rotation);
      caProps.Phase = rotation.phase;
      caProps.ConfigFile = props.configFile ?? `config/environments/${env}.yaml`;
      caProps.Environment = env;
      this.caGeneration = caGenerationOf(rotation);
      // The roll gate (lambda/cluster-ca/roll-gate.ts): a phase moves forward only once every Elasticsearch, Kibana
      // and Logstash instance runs its group's current launch template version. Found by tag, so read-only on '*'.
      caFn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'CheckRollFinished',
          actions: ['autoscaling:DescribeAutoScalingGroups'],
          resources: ['*'],
        }),
      );
      Validations.of(caFn.role!).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'DescribeAutoScalingGroups has no resource-level permissions (read-only: the CA rotation roll gate).',
      });
    }
    const ca = new CustomResource(this, 'ClusterCa', {
      serviceToken: caProvider.serviceToken,
      resourceType: 'Custom::ElkClusterCa',
      properties: caProps,
      serviceTimeout: Duration.minutes(5),
    });

    this.issuer = new CertificateIssuer(this, 'Issuer', {
      environmentName: env,
      caSecretArn: this.caSecret.secretArn,
      grantCaRead: (grantee) => this.grantSecretRead(this.caSecret, grantee),
      validityDays: props.nodeCertificateValidityDays,
    });
    // The issuer signs with the CA from the secret, so it runs only once the CA exists.
    this.issuer.function.node.addDependency(ca);
    if (this.caGeneration) {
      // A phase changes the issuer's configuration after the secret (the dependency above): Lambda serves the next
      // request from a new execution environment, so no container signs from the CA it cached (5 minutes) before.
      this.issuer.function.addEnvironment('CA_GENERATION', this.caGeneration);
    }
    this.caChanged = [ca, this.issuer.function];
    this.caKeyReadAlarm = new CaKeyReadAlarm(this, 'CaKeyReadAlarm', {
      environmentName: env,
      caSecretName: `elk/${env}/security/cluster-ca`,
      expectedReaders: [caFn.role!, this.issuer.function.role!],
    });

    this.caCertificateParameterName = `/elk/${env}/security/ca-cert`;
    this.caCertificateParameter = new ssm.StringParameter(this, 'CaCertificate', {
      parameterName: this.caCertificateParameterName,
      description: `elk-cdk ${env}: cluster CA certificate (public). Clients verify Elasticsearch against it.`,
      stringValue: ca.getAttString('CertificatePem'),
      tier: ssm.ParameterTier.STANDARD,
    });
    this.caChanged.push(this.caCertificateParameter);

    // ---- service users ----
    const users: Partial<Record<ServiceUser, secretsmanager.Secret>> = {};
    for (const user of SERVICE_USERS) {
      const secret = new secretsmanager.Secret(this, `User${pascal(user)}`, {
        secretName: `elk/${env}/users/${user}`,
        description: `elk-cdk ${env}: Elasticsearch user ${user} ({"username","password"})`,
        encryptionKey: this.key,
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ username: user }),
          generateStringKey: 'password',
          passwordLength: 32,
          // Letters and digits only: no quoting issues in YAML, keystores or ElastAlert's $VAR expansion.
          excludePunctuation: true,
        },
        removalPolicy,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotation is an operator action (new value + the bootstrap "sync-passwords" invocation, no node restart), documented in docs/security.md; an automatic schedule would change passwords under running Kibana/Logstash processes.',
      });
      users[user] = secret;
    }
    this.users = users as Record<ServiceUser, secretsmanager.Secret>;

    this.bootstrapPasswordSecret = new secretsmanager.Secret(this, 'BootstrapPassword', {
      secretName: `elk/${env}/security/bootstrap-password`,
      description: `elk-cdk ${env}: one-time first-boot password of elastic (keystore bootstrap.password); not elastic's real password`,
      encryptionKey: this.key,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: 'elastic' }),
        generateStringKey: 'password',
        passwordLength: 32,
        excludePunctuation: true,
      },
      removalPolicy,
    });
    Validations.of(this.bootstrapPasswordSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        "Only authenticates before the security bootstrap sets elastic's real password (first formation); afterwards Elasticsearch ignores it.",
    });
  }

  /**
   * Settings for the node.env of a group whose instances get certificates from the issuer: `ELK_CA_GENERATION`
   * during a CA rotation (nothing otherwise). The boot scripts do not read it; it makes the phase a launch template
   * change.
   */
  nodeCaEnv(): Record<string, string> {
    return this.caGeneration ? { ELK_CA_GENERATION: this.caGeneration } : {};
  }

  /**
   * Makes `scope` (a launch template) wait until the phase's change of the CA secret is made and the issuer runs
   * with its new configuration, and the CA parameter holds the phase's certificates: no replacement node asks for a
   * certificate or reads the parameter before (CloudFormation DependsOn; only during a rotation).
   */
  waitForCa(scope: Construct): void {
    // Without a rotation the issuer URL in the user data already orders them (URL → function → CA).
    // On the launch template resource itself (not its instance profile, which need not wait).
    if (this.caGeneration) (scope.node.defaultChild ?? scope).node.addDependency(...this.caChanged);
  }

  /**
   * Every Lambda function under `root` that reads the CA certificate parameter (an environment variable names it)
   * gets `CA_GENERATION` and waits for the parameter: a phase change then starts each in a new execution environment
   * after the parameter holds the phase's certificates, so none keeps a trust store cached from before the phase.
   * Returns the functions changed (none without a rotation).
   */
  refreshCaClients(root: Construct): lambda.Function[] {
    const generation = this.caGeneration;
    if (!generation) return [];
    const stack = Stack.of(root);
    const changed: lambda.Function[] = [];
    for (const c of root.node.findAll()) {
      if (!(c instanceof lambda.Function)) continue;
      const cfn = c.node.defaultChild as lambda.CfnFunction;
      const vars = (stack.resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined)?.variables;
      // Whatever the variable's name (CA_PARAMETER_NAME, ES_CA_PARAMETER): its value names the CA parameter.
      if (!Object.values(vars ?? {}).includes(this.caCertificateParameterName)) continue;
      c.addEnvironment('CA_GENERATION', generation);
      c.node.addDependency(this.caCertificateParameter);
      changed.push(c);
    }
    return changed;
  }

  /**
   * Kibana's shared encryption keys (created on first use, `elk/<env>/kibana/encryption-keys`): read access for the
   * grantee (Kibana's instance role). Returns the secret.
   */
  grantKibanaEncryptionKeys(grantee: iam.IGrantable): secretsmanager.ISecret {
    this.kibanaKeys ??= kibanaKeysSecret(this, 'KibanaEncryptionKeys', {
      environment: this.environmentName,
      key: this.key,
      removalPolicy: this.removalPolicy,
    });
    this.grantSecretRead(this.kibanaKeys, grantee);
    return this.kibanaKeys;
  }

  /** The secret of one service user (JSON {username, password}). */
  userSecret(name: ServiceUser): secretsmanager.ISecret {
    const s = this.users[name];
    if (!s) throw new Error(`ClusterSecurity.userSecret: unknown user "${name}"; known: ${SERVICE_USERS.join(', ')}`);
    return s;
  }

  /** Read access to exactly one user's secret (GetSecretValue + kms:Decrypt through Secrets Manager). */
  grantUserSecretRead(name: ServiceUser, grantee: iam.IGrantable): iam.Grant {
    return this.grantSecretRead(this.userSecret(name), grantee);
  }

  /** ssm:GetParameter on the public CA certificate. */
  grantCaCertificateRead(grantee: iam.IGrantable): iam.Grant {
    // The ARN from the literal name (not the parameter's Ref): every parameter grant names its path in the template.
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['ssm:DescribeParameters', 'ssm:GetParameters', 'ssm:GetParameter', 'ssm:GetParameterHistory'],
      resourceArns: [
        Stack.of(this).formatArn({
          service: 'ssm',
          resource: 'parameter',
          resourceName: this.caCertificateParameterName.slice(1),
        }),
      ],
    });
  }

  /** What an Elasticsearch client (a Lambda, the alerter) needs: its own user secret and the CA certificate. */
  grantClient(name: ServiceUser, grantee: iam.IGrantable): void {
    this.grantUserSecretRead(name, grantee);
    this.grantCaCertificateRead(grantee);
  }

  /**
   * Lets the instances of an Auto Scaling group get node certificates from the issuer (node-certs.sh
   * --issuer-url): their own IP and DNS name plus `dnsNames`. Grants the role the function URL invocation only;
   * no instance role reads the CA secret.
   */
  allowNodeCertificates(props: AllowGroupProps): void {
    this.issuer.allowGroup(props);
  }

  /**
   * For the Elasticsearch node role: publish the certificate's days to expiry (node-cert-renew.sh), in the nodes'
   * own namespace only (PutMetricData has no resource-level permissions; the namespace condition limits it).
   */
  grantNodeCertificateMetric(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': NODE_METRICS_NAMESPACE } },
      }),
    );
  }

  /** For the Elasticsearch node role: the one-time bootstrap password and the node_monitor user, nothing else. */
  grantNodeBootstrapPassword(grantee: iam.IGrantable): void {
    this.grantSecretRead(this.bootstrapPasswordSecret, grantee);
    this.grantUserSecretRead('node_monitor', grantee);
  }

  private grantSecretRead(secret: secretsmanager.ISecret, grantee: iam.IGrantable): iam.Grant {
    return this.grantSecret(
      secret,
      grantee,
      ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      ['kms:Decrypt'],
    );
  }

  /**
   * Secret access on the grantee's own policy only. `Secret.grantRead` grants kms:Decrypt through a
   * ViaServicePrincipal, which lands in the *key policy* naming the grantee's role: with the grantee in another stack
   * (the alerter), the cluster stack would reference that stack and the two would form a dependency cycle. Here
   * kms:Decrypt goes on the grantee's policy, limited to use through Secrets Manager (`kms:ViaService`); the key
   * policy's account statement lets IAM policies grant it.
   */
  private grantSecret(
    secret: secretsmanager.ISecret,
    grantee: iam.IGrantable,
    secretActions: string[],
    kmsActions: string[],
  ): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: secretActions, resourceArns: [secret.secretArn] });
    iam.Grant.addToPrincipal({
      grantee,
      actions: kmsActions,
      resourceArns: [this.key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
    });
    return grant;
  }

  /**
   * The custom resource that PUTs roles, users and passwords once the cluster has formed, on every deploy where
   * the definitions (lib/security/roles.ts) change. Created in `scope` (the cluster stack) inside the VPC.
   */
  bootstrap(scope: Construct, props: SecurityBootstrapProps): SecurityBootstrap {
    const timeout = props.timeout ?? Duration.minutes(50);
    if (timeout.toSeconds() > 55 * 60) {
      throw new Error(
        `ClusterSecurity.bootstrap: timeout ${timeout.toMinutes()} min exceeds 55 min; CloudFormation stops waiting for a custom resource after 1 h.`,
      );
    }
    if (!Token.isUnresolved(props.endpoint) && !/^https:\/\//.test(props.endpoint)) {
      throw new Error(`ClusterSecurity.bootstrap: endpoint "${props.endpoint}" must be https://<host>:9200.`);
    }
    const construct = new Construct(scope, 'SecurityBootstrap');
    const userSecretArns = Object.fromEntries(SERVICE_USERS.map((u) => [u, this.users[u].secretArn]));
    const common: NodejsFunctionProps = {
      entry: path.join(LAMBDA_DIR, 'security-bootstrap', 'index.ts'),
      timeout: Duration.minutes(2),
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: props.securityGroups,
      environment: {
        ES_ENDPOINT: props.endpoint,
        ES_SERVERNAME: props.servername ?? this.serviceName,
        CA_PARAMETER_NAME: this.caCertificateParameterName,
        USER_SECRET_ARNS: Stack.of(scope).toJsonString(userSecretArns),
        BOOTSTRAP_SECRET_ARN: this.bootstrapPasswordSecret.secretArn,
        REQUEST_TIMEOUT_MS: '10000',
      },
    };
    // The clients' side of a rotation: sync-passwords sends this command once the passwords are set.
    const reload = new CredentialsReload(construct, 'CredentialsReload', { environmentName: this.environmentName });
    const onEventFunction = this.lambda(construct, 'OnEvent', {
      ...common,
      environment: {
        ...common.environment,
        RELOAD_DOCUMENT_NAME: reload.documentName,
        ENVIRONMENT_NAME: this.environmentName,
      },
      handler: 'onEvent',
      description: `elk-cdk ${this.environmentName}: security bootstrap (accepts events; {"action":"sync-passwords"} re-applies passwords)`,
    });
    const isCompleteFunction = this.lambda(construct, 'IsComplete', {
      ...common,
      handler: 'isComplete',
      description: `elk-cdk ${this.environmentName}: security bootstrap (waits for the cluster, applies roles and users)`,
    });
    reload.grantSend(onEventFunction);
    for (const fn of [onEventFunction, isCompleteFunction]) {
      // The bootstrap sets every user's password, so it reads every user secret: the only role that does.
      for (const u of SERVICE_USERS) this.grantUserSecretRead(u, fn);
      this.grantSecretRead(this.bootstrapPasswordSecret, fn);
      this.grantCaCertificateRead(fn);
    }

    const provider = new cr.Provider(construct, 'Provider', {
      onEventHandler: onEventFunction,
      isCompleteHandler: isCompleteFunction,
      queryInterval: Duration.seconds(30),
      totalTimeout: timeout,
      logGroup: this.logGroup(construct, 'ProviderLogs'),
      waiterStateMachineLogOptions: {
        destination: this.logGroup(construct, 'WaiterLogs'),
        level: sfn.LogLevel.ALL,
      },
      disableWaiterStateMachineLogging: false,
    });
    acknowledgeProvider(provider, [onEventFunction, isCompleteFunction], true);

    const resource = new CustomResource(construct, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::ElkSecurityBootstrap',
      properties: {
        RolesJson: JSON.stringify(ROLES),
        UsersJson: JSON.stringify(NATIVE_USERS),
        DefinitionsHash: securityDefinitionsHash(),
      },
      serviceTimeout: timeout.plus(Duration.minutes(5)),
    });
    resource.node.addDependency(this.caCertificateParameter);
    return { resource, onEventFunction, isCompleteFunction };
  }

  private logGroup(scope: Construct, id: string): logs.LogGroup {
    return securityLogGroup(scope, id);
  }

  private lambda(scope: Construct, id: string, props: NodejsFunctionProps): NodejsFunction {
    return securityLambda(scope, id, props);
  }
}

/**
 * cdk-nag acknowledgements for a Provider framework, on the provider itself. cdk-nag v3 matches granular findings
 * only by their exact id, so the function logical ids are computed, not hard-coded.
 */
function acknowledgeProvider(provider: cr.Provider, handlers: lambda.IFunction[], withWaiter = false): void {
  const v = Validations.of(provider);
  const stack = Stack.of(provider);
  v.acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'The Provider framework Lambdas use the CDK-managed AWSLambdaBasicExecutionRole (CloudWatch Logs only).',
  });
  const frameworkFns = provider.node.findAll().filter((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction);
  const handlerFns = handlers.map((f) => f.node.defaultChild as lambda.CfnFunction);
  for (const fn of [...handlerFns, ...frameworkFns]) {
    v.acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn)}.Arn>:*]`,
      reason: 'The Provider framework may invoke any version of its own functions (`<function arn>:*`).',
    });
  }
  if (withWaiter) {
    v.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'CloudWatch Logs delivery for the waiter state machine requires `*` (no resource-level permissions).',
    });
    v.acknowledge({
      id: 'AwsSolutions-SF2',
      reason: 'The Provider framework waiter state machine has no X-Ray option; it only polls one Lambda.',
    });
  }
}

function pascal(s: string): string {
  return s
    .split('_')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}
