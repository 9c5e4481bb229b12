import { EsError, wildcardMatch as wildcard } from '../model/cluster';
import { isTrue, Query } from './context';

/** `_cat` column catalogues (names, aliases, defaults), `h=`/`s=` selection and text/JSON formatting. */

export type Row = Record<string, string | null>;
export type CatColumns = { defaults: string[]; aliases: Record<string, string>; all?: string[] };

export const NODE_COLUMN_NAMES = [
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
export const NODE_COLUMNS: CatColumns = {
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
export const SHARD_COLUMNS: CatColumns = {
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
export const ALLOCATION_COLUMNS: CatColumns = {
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
export const RECOVERY_COLUMNS: CatColumns = {
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
export const INDEX_COLUMNS: CatColumns = {
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
export const HEALTH_COLUMNS: CatColumns = {
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
export function selectColumns(columns: CatColumns, available: readonly string[], q: Query): string[] {
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

export function formatCat(
  rows: Row[],
  columns: CatColumns,
  q: Query,
  projected = false,
): { body?: unknown; text?: string } {
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

export const NUMERIC = new Intl.Collator('en', { numeric: true });
export const BYTE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
  tb: 1024 ** 4,
  pb: 1024 ** 5,
};

export function formatBytesUnit(n: number, unit: string): string {
  const d = BYTE_UNITS[unit.toLowerCase()];
  if (!d) throw new EsError(400, 'illegal_argument_exception', `failed to parse [bytes] with value [${unit}]`);
  return String(Math.floor(n / d));
}

export function roleLetters(roles: readonly string[]): string {
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

export function formatDuration(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s >= 86400) return `${(s / 86400).toFixed(1)}d`;
  if (s >= 3600) return `${(s / 3600).toFixed(1)}h`;
  if (s >= 60) return `${(s / 60).toFixed(1)}m`;
  if (s >= 1) return `${s.toFixed(1)}s`;
  return `${Math.round(s * 1000)}ms`;
}
