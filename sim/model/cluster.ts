import { ClusterAllocation } from './cluster-allocation';
import { EsError, type EsNode, type Index } from './cluster-types';
import { compareVersions } from './units';
export * from './cluster-types';
export { SETTING_DEFAULTS } from './settings';

/**
 * The Elasticsearch side of the simulated world: nodes, indices and shard copies, allocation deciders, throttled
 * recoveries, the balancer, masters and the voting configuration, cluster settings and health.
 *
 * Pure model: no I/O and no clock. Time comes from the `ClusterHost` (the world), which also schedules timed events.
 * Built in layers, one concern per file: cluster-base (state, settings, health) < cluster-deciders < cluster-recoveries
 * < cluster-allocation (indices, reroute) < this file (membership, masters and voting).
 */
export class Cluster extends ClusterAllocation {
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
  protected retryJoins(): void {
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

  /**
   * A node booted on the volume of `from` (volume handoff): copies whose files were left on `from` now find them on
   * `to`, which carries the same persistent node id.
   */
  adoptData(from: EsNode, to: EsNode): void {
    for (const shard of this.allShards()) for (const c of shard.copies) if (c.dataOn === from) c.dataOn = to;
  }

  /** Whether a copy's files wait on the node named `name` (Copy.dataOn). */
  filesOn(name: string): boolean {
    return this.allShards().some((s) => s.copies.some((c) => c.dataOn?.name === name));
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

  protected afterMembershipChange(left?: EsNode): void {
    this.updateMastership(left);
    this.reconfigure();
    this.retryJoins();
    this.reroute();
  }

  // ---------------------------------------------------------------- masters

  protected liveMasterIds(): Set<string> {
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

  protected updateMastership(left?: EsNode): void {
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
  protected steppedDown: EsNode | undefined;

  protected elect(): void {
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
  protected reconfigure(): void {
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
}
