import Ajv, { type ValidateFunction } from 'ajv';
import schema from './responses.schema.json';

/**
 * Checks the simulator's answers against JSON schemas generated from the official client's response types
 * (responses.schema.json, `npm run gen:sim-schemas`): an answer the client's types do not allow is a contract
 * violation. Only the endpoints the orchestrator's adapter reads are covered; errors (other than health's 408,
 * whose body is a health answer) and answers trimmed by `filter_path` are not checked.
 */

type Endpoint = keyof typeof schema.definitions.SimResponses.properties & string;

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema({ ...schema, $id: 'sim-responses' });
const validators = new Map<string, ValidateFunction>();

function validator(endpoint: Endpoint): ValidateFunction {
  let v = validators.get(endpoint);
  if (!v) {
    v = ajv.compile({ $ref: `sim-responses#/definitions/SimResponses/properties/${endpoint}` });
    validators.set(endpoint, v);
  }
  return v;
}

/** The endpoint a request addresses, when its answer is covered by the contract. */
export function endpointOf(method: string, url: string): Endpoint | undefined {
  const u = new URL(url, 'http://localhost');
  if (u.searchParams.has('filter_path')) return undefined;
  const p = u.pathname.replace(/\/+$/, '');
  const m = method.toUpperCase();
  if (m === 'GET' && /^\/_cluster\/health(\/[^/]+)?$/.test(p)) return 'cluster.health';
  if (m === 'GET' && p === '/_nodes') return 'nodes.info';
  if (m === 'GET' && u.searchParams.get('format') === 'json') {
    if (p === '/_cat/nodes') return 'cat.nodes';
    if (p === '/_cat/allocation') return 'cat.allocation';
    if (p === '/_cat/shards') return 'cat.shards';
  }
  if (p === '/_cluster/settings') return m === 'GET' ? 'cluster.get_settings' : 'cluster.put_settings';
  if (p === '/_cluster/allocation/explain') return 'cluster.allocation_explain';
  if (m === 'GET' && p === '/_tasks') return 'tasks.list';
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

/** Problems of one answer (empty when it conforms or is not covered). */
export function contractProblems(method: string, url: string, status: number, body: unknown): string[] {
  const endpoint = endpointOf(method, url);
  if (!endpoint) return [];
  if (status >= 300 && !(endpoint === 'cluster.health' && status === 408)) return [];
  const v = validator(endpoint);
  if (v(body)) return [];
  return (v.errors ?? []).map(
    (e) => `${method} ${url}: ${endpoint} response${e.instancePath || ''} ${e.message ?? 'is invalid'}`,
  );
}
