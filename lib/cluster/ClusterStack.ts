import { CfnOutput, Fn, Stack, StackProps, Tags, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct, IDependable } from 'constructs';
import { EnvironmentConfig } from '../config';
import { ClusterSecurity, SecurityBootstrap } from '../security/ClusterSecurity';
import { ClusterLoadBalancer } from './ClusterLoadBalancer';
import { ClusterParameters } from './ClusterParameters';
import { ClusterSecurityGroups } from './ClusterSecurityGroups';
import { clusterNetwork } from './ClusterVpc';
import {
  DATA_PATH,
  META_RECOVERY_BYTES_PER_SEC,
  TAG_COMPONENT,
  TAG_ENVIRONMENT,
  formationMarkerParameterName,
} from './contract';
import { ElasticsearchNodeGroup } from './ElasticsearchNodeGroup';
import { KibanaService } from './KibanaService';
import { LogstashService } from './LogstashService';
import { RollingReplacement } from '../rolling-replacement/RollingReplacement';
import { compileIndexDefinitions, IndexManagement } from '../indices';
import { TerminationDrain } from '../termination-drain/TerminationDrain';
import { NodeScripts } from './NodeScripts';
import { SnapshotRepository } from './SnapshotRepository';
import { SNAPSHOT_REPOSITORY } from '../../lambda/index-management/cluster';
import { Monitoring } from '../monitoring/Monitoring';

export interface ClusterStackProps extends StackProps {
  /** The validated environment configuration. */
  readonly config: EnvironmentConfig;
}

/**
 * The Elasticsearch cluster, Kibana and Logstash of one environment. Composes the constructs of lib/cluster and
 * lib/security; holds no resource of its own.
 *
 * Seam for the rolling replacement: `masterGroup`/`dataGroup`, their launch templates and target versions,
 * `esEndpoint`, `clientSecurityGroup`, and `kibanaWaitsFor()`.
 */
export class ClusterStack extends Stack {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly securityGroups: ClusterSecurityGroups;
  /** Elasticsearch nodes' security group. */
  readonly esSecurityGroup: ec2.ISecurityGroup;
  /** Join this group to reach Elasticsearch on 9200 (orchestrator Lambdas, alerter, ...). */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  readonly master: ElasticsearchNodeGroup;
  readonly data: ElasticsearchNodeGroup;
  readonly masterGroup: autoscaling.AutoScalingGroup;
  readonly dataGroup: autoscaling.AutoScalingGroup;
  readonly masterLaunchTemplate: ec2.LaunchTemplate;
  readonly dataLaunchTemplate: ec2.LaunchTemplate;
  /** Launch template version the master group is pinned to (`LatestVersionNumber`). */
  readonly masterTargetVersion: string;
  /** Launch template version the data group is pinned to (`LatestVersionNumber`). */
  readonly dataTargetVersion: string;
  readonly loadBalancer: ClusterLoadBalancer;
  /** DNS name of the internal NLB (TCP 9200 to the data nodes). */
  readonly esEndpoint: string;
  /** `https://<private DNS name>:9200`: the URL clients use (the node certificates carry this name). */
  readonly esUrl: string;
  readonly security: ClusterSecurity;
  readonly securityBootstrap: SecurityBootstrap;
  /** The S3 snapshot repository of the environment (bucket retained). */
  readonly snapshots: SnapshotRepository;
  /** Applies indices/ (index templates, component templates, ILM policies) after the security bootstrap. */
  readonly indexManagement: IndexManagement;
  /** Lifecycle hooks + workflow: every termination of an Elasticsearch instance drains it first. */
  readonly terminationDrain: TerminationDrain;
  readonly kibana?: KibanaService;
  readonly logstash?: LogstashService;
  /** SSM parameter of the first-formation marker (see docs/cluster.md, first bootstrap). */
  readonly formationMarkerParameter: string;
  /** Node-by-node replacement of the Elasticsearch groups on a launch template change (lib/rolling-replacement). */
  readonly rollingReplacement: RollingReplacement;
  /** Metrics collector, alarms, dashboard and alarm topic of the environment (lib/monitoring). */
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;
    // The environment's tags reach instances through their groups (PropagateAtLaunch), never a launch template: a tag
    // change is then an in-place update of the groups, not a new launch template version (a roll of every node, that
    // the rollout key, computed from the launch templates before tags are applied, would not even see).
    for (const [k, v] of Object.entries(config.tags)) {
      Tags.of(this).add(k, v, { excludeResourceTypes: ['AWS::EC2::LaunchTemplate'] });
    }
    Tags.of(this).add(TAG_ENVIRONMENT, config.name);
    Tags.of(this).add(TAG_COMPONENT, 'cluster');

