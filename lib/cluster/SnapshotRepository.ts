import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ClusterInputs, clusterRequests, ClusterRequest } from '../../lambda/index-management/cluster';
import { EnvironmentConfig } from '../config';

/** Key prefix of the repository inside its bucket. */
export const SNAPSHOT_BASE_PATH = 'snapshots';

/**
 * The environment's snapshot repository: an S3 bucket that outlives the stack (retained on delete and on a
 * replacement), encrypted, TLS-only, private, and the right of the Elasticsearch nodes, and of no one else in this
 * app, to write into it. The repository itself and the SLM policy are registered through the API by the index
 * management custom resource (`requests`), so that a schedule or retention change replaces no node.
 */
export class SnapshotRepository extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // The snapshots are the last copy of the data after a `cdk destroy` or a lost cluster: never deleted with the
      // stack or on a replacement; a rolled-back first create deletes its (empty) bucket. The name is generated, so a
      // retained bucket never blocks the next create.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      // A snapshot interrupted mid-upload leaves parts that SLM never deletes.
      lifecycleRules: [{ id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(7) }],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Snapshot repository written only by the Elasticsearch nodes; S3 server access logs would need a second ' +
        'bucket per environment. CloudTrail records the bucket-level calls.',
    });
  }

  /**
   * What a node's instance role needs to snapshot and restore (the s3 repository's documented set): list the bucket
   * and its uploads, read, write and delete objects. Only on this bucket.
   */
  grantNodes(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SnapshotRepositoryBucket',
        actions: ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads', 's3:ListBucketVersions'],
        resources: [this.bucket.bucketArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SnapshotRepositoryObjects',
        actions: [
          's3:GetObject',
          's3:PutObject',
          's3:DeleteObject',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
        ],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`,
      reason: 'Snapshot files have generated names under the repository prefix: every object of the snapshot bucket.',
    });
  }

  /** The cluster-level requests of `config`: recovery bandwidth, this repository, the SLM policy. */
  requests(config: EnvironmentConfig): ClusterRequest[] {
    const inputs: ClusterInputs = {
      recoveryBytesPerSec: config.elasticsearch.recoveryBytesPerSec,
      bucket: this.bucket.bucketName,
      basePath: SNAPSHOT_BASE_PATH,
      schedule: config.snapshots.schedule,
      retention: config.snapshots.retention,
    };
    return clusterRequests(inputs);
  }
}
