import {
  Cluster,
  Copy,
  DeciderResult,
  EsError,
  EsNode,
  Index,
  Shard,
  wildcardMatch as wildcard,
} from '../model/cluster';
import { compareVersions, humanBytes, majorOf } from '../model/units';
import type { World } from '../model/world';
import { checkParams } from './params';
import { BUILD_HASH, EsContext, hash, isTrue, Json, Query } from './context';
import { health, healthBody, pendingTasks } from './health';
import { nodesInfo } from './nodes';
import { addExclusions, clearExclusions } from './voting';
import { getTask, listTasks } from './tasks';

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
      const rows = this.cat(b, c, q);
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
      return { body: method === 'GET' ? this.getSettings(q) : this.putSettings(q, parseBody(body)) };
    }
    if (a === '_cluster' && b === 'allocation' && c === 'explain') {
      allow('GET', 'POST');
      params('cluster.allocation_explain');
      this.requireMaster();
      return { body: this.explain(q, body && body.trim() ? parseBody(body) : undefined) };
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
      return { body: this.state(c) };
    }
    if (a === '_cluster' && b === 'reroute') {
      allow('POST');
      params('cluster.reroute');
      this.requireMaster();
      return { body: this.reroute(q) };
    }
    if (a === '_tasks') {
      allow('GET');
      params(b === undefined ? 'tasks.list' : 'tasks.get');
      return { body: b === undefined ? listTasks(this.world, q) : getTask(this.world, b) };
    }
    if (a === '_count' || b === '_count') {
      allow('GET', 'POST');
      params('count');
      return { body: this.count(a === '_count' ? undefined : a) };
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

  // ------------------------------------------------------------------ _cat

  private cat(
    what: string | undefined,
    arg: string | undefined,
    q: Query,
  ): { rows: Row[]; columns: CatColumns; projected?: boolean } {
    const bytes = q.get('bytes');
    const fmtBytes = (n: number | undefined) =>
      n === undefined ? null : bytes ? formatBytesUnit(n, bytes) : humanBytes(n);
    switch (what) {
      case 'nodes': {
        const cols = selectColumns(NODE_COLUMNS, NODE_COLUMN_NAMES, q);
        return {
          rows: this.catNodes(q, fmtBytes, cols),
          columns: { ...NODE_COLUMNS, defaults: cols },
          projected: true,
        };
      }
      case 'shards': {
        const cols = selectColumns(SHARD_COLUMNS, SHARD_COLUMNS.all!, q);
        return {
          rows: this.catShards(arg, fmtBytes, cols),
          columns: { ...SHARD_COLUMNS, defaults: cols },
          projected: true,
        };
      }
      case 'allocation':
        return { rows: this.catAllocation(fmtBytes), columns: ALLOCATION_COLUMNS };
      case 'recovery':
        return { rows: this.catRecovery(arg, q, fmtBytes), columns: RECOVERY_COLUMNS };
      case 'indices':
        return { rows: this.catIndices(arg, fmtBytes), columns: INDEX_COLUMNS };
      case 'health':
        return { rows: [this.catHealth()], columns: HEALTH_COLUMNS };
      default:
        throw new EsError(400, '_no_handler', `no handler found for uri [/_cat/${what ?? ''}] and method [GET]`);
    }
  }

  private catNodes(q: Query, fmtBytes: (n?: number) => string | null, cols: string[]): Row[] {
    const fullId = isTrue(q.get('full_id'));
    const master = this.cluster.master;
    const stats = this.cluster.nodeStats();
    return this.cluster
      .joinedNodes()
      .sort((a, b) => NUMERIC.compare(a.ip, b.ip))
      .map((n) => {
        const used = n.roles.includes('data') ? (stats.get(n)?.bytes ?? 0) : Math.round(n.diskTotal * 0.05);
        const row: Row = {};
        for (const col of cols) row[col] = this.nodeCell(col, n, used, fullId, master, stats, fmtBytes);
        return row;
      });
  }

  /** One `_cat/nodes` cell (only requested columns are computed: this API is polled often). */
  private nodeCell(
    col: string,
    n: EsNode,
    used: number,
    fullId: boolean,
    master: EsNode | undefined,
    stats: Map<EsNode, { shards: number; bytes: number }>,
    fmtBytes: (n?: number) => string | null,
  ): string | null {
    switch (col) {
      case 'id':
        return fullId ? n.id : n.id.slice(0, 4);
      case 'pid':
        return String(1000 + (hash(n.name) % 30000));
      case 'ip':
        return n.ip;
      case 'port':
        return '9300';
      case 'http_address':
        return `${n.ip}:9200`;
      case 'version':
        return n.version;
      case 'type':
        return null;
      case 'build':
        return BUILD_HASH.slice(0, 7);
      case 'jdk':
        return '23';
      case 'disk.total':
        return fmtBytes(n.diskTotal);
      case 'disk.used':
        return fmtBytes(used);
      case 'disk.avail':
        return fmtBytes(n.diskTotal - used);
      case 'disk.used_percent':
        return ((100 * used) / n.diskTotal).toFixed(2);
      case 'heap.current':
        return fmtBytes(4 * 1024 ** 3 * 0.42);
      case 'heap.percent':
        return String(30 + (hash(n.name) % 40));
      case 'heap.max':
        return fmtBytes(8 * 1024 ** 3);
      case 'ram.current':
        return fmtBytes(15 * 1024 ** 3);
      case 'ram.percent':
        return String(90 + (hash(n.name) % 9));
      case 'ram.max':
        return fmtBytes(16 * 1024 ** 3);
      case 'file_desc.current':
        return '512';
      case 'file_desc.percent':
        return '0';
      case 'file_desc.max':
        return '65535';
      case 'cpu':
        return String(hash(n.name) % 20);
      case 'load_1m':
        return '0.42';
      case 'load_5m':
        return '0.38';
      case 'load_15m':
        return '0.35';
      case 'uptime':
        return formatDuration(this.world.now - n.startedAt);
      case 'node.role':
        return roleLetters(n.roles);
      case 'node.roles':
        return [...n.roles].sort().join(',');
      case 'master':
        return master === n ? '*' : '-';
      case 'name':
        return n.name;
      case 'shard_stats.total_count':
        return String(stats.get(n)?.shards ?? 0);
      default:
        return null;
    }
  }

  private catShards(indexExpr: string | undefined, fmtBytes: (n?: number) => string | null, cols: string[]): Row[] {
    const rows: Row[] = [];
    for (const ix of this.resolveIndices(indexExpr)) {
      for (const s of ix.shards) {
        for (const c of s.copies) {
          const row: Row = {};
          for (const col of cols) row[col] = this.shardCell(col, ix, s, c, fmtBytes);
          rows.push(row);
        }
      }
    }
    return rows;
  }

  /** One `_cat/shards` cell (computed only for the requested columns: this API is polled often). */
  private shardCell(col: string, ix: Index, s: Shard, c: Copy, fmtBytes: (n?: number) => string | null): string | null {
    const node = c.node;
    const info = c.unassigned;
    const hasData = c.state === 'STARTED' || c.state === 'RELOCATING';
    switch (col) {
      case 'index':
        return ix.name;
      case 'shard':
        return String(s.num);
      case 'prirep':
        return c.primary ? 'p' : 'r';
      case 'state':
        return c.state;
      case 'docs':
        return hasData ? String(s.docs) : null;
      case 'store':
        return hasData ? fmtBytes(s.bytes) : c.state === 'INITIALIZING' ? fmtBytes(c.recovery?.done ?? 0) : null;
      case 'dataset':
        return hasData ? fmtBytes(s.bytes) : null;
      case 'ip':
        return node ? node.ip : null;
      case 'id':
        return node ? node.id : null;
      case 'node':
        if (!node) return null;
        return c.state === 'RELOCATING' && c.relocatingTo
          ? `${node.name} -> ${c.relocatingTo.ip} ${c.relocatingTo.id} ${c.relocatingTo.name}`
          : node.name;
      case 'unassigned.reason':
        return info ? info.reason : null;
      case 'unassigned.at':
        return info ? this.world.isoTime(info.at) : null;
      case 'unassigned.for':
        return info ? formatDuration(this.world.now - info.at) : null;
      case 'unassigned.details':
        return info?.details ?? null;
      case 'recoverysource.type':
        return c.state === 'INITIALIZING' ? (c.recovery?.type === 'empty_store' ? 'empty_store' : 'peer') : null;
      default:
        return null;
    }
  }

  private catAllocation(fmtBytes: (n?: number) => string | null): Row[] {
    const stats = this.cluster.nodeStats();
    const rows: Row[] = this.cluster
      .dataNodes()
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((n) => {
        const indices = stats.get(n)?.bytes ?? 0;
        const used = indices + Math.round(n.diskTotal * 0.01);
        return {
          shards: String(stats.get(n)?.shards ?? 0),
          'shards.undesired': '0',
          'write_load.forecast': '0.0',
          'disk.indices.forecast': fmtBytes(indices),
          'disk.indices': fmtBytes(indices),
          'disk.used': fmtBytes(used),
          'disk.avail': fmtBytes(n.diskTotal - used),
          'disk.total': fmtBytes(n.diskTotal),
          'disk.percent': String(Math.round((100 * used) / n.diskTotal)),
          host: n.ip,
          ip: n.ip,
          node: n.name,
          'node.role': roleLetters(n.roles),
        };
      });
    let unassigned = 0;
    for (const s of this.cluster.allShards()) unassigned += s.copies.filter((c) => c.state === 'UNASSIGNED').length;
    if (unassigned > 0) {
      rows.push({
        shards: String(unassigned),
        'shards.undesired': null,
        'write_load.forecast': null,
        'disk.indices.forecast': null,
        'disk.indices': null,
        'disk.used': null,
        'disk.avail': null,
        'disk.total': null,
        'disk.percent': null,
        host: null,
        ip: null,
        node: 'UNASSIGNED',
        'node.role': null,
      });
    }
    return rows;
  }

  private catRecovery(indexExpr: string | undefined, q: Query, fmtBytes: (n?: number) => string | null): Row[] {
    const activeOnly = isTrue(q.get('active_only'));
    const rows: Row[] = [];
    for (const ix of this.resolveIndices(indexExpr)) {
      for (const s of ix.shards) {
        for (const c of s.copies) {
          if (!c.node && !c.recovery) continue;
          const r = c.recovery ?? c.lastRecovery;
          if (activeOnly && !c.recovery) continue;
          const target = r ? r.target : c.node!;
          const source = r?.source;
          const total = r ? r.total : 0;
          const done = r ? r.done : 0;
          const start = r ? r.start : 0;
          const stop = r?.stop;
          const pct = total === 0 ? '100.0%' : `${((100 * done) / total).toFixed(1)}%`;
          const files = Math.max(1, Math.ceil(total / (512 * 1024 * 1024)));
          const filesDone = total === 0 ? files : Math.floor((files * done) / total);
          rows.push({
            index: ix.name,
            shard: String(s.num),
            start_time: this.world.isoTime(start),
            start_time_millis: String(Math.round(this.world.startEpochMs + start * 1000)),
            stop_time: stop === undefined ? null : this.world.isoTime(stop),
            stop_time_millis: stop === undefined ? null : String(Math.round(this.world.startEpochMs + stop * 1000)),
            time: formatDuration((stop ?? this.world.now) - start),
            type: r ? (r.type === 'relocation' ? 'peer' : r.type) : 'existing_store',
            stage: c.recovery ? 'index' : 'done',
            source_host: source ? source.ip : 'n/a',
            source_node: source ? source.name : 'n/a',
            target_host: target.ip,
            target_node: target.name,
            repository: 'n/a',
            snapshot: 'n/a',
            files: String(files),
            files_recovered: String(filesDone),
            files_percent: pct,
            files_total: String(files),
            bytes: fmtBytes(total),
            bytes_recovered: fmtBytes(Math.floor(done)),
            bytes_percent: pct,
            bytes_total: fmtBytes(total),
            translog_ops: '0',
            translog_ops_recovered: '0',
            translog_ops_percent: '100.0%',
          });
        }
      }
    }
    return rows;
  }

  private catIndices(indexExpr: string | undefined, fmtBytes: (n?: number) => string | null): Row[] {
    return this.resolveIndices(indexExpr).map((ix) => {
      const active = ix.shards.reduce((n, s) => n + s.copies.filter((c) => Cluster.isActive(c)).length, 0);
      return {
        health: this.cluster.indexHealth(ix),
        status: 'open',
        index: ix.name,
        uuid: ix.uuid,
        pri: String(ix.shards.length),
        rep: String(ix.replicas),
        'docs.count': String(this.cluster.documentCount([ix])),
        'docs.deleted': '0',
        'store.size': fmtBytes(active * (ix.bytes / ix.shards.length)),
        'pri.store.size': fmtBytes(ix.shards.filter((s) => !s.lost).reduce((n, s) => n + s.bytes, 0)),
        'dataset.size': fmtBytes(ix.shards.filter((s) => !s.lost).reduce((n, s) => n + s.bytes, 0)),
      };
    });
  }

  private catHealth(): Row {
    const h = healthBody(this, this.cluster.indices, 'cluster');
    const t = this.world.startEpochMs / 1000 + this.world.now;
    return {
      epoch: String(Math.floor(t)),
      timestamp: new Date(t * 1000).toISOString().slice(11, 19),
      cluster: this.cluster.clusterName,
      status: h.status as string,
      'node.total': String(h.number_of_nodes),
      'node.data': String(h.number_of_data_nodes),
      shards: String(h.active_shards),
      pri: String(h.active_primary_shards),
      relo: String(h.relocating_shards),
      init: String(h.initializing_shards),
      'unassign.pri': String(h.unassigned_primary_shards),
      unassign: String(h.unassigned_shards),
      pending_tasks: pendingTasks(this) ? '1' : '0',
      max_task_wait_time: '-',
      active_shards_percent: `${(h.active_shards_percent_as_number as number).toFixed(1)}%`,
    };
  }

  // ------------------------------------------------------------------ _nodes

  // ------------------------------------------------------------------ settings

  private getSettings(q: Query): Json {
    const flat = isTrue(q.get('flat_settings'));
    const shape = (m: ReadonlyMap<string, string> | Record<string, string>) => {
      const entries = m instanceof Map ? [...m.entries()] : Object.entries(m);
      entries.sort(([a], [b]) => a.localeCompare(b));
      return flat ? Object.fromEntries(entries) : nest(entries);
    };
    const out: Json = { persistent: shape(this.cluster.persistent), transient: shape(this.cluster.transient) };
    if (isTrue(q.get('include_defaults'))) {
      const d = Object.fromEntries(
        Object.entries(this.cluster.defaults).filter(
          ([k]) => !this.cluster.persistent.has(k) && !this.cluster.transient.has(k),
        ),
      );
      d['cluster.routing.allocation.exclude._name'] ??= '';
      out.defaults = shape(d);
    }
    return out;
  }

  private putSettings(q: Query, body: unknown): Json {
    if (!isObject(body))
      throw new EsError(400, 'action_request_validation_exception', 'Validation Failed: 1: no settings to update;');
    for (const k of Object.keys(body)) {
      if (k !== 'persistent' && k !== 'transient') {
        throw new EsError(
          400,
          'x_content_parse_exception',
          `[1:2] [cluster_update_settings_request] unknown field [${k}]`,
        );
      }
    }
    const updates: Record<'persistent' | 'transient', Map<string, string | null>> = {
      persistent: new Map(),
      transient: new Map(),
    };
    for (const scope of ['persistent', 'transient'] as const) {
      const v = body[scope];
      if (v === undefined) continue;
      if (!isObject(v)) throw new EsError(400, 'illegal_argument_exception', `[${scope}] must be an object`);
      for (const [k, val] of flatten(v)) {
        this.cluster.validateSetting(scope, k, val);
        updates[scope].set(k, val);
      }
    }
    if (updates.persistent.size === 0 && updates.transient.size === 0) {
      throw new EsError(400, 'action_request_validation_exception', 'Validation Failed: 1: no settings to update;');
    }
    for (const scope of ['persistent', 'transient'] as const) this.cluster.applySettings(scope, updates[scope]);
    const flat = isTrue(q.get('flat_settings'));
    const shown = (m: Map<string, string | null>) => {
      const entries = [...m.entries()].filter((e): e is [string, string] => e[1] !== null);
      return flat ? Object.fromEntries(entries) : nest(entries);
    };
    return { acknowledged: true, persistent: shown(updates.persistent), transient: shown(updates.transient) };
  }

  // ------------------------------------------------------------------ allocation explain

  private explain(q: Query, body: unknown): Json {
    let copy: Copy | undefined;
    if (body === undefined) {
      const all = [...this.cluster.allShards()].flatMap((s) => s.copies).filter((c) => c.state === 'UNASSIGNED');
      copy = all.find((c) => c.primary) ?? all[0];
      if (!copy) {
        throw new EsError(
          400,
          'illegal_argument_exception',
          'No shard was specified in the request which means the response should explain a randomly-chosen unassigned shard, but there are no unassigned shards in this cluster. To explain the allocation of an assigned shard you must specify the target shard in the request. See https://www.elastic.co/guide/en/elasticsearch/reference/8.19/cluster-allocation-explain.html for more information.',
        );
      }
    } else {
      if (!isObject(body)) throw new EsError(400, 'parse_exception', 'request body must be an object');
      for (const k of Object.keys(body)) {
        if (!['index', 'shard', 'primary', 'current_node'].includes(k)) {
          throw new EsError(
            400,
            'x_content_parse_exception',
            `[1:2] [cluster/allocation/explain] unknown field [${k}]`,
          );
        }
      }
      const { index, shard, primary } = body as { index?: unknown; shard?: unknown; primary?: unknown };
      if (typeof index !== 'string' || typeof shard !== 'number' || typeof primary !== 'boolean') {
        throw new EsError(
          400,
          'action_request_validation_exception',
          'Validation Failed: 1: index must be specified;2: shard must be specified;3: primary must be specified;',
        );
      }
      const ix = this.cluster.indices.find((i) => i.name === index);
      if (!ix) throw indexNotFound(index);
      const s = ix.shards[shard];
      if (!s) throw new EsError(400, 'illegal_argument_exception', `No shard was found for [${index}][${shard}]`);
      const currentNode = (body as { current_node?: unknown }).current_node;
      const copies = s.copies.filter((c) => c.primary === primary);
      copy =
        copies.find(
          (c) => typeof currentNode === 'string' && (c.node?.name === currentNode || c.node?.id === currentNode),
        ) ??
        copies.find((c) => c.state === 'UNASSIGNED') ??
        copies[0];
      if (!copy)
        throw new EsError(
          400,
          'illegal_argument_exception',
          `unable to find a shard copy for [${index}][${shard}] primary [${primary}]`,
        );
    }
    const includeYes = isTrue(q.get('include_yes_decisions'));
    const includeDisk = isTrue(q.get('include_disk_info'));
    const shard = copy.shard;
    const base: Json = {
      index: shard.index.name,
      shard: shard.num,
      primary: copy.primary,
      current_state: copy.state.toLowerCase(),
    };
    const decisions = (mode: 'allocate' | 'move' | 'rebalance') =>
      this.cluster
        .dataNodes()
        .filter((n) => n.state === 'joined')
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((n, i) => {
          const results: DeciderResult[] = [];
          const d = this.cluster.evaluate(copy!, n, mode, undefined, results);
          return {
            node_id: n.id,
            node_name: n.name,
            transport_address: `${n.ip}:9300`,
            node_attributes: { 'xpack.installed': 'true', aws_availability_zone: n.az, instance_id: n.name },
            roles: [...n.roles].sort(),
            node_decision: d === 'YES' ? 'yes' : d === 'THROTTLE' ? 'throttled' : 'no',
            weight_ranking: i + 1,
            deciders: (includeYes ? results : results.filter((r) => r.decision !== 'YES')).map((r) => ({ ...r })),
          };
        })
        .map((d) => (d.deciders.length === 0 ? { ...d, deciders: undefined } : d))
        .map((d) => JSON.parse(JSON.stringify(d)) as Json);
    if (includeDisk) {
      base.cluster_info = {
        nodes: Object.fromEntries(
          this.cluster.dataNodes().map((n) => {
            const used = this.cluster.usedBytes(n);
            return [
              n.id,
              {
                node_name: n.name,
                least_available: {
                  path: '/var/lib/elasticsearch',
                  total_bytes: n.diskTotal,
                  used_bytes: used,
                  free_bytes: n.diskTotal - used,
                  free_disk_percent: 100 * (1 - used / n.diskTotal),
                  used_disk_percent: (100 * used) / n.diskTotal,
                },
                most_available: {
                  path: '/var/lib/elasticsearch',
                  total_bytes: n.diskTotal,
                  used_bytes: used,
                  free_bytes: n.diskTotal - used,
                  free_disk_percent: 100 * (1 - used / n.diskTotal),
                  used_disk_percent: (100 * used) / n.diskTotal,
                },
              },
            ];
          }),
        ),
        shard_sizes: {},
        shard_paths: {},
        reserved_sizes: [],
      };
    }
    if (copy.state === 'UNASSIGNED') {
      const info = copy.unassigned!;
      const delayed = info.delayedUntil !== undefined && info.delayedUntil > this.world.now;
      const nodeDecisions = decisions('allocate');
      let canAllocate: string;
      let explanation: string;
      if (shard.lost && copy.primary) {
        canAllocate = 'no_valid_shard_copy';
        explanation =
          "Elasticsearch can't allocate this shard because there are no copies of its data in the cluster. Elasticsearch will allocate this shard when a node holding a good copy of its data joins the cluster. If no such node is available, restore this index from a recent snapshot.";
      } else if (delayed) {
        canAllocate = 'allocation_delayed';
        explanation = `The node containing this shard copy recently left the cluster. Elasticsearch is waiting for it to return. If the node does not return, Elasticsearch will allocate this shard to another node in [${formatDuration(info.delayedUntil! - this.world.now)}]. If the node does not return, restore this shard from a recent snapshot.`;
      } else if (nodeDecisions.some((d) => d.node_decision === 'yes')) {
        canAllocate = 'yes';
        explanation = 'Elasticsearch can allocate the shard.';
      } else if (nodeDecisions.some((d) => d.node_decision === 'throttled')) {
        canAllocate = 'throttled';
        explanation =
          'Elasticsearch is currently busy with other activities. It expects to be able to allocate this shard when those activities finish. Please wait.';
      } else {
        canAllocate = 'no';
        explanation =
          "Elasticsearch isn't allowed to allocate this shard to any of the nodes in the cluster. Choose a node to which you expect this shard to be allocated, find this node in the node-by-node explanation, and address the reasons which prevent Elasticsearch from allocating this shard there.";
      }
      const ui: Json = {
        reason: info.reason,
        at: this.world.isoTime(info.at),
        ...(info.failedAttempts > 0 ? { failed_allocation_attempts: info.failedAttempts } : {}),
        ...(info.details ? { details: info.details } : {}),
        last_allocation_status: info.lastStatus,
      };
      const out: Json = { ...base, unassigned_info: ui, can_allocate: canAllocate, allocate_explanation: explanation };
      if (canAllocate === 'allocation_delayed') {
        const conf = this.world.scenario.model.delayedTimeoutSeconds;
        const remaining = delayed ? info.delayedUntil! - this.world.now : 0;
        out.configured_delay = formatDuration(conf);
        out.configured_delay_in_millis = Math.round(conf * 1000);
        out.remaining_delay = formatDuration(remaining);
        out.remaining_delay_in_millis = Math.round(remaining * 1000);
      }
      out.node_allocation_decisions = nodeDecisions;
      return out;
    }
    const node = copy.node!;
    const current = {
      id: node.id,
      name: node.name,
      transport_address: `${node.ip}:9300`,
      attributes: { 'xpack.installed': 'true', aws_availability_zone: node.az, instance_id: node.name },
      roles: [...node.roles].sort(),
      weight_ranking: 1,
    };
    if (copy.state !== 'STARTED') {
      return {
        ...base,
        current_node: current,
        explanation: `the shard is in the process of ${copy.state === 'RELOCATING' ? 'relocating' : 'initializing'} on node [${node.name}], wait until ${copy.state === 'RELOCATING' ? 'relocation' : 'initialization'} has completed`,
      };
    }
    const refusal = this.cluster.filterRefusal(node);
    if (refusal) {
      const moves = decisions('move').filter((d) => d.node_name !== node.name);
      const canMove = moves.some((d) => d.node_decision === 'yes');
      return {
        ...base,
        current_node: current,
        can_remain_on_current_node: 'no',
        can_remain_decisions: [
          {
            decider: 'filter',
            decision: 'NO',
            explanation: refusal,
          },
        ],
        can_move_to_other_node: canMove ? 'yes' : 'no',
        move_explanation: canMove
          ? 'This shard may not remain on its current node, but Elasticsearch is able to move it to another node.'
          : "This shard may not remain on its current node, but Elasticsearch isn't allowed to move it to another node. Choose a node to which you expect this shard to be allocated, find this node in the node-by-node explanation, and address the reasons which prevent Elasticsearch from allocating this shard there.",
        node_allocation_decisions: moves,
      };
    }
    const rebal = decisions('rebalance').filter((d) => d.node_name !== node.name);
    const canRebalance = this.cluster.setting('cluster.routing.rebalance.enable') !== 'none';
    return {
      ...base,
      current_node: current,
      can_remain_on_current_node: 'yes',
      can_rebalance_cluster: canRebalance ? 'yes' : 'no',
      ...(canRebalance
        ? {}
        : {
            can_rebalance_cluster_decisions: [
              {
                decider: 'enable',
                decision: 'NO',
                explanation: 'no rebalancing is allowed due to cluster setting [cluster.routing.rebalance.enable=none]',
              },
            ],
          }),
      can_rebalance_to_other_node: 'no',
      rebalance_explanation:
        'Elasticsearch cannot rebalance this shard to another node since there is no node to which allocation is permitted which would improve the cluster balance. If you expect this shard to be rebalanced to another node, find this node in the node-by-node explanation and address the reasons which prevent Elasticsearch from rebalancing this shard there.',
      node_allocation_decisions: rebal,
    };
  }

  // ------------------------------------------------------------------ voting exclusions, state, reroute, count

  private state(metricsArg: string | undefined): Json {
    const metrics = new Set((metricsArg ?? '_all').split(','));
    const all = metrics.has('_all');
    const out: Json = { cluster_name: this.cluster.clusterName, cluster_uuid: this.cluster.clusterUuid };
    if (all || metrics.has('version')) {
      out.version = this.cluster.term * 10;
      out.state_uuid = this.cluster.clusterUuid;
    }
    if (all || metrics.has('master_node')) out.master_node = this.cluster.master?.id;
    if (all || metrics.has('nodes')) {
      out.nodes = Object.fromEntries(
        this.cluster.joinedNodes().map((n) => [
          n.id,
          {
            name: n.name,
            ephemeral_id: n.id.split('').reverse().join(''),
            transport_address: `${n.ip}:9300`,
            external_id: n.name,
            attributes: { aws_availability_zone: n.az },
            roles: [...n.roles].sort(),
            version: n.version,
            min_index_version: 7000099,
            max_index_version: 8525000,
          },
        ]),
      );
    }
    if (all || metrics.has('metadata')) {
      out.metadata = {
        cluster_uuid: this.cluster.clusterUuid,
        cluster_uuid_committed: true,
        cluster_coordination: {
          term: this.cluster.term,
          last_committed_config: [...this.cluster.votingConfig],
          last_accepted_config: [...this.cluster.votingConfig],
          voting_config_exclusions: this.cluster.votingExclusions.map((e) => ({ ...e })),
        },
        templates: {},
        indices: Object.fromEntries(
          this.cluster.indices.map((ix) => [
            ix.name,
            {
              version: 1,
              state: 'open',
              settings: {
                index: {
                  number_of_shards: String(ix.shards.length),
                  number_of_replicas: String(ix.replicas),
                  uuid: ix.uuid,
                  creation_date: String(Math.round(this.world.startEpochMs + ix.createdAt * 1000)),
                  provided_name: ix.name,
                },
              },
            },
          ]),
        ),
      };
    }
    if (all || metrics.has('blocks')) out.blocks = {};
    return out;
  }

  private reroute(q: Query): Json {
    if (isTrue(q.get('retry_failed'))) {
      for (const s of this.cluster.allShards()) for (const c of s.copies) c.failedAttempts = 0;
    }
    this.cluster.reroute();
    return { acknowledged: true };
  }

  private count(indexExpr: string | undefined): Json {
    const indices = this.resolveIndices(indexExpr);
    const shards = indices.flatMap((i) => i.shards);
    const failed = shards.filter((s) => s.lost || !Cluster.isActive(this.cluster.primaryOf(s)));
    return {
      count: this.cluster.documentCount(indices),
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
    };
  }

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

// -------------------------------------------------------------------- helpers

type Row = Record<string, string | null>;
type CatColumns = { defaults: string[]; aliases: Record<string, string>; all?: string[] };

const NODE_COLUMN_NAMES = [
  'id',
  'pid',
  'ip',
  'port',
  'http_address',
  'version',
  'type',
  'build',
  'jdk',
  'disk.total',
  'disk.used',
  'disk.avail',
  'disk.used_percent',
  'heap.current',
  'heap.percent',
  'heap.max',
  'ram.current',
  'ram.percent',
  'ram.max',
  'file_desc.current',
  'file_desc.percent',
  'file_desc.max',
  'cpu',
  'load_1m',
  'load_5m',
  'load_15m',
  'uptime',
  'node.role',
  'node.roles',
  'master',
  'name',
  'shard_stats.total_count',
];
const NODE_COLUMNS: CatColumns = {
  defaults: [
    'ip',
    'heap.percent',
    'ram.percent',
    'cpu',
    'load_1m',
    'load_5m',
    'load_15m',
    'node.role',
    'master',
    'name',
  ],
  aliases: {
    i: 'ip',
    v: 'version',
    r: 'node.role',
    role: 'node.role',
    nodeRole: 'node.role',
    m: 'master',
    n: 'name',
    nodeId: 'id',
    p: 'pid',
    hp: 'heap.percent',
    heapPercent: 'heap.percent',
    u: 'uptime',
    dt: 'disk.total',
    du: 'disk.used',
    dup: 'disk.used_percent',
    d: 'disk.avail',
    hm: 'heap.max',
    rp: 'ram.percent',
  },
};
const SHARD_COLUMNS: CatColumns = {
  defaults: ['index', 'shard', 'prirep', 'state', 'docs', 'store', 'dataset', 'ip', 'node'],
  all: [
    'index',
    'shard',
    'prirep',
    'state',
    'docs',
    'store',
    'dataset',
    'ip',
    'id',
    'node',
    'unassigned.reason',
    'unassigned.at',
    'unassigned.for',
    'unassigned.details',
    'recoverysource.type',
  ],
  aliases: {
    i: 'index',
    idx: 'index',
    s: 'shard',
    sh: 'shard',
    p: 'prirep',
    pr: 'prirep',
    primaryOrReplica: 'prirep',
    st: 'state',
    d: 'docs',
    dc: 'docs',
    sto: 'store',
    n: 'node',
    ur: 'unassigned.reason',
    ua: 'unassigned.at',
    uf: 'unassigned.for',
    ud: 'unassigned.details',
    rs: 'recoverysource.type',
  },
};
const ALLOCATION_COLUMNS: CatColumns = {
  defaults: [
    'shards',
    'shards.undesired',
    'write_load.forecast',
    'disk.indices.forecast',
    'disk.indices',
    'disk.used',
    'disk.avail',
    'disk.total',
    'disk.percent',
    'host',
    'ip',
    'node',
    'node.role',
  ],
  aliases: {
    s: 'shards',
    di: 'disk.indices',
    du: 'disk.used',
    da: 'disk.avail',
    dt: 'disk.total',
    dp: 'disk.percent',
    h: 'host',
    n: 'node',
    r: 'node.role',
  },
};
const RECOVERY_COLUMNS: CatColumns = {
  defaults: [
    'index',
    'shard',
    'time',
    'type',
    'stage',
    'source_host',
    'source_node',
    'target_host',
    'target_node',
    'repository',
    'snapshot',
    'files',
    'files_recovered',
    'files_percent',
    'files_total',
    'bytes',
    'bytes_recovered',
    'bytes_percent',
    'bytes_total',
    'translog_ops',
    'translog_ops_recovered',
    'translog_ops_percent',
  ],
  aliases: {
    i: 'index',
    s: 'shard',
    t: 'time',
    ty: 'type',
    st: 'stage',
    shost: 'source_host',
    snode: 'source_node',
    thost: 'target_host',
    tnode: 'target_node',
    b: 'bytes',
    br: 'bytes_recovered',
    bp: 'bytes_percent',
    tb: 'bytes_total',
  },
};
const INDEX_COLUMNS: CatColumns = {
  defaults: [
    'health',
    'status',
    'index',
    'uuid',
    'pri',
    'rep',
    'docs.count',
    'docs.deleted',
    'store.size',
    'pri.store.size',
    'dataset.size',
  ],
  aliases: {
    h: 'health',
    s: 'status',
    i: 'index',
    idx: 'index',
    id: 'uuid',
    p: 'pri',
    r: 'rep',
    dc: 'docs.count',
    ss: 'store.size',
  },
};
const HEALTH_COLUMNS: CatColumns = {
  defaults: [
    'epoch',
    'timestamp',
    'cluster',
    'status',
    'node.total',
    'node.data',
    'shards',
    'pri',
    'relo',
    'init',
    'unassign.pri',
    'unassign',
    'pending_tasks',
    'max_task_wait_time',
    'active_shards_percent',
  ],
  aliases: {},
};

/** The columns a `_cat` request asks for (`h`, with aliases and wildcards), validated against `available`. */
function selectColumns(columns: CatColumns, available: readonly string[], q: Query): string[] {
  const h = q.get('h');
  if (!h) return columns.defaults;
  const cols: string[] = [];
  for (const raw of h
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x)) {
    if (raw.includes('*')) {
      cols.push(...available.filter((k) => wildcard(raw, k)));
      continue;
    }
    const name = columns.aliases[raw] ?? raw;
    if (!available.includes(name))
      throw new EsError(400, 'illegal_argument_exception', `Unable to find column [${raw}]`);
    cols.push(name);
  }
  return cols;
}

