import { Cluster, EsError, EsNode, Index, wildcardMatch as wildcard } from '../model/cluster';
import { compareVersions, majorOf } from '../model/units';
import type { World } from '../model/world';
import { checkParams } from './params';
import { cat } from './cat';
import { formatCat } from './cat-columns';
import { BUILD_HASH, EsContext, Json, Query } from './context';
import { explain } from './explain';
import { health } from './health';
import { filterPath, indexNotFound, parseBody } from './json';
import { count, getSettings, putSettings, reroute, state } from './settings';
import { nodesInfo } from './nodes';
import { addExclusions, clearExclusions } from './voting';
import { getTask, listTasks } from './tasks';
import { snapshotsStatus } from './snapshots';
import { putSlmPolicy } from './repositories';
import { routeSnapshots } from './snapshot-router';
import { routeIndexApis } from './index-router';

/**
 * The Elasticsearch REST API of the simulated cluster, as a pure request → response function over the world. The
 * HTTP server (server.ts) and in-process callers share it. Answers are computed at the world's current virtual time;
 * `wait_for_*` conditions never block: a condition that does not hold answers 408 with `timed_out: true` at once.
 */

export interface EsRequest {
  readonly method: string;
  /** Path with query string, e.g. "/_cluster/health?wait_for_status=green". */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
  readonly body?: string;
}

export interface EsResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export class EsApi implements EsContext {
  constructor(readonly world: World) {}

  get cluster(): Cluster {
    return this.world.cluster;
  }

