/**
 * Cluster-level definitions applied through the API on every deploy where they change, before the index
 * definitions: dynamic cluster settings, the snapshot repository and the snapshot lifecycle (SLM) policy. Settings
 * that Elasticsearch can change at runtime belong here, not in elasticsearch.yml: a change then replaces no node.
 * Every request is an idempotent PUT; the custom resource runs only when one of them (or an index definition)
 * changed. Pure builders plus one apply loop over the same port as the index definitions.
 */
import { z } from 'zod';
import type { IndexPort } from './port';

export interface ClusterRequest {
  readonly method: 'PUT';
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly description: string;
}

export const ClusterRequestSchema = z
  .object({
    method: z.literal('PUT'),
    path: z.string().regex(/^\/_(cluster\/settings|snapshot\/[a-z0-9._-]+|slm\/policy\/[a-z0-9._-]+)$/),
    body: z.record(z.string(), z.unknown()),
    description: z.string(),
  })
  .strict();

/** The repository every environment snapshots into, and the SLM policy that fills it. */
export const SNAPSHOT_REPOSITORY = 'elk-cdk';
export const SLM_POLICY = 'elk-cdk-scheduled';
/** Prefix of the snapshots the SLM policy takes (a date-math name). */
export const SCHEDULED_SNAPSHOT_NAME = '<scheduled-{now/d}>';

export interface ClusterInputs {
  /** indices.recovery.max_bytes_per_sec, bytes per second. */
  readonly recoveryBytesPerSec: number;
  /** The snapshot bucket (a token at synth). */
  readonly bucket: string;
  /** Key prefix inside the bucket. */
  readonly basePath: string;
  readonly schedule: string;
  readonly retention: { readonly expireAfterDays: number; readonly minCount: number; readonly maxCount: number };
}

/** The requests that bring the cluster-level definitions to `inputs`, in order (repository before the policy). */
export function clusterRequests(inputs: ClusterInputs): ClusterRequest[] {
  return [
    {
      method: 'PUT',
      path: '/_cluster/settings',
      body: { persistent: { 'indices.recovery.max_bytes_per_sec': `${inputs.recoveryBytesPerSec}b` } },
      description: `recovery bandwidth ${inputs.recoveryBytesPerSec} bytes/s (elasticsearch.recoveryBytesPerSec)`,
    },
    {
      method: 'PUT',
      path: `/_snapshot/${SNAPSHOT_REPOSITORY}`,
      // Credentials: the node's instance role (the s3 module's default when no key is in the keystore).
      body: { type: 's3', settings: { bucket: inputs.bucket, base_path: inputs.basePath } },
      description: `snapshot repository ${SNAPSHOT_REPOSITORY} (S3, verified by every node)`,
    },
    {
      method: 'PUT',
      path: `/_slm/policy/${SLM_POLICY}`,
      body: {
        schedule: inputs.schedule,
        name: SCHEDULED_SNAPSHOT_NAME,
        repository: SNAPSHOT_REPOSITORY,
        config: { include_global_state: true },
        retention: {
          expire_after: `${inputs.retention.expireAfterDays}d`,
          min_count: inputs.retention.minCount,
          max_count: inputs.retention.maxCount,
        },
      },
      description: `snapshot policy ${SLM_POLICY} (snapshots.schedule, snapshots.retention)`,
    },
  ];
}

export type ClusterApplyResult =
  { verdict: 'done'; applied: string[] } | { verdict: 'wait' | 'fail'; reason: string; applied: string[] };

/**
 * Sends the requests in order. 5xx (a repository that not every node can verify yet, e.g. while the role's policy
 * propagates), 408, 429 and connection errors mean wait and retry; any other 4xx is a broken definition.
 */
export async function applyClusterRequests(
  port: Pick<IndexPort, 'send'>,
  requests: readonly ClusterRequest[],
  log: (line: Record<string, unknown>) => void,
): Promise<ClusterApplyResult> {
  const applied: string[] = [];
  for (const req of requests) {
    const res = await port.send(req);
    if (res.status !== undefined && res.status < 300) {
      applied.push(req.description);
      log({ decision: 'applied', request: `${req.method} ${req.path} (${req.description})` });
      continue;
    }
    const reason = `${req.method} ${req.path} (${req.description}): HTTP ${res.status ?? 'none'}: ${res.reason}`.slice(
      0,
      900,
    );
    const retry = res.status === undefined || res.status >= 500 || res.status === 408 || res.status === 429;
    return { verdict: retry ? 'wait' : 'fail', reason, applied };
  }
  return { verdict: 'done', applied };
}
