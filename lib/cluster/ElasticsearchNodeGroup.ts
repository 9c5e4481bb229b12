import { Arn, Duration, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EnvironmentConfig, heapMiB, isProtected } from '../config';
import type { ClusterSecurity } from '../security/ClusterSecurity';
import { NodeScripts } from './NodeScripts';
import { DATA_DEVICE, DATA_PATH, TAG_CLUSTER, TAG_ROLE } from './contract';
import { dataPerNodeBytes, nodeLaunchTemplate } from './launch-template';
import { nodeInstanceRole } from './NodeRole';
import { nodeUserData } from './user-data';
import { groupInputs, launchTemplateInputs, recordInputs } from './config-inputs';
import { dataVolumeEnv, type DataVolumeSettings, grantDataVolumes, tagDataVolumeGroup } from './data-volumes';

export interface ElasticsearchNodeGroupProps {
  readonly config: EnvironmentConfig;
  readonly role: 'master' | 'data';
  readonly vpc: ec2.IVpc;
  /** The Elasticsearch node security group (9200 from clients, 9300 between nodes). */
  readonly securityGroup: ec2.ISecurityGroup;
  readonly scripts: NodeScripts;
  /** Value of the elk-cdk:cluster tag: discovery-ec2 and the bootstrap decision find the nodes by it. */
  readonly discoveryTag: string;
  /** SSM parameter name of the formation marker (masters read and write it). */
  readonly formationMarkerParameter: string;
  /** Cluster security (TLS, users). @default - no node certificate step (plain HTTP; tests only) */
  readonly security?: ClusterSecurity;
  /** Size of the master's data volume (cluster state only). @default 20 */
  readonly masterVolumeGb?: number;
}

/**
 * One Elasticsearch node role (master-eligible or data) on its own Auto Scaling group and launch template.
 *
 * The group has EC2 health checks only and no update policy: a new launch template version only changes what new
 * instances get. Replacing the running nodes is the rolling replacement's job (RollingReplacement), which targets
 * `launchTemplate.latestVersionNumber`, the version this group is pinned to.
 */
export class ElasticsearchNodeGroup extends Construct {
  readonly role: 'master' | 'data';
  readonly launchTemplate: ec2.LaunchTemplate;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly instanceRole: iam.Role;
  readonly nodeCount: number;

