/**
 * The cluster metrics contract, shared by the collector Lambda (lambda/cluster-metrics) and the alarms and dashboard
 * that read its metrics (lib/monitoring). Renaming a metric here renames it on both sides.
 */
import { z } from 'zod';

/** CloudWatch namespace of the collector's metrics; every datum has the dimension `Environment`. */
export const CLUSTER_NAMESPACE = 'elk-cdk/Cluster';

export const METRIC = {
  /** 1 when the collector got any answer from Elasticsearch (even an error status), else 0. */
  reachable: 'ClusterReachable',
  /** 0 green, 1 yellow, 2 red; a cluster without an elected master or that does not answer counts as red (2). */
  status: 'ClusterStatus',
  /** 1 when an elected master answered cluster health, else 0. */
  masterPresent: 'MasterPresent',
  /** `unassigned_shards` of cluster health (only when health answered). */
  unassignedShards: 'UnassignedShards',
  /** Nodes with the master role / the data role that answered node stats (0 when none answered). */
  masterNodes: 'MasterNodes',
  dataNodes: 'DataNodes',
  /** Highest JVM heap used, percent, over all nodes; per node with the extra dimension `Node`. */
  heapUsedMax: 'HeapUsedPercentMax',
  heapUsed: 'HeapUsedPercent',
  /** Highest disk used, percent, over the data nodes; per data node with the extra dimension `Node`. */
  diskUsedMax: 'DiskUsedPercentMax',
  diskUsed: 'DiskUsedPercent',
  /** Days until the first of the node certificates (read from each node's TLS handshake) and the CA expires. */
  certificateDays: 'CertificateDaysToExpiry',
  /**
   * Days until the cluster CA (the signing certificate of the trust bundle) expires, on its own: node certificates
   * live days and are renewed, the CA lives years and needs a rotation, so each has its own alarm threshold.
   */
  caCertificateDays: 'CaCertificateDaysToExpiry',
} as const;

export const ENVIRONMENT_DIMENSION = 'Environment';
export const NODE_DIMENSION = 'Node';

/** The collector's environment variables. */
export const CollectorEnvSchema = z.object({
  ENVIRONMENT: z.string().min(1),
  /** https://<service name>:9200 */
  ES_ENDPOINT: z.string().url(),
  ES_SERVERNAME: z.string().min(1),
  CA_PARAMETER_NAME: z.string().startsWith('/'),
  USER_SECRET_ARN: z.string().min(1),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});
export type CollectorEnv = z.output<typeof CollectorEnvSchema>;
