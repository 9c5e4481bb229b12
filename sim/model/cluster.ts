import type { ModelParams } from '../scenario';
import { clusterSettingProblem, SETTING_DEFAULTS, watermarkFraction } from './settings';
import { compareVersions, humanBytes, parseByteSize, parseTimeValue } from './units';

export { SETTING_DEFAULTS };

/**
 * The Elasticsearch side of the simulated world: nodes, indices and shard copies, allocation deciders, throttled
 * recoveries, the balancer, masters and the voting configuration, cluster settings and health.
 *
 * Pure model: no I/O and no clock. Time comes from the `ClusterHost` (the world), which also schedules timed events.
 */

export type NodeState = 'pending' | 'booting' | 'joined' | 'leaving' | 'gone';
export type Role = 'master' | 'data';

export interface EsNode {
  /** Node name = EC2 instance id. */
  readonly name: string;
  /** Elasticsearch node id (random, 22 characters). */
  readonly id: string;
  readonly ip: string;
  readonly roles: readonly string[];
  readonly group: Role;
  readonly version: string;
  readonly az: string;
  readonly diskTotal: number;
  state: NodeState;
  startedAt: number;
  joinedAt?: number;
  /** Set while the node has booted but may not join (no master, or the version join rule). */
  joinBlocked?: string;
  /** The process is dead but the master has not noticed yet (failure detection): still in the cluster state. */
  dead?: boolean;
}

/** Seconds after index creation during which a replica's first allocation copies no bytes (see startAllocation). */
const NEW_INDEX_REPLICA_WINDOW_SECONDS = 60;

export type CopyState = 'UNASSIGNED' | 'INITIALIZING' | 'STARTED' | 'RELOCATING';

export interface UnassignedInfo {
  reason: string;
  at: number;
  delayedUntil?: number;
  failedAttempts: number;
  details?: string;
  lastStatus: string;
  /** Set when every allocation was refused by node_version alone (the documented rolling-upgrade yellow). */
  versionBlocked?: boolean;
}

export interface Recovery {
  readonly id: number;
  readonly shard: Shard;
  /** empty_store: a new primary; peer: a replica copying from its primary; relocation: a move (cat shows "peer"). */
  readonly type: 'empty_store' | 'existing_store' | 'peer' | 'relocation';
  source?: EsNode;
  readonly target: EsNode;
  readonly copy: Copy;
  /** Bytes to copy; grows while documents are written to the shard (operations to replay). */
  total: number;
  done: number;
  rate: number;
  readonly start: number;
  stop?: number;
  readonly rebalance: boolean;
}

export interface Copy {
  readonly shard: Shard;
  primary: boolean;
  state: CopyState;
  node?: EsNode;
  /** On a RELOCATING copy: where it is going (the target copy is INITIALIZING there). */
  relocatingTo?: EsNode;
  recovery?: Recovery;
  lastRecovery?: Recovery;
  unassigned?: UnassignedInfo;
  /** Counts failed allocation attempts (max_retry). */
  failedAttempts: number;
  /** Where the copy was allocated from (for a new primary: fresh). */
  allocationId: string;
  /**
   * An unassigned copy whose files are still on a node whose Elasticsearch process stopped (es-process-down): when
   * the node comes back, the copy is recovered there from its own store (a primary) or by replaying the operations
   * written since (a replica), instead of copying the shard.
   */
  dataOn?: EsNode;
  /** The shard's `writtenBytes` when the copy's data was left on `dataOn`. */
  dataWrittenAt?: number;
}

export interface Shard {
  readonly index: Index;
  readonly num: number;
  docs: number;
  bytes: number;
  /** Bytes indexed since the start (write-load); a stale copy replays what was written after it left. */
  writtenBytes: number;
  /** copies[0] is the primary slot at creation; promotion swaps the `primary` flag. */
  readonly copies: Copy[];
  lost: boolean;
}

export interface Index {
  readonly name: string;
  readonly uuid: string;
  readonly shards: Shard[];
  readonly replicas: number;
  readonly createdAt: number;
  docs: number;
  bytes: number;
  /** Index settings written through the API or an index-setting fault (index.routing.allocation.* and a few more). */
  readonly settings: Map<string, string>;
}

export interface DeciderResult {
  readonly decider: string;
  readonly decision: 'YES' | 'NO' | 'THROTTLE';
  readonly explanation: string;
}

export type HealthStatus = 'green' | 'yellow' | 'red';

export interface ClusterHost {
  now(): number;
  /** Ask the world to call `cluster.onTimer(kind)` at `time`. */
  schedule(time: number, kind: 'reroute' | 'election'): void;
  /** A notable world event for the report (e.g. a primary lost). */
  note(action: string, node: string | undefined, reason: string): void;
  token(): string;
  /** ISO-8601 wall time of a virtual second. */
  isoTime(t: number): string;
}

/** Thrown for a request the cluster refuses; the HTTP face turns it into an Elasticsearch error body. */
export class EsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    reason: string,
  ) {
    super(reason);
  }
}

interface NodeLoad {
  shards: number;
  perIndex: Map<Index, number>;
  used: number;
}

export class Cluster {
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
  private electionAt: number | undefined;
  private recoveryIds = 0;
  // Counters for the report.
  bytesRecovered = 0;
  documentsLost = 0;
  primariesLost = 0;

  constructor(
    readonly clusterName: string,
    readonly clusterUuid: string,
    private readonly model: ModelParams,
    private readonly host: ClusterHost,
  ) {
    this.defaults = SETTING_DEFAULTS(model);
  }

  // ---------------------------------------------------------------- settings

  setting(key: string): string | undefined {
    return this.transient.get(key) ?? this.persistent.get(key) ?? this.defaults[key];
  }

