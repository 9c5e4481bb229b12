import type { Copy, EsNode, Index } from './cluster-types';

/**
 * Snapshots in progress (issue #23): a `snapshot` fault starts one; each shard's snapshot runs on the node of its
 * primary at the start (Elasticsearch snapshots primaries only). A node uploads its shards one after the other at the
 * repository's `max_snapshot_bytes_per_sec` (40mb by default, per node), so its last shard is done after its bytes /
 * rate. A shard whose node leaves the cluster before it is done fails (`FAILURE`, as when Elasticsearch aborts the
 * shard snapshots of a removed node); the snapshot ends `PARTIAL` then. Stages are computed from the clock, lazily.
 *
 * `SnapshotInProgressAllocationDecider` (snapshot_in_progress) throttles moving a primary while its shard snapshot
 * runs on its node: `busy()` answers it.
 */

export type ShardStage = 'INIT' | 'STARTED' | 'DONE' | 'FAILURE';

export interface ShardSnapshot {
  readonly index: string;
  readonly shard: number;
  /** Node name (= instance id) and node id the shard snapshot runs on. */
  readonly node: string;
  readonly nodeId: string;
  readonly bytes: number;
  readonly startAt: number;
  readonly endAt: number;
  /** Set when the node left before the shard was done. */
  failedAt?: number;
  reason?: string;
}

export interface SimSnapshot {
  readonly repository: string;
  readonly name: string;
  readonly uuid: string;
  readonly startedAt: number;
  readonly shards: readonly ShardSnapshot[];
  /** Names of the indices in the snapshot. */
  readonly indices: readonly string[];
  readonly includeGlobalState: boolean;
  /** The request's user metadata (`metadata`), when it had some. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface SnapshotRequest {
  readonly repository: string;
  readonly name: string;
  readonly uuid: string;
  readonly indices: readonly Index[];
  readonly bytesPerSecond: number;
  readonly includeGlobalState?: boolean;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** A registered snapshot repository (`PUT _snapshot/<name>`): its type and settings, as given. */
export interface Repository {
  readonly type: string;
  readonly settings: Readonly<Record<string, unknown>>;
}

export class Snapshots {
  readonly list: SimSnapshot[] = [];
  /** Registered repositories by name (`PUT _snapshot/<name>`, or implicitly by a `snapshot` fault). */
  readonly repositories = new Map<string, Repository>();
  /** Snapshot lifecycle policies by id (`PUT _slm/policy/<id>`): stored, never run. */
  readonly policies = new Map<
    string,
    { readonly body: Readonly<Record<string, unknown>>; version: number; modifiedAt: number }
  >();

  /** Starts a snapshot of the indices' active primaries; returns when each shard will be done (for events). */
  start(req: SnapshotRequest, now: number, primaryOf: (index: Index, shard: number) => Copy | undefined): SimSnapshot {
    const queueEnd = new Map<EsNode, number>();
    const shards: ShardSnapshot[] = [];
    for (const index of req.indices) {
      for (const sh of index.shards) {
        const p = primaryOf(index, sh.num);
        if (!p?.node) {
          // No active primary: the shard snapshot fails at once (MISSING in SnapshotsInProgress).
          shards.push({
            index: index.name,
            shard: sh.num,
            node: '',
            nodeId: '',
            bytes: sh.bytes,
            startAt: now,
            endAt: now,
            failedAt: now,
            reason: 'primary shard is not allocated',
          });
          continue;
        }
        const startAt = queueEnd.get(p.node) ?? now;
        const endAt = startAt + sh.bytes / req.bytesPerSecond;
        queueEnd.set(p.node, endAt);
        shards.push({
          index: index.name,
          shard: sh.num,
          node: p.node.name,
          nodeId: p.node.id,
          bytes: sh.bytes,
          startAt,
          endAt,
        });
      }
    }
    const snap: SimSnapshot = {
      repository: req.repository,
      name: req.name,
      uuid: req.uuid,
      startedAt: now,
      shards,
      indices: req.indices.map((i) => i.name),
      includeGlobalState: req.includeGlobalState ?? true,
      ...(req.metadata ? { metadata: req.metadata } : {}),
    };
    this.list.push(snap);
    return snap;
  }

  static stage(s: ShardSnapshot, now: number): ShardStage {
    if (s.failedAt !== undefined) return 'FAILURE';
    if (now >= s.endAt) return 'DONE';
    return now >= s.startAt ? 'STARTED' : 'INIT';
  }

  static running(snap: SimSnapshot, now: number): boolean {
    return snap.shards.some((s) => s.failedAt === undefined && now < s.endAt);
  }

  /** The snapshot's state: STARTED while a shard runs, then SUCCESS, or PARTIAL when a shard failed. */
  static state(snap: SimSnapshot, now: number): 'STARTED' | 'SUCCESS' | 'PARTIAL' {
    if (Snapshots.running(snap, now)) return 'STARTED';
    return snap.shards.some((s) => s.failedAt !== undefined) ? 'PARTIAL' : 'SUCCESS';
  }

  /** When the snapshot ended (its last shard done or failed); meaningful once it no longer runs. */
  static endedAt(snap: SimSnapshot): number {
    return snap.shards.reduce((t, s) => Math.max(t, s.failedAt ?? s.endAt), snap.startedAt);
  }

  /** True while the shard's snapshot runs (or waits) on `node`: snapshot_in_progress throttles moving it. */
  busy(index: string, shard: number, node: string, now: number): boolean {
    return this.list.some((snap) =>
      snap.shards.some(
        (s) => s.index === index && s.shard === shard && s.node === node && s.failedAt === undefined && now < s.endAt,
      ),
    );
  }

  /** Shard snapshots not done on nodes that are no longer in the cluster fail; returns how many. */
  failOnGoneNodes(inCluster: (node: string) => boolean, now: number): ShardSnapshot[] {
    const failed: ShardSnapshot[] = [];
    for (const snap of this.list) {
      for (const s of snap.shards) {
        if (s.failedAt !== undefined || now >= s.endAt || inCluster(s.node)) continue;
        s.failedAt = now;
        s.reason = `node [${s.nodeId}] left the cluster while the shard snapshot was running`;
        failed.push(s);
      }
    }
    return failed;
  }
}
