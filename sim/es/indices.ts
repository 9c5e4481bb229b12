import { Cluster, EsError, type Index, wildcardMatch } from '../model/cluster';
import { dataOf, initEmpty, invisibleCount, type IndexData } from '../model/indices-data';
import { lagSeconds, settle } from '../model/reindex-tasks';
import type { EsContext, Json, Query } from './context';

/**
 * The index APIs `elkctl reindex` needs: create, get, exists, delete, settings, mapping `_meta`, indexing stats,
 * refresh, `_count`, a sampling `_search`, `_mget`, `_resolve/index`, `_aliases` and `_alias`. Names resolve through
 * aliases as in Elasticsearch. Simplifications (docs/sim.md): no index templates (a new index gets the request's
 * shards and replicas, else 1 and 1), mappings keep only `_meta`, `_search` answers only an id sample.
 */

export type Answer = { status?: number; body?: unknown };

const INVALID_NAME = /[\\/*?"<>| ,#:A-Z]/;

/** Concrete indices of an expression: names, aliases, wildcards, comma lists; a missing concrete name is a 404. */
export function resolve(ctx: EsContext, expr: string | undefined, allowMissing = false): Index[] {
  const all = ctx.cluster.indices;
  if (expr === undefined || expr === '_all' || expr === '*') return [...all];
  const out = new Set<Index>();
  for (const part of expr.split(',').map((s) => s.trim())) {
    if (part.includes('*')) {
      for (const i of all) if (wildcardMatch(part, i.name)) out.add(i);
      continue;
    }
    const direct = all.find((i) => i.name === part);
    const aliased = all.filter((i) => dataOf(i).aliases.has(part));
    if (!direct && aliased.length === 0) {
      if (allowMissing) continue;
      throw notFound(part);
    }
    if (direct) out.add(direct);
    for (const i of aliased) out.add(i);
  }
  return [...out];
}

function notFound(name: string): EsError {
  return new EsError(404, 'index_not_found_exception', `no such index [${name}]`);
}

function parseJson(body: string | undefined): Json {
  if (!body || !body.trim()) return {};
  try {
    return JSON.parse(body) as Json;
  } catch {
    throw new EsError(400, 'parse_exception', 'request body is not valid JSON');
  }
}

/** Settings of a request body, flattened (`{index: {blocks: {write: true}}}` → `index.blocks.write`). */
export function flatSettings(v: unknown, prefix = ''): Map<string, string | null> {
  const out = new Map<string, string | null>();
  if (v === null || typeof v !== 'object') return out;
  for (const [k, x] of Object.entries(v as Json)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (x !== null && typeof x === 'object' && !Array.isArray(x)) {
      for (const [k2, v2] of flatSettings(x, key)) out.set(k2, v2);
    } else out.set(key.startsWith('index.') ? key : `index.${key}`, x === null ? null : String(x));
  }
  return out;
}

export function createIndex(ctx: EsContext, name: string, body: string | undefined): Answer {
  ctx.requireMaster();
  if (INVALID_NAME.test(name) || /^[-_+]/.test(name) || name === '.' || name === '..') {
    throw new EsError(400, 'invalid_index_name_exception', `Invalid index name [${name}]`);
  }
  const existing = ctx.cluster.indices.find((i) => i.name === name);
  if (existing) {
    throw new EsError(400, 'resource_already_exists_exception', `index [${name}/${existing.uuid}] already exists`);
  }
  if (ctx.cluster.indices.some((i) => dataOf(i).aliases.has(name))) {
    throw new EsError(400, 'invalid_index_name_exception', `Invalid index name [${name}], already exists as alias`);
  }
  const req = parseJson(body);
  const settings = flatSettings(req.settings);
  const shards = Number(settings.get('index.number_of_shards') ?? 1);
  const replicas = Number(settings.get('index.number_of_replicas') ?? 1);
  const index = ctx.cluster.createIndex({ name, shards, replicas, docs: 0, bytes: 0 });
  const d = initEmpty(index);
  const origination = settings.get('index.lifecycle.origination_date');
  if (origination) index.settings.set('index.lifecycle.origination_date', origination);
  const meta = (req.mappings as Json | undefined)?._meta;
  if (meta && typeof meta === 'object') d.meta = meta as Json;
  for (const [alias, spec] of Object.entries((req.aliases as Json | undefined) ?? {})) {
    d.aliases.set(alias, { isWriteIndex: (spec as Json | undefined)?.is_write_index === true || undefined });
  }
  return { body: { acknowledged: true, shards_acknowledged: true, index: name } };
}

export function getIndex(ctx: EsContext, expr: string): Answer {
  const out: Json = {};
  for (const i of resolve(ctx, expr)) {
    const d = dataOf(i);
    const settings: Json = {
      number_of_shards: String(i.shards.length),
      number_of_replicas: String(i.replicas),
      uuid: i.uuid,
      provided_name: i.name,
      creation_date: String(ctx.world.startEpochMs + Math.round(i.createdAt * 1000)),
      version: { created: '8521000' },
    };
    const origination = i.settings.get('index.lifecycle.origination_date');
    if (origination !== undefined) settings.lifecycle = { origination_date: origination };
    if (i.settings.get('index.blocks.write') !== undefined) {
      settings.blocks = { write: i.settings.get('index.blocks.write') };
    }
    out[i.name] = {
      aliases: aliasesBody(d),
      mappings: d.meta ? { _meta: d.meta } : {},
      settings: { index: settings },
    };
  }
  return { body: out };
}

function aliasesBody(d: IndexData): Json {
  return Object.fromEntries(
    [...d.aliases].map(([a, e]) => [a, e.isWriteIndex !== undefined ? { is_write_index: e.isWriteIndex } : {}]),
  );
}

export function deleteIndex(ctx: EsContext, expr: string): Answer {
  ctx.requireMaster();
  if (expr.includes('*') || expr === '_all') {
    throw new EsError(400, 'illegal_argument_exception', 'Wildcard expressions or all indices are not allowed');
  }
  const targets: Index[] = [];
  for (const part of expr.split(',')) {
    const i = ctx.cluster.indices.find((x) => x.name === part);
    if (!i) {
      if (ctx.cluster.indices.some((x) => dataOf(x).aliases.has(part))) {
        throw new EsError(
          400,
          'illegal_argument_exception',
          `The provided expression [${part}] matches an alias, specify the corresponding concrete indices instead.`,
        );
      }
      throw notFound(part);
    }
    targets.push(i);
  }
  settle(ctx.world);
  for (const i of targets) ctx.cluster.deleteIndex(i);
  return { body: { acknowledged: true } };
}

export function putSettings(ctx: EsContext, expr: string, body: string | undefined): Answer {
  ctx.requireMaster();
  const updates = flatSettings(parseJson(body));
  for (const k of updates.keys()) {
    if (
      !/^index\.(blocks\.(write|read_only|read_only_allow_delete)|refresh_interval|routing\.allocation\..+)$/.test(k)
    ) {
      throw new EsError(400, 'illegal_argument_exception', `unknown or final setting [${k}] (not simulated)`);
    }
  }
  for (const i of resolve(ctx, expr)) ctx.cluster.applyIndexSettings(i, updates);
  return { body: { acknowledged: true } };
}

export function putMapping(ctx: EsContext, expr: string, body: string | undefined): Answer {
  ctx.requireMaster();
  const req = parseJson(body);
  for (const i of resolve(ctx, expr)) {
    if (req._meta && typeof req._meta === 'object') dataOf(i).meta = req._meta as Json;
  }
  return { body: { acknowledged: true } };
}

export function indexingStats(ctx: EsContext, expr: string | undefined): Answer {
  settle(ctx.world);
  const indices = resolve(ctx, expr);
  const indexing = (n: number) => ({
    indexing: {
      index_total: n,
      index_time_in_millis: n,
      index_current: 0,
      index_failed: 0,
      delete_total: 0,
      delete_time_in_millis: 0,
      delete_current: 0,
      noop_update_total: 0,
      is_throttled: false,
      throttle_time_in_millis: 0,
    },
  });
  const total = indices.reduce((n, i) => n + dataOf(i).indexTotal, 0);
  const shards = indices.reduce((n, i) => n + i.shards.length * (1 + i.replicas), 0);
  return {
    body: {
      _shards: { total: shards, successful: shards, failed: 0 },
      _all: { primaries: indexing(total), total: indexing(total) },
      indices: Object.fromEntries(
        indices.map((i) => [
          i.name,
          { uuid: i.uuid, primaries: indexing(dataOf(i).indexTotal), total: indexing(dataOf(i).indexTotal) },
        ]),
      ),
    },
  };
}

export function refresh(ctx: EsContext, expr: string | undefined): Answer {
  settle(ctx.world);
  const indices = resolve(ctx, expr);
  for (const i of indices) dataOf(i).refreshedAt = ctx.world.now;
  const total = indices.reduce((n, i) => n + i.shards.length * (1 + i.replicas), 0);
  return { body: { _shards: { total, successful: total, failed: 0 } } };
}

/** `_count`: the cluster model's count less what a search does not see yet (refresh, count-lag). */
export function count(ctx: EsContext, expr: string | undefined): Answer {
  settle(ctx.world);
  const indices = resolve(ctx, expr);
  const lag = lagSeconds(ctx.world);
  const hidden = indices.reduce((n, i) => n + invisibleCount(dataOf(i), ctx.world.now, lag), 0);
  const shards = indices.flatMap((i) => i.shards);
  const failed = shards.filter((s) => s.lost || !Cluster.isActive(ctx.cluster.primaryOf(s)));
  return {
    body: {
      count: Math.max(0, ctx.cluster.documentCount(indices) - hidden),
      _shards: {
        total: shards.length,
        successful: shards.length - failed.length,
        skipped: 0,
        failed: failed.length,
        ...(failed.length > 0
          ? {
              failures: failed.slice(0, 10).map((s) => ({
                shard: s.num,
                index: s.index.name,
                reason: { type: 'no_shard_available_action_exception', reason: null },
              })),
            }
          : {}),
      },
    },
  };
}

/** `_search` with `size` and `_source: false`: a spread sample of ids (random_score's seed shifts it). */
export function searchSample(ctx: EsContext, expr: string | undefined, body: string | undefined): Answer {
  settle(ctx.world);
  const req = parseJson(body);
  const size = typeof req.size === 'number' ? req.size : 10;
  const fs = ((req.query as Json | undefined)?.function_score ?? {}) as Json;
  const scorer = (fs.random_score ?? (fs.functions as Json[] | undefined)?.[0]?.random_score ?? {}) as Json;
  const seed = Number(scorer.seed ?? 0) || 0;
  const indices = resolve(ctx, expr);
  const hits = indices.flatMap((i) =>
    dataOf(i)
      .ids.sample(size, seed)
      .map((id) => ({ _index: i.name, _id: id })),
  );
  const total = indices.reduce((n, i) => n + dataOf(i).ids.size, 0);
  return {
    body: {
      took: 1,
      timed_out: false,
      _shards: { total: indices.length, successful: indices.length, skipped: 0, failed: 0 },
      hits: {
        total: { value: total, relation: 'eq' },
        max_score: 1,
        hits: hits.slice(0, size).map((h) => ({ ...h, _score: 1 })),
      },
    },
  };
}

/** `_mget` by ids (realtime: no refresh needed). */
export function mget(ctx: EsContext, expr: string, body: string | undefined): Answer {
  settle(ctx.world);
  const [index] = resolve(ctx, expr);
  const ids = (parseJson(body).ids as unknown[] | undefined) ?? [];
  return {
    body: {
      docs: ids.map((id) =>
        index && dataOf(index).ids.has(String(id))
          ? { _index: index.name, _id: String(id), _version: 1, _seq_no: 0, _primary_term: 1, found: true }
          : { _index: index?.name ?? expr, _id: String(id), found: false },
      ),
    },
  };
}

export function resolveIndex(ctx: EsContext, expr: string): Answer {
  // Names only: an alias is listed under aliases, not expanded to its indices.
  const parts = expr.split(',').map((p) => p.trim());
  const indices = ctx.cluster.indices
    .filter((i) => parts.some((p) => wildcardMatch(p, i.name)))
    .sort((a, b) => a.name.localeCompare(b.name));
  const aliases = new Map<string, string[]>();
  for (const i of ctx.cluster.indices) {
    for (const a of dataOf(i).aliases.keys()) {
      if (parts.some((p) => wildcardMatch(p, a))) aliases.set(a, [...(aliases.get(a) ?? []), i.name]);
    }
  }
  return {
    body: {
      indices: indices.map((i) => ({
        name: i.name,
        ...(dataOf(i).aliases.size > 0 ? { aliases: [...dataOf(i).aliases.keys()].sort() } : {}),
        attributes: ['open'],
      })),
      aliases: [...aliases]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, idx]) => ({ name, indices: idx.sort() })),
      data_streams: [],
    },
  };
}

export function getAlias(ctx: EsContext, indexExpr: string | undefined, aliasExpr: string | undefined): Answer {
  const out: Json = {};
  const indices = indexExpr ? resolve(ctx, indexExpr) : ctx.cluster.indices;
  for (const i of indices) {
    const d = dataOf(i);
    const picked = [...d.aliases].filter(([a]) => !aliasExpr || aliasExpr.split(',').some((p) => wildcardMatch(p, a)));
    if (picked.length > 0 || (indexExpr && !aliasExpr)) {
      out[i.name] = {
        aliases: Object.fromEntries(
          picked.map(([a, e]) => [a, e.isWriteIndex !== undefined ? { is_write_index: e.isWriteIndex } : {}]),
        ),
      };
    }
  }
  if (aliasExpr && Object.keys(out).length === 0) {
    return { status: 404, body: { error: `alias [${aliasExpr}] missing`, status: 404 } };
  }
  return { body: out };
}

export { updateAliases } from './aliases';
export type { Query };