  private intSetting(key: string): number {
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

  private get recoveryRate(): number {
    const r =
      parseByteSize(this.setting('indices.recovery.max_bytes_per_sec') ?? '40mb') ?? this.model.recoveryBytesPerSecond;
    // 0 means unthrottled in Elasticsearch; model it as 10 GiB/s.
    return r > 0 ? r : 10 * 1024 ** 3;
  }

  /** Values derived from settings, cleared whenever settings change. */
  private readonly memo = new Map<string, number>();

  private limit(direction: 'incoming' | 'outgoing'): number {
    const key = `limit:${direction}`;
    let v = this.memo.get(key);
    if (v === undefined) {
      v = this.computeLimit(direction);
      this.memo.set(key, v);
    }
    return v;
  }

  private computeLimit(direction: 'incoming' | 'outgoing'): number {
    const specific =
      this.transient.get(`cluster.routing.allocation.node_concurrent_${direction}_recoveries`) ??
      this.persistent.get(`cluster.routing.allocation.node_concurrent_${direction}_recoveries`);
    if (specific !== undefined) return Number(specific);
    return this.intSetting('cluster.routing.allocation.node_concurrent_recoveries');
  }

  private filterValues(kind: 'exclude' | 'include' | 'require', attr: string): string[] {
    const v = this.setting(`cluster.routing.allocation.${kind}.${attr}`);
    if (!v) return [];
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }

  private watermark(name: 'low' | 'high' | 'flood_stage'): number {
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

  private computeUsedLimit(name: 'low' | 'high' | 'flood_stage', total: number): number {
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

  private computeWatermark(name: 'low' | 'high' | 'flood_stage'): number {
    const v = this.setting(`cluster.routing.allocation.disk.watermark.${name}`) ?? '';
    const m = /^(\d+(?:\.\d+)?)%$/.exec(v);
    if (m) return Number(m[1]) / 100;
    const r = /^0?\.\d+$/.test(v) ? Number(v) : undefined;
    return r ?? { low: 0.85, high: 0.9, flood_stage: 0.95 }[name];
  }

  // ---------------------------------------------------------------- nodes

  addNode(node: EsNode): void {
    this.nodes.set(node.name, node);
  }

  joinedNodes(): EsNode[] {
    return [...this.nodes.values()].filter((n) => n.state === 'joined' || n.state === 'leaving');
  }

  dataNodes(): EsNode[] {
    return this.joinedNodes().filter((n) => n.roles.includes('data'));
  }

  /** Data nodes that may receive shards (a leaving node is shutting down and receives nothing). */
  private candidates(): EsNode[] {
    return [...this.nodes.values()].filter((n) => n.state === 'joined' && n.roles.includes('data'));
  }

  /** A booted node asks to join. Succeeds when a master exists and the version join rule allows it. */
  tryJoin(node: EsNode): boolean {
    if (node.state !== 'booting') return false;
    if (!this.master) {
      node.joinBlocked = 'master_not_discovered';
      return false;
    }
    const joined = this.joinedNodes();
    const minVersion = joined.reduce<string | undefined>(
      (m, n) => (m === undefined || compareVersions(n.version, m) < 0 ? n.version : m),
      undefined,
    );
    if (minVersion && compareVersions(node.version, minVersion) < 0) {
      node.joinBlocked = `node version [${node.version}] may not join a cluster comprising only nodes of version [${minVersion}] or greater`;
      return false;
    }
    node.joinBlocked = undefined;
    node.state = 'joined';
    node.joinedAt = this.host.now();
    this.afterMembershipChange();
    return true;
  }

  /** Retries joins of booted nodes (after an election or a membership change). */
  private retryJoins(): void {
    for (const n of this.nodes.values()) if (n.state === 'booting' && n.joinBlocked !== undefined) this.tryJoin(n);
  }

  /** Graceful shutdown started: the node stays in the cluster until `leave`. */
  markLeaving(name: string): void {
    const n = this.nodes.get(name);
    if (n && n.state === 'joined') n.state = 'leaving';
    this.reroute();
  }

  /**
   * The node is gone (stopped or crashed): its copies are lost to the cluster. With `keepsData` (the process stopped,
   * the instance and its volume remain) the copies' files stay on the node: see `Copy.dataOn`.
   */
  leave(name: string, keepsData = false): void {
    const node = this.nodes.get(name);
    if (!node || node.state === 'gone') return;
    const wasJoined = node.state === 'joined' || node.state === 'leaving';
    node.state = 'gone';
    node.dead = undefined;
    if (!wasJoined) return;
    this.failNodeCopies(node, keepsData);
    this.afterMembershipChange(node);
  }

  /** Elasticsearch starts again on a node whose process had stopped (its instance stayed up). */
  restart(name: string): void {
    const node = this.nodes.get(name);
    if (!node || node.state !== 'gone') return;
    node.state = 'booting';
    node.startedAt = this.host.now();
  }

  /**
   * The node's volume is gone (its instance terminated): stale copies on it can no longer be recovered. A shard whose
   * only valid copy was there is lost.
   */
  dataDestroyed(name: string): void {
    const node = this.nodes.get(name);
    if (!node) return;
    for (const shard of this.allShards()) {
      for (const c of shard.copies) {
        if (c.dataOn !== node) continue;
        c.dataOn = undefined;
        if (c.primary && c.state === 'UNASSIGNED' && !shard.lost && c.unassigned?.reason !== 'INDEX_CREATED') {
          this.loseShard(shard, node);
        }
      }
    }
    this.reroute();
  }

  private loseShard(shard: Shard, node: EsNode): void {
    const now = this.host.now();
    shard.lost = true;
    this.documentsLost += shard.docs;
    this.primariesLost++;
    this.host.note(
      'primary-lost',
      node.name,
      `[${shard.index.name}][${shard.num}] had no other started copy: ${shard.docs} documents lost`,
    );
    for (const c of shard.copies) {
      if (c.recovery) this.cancelRecovery(c.recovery);
      c.relocatingTo = undefined;
      c.dataOn = undefined;
      this.unassign(c, 'NODE_LEFT', now, undefined, `node_left [${node.id}]`);
      c.unassigned!.lastStatus = c.primary ? 'no_valid_shard_copy' : 'no_attempt';
    }
  }

  /** Stops reconfiguring the voting configuration (a master too busy to publish; voting-exclusion-timeout). */
  reconfigurationStalled = false;

  /** Ends a stall: the pending reconfiguration happens, and an excluded master steps down. */
  resumeReconfiguration(): void {
    this.reconfigurationStalled = false;
    const excluded = new Set(this.votingExclusions.map((e) => e.node_id));
    if (this.master && excluded.has(this.master.id)) this.failover(0);
    this.reconfigure();
  }

  /**
   * Indexes `count` documents into the index, spread evenly over its shards (`carry` keeps fractions between calls).
   * A shard without an active primary rejects its writes. Running recoveries of a shard get the new bytes to replay.
   * Returns the acknowledged and rejected counts.
   */
  write(index: Index, count: number): { acked: number; rejected: number } {
    let acked = 0;
    let rejected = 0;
    const bytesPerDoc = index.docs > 0 ? index.bytes / index.docs : 1024;
    const n = index.shards.length;
    for (const shard of index.shards) {
      const docs = Math.floor(count / n) + (shard.num < count % n ? 1 : 0);
      if (docs === 0) continue;
      const p = this.primaryOf(shard);
      if (shard.lost || !Cluster.isActive(p)) {
        rejected += docs;
        continue;
      }
      const bytes = docs * bytesPerDoc;
      shard.docs += docs;
      shard.bytes += bytes;
      shard.writtenBytes += bytes;
      index.docs += docs;
      index.bytes += bytes;
      for (const c of shard.copies) if (c.recovery) c.recovery.total += bytes;
      acked += docs;
    }
    return { acked, rejected };
  }

  private afterMembershipChange(left?: EsNode): void {
    this.updateMastership(left);
    this.reconfigure();
    this.retryJoins();
    this.reroute();
  }

  // ---------------------------------------------------------------- masters

  private liveMasterIds(): Set<string> {
    return new Set(
      this.joinedNodes()
        .filter((n) => n.roles.includes('master'))
        .map((n) => n.id),
    );
  }

  hasQuorum(config: readonly string[] = this.votingConfig): boolean {
    if (config.length === 0) return false;
    const live = this.liveMasterIds();
    const votes = config.filter((id) => live.has(id)).length;
    return votes * 2 > config.length;
  }

  private updateMastership(left?: EsNode): void {
    const now = this.host.now();
    if (this.master && (this.master.state !== 'joined' || !this.hasQuorum())) {
      const lostMaster = this.master;
      this.master = undefined;
      this.host.note('master-lost', lostMaster.name, left === lostMaster ? 'elected master left' : 'lost quorum');
    }
    if (!this.master) {
      if (this.hasQuorum()) {
        if (this.electionAt === undefined) {
          this.electionAt = now + this.model.electionSeconds;
          if (this.model.electionSeconds === 0) this.elect();
          else this.host.schedule(this.electionAt, 'election');
        }
      } else {
        this.electionAt = undefined;
      }
    }
  }

  /** The elected master stops being master (fault, or abdication after a voting exclusion). */
  failover(delaySeconds: number): void {
    if (!this.master) return;
    this.host.note('master-failover', this.master.name, 'elected master stepped down');
    this.steppedDown = this.master;
    this.master = undefined;
    // The delayed-allocation clock restarts on a new master (elapsed delay is forgotten).
    for (const s of this.allShards())
      for (const c of s.copies)
        if (c.unassigned?.delayedUntil !== undefined)
          c.unassigned.delayedUntil = this.host.now() + this.model.delayedTimeoutSeconds;
    this.electionAt = undefined;
    if (this.hasQuorum()) {
      this.electionAt = this.host.now() + delaySeconds;
      if (delaySeconds === 0) this.elect();
      else this.host.schedule(this.electionAt, 'election');
    }
  }

  /** The master that last stepped down: another node wins the next election when one can. */
  private steppedDown: EsNode | undefined;

  private elect(): void {
    this.electionAt = undefined;
    if (this.master || !this.hasQuorum()) return;
    const excluded = new Set(this.votingExclusions.map((e) => e.node_id));
    const live = this.joinedNodes()
      .filter((n) => n.roles.includes('master') && n.state === 'joined' && this.votingConfig.includes(n.id))
      .sort(
        (a, b) =>
          Number(excluded.has(a.id)) - Number(excluded.has(b.id)) ||
          Number(a === this.steppedDown) - Number(b === this.steppedDown) ||
          a.name.localeCompare(b.name),
      );
    if (live.length === 0) return;
    this.master = live[0];
    this.term++;
    this.host.note('master-elected', this.master.name, `term ${this.term}`);
    // Delays restart on the new master.
    for (const s of this.allShards())
      for (const c of s.copies)
        if (c.unassigned?.delayedUntil !== undefined) {
          c.unassigned.delayedUntil = this.host.now() + this.model.delayedTimeoutSeconds;
          this.host.schedule(c.unassigned.delayedUntil, 'reroute');
        }
    this.reconfigure();
    this.retryJoins();
    this.reroute();
  }

  onTimer(kind: 'reroute' | 'election'): void {
    if (kind === 'election') {
      if (this.electionAt !== undefined && this.electionAt <= this.host.now()) this.elect();
    } else this.reroute();
  }

  /**
   * Reconfigure the voting configuration like Elasticsearch's Reconfigurator with auto-shrink: live, non-excluded
   * master-eligible nodes, rounded down to an odd number (at least 3 when available), preferring current members.
   */
  private reconfigure(): void {
    if (!this.master || this.reconfigurationStalled) return;
    const excluded = new Set(this.votingExclusions.map((e) => e.node_id));
    const live = this.liveMasterIds();
    const current = this.votingConfig;
    const liveIn = current.filter((id) => live.has(id) && !excluded.has(id));
    const liveOut = [...live].filter((id) => !current.includes(id) && !excluded.has(id)).sort();
    const deadIn = current.filter((id) => !live.has(id) && !excluded.has(id));
    const nonRetiredLive = liveIn.length + liveOut.length;
    const roundDownToOdd = (n: number) => (n % 2 === 0 ? n - 1 : n);
    const minSize = current.length === 1 ? 1 : 3;
    const targetSize = Math.max(roundDownToOdd(nonRetiredLive), minSize);
    const next = [...liveIn, ...liveOut, ...deadIn].slice(0, targetSize);
    if (next.length === 0) return;
    const same = next.length === current.length && next.every((id) => current.includes(id));
    // A new configuration is committed only with a quorum of both the old and the new configuration.
    if (!same && this.hasQuorum(current) && this.hasQuorum(next)) this.votingConfig = [...next].sort();
  }

  /** POST /_cluster/voting_config_exclusions: returns false when the nodes are still in the configuration. */
  addVotingExclusions(nodes: { node_id: string; node_name: string }[]): boolean {
    const max = this.intSetting('cluster.max_voting_config_exclusions');
    const fresh = nodes.filter(
      (n) => !this.votingExclusions.some((e) => e.node_id === n.node_id && e.node_name === n.node_name),
    );
    if (this.votingExclusions.length + fresh.length > max) {
      throw new EsError(
        400,
        'illegal_argument_exception',
        `add voting config exclusions request for nodes named [${nodes.map((n) => n.node_name).join(', ')}] would add [${fresh.length}] exclusions to the existing [${this.votingExclusions.length}] which would exceed the maximum of [${max}] set by [cluster.max_voting_config_exclusions]`,
      );
    }
    this.votingExclusions.push(...fresh);
    if (this.reconfigurationStalled) return false;
    if (this.master && fresh.some((n) => n.node_id === this.master!.id)) this.failover(0);
    this.reconfigure();
    const ids = new Set(nodes.map((n) => n.node_id));
    return !this.votingConfig.some((id) => ids.has(id));
  }

  /** DELETE /_cluster/voting_config_exclusions: returns false when waiting for removal and a node is still here. */
  clearVotingExclusions(waitForRemoval: boolean): boolean {
    if (waitForRemoval) {
      const present = new Set(this.joinedNodes().map((n) => n.id));
      if (this.votingExclusions.some((e) => present.has(e.node_id))) return false;
    }
    this.votingExclusions.length = 0;
    this.reconfigure();
    return true;
  }

  // ---------------------------------------------------------------- indices

  createIndex(spec: { name: string; shards: number; replicas: number; docs: number; bytes: number }): Index {
    const index: Index = {
      name: spec.name,
      uuid: this.host.token(),
      shards: [],
      replicas: spec.replicas,
      createdAt: this.host.now(),
      docs: spec.docs,
      bytes: spec.bytes,
      settings: new Map(),
    };
    for (let i = 0; i < spec.shards; i++) {
      // Spread docs and bytes over shards; the remainder goes to the first shards.
      const docs = Math.floor(spec.docs / spec.shards) + (i < spec.docs % spec.shards ? 1 : 0);
      const bytes = Math.floor(spec.bytes / spec.shards) + (i < spec.bytes % spec.shards ? 1 : 0);
      const shard: Shard = { index, num: i, docs, bytes, writtenBytes: 0, copies: [], lost: false };
      for (let c = 0; c <= spec.replicas; c++) {
        shard.copies.push({
          shard,
          primary: c === 0,
          state: 'UNASSIGNED',
          failedAttempts: 0,
          allocationId: this.host.token(),
          unassigned: { reason: 'INDEX_CREATED', at: this.host.now(), failedAttempts: 0, lastStatus: 'no_attempt' },
        });
      }
      index.shards.push(shard);
    }
    this.indices.push(index);
    this.reroute();
    return index;
  }

  /** Places an existing index's copies at start (the balancer's result, with no recovery traffic). */
  placeInitially(index: Index): void {
    const loads = this.loads();
    for (const shard of index.shards) {
      for (const copy of shard.copies) {
        const best = this.rank(copy, loads, 'allocate', true)[0];
        if (!best) throw new Error(`cannot place ${index.name}[${shard.num}]: not enough data nodes`);
        copy.node = best;
        copy.state = 'STARTED';
        copy.unassigned = undefined;
        this.addLoad(loads, best, shard);
      }
    }
  }

  /** A replica whose node left before the scenario started (scenario key unassignedReplicas). */
  unassignAtStart(copy: Copy): void {
    this.unassign(copy, 'NODE_LEFT', this.host.now(), undefined, 'node_left before the scenario started');
  }

  private shardCache: Shard[] | undefined;

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

  // ---------------------------------------------------------------- deciders

  /**
   * Runs the allocation deciders for putting `copy` on `node`. Without `collect` it stops at the first NO (fast
   * path); with it, every decider's result is appended (for allocation explain).
   */
  evaluate(
    copy: Copy,
    node: EsNode,
    mode: 'allocate' | 'move' | 'rebalance',
    loads: Map<EsNode, NodeLoad> | undefined,
    collect?: DeciderResult[],
    ignore?: string,
  ): 'YES' | 'NO' | 'THROTTLE' {
    let result: 'YES' | 'NO' | 'THROTTLE' = 'YES';
    const add = (decider: string, decision: 'YES' | 'NO' | 'THROTTLE', explanation: () => string): boolean => {
      if (decider === ignore || (ignore === 'node_version' && decider === 'index_version')) return false;
      if (collect) collect.push({ decider, decision, explanation: explanation() });
      if (decision === 'NO') result = 'NO';
      else if (decision === 'THROTTLE' && result === 'YES') result = 'THROTTLE';
      return result === 'NO' && !collect;
    };
    const shard = copy.shard;
    const primary = this.primaryOf(shard);

    // max_retry
    if (
      add('max_retry', copy.failedAttempts >= this.model.maxRetries ? 'NO' : 'YES', () =>
        copy.failedAttempts >= this.model.maxRetries
          ? `shard has exceeded the maximum number of retries [${this.model.maxRetries}] on failed allocation attempts - manually call [POST /_cluster/reroute?retry_failed&metric=none] to retry, [unassigned_info[[reason=${copy.unassigned?.reason ?? 'ALLOCATION_FAILED'}], at[${this.host.isoTime(copy.unassigned?.at ?? 0)}], failed_attempts[${copy.failedAttempts}]]]`
          : `shard has no previous failures`,
      )
    )
      return result;

    // replica_after_primary_active
    if (!copy.primary) {
      const active = Cluster.isActive(primary);
      if (
        add('replica_after_primary_active', active ? 'YES' : 'NO', () =>
          active
            ? 'primary shard for this replica is already active'
            : 'primary shard for this replica is not yet active',
        )
      )
        return result;
    }

    // enable
    const indexEnable = shard.index.settings.get('index.routing.allocation.enable');
    const enable = indexEnable ?? this.setting('cluster.routing.allocation.enable') ?? 'all';
    const enableSource = indexEnable !== undefined ? 'index setting [index' : 'cluster setting [cluster';
    const isNewPrimary = copy.primary && copy.unassigned?.reason === 'INDEX_CREATED';
    let enableDecision: 'YES' | 'NO' = 'YES';
    let enableText = 'all allocations are allowed';
    if (enable === 'none') {
      enableDecision = 'NO';
      enableText = `no allocations are allowed due to ${enableSource}.routing.allocation.enable=none]`;
    } else if (enable === 'primaries' && !copy.primary) {
      enableDecision = 'NO';
      enableText = `replica allocations are forbidden due to ${enableSource}.routing.allocation.enable=primaries]`;
    } else if (enable === 'new_primaries' && !isNewPrimary) {
      enableDecision = 'NO';
      enableText = `${copy.primary ? 'primary' : 'replica'} allocations are forbidden due to ${enableSource}.routing.allocation.enable=new_primaries]`;
    }
    if (mode === 'rebalance' && enableDecision === 'YES') {
      const rb = this.setting('cluster.routing.rebalance.enable') ?? 'all';
      if (rb === 'none' || (rb === 'primaries' && !copy.primary) || (rb === 'replicas' && copy.primary)) {
        enableDecision = 'NO';
        enableText = `${copy.primary ? 'primary' : 'replica'} rebalancing is forbidden due to cluster setting [cluster.routing.rebalance.enable=${rb}]`;
      }
    }
    if (add('enable', enableDecision, () => enableText)) return result;

    // node_version
    let nvDecision: 'YES' | 'NO' = 'YES';
    let nvText = 'the primary shard is new or already existed on the node';
    if (copy.primary) {
      if ((mode === 'move' || mode === 'rebalance') && copy.node) {
        if (compareVersions(node.version, copy.node.version) < 0) {
          nvDecision = 'NO';
          nvText = `cannot relocate primary shard from a node with version [${copy.node.version}] to a node with older version [${node.version}]`;
        } else {
          nvText = `can relocate primary shard from a node with version [${copy.node.version}] to a node with equal-or-newer version [${node.version}]`;
        }
      }
    } else if (!Cluster.isActive(primary) || !primary.node) {
      nvText = 'no active primary shard yet';
    } else if (compareVersions(node.version, primary.node.version) < 0) {
      nvDecision = 'NO';
      nvText = `cannot allocate replica shard to a node with version [${node.version}] since this is older than the primary version [${primary.node.version}]`;
    } else {
      nvText = `can allocate replica shard to a node with version [${node.version}] since this is equal-or-newer than the primary version [${primary.node.version}]`;
    }
    if (add('node_version', nvDecision, () => nvText)) return result;

    // index_version (IndexVersionAllocationDecider): the model gives each release its own index version, so it
    // answers like node_version, in its own words; Elasticsearch runs and reports both.
    if (add('index_version', nvDecision, () => nvText.replace(/version \[/g, 'index version ['))) return result;

    // same_shard
    const holder = shard.copies.find((c) => c !== copy && (c.node === node || c.relocatingTo === node));
    const selfThere = copy.node === node || copy.relocatingTo === node;
    if (
      add('same_shard', holder || selfThere ? 'NO' : 'YES', () =>
        holder || selfThere
          ? `a copy of this shard is already allocated to this node [[${shard.index.name}][${shard.num}], node[${node.id}], [${(holder ?? copy).primary ? 'P' : 'R'}], s[${(holder ?? copy).state}]]`
          : 'this node does not hold a copy of this shard',
      )
    )
      return result;

    // filter (index-level filters first, then the cluster's, as FilterAllocationDecider does)
    const refusal = this.filterRefusal(node, shard.index);
    if (add('filter', refusal ? 'NO' : 'YES', () => refusal ?? 'node passes include/exclude/require filters'))
      return result;

    // shards_limit (index.routing.allocation.total_shards_per_node, cluster.routing.allocation.total_shards_per_node)
    const shardsLimit = this.shardsLimitRefusal(copy, node, loads);
    if (collect || shardsLimit) {
      if (add('shards_limit', shardsLimit ? 'NO' : 'YES', () => shardsLimit ?? this.shardsLimitText(shard.index)))
        return result;
    }

    // disk_threshold
    if (this.setting('cluster.routing.allocation.disk.threshold_enabled') !== 'false') {
      const used = loads?.get(node)?.used ?? this.usedBytes(node);
      const low = this.usedLimit('low', node.diskTotal);
      const high = this.usedLimit('high', node.diskTotal);
      const freePct = (100 * (1 - used / node.diskTotal)).toFixed(1);
      let d: 'YES' | 'NO' = 'YES';
      let text = `enough disk for shard on node, free: [${freePct}%], used: [${((100 * used) / node.diskTotal).toFixed(1)}%], shard size: [${shard.bytes}b]`;
      if (!isNewPrimary && used > low) {
        d = 'NO';
        text = `the node is above the low watermark cluster setting [cluster.routing.allocation.disk.watermark.low=${this.setting('cluster.routing.allocation.disk.watermark.low')}], having less than the minimum required [${humanBytes(node.diskTotal - low)}] free space, actual free: [${humanBytes(Math.max(0, node.diskTotal - used))}], actual free: [${freePct}%]`;
      } else if (used + shard.bytes > high) {
        d = 'NO';
        text = `allocating the shard to this node will bring the node above the high watermark cluster setting [cluster.routing.allocation.disk.watermark.high=${this.setting('cluster.routing.allocation.disk.watermark.high')}] and cause it to have less than the minimum required [${humanBytes(node.diskTotal - high)}] free space (free space [${humanBytes(Math.max(0, node.diskTotal - used))}], shard size: [${humanBytes(shard.bytes)}])`;
      }
      if (add('disk_threshold', d, () => text)) return result;
    }

    // throttling
    const isEmptyPrimary = copy.primary && !copy.node;
    if (!isEmptyPrimary) {
      const inLimit = this.limit('incoming');
      const outLimit = this.limit('outgoing');
      const incoming = this.countRecoveries(node, 'in');
      // Outgoing recoveries are counted on the node of the active primary (a relocating primary: its own node).
      const source = copy.primary && mode !== 'allocate' ? copy.node : primary.node;
      const outgoing = source ? this.countRecoveries(source, 'out') : 0;
      let d: 'YES' | 'THROTTLE' = 'YES';
      let text =
        'below shard recovery limit of outgoing: [' +
        outgoing +
        ' < ' +
        outLimit +
        '] incoming: [' +
        incoming +
        ' < ' +
        inLimit +
        ']';
      if (incoming >= inLimit) {
        d = 'THROTTLE';
        text = `reached the limit of incoming shard recoveries [${incoming}], cluster setting [cluster.routing.allocation.node_concurrent_incoming_recoveries=${inLimit}] (can also be set via [cluster.routing.allocation.node_concurrent_recoveries])`;
      } else if (outgoing >= outLimit) {
        d = 'THROTTLE';
        text = `reached the limit of outgoing shard recoveries [${outgoing}] on the node [${source!.id}] which holds the primary, cluster setting [cluster.routing.allocation.node_concurrent_outgoing_recoveries=${outLimit}] (can also be set via [cluster.routing.allocation.node_concurrent_recoveries])`;
      }
      if (add('throttling', d, () => text)) return result;
    } else if (collect) {
      add('throttling', 'YES', () => 'below primary recovery limit of [4]');
    }

    // awareness (the only node attribute the simulator knows is aws_availability_zone)
    const awareness = (this.setting('cluster.routing.allocation.awareness.attributes') ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a.length > 0);
    if (awareness.length === 0) {
      if (collect) {
        add(
          'awareness',
          'YES',
          () =>
            'allocation awareness is not enabled, set cluster setting [cluster.routing.allocation.awareness.attributes] to enable it',
        );
      }
    } else {
      const attr = awareness[0];
      if (attr !== 'aws_availability_zone') {
        if (
          add(
            'awareness',
            'NO',
            () =>
              `node does not contain the awareness attribute [${attr}]; required attributes cluster setting [cluster.routing.allocation.awareness.attributes=${awareness.join(',')}]`,
          )
        )
          return result;
      } else {
        const zones = new Set(this.candidates().map((n) => n.az)).size;
        const total = shard.copies.length;
        const max = Math.ceil(total / Math.max(1, zones));
        let inZone = 1;
        for (const c of shard.copies) {
          if (c === copy) continue;
          if (c.node?.az === node.az && c.state !== 'RELOCATING') inZone++;
          else if (c.relocatingTo?.az === node.az) inZone++;
        }
        const ok = inZone <= max;
        if (
          add('awareness', ok ? 'YES' : 'NO', () =>
            ok
              ? 'node meets all awareness attribute requirements'
              : `there are [${total}] copies of this shard and [${zones}] values for attribute [${attr}] ([${[...new Set(this.candidates().map((n) => n.az))].sort().join(', ')}] from nodes in the cluster and no forced awareness) so there may be at most [${max}] copies of this shard allocated to nodes with each value, but (including this copy) there would be [${inZone}] copies allocated to nodes with [node.attr.${attr}: ${node.az}]`,
          )
        )
          return result;
      }
    }
    return result;
  }

  private filterCache: Record<'exclude' | 'include' | 'require', [string, string[]][]> | undefined;

  /**
   * The `filter` decider's refusal for a node (cluster-level allocation filtering: `require.*` must all match,
   * `include.*` at least one when set, `exclude.*` none), or undefined when the node passes.
   */
  filterRefusal(node: EsNode, index?: Index): string | undefined {
    if (index && index.settings.size > 0) {
      const r = indexFilterRefusal(node, index);
      if (r) return r;
    }
    if (!this.filterCache) {
      const parse = (kind: 'exclude' | 'include' | 'require') =>
        ['_name', '_id', '_ip', '_host_ip', '_publish_ip', '_host']
          .map((attr): [string, string[]] => [attr, this.filterValues(kind, attr)])
          .filter(([, patterns]) => patterns.length > 0);
      this.filterCache = { exclude: parse('exclude'), include: parse('include'), require: parse('require') };
    }
    const values = (attr: string) =>
      attr === '_name' ? [node.name] : attr === '_id' ? [node.id] : attr === '_host' ? [node.ip, node.name] : [node.ip];
    const matches = (attr: string, patterns: string[]) =>
      patterns.find((p) => values(attr).some((v) => wildcardMatch(p, v)));
    const show = (attr: string, patterns: string[]) => `${attr}:"${patterns.join(',')}"`;
    for (const [attr, patterns] of this.filterCache.require) {
      if (!matches(attr, patterns)) {
        return `node does not match cluster setting [cluster.routing.allocation.require] filters [${show(attr, patterns)}]`;
      }
    }
    const include = this.filterCache.include;
    if (include.length > 0 && !include.some(([attr, patterns]) => matches(attr, patterns))) {
      return `node does not match cluster setting [cluster.routing.allocation.include] filters [${include.map(([a, p]) => show(a, p)).join(' OR ')}]`;
    }
    for (const [attr, patterns] of this.filterCache.exclude) {
      const hit = matches(attr, patterns);
      if (hit) return `node matches cluster setting [cluster.routing.allocation.exclude] filters [${attr}:"${hit}"]`;
    }
    return undefined;
  }

  private shardsLimits(index: Index): { index: number; cluster: number } {
    const i = index.settings.get('index.routing.allocation.total_shards_per_node');
    return {
      index: i === undefined ? -1 : Number(i),
      cluster: Number(this.setting('cluster.routing.allocation.total_shards_per_node') ?? '-1'),
    };
  }

  private countOn(node: EsNode, index: Index | undefined, loads: Map<EsNode, NodeLoad> | undefined): number {
    const l = loads?.get(node);
    if (l) return index ? (l.perIndex.get(index) ?? 0) : l.shards;
    let n = 0;
    for (const s of index ? index.shards : this.allShards())
      for (const c of s.copies) if ((c.node === node && c.state !== 'RELOCATING') || c.relocatingTo === node) n++;
    return n;
  }

  /** ShardsLimitAllocationDecider.canAllocate: NO when the node already holds the limit. */
  private shardsLimitRefusal(copy: Copy, node: EsNode, loads: Map<EsNode, NodeLoad> | undefined): string | undefined {
    const lim = this.shardsLimits(copy.shard.index);
    if (lim.index < 0 && lim.cluster < 0) return undefined;
    const onIndex = this.countOn(node, copy.shard.index, loads);
    if (lim.index >= 0 && onIndex >= lim.index) {
      return `too many shards [${onIndex}] allocated to this node for index [${copy.shard.index.name}], index setting [index.routing.allocation.total_shards_per_node=${lim.index}]`;
    }
    const total = this.countOn(node, undefined, loads);
    if (lim.cluster >= 0 && total >= lim.cluster) {
      return `too many shards [${total}] allocated to this node, cluster setting [cluster.routing.allocation.total_shards_per_node=${lim.cluster}]`;
    }
    return undefined;
  }

  /** ShardsLimitAllocationDecider.canRemain: NO when the node holds more than the limit. */
  private overShardsLimit(copy: Copy, loads: Map<EsNode, NodeLoad>): boolean {
    const lim = this.shardsLimits(copy.shard.index);
    if ((lim.index < 0 && lim.cluster < 0) || !copy.node) return false;
    return (
      (lim.index >= 0 && this.countOn(copy.node, copy.shard.index, loads) > lim.index) ||
      (lim.cluster >= 0 && this.countOn(copy.node, undefined, loads) > lim.cluster)
    );
  }

  private shardsLimitText(index: Index): string {
    const lim = this.shardsLimits(index);
    return lim.index < 0 && lim.cluster < 0
      ? `total shard limits are disabled: [index: ${lim.index}, cluster: ${lim.cluster}] <= 0`
      : `the shard count is under index limit [${lim.index}] and cluster level node limit [${lim.cluster}] of total shards per node`;
  }

  /** Running recoveries per node, kept up to date as recoveries start and stop (throttling reads it often). */
  private readonly recoveryCounts = new Map<EsNode, { in: number; out: number }>();

  private track(r: Recovery, sign: 1 | -1): void {
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

  private addRecovery(r: Recovery): void {
    this.recoveries.add(r);
    this.track(r, 1);
  }

  private removeRecovery(r: Recovery): void {
    if (this.recoveries.delete(r)) this.track(r, -1);
  }

  private countRecoveries(node: EsNode, dir: 'in' | 'out'): number {
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

  private loads(): Map<EsNode, NodeLoad> {
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

  private addLoad(m: Map<EsNode, NodeLoad>, node: EsNode, shard: Shard, sign = 1): void {
    let l = m.get(node);
    if (!l) {
      l = { shards: 0, perIndex: new Map(), used: 0 };
      m.set(node, l);
    }
    l.shards += sign;
    l.used += sign * shard.bytes;
    l.perIndex.set(shard.index, (l.perIndex.get(shard.index) ?? 0) + sign);
  }

  /** Candidate nodes in balancer order (fewest shards of the index, then overall, then name) with a YES (or THROTTLE). */
  private rank(copy: Copy, loads: Map<EsNode, NodeLoad>, mode: 'allocate' | 'move', allowAll = false): EsNode[] {
    const out: EsNode[] = [];
    for (const n of this.sortedCandidates(copy.shard.index, loads)) {
      const d = allowAll ? this.evaluateStatic(copy, n) : this.evaluate(copy, n, mode, loads);
      if (d === 'YES') out.push(n);
    }
    return out;
  }

  private evaluateStatic(copy: Copy, node: EsNode): 'YES' | 'NO' {
    return copy.shard.copies.some((c) => c.node === node) ? 'NO' : 'YES';
  }

  /**
   * Candidate nodes in the order the balancer prefers them for a copy of `index`: lowest weight first, with
   * BalancedShardsAllocator's weight function (cluster.routing.allocation.balance.shard × copies on the node +
   * balance.index × copies of the index on the node + balance.disk_usage × bytes on the node; the averages it
   * subtracts are the same for every node and drop out of the comparison), then the name.
   */
  private sortedCandidates(index: Index, loads: Map<EsNode, NodeLoad>): EsNode[] {
    const [ws, wi, wd] = this.balanceWeights();
    const weight = (n: EsNode) => {
      const l = loads.get(n)!;
      return ws * l.shards + wi * (l.perIndex.get(index) ?? 0) + wd * l.used;
    };
    return this.candidates()
      .map((n) => ({ n, w: weight(n) }))
      .sort((a, b) => a.w - b.w || a.n.name.localeCompare(b.n.name))
      .map((e) => e.n);
  }

  private balanceWeights(): [number, number, number] {
    let w = this.memo.get('balance:shard');
    if (w === undefined) {
      for (const k of ['shard', 'index', 'disk_usage']) {
        const v = Number(this.setting(`cluster.routing.allocation.balance.${k}`));
        this.memo.set(`balance:${k}`, Number.isFinite(v) ? v : 0);
      }
      w = this.memo.get('balance:shard')!;
    }
    return [w, this.memo.get('balance:index')!, this.memo.get('balance:disk_usage')!];
  }

  // ---------------------------------------------------------------- reroute

  /** Runs allocation: unassigned copies, moves off excluded nodes, then rebalancing. */
  reroute(): void {
    if (!this.master) return;
    const now = this.host.now();
    const loads = this.loads();
    let allActive = true;
    let primariesActive = true;

    for (const shard of this.allShards()) {
      if (shard.lost) {
        primariesActive = false;
        allActive = false;
        continue;
      }
      // Primaries first, then replicas.
      const ordered = [...shard.copies].sort((a, b) => Number(b.primary) - Number(a.primary));
      for (const copy of ordered) {
        if (copy.state !== 'UNASSIGNED') {
          if (copy.state === 'INITIALIZING') allActive = false;
          continue;
        }
        allActive = false;
        if (copy.primary) primariesActive = false;
        const info = copy.unassigned!;
        const dataBack = copy.dataOn !== undefined && copy.dataOn.state === 'joined';
        if (info.delayedUntil !== undefined && info.delayedUntil > now && !dataBack) {
          info.lastStatus = 'delayed_allocation';
          continue;
        }
        info.delayedUntil = undefined;
        let throttled = false;
        let chosen: EsNode | undefined;
        // An existing primary goes only where a valid copy of its data is (PrimaryShardAllocator); a replica prefers
        // a node that still holds its files (ReplicaShardAllocator), even before its delay expires.
        const existingPrimary = copy.primary && info.reason !== 'INDEX_CREATED';
        const home = copy.dataOn && copy.dataOn.state === 'joined' ? copy.dataOn : undefined;
        const order = existingPrimary
          ? home
            ? [home]
            : []
          : home
            ? [home, ...this.sortedCandidates(shard.index, loads).filter((n) => n !== home)]
            : this.sortedCandidates(shard.index, loads);
        for (const n of order) {
          const d = this.evaluate(copy, n, 'allocate', loads);
          if (d === 'YES') {
            chosen = n;
            break;
          }
          if (d === 'THROTTLE') throttled = true;
          // Throttled on the node holding its files: wait for it rather than copy the shard elsewhere.
          if (d === 'THROTTLE' && n === home) break;
        }
        if (existingPrimary && !chosen && !throttled) {
          info.lastStatus = 'no_valid_shard_copy';
          continue;
        }
        if (chosen) {
          this.startAllocation(copy, chosen);
          this.addLoad(loads, chosen, shard);
          info.versionBlocked = false;
        } else {
          info.lastStatus = throttled ? 'throttled' : 'decider_no';
          info.versionBlocked =
            !throttled &&
            !copy.primary &&
            this.candidates().some(
              (n) => this.evaluate(copy, n, 'allocate', loads, undefined, 'node_version') !== 'NO',
            );
        }
      }
    }

    // Moves: started copies on nodes they may not remain on (allocation filtering). Not capped by rebalance limits.
    for (const shard of this.allShards()) {
      for (const copy of shard.copies) {
        if (copy.state !== 'STARTED' || !copy.node) continue;
        if (!this.filterRefusal(copy.node, shard.index) && !this.overShardsLimit(copy, loads)) continue;
        for (const n of this.sortedCandidates(shard.index, loads)) {
          if (this.evaluate(copy, n, 'move', loads) === 'YES') {
            this.startRelocation(copy, n, false);
            this.addLoad(loads, n, shard);
            this.addLoad(loads, copy.node, shard, -1);
            loads.get(copy.node)!.used += shard.bytes;
            break;
          }
        }
      }
    }

    this.rebalance(loads, allActive, primariesActive);
    this.updateRates();
  }

  private rebalance(loads: Map<EsNode, NodeLoad>, allActive: boolean, primariesActive: boolean): void {
    const allow = this.setting('cluster.routing.allocation.allow_rebalance');
    if (allow === 'indices_all_active' && !allActive) return;
    if (allow === 'indices_primaries_active' && !primariesActive) return;
    if (this.setting('cluster.routing.rebalance.enable') === 'none') return;
    const limit = this.intSetting('cluster.routing.allocation.cluster_concurrent_rebalance');
    let inflight = 0;
    for (const r of this.recoveries) if (r.rebalance) inflight++;
    const nodes = this.candidates().filter((n) => !this.filterRefusal(n));
    const inLimit = this.limit('incoming');
    const outLimit = this.limit('outgoing');
    while (inflight < limit && nodes.length > 1) {
      nodes.sort((a, b) => loads.get(b)!.shards - loads.get(a)!.shards || a.name.localeCompare(b.name));
      let moved = false;
      outer: for (const src of nodes) {
        if (this.countRecoveries(src, 'out') >= outLimit) continue;
        for (let t = nodes.length - 1; t >= 0; t--) {
          const tgt = nodes[t];
          if (tgt === src) continue;
          if (this.countRecoveries(tgt, 'in') >= inLimit) continue;
          const ls = loads.get(src)!;
          const lt = loads.get(tgt)!;
          if (ls.shards - lt.shards <= 1) break;
          // The copy whose index is most over-represented on the source relative to the target.
          let best: Copy | undefined;
          let bestScore = -Infinity;
          for (const shard of this.allShards()) {
            for (const c of shard.copies) {
              if (c.node !== src || c.state !== 'STARTED') continue;
              const score = (ls.perIndex.get(shard.index) ?? 0) - (lt.perIndex.get(shard.index) ?? 0);
              if (score <= bestScore) continue;
              if (this.evaluate(c, tgt, 'rebalance', loads) !== 'YES') continue;
              best = c;
              bestScore = score;
            }
          }
          if (best) {
            this.startRelocation(best, tgt, true);
            this.addLoad(loads, tgt, best.shard);
            this.addLoad(loads, src, best.shard, -1);
            ls.used += best.shard.bytes;
            inflight++;
            moved = true;
            break outer;
          }
        }
      }
      if (!moved) break;
    }
  }

  private startAllocation(copy: Copy, node: EsNode): void {
    const shard = copy.shard;
    const now = this.host.now();
    // A replica allocated right after its index was created copies an (almost) empty primary: in Elasticsearch
    // the documents of a new index reach its replicas by write replication, not by a recovery. (The model puts
    // all of an hourly index's documents in at creation; without this its replicas would count as a recovery.)
    const freshReplica =
      !copy.primary &&
      copy.unassigned?.reason === 'INDEX_CREATED' &&
      now - shard.index.createdAt <= NEW_INDEX_REPLICA_WINDOW_SECONDS;
    const ownData = copy.dataOn === node;
    const replay = ownData ? Math.max(0, shard.writtenBytes - (copy.dataWrittenAt ?? 0)) : shard.bytes;
    copy.dataOn = undefined;
    copy.dataWrittenAt = undefined;
    copy.node = node;
    copy.unassigned = undefined;
    copy.allocationId = this.host.token();
    if (copy.primary || freshReplica) {
      // A new, empty primary, a primary on its own files (existing_store), or a fresh replica of a new index:
      // starts at once (no data to copy).
      copy.lastRecovery = {
        id: ++this.recoveryIds,
        shard,
        type: copy.primary ? (ownData ? 'existing_store' : 'empty_store') : 'peer',
        source: copy.primary ? undefined : this.primaryOf(shard).node,
        target: node,
        copy,
        total: 0,
        done: 0,
        rate: 0,
        start: now,
        stop: now,
        rebalance: false,
      };
      copy.state = 'STARTED';
      return;
    }
    const primary = this.primaryOf(shard);
    copy.state = 'INITIALIZING';
    const r: Recovery = {
      id: ++this.recoveryIds,
      shard,
      type: 'peer',
      source: primary.node,
      target: node,
      copy,
      // A replica whose files are still on the node replays only the operations written since it left.
      total: replay,
      done: 0,
      rate: 0,
      start: now,
      rebalance: false,
    };
    copy.recovery = r;
    this.addRecovery(r);
  }

  private startRelocation(copy: Copy, node: EsNode, rebalance: boolean): void {
    const shard = copy.shard;
    copy.state = 'RELOCATING';
    copy.relocatingTo = node;
    // Peer recovery source (IndicesClusterStateService / PeerRecoveryTargetService): a relocating primary hands
    // off from its own node; a relocating replica, like any replica, recovers from the active primary.
    const r: Recovery = {
      id: ++this.recoveryIds,
      shard,
      type: 'relocation',
      source: copy.primary ? copy.node : (this.primaryOf(shard).node ?? copy.node),
      target: node,
      copy,
      total: shard.bytes,
      done: 0,
      rate: 0,
      start: this.host.now(),
      rebalance,
    };
    copy.recovery = r;
    this.addRecovery(r);
  }

  // ---------------------------------------------------------------- recoveries over time

  /** Shares each node's recovery bandwidth (in + out together) between its recoveries. */
  updateRates(): void {
    const perNode = new Map<EsNode, number>();
    const bump = (n: EsNode | undefined) => n && perNode.set(n, (perNode.get(n) ?? 0) + 1);
    for (const r of this.recoveries) {
      bump(r.source);
      bump(r.target);
    }
    const rate = this.recoveryRate;
    for (const r of this.recoveries) {
      const s = r.source ? rate / perNode.get(r.source)! : rate;
      const t = rate / perNode.get(r.target)!;
      // A dead end (not yet detected) sends or receives nothing.
      r.rate = r.source?.dead || r.target.dead ? 0 : Math.min(s, t);
    }
  }

  /** Seconds until the next recovery finishes (Infinity when none runs). */
  nextRecoveryIn(): number {
    let best = Infinity;
    for (const r of this.recoveries) {
      const left = r.total - r.done;
      const t = left <= 0 ? 0 : r.rate > 0 ? left / r.rate : Infinity;
      if (t < best) best = t;
    }
    return best;
  }

  /** Advances every running recovery by `dt` seconds and finishes those that are done. */
  progress(dt: number): void {
    if (dt > 0) {
      for (const r of this.recoveries) {
        const step = Math.min(r.total - r.done, r.rate * dt);
        r.done += step;
        this.bytesRecovered += step;
      }
    }
    const finished = [...this.recoveries].filter((r) => r.total - r.done <= Math.max(1, r.rate * 1e-9));
    if (finished.length === 0) return;
    for (const r of finished) {
      this.bytesRecovered += r.total - r.done;
      r.done = r.total;
      this.finishRecovery(r);
    }
    this.reroute();
  }

  private finishRecovery(r: Recovery): void {
    this.removeRecovery(r);
    r.stop = this.host.now();
    const copy = r.copy;
    copy.recovery = undefined;
    copy.lastRecovery = r;
    if (r.type === 'relocation') {
      const from = copy.node;
      copy.node = r.target;
      copy.relocatingTo = undefined;
      copy.state = 'STARTED';
      copy.allocationId = this.host.token();
      // The old primary is closed after the hand-off: replica recoveries (and replica relocations) reading from it
      // start over from the new primary (what was copied is lost; it stays counted in bytesRecovered).
      if (copy.primary)
        for (const o of this.recoveries)
          if (o.shard === copy.shard && o.source === from) {
            this.track(o, -1);
            o.source = r.target;
            o.done = 0;
            this.track(o, 1);
            this.host.note(
              'recovery-restarted',
              o.target.name,
              `[${copy.shard.index.name}][${copy.shard.num}] primary relocated to ${r.target.name}: the replica recovery starts over`,
            );
          }
    } else {
      copy.state = 'STARTED';
    }
  }

  private cancelRecovery(r: Recovery): void {
    this.removeRecovery(r);
    r.stop = this.host.now();
    r.copy.recovery = undefined;
  }

  /** A node left: cancel its recoveries, promote replicas, count lost primaries, delay replica re-allocation. */
  private failNodeCopies(node: EsNode, keepsData = false): void {
    const now = this.host.now();
    for (const shard of this.allShards()) {
      const delay = this.delayFor(shard.index);
      if (!shard.copies.some((c) => c.node === node || c.relocatingTo === node)) continue;
      // Relocations into the node are cancelled; the source stays.
      for (const c of shard.copies) {
        if (c.relocatingTo === node) {
          if (c.recovery) this.cancelRecovery(c.recovery);
          c.relocatingTo = undefined;
          c.state = 'STARTED';
        }
      }
      const leaving = shard.copies.filter((c) => c.node === node);
      for (const c of leaving) {
        if (c.recovery) this.cancelRecovery(c.recovery);
        if (c.relocatingTo) c.relocatingTo = undefined;
      }
      const primaryLeaving = leaving.find((c) => c.primary);
      if (primaryLeaving) {
        const candidates = shard.copies
          .filter((c) => c !== primaryLeaving && Cluster.isActive(c) && c.node !== node)
          .sort((a, b) => compareVersions(b.node!.version, a.node!.version));
        const promoted = candidates[0];
        // Replicas recovering from the failed primary fail too.
        for (const c of shard.copies) {
          if (c.state === 'INITIALIZING' && c.node !== node) {
            if (c.recovery) this.cancelRecovery(c.recovery);
            this.unassign(c, 'PRIMARY_FAILED', now, undefined, `primary failed while replica initializing`);
          }
        }
        if (promoted) {
          promoted.primary = true;
          primaryLeaving.primary = false;
          this.unassign(
            primaryLeaving,
            'NODE_LEFT',
            now,
            delay > 0 ? now + delay : undefined,
            `node_left [${node.id}]`,
          );
          if (delay > 0) this.host.schedule(now + delay, 'reroute');
        } else if (keepsData) {
          // The only valid copy is on a stopped node's disk: red until the node comes back (or its volume goes).
          this.unassign(primaryLeaving, 'NODE_LEFT', now, undefined, `node_left [${node.id}]`);
          primaryLeaving.unassigned!.lastStatus = 'no_valid_shard_copy';
          primaryLeaving.dataOn = node;
          primaryLeaving.dataWrittenAt = shard.writtenBytes;
        } else {
          this.loseShard(shard, node);
        }
        if (keepsData && promoted) {
          primaryLeaving.dataOn = node;
          primaryLeaving.dataWrittenAt = shard.writtenBytes;
        }
      }
      for (const c of leaving) {
        if (c.primary || c.state === 'UNASSIGNED') continue;
        const d = this.delayFor(shard.index);
        this.unassign(c, 'NODE_LEFT', now, d > 0 ? now + d : undefined, `node_left [${node.id}]`);
        if (d > 0) this.host.schedule(now + d, 'reroute');
        if (keepsData) {
          c.dataOn = node;
          c.dataWrittenAt = shard.writtenBytes;
        }
      }
    }
    // Any recovery still reading from the node fails.
    for (const r of [...this.recoveries]) {
      if (r.source === node) {
        this.cancelRecovery(r);
        if (r.type === 'relocation') {
          // A relocation whose source (the primary) failed fails its target; the relocating copy stays started.
          r.copy.relocatingTo = undefined;
          if (r.copy.state === 'RELOCATING') r.copy.state = 'STARTED';
        } else {
          this.unassign(r.copy, 'PRIMARY_FAILED', now, undefined, 'recovery source left');
        }
      }
    }
  }

  /** index.unassigned.node_left.delayed_timeout of an index (the model's default unless the index sets it). */
  private delayFor(index: Index): number {
    const v = index.settings.get('index.unassigned.node_left.delayed_timeout');
    return v === undefined ? this.model.delayedTimeoutSeconds : (parseTimeValue(v) ?? this.model.delayedTimeoutSeconds);
  }

  private unassign(c: Copy, reason: string, at: number, delayedUntil: number | undefined, details: string): void {
    c.state = 'UNASSIGNED';
    c.node = undefined;
    c.relocatingTo = undefined;
    c.unassigned = {
      reason,
      at,
      delayedUntil,
      failedAttempts: c.failedAttempts,
      details,
      lastStatus: delayedUntil !== undefined ? 'delayed_allocation' : 'no_attempt',
    };
  }

  // ---------------------------------------------------------------- health

  shardHealth(shard: Shard): HealthStatus {
    const p = this.primaryOf(shard);
    if (shard.lost) return 'red';
    if (!Cluster.isActive(p)) {
      const fresh =
        (p.state === 'UNASSIGNED' &&
          p.unassigned?.reason === 'INDEX_CREATED' &&
          p.failedAttempts === 0 &&
          p.unassigned.lastStatus !== 'decider_no') ||
        (p.state === 'INITIALIZING' && p.recovery?.type === 'empty_store');
      return fresh ? 'yellow' : 'red';
    }
    return shard.copies.every((c) => Cluster.isActive(c)) ? 'green' : 'yellow';
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
      for (const s of ix.shards) if (!s.lost && Cluster.isActive(this.primaryOf(s))) n += s.docs;
    return n;
  }
}

function worst(statuses: HealthStatus[]): HealthStatus {
  if (statuses.includes('red')) return 'red';
  if (statuses.includes('yellow')) return 'yellow';
  return 'green';
}

/** Elasticsearch simple wildcard match (`*` only). */
export function wildcardMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
  return re.test(value);
}

/** The index-level `filter` refusal (index.routing.allocation.require/include/exclude), or undefined. */
function indexFilterRefusal(node: EsNode, index: Index): string | undefined {
  const values = (attr: string) =>
    attr === '_name' ? [node.name] : attr === '_id' ? [node.id] : attr === '_host' ? [node.ip, node.name] : [node.ip];
  const filters = (kind: string): [string, string[]][] => {
    const out: [string, string[]][] = [];
    const prefix = `index.routing.allocation.${kind}.`;
    for (const [k, v] of index.settings) {
      if (!k.startsWith(prefix)) continue;
      const patterns = v
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p.length > 0);
      if (patterns.length > 0) out.push([k.slice(prefix.length), patterns]);
    }
    return out;
  };
  const matches = (attr: string, patterns: string[]) =>
    patterns.find((p) => values(attr).some((v) => wildcardMatch(p, v)));
  const show = (attr: string, patterns: string[]) => `${attr}:"${patterns.join(',')}"`;
  for (const [attr, patterns] of filters('require')) {
    if (!matches(attr, patterns))
      return `node does not match index setting [index.routing.allocation.require] filters [${show(attr, patterns)}]`;
  }
  const include = filters('include');
  if (include.length > 0 && !include.some(([a, p]) => matches(a, p))) {
    return `node does not match index setting [index.routing.allocation.include] filters [${include.map(([a, p]) => show(a, p)).join(' OR ')}]`;
  }
  for (const [attr, patterns] of filters('exclude')) {
    const hit = matches(attr, patterns);
    if (hit) return `node matches index setting [index.routing.allocation.exclude] filters [${attr}:"${hit}"]`;
  }
  return undefined;
}