function formatCat(rows: Row[], columns: CatColumns, q: Query, projected = false): { body?: unknown; text?: string } {
  const available = rows.length > 0 ? Object.keys(rows[0]) : [...columns.defaults, ...Object.values(columns.aliases)];
  const cols = projected ? columns.defaults : selectColumns(columns, available, q);
  let out = projected ? rows : rows.map((r) => Object.fromEntries(cols.map((c) => [c, r[c] ?? null])) as Row);
  const sort = q.get('s');
  if (sort) {
    const keys = sort.split(',').map((k) => {
      const [col, dir] = k.split(':');
      return { col: columns.aliases[col] ?? col, desc: dir === 'desc' };
    });
    const full = rows.map((r, i) => ({ r, o: out[i] }));
    full.sort((x, y) => {
      for (const k of keys) {
        const a = x.r[k.col] ?? '';
        const b = y.r[k.col] ?? '';
        const c = NUMERIC.compare(a, b);
        if (c !== 0) return k.desc ? -c : c;
      }
      return 0;
    });
    out = full.map((f) => f.o);
  }
  if (q.get('format') === 'json') return { body: out };
  const verbose = isTrue(q.get('v'));
  const table = [...(verbose ? [cols] : []), ...out.map((r) => cols.map((c) => r[c] ?? ''))];
  const widths = cols.map((_, i) => Math.max(...table.map((row) => row[i].length), 0));
  return {
    text: table
      .map(
        (row) =>
          row
            .map((v, i) => v.padEnd(widths[i]))
            .join(' ')
            .trimEnd() + '\n',
      )
      .join(''),
  };
}