  /** Convenience for in-process callers: parsed JSON body. */
  request(method: string, url: string, body?: unknown): { status: number; body: unknown } {
    const r = this.dispatch({ method, url, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, body: r.text ?? r.payload };
  }

  handle(req: EsRequest): EsResponse {
    const r = this.dispatch(req);
    const head = req.method.toUpperCase() === 'HEAD';
    if (r.text !== undefined) return { status: r.status, headers: r.headers, body: head ? '' : r.text };
    if (r.payload === undefined || head) return { status: r.status, headers: r.headers, body: '' };
    const body = r.pretty ? JSON.stringify(r.payload, null, 2) + '\n' : JSON.stringify(r.payload);
    return { status: r.status, headers: r.headers, body };
  }

  /** Routes a request; the payload is a fresh object (never shared with the model). */
  private dispatch(req: EsRequest): {
    status: number;
    headers: Record<string, string>;
    payload?: unknown;
    text?: string;
    pretty?: boolean;
  } {
    const u = new URL(req.url, 'http://localhost');
    const q = u.searchParams;
    const compat = this.compatibility(req);
    const jsonType = compat.version
      ? `application/vnd.elasticsearch+json;compatible-with=${compat.version}`
      : 'application/json';
    let status = 200;
    let payload: unknown;
    let text: string | undefined;
    try {
      if (compat.error) throw compat.error;
      if (this.world.esTimingOut()) {
        throw new EsError(504, 'timeout_exception', 'fault es-timeouts: the request timed out');
      }
      const segments = u.pathname
        .split('/')
        .filter((s) => s.length > 0)
        .map(decodeURIComponent);
      const r = this.route(req.method.toUpperCase(), segments, q, req.body);
      status = r.status ?? 200;
      payload = r.body;
      text = r.text;
    } catch (e) {
      if (e instanceof EsError) {
        status = e.status;
        payload =
          e.type === '_no_handler'
            ? { error: e.message, status: e.status }
            : {
                error: {
                  root_cause: [{ type: e.type, reason: e.message === '' ? null : e.message }],
                  type: e.type,
                  reason: e.message === '' ? null : e.message,
                  ...(e.type === 'media_type_header_exception'
                    ? { caused_by: { type: 'status_exception', reason: compat.detail } }
                    : {}),
                },
                status: e.status,
              };
      } else throw e;
    }
    // slow-es: the answer reaches the caller this many virtual seconds later.
    const latency = this.world.windows.latency(this.world.now);
    if (latency > 0) this.world.advanceTo(this.world.now + latency);
    const headers: Record<string, string> = { 'x-elastic-product': 'Elasticsearch' };
    if (text !== undefined) {
      headers['content-type'] = 'text/plain; charset=UTF-8';
      return { status, headers, text };
    }
    headers['content-type'] = jsonType;
    if (payload === undefined) return { status, headers };
    const filtered = q.has('filter_path') ? filterPath(payload, q.get('filter_path')!) : payload;
    return { status, headers, payload: filtered, pretty: q.has('pretty') };
  }

  /** The node answering REST calls: the oldest-version joined node (name breaks ties). */
  coordinatingNode(): EsNode | undefined {
    return this.cluster
      .joinedNodes()
      .filter((n) => n.state === 'joined' && !n.dead)
      .sort((a, b) => compareVersions(a.version, b.version) || a.name.localeCompare(b.name))[0];
  }

  private compatibility(req: EsRequest): { version?: number; error?: EsError; detail?: string } {
    const h = (name: string) => {
      const v = req.headers?.[name] ?? req.headers?.[name.toLowerCase()];
      return Array.isArray(v) ? v.join(',') : v;
    };
    const accept = h('accept');
    const ctype = req.body ? h('content-type') : undefined;
    const parse = (v: string | undefined): number | undefined => {
      const m = v ? /compatible-with=(\d+)/.exec(v) : null;
      return m ? Number(m[1]) : undefined;
    };
    const a = parse(accept);
    const c = parse(ctype);
    if (a === undefined && c === undefined) return {};
    const node = this.coordinatingNode();
    const major = node ? majorOf(node.version) : 8;
    const detail = `A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version and the compatible versions must match. Accept=${accept ?? 'null'}, Content-Type=${ctype ?? 'null'}`;
    const bad = (v: number | undefined) => v !== undefined && (v > major || v < major - 1);
    if (bad(a) || bad(c) || (ctype !== undefined && a !== undefined && c !== undefined && a !== c)) {
      const which =
        [bad(a) ? 'Accept' : undefined, bad(c) ? 'Content-Type' : undefined].filter(Boolean).join(', ') ||
        'Accept, Content-Type';
      return {
        error: new EsError(400, 'media_type_header_exception', `Invalid media-type value on headers [${which}]`),
        detail:
          bad(a) || bad(c)
            ? `Accept version must be either version ${major} or ${major - 1}, but found ${bad(a) ? a : c}. Accept=${accept ?? 'null'}`
            : detail,
      };
    }
    return { version: a ?? c };
  }

  /** ElasticsearchTimeoutException: HTTP 500 on 8.x nodes, 429 on 9.x (where it overrides status()). */
  timeoutStatus(): number {
    const node = this.coordinatingNode();
    return node && majorOf(node.version) >= 9 ? 429 : 500;
  }

  requireMaster(): void {
    if (!this.cluster.master || this.cluster.master.dead) {
      // Elasticsearch answers with a null reason here.
      throw new EsError(503, 'master_not_discovered_exception', '');
    }
  }

  // ------------------------------------------------------------------ routing

  private route(
    method: string,
    seg: string[],
    q: Query,
    body: string | undefined,
  ): { status?: number; body?: unknown; text?: string } {
    const node = this.coordinatingNode();
    if (!node) throw new EsError(503, 'master_not_discovered_exception', 'no Elasticsearch node is running');
    const allow = (...methods: string[]) => {
      if (!methods.includes(method)) {
        throw new EsError(
          405,
          '_no_handler',
          `Incorrect HTTP method for uri [/${seg.join('/')}] and method [${method}], allowed: [${methods.join(', ')}]`,
        );
      }
    };
    const [a, b, c] = seg;
    const path = `/${seg.join('/')}`;
    const params = (endpoint: string) => checkParams(endpoint, path, q);
    const indexApi = routeIndexApis(this, method, seg, q, body);
    if (indexApi) return indexApi;
    if (seg.length === 0) {
      allow('GET', 'HEAD');
      params('info');
      return { body: this.root(node) };
    }
    if (a === '_cluster' && b === 'health') {
      allow('GET');
      params('cluster.health');
      return health(this, q, c);
    }
    if (a === '_cat') {
      allow('GET');
      if (['nodes', 'shards', 'allocation', 'recovery', 'indices', 'health'].includes(b)) params(`cat.${b}`);
      this.requireMaster();
      const rows = cat(this, b, c, q);
      return formatCat(rows.rows, rows.columns, q, rows.projected);
    }
    if (a === '_nodes') {
      allow('GET');
      params('nodes.info');
      return { body: nodesInfo(this, b, c) };
    }
    if (a === '_cluster' && b === 'settings') {
      allow('GET', 'PUT');
      params(method === 'GET' ? 'cluster.get_settings' : 'cluster.put_settings');
      this.requireMaster();
      return { body: method === 'GET' ? getSettings(this, q) : putSettings(this, q, parseBody(body)) };
    }
    if (a === '_cluster' && b === 'allocation' && c === 'explain') {
      allow('GET', 'POST');
      params('cluster.allocation_explain');
      this.requireMaster();
      return { body: explain(this, q, body && body.trim() ? parseBody(body) : undefined) };
    }
    // The 7.x path /_cluster/voting_config_exclusions/{node_name} was removed in 8.0: no handler.
    if (a === '_cluster' && b === 'voting_config_exclusions' && c === undefined) {
      allow('POST', 'DELETE');
      params(method === 'POST' ? 'cluster.post_voting_config_exclusions' : 'cluster.delete_voting_config_exclusions');
      this.requireMaster();
      return method === 'POST' ? addExclusions(this, q) : clearExclusions(this, q);
    }
    if (a === '_cluster' && b === 'state') {
      allow('GET');
      params('cluster.state');
      this.requireMaster();
      return { body: state(this, c) };
    }
    if (a === '_cluster' && b === 'reroute') {
      allow('POST');
      params('cluster.reroute');
      this.requireMaster();
      return { body: reroute(this, q) };
    }
    if (a === '_tasks') {
      allow('GET');
      params(b === undefined ? 'tasks.list' : 'tasks.get');
      return { body: b === undefined ? listTasks(this.world, q) : getTask(this.world, b) };
    }
    if (a === '_snapshot' && seg.at(-1) === '_status' && seg.length <= 4) {
      allow('GET');
      params('snapshot.status');
      this.requireMaster();
      return { body: snapshotsStatus(this.world, seg.length >= 3 ? b : undefined, seg.length === 4 ? c : undefined) };
    }
    if (a === '_snapshot' && seg.length <= 3) return routeSnapshots(this, method, seg, q, body);
    if (a === '_slm' && b === 'policy' && c !== undefined && seg.length === 3) {
      allow('PUT');
      params('slm.put_lifecycle');
      return putSlmPolicy(this, c, body);
    }
    if (a === '_count' || b === '_count') {
      allow('GET', 'POST');
      params('count');
      return { body: count(this, a === '_count' ? undefined : a) };
    }
    if (a === '_flush' || b === '_flush') {
      allow('GET', 'POST');
      params('indices.flush');
      const shards = this.resolveIndices(a === '_flush' ? undefined : a).flatMap((i) => i.shards);
      const total = shards.reduce((n, s) => n + 1 + s.index.replicas, 0);
      const ok = shards.reduce((n, s) => n + s.copies.filter((x) => Cluster.isActive(x)).length, 0);
      return { body: { _shards: { total, successful: ok, failed: 0 } } };
    }
    throw new EsError(400, '_no_handler', `no handler found for uri [/${seg.join('/')}] and method [${method}]`);
  }

  private root(node: EsNode): Json {
    const major = majorOf(node.version);
    return {
      name: node.name,
      cluster_name: this.cluster.clusterName,
      cluster_uuid: this.cluster.clusterUuid,
      version: {
        number: node.version,
        build_flavor: 'default',
        build_type: 'tar',
        build_hash: BUILD_HASH,
        build_date: '2026-10-01T12:00:00.000Z',
        build_snapshot: false,
        lucene_version: major >= 9 ? '10.2.2' : '9.12.1',
        minimum_wire_compatibility_version: major >= 9 ? '8.19.0' : '7.17.0',
        minimum_index_compatibility_version: major >= 9 ? '8.0.0' : '7.0.0',
      },
      tagline: 'You Know, for Search',
    };
  }

  // ------------------------------------------------------------------ health

  // ------------------------------------------------------------------ _nodes

  /** Resolves an index expression (comma list, wildcards, _all). An unknown concrete name is a 404. */
  resolveIndices(expr: string | undefined): Index[] {
    if (expr === undefined || expr === '_all' || expr === '*') return this.cluster.indices;
    const parts = expr.split(',').map((s) => s.trim());
    const out = new Set<Index>();
    for (const p of parts) {
      if (p.includes('*')) {
        for (const ix of this.cluster.indices) if (wildcard(p, ix.name)) out.add(ix);
      } else {
        const ix = this.cluster.indices.find((i) => i.name === p);
        if (!ix) throw indexNotFound(p);
        out.add(ix);
      }
    }
    return this.cluster.indices.filter((i) => out.has(i));
  }
}
