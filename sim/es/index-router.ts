import { EsError } from '../model/cluster';
import { checkParams } from './params';
import type { EsContext, Query } from './context';
import * as ix from './indices';
import { reindex } from './reindex';

/**
 * Routes the index, alias, document-count and reindex APIs (sim/es/indices.ts, aliases.ts, reindex.ts). Called by
 * the router in api.ts before its own routes; undefined when the path is not one of these.
 */
export function routeIndexApis(
  ctx: EsContext,
  method: string,
  seg: readonly string[],
  q: Query,
  body: string | undefined,
): ix.Answer | undefined {
  const [a, b, c] = seg;
  const path = `/${seg.join('/')}`;
  const allow = (...methods: string[]) => {
    if (!methods.includes(method)) {
      throw new EsError(
        405,
        '_no_handler',
        `Incorrect HTTP method for uri [${path}] and method [${method}], allowed: [${methods.join(', ')}]`,
      );
    }
  };
  const params = (endpoint: string) => checkParams(endpoint, path, q);
  if (a === undefined) return undefined;
  if (a === '_reindex' && b === undefined) {
    allow('POST');
    params('reindex');
    return reindex(ctx, q, body);
  }
  if (a === '_resolve' && b === 'index' && c !== undefined) {
    allow('GET');
    params('indices.resolve_index');
    return ix.resolveIndex(ctx, c);
  }
  if (a === '_aliases' && b === undefined) {
    allow('POST');
    params('indices.update_aliases');
    return ix.updateAliases(ctx, body);
  }
  if (a === '_alias') {
    allow('GET');
    params('indices.get_alias');
    return ix.getAlias(ctx, undefined, b);
  }
  // /{index}/… and /_count, /_refresh, /_stats without an index.
  const index = a.startsWith('_') ? undefined : a;
  const op = a.startsWith('_') ? a : b;
  const rest = a.startsWith('_') ? b : c;
  switch (op) {
    case '_count':
      allow('GET', 'POST');
      params('count');
      return ix.count(ctx, index);
    case '_refresh':
      allow('GET', 'POST');
      params('indices.refresh');
      return ix.refresh(ctx, index);
    case '_stats':
      allow('GET');
      params('indices.stats');
      if (rest !== undefined && rest !== 'indexing') return undefined;
      return ix.indexingStats(ctx, index);
    case '_search':
      if (!index) return undefined;
      allow('GET', 'POST');
      params('search');
      return ix.searchSample(ctx, index, body);
    case '_mget':
      if (!index) return undefined;
      allow('GET', 'POST');
      params('mget');
      return ix.mget(ctx, index, body);
    case '_settings':
      if (!index || method !== 'PUT') return undefined;
      params('indices.put_settings');
      return ix.putSettings(ctx, index, body);
    case '_mapping':
      if (!index || method !== 'PUT') return undefined;
      params('indices.put_mapping');
      return ix.putMapping(ctx, index, body);
    case '_alias':
      if (!index) return undefined;
      allow('GET');
      params('indices.get_alias');
      return ix.getAlias(ctx, index, rest);
    case undefined:
      if (!index || seg.length !== 1) return undefined;
      allow('GET', 'HEAD', 'PUT', 'DELETE');
      if (method === 'PUT') {
        params('indices.create');
        return ix.createIndex(ctx, index, body);
      }
      if (method === 'DELETE') {
        params('indices.delete');
        return ix.deleteIndex(ctx, index);
      }
      params(method === 'HEAD' ? 'indices.exists' : 'indices.get');
      return ix.getIndex(ctx, index);
    default:
      return undefined;
  }
}