const NUMERIC = new Intl.Collator('en', { numeric: true });
const BYTE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
  tb: 1024 ** 4,
  pb: 1024 ** 5,
};

function formatBytesUnit(n: number, unit: string): string {
  const d = BYTE_UNITS[unit.toLowerCase()];
  if (!d) throw new EsError(400, 'illegal_argument_exception', `failed to parse [bytes] with value [${unit}]`);
  return String(Math.floor(n / d));
}

function roleLetters(roles: readonly string[]): string {
  const map: Record<string, string> = {
    master: 'm',
    data: 'd',
    ingest: 'i',
    ml: 'l',
    remote_cluster_client: 'r',
    transform: 't',
  };
  return roles
    .map((r) => map[r] ?? '')
    .sort()
    .join('');
}

function formatDuration(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s >= 86400) return `${(s / 86400).toFixed(1)}d`;
  if (s >= 3600) return `${(s / 3600).toFixed(1)}h`;
  if (s >= 60) return `${(s / 60).toFixed(1)}m`;
  if (s >= 1) return `${s.toFixed(1)}s`;
  return `${Math.round(s * 1000)}ms`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseBody(body: string | undefined): unknown {
  if (body === undefined || body.trim() === '') return undefined;
  try {
    return JSON.parse(body);
  } catch (e) {
    throw new EsError(400, 'x_content_parse_exception', `request body is not valid JSON: ${(e as Error).message}`);
  }
}

