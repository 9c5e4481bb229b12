import { EsError, wildcardMatch } from '../model/cluster';
import { type EsContext, type Json } from './context';
import type { Answer } from './indices';
import { flatten, parseBody } from './json';

/**
 * Snapshot repositories (`PUT _snapshot/<repository>`, `GET _snapshot[/<repository>]`) and snapshot lifecycle
 * policies (`PUT _slm/policy/<id>`), what the stack's index-management resource registers before any roll
 * (lambda/index-management/cluster.ts). A repository is a name, a type and its settings: nothing is written anywhere,
 * nothing is verified. A policy is stored and checked against its repository, never run.
 */

/** Repository types of Elasticsearch 8.19's default distribution (`repository-s3` etc. are modules since 8.0). */
const REPOSITORY_TYPES = ['fs', 'url', 's3', 'azure', 'gcs', 'source'];

/** Throws 404 `repository_missing_exception` unless the repository is registered. */
export function requireRepository(ctx: EsContext, name: string): void {
  if (!ctx.world.snapshots.repositories.has(name)) {
    throw new EsError(404, 'repository_missing_exception', `[${name}] missing`);
  }
}

/** `PUT|POST _snapshot/<repository>` (`RepositoriesService.registerRepository`). */
export function putRepository(ctx: EsContext, name: string, raw: string | undefined): Answer {
  ctx.requireMaster();
  const body = (parseBody(raw) ?? {}) as Json;
  if (typeof body.type !== 'string' || body.type === '') {
    throw new EsError(400, 'action_request_validation_exception', 'Validation Failed: 1: type is missing;');
  }
  if (/[\s#\\/*?"<>|,]/.test(name) || name.startsWith('_')) {
    throw new EsError(500, 'repository_exception', `[${name}] Invalid repository name`);
  }
  if (!REPOSITORY_TYPES.includes(body.type)) {
    throw new EsError(500, 'repository_exception', `[${name}] repository type [${body.type}] does not exist`);
  }
  const given = body.settings;
  if (given !== undefined && (given === null || typeof given !== 'object' || Array.isArray(given))) {
    throw new EsError(
      400,
      'illegal_argument_exception',
      'Malformed [settings] section, should include an inner object',
    );
  }
  // Settings as Elasticsearch keeps them: flat keys, string values.
  const settings = Object.fromEntries(
    flatten((given ?? {}) as Json).filter((e): e is [string, string] => e[1] !== null),
  );
  if (body.type === 's3' && typeof settings.bucket !== 'string') {
    throw new EsError(500, 'repository_exception', `[${name}] No bucket defined for s3 repository`);
  }
  ctx.world.snapshots.repositories.set(name, { type: body.type, settings });
  return { body: { acknowledged: true } };
}

/** `GET _snapshot[/<repositories>]`: `{<name>: {type, settings}}`; a missing concrete name is a 404. */
export function getRepositories(ctx: EsContext, expr: string | undefined): Answer {
  const repos = ctx.world.snapshots.repositories;
  const names = [...repos.keys()].sort();
  const picked = new Set<string>();
  for (const p of (expr ?? '_all').split(',')) {
    if (p === '_all' || p === '*') names.forEach((n) => picked.add(n));
    else if (p.includes('*')) names.filter((n) => wildcardMatch(p, n)).forEach((n) => picked.add(n));
    else if (repos.has(p)) picked.add(p);
    else throw new EsError(404, 'repository_missing_exception', `[${p}] missing`);
  }
  const out: Json = {};
  for (const n of names.filter((x) => picked.has(x))) {
    const r = repos.get(n)!;
    out[n] = { type: r.type, settings: { ...r.settings } };
  }
  return { body: out };
}

const POLICY_KEYS = ['schedule', 'name', 'repository', 'config', 'retention'];

/** `PUT _slm/policy/<id>` (`TransportPutSnapshotLifecycleAction`): stored with a version; never executed. */
export function putSlmPolicy(ctx: EsContext, id: string, raw: string | undefined): Answer {
  ctx.requireMaster();
  const body = parseBody(raw) as Json | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new EsError(400, 'parse_exception', 'request body is required');
  }
  for (const key of Object.keys(body)) {
    if (!POLICY_KEYS.includes(key)) {
      throw new EsError(400, 'x_content_parse_exception', `[1:2] [snapshot_lifecycle] unknown field [${key}]`);
    }
  }
  const problems: string[] = [];
  if (typeof body.schedule !== 'string' || body.schedule.trim() === '')
    problems.push('invalid schedule: cannot be empty');
  if (typeof body.name !== 'string' || body.name === '') problems.push('invalid snapshot name []: cannot be empty');
  if (typeof body.repository !== 'string' || body.repository === '') {
    problems.push('invalid repository name [null]: cannot be empty');
  }
  if (problems.length > 0) {
    const list = problems.map((p, i) => `${i + 1}: ${p};`).join('');
    throw new EsError(400, 'action_request_validation_exception', `Validation Failed: ${list}`);
  }
  if (!ctx.world.snapshots.repositories.has(body.repository as string)) {
    throw new EsError(400, 'illegal_argument_exception', `no such repository [${String(body.repository)}]`);
  }
  const policies = ctx.world.snapshots.policies;
  const version = (policies.get(id)?.version ?? 0) + 1;
  policies.set(id, { body, version, modifiedAt: ctx.world.now });
  return { body: { acknowledged: true } };
}
