import { ClusterBase } from './cluster-base';
import {
  type Copy,
  type DeciderResult,
  type EsNode,
  type Index,
  indexFilterRefusal,
  type NodeLoad,
  wildcardMatch,
} from './cluster-types';
import { compareVersions, humanBytes } from './units';
/** Layer 2: the allocation deciders (each verdict named like Elasticsearch's decider) and the balancer's ranking. */
export abstract class ClusterDeciders extends ClusterBase {
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
      const active = ClusterBase.isActive(primary);
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
    } else if (!ClusterBase.isActive(primary) || !primary.node) {
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

    // snapshot_in_progress (SnapshotInProgressAllocationDecider): a primary whose shard snapshot runs on its node
    // stays there until the snapshot of that shard is done (THROTTLE on any move or rebalance).
    if (copy.primary && mode !== 'allocate' && copy.node) {
      const busy = this.host.snapshotting?.(shard.index.name, shard.num, copy.node.name) === true;
      const text = busy
        ? `waiting for snapshotting of shard [[${shard.index.name}][${shard.num}]] to complete on this node [${copy.node.id}]`
        : 'the shard is not being snapshotted';
      if (add('snapshot_in_progress', busy ? 'THROTTLE' : 'YES', () => text)) return result;
    } else if (collect) {
      add('snapshot_in_progress', 'YES', () => 'the shard is not being snapshotted');
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

  protected shardsLimits(index: Index): { index: number; cluster: number } {
    const i = index.settings.get('index.routing.allocation.total_shards_per_node');
    return {
      index: i === undefined ? -1 : Number(i),
      cluster: Number(this.setting('cluster.routing.allocation.total_shards_per_node') ?? '-1'),
    };
  }

  protected countOn(node: EsNode, index: Index | undefined, loads: Map<EsNode, NodeLoad> | undefined): number {
    const l = loads?.get(node);
    if (l) return index ? (l.perIndex.get(index) ?? 0) : l.shards;
    let n = 0;
    for (const s of index ? index.shards : this.allShards())
      for (const c of s.copies) if ((c.node === node && c.state !== 'RELOCATING') || c.relocatingTo === node) n++;
    return n;
  }

  /** ShardsLimitAllocationDecider.canAllocate: NO when the node already holds the limit. */
  protected shardsLimitRefusal(copy: Copy, node: EsNode, loads: Map<EsNode, NodeLoad> | undefined): string | undefined {
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
  protected overShardsLimit(copy: Copy, loads: Map<EsNode, NodeLoad>): boolean {
    const lim = this.shardsLimits(copy.shard.index);
    if ((lim.index < 0 && lim.cluster < 0) || !copy.node) return false;
    return (
      (lim.index >= 0 && this.countOn(copy.node, copy.shard.index, loads) > lim.index) ||
      (lim.cluster >= 0 && this.countOn(copy.node, undefined, loads) > lim.cluster)
    );
  }

  protected shardsLimitText(index: Index): string {
    const lim = this.shardsLimits(index);
    return lim.index < 0 && lim.cluster < 0
      ? `total shard limits are disabled: [index: ${lim.index}, cluster: ${lim.cluster}] <= 0`
      : `the shard count is under index limit [${lim.index}] and cluster level node limit [${lim.cluster}] of total shards per node`;
  }

  /** Candidate nodes in balancer order (fewest shards of the index, then overall, then name) with a YES (or THROTTLE). */
  protected rank(copy: Copy, loads: Map<EsNode, NodeLoad>, mode: 'allocate' | 'move', allowAll = false): EsNode[] {
    const out: EsNode[] = [];
    for (const n of this.sortedCandidates(copy.shard.index, loads)) {
      const d = allowAll ? this.evaluateStatic(copy, n) : this.evaluate(copy, n, mode, loads);
      if (d === 'YES') out.push(n);
    }
    return out;
  }

  protected evaluateStatic(copy: Copy, node: EsNode): 'YES' | 'NO' {
    return copy.shard.copies.some((c) => c.node === node) ? 'NO' : 'YES';
  }

  /**
   * Candidate nodes in the order the balancer prefers them for a copy of `index`: lowest weight first, with
   * BalancedShardsAllocator's weight function (cluster.routing.allocation.balance.shard × copies on the node +
   * balance.index × copies of the index on the node + balance.disk_usage × bytes on the node; the averages it
   * subtracts are the same for every node and drop out of the comparison), then the name.
   */
  protected sortedCandidates(index: Index, loads: Map<EsNode, NodeLoad>): EsNode[] {
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

  protected balanceWeights(): [number, number, number] {
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
}