  constructor(scope: Construct, id: string, props: ElasticsearchNodeGroupProps) {
    super(scope, id);
    const { config, role } = props;
    const es = config.elasticsearch;
    const nodes = role === 'master' ? es.masterNodes : es.dataNodes;
    const volumeGb = role === 'master' ? (props.masterVolumeGb ?? 20) : es.dataNodes.volumeGb;
    this.role = role;
    this.nodeCount = nodes.count;

    this.instanceRole = nodeInstanceRole(this, 'InstanceRole', `elk-cdk ${config.name}: Elasticsearch ${role} node`);
    // discovery-ec2 and the bootstrap decision list instances, and the boot's membership wait reads the instance's own
    // aws:autoscaling:groupName tag (elk-boot-lib.sh); DescribeInstances has no resource-level permissions.
    this.instanceRole.addToPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeInstances'], resources: ['*'] }));
    // (its cdk-nag IAM5[Resource::*] acknowledgement is nodeInstanceRole's)
    props.scripts.grantRead(this.instanceRole, role);
    if (role === 'master') {
      const stack = Stack.of(this);
      this.instanceRole.addToPolicy(
        new iam.PolicyStatement({
          actions: ['ssm:GetParameter', 'ssm:PutParameter'],
          resources: [
            Arn.format(
              { service: 'ssm', resource: 'parameter', resourceName: props.formationMarkerParameter.slice(1) },
              stack,
            ),
          ],
        }),
      );
    }
    if (props.security) {
      props.security.grantNodeBootstrapPassword(this.instanceRole);
      props.security.grantNodeCertificateMetric(this.instanceRole);
    }

    const env: Record<string, string> = {
      ELK_ENVIRONMENT: config.name,
      ELK_ES_VERSION: es.version,
      ELK_CLUSTER_NAME: es.clusterName,
      ELK_DISCOVERY_TAG: props.discoveryTag,
      ELK_HEAP_MIB: String(heapMiB(nodes.instanceType)),
      ELK_REGION: Stack.of(this).region,
      ELK_STACK_ID: Stack.of(this).stackId,
      ELK_MARKER_PARAMETER: props.formationMarkerParameter,
      ELK_ES_SECURITY_GROUP: props.securityGroup.securityGroupId,
      ELK_DATA_DEVICE: DATA_DEVICE,
      ELK_DATA_PATH: DATA_PATH,
    };
    // Only what the role needs reaches its launch template: the master count feeds the masters' first-formation
    // decision only, so a new master count replaces no data node.
    if (role === 'master') env.ELK_MASTER_COUNT = String(es.masterNodes.count);
    // Data nodes: the data volume outlives the instance (data-volumes.ts); the booting node attaches or creates it.
    const dataVolumes: DataVolumeSettings | undefined =
      role === 'data' ? { environment: config.name, sizeGb: volumeGb, key: props.security?.key } : undefined;
    if (dataVolumes) {
      Object.assign(env, dataVolumeEnv(dataVolumes));
      grantDataVolumes(this.instanceRole, dataVolumes);
    }
    // Set only when on: an environment without audit logging keeps its launch templates (no replacement).
    if (es.auditLogging) env.ELK_AUDIT_LOGGING = 'true';
    if (props.security) {
      env.ELK_CERT_ISSUER_URL = props.security.issuer.url;
      env.ELK_SERVICE_NAME = props.security.serviceName;
      env.ELK_BOOTSTRAP_SECRET_ID = props.security.bootstrapPasswordSecret.secretArn;
      env.ELK_MONITOR_SECRET_ID = props.security.userSecret('node_monitor').secretArn;
      // A CA rotation phase replaces every node (docs/security.md, "Rotation").
      Object.assign(env, props.security.nodeCaEnv());
    }

    this.launchTemplate = nodeLaunchTemplate(this, 'LaunchTemplate', {
      config,
      role,
      nodeCount: nodes.count,
      instanceType: nodes.instanceType,
      instanceRole: this.instanceRole,
      securityGroups: [props.securityGroup],
      userData: nodeUserData({ role, env, scripts: props.scripts }),
      // Masters keep a launch-template volume (cluster state only; they are always replaced with a surge).
      extraVolumes: dataVolumes ? [] : [{ deviceName: DATA_DEVICE, sizeGb: volumeGb }],
      dataPerNodeBytes: role === 'data' ? dataPerNodeBytes(config) : 0,
    });
    // No replacement node asks for a certificate before the phase's CA change is made.
    props.security?.waitForCa(this.launchTemplate);

    recordInputs(
      this.launchTemplate,
      launchTemplateInputs(
        config,
        role,
        Stack.of(this).region,
        Object.fromEntries(props.scripts.assetsFor(role).map((a) => [`scripts:${a.node.id}`, a.assetHash])),
      ),
    );

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Group', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate: this.launchTemplate,
      minCapacity: nodes.count,
      // Spare slots: the rolling replacement surges before it drains and terminates; data nodes up to
      // rollout.maxSurge at once (masters always one).
      maxCapacity: nodes.count + (role === 'data' ? config.rollout.maxSurge : 1),
      // EC2 status checks only: an Elasticsearch node that is slow to answer HTTP is never terminated by the group.
      // The grace period (600 s) must stay longer than es-bootstrap-decision.sh's formation window (300 s): a
      // health replacement of a first master then always launches outside the window and joins.
      healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(10) }),
      // Auto Scaling never picks a node by itself (a scale-in would take a node holding data, undrained): every
      // instance is protected from scale in; the rolling replacement lifts it only on the node it has drained, right
      // before terminating it, and protects instances launched before this setting on its first step.
      newInstancesProtectedFromScaleIn: true,
      // deploy.protect: the group (and with it every node of the role at once) cannot be deleted, by a stack
      // deletion, a replacement or a person, until protection is turned off in config and deployed.
      deletionProtection: isProtected(config) ? autoscaling.DeletionProtection.PREVENT_ALL_DELETION : undefined,
      // No update policy: a launch template change never replaces a node behind the orchestrator's back.
      // (CDK renders no UpdatePolicy when neither `init` nor `updatePolicy` is given; asserted in the tests.)
    });
    props.security?.allowNodeCertificates({
      profile: `elasticsearch-${role}`,
      group: this.autoScalingGroup,
      role: this.instanceRole,
      dnsNames: [props.security.serviceName],
    });
    if (dataVolumes) tagDataVolumeGroup(this.autoScalingGroup, dataVolumes);
    recordInputs(this.autoScalingGroup, groupInputs(config, role));
    Tags.of(this).add(TAG_CLUSTER, props.discoveryTag);
    Tags.of(this).add(TAG_ROLE, role);
    Validations.of(this.autoScalingGroup).acknowledge({
      id: 'AwsSolutions-AS3',
      reason:
        'Scaling activities of the Elasticsearch groups are driven and observed by the rolling-replacement orchestrator, which reports every step; SNS notifications would duplicate that.',
    });
  }

  /** The launch template version the group is pinned to (the rolling replacement's target). */
  get targetLaunchTemplateVersion(): string {
    return this.launchTemplate.latestVersionNumber;
  }
}
