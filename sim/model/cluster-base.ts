import type { ModelParams } from '../scenario';
import {
  type ClusterHost,
  type Copy,
  EsError,
  type EsNode,
  type HealthStatus,
  type Index,
  type NodeLoad,
  type Recovery,
  type Shard,
  worst,
} from './cluster-types';
import { parseByteSize } from './units';
import { clusterSettingProblem, SETTING_DEFAULTS, watermarkFraction } from './settings';
/** Layer 1 of the simulated cluster: its state, cluster settings and the limits they set, recovery bookkeeping, per-node load, and health. */
export abstract class ClusterBase {
  readonly nodes = new Map<string, EsNode>();
  readonly indices: Index[] = [];
  readonly persistent = new Map<string, string>();
  readonly transient = new Map<string, string>();
  readonly recoveries = new Set<Recovery>();
  readonly defaults: Record<string, string>;
  /** Node ids in the last committed voting configuration. */
  votingConfig: string[] = [];
  readonly votingExclusions: { node_id: string; node_name: string }[] = [];
  master: EsNode | undefined;
  term = 1;
  protected electionAt: number | undefined;
  protected recoveryIds = 0;
  // Counters for the report.
  bytesRecovered = 0;
  documentsLost = 0;
  primariesLost = 0;

  constructor(
    readonly clusterName: string,
    readonly clusterUuid: string,
    protected readonly model: ModelParams,
    protected readonly host: ClusterHost,
  ) {
    this.defaults = SETTING_DEFAULTS(model);
  }

  protected filterCache: Record<'exclude' | 'include' | 'require', [string, string[]][]> | undefined;
  protected shardCache: Shard[] | undefined;

  /** Running recoveries per node, kept up to date as recoveries start and stop (throttling reads it often). */
  protected readonly recoveryCounts = new Map<EsNode, { in: number; out: number }>();

  /** Reroute after a change (allocation layer). */
  abstract reroute(): void;

  /** Data nodes that may receive shards (a leaving node is shutting down and receives nothing). */
  protected candidates(): EsNode[] {
    return [...this.nodes.values()].filter((n) => n.state === 'joined' && n.roles.includes('data'));
  }

  // ---------------------------------------------------------------- settings

  setting(key: string): string | undefined {
    return this.transient.get(key) ?? this.persistent.get(key) ?? this.defaults[key];
  }

  protected intSetting(key: string): number {
    return Number(this.setting(key));
  }

  /** Validates one setting update; throws EsError 400 like Elasticsearch. */
  validateSetting(scope: 'persistent' | 'transient', key: string, value: string | null): void {
    const p = clusterSettingProblem(scope, key, value, this.setting(key));
    if (p) throw new EsError(400, 'illegal_argument_exception', p.message);
  }

  applySettings(scope: 'persistent' | 'transient', updates: ReadonlyMap<string, string | null>): void {
    const target = scope === 'persistent' ? this.persistent : this.transient;
    for (const [k, v] of updates) {
      if (v === null) target.delete(k);
      else target.set(k, v);
    }
    this.filterCache = undefined;
    this.memo.clear();
    this.reroute();
  }

  /** Writes index settings (null removes) and re-runs allocation. */
  applyIndexSettings(index: Index, updates: ReadonlyMap<string, string | null>): void {
    for (const [k, v] of updates) {
      if (v === null) index.settings.delete(k);
      else index.settings.set(k, v);
    }
    this.memo.clear();
    this.reroute();
  }

  protected get recoveryRate(): number {
    const r =
      parseByteSize(this.setting('indices.recovery.max_bytes_per_sec') ?? '40mb') ?? this.model.recoveryBytesPerSecond;
    // 0 means unthrottled in Elasticsearch; model it as 10 GiB/s.
    return r > 0 ? r : 10 * 1024 ** 3;
  }

  /** Values derived from settings, cleared whenever settings change. */
  protected readonly memo = new Map<string, number>();

  protected limit(direction: 'incoming' | 'outgoing'): number {
    const key = `limit:${direction}`;
    let v = this.memo.get(key);
    if (v === undefined) {
      v = this.computeLimit(direction);
      this.memo.set(key, v);
    }
    return v;
  }

