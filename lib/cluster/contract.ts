/**
 * Names other parts of the project rely on: tag keys (discovery, the orchestrator, cost reports) and the
 * CloudFormation Metadata keys the diff tool reads from each launch template. Changing one is a breaking change.
 */

/** Tag: environment name, on every resource. */
export const TAG_ENVIRONMENT = 'elk-cdk:environment';
/** Tag: component (network, elasticsearch, kibana, logstash, cluster), on every resource. */
export const TAG_COMPONENT = 'elk-cdk:component';
/** Tag on Elasticsearch instances: `<environment>-<clusterName>`; discovery-ec2 and the bootstrap decision filter on it. */
export const TAG_CLUSTER = 'elk-cdk:cluster';
/** Tag on instances: master | data | kibana | logstash. */
export const TAG_ROLE = 'elk-cdk:role';

export type NodeRole = 'master' | 'data' | 'kibana' | 'logstash';

/** Seconds a node needs from launch to serving; the diff tool's time estimate uses it. */
export const BOOT_SECONDS = 180;

/** The Metadata every Elasticsearch/Kibana/Logstash launch template carries (read by `elkctl diff`). */
export interface LaunchTemplateMetadata {
  readonly 'elk-cdk:role': NodeRole;
  readonly 'elk-cdk:nodeCount': number;
  readonly 'elk-cdk:elasticsearchVersion': string;
  /** Bytes a node holds (data role); 0 for the other roles. */
  readonly 'elk-cdk:dataPerNodeBytes': number;
  readonly 'elk-cdk:bootSeconds': number;
}

/**
 * Metadata key, on the resource that applies the cluster settings (Custom::ElkIndexDefinitions): the recovery
 * bandwidth in bytes per second, for the diff tool's time estimates (lib/diff/impact.ts reads it by this name).
 */
export const META_RECOVERY_BYTES_PER_SEC = 'elk-cdk:recoveryBytesPerSec';

export const GIB = 1024 * 1024 * 1024;

/** Device name of the dedicated Elasticsearch data volume in the launch template. */
export const DATA_DEVICE = '/dev/sdf';
/** Mount point of the data volume (`path.data`). */
export const DATA_PATH = '/var/lib/elasticsearch-data';
/** Root device of Amazon Linux 2023. */
export const ROOT_DEVICE = '/dev/xvda';

/** SSM parameter holding the formation marker of an environment's cluster. */
export function formationMarkerParameterName(environment: string): string {
  return `/elk/${environment}/cluster/formation-marker`;
}