    const network = clusterNetwork(this, config);
    this.vpc = network.vpc;
    component(this.vpc, 'network');

    this.securityGroups = new ClusterSecurityGroups(this, 'SecurityGroups', {
      vpc: this.vpc,
      vpcCidr: network.cidr,
      kibana: config.kibana.count > 0,
      logstash: config.logstash.count > 0,
      ...(config.logstash.producers ? { beatsProducers: config.logstash.producers } : {}),
    });
    this.esSecurityGroup = this.securityGroups.elasticsearch;
    this.clientSecurityGroup = this.securityGroups.client;

    // Node certificates, users, passwords (lib/security).
    this.security = new ClusterSecurity(this, 'Security', {
      environmentName: config.name,
      ...(config.security.caRotation ? { caRotation: config.security.caRotation } : {}),
    });
    component(this.security, 'security');

    const scripts = new NodeScripts(this, 'NodeScripts');
    this.formationMarkerParameter = formationMarkerParameterName(config.name);
    const discoveryTag = `${config.name}-${config.elasticsearch.clusterName}`;
    const common = {
      config,
      vpc: this.vpc,
      securityGroup: this.esSecurityGroup,
      scripts,
      discoveryTag,
      formationMarkerParameter: this.formationMarkerParameter,
      security: this.security,
    };
    this.master = new ElasticsearchNodeGroup(this, 'Master', { ...common, role: 'master' });
    this.data = new ElasticsearchNodeGroup(this, 'Data', { ...common, role: 'data' });
    component(this.master, 'elasticsearch');
    component(this.data, 'elasticsearch');
    this.masterGroup = this.master.autoScalingGroup;
    this.dataGroup = this.data.autoScalingGroup;
    this.masterLaunchTemplate = this.master.launchTemplate;
    this.dataLaunchTemplate = this.data.launchTemplate;
    this.masterTargetVersion = this.masterLaunchTemplate.latestVersionNumber;
    this.dataTargetVersion = this.dataLaunchTemplate.latestVersionNumber;

    this.loadBalancer = new ClusterLoadBalancer(this, 'EsLoadBalancer', {
      vpc: this.vpc,
      securityGroup: this.securityGroups.esLoadBalancer,
      dataGroup: this.dataGroup,
      serviceName: this.security.serviceName,
    });
    component(this.loadBalancer, 'elasticsearch');
    this.esEndpoint = this.loadBalancer.dnsName;
    this.esUrl = `https://${this.security.serviceName}:9200`;

    this.securityBootstrap = this.security.bootstrap(this, {
      vpc: this.vpc,
      securityGroups: [this.clientSecurityGroup],
      endpoint: this.esUrl,
    });
    this.securityBootstrap.resource.node.addDependency(this.masterGroup, this.dataGroup, this.loadBalancer);
    component(this.node.findChild('SecurityBootstrap'), 'security');

    // What the other stacks of the environment read (SSM parameters with fixed names, no CloudFormation export).
    new ClusterParameters(this, 'Parameters', {
      environment: config.name,
      vpc: this.vpc,
      clientSecurityGroup: this.clientSecurityGroup,
      esLoadBalancerSecurityGroup: this.securityGroups.esLoadBalancer,
      securityKey: this.security.key,
      elastalertSecret: this.security.userSecret('elastalert'),
    });

    // Index templates, component templates and ILM policies of indices/, applied once the users exist.
    const indexDefinitions = compileIndexDefinitions({
      environment: config.name,
      tokens: config.indices.tokens,
      version: config.elasticsearch.version,
      dataNodes: config.elasticsearch.dataNodes.count,
    });
    // The snapshot repository (S3) the nodes write into; registered, with the SLM policy and the dynamic cluster
    // settings, by the index management resource below (a change of them replaces no node).
    this.snapshots = new SnapshotRepository(this, 'Snapshots');
    component(this.snapshots, 'elasticsearch');
    this.snapshots.grantNodes(this.master.instanceRole);
    this.snapshots.grantNodes(this.data.instanceRole);
    this.indexManagement = new IndexManagement(this, 'IndexManagement', {
      environment: config.name,
      definitions: indexDefinitions,
      clusterRequests: this.snapshots.requests(config),
      metadata: { [META_RECOVERY_BYTES_PER_SEC]: config.elasticsearch.recoveryBytesPerSec },
      vpc: this.vpc,
      clientSecurityGroup: this.clientSecurityGroup,
      esEndpoint: this.esUrl,
      credentialsSecret: this.security.userSecret('index_manager'),
      grantCredentialsRead: (grantee) => this.security.grantUserSecretRead('index_manager', grantee),
      caParameterName: this.security.caCertificateParameterName,
    });
    this.indexManagement.resource.node.addDependency(this.securityBootstrap.resource);
    component(this.indexManagement, 'elasticsearch');

