import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Stack, Stage } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { BuildVersion, computeVersion, stampVersion } from '../../lib/version';
import { cdkJsonContext } from '../helpers/app';

/**
 * A small stand-in for the real stacks, honouring the same contracts: launch templates with elk-cdk metadata, an
 * Auto Scaling group per role, a role with a policy, a security group, a data volume, a rule deployment resource
 * with RuleHashes, and the version stamp.
 */
export interface FixtureOptions {
  readonly elasticsearchVersion?: string;
  readonly dataNodes?: number;
  readonly masterNodes?: number;
  /** Bytes held by one data node. */
  readonly dataPerNodeBytes?: number;
  readonly recoveryBytesPerSec?: number;
  readonly bootSeconds?: number;
  /** Extra (wide) IAM statement on the node role. */
  readonly wideIam?: boolean;
  /** CIDR allowed to reach 9200. */
  readonly ingressCidr?: string;
  readonly rules?: Record<string, string>;
  /** Name of the cluster CA secret (changing it replaces the secret: the CA is lost). */
  readonly caSecretName?: string;
  /** Kibana image tag in the Kibana launch template's user data. */
  readonly kibanaTag?: string;
  /** Rename the data Auto Scaling group's group name (replaces it: every data node at once). */
  readonly dataAsgName?: string;
  readonly version?: BuildVersion;
}

export const DEFAULTS = {
  elasticsearchVersion: '8.18.2',
  dataNodes: 6,
  masterNodes: 3,
  // 6 × (1450 s + 300 s) + 3 × 300 s = 11,400 s = 3 h 10 m
  dataPerNodeBytes: 1450 * 41943040,
  recoveryBytesPerSec: 41943040,
  bootSeconds: 300,
  ingressCidr: '10.41.0.0/16',
  rules: { 'high-error-rate': 'h1', 'disk-watermark': 'h2', 'node-left': 'h3' },
  caSecretName: 'elk/staging/ca',
  kibanaTag: '8.18.2',
};

export function fixtureVersion(sha: string, branch = 'main'): BuildVersion {
  return computeVersion('0.1.0', { sha, branch, dirty: false, commitCount: 10 }, {});
}

function launchTemplate(
  stack: Stack,
  id: string,
  sg: ec2.CfnSecurityGroup,
  role: string,
  count: number,
  o: Required<Omit<FixtureOptions, 'version' | 'dataAsgName' | 'wideIam' | 'rules'>>,
  userData: string,
): ec2.CfnLaunchTemplate {
  const lt = new ec2.CfnLaunchTemplate(stack, id, {
    launchTemplateData: {
      imageId: 'ami-0d64bb532e0502c46',
      instanceType: role === 'data' ? 'r6i.large' : 'm6i.large',
      securityGroupIds: [sg.attrGroupId],
      metadataOptions: { httpTokens: 'required' },
      userData: Buffer.from(userData).toString('base64'),
    },
  });
  lt.addMetadata('elk-cdk:role', role);
  lt.addMetadata('elk-cdk:nodeCount', count);
  lt.addMetadata('elk-cdk:elasticsearchVersion', o.elasticsearchVersion);
  lt.addMetadata('elk-cdk:dataPerNodeBytes', role === 'data' ? o.dataPerNodeBytes : 0);
  lt.addMetadata('elk-cdk:recoveryBytesPerSec', o.recoveryBytesPerSec);
  lt.addMetadata('elk-cdk:bootSeconds', o.bootSeconds);
  return lt;
}

function asg(stack: Stack, id: string, lt: ec2.CfnLaunchTemplate, size: number, name?: string): void {
  new autoscaling.CfnAutoScalingGroup(stack, id, {
    autoScalingGroupName: name,
    minSize: String(size),
    maxSize: String(size + 1),
    vpcZoneIdentifier: ['subnet-0123456789abcdef0'],
    launchTemplate: { launchTemplateId: lt.ref, version: lt.attrLatestVersionNumber },
  });
}

/** Builds the fixture app (stage "staging": stacks "cluster" and "alerter") and synthesizes it into `outdir`. */
export function synthFixture(outdir: string, options: FixtureOptions = {}): string {
  const o = { ...DEFAULTS, ...options };
  // cdk.json's feature flags, no bundling, and no built-in template validation (slow, and fixtures are not real).
  const app = new App({
    outdir,
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  });
  const stage = new Stage(app, 'staging');
  const cluster = new Stack(stage, 'cluster');

  const sg = new ec2.CfnSecurityGroup(cluster, 'NodeSecurityGroup', {
    groupDescription: 'Elasticsearch nodes',
    vpcId: 'vpc-0abc1234',
    securityGroupIngress: [{ ipProtocol: 'tcp', fromPort: 9200, toPort: 9200, cidrIp: o.ingressCidr }],
  });
  const role = new iam.Role(cluster, 'NodeRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeInstances'], resources: ['*'] }));
  if (options.wideIam) role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));

  const esUserData = `#!/bin/bash\ninstall-elasticsearch ${o.elasticsearchVersion}\n`;
  const data = launchTemplate(cluster, 'DataLaunchTemplate', sg, 'data', o.dataNodes, o, esUserData);
  const master = launchTemplate(cluster, 'MasterLaunchTemplate', sg, 'master', o.masterNodes, o, esUserData);
  const kibana = launchTemplate(cluster, 'KibanaLaunchTemplate', sg, 'kibana', 2, o, `run kibana:${o.kibanaTag}\n`);
  asg(cluster, 'DataGroup', data, o.dataNodes, options.dataAsgName);
  asg(cluster, 'MasterGroup', master, o.masterNodes);
  asg(cluster, 'KibanaGroup', kibana, 2);

  new secretsmanager.CfnSecret(cluster, 'ClusterCa', { name: o.caSecretName, generateSecretString: {} });
  new lambda.Function(cluster, 'ReconcileFunction', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({});'),
  });

  const alerter = new Stack(stage, 'alerter');
  new CfnResource(alerter, 'RuleDeployment', {
    type: 'Custom::RuleDeployment',
    properties: { ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:deploy-rules', RuleHashes: o.rules },
  });

  if (options.version) stampVersion(stage, options.version, { requireRelease: false });
  app.synth();
  return outdir;
}

/** A fresh temporary folder, removed by `cleanup()`. */
export function tempDirs(): { make: (name: string) => string; cleanup: () => void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-diff-'));
  return {
    make: (name) => path.join(root, name),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
