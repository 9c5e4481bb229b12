/**
 * Whether every shard copy on a node has somewhere to go, from the shard layout alone (no allocation explain): a data
 * node other than the ones leaving, without a copy of that shard (same_shard), and that Elasticsearch's node_version
 * decider accepts: a replica only on a node at least as new as the node holding its primary, a primary only on a node
 * at least as new as its own. A node whose copy has no such place never drains: excluding it would hold the roll
 * (with rebalancing off) until someone intervenes. Typical case: capacity left above the baseline by an aborted roll
 * (or anyone) is a new-version node that took a primary before the roll began, and the old node holds its replica.
 */
import { type Ctx, isDataNode, ownedExclusions, shardsOnNode } from './context';
import type { Predicate, PredicateResult } from './predicates';
import type { EsView, ShardCopy } from './types';
import { compareVersions, parseVersion } from './versions';

export interface Stranded {
  readonly copy: ShardCopy;
  readonly why: string;
}

const versionOf = (es: EsView, node: string | undefined) => {
  const text = es.nodes.find((n) => n.name === node)?.version;
  return text === undefined ? undefined : { text, v: parseVersion(text) };
};

/** The first copy on `node` that no remaining data node can take, with the reason; undefined when every copy can go. */
export function strandedCopy(es: EsView, node: string, leaving: ReadonlySet<string>): Stranded | undefined {
  const others = es.nodes.filter((n) => isDataNode(n) && n.name !== node && !leaving.has(n.name));
  for (const copy of shardsOnNode(es, node)) {
    // A copy relocating away from the node already has its place.
    if (copy.node === node && copy.relocatingTo && !leaving.has(copy.relocatingTo)) continue;
    const holders = new Set(
      es.shards
        .filter((o) => o.index === copy.index && o.shard === copy.shard)
        .flatMap((o) => [o.node, o.relocatingTo].filter((x): x is string => !!x)),
    );
    const free = others.filter((n) => !holders.has(n.name));
    const label = `[${copy.index}][${copy.shard}] ${copy.primary ? 'primary' : 'replica'}`;
    if (free.length === 0) return { copy, why: `${label}: every other data node holds a copy of it (same_shard)` };
    const primary = copy.primary
      ? undefined
      : es.shards.find(
          (o) => o.index === copy.index && o.shard === copy.shard && o.primary && o.state !== 'UNASSIGNED',
        );
    const floor = versionOf(es, copy.primary ? node : primary?.node);
    if (!floor?.v) continue;
    const fits = free.some((n) => {
      const v = parseVersion(n.version);
      return v !== undefined && compareVersions(v, floor.v!) >= 0;
    });
    if (!fits) {
      const whose = copy.primary ? 'its own node' : `its primary's node ${primary!.node}`;
      return {
        copy,
        why:
          `${label}: every data node without a copy runs a version older than ${whose} (${floor.text}; ` +
          'node_version refuses it there)',
      };
    }
  }
  return undefined;
}

const pass: PredicateResult = { status: 'pass' };

export const drainHasDestination: Predicate = {
  name: 'drain-has-destination',
  checks:
    'every shard copy on the node to exclude has a data node to go to: not leaving, without a copy of that shard, ' +
    "and at least as new as the primary's node (a replica) or as its own (a primary)",
  why:
    'Elasticsearch keeps a copy it cannot move on the excluded node: the drain would never finish and the roll, ' +
    'with rebalancing off, would wait forever (a new-version node holding a primary, left above the baseline)',
  source: "issue 12 finding 6; Elasticsearch's node_version and same_shard deciders",
  evaluate(ctx: Ctx, subject): PredicateResult {
    const node = subject.node;
    if (!node || !isDataNode(ctx.nodesByName.get(node))) return { status: 'not-applicable', reason: 'no data node' };
    const stranded = strandedCopy(ctx.es, node, new Set(ownedExclusions(ctx)));
    return stranded ? { status: 'block', reason: `${node} would not drain: ${stranded.why}` } : pass;
  },
};
