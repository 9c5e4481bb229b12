/**
 * elasticsearch.yml setting names the rehearsal accepts: settings that exist in Elasticsearch 8.x and 9.x, the
 * versions the config schema allows. Sources (Elasticsearch reference, 8.19): "Important Elasticsearch
 * configuration" (cluster.name, node.name, path.*, network.host, discovery.seed_providers,
 * cluster.initial_master_nodes), "Node" (node.roles, node.attr.*), "Networking" (network.publish_host), "Cluster-level
 * shard allocation and routing settings" (cluster.routing.allocation.awareness.attributes), "Index recovery settings"
 * (indices.recovery.max_bytes_per_sec), "Miscellaneous cluster settings" (action.destructive_requires_name),
 * "Security settings" (xpack.security.*.ssl.*), "Auditing security settings" (xpack.security.audit.enabled), and the discovery-ec2 plugin's settings page (discovery.ec2.*).
 * A key that is not here fails the rehearsal: Elasticsearch refuses to start on an unknown setting.
 */
export const KNOWN_SETTINGS: ReadonlySet<string> = new Set([
  'cluster.name',
  'node.name',
  'node.roles',
  'path.data',
  'path.logs',
  'network.host',
  'network.publish_host',
  'discovery.seed_providers',
  'discovery.seed_hosts',
  'cluster.initial_master_nodes',
  'cluster.routing.allocation.awareness.attributes',
  'indices.recovery.max_bytes_per_sec',
  'action.destructive_requires_name',
  'discovery.ec2.endpoint',
  'discovery.ec2.host_type',
  'discovery.ec2.groups',
  'discovery.ec2.any_group',
  'discovery.ec2.availability_zones',
  'xpack.security.enabled',
  'xpack.security.transport.ssl.enabled',
  'xpack.security.transport.ssl.verification_mode',
  'xpack.security.transport.ssl.key',
  'xpack.security.transport.ssl.certificate',
  'xpack.security.transport.ssl.certificate_authorities',
  'xpack.security.http.ssl.enabled',
  'xpack.security.http.ssl.key',
  'xpack.security.http.ssl.certificate',
  'xpack.security.http.ssl.certificate_authorities',
  'xpack.security.audit.enabled',
]);

/** Setting families whose last part is a name of the user's choosing. */
export const KNOWN_PREFIXES: readonly string[] = ['node.attr.', 'discovery.ec2.tag.'];

export function isKnownSetting(key: string): boolean {
  return KNOWN_SETTINGS.has(key) || KNOWN_PREFIXES.some((p) => key.startsWith(p) && key.length > p.length);
}

/**
 * The largest heap that keeps compressed object pointers on every JVM Elasticsearch ships (Elastic: the cut-off is
 * near 32 GB and varies; 31 GiB is on the safe side).
 */
export const COMPRESSED_OOPS_LIMIT_MIB = 31 * 1024;
