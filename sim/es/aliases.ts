import { EsError, type Index } from '../model/cluster';
import { dataOf } from '../model/indices-data';
import { settle } from '../model/reindex-tasks';
import type { EsContext, Json } from './context';
import type { Answer } from './indices';

/**
 * `POST _aliases`: add, remove and remove_index actions applied atomically (all checked first, then all applied),
 * as Elasticsearch's MetadataIndexAliasesService does. An alias may take the name of an index that the same request
 * removes with remove_index (the documented way to replace an index by an alias without a moment with neither).
 */
export function updateAliases(ctx: EsContext, body: string | undefined): Answer {
  ctx.requireMaster();
  let req: Json;
  try {
    req = JSON.parse(body ?? '{}') as Json;
  } catch {
    throw new EsError(400, 'parse_exception', 'request body is not valid JSON');
  }
  const actions = Array.isArray(req.actions) ? (req.actions as Json[]) : [];
  if (actions.length === 0)
    throw new EsError(400, 'action_request_validation_exception', 'Validation Failed: 1: no actions;');
  const byName = (name: unknown): Index => {
    const i = ctx.cluster.indices.find((x) => x.name === name);
    if (!i) throw new EsError(404, 'index_not_found_exception', `no such index [${String(name)}]`);
    return i;
  };
  const removed = new Set<Index>();
  const steps: (() => void)[] = [];
  for (const a of actions) {
    const [type, spec] = Object.entries(a)[0] ?? [];
    const s = (spec ?? {}) as Json;
    if (type === 'remove_index') {
      const i = byName(s.index);
      removed.add(i);
      steps.push(() => ctx.cluster.deleteIndex(i));
    } else if (type === 'add') {
      const i = byName(s.index);
      const alias = String(s.alias);
      steps.push(() => {
        const clash = ctx.cluster.indices.find((x) => x.name === alias && !removed.has(x));
        if (clash) {
          throw new EsError(
            400,
            'invalid_alias_name_exception',
            `Invalid alias name [${alias}]: an index or data stream exists with the same name as the alias`,
          );
        }
        dataOf(i).aliases.set(alias, {
          isWriteIndex: typeof s.is_write_index === 'boolean' ? s.is_write_index : undefined,
        });
      });
    } else if (type === 'remove') {
      const i = byName(s.index);
      const alias = String(s.alias);
      if (!dataOf(i).aliases.has(alias)) {
        throw new EsError(404, 'aliases_not_found_exception', `aliases [${alias}] missing`);
      }
      steps.push(() => dataOf(i).aliases.delete(alias));
    } else {
      throw new EsError(400, 'x_content_parse_exception', `[aliases] unknown field [${String(type)}] (not simulated)`);
    }
  }
  // Check every add against the final state before changing anything.
  for (const a of actions) {
    const add = (a as Json).add as Json | undefined;
    if (!add) continue;
    const clash = ctx.cluster.indices.find((x) => x.name === add.alias && !removed.has(x));
    if (clash) {
      throw new EsError(
        400,
        'invalid_alias_name_exception',
        `Invalid alias name [${String(add.alias)}]: an index or data stream exists with the same name as the alias`,
      );
    }
    if (removed.has(byName(add.index))) {
      throw new EsError(400, 'illegal_argument_exception', `index [${String(add.index)}] is removed by this request`);
    }
  }
  settle(ctx.world);
  for (const step of steps) step();
  return { body: { acknowledged: true } };
}
