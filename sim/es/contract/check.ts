import Ajv, { type ValidateFunction } from 'ajv';
import schema from './responses.schema.json';

/**
 * Checks the simulator's answers against JSON schemas generated from the official client's response types
 * (responses.schema.json, `npm run gen:sim-schemas`): an answer the client's types do not allow is a contract
 * violation. The endpoints the orchestrator's adapter, the stack's setup and `elkctl reindex` call are covered, and the
 * other JSON answers the simulator serves (`GET /`, `_cat/*`, `_flush`, `_cluster/reroute`); errors (other than
 * health's 408, whose body is a health answer) are not checked. An answer trimmed by `filter_path` is checked
 * against the same schema with nothing required (filtering only removes keys). Where the client and the REST
 * specification type nothing (`_cluster/state`: `any`, `UserDefinedValue`) the type is written from Elasticsearch's
 * source (cluster-state.ts); where the specification's body is `Void` (voting configuration exclusions) the answer
 * must have no body.
 */

type Endpoint = keyof typeof schema.definitions.SimResponses.properties & string;
type Covered = Endpoint | VoidEndpoint;

/** Endpoints whose response body the REST specification declares `Void`. */
const VOID_ENDPOINTS = ['cluster.post_voting_config_exclusions', 'cluster.delete_voting_config_exclusions'] as const;
type VoidEndpoint = (typeof VOID_ENDPOINTS)[number];
const isVoid = (e: Covered): e is VoidEndpoint => (VOID_ENDPOINTS as readonly string[]).includes(e);

/** The schema with every `required` list removed: what an answer trimmed by `filter_path` must still satisfy. */
function withoutRequired(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutRequired);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .filter(([k, x]) => !(k === 'required' && Array.isArray(x)))
      .map(([k, x]) => [k, withoutRequired(x)]),
  );
}