    // Rolling replacement: drives every node replacement after a launch template change (docs/rollout.md).
    this.rollingReplacement = new RollingReplacement(this, 'RollingReplacement', {
      environment: config.name,
      vpc: this.vpc,
      dataGroup: this.dataGroup,
      masterGroup: this.masterGroup,
      dataLaunchTemplate: this.dataLaunchTemplate,
      masterLaunchTemplate: this.masterLaunchTemplate,
      targetVersion: config.elasticsearch.version,
      esEndpoint: this.esUrl,
      clientSecurityGroup: this.clientSecurityGroup,
      credentialsSecret: this.security.userSecret('orchestrator'),
      grantCredentialsRead: (grantee) => this.security.grantUserSecretRead('orchestrator', grantee),
      caParameterName: this.security.caCertificateParameterName,
      rollout: config.rollout,
      ...(config.rollout.snapshotBeforeRoll ? { snapshotBeforeRoll: { repository: SNAPSHOT_REPOSITORY } } : {}),
      counts: { data: config.elasticsearch.dataNodes.count, master: config.elasticsearch.masterNodes.count },
      // Handoff where the data group says its volumes outlive their instances (group tag elk-cdk:data-volumes).
      dataVolumes: { dataPath: DATA_PATH },
    });
    // Every termination of an Elasticsearch instance, whoever starts it, drains the node first (docs/rollout.md).
    this.terminationDrain = new TerminationDrain(this, 'TerminationDrain', {
      environment: config.name,
      dataGroup: this.dataGroup,
      masterGroup: this.masterGroup,
      vpc: this.vpc,
      clientSecurityGroup: this.clientSecurityGroup,
      esEndpoint: this.esUrl,
      credentialsSecret: this.security.userSecret('orchestrator'),
      grantCredentialsRead: (grantee) => this.security.grantUserSecretRead('orchestrator', grantee),
      caParameterName: this.security.caCertificateParameterName,
    });
    component(this.terminationDrain, 'elasticsearch');
    // The orchestrator user exists only after the security bootstrap; the snapshot repository it snapshots into
    // before a roll only after the index management resource registered it.
    this.rollingReplacement.customResource.node.addDependency(this.securityBootstrap.resource);
    if (config.rollout.snapshotBeforeRoll) {
      this.rollingReplacement.customResource.node.addDependency(this.indexManagement.resource);
    }

    // Alarms and the dashboard; the collector reads the cluster as metrics_collector (docs/monitoring.md).
    this.monitoring = new Monitoring(this, 'Monitoring', {
      config,
      vpc: this.vpc,
      clientSecurityGroup: this.clientSecurityGroup,
      esEndpoint: this.esUrl,
      credentialsSecret: this.security.userSecret('metrics_collector'),
      grantCredentialsRead: (grantee) => this.security.grantUserSecretRead('metrics_collector', grantee),
      caParameterName: this.security.caCertificateParameterName,
      nodeRoles: [
        'master',
        'data',
        ...(config.kibana.count > 0 ? ['kibana'] : []),
        ...(config.logstash.count > 0 ? ['logstash'] : []),
      ],
      nodeCertificateValidityDays: this.security.issuer.validityDays,
      // Every Kibana and Logstash instance's certificate, read from outside (docs/security.md, certificate alarms).
      ...(this.securityGroups.certificateProbe
        ? {
            serviceProbe: {
              tiers: [
                ...(config.kibana.count > 0 ? (['kibana'] as const) : []),
                ...(config.logstash.count > 0 ? (['logstash'] as const) : []),
              ],
              securityGroup: this.securityGroups.certificateProbe,
              issuerPolicyParameterName: this.security.issuer.policyParameterName,
            },
          }
        : {}),
    });
    component(this.monitoring, 'monitoring');