function indexNotFound(name: string): EsError {
  return new EsError(404, 'index_not_found_exception', `no such index [${name}]`);
}

/** Flattens a settings object to dotted keys; arrays become comma lists; null removes. */
function flatten(obj: Record<string, unknown>, prefix = ''): [string, string | null][] {
  const out: [string, string | null][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v === null) out.push([key, null]);
    else if (Array.isArray(v)) out.push([key, v.map(String).join(',')]);
    else if (typeof v === 'object') out.push(...flatten(v as Record<string, unknown>, key));
    else out.push([key, String(v)]);
  }
  return out;
}

function nest(entries: [string, string][]): Json {
  const root: Json = {};
  for (const [k, v] of entries) {
    const parts = k.split('.');
    let cur = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const p = parts[i];
      if (!isObject(cur[p])) cur[p] = {};
      cur = cur[p] as Json;
    }
    cur[parts[parts.length - 1]] = v;
  }
  return root;
}

/** Elasticsearch's `filter_path`: comma-separated dotted paths with `*` (one level) and `**` (any depth). */
export function filterPath(value: unknown, spec: string): unknown {
  const paths = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('-'))
    .map((s) => s.split('.'));
  if (paths.length === 0) return value;
  const r = filterNode(value, paths);
  return r === undefined ? {} : r;
}

function filterNode(value: unknown, paths: string[][]): unknown {
  if (paths.some((p) => p.length === 0)) return value;
  if (Array.isArray(value)) {
    const items = value.map((v) => filterNode(v, paths)).filter((v) => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (!isObject(value)) return undefined;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    const next: string[][] = [];
    for (const p of paths) {
      if (p[0] === '**') {
        next.push(p);
        if (p.length > 1 && wildcard(p[1], k)) next.push(p.slice(2));
      } else if (wildcard(p[0], k)) next.push(p.slice(1));
    }
    if (next.length === 0) continue;
    const r = filterNode(v, next);
    if (r !== undefined) out[k] = r;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
