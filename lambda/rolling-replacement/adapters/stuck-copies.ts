/**
 * Explanations of copies that must leave a draining node and do not move (issue 12, finding 8): for each node named
 * in the allocation exclusions that holds a STARTED copy while none of its copies relocates, one
 * `POST _cluster/allocation/explain` with `current_node`. A drain that moves costs no request.
 */
import type { EsView, NodeDecision, StuckCopy } from '../core/types';

type Json = Record<string, unknown>;
export type ExplainCall = (body: Json) => Promise<Json>;

/** Index routing settings (flat `index.routing.allocation.*` keys) from `_cluster/state/metadata`, per index. */
export function indexRoutingOf(
  metadata: Json | undefined,
  flatten: (obj: unknown, prefix: string) => Record<string, string>,
): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  const indices = (metadata?.indices ?? {}) as Record<string, Json>;
  for (const [name, ix] of Object.entries(indices)) {
    const routing = ((((ix.settings as Json | undefined)?.index as Json | undefined)?.routing as Json | undefined)
      ?.allocation ?? undefined) as Json | undefined;
    if (!routing) continue;
    const flat = Object.fromEntries(
      Object.entries(flatten(routing, 'index.routing.allocation')).filter(([k]) => !k.endsWith('_tier_preference')),
    );
    if (Object.keys(flat).length) out.set(name, flat);
  }
  return out;
}

export async function explainStuck(
  view: EsView,
  routing: ReadonlyMap<string, Record<string, string>>,
  explain: ExplainCall,
): Promise<StuckCopy[]> {
  const out: StuckCopy[] = [];
  const dataNodes = new Set(
    view.nodes.filter((n) => n.roles.some((r) => r === 'data' || r.startsWith('data_'))).map((n) => n.name),
  );
  for (const node of new Set(view.allocationExcludeNames)) {
    if (!dataNodes.has(node)) continue;
    const held = view.shards.filter((s) => s.node === node);
    if (held.some((s) => s.state !== 'STARTED')) continue; // moving: no stall to explain
    const copy = held[0];
    if (!copy) continue;
    const r = await explain({ index: copy.index, shard: copy.shard, primary: copy.primary, current_node: node });
    if (r.can_move_to_other_node === undefined && r.can_remain_on_current_node === undefined) continue;
    const decisions = (r.node_allocation_decisions as Json[] | undefined) ?? [];
    const ix = routing.get(copy.index);
    out.push({
      index: copy.index,
      shard: copy.shard,
      primary: copy.primary,
      node,
      canMove: String(r.can_move_to_other_node ?? 'unknown').toLowerCase(),
      nodeDecisions: decisions.map((d): NodeDecision => ({
        nodeName: String(d.node_name),
        decision: String(d.node_decision ?? '').toLowerCase(),
        noDeciders: ((d.deciders as Json[] | undefined) ?? [])
          .filter((x) => String(x.decision).toUpperCase() === 'NO')
          .map((x) => String(x.decider)),
      })),
      ...(ix ? { indexRouting: ix } : {}),
    });
  }
  return out;
}