    if (config.kibana.count > 0) {
      this.kibana = new KibanaService(this, 'Kibana', {
        config,
        vpc: this.vpc,
        vpcCidr: network.cidr,
        securityGroup: this.securityGroups.kibana!,
        loadBalancerSecurityGroup: this.securityGroups.kibanaLoadBalancer!,
        clientSecurityGroup: this.clientSecurityGroup,
        scripts,
        elasticsearchUrl: this.esUrl,
        security: this.security,
      });
      // Kibana logs in as kibana_system: only after the bootstrap set its password.
      this.kibana.waitFor(this.securityBootstrap.resource);
      component(this.kibana, 'kibana');
      new CfnOutput(this, 'KibanaUrl', { value: this.kibana.url, description: 'Kibana (internal ALB)' });
      // kibana.<env>.elk.internal: the name the alerter's KIBANA_URL and people use.
      privateName(this, 'KibanaRecord', 'kibana', this.loadBalancer.zone, this.kibana.loadBalancer);
    }
    if (config.logstash.count > 0) {
      this.logstash = new LogstashService(this, 'Logstash', {
        config,
        vpc: this.vpc,
        securityGroup: this.securityGroups.logstash!,
        loadBalancerSecurityGroup: this.securityGroups.logstashLoadBalancer!,
        clientSecurityGroup: this.clientSecurityGroup,
        scripts,
        elasticsearchUrl: this.esUrl,
        security: this.security,
      });
      // Logstash logs in as logstash_writer: only after the bootstrap created it (launch template and group only:
      // the role must not wait, the KMS key policy already references it).
      this.logstash.launchTemplate.node.addDependency(this.securityBootstrap.resource);
      this.logstash.autoScalingGroup.node.addDependency(this.securityBootstrap.resource);
      component(this.logstash, 'logstash');
      new CfnOutput(this, 'LogstashBeatsEndpoint', {
        value: `${this.logstash.loadBalancer.loadBalancerDnsName}:5044`,
        description: 'Beats endpoint (internal NLB)',
      });
      privateName(this, 'LogstashRecord', 'logstash', this.loadBalancer.zone, this.logstash.loadBalancer);
    }

    // Kibana is updated only after the roll (with rollout.waitForCompletion: false, only after it started).
    this.kibanaWaitsFor(this.rollingReplacement.completion);

    // During a CA rotation every Lambda that trusts Elasticsearch through the CA parameter restarts with each phase.
    this.security.refreshCaClients(this);

    new CfnOutput(this, 'ElasticsearchUrl', { value: this.esUrl, description: 'Elasticsearch for clients (TLS)' });
    new CfnOutput(this, 'ElasticsearchNlb', { value: this.esEndpoint, description: 'DNS name of the internal NLB' });
  }

  /**
   * Makes Kibana's launch template and group wait for `dependency` (the rolling replacement of the Elasticsearch
   * groups): Kibana is never upgraded while the cluster runs two versions. No-op when the environment has no Kibana.
   */
  kibanaWaitsFor(dependency: IDependable): void {
    this.kibana?.waitFor(dependency);
  }

  /**
   * Three AZs for a created VPC even when the stack is environment-agnostic (CDK would otherwise use two):
   * the configured names, or the first `vpc.maxAzs` of `Fn::GetAZs` resolved at deploy time.
   */
  get availabilityZones(): string[] {
    const vpc = this.config?.vpc;
    if (vpc?.availabilityZones) return [...vpc.availabilityZones];
    if (vpc && Token.isUnresolved(this.region)) {
      return Array.from({ length: vpc.maxAzs }, (_, i) => Fn.select(i, Fn.getAzs()));
    }
    return super.availabilityZones;
  }
}

/** An alias record `<name>.<env>.elk.internal` → a load balancer, in the cluster's private zone. */
function privateName(
  scope: Construct,
  id: string,
  name: string,
  zone: route53.IPrivateHostedZone,
  loadBalancer: elbv2.ILoadBalancerV2,
): void {
  new route53.ARecord(scope, id, {
    zone,
    recordName: name,
    target: route53.RecordTarget.fromAlias(new route53targets.LoadBalancerTarget(loadBalancer)),
  });
}

/** Component tag of a subtree (more specific than the stack's "cluster"). */
function component(scope: IDependable & Construct, name: string): void {
  Tags.of(scope).add(TAG_COMPONENT, name, { priority: 200 });
}
