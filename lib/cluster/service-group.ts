import { Duration, Lazy, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EnvironmentConfig } from '../config';
import type { ClusterSecurity } from '../security/ClusterSecurity';
import { NodeScripts } from './NodeScripts';
import { RELOAD_TAG } from '../security/CredentialsReload';
import { nodeLaunchTemplate } from './launch-template';
import { nodeInstanceRole } from './NodeRole';
import { nodeUserData } from './user-data';

export interface ServiceGroupProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly role: 'kibana' | 'logstash';
  /** The Elasticsearch user the service runs as; its secret id reaches the user data as `secretEnv`. */
  readonly user: 'kibana_system' | 'logstash_writer';
  readonly secretEnv: string;
  readonly count: number;
  readonly instanceType: string;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  readonly scripts: NodeScripts;
  readonly elasticsearchUrl: string;
  readonly security?: ClusterSecurity;
  /** Why EC2 (not load balancer) health checks are right for this service (cdk-nag AS3 acknowledgement). */
  readonly healthCheckReason: string;
  /** More node.env entries of the service. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** Root volume size, GiB. @default the launch template's (20) */
  readonly rootVolumeGb?: number;
}

export interface ServiceGroup {
  readonly instanceRole: iam.Role;
  readonly launchTemplate: ec2.LaunchTemplate;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
}

/**
 * The instance role, launch template and Auto Scaling group of a stateless client service of the cluster (Kibana,
 * Logstash), created in `scope` with fixed ids (`InstanceRole`, `LaunchTemplate`, `Group`).
 *
 * A launch template change rolls the group one instance at a time and keeps the service up: MinInstancesInService =
 * count with room for one surge instance (MaxSize = count + 1), and CloudFormation waits for each new instance's
 * signal (WaitOnResourceSignals, PauseTime 15 min), which the boot script sends only after the service answers its
 * health check (Kibana `/api/status` available; Logstash pipeline running and 5044 listening). A failed boot signals
 * FAILURE (or sends nothing and times out): the update fails and CloudFormation rolls it back.
 */
export function serviceGroup(scope: Construct, props: ServiceGroupProps): ServiceGroup {
  const { config } = props;
  const label = props.role === 'kibana' ? 'Kibana' : 'Logstash';
  const stack = Stack.of(scope);
  const instanceRole = nodeInstanceRole(scope, 'InstanceRole', `elk-cdk ${config.name}: ${label} node`);
  props.scripts.grantRead(instanceRole, props.role);
  instanceRole.addToPolicy(
    new iam.PolicyStatement({ actions: ['cloudformation:SignalResource'], resources: [stack.stackId] }),
  );
  const created: { group?: autoscaling.AutoScalingGroup } = {};
  const env: Record<string, string> = {
    ELK_ENVIRONMENT: config.name,
    // Where the boot script sends its health-gated signal (lib/boot rehearses it): this stack and this group.
    ELK_STACK_NAME: stack.stackName,
    ELK_SIGNAL_RESOURCE: Lazy.string({
      produce: () =>
        stack.resolve((created.group!.node.defaultChild as autoscaling.CfnAutoScalingGroup).logicalId) as string,
    }),
    ELK_ES_VERSION: config.elasticsearch.version,
    ELK_REGION: Stack.of(scope).region,
    ELK_ES_URL: props.elasticsearchUrl,
    ...props.env,
  };
  if (props.security) {
    props.security.grantClient(props.user, instanceRole);
    env.ELK_CA_PARAMETER = props.security.caCertificateParameterName;
    env[props.secretEnv] = props.security.userSecret(props.user).secretArn;
    // Kibana and Logstash trust Elasticsearch through the CA parameter read at boot (and may hold an issuer
    // certificate): a CA rotation phase replaces them too (docs/security.md, "Rotation").
    Object.assign(env, props.security.nodeCaEnv());
    // Kibana instances behind one ALB share their encryption keys (sessions, saved objects, reporting).
    if (props.role === 'kibana')
      env.ELK_KIBANA_KEYS_SECRET_ID = props.security.grantKibanaEncryptionKeys(instanceRole).secretArn;
  }
  const launchTemplate = nodeLaunchTemplate(scope, 'LaunchTemplate', {
    config,
    role: props.role,
    nodeCount: props.count,
    instanceType: props.instanceType,
    ...(props.rootVolumeGb !== undefined ? { rootVolumeGb: props.rootVolumeGb } : {}),
    instanceRole,
    securityGroups: [props.securityGroup, props.clientSecurityGroup],
    userData: nodeUserData({ role: props.role, env, scripts: props.scripts }),
  });
  props.security?.waitForCa(launchTemplate);
  const autoScalingGroup = new autoscaling.AutoScalingGroup(scope, 'Group', {
    vpc: props.vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    launchTemplate,
    minCapacity: props.count,
    // One surge slot: the rolling update adds the new instance before it removes an old one.
    maxCapacity: props.count + 1,
    healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(10) }),
    updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
      maxBatchSize: 1,
      minInstancesInService: props.count,
      waitOnResourceSignals: true,
      pauseTime: Duration.minutes(15),
    }),
  });
  created.group = autoScalingGroup;
  // A password rotation reaches its instances (the reload-credentials command of lib/security/CredentialsReload.ts).
  if (props.security) Tags.of(autoScalingGroup).add(RELOAD_TAG, 'true');
  Validations.of(autoScalingGroup).acknowledge({ id: 'AwsSolutions-AS3', reason: props.healthCheckReason });
  return { instanceRole, launchTemplate, autoScalingGroup };
}
