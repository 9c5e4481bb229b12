import { EsError } from '../model/cluster';
import type { EsContext, Query } from './context';
import type { Answer } from './indices';
import { checkParams } from './params';
import { getRepositories, putRepository } from './repositories';
import { createSnapshot, getSnapshots } from './snapshot-api';

/**
 * Routes `/_snapshot`, `/_snapshot/<repository>` and `/_snapshot/<repository>/<snapshot>` (the `_status` paths are
 * routed before this, in api.ts). Delete, clone, restore, verify and cleanup are not served (405 or 400 no handler).
 */
export function routeSnapshots(
  ctx: EsContext,
  method: string,
  seg: readonly string[],
  q: Query,
  body: string | undefined,
): Answer {
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
  const [, repository, snapshot] = seg;
  if (repository === undefined) {
    allow('GET');
    params('snapshot.get_repository');
    ctx.requireMaster();
    return getRepositories(ctx, undefined);
  }
  if (repository.startsWith('_') && repository !== '_all') {
    throw new EsError(400, '_no_handler', `no handler found for uri [${path}] and method [${method}]`);
  }
  if (snapshot === undefined) {
    allow('GET', 'PUT', 'POST');
    if (method === 'GET') {
      params('snapshot.get_repository');
      ctx.requireMaster();
      return getRepositories(ctx, repository);
    }
    params('snapshot.create_repository');
    return putRepository(ctx, repository, body);
  }
  allow('GET', 'PUT', 'POST');
  if (method === 'GET') {
    params('snapshot.get');
    return getSnapshots(ctx, repository, snapshot, q);
  }
  params('snapshot.create');
  return createSnapshot(ctx, repository, snapshot, q, body);
}
