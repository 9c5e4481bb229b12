import { Cluster, Copy, EsError, EsNode, Index, Shard } from '../model/cluster';
import { humanBytes } from '../model/units';
import { BUILD_HASH, EsContext, hash, isTrue, Query } from './context';
import { healthBody, pendingTasks } from './health';
import {
  ALLOCATION_COLUMNS,
  CatColumns,
  formatBytesUnit,
  formatDuration,
  HEALTH_COLUMNS,
  INDEX_COLUMNS,
  NUMERIC,
  NODE_COLUMN_NAMES,
  NODE_COLUMNS,
  RECOVERY_COLUMNS,
  roleLetters,
  Row,
  selectColumns,
  SHARD_COLUMNS,
} from './cat-columns';

/** The `_cat` APIs (nodes, shards, allocation, recovery, indices, health): rows computed from the model. */

export function cat(
  ctx: EsContext,
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
        rows: catNodes(ctx, q, fmtBytes, cols),
        columns: { ...NODE_COLUMNS, defaults: cols },
        projected: true,
      };
    }
    case 'shards': {
      const cols = selectColumns(SHARD_COLUMNS, SHARD_COLUMNS.all!, q);
      return {
        rows: catShards(ctx, arg, fmtBytes, cols),
        columns: { ...SHARD_COLUMNS, defaults: cols },
        projected: true,
      };
    }
    case 'allocation':
      return { rows: catAllocation(ctx, fmtBytes), columns: ALLOCATION_COLUMNS };
    case 'recovery':
      return { rows: catRecovery(ctx, arg, q, fmtBytes), columns: RECOVERY_COLUMNS };
    case 'indices':
      return { rows: catIndices(ctx, arg, fmtBytes), columns: INDEX_COLUMNS };
    case 'health':
      return { rows: [catHealth(ctx)], columns: HEALTH_COLUMNS };
    default:
      throw new EsError(400, '_no_handler', `no handler found for uri [/_cat/${what ?? ''}] and method [GET]`);
  }
}

export function catNodes(ctx: EsContext, q: Query, fmtBytes: (n?: number) => string | null, cols: string[]): Row[] {
  const fullId = isTrue(q.get('full_id'));
  const master = ctx.cluster.master;
  const stats = ctx.cluster.nodeStats();
  return ctx.cluster
    .joinedNodes()
    .sort((a, b) => NUMERIC.compare(a.ip, b.ip))
    .map((n) => {
      const used = n.roles.includes('data') ? (stats.get(n)?.bytes ?? 0) : Math.round(n.diskTotal * 0.05);
      const row: Row = {};
      for (const col of cols) row[col] = nodeCell(ctx, col, n, used, fullId, master, stats, fmtBytes);
      return row;
    });
}

/** One `_cat/nodes` cell (only requested columns are computed: this API is polled often). */
export function nodeCell(
  ctx: EsContext,
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
      return formatDuration(ctx.world.now - n.startedAt);
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

export function catShards(
  ctx: EsContext,
  indexExpr: string | undefined,
  fmtBytes: (n?: number) => string | null,
  cols: string[],
): Row[] {
  const rows: Row[] = [];
  for (const ix of ctx.resolveIndices(indexExpr)) {
    for (const s of ix.shards) {
      for (const c of s.copies) {
        const row: Row = {};
        for (const col of cols) row[col] = shardCell(ctx, col, ix, s, c, fmtBytes);
        rows.push(row);
      }
    }
  }
  return rows;
}

/** One `_cat/shards` cell (computed only for the requested columns: this API is polled often). */
export function shardCell(
  ctx: EsContext,
  col: string,
  ix: Index,
  s: Shard,
  c: Copy,
  fmtBytes: (n?: number) => string | null,
): string | null {
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
      return info ? ctx.world.isoTime(info.at) : null;
    case 'unassigned.for':
      return info ? formatDuration(ctx.world.now - info.at) : null;
    case 'unassigned.details':
      return info?.details ?? null;
    case 'recoverysource.type':
      return c.state === 'INITIALIZING' ? (c.recovery?.type === 'empty_store' ? 'empty_store' : 'peer') : null;
    default:
      return null;
  }
}

export function catAllocation(ctx: EsContext, fmtBytes: (n?: number) => string | null): Row[] {
  const stats = ctx.cluster.nodeStats();
  const rows: Row[] = ctx.cluster
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
  for (const s of ctx.cluster.allShards()) unassigned += s.copies.filter((c) => c.state === 'UNASSIGNED').length;
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

export function catRecovery(
  ctx: EsContext,
  indexExpr: string | undefined,
  q: Query,
  fmtBytes: (n?: number) => string | null,
): Row[] {
  const activeOnly = isTrue(q.get('active_only'));
  const rows: Row[] = [];
  for (const ix of ctx.resolveIndices(indexExpr)) {
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
          start_time: ctx.world.isoTime(start),
          start_time_millis: String(Math.round(ctx.world.startEpochMs + start * 1000)),
          stop_time: stop === undefined ? null : ctx.world.isoTime(stop),
          stop_time_millis: stop === undefined ? null : String(Math.round(ctx.world.startEpochMs + stop * 1000)),
          time: formatDuration((stop ?? ctx.world.now) - start),
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

export function catIndices(
  ctx: EsContext,
  indexExpr: string | undefined,
  fmtBytes: (n?: number) => string | null,
): Row[] {
  return ctx.resolveIndices(indexExpr).map((ix) => {
    const active = ix.shards.reduce((n, s) => n + s.copies.filter((c) => Cluster.isActive(c)).length, 0);
    return {
      health: ctx.cluster.indexHealth(ix),
      status: 'open',
      index: ix.name,
      uuid: ix.uuid,
      pri: String(ix.shards.length),
      rep: String(ix.replicas),
      'docs.count': String(ctx.cluster.documentCount([ix])),
      'docs.deleted': '0',
      'store.size': fmtBytes(active * (ix.bytes / ix.shards.length)),
      'pri.store.size': fmtBytes(ix.shards.filter((s) => !s.lost).reduce((n, s) => n + s.bytes, 0)),
      'dataset.size': fmtBytes(ix.shards.filter((s) => !s.lost).reduce((n, s) => n + s.bytes, 0)),
    };
  });
}

export function catHealth(ctx: EsContext): Row {
  const h = healthBody(ctx, ctx.cluster.indices, 'cluster');
  const t = ctx.world.startEpochMs / 1000 + ctx.world.now;
  return {
    epoch: String(Math.floor(t)),
    timestamp: new Date(t * 1000).toISOString().slice(11, 19),
    cluster: ctx.cluster.clusterName,
    status: h.status as string,
    'node.total': String(h.number_of_nodes),
    'node.data': String(h.number_of_data_nodes),
    shards: String(h.active_shards),
    pri: String(h.active_primary_shards),
    relo: String(h.relocating_shards),
    init: String(h.initializing_shards),
    'unassign.pri': String(h.unassigned_primary_shards),
    unassign: String(h.unassigned_shards),
    pending_tasks: pendingTasks(ctx) ? '1' : '0',
    max_task_wait_time: '-',
    active_shards_percent: `${(h.active_shards_percent_as_number as number).toFixed(1)}%`,
  };
}
