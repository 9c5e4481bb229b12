import { ClusterRecoveries } from './cluster-recoveries';
import {
  type Copy,
  type EsNode,
  type Index,
  NEW_INDEX_REPLICA_WINDOW_SECONDS,
  type NodeLoad,
  type Recovery,
  type Shard,
} from './cluster-types';
/** Layer 4: index creation and initial placement, reroute (allocate, move, rebalance) and starting recoveries. */
export abstract class ClusterAllocation extends ClusterRecoveries {
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

  /** DELETE /<index> (sim/es/indices.ts): the index and its copies (recoveries included) are gone. */
  deleteIndex(index: Index): void {
    const i = this.indices.indexOf(index);
    if (i < 0) return;
    this.indices.splice(i, 1);
    this.shardCache = undefined;
    this.memo.clear();
    this.reroute();
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

    // Moves: started copies on nodes they may not remain on (allocation filtering, shard limits, a node above the
    // high disk watermark). Not capped by rebalance limits.
    const overHigh = this.aboveHighWatermark();
    for (const shard of this.allShards()) {
      for (const copy of shard.copies) {
        if (copy.state !== 'STARTED' || !copy.node) continue;
        const diskHigh = overHigh.get(copy.node);
        const mustMove =
          this.filterRefusal(copy.node, shard.index) !== undefined ||
          this.overShardsLimit(copy, loads) ||
          (diskHigh !== undefined && diskHigh > 0);
        if (!mustMove) continue;
        // The desired node (DesiredBalanceComputer: the lowest-weight node the deciders allow, throttling aside, as
        // if every earlier move had completed); DesiredBalanceReconciler.moveShards relocates only there and, while
        // that node is throttled, the copy waits on its node instead of going to the next one.
        const target = this.desiredMoveTarget(copy, loads);
        if (!target) continue;
        if (this.evaluate(copy, target, 'move', loads) === 'YES') {
          if (diskHigh !== undefined) overHigh.set(copy.node, diskHigh - shard.bytes);
          this.startRelocation(copy, target, false);
        }
        // Counted on its desired node either way, so the copies after it see that node as it will be.
        this.addLoad(loads, target, shard);
        this.addLoad(loads, copy.node, shard, -1);
        loads.get(copy.node)!.used += shard.bytes;
      }
    }

    this.rebalance(loads, allActive, primariesActive);
    this.updateRates();
  }

  /** The lowest-weight node a copy that must move may go to, throttling aside (undefined: none may take it). */
  protected desiredMoveTarget(copy: Copy, loads: Map<EsNode, NodeLoad>): EsNode | undefined {
    for (const n of this.sortedCandidates(copy.shard.index, loads)) {
      if (this.evaluate(copy, n, 'move', loads, undefined, 'throttling') !== 'NO') return n;
    }
    return undefined;
  }

  protected rebalance(loads: Map<EsNode, NodeLoad>, allActive: boolean, primariesActive: boolean): void {
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

  protected startAllocation(copy: Copy, node: EsNode): void {
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

  protected startRelocation(copy: Copy, node: EsNode, rebalance: boolean): void {
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

  /**
   * DiskThresholdDecider.canRemain: a data node using more than the high watermark allows, not counting the copies
   * already relocating away, must shed copies. Per such node: the bytes above the limit still to move away.
   */
  protected aboveHighWatermark(): Map<EsNode, number> {
    const out = new Map<EsNode, number>();
    if (this.setting('cluster.routing.allocation.disk.threshold_enabled') === 'false') return out;
    const used = new Map<EsNode, number>();
    for (const s of this.allShards())
      for (const c of s.copies) {
        // Incoming copies count on their target; copies relocating away no longer count on their source.
        if (c.node && !c.relocatingTo) used.set(c.node, (used.get(c.node) ?? 0) + s.bytes);
        if (c.relocatingTo) used.set(c.relocatingTo, (used.get(c.relocatingTo) ?? 0) + s.bytes);
      }
    for (const n of this.candidates()) {
      const over = (used.get(n) ?? 0) - this.usedLimit('high', n.diskTotal);
      if (over > 0) out.set(n, over);
    }
    return out;
  }
}
