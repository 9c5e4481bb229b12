import type { Client } from '@elastic/elasticsearch';
import { EsApi, type EsRequest, type EsResponse } from '../../sim/es/api';
import { contractProblems } from '../../sim/es/contract/check';
import { dataOf } from '../../sim/model/indices-data';
import { IdSet, piecesSize } from '../../sim/model/id-set';
import { REINDEX_ACTION } from '../../sim/model/reindex-tasks';
import { World } from '../../sim/model/world';
import type { ScenarioInput } from '../../sim/scenario';
import { DEFAULT_RUN, runReindex, type ReindexRunOptions, type ReindexTarget } from '../../lib/reindex/run';
import { simReindexTarget } from '../../lib/reindex/target';
import { scenario } from '../sim/builders';

const violations: string[] = [];

/** Answers the official client's types do not allow, since the last call (sim/es/contract/check.ts). */
export function takeViolations(): string[] {
  return violations.splice(0);
}

/** The simulator's HTTP face, checking every answer against the client's response types. */
class CheckedApi extends EsApi {
  handle(req: EsRequest): EsResponse {
    const r = super.handle(req);
    if (r.body && r.headers['content-type']?.includes('json')) {
      violations.push(...contractProblems(req.method, req.url, r.status, JSON.parse(r.body)));
    }
    return r;
  }
}

/** A simulated cluster with the given indices (3 masters, 3 data nodes), served over HTTP, with its clock. */
export async function reindexWorld(
  indices: { name: string; shards: number; docs: number; replicas?: number }[],
  faults: ScenarioInput['faults'] = [],
): Promise<{ world: World; target: ReindexTarget; client: Client; before: Map<string, IdSet> }> {
  const world = new World(
    scenario({
      cluster: {
        indices: indices.map((i) => ({ replicas: 1, bytes: i.docs * 1000, ...i })),
      },
      faults,
    } as never),
  );
  const before = new Map(world.cluster.indices.map((i) => [i.name, dataOf(i).ids.clone()]));
  const target = await simReindexTarget(world, new CheckedApi(world));
  return { world, target, client: target.client, before };
}

/** Documents of `before` that the name no longer finds (through the alias after a swap). */
export function lostDocuments(world: World, name: string, before: IdSet): number {
  const now = world.cluster.indices.filter((i) => i.name === name || dataOf(i).aliases.has(name));
  const have = IdSet.of(now.flatMap((i) => dataOf(i).ids.pieces()));
  return piecesSize(have.without(before.pieces()));
}

/** `_reindex` tasks ever started in the world. */
export function reindexTasksStarted(world: World): number {
  return world.tasks.filter((t) => t.action === REINDEX_ACTION).length;
}

export async function elkctl(
  t: ReindexTarget,
  source: string,
  o: Partial<ReindexRunOptions> = {},
): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runReindex(t, {
    ...DEFAULT_RUN,
    source,
    plan: false,
    out: (s) => (out += s),
    ...o,
  });
  return { code, out };
}
