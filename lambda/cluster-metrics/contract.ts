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
  /**
   * Per tier (dimension `Tier`: elasticsearch, kibana, logstash), the fewest days left of the certificates the
   * collector read in TLS handshakes with the tier's instances; a certificate clients refuse (expired, another CA,
   * another address) counts 0. Absent when no certificate of the tier was read (none running, none answering, the
   * listing failed): the tier's alarm treats that absence as breaching.
   */
  tierCertificateDays: 'TierCertificateDaysToExpiry',
  /**
   * Per tier, instances running for longer than `PROBE_BOOT_GRACE_MINUTES` (Elasticsearch: nodes in the cluster)
   * whose certificate the collector could not read at all. Published whenever the tier's instances were listed.
   */
  tierCertificatesUnread: 'TierCertificatesUnread',
} as const;

/** The tiers whose certificates the collector probes; Elasticsearch's nodes come from the cluster's node info. */
export const TIERS = ['elasticsearch', 'kibana', 'logstash'] as const;
export type Tier = (typeof TIERS)[number];
/** The tiers listed through the issuer policy (their issuer profile has the tier's name) and probed on this port. */
export const PROBED_SERVICE_PORTS = { kibana: 5601, logstash: 5044 } as const;
export type ServiceTier = keyof typeof PROBED_SERVICE_PORTS;
/**
 * An instance younger than this is booting: its unread certificate is not counted yet. Longer than a boot may take
 * (the service groups' signal timeout is 15 minutes; an instance that has not signalled by then is replaced).
 */
export const PROBE_BOOT_GRACE_MINUTES = 20;

export const ENVIRONMENT_DIMENSION = 'Environment';
export const NODE_DIMENSION = 'Node';
export const TIER_DIMENSION = 'Tier';

/** The collector's environment variables. */
export const CollectorEnvSchema = z
  .object({
    ENVIRONMENT: z.string().min(1),
    /** https://<service name>:9200 */
    ES_ENDPOINT: z.string().url(),
    ES_SERVERNAME: z.string().min(1),
    CA_PARAMETER_NAME: z.string().startsWith('/'),
    USER_SECRET_ARN: z.string().min(1),
    REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
    /** The issuer policy parameter: the Auto Scaling groups of the service tiers (profiles kibana, logstash). */
    ISSUER_POLICY_PARAMETER_NAME: z.string().startsWith('/').optional(),
    /** The service tiers of this environment to probe, comma-separated (kibana, logstash); empty: none. */
    PROBE_TIERS: z
      .string()
      .default('')
      .transform((s) => s.split(',').filter((t) => t !== ''))
      .pipe(z.array(z.enum(['kibana', 'logstash']))),
  })
  .refine((e) => e.PROBE_TIERS.length === 0 || e.ISSUER_POLICY_PARAMETER_NAME !== undefined, {
    message:
      'PROBE_TIERS names tiers but ISSUER_POLICY_PARAMETER_NAME is unset: the collector cannot list them (lib/monitoring/ClusterMetrics.ts sets both)',
    path: ['ISSUER_POLICY_PARAMETER_NAME'],
  });
export type CollectorEnv = z.output<typeof CollectorEnvSchema>;
