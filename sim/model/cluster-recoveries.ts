import { ClusterDeciders } from './cluster-deciders';
import { type Copy, type EsNode, type Index, type Recovery, type Shard } from './cluster-types';
import { compareVersions, parseTimeValue } from './units';
/** Layer 3: recoveries over time (throttled copying, completion, cancellation) and copies failed by a node leaving. */
export abstract class ClusterRecoveries extends ClusterDeciders {
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

  protected finishRecovery(r: Recovery): void {
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

  protected cancelRecovery(r: Recovery): void {
    this.removeRecovery(r);
    r.stop = this.host.now();
    r.copy.recovery = undefined;
  }

  /** A node left: cancel its recoveries, promote replicas, count lost primaries, delay replica re-allocation. */
  protected failNodeCopies(node: EsNode, keepsData = false): void {
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
          .filter((c) => c !== primaryLeaving && ClusterRecoveries.isActive(c) && c.node !== node)
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
  protected delayFor(index: Index): number {
    const v = index.settings.get('index.unassigned.node_left.delayed_timeout');
    return v === undefined ? this.model.delayedTimeoutSeconds : (parseTimeValue(v) ?? this.model.delayedTimeoutSeconds);
  }

  protected unassign(c: Copy, reason: string, at: number, delayedUntil: number | undefined, details: string): void {
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

  protected loseShard(shard: Shard, node: EsNode): void {
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
}
