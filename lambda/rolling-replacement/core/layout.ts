/**
 * What the shard layout alone says about an unassigned replica, without `_cluster/allocation/explain`.
 *
 * Elasticsearch's node_version decider refuses a replica on a node older than the node holding its primary. When the
 * primary sits on a node newer than every data node that could take the replica (a data node without a copy of that
 * shard, not being drained by this rollout), the replica is version-blocked whatever the explanation would say: a
 * rollover mid-roll creates one such replica per new shard, often hundreds. The layout settles them, without a cap;
 * only what it cannot settle needs an explanation (one request each, capped by the adapter).
 */
import type { EsNodeView, EsView, ShardCopy } from './types';
import { compareVersions, parseVersion } from './versions';

const isData = (n: EsNodeView): boolean => n.roles.some((r) => r === 'data' || r.startsWith('data_'));

/** Whether the replica `s` can only go to a node newer than every node that could take it. */
export function versionBlockedByLayout(es: EsView, s: ShardCopy, draining: ReadonlySet<string>): boolean {
  if (s.primary || s.state !== 'UNASSIGNED') return false;
  const primary = es.shards.find(
    (o) => o.index === s.index && o.shard === s.shard && o.primary && o.node && o.state !== 'UNASSIGNED',
  );
  const holder = primary && es.nodes.find((n) => n.name === primary.node);
  const pv = holder && parseVersion(holder.version);
  if (!pv) return false;
  const holders = new Set(
    es.shards
      .filter((o) => o.index === s.index && o.shard === s.shard)
      .flatMap((o) => [o.node, o.relocatingTo].filter((x): x is string => !!x)),
  );
  const candidates = es.nodes.filter((n) => isData(n) && !holders.has(n.name) && !draining.has(n.name));
  // No candidate at all is a capacity problem (same_shard or exclusions), not a version one.
  if (candidates.length === 0) return false;
  return candidates.every((n) => {
    const v = parseVersion(n.version);
    return v !== undefined && compareVersions(v, pv) < 0;
  });
}
