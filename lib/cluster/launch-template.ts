import { CfnResource, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EnvironmentConfig } from '../config';
import { BOOT_SECONDS, GIB, LaunchTemplateMetadata, NodeRole, ROOT_DEVICE } from './contract';

export interface NodeLaunchTemplateProps {
  readonly config: EnvironmentConfig;
  readonly role: NodeRole;
  readonly nodeCount: number;
  readonly instanceType: string;
  readonly instanceRole: iam.IRole;
  readonly securityGroups: readonly ec2.ISecurityGroup[];
  readonly userData: ec2.UserData;
  /** Size of the encrypted gp3 root volume. @default 20 */
  readonly rootVolumeGb?: number;
  /** Extra block devices (e.g. the Elasticsearch data volume); always encrypted gp3. @default - none */
  readonly extraVolumes?: ReadonlyArray<{ readonly deviceName: string; readonly sizeGb: number }>;
  /** Bytes of data a node holds, for the metadata. @default 0 */
  readonly dataPerNodeBytes?: number;
}

/**
 * The launch template every node role shares: pinned AMI of the environment, IMDSv2 required, no public IP, no
 * SSH key, encrypted gp3 volumes, and the Metadata contract the diff tool reads.
 */
export function nodeLaunchTemplate(scope: Construct, id: string, props: NodeLaunchTemplateProps): ec2.LaunchTemplate {
  const { config } = props;
  const volume = (sizeGb: number) =>
    ec2.BlockDeviceVolume.ebs(sizeGb, {
      volumeType: ec2.EbsDeviceVolumeType.GP3,
      encrypted: true,
      deleteOnTermination: true,
    });
  const [first, ...more] = props.securityGroups;
  const lt = new ec2.LaunchTemplate(scope, id, {
    machineImage: ec2.MachineImage.genericLinux(config.ami.images),
    instanceType: new ec2.InstanceType(props.instanceType),
    role: props.instanceRole,
    securityGroup: first,
    userData: props.userData,
    requireImdsv2: true,
    httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
    httpPutResponseHopLimit: 1,
    associatePublicIpAddress: false,
    detailedMonitoring: true,
    blockDevices: [
      { deviceName: ROOT_DEVICE, volume: volume(props.rootVolumeGb ?? 20) },
      ...(props.extraVolumes ?? []).map((v) => ({ deviceName: v.deviceName, volume: volume(v.sizeGb) })),
    ],
  });
  for (const sg of more) lt.addSecurityGroup(sg);
  const metadata: LaunchTemplateMetadata = {
    'elk-cdk:role': props.role,
    'elk-cdk:nodeCount': props.nodeCount,
    'elk-cdk:elasticsearchVersion': config.elasticsearch.version,
    'elk-cdk:dataPerNodeBytes': props.dataPerNodeBytes ?? 0,
    'elk-cdk:bootSeconds': BOOT_SECONDS,
  };
  const cfn = lt.node.defaultChild as CfnResource;
  for (const [k, v] of Object.entries(metadata)) cfn.addMetadata(k, v);
  return lt;
}

/** Bytes a data node holds: rollout.expectedDataPerNodeGb, or half of the data volume. */
export function dataPerNodeBytes(config: EnvironmentConfig): number {
  const gb = config.rollout.expectedDataPerNodeGb ?? config.elasticsearch.dataNodes.volumeGb / 2;
  return Math.round(gb * GIB);
}

/** Tags on an instance-launching construct: role (and, for Elasticsearch, the discovery tag). */
export function tagRole(scope: Construct, role: NodeRole): void {
  Tags.of(scope).add('elk-cdk:role', role);
}
