import * as path from 'path';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';

export const PROJECT_ROOT = path.join(__dirname, '..', '..');
/** On-instance scripts of the ES/Kibana/Logstash nodes. */
export const NODE_SCRIPTS_DIR = path.join(PROJECT_ROOT, 'scripts', 'node');
/** Node certificate and bootstrap password scripts (owned by lib/security). */
export const SECURITY_SCRIPTS_DIR = path.join(PROJECT_ROOT, 'scripts', 'security');
/** Where the scripts land on an instance. */
export const INSTANCE_BIN_DIR = '/opt/elk-cdk/bin';

/**
 * The boot scripts as S3 assets (zips of scripts/node and scripts/security). The user data downloads and unpacks
 * them; their content hash is part of the launch template, so a changed boot script is a new launch template
 * version (and a rolling replacement), never a silent drift.
 */
export class NodeScripts extends Construct {
  readonly assets: readonly Asset[];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.assets = [
      new Asset(this, 'Node', { path: NODE_SCRIPTS_DIR }),
      new Asset(this, 'Security', { path: SECURITY_SCRIPTS_DIR }),
    ];
  }

  /**
   * s3:GetObject on exactly these asset objects (Asset.grantRead would allow s3:GetObject*, s3:List* and
   * s3:GetBucket* on the whole asset bucket).
   */
  grantRead(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: this.assets.map((a) => a.bucket.arnForObjects(a.s3ObjectKey)),
      }),
    );
  }

  /** Commands that fetch and unpack every asset into INSTANCE_BIN_DIR. */
  addInstallCommands(userData: ec2.UserData): void {
    userData.addCommands(`mkdir -p ${INSTANCE_BIN_DIR}`);
    for (const asset of this.assets) {
      const local = userData.addS3DownloadCommand({
        bucket: asset.bucket,
        bucketKey: asset.s3ObjectKey,
        localFile: `/tmp/elk-cdk/${asset.node.id.toLowerCase()}.zip`,
      });
      userData.addCommands(`python3 -m zipfile -e ${local} ${INSTANCE_BIN_DIR}/`);
    }
    userData.addCommands(`chmod 0755 ${INSTANCE_BIN_DIR}/*.sh`);
  }
}