const ajv = new Ajv({ strict: false, allErrors: true });
// The client's `DateTime` (snapshot start and end times): an ISO-8601 date and time, as Elasticsearch formats it.
ajv.addFormat('date-time', (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$/.test(s));
const filteredSchema = withoutRequired(schema) as typeof schema;
const validators = new Map<string, ValidateFunction>();

/** One endpoint's schema on its own (compiling only the definitions it reaches, not the whole document). */
function validator(endpoint: Endpoint, filtered: boolean): ValidateFunction {
  const key = `${filtered ? 'filtered' : 'full'}:${endpoint}`;
  let v = validators.get(key);
  if (!v) {
    const root = filtered ? filteredSchema : schema;
    const own = root.definitions.SimResponses.properties[endpoint] as object;
    v = ajv.compile({ ...own, definitions: root.definitions });
    validators.set(key, v);
  }
  return v;
}

/** The endpoint a request addresses, when its answer is covered by the contract. */
export function endpointOf(method: string, url: string): Covered | undefined {
  const u = new URL(url, 'http://localhost');
  const p = u.pathname.replace(/\/+$/, '');
  const m = method.toUpperCase();
  if (m === 'GET' && /^\/_cluster\/health(\/[^/]+)?$/.test(p)) return 'cluster.health';
  if (m === 'GET' && p === '/_nodes') return 'nodes.info';
  if (m === 'GET' && u.searchParams.get('format') === 'json') {
    if (p === '/_cat/nodes') return 'cat.nodes';
    if (p === '/_cat/allocation') return 'cat.allocation';
    if (p === '/_cat/shards' || p.startsWith('/_cat/shards/')) return 'cat.shards';
    if (p === '/_cat/recovery' || p.startsWith('/_cat/recovery/')) return 'cat.recovery';
    if (p === '/_cat/indices' || p.startsWith('/_cat/indices/')) return 'cat.indices';
    if (p === '/_cat/health') return 'cat.health';
  }
  if ((m === 'GET' || m === 'HEAD') && p === '') return 'info';
  if (m === 'POST' && p === '/_cluster/reroute') return 'cluster.reroute';
  if ((m === 'POST' || m === 'GET') && /^(\/[^_/][^/]*)?\/_flush$/.test(p)) return 'indices.flush';
  if (p === '/_cluster/settings') return m === 'GET' ? 'cluster.get_settings' : 'cluster.put_settings';
  if (p === '/_cluster/allocation/explain') return 'cluster.allocation_explain';
  if (m === 'GET' && p === '/_tasks') return 'tasks.list';
  if (m === 'GET' && /^\/_cluster\/state(\/[^/]+){0,2}$/.test(p)) return 'cluster.state';
  if (m === 'GET' && /^\/_snapshot(\/[^/]+){0,2}\/_status$/.test(p)) return 'snapshot.status';
  if (/^\/_snapshot\/[^/_][^/]*(\/[^/_][^/]*)?$/.test(p) && (m === 'PUT' || m === 'POST')) {
    return p.split('/').length === 3 ? 'snapshot.create_repository' : 'snapshot.create';
  }
  if (m === 'GET' && /^\/_snapshot\/[^/]+\/[^/]+$/.test(p) && !p.endsWith('/_status')) return 'snapshot.get';
  if (m === 'PUT' && /^\/_slm\/policy\/[^/]+$/.test(p)) return 'slm.put_lifecycle';
  if (p === '/_cluster/voting_config_exclusions') {
    if (m === 'POST') return 'cluster.post_voting_config_exclusions';
    if (m === 'DELETE') return 'cluster.delete_voting_config_exclusions';
  }
  return indexEndpointOf(m, p);
}

/** The index and reindex APIs (sim/es/index-router.ts) whose answers are covered. */
function indexEndpointOf(m: string, p: string): Endpoint | undefined {
  if (m === 'GET' && /^\/_tasks\/[^/]+$/.test(p)) return 'tasks.get';
  if (m === 'POST' && p === '/_reindex') return 'reindex';
  if (m === 'POST' && p === '/_aliases') return 'indices.update_aliases';
  if (m === 'GET' && p.startsWith('/_resolve/index/')) return 'indices.resolve_index';
  if (m === 'GET' && /^(\/[^_/][^/]*)?\/_alias(\/[^/]+)?$/.test(p)) return 'indices.get_alias';
  if (/^(\/[^_/][^/]*)?\/_count$/.test(p)) return 'count';
  if (/^(\/[^_/][^/]*)?\/_refresh$/.test(p)) return 'indices.refresh';
  if (m === 'GET' && /^(\/[^_/][^/]*)?\/_stats(\/indexing)?$/.test(p)) return 'indices.stats';
  if (/^\/[^_/][^/]*\/_mget$/.test(p)) return 'mget';
  if (m === 'PUT' && /^\/[^_/][^/]*\/_settings$/.test(p)) return 'indices.put_settings';
  if (m === 'PUT' && /^\/[^_/][^/]*\/_mapping$/.test(p)) return 'indices.put_mapping';
  if (/^\/[^_/][^/]*$/.test(p)) return m === 'PUT' ? 'indices.create' : m === 'DELETE' ? 'indices.delete' : undefined;
  return undefined;
}

/** Problems of one answer (empty when it conforms or is not covered); `body` undefined: the answer had none. */
export function contractProblems(method: string, url: string, status: number, body: unknown): string[] {
  const endpoint = endpointOf(method, url);
  if (!endpoint) return [];
  if (status >= 300 && !(endpoint === 'cluster.health' && status === 408)) return [];
  const where = `${method} ${url}: ${endpoint} response`;
  if (isVoid(endpoint))
    return body === undefined ? [] : [`${where} must have no body (Void), got ${JSON.stringify(body)}`];
  if (body === undefined) return method.toUpperCase() === 'HEAD' ? [] : [`${where} has no body`];
  const problems: string[] = [];
  const v = validator(endpoint, new URL(url, 'http://localhost').searchParams.has('filter_path'));
  if (!v(body))
    problems.push(...(v.errors ?? []).map((e) => `${where}${e.instancePath || ''} ${e.message ?? 'is invalid'}`));
  return problems;
}