  protected computeLimit(direction: 'incoming' | 'outgoing'): number {
    const specific =
      this.transient.get(`cluster.routing.allocation.node_concurrent_${direction}_recoveries`) ??
      this.persistent.get(`cluster.routing.allocation.node_concurrent_${direction}_recoveries`);
    if (specific !== undefined) return Number(specific);
    return this.intSetting('cluster.routing.allocation.node_concurrent_recoveries');
  }

  protected filterValues(kind: 'exclude' | 'include' | 'require', attr: string): string[] {
    const v = this.setting(`cluster.routing.allocation.${kind}.${attr}`);
    if (!v) return [];
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }

  protected watermark(name: 'low' | 'high' | 'flood_stage'): number {
    const key = `watermark:${name}`;
    let v = this.memo.get(key);
    if (v === undefined) {
      v = this.computeWatermark(name);
      this.memo.set(key, v);
    }
    return v;
  }

  /**
   * The most bytes a node of `total` bytes may use below a watermark (DiskThresholdSettings): the percentage's free
   * space, capped by the watermark's max_headroom (default 200gb/150gb/100gb, applied only while the watermark
   * itself is not set explicitly). A watermark given in bytes is the free space itself.
   */
  usedLimit(name: 'low' | 'high' | 'flood_stage', total: number): number {
    const memoKey = `used:${name}:${total}`;
    let v = this.memo.get(memoKey);
    if (v === undefined) {
      v = this.computeUsedLimit(name, total);
      this.memo.set(memoKey, v);
    }
    return v;
  }

  protected computeUsedLimit(name: 'low' | 'high' | 'flood_stage', total: number): number {
    const key = `cluster.routing.allocation.disk.watermark.${name}`;
    const value = this.setting(key) ?? '';
    if (watermarkFraction(value) === undefined && parseByteSize(value) !== undefined) {
      return Math.max(0, total - parseByteSize(value)!);
    }
    const explicit = this.transient.has(key) || this.persistent.has(key);
    const hrKey = `${key}.max_headroom`;
    const hrSet = this.transient.get(hrKey) ?? this.persistent.get(hrKey);
    const headroom =
      hrSet !== undefined
        ? hrSet === '-1'
          ? -1
          : (parseByteSize(hrSet) ?? -1)
        : explicit
          ? -1
          : (parseByteSize(this.defaults[hrKey]) ?? -1);
    let free = total * (1 - this.watermark(name));
    if (headroom >= 0) free = Math.min(free, headroom);
    return total - free;
  }

  protected computeWatermark(name: 'low' | 'high' | 'flood_stage'): number {
    const v = this.setting(`cluster.routing.allocation.disk.watermark.${name}`) ?? '';
    const m = /^(\d+(?:\.\d+)?)%$/.exec(v);
    if (m) return Number(m[1]) / 100;
    const r = /^0?\.\d+$/.test(v) ? Number(v) : undefined;
    return r ?? { low: 0.85, high: 0.9, flood_stage: 0.95 }[name];
  }

  /** Every shard, index by index (cached; indices are only ever added). */
  allShards(): readonly Shard[] {
    let n = 0;
    for (const ix of this.indices) n += ix.shards.length;
    if (!this.shardCache || this.shardCache.length !== n) this.shardCache = this.indices.flatMap((ix) => ix.shards);
    return this.shardCache;
  }

  /** Shard copies and bytes per node in one pass (relocation targets count on their target). */
  nodeStats(): Map<EsNode, { shards: number; bytes: number }> {
    const m = new Map<EsNode, { shards: number; bytes: number }>();
    const add = (n: EsNode, bytes: number, count: number) => {
      const e = m.get(n);
      if (e) {
        e.shards += count;
        e.bytes += bytes;
      } else m.set(n, { shards: count, bytes });
    };
    for (const s of this.allShards())
      for (const c of s.copies) {
        if (c.node) add(c.node, s.bytes, 1);
        if (c.relocatingTo) add(c.relocatingTo, s.bytes, 0);
      }
    return m;
  }

  primaryOf(shard: Shard): Copy {
    return shard.copies.find((c) => c.primary)!;
  }

