import { wildcardMatch as wildcard } from '../model/cluster';
import { majorOf } from '../model/units';
import { BUILD_HASH, EsContext, hash, Json } from './context';

/** `GET /_nodes[/<filter>][/<metrics>]`: nodes info (a nodes-info-partial fault leaves one out). */

export function nodesInfo(ctx: EsContext, first: string | undefined, second: string | undefined): Json {
  const metrics = new Set([
    'settings',
    'os',
    'process',
    'jvm',
    'thread_pool',
    'transport',
    'http',
    'plugins',
    'ingest',
    'aggregations',
    'indices',
    'remote_cluster_server',
  ]);
  let filter = '_all';
  if (first !== undefined && !metrics.has(first.split(',')[0])) filter = first;
  const all = ctx.cluster.joinedNodes().sort((a, b) => a.name.localeCompare(b.name));
  const wanted = filter.split(',').map((s) => s.trim());
  const selected = all.filter((n) =>
    wanted.some(
      (w) =>
        w === '_all' ||
        w === '*' ||
        (w === '_local' && n === ctx.coordinatingNode()) ||
        (w === '_master' && n === ctx.cluster.master) ||
        (w === 'master:true' && n.roles.includes('master')) ||
        (w === 'data:true' && n.roles.includes('data')) ||
        wildcard(w, n.name) ||
        w === n.id ||
        w === n.ip,
    ),
  );
  void second;
  const omitted = ctx.world.nodesInfoOmitted();
  const failed = selected.filter((n) => n.name === omitted);
  const nodes: Json = {};
  for (const n of selected) {
    if (n.name === omitted) continue;
    nodes[n.id] = {
      name: n.name,
      transport_address: `${n.ip}:9300`,
      host: n.ip,
      ip: n.ip,
      version: n.version,
      transport_version: majorOf(n.version) >= 9 ? 9112007 : 8841000,
      index_version: majorOf(n.version) >= 9 ? 9009000 : 8525000,
      component_versions: {},
      build_flavor: 'default',
      build_type: 'tar',
      build_hash: BUILD_HASH,
      total_indexing_buffer: 858993459,
      roles: [...n.roles].sort(),
      attributes: {
        'xpack.installed': 'true',
        aws_availability_zone: n.az,
        instance_id: n.name,
      },
    };
  }
  return {
    _nodes: {
      total: selected.length,
      successful: selected.length - failed.length,
      failed: failed.length,
      ...(failed.length > 0
        ? {
            failures: failed.map((n) => ({
              type: 'failed_node_exception',
              reason: `Failed node [${n.id}]`,
              node_id: n.id,
              caused_by: {
                type: 'receive_timeout_transport_exception',
                reason: `[${n.name}][${n.ip}:9300][cluster:monitor/nodes/info[n]] request_id [${hash(n.id) % 100000}] timed out after [15000ms]`,
              },
            })),
          }
        : {}),
    },
    cluster_name: ctx.cluster.clusterName,
    nodes,
  };
}
