import { z } from 'zod';

/**
 * Properties of the Custom::AlerterRuleDeployment resource: one contract shared by the construct (which builds
 * them) and the handler (which parses them). CloudFormation passes every scalar as a string.
 */
export const DeploymentPropertiesSchema = z.object({
  /** The alerter's Auto Scaling group: the command goes to its InService instance(s). */
  AutoScalingGroupName: z.string().min(1),
  /** s3://bucket/key of the rule bundle (a tar asset). */
  BundleS3Url: z.string().regex(/^s3:\/\/[^/]+\/.+$/),
  /** sha256 of the bundle's SHA256SUMS: the property that makes a rule change redeploy. */
  BundleHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** Rule name → short hash of its rendered file (read by the diff tool to list rule changes). */
  RuleHashes: z.record(z.string(), z.string()),
  /** s3://bucket/key of scripts/alerter/deploy-rules.sh. */
  ScriptS3Url: z.string().regex(/^s3:\/\/[^/]+\/.+$/),
  /** sha256 of that deploy script (pinned at synth): the instance runs it only when the download matches. */
  ScriptSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** SSM parameter recording the last successfully deployed bundle (read by user data at boot). */
  CurrentBundleParameter: z.string().regex(/^\/[\w./-]+$/),
  /** Elasticsearch host name for ElastAlert. */
  EsHost: z.string().min(1),
  /** Secrets Manager secret of the elastalert user (JSON {username, password}); empty = none. */
  CredentialsSecretArn: z.string().default(''),
  /** SSM parameter holding the cluster CA certificate (PEM). */
  CaParameterName: z.string().regex(/^\/[\w./-]+$/),
  /**
   * The cluster-CA rotation phase (`security.caRotation`, `rotation-<n>-<phase>`): a new phase changes the property,
   * so the deployment runs again and the container gets the CA parameter's new trust bundle. Absent: no rotation.
   */
  CaGeneration: z.string().optional(),
  /** Upper bound of the on-instance script, seconds (SSM executionTimeout). */
  CommandTimeoutSeconds: z.coerce.number().int().min(60).max(3000),
  /** CloudWatch Logs group that receives the full output of the command (CloudWatchOutputConfig); empty = none. */
  CommandLogGroupName: z.string().default(''),
  /** How long onEvent waits for an instance to be online in SSM, seconds. */
  InstanceWaitSeconds: z.coerce.number().int().min(0).max(780),
});

export type DeploymentProperties = z.output<typeof DeploymentPropertiesSchema>;
export type DeploymentPropertiesInput = z.input<typeof DeploymentPropertiesSchema>;

/** Where the instance keeps its releases and the deploy script. */
export const ALERTER_ROOT = '/opt/elk-alerter';

/** The value written to CurrentBundleParameter after a successful deployment. */
export interface CurrentBundle {
  readonly bundle: string;
  readonly sha256: string;
  readonly script: string;
  /** sha256 of the deploy script; the alerter's boot verifies the download against it. */
  readonly scriptSha256: string;
  readonly esHost: string;
}