  static isActive(c: Copy): boolean {
    return c.state === 'STARTED' || c.state === 'RELOCATING';
  }

  protected track(r: Recovery, sign: 1 | -1): void {
    if (r.type === 'empty_store' || r.type === 'existing_store') return;
    const bump = (n: EsNode, dir: 'in' | 'out') => {
      let e = this.recoveryCounts.get(n);
      if (!e) {
        e = { in: 0, out: 0 };
        this.recoveryCounts.set(n, e);
      }
      e[dir] += sign;
    };
    bump(r.target, 'in');
    if (r.source) bump(r.source, 'out');
  }

  protected addRecovery(r: Recovery): void {
    this.recoveries.add(r);
    this.track(r, 1);
  }

  protected removeRecovery(r: Recovery): void {
    if (this.recoveries.delete(r)) this.track(r, -1);
  }

  protected countRecoveries(node: EsNode, dir: 'in' | 'out'): number {
    return this.recoveryCounts.get(node)?.[dir] ?? 0;
  }

  usedBytes(node: EsNode): number {
    let used = 0;
    for (const s of this.allShards())
      for (const c of s.copies) {
        if (c.node === node) used += s.bytes;
        if (c.relocatingTo === node) used += s.bytes;
      }
    return used;
  }

  protected loads(): Map<EsNode, NodeLoad> {
    const m = new Map<EsNode, NodeLoad>();
    for (const n of this.candidates()) m.set(n, { shards: 0, perIndex: new Map(), used: 0 });
    for (const n of this.nodes.values()) if (!m.has(n)) m.set(n, { shards: 0, perIndex: new Map(), used: 0 });
    for (const s of this.allShards())
      for (const c of s.copies) {
        if (c.node && c.state !== 'RELOCATING') this.addLoad(m, c.node, s);
        else if (c.node) m.get(c.node)!.used += s.bytes;
        if (c.relocatingTo) this.addLoad(m, c.relocatingTo, s);
      }
    return m;
  }

  protected addLoad(m: Map<EsNode, NodeLoad>, node: EsNode, shard: Shard, sign = 1): void {
    let l = m.get(node);
    if (!l) {
      l = { shards: 0, perIndex: new Map(), used: 0 };
      m.set(node, l);
    }
    l.shards += sign;
    l.used += sign * shard.bytes;
    l.perIndex.set(shard.index, (l.perIndex.get(shard.index) ?? 0) + sign);
  }

  // ---------------------------------------------------------------- health

  shardHealth(shard: Shard): HealthStatus {
    const p = this.primaryOf(shard);
    if (shard.lost) return 'red';
    if (!ClusterBase.isActive(p)) {
      const fresh =
        (p.state === 'UNASSIGNED' &&
          p.unassigned?.reason === 'INDEX_CREATED' &&
          p.failedAttempts === 0 &&
          p.unassigned.lastStatus !== 'decider_no') ||
        (p.state === 'INITIALIZING' && p.recovery?.type === 'empty_store');
      return fresh ? 'yellow' : 'red';
    }
    return shard.copies.every((c) => ClusterBase.isActive(c)) ? 'green' : 'yellow';
  }

  indexHealth(index: Index): HealthStatus {
    return worst(index.shards.map((s) => this.shardHealth(s)));
  }

  status(): HealthStatus {
    return worst(this.indices.map((i) => this.indexHealth(i)));
  }

  /** True when some shard has fewer started copies than 1 + replicas for a reason other than the version rule. */
  underReplicated(): boolean {
    for (const s of this.allShards()) {
      for (const c of s.copies) {
        if (c.state === 'STARTED' || c.state === 'RELOCATING') continue;
        if (c.state === 'UNASSIGNED' && !c.primary && c.unassigned?.versionBlocked && !s.lost) continue;
        return true;
      }
    }
    return false;
  }

  /** Total documents in shards that still have a copy. */
  documentCount(indices: readonly Index[] = this.indices): number {
    let n = 0;
    for (const ix of indices)
      for (const s of ix.shards) if (!s.lost && ClusterBase.isActive(this.primaryOf(s))) n += s.docs;
    return n;
  }
}
