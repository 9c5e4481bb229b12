/**
 * The Elasticsearch port: what the orchestrator reads and writes in the cluster. Implemented by the HTTP adapter
 * (adapters/elasticsearch.ts, over an @elastic/elasticsearch Client) and by test fakes. Types only.
 */
import type { EsView, SnapshotView, Unknown } from './types';

export interface EsPort {
  /** The cluster as the core sees it; a transient failure (timeout, 503, connection error) is Unknown. */
  observe(): Promise<EsView | Unknown>;
  /** Adds a node name to cluster.routing.allocation.exclude._name (read-modify-write, keeps other entries). */
  addAllocationExclusion(node: string): Promise<void>;
  /** Removes node names from cluster.routing.allocation.exclude._name (keeps other entries). */
  removeAllocationExclusions(nodes: readonly string[]): Promise<void>;
  /** Persistent cluster.routing.rebalance.enable (null removes the setting). */
  setRebalanceEnable(value: string | null): Promise<void>;
  /** Persistent cluster.routing.allocation.enable (null removes the setting); volume handoff only. */
  setAllocationEnable?(value: string | null): Promise<void>;
  /** POST /_cluster/voting_config_exclusions?node_names=<node> */
  addVotingExclusion(node: string): Promise<void>;
  /** DELETE /_cluster/voting_config_exclusions?wait_for_removal=false */
  clearVotingExclusions(): Promise<void>;
  /** GET _snapshot/<repository>/pre-roll-*: the pre-roll snapshots (rollout.snapshotBeforeRoll only). */
  listSnapshots?(repository: string): Promise<SnapshotView[]>;
  /** PUT _snapshot/<repository>/<snapshot>?wait_for_completion=false (idempotent: an existing one is left). */
  createSnapshot?(repository: string, snapshot: string): Promise<void>;
}
